package hostile

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// rejection is what a reply says, decoded from the wire.
type rejection struct {
	xid     uint32
	denied  bool   // MSG_DENIED
	stat    uint32 // reject_stat's auth_stat, or accept_stat
	garbled bool
}

func decodeReply(rep []byte) rejection {
	d := xdr.NewDecoder(rep)
	r := rejection{xid: d.Uint32()}
	if d.Uint32() != rpc.REPLY {
		return rejection{garbled: true}
	}
	switch d.Uint32() {
	case rpc.MSG_DENIED:
		r.denied = true
		if d.Uint32() != rpc.AUTH_ERROR {
			return rejection{garbled: true}
		}
		r.stat = d.Uint32()
	case rpc.MSG_ACCEPTED:
		d.Uint32()
		d.Opaque(400)
		r.stat = d.Uint32()
	}
	r.garbled = d.Err() != nil
	return r
}

// withVerifier replaces the verifier of a call built by callRecord with
// (flavor, body); args follow it.
func withVerifier(xid uint32, cred rpc.OpaqueAuth, flavor uint32, body, args []byte) []byte {
	msg := callRecord(xid, progNFS, 3, procNull, cred, nil)
	msg = msg[:len(msg)-8]
	var e xdr.Encoder
	e.Uint32(flavor)
	e.Opaque(body)
	return append(append(msg, e.Bytes()...), args...)
}

// TestOversizedCredential: a call whose credential breaks the rules of
// RFC 5531 is answered MSG_DENIED with the auth_stat that says why (§9:
// AUTH_BADCRED for the credential, AUTH_BADVERF for the verifier), never
// dropped, so that the client stops retransmitting it; §8.2 bounds an
// opaque_auth body to MAX_AUTH_BYTES (400). Arguments that do not decode
// are GARBAGE_ARGS (§9, accept_stat). A call cut short before its
// credential has no well-formed header to answer: it is dropped, as
// Linux knfsd does, and the connection serves the next one.
func TestOversizedCredential(t *testing.T) {
	s := start(t, nil)
	c := s.dial(t)
	fh := fileHandle(t, c, bigFile)
	sys := func(body []byte) rpc.OpaqueAuth { return rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: body} }
	oversized := append(bytes.Clone(rootCred.Body), make([]byte, 404-len(rootCred.Body))...)
	var getattrArgs xdr.Encoder
	getattrArgs.Opaque(fh)
	cases := []struct {
		name   string
		msg    []byte
		denied bool
		stat   uint32
	}{
		{"AUTH_SYS credential of 404 bytes", callRecord(1, progNFS, 3, procNull, sys(oversized), nil), true, uint32(rpc.AUTH_BADCRED)},
		{"AUTH_NONE credential of 401 bytes", callRecord(2, progNFS, 3, procNull, rpc.OpaqueAuth{Body: make([]byte, 401)}, nil), true, uint32(rpc.AUTH_BADCRED)},
		{"credential length 0xFFFFFFFF", append(callRecord(3, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)[:24], 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff), true, uint32(rpc.AUTH_BADCRED)},
		{"credential cut short", append(callRecord(4, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)[:24], 0, 0, 0, 1, 0, 0, 0, 100, 1, 2, 3, 4), true, uint32(rpc.AUTH_BADCRED)},
		{"verifier of 404 bytes", withVerifier(5, rootCred, rpc.AUTH_NONE, make([]byte, 404), nil), true, uint32(rpc.AUTH_BADVERF)},
		{"AUTH_SYS with 17 groups", callRecord(6, progNFS, 3, procNull, rpc.EncodeAuthSys(1, "m", 0, 0, make([]uint32, 17)), nil), true, uint32(rpc.AUTH_BADCRED)},
		{"AUTH_SYS machine name of 256 bytes", callRecord(7, progNFS, 3, procNull, rpc.EncodeAuthSys(1, string(make([]byte, 256)), 0, 0, nil), nil), true, uint32(rpc.AUTH_BADCRED)},
		{"AUTH_SYS body cut short", callRecord(8, progNFS, 3, procNull, sys(rootCred.Body[:10]), nil), true, uint32(rpc.AUTH_BADCRED)},
		{"AUTH_SYS with a non-AUTH_NONE verifier", withVerifier(9, rootCred, rpc.AUTH_SYS, rootCred.Body, nil), true, uint32(rpc.AUTH_BADVERF)},
		{"unknown flavor", callRecord(10, progNFS, 3, procNull, rpc.OpaqueAuth{Flavor: 390004}, nil), true, uint32(rpc.AUTH_BADCRED)},
		{"arguments cut short", callRecord(11, progNFS, 3, procGetattr, rootCred, getattrArgs.Bytes()[:6]), false, uint32(rpc.GARBAGE_ARGS)},
	}
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			addr := s.tcp
			if network == "udp" {
				addr = s.udp
			}
			for _, tt := range cases {
				t.Run(tt.name, func(t *testing.T) {
					before := s.rpc.Stats().AuthDenied
					nc, err := net.Dial(network, addr)
					if err != nil {
						t.Fatal(err)
					}
					defer nc.Close()
					nc.SetDeadline(time.Now().Add(callDeadline))
					var rep []byte
					if network == "tcp" {
						nc.Write(record(tt.msg))
						rep, err = readRecord(nc)
					} else {
						nc.Write(tt.msg)
						buf := make([]byte, 1<<16)
						var n int
						n, err = nc.Read(buf)
						rep = buf[:n]
					}
					if err != nil {
						t.Fatalf("no reply: %v", err)
					}
					got := decodeReply(rep)
					want := rejection{xid: binary.BigEndian.Uint32(tt.msg), denied: tt.denied, stat: tt.stat}
					if got != want {
						t.Fatalf("reply %+v, want %+v", got, want)
					}
					if after := s.rpc.Stats().AuthDenied; tt.denied && after != before+1 {
						t.Errorf("AuthDenied went from %d to %d", before, after)
					}
				})
			}
		})
	}
	t.Run("header cut short is dropped", func(t *testing.T) {
		nc, err := net.Dial("tcp", s.tcp)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		before := s.rpc.Stats().MalformedCalls
		nc.Write(record(callRecord(20, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)[:16]))
		if !nullOn(nc, 21) {
			t.Fatal("the next call on the connection is not answered (or the short one was)")
		}
		if got := s.rpc.Stats().MalformedCalls; got != before+1 {
			t.Errorf("MalformedCalls went from %d to %d", before, got)
		}
	})
}

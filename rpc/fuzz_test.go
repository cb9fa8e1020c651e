package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

func FuzzRecordReader(f *testing.F) {
	rec := callRecord(1, testProg, testVers, 0, OpaqueAuth{}, nil)
	f.Add(append(binary.BigEndian.AppendUint32(nil, uint32(len(rec))|lastFragment), rec...))
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0, 0x80, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 2, 1, 2, 0x80, 0, 0, 1, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		rr := recordReader{r: bufioReader(bytes.NewReader(in)), max: 1 << 16, bufs: &buffers{}}
		total := 0
		for {
			bp, err := rr.read(nil)
			if err != nil {
				break
			}
			if len(*bp) > 1<<16 {
				t.Fatalf("record of %d bytes over the limit", len(*bp))
			}
			total += len(*bp)
			rr.bufs.put(bp)
		}
		if total > len(in) {
			t.Fatalf("read %d record bytes from %d input bytes", total, len(in))
		}
	})
}

// FuzzHandle feeds arbitrary call records through the server's call path
// (header, auth, duplicate cache, dispatch); any reply must parse and carry
// the call's xid.
func FuzzHandle(f *testing.F) {
	f.Add(callRecord(1, testProg, testVers, 1, OpaqueAuth{}, xdr.Marshal(blob("x"))))
	f.Add(callRecord(2, testProg, testVers, 2, EncodeAuthSys(1, "m", 1, 2, []uint32{3}), xdr.Marshal(u32(1))))
	f.Add(callRecord(3, testProg, 9, 0, OpaqueAuth{Flavor: 6, Body: []byte{1, 2, 3, 4}}, nil))
	f.Add(callRecord(4, testProg, testVers, 4, OpaqueAuth{}, xdr.Marshal(u32(10))))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2})
	f.Add(callRecord(5, testProg, testVers, 0, OpaqueAuth{Flavor: AUTH_SYS, Body: make([]byte, 404)}, nil))
	f.Add(callRecord(6, testProg, testVers, 0, OpaqueAuth{}, nil)[:28])
	srv := &Server{Handler: testMux(nil), DuplicateCache: &DuplicateCache{}}
	srv.init()
	addr := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, in []byte) {
		r := srv.getRequest()
		p := append([]byte(nil), in...)
		r.buf = &p
		ok := srv.handle(context.Background(), r, addr)
		if ok {
			reply := r.w.flatten()[4:]
			if len(in) >= 4 && be32(reply) != be32(in) {
				t.Fatalf("reply xid %x for call xid %x", be32(reply), be32(in))
			}
			d := xdr.NewDecoder(reply)
			d.Uint32()
			if d.Uint32() != REPLY {
				t.Fatal("reply is not a REPLY")
			}
			if _, err := decodeReplyBody(d); d.Err() != nil {
				t.Fatalf("unparseable reply %x: %v", reply, err)
			}
		}
		r.buf = nil
		srv.putRequest(r)
	})
}

func FuzzAuthSys(f *testing.F) {
	f.Add(EncodeAuthSys(7, "host", 1000, 100, []uint32{1, 2}).Body)
	f.Add(EncodeAuthSys(0, "", 0, 0, nil).Body)
	f.Add([]byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &Call{RawCred: OpaqueAuth{Flavor: AUTH_SYS, Body: in}}
		if err := c.decodeAuthSys(); err != nil {
			return
		}
		if len(c.Cred.GIDs) > AuthSysMaxGroups || len(c.Cred.Machine) > AuthSysMaxMachine {
			t.Fatalf("limits exceeded: %d groups, %d-byte name", len(c.Cred.GIDs), len(c.Cred.Machine))
		}
		again := EncodeAuthSys(c.Cred.Stamp, c.Cred.Machine, c.Cred.UID, c.Cred.GID, c.Cred.GIDs).Body
		var d xdr.Decoder
		d.Reset(in)
		// Equal up to padding bytes, which a sender may fill with anything.
		if len(again) != len(in) {
			t.Fatalf("re-encoded %d bytes from %d", len(again), len(in))
		}
	})
}

func FuzzDecodeReply(f *testing.F) {
	var e xdr.Encoder
	for _, w := range []uint32{9, REPLY, MSG_ACCEPTED, 0, 0, 0, 7} {
		e.Uint32(w)
	}
	f.Add(e.Bytes())
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 13})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		var r u32
		_ = decodeReply(in, &r)
	})
}

// FuzzClientServeCall feeds arbitrary records, as a server would send
// them back, to a Client's backchannel path: no panic, and any reply it
// sends is a REPLY to the call's xid.
func FuzzClientServeCall(f *testing.F) {
	f.Add(callRecord(7, testProg, testVers, 0, OpaqueAuth{}, nil))
	f.Add(callRecord(8, testProg, testVers, 1, EncodeAuthSys(1, "m", 0, 0, nil), []byte{0, 0, 0, 1}))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, rec []byte) {
		if len(rec) < 8 {
			return
		}
		var sent [][]byte
		c := &Client{}
		c.caller.init()
		h := HandlerFunc(func(_ context.Context, w *ReplyWriter, call *Call) {
			var x uint32 = call.Args.Uint32()
			w.Encoder().Uint32(x)
		})
		c.nc = discardConn{sent: &sent}
		c.serveCall(h, append([]byte(nil), rec...))
		for _, r := range sent {
			if len(r) < 12 || !bytes.Equal(r[4:8], rec[:4]) || binary.BigEndian.Uint32(r[8:]) != REPLY {
				t.Fatalf("reply %x to call %x", r, rec[:8])
			}
		}
	})
}

// discardConn is a net.Conn that keeps what is written to it.
type discardConn struct {
	net.Conn
	sent *[][]byte
}

func (d discardConn) Write(p []byte) (int, error) {
	*d.sent = append(*d.sent, append([]byte(nil), p...))
	return len(p), nil
}

func (d discardConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

package portmap

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/rpc/portmap/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// FuzzServe runs every procedure of every version on arbitrary arguments,
// from a local and from a remote caller: no panic, and a successful call
// leaves results that are a whole number of XDR words.
func FuzzServe(f *testing.F) {
	f.Add(uint32(2), uint32(wire.PMAPPROC_SET), false, xdr.Marshal(&wire.Mapping{Prog: 1, Vers: 1, Prot: 6, Port: 111}))
	f.Add(uint32(2), uint32(wire.PMAPPROC_GETPORT), true, xdr.Marshal(&wire.Mapping{Prog: 1, Vers: 1, Prot: 17}))
	f.Add(uint32(4), uint32(wire.RPCBPROC_SET), false, xdr.Marshal(&wire.Rpcb{Prog: 1, Vers: 1, Netid: "tcp", Addr: "127.0.0.1.0.111"}))
	f.Add(uint32(3), uint32(wire.RPCBPROC_GETADDR), true, xdr.Marshal(&wire.Rpcb{Prog: 1, Vers: 1}))
	f.Add(uint32(4), uint32(wire.RPCBPROC_UADDR2TADDR), false, func() []byte { s := wire.String("::1.8.1"); return xdr.Marshal(&s) }())
	f.Add(uint32(4), uint32(wire.RPCBPROC_TADDR2UADDR), false, xdr.Marshal(&wire.Netbuf{Maxlen: 16, Buf: sockaddr(mustAddrPort("10.0.0.1:80"))}))
	f.Add(uint32(2), uint32(wire.PMAPPROC_CALLIT), true, xdr.Marshal(&wire.CallArgs{Prog: 1, Vers: 1, Args: []byte{1}}))
	f.Add(uint32(4), uint32(wire.RPCBPROC_GETSTAT), false, []byte{})
	f.Fuzz(func(t *testing.T, vers, proc uint32, udp bool, args []byte) {
		s := &Server{MaxMappings: 8}
		if err := s.SetPort(1, 1, TCP, 111); err != nil {
			t.Fatal(err)
		}
		for _, ci := range []callInfo{loopTCP, {udp: udp, remote: mustAddrPort("192.0.2.1:1").Addr()}} {
			ci.udp = udp
			var e xdr.Encoder
			r := s.serve(vers%6, proc%14, xdr.NewDecoder(args), &e, &ci)
			if r == resOK && e.Len()%4 != 0 {
				t.Fatalf("results of %d bytes", e.Len())
			}
			if r != resOK && e.Len() != 0 {
				t.Fatalf("result %v with %d bytes encoded", r, e.Len())
			}
		}
		if n := len(s.Mappings()); n > 8 {
			t.Fatalf("%d mappings in a table bounded to 8", n)
		}
	})
}

// FuzzParseUaddr checks that ParseUaddr never panics and that what it
// accepts formats back to an address that parses to the same value.
func FuzzParseUaddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1.0.111", "::1.8.1", "0.0.0.0.255.255", "fe80::1%eth0.1.1", "1.2.3.4.256.0", "..", "1.2.3.4.-1.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, err := ParseUaddr(s)
		if err != nil {
			return
		}
		back, err := ParseUaddr(FormatUaddr(ap))
		if err != nil || back != ap {
			t.Fatalf("%q → %v → %q → %v, %v", s, ap, FormatUaddr(ap), back, err)
		}
	})
}

// FuzzSockaddr checks the netbuf decoder of TADDR2UADDR.
func FuzzSockaddr(f *testing.F) {
	f.Add(sockaddr(mustAddrPort("127.0.0.1:111")))
	f.Add(sockaddr(mustAddrPort("[2001:db8::1]:2049")))
	f.Add([]byte{2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ap, ok := parseSockaddr(b)
		if !ok {
			return
		}
		again, ok := parseSockaddr(sockaddr(ap))
		if !ok || again.Port() != ap.Port() || again.Addr().Unmap() != ap.Addr().Unmap() {
			t.Fatalf("%x → %v → %v", b, ap, again)
		}
		if fam := binary.NativeEndian.Uint16(b); fam == afInet && !bytes.Equal(sockaddr(ap)[:8], b[:8]) {
			t.Fatalf("sockaddr_in %x re-encodes as %x", b[:8], sockaddr(ap)[:8])
		}
	})
}

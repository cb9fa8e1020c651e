package portmap

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap/internal/wire"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
)

const testProg = 400123

// serveLocal runs an rpc.Server with s and a test program (versions 1 and
// 2) on 127.0.0.1 over TCP and UDP on the same free port.
func serveLocal(t *testing.T, s *Server) (mux *rpc.ServeMux, port int) {
	t.Helper()
	mux = rpc.NewServeMux()
	s.Register(mux)
	mux.Handle(testProg, 1, rpc.Procs{rpc.Null})
	mux.Handle(testProg, 2, rpc.Procs{rpc.Null})
	l, pc := listenPair(t, "127.0.0.1:0")
	port = l.Addr().(*net.TCPAddr).Port
	startServer(t, mux, l, pc)
	return mux, port
}

func startServer(t *testing.T, mux *rpc.ServeMux, l net.Listener, pc net.PacketConn) {
	t.Helper()
	srv := &rpc.Server{Handler: mux}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); srv.Serve(l) }()
	go func() { defer wg.Done(); srv.ServePacket(pc) }()
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
}

// listenPair listens on TCP and UDP at the same port; with port 0 it
// retries a few times in case the UDP port is taken.
func listenPair(t *testing.T, addr string) (net.Listener, net.PacketConn) {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", l.Addr().String())
		if err == nil {
			return l, pc
		}
		l.Close()
	}
	t.Fatal("no port free on both TCP and UDP")
	return nil, nil
}

func dial(t *testing.T, network string, port int) *Client {
	t.Helper()
	c, err := Dial(t.Context(), network, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRpcbindOverTCPAndUDP(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	s := &Server{Clock: fixedClock(clock)}
	mux, port := serveLocal(t, s)
	if err := s.Advertise(mux, port, TCP, UDP); err != nil {
		t.Fatal(err)
	}
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			ctx := t.Context()
			c := dial(t, network, port)
			want := FormatUaddr(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)))
			addr, err := c.GetAddr(ctx, testProg, 2, true)
			if err != nil || addr != want {
				t.Fatalf("GETVERSADDR = %q, %v; want %q (the wildcard merged with the address we reached)", addr, err, want)
			}
			if addr, err := c.GetAddr(ctx, testProg, 9, true); err != nil || addr != "" {
				t.Fatalf("GETVERSADDR of an unregistered version = %q, %v", addr, err)
			}
			if addr, err := c.GetAddr(ctx, testProg, 9, false); err != nil || addr != want {
				t.Fatalf("GETADDR of another version = %q, %v; want %q", addr, err, want)
			}
			prot := map[string]uint32{"tcp": wire.IPPROTO_TCP, "udp": wire.IPPROTO_UDP}[network]
			if p, err := c.GetPort(ctx, testProg, 1, prot); err != nil || p != port {
				t.Fatalf("GETPORT = %d, %v; want %d", p, err, port)
			}
			if p, err := c.GetPort(ctx, 999, 1, prot); err != nil || p != 0 {
				t.Fatalf("GETPORT of an unknown program = %d, %v", p, err)
			}
			if tm, err := c.GetTime(ctx); err != nil || !tm.Equal(clock) {
				t.Fatalf("GETTIME = %v, %v", tm, err)
			}
			ms, err := c.Dump(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// 100000 v2-4 and 400123 v1-2, on tcp and udp.
			if len(ms) != 10 || !slices.ContainsFunc(ms, func(m Mapping) bool {
				return m.Prog == PortmapProgram && m.Vers == PortmapVersion4 && m.Netid == UDP && m.Owner == SuperUser
			}) {
				t.Fatalf("DUMP = %+v", ms)
			}
			pms, err := c.DumpPorts(ctx)
			if err != nil || len(pms) != 10 || !slices.Contains(pms, PortMapping{testProg, 2, wire.IPPROTO_TCP, uint32(port)}) {
				t.Fatalf("v2 DUMP = %+v, %v", pms, err)
			}
		})
	}
}

func TestSetUnset(t *testing.T) {
	s := &Server{}
	_, port := serveLocal(t, s)
	c := dial(t, "tcp", port)
	ctx := t.Context()
	m := Mapping{Prog: 300000, Vers: 1, Netid: TCP, Addr: "127.0.0.1.4.0", Owner: "1000"}
	if ok, err := c.Set(ctx, m); err != nil || !ok {
		t.Fatalf("SET = %v, %v", ok, err)
	}
	if ok, err := c.Set(ctx, m); err != nil || ok {
		t.Fatalf("second SET = %v, %v; want false", ok, err)
	}
	if ok, err := c.Set(ctx, Mapping{Prog: 300000, Vers: 1, Netid: TCP6, Addr: "::1.4.0"}); err != nil || !ok {
		t.Fatalf("SET tcp6 = %v, %v", ok, err)
	}
	if ok, err := c.Set(ctx, Mapping{Prog: 300001, Vers: 1, Netid: TCP, Addr: "not an address"}); err != nil || ok {
		t.Fatalf("SET with a bad uaddr = %v, %v", ok, err)
	}
	if p, err := c.GetPort(ctx, 300000, 1, wire.IPPROTO_TCP); err != nil || p != 1024 {
		t.Fatalf("GETPORT after SET = %d, %v", p, err)
	}
	if got := s.Mappings(); len(got) != 2 || got[0] != m {
		t.Fatalf("table = %+v", got)
	}
	if ok, err := c.Unset(ctx, 300000, 1, TCP6); err != nil || !ok {
		t.Fatalf("UNSET tcp6 = %v, %v", ok, err)
	}
	if ok, err := c.Unset(ctx, 300000, 1, ""); err != nil || !ok {
		t.Fatalf("UNSET all = %v, %v", ok, err)
	}
	if ok, err := c.Unset(ctx, 300000, 1, ""); err != nil || ok {
		t.Fatalf("UNSET of nothing = %v, %v", ok, err)
	}

	// Version 2.
	if ok, err := c.SetPort(ctx, 300002, 3, wire.IPPROTO_UDP, 2049); err != nil || !ok {
		t.Fatalf("v2 SET = %v, %v", ok, err)
	}
	if ok, err := c.SetPort(ctx, 300002, 3, wire.IPPROTO_UDP, 2050); err != nil || ok {
		t.Fatalf("v2 SET again = %v, %v; want false", ok, err)
	}
	if ok, err := c.SetPort(ctx, 300002, 3, 99, 2049); err != nil || ok {
		t.Fatalf("v2 SET of protocol 99 = %v, %v; want false", ok, err)
	}
	if m, ok := s.Lookup(300002, 3, UDP, false); !ok || m.Addr != "0.0.0.0.8.1" || m.Owner != "unknown" {
		t.Fatalf("v2 registration = %+v, %v", m, ok)
	}
	if ok, err := c.UnsetPort(ctx, 300002, 3); err != nil || !ok {
		t.Fatalf("v2 UNSET = %v, %v", ok, err)
	}
	if _, ok := s.Lookup(300002, 3, UDP, true); ok {
		t.Fatal("still registered after v2 UNSET")
	}
}

func TestRegisterSystem(t *testing.T) {
	s := &Server{}
	_, port := serveLocal(t, s)
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)).String()
	ms := PortMappings(100003, 3, 2049, TCP, UDP, TCP6)
	if err := RegisterSystem(t.Context(), addr, ms...); err != nil {
		t.Fatal(err)
	}
	// Registering again replaces rather than fails.
	ms2 := PortMappings(100003, 3, 2050, TCP)
	if err := RegisterSystem(t.Context(), addr, ms2...); err != nil {
		t.Fatal(err)
	}
	if m, ok := s.Lookup(100003, 3, TCP, false); !ok || m.Addr != "0.0.0.0.8.2" {
		t.Fatalf("after re-registering: %+v, %v", m, ok)
	}
	if m, ok := s.Lookup(100003, 3, TCP6, false); !ok || m.Addr != "::.8.1" {
		t.Fatalf("tcp6: %+v, %v", m, ok)
	}
	if err := UnregisterSystem(t.Context(), addr, ms...); err != nil {
		t.Fatal(err)
	}
	if got := s.Mappings(); len(got) != 0 {
		t.Fatalf("left after unregistering: %+v", got)
	}
}

// TestRegisterSystemV2Only registers with a portmapper that has only
// version 2, as old systems do.
func TestRegisterSystemV2Only(t *testing.T) {
	s := &Server{}
	mux := rpc.NewServeMux()
	mux.Handle(PortmapProgram, PortmapVersion2, s)
	l, pc := listenPair(t, "127.0.0.1:0")
	startServer(t, mux, l, pc)
	if err := RegisterSystem(t.Context(), l.Addr().String(), PortMappings(100005, 3, 635, TCP, UDP)...); err != nil {
		t.Fatal(err)
	}
	if len(s.Mappings()) != 2 {
		t.Fatalf("table = %+v", s.Mappings())
	}
	if err := RegisterSystem(t.Context(), l.Addr().String(), PortMappings(100005, 3, 635, TCP6)...); !errors.Is(err, ErrBadMapping) {
		t.Fatalf("tcp6 on a version 2 portmapper: %v", err)
	}
	if err := UnregisterSystem(t.Context(), l.Addr().String(), PortMappings(100005, 3, 635, TCP)...); err != nil {
		t.Fatal(err)
	}
	if len(s.Mappings()) != 0 {
		t.Fatalf("table = %+v", s.Mappings())
	}
}

func TestRegisterSystemNoPortmapper(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	if err := RegisterSystem(t.Context(), addr, PortMappings(100003, 3, 2049, TCP)...); !errors.Is(err, ErrNoRPCBind) {
		t.Fatalf("err = %v, want ErrNoRPCBind", err)
	}
}

// call runs one procedure through serve.
func call(s *Server, vers, proc uint32, args []byte, ci callInfo) (result, []byte) {
	var e xdr.Encoder
	r := s.serve(vers, proc, xdr.NewDecoder(args), &e, &ci)
	return r, e.Bytes()
}

var loopTCP = callInfo{remote: netip.MustParseAddr("127.0.0.1"), local: netip.MustParseAddr("127.0.0.1"), isLoop: true, owner: SuperUser}

func TestRemoteSetDenied(t *testing.T) {
	s := &Server{}
	remote := callInfo{remote: netip.MustParseAddr("192.0.2.7"), local: netip.MustParseAddr("192.0.2.1")}
	m := xdr.Marshal(&wire.Mapping{Prog: 1, Vers: 1, Prot: wire.IPPROTO_TCP, Port: 1})
	r := xdr.Marshal(&wire.Rpcb{Prog: 1, Vers: 1, Netid: TCP, Addr: "0.0.0.0.0.1"})
	for _, tc := range []struct {
		vers, proc uint32
		args       []byte
	}{
		{2, wire.PMAPPROC_SET, m}, {2, wire.PMAPPROC_UNSET, m},
		{3, wire.RPCBPROC_SET, r}, {4, wire.RPCBPROC_UNSET, r},
	} {
		if res, _ := call(s, tc.vers, tc.proc, tc.args, remote); res != resTooWeak {
			t.Errorf("v%d proc %d from a remote host: %v, want resTooWeak", tc.vers, tc.proc, res)
		}
	}
	if len(s.Mappings()) != 0 {
		t.Fatal("remote SET changed the table")
	}
}

func TestCallitRefused(t *testing.T) {
	s := &Server{}
	args := xdr.Marshal(&wire.CallArgs{Prog: testProg, Vers: 1, Proc: 0})
	udp := loopTCP
	udp.udp = true
	for _, tc := range []struct {
		vers, proc uint32
		ci         callInfo
		want       result
	}{
		{2, wire.PMAPPROC_CALLIT, loopTCP, resNoProc},
		{2, wire.PMAPPROC_CALLIT, udp, resDrop},
		{3, wire.RPCBPROC_CALLIT, loopTCP, resNoProc},
		{4, wire.RPCBPROC_BCAST, udp, resDrop},
		{4, wire.RPCBPROC_INDIRECT, udp, resNoProc},
		{4, wire.RPCBPROC_INDIRECT, loopTCP, resNoProc},
		{3, wire.RPCBPROC_INDIRECT, loopTCP, resNoProc},
	} {
		if res, _ := call(s, tc.vers, tc.proc, args, tc.ci); res != tc.want {
			t.Errorf("v%d proc %d udp=%v: %v, want %v", tc.vers, tc.proc, tc.ci.udp, res, tc.want)
		}
	}
	// Over a real connection: TCP gets PROC_UNAVAIL.
	_, port := serveLocal(t, s)
	c := dial(t, "tcp", port)
	var res wire.CallResult
	err := c.rc.Call(t.Context(), PortmapProgram, PortmapVersion2, wire.PMAPPROC_CALLIT, xdrArgs(args), &res)
	var re *rpc.ReplyError
	if !errors.As(err, &re) || re.Accept != rpc.PROC_UNAVAIL {
		t.Fatalf("CALLIT over TCP: %v, want PROC_UNAVAIL", err)
	}
}

// xdrArgs sends pre-encoded arguments.
type xdrArgs []byte

func (a xdrArgs) MarshalXDR(e *xdr.Encoder) { e.FixedOpaque(a) }
func (a xdrArgs) SizeXDR() int              { return len(a) }

func TestAddressConversions(t *testing.T) {
	s := &Server{}
	str := func(v string) []byte { x := wire.String(v); return xdr.Marshal(&x) }
	for _, tc := range []struct {
		uaddr string
		ap    netip.AddrPort
	}{
		{"127.0.0.1.8.1", netip.MustParseAddrPort("127.0.0.1:2049")},
		{"::1.0.111", netip.MustParseAddrPort("[::1]:111")},
		{"fe80::1:2.255.255", netip.MustParseAddrPort("[fe80::1:2]:65535")},
	} {
		res, out := call(s, 4, wire.RPCBPROC_UADDR2TADDR, str(tc.uaddr), loopTCP)
		var nb wire.Netbuf
		if err := xdr.Unmarshal(out, &nb); res != resOK || err != nil {
			t.Fatalf("UADDR2TADDR(%s): %v %v", tc.uaddr, res, err)
		}
		if !bytes.Equal(nb.Buf, sockaddr(tc.ap)) || int(nb.Maxlen) != len(nb.Buf) {
			t.Fatalf("UADDR2TADDR(%s) = %x", tc.uaddr, nb.Buf)
		}
		fam := binary.NativeEndian.Uint16(nb.Buf)
		if port := binary.BigEndian.Uint16(nb.Buf[2:]); port != tc.ap.Port() || (fam != afInet && fam != afInet6) {
			t.Fatalf("sockaddr family %d port %d", fam, port)
		}
		res, out = call(s, 3, wire.RPCBPROC_TADDR2UADDR, xdr.Marshal(&nb), loopTCP)
		var u wire.String
		if err := xdr.Unmarshal(out, &u); res != resOK || err != nil || string(u) != tc.uaddr {
			t.Fatalf("TADDR2UADDR = %q, %v %v; want %q", u, res, err, tc.uaddr)
		}
	}
	// Malformed input gives the empty results rpcbind sends.
	_, out := call(s, 4, wire.RPCBPROC_UADDR2TADDR, str("nonsense"), loopTCP)
	if !bytes.Equal(out, make([]byte, 8)) {
		t.Fatalf("UADDR2TADDR(nonsense) = %x, want an empty netbuf", out)
	}
	_, out = call(s, 4, wire.RPCBPROC_TADDR2UADDR, xdr.Marshal(&wire.Netbuf{Maxlen: 2, Buf: []byte{9, 9}}), loopTCP)
	if !bytes.Equal(out, make([]byte, 4)) {
		t.Fatalf("TADDR2UADDR(junk) = %x, want an empty string", out)
	}
}

func TestGarbageAndVersions(t *testing.T) {
	s := &Server{}
	for _, tc := range []struct {
		vers, proc uint32
		want       result
	}{
		{2, wire.PMAPPROC_SET, resGarbage},
		{2, wire.PMAPPROC_GETPORT, resGarbage},
		{3, wire.RPCBPROC_GETADDR, resGarbage},
		{4, wire.RPCBPROC_TADDR2UADDR, resGarbage},
		{2, 6, resNoProc},
		{3, wire.RPCBPROC_GETVERSADDR, resNoProc},
		{3, wire.RPCBPROC_GETSTAT, resNoProc},
		{4, 13, resNoProc},
		{1, 0, resMismatch},
		{5, 0, resMismatch},
	} {
		if res, _ := call(s, tc.vers, tc.proc, []byte{0, 0, 0}, loopTCP); res != tc.want {
			t.Errorf("v%d proc %d with 3 bytes of arguments: %v, want %v", tc.vers, tc.proc, res, tc.want)
		}
	}
}

func TestGetAddrListAndStats(t *testing.T) {
	s := &Server{}
	for _, n := range []string{TCP, UDP, TCP6, UDP6} {
		if err := s.SetPort(testProg, 1, n, 700); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(Mapping{Prog: testProg, Vers: 1, Netid: "local", Addr: "/run/x.sock", Owner: "0"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(Mapping{Prog: testProg, Vers: 1, Netid: "local", Addr: "/run/y.sock"}); !errors.Is(err, ErrExists) {
		t.Fatalf("Set twice: %v", err)
	}
	arg := xdr.Marshal(&wire.Rpcb{Prog: testProg, Vers: 1})
	res, out := call(s, 4, wire.RPCBPROC_GETADDRLIST, arg, loopTCP)
	var l wire.RpcbEntryList
	if err := xdr.Unmarshal(out, &l); res != resOK || err != nil {
		t.Fatal(res, err)
	}
	want := []wire.RpcbEntry{
		{Maddr: "127.0.0.1.2.188", NcNetid: TCP, NcSemantics: wire.NC_TPI_COTS_ORD, NcProtofmly: "inet", NcProto: "tcp"},
		{Maddr: "127.0.0.1.2.188", NcNetid: UDP, NcSemantics: wire.NC_TPI_CLTS, NcProtofmly: "inet", NcProto: "udp"},
	}
	if !slices.Equal(l.Entries, want) {
		t.Fatalf("GETADDRLIST = %+v", l.Entries)
	}
	call(s, 2, wire.PMAPPROC_GETPORT, xdr.Marshal(&wire.Mapping{Prog: testProg, Vers: 1, Prot: wire.IPPROTO_TCP}), loopTCP)
	call(s, 2, wire.PMAPPROC_GETPORT, xdr.Marshal(&wire.Mapping{Prog: 1, Vers: 1, Prot: wire.IPPROTO_TCP}), loopTCP)
	res, out = call(s, 4, wire.RPCBPROC_GETSTAT, nil, loopTCP)
	var st wire.RpcbStatByvers
	if err := xdr.Unmarshal(out, &st); res != resOK || err != nil {
		t.Fatal(res, err)
	}
	v2 := st.Vers[wire.RPCBVERS_2_STAT]
	if v2.Info[wire.PMAPPROC_GETPORT] != 2 || len(v2.Addrinfo) != 2 || v2.Addrinfo[0].Success != 1 || v2.Addrinfo[1].Failure != 1 {
		t.Fatalf("version 2 stats = %+v", v2)
	}
	if v4 := st.Vers[wire.RPCBVERS_4_STAT]; v4.Info[wire.RPCBPROC_GETADDRLIST] != 1 || v4.Info[wire.RPCBPROC_GETSTAT] != 1 {
		t.Fatalf("version 4 stats = %+v", v4.Info)
	}
}

func TestTableBound(t *testing.T) {
	s := &Server{MaxMappings: 2}
	if err := s.SetPort(1, 1, TCP, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPort(1, 2, TCP, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPort(1, 3, TCP, 1); !errors.Is(err, ErrFull) {
		t.Fatalf("third mapping: %v, want ErrFull", err)
	}
	if err := s.SetPort(1, 2, TCP, 5); err != nil {
		t.Fatalf("replacing in a full table: %v", err)
	}
	if err := s.SetPort(1, 2, "local", 5); !errors.Is(err, ErrBadMapping) {
		t.Fatalf("SetPort on a non-IP netid: %v", err)
	}
}

// TestConcurrentUse registers and looks up from many goroutines; run it
// with -race.
func TestConcurrentUse(t *testing.T) {
	s := &Server{}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if ctx.Err() != nil {
					return
				}
				prog := uint32(g*1000 + i)
				if err := s.SetPort(prog, 1, TCP, 10); err != nil {
					t.Error(err)
					return
				}
				call(s, 2, wire.PMAPPROC_DUMP, nil, loopTCP)
				s.Lookup(prog, 1, TCP, false)
				s.Unset(prog, 1, "")
			}
		}()
	}
	wg.Wait()
	if n := len(s.Mappings()); n != 0 {
		t.Fatalf("%d mappings left", n)
	}
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestDumpGolden checks the DUMP encodings against bytes written by hand
// from RFC 1833: version 2's pmaplist and rpcbind's rp__list are
// optional-data lists ending in FALSE.
func TestDumpGolden(t *testing.T) {
	s := &Server{}
	if err := s.SetPort(100003, 3, TCP, 2049); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(Mapping{Prog: 100005, Vers: 1, Netid: "udp6", Addr: "::.2.123", Owner: "ab"}); err != nil {
		t.Fatal(err)
	}
	w := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	res, out := call(s, 2, wire.PMAPPROC_DUMP, nil, loopTCP)
	want := bytes.Join([][]byte{
		w(1), w(100003), w(3), w(6), w(2049), // the udp6 mapping has no version 2 form
		w(0),
	}, nil)
	if res != resOK || !bytes.Equal(out, want) {
		t.Fatalf("v2 DUMP:\n got %x\nwant %x", out, want)
	}
	res, out = call(s, 3, wire.RPCBPROC_DUMP, nil, loopTCP)
	want = bytes.Join([][]byte{
		w(1), w(100003), w(3), w(3), []byte("tcp\x00"), w(11), []byte("0.0.0.0.8.1\x00"), w(9), []byte("superuser\x00\x00\x00"),
		w(1), w(100005), w(1), w(4), []byte("udp6"), w(8), []byte("::.2.123"), w(2), []byte("ab\x00\x00"),
		w(0),
	}, nil)
	if res != resOK || !bytes.Equal(out, want) {
		t.Fatalf("v3 DUMP:\n got %x\nwant %x", out, want)
	}
}

func BenchmarkGetport(b *testing.B) {
	s := &Server{}
	for i := range 32 {
		if err := s.SetPort(uint32(100000+i), 3, TCP, 2049); err != nil {
			b.Fatal(err)
		}
	}
	args := xdr.Marshal(&wire.Mapping{Prog: 100031, Vers: 3, Prot: wire.IPPROTO_TCP})
	var e xdr.Encoder
	var d xdr.Decoder
	ci := loopTCP
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(e.Bytes())
		d.Reset(args)
		if s.serve(2, wire.PMAPPROC_GETPORT, &d, &e, &ci) != resOK {
			b.Fatal("GETPORT failed")
		}
	}
}

func TestNonIdempotent(t *testing.T) {
	s := &Server{}
	mux := rpc.NewServeMux()
	s.Register(mux)
	for _, tc := range []struct {
		vers, proc uint32
		want       bool
	}{
		{2, wire.PMAPPROC_SET, true}, {3, wire.RPCBPROC_UNSET, true}, {4, wire.RPCBPROC_SET, true},
		{2, wire.PMAPPROC_GETPORT, false}, {4, wire.RPCBPROC_DUMP, false},
	} {
		if got := mux.NonIdempotent(PortmapProgram, tc.vers, tc.proc); got != tc.want {
			t.Errorf("v%d proc %d: NonIdempotent = %v", tc.vers, tc.proc, got)
		}
	}
}

// TestPrograms: Programs lists what Register serves.
func TestPrograms(t *testing.T) {
	mux := rpc.NewServeMux()
	(&Server{}).Register(mux)
	want := Programs()
	rpctest.Sort(want)
	if got := rpctest.Registered(mux); !slices.Equal(got, want) {
		t.Fatalf("registered %v, Programs() %v", got, want)
	}
}

// fixedClock is a clock stopped at one time.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
func (fixedClock) AfterFunc(d time.Duration, f func()) interface{ Stop() bool } {
	return time.AfterFunc(d, f)
}

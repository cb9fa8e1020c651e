// Package rpctest runs ONC RPC servers on 127.0.0.1 for tests, on ports
// the operating system chooses, and stops them when the test ends.
package rpctest

import (
	"cmp"
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/rpc"
)

// Start serves srv over TCP on 127.0.0.1 and returns its address. When the
// test ends srv is closed and Start waits for Serve to return.
func Start(tb testing.TB, srv *rpc.Server) netip.AddrPort {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	tb.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// StartUDP serves srv over UDP on 127.0.0.1 and returns its address, as
// Start does over TCP.
func StartUDP(tb testing.TB, srv *rpc.Server) netip.AddrPort {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.ServePacket(pc) }()
	tb.Cleanup(func() { srv.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Serve serves h with a zero rpc.Server over TCP on 127.0.0.1 and returns
// its address (see Start).
func Serve(tb testing.TB, h rpc.Handler) netip.AddrPort {
	tb.Helper()
	return Start(tb, &rpc.Server{Handler: h})
}

// Dial connects a client to addr over network (rpc.TCP or rpc.UDP) and
// closes it when the test ends.
func Dial(tb testing.TB, network string, addr netip.AddrPort) *rpc.Client {
	tb.Helper()
	c, err := rpc.Dial(context.Background(), network, addr.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// Registered returns the (program, version) pairs registered on mux,
// sorted: what a package's Programs function must list.
func Registered(mux *rpc.ServeMux) []rpc.Program {
	var ps []rpc.Program
	mux.Programs(func(prog, vers uint32) { ps = append(ps, rpc.Program{Prog: prog, Vers: vers}) })
	Sort(ps)
	return ps
}

// Sort sorts programs by number, then version.
func Sort(ps []rpc.Program) {
	slices.SortFunc(ps, func(a, b rpc.Program) int {
		return cmp.Or(cmp.Compare(a.Prog, b.Prog), cmp.Compare(a.Vers, b.Vers))
	})
}

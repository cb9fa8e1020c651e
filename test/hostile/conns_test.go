package hostile

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
)

// nullOn calls NULL on nc (raw) and reports whether it was answered
// within callDeadline.
func nullOn(nc net.Conn, xid uint32) bool {
	nc.SetDeadline(time.Now().Add(callDeadline))
	defer nc.SetDeadline(time.Time{})
	if _, err := nc.Write(record(callRecord(xid, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil))); err != nil {
		return false
	}
	rep, err := readRecord(nc)
	return err == nil && len(rep) >= 4 && binary.BigEndian.Uint32(rep) == xid
}

// dialFrom connects to addr from the local address ip (port chosen by
// the OS).
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// TestConnectionsPerAddress: one address may not take the whole
// connection table. RFC 5531 sets no limit; Linux knfsd has none per
// address either (only a total, and it drops the oldest idle connection),
// so the cap, the close at accept and its default are ours: 64
// (rpc.DefaultMaxConnsPerAddr), above the Linux client's largest nconnect
// (16) plus its NLM, NSM and MOUNT connections.
func TestConnectionsPerAddress(t *testing.T) {
	s := start(t, nil)
	var conns []net.Conn
	for i := range rpc.DefaultMaxConnsPerAddr {
		nc := dialFrom(t, "127.0.0.1", s.tcp)
		if !nullOn(nc, uint32(i+1)) {
			t.Fatalf("connection %d of %d not served", i+1, rpc.DefaultMaxConnsPerAddr)
		}
		conns = append(conns, nc)
	}
	over := dialFrom(t, "127.0.0.1", s.tcp)
	if !waitClosed(over, callDeadline) {
		t.Fatalf("connection %d from one address not closed at once", rpc.DefaultMaxConnsPerAddr+1)
	}
	// Another address is served, and so are the first 64 still.
	if other := dialFrom(t, "127.0.0.2", s.tcp); !nullOn(other, 1000) {
		t.Fatal("a connection from another address is not served")
	}
	for i, nc := range conns {
		if !nullOn(nc, uint32(2000+i)) {
			t.Fatalf("connection %d no longer served", i+1)
		}
	}
	st := s.rpc.Stats()
	if st.ConnsRejectedPerAddr != 1 || st.ConnsRejected != 0 {
		t.Errorf("ConnsRejectedPerAddr %d, ConnsRejected %d; want 1, 0", st.ConnsRejectedPerAddr, st.ConnsRejected)
	}
	if !s.log.contains("rpc: connection limit of one address reached") {
		t.Error("no log line for the rejected connection")
	}
	// When one closes, the address may open another.
	conns[0].Close()
	deadline := time.Now().Add(callDeadline)
	for {
		nc := dialFrom(t, "127.0.0.1", s.tcp)
		if nullOn(nc, 3000) {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("no new connection accepted after one closed")
		}
	}

	t.Run("total kept", func(t *testing.T) {
		s := start(t, func(srv *rpc.Server) { srv.MaxConns = 2; srv.MaxConnsPerAddr = 5 })
		for i, ip := range []string{"127.0.0.1", "127.0.0.2"} {
			if !nullOn(dialFrom(t, ip, s.tcp), uint32(i+1)) {
				t.Fatalf("connection from %s not served", ip)
			}
		}
		if !waitClosed(dialFrom(t, "127.0.0.3", s.tcp), callDeadline) {
			t.Fatal("connection over MaxConns not closed")
		}
		if st := s.rpc.Stats(); st.ConnsRejected != 1 || st.ConnsRejectedPerAddr != 0 {
			t.Errorf("ConnsRejected %d, ConnsRejectedPerAddr %d; want 1, 0", st.ConnsRejected, st.ConnsRejectedPerAddr)
		}
	})
}

package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	return client, server
}

func TestRelayCopiesBothWaysAndHalfCloses(t *testing.T) {
	// An upstream that upper-cases what it reads until EOF, then answers.
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		c, err := up.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		_, _ = c.Write(bytes.ToUpper(b))
	}()
	guest, slirpSide := tcpPair(t)
	defer guest.Close()
	done := make(chan error, 1)
	go func() { done <- relayConn(slirpSide, up.Addr().String()) }()

	msg := strings.Repeat("request bytes ", 20000) // several segments
	if _, err := guest.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	_ = guest.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(guest)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.ToUpper(msg) {
		t.Errorf("got %d bytes back, want %d upper-cased", len(got), len(msg))
	}
	if err := <-done; err != nil {
		t.Errorf("relay: %v", err)
	}
}

func TestRelayRefusesNonLoopback(t *testing.T) {
	for _, target := range []string{"10.0.2.2:2049", "192.0.2.1:1", "example.com:80", "nonsense"} {
		_, slirpSide := tcpPair(t)
		if err := relayConn(slirpSide, target); err == nil {
			t.Errorf("relay to %s allowed", target)
		}
	}
}

// BenchmarkRelayRoundTrip measures one small request and reply through the
// relay, the pattern of an NFS RPC.
func BenchmarkRelayRoundTrip(b *testing.B) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer up.Close()
	go func() {
		c, err := up.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 8192)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf[:200]); err != nil {
				return
			}
		}
	}()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			_ = relayConn(c, up.Addr().String())
		}
	}()
	guest, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer guest.Close()
	req := make([]byte, 8192) // an 8 KiB WRITE: more than one segment
	reply := make([]byte, 200)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if _, err := guest.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(guest, reply); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRPCPing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		call := make([]byte, 44)
		if _, err := io.ReadFull(c, call); err != nil {
			return
		}
		// Accepted reply: marker, xid, REPLY, MSG_ACCEPTED, AUTH_NONE, SUCCESS.
		reply := append([]byte{0x80, 0, 0, 24}, call[4:8]...)
		reply = append(reply, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		_, _ = c.Write(reply)
	}()
	if err := rpcPing(l.Addr().String(), "100003", "3", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// A listener that closes at once (what a relay with no server behind it
	// looks like) is not an RPC server.
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	go func() {
		if c, err := l2.Accept(); err == nil {
			c.Close()
		}
	}()
	if err := rpcPing(l2.Addr().String(), "100003", "3", 5*time.Second); err == nil {
		t.Error("rpcping succeeded against a closing listener")
	}
}

func TestNullCallEncoding(t *testing.T) {
	b := nullCall(0x01020304, 0x40000000, 1)
	want := []byte{0x80, 0, 0, 40, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 2, 0x40, 0, 0, 0, 0, 0, 0, 1}
	want = append(want, make([]byte, 20)...)
	if !bytes.Equal(b, want) {
		t.Errorf("got % x\nwant % x", b, want)
	}
}

func FuzzCheckReply(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 24, 1, 2, 3, 4, 0, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := checkReply(b, 0x01020304); err == nil && len(b) < 12 {
			t.Fatal("accepted a short reply")
		}
	})
}

// mountstatsOf returns /proc/self/mountstats text as a Linux 6.1 guest
// shows it (trimmed), with one NFS mount of vers and the given counts of
// RELEASE_LOCKOWNER and FREE_STATEID.
func mountstatsOf(fstype, vers string, release, free int) string {
	return "device rootfs mounted on / with fstype rootfs\n" +
		"device proc mounted on /proc with fstype proc\n" +
		"device 10.0.2.100:/export mounted on /mnt/nfs with fstype " + fstype + " statvers=1.1\n" +
		"\topts:\trw,vers=" + vers + ",rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=0.0.0.0,local_lock=none\n" +
		"\tage:\t0\n" +
		"\tnfsv4:\tbm0=0xfdffafff,bm1=0x40f9be3e,bm2=0x802,acl=0x1,sessions,pnfs=not configured,lease_time=15,lease_expired=0\n" +
		"\tRPC iostats version: 1.1  p/v: 100003/4 (nfs)\n" +
		"\txprt:\ttcp 0 0 2 0 0 33 33 0 33 0 2 0 0\n" +
		"\tper-op statistics\n" +
		"\t        NULL: 1 1 0 44 24 88 32 122 0\n" +
		"\t       LOCKU: 2 2 0 432 224 0 5 6 0\n" +
		fmt.Sprintf("\tRELEASE_LOCKOWNER: %d %d 0 0 0 0 0 0 0\n", release, release) +
		fmt.Sprintf("\tFREE_STATEID: %d %d 0 312 176 2 1 4 0\n", free, free) +
		"\n"
}

// TestParseStateFrees checks which call counts as freeing a lock state:
// FREE_STATEID in NFSv4.1 and later (RFC 8881 §18.38), RELEASE_LOCKOWNER
// in 4.0 (RFC 7530 §16.37), nothing for NFSv3 or without an NFS mount.
func TestParseStateFrees(t *testing.T) {
	for _, c := range []struct {
		name string
		text string
		want int64
	}{
		{"v4.1", mountstatsOf("nfs4", "4.1", 0, 7), 7},
		{"v4.2", mountstatsOf("nfs4", "4.2", 3, 5), 5},
		{"v4.0", mountstatsOf("nfs4", "4.0", 4, 0), 4},
		{"v3", strings.Replace(mountstatsOf("nfs", "3", 0, 0), "RELEASE_LOCKOWNER", "X", 1), -1},
		{"no NFS mount", "device rootfs mounted on / with fstype rootfs\ndevice proc mounted on /proc with fstype proc\n", -1},
		{"fresh v4.1 mount", mountstatsOf("nfs4", "4.1", 0, 0), 0},
		{"two mounts", mountstatsOf("nfs4", "4.1", 0, 2) + mountstatsOf("nfs4", "4.0", 3, 0), 5},
	} {
		got, err := parseStateFrees(c.text)
		if err != nil || got != c.want {
			t.Errorf("%s: %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	bad := strings.Replace(mountstatsOf("nfs4", "4.1", 0, 1), "FREE_STATEID: 1", "FREE_STATEID: x", 1)
	if _, err := parseStateFrees(bad); err == nil {
		t.Error("a count that is not a number was accepted")
	}
}

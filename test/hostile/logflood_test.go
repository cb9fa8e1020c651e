package hostile

import (
	"net"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// TestLogFlood: what a client can repeat at will must not write a log
// line each time. Malformed calls over UDP and TCP (every kind of RFC
// 5531 §9 rejection, and calls that cannot be answered) produce at most
// one line per kind per second, and the count of the lines left out
// (Stats.LogSuppressed, and "suppressed=N" on the next line of the
// kind).
func TestLogFlood(t *testing.T) {
	s := start(t, nil)
	big := rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: make([]byte, 404)}
	wrongVers := callRecord(0, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)
	wrongVers[11] = 3 // rpcvers
	var garbage xdr.Encoder
	garbage.Uint32(3)
	kinds := [][]byte{
		callRecord(0, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)[:16], // header cut short
		callRecord(0, progNFS, 3, procNull, big, nil),                   // credential over 400 bytes
		wrongVers, // RPC_MISMATCH
		callRecord(0, progNFS, 3, procNull, rpc.OpaqueAuth{Flavor: 390004}, nil),                      // unknown flavor
		callRecord(0, progNFS, 3, procNull, rpc.EncodeAuthSys(1, "m", 0, 0, make([]uint32, 17)), nil), // bad AUTH_SYS
		withVerifier(0, rootCred, rpc.AUTH_NONE, make([]byte, 404), nil),                              // verifier over 400 bytes
		{1, 2, 3, 4, 0, 0, 0, 1, 5, 6}, // a reply, to a server
	}
	const rounds = 400
	start := time.Now()
	sent := 0

	udp, err := net.Dial("udp", s.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := net.Dial("tcp", s.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go func() { // drain the TCP replies
		buf := make([]byte, 1<<16)
		for {
			if _, err := tcp.Read(buf); err != nil {
				return
			}
		}
	}()
	for i := range rounds {
		for k, msg := range kinds {
			xdr.NewEncoder(msg[:0]).Uint32(uint32(i*len(kinds) + k))
			udp.Write(msg)
			sent += len(msg)
			if k < len(kinds)-1 { // the last kind closes a TCP connection
				tcp.Write(record(msg))
				sent += len(msg) + 4
			}
		}
	}
	// Records that are neither calls nor replies close their connection:
	// one line per connection before, one per second now.
	for i := range 100 {
		nc, err := net.Dial("tcp", s.tcp)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(record([]byte{0, 0, 0, byte(i), 0, 0, 0, 7}))
		sent += 12
		waitClosed(nc, callDeadline)
		nc.Close()
	}
	// The well-formed call after them all is answered on each transport.
	fresh, err := net.Dial("tcp", s.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if !nullOn(fresh, 1<<30) {
		t.Fatal("NULL over TCP not answered after the flood")
	}
	c, err := rpc.Dial(t.Context(), "udp", s.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Call(t.Context(), progNFS, 3, procNull, nil, nil); err != nil {
		t.Fatal(err)
	}

	byMsg, lines, logBytes := s.log.counts()
	elapsed := time.Since(start)
	// One line per kind, and one more for each second the test ran.
	limit := len(byMsg) * (2 + int(elapsed/time.Second))
	t.Logf("%d bytes of bad calls in %v: %d log lines, %d bytes (%.4f log bytes per byte received); %d kinds: %v",
		sent, elapsed.Round(time.Millisecond), lines, logBytes, float64(logBytes)/float64(sent), len(byMsg), byMsg)
	if lines > limit {
		t.Fatalf("%d log lines for %d bad calls in %v, want at most %d", lines, rounds*len(kinds)*2, elapsed, limit)
	}
	st := s.rpc.Stats()
	if st.LogSuppressed == 0 {
		t.Error("Stats.LogSuppressed is 0")
	}
	if st.MalformedCalls == 0 || st.AuthDenied == 0 {
		t.Errorf("MalformedCalls %d, AuthDenied %d", st.MalformedCalls, st.AuthDenied)
	}
	for _, msg := range []string{"rpc: malformed credential", "rpc: wrong RPC version", "rpc: record is neither call nor reply; closing connection"} {
		if byMsg[msg] == 0 {
			t.Errorf("no line %q: the first of each kind must get through", msg)
		}
	}
}

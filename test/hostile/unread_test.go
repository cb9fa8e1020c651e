package hostile

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// Attack of clients that pipeline large READs and never read a byte of
// the replies: the numbers, ten connections of 140 READs of 1 MiB.
const (
	attackConns = 10
	attackReads = 140
	attackCount = 1 << 20
)

// callDeadline is how long one call of the well-behaved client may take
// during an attack; far above a normal GETATTR (well under a
// millisecond), far below the 30 s write timeout an attack used to freeze
// the server for.
const callDeadline = 5 * time.Second

// readArgs are READ3args (RFC 1813 §3.3.6): file, offset, count.
func readArgs(fh []byte, off uint64, count uint32) []byte {
	var e xdr.Encoder
	e.Opaque(fh)
	e.Uint64(off)
	e.Uint32(count)
	return e.Bytes()
}

// unreadAttack opens attackConns connections that each pipeline
// attackReads READs of attackCount bytes of fh and never read, and
// returns them; they are closed at the end of the test.
func unreadAttack(t *testing.T, s *server, fh []byte) (conns []net.Conn) {
	t.Helper()
	var batch []byte
	for i := range attackReads {
		batch = append(batch, record(callRecord(uint32(i+1), progNFS, 3, procRead, rootCred, readArgs(fh, 0, attackCount)))...)
	}
	for range attackConns {
		nc, err := net.Dial("tcp", s.tcp)
		if err != nil {
			t.Fatal(err)
		}
		// A small receive window, so that the kernel holds little of
		// what the server writes before it must hold the rest itself.
		nc.(*net.TCPConn).SetReadBuffer(64 << 10)
		if _, err := nc.Write(batch); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
	}
	t.Cleanup(func() {
		for _, nc := range conns {
			nc.Close()
		}
	})
	return conns
}

// wellBehaved runs n GETATTRs and NULLs, and reads of the whole file,
// each of which must complete within callDeadline; it returns the
// slowest GETATTR.
func wellBehaved(t *testing.T, c *rpc.Client, fh []byte, n int, reads bool) time.Duration {
	t.Helper()
	var slowest time.Duration
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), callDeadline)
		start := time.Now()
		if err := getattr(ctx, c, fh); err != nil {
			cancel()
			t.Fatalf("GETATTR %d of a well-behaved client during the attack: %v after %v", i, err, time.Since(start))
		}
		slowest = max(slowest, time.Since(start))
		if err := c.Call(ctx, progNFS, 3, procNull, nil, nil); err != nil {
			cancel()
			t.Fatalf("NULL %d of a well-behaved client during the attack: %v", i, err)
		}
		if reads && i%10 == 0 {
			var res raw
			if err := c.Call(ctx, progNFS, 3, procRead, raw(readArgs(fh, 0, bigSize)), &res); err != nil {
				cancel()
				t.Fatalf("READ %d of a well-behaved client during the attack: %v after %v", i, err, time.Since(start))
			}
		}
		cancel()
	}
	return slowest
}

// waitStats polls the server's counters until ok holds or 10 s pass.
func waitStats(t *testing.T, s *server, what string, ok func(rpc.Stats) bool) rpc.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.rpc.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in 10 s; stats %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUnreadReplies: clients that pipeline READs and never read the
// replies must not stop the server from answering others, nor make it
// hold their replies without bound. RFC 5531 §11 record marking over
// TCP gives the server no way to refuse a call but not reading it, which
// is what it does to a connection whose replies pile up (TCP
// backpressure), within MaxReplyBytesPerConn and MaxReplyBytes.
func TestUnreadReplies(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		s := start(t, nil)
		good := s.dial(t)
		fh := fileHandle(t, good, bigFile)
		unreadAttack(t, s, fh)
		// Every attacking connection has filled its reply budget (no more
		// READ replies fit), so its other calls wait for room and it is
		// not read any more.
		full := int64(attackConns * (rpc.DefaultMaxReplyBytesPerConn - attackCount))
		waitStats(t, s, "attackers at their reply limit", func(st rpc.Stats) bool { return st.ReplyBytes >= full })
		slowest := wellBehaved(t, good, fh, 50, true)
		st := s.rpc.Stats()
		t.Logf("slowest GETATTR during the attack: %v; reply bytes peak %d", slowest, st.ReplyBytesPeak)
		// Each connection holds at most its limit; the well-behaved one
		// one READ reply besides.
		if limit := int64(attackConns*rpc.DefaultMaxReplyBytesPerConn + 2*bigSize); st.ReplyBytesPeak > limit {
			t.Errorf("reply bytes peaked at %d, want at most %d", st.ReplyBytesPeak, limit)
		}
		if st.ReplyBytesPeak > rpc.DefaultMaxReplyBytes {
			t.Errorf("reply bytes peaked at %d, over DefaultMaxReplyBytes", st.ReplyBytesPeak)
		}
	})
	t.Run("total limit and write timeout", func(t *testing.T) {
		const total = 8 << 20
		s := start(t, func(srv *rpc.Server) {
			srv.MaxReplyBytes = total
			srv.WriteTimeout = time.Second
		})
		good := s.dial(t)
		fh := fileHandle(t, good, bigFile)
		conns := unreadAttack(t, s, fh)
		waitStats(t, s, "total reply limit reached", func(st rpc.Stats) bool { return st.ReplyWaits > 0 })
		// Calls without payload go on while the attackers hold the whole
		// reply budget; READs wait for room, which the write timeout
		// frees by closing the attackers.
		wellBehaved(t, good, fh, 20, false)
		wellBehaved(t, good, fh, 1, true)
		st := waitStats(t, s, "attackers closed by the write timeout", func(st rpc.Stats) bool { return st.WriteTimeouts >= attackConns })
		// Replies without payload are counted when queued and may pass
		// the limit by their size: allow for a few.
		if st.ReplyBytesPeak > total+64<<10 {
			t.Errorf("reply bytes peaked at %d, limit %d", st.ReplyBytesPeak, total)
		}
		for i, nc := range conns {
			if !waitClosed(nc, callDeadline) {
				t.Errorf("attacker %d not closed after the write timeout", i)
			}
		}
		waitStats(t, s, "reply bytes back to zero", func(st rpc.Stats) bool { return st.ReplyBytes == 0 })
		if !s.log.contains("rpc: client does not read its replies") {
			t.Error("no log line for the write timeout")
		}
	})
}

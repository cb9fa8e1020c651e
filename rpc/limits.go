package rpc

import (
	"sync"
	"sync/atomic"
)

// Stats are a Server's counters of the limits it enforces against
// misbehaving or hostile peers, read with Server.Stats. Counters only
// grow; ReplyBytes is a gauge.
type Stats struct {
	// ReplyBytes is the number of reply bytes the server holds now for
	// TCP connections: payload buffers of calls still running
	// (ReplyWriter.Buffer) and replies waiting to be written.
	// ReplyBytesPeak is its highest value so far. See MaxReplyBytes.
	ReplyBytes     int64
	ReplyBytesPeak int64
	// ReadPauses counts the times a connection stopped being read
	// because it held MaxReplyBytesPerConn of unsent replies, and
	// ReplyWaits the calls that waited for room under MaxReplyBytesPerConn
	// or MaxReplyBytes before taking a payload buffer.
	ReadPauses uint64
	ReplyWaits uint64
	// WriteTimeouts counts connections closed because a reply could not
	// be written within WriteTimeout (the peer does not read).
	WriteTimeouts uint64
	// RecordTimeouts counts connections closed because a record had not
	// arrived whole within RecordTimeout.
	RecordTimeouts uint64
	// ConnsRejected counts connections closed at accept because MaxConns
	// were open, ConnsRejectedPerAddr those closed because their address
	// had MaxConnsPerAddr open.
	ConnsRejected        uint64
	ConnsRejectedPerAddr uint64
	// MalformedCalls counts calls that could not be decoded far enough
	// to be answered (a header cut short, a datagram or record that is
	// neither a call nor a reply); they are dropped, and a stream that
	// carries one is closed.
	MalformedCalls uint64
	// AuthDenied counts calls answered MSG_DENIED (AUTH_ERROR or
	// RPC_MISMATCH).
	AuthDenied uint64
	// LogSuppressed counts log lines the server's rate limiter left
	// out (one line per kind per second gets through).
	LogSuppressed uint64
}

// counters are the atomic counters behind Stats.
type counters struct {
	readPauses, replyWaits, writeTimeouts, recordTimeouts atomic.Uint64
	connsRejected, connsRejectedPerAddr                   atomic.Uint64
	malformed, denied                                     atomic.Uint64
}

// Stats returns the server's counters.
func (srv *Server) Stats() Stats {
	srv.init()
	c := &srv.counters
	used, peak := srv.replies.load()
	return Stats{
		ReplyBytes:           used,
		ReplyBytesPeak:       peak,
		ReadPauses:           c.readPauses.Load(),
		ReplyWaits:           c.replyWaits.Load(),
		WriteTimeouts:        c.writeTimeouts.Load(),
		RecordTimeouts:       c.recordTimeouts.Load(),
		ConnsRejected:        c.connsRejected.Load(),
		ConnsRejectedPerAddr: c.connsRejectedPerAddr.Load(),
		MalformedCalls:       c.malformed.Load(),
		AuthDenied:           c.denied.Load(),
		LogSuppressed:        srv.logs.Suppressed(),
	}
}

// byteBudget accounts bytes against a limit: the reply bytes of one
// connection, or of the whole server. Taking never blocks; callers that
// must wait for room wait on the channel from room.
type byteBudget struct {
	mu    sync.Mutex
	used  int64
	peak  int64
	limit int64
	// waiters counts the calls waiting for room; the reader of a
	// connection with waiters does not read more calls.
	waiters int
	wake    chan struct{} // closed when used or waiters fall, if someone waits
}

func (b *byteBudget) load() (used, peak int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.peak
}

// fits reports whether n more bytes fit: within the limit, or into an
// empty budget (so that one reply larger than the limit still goes).
// b.mu is held.
func (b *byteBudget) fits(n int64) bool { return b.used == 0 || b.used+n <= b.limit }

// full reports whether the budget is used up or calls wait for room.
// b.mu is held.
func (b *byteBudget) full() bool { return b.used >= b.limit || b.waiters > 0 }

// isFull is full with b.mu taken.
func (b *byteBudget) isFull() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.full()
}

// wakeAll wakes the waiters. b.mu is held.
func (b *byteBudget) wakeAll() {
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
}

// waitChan returns a channel closed when used next falls. b.mu is held.
func (b *byteBudget) waitChan() <-chan struct{} {
	if b.wake == nil {
		b.wake = make(chan struct{})
	}
	return b.wake
}

// add takes n bytes without checking the limit. b.mu is held.
func (b *byteBudget) add(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// release gives back n bytes and wakes the waiters.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.wakeAll()
	b.mu.Unlock()
}

// take adds n bytes to the connection's and the server's budgets when
// both have room and reports true; otherwise it returns a channel to wait
// on before trying again. waiting says whether the caller is counted in
// conn.waiters: it is counted from its first failure to its success.
func take(conn, total *byteBudget, n int64, waiting bool) (bool, <-chan struct{}) {
	conn.mu.Lock()
	defer conn.mu.Unlock()
	if !conn.fits(n) {
		if !waiting {
			conn.waiters++
		}
		return false, conn.waitChan()
	}
	total.mu.Lock()
	defer total.mu.Unlock()
	if !total.fits(n) {
		if !waiting {
			conn.waiters++
		}
		return false, total.waitChan()
	}
	conn.add(n)
	total.add(n)
	if waiting {
		conn.waiters--
		conn.wakeAll()
	}
	return true, nil
}

// force adds n bytes to both budgets whatever their limits.
func force(conn, total *byteBudget, n int64) {
	conn.mu.Lock()
	conn.add(n)
	conn.mu.Unlock()
	total.mu.Lock()
	total.add(n)
	total.mu.Unlock()
}

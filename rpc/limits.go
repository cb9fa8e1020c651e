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
	// inline counts calls run on their connection's reading goroutine,
	// handoffs the times such a call gave the reading to a new one.
	inline, handoffs atomic.Uint64
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
// connection, or of the whole server. Bytes that must be checked against
// the limit are taken under mu (take); bytes that are not (add) and
// releases are atomic adds, and a release takes mu only when someone
// sleeps on the budget.
type byteBudget struct {
	used  atomic.Int64
	peak  atomic.Int64
	limit int64
	// waiters counts the calls waiting for room; a connection with
	// waiters is not read (see full).
	waiters atomic.Int64
	// sleepers counts the goroutines that may sleep on wake; they
	// register before they check, so that a release after their check
	// sees them.
	sleepers atomic.Int64
	mu       sync.Mutex
	wake     chan struct{} // closed when used or waiters fall
}

func (b *byteBudget) load() (used, peak int64) { return b.used.Load(), b.peak.Load() }

// full reports whether the budget is used up or calls wait for room.
func (b *byteBudget) full() bool { return b.used.Load() >= b.limit || b.waiters.Load() > 0 }

// add takes n bytes whatever the limit.
func (b *byteBudget) add(n int64) {
	u := b.used.Add(n)
	for p := b.peak.Load(); u > p && !b.peak.CompareAndSwap(p, u); p = b.peak.Load() {
	}
}

// fits reports whether n more bytes fit: within the limit, or into an
// empty budget (so that one reply larger than the limit still goes).
func (b *byteBudget) fits(n int64) bool {
	u := b.used.Load()
	return u == 0 || u+n <= b.limit
}

// release gives back n bytes and wakes the sleepers.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.used.Add(-n)
	b.wakeAll()
}

// wakeAll wakes whoever sleeps on the budget.
func (b *byteBudget) wakeAll() {
	if b.sleepers.Load() == 0 {
		return
	}
	b.mu.Lock()
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	b.mu.Unlock()
}

// waitChan returns the channel the next release closes. b.mu is held.
func (b *byteBudget) waitChan() <-chan struct{} {
	if b.wake == nil {
		b.wake = make(chan struct{})
	}
	return b.wake
}

// take adds n bytes to the connection's and the server's budgets when
// both have room and reports true; otherwise it returns the channel to
// sleep on, which the caller may only do after registering as a sleeper
// on both budgets before calling take.
func take(conn, total *byteBudget, n int64) (bool, <-chan struct{}) {
	conn.mu.Lock()
	defer conn.mu.Unlock()
	if !conn.fits(n) {
		return false, conn.waitChan()
	}
	total.mu.Lock()
	defer total.mu.Unlock()
	if !total.fits(n) {
		return false, total.waitChan()
	}
	conn.add(n)
	total.add(n)
	return true, nil
}

// force adds n bytes to both budgets whatever their limits.
func force(conn, total *byteBudget, n int64) {
	conn.add(n)
	total.add(n)
}

package rpc

import (
	"hash/crc32"
	"net/netip"
	"sync"
)

// DuplicateCache is the server's duplicate request cache for
// non-idempotent calls (those a NonIdempotent handler names). A
// retransmission of a call that has completed gets the first reply again,
// byte for byte, instead of running twice (so a retransmitted REMOVE does
// not fail with NOENT); a retransmission of a call still in progress is
// dropped. Calls are matched by client address, xid, program, version,
// procedure and a checksum of the first bytes of the arguments, as Linux
// knfsd does.
//
// The cache is bounded in entries and in reply bytes; the least recently
// used completed entries are evicted first. The zero value is ready to use
// with the default bounds. It is safe for concurrent use.
type DuplicateCache struct {
	// MaxEntries bounds the number of cached replies (default 4096).
	MaxEntries int
	// MaxBytes bounds the total size of cached replies (default 16 MiB).
	MaxBytes int

	mu    sync.Mutex
	m     map[drcKey]*drcEntry
	head  drcEntry // sentinel of the LRU list of completed entries; head.next is oldest
	bytes int

	hits, drops uint64
}

type drcKey struct {
	addr                  netip.Addr
	xid, prog, vers, proc uint32
	sum                   uint32
	n                     int
}

type drcEntry struct {
	key        drcKey
	reply      []byte // nil while in progress
	prev, next *drcEntry
}

// drcSumBytes is how much of the arguments goes into the checksum.
const drcSumBytes = 256

type drcAction int

const (
	drcRun drcAction = iota
	drcReplay
	drcDrop
)

func newDRCKey(addr netip.Addr, c *Call) drcKey {
	b := c.body
	k := drcKey{addr: addr.Unmap(), xid: c.XID, prog: c.Prog, vers: c.Vers, proc: c.Proc, n: len(b)}
	k.sum = crc32.ChecksumIEEE(b[:min(len(b), drcSumBytes)])
	return k
}

func (dc *DuplicateCache) limits() (entries, bytes int) {
	entries, bytes = dc.MaxEntries, dc.MaxBytes
	if entries <= 0 {
		entries = 4096
	}
	if bytes <= 0 {
		bytes = 16 << 20
	}
	return entries, bytes
}

// begin looks key up. For drcReplay it returns a copy-safe reference to
// the cached reply (cached replies are never modified).
func (dc *DuplicateCache) begin(k drcKey) (drcAction, []byte) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.m == nil {
		dc.m = make(map[drcKey]*drcEntry)
		dc.head.prev, dc.head.next = &dc.head, &dc.head
	}
	if e := dc.m[k]; e != nil {
		if e.reply == nil {
			dc.drops++
			return drcDrop, nil
		}
		dc.hits++
		dc.unlink(e)
		dc.pushBack(e)
		return drcReplay, e.reply
	}
	dc.m[k] = &drcEntry{key: k}
	return drcRun, nil
}

// finish stores the reply of a call begun with drcRun, or forgets the call
// when reply is nil (it was dropped, so a retransmission must run).
func (dc *DuplicateCache) finish(k drcKey, reply []byte) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	e := dc.m[k]
	if e == nil || e.reply != nil {
		return
	}
	maxEntries, maxBytes := dc.limits()
	if reply == nil || len(reply) > maxBytes {
		delete(dc.m, k)
		return
	}
	e.reply = append([]byte(nil), reply...)
	dc.bytes += len(e.reply)
	dc.pushBack(e)
	for (len(dc.m) > maxEntries || dc.bytes > maxBytes) && dc.head.next != &dc.head {
		old := dc.head.next
		dc.unlink(old)
		dc.bytes -= len(old.reply)
		delete(dc.m, old.key)
	}
}

func (dc *DuplicateCache) pushBack(e *drcEntry) {
	e.prev, e.next = dc.head.prev, &dc.head
	dc.head.prev.next = e
	dc.head.prev = e
}

func (dc *DuplicateCache) unlink(e *drcEntry) {
	if e.prev == nil {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// Stats returns the number of cached replies, their total size, how many
// retransmissions were answered from the cache, and how many were dropped
// because the first call was still in progress.
func (dc *DuplicateCache) Stats() (entries, bytes int, hits, drops uint64) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return len(dc.m), dc.bytes, dc.hits, dc.drops
}

// NonIdempotentCall is implemented by handlers that tell a
// non-idempotent call by its arguments too (an NFSv4.0 COMPOUND is
// non-idempotent when one of its operations is). It takes the place of
// NonIdempotent for the handler's calls and must not consume c.Args.
type NonIdempotentCall interface {
	NonIdempotentCall(c *Call) bool
}

// NonIdempotentCall asks the handler registered for c's program and
// version: its NonIdempotentCall, or else its NonIdempotent.
func (m *ServeMux) NonIdempotentCall(c *Call) bool {
	h, _, _, _ := m.Handler(c.Prog, c.Vers)
	return nonIdempotent(h, c)
}

// nonIdempotent reports whether the duplicate cache keeps the reply of c
// by h.
func nonIdempotent(h Handler, c *Call) bool {
	if ni, ok := h.(NonIdempotentCall); ok {
		return ni.NonIdempotentCall(c)
	}
	ni, ok := h.(NonIdempotent)
	return ok && ni.NonIdempotent(c.Prog, c.Vers, c.Proc)
}

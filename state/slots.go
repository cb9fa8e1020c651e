package state

import (
	"errors"
	"sync"
)

// Errors of SEQUENCE on a session's slot table.
var (
	ErrBadSlot          = errors.New("state: slot id past the slot table")          // NFS4ERR_BADSLOT
	ErrSlotBusy         = errors.New("state: slot in use")                          // NFS4ERR_DELAY
	ErrRetryUncachedRep = errors.New("state: retransmission of a reply not cached") // NFS4ERR_RETRY_UNCACHED_REP
	ErrSeqMisordered    = errors.New("state: sequence id out of order")             // NFS4ERR_SEQ_MISORDERED
)

// slotTable is the fore channel slot table of an NFSv4.1 session, with
// its reply cache: the exactly-once semantics of RFC 8881 §2.10.6.
//
// Each slot remembers the sequence id of its last request and, when the
// client asked for it (sa_cachethis), that request's whole COMPOUND
// reply, bit for bit. A request on a slot is one of:
//
//   - new (sequence id one more than the slot's, modulo 2^32): it runs,
//     and the slot is busy until it ends;
//   - a retransmission (the same sequence id): it gets the cached reply,
//     or ErrRetryUncachedRep when none was kept; it never runs again;
//   - anything else: ErrSeqMisordered.
//
// A request for a busy slot gets ErrSlotBusy (NFS4ERR_DELAY) whatever
// its sequence id (the Linux server does the same): the first request is
// still running, so a retransmission must wait for its reply, and a new
// request is a client bug. A slot id past the table is ErrBadSlot.
//
// Memory is bounded by construction: a table holds at most len(slots)
// replies of at most maxCached bytes each; a reply that would be larger
// is not cached and its retransmission gets ErrRetryUncachedRep
// (CREATE_SESSION tells the client maxCached as ca_maxresponsesize_cached,
// so a well-behaved client never asks for more).
type slotTable struct {
	mu        sync.Mutex
	slots     []slot
	maxCached int
	// highest is the highest slot id in use by a request seen (for
	// sr_highest_slotid reporting).
	highest uint32
}

type slot struct {
	seq    uint32
	used   bool // a request has been seen on this slot
	busy   bool
	cached bool
	reply  []byte
}

func newSlotTable(n, maxCached int) *slotTable {
	return &slotTable{slots: make([]slot, n), maxCached: maxCached}
}

// begin classifies a request on slotid with sequence id seq. For a new
// request it returns nil and no error, and the slot is busy until end;
// for a retransmission with a cached reply it returns a copy of that
// reply (a copy: a hostile client could start the next request on the
// slot while the replay is being sent).
func (t *slotTable) begin(slotid, seq uint32) (replay []byte, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if int64(slotid) >= int64(len(t.slots)) {
		return nil, ErrBadSlot
	}
	s := &t.slots[slotid]
	if s.busy {
		return nil, ErrSlotBusy
	}
	switch {
	case seq == s.seq+1 || (!s.used && seq == 1):
		s.busy = true
		s.seq = seq
		s.used = true
		s.cached = false
		s.reply = s.reply[:0]
		t.highest = max(t.highest, slotid)
		return nil, nil
	case s.used && seq == s.seq:
		if !s.cached {
			return nil, ErrRetryUncachedRep
		}
		return append([]byte(nil), s.reply...), nil
	}
	return nil, ErrSeqMisordered
}

// end finishes the request running on slotid: reply (the whole encoded
// COMPOUND result, or nil) is kept for retransmissions when cache is set
// and it fits; it is copied.
func (t *slotTable) end(slotid uint32, reply []byte, cache bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.slots[slotid]
	s.busy = false
	if cache && len(reply) <= t.maxCached {
		s.reply = append(s.reply[:0], reply...)
		s.cached = true
	}
}

// size returns the number of slots.
func (t *slotTable) size() int { return len(t.slots) }

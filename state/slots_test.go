package state

import (
	"bytes"
	"errors"
	"testing"
)

// The slot table's exactly-once semantics (RFC 8881 §2.10.6.1): a new
// request is the slot's sequence id plus one, a retransmission gets the
// cached reply or ErrRetryUncachedRep, anything else is misordered, and a
// busy slot answers ErrSlotBusy (NFS4ERR_DELAY, as Linux knfsd).
func TestSlotTable(t *testing.T) {
	st := newSlotTable(2, 16)
	step := func(slot, seq uint32, want error, wantReplay string) {
		t.Helper()
		r, got := st.begin(slot, seq)
		if !errors.Is(got, want) || (want == nil) != (got == nil) || string(r) != wantReplay {
			t.Fatalf("slot %d seq %d: %v %q, want %v %q", slot, seq, got, r, want, wantReplay)
		}
	}
	step(2, 1, ErrBadSlot, "")
	step(0, 0, ErrSeqMisordered, "") // nothing to retransmit yet
	step(0, 2, ErrSeqMisordered, "")
	step(0, 1, nil, "")
	step(0, 1, ErrSlotBusy, "") // in progress
	step(0, 2, ErrSlotBusy, "")
	st.end(0, []byte("reply one"), true)
	step(0, 1, nil, "reply one") // replay
	step(0, 1, nil, "reply one")
	step(0, 3, ErrSeqMisordered, "")
	step(0, 2, nil, "")
	st.end(0, []byte("not cached"), false)
	step(0, 2, ErrRetryUncachedRep, "")
	step(0, 1, ErrSeqMisordered, "") // older than the last
	step(0, 3, nil, "")
	st.end(0, bytes.Repeat([]byte("x"), 17), true) // larger than maxCached
	step(0, 3, ErrRetryUncachedRep, "")
	// The other slot is independent; sequence ids wrap.
	st.slots[1] = slot{seq: ^uint32(0), used: true}
	step(1, 0, nil, "")
	buf := []byte("wrapped")
	st.end(1, buf, true)
	buf[0] = 'X' // the table keeps a copy
	step(1, 0, nil, "wrapped")
}

package nfs4

import (
	"bytes"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
)

func TestSlotTable(t *testing.T) {
	st := newSlotTable(2, 16)
	step := func(slot, seq uint32, want wire.Nfsstat4, wantReplay string) {
		t.Helper()
		r, got := st.begin(slot, seq)
		if got != want || string(r) != wantReplay {
			t.Fatalf("slot %d seq %d: %v %q, want %v %q", slot, seq, got, r, want, wantReplay)
		}
	}
	step(2, 1, wire.NFS4ERR_BADSLOT, "")
	step(0, 0, wire.NFS4ERR_SEQ_MISORDERED, "") // nothing to retransmit yet
	step(0, 2, wire.NFS4ERR_SEQ_MISORDERED, "")
	step(0, 1, wire.NFS4_OK, "")
	step(0, 1, wire.NFS4ERR_DELAY, "") // in progress
	step(0, 2, wire.NFS4ERR_DELAY, "")
	st.end(0, []byte("reply one"), true)
	step(0, 1, wire.NFS4_OK, "reply one") // replay
	step(0, 1, wire.NFS4_OK, "reply one")
	step(0, 3, wire.NFS4ERR_SEQ_MISORDERED, "")
	step(0, 2, wire.NFS4_OK, "")
	st.end(0, []byte("not cached"), false)
	step(0, 2, wire.NFS4ERR_RETRY_UNCACHED_REP, "")
	step(0, 1, wire.NFS4ERR_SEQ_MISORDERED, "") // older than the last
	step(0, 3, wire.NFS4_OK, "")
	st.end(0, bytes.Repeat([]byte("x"), 17), true) // larger than maxCached
	step(0, 3, wire.NFS4ERR_RETRY_UNCACHED_REP, "")
	// The other slot is independent; sequence ids wrap.
	st.slots[1] = slot{seq: ^uint32(0), used: true}
	step(1, 0, wire.NFS4_OK, "")
	buf := []byte("wrapped")
	st.end(1, buf, true)
	buf[0] = 'X' // the table keeps a copy
	step(1, 0, wire.NFS4_OK, "wrapped")
}

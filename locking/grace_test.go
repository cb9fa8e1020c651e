package locking

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

func openOn(t *testing.T, meta store.Metadata, grace time.Duration) *Manager {
	t.Helper()
	m, err := Open(context.Background(), Options{Persist: meta, Grace: grace})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGraceWithoutPersistence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		m, err := Open(ctx, Options{Grace: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if !m.InGrace(ctx) {
			t.Fatal("not in grace after Open")
		}
		if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true}); err != ErrGrace {
			t.Fatalf("new lock in grace: %v", err)
		}
		if _, err := m.Test(ctx, 1, nlmA, Range{}, true); err != ErrGrace {
			t.Fatalf("test in grace: %v", err)
		}
		if err := m.Share(ctx, 1, ShareRequest{Owner: v4C, Access: ModeRead}); err != ErrGrace {
			t.Fatalf("share in grace: %v", err)
		}
		if _, err := m.Grant(ctx, 1, v4C, GrantRead, nil); err != ErrGrace {
			t.Fatalf("grant in grace: %v", err)
		}
		if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true, Reclaim: true}); err != nil {
			t.Fatalf("reclaim in grace: %v", err)
		}
		if err := m.Lock(ctx, 1, Request{Owner: nlmB, Exclusive: true, Reclaim: true}); !errors.Is(err, ErrDenied) {
			t.Fatalf("conflicting reclaim: %v", err)
		}
		// Without persistence nobody is known, so completing does not end grace.
		m.ReclaimComplete(ctx, ProtoNLM, "hostA")
		time.Sleep(30*time.Second - time.Nanosecond) // fake time inside the bubble
		if !m.InGrace(ctx) {
			t.Fatal("grace ended early")
		}
		time.Sleep(time.Nanosecond)
		if m.InGrace(ctx) {
			t.Fatal("grace did not end")
		}
		if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 1}, Reclaim: true}); err != ErrNoGrace {
			t.Fatalf("reclaim after grace: %v", err)
		}
		if err := m.Lock(ctx, 2, Request{Owner: nlmA, Exclusive: true}); err != nil {
			t.Fatalf("lock after grace: %v", err)
		}
	})
}

func TestPersistenceAndRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		meta := memory.NewMetadata()
		m := openOn(t, meta, 0)
		if m.InGrace(ctx) {
			t.Fatal("fresh store starts in grace")
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 10}, Exclusive: true}))
		must(m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{20, 10}}))
		must(m.Lock(ctx, 2, Request{Owner: v4C, Range: Range{0, 0}}))
		must(m.Share(ctx, 3, ShareRequest{Owner: smbD, Access: ModeRead, Deny: ModeWrite}))
		must(m.Lock(ctx, 4, Request{Owner: nlmB, Exclusive: true}))
		must(m.Unlock(ctx, 4, nlmB, Range{}))
		m.Close()

		// Restart: everyone who held state is expected to reclaim.
		m = openOn(t, meta, 0)
		defer func() { m.Close() }()
		if !m.InGrace(ctx) {
			t.Fatal("restart with held locks is not in grace")
		}
		if end := m.GraceEnd(); !end.Equal(time.Now().Add(DefaultGrace)) {
			t.Fatalf("grace ends %v, want %v from now", end, DefaultGrace)
		}
		if len(m.Locks(1)) != 0 {
			t.Fatal("locks reinstated without reclaim")
		}
		if err := m.Lock(ctx, 1, Request{Owner: nlmB, Exclusive: true}); err != ErrGrace {
			t.Fatalf("non-reclaim: %v", err)
		}
		must(m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 10}, Exclusive: true, Reclaim: true}))
		m.ReclaimComplete(ctx, ProtoNLM, "hostA")
		must(m.Lock(ctx, 2, Request{Owner: v4C, Reclaim: true}))
		m.ReclaimComplete(ctx, ProtoNFS4, "client-c")
		if !m.InGrace(ctx) {
			t.Fatal("grace ended before every client completed")
		}
		// Crash in grace: what was held before and what was reclaimed both count.
		m.Close()
		m = openOn(t, meta, 0)
		if !m.InGrace(ctx) {
			t.Fatal("no grace after a crash in grace")
		}
		must(m.Share(ctx, 3, ShareRequest{Owner: smbD, Access: ModeRead, Deny: ModeWrite, Reclaim: true}))
		for _, c := range []struct {
			p Proto
			c string
		}{{ProtoNLM, "hostA"}, {ProtoNFS4, "client-c"}, {ProtoSMB, "session-d"}} {
			m.ReclaimComplete(ctx, c.p, c.c)
		}
		if m.InGrace(ctx) {
			t.Fatal("grace did not end when every client completed")
		}
		// The state of earlier boots is gone; only the reclaimed share is left.
		m.Close()
		m = openOn(t, meta, 0)
		if !m.InGrace(ctx) {
			t.Fatal("reclaimed share not persisted")
		}
		m.ReclaimComplete(ctx, ProtoSMB, "session-d")
		if m.InGrace(ctx) {
			t.Fatal("grace did not end: state of older boots was kept")
		}
		// After grace, a plain lock works and the old state is forgotten.
		must(m.Lock(ctx, 1, Request{Owner: nlmB, Exclusive: true}))
	})
}

func TestGraceDisabled(t *testing.T) {
	ctx := context.Background()
	meta := memory.NewMetadata()
	m := openOn(t, meta, -1)
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	m = openOn(t, meta, -1)
	defer m.Close()
	if m.InGrace(ctx) {
		t.Fatal("grace with Grace < 0")
	}
	if err := m.Lock(ctx, 1, Request{Owner: nlmB, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptRecordFailsOpen(t *testing.T) {
	ctx := context.Background()
	meta := memory.NewMetadata()
	m := openOn(t, meta, 0)
	m.Close()
	if err := meta.Update(ctx, func(tx store.Tx) error { return tx.Put(m.key(keyFile, 1, 9), []byte{1, 200}) }); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, Options{Persist: meta}); !errors.Is(err, errCorrupt) {
		t.Fatalf("Open over a corrupt record: %v", err)
	}
}

// failingMeta fails every Update with err.
type failingMeta struct {
	store.Metadata
	err error
}

func (f *failingMeta) Update(ctx context.Context, fn func(store.Tx) error) error {
	if f.err != nil {
		return f.err
	}
	return f.Metadata.Update(ctx, fn)
}

func TestPersistFailureLeavesStateUnchanged(t *testing.T) {
	ctx := context.Background()
	fm := &failingMeta{Metadata: memory.NewMetadata()}
	m, err := Open(ctx, Options{Persist: fm})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	fm.err = store.ErrIO
	if err := m.Unlock(ctx, 1, nlmA, Range{}); !errors.Is(err, store.ErrIO) {
		t.Fatalf("unlock: %v", err)
	}
	if err := m.Lock(ctx, 2, Request{Owner: nlmA}); !errors.Is(err, store.ErrIO) {
		t.Fatalf("lock: %v", err)
	}
	if len(m.Locks(1)) != 1 || len(m.Locks(2)) != 0 {
		t.Fatalf("state changed by failed writes: %v %v", m.Locks(1), m.Locks(2))
	}
	fm.err = store.ErrConflict // retried, then reported
	if err := m.Unlock(ctx, 1, nlmA, Range{}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("unlock under conflicts: %v", err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeRecord([]heldLock{{owner: nlmA, first: 1, last: 9, excl: true}}, []share{{owner: v4C, access: 1, deny: 2}}))
	f.Add(encodeRecord(nil, nil))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		r2, err := decodeRecord(encodeRecord(r.locks, r.shares))
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if len(r2.locks) != len(r.locks) || len(r2.shares) != len(r.shares) {
			t.Fatal("round trip changed the record")
		}
		for i := range r.locks {
			if r.locks[i] != r2.locks[i] {
				t.Fatal("round trip changed a lock")
			}
		}
	})
}

// A client that held state before the restart and never comes back to
// reclaim it does not hold the grace period open past its bound: the
// others reclaim and complete, grace lasts until Grace has passed, and
// the silent client's locks are not reinstated.
func TestSilentClientBoundedByGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		meta := memory.NewMetadata()
		m := openOn(t, meta, time.Minute)
		if err := m.Lock(ctx, 1, Request{Owner: v4C, Range: Range{0, 10}, Exclusive: true}); err != nil {
			t.Fatal(err)
		}
		if err := m.Lock(ctx, 2, Request{Owner: nlmA, Exclusive: true}); err != nil {
			t.Fatal(err)
		}
		m.Close()

		m = openOn(t, meta, time.Minute)
		defer m.Close()
		if err := m.Lock(ctx, 1, Request{Owner: v4C, Range: Range{0, 10}, Exclusive: true, Reclaim: true}); err != nil {
			t.Fatal(err)
		}
		m.ReclaimComplete(ctx, ProtoNFS4, "client-c")
		time.Sleep(time.Minute - time.Nanosecond)
		if !m.InGrace(ctx) {
			t.Fatal("grace ended before its bound while hostA may still reclaim")
		}
		time.Sleep(time.Nanosecond)
		if m.InGrace(ctx) {
			t.Fatal("a client that never reclaimed kept the grace period open past its bound")
		}
		if err := m.Lock(ctx, 2, Request{Owner: nlmA, Exclusive: true, Reclaim: true}); err != ErrNoGrace {
			t.Fatalf("late reclaim: %v, want ErrNoGrace", err)
		}
		if err := m.Lock(ctx, 2, Request{Owner: nlmB, Exclusive: true}); err != nil {
			t.Fatalf("the silent client's lock was reinstated: %v", err)
		}
		if err := m.Lock(ctx, 1, Request{Owner: nlmB, Range: Range{0, 10}, Exclusive: true}); !errors.Is(err, ErrDenied) {
			t.Fatalf("the reclaimed lock was lost: %v", err)
		}
	})
}

package hostile

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
)

// putCounter is a store.Metadata that counts the Puts of its
// transactions and the bytes (key and value) they write.
type putCounter struct {
	store.Metadata
	puts, bytes int64
}

func (c *putCounter) Update(ctx context.Context, fn func(store.Tx) error) error {
	return c.Metadata.Update(ctx, func(tx store.Tx) error { return fn(countingTx{tx, c}) })
}

type countingTx struct {
	store.Tx
	c *putCounter
}

func (t countingTx) Put(k, v []byte) error {
	t.c.puts++
	t.c.bytes += int64(len(k) + len(v))
	return t.Tx.Put(k, v)
}

// openOwner is the i-th NFSv4 open-owner, ten to a client, with names of
// one length so that every share reservation stores the same bytes.
func openOwner(i int) locking.Owner {
	return locking.Owner{Proto: locking.ProtoNFS4, Client: fmt.Sprintf("client-%05d", i/10), Key: fmt.Sprintf("open-owner-%06d", i)}
}

// TestManyOpensOfOneFile is a hostile workload: 20,000 OPENs of one file
// by distinct open-owners, each a share reservation (RFC 7530 §9.9) kept
// in a Badger store. The lock manager must write a bounded number of
// bytes per reservation whatever the file already holds (it used to
// rewrite the file's whole record on every OPEN, so the bytes grew with
// n and the run was quadratic), and it must refuse reservations past its
// per-file bound with ErrNoLocks, which OPEN returns as NFS4ERR_RESOURCE
// (RFC 7530 §13.1, "the server may exhaust available resources") and NLM
// SHARE as NLM4_DENIED_NOLOCKS, counting every refusal.
func TestManyOpensOfOneFile(t *testing.T) {
	const (
		opens   = 20_000
		perFile = 15_000
		window  = 1_000
	)
	ctx := context.Background()
	meta, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	pc := &putCounter{Metadata: meta}
	m, err := locking.Open(ctx, locking.Options{Persist: pc, Grace: -1, MaxPerFile: perFile})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	perPut := func(from, to int) float64 {
		p0, b0 := pc.puts, pc.bytes
		for i := from; i < to; i++ {
			if err := m.Share(ctx, 7, locking.ShareRequest{Owner: openOwner(i), Access: locking.ModeRead}); err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
		}
		if pc.puts == p0 {
			t.Fatalf("opens %d to %d wrote nothing", from, to)
		}
		return float64(pc.bytes-b0) / float64(pc.puts-p0)
	}
	first := perPut(0, window)
	perPut(window, perFile-window)
	last := perPut(perFile-window, perFile)
	if last > first {
		t.Errorf("bytes per Put grew with the reservations held: %.1f for the first %d opens, %.1f for the last %d", first, window, last, window)
	}

	refused := 0
	for i := perFile; i < opens; i++ {
		err := m.Share(ctx, 7, locking.ShareRequest{Owner: openOwner(i), Access: locking.ModeRead})
		var le *locking.LimitError
		if !errors.Is(err, locking.ErrNoLocks) || !errors.As(err, &le) || le.Limit != locking.LimitFile {
			t.Fatalf("open %d past the per-file bound of %d: %v", i, perFile, err)
		}
		refused++
	}
	st := m.Stats()
	if st.Shares != perFile || st.LimitHits[locking.LimitFile] != uint64(refused) {
		t.Fatalf("stats: %d shares, %d per-file refusals; want %d, %d", st.Shares, st.LimitHits[locking.LimitFile], perFile, refused)
	}
	// A CLOSE makes room for one more OPEN.
	if err := m.Unshare(ctx, 7, openOwner(0)); err != nil {
		t.Fatal(err)
	}
	if err := m.Share(ctx, 7, locking.ShareRequest{Owner: openOwner(opens), Access: locking.ModeRead}); err != nil {
		t.Fatalf("open after a close at the bound: %v", err)
	}
	// Another file is not affected.
	if err := m.Share(ctx, 8, locking.ShareRequest{Owner: openOwner(opens + 1), Access: locking.ModeRead}); err != nil {
		t.Fatalf("open of another file: %v", err)
	}
}

// TestOneClientManyOpens: one client's opens and locks across many files
// are bounded by the per-client bound; other clients are not.
func TestOneClientManyOpens(t *testing.T) {
	const perClient = 500
	ctx := context.Background()
	m, err := locking.Open(ctx, locking.Options{Grace: -1, MaxPerClient: perClient})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	hostile := func(i int) locking.Owner {
		return locking.Owner{Proto: locking.ProtoNFS4, Client: "hostile", Key: fmt.Sprint(i)}
	}
	for i := range perClient / 2 {
		if err := m.Share(ctx, uint64(i), locking.ShareRequest{Owner: hostile(i), Access: locking.ModeRead}); err != nil {
			t.Fatal(err)
		}
		if err := m.Lock(ctx, uint64(i), locking.Request{Owner: hostile(i), Range: locking.Range{Off: 0, Len: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	err = m.Lock(ctx, 1, locking.Request{Owner: hostile(1), Range: locking.Range{Off: 10, Len: 1}})
	var le *locking.LimitError
	if !errors.As(err, &le) || le.Limit != locking.LimitClient || !errors.Is(err, locking.ErrNoLocks) {
		t.Fatalf("lock past the per-client bound: %v", err)
	}
	// Unlocking the middle of a lock splits it in two: refused too, so
	// that unlocks cannot grow a client's state past the bound.
	if err := m.Lock(ctx, 2, locking.Request{Owner: hostile(2), Range: locking.Range{Off: 0, Len: 10}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Unlock(ctx, 2, hostile(2), locking.Range{Off: 5, Len: 1}); !errors.Is(err, locking.ErrNoLocks) {
		t.Fatalf("splitting unlock past the per-client bound: %v", err)
	}
	other := locking.Owner{Proto: locking.ProtoNFS4, Client: "other", Key: "o"}
	if err := m.Share(ctx, 1, locking.ShareRequest{Owner: other, Access: locking.ModeRead}); err != nil {
		t.Fatalf("another client: %v", err)
	}
	if got := m.Stats().LimitHits[locking.LimitClient]; got != 2 {
		t.Fatalf("per-client refusals counted %d, want 2", got)
	}
}

package locking

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

var (
	nlmA  = Owner{Proto: ProtoNLM, Client: "hostA", Key: "1"}
	nlmA2 = Owner{Proto: ProtoNLM, Client: "hostA", Key: "2"}
	nlmB  = Owner{Proto: ProtoNLM, Client: "hostB", Key: "1"}
	v4C   = Owner{Proto: ProtoNFS4, Client: "client-c", Key: "lockowner"}
	smbD  = Owner{Proto: ProtoSMB, Client: "session-d", Key: "h1"}
)

func newManager(t testing.TB, o Options) *Manager {
	t.Helper()
	if o.Grace == 0 {
		o.Grace = -1
	}
	m, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

type step struct {
	unlock bool
	owner  Owner
	off    uint64
	len    uint64
	excl   bool
	want   error // ErrDenied for a conflict
}

func lk(o Owner, off, n uint64, excl bool, want error) step {
	return step{owner: o, off: off, len: n, excl: excl, want: want}
}
func ul(o Owner, off, n uint64) step { return step{unlock: true, owner: o, off: off, len: n} }

func sortLocks(ls []Lock) []Lock {
	slices.SortFunc(ls, func(a, b Lock) int {
		if a.Owner != b.Owner {
			if a.Owner.Client+a.Owner.Key < b.Owner.Client+b.Owner.Key {
				return -1
			}
			return 1
		}
		switch {
		case a.Range.Off < b.Range.Off:
			return -1
		case a.Range.Off > b.Range.Off:
			return 1
		}
		return 0
	})
	return ls
}

func TestByteRangeSemantics(t *testing.T) {
	S, X := false, true
	tests := []struct {
		name  string
		steps []step
		want  []Lock
	}{
		{"shared locks of two owners coexist",
			[]step{lk(nlmA, 0, 10, S, nil), lk(nlmB, 5, 10, S, nil)},
			[]Lock{{nlmA, Range{0, 10}, S}, {nlmB, Range{5, 10}, S}}},
		{"exclusive conflicts with overlapping shared",
			[]step{lk(nlmA, 0, 10, S, nil), lk(nlmB, 9, 1, X, ErrDenied)},
			[]Lock{{nlmA, Range{0, 10}, S}}},
		{"shared conflicts with overlapping exclusive",
			[]step{lk(nlmA, 0, 10, X, nil), lk(nlmB, 0, 1, S, ErrDenied)},
			[]Lock{{nlmA, Range{0, 10}, X}}},
		{"adjacent ranges do not conflict",
			[]step{lk(nlmA, 0, 10, X, nil), lk(nlmB, 10, 10, X, nil)},
			[]Lock{{nlmA, Range{0, 10}, X}, {nlmB, Range{10, 10}, X}}},
		{"to end of file conflicts far out",
			[]step{lk(nlmA, 100, 0, X, nil), lk(nlmB, math.MaxUint64-1, 1, S, ErrDenied), lk(nlmB, 0, 100, X, nil)},
			[]Lock{{nlmA, Range{100, 0}, X}, {nlmB, Range{0, 100}, X}}},
		{"length past 2^64 ends at end of file",
			[]step{lk(nlmA, 10, math.MaxUint64, X, nil), lk(nlmB, math.MaxUint64, 1, X, ErrDenied)},
			[]Lock{{nlmA, Range{10, 0}, X}}},
		{"same owner overlap is not a conflict and merges",
			[]step{lk(nlmA, 0, 10, X, nil), lk(nlmA, 5, 10, X, nil)},
			[]Lock{{nlmA, Range{0, 15}, X}}},
		{"adjacent same-type locks merge",
			[]step{lk(nlmA, 0, 5, S, nil), lk(nlmA, 10, 5, S, nil), lk(nlmA, 5, 5, S, nil)},
			[]Lock{{nlmA, Range{0, 15}, S}}},
		{"adjacent locks of different types stay apart",
			[]step{lk(nlmA, 0, 5, S, nil), lk(nlmA, 5, 5, X, nil)},
			[]Lock{{nlmA, Range{0, 5}, S}, {nlmA, Range{5, 5}, X}}},
		{"upgrade in the middle splits the shared lock",
			[]step{lk(nlmA, 0, 30, S, nil), lk(nlmA, 10, 10, X, nil)},
			[]Lock{{nlmA, Range{0, 10}, S}, {nlmA, Range{10, 10}, X}, {nlmA, Range{20, 10}, S}}},
		{"downgrade in place lets another reader in",
			[]step{lk(nlmA, 0, 10, X, nil), lk(nlmB, 0, 1, S, ErrDenied), lk(nlmA, 0, 10, S, nil), lk(nlmB, 0, 1, S, nil)},
			[]Lock{{nlmA, Range{0, 10}, S}, {nlmB, Range{0, 1}, S}}},
		{"upgrade denied by another reader leaves the lock alone",
			[]step{lk(nlmA, 0, 10, S, nil), lk(nlmB, 5, 1, S, nil), lk(nlmA, 0, 10, X, ErrDenied)},
			[]Lock{{nlmA, Range{0, 10}, S}, {nlmB, Range{5, 1}, S}}},
		{"unlock in the middle splits",
			[]step{lk(nlmA, 0, 30, X, nil), ul(nlmA, 10, 10), lk(nlmB, 10, 10, X, nil)},
			[]Lock{{nlmA, Range{0, 10}, X}, {nlmA, Range{20, 10}, X}, {nlmB, Range{10, 10}, X}}},
		{"unlock to end of file covers several locks",
			[]step{lk(nlmA, 0, 5, X, nil), lk(nlmA, 10, 5, S, nil), lk(nlmA, 20, 0, X, nil), ul(nlmA, 3, 0)},
			[]Lock{{nlmA, Range{0, 3}, X}}},
		{"unlock of what is not held is a no-op",
			[]step{lk(nlmA, 0, 5, X, nil), ul(nlmB, 0, 0), ul(nlmA, 100, 5)},
			[]Lock{{nlmA, Range{0, 5}, X}}},
		{"owners of one NLM host are distinct",
			[]step{lk(nlmA, 0, 5, X, nil), lk(nlmA2, 0, 5, X, ErrDenied)},
			[]Lock{{nlmA, Range{0, 5}, X}}},
		{"NLM and NFSv4 owners conflict",
			[]step{lk(nlmA, 0, 5, X, nil), lk(v4C, 4, 5, S, ErrDenied), lk(v4C, 5, 5, S, nil)},
			[]Lock{{nlmA, Range{0, 5}, X}, {v4C, Range{5, 5}, S}}},
		{"SMB and NFSv4 owners conflict",
			[]step{lk(smbD, 0, 0, S, nil), lk(v4C, 0, 1, S, nil), lk(nlmB, 7, 1, X, ErrDenied)},
			[]Lock{{smbD, Range{0, 0}, S}, {v4C, Range{0, 1}, S}}},
		{"a lock and unlock of the whole file leave nothing",
			[]step{lk(nlmA, 0, 0, X, nil), ul(nlmA, 0, 0)},
			nil},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, Options{})
			for i, s := range tt.steps {
				var err error
				if s.unlock {
					err = m.Unlock(ctx, 1, s.owner, Range{s.off, s.len})
				} else {
					err = m.Lock(ctx, 1, Request{Owner: s.owner, Range: Range{s.off, s.len}, Exclusive: s.excl})
				}
				if !errors.Is(err, s.want) || (s.want == nil && err != nil) {
					t.Fatalf("step %d (%+v): err %v, want %v", i, s, err, s.want)
				}
				var ce *ConflictError
				if s.want == ErrDenied && !errors.As(err, &ce) {
					t.Fatalf("step %d: %v is not a *ConflictError", i, err)
				}
			}
			got := sortLocks(m.Locks(1))
			if !slices.Equal(got, sortLocks(slices.Clone(tt.want))) {
				t.Fatalf("locks\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestTestReportsHolder(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	if err := m.Lock(ctx, 7, Request{Owner: nlmA, Range: Range{10, 10}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	h, err := m.Test(ctx, 7, nlmB, Range{0, 11}, false)
	if err != nil || h == nil || h.Owner != nlmA || h.Range != (Range{10, 10}) || !h.Exclusive {
		t.Fatalf("Test = %+v, %v", h, err)
	}
	if h, err := m.Test(ctx, 7, nlmA, Range{0, 0}, true); err != nil || h != nil {
		t.Fatalf("own lock reported: %+v, %v", h, err)
	}
	if h, err := m.Test(ctx, 8, nlmB, Range{0, 0}, true); err != nil || h != nil {
		t.Fatalf("other file: %+v, %v", h, err)
	}
	if h, err := m.Test(ctx, 7, nlmB, Range{20, 0}, true); err != nil || h != nil {
		t.Fatalf("adjacent range: %+v, %v", h, err)
	}
}

func TestFilesAreIndependent(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 2, Request{Owner: nlmB, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
}

// recorder collects Granted results.
type recorder chan error

func (r recorder) granted(err error) { r <- err }

func (r recorder) want(t *testing.T, want error) {
	t.Helper()
	select {
	case err := <-r:
		if err != want {
			t.Fatalf("granted with %v, want %v", err, want)
		}
	default:
		t.Fatalf("not granted")
	}
}

func (r recorder) none(t *testing.T) {
	t.Helper()
	select {
	case err := <-r:
		t.Fatalf("unexpectedly granted with %v", err)
	default:
	}
}

func TestWaitQueueFIFO(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 100}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	b, c, d := make(recorder, 1), make(recorder, 1), make(recorder, 1)
	if err := m.Lock(ctx, 1, Request{Owner: nlmB, Range: Range{0, 10}, Exclusive: true, Block: true, Granted: b.granted}); err != ErrBlocked {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: v4C, Range: Range{5, 10}, Exclusive: true, Block: true, Granted: c.granted}); err != ErrBlocked {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: smbD, Range: Range{50, 10}, Block: true, Granted: d.granted}); err != ErrBlocked {
		t.Fatal(err)
	}
	// A retransmitted identical request is not queued twice.
	if err := m.Lock(ctx, 1, Request{Owner: nlmB, Range: Range{0, 10}, Exclusive: true, Block: true, Granted: b.granted}); err != ErrBlocked {
		t.Fatal(err)
	}
	// Unlocking [0, 50) unblocks B (first in line); C then conflicts with B.
	if err := m.Unlock(ctx, 1, nlmA, Range{0, 50}); err != nil {
		t.Fatal(err)
	}
	b.want(t, nil)
	c.none(t)
	d.none(t)
	if err := m.Unlock(ctx, 1, nlmA, Range{0, 0}); err != nil {
		t.Fatal(err)
	}
	d.want(t, nil)
	c.none(t)
	if err := m.Unlock(ctx, 1, nlmB, Range{0, 0}); err != nil {
		t.Fatal(err)
	}
	c.want(t, nil)
	want := sortLocks([]Lock{{v4C, Range{5, 10}, true}, {smbD, Range{50, 10}, false}})
	if got := sortLocks(m.Locks(1)); !slices.Equal(got, want) {
		t.Fatalf("locks %+v, want %+v", got, want)
	}
}

func TestCancelAndRelease(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	b, c := make(recorder, 1), make(recorder, 1)
	m.Lock(ctx, 1, Request{Owner: nlmB, Range: Range{0, 1}, Exclusive: true, Block: true, Granted: b.granted})
	m.Lock(ctx, 1, Request{Owner: v4C, Range: Range{0, 1}, Block: true, Granted: c.granted})
	if m.Cancel(1, nlmB, Range{0, 1}, false) {
		t.Fatal("cancel matched a request of another type")
	}
	if !m.Cancel(1, nlmB, Range{0, 1}, true) {
		t.Fatal("cancel did not find the request")
	}
	if m.Cancel(1, nlmB, Range{0, 1}, true) {
		t.Fatal("second cancel found it again")
	}
	// Releasing host A (its reboot, or FREE_ALL) grants C.
	if err := m.ReleaseClient(ctx, ProtoNLM, "hostA"); err != nil {
		t.Fatal(err)
	}
	b.none(t)
	c.want(t, nil)
	// Releasing a client aborts its queued requests.
	e := make(recorder, 1)
	m.Lock(ctx, 1, Request{Owner: nlmB, Exclusive: true, Block: true, Granted: e.granted})
	if err := m.ReleaseClient(ctx, ProtoNLM, "hostB"); err != nil {
		t.Fatal(err)
	}
	e.want(t, ErrCanceled)
	if err := m.ReleaseOwner(ctx, v4C); err != nil {
		t.Fatal(err)
	}
	if len(m.Locks(1)) != 0 || len(m.files) != 0 {
		t.Fatalf("state left: %+v %v", m.Locks(1), m.files)
	}
}

func TestWaitWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		m := newManager(t, Options{})
		if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true}); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := m.Wait(cctx, 1, Request{Owner: nlmB, Exclusive: true}); err != context.Canceled {
			t.Fatalf("Wait = %v", err)
		}
		if len(m.waiting) != 0 {
			t.Fatal("canceled wait left queued")
		}
		done := make(chan error)
		go func() { done <- m.Wait(ctx, 1, Request{Owner: nlmB, Exclusive: true}) }()
		synctest.Wait() // B is queued
		if err := m.Unlock(ctx, 1, nlmA, Range{}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		cctx, cancel = context.WithCancel(ctx)
		go func() { done <- m.Wait(cctx, 1, Request{Owner: nlmA, Exclusive: true}) }()
		synctest.Wait()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("canceled Wait = %v", err)
		}
	})
}

func TestDeadlockDetection(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true}))
	must(m.Lock(ctx, 2, Request{Owner: nlmB, Exclusive: true}))
	must(m.Lock(ctx, 3, Request{Owner: v4C, Exclusive: true}))
	// A waits for B, B waits for C: no cycle yet.
	if err := m.Lock(ctx, 2, Request{Owner: nlmA, Exclusive: true, Block: true, DetectDeadlock: true}); err != ErrBlocked {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 3, Request{Owner: nlmB, Exclusive: true, Block: true, DetectDeadlock: true}); err != ErrBlocked {
		t.Fatal(err)
	}
	// C waiting for A closes A -> B -> C -> A.
	if err := m.Lock(ctx, 1, Request{Owner: v4C, Exclusive: true, Block: true, DetectDeadlock: true}); err != ErrDeadlock {
		t.Fatalf("cycle: %v", err)
	}
	// Without detection it is queued (the protocol resolves it).
	if err := m.Lock(ctx, 1, Request{Owner: v4C, Exclusive: true, Block: true}); err != ErrBlocked {
		t.Fatal(err)
	}
	// A reader that only waits for A, which waits for others, is fine.
	if err := m.Lock(ctx, 1, Request{Owner: smbD, Range: Range{0, 1}, Block: true, DetectDeadlock: true}); err != ErrBlocked {
		t.Fatal(err)
	}
}

func TestShareReservations(t *testing.T) {
	R, W, RW, N := ModeRead, ModeWrite, ModeBoth, Mode(0)
	tests := []struct {
		name       string
		first      ShareRequest
		second     ShareRequest
		wantSecond error
	}{
		{"readers without deny", ShareRequest{nlmA, R, N, false}, ShareRequest{v4C, R, N, false}, nil},
		{"deny write stops a writer", ShareRequest{v4C, R, W, false}, ShareRequest{smbD, W, N, false}, ErrDenied},
		{"deny write allows a reader", ShareRequest{v4C, R, W, false}, ShareRequest{smbD, R, N, false}, nil},
		{"cannot deny what another has", ShareRequest{v4C, W, N, false}, ShareRequest{smbD, R, W, false}, ErrDenied},
		{"deny read vs reader", ShareRequest{v4C, RW, R, false}, ShareRequest{nlmB, R, N, false}, ErrDenied},
		{"deny both vs no access", ShareRequest{v4C, R, RW, false}, ShareRequest{nlmB, N, N, false}, nil},
		{"same owner replaces its own", ShareRequest{v4C, R, RW, false}, ShareRequest{v4C, RW, R, false}, nil},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, Options{})
			if err := m.Share(ctx, 1, tt.first); err != nil {
				t.Fatal(err)
			}
			if err := m.Share(ctx, 1, tt.second); err != tt.wantSecond {
				t.Fatalf("second share: %v, want %v", err, tt.wantSecond)
			}
			if err := m.Unshare(ctx, 1, tt.first.Owner); err != nil {
				t.Fatal(err)
			}
			if tt.wantSecond != nil {
				if err := m.Share(ctx, 1, tt.second); err != nil {
					t.Fatalf("after unshare: %v", err)
				}
			}
		})
	}
}

func TestBoundsAndClose(t *testing.T) {
	ctx := context.Background()
	m, err := Open(ctx, Options{Grace: -1, MaxLocks: 2, MaxWaiters: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 1}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{5, 1}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{9, 1}, Exclusive: true}); !errors.Is(err, ErrNoLocks) {
		t.Fatalf("third lock: %v", err)
	}
	if err := m.Share(ctx, 2, ShareRequest{Owner: v4C, Access: ModeRead}); !errors.Is(err, ErrNoLocks) {
		t.Fatalf("share beyond MaxLocks: %v", err)
	}
	g := make(recorder, 1)
	if err := m.Lock(ctx, 1, Request{Owner: nlmB, Range: Range{0, 1}, Block: true, Granted: g.granted}); err != ErrBlocked {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: v4C, Range: Range{5, 1}, Block: true}); !errors.Is(err, ErrNoLocks) {
		t.Fatalf("second waiter: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	g.want(t, ErrCanceled)
	if err := m.Lock(ctx, 3, Request{Owner: nlmA}); err != ErrClosed {
		t.Fatalf("lock after close: %v", err)
	}
	if err := m.Unlock(ctx, 1, nlmA, Range{}); err != ErrClosed {
		t.Fatalf("unlock after close: %v", err)
	}
}

// TestLimitCountedAndLogged: every refusal by a bound is counted; the
// log gets one line a minute, saying how many it left out.
func TestLimitCountedAndLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var logged []slog.Record
		h := recordHandler(func(r slog.Record) { logged = append(logged, r) })
		m := newManager(t, Options{MaxPerFile: 1, Logger: slog.New(h)})
		if err := m.Share(ctx, 1, ShareRequest{Owner: v4C, Access: ModeRead}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := m.Lock(ctx, 1, Request{Owner: nlmA}); !errors.Is(err, ErrNoLocks) {
				t.Fatalf("lock past the per-file bound: %v", err)
			}
		}
		time.Sleep(limitLogInterval)
		if err := m.Share(ctx, 1, ShareRequest{Owner: smbD, Access: ModeRead}); !errors.Is(err, ErrNoLocks) {
			t.Fatalf("share past the per-file bound: %v", err)
		}
		if got := m.Stats().LimitHits[LimitFile]; got != 4 {
			t.Fatalf("%d refusals counted, want 4", got)
		}
		if len(logged) != 2 {
			t.Fatalf("%d log lines, want 2", len(logged))
		}
		var suppressed int64 = -1
		logged[1].Attrs(func(a slog.Attr) bool {
			if a.Key == "suppressed" {
				suppressed = a.Value.Int64()
			}
			return true
		})
		if suppressed != 2 {
			t.Fatalf("second line reports %d left out, want 2", suppressed)
		}
	})
}

type recordHandler func(slog.Record)

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h(r)
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

package storetest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
)

// DefaultTimeout is how long a subtest may go without progress (no call
// into the backend starting or returning, no callback of the backend being
// entered or left) before the suite fails it. A step that blocks that long
// is a backend waiting for something that will not come: a View waiting
// for an Update, a Walk holding a lock its callback needs, a second Close.
const DefaultTimeout = 10 * time.Second

// tt is the *testing.T a subtest's body gets. The body runs on its own
// goroutine, watched by the subtest's goroutine (run): when the watchdog
// fires, the subtest fails and returns at once, ctx is canceled and abort
// closed so that the body's goroutines and a backend that honours its
// context can leave, and from then on the body's reports are dropped, so
// that a body the backend releases late cannot write to a finished test.
type tt struct {
	*testing.T
	ctx     context.Context
	abort   <-chan struct{}
	w       *watch
	backend any // the backend under test, unwrapped

	mu      sync.Mutex
	over    bool
	skipped bool
	skipMsg string
}

func (t *tt) report(f func()) {
	t.T.Helper()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.over {
		f()
	}
}

func (t *tt) Errorf(format string, args ...any) {
	t.T.Helper()
	t.report(func() { t.T.Helper(); t.T.Errorf(format, args...) })
}

func (t *tt) Error(args ...any) {
	t.T.Helper()
	t.report(func() { t.T.Helper(); t.T.Error(args...) })
}

func (t *tt) Logf(format string, args ...any) {
	t.T.Helper()
	t.report(func() { t.T.Helper(); t.T.Logf(format, args...) })
}

func (t *tt) Fatalf(format string, args ...any) {
	t.T.Helper()
	t.Errorf(format, args...)
	t.FailNow()
}

func (t *tt) Fatal(args ...any) {
	t.T.Helper()
	t.Error(args...)
	t.FailNow()
}

func (t *tt) Fail() { t.report(t.T.Fail) }

// FailNow marks the test failed and ends the body's goroutine.
func (t *tt) FailNow() {
	t.Fail()
	runtime.Goexit()
}

// Skip ends the body; run skips the subtest.
func (t *tt) Skip(args ...any) {
	t.mu.Lock()
	t.skipped, t.skipMsg = true, fmt.Sprint(args...)
	t.mu.Unlock()
	runtime.Goexit()
}

// wait waits for ch, or ends the body when the watchdog fired.
func (t *tt) wait(ch <-chan struct{}) {
	select {
	case <-ch:
	case <-t.abort:
		runtime.Goexit()
	}
}

// run runs body on its own goroutine under the watchdog: the subtest fails
// when body and the backend make no progress for timeout (zero:
// DefaultTimeout). A panic in body (that is, in the backend) fails the
// subtest instead of the whole test binary.
func run(t *testing.T, timeout time.Duration, backend any, body func(t *tt)) {
	t.Helper()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	abort := make(chan struct{})
	g := &tt{T: t, ctx: ctx, abort: abort, w: newWatch(), backend: backend}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				g.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		body(g)
	}()
	tick := time.NewTicker(timeout / 20)
	defer tick.Stop()
	for {
		select {
		case <-done:
			g.mu.Lock()
			g.over = true
			skipped, msg := g.skipped, g.skipMsg
			g.mu.Unlock()
			if skipped {
				t.Skip(msg)
			}
			return
		case <-tick.C:
			idle := g.w.idle()
			if idle < timeout {
				continue
			}
			stuck := g.w.describe()
			// From now on the body's reports are consequences of
			// being released: drop them.
			g.mu.Lock()
			g.over = true
			g.mu.Unlock()
			cancel()
			close(abort)
			// Give the goroutines that honour ctx or abort a moment to
			// leave.
			grace := time.NewTimer(min(timeout/4, time.Second))
			select {
			case <-done:
			case <-grace.C:
			}
			grace.Stop()
			t.Fatalf("no progress for %v: the backend blocks where it must not (see the assumptions in storetest's package doc)%s",
				idle.Round(time.Millisecond), stuck)
		}
	}
}

// watch records the calls into the backend in progress and the time of
// the last event (a call starting or returning, a callback entered or
// left).
type watch struct {
	last  atomic.Int64 // time.Now().UnixNano() of the last event
	mu    sync.Mutex
	next  int
	calls map[int]*call
}

type call struct {
	op    string
	state string
	since time.Time
}

func newWatch() *watch {
	w := &watch{calls: map[int]*call{}}
	w.tick()
	return w
}

func (w *watch) tick() { w.last.Store(time.Now().UnixNano()) }

func (w *watch) idle() time.Duration {
	return time.Since(time.Unix(0, w.last.Load()))
}

// begin records that op started; the returned id goes to set and end.
func (w *watch) begin(op, state string) int {
	now := time.Now()
	w.last.Store(now.UnixNano())
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next++
	w.calls[w.next] = &call{op: op, state: state, since: now}
	return w.next
}

// set records that call id entered a new state.
func (w *watch) set(id int, state string) {
	now := time.Now()
	w.last.Store(now.UnixNano())
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.calls[id]; c != nil {
		c.state, c.since = state, now
	}
}

func (w *watch) end(id int) {
	w.tick()
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.calls, id)
}

// describe lists the calls in progress, oldest first.
func (w *watch) describe() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.calls) == 0 {
		return "; no call into the backend is in progress"
	}
	cs := make([]*call, 0, len(w.calls))
	for _, c := range w.calls {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *call) int { return a.since.Compare(b.since) })
	var b strings.Builder
	b.WriteString("; calls in progress:")
	for _, c := range cs {
		fmt.Fprintf(&b, "\n\t%s: %s for %v", c.op, c.state, time.Since(c.since).Round(time.Millisecond))
	}
	return b.String()
}

// watchedMeta is the backend under test as the suite's bodies see it: every
// call is recorded in w.
type watchedMeta struct {
	m store.Metadata
	w *watch
}

func (m watchedMeta) txn(op string, ctx context.Context, fn func(store.Tx) error, do func(context.Context, func(store.Tx) error) error) error {
	id := m.w.begin(op, "waiting to run its function")
	defer m.w.end(id)
	return do(ctx, func(tx store.Tx) error {
		m.w.set(id, "in its function")
		defer m.w.set(id, "ending after its function returned")
		return fn(watchedTx{tx, m.w})
	})
}

func (m watchedMeta) View(ctx context.Context, fn func(store.Tx) error) error {
	return m.txn("View", ctx, fn, m.m.View)
}

func (m watchedMeta) Update(ctx context.Context, fn func(store.Tx) error) error {
	return m.txn("Update", ctx, fn, m.m.Update)
}

func (m watchedMeta) Close() error {
	id := m.w.begin("Close", "running")
	defer m.w.end(id)
	return m.m.Close()
}

type watchedTx struct {
	tx store.Tx
	w  *watch
}

func (tx watchedTx) Get(key []byte) ([]byte, error) {
	id := tx.w.begin("Tx.Get", "running")
	defer tx.w.end(id)
	return tx.tx.Get(key)
}

func (tx watchedTx) Put(key, val []byte) error {
	id := tx.w.begin("Tx.Put", "running")
	defer tx.w.end(id)
	return tx.tx.Put(key, val)
}

func (tx watchedTx) Delete(key []byte) error {
	id := tx.w.begin("Tx.Delete", "running")
	defer tx.w.end(id)
	return tx.tx.Delete(key)
}

func (tx watchedTx) Scan(start, end []byte, fn func(k, v []byte) bool) error {
	id := tx.w.begin("Tx.Scan", "running")
	defer tx.w.end(id)
	return tx.tx.Scan(start, end, func(k, v []byte) bool {
		tx.w.set(id, "in its callback")
		defer tx.w.set(id, "running after a callback returned")
		return fn(k, v)
	})
}

// watchedBlocks is watchedMeta for a block backend.
type watchedBlocks struct {
	b store.Blocks
	w *watch
}

func (b watchedBlocks) Put(ctx context.Context, id store.BlockID, data []byte) error {
	c := b.w.begin("Put", "running")
	defer b.w.end(c)
	return b.b.Put(ctx, id, data)
}

func (b watchedBlocks) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	c := b.w.begin("ReadAt", "running")
	defer b.w.end(c)
	return b.b.ReadAt(ctx, id, p, off)
}

func (b watchedBlocks) Delete(ctx context.Context, id store.BlockID) error {
	c := b.w.begin("Delete", "running")
	defer b.w.end(c)
	return b.b.Delete(ctx, id)
}

func (b watchedBlocks) Walk(ctx context.Context, fn func(store.BlockID) error) error {
	c := b.w.begin("Walk", "running")
	defer b.w.end(c)
	return b.b.Walk(ctx, func(id store.BlockID) error {
		b.w.set(c, "in its callback")
		defer b.w.set(c, "running after a callback returned")
		return fn(id)
	})
}

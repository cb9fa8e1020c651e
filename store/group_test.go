package store

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// gate is a sync function that blocks each run until the test releases
// it, and returns the error the test gives for that run.
type gate struct {
	calls   atomic.Int32
	release chan error
}

func newGate() *gate { return &gate{release: make(chan error)} }

func (g *gate) sync(ctx context.Context) error {
	g.calls.Add(1)
	return <-g.release
}

// waiters starts n callers of wait and returns how many returned so far
// and their errors (read after synctest.Wait).
func startWaiters(ctx context.Context, g *syncGroup, n int) (*atomic.Int32, chan error) {
	var done atomic.Int32
	errs := make(chan error, n)
	for range n {
		go func() {
			err := g.wait(ctx)
			done.Add(1)
			errs <- err
		}()
	}
	return &done, errs
}

// TestSyncGroupShares: callers that arrive while a sync runs share the
// next one, and none is answered by a sync that started before it
// arrived.
func TestSyncGroupShares(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gt := newGate()
		g := &syncGroup{sync: gt.sync}
		ctx := context.Background()
		firstDone, firstErrs := startWaiters(ctx, g, 1)
		synctest.Wait() // the first sync runs, blocked in the gate
		if gt.calls.Load() != 1 {
			t.Fatalf("%d syncs started, want 1", gt.calls.Load())
		}
		const n = 32
		done, errs := startWaiters(ctx, g, n)
		synctest.Wait()
		if gt.calls.Load() != 1 || done.Load() != 0 {
			t.Fatalf("while the first sync runs: %d syncs, %d waiters answered; want 1, 0", gt.calls.Load(), done.Load())
		}
		gt.release <- nil // the first sync ends
		synctest.Wait()
		if firstDone.Load() != 1 || <-firstErrs != nil {
			t.Fatal("the first caller was not answered by its sync")
		}
		// The 32 started after the first sync: it must not answer them.
		if done.Load() != 0 {
			t.Fatalf("%d callers answered by a sync that started before they called", done.Load())
		}
		if gt.calls.Load() != 2 {
			t.Fatalf("%d syncs started, want 2 (one shared by the %d waiting)", gt.calls.Load(), n)
		}
		gt.release <- nil
		synctest.Wait()
		if done.Load() != n {
			t.Fatalf("%d of %d callers answered", done.Load(), n)
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if gt.calls.Load() != 2 || g.runs != 2 {
			t.Fatalf("%d syncs for %d callers, want 2", gt.calls.Load(), n+1)
		}
		// The run loop has exited: nothing is left running.
		if g.running {
			t.Fatal("the run loop is still marked running")
		}
	})
}

// TestSyncGroupError: a failed sync fails every caller waiting for it,
// and only those; the next sync is run afresh.
func TestSyncGroupError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gt := newGate()
		g := &syncGroup{sync: gt.sync}
		ctx := context.Background()
		_, firstErrs := startWaiters(ctx, g, 1)
		synctest.Wait()
		done, errs := startWaiters(ctx, g, 8)
		synctest.Wait()
		gt.release <- nil // first round succeeds
		synctest.Wait()
		boom := errors.New("disk on fire")
		gt.release <- boom // second round, the 8 waiters', fails
		synctest.Wait()
		if err := <-firstErrs; err != nil {
			t.Fatalf("first caller: %v", err)
		}
		if done.Load() != 8 {
			t.Fatalf("%d of 8 answered", done.Load())
		}
		for range 8 {
			if err := <-errs; !errors.Is(err, boom) {
				t.Fatalf("waiter got %v, want %v", err, boom)
			}
		}
		// A later caller gets a new sync and its own result.
		_, laterErrs := startWaiters(ctx, g, 1)
		synctest.Wait()
		gt.release <- nil
		synctest.Wait()
		if err := <-laterErrs; err != nil {
			t.Fatalf("later caller: %v", err)
		}
		if gt.calls.Load() != 3 {
			t.Fatalf("%d syncs, want 3", gt.calls.Load())
		}
	})
}

// TestSyncGroupCancel: a caller whose context ends returns its error at
// once; the sync it was waiting for still runs to the end for the others.
func TestSyncGroupCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gt := newGate()
		g := &syncGroup{sync: gt.sync}
		cctx, cancel := context.WithCancel(context.Background())
		cdone, cerrs := startWaiters(cctx, g, 1)
		done, errs := startWaiters(context.Background(), g, 3)
		synctest.Wait()
		cancel()
		synctest.Wait()
		if cdone.Load() != 1 || !errors.Is(<-cerrs, context.Canceled) {
			t.Fatal("the canceled caller did not return context.Canceled")
		}
		if done.Load() != 0 {
			t.Fatal("the others returned before the sync ended")
		}
		// The sync may have started before all joined: run as many
		// rounds as it takes (at most two).
		for done.Load() < 3 {
			gt.release <- nil
			synctest.Wait()
		}
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		// An already canceled context does not start a sync.
		calls := gt.calls.Load()
		if err := g.wait(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("wait on a canceled context: %v", err)
		}
		synctest.Wait()
		if gt.calls.Load() != calls {
			t.Fatal("a canceled caller started a sync")
		}
	})
}

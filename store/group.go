package store

import (
	"context"
	"sync"
)

// syncGroup makes concurrent callers share runs of one sync function
// (group commit). A caller whose writes have completed calls wait, which
// returns once a run of sync that started after the call has finished,
// with that run's error. Runs never overlap: callers that arrive while a
// run is in progress join the next run, which starts as soon as the
// running one ends. So N stable writes in flight cost about two syncs,
// not N, while each still returns only after a sync that covers it.
//
// Rounds are the generations: next is the round new callers join (not
// started yet, so whatever they wrote before joining is covered by it);
// it becomes the running round when the previous one ends. The run loop
// is a goroutine that exits when no round is waiting, so an idle group
// costs nothing. The zero value is not usable: set sync.
type syncGroup struct {
	sync func(context.Context) error

	mu      sync.Mutex
	running bool       // a run loop is active
	next    *syncRound // the round callers join; nil when none waits
	runs    uint64     // rounds run (for tests)
}

// syncRound is one run of the sync function and the callers waiting for
// it. err is set before done is closed.
type syncRound struct {
	done chan struct{}
	err  error
}

// wait returns once a sync that started after the call has finished, with
// its error, or ctx's error if ctx ends first. Returning early on ctx does
// not stop the sync, which other callers may be waiting for.
func (g *syncGroup) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g.mu.Lock()
	r := g.next
	if r == nil {
		r = &syncRound{done: make(chan struct{})}
		g.next = r
	}
	if !g.running {
		g.running = true
		go g.run()
	}
	g.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run runs the waiting rounds one after the other until none is left.
// The sync runs under a background context: it serves every caller of
// the round, so no one caller's cancellation may abort it.
func (g *syncGroup) run() {
	for {
		g.mu.Lock()
		r := g.next
		if r == nil {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.next = nil
		g.runs++
		g.mu.Unlock()
		r.err = g.sync(context.Background())
		close(r.done)
	}
}

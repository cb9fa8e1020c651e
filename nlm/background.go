package nlm

import (
	"context"
	"sync"
	"sync/atomic"
)

// background runs the goroutines of callbacks and notifications, so that
// Close can stop them and wait for them.
type background struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	// running counts the goroutines running, started those ever started
	// (tests bound them).
	running, started atomic.Int64
}

func (b *background) init() {
	b.ctx, b.cancel = context.WithCancel(context.Background())
}

// start runs f in a goroutine unless b is closed.
func (b *background) start(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.wg.Add(1)
	b.running.Add(1)
	b.started.Add(1)
	go func() {
		defer b.wg.Done()
		defer b.running.Add(-1)
		f()
	}()
}

// close cancels b's context and waits for its goroutines.
func (b *background) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}

package store

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// ---- small stable writes to one file, one transaction --------------------------
//
// A small stable write costs one metadata transaction (its intent, the
// inode) under the file's lock, then the shared sync. The sync is shared
// by every stable write that arrives while the previous one runs (group
// commit), but the transactions of writes to one file run one after the
// other under its lock: with 32 stable writes to one file in flight, that
// lock, not the disk, bounded them (about 6,000 a second here).
//
// So concurrent small stable writes to one file queue up, and the first
// to find no leader becomes it: it takes the file's lock, and writes every
// queued write in one transaction, each with its own intent (sequence
// numbers in queue order) and its own attributes before and after, as if
// they had run one after the other in that order; then it puts each into
// the open block in the same order, releases the lock, wakes the batch,
// and hands the lead to the first write that queued meanwhile. Every write
// then waits for the shared sync as before. A write refused by permission
// fails alone; a failed transaction fails the batch. The transaction runs
// without the leader's cancellation, since it is the other writes' too.

// logReq is one small stable write waiting in a file's queue.
type logReq struct {
	c    *Cred
	p    []byte
	off  uint64
	w    Wcc
	err  error
	seq  uint64
	lead bool          // woken to lead the next batch
	done chan struct{} // one wake-up: the result, or the lead
}

type logQueue struct {
	mu      sync.Mutex
	reqs    []*logReq
	leading bool
}

// logQueue returns the queue of file id.
func (f *FS) logQueue(id uint64) *logQueue {
	f.queueMu.Lock()
	defer f.queueMu.Unlock()
	q := f.queues[id]
	if q == nil {
		q = &logQueue{}
		f.queues[id] = q
	}
	return q
}

// loggable reports whether a write of n bytes at off, of stability how,
// is one small stable write within a chunk (one intent).
func (f *FS) loggable(n int, off uint64, how Stability) bool {
	if how == Unstable || n == 0 || uint64(n) > f.maxLogged {
		return false
	}
	return off/f.bsize == (off+uint64(n)-1)/f.bsize
}

// writeLogged writes p at off as one small stable write through h's queue
// and returns its attributes around the write; the caller waits for the
// shared sync.
func (f *FS) writeLogged(ctx context.Context, c *Cred, h Handle, p []byte, off uint64) (Wcc, error) {
	r := &logReq{c: c, p: p, off: off, done: make(chan struct{}, 1)}
	q := f.logQueue(h.ID)
	q.mu.Lock()
	q.reqs = append(q.reqs, r)
	lead := !q.leading
	q.leading = true
	q.mu.Unlock()
	if !lead {
		<-r.done // bounded: the leader's one transaction
		if !r.lead {
			return r.w, r.err
		}
	}
	q.mu.Lock()
	batch := q.reqs
	q.reqs = nil
	q.mu.Unlock()
	f.writeBatch(context.WithoutCancel(ctx), h, batch)
	q.mu.Lock()
	var next *logReq
	if len(q.reqs) > 0 {
		next = q.reqs[0]
	} else {
		q.leading = false
	}
	q.mu.Unlock()
	for _, b := range batch {
		if b != r {
			b.done <- struct{}{}
		}
	}
	if next != nil {
		next.lead = true
		next.done <- struct{}{}
	} else {
		f.queueMu.Lock()
		q.mu.Lock()
		if !q.leading && len(q.reqs) == 0 && f.queues[h.ID] == q {
			delete(f.queues, h.ID)
		}
		q.mu.Unlock()
		f.queueMu.Unlock()
	}
	return r.w, r.err
}

// writeBatch writes the small stable writes batch to h in one
// transaction, under h's lock, and sets each one's result.
func (f *FS) writeBatch(ctx context.Context, h Handle, batch []*logReq) {
	o := f.getOp(ctx)
	defer f.putOp(o)
	l := f.lockFile(h.ID)
	l.Lock()
	defer l.Unlock()
	for _, r := range batch {
		r.seq = f.intentSeq.Add(1)
	}
	err := f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.regular(&n); err != nil {
			return err
		}
		// One arena allocation for the batch's intents, not a doubling
		// per few of them (each copying what came before).
		need := 0
		for _, r := range batch {
			need += intentKeyLen + intentHdr + len(r.p)
		}
		o.buf = slices.Grow(o.buf, need)
		wrote := false
		for _, r := range batch {
			r.err = nil
			if err := f.may(r.c, &n, AccessWrite); err != nil {
				r.err = err
				continue
			}
			n.attr(&r.w.Before)
			ch := ChangeLastWrite
			if r.off+uint64(len(r.p)) > n.Size {
				ch |= ChangeSize
			}
			o.noteModified(&n, ch)
			if err := o.tx.Put(o.key2(pfxIntent, n.ID, r.seq), o.val(func(b []byte) []byte { return appendIntent(b, r.off, r.p) })); err != nil {
				return err
			}
			n.Size = max(n.Size, r.off+uint64(len(r.p)))
			touch(&n, f.now(), true)
			f.killPriv(r.c, &n)
			n.attr(&r.w.After)
			wrote = true
		}
		if !wrote {
			return nil
		}
		return o.putInode(&n)
	})
	if err != nil {
		if errors.Is(err, ErrStale) {
			err = ErrStale
		}
		for _, r := range batch {
			r.w, r.err = Wcc{}, err
		}
		return
	}
	fb := f.fileBuffer(h.ID, true)
	for _, r := range batch {
		if r.err != nil {
			r.w = Wcc{}
			continue
		}
		if err := f.bufferWrite(ctx, o, fb, h.ID, r.off/f.bsize, r.off, r.p, r.seq); err != nil {
			if errors.Is(err, ErrStale) {
				err = ErrStale
			}
			r.w, r.err = Wcc{}, err
		}
	}
}

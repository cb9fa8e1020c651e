package smb

import (
	"slices"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// A CREATE that must wait for the acknowledgment of an oplock or lease
// break held on its own connection cannot wait on the reading goroutine,
// which is the one that would read the acknowledgment. It goes async
// instead (MS-SMB2 §3.3.4.2, as Windows answers such a CREATE with an
// interim response): the open made so far is undone, the breaks are
// awaited in a goroutine, and the whole CREATE runs again under the
// connection's lock, this time without going async (a break still under
// way on this connection is then not waited for, as before). The retry
// sees the caching the acknowledgments left.

// statusRetryAsync is what openCaching returns to create when the
// request is to go async and be run again once the breaks of
// r.breakWaits are complete. It never reaches the wire.
const statusRetryAsync wire.Status = 0xE0DF0001

// awaitBreaks waits for the breaks of ws, or, when one is held on c and
// r may go async, leaves them in r.breakWaits and returns
// statusRetryAsync.
func (c *conn) awaitBreaks(r *request, ws []waiter) wire.Status {
	own := slices.ContainsFunc(ws, func(w waiter) bool { return w.c == c })
	if !own || r.retry || r.asyncDenied() != wire.STATUS_SUCCESS {
		c.waitBreaks(ws)
		return wire.STATUS_SUCCESS
	}
	r.breakWaits = ws
	return statusRetryAsync
}

// createAsync undoes o, the open r was making, and runs r again once its
// breaks are complete (above). The interim response goes out now.
func (c *conn) createAsync(r *request, o *open) wire.Status {
	o.deleteOnClose = false // undone, not closed: nothing may be deleted
	c.closeOpen(r.sess, o)
	ws := r.breakWaits
	var ar *asyncReq
	ar = r.goAsync(nil, func(cancelReason) { ar.complete(wire.STATUS_CANCELLED, nil) })
	if ar == nil {
		return r.asyncDenied()
	}
	h := *r.h
	msg := slices.Clone(r.msg) // r.msg aliases the frame buffer
	sess, tree, crypt, t0 := r.sess, r.tree, r.crypt, r.t0
	c.spawn(func() {
		for _, w := range ws {
			select {
			case <-w.done:
			case <-ar.Done():
				return
			case <-c.ctx.Done():
				return
			}
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if ar.finished() || c.closed {
			return
		}
		r2 := &request{c: c, h: &h, msg: msg, sess: sess, tree: tree, rel: &compound{}, out: &outMsg{},
			rh: &wire.Header{}, crypt: crypt, t0: t0, retry: true, last: true}
		// The reply body is encoded as create encodes it, in the
		// connection's encoder (free: no frame is being served while
		// c.mu is held here), then copied into the final response.
		c.enc.Reset(c.out[:0])
		c.enc.BeginMessage(&wire.Header{})
		start := c.enc.Len()
		st := c.create(r2)
		body := slices.Clone(c.enc.Bytes()[start:])
		c.enc.Reset(c.out[:0])
		ar.complete(st, func(e *wire.Encoder) { e.Write(body) })
	})
	return wire.STATUS_PENDING
}

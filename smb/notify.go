package smb

import (
	"strings"

	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// SMB2 CHANGE_NOTIFY (MS-SMB2 §3.3.5.19). The first CHANGE_NOTIFY on a
// directory open starts a store watcher (store.FS.Watch) with that
// request's CompletionFilter and SMB2_WATCH_TREE flag, and a queue whose
// size in bytes is that request's OutputBufferLength; they stay until the
// open is closed, whatever later requests ask (as Windows does: smbtorture
// smb2.notify.mask-change, rec). Changes made meanwhile, by any client or
// protocol, are collected in the queue, so none is lost between two
// requests. A request finds changes waiting and is answered at once, or
// goes async (async.go) until the next change. When the changes do not
// fit in the queue or in the request's OutputBufferLength, the answer is
// STATUS_NOTIFY_ENUM_DIR with no data (§3.3.4.4), and the queue restarts
// empty. When the directory itself is removed, requests are answered
// STATUS_DELETE_PENDING. CANCEL completes a waiting request with
// STATUS_CANCELLED; closing the open (CLOSE, TREE_DISCONNECT, LOGOFF, a
// failed reauthentication, a reconnect) with STATUS_NOTIFY_CLEANUP.

// defaultMaxWatches bounds the directory opens of a connection that
// watch; past it CHANGE_NOTIFY fails with STATUS_INSUFFICIENT_RESOURCES.
// Waiting requests are bounded by the async limit (defaultMaxAsync).
const defaultMaxWatches = 256

// maxNotifyEvents bounds the store watcher's buffer of one open.
const maxNotifyEvents = 4096

// notifyEventCost is what one buffered store event is counted as against
// Server.MaxNotifyBytes (the event and a name of typical length).
const notifyEventCost = 64

// dirWatch is the change notification state of a directory open.
type dirWatch struct {
	w       *store.Watcher
	max     int   // bytes of changes kept: the first request's OutputBufferLength
	cost    int64 // charged to Server.MaxNotifyBytes while the watch lasts
	queue   []fscc.Notify
	size    int  // bytes queue takes as FILE_NOTIFY_INFORMATION entries
	over    bool // changes were lost: the next answer is NOTIFY_ENUM_DIR
	deleted bool // the directory was removed: answers are DELETE_PENDING
	waiting []*notifyReq
	stop    chan struct{}
}

// notifyReq is a CHANGE_NOTIFY request waiting for changes.
type notifyReq struct {
	ar  *asyncReq
	max uint32 // its OutputBufferLength
}

// changeNotify is SMB2 CHANGE_NOTIFY (MS-SMB2 §3.3.5.19).
func (c *conn) changeNotify(r *request) wire.Status {
	var req wire.ChangeNotifyRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if !r.checkCharge(min(req.OutputBufferLength, uint32(c.maxSize))) {
		return wire.STATUS_INVALID_PARAMETER
	}
	o, st := r.fileOpen(req.FileID)
	if o == nil {
		return st
	}
	// §3.3.5.19: not a directory, or a buffer larger than
	// MaxTransactSize, is STATUS_INVALID_PARAMETER.
	if !o.dir || req.OutputBufferLength > uint32(c.maxSize) {
		return wire.STATUS_INVALID_PARAMETER
	}
	if o.access&wire.FILE_LIST_DIRECTORY == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	dw := o.watch
	if dw == nil {
		if c.watches >= c.s.maxWatches() {
			return wire.STATUS_INSUFFICIENT_RESOURCES
		}
		events := min(maxNotifyEvents, int(req.OutputBufferLength)/12+16)
		cost := int64(req.OutputBufferLength) + int64(events)*notifyEventCost
		if c.s.notifyBytes.Add(cost) > c.s.MaxNotifyBytes {
			c.s.notifyBytes.Add(-cost)
			c.s.logs.Warn(c.s.log, "smb: CHANGE_NOTIFY refused: MaxNotifyBytes reached", "remote", c.remote.String(), "max", c.s.MaxNotifyBytes)
			return wire.STATUS_INSUFFICIENT_RESOURCES
		}
		filter := store.Change(req.CompletionFilter) & store.ChangeAll
		if filter == 0 {
			// only stream bits (or none): nothing the store reports
			// matches; watch for nothing but keep the queue
			filter = 1 << 31
		}
		w, err := o.tree.exp.FS.Watch(c.ctx, &o.tree.cred, o.h, store.WatchOptions{
			Tree:   req.Flags&wire.SMB2_WATCH_TREE != 0,
			Filter: filter,
			Buffer: events,
		})
		if err != nil && store.CodeOf(err) != store.CodeStale {
			c.s.notifyBytes.Add(-cost)
			return storeStatus(err)
		}
		// A directory removed while open (smbtorture smb2.notify.mask
		// deletes it under the open) has no changes to report: its
		// requests wait until cancelled or closed, as with smbd.
		dw = &dirWatch{w: w, max: int(req.OutputBufferLength), cost: cost, stop: make(chan struct{})}
		o.watch = dw
		c.watches++
		if w != nil {
			go c.watchLoop(dw)
		}
	}
	dw.collect()
	if dw.ready() {
		status, encode := dw.answer(req.OutputBufferLength)
		if encode != nil {
			encode(&c.enc)
		}
		return status
	}
	if !r.last {
		// MS-SMB2 §3.3.5.2.7: a server MAY fail a request of a
		// compound that would go async; Windows does when it is not
		// the last one, with STATUS_INTERNAL_ERROR (<262>; smbtorture
		// smb2.compound.interim2), and the related requests after it
		// run as if it had not failed.
		r.asyncRefused = true
		return wire.STATUS_INTERNAL_ERROR
	}
	nr := &notifyReq{max: req.OutputBufferLength}
	nr.ar = r.goAsync(o, func(why cancelReason) {
		c.forget(dw, nr)
		switch why {
		case cancelRequested:
			nr.ar.complete(wire.STATUS_CANCELLED, nil)
		case cancelClosed:
			nr.ar.complete(wire.STATUS_NOTIFY_CLEANUP, notifyEmpty)
		}
	})
	if nr.ar == nil {
		return wire.STATUS_INSUFFICIENT_RESOURCES
	}
	dw.waiting = append(dw.waiting, nr)
	if c.waiting == nil {
		c.waiting = map[*dirWatch]struct{}{}
	}
	c.waiting[dw] = struct{}{}
	return wire.STATUS_PENDING
}

// notifyEmpty encodes a CHANGE_NOTIFY response without changes.
func notifyEmpty(e *wire.Encoder) {
	(&wire.OutputResponse{}).EncodeFixed(e, 0)
	e.Uint8(0) // StructureSize 9 counts one byte of buffer
}

// watchLoop answers the waiting requests of dw as changes arrive, until
// the open is closed.
func (c *conn) watchLoop(dw *dirWatch) {
	for {
		select {
		case <-dw.stop:
			return
		case <-dw.w.Ready():
		}
		c.mu.Lock()
		select {
		case <-dw.stop:
			c.mu.Unlock()
			return
		default:
		}
		c.answer(dw)
		c.mu.Unlock()
	}
}

// answer completes the waiting requests of dw that its changes answer
// (c.mu held).
func (c *conn) answer(dw *dirWatch) {
	dw.collect()
	for len(dw.waiting) > 0 && dw.ready() {
		nr := dw.waiting[0]
		dw.waiting = dw.waiting[1:]
		nr.ar.complete(dw.answer(nr.max))
	}
	if len(dw.waiting) == 0 {
		delete(c.waiting, dw)
	}
}

// answerWatches answers, at the end of each frame, the waiting requests
// whose changes arrived meanwhile: a change this connection made (changes
// without tree watchers reach the watcher before the call returns, see
// store.FS.Watch) completes them before the client's next request can
// add its own, as when Windows completes a CHANGE_NOTIFY within the
// request that made the change (smbtorture smb2.notify.valid-req). Other
// connections' changes are answered by watchLoop.
func (c *conn) answerWatches() {
	for dw := range c.waiting {
		c.answer(dw)
	}
}

// stopWatch ends an open's change notification (c.mu held); its waiting
// requests were completed by closeOpen's cancellation.
func (c *conn) stopWatch(o *open) {
	dw := o.watch
	if dw == nil {
		return
	}
	o.watch = nil
	c.watches--
	c.s.notifyBytes.Add(-dw.cost)
	delete(c.waiting, dw)
	close(dw.stop)
	if dw.w != nil {
		dw.w.Close()
	}
	dw.waiting, dw.queue = nil, nil
}

func (s *Server) maxWatches() int {
	if s.maxWatchOpens > 0 {
		return s.maxWatchOpens
	}
	return defaultMaxWatches
}

// noteClose reports, when a file renamed through o is closed, a change
// of its attributes: NTFS sets FILE_ATTRIBUTE_ARCHIVE on a renamed file
// and watchers see it when the handle is closed (smbtorture
// smb2.notify.mask-change expects FILE_ACTION_MODIFIED with
// FILE_NOTIFY_CHANGE_ATTRIBUTES then, and none while the handle is open:
// smb2.notify.rec).
func (c *conn) noteClose(o *open) {
	if o.renamed {
		_ = o.tree.exp.FS.Notify(c.ctx, o.h, store.ChangeAttributes)
	}
}

// forget removes a waiting request (cancelled).
func (c *conn) forget(dw *dirWatch, nr *notifyReq) {
	for i, x := range dw.waiting {
		if x == nr {
			dw.waiting = append(dw.waiting[:i], dw.waiting[i+1:]...)
			break
		}
	}
	if len(dw.waiting) == 0 {
		delete(c.waiting, dw)
	}
}

// collect moves the store watcher's events into the queue.
func (dw *dirWatch) collect() {
	if dw.w == nil {
		return
	}
	evs := dw.w.Take(nil)
	for _, ev := range evs {
		if dw.over {
			break
		}
		if ev.Action == store.ActionOverflow {
			dw.overflow()
			break
		}
		if ev.Name == "" {
			// the watched directory itself was removed
			dw.deleted = true
			continue
		}
		n := fscc.Notify{Action: uint32(ev.Action), Name: strings.ReplaceAll(ev.Name, "/", `\`)}
		dw.size += notifySize(n.Name) + (-dw.size & 3)
		if dw.size > dw.max {
			dw.overflow()
			break
		}
		dw.queue = append(dw.queue, n)
	}
}

// notifySize is the size of one FILE_NOTIFY_INFORMATION entry without
// its alignment padding (MS-FSCC §2.7.1).
func notifySize(name string) int { return 12 + wire.UTF16Len(name) }

func (dw *dirWatch) overflow() {
	dw.over = true
	dw.queue = dw.queue[:0]
	dw.size = 0
}

// ready reports whether a request would be answered now.
func (dw *dirWatch) ready() bool { return dw.over || len(dw.queue) > 0 || dw.deleted }

// answer takes the queue as the answer to a request of OutputBufferLength
// max: STATUS_SUCCESS and the function encoding the response body, or
// STATUS_NOTIFY_ENUM_DIR and an empty body when changes were lost or do
// not fit (MS-SMB2 §3.3.4.4).
func (dw *dirWatch) answer(max uint32) (wire.Status, func(*wire.Encoder)) {
	if dw.deleted && !dw.over && len(dw.queue) == 0 {
		// the changes before the removal first, then
		// STATUS_DELETE_PENDING (smbtorture smb2.notify.rmdir1-4)
		return wire.STATUS_DELETE_PENDING, nil
	}
	queue, size, over := dw.queue, dw.size, dw.over
	dw.queue, dw.size, dw.over = nil, 0, false
	if over || size > int(max) {
		return wire.STATUS_NOTIFY_ENUM_DIR, notifyEmpty
	}
	return wire.STATUS_SUCCESS, func(e *wire.Encoder) {
		(&wire.OutputResponse{}).EncodeFixed(e, size)
		fscc.EncodeNotify(e, queue, size) // size is what they take: all fit
	}
}

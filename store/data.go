package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// held returns the bytes the runs of cb hold.
func (cb *chunkBuf) held() int64 {
	var n int64
	for _, g := range cb.segs {
		n += int64(len(g.b))
	}
	return n
}

// dropBuffers discards the buffers of a deleted file.
func (f *FS) dropBuffers(id uint64) {
	l := f.lockFile(id)
	l.Lock()
	defer l.Unlock()
	if fb := f.fileBuffer(id, false); fb != nil {
		f.removeBuffers(fb)
	}
}

// flushAll seals every open block.
func (f *FS) flushAll(ctx context.Context) error {
	f.bufMu.Lock()
	ids := make([]uint64, 0, len(f.bufs))
	for id := range f.bufs {
		ids = append(ids, id)
	}
	f.bufMu.Unlock()
	var first error
	for _, id := range ids {
		l := f.lockFile(id)
		l.Lock()
		err := f.flushFile(ctx, id, true, false)
		l.Unlock()
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// evict seals the least recently written files until the buffers fit in
// Options.BufferBytes. It is called with no file lock held.
func (f *FS) evict(ctx context.Context) {
	for range 1024 {
		f.bufMu.Lock()
		if f.bufBytes <= f.opts.BufferBytes {
			f.bufMu.Unlock()
			return
		}
		var victim *fileBuf
		for _, fb := range f.bufs {
			if victim == nil || fb.tick < victim.tick {
				victim = fb
			}
		}
		f.bufMu.Unlock()
		if victim == nil {
			return
		}
		l := f.lockFile(victim.id)
		l.Lock()
		err := f.flushFile(ctx, victim.id, true, false)
		l.Unlock()
		if err != nil {
			return // keep the data; a later write or Commit retries
		}
	}
}

// syncAll syncs the block backend, then the metadata backend, so that
// blocks are on stable storage no later than the mappings naming them. It
// runs through f.durable: call waitDurable.
func (f *FS) syncAll(ctx context.Context) error {
	if s, ok := f.blocks.(Syncer); ok {
		if err := s.Sync(ctx); err != nil {
			return ioErr("sync blocks", err)
		}
	}
	if s, ok := f.meta.(Syncer); ok {
		if err := s.Sync(ctx); err != nil {
			return ioErr("sync metadata", err)
		}
	}
	return nil
}

// waitDurable returns once everything committed to the backends before
// the call is on stable storage. Concurrent callers share one syncAll.
func (f *FS) waitDurable(ctx context.Context) error {
	if !f.syncs {
		return nil
	}
	return f.durable.wait(ctx)
}

// waitBlocksDurable returns once every block stored before the call is on
// stable storage (before a fold deletes the intents the blocks replace).
func (f *FS) waitBlocksDurable(ctx context.Context) error {
	if _, ok := f.blocks.(Syncer); !ok {
		return nil
	}
	return f.blockSync.wait(ctx)
}

// ---- extents inside a transaction ---------------------------------------------

// extentsIn appends to o.exts the extents of file id overlapping [s, e), in
// order.
func (o *op) extentsIn(id, s, e uint64) error {
	_, err := o.extentsInN(id, s, e, 0)
	return err
}

// extentsInN is extentsIn stopping after limit extents (0: no limit); more
// reports that it stopped early.
func (o *op) extentsInN(id, s, e uint64, limit int) (more bool, err error) {
	if s >= e {
		return false, nil
	}
	var derr error
	n := 0
	prev := s
	first := true
	err = o.tx.Scan(o.key2(pfxExtent, id, s+1), o.key(pfxExtent, id+1), func(k, v []byte) bool {
		var x extent
		if derr = decodeExtent(k, v, &x); derr != nil {
			return false
		}
		if x.Start >= e {
			return false
		}
		if limit > 0 && n == limit {
			more = true
			return false
		}
		n++
		if !first && x.Start < prev {
			derr = corrupt("overlapping extents")
			return false
		}
		first = false
		prev = x.End
		o.exts = append(o.exts, x)
		return true
	})
	if derr != nil {
		return false, derr
	}
	return more, err
}

// punch unmaps [s, e) of file id, splitting extents that straddle its ends,
// and returns the number of mapped bytes removed.
func (o *op) punch(id, s, e uint64) (uint64, error) {
	freed, _, err := o.punchN(id, s, e, 0)
	return freed, err
}

// punchN is punch releasing at most limit extents (0: no limit); more
// reports that some remain.
func (o *op) punchN(id, s, e uint64, limit int) (freed uint64, more bool, err error) {
	mark := len(o.exts)
	if more, err = o.extentsInN(id, s, e, limit); err != nil {
		return 0, false, err
	}
	for i := mark; i < len(o.exts); i++ {
		x := o.exts[i]
		if err := o.tx.Delete(o.key2(pfxExtent, id, x.End)); err != nil {
			return 0, false, err
		}
		if x.Flags&extZero == 0 {
			o.ref(x.Block, -1, 0)
		}
		freed += min(x.End, e) - max(x.Start, s)
		if x.Start < s {
			l := x
			l.End = s
			if err := o.putExtentRaw(id, &l); err != nil {
				return 0, false, err
			}
		}
		if x.End > e {
			r := x
			r.Start = e
			if r.Flags&extZero == 0 {
				r.Off = x.Off + (e - x.Start)
			}
			if err := o.putExtentRaw(id, &r); err != nil {
				return 0, false, err
			}
		}
	}
	o.exts = o.exts[:mark]
	return freed, more, nil
}

// reapBatch bounds the extents one transaction releases when a file is
// freed or truncated, so that no transaction outgrows a backend's limit.
const reapBatch = 512

// reap releases the extents of freed file id in transactions of reapBatch
// extents, then its orphan record.
func (f *FS) reap(ctx context.Context, id uint64) error {
	o := f.getOp(ctx)
	defer f.putOp(o)
	for {
		more := false
		err := f.update(ctx, o, func(o *op) error {
			more = false
			// only a freed file: an orphan record and no node
			if _, err := o.tx.Get(o.key(pfxOrphan, id)); err != nil {
				if isNotFound(err) {
					return nil
				}
				return err
			}
			if _, err := o.tx.Get(o.key(pfxNode, id)); !isNotFound(err) {
				if err == nil {
					return NewError(CodeIO, "reap", "orphan record of a live node", errCorrupt)
				}
				return err
			}
			var err error
			if _, more, err = o.punchN(id, 0, 1<<63, reapBatch); err != nil {
				return err
			}
			if more {
				return nil
			}
			return o.tx.Delete(o.key(pfxOrphan, id))
		})
		if err != nil || !more {
			return err
		}
	}
}

// reapAll resumes the release of files freed before a restart.
func (f *FS) reapAll(ctx context.Context) error {
	o := f.getOp(ctx)
	var ids []uint64
	err := f.view(ctx, o, func(o *op) error {
		return o.tx.Scan([]byte{pfxOrphan}, []byte{pfxOrphan + 1}, func(k, v []byte) bool {
			if len(k) == 9 {
				ids = append(ids, be.Uint64(k[1:]))
			}
			return true
		})
	})
	f.putOp(o)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := f.reap(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// putExtentRaw puts a piece of an extent being split: it is already counted
// in Used.
func (o *op) putExtentRaw(id uint64, x *extent) error {
	if x.Flags&extZero == 0 {
		o.ref(x.Block, +1, 0)
	}
	return o.tx.Put(o.key2(pfxExtent, id, x.End), o.val(x.encode))
}

// readExtents fills p, the file bytes from base, from the extents exts
// (clipped to p, disjoint and in order). Bytes no extent maps (holes) are
// zeroed; only those are, so a read of mapped data writes p once.
func (f *FS) readExtents(ctx context.Context, exts []extent, p []byte, base uint64) error {
	end := base + uint64(len(p))
	pos := base // p is filled up to pos: holes are cleared, not all of p
	for i := range exts {
		x := &exts[i]
		a, b := max(x.Start, base), min(x.End, end)
		if a >= b {
			continue
		}
		if a < pos {
			// exts come from one scan of disjoint extents in key
			// order; anything else is a damaged map.
			return NewError(CodeIO, "read", "", corruptErr("overlapping extents"))
		}
		clear(p[pos-base : a-base])
		pos = b
		dst := p[a-base : b-base]
		if x.Flags&extZero != 0 {
			clear(dst)
			continue
		}
		n, err := f.blocks.ReadAt(ctx, x.Block, dst, int64(x.Off+(a-x.Start)))
		if n == len(dst) && (err == nil || err == io.EOF) {
			continue
		}
		if err == nil || err == io.EOF {
			return NewError(CodeIO, "read", x.Block.String(), corruptErr("block shorter than its extent"))
		}
		if errors.Is(err, ErrNotFound) {
			return NewError(CodeIO, "read", x.Block.String(), corruptErr("missing block"))
		}
		return ioErr("read block", err)
	}
	clear(p[pos-base:])
	return nil
}

// ---- ReadAt, WriteAt, Commit -----------------------------------------------------

func (f *FS) regular(n *inode) error {
	switch n.Type {
	case TypeRegular:
		return nil
	case TypeDir:
		return ErrIsDir
	default:
		return ErrInvalid
	}
}

// ReadAt reads up to len(p) bytes of regular file h at off into p. It
// returns the number of bytes read, whether they reach the end of the
// file, and h's attributes as of the read (read in its transaction, with
// the access time the read set): NFS post-operation attributes need no
// other call. Holes read as zeroes. It needs read permission.
func (f *FS) ReadAt(ctx context.Context, c *Cred, h Handle, p []byte, off int64) (n int, eof bool, at Attr, err error) {
	if err := checkCred(c); err != nil {
		return 0, false, at, err
	}
	if off < 0 {
		return 0, false, at, ErrInvalid
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	l := f.lockFile(h.ID)
	l.RLock()
	defer l.RUnlock()
	var ino inode
	var cnt uint64
	err = f.view(ctx, o, func(o *op) error {
		if err := o.node(h, &ino); err != nil {
			return err
		}
		if err := f.regular(&ino); err != nil {
			return err
		}
		if err := f.may(c, &ino, AccessRead); err != nil {
			return err
		}
		if uint64(off) >= ino.Size {
			return nil
		}
		cnt = min(uint64(len(p)), ino.Size-uint64(off))
		return o.extentsIn(ino.ID, uint64(off), uint64(off)+cnt)
	})
	if err != nil {
		return 0, false, at, err
	}
	start, end := uint64(off), uint64(off)+cnt
	buf := p[:cnt]
	fb := f.fileBuffer(h.ID, false)
	for pos := start; pos < end; {
		ci := pos / f.bsize
		ce := min((ci+1)*f.bsize, end)
		seg := buf[pos-start : ce-start]
		var cb *chunkBuf
		if fb != nil {
			cb = fb.chunks[ci]
		}
		if err := f.readExtents(ctx, o.exts, seg, pos); err != nil {
			return 0, false, at, f.staleOr(ctx, h, err)
		}
		if cb != nil {
			for _, g := range cb.segs {
				a, b := max(g.s, pos), min(g.end(), ce)
				if a < b {
					copy(seg[a-pos:b-pos], g.b[a-g.s:])
				}
			}
		}
		pos = ce
	}
	f.readAtime(ctx, o, h, &ino)
	ino.attr(&at)
	return int(cnt), end >= ino.Size, at, nil
}

// staleOr returns ErrStale if h was deleted (a block of a file removed
// while it was read may be gone), else err.
func (f *FS) staleOr(ctx context.Context, h Handle, err error) error {
	if _, e := f.GetAttr(ctx, nil, h); errors.Is(e, ErrStale) {
		return ErrStale
	}
	return err
}

// readAtime updates the access time after a read of n by the policy, and
// sets n's (for the attributes ReadAt returns) when it did.
func (f *FS) readAtime(ctx context.Context, o *op, h Handle, n *inode) {
	now := f.now()
	switch f.opts.Atime {
	case AtimeNever:
		return
	case AtimeRelative:
		if n.Atime > n.Mtime && n.Atime > n.Ctime && now-n.Atime < int64(24*time.Hour) {
			return
		}
	}
	var m inode
	err := f.update(ctx, o, func(o *op) error {
		if err := o.node(h, &m); err != nil {
			return err
		}
		m.Atime = now
		return o.putInode(&m)
	})
	if err == nil {
		*n = m
	}
}

// WriteAt writes p to regular file h at off and returns the number of
// bytes written and h's attributes before and after the write, both read
// in the write's one metadata transaction (NFSv3 wcc_data). It needs
// write permission, clears setuid/setgid when the caller is not
// privileged, and fails with ErrTooBig past Options.MaxFileSize. An
// Unstable write may stay in memory until Commit; a DataSync or FileSync
// write is durable on return. After.Used counts only bytes mapped to
// blocks, which small stable writes are not until they are folded.
func (f *FS) WriteAt(ctx context.Context, c *Cred, h Handle, p []byte, off int64, how Stability) (int, Wcc, error) {
	if err := checkCred(c); err != nil {
		return 0, Wcc{}, err
	}
	if off < 0 {
		return 0, Wcc{}, ErrInvalid
	}
	end := uint64(off) + uint64(len(p))
	if end > f.opts.MaxFileSize || end < uint64(off) {
		return 0, Wcc{}, ErrTooBig
	}
	if f.opts.Capacity > 0 && uint64(f.bytes.Load())+uint64(len(p)) > f.opts.Capacity {
		return 0, Wcc{}, ErrNoSpace
	}
	var w Wcc
	var err error
	if f.loggable(len(p), uint64(off), how) {
		w, err = f.writeLogged(ctx, c, h, p, uint64(off))
	} else {
		err = f.writeLocked(ctx, c, h, p, uint64(off), how, &w)
	}
	f.evict(ctx)
	if err != nil {
		return 0, Wcc{}, err
	}
	if how != Unstable && len(p) > 0 {
		// The file lock is released: stable writes to the file that
		// arrive meanwhile share this sync.
		if err := f.waitDurable(ctx); err != nil {
			return 0, Wcc{}, err
		}
	}
	return len(p), w, nil
}

// Parts of a write: the bytes of p falling in one chunk, and how they are
// stored.
const (
	partBuffer = iota // into the open block only (unstable)
	partLog           // logged as an intent and into the open block (small stable)
	partDirect        // stored as a block and mapped at once
)

type writePart struct {
	kind uint8
	ci   uint64 // chunk
	s    uint64 // file offset
	p    []byte
	seq  uint64 // partLog: the intent's sequence number
}

// maxLogged is the largest part of a stable write logged as an intent
// (and at most a quarter of a block); larger parts are stored as blocks at
// once. It bounds the intent values the metadata store holds.
const maxLogged = 64 << 10

// writeLocked is the part of WriteAt under the file's lock.
//
// A write is split by chunk into parts. A part covering a whole chunk is
// stored as a block and mapped (partDirect). A part of a stable write of
// at most maxLogged bytes is logged: its bytes go into an intent record
// in the same transaction, so the write costs one transaction and the
// shared sync, and into the open block; the intent is deleted when the
// open block is sealed (the fold, see sealChunk). A larger part of a
// stable write is stored as its own block. An unstable part goes only
// into the open block. Blocks are put before the transaction that maps
// them. A stable write waits for the shared sync (f.durable) after
// releasing the file's lock, so stable writes to one file share syncs.
func (f *FS) writeLocked(ctx context.Context, c *Cred, h Handle, p []byte, start uint64, how Stability, w *Wcc) error {
	o := f.getOp(ctx)
	defer f.putOp(o)
	l := f.lockFile(h.ID)
	l.Lock()
	defer l.Unlock()
	end := start + uint64(len(p))
	fb := f.fileBuffer(h.ID, false) // made after the transaction if needed
	var partBuf [4]writePart
	parts := partBuf[:0]
	var pbs []pendingBlock
	var exts []extent
	for pos := start; pos < end; {
		ci := pos / f.bsize
		cs := ci * f.bsize
		ce := min(cs+f.bsize, end)
		pt := writePart{ci: ci, s: pos, p: p[pos-start : ce-start]}
		switch {
		case pos == cs && ce == cs+f.bsize:
			pt.kind = partDirect
		case how == Unstable:
			pt.kind = partBuffer
		case uint64(len(pt.p)) <= f.maxLogged:
			pt.kind = partLog
			pt.seq = f.intentSeq.Add(1)
		default:
			pt.kind = partDirect
			// An intent of this chunk replayed after a crash would
			// land on top of this newer mapping: fold them first.
			if cb := fb.chunk(ci); cb != nil && len(cb.intents) > 0 {
				if err := f.sealChunk(ctx, o, fb, h.ID, ci, cb); err != nil {
					return err
				}
			}
		}
		if pt.kind == partDirect {
			bid := f.names.name(pt.p)
			pbs = append(pbs, pendingBlock{bid, pt.p})
			exts = append(exts, extent{Start: pos, End: ce, Block: bid})
		}
		parts = append(parts, pt)
		pos = ce
	}
	unlock := func() {}
	if len(pbs) > 0 {
		var err error
		if unlock, err = f.putBlocks(ctx, pbs); err != nil {
			return err
		}
	}
	err := f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.regular(&n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessWrite); err != nil {
			return err
		}
		n.attr(&w.Before)
		if len(p) > 0 {
			ch := ChangeLastWrite
			if end > n.Size {
				ch |= ChangeSize
			}
			o.noteModified(&n, ch)
			if len(pbs) > 0 {
				if err := o.mapExtents(&n, pbs, exts); err != nil {
					return err
				}
			}
			for i := range parts {
				pt := &parts[i]
				switch pt.kind {
				case partLog:
					if err := o.tx.Put(o.key2(pfxIntent, n.ID, pt.seq), o.val(func(b []byte) []byte { return appendIntent(b, pt.s, pt.p) })); err != nil {
						return err
					}
				case partDirect:
					// a whole chunk supersedes the chunk's intents
					if cb := fb.chunk(pt.ci); cb != nil && uint64(len(pt.p)) == f.bsize {
						for _, seq := range cb.intents {
							if err := o.tx.Delete(o.key2(pfxIntent, n.ID, seq)); err != nil {
								return err
							}
						}
					}
				}
			}
			n.Size = max(n.Size, end)
			touch(&n, f.now(), true)
			f.killPriv(c, &n)
			if err := o.putInode(&n); err != nil {
				return err
			}
		}
		n.attr(&w.After)
		return nil
	})
	unlock()
	if err != nil {
		if len(pbs) > 0 {
			f.reclaimPut(ctx, pbs)
		}
		if errors.Is(err, ErrStale) {
			err = ErrStale
		}
		return err
	}
	if len(p) == 0 {
		return nil
	}
	fb = f.fileBuffer(h.ID, true)
	for i := range parts {
		pt := &parts[i]
		var err error
		switch pt.kind {
		case partDirect:
			if cb := fb.chunks[pt.ci]; cb != nil {
				if uint64(len(pt.p)) == f.bsize {
					f.account(fb, -cb.held())
					cb.segs, cb.intents = nil, nil
					delete(fb.chunks, pt.ci)
				} else {
					f.account(fb, cb.trim(pt.s, pt.s+uint64(len(pt.p))))
				}
			}
		case partLog:
			err = f.bufferWrite(ctx, o, fb, h.ID, pt.ci, pt.s, pt.p, pt.seq)
		default:
			err = f.bufferWrite(ctx, o, fb, h.ID, pt.ci, pt.s, pt.p, 0)
		}
		if err != nil {
			if errors.Is(err, ErrStale) {
				err = ErrStale
			}
			return err
		}
	}
	return nil
}

// Commit makes every write to h durable (NFS COMMIT): it seals h's open
// blocks that hold unstable writes (stable writes are durable already)
// and syncs the backends, sharing the sync with concurrent stable writes
// and Commits. It returns the write verifier.
func (f *FS) Commit(ctx context.Context, c *Cred, h Handle) (Verifier, error) {
	if err := checkCred(c); err != nil {
		return Verifier{}, err
	}
	l := f.lockFile(h.ID)
	l.Lock()
	err := f.flushFile(ctx, h.ID, false, true)
	l.Unlock()
	if err != nil {
		return Verifier{}, err
	}
	if _, err := f.GetAttr(ctx, nil, h); err != nil {
		return Verifier{}, err
	}
	return f.verf, f.waitDurable(ctx)
}

// Sync seals every open block of every file and syncs the backends.
func (f *FS) Sync(ctx context.Context) error {
	if err := f.flushAll(ctx); err != nil {
		return err
	}
	return f.waitDurable(ctx)
}

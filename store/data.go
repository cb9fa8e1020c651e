package store

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"time"
)

// ---- open blocks ---------------------------------------------------------------
//
// A regular file's content is a map of extents onto blocks (see doc.go). Writes
// go first to open blocks: in-memory copies of a chunk of the file (chunk i
// is the bytes [i*BlockSize, (i+1)*BlockSize)) holding its whole current
// content. An open block is sealed — hashed, stored under its hash and
// mapped by extents — when the chunk is completely written, on Commit, when
// an operation needs the metadata to be complete (truncate, clone, copy,
// seek, allocate, deallocate), when memory runs over Options.BufferBytes,
// and on Close. A stable write of part of a chunk does not seal it: it
// stores just the bytes written as a journal block under a random id and
// maps them, so that small stable writes cost their size, not a rehash;
// the next seal of the chunk replaces the journal extents.
//
// Buffers of a file are guarded by the file's lock (f.lockFile): writers,
// sealers and truncation hold it exclusively, readers shared.

type rng struct{ s, e uint64 }

type chunkBuf struct {
	data    []byte // content from the chunk's start; bytes past len are holes
	rs      []rng  // sorted, disjoint, non-adjacent data ranges (chunk-relative)
	dirty   bool   // holds writes the metadata does not map
	journal bool   // the metadata maps journal blocks in this chunk
}

type fileBuf struct {
	id     uint64
	chunks map[uint64]*chunkBuf
	bytes  int64
	tick   uint64
}

func addRange(rs []rng, s, e uint64) []rng {
	if s >= e {
		return rs
	}
	i := 0
	for i < len(rs) && rs[i].e < s {
		i++
	}
	j := i
	for j < len(rs) && rs[j].s <= e {
		s = min(s, rs[j].s)
		e = max(e, rs[j].e)
		j++
	}
	if i == j {
		rs = append(rs, rng{})
		copy(rs[i+1:], rs[i:])
		rs[i] = rng{s, e}
		return rs
	}
	rs[i] = rng{s, e}
	return append(rs[:i+1], rs[j:]...)
}

// fileBuffer returns the buffers of id, making them when create is set.
func (f *FS) fileBuffer(id uint64, create bool) *fileBuf {
	f.bufMu.Lock()
	defer f.bufMu.Unlock()
	fb := f.bufs[id]
	if fb == nil && create {
		fb = &fileBuf{id: id, chunks: make(map[uint64]*chunkBuf)}
		f.bufs[id] = fb
	}
	if fb != nil {
		f.bufTick++
		fb.tick = f.bufTick
	}
	return fb
}

func (f *FS) account(fb *fileBuf, d int64) {
	f.bufMu.Lock()
	fb.bytes += d
	f.bufBytes += d
	f.bufMu.Unlock()
}

// chunk returns the open block of chunk ci of file id, loading it from the
// metadata and blocks when absent. The file lock is held exclusively.
func (f *FS) chunk(ctx context.Context, o *op, fb *fileBuf, id, ci uint64) (*chunkBuf, error) {
	if cb := fb.chunks[ci]; cb != nil {
		return cb, nil
	}
	cs := ci * f.bsize
	ce := cs + f.bsize
	cb := &chunkBuf{}
	err := f.view(ctx, o, func(o *op) error { return o.extentsIn(id, cs, ce) })
	if err != nil {
		return nil, err
	}
	if len(o.exts) > 0 {
		last := o.exts[len(o.exts)-1]
		n := min(last.End, ce) - cs
		cb.data = f.getBuf(n)
		pos := uint64(0)
		for _, x := range o.exts { // zero the holes; readExtents fills the rest
			a := max(x.Start, cs) - cs
			clear(cb.data[pos:max(pos, a)])
			pos = max(pos, min(x.End, ce)-cs)
		}
		if err := f.readExtents(ctx, o.exts, cb.data, cs); err != nil {
			f.putBuf(cb.data)
			return nil, err
		}
		for _, x := range o.exts {
			cb.rs = addRange(cb.rs, max(x.Start, cs)-cs, min(x.End, ce)-cs)
		}
	}
	fb.chunks[ci] = cb
	f.account(fb, int64(cap(cb.data)))
	return cb, nil
}

// getBuf returns a buffer of length n for an open block, NOT zeroed:
// buffers of a whole block come from a pool, and the caller clears what it
// does not overwrite.
func (f *FS) getBuf(n uint64) []byte {
	c := f.growCap(n)
	if c == f.bsize {
		if b, ok := f.bufPool.Get().(*[]byte); ok {
			return (*b)[:n]
		}
	}
	return make([]byte, n, c)
}

func (f *FS) putBuf(b []byte) {
	if uint64(cap(b)) == f.bsize {
		f.bufPool.Put(&b)
	}
}

func (f *FS) growCap(n uint64) uint64 {
	c := uint64(4096)
	for c < n {
		c *= 2
	}
	return min(c, f.bsize)
}

// write copies p into the chunk at chunk-relative offset s.
func (f *FS) writeChunk(fb *fileBuf, cb *chunkBuf, s uint64, p []byte) {
	e := s + uint64(len(p))
	if e > uint64(len(cb.data)) {
		if e > uint64(cap(cb.data)) {
			nd := f.getBuf(e)
			k := copy(nd, cb.data)
			clear(nd[uint64(k):max(uint64(k), s)]) // [s, e) is overwritten below
			f.account(fb, int64(cap(nd)-cap(cb.data)))
			f.putBuf(cb.data)
			cb.data = nd
		} else {
			old := len(cb.data)
			cb.data = cb.data[:e]
			clear(cb.data[old:])
		}
	}
	copy(cb.data[s:], p)
	cb.rs = addRange(cb.rs, s, e)
	cb.dirty = true
}

func (f *FS) full(cb *chunkBuf) bool {
	return len(cb.rs) == 1 && cb.rs[0].s == 0 && cb.rs[0].e == f.bsize
}

// sealChunk stores the content of an open block under its hash and maps the
// chunk's data ranges onto it, replacing what the chunk mapped before. A
// sparse chunk (less than half of the span of its data is data) is stored
// as one block per data range instead, so that scattered small writes do
// not hash and store the holes between them. A chunk of a deleted file is
// dropped.
func (f *FS) sealChunk(ctx context.Context, o *op, id, ci uint64, cb *chunkBuf) error {
	if !cb.dirty && !cb.journal {
		return nil
	}
	cs := ci * f.bsize
	if len(cb.rs) == 0 {
		cb.dirty, cb.journal = false, false
		return nil
	}
	lo, hi := cb.rs[0].s, cb.rs[len(cb.rs)-1].e
	var data uint64
	for _, r := range cb.rs {
		data += r.e - r.s
	}
	var pbs []pendingBlock
	var exts []extent
	if data*2 >= hi-lo {
		content := cb.data[lo:hi]
		bid := BlockID(sha256.Sum256(content))
		pbs = append(pbs, pendingBlock{bid, content})
		for _, r := range cb.rs {
			exts = append(exts, extent{Start: cs + r.s, End: cs + r.e, Off: r.s - lo, Block: bid})
		}
	} else {
		for _, r := range cb.rs {
			content := cb.data[r.s:r.e]
			bid := BlockID(sha256.Sum256(content))
			pbs = append(pbs, pendingBlock{bid, content})
			exts = append(exts, extent{Start: cs + r.s, End: cs + r.e, Block: bid})
		}
	}
	if err := f.mapBlocks(ctx, o, id, cs, cs+f.bsize, pbs, exts); err != nil {
		if errors.Is(err, ErrStale) {
			return nil
		}
		return err
	}
	cb.dirty, cb.journal = false, false
	return nil
}

// pendingBlock is a block to store (unless the store has it) and map.
type pendingBlock struct {
	id      BlockID
	content []byte
}

// mapBlocks stores the blocks the store does not have, and in one
// transaction replaces the mapping of [s, e) of file id by exts, keeping
// Used right. The blocks' locks are held from the puts to the commit so
// that no reclaim runs in between.
func (f *FS) mapBlocks(ctx context.Context, o *op, id, s, e uint64, pbs []pendingBlock, exts []extent) error {
	var locks [8]uint8
	ls := locks[:0]
	for _, pb := range pbs {
		if !slices.Contains(ls, pb.id[0]) {
			ls = append(ls, pb.id[0])
		}
	}
	slices.Sort(ls)
	for _, l := range ls {
		f.blockLocks[l].Lock()
	}
	defer func() {
		for _, l := range ls {
			f.blockLocks[l].Unlock()
		}
	}()
	put := make([]bool, len(pbs))
	return f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.getInode(id, &n); err != nil {
			return err
		}
		for i, pb := range pbs {
			if _, err := o.tx.Get(o.keyBlock(pb.id)); errors.Is(err, ErrNotFound) {
				if !put[i] {
					if f.opts.Capacity > 0 && uint64(f.bytes.Load())+uint64(len(pb.content)) > f.opts.Capacity {
						return ErrNoSpace
					}
					if err := f.blocks.Put(ctx, pb.id, pb.content); err != nil {
						return ioErr("put block", err)
					}
					put[i] = true
					o.put = append(o.put, pb.id)
				}
			} else if err != nil {
				return err
			}
			o.ref(pb.id, 0, uint64(len(pb.content)))
		}
		freed, err := o.punch(id, s, e)
		if err != nil {
			return err
		}
		var added uint64
		for i := range exts {
			added += exts[i].len()
			if err := o.putExtentRaw(id, &exts[i]); err != nil {
				return err
			}
		}
		n.Used = n.Used - min(n.Used, freed) + added
		return o.putInode(&n)
	})
}

// sealDirect maps a write that covers chunk ci completely straight onto a
// block of its content, without copying it into an open block first.
func (f *FS) sealDirect(ctx context.Context, o *op, fb *fileBuf, id, ci uint64, p []byte) error {
	if cb := fb.chunks[ci]; cb != nil {
		delete(fb.chunks, ci)
		f.account(fb, -int64(cap(cb.data)))
		f.putBuf(cb.data)
	}
	cs := ci * f.bsize
	bid := BlockID(sha256.Sum256(p))
	err := f.mapBlocks(ctx, o, id, cs, cs+f.bsize, []pendingBlock{{bid, p}},
		[]extent{{Start: cs, End: cs + f.bsize, Block: bid}})
	if errors.Is(err, ErrStale) {
		return nil
	}
	return err
}

// journal makes the bytes p written at file offset off durable without
// sealing their chunk: they are stored as a block of their own under a
// random id and mapped.
func (f *FS) journal(ctx context.Context, o *op, id, off uint64, p []byte) error {
	var bid BlockID
	if _, err := crand.Read(bid[:]); err != nil {
		return ioErr("journal", err)
	}
	end := off + uint64(len(p))
	return f.mapBlocks(ctx, o, id, off, end, []pendingBlock{{bid, p}},
		[]extent{{Start: off, End: end, Block: bid}})
}

// flushFile seals every open block of id that the metadata does not map
// exactly, and drops the buffers when drop is set. The caller holds the
// file's lock exclusively.
func (f *FS) flushFile(ctx context.Context, id uint64, drop bool) error {
	fb := f.fileBuffer(id, false)
	if fb == nil {
		return nil
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	for ci, cb := range fb.chunks {
		if err := f.sealChunk(ctx, o, id, ci, cb); err != nil {
			return err
		}
	}
	if drop {
		f.removeBuffers(fb)
	}
	return nil
}

// sealFile flushes and drops the buffers of id, for operations that change
// the mapping directly. The caller holds the file's lock exclusively.
func (f *FS) sealFile(ctx context.Context, id uint64) error { return f.flushFile(ctx, id, true) }

func (f *FS) removeBuffers(fb *fileBuf) {
	f.bufMu.Lock()
	if f.bufs[fb.id] == fb {
		delete(f.bufs, fb.id)
	}
	f.bufBytes -= fb.bytes
	fb.bytes = 0
	f.bufMu.Unlock()
	for _, cb := range fb.chunks {
		f.putBuf(cb.data)
	}
	clear(fb.chunks)
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
		err := f.flushFile(ctx, id, true)
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
		err := f.flushFile(ctx, victim.id, true)
		l.Unlock()
		if err != nil {
			return // keep the data; a later write or Commit retries
		}
	}
}

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
// (clipped to p). Bytes no extent maps are left as they are.
func (f *FS) readExtents(ctx context.Context, exts []extent, p []byte, base uint64) error {
	end := base + uint64(len(p))
	for i := range exts {
		x := &exts[i]
		a, b := max(x.Start, base), min(x.End, end)
		if a >= b {
			continue
		}
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
// returns the number of bytes read and whether they reach the end of the
// file; holes read as zeroes. It needs read permission.
func (f *FS) ReadAt(ctx context.Context, c *Cred, h Handle, p []byte, off int64) (n int, eof bool, err error) {
	if err := checkCred(c); err != nil {
		return 0, false, err
	}
	if off < 0 {
		return 0, false, ErrInvalid
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
		return 0, false, err
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
		if cb != nil {
			rel := pos - ci*f.bsize
			k := 0
			if rel < uint64(len(cb.data)) {
				k = copy(seg, cb.data[rel:])
			}
			clear(seg[k:])
		} else {
			clear(seg)
			if err := f.readExtents(ctx, o.exts, seg, pos); err != nil {
				return 0, false, f.staleOr(ctx, h, err)
			}
		}
		pos = ce
	}
	f.readAtime(ctx, o, h, &ino)
	return int(cnt), end >= ino.Size, nil
}

// staleOr returns ErrStale if h was deleted (a block of a file removed
// while it was read may be gone), else err.
func (f *FS) staleOr(ctx context.Context, h Handle, err error) error {
	if _, e := f.GetAttr(ctx, nil, h); errors.Is(e, ErrStale) {
		return ErrStale
	}
	return err
}

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
	_ = f.update(ctx, o, func(o *op) error {
		var m inode
		if err := o.node(h, &m); err != nil {
			return err
		}
		m.Atime = now
		return o.putInode(&m)
	})
}

// WriteAt writes p to regular file h at off and returns the number of
// bytes written and the new attributes. It needs write permission, clears
// setuid/setgid when the caller is not privileged, and fails with
// ErrTooBig past Options.MaxFileSize. An Unstable write may stay in memory
// until Commit; a DataSync or FileSync write is durable on return.
func (f *FS) WriteAt(ctx context.Context, c *Cred, h Handle, p []byte, off int64, how Stability) (int, Attr, error) {
	if err := checkCred(c); err != nil {
		return 0, Attr{}, err
	}
	if off < 0 {
		return 0, Attr{}, ErrInvalid
	}
	end := uint64(off) + uint64(len(p))
	if end > f.opts.MaxFileSize || end < uint64(off) {
		return 0, Attr{}, ErrTooBig
	}
	if f.opts.Capacity > 0 && uint64(f.bytes.Load())+uint64(len(p)) > f.opts.Capacity {
		return 0, Attr{}, ErrNoSpace
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	defer f.evict(ctx)
	l := f.lockFile(h.ID)
	l.Lock()
	defer l.Unlock()
	var at Attr
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
		if len(p) > 0 {
			n.Size = max(n.Size, end)
			touch(&n, f.now(), true)
			f.killPriv(c, &n)
			if err := o.putInode(&n); err != nil {
				return err
			}
		}
		n.attr(&at)
		return nil
	})
	if err != nil || len(p) == 0 {
		return 0, at, err
	}
	fb := f.fileBuffer(h.ID, true)
	start := uint64(off)
	for pos := start; pos < end; {
		ci := pos / f.bsize
		cs := ci * f.bsize
		ce := min(cs+f.bsize, end)
		if pos == cs && ce == cs+f.bsize {
			if err := f.sealDirect(ctx, o, fb, h.ID, ci, p[pos-start:ce-start]); err != nil {
				return 0, at, err
			}
			pos = ce
			continue
		}
		cb, err := f.chunk(ctx, o, fb, h.ID, ci)
		if err != nil {
			return 0, at, err
		}
		wasDirty := cb.dirty
		part := p[pos-start : ce-start]
		f.writeChunk(fb, cb, pos-cs, part)
		switch {
		case f.full(cb):
			err = f.sealChunk(ctx, o, h.ID, ci, cb)
		case how != Unstable:
			if err = f.journal(ctx, o, h.ID, pos, part); err == nil {
				cb.journal = true
				cb.dirty = wasDirty
			}
		}
		if err != nil {
			return 0, at, err
		}
		pos = ce
	}
	if how != Unstable {
		if err := f.syncAll(ctx); err != nil {
			return 0, at, err
		}
		// Used changed with the new mappings
		if a, err := f.GetAttr(ctx, nil, h); err == nil {
			at = a
		}
	}
	return len(p), at, nil
}

// Commit makes every write to h durable (NFS COMMIT): it seals h's open
// blocks and syncs the backends. It returns the write verifier.
func (f *FS) Commit(ctx context.Context, c *Cred, h Handle) (Verifier, error) {
	if err := checkCred(c); err != nil {
		return Verifier{}, err
	}
	l := f.lockFile(h.ID)
	l.Lock()
	err := f.flushFile(ctx, h.ID, false)
	l.Unlock()
	if err != nil {
		return Verifier{}, err
	}
	if _, err := f.GetAttr(ctx, nil, h); err != nil {
		return Verifier{}, err
	}
	return f.verf, f.syncAll(ctx)
}

// Sync seals every open block of every file and syncs the backends.
func (f *FS) Sync(ctx context.Context) error {
	if err := f.flushAll(ctx); err != nil {
		return err
	}
	return f.syncAll(ctx)
}

package store

import (
	"context"
	"errors"
	"slices"
	"time"
)

// ---- open blocks ---------------------------------------------------------------
//
// A regular file's content is a map of extents onto content-addressed
// blocks (see doc.go). Unstable writes go first to open blocks: per chunk of
// the file (chunk i is the bytes [i*BlockSize, (i+1)*BlockSize)), the runs of
// bytes written since the chunk was last sealed, kept in memory and laid
// over the extents by reads. Only written bytes are held: nothing is read
// from the store to write, and a small write costs its size.
//
// Sealing a chunk stores its runs as one block named by a keyed hash of
// their bytes (packed one after the other, see packRuns) and maps each run
// to its part of it, in one transaction. A run that covers a whole chunk is
// sealed at once; the others on Commit (only chunks holding unstable
// writes), when an operation needs the mapping
// complete (truncate, clone, copy, seek, allocate, deallocate, fsck), when
// memory passes Options.BufferBytes (least recently written files first),
// and on Close. A small stable write is logged as an intent and kept in
// the open block; sealing the chunk folds it (intent.go). A larger part of
// a stable write is stored as a block at once.
//
// The buffers of a file are guarded by the file's lock (f.lockFile):
// writers, sealers and truncation hold it exclusively, readers shared.

// seg is a run of written bytes: file bytes [s, s+len(b)).
type seg struct {
	s uint64
	b []byte
}

func (g *seg) end() uint64 { return g.s + uint64(len(g.b)) }

type chunkBuf struct {
	segs []seg // sorted, disjoint and not adjacent
	// intents are the sequence numbers of the intents (logged stable
	// writes) whose bytes the runs hold and no extent maps yet; sealing
	// the chunk deletes them. unstable is set when the runs hold bytes of
	// unstable writes, which Commit must seal.
	intents  []uint64
	unstable bool
}

type fileBuf struct {
	id     uint64
	chunks map[uint64]*chunkBuf
	bytes  int64 // bytes held
	tick   uint64
	last   time.Time // last write (wall clock: only the flusher uses it)
}

// insert writes p at file offset s, merging it with the runs it overlaps or
// touches, and returns the change in bytes held. Runs never share arrays.
func (cb *chunkBuf) insert(s uint64, p []byte, limit uint64) int64 {
	e := s + uint64(len(p))
	i := 0
	for i < len(cb.segs) && cb.segs[i].end() < s {
		i++
	}
	j := i
	for j < len(cb.segs) && cb.segs[j].s <= e {
		j++
	}
	if i == j {
		cb.segs = slices.Insert(cb.segs, i, seg{s, slices.Clone(p)})
		return int64(len(p))
	}
	ns, ne := min(s, cb.segs[i].s), max(e, cb.segs[j-1].end())
	var before int64
	for k := i; k < j; k++ {
		before += int64(len(cb.segs[k].b))
	}
	g := &cb.segs[i]
	var nb []byte
	if j == i+1 && g.s == ns && ne-ns <= uint64(cap(g.b)) {
		nb = g.b[:ne-ns] // in place: appends and overwrites of one run
	} else {
		c := ne - ns
		if j == i+1 && g.s == ns {
			c = min(max(c, 2*uint64(cap(g.b))), max(limit, c)) // room to append
		}
		nb = make([]byte, ne-ns, c)
		for k := i; k < j; k++ {
			copy(nb[cb.segs[k].s-ns:], cb.segs[k].b)
		}
	}
	copy(nb[s-ns:], p)
	cb.segs[i] = seg{ns, nb}
	cb.segs = slices.Delete(cb.segs, i+1, j)
	return int64(ne-ns) - before
}

// covers reports whether the runs cover [s, e) in one piece.
func (cb *chunkBuf) covers(s, e uint64) bool {
	return len(cb.segs) == 1 && cb.segs[0].s <= s && cb.segs[0].end() >= e
}

// chunk returns the open block of chunk ci, or nil (fb may be nil).
func (fb *fileBuf) chunk(ci uint64) *chunkBuf {
	if fb == nil {
		return nil
	}
	return fb.chunks[ci]
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
		if create {
			fb.last = time.Now()
		}
	}
	return fb
}

// flusher seals, every interval, the open blocks of files not written for
// an interval.
func (f *FS) flusher(interval time.Duration) {
	defer f.bg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		var ids []uint64
		now := time.Now()
		f.bufMu.Lock()
		for id, fb := range f.bufs {
			if fb.bytes > 0 && now.Sub(fb.last) >= interval {
				ids = append(ids, id)
			}
		}
		f.bufMu.Unlock()
		for _, id := range ids {
			l := f.lockFile(id)
			l.Lock()
			_ = f.flushFile(context.Background(), id, true, false) // kept on failure; retried next time
			l.Unlock()
		}
	}
}

func (f *FS) account(fb *fileBuf, d int64) {
	if d == 0 {
		return
	}
	f.bufMu.Lock()
	fb.bytes += d
	f.bufBytes += d
	f.bufMu.Unlock()
}

// bufferWrite puts p, written at file offset off within chunk ci, into the
// open block of the chunk, and seals the chunk if p completes it. logged
// is the sequence number of the intent that holds p durably (0 for an
// unstable write).
func (f *FS) bufferWrite(ctx context.Context, o *op, fb *fileBuf, id, ci, off uint64, p []byte, logged uint64) error {
	cb := fb.chunks[ci]
	if cb == nil {
		cb = &chunkBuf{}
		fb.chunks[ci] = cb
	}
	f.account(fb, cb.insert(off, p, f.bsize))
	if logged != 0 {
		cb.intents = append(cb.intents, logged)
	} else {
		cb.unstable = true
	}
	cs := ci * f.bsize
	if cb.covers(cs, cs+f.bsize) {
		return f.sealChunk(ctx, o, fb, id, ci, cb)
	}
	return nil
}

// sealChunk seals chunk ci of fb (see sealChunks).
func (f *FS) sealChunk(ctx context.Context, o *op, fb *fileBuf, id, ci uint64, cb *chunkBuf) error {
	return f.sealChunks(ctx, o, fb, id, []uint64{ci})
}

// sealChunks stores the runs of the open blocks cis of fb as blocks and
// maps them, one transaction per chunk, then empties those open blocks.
// The blocks of all the chunks are stored first, under their locks. When
// a chunk holds logged stable writes, its transaction also deletes their
// intents (the fold), and the stored blocks are synced, once for all the
// chunks, before any transaction: an intent goes only once the blocks
// that replace it are on stable storage (intent.go). A chunk of a deleted
// file is dropped.
func (f *FS) sealChunks(ctx context.Context, o *op, fb *fileBuf, id uint64, cis []uint64) error {
	type job struct {
		ci   uint64
		cb   *chunkBuf
		pbs  []pendingBlock
		exts []extent
		held int64
	}
	jobs := make([]job, 0, len(cis))
	var all []pendingBlock
	fold := false
	for _, ci := range cis {
		cb := fb.chunks[ci]
		if cb == nil {
			continue
		}
		if len(cb.segs) == 0 && len(cb.intents) == 0 {
			cb.unstable = false
			continue
		}
		j := job{ci: ci, cb: cb, exts: make([]extent, 0, len(cb.segs))}
		j.pbs, j.exts, j.held = packRuns(f.names, cb.segs, j.exts)
		all = append(all, j.pbs...)
		fold = fold || len(cb.intents) > 0
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return nil
	}
	unlock, err := f.putBlocks(ctx, all)
	if err != nil {
		return err
	}
	defer unlock()
	if fold {
		if err := f.waitBlocksDurable(ctx); err != nil {
			f.reclaimPut(ctx, all)
			return err
		}
	}
	for i, j := range jobs {
		err := f.update(ctx, o, func(o *op) error {
			var n inode
			if err := o.getInode(id, &n); err != nil {
				return err
			}
			if err := o.mapExtents(&n, j.pbs, j.exts); err != nil {
				return err
			}
			for _, seq := range j.cb.intents {
				if err := o.tx.Delete(o.key2(pfxIntent, id, seq)); err != nil {
					return err
				}
			}
			return o.putInode(&n)
		})
		if err != nil {
			var left []pendingBlock
			for _, k := range jobs[i:] {
				left = append(left, k.pbs...)
			}
			f.reclaimPut(ctx, left)
			if !errors.Is(err, ErrStale) {
				return err
			}
			// the file is gone: nothing maps its blocks; drop its chunks
			for _, k := range jobs[i:] {
				k.cb.segs, k.cb.intents, k.cb.unstable = k.cb.segs[:0], k.cb.intents[:0], false
				f.account(fb, -k.held)
			}
			return nil
		}
		j.cb.segs = j.cb.segs[:0]
		j.cb.intents, j.cb.unstable = j.cb.intents[:0], false
		f.account(fb, -j.held)
	}
	return nil
}

// packRuns returns the block and extents that seal the runs segs of one
// chunk, and the bytes they hold. Several runs are packed into one block
// (their bytes one after the other), each run an extent at its offset in
// it: a chunk of scattered small writes is then one block, one Put and
// one file, not one per run, and holes between the runs stay holes. The
// block is named by the keyed hash of the packed bytes (blockname.go) like any other and is
// referenced once per extent, so it goes when the last of them does.
func packRuns(bn blockNamer, segs []seg, exts []extent) ([]pendingBlock, []extent, int64) {
	if len(segs) == 1 {
		g := segs[0]
		bid := bn.name(g.b)
		return []pendingBlock{{bid, g.b}}, append(exts, extent{Start: g.s, End: g.end(), Block: bid}), int64(len(g.b))
	}
	var n int
	for _, g := range segs {
		n += len(g.b)
	}
	packed := make([]byte, 0, n)
	for _, g := range segs {
		packed = append(packed, g.b...)
	}
	bid := bn.name(packed)
	var off uint64
	for _, g := range segs {
		exts = append(exts, extent{Start: g.s, End: g.end(), Block: bid, Off: off})
		off += uint64(len(g.b))
	}
	return []pendingBlock{{bid, packed}}, exts, int64(n)
}

// pendingBlock is a block to store and map.
type pendingBlock struct {
	id      BlockID
	content []byte
}

// putBlocks stores the blocks pbs, before the transaction that maps them:
// no metadata transaction is held open across a Put (a slow object store
// would otherwise hold a database transaction). The blocks' locks are
// taken first and held until unlock, which the caller calls after the
// mapping committed, so that no reclaim deletes a block in between.
func (f *FS) putBlocks(ctx context.Context, pbs []pendingBlock) (unlock func(), err error) {
	var want [256]bool
	for _, pb := range pbs {
		want[pb.id[0]] = true
	}
	var ls []uint8
	for l := range want {
		if want[l] {
			ls = append(ls, uint8(l))
		}
	}
	for _, l := range ls {
		f.blockLocks[l].Lock()
	}
	unlock = func() {
		for _, l := range ls {
			f.blockLocks[l].Unlock()
		}
	}
	// Blocks the store has already (a record names them) are not put
	// again: the locks keep their records from going before the mapping
	// commits. One read-only transaction looks them all up.
	seen := make(map[BlockID]bool, len(pbs))
	o := f.getOp(ctx)
	err = f.view(ctx, o, func(o *op) error {
		for _, pb := range pbs {
			if seen[pb.id] {
				continue
			}
			_, err := o.tx.Get(o.keyBlock(pb.id))
			switch {
			case err == nil:
				seen[pb.id] = true
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		return nil
	})
	f.putOp(o)
	if err != nil {
		unlock()
		return nil, err
	}
	for i, pb := range pbs {
		if seen[pb.id] {
			continue
		}
		seen[pb.id] = true
		if err := f.blocks.Put(ctx, pb.id, pb.content); err != nil {
			unlock()
			f.reclaimPut(ctx, pbs[:i])
			return nil, ioErr("put block", err)
		}
	}
	return unlock, nil
}

// reclaimPut deletes those of the blocks pbs that no record references,
// after the transaction that was to map them failed. The caller holds no
// block lock.
func (f *FS) reclaimPut(ctx context.Context, pbs []pendingBlock) {
	ids := make([]BlockID, 0, len(pbs))
	for _, pb := range pbs {
		ids = append(ids, pb.id)
	}
	go f.reclaimBlocks(context.WithoutCancel(ctx), ids)
}

// mapExtents maps each extent of exts, naming the blocks pbs (already
// stored), in place of what mapped its range before, keeping n.Used and
// the block records right; the caller puts n. The extents are disjoint.
func (o *op) mapExtents(n *inode, pbs []pendingBlock, exts []extent) error {
	f := o.f
	for _, pb := range pbs {
		if _, err := o.tx.Get(o.keyBlock(pb.id)); errors.Is(err, ErrNotFound) {
			if f.opts.Capacity > 0 && uint64(f.bytes.Load())+uint64(len(pb.content)) > f.opts.Capacity {
				return ErrNoSpace
			}
		} else if err != nil {
			return err
		}
		o.ref(pb.id, 0, uint64(len(pb.content)))
	}
	var freed, added uint64
	for i := range exts {
		fr, err := o.punch(n.ID, exts[i].Start, exts[i].End)
		if err != nil {
			return err
		}
		freed += fr
	}
	for i := range exts {
		added += exts[i].len()
		if err := o.putExtentRaw(n.ID, &exts[i]); err != nil {
			return err
		}
	}
	n.Used = n.Used - min(n.Used, freed) + added
	return nil
}

// flushFile seals the open blocks of id: every one, or with onlyUnstable
// those holding unstable writes (what Commit must make durable; blocks
// holding only logged stable writes are durable already). It drops the
// buffers when drop is set. The caller holds the file's lock exclusively.
func (f *FS) flushFile(ctx context.Context, id uint64, drop, onlyUnstable bool) error {
	fb := f.fileBuffer(id, false)
	if fb == nil {
		return nil
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	cis := make([]uint64, 0, len(fb.chunks))
	for ci, cb := range fb.chunks {
		if !onlyUnstable || cb.unstable {
			cis = append(cis, ci)
		}
	}
	slices.Sort(cis)
	if err := f.sealChunks(ctx, o, fb, id, cis); err != nil {
		return err
	}
	if drop {
		f.removeBuffers(fb)
	}
	return nil
}

// sealFile flushes and drops the buffers of id, for operations that change
// the mapping directly. The caller holds the file's lock exclusively.
func (f *FS) sealFile(ctx context.Context, id uint64) error { return f.flushFile(ctx, id, true, false) }

func (f *FS) removeBuffers(fb *fileBuf) {
	f.bufMu.Lock()
	if f.bufs[fb.id] == fb {
		delete(f.bufs, fb.id)
	}
	f.bufBytes -= fb.bytes
	fb.bytes = 0
	f.bufMu.Unlock()
	clear(fb.chunks)
}

// trim removes the bytes [s, e) from the runs (a direct mapping replaced
// them) and returns the change in bytes held.
func (cb *chunkBuf) trim(s, e uint64) int64 {
	var d int64
	out := make([]seg, 0, len(cb.segs)+1)
	for _, g := range cb.segs {
		if g.end() <= s || g.s >= e {
			out = append(out, g)
			continue
		}
		d -= int64(len(g.b))
		if g.s < s {
			l := seg{g.s, slices.Clone(g.b[:s-g.s])}
			d += int64(len(l.b))
			out = append(out, l)
		}
		if g.end() > e {
			r := seg{e, slices.Clone(g.b[e-g.s:])}
			d += int64(len(r.b))
			out = append(out, r)
		}
	}
	cb.segs = out
	return d
}

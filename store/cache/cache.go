// Package cache is a write-back block cache: a store.Blocks that keeps
// blocks in a fast local tier (a store/localfs directory) in front of a slow
// remote one (typically store/s3), so that NFS and SMB writes are
// acknowledged at local-disk speed while the remote is slow or away.
//
//	remote, _ := s3.Open(ctx, s3.Options{Bucket: "dittofs"})
//	c, err := cache.Open(remote, cache.Options{Dir: "/var/cache/dittofs", Capacity: 20 << 30})
//	fs, err := store.NewFS(meta, c, store.Options{})
//	...
//	fs.Close(); c.Close() // also closes remote
//
// # Writes
//
// Put stores the block in the local tier and returns: it is durable when
// the next Sync returns (Sync fsyncs the local blocks and the journal), which
// store.FS calls for stable writes, COMMIT and SMB write-through exactly as
// for a plain localfs store. Background uploaders (Options.Uploads at once)
// then copy the block to the remote. Local space is bounded
// (Options.Capacity): a Put that does not fit evicts clean blocks (ones the
// remote has) least recently used first, and when only dirty blocks are left
// it waits until an upload makes one clean — backpressure, never an error,
// unless its context ends or the block alone is larger than the capacity.
//
// # The journal: what is pending after a crash
//
// Every block in the local directory is pending upload unless the journal
// says the remote has that version of it. The journal (DIR/journal) is an
// append-only file of 33-byte records, "U id" (uploaded) and "P id" (put
// again locally: pending once more), written with write(2) as things
// happen and fsynced by Sync, so a kill -9 loses nothing written and a
// power failure at most records written since the last Sync. Open replays
// it: a local block whose last record is U is clean, any other local
// block is dirty and queued for upload. A lost U record only means a block
// is uploaded twice; a P record is written before the block is reported
// stored, so a block the remote holds an older version of is never taken for
// clean. The journal is rewritten compactly at Open and when it grows past
// four records per block.
//
// # Reads
//
// ReadAt reads the local tier; on a miss it fetches the whole block from the
// remote (the read-ahead within a block: the following reads of the block
// are hits), serves the read from it, and keeps it locally as a clean block.
// Concurrent misses of one block share one fetch. store.FS names blocks by
// content hash, so the next block of a file cannot be guessed at this layer:
// read-ahead across blocks would need a hint from store.FS.
//
// # Delete, Walk and garbage collection
//
// Delete deletes the block locally and journals its remote delete ("X
// id"), which the uploaders run in the background (the next Open resumes
// them; "D id" records one done), so a removal never waits for the remote,
// even while it is down. From Delete on, reads and Walk no longer see the
// block; a Put of the same id supersedes the pending delete. At most one
// remote operation (upload or delete) of an id is in flight at a time, so
// they reach the remote in the order they were decided: a delete waits for
// an upload in flight, an upload for a delete in flight. Walk
// visits the dirty blocks first, then the remote's (skipping those and the
// deleted ones), so store.FS's GC sees every block, pending or uploaded; the
// cache itself never drops a dirty block (eviction takes clean ones only).
// Drain waits for the uploads and the remote deletes.
//
// # Metrics
//
// Stats returns hit and miss counts (HitRatio), dirty bytes and blocks, the
// upload queue, upload and fetch counts and the remote's latency.
package cache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/localfs"
)

// Options configures Open. Dir is required.
type Options struct {
	// Dir holds the local tier (Dir/blocks, a localfs directory) and the
	// journal (Dir/journal). One process at a time may use it.
	Dir string
	// Capacity bounds the bytes of blocks kept locally (default 1 GiB).
	Capacity int64
	// Uploads is how many blocks are uploaded at once (default 8).
	Uploads int
	// RetryDelay is the first delay before a failed upload is tried
	// again; it doubles up to a minute (default 1 s). The remote's own
	// retries come first.
	RetryDelay time.Duration
	// NoSync skips every fsync of the local tier and the journal, for
	// tests: a power failure may then lose acknowledged writes.
	NoSync bool
	// Logger receives upload failures. Nil discards them.
	Logger *slog.Logger
}

// Cache is the write-back cache. It is safe for concurrent use.
type Cache struct {
	remote store.Blocks
	local  *localfs.Blocks
	opts   Options
	log    *slog.Logger

	ctx    context.Context // canceled by Close: stops uploads
	cancel context.CancelFunc
	wg     sync.WaitGroup

	idLocks [64]sync.Mutex // serialize Put, Delete and fetch-store of one id
	seed    maphash.Seed

	syncMu sync.Mutex // one Sync at a time

	mu       sync.Mutex
	cond     *sync.Cond // space freed, upload done, queue grown, closed
	closed   bool
	entries  map[store.BlockID]*entry
	lru      *list.List // clean entries, most recently used at the front
	used     int64      // bytes of every local block
	dirty    int64      // bytes of dirty blocks
	dirtyN   int
	queue    []store.BlockID
	inflight int
	fetches  map[store.BlockID]*fetch
	writing  map[store.BlockID]int           // ids a Put is writing: not to evict
	deletes  map[store.BlockID]*remoteDelete // deleted here, not yet remotely
	delQueue []store.BlockID
	busy     map[store.BlockID]bool // an upload or a remote delete of the id is in flight
	delGen   uint64                 // incremented by every Delete: a fetch that saw another value does not keep its block
	journal  *os.File
	records  int // in the journal

	stats counters
}

type entry struct {
	id      store.BlockID
	size    int64
	dirty   bool
	gen     uint64 // incremented by every local Put
	queued  bool
	waiting bool          // skipped by an uploader while the id was busy
	elem    *list.Element // in lru when clean
}

// remoteDelete is a Delete not yet done on the remote.
type remoteDelete struct{ queued, waiting bool }

type fetch struct {
	done chan struct{}
	data []byte
	err  error
}

type counters struct {
	hits, misses, fetches, fetchErrors     atomic.Uint64
	uploads, uploadErrors, uploadBytes     atomic.Uint64
	evictions, waits                       atomic.Uint64
	remoteOps, remoteNanos, remoteMaxNanos atomic.Uint64
	remoteErrors                           atomic.Uint64
}

var (
	_ store.Blocks      = (*Cache)(nil)
	_ store.Syncer      = (*Cache)(nil)
	_ store.Persistence = (*Cache)(nil)
	_ io.Closer         = (*Cache)(nil)
)

const (
	journalName   = "journal"
	journalHeader = "dittofs cache journal 1\n"
	recUploaded   = 'U'
	recPut        = 'P'
	recDelete     = 'X' // deleted locally, to delete remotely
	recDeleted    = 'D' // deleted remotely
	recordSize    = 1 + len(store.BlockID{})
)

// Open opens the cache in o.Dir in front of remote, replays the journal and
// starts uploading what is pending. Close closes remote too.
func Open(remote store.Blocks, o Options) (*Cache, error) {
	if o.Dir == "" {
		return nil, store.NewError(store.CodeInvalid, "open", "", errors.New("cache: no directory"))
	}
	if o.Capacity <= 0 {
		o.Capacity = 1 << 30
	}
	if o.Uploads <= 0 {
		o.Uploads = 8
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	c := &Cache{remote: remote, opts: o, log: o.Logger, entries: map[store.BlockID]*entry{}, lru: list.New(),
		fetches: map[store.BlockID]*fetch{}, deletes: map[store.BlockID]*remoteDelete{}, writing: map[store.BlockID]int{}, busy: map[store.BlockID]bool{},
		seed: maphash.MakeSeed()}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.cond = sync.NewCond(&c.mu)
	lo := localfs.Options{Logger: c.log}
	if o.NoSync {
		lo.DirSync, lo.NoSync = localfs.DirSyncNone, true
	}
	local, err := localfs.Open(filepath.Join(o.Dir, "blocks"), lo)
	if err != nil {
		return nil, err
	}
	c.local = local
	if err := c.replay(); err != nil {
		local.Close()
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for range o.Uploads {
		c.wg.Go(c.uploader)
	}
	return c, nil
}

// replay rebuilds the entries from the local directory and the journal,
// then rewrites the journal.
func (c *Cache) replay() error {
	path := filepath.Join(c.opts.Dir, journalName)
	last := map[store.BlockID]byte{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		rest, ok := cutPrefix(data, journalHeader)
		if !ok {
			return store.NewError(store.CodeInvalid, "open", path, errors.New("cache: not a cache journal"))
		}
		// A record torn by a crash at the end is ignored.
		for len(rest) >= recordSize {
			var id store.BlockID
			copy(id[:], rest[1:recordSize])
			last[id] = rest[0]
			rest = rest[recordSize:]
		}
	case !errors.Is(err, os.ErrNotExist):
		return store.NewError(store.CodeIO, "open", path, err)
	}
	ctx := context.Background()
	for id, r := range last {
		if r == recDelete {
			c.queueDelete(id)
		}
	}
	err = c.local.Walk(ctx, func(id store.BlockID) error {
		if last[id] == recDelete {
			// Deleted after it was put: the delete stands.
			return c.local.Delete(ctx, id)
		}
		size, err := blockSize(ctx, c.local, id)
		if err != nil {
			return err
		}
		e := &entry{id: id, size: size, dirty: last[id] != recUploaded}
		c.entries[id] = e
		c.used += size
		if e.dirty {
			c.markDirty(e)
			c.enqueue(e)
		} else {
			e.elem = c.lru.PushBack(e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for c.used > c.opts.Capacity && c.evictOne() {
	}
	return c.rewriteJournal()
}

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return nil, false
	}
	return b[len(p):], true
}

// blockSize finds the size of a local block by probing reads (the local
// tier has no stat): O(log size) preads, at Open only.
func blockSize(ctx context.Context, b store.Blocks, id store.BlockID) (int64, error) {
	var p [1]byte
	past := func(off int64) (bool, error) {
		n, err := b.ReadAt(ctx, id, p[:], off)
		if err == io.EOF && n == 0 {
			return true, nil
		}
		if err != nil && err != io.EOF {
			return false, err
		}
		return false, nil
	}
	hi := int64(1)
	for {
		end, err := past(hi - 1)
		if err != nil {
			return 0, err
		}
		if end {
			break
		}
		hi *= 2
	}
	lo := hi / 2 // block size in (lo-1, hi-1]: the first offset past the end
	lo, hi = max(lo-1, 0), hi-1
	for lo < hi {
		mid := (lo + hi) / 2
		end, err := past(mid)
		if err != nil {
			return 0, err
		}
		if end {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// rewriteJournal replaces the journal with one U record per clean block.
// Called with c.mu held, or before the uploaders start.
func (c *Cache) rewriteJournal() error {
	path := filepath.Join(c.opts.Dir, journalName)
	tmp := path + ".tmp"
	buf := []byte(journalHeader)
	n := 0
	for id, e := range c.entries {
		if !e.dirty {
			buf = append(buf, recUploaded)
			buf = append(buf, id[:]...)
			n++
		}
	}
	for id := range c.deletes {
		buf = append(buf, recDelete)
		buf = append(buf, id[:]...)
		n++
	}
	if err := c.writeFileSync(tmp, buf); err != nil {
		return store.NewError(store.CodeIO, "journal", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return store.NewError(store.CodeIO, "journal", path, err)
	}
	if !c.opts.NoSync {
		if err := syncDir(c.opts.Dir); err != nil {
			return store.NewError(store.CodeIO, "journal", c.opts.Dir, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return store.NewError(store.CodeIO, "journal", path, err)
	}
	if c.journal != nil {
		c.journal.Close()
	}
	c.journal, c.records = f, n
	return nil
}

func (c *Cache) writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && !c.opts.NoSync {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// record appends a journal record; c.mu is held.
func (c *Cache) record(kind byte, id store.BlockID) error {
	var r [recordSize]byte
	r[0] = kind
	copy(r[1:], id[:])
	if _, err := c.journal.Write(r[:]); err != nil {
		return store.NewError(store.CodeIO, "journal", c.opts.Dir, err)
	}
	c.records++
	if c.records > 4*(len(c.entries)+len(c.deletes))+4096 {
		if err := c.rewriteJournal(); err != nil {
			c.log.Warn("cache: compacting the journal", "err", err)
		}
	}
	return nil
}

// Persistent returns true: acknowledged blocks survive in the local tier
// until the remote has them.
func (c *Cache) Persistent() bool { return true }

func (c *Cache) idLock(id store.BlockID) *sync.Mutex {
	return &c.idLocks[maphash.Bytes(c.seed, id[:])%uint64(len(c.idLocks))]
}

func (c *Cache) check(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return store.NewError(store.CodeIO, op, "", errors.New("cache: closed"))
	}
	return nil
}

// waitLocked waits on c.cond until woken, or returns ctx's error; c.mu is
// held.
func (c *Cache) waitLocked(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	c.cond.Wait()
	stop()
	return ctx.Err()
}

// reserve makes room for n more bytes, evicting clean blocks and waiting
// for uploads; c.mu is held.
func (c *Cache) reserve(ctx context.Context, n int64) error {
	waited := false
	for c.used+n > c.opts.Capacity {
		if c.closed {
			return store.NewError(store.CodeIO, "put", "", errors.New("cache: closed"))
		}
		if c.evictOne() {
			continue
		}
		if !waited {
			c.stats.waits.Add(1)
			waited = true
		}
		if err := c.waitLocked(ctx); err != nil {
			return err
		}
	}
	c.used += n
	return nil
}

// evictOne deletes the least recently used clean block that no Put is
// writing; c.mu is held.
func (c *Cache) evictOne() bool {
	back := c.lru.Back()
	for back != nil && c.writing[back.Value.(*entry).id] > 0 {
		back = back.Prev()
	}
	if back == nil {
		return false
	}
	e := back.Value.(*entry)
	if err := c.local.Delete(context.Background(), e.id); err != nil {
		c.log.Warn("cache: evicting a block", "block", e.id, "err", err)
		return false
	}
	c.lru.Remove(back)
	delete(c.entries, e.id)
	c.used -= e.size
	c.stats.evictions.Add(1)
	return true
}

// uncount takes e's block out of the figures and the LRU list, before it
// is replaced or deleted; c.mu is held.
func (c *Cache) uncount(e *entry) {
	c.used -= e.size
	if e.dirty {
		c.dirty -= e.size
		c.dirtyN--
	}
	if e.elem != nil {
		c.lru.Remove(e.elem)
		e.elem = nil
	}
}

// markDirty counts e, just made dirty; c.mu is held.
func (c *Cache) markDirty(e *entry) {
	c.dirty += e.size
	c.dirtyN++
}

func (c *Cache) enqueue(e *entry) {
	if !e.queued {
		e.queued = true
		c.queue = append(c.queue, e.id)
		c.cond.Broadcast()
	}
}

// Put stores data locally as a dirty block and queues its upload.
func (c *Cache) Put(ctx context.Context, id store.BlockID, data []byte) error {
	if err := c.check(ctx, "put"); err != nil {
		return err
	}
	n := int64(len(data))
	if n > c.opts.Capacity {
		return store.NewError(store.CodeNoSpace, "put", id.String(), fmt.Errorf("cache: a %d-byte block is larger than the cache's capacity %d", n, c.opts.Capacity))
	}
	c.mu.Lock()
	if err := c.reserve(ctx, n); err != nil {
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()
	// The id's lock is taken after the wait for room, so that a waiting
	// Put holds up no other id.
	l := c.idLock(id)
	l.Lock()
	defer l.Unlock()
	// A clean older version leaves the LRU list while the new file is
	// written, so that no eviction deletes the new file under its entry.
	// While the new file is written no eviction may take the id: its
	// entry may still be clean, or become clean when an upload of the
	// older version ends, and deleting its file would delete the new one.
	c.mu.Lock()
	c.writing[id]++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.writing[id]--; c.writing[id] == 0 {
			delete(c.writing, id)
		}
		c.cond.Broadcast() // its block may be evicted now
		c.mu.Unlock()
	}()
	// The block is written before its entry says it is there, so an
	// uploader never takes an older file for this version.
	if err := c.local.Put(ctx, id, data); err != nil {
		c.mu.Lock()
		c.used -= n
		c.cond.Broadcast()
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[id]
	if e == nil {
		e = &entry{id: id}
		c.entries[id] = e
	} else {
		c.uncount(e)
	}
	e.size, e.dirty = n, true
	e.gen++
	c.markDirty(e)
	// A pending remote delete of the id is superseded; one in flight
	// holds the upload back until it is done (see uploader).
	delete(c.deletes, id)
	c.enqueue(e)
	return c.record(recPut, id)
}

// Sync makes every Put that returned before it durable locally: the block
// files, their directories and the journal.
func (c *Cache) Sync(ctx context.Context) error {
	if err := c.check(ctx, "sync"); err != nil {
		return err
	}
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if err := c.local.Sync(ctx); err != nil {
		return err
	}
	if c.opts.NoSync {
		return nil
	}
	c.mu.Lock()
	j := c.journal
	c.mu.Unlock()
	if err := j.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		return store.NewError(store.CodeIO, "sync", c.opts.Dir, err)
	}
	return nil
}

// uploader uploads queued dirty blocks until Close.
func (c *Cache) uploader() {
	delay := c.opts.RetryDelay
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && len(c.delQueue) == 0 && !c.closed {
			c.cond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		if len(c.delQueue) > 0 {
			delay = c.remoteDelete(delay) // unlocks c.mu
			continue
		}
		id := c.queue[0]
		c.queue = c.queue[1:]
		e := c.entries[id]
		if e == nil || !e.queued {
			c.mu.Unlock()
			continue
		}
		e.queued = false
		if !e.dirty {
			c.mu.Unlock()
			continue
		}
		if c.busy[id] {
			// One remote operation of an id at a time, so that they
			// reach the remote in order: the one in flight queues it
			// again when it ends.
			e.waiting = true
			c.mu.Unlock()
			continue
		}
		gen, size := e.gen, e.size
		c.busy[id] = true
		c.inflight++
		c.mu.Unlock()

		err := c.upload(c.ctx, id, size)

		c.mu.Lock()
		c.inflight--
		delete(c.busy, id)
		switch {
		case c.entries[id] != e:
			// Deleted meanwhile (and maybe put again).
		case errors.Is(err, errChanged):
			// A Put is replacing the file; it queues the new version.
			c.enqueueLater(e, c.opts.RetryDelay)
		case err != nil:
			c.enqueueLater(e, delay)
		case e.gen == gen && e.dirty:
			e.dirty = false
			c.dirty -= e.size
			c.dirtyN--
			e.elem = c.lru.PushFront(e)
			if rerr := c.record(recUploaded, id); rerr != nil {
				c.log.Warn("cache: journal", "err", rerr)
			}
		default:
			// Put again meanwhile: upload the new version.
			c.enqueue(e)
		}
		c.released(id)
		c.cond.Broadcast()
		c.mu.Unlock()
		switch {
		case errors.Is(err, errChanged):
		case err != nil:
			if c.ctx.Err() == nil {
				c.log.Warn("cache: upload failed; will retry", "block", id, "err", err, "retry_in", delay)
			}
			delay = min(2*delay, time.Minute)
		default:
			delay = c.opts.RetryDelay
		}
	}
}

// released queues what waited for the remote operation of id that just
// ended; c.mu is held.
func (c *Cache) released(id store.BlockID) {
	if e := c.entries[id]; e != nil && e.waiting {
		e.waiting = false
		if e.dirty {
			c.enqueue(e)
		}
	}
	if d := c.deletes[id]; d != nil && d.waiting {
		d.waiting = false
		c.queueDelete(id)
	}
}

// errChanged: the local block is not the version the upload was for.
var errChanged = errors.New("cache: block changed during upload")

// upload copies one version of a local block of size bytes to the remote.
func (c *Cache) upload(ctx context.Context, id store.BlockID, size int64) error {
	buf := make([]byte, size+1)
	n, err := c.local.ReadAt(ctx, id, buf, 0)
	if err != io.EOF || int64(n) != size {
		if err == nil || err == io.EOF {
			err = errChanged
		}
		return err
	}
	start := time.Now()
	err = c.remote.Put(ctx, id, buf[:size])
	c.observe(start, err)
	if err != nil {
		c.stats.uploadErrors.Add(1)
		return err
	}
	c.stats.uploads.Add(1)
	c.stats.uploadBytes.Add(uint64(size))
	return nil
}

// enqueueLater queues e again after d (a failed upload); c.mu is held.
func (c *Cache) enqueueLater(e *entry, d time.Duration) {
	time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.entries[e.id] == e && e.dirty && !c.closed {
			c.enqueue(e)
		}
	})
}

func (c *Cache) observe(start time.Time, err error) {
	d := uint64(time.Since(start))
	c.stats.remoteOps.Add(1)
	c.stats.remoteNanos.Add(d)
	for {
		m := c.stats.remoteMaxNanos.Load()
		if d <= m || c.stats.remoteMaxNanos.CompareAndSwap(m, d) {
			break
		}
	}
	if err != nil {
		c.stats.remoteErrors.Add(1)
	}
}

// ReadAt reads the local tier, fetching the whole block from the remote on
// a miss.
func (c *Cache) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	if err := c.check(ctx, "readat"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, store.NewError(store.CodeInvalid, "readat", id.String(), errors.New("negative offset"))
	}
	n, err := c.local.ReadAt(ctx, id, p, off)
	if !errors.Is(err, store.ErrNotFound) {
		if err == nil || err == io.EOF {
			c.stats.hits.Add(1)
			c.mu.Lock()
			if e := c.entries[id]; e != nil && e.elem != nil {
				c.lru.MoveToFront(e.elem)
			}
			c.mu.Unlock()
		}
		return n, err
	}
	c.mu.Lock()
	_, gone := c.deletes[id]
	c.mu.Unlock()
	if gone {
		return 0, store.NewError(store.CodeNotFound, "readat", id.String(), nil)
	}
	c.stats.misses.Add(1)
	data, err := c.fetch(ctx, id)
	if err != nil {
		return 0, err
	}
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n = copy(p, data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fetch reads block id whole from the remote, once for all concurrent
// callers, and keeps it locally as a clean block when there is room.
func (c *Cache) fetch(ctx context.Context, id store.BlockID) ([]byte, error) {
	c.mu.Lock()
	f := c.fetches[id]
	if f == nil {
		f = &fetch{done: make(chan struct{})}
		c.fetches[id] = f
		gen := c.delGen
		c.mu.Unlock()
		f.data, f.err = c.fetchRemote(ctx, id)
		c.mu.Lock()
		delete(c.fetches, id)
		close(f.done)
		c.mu.Unlock()
		if f.err == nil {
			c.keep(id, f.data, gen)
		}
	} else {
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return f.data, f.err
}

// fetchFirst is the size of the first ranged read of a fetch: one byte more
// than store.FS's default block size, so that a whole default block comes
// with its io.EOF in one request. Larger blocks take more reads, each twice
// the size of the one before.
const fetchFirst = 1<<20 + 1

func (c *Cache) fetchRemote(ctx context.Context, id store.BlockID) ([]byte, error) {
	c.stats.fetches.Add(1)
	var data []byte
	for chunk := fetchFirst; ; chunk *= 2 {
		at := len(data)
		data = append(data, make([]byte, chunk)...)
		start := time.Now()
		n, err := c.remote.ReadAt(ctx, id, data[at:], int64(at))
		c.observe(start, nilIfEOF(err))
		data = data[:at+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			c.stats.fetchErrors.Add(1)
			return nil, err
		}
	}
}

func nilIfEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// keep stores a fetched block locally as clean, unless a Put or Delete of
// it came meanwhile or there is no room without waiting.
func (c *Cache) keep(id store.BlockID, data []byte, gen uint64) {
	l := c.idLock(id)
	l.Lock()
	defer l.Unlock()
	n := int64(len(data))
	c.mu.Lock()
	if c.closed || c.delGen != gen || c.entries[id] != nil {
		c.mu.Unlock()
		return
	}
	for c.used+n > c.opts.Capacity {
		if !c.evictOne() {
			c.mu.Unlock()
			return
		}
	}
	c.used += n
	c.mu.Unlock()
	err := c.local.Put(c.ctx, id, data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || c.delGen != gen || c.entries[id] != nil {
		c.used -= n
		if err == nil && c.entries[id] == nil {
			c.local.Delete(context.Background(), id)
		}
		return
	}
	e := &entry{id: id, size: n}
	e.elem = c.lru.PushFront(e)
	c.entries[id] = e
	if err := c.record(recUploaded, id); err != nil {
		c.log.Warn("cache: journal", "err", err)
	}
}

// Delete removes block id locally at once and from the remote in the
// background: it deletes the local file and journals the remote delete,
// which the uploaders run after an upload of the block in flight (and the
// next Open resumes). From now on reads and Walk no longer see the block;
// a Put of the id before the remote delete runs supersedes it.
func (c *Cache) Delete(ctx context.Context, id store.BlockID) error {
	if err := c.check(ctx, "delete"); err != nil {
		return err
	}
	l := c.idLock(id)
	l.Lock()
	defer l.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delGen++
	if e := c.entries[id]; e != nil {
		// An upload in flight goes on (it may have sent its bytes
		// already); the remote delete runs after it.
		if err := c.local.Delete(ctx, id); err != nil {
			return err
		}
		delete(c.entries, id)
		c.uncount(e)
	}
	c.queueDelete(id)
	c.cond.Broadcast()
	return c.record(recDelete, id)
}

// queueDelete queues the remote delete of id; c.mu is held (or the
// uploaders are not started).
func (c *Cache) queueDelete(id store.BlockID) {
	d := c.deletes[id]
	if d == nil {
		d = &remoteDelete{}
		c.deletes[id] = d
	}
	if !d.queued {
		d.queued = true
		c.delQueue = append(c.delQueue, id)
	}
}

// remoteDelete runs the first queued remote delete; it is called with c.mu
// held and returns with it released, and returns the next retry delay.
func (c *Cache) remoteDelete(delay time.Duration) time.Duration {
	id := c.delQueue[0]
	c.delQueue = c.delQueue[1:]
	d := c.deletes[id]
	if d == nil || !d.queued {
		c.mu.Unlock()
		return delay
	}
	d.queued = false
	if c.busy[id] {
		d.waiting = true // queued again when the upload in flight ends
		c.mu.Unlock()
		return delay
	}
	c.busy[id] = true
	c.mu.Unlock()

	start := time.Now()
	err := c.remote.Delete(c.ctx, id)
	c.observe(start, err)

	c.mu.Lock()
	delete(c.busy, id)
	switch {
	case c.deletes[id] != d:
		// A Put superseded the delete.
	case err != nil:
		c.requeueDeleteLater(id, d, delay)
	default:
		delete(c.deletes, id)
		if rerr := c.record(recDeleted, id); rerr != nil {
			c.log.Warn("cache: journal", "err", rerr)
		}
	}
	c.released(id) // a Put of the id while the delete ran: upload it now
	c.cond.Broadcast()
	c.mu.Unlock()
	if err != nil {
		if c.ctx.Err() == nil {
			c.log.Warn("cache: remote delete failed; will retry", "block", id, "err", err, "retry_in", delay)
		}
		return min(2*delay, time.Minute)
	}
	return c.opts.RetryDelay
}

// requeueDeleteLater queues the remote delete d of id again after delay;
// c.mu is held.
func (c *Cache) requeueDeleteLater(id store.BlockID, d *remoteDelete, delay time.Duration) {
	time.AfterFunc(delay, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.deletes[id] == d && !c.closed {
			c.queueDelete(id)
			c.cond.Broadcast()
		}
	})
}

// Walk visits the dirty blocks, then the remote's blocks it has not
// visited.
func (c *Cache) Walk(ctx context.Context, fn func(store.BlockID) error) error {
	if err := c.check(ctx, "walk"); err != nil {
		return err
	}
	c.mu.Lock()
	// pending: visited first, and skipped in the remote's listing, with
	// the blocks deleted here whose remote delete has not run.
	pending := make(map[store.BlockID]bool, c.dirtyN+len(c.deletes))
	var dirty []store.BlockID
	for id, e := range c.entries {
		if e.dirty {
			pending[id] = true
			dirty = append(dirty, id)
		}
	}
	for id := range c.deletes {
		pending[id] = true
	}
	c.mu.Unlock()
	for _, id := range dirty {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	return c.remote.Walk(ctx, func(id store.BlockID) error {
		if pending[id] {
			return nil
		}
		return fn(id)
	})
}

// Drain waits until every block has been uploaded and every delete done
// on the remote, or ctx ends.
func (c *Cache) Drain(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.dirtyN > 0 || len(c.deletes) > 0 {
		if c.closed {
			return store.NewError(store.CodeIO, "drain", "", errors.New("cache: closed"))
		}
		if err := c.waitLocked(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the uploads (what is pending stays in the journal for the
// next Open), and closes the local tier and the remote. It is idempotent.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.mu.Lock()
	var err error
	if !c.opts.NoSync {
		err = c.journal.Sync()
	}
	err = errors.Join(err, c.journal.Close())
	c.mu.Unlock()
	err = errors.Join(err, c.local.Close())
	if cl, ok := c.remote.(io.Closer); ok {
		err = errors.Join(err, cl.Close())
	}
	return err
}

// Stats are the cache's figures since Open.
type Stats struct {
	// Hits and Misses count ReadAt calls served by the local tier and
	// ones that went to the remote.
	Hits, Misses uint64
	// DirtyBytes and DirtyBlocks are waiting for upload (or uploading);
	// UsedBytes are all local blocks, CapacityBytes their bound.
	DirtyBytes, UsedBytes, CapacityBytes int64
	DirtyBlocks                          int
	// UploadQueue is the blocks queued for upload, Uploading those in
	// flight.
	UploadQueue, Uploading int
	// PendingDeletes are blocks deleted here whose remote delete has not
	// run yet.
	PendingDeletes int
	// Uploads and UploadBytes count finished uploads, UploadErrors
	// failed attempts; Fetches and FetchErrors whole-block reads from
	// the remote.
	Uploads, UploadBytes, UploadErrors uint64
	Fetches, FetchErrors               uint64
	// Evictions counts clean blocks dropped for room; Waits the Puts that
	// had to wait for an upload to make room.
	Evictions, Waits uint64
	// RemoteOps, RemoteErrors, RemoteTime and RemoteMax measure every
	// remote call (Put, ReadAt, Delete): the remote's latency is
	// RemoteTime / RemoteOps.
	RemoteOps, RemoteErrors uint64
	RemoteTime, RemoteMax   time.Duration
}

// HitRatio is Hits / (Hits + Misses), or 0 before any read.
func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// Stats returns the current figures.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	s := Stats{DirtyBytes: c.dirty, DirtyBlocks: c.dirtyN, UsedBytes: c.used, CapacityBytes: c.opts.Capacity,
		UploadQueue: len(c.queue), Uploading: c.inflight, PendingDeletes: len(c.deletes)}
	c.mu.Unlock()
	st := &c.stats
	s.Hits, s.Misses = st.hits.Load(), st.misses.Load()
	s.Uploads, s.UploadBytes, s.UploadErrors = st.uploads.Load(), st.uploadBytes.Load(), st.uploadErrors.Load()
	s.Fetches, s.FetchErrors = st.fetches.Load(), st.fetchErrors.Load()
	s.Evictions, s.Waits = st.evictions.Load(), st.waits.Load()
	s.RemoteOps, s.RemoteErrors = st.remoteOps.Load(), st.remoteErrors.Load()
	s.RemoteTime, s.RemoteMax = time.Duration(st.remoteNanos.Load()), time.Duration(st.remoteMaxNanos.Load())
	return s
}

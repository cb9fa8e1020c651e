package store

import (
	"context"
	crand "crypto/rand"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
)

// AtimePolicy says when reads update a file's access time.
type AtimePolicy uint8

const (
	// AtimeRelative updates atime on a read when it is not newer than
	// mtime or ctime, or is a day old (Linux relatime). The default.
	AtimeRelative AtimePolicy = iota
	// AtimeNever never updates atime on reads (noatime).
	AtimeNever
	// AtimeStrict updates atime on every read.
	AtimeStrict
)

// Options configure an FS. The zero value is usable: every zero field takes
// the default given in its comment.
type Options struct {
	// Clock gives the times of attributes; nil is the system clock. Any
	// value with the methods Now() time.Time and
	// AfterFunc(time.Duration, func()) interface{ Stop() bool } is one.
	Clock clock.Clock
	// Root is how UID 0 is treated (default RootPrivileged).
	Root RootPolicy
	// OwnerOverride lets the owner of a regular file read and write it
	// whatever its mode bits, as Linux's NFS server does so that a client
	// may write a file it created read-only (default false: POSIX checks).
	OwnerOverride bool
	// MaxName is the longest name in bytes (default and maximum 255).
	MaxName int
	// ValidateUTF8 refuses names that are not valid UTF-8 with ErrInvalid.
	ValidateUTF8 bool
	// MaxSymlink is the longest symlink target in bytes (default 4095).
	MaxSymlink int
	// MaxLinks is the most links a node may have (default 65000).
	MaxLinks uint32
	// MaxFileSize is the largest file size (default 1<<62).
	MaxFileSize uint64
	// MaxXattrName, MaxXattrSize and MaxXattrTotal bound extended
	// attributes: the name length (default 255), one value (default
	// 64 KiB) and all names and values of one node (default 1 MiB).
	MaxXattrName  int
	MaxXattrSize  int
	MaxXattrTotal int
	// BlockSize is the size of content blocks and of the in-memory open
	// blocks writes go to (default 1 MiB; at least 512).
	BlockSize int
	// BufferBytes bounds the memory held by open blocks of unstable writes
	// (default 64 MiB); past it the least recently written are sealed.
	BufferBytes int64
	// Capacity is the number of bytes of blocks the store may hold, after
	// dedup (default 0: unlimited, reported as the room of the blocks' device
	// when Blocks implements Space, else as 1 PiB). Past it writes fail
	// with ErrNoSpace.
	Capacity uint64
	// MaxFiles is the number of nodes the store may hold (default 0:
	// unlimited, reported as 1<<40).
	MaxFiles uint64
	// FlushInterval is how long unstable writes to a file that is no
	// longer written may stay in memory before a background sealer makes
	// them durable (default 5s; negative: never, only Commit, eviction
	// and Close do).
	FlushInterval time.Duration
	// Atime is the access time policy of reads (default AtimeRelative).
	Atime AtimePolicy
	// RootUID, RootGID and RootMode are the owner and mode of the root
	// directory when NewFS formats an empty store (default 0, 0, 0755).
	RootUID, RootGID uint32
	RootMode         uint32
	// MaxRetries bounds the retries of a transaction that conflicts
	// (default 16).
	MaxRetries int
	// MaxIO is the largest read or write FsInfo advertises (default 1 MiB).
	MaxIO uint32
}

func (o *Options) setDefaults() error {
	o.Clock = clock.Or(o.Clock)
	if o.MaxName == 0 || o.MaxName > 255 {
		o.MaxName = 255
	}
	if o.MaxSymlink == 0 {
		o.MaxSymlink = 4095
	}
	if o.MaxSymlink > 65535-inodeFixed {
		o.MaxSymlink = 65535 - inodeFixed
	}
	if o.MaxLinks == 0 {
		o.MaxLinks = 65000
	}
	if o.MaxFileSize == 0 || o.MaxFileSize > 1<<62 {
		o.MaxFileSize = 1 << 62
	}
	if o.MaxXattrName == 0 || o.MaxXattrName > 255 {
		o.MaxXattrName = 255
	}
	if o.MaxXattrSize == 0 {
		o.MaxXattrSize = 64 << 10
	}
	if o.MaxXattrTotal == 0 {
		o.MaxXattrTotal = 1 << 20
	}
	if o.BlockSize == 0 {
		o.BlockSize = 1 << 20
	}
	if o.BlockSize < 512 || o.BlockSize > 64<<20 {
		return NewError(CodeInvalid, "newfs", "BlockSize", nil)
	}
	if o.BufferBytes == 0 {
		o.BufferBytes = 64 << 20
	}
	if o.RootMode == 0 {
		o.RootMode = 0o755
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 16
	}
	if o.MaxIO == 0 {
		o.MaxIO = 1 << 20
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = 5 * time.Second
	}
	return nil
}

// FS is the filesystem core: POSIX semantics over a Metadata and a Blocks
// backend. Every operation takes the caller's context and credential, runs
// as one metadata transaction (retried on ErrConflict) and returns errors
// that carry a Code. FS is safe for concurrent use.
//
// One FS must own its backends: two FS values over the same backends would
// each buffer writes and reclaim blocks without seeing the other.
type FS struct {
	meta   Metadata
	blocks Blocks
	opts   Options
	bsize  uint64
	verf   Verifier
	root   Handle
	names  blockNamer // names blocks (blockname.go)

	idMu    sync.Mutex
	idNext  uint64
	idLimit uint64

	fileLocks  [256]sync.RWMutex // by node id: content of regular files
	blockLocks [256]sync.Mutex   // by block id: put/commit vs reclaim

	bufMu    sync.Mutex
	bufs     map[uint64]*fileBuf
	bufBytes int64
	bufTick  uint64

	files atomic.Int64 // nodes in use
	bytes atomic.Int64 // bytes of stored blocks

	// durable syncs both backends for stable writes, Commit and Sync,
	// one sync for every caller that arrived while the previous ran
	// (group commit); syncs is false when neither backend is a Syncer.
	durable   syncGroup
	syncs     bool
	blockSync syncGroup // syncs the block backend before a fold

	intentSeq atomic.Uint64 // last intent sequence number handed out
	queueMu   sync.Mutex
	queues    map[uint64]*logQueue // small stable writes waiting, by file (logbatch.go)
	maxLogged uint64               // largest part of a stable write logged as an intent

	watch watchSet // directory watchers (watch.go)

	opPool sync.Pool
	closed atomic.Bool
	stop   chan struct{}
	bg     sync.WaitGroup
}

const idBatch = 1024

// NewFS returns the filesystem stored in meta and blocks, formatting an
// empty meta first. Each NewFS picks a new write verifier.
func NewFS(meta Metadata, blocks Blocks, opts Options) (*FS, error) {
	if meta == nil || blocks == nil {
		return nil, NewError(CodeInvalid, "newfs", "", nil)
	}
	if err := checkBackends(meta, blocks); err != nil {
		return nil, err
	}
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	f := &FS{meta: meta, blocks: blocks, opts: opts, bsize: uint64(opts.BlockSize),
		bufs: make(map[uint64]*fileBuf), queues: make(map[uint64]*logQueue)}
	f.opPool.New = func() any { return newOp(f) }
	f.durable.sync = f.syncAll
	f.maxLogged = min(maxLogged, f.bsize/4)
	if s, ok := blocks.(Syncer); ok {
		f.blockSync.sync = func(ctx context.Context) error { return ioErr("sync blocks", s.Sync(ctx)) }
	}
	_, bs := blocks.(Syncer)
	_, ms := meta.(Syncer)
	f.syncs = bs || ms
	if _, err := crand.Read(f.verf[:]); err != nil {
		return nil, NewError(CodeIO, "newfs", "verifier", err)
	}
	ctx := context.Background()
	o := f.getOp(ctx)
	defer f.putOp(o)
	var sb super
	var key []byte
	err := f.update(ctx, o, func(o *op) error {
		v, err := o.tx.Get([]byte{pfxSuper})
		if err == nil {
			sb, err = decodeSuper(v)
		} else if errors.Is(err, ErrNotFound) {
			err = f.format(o, &sb)
		}
		if err != nil {
			return err
		}
		key, err = o.loadBlockKey()
		return err
	})
	if err != nil {
		return nil, ioErr("newfs", err)
	}
	if f.names, err = newBlockNamer(key); err != nil {
		return nil, ioErr("newfs", err)
	}
	var root inode
	err = f.view(ctx, o, func(o *op) error {
		if err := o.getInode(sb.Root, &root); err != nil {
			return err
		}
		return o.loadUsage()
	})
	if err != nil {
		return nil, ioErr("newfs", err)
	}
	if root.Type != TypeDir {
		return nil, corrupt("root")
	}
	f.root = Handle{ID: sb.Root, Gen: root.Gen}
	if err := f.reapAll(ctx); err != nil {
		return nil, ioErr("newfs", err)
	}
	if err := f.replayIntents(ctx); err != nil {
		return nil, ioErr("newfs", err)
	}
	f.stop = make(chan struct{})
	if f.opts.FlushInterval > 0 {
		f.bg.Add(1)
		go f.flusher(f.opts.FlushInterval)
	}
	return f, nil
}

// loadUsage sets the FS's usage counters from the store's.
func (o *op) loadUsage() error {
	var u usage
	for i := 0; i < usageShard; i++ {
		v, err := o.tx.Get([]byte{pfxUsage, byte(i)})
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		d, err := decodeUsage(v)
		if err != nil {
			return err
		}
		u.Files += d.Files
		u.Bytes += d.Bytes
	}
	o.f.files.Store(u.Files)
	o.f.bytes.Store(u.Bytes)
	return nil
}

// loadUsage rereads the usage counters (after Repair rewrote them).
func (f *FS) loadUsage(ctx context.Context) error {
	o := f.getOp(ctx)
	defer f.putOp(o)
	return ioErr("repair", f.view(ctx, o, func(o *op) error { return o.loadUsage() }))
}

func (f *FS) format(o *op, sb *super) error {
	*sb = super{NextID: 2, Root: 1}
	now := f.now()
	root := inode{ID: 1, Type: TypeDir, Mode: f.opts.RootMode & ModeMask, Nlink: 2,
		UID: f.opts.RootUID, GID: f.opts.RootGID, Atime: now, Mtime: now, Ctime: now, Btime: now,
		Change: 1, Gen: newGen(), Parent: 1, NextCookie: firstCookie}
	if err := o.tx.Put([]byte{pfxSuper}, sb.encode(nil)); err != nil {
		return err
	}
	o.files(1, +1)
	return o.putInode(&root)
}

// Root returns the handle of the root directory.
func (f *FS) Root() Handle { return f.root }

// WriteVerifier returns the write verifier: 8 bytes that differ on every
// NewFS, so that a client seeing a new one resends its unstable writes.
func (f *FS) WriteVerifier() Verifier { return f.verf }

// Options returns the options in force, with defaults filled in.
func (f *FS) Options() Options { return f.opts }

// Close seals all open blocks and syncs the backends. It does not close
// them; the caller owns them.
func (f *FS) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	f.watch.shut()
	close(f.stop)
	f.bg.Wait()
	ctx := context.Background()
	err := f.flushAll(ctx)
	if e := f.syncAll(ctx); err == nil {
		err = e
	}
	return err
}

func (f *FS) now() int64 { return f.opts.Clock.Now().UnixNano() }

func newGen() uint64 {
	for {
		if g := rand.Uint64(); g != 0 {
			return g
		}
	}
}

// newID hands out a node id from the batch reserved in the superblock.
// Ids of a batch not used before a restart are never handed out.
func (f *FS) newID(ctx context.Context) (uint64, error) {
	f.idMu.Lock()
	defer f.idMu.Unlock()
	if f.idNext == f.idLimit {
		o := f.getOp(ctx)
		defer f.putOp(o)
		var next uint64
		err := f.update(ctx, o, func(o *op) error {
			v, err := o.tx.Get([]byte{pfxSuper})
			if err != nil {
				return ioErr("super", err)
			}
			sb, err := decodeSuper(v)
			if err != nil {
				return err
			}
			next = sb.NextID
			sb.NextID += idBatch
			return o.tx.Put([]byte{pfxSuper}, sb.encode(nil))
		})
		if err != nil {
			return 0, err
		}
		f.idNext, f.idLimit = next, next+idBatch
	}
	id := f.idNext
	f.idNext++
	return id, nil
}

// ---- transactions ------------------------------------------------------------

// op is the scratch state of one operation: the current transaction, a key
// arena, block reference deltas and usage deltas. Ops are pooled.
type op struct {
	f     *FS
	ctx   context.Context
	tx    Tx
	buf   []byte
	refs  []refDelta
	usage [usageShard]usage
	udirt uint32
	exts  []extent
	// blocks put by this op (kept across retries) and blocks whose record
	// went away; both are reclaimed when the op ends.
	put     []BlockID
	reclaim []BlockID
	drop    []uint64   // nodes freed: their buffers are discarded
	orphans []uint64   // files freed with extents left to reap
	events  []rawEvent // changes for watchers, posted when the transaction commits (watch.go)

	// the function of the running transaction, and callbacks bound once
	// so that starting a transaction allocates nothing here
	fn       func(*op) error
	viewCb   func(Tx) error
	updateCb func(Tx) error

	// arguments and results of the hot operations (GetAttr, Lookup), so
	// that their transaction functions capture nothing
	h    Handle
	name string
	c    *Cred
	attr Attr
}

func newOp(f *FS) *op {
	o := &op{f: f, buf: make([]byte, 0, 512)}
	o.viewCb = func(tx Tx) error {
		o.tx = tx
		return o.fn(o)
	}
	o.updateCb = func(tx Tx) error {
		o.tx = tx
		if err := o.fn(o); err != nil {
			return err
		}
		return o.finish()
	}
	return o
}

type refDelta struct {
	id    BlockID
	delta int64
	size  uint64 // size of a new block
}

func (f *FS) getOp(ctx context.Context) *op {
	o := f.opPool.Get().(*op)
	o.ctx = ctx
	return o
}

func (f *FS) putOp(o *op) {
	if len(o.reclaim) > 0 || len(o.put) > 0 {
		f.reclaimBlocks(context.WithoutCancel(o.ctx), append(o.reclaim, o.put...))
	}
	if len(o.drop) > 0 {
		for _, id := range o.drop {
			f.dropBuffers(id)
		}
	}
	if len(o.orphans) > 0 {
		ids := append([]uint64(nil), o.orphans...)
		o.orphans = o.orphans[:0]
		for _, id := range ids {
			_ = f.reap(context.WithoutCancel(o.ctx), id) // resumed by NewFS if it fails
		}
	}
	o.reset()
	o.put = o.put[:0]
	o.reclaim = o.reclaim[:0]
	o.drop = o.drop[:0]
	o.orphans = o.orphans[:0]
	o.ctx = nil
	o.fn = nil
	o.c = nil
	o.name = ""
	o.attr = Attr{}
	if cap(o.buf) > maxPooledArena {
		o.buf = make([]byte, 0, 512)
	}
	if cap(o.exts) > 4096 {
		o.exts = nil
	}
	f.opPool.Put(o)
}

func (o *op) reset() {
	o.tx = nil
	o.buf = o.buf[:0]
	o.refs = o.refs[:0]
	o.usage = [usageShard]usage{}
	o.udirt = 0
	o.exts = o.exts[:0]
	o.events = o.events[:0]
}

// maxPooledArena bounds the arena an op keeps in the pool: large enough
// for a batch of small stable writes' intents (32 of 4 KiB and their
// keys), so that a steady stream of them allocates no arena.
const maxPooledArena = 256 << 10

// key returns a key in the op's arena. Keys stay valid until the op is
// reset, after the transaction ended.
func (o *op) key(pfx byte, id uint64) []byte {
	s := len(o.buf)
	o.buf = appendKeyID(o.buf, pfx, id)
	return o.buf[s:len(o.buf):len(o.buf)]
}

func (o *op) key2(pfx byte, id, x uint64) []byte {
	s := len(o.buf)
	o.buf = appendKeyID(o.buf, pfx, id)
	o.buf = be.AppendUint64(o.buf, x)
	return o.buf[s:len(o.buf):len(o.buf)]
}

func (o *op) keyName(pfx byte, id uint64, name string) []byte {
	s := len(o.buf)
	o.buf = appendKeyID(o.buf, pfx, id)
	o.buf = append(o.buf, name...)
	return o.buf[s:len(o.buf):len(o.buf)]
}

func (o *op) keyBlock(id BlockID) []byte {
	s := len(o.buf)
	o.buf = append(o.buf, pfxBlock)
	o.buf = append(o.buf, id[:]...)
	return o.buf[s:len(o.buf):len(o.buf)]
}

// val encodes a value into the arena with enc.
func (o *op) val(enc func([]byte) []byte) []byte {
	s := len(o.buf)
	o.buf = enc(o.buf)
	return o.buf[s:len(o.buf):len(o.buf)]
}

func (o *op) files(id uint64, d int64) {
	s := id % usageShard
	o.usage[s].Files += d
	o.udirt |= 1 << s
}

func (o *op) bytesUsed(id BlockID, d int64) {
	s := uint64(id[1]) % usageShard
	o.usage[s].Bytes += d
	o.udirt |= 1 << s
}

// ref records a change of the reference count of block id. size is the
// block's size, used when the record is created.
func (o *op) ref(id BlockID, d int64, size uint64) {
	for i := range o.refs {
		if o.refs[i].id == id {
			o.refs[i].delta += d
			if size != 0 {
				o.refs[i].size = size
			}
			return
		}
	}
	o.refs = append(o.refs, refDelta{id: id, delta: d, size: size})
}

// finish applies the reference and usage deltas; it runs inside the
// transaction after the operation's function succeeded.
func (o *op) finish() error {
	for _, r := range o.refs {
		if r.delta == 0 {
			continue
		}
		k := o.keyBlock(r.id)
		v, err := o.tx.Get(k)
		var rec blockRec
		switch {
		case err == nil:
			if rec, err = decodeBlockRec(v); err != nil {
				return err
			}
		case errors.Is(err, ErrNotFound):
			if r.delta < 0 || r.size == 0 {
				return NewError(CodeIO, "refcount", r.id.String(), errCorrupt)
			}
			rec.Size = r.size
			o.bytesUsed(r.id, int64(r.size))
		default:
			return err
		}
		n := int64(rec.Refs) + r.delta
		switch {
		case n < 0:
			return NewError(CodeIO, "refcount", r.id.String(), errCorrupt)
		case n == 0:
			if err := o.tx.Delete(k); err != nil {
				return err
			}
			o.bytesUsed(r.id, -int64(rec.Size))
			o.reclaim = append(o.reclaim, r.id)
		default:
			rec.Refs = uint64(n)
			if err := o.tx.Put(k, o.val(rec.encode)); err != nil {
				return err
			}
		}
	}
	for s := 0; s < usageShard; s++ {
		if o.udirt&(1<<s) == 0 {
			continue
		}
		k := []byte{pfxUsage, byte(s)}
		var u usage
		v, err := o.tx.Get(k)
		if err == nil {
			if u, err = decodeUsage(v); err != nil {
				return err
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		u.Files += o.usage[s].Files
		u.Bytes += o.usage[s].Bytes
		if err := o.tx.Put(k, o.val(u.encode)); err != nil {
			return err
		}
	}
	return nil
}

func isConflict(err error) bool { return errors.Is(err, ErrConflict) }

// ioErr gives err a Code: store errors and context errors pass through,
// anything else from a backend becomes CodeIO.
func ioErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return NewError(CodeIO, op, "", err)
}

// update runs fn in a read-write transaction, retrying on conflict with
// bounded exponential backoff that respects ctx.
func (f *FS) update(ctx context.Context, o *op, fn func(*op) error) error {
	delay := 50 * time.Microsecond
	for attempt := 0; ; attempt++ {
		mark, dmark, omark := len(o.reclaim), len(o.drop), len(o.orphans)
		o.reset()
		o.fn = fn
		err := f.meta.Update(ctx, o.updateCb)
		o.tx = nil
		if err == nil {
			for s := 0; s < usageShard; s++ {
				if o.udirt&(1<<s) != 0 {
					f.files.Add(o.usage[s].Files)
					f.bytes.Add(o.usage[s].Bytes)
				}
			}
			if len(o.events) > 0 {
				f.post(o.events)
			}
			return nil
		}
		// what an aborted attempt deleted or freed is still there
		o.reclaim, o.drop, o.orphans = o.reclaim[:mark], o.drop[:dmark], o.orphans[:omark]
		if !isConflict(err) || attempt >= f.opts.MaxRetries {
			return ioErr("update", err)
		}
		d := delay/2 + time.Duration(rand.Int64N(int64(delay)))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if delay < 20*time.Millisecond {
			delay *= 2
		}
	}
}

// view runs fn in a read-only transaction.
func (f *FS) view(ctx context.Context, o *op, fn func(*op) error) error {
	o.reset()
	o.fn = fn
	err := f.meta.View(ctx, o.viewCb)
	o.tx = nil
	return ioErr("view", err)
}

// ---- node access inside a transaction ----------------------------------------

// getInode loads node id into n; a missing node is ErrStale.
func (o *op) getInode(id uint64, n *inode) error {
	v, err := o.tx.Get(o.key(pfxNode, id))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrStale
		}
		return err
	}
	if err := decodeInode(v, n); err != nil {
		return err
	}
	n.ID = id
	return nil
}

// node loads the node of h, checking its generation.
func (o *op) node(h Handle, n *inode) error {
	if h.ID == 0 {
		return ErrBadHandle
	}
	if err := o.getInode(h.ID, n); err != nil {
		return err
	}
	if n.Gen != h.Gen {
		return ErrStale
	}
	return nil
}

func (o *op) putInode(n *inode) error {
	return o.tx.Put(o.key(pfxNode, n.ID), o.val(n.encode))
}

// touch marks n changed at now: ctime and the change counter, and mtime too
// when data (or a directory's entries) changed.
func touch(n *inode, now int64, data bool) {
	n.Ctime = now
	if data {
		n.Mtime = now
	}
	n.Change++
}

func (f *FS) lockFile(id uint64) *sync.RWMutex { return &f.fileLocks[id%uint64(len(f.fileLocks))] }

func (f *FS) lockBlock(id BlockID) *sync.Mutex { return &f.blockLocks[id[0]] }

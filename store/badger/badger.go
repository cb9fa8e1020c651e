package badger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/dittofs/dittofs/store"
)

// magicVersion stamps a Badger database as holding the DittoFS layout.
const magicVersion = 1

// keyPrefix is the first byte of every store.Metadata key on disk.
const keyPrefix = 0x01

// maxKeyLen is the longest key Badger stores (65000 bytes), less the prefix.
const maxKeyLen = 65000 - 1

// Options configures Open. The zero value gives Badger's recommended
// settings with the checks this package relies on.
type Options struct {
	// SyncWrites makes each Update fsync Badger's logs before it returns.
	// When false, an Update survives a killed process at once and a power
	// failure after the next Sync.
	SyncWrites bool
	// Logger receives Badger's log messages. Nil discards them.
	Logger *slog.Logger
	// MemTableSize is the size of a memtable in bytes; a transaction may
	// write about 15% of it. Zero means 64 MiB.
	MemTableSize int64
	// ValueThreshold is the size from which a value is kept in the value
	// log rather than in the LSM tree. Zero means Badger's default (1 MiB).
	ValueThreshold int64
	// ValueLogFileSize is the size of a value log file, and the largest
	// value. Zero means Badger's default (1 GiB).
	ValueLogFileSize int64
	// BlockCacheSize is the size in bytes of the cache of decompressed
	// table blocks. Zero means Badger's default (256 MiB); a negative value
	// disables the cache, and with it the compression of tables, which
	// needs the cache.
	BlockCacheSize int64
	// IndexCacheSize bounds the memory held by table indexes and bloom
	// filters, in bytes. Zero keeps them all in memory.
	IndexCacheSize int64
	// Tune, when set, is applied last to the Badger options Open builds,
	// for settings this struct does not cover. Do not change Dir,
	// ValueDir, NumVersionsToKeep, DetectConflicts or ExternalMagicVersion.
	Tune func(bdg.Options) bdg.Options
}

// Metadata is a store.Metadata on a Badger database. It is safe for
// concurrent use.
type Metadata struct {
	db *bdg.DB

	// mu guards closed; running transactions are counted in active, so
	// Close can wait for them.
	mu     sync.RWMutex
	closed bool
	active sync.WaitGroup

	ranges rangeOracle
	snaps  snapshots // shared read snapshots of Views (snapshot.go)
	logs   *logSyncer
	// vlogMin is Badger's value threshold; vlogDirty is set when a
	// commit since the last Sync may have written to the value log (a
	// value of vlogMin bytes or more, or value-log GC), and Sync then
	// calls DB.Sync instead of logs.syncWAL.
	vlogMin   int
	vlogDirty atomic.Bool
	inMemory  bool
}

var (
	_ store.Metadata    = (*Metadata)(nil)
	_ store.Syncer      = (*Metadata)(nil)
	_ store.Persistence = (*Metadata)(nil)
)

// Persistent reports whether the data survives a restart: true unless the
// database was opened with Badger's InMemory option.
func (m *Metadata) Persistent() bool { return !m.inMemory }

// Open opens (creating when needed) the Badger database in dir.
func Open(dir string, o Options) (*Metadata, error) {
	bo := bdg.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(o.SyncWrites).
		WithNumVersionsToKeep(1).
		WithDetectConflicts(true).
		WithMetricsEnabled(false).
		WithVerifyValueChecksum(true).
		WithChecksumVerificationMode(options.OnBlockRead).
		WithExternalMagic(magicVersion)
	if o.Logger != nil {
		bo = bo.WithLogger(slogLogger{o.Logger})
	}
	if o.MemTableSize > 0 {
		bo = bo.WithMemTableSize(o.MemTableSize)
	}
	if o.ValueThreshold > 0 {
		bo = bo.WithValueThreshold(o.ValueThreshold)
	}
	// Badger refuses a value threshold above its largest write batch,
	// 15% of the memtable.
	bo.ValueThreshold = min(bo.ValueThreshold, 15*bo.MemTableSize/100)
	if o.ValueLogFileSize > 0 {
		bo = bo.WithValueLogFileSize(o.ValueLogFileSize)
	}
	switch {
	case o.BlockCacheSize > 0:
		bo = bo.WithBlockCacheSize(o.BlockCacheSize)
	case o.BlockCacheSize < 0:
		// Badger needs the cache for compressed tables.
		bo = bo.WithBlockCacheSize(0).WithCompression(options.None)
	}
	if o.IndexCacheSize > 0 {
		bo = bo.WithIndexCacheSize(o.IndexCacheSize)
	}
	if o.Tune != nil {
		bo = o.Tune(bo)
		if bo.ValueDir != bo.Dir {
			return nil, store.NewError(store.CodeInvalid, "open", dir, errors.New("Tune must not move the value log to another directory"))
		}
	}
	db, err := openDB(bo)
	if err != nil {
		return nil, store.NewError(store.CodeIO, "open", dir, err)
	}
	m := &Metadata{db: db, ranges: rangeOracle{active: map[uint64]int{}}, logs: newLogSyncer(bo.Dir), inMemory: bo.InMemory,
		vlogMin: int(bo.ValueThreshold)}
	m.vlogDirty.Store(true) // the value log as Open found it
	return m, nil
}

// openDB opens the database, turning a panic in Badger's recovery (it
// asserts on some malformed files) into an error.
func openDB(bo bdg.Options) (db *bdg.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("badger panicked opening the database: %v", r)
		}
	}()
	return bdg.Open(bo)
}

// MaxTxnSize returns the limits of one Update: the bytes it may write
// (counting a value-log value as a 14-byte pointer) and its entries.
func (m *Metadata) MaxTxnSize() (bytes, entries int64) {
	return m.db.MaxBatchSize(), m.db.MaxBatchCount()
}

// begin registers a transaction, or fails when m is closed.
func (m *Metadata) begin(op string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return store.NewError(store.CodeIO, op, "", fs.ErrClosed)
	}
	m.active.Add(1)
	return nil
}

// View runs fn on a read snapshot.
func (m *Metadata) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.begin("view"); err != nil {
		return err
	}
	defer m.active.Done()
	sn := m.snaps.acquire(m.db)
	defer sn.release()
	tx := &txn{btx: sn.btx}
	defer tx.end()
	return fn(tx)
}

// Update runs fn in an optimistic read-write transaction and commits it
// when fn returns nil and ctx is not done. A commit that conflicts with a
// concurrent one returns an error matching store.ErrConflict.
func (m *Metadata) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.begin("update"); err != nil {
		return err
	}
	defer m.active.Done()
	btx, start := m.ranges.begin(m.db)
	defer m.ranges.end(start)
	defer btx.Discard()
	tx := &txn{btx: btx, writable: true, vlogMin: m.vlogMin}
	err := fn(tx)
	tx.end()
	if err != nil {
		return err
	}
	if tx.vlog {
		m.vlogDirty.Store(true) // before the commit can return
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = m.ranges.commit(tx, start)
	if len(tx.writes) > 0 {
		m.snaps.drop() // after a failed commit too: cheap, and surely safe
	}
	return err
}

// Sync makes every committed Update durable: it fsyncs Badger's
// write-ahead logs and value log files that hold unsynced commits, and the
// directory when files were created or removed.
func (m *Metadata) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.begin("sync"); err != nil {
		return err
	}
	defer m.active.Done()
	if m.inMemory {
		return nil
	}
	if !m.vlogDirty.Swap(false) {
		if m.logs.syncWAL() == nil {
			return nil
		}
		// Then the full sync below, which reports what fails.
	}
	err := m.db.Sync()
	if err == nil {
		err = m.logs.sync()
	}
	if err != nil {
		m.vlogDirty.Store(true) // the next Sync does it all again
		return store.NewError(store.CodeIO, "sync", "", err)
	}
	return nil
}

// RunValueLogGC rewrites value-log files of which at least discardRatio
// (between 0 and 1; 0.5 is a good choice) is garbage, until none is left
// or ctx is done. It returns nil when there was nothing to collect.
func (m *Metadata) RunValueLogGC(ctx context.Context, discardRatio float64) error {
	if err := m.begin("gc"); err != nil {
		return err
	}
	defer m.active.Done()
	for ctx.Err() == nil {
		err := m.db.RunValueLogGC(discardRatio)
		m.vlogDirty.Store(true) // it rewrote values into the value log
		if errors.Is(err, bdg.ErrNoRewrite) || errors.Is(err, bdg.ErrRejected) {
			return nil
		}
		if err != nil {
			return store.NewError(store.CodeIO, "gc", "", err)
		}
	}
	return ctx.Err()
}

// Close waits for running transactions, then closes the database. Later
// calls return nil; later transactions fail with an error matching
// fs.ErrClosed.
func (m *Metadata) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.active.Wait()
	m.snaps.drop()
	m.logs.close()
	if err := m.db.Close(); err != nil {
		return store.NewError(store.CodeIO, "close", "", err)
	}
	return nil
}

// rangeOracle adds range (phantom) conflicts to Badger's key conflicts.
// Commits run one at a time under mu and are numbered by seq; log keeps
// the written keys of the commits that a running Update may still have to
// check its scans against.
type rangeOracle struct {
	mu     sync.Mutex
	seq    uint64
	active map[uint64]int // start seq of the running Updates → how many
	log    []commitRecord // ascending seq
}

type commitRecord struct {
	seq  uint64
	keys [][]byte // sorted, with keyPrefix
}

// begin starts a Badger read-write transaction and returns it with the
// number of the last commit its snapshot includes.
func (r *rangeOracle) begin(db *bdg.DB) (*bdg.Txn, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	btx := db.NewTransaction(true)
	r.active[r.seq]++
	return btx, r.seq
}

// end forgets an Update that began at start, and the log records no
// running Update needs.
func (r *rangeOracle) end(start uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active[start]--; r.active[start] == 0 {
		delete(r.active, start)
	}
	if len(r.active) == 0 {
		clear(r.log)
		r.log = r.log[:0]
		return
	}
	oldest := r.seq
	for s := range r.active {
		oldest = min(oldest, s)
	}
	i := 0
	for i < len(r.log) && r.log[i].seq <= oldest {
		i++
	}
	if i > 0 {
		n := copy(r.log, r.log[i:])
		clear(r.log[n:])
		r.log = r.log[:n]
	}
}

// commit checks tx's scanned ranges against the commits since start and
// commits the Badger transaction.
func (r *rangeOracle) commit(tx *txn, start uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	// An Update that wrote nothing read a consistent snapshot and commits
	// nothing, so it cannot conflict.
	if len(tx.writes) > 0 && len(tx.scans) > 0 {
		for _, c := range r.log {
			if c.seq > start && c.intersects(tx.scans) {
				return store.NewError(store.CodeConflict, "update", "", errPhantom)
			}
		}
	}
	if err := tx.btx.Commit(); err != nil {
		return mapErr("commit", err)
	}
	if len(tx.writes) == 0 {
		return nil
	}
	r.seq++
	// Only Updates running now can scan a range this commit wrote into.
	if len(r.active) > 1 || r.active[start] > 1 {
		keys := tx.writes
		slices.SortFunc(keys, bytes.Compare)
		r.log = append(r.log, commitRecord{seq: r.seq, keys: keys})
	}
	return nil
}

var errPhantom = errors.New("a concurrent transaction wrote into a scanned range")

func (c *commitRecord) intersects(scans []keyRange) bool {
	for _, s := range scans {
		i, _ := slices.BinarySearchFunc(c.keys, s.start, bytes.Compare)
		if i < len(c.keys) && bytes.Compare(c.keys[i], s.end) < 0 {
			return true
		}
	}
	return false
}

// keyRange is a scanned range [start, end) of prefixed keys.
type keyRange struct{ start, end []byte }

// mapErr turns a Badger error into a store error.
func mapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bdg.ErrConflict):
		return store.NewError(store.CodeConflict, op, "", err)
	case errors.Is(err, bdg.ErrKeyNotFound):
		return store.ErrNotFound
	case errors.Is(err, bdg.ErrTxnTooBig):
		return store.NewError(store.CodeTooBig, op, "", err)
	case errors.Is(err, bdg.ErrEmptyKey), errors.Is(err, bdg.ErrInvalidKey):
		return store.NewError(store.CodeInvalid, op, "", err)
	case errors.Is(err, bdg.ErrDBClosed):
		return store.NewError(store.CodeIO, op, "", errors.Join(err, fs.ErrClosed))
	}
	return store.NewError(store.CodeIO, op, "", err)
}

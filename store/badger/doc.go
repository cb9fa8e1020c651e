// Package badger is a store.Metadata backend on BadgerDB v4
// (github.com/dgraph-io/badger/v4), an embedded LSM-tree key-value store
// with serializable snapshot isolation.
//
//	m, err := badger.Open("/var/lib/dittofs/meta", badger.Options{})
//	if err != nil { ... }
//	defer m.Close()
//
// # Transactions
//
// View runs on a Badger read snapshot and never blocks. Update runs an
// optimistic Badger transaction: Badger records the keys fn reads with Get
// and the keys Scan returns, and a commit fails when a transaction that
// committed after this one began wrote one of them. Badger does not see the
// ranges a Scan covered, so a key inserted into a scanned range by a
// concurrent transaction (a phantom) would go unnoticed; Metadata therefore
// also records each Update's scanned ranges and checks them against the
// keys written by the transactions that committed meanwhile. Both kinds of
// conflict return an error matching store.ErrConflict, and store.FS retries
// the operation. Commits go through one short critical section, so the
// checks see a single commit order.
//
// # Limits
//
// A key may be up to 64999 bytes and a value up to Options.ValueLogFileSize
// (1 GiB by default). A transaction may write about 15% of
// Options.MemTableSize (about 9.6 MB with the default 64 MiB memtable) or
// MemTableSize/640 entries (about 100,000), whichever comes first
// (MaxTxnSize reports both). Values of at least ValueThreshold bytes count
// only as a 14-byte pointer against that limit. A Put or Delete beyond the
// limit returns an error matching store.ErrTooBig and wrapping Badger's
// ErrTxnTooBig; returning it from fn rolls the whole transaction back.
//
// # Durability
//
// With the default Options.SyncWrites false, a committed Update is in
// Badger's write-ahead log in the page cache when Update returns: it
// survives the process being killed (kill -9), but not a power failure or
// kernel crash until Sync returns. Sync (store.Syncer, which store.FS calls
// for NFS COMMIT and stable writes) runs Badger's DB.Sync, which fsyncs
// only the active write-ahead log and value log file, and then fsyncs what
// Badger leaves out without SyncWrites: each log file it has rotated away
// from (a memtable waiting to be flushed, a full value log file; once per
// file) and the directory when files were created or removed. Set
// SyncWrites for every commit to be durable on return; each commit then
// pays an fsync (see docs/store-backends.md for the measured cost).
//
// # On-disk layout
//
// The directory is an ordinary Badger v4 database: MANIFEST, KEYREGISTRY,
// DISCARD, *.sst (the LSM levels), *.vlog (the value log, holding values of
// ValueThreshold bytes or more), *.mem (memtable write-ahead logs) and a
// LOCK file that keeps a second process from opening it. The database is
// stamped with Badger's external magic version 1 (the DittoFS layout), and
// Open refuses a database with another stamp. Every key of store.Metadata
// is stored under the one-byte prefix 0x01, which keeps it clear of
// Badger's reserved "!badger!" keys and leaves the other prefixes for this
// package's own records (none yet). Only the latest version of a key is
// kept.
//
// Overwritten and deleted values in the value log are reclaimed by
// RunValueLogGC, which an embedder should call periodically (for example
// every few minutes); Badger's compactions reclaim the LSM levels by
// themselves.
//
// # Integrity
//
// Value-log entries and table blocks are read with checksum verification,
// so a corrupted file gives an error matching store.ErrIO rather than
// wrong data. A panic inside Badger while reading (Badger asserts on some
// malformed inputs) is recovered and returned as store.ErrIO as well.
//
// # Logging
//
// Badger's own log messages go to Options.Logger, at Badger's levels
// mapped onto slog's; with a nil Logger they are discarded, so nothing is
// written to stderr.
package badger

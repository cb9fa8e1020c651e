// Package store is the storage core of DittoFS: the data model, the two
// backend contracts (Metadata, a small transactional ordered key-value store,
// and Blocks, a store of content blocks), the typed errors every protocol
// maps in one table, and FS, the filesystem core that implements POSIX
// semantics once over any pair of backends.
//
// Every protocol (NFSv3, NFSv4.x, SMB) reaches files only through FS. An
// embedder brings their own database by implementing Metadata and passing
// store/storetest's conformance suite.
//
// # Operations
//
// Every FS operation takes a context and the caller's *Cred explicitly, runs
// as one Metadata transaction (retried with bounded, jittered backoff when
// the backend reports ErrConflict, see Options.MaxRetries) and returns errors
// carrying a Code. Nodes are named by a Handle: an id that is never reused
// (ids are handed out in batches reserved in the superblock, so a restart
// skips the rest of a batch) and a random generation. Resolve returns
// ErrStale for a handle whose node is gone.
//
// Permission checks are POSIX: owner/group/other bits with supplementary
// groups, sticky directories, setgid inheritance, and the chown/chmod/utimes
// rules. UID 0 is treated by Options.Root (RootPrivileged or RootOrdinary);
// squashing is the protocol's business and happens before the call.
//
// # Key layout
//
// All integers in keys are big-endian so that keys sort numerically; values
// are little-endian. Every record is decoded defensively: a value that does
// not decode is reported as ErrIO, never a panic.
//
//	's'                          superblock: magic "DTFS", version, next free node id, root id
//	'u' shard(1)                 usage counters (files, block bytes), 16 shards to spread writes
//	'n' id(8)                    inode: type, mode, nlink, uid, gid, size, used, a/m/c/birth
//	                             times (ns), change counter, rdev, generation, parent (dirs;
//	                             others: the directory last linked into),
//	                             next cookie (dirs), entry count (dirs), xattr bytes,
//	                             exclusive-create verifier, symlink target
//	'd' dir(8) name              directory entry: child id, cookie, child type
//	'c' dir(8) cookie(8)         the same entry indexed by cookie: child id, type, name
//	'e' id(8) end(8)             extent: file bytes [start, end) -> block id, offset in block;
//	                             or an allocated extent reading as zeroes (no block)
//	'x' id(8) name               extended attribute value
//	'b' blockid(32)              block record: reference count (= extents naming it), size
//	'z' id(8)                    orphan: a freed file whose extents are still being released
//	'w' id(8) seq(8)             intent: offset and bytes of a small stable write not yet
//	                             folded into blocks (intent.go)
//	'k'                          the secret key blocks are named under (blockname.go)
//	0xff name 0x00 ...           records of other components in registered key namespaces (RegisterNamespace)
//
// Extents are keyed by their end so that one forward scan from offset+1
// finds the extent covering an offset. Directory entries get cookies from a
// per-directory sequence starting at 3 (0 means "from the start"; 1 and 2
// are left to protocols for "." and ".."); ReadDir scans the cookie index,
// so a resumed listing never repeats or skips an entry that existed
// throughout.
//
// # Content
//
// A regular file is a map of extents onto blocks. Blocks are named by a
// keyed hash of their content (GMAC under a secret key of the store, 7.5
// GB/s per core with AES-NI; blockname.go says why no one without the key
// can make two contents share a name), so dedup is safe without comparing
// bytes. Stores written before keyed names hold SHA-256 names, which stay
// valid. Blocks are
// reference counted (the count is the number of extents naming the block),
// so Clone and Copy share them and cost O(extents), identical content is
// stored once, and a block is deleted as soon as its last reference goes;
// GC collects what a crash leaves. Writes go first to open blocks in memory;
// buffer.go says when they are sealed. Removing or truncating a file with
// many extents releases them reapBatch at a time, so no transaction grows
// past a backend's limit.
//
// # Durability
//
// Unstable writes may be lost by a crash (the write verifier changes on
// every NewFS, so NFS clients resend); their size change is kept, so the
// lost range reads as zeroes. Stable writes, and every write before a
// Commit, are on stable storage before the call returns: blocks are stored,
// then their mapping (or, for small stable writes, an intent holding the
// bytes) committed, then both backends synced (Syncer) by a sync shared
// with every caller that arrived while the previous one ran (group.go).
// intent.go explains why folding intents into blocks loses nothing.
package store

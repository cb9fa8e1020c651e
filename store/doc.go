// Package store is the storage core of DittoFS: the data model, the two
// backend contracts (Metadata, a small transactional ordered key-value store,
// and Blocks, a store of content blocks), the typed errors every protocol
// maps in one table, and FS, the filesystem core that implements POSIX
// semantics once over any pair of backends.
//
// Every protocol (NFSv3, NFSv4.x, SMB) reaches files only through FS. An
// embedder brings their own database by implementing Metadata and passing
// store/storetest's conformance suite.
package store

// Package memory provides in-memory store backends: Metadata, a
// transactional ordered key-value store on a copy-on-write B-tree with MVCC
// snapshots, and Blocks, a map of content blocks. Nothing survives the
// process; they are for tests, caches and ephemeral exports.
//
// Metadata serializes writers with one lock and lets readers run on
// immutable snapshots, so View never waits and Update never conflicts.
// Both types pass store/storetest.
package memory

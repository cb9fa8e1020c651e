// Package locking is the unified lock manager of a DittoFS share: one
// Manager per share (per store.FS) that every protocol uses, so that an NLM
// lock from an NFSv3 client, an NFSv4 lock and an SMB byte-range lock on the
// same file conflict with each other.
//
// The Manager keeps four kinds of state per file, identified by the store's
// node id (store.Handle.ID, never reused):
//
//   - Byte-range locks, shared or exclusive, over 64-bit ranges (a length of
//     0 means "to end of file"), with POSIX semantics for one owner: a new
//     lock replaces the owner's overlapping locks (upgrade and downgrade in
//     place), adjacent and overlapping locks of the same type merge, and
//     an unlock of part of a lock splits it (IEEE Std 1003.1, fcntl). Locks
//     of different owners conflict when they overlap and one is exclusive.
//   - A FIFO wait queue of blocked requests, granted in order as conflicts
//     go away, with cancellation and deadlock detection over the
//     waits-for graph of the share (EDEADLK, NLM4_DEADLCK, NFS4ERR_DEADLOCK).
//   - Share reservations: access and deny modes (NFSv4 OPEN share_access and
//     share_deny, RFC 7530 §9.9; NLM SHARE; SMB share access later).
//   - Recallable grants (NFSv4 delegations, SMB oplocks and leases): a
//     grant conflicts with other clients' access, and a conflict starts a
//     break through the holder's Breaker, after which the grant is revoked
//     if it is not returned in time.
//
// Owners keep their protocol's identity: an Owner is a protocol, a client
// (NLM caller_name, NFSv4 client id) and a key within the client (NLM svid
// and oh, NFSv4 lock-owner). Each protocol package translates at its
// boundary.
//
// With Options.Persist set, the Manager writes the held byte-range locks
// and share reservations of every file to the share's store.Metadata in the
// transaction that changes them. After a restart Open reads what was held
// before, and the share is in its grace period (RFC 7530 §9.6.2, the NLM
// grace period of XNFS): only reclaims are granted, until the grace period
// (90 s by default) ends or every client that held state has said it is done
// reclaiming (ReclaimComplete).
//
// The Manager never calls a callback (Request.Granted, Breaker.Break,
// Revoker.Revoked) while holding its own lock; callbacks must not block.
// Time comes from Options.Clock.
package locking

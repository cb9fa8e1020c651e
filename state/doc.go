// Package state is the NFSv4 state of a DittoFS server: clients and
// their leases, open-owners and lock-owners with their sequence ids and
// replay caches, the stateids of opens and byte-range locks (RFC 7530
// §9, RFC 8881 §8), and NFSv4.1 sessions with their slot tables and
// reply cache (RFC 8881 §2.10). Package nfs4 speaks the protocol over it.
//
// A Table keeps the state of one server. Share reservations and
// byte-range locks themselves live in the export's locking.Manager (the
// one NLM and SMB use), so an NFSv4 OPEN deny mode or LOCK conflicts with
// the other protocols; the Table remembers which of them belong to which
// NFSv4 client, releases them when the client goes away, and keeps the
// protocol's own bookkeeping (stateids and seqids).
//
// # Identities
//
// A client is known by its nfs_client_id4.id (Client.Name), which stays
// the same across client and server restarts, and by the short clientid
// the server hands out. Lock manager owners are
// locking.Owner{Proto: locking.ProtoNFS4, Client: Name, Key: "o"+open-owner}
// for share reservations and Key "l"+lock-owner for locks, so that locks
// persisted by the lock manager are reclaimed by the same client after a
// restart.
//
// Clientids and stateids carry the Table's boot epoch: a clientid or
// stateid from before a restart is told apart (NFS4ERR_STALE_CLIENTID,
// NFS4ERR_STALE_STATEID) from one that never existed (NFS4ERR_BAD_STATEID).
// The "other" field of a stateid is epoch(4) client(4) state(4).
//
// # Leases
//
// Every use of a client's state renews its lease. A client whose lease
// has expired is a courtesy client (RFC 8881 §8.4.3, what Linux's nfsd
// does): its state stays until another client conflicts with it, or until
// Options.Courtesy has passed, and it is revived if it comes back first.
// Only then is its state released and its stateids answer
// NFS4ERR_EXPIRED.
//
// # Admission
//
// New client records are bounded in all (Options.MaxClients) and per
// source address (MaxClientsPerAddr, MaxUnconfirmedPerAddr; the caller's
// address reaches SetClientID and ExchangeID). A new client
// finds room by taking the place of an unconfirmed or released record or
// of the courtesy client idle longest, whose state is then released; a
// live client is never evicted, and only when every candidate is live is
// the new client refused (ErrResource). Stats counts both.
//
// # Sessions
//
// Table.CreateSession makes an NFSv4.1 session of a client; its slot
// table gives exactly-once semantics (Session.Begin and Session.End
// around each compound; a retransmission gets the cached reply). The
// reply cache of all sessions is bounded by Options.MaxReplyCache. A
// client's sessions are destroyed with its state (DestroyClient refuses
// while it has any: ErrClientBusy).
//
// # Restart
//
// With Options.Persist set, the name of every confirmed client is kept in
// the store. After a restart the clients of the previous boot may reclaim
// (CLAIM_PREVIOUS opens, reclaim locks) during the lock manager's grace
// period; other clients' reclaims are refused (NFS4ERR_NO_GRACE).
//
// # Concurrency
//
// A Table is safe for concurrent use; Close stops its lease timer. Operations of one owner are
// serialized by Owner.Lock, which a server holds from the seqid check to
// the recording of the reply, as RFC 7530 §9.1.7 requires.
package state

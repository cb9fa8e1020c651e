// Package nfs3 serves NFS version 3 (program 100003, RFC 1813) and MOUNT
// version 3 (program 100005, RFC 1813 Appendix I) over the exports of an
// export.Table, on top of store.FS, as a set of programs registered on an
// rpc.ServeMux.
//
// A Server needs only its Exports: the table is the file-handle codec
// (keyed by export.Options.HandleKey, which must be secret and stable
// across restarts so that clients' handles survive them) and gives every
// export its rules and lock manager, so NLM (package nlm) and NFSv4
// (package nfs4) served from the same table resolve the same handles and
// see the same locks. Every call is checked against the export's rules
// (client address, security flavor, secure ports, read-only, root
// squashing); a refused call is answered NFS3ERR_ACCES (MNT3ERR_ACCES for
// MOUNT) and logged, rate-limited.
//
// Each procedure maps onto one store.FS operation and its typed errors
// onto NFS3 statuses; WRITE, SETATTR and the namespace procedures return
// exact weak cache consistency data read in the operation's own
// transaction. Register the rpc.Server with a DuplicateCache: the
// procedures that are not idempotent say so, and a retransmission gets
// the first reply instead of running again.
//
// docs/nfs3.md lists what is implemented and how each procedure behaves.
package nfs3

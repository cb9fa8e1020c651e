// Package nlm serves the Network Lock Manager version 4 (program 100021,
// RFC 1813 Appendix II over the XNFS NLM protocol) and the Network Status
// Monitor version 1 (program 100024, XNFS) on top of package locking, so
// that NFSv3 clients' fcntl and flock locks conflict with NFSv4 and SMB
// locks on the same files.
//
// A Server answers NLM calls. It resolves the NFSv3 file handle of each
// request through its export table (Server.Exports, the table nfs3 and
// nfs4 serve) to the file and to its export's *locking.Manager, the one
// NFSv4 and SMB use for the same files, so their locks conflict. Blocking
// requests are answered NLM4_BLOCKED and later granted with an
// NLMPROC4_GRANTED call to the client's lock manager, whose port is found
// through the client's portmapper. The grace period after a restart is the
// Manager's: only reclaims are granted in it (NLM4_DENIED_GRACE_PERIOD).
//
// A Monitor is the status monitor: it keeps a persistent state number,
// bumped on every start, and the list of hosts the Server monitors, sends
// SM_NOTIFY to each of them after a restart (so that their clients reclaim
// their locks), and on an SM_NOTIFY from a host that restarted releases
// that host's locks.
package nlm

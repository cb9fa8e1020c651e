// Package nfs4 serves NFS version 4 (RFC 7530 for minor version 0; RFC
// 8881 for 4.1 comes next): program 100003 version 4, procedures NULL and
// COMPOUND, over the exports of an export.Table, on the same rpc.Server
// (and port) as NFSv3.
//
// A COMPOUND is decoded one operation at a time as it executes (RFC 7530
// §15.2): each operation decodes its own arguments, runs against the
// current filehandle, appends its result to the reply, and the compound
// stops at the first operation that fails. Every operation is one
// function in the op table (ops.go) with the generated codecs of package
// nfs4/internal/wire.
//
// The server root is a pseudo-filesystem (RFC 7530 §7): PUTROOTFH gives a
// read-only directory that leads to every export by its path (/export,
// /data/projects …); crossing into an export changes the fsid, and
// LOOKUPP at an export's root leads back out. Open, lock and client state
// live in package state; locks and share reservations go through package
// locking, shared with NLM, so NFSv4 and NFSv3 clients see each other's
// locks. See docs/nfs4.md for what is supported.
package nfs4

// Package rpc is an ONC RPC version 2 server and client (RFC 5531) over
// TCP with record marking and over UDP, on which DittoFS serves NFSv3,
// MOUNT, NLM, NSM, NFSv4 and the portmapper.
//
// A Server reads each connection on one goroutine and runs the calls of a
// connection concurrently; replies are written whole, in any order, and
// the replies of pipelined calls are coalesced into one write. A Handler
// answers one call: ServeMux dispatches by program and version (answering
// PROG_UNAVAIL and PROG_MISMATCH itself) and Procs by procedure number.
// The handler appends results with the ReplyWriter's xdr.Encoder, hands a
// file's data over without a copy with ReplyWriter.Buffer and Data, or
// fails, denies or drops the call.
//
// Everything a client can make the server hold is bounded, with a
// documented default, a counter in Stats and a rate-limited log line when
// the bound is hit: connections in all and per address (MaxConns,
// MaxConnsPerAddr), record sizes (MaxRecordSize), reply bytes held per
// connection and in all (MaxReplyBytesPerConn, MaxReplyBytes: a client
// that does not read its replies stops being read), the time a record may
// take to arrive and a reply to be written. A DuplicateCache answers
// retransmitted non-idempotent calls with the first reply. Shutdown lets
// calls in flight finish.
//
// Authentication: AUTH_NONE and AUTH_SYS credentials are decoded and
// checked (Cred); what a credential may do is the export's business
// (package export).
//
// Client is a pipelining client over TCP or UDP, used by the NFSv4.0
// callback path, NLM's callbacks and NSM notifications, tests and tools. Package rpc/xdr is the XDR codec (RFC 4506),
// rpc/portmap the portmapper (RFC 1833) and rpc/rpctest a loopback server
// for tests. docs/rpc.md has the details and the figures.
package rpc

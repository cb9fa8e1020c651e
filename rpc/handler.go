package rpc

import (
	"context"
	"net"
	"sync"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// A Handler serves RPC calls. ServeRPC decodes the arguments from c.Args
// and encodes the results into w; the server sends the reply after
// ServeRPC returns, so the duplicate request cache and RPCSEC_GSS wrapping
// see all of it. Neither c nor w may be used after ServeRPC returns, and
// byte slices decoded from c.Args alias the request buffer, which is reused
// then: copy what must outlive the call.
//
// ctx ends when the call's connection closes or the server shuts down.
type Handler interface {
	ServeRPC(ctx context.Context, w *ReplyWriter, c *Call)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, w *ReplyWriter, c *Call)

// ServeRPC calls f.
func (f HandlerFunc) ServeRPC(ctx context.Context, w *ReplyWriter, c *Call) { f(ctx, w, c) }

// NonIdempotent is implemented by handlers some of whose procedures change
// state, so that retransmitting them must not run them twice. The server's
// DuplicateCache replays the first reply to a retransmission of such a call.
type NonIdempotent interface {
	NonIdempotent(prog, vers, proc uint32) bool
}

// Procs is a Handler for one program version whose procedures are indexed
// by number; missing or nil entries are answered PROC_UNAVAIL.
type Procs []HandlerFunc

// ServeRPC dispatches on c.Proc.
func (p Procs) ServeRPC(ctx context.Context, w *ReplyWriter, c *Call) {
	if int64(c.Proc) >= int64(len(p)) || p[c.Proc] == nil {
		w.Fail(PROC_UNAVAIL)
		return
	}
	p[c.Proc](ctx, w, c)
}

// Null is the NULL procedure every program has as procedure 0: no
// arguments, no results (RFC 5531 §12.1).
func Null(_ context.Context, _ *ReplyWriter, _ *Call) {}

// Network names the transport a call arrived on.
const (
	TCP = "tcp"
	UDP = "udp"
)

// Call is one RPC call as a handler sees it.
type Call struct {
	XID, Prog, Vers, Proc uint32
	// Cred is the authenticated identity, filled by the Flavor.
	Cred Cred
	// RawCred and RawVerf are the call's credential and verifier as sent.
	RawCred, RawVerf OpaqueAuth
	// Args decodes the procedure's arguments.
	Args *xdr.Decoder
	// Conn is the stream connection the call arrived on, nil for UDP.
	Conn *Conn
	// Network is TCP or UDP.
	Network string
	// Remote is the caller's address.
	Remote net.Addr

	args xdr.Decoder
	gids [AuthSysMaxGroups]uint32
	conn *Conn
	body []byte // the arguments as received, for the duplicate cache
}

// ReplyWriter builds the reply to a call. The accepted-reply header (with
// the verifier the Flavor chose) is already written when the handler runs;
// the handler appends results with Encoder and Data, or replaces them with
// Fail. It is owned by the server and pooled.
type ReplyWriter struct {
	enc       xdr.Encoder
	statOff   int // offset of accept_stat
	resOff    int // offset of the results
	segs      []segment
	owned     []*[]byte // buffers to recycle after the reply is sent
	verf      OpaqueAuth
	verfBuf   [MaxAuthBytes]byte
	wrap      ResultWrapper
	status    uint32
	accept    AcceptStat
	authStat  AuthStat
	denied    bool
	dropped   bool
	hasHeader bool
	bufs      *buffers
	// For stream connections: the connection whose reply budget pays
	// for the reply, the bytes charged to it, and whether the call holds
	// a MaxInFlight slot.
	conn    *Conn
	charged int64
	slot    bool
}

// segment is a payload slice to send after the first off bytes of the
// encoder's buffer that precede it.
type segment struct {
	off  int
	data []byte
}

// ResultWrapper transforms the encoded results of a call before they are
// sent; RPCSEC_GSS integrity and privacy use it (RFC 2203 §5.3.2.2). It
// appends the wrapped form of results to dst and returns it.
type ResultWrapper interface {
	WrapResults(dst, results []byte) ([]byte, error)
}

// Encoder returns the encoder of the results.
func (w *ReplyWriter) Encoder() *xdr.Encoder { return &w.enc }

// Data appends p to the results as the body of variable-length opaque data
// whose length word the handler has already encoded, and pads it. p is sent
// as its own buffer, never copied; it must not change until the reply has
// been sent, which happens after ServeRPC returns. Use Buffer to get a
// buffer the server recycles after sending.
func (w *ReplyWriter) Data(p []byte) {
	if len(p) == 0 {
		return
	}
	w.segs = append(w.segs, segment{off: w.enc.Len(), data: p})
	w.enc.Padding(len(p))
}

// Buffer returns a buffer of n bytes that stays valid until the reply has
// been sent and is then recycled: the place to read file data into before
// passing it to Data. On a stream connection the buffer counts against the
// server's reply limits (Server.MaxReplyBytesPerConn, MaxReplyBytes), and
// the first Buffer of a call waits for room under them.
func (w *ReplyWriter) Buffer(n int) []byte {
	if w.conn != nil {
		w.conn.reserveReply(w, n)
	}
	p := w.bufs.get(n)
	w.owned = append(w.owned, p)
	return *p
}

// Fail discards any results and answers the call with an accepted reply
// of status stat (PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR, …).
func (w *ReplyWriter) Fail(stat AcceptStat) {
	w.accept = stat
	w.segs = w.segs[:0]
	w.enc.Truncate(w.statOff)
	w.enc.Uint32(uint32(stat))
}

// FailMismatch answers PROG_MISMATCH with the lowest and highest versions
// of the program that the server supports.
func (w *ReplyWriter) FailMismatch(low, high uint32) {
	w.Fail(PROG_MISMATCH)
	w.enc.Uint32(low)
	w.enc.Uint32(high)
}

// Deny answers the call with MSG_DENIED / AUTH_ERROR and stat.
func (w *ReplyWriter) Deny(stat AuthStat) {
	w.denied = true
	w.authStat = stat
}

// Drop sends no reply at all. The client will retransmit.
func (w *ReplyWriter) Drop() { w.dropped = true }

// SetStatus records the program-level status of the call (an nfsstat3,
// say) for metrics and logs. It does not change the reply.
func (w *ReplyWriter) SetStatus(s uint32) { w.status = s }

// SetVerifier sets the reply verifier; only a Flavor calls it, from Accept.
// The body is copied.
func (w *ReplyWriter) SetVerifier(v OpaqueAuth) {
	n := copy(w.verfBuf[:], v.Body)
	w.verf = OpaqueAuth{Flavor: v.Flavor, Body: w.verfBuf[:n]}
}

// SetWrapper sets the wrapper applied to the results; only a Flavor calls
// it, from Accept.
func (w *ReplyWriter) SetWrapper(r ResultWrapper) { w.wrap = r }

// reset prepares w for a new call.
func (w *ReplyWriter) reset() {
	for _, p := range w.owned {
		w.bufs.put(p)
	}
	clear(w.owned)
	w.owned = w.owned[:0]
	clear(w.segs)
	w.segs = w.segs[:0]
	w.verf = OpaqueAuth{}
	w.wrap = nil
	w.status = 0
	w.accept = SUCCESS
	w.authStat = AUTH_OK
	w.denied, w.dropped, w.hasHeader = false, false, false
	w.conn, w.charged, w.slot = nil, 0, false
	w.statOff, w.resOff = 0, 0
	w.enc.Truncate(0)
}

// beginAccepted writes the record mark space and the accepted-reply
// header up to accept_stat SUCCESS.
func (w *ReplyWriter) beginAccepted(xid uint32) {
	w.enc.Truncate(0)
	w.enc.Uint32(0) // record mark, set when framed
	w.enc.Uint32(xid)
	w.enc.Uint32(REPLY)
	w.enc.Uint32(MSG_ACCEPTED)
	w.verf.encode(&w.enc)
	w.statOff = w.enc.Len()
	w.enc.Uint32(uint32(SUCCESS))
	w.resOff = w.enc.Len()
	w.hasHeader = true
}

// encodeDenied replaces everything with a rejected reply.
func (w *ReplyWriter) encodeDenied(xid uint32, rpcMismatch bool) {
	w.segs = w.segs[:0]
	w.enc.Truncate(0)
	w.enc.Uint32(0)
	w.enc.Uint32(xid)
	w.enc.Uint32(REPLY)
	w.enc.Uint32(MSG_DENIED)
	if rpcMismatch {
		w.enc.Uint32(RPC_MISMATCH)
		w.enc.Uint32(RPCVersion)
		w.enc.Uint32(RPCVersion)
		return
	}
	w.enc.Uint32(AUTH_ERROR)
	w.enc.Uint32(uint32(w.authStat))
}

// segments returns the reply as a list of byte slices, the first of which
// begins with four bytes reserved for the record mark. dst is scratch.
func (w *ReplyWriter) segments(dst [][]byte) [][]byte {
	b := w.enc.Bytes()
	off := 0
	for _, s := range w.segs {
		dst = append(dst, b[off:s.off], s.data)
		off = s.off
	}
	return append(dst, b[off:])
}

// flatten returns the reply as one slice (for UDP and the duplicate
// cache); with payload segments it is a new slice.
func (w *ReplyWriter) flatten() []byte {
	b := w.enc.Bytes()
	if len(w.segs) == 0 {
		return b
	}
	n := len(b)
	for _, s := range w.segs {
		n += len(s.data)
	}
	out := make([]byte, 0, n)
	off := 0
	for _, s := range w.segs {
		out = append(out, b[off:s.off]...)
		out = append(out, s.data...)
		off = s.off
	}
	return append(out, b[off:]...)
}

// ServeMux dispatches calls by program and version. For a program it does
// not know it answers PROG_UNAVAIL; for a known program with an unknown
// version, PROG_MISMATCH with the range of versions it has. Its zero value
// is ready to use, and it is safe for concurrent use.
type ServeMux struct {
	mu    sync.RWMutex
	progs map[uint32]*program
}

type program struct {
	vers      map[uint32]Handler
	low, high uint32
}

// NewServeMux returns a new, empty ServeMux.
func NewServeMux() *ServeMux { return &ServeMux{} }

// Handle registers h for (prog, vers), replacing any previous handler.
func (m *ServeMux) Handle(prog, vers uint32, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.progs == nil {
		m.progs = make(map[uint32]*program)
	}
	p := m.progs[prog]
	if p == nil {
		p = &program{vers: make(map[uint32]Handler), low: vers, high: vers}
		m.progs[prog] = p
	}
	p.vers[vers] = h
	p.low, p.high = min(p.low, vers), max(p.high, vers)
}

// HandleFunc registers f for (prog, vers).
func (m *ServeMux) HandleFunc(prog, vers uint32, f func(context.Context, *ReplyWriter, *Call)) {
	m.Handle(prog, vers, HandlerFunc(f))
}

// Remove unregisters (prog, vers).
func (m *ServeMux) Remove(prog, vers uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.progs[prog]
	if p == nil {
		return
	}
	delete(p.vers, vers)
	if len(p.vers) == 0 {
		delete(m.progs, prog)
		return
	}
	first := true
	for v := range p.vers {
		if first || v < p.low {
			p.low = v
		}
		if first || v > p.high {
			p.high = v
		}
		first = false
	}
}

// Program is an RPC program number and version: what a protocol
// package's Programs function lists for portmapper registration.
type Program struct{ Prog, Vers uint32 }

// Programs calls fn for every registered (prog, vers).
func (m *ServeMux) Programs(fn func(prog, vers uint32)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for prog, p := range m.progs {
		for v := range p.vers {
			fn(prog, v)
		}
	}
}

// Handler returns the handler for (prog, vers), or nil with the version
// range of prog when only the version is unknown (ok reports whether prog
// is known at all).
func (m *ServeMux) Handler(prog, vers uint32) (h Handler, low, high uint32, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p := m.progs[prog]
	if p == nil {
		return nil, 0, 0, false
	}
	return p.vers[vers], p.low, p.high, true
}

// ServeRPC dispatches c to the handler registered for its program and
// version.
func (m *ServeMux) ServeRPC(ctx context.Context, w *ReplyWriter, c *Call) {
	h, low, high, ok := m.Handler(c.Prog, c.Vers)
	switch {
	case !ok:
		w.Fail(PROG_UNAVAIL)
	case h == nil:
		w.FailMismatch(low, high)
	default:
		h.ServeRPC(ctx, w, c)
	}
}

// NonIdempotent asks the handler registered for (prog, vers).
func (m *ServeMux) NonIdempotent(prog, vers, proc uint32) bool {
	h, _, _, _ := m.Handler(prog, vers)
	ni, ok := h.(NonIdempotent)
	return ok && ni.NonIdempotent(prog, vers, proc)
}

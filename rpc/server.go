package rpc

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// Defaults of the Server's limits.
const (
	// DefaultMaxRecordSize fits a 1 MiB READ or WRITE with its headers and
	// an NFSv4 COMPOUND around it.
	DefaultMaxRecordSize = 2 << 20
	DefaultMaxInFlight   = 1024
	// DefaultMaxInFlightPerConn matches the Linux client's default of 128
	// slots per transport... bounded at the server end.
	DefaultMaxInFlightPerConn = 128
	DefaultMaxConns           = 4096
	// DefaultMaxConnsPerAddr leaves room for a Linux client mounting
	// with the largest nconnect (16) several times over, plus its NLM,
	// NSM and MOUNT connections, while keeping one address from taking
	// more than a sixty-fourth of DefaultMaxConns.
	DefaultMaxConnsPerAddr = 64
	DefaultIdleTimeout     = 6 * time.Minute
	DefaultRecordTimeout   = 30 * time.Second
	DefaultWriteTimeout    = 30 * time.Second
	// DefaultMaxReplyBytesPerConn is four 1 MiB READ replies: more than
	// a fast network has in flight on one connection (10 Gb/s over a
	// 1 ms round trip is 1.25 MB) on top of the kernel's socket buffer.
	DefaultMaxReplyBytesPerConn = 4 << 20
	// DefaultMaxReplyBytes is DefaultMaxConnsPerAddr times
	// DefaultMaxReplyBytesPerConn, so that the connections of one
	// address cannot hold more than it on their own.
	DefaultMaxReplyBytes = DefaultMaxConnsPerAddr * DefaultMaxReplyBytesPerConn
)

// ErrServerClosed is returned by Serve, ServePacket and ListenAndServe
// after Shutdown or Close.
var ErrServerClosed = errors.New("rpc: server closed")

// Server serves ONC RPC v2 (RFC 5531) over TCP with record marking and over
// UDP. Its zero value serves nothing (every call PROG_UNAVAIL) on the
// defaults; set Handler, usually to a *ServeMux. Exported fields must not
// change after the first Serve.
type Server struct {
	// Addr is the TCP address ListenAndServe listens on.
	Addr string
	// Handler serves calls; nil answers every call PROG_UNAVAIL.
	Handler Handler
	// Flavors are the accepted authentication flavors; nil means
	// AuthNone and AuthSys. A call of another flavor is denied
	// AUTH_BADCRED.
	Flavors []Flavor
	// DuplicateCache, when not nil, replays replies to retransmitted
	// calls of procedures the Handler reports as NonIdempotent.
	DuplicateCache *DuplicateCache

	// MaxRecordSize bounds a call record (DefaultMaxRecordSize); a peer
	// that announces a longer one is disconnected.
	MaxRecordSize int
	// MaxInFlight bounds the calls running at once across the server and
	// MaxInFlightPerConn those of one connection; when either is reached
	// the server stops reading until a call finishes (backpressure).
	MaxInFlight        int
	MaxInFlightPerConn int
	// MaxConns bounds open TCP connections and MaxConnsPerAddr those
	// from one client address (DefaultMaxConns, DefaultMaxConnsPerAddr);
	// a connection over either limit is closed at accept.
	MaxConns        int
	MaxConnsPerAddr int
	// MaxReplyBytesPerConn bounds the reply bytes the server holds for
	// one connection (DefaultMaxReplyBytesPerConn) and MaxReplyBytes
	// those of all connections (DefaultMaxReplyBytes): payload buffers
	// (ReplyWriter.Buffer) of calls running and replies not yet written.
	// A connection at its limit is not read until its replies drain (TCP
	// backpressure); a call that wants a payload buffer waits for room
	// under both limits, without holding a MaxInFlight slot. Replies
	// without payload are counted but never wait. A connection whose
	// replies cannot be written within WriteTimeout is closed.
	MaxReplyBytesPerConn int
	MaxReplyBytes        int
	// IdleTimeout closes a connection on which no call arrives for that
	// long (DefaultIdleTimeout). RecordTimeout bounds the time a started
	// record may take to arrive, WriteTimeout the time to send a reply.
	IdleTimeout   time.Duration
	RecordTimeout time.Duration
	WriteTimeout  time.Duration
	// MaxFragmentSize, when positive, splits replies into record
	// fragments of at most this many bytes.
	MaxFragmentSize int

	// Logger receives one line per connection problem and per failed
	// call, at most one a second of each kind (see Stats.LogSuppressed);
	// nil discards.
	Logger *slog.Logger
	// Metrics, when not nil, observes every call and connection.
	Metrics Metrics

	// testHandoff, when not zero, replaces inlineHandoff (tests).
	testHandoff time.Duration

	initOnce sync.Once
	log      *slog.Logger
	flavors  [8]Flavor // indexed by flavor number when small
	extra    []Flavor
	sem      chan struct{}
	bufs     buffers
	calls    sync.Pool // *request

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	packets   map[net.PacketConn]struct{}
	conns     map[*Conn]struct{}
	closed    atomic.Bool
	done      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup // connection and packet goroutines
	nconns    atomic.Int64
	perAddr   map[netip.Addr]int // open connections by client address
	replies   byteBudget         // reply bytes of all connections
	counters  counters
	logs      ratelog.Limiter
}

// Metrics observes a Server. Implementations must be safe for concurrent
// use and fast: they are called on every call.
type Metrics interface {
	// CallDone is called when a call has been answered (or dropped).
	CallDone(s CallStat)
	// ConnChange is called with +1 when a connection opens and -1 when
	// it closes.
	ConnChange(delta int)
}

// CallStat describes one finished call.
type CallStat struct {
	Prog, Vers, Proc uint32
	Network          string
	Accept           AcceptStat // SUCCESS unless the call failed at the RPC level
	Auth             AuthStat   // AUTH_OK unless the call was denied
	Status           uint32     // the program's status, from ReplyWriter.SetStatus
	Dropped          bool       // no reply was sent
	Replayed         bool       // answered from the duplicate request cache
	Duration         time.Duration
}

func (srv *Server) init() {
	srv.initOnce.Do(func() {
		srv.log = srv.Logger
		if srv.log == nil {
			srv.log = slog.New(slog.DiscardHandler)
		}
		fl := srv.Flavors
		if fl == nil {
			fl = []Flavor{AuthNone{}, AuthSys{}}
		}
		for _, f := range fl {
			if n := f.Number(); n < uint32(len(srv.flavors)) {
				srv.flavors[n] = f
			} else {
				srv.extra = append(srv.extra, f)
			}
		}
		srv.sem = make(chan struct{}, cmp.Or(srv.MaxInFlight, DefaultMaxInFlight))
		srv.listeners = make(map[net.Listener]struct{})
		srv.packets = make(map[net.PacketConn]struct{})
		srv.conns = make(map[*Conn]struct{})
		srv.perAddr = make(map[netip.Addr]int)
		srv.replies.limit = int64(cmp.Or(srv.MaxReplyBytes, DefaultMaxReplyBytes))
		srv.done = make(chan struct{})
		srv.ctx, srv.cancel = context.WithCancel(context.Background())
		srv.calls.New = func() any { return srv.newRequest() }
	})
}

func (srv *Server) flavor(n uint32) Flavor {
	if n < uint32(len(srv.flavors)) {
		return srv.flavors[n]
	}
	for _, f := range srv.extra {
		if f.Number() == n {
			return f
		}
	}
	return nil
}

// ListenAndServe listens on srv.Addr over TCP (":111"-style; ":2049" when
// empty) and serves until Shutdown.
func (srv *Server) ListenAndServe() error {
	addr := srv.Addr
	if addr == "" {
		addr = ":2049"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return srv.Serve(l)
}

// Serve accepts TCP connections on l and serves them until Shutdown or
// Close, after which it returns ErrServerClosed. It closes l.
func (srv *Server) Serve(l net.Listener) error {
	srv.init()
	if !srv.track(l, nil, true) {
		l.Close()
		return ErrServerClosed
	}
	defer srv.track(l, nil, false)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if srv.closed.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				srv.logs.Warn(srv.log, "rpc: accept failed; retrying", "err", err, "delay", delay)
				select {
				case <-time.After(delay):
				case <-srv.done:
				}
				continue
			}
			return err
		}
		delay = 0
		if n := srv.nconns.Add(1); n > int64(cmp.Or(srv.MaxConns, DefaultMaxConns)) {
			srv.nconns.Add(-1)
			srv.counters.connsRejected.Add(1)
			srv.logs.Warn(srv.log, "rpc: connection limit reached; closing new connections", "remote", nc.RemoteAddr().String(), "limit", cmp.Or(srv.MaxConns, DefaultMaxConns))
			nc.Close()
			continue
		}
		c := srv.newConn(nc)
		switch srv.trackConn(c, true) {
		case errServerClosed:
			srv.nconns.Add(-1)
			nc.Close()
			return ErrServerClosed
		case errAddrLimit:
			srv.nconns.Add(-1)
			c.cancel()
			srv.counters.connsRejectedPerAddr.Add(1)
			srv.logs.Warn(srv.log, "rpc: connection limit of one address reached; closing its new connections", "remote", addrString(c.remote), "limit", cmp.Or(srv.MaxConnsPerAddr, DefaultMaxConnsPerAddr))
			nc.Close()
			continue
		}
		srv.wg.Add(1)
		go c.serve()
	}
}

func (srv *Server) track(l net.Listener, pc net.PacketConn, add bool) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if add && srv.closed.Load() {
		return false
	}
	switch {
	case l != nil && add:
		srv.listeners[l] = struct{}{}
	case l != nil:
		delete(srv.listeners, l)
	case pc != nil && add:
		srv.packets[pc] = struct{}{}
	case pc != nil:
		delete(srv.packets, pc)
	}
	return true
}

var (
	errServerClosed = errors.New("server closed")
	errAddrLimit    = errors.New("too many connections from one address")
)

// trackConn adds c to the open connections, unless the server is closed
// or c's address has MaxConnsPerAddr open already, or removes it.
func (srv *Server) trackConn(c *Conn, add bool) error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	key := c.addr.Unmap()
	if !add {
		delete(srv.conns, c)
		if key.IsValid() {
			if srv.perAddr[key]--; srv.perAddr[key] <= 0 {
				delete(srv.perAddr, key)
			}
		}
		return nil
	}
	if srv.closed.Load() {
		return errServerClosed
	}
	if key.IsValid() {
		if srv.perAddr[key] >= cmp.Or(srv.MaxConnsPerAddr, DefaultMaxConnsPerAddr) {
			return errAddrLimit
		}
		srv.perAddr[key]++
	}
	srv.conns[c] = struct{}{}
	return nil
}

// aLongTimeAgo is a deadline in the past, to wake blocked readers.
var aLongTimeAgo = time.Unix(1, 0)

// Shutdown stops the server gracefully: it closes the listeners, stops
// reading new calls, waits for the calls in flight to be answered, and
// closes the connections. When ctx ends first it closes everything at once
// and returns ctx's error. Serve and ServePacket return ErrServerClosed.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.init()
	srv.mu.Lock()
	first := !srv.closed.Swap(true)
	if first {
		close(srv.done)
	}
	for l := range srv.listeners {
		l.Close()
	}
	for pc := range srv.packets {
		pc.SetReadDeadline(aLongTimeAgo)
	}
	for c := range srv.conns {
		c.nc.SetReadDeadline(aLongTimeAgo)
	}
	srv.mu.Unlock()

	finished := make(chan struct{})
	go func() {
		srv.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		srv.cancel()
		return nil
	case <-ctx.Done():
		srv.Close()
		<-finished
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once; calls in
// flight see their context end and their replies are lost.
func (srv *Server) Close() error {
	srv.init()
	srv.mu.Lock()
	if !srv.closed.Swap(true) {
		close(srv.done)
	}
	for l := range srv.listeners {
		l.Close()
	}
	for pc := range srv.packets {
		pc.Close()
	}
	for c := range srv.conns {
		c.nc.Close()
	}
	srv.mu.Unlock()
	srv.cancel()
	return nil
}

// request is the per-call state, pooled.
type request struct {
	call  Call
	w     ReplyWriter
	buf   *[]byte
	start time.Time
	segs  [][]byte
	// for UDP
	pc   net.PacketConn
	from netip.AddrPort
}

func (srv *Server) newRequest() *request {
	r := &request{}
	r.w.bufs = &srv.bufs
	r.w.enc.Reset(make([]byte, 0, 512))
	return r
}

func (srv *Server) getRequest() *request { return srv.calls.Get().(*request) }

func (srv *Server) putRequest(r *request) {
	r.w.reset()
	srv.bufs.put(r.buf)
	r.buf = nil
	c := &r.call
	*c = Call{}
	clear(r.segs)
	r.segs = r.segs[:0]
	r.pc = nil
	srv.calls.Put(r)
}

// acquire takes a server-wide in-flight slot, or reports false when the
// server is closing.
func (srv *Server) acquire() bool {
	select {
	case srv.sem <- struct{}{}:
		return true
	case <-srv.done:
		return false
	}
}

func (srv *Server) release() { <-srv.sem }

// handle runs one call whose record is r.buf: decode the header,
// authenticate, consult the duplicate cache, dispatch, and encode the
// reply into r.w. It reports whether a reply should be sent.
func (srv *Server) handle(ctx context.Context, r *request, addr netip.Addr) bool {
	c, w := &r.call, &r.w
	c.args.Reset(*r.buf)
	d := &c.args
	c.XID = d.Uint32()
	if d.Uint32() != CALL {
		return false // replies are routed before handle; anything else is garbage
	}
	// The order of the checks is knfsd's: the RPC version, then the
	// credential, then the verifier. Only a call cut short before its
	// credential cannot be answered usefully; it is dropped.
	rpcvers := d.Uint32()
	if d.Err() == nil && rpcvers != RPCVersion {
		srv.logs.Warn(srv.log, "rpc: wrong RPC version", "remote", addrString(c.Remote), "xid", c.XID, "rpcvers", rpcvers)
		w.authStat = AUTH_OK
		w.denied = true
		w.encodeDenied(c.XID, true)
		srv.counters.denied.Add(1)
		return true
	}
	c.Prog, c.Vers, c.Proc = d.Uint32(), d.Uint32(), d.Uint32()
	if err := d.Err(); err != nil {
		srv.counters.malformed.Add(1)
		srv.logs.Warn(srv.log, "rpc: call header cut short; dropped", "remote", addrString(c.Remote), "xid", c.XID, "err", err)
		w.dropped = true
		return false
	}
	// A credential or verifier longer than MAX_AUTH_BYTES or cut short
	// is a bad one (RFC 5531 §8.2, §9): say so, so that the client stops
	// retransmitting it.
	c.RawCred.decode(d)
	if err := d.Err(); err != nil {
		return srv.deny(c, w, AUTH_BADCRED, "rpc: malformed credential", err)
	}
	c.RawVerf.decode(d)
	if err := d.Err(); err != nil {
		return srv.deny(c, w, AUTH_BADVERF, "rpc: malformed verifier", err)
	}
	c.body = d.Rest()
	c.Args = d

	f := srv.flavor(c.RawCred.Flavor)
	if f == nil {
		return srv.deny(c, w, AUTH_BADCRED, "rpc: unsupported auth flavor", fmt.Errorf("flavor %d", c.RawCred.Flavor))
	}
	if err := f.Accept(ctx, c, w); err != nil {
		if errors.Is(err, ErrHandled) {
			return !w.dropped
		}
		var ae *AuthError
		if !errors.As(err, &ae) {
			ae = &AuthError{Stat: AUTH_FAILED, Err: err}
		}
		return srv.deny(c, w, ae.Stat, "rpc: authentication failed", err)
	}

	var key drcKey
	cached := false
	if dc := srv.DuplicateCache; dc != nil && srv.Handler != nil {
		if nonIdempotent(srv.Handler, c) {
			key = newDRCKey(addr, c)
			act, reply := dc.begin(key)
			switch act {
			case drcDrop:
				w.dropped = true
				return false
			case drcReplay:
				w.enc.Truncate(0)
				w.enc.Uint32(0)
				w.enc.FixedOpaque(reply[4:]) // reply lengths are multiples of four
				w.accept = AcceptStat(0xffffffff)
				return true
			}
			cached = true
		}
	}

	w.beginAccepted(c.XID)
	srv.dispatch(ctx, w, c)
	if w.denied {
		srv.counters.denied.Add(1)
		w.encodeDenied(c.XID, false)
	} else if w.wrap != nil && w.accept == SUCCESS {
		if err := srv.wrapResults(w); err != nil {
			srv.logs.Error(srv.log, "rpc: wrapping results failed", "prog", c.Prog, "proc", c.Proc, "err", err)
			w.Fail(SYSTEM_ERR)
		}
	}
	if cached {
		if w.dropped {
			srv.DuplicateCache.finish(key, nil)
		} else {
			srv.DuplicateCache.finish(key, w.flatten())
		}
	}
	return !w.dropped
}

// deny answers c MSG_DENIED / AUTH_ERROR with stat, counts it and logs
// msg (rate-limited). It reports that a reply is to be sent.
func (srv *Server) deny(c *Call, w *ReplyWriter, stat AuthStat, msg string, err error) bool {
	w.Deny(stat)
	w.encodeDenied(c.XID, false)
	srv.counters.denied.Add(1)
	srv.logs.Info(srv.log, msg, "remote", addrString(c.Remote), "xid", c.XID, "prog", c.Prog, "stat", stat, "err", err)
	return true
}

// dispatch calls the handler with a recover: a panic is logged with its
// stack and answered SYSTEM_ERR.
func (srv *Server) dispatch(ctx context.Context, w *ReplyWriter, c *Call) {
	defer func() {
		if p := recover(); p != nil {
			srv.logs.Error(srv.log, "rpc: handler panic", "prog", c.Prog, "vers", c.Vers, "proc", c.Proc, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			w.denied = false
			w.dropped = false
			w.Fail(SYSTEM_ERR)
		}
	}()
	if srv.Handler == nil {
		w.Fail(PROG_UNAVAIL)
		return
	}
	srv.Handler.ServeRPC(ctx, w, c)
}

func (srv *Server) wrapResults(w *ReplyWriter) error {
	flat := w.flatten()
	hdr := append([]byte(nil), flat[:w.resOff]...)
	res := append([]byte(nil), flat[w.resOff:]...)
	out, err := w.wrap.WrapResults(hdr, res)
	if err != nil {
		return err
	}
	w.segs = w.segs[:0]
	w.enc.Truncate(0)
	w.enc.FixedOpaque(out) // a whole number of XDR words
	return nil
}

func (srv *Server) observe(r *request, network string) {
	if srv.Metrics == nil {
		return
	}
	w := &r.w
	s := CallStat{
		Prog: r.call.Prog, Vers: r.call.Vers, Proc: r.call.Proc,
		Network: network, Accept: w.accept, Auth: w.authStat, Status: w.status,
		Dropped: w.dropped, Duration: time.Since(r.start),
	}
	if w.accept == AcceptStat(0xffffffff) {
		s.Accept, s.Replayed = SUCCESS, true
	}
	srv.Metrics.CallDone(s)
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// newConn wraps an accepted connection.
func (srv *Server) newConn(nc net.Conn) *Conn {
	c := &Conn{srv: srv, nc: nc, remote: nc.RemoteAddr()}
	if ta, ok := c.remote.(*net.TCPAddr); ok {
		c.addr = ta.AddrPort().Addr()
	}
	c.ctx, c.cancel = context.WithCancel(srv.ctx)
	c.sem = make(chan struct{}, cmp.Or(srv.MaxInFlightPerConn, DefaultMaxInFlightPerConn))
	c.replies.limit = int64(cmp.Or(srv.MaxReplyBytesPerConn, DefaultMaxReplyBytesPerConn))
	c.work = make(chan *request)
	c.caller.init()
	return c
}

// Conn is a server-side stream connection. Handlers reach it through
// Call.Conn: to send calls to the client over the same connection (the
// NFSv4.1 backchannel), to learn when it closes, or to attach state.
type Conn struct {
	srv     *Server
	nc      net.Conn
	remote  net.Addr
	addr    netip.Addr
	ctx     context.Context
	cancel  context.CancelFunc
	sem     chan struct{}
	work    chan *request
	workers sync.WaitGroup
	machine atomic.Pointer[string]
	replies byteBudget // reply bytes held for this connection

	// Replies are written by whichever worker finds no write in
	// progress: it sends every reply queued meanwhile in one vectored
	// write, so pipelined calls share system calls.
	queueMu sync.Mutex
	queue   []*request
	spare   []*request
	writing bool
	writeMu sync.Mutex // held while writing to nc
	iov     iovec
	caller  caller

	rd connReader // held by the goroutine that reads the connection
	// A call alone on the connection runs on the reading goroutine
	// (runInline); inlineRun is its number while it holds the reading,
	// 0 otherwise, and handoff the timer that moves the reading to a
	// new goroutine when the call runs long.
	inlineMu  sync.Mutex
	inlineSeq uint64
	inlineRun uint64
	handoff   *time.Timer
}

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// LocalAddr returns the server's address of the connection.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// Context returns a context that ends when the connection closes.
func (c *Conn) Context() context.Context { return c.ctx }

// Done returns a channel closed when the connection closes.
func (c *Conn) Done() <-chan struct{} { return c.ctx.Done() }

// Call sends a call to the client on this connection and waits for its
// reply (RFC 5531 allows either end of a connection to send calls; the
// NFSv4.1 backchannel uses this, RFC 8881 §2.10.3.1). args may be nil for
// no arguments and res nil to ignore the results.
func (c *Conn) Call(ctx context.Context, prog, vers, proc uint32, cred OpaqueAuth, args xdr.Marshaler, res xdr.Unmarshaler) error {
	// The reply comes in on this connection: if a call runs on its
	// reading goroutine (perhaps this one), move the reading now.
	c.handOff()
	return c.caller.call(ctx, c, prog, vers, proc, cred, args, res)
}

func (c *Conn) sendRecord(_ context.Context, rec []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(cmp.Or(c.srv.WriteTimeout, DefaultWriteTimeout)))
	return writeRecord(c.nc, [][]byte{rec}, c.srv.MaxFragmentSize, &c.iov)
}

func (c *Conn) serve() {
	srv := c.srv
	if srv.Metrics != nil {
		srv.Metrics.ConnChange(1)
	}
	rd := &c.rd
	rd.br = bufio.NewReaderSize(c.nc, 4<<10)
	rd.rr = recordReader{r: rd.br, max: cmp.Or(srv.MaxRecordSize, DefaultMaxRecordSize), bufs: &srv.bufs}
	rd.idle = cmp.Or(srv.IdleTimeout, DefaultIdleTimeout)
	rd.recTimeout = cmp.Or(srv.RecordTimeout, DefaultRecordTimeout)
	rd.first = c.firstFragment
	c.read()
}

// connReader is the reading state of a connection. One goroutine at a
// time holds it: the one that runs Conn.read, which may pass it to a new
// goroutine while it runs a call inline (see runInline).
type connReader struct {
	br         *bufio.Reader
	rr         recordReader
	idle       time.Duration
	recTimeout time.Duration
	armed      time.Time // when the idle deadline was last set
	inRecord   bool      // the record deadline is set
	first      func(n int, last bool)
}

// armRecord sets the record deadline: from the first byte of a record,
// the whole of it (every fragment, empty ones included) must arrive
// within RecordTimeout.
func (c *Conn) armRecord() {
	c.nc.SetReadDeadline(time.Now().Add(c.rd.recTimeout))
	c.rd.armed, c.rd.inRecord = time.Time{}, true
}

// firstFragment arms the record deadline when a record is not here whole.
func (c *Conn) firstFragment(n int, last bool) {
	if !c.rd.inRecord && (!last || c.rd.br.Buffered() < n) {
		c.armRecord()
	}
}

// read reads calls and starts them until the connection ends, then
// closes it, unless it handed the reading to another goroutine.
func (c *Conn) read() {
	if c.readCalls() {
		c.close()
	}
}

// close ends the connection once its reader has stopped: it waits for
// the calls in flight and frees the connection.
func (c *Conn) close() {
	srv := c.srv
	// A graceful Shutdown lets the calls in flight finish with their
	// context alive, as it promises (ended, a store operation fails and
	// the client gets an error in place of the result); otherwise the
	// connection is gone and their replies with it.
	if !srv.closed.Load() {
		c.cancel()
	}
	close(c.work)
	c.workers.Wait()
	c.inlineMu.Lock()
	if c.handoff != nil {
		c.handoff.Stop()
	}
	c.inlineMu.Unlock()
	c.cancel()
	c.nc.Close()
	c.caller.fail(net.ErrClosed)
	srv.trackConn(c, false)
	srv.nconns.Add(-1)
	if srv.Metrics != nil {
		srv.Metrics.ConnChange(-1)
	}
	srv.wg.Done()
}

// readCalls is the read loop. It returns true when the connection has
// ended and false when this goroutine gave the reading to another one
// (handOff) during an inline call.
func (c *Conn) readCalls() bool {
	srv := c.srv
	rd := &c.rd
	for {
		if srv.closed.Load() {
			return true
		}
		if c.replies.full() && !c.waitReplies() {
			return true
		}
		rd.inRecord = false
		if rd.br.Buffered() < 4 {
			// About to block: arm the idle deadline (at most once a
			// second), wait for the next record to begin, and arm the
			// record deadline unless its header is here already.
			if now := time.Now(); now.Sub(rd.armed) > time.Second {
				c.nc.SetReadDeadline(now.Add(rd.idle))
				rd.armed = now
				// Shutdown sets closed before it wakes the readers
				// with a past deadline; the deadline just set may have
				// replaced that one.
				if srv.closed.Load() {
					return true
				}
			}
			if _, err := rd.br.Peek(1); err != nil {
				c.readFailed(err, false)
				return true
			}
			if rd.br.Buffered() < 4 {
				c.armRecord()
			}
		}
		bp, err := rd.rr.read(rd.first)
		if err != nil {
			c.readFailed(err, rd.inRecord)
			return true
		}
		rec := *bp
		if len(rec) >= 8 && be32(rec[4:]) == REPLY {
			c.caller.deliver(be32(rec), rec)
			srv.bufs.put(bp)
			continue
		}
		if len(rec) < 8 || be32(rec[4:]) != CALL {
			srv.counters.malformed.Add(1)
			srv.logs.Warn(srv.log, "rpc: record is neither call nor reply; closing connection", "remote", addrString(c.remote), "len", len(rec))
			srv.bufs.put(bp)
			return true
		}
		select {
		case c.sem <- struct{}{}:
		case <-srv.done:
			srv.bufs.put(bp)
			return true
		}
		if !srv.acquire() {
			<-c.sem
			srv.bufs.put(bp)
			return true
		}
		r := srv.getRequest()
		r.start = time.Now()
		r.buf = bp
		r.call.Conn, r.call.conn = c, c
		r.call.Network = TCP
		r.call.Remote = c.remote
		r.w.conn, r.w.slot = c, true
		// Alone on the connection (no other call running or waiting to
		// be written, no byte of another call received): run it here,
		// without a hand-off. Otherwise the client pipelines, and the
		// call goes to a worker so that the calls run concurrently.
		if len(c.sem) == 1 && rd.br.Buffered() == 0 {
			if !c.runInline(r) {
				return false
			}
			continue
		}
		select {
		case c.work <- r:
		default:
			c.workers.Add(1)
			go c.worker(r)
		}
	}
}

// inlineHandoff is how long a call may run on the reading goroutine
// before the reading moves to a new goroutine, so that a call that
// blocks (a blocking lock, a slow store) does not stop the connection's
// other calls from being read.
const inlineHandoff = time.Millisecond

// runInline runs r on the reading goroutine and writes its reply. If the
// call is still running after inlineHandoff (or Conn.Call needs the
// reader), handOff starts a new goroutine that takes the reading over,
// and this one ends as a worker would once r is answered. It reports
// whether this goroutine still holds the reading.
func (c *Conn) runInline(r *request) bool {
	srv := c.srv
	srv.counters.inline.Add(1)
	c.inlineMu.Lock()
	c.inlineSeq++
	me := c.inlineSeq
	c.inlineRun = me
	if c.handoff == nil {
		c.handoff = time.AfterFunc(srv.handoffAfter(), c.handOff)
	} else {
		c.handoff.Reset(srv.handoffAfter())
	}
	c.inlineMu.Unlock()

	c.run(r)

	c.inlineMu.Lock()
	reader := c.inlineRun == me
	if reader {
		c.inlineRun = 0
		c.handoff.Stop()
	}
	c.inlineMu.Unlock()
	if !reader {
		c.workers.Done() // counted by handOff
	}
	return reader
}

// handOff gives the reading to a new goroutine if an inline call holds
// it. A late timer (its call finished, another one started) hands off
// the next call early, which is harmless: the reading moves to another
// goroutine at any time without loss, so correctness never depends on
// when this runs.
func (c *Conn) handOff() {
	c.inlineMu.Lock()
	defer c.inlineMu.Unlock()
	if c.inlineRun == 0 {
		return
	}
	c.inlineRun = 0
	c.srv.counters.handoffs.Add(1)
	c.workers.Add(1) // the inline call's goroutine, until its reply is sent
	go c.read()
}

func (srv *Server) handoffAfter() time.Duration {
	if srv.testHandoff != 0 {
		return srv.testHandoff
	}
	return inlineHandoff
}

// readFailed counts and logs why reading the connection failed.
func (c *Conn) readFailed(err error, inRecord bool) {
	srv := c.srv
	if srv.closed.Load() || c.ctx.Err() != nil {
		return
	}
	var ne net.Error
	switch {
	case inRecord && errors.As(err, &ne) && ne.Timeout():
		srv.counters.recordTimeouts.Add(1)
		srv.logs.Info(srv.log, "rpc: record not received within the record timeout; closing connection", "remote", addrString(c.remote), "timeout", cmp.Or(srv.RecordTimeout, DefaultRecordTimeout))
	case !isClosedOrEOF(err):
		srv.logs.Info(srv.log, "rpc: closing connection", "remote", addrString(c.remote), "err", err)
	}
}

// waitReplies stops reading the connection while it holds
// MaxReplyBytesPerConn of replies or has calls waiting for room: the peer
// is not reading its replies, and TCP backpressure is what it gets. It
// reports false when the connection or the server closes meanwhile.
func (c *Conn) waitReplies() bool {
	b := &c.replies
	c.srv.counters.readPauses.Add(1)
	b.sleepers.Add(1)
	defer b.sleepers.Add(-1)
	for {
		b.mu.Lock()
		if !b.full() {
			b.mu.Unlock()
			return true
		}
		wake := b.waitChan()
		b.mu.Unlock()
		select {
		case <-wake:
		case <-c.ctx.Done():
			return false
		case <-c.srv.done:
			return false
		}
	}
}

// waitReply waits until b bytes fit into the connection's and the
// server's budgets and takes them. Meanwhile the call gives up its
// MaxInFlight slot (taken again after) and counts as a waiter, which
// stops the connection's reader.
func (c *Conn) waitReply(w *ReplyWriter, b int64) {
	srv := c.srv
	srv.counters.replyWaits.Add(1)
	if w.slot {
		srv.release()
		w.slot = false
	}
	c.replies.waiters.Add(1)
	c.replies.sleepers.Add(1)
	srv.replies.sleepers.Add(1)
	for {
		ok, wake := take(&c.replies, &srv.replies, b)
		if ok {
			break
		}
		<-wake
	}
	srv.replies.sleepers.Add(-1)
	c.replies.sleepers.Add(-1)
	c.replies.waiters.Add(-1)
	c.replies.wakeAll() // the reader may go on if no other call waits
	if c.ctx.Err() == nil {
		w.slot = srv.acquire()
	}
}

// replySlack is charged with each payload buffer for the encoded part
// of its reply (headers, attributes), so that a READ reply is accounted
// whole before it is built.
const replySlack = 1 << 10

// reserveReply charges a payload buffer of n bytes to the connection's
// and the server's reply budgets. The first buffer of a call waits for
// room, giving up its MaxInFlight slot meanwhile; later ones do not wait,
// as the call holds bytes that others may be waiting for. A call of a
// closed connection waits too: its buffer is memory all the same, and
// the closed connection's replies free their room at once.
func (c *Conn) reserveReply(w *ReplyWriter, n int) {
	srv := c.srv
	b := int64(n) + replySlack
	if w.charged > 0 {
		force(&c.replies, &srv.replies, b)
		w.charged += b
		return
	}
	if ok, _ := take(&c.replies, &srv.replies, b); !ok {
		c.waitReply(w, b)
	}
	w.charged += b
}

// workerIdle is how long an idle worker goroutine waits for another call
// before exiting.
const workerIdle = 30 * time.Second

func (c *Conn) worker(r *request) {
	defer c.workers.Done()
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		c.run(r)
		t.Reset(workerIdle)
		select {
		case r = <-c.work:
			if r == nil {
				return
			}
		case <-t.C:
			return
		}
	}
}

// run handles one call and queues its reply.
func (c *Conn) run(r *request) {
	srv := c.srv
	sent := srv.handle(c.ctx, r, c.addr)
	// The call is done: its MaxInFlight slot goes back now, whether or
	// not the peer reads the reply (the reply bytes are accounted
	// instead, and the connection's own slot is held until it is sent).
	if r.w.slot {
		srv.release()
		r.w.slot = false
	}
	// Observed before the reply leaves, so that a client that has its
	// reply also sees the call counted.
	srv.observe(r, TCP)
	if !sent {
		c.finish(r)
		return
	}
	r.segs = r.w.segments(r.segs[:0])
	size := int64(-4)
	for _, s := range r.segs {
		size += int64(len(s))
	}
	if extra := size - r.w.charged; extra > 0 {
		force(&c.replies, &srv.replies, extra)
		r.w.charged += extra
	}
	c.queueMu.Lock()
	c.queue = append(c.queue, r)
	if c.writing {
		c.queueMu.Unlock()
		return // the active writer sends and finishes r
	}
	c.writing = true
	for len(c.queue) > 0 {
		batch := c.queue
		c.queue = c.spare[:0]
		c.queueMu.Unlock()
		c.writeBatch(batch)
		for i, r := range batch {
			c.finish(r)
			batch[i] = nil
		}
		c.queueMu.Lock()
		c.spare = batch[:0]
	}
	c.writing = false
	c.queueMu.Unlock()
}

// writeBatch writes the replies of batch in one vectored write.
func (c *Conn) writeBatch(batch []*request) {
	srv := c.srv
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	iov := &c.iov
	iov.backing = iov.backing[:0]
	for _, r := range batch {
		iov.backing = append(iov.backing, frame(r.segs, srv.MaxFragmentSize)...)
	}
	iov.bufs = iov.backing
	c.nc.SetWriteDeadline(time.Now().Add(cmp.Or(srv.WriteTimeout, DefaultWriteTimeout)))
	var err error
	if len(iov.backing) == 1 {
		_, err = c.nc.Write(iov.backing[0])
	} else {
		_, err = iov.bufs.WriteTo(c.nc)
	}
	clear(iov.backing)
	if err == nil {
		return
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		srv.counters.writeTimeouts.Add(1)
		srv.logs.Warn(srv.log, "rpc: client does not read its replies; closing connection", "remote", addrString(c.remote), "timeout", cmp.Or(srv.WriteTimeout, DefaultWriteTimeout))
	case !isClosedOrEOF(err):
		srv.logs.Info(srv.log, "rpc: writing reply failed; closing connection", "remote", addrString(c.remote), "err", err)
	}
	c.nc.Close()
	c.cancel() // wakes the reader and calls waiting for reply room
}

// finish recycles a call's state and frees its connection slot and
// reply bytes.
func (c *Conn) finish(r *request) {
	srv := c.srv
	if n := r.w.charged; n > 0 {
		c.replies.release(n)
		srv.replies.release(n)
	}
	srv.putRequest(r)
	<-c.sem
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func isClosedOrEOF(err error) bool {
	var ne net.Error
	return errors.Is(err, net.ErrClosed) || errors.Is(err, errEOF) || errors.Is(err, errUnexpectedEOF) ||
		errors.Is(err, errConnReset) || errors.As(err, &ne) && ne.Timeout()
}

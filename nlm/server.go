package nlm

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nlm/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// Program and version numbers served by this package (each protocol
// package names its programs <Name>Program and <Name>Version): NLM v4
// and NSM v1 (the XNFS specification; RFC 1813 Appendix II).
const (
	NLMProgram = 100021
	NLMVersion = 4
	NSMProgram = 100024
	NSMVersion = 1
)

// Programs returns the (program, version) pairs Register serves: NLM v4,
// and NSM v1 when Server.NSM is set, which portmappers must map.
func Programs() []rpc.Program {
	return []rpc.Program{{Prog: NLMProgram, Vers: NLMVersion}, {Prog: NSMProgram, Vers: NSMVersion}}
}

// NLM v4 procedures (RFC 1813 §6.2).
const (
	NLMPROC4_NULL        = 0
	NLMPROC4_TEST        = 1
	NLMPROC4_LOCK        = 2
	NLMPROC4_CANCEL      = 3
	NLMPROC4_UNLOCK      = 4
	NLMPROC4_GRANTED     = 5
	NLMPROC4_TEST_MSG    = 6
	NLMPROC4_LOCK_MSG    = 7
	NLMPROC4_CANCEL_MSG  = 8
	NLMPROC4_UNLOCK_MSG  = 9
	NLMPROC4_GRANTED_MSG = 10
	NLMPROC4_TEST_RES    = 11
	NLMPROC4_LOCK_RES    = 12
	NLMPROC4_CANCEL_RES  = 13
	NLMPROC4_UNLOCK_RES  = 14
	NLMPROC4_GRANTED_RES = 15
	NLMPROC4_SHARE       = 20
	NLMPROC4_UNSHARE     = 21
	NLMPROC4_NM_LOCK     = 22
	NLMPROC4_FREE_ALL    = 23
)

// Defaults of Server and Monitor.
const (
	DefaultPortmapPort      = 111
	DefaultCallbackRetries  = 5
	DefaultCallbackInterval = 10 * time.Second
	DefaultCallTimeout      = 10 * time.Second
)

// Server serves NLM v4. Set Exports; the other fields have working zero
// values and must not change after Register.
type Server struct {
	// Exports is the table of exports: it resolves the NFSv3 file handle
	// of a request (those nfs3.Server gives out for the same table) to
	// the file and to its export's lock manager (Export.Locks), which
	// NFSv4 and SMB given the same table share, so that their locks
	// conflict. nil serves nothing (every handle is NLM4_STALE_FH).
	Exports *export.Table
	// NSM, when not nil, is the status monitor: the Server monitors every
	// client that takes a lock through it, releases a client's locks
	// when it reports a reboot, and Register also registers it.
	NSM *Monitor
	// PortmapPort is the port of clients' portmappers
	// (DefaultPortmapPort).
	PortmapPort int
	// Locate, when not nil, replaces the portmapper lookup of a client's
	// NLM for callbacks.
	Locate LocateFunc
	// CallbackRetries and CallbackInterval bound the attempts to deliver
	// a GRANTED callback (DefaultCallbackRetries, DefaultCallbackInterval);
	// a lock whose callback cannot be delivered, or that the client
	// refuses, is released. CallTimeout bounds each call to a client.
	CallbackRetries  int
	CallbackInterval time.Duration
	CallTimeout      time.Duration
	// Clock times callback retries; nil is the system clock. Any value
	// with the methods Now() time.Time and AfterFunc(time.Duration,
	// func()) interface{ Stop() bool } is one.
	Clock clock.Clock
	// Logger receives failed callbacks; nil discards.
	Logger *slog.Logger

	initOnce sync.Once
	bg       background
	log      *slog.Logger
	logs     ratelog.Limiter // per-request and per-client lines
	clock    clock.Clock
	peers    peerCaller
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.bg.init()
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		s.clock = clock.Or(s.Clock)
		s.peers = peerCaller{portmapPort: cmp.Or(s.PortmapPort, DefaultPortmapPort), timeout: cmp.Or(s.CallTimeout, DefaultCallTimeout), locate: s.Locate}
		s.CallbackRetries = cmp.Or(s.CallbackRetries, DefaultCallbackRetries)
		s.CallbackInterval = cmp.Or(s.CallbackInterval, DefaultCallbackInterval)
	})
}

// Register registers NLM v4 on mux, and NSM v1 when s.NSM is set.
func (s *Server) Register(mux *rpc.ServeMux) {
	s.init()
	mux.Handle(NLMProgram, NLMVersion, nlmHandler{s: s, procs: s.procs()})
	if s.NSM != nil {
		s.NSM.addListener(s.hostRebooted)
		s.NSM.Register(mux)
	}
}

// Close stops callbacks in flight and waits for them to end.
func (s *Server) Close() error {
	s.init()
	s.bg.close()
	return nil
}

type nlmHandler struct {
	s     *Server
	procs rpc.Procs
}

func (h nlmHandler) ServeRPC(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	h.procs.ServeRPC(ctx, w, c)
}

// NonIdempotent reports the procedures that change lock state, for the
// duplicate request cache.
func (nlmHandler) NonIdempotent(_, _, proc uint32) bool {
	switch proc {
	case NLMPROC4_NULL, NLMPROC4_TEST, NLMPROC4_TEST_MSG, NLMPROC4_GRANTED, NLMPROC4_GRANTED_MSG,
		NLMPROC4_TEST_RES, NLMPROC4_LOCK_RES, NLMPROC4_CANCEL_RES, NLMPROC4_UNLOCK_RES, NLMPROC4_GRANTED_RES:
		return false
	}
	return true
}

func (s *Server) procs() rpc.Procs {
	p := make(rpc.Procs, NLMPROC4_FREE_ALL+1)
	p[NLMPROC4_NULL] = rpc.Null
	p[NLMPROC4_TEST] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4TestArgs
		if decode(w, c, &a) {
			res := s.test(ctx, &a)
			reply(w, &res, res.TestStat.Stat)
		}
	}
	p[NLMPROC4_LOCK] = s.lockProc(true)
	p[NLMPROC4_NM_LOCK] = s.lockProc(false)
	p[NLMPROC4_CANCEL] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4CancArgs
		if decode(w, c, &a) {
			res := s.cancelLock(ctx, &a)
			reply(w, &res, res.Stat)
		}
	}
	p[NLMPROC4_UNLOCK] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4UnlockArgs
		if decode(w, c, &a) {
			res := s.unlock(ctx, &a)
			reply(w, &res, res.Stat)
		}
	}
	p[NLMPROC4_GRANTED] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4TestArgs
		if decode(w, c, &a) {
			res := s.granted(&a)
			reply(w, &res, res.Stat)
		}
	}
	p[NLMPROC4_TEST_MSG] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4TestArgs
		if decode(w, c, &a) {
			res := s.test(ctx, &a)
			s.sendRes(c, a.Alock.CallerName, NLMPROC4_TEST_RES, &res)
		}
	}
	p[NLMPROC4_LOCK_MSG] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4LockArgs
		if decode(w, c, &a) {
			res := s.lock(ctx, c, &a, true)
			s.sendRes(c, a.Alock.CallerName, NLMPROC4_LOCK_RES, &res)
		}
	}
	p[NLMPROC4_CANCEL_MSG] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4CancArgs
		if decode(w, c, &a) {
			res := s.cancelLock(ctx, &a)
			s.sendRes(c, a.Alock.CallerName, NLMPROC4_CANCEL_RES, &res)
		}
	}
	p[NLMPROC4_UNLOCK_MSG] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4UnlockArgs
		if decode(w, c, &a) {
			res := s.unlock(ctx, &a)
			s.sendRes(c, a.Alock.CallerName, NLMPROC4_UNLOCK_RES, &res)
		}
	}
	p[NLMPROC4_GRANTED_MSG] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4TestArgs
		if decode(w, c, &a) {
			res := s.granted(&a)
			s.sendRes(c, a.Alock.CallerName, NLMPROC4_GRANTED_RES, &res)
		}
	}
	// The server sends no _MSG calls whose replies it waits for (its
	// GRANTED callbacks are synchronous), so _RES messages only need
	// decoding.
	resProc := func(u func() xdr.Unmarshaler) rpc.HandlerFunc {
		return func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) { decode(w, c, u()) }
	}
	p[NLMPROC4_TEST_RES] = resProc(func() xdr.Unmarshaler { return new(wire.NLM4TestRes) })
	for _, proc := range []int{NLMPROC4_LOCK_RES, NLMPROC4_CANCEL_RES, NLMPROC4_UNLOCK_RES, NLMPROC4_GRANTED_RES} {
		p[proc] = resProc(func() xdr.Unmarshaler { return new(wire.NLM4Res) })
	}
	p[NLMPROC4_SHARE] = s.shareProc(false)
	p[NLMPROC4_UNSHARE] = s.shareProc(true)
	p[NLMPROC4_FREE_ALL] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4Notify
		if decode(w, c, &a) {
			s.freeAll(ctx, a.Name)
		}
	}
	return p
}

func (s *Server) lockProc(monitor bool) rpc.HandlerFunc {
	return func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4LockArgs
		if decode(w, c, &a) {
			if !monitor {
				a.Block = false // NM_LOCK never blocks
			}
			res := s.lock(ctx, c, &a, monitor)
			reply(w, &res, res.Stat)
		}
	}
}

func (s *Server) shareProc(unshare bool) rpc.HandlerFunc {
	return func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4ShareArgs
		if decode(w, c, &a) {
			res := s.share(ctx, &a, unshare)
			reply(w, &res, res.Stat)
		}
	}
}

func decode(w *rpc.ReplyWriter, c *rpc.Call, u xdr.Unmarshaler) bool {
	u.UnmarshalXDR(c.Args)
	if c.Args.Err() != nil {
		w.Fail(rpc.GARBAGE_ARGS)
		return false
	}
	return true
}

func reply(w *rpc.ReplyWriter, m xdr.Marshaler, st wire.NLM4Stats) {
	w.SetStatus(uint32(st))
	m.MarshalXDR(w.Encoder())
}

// owner is the locking owner of an NLM lock: the host's caller_name, and
// svid and oh within it.
func owner(callerName string, svid int32, oh []byte) locking.Owner {
	k := make([]byte, 4, 4+len(oh))
	binary.BigEndian.PutUint32(k, uint32(svid))
	return locking.Owner{Proto: locking.ProtoNLM, Client: callerName, Key: string(append(k, oh...))}
}

// holder is the nlm4_holder of a conflicting lock; owners of other
// protocols have svid 0 and an empty oh.
func holder(l *locking.Lock) wire.NLM4Holder {
	h := wire.NLM4Holder{Exclusive: l.Exclusive, LOffset: l.Range.Off, LLen: l.Range.Len}
	if l.Owner.Proto == locking.ProtoNLM && len(l.Owner.Key) >= 4 {
		h.Svid = int32(binary.BigEndian.Uint32([]byte(l.Owner.Key[:4])))
		h.OH.Data = []byte(l.Owner.Key[4:])
	}
	return h
}

// stat maps a locking or store error to nlm4_stats.
func stat(err error) wire.NLM4Stats {
	switch {
	case err == nil:
		return wire.NLM4_GRANTED
	case errors.Is(err, locking.ErrBlocked):
		return wire.NLM4_BLOCKED
	case errors.Is(err, locking.ErrDenied), errors.Is(err, locking.ErrBreaking):
		return wire.NLM4_DENIED
	case errors.Is(err, locking.ErrDeadlock):
		return wire.NLM4_DEADLCK
	case errors.Is(err, locking.ErrGrace), errors.Is(err, locking.ErrNoGrace):
		return wire.NLM4_DENIED_GRACE_PERIOD
	case errors.Is(err, locking.ErrNoLocks):
		return wire.NLM4_DENIED_NOLOCKS
	case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrBadHandle), errors.Is(err, store.ErrNotExist):
		return wire.NLM4_STALE_FH
	case errors.Is(err, store.ErrReadOnly):
		return wire.NLM4_ROFS
	case errors.Is(err, store.ErrTooBig):
		return wire.NLM4_FBIG
	}
	return wire.NLM4_FAILED
}

// resolve returns the lock manager and file id of an NFSv3 file handle.
// An error matching store.ErrStale, store.ErrBadHandle or
// store.ErrNotExist is answered NLM4_STALE_FH.
func (s *Server) resolve(ctx context.Context, fh []byte) (*locking.Manager, uint64, error) {
	e, h, err := s.Exports.ResolveHandle(ctx, fh)
	if err != nil {
		return nil, 0, err
	}
	return e.Locks, h.ID, nil
}

func (s *Server) test(ctx context.Context, a *wire.NLM4TestArgs) wire.NLM4TestRes {
	res := wire.NLM4TestRes{Cookie: a.Cookie}
	m, id, err := s.resolve(ctx, a.Alock.FH.Data)
	if err != nil {
		res.TestStat.Stat = stat(err)
		return res
	}
	o := owner(a.Alock.CallerName, a.Alock.Svid, a.Alock.OH.Data)
	h, err := m.Test(ctx, id, o, locking.Range{Off: a.Alock.LOffset, Len: a.Alock.LLen}, a.Exclusive)
	switch {
	case err != nil:
		res.TestStat.Stat = stat(err)
	case h != nil:
		res.TestStat.Stat = wire.NLM4_DENIED
		res.TestStat.Holder = holder(h)
	}
	return res
}

// peerOf returns the caller's address and transport.
func peerOf(c *rpc.Call) peer {
	p := peer{network: c.Network, addr: export.AddrPort(c.Remote).Addr().Unmap()}
	if p.network == "" {
		p.network = rpc.TCP
	}
	return p
}

func (s *Server) lock(ctx context.Context, c *rpc.Call, a *wire.NLM4LockArgs, monitor bool) wire.NLM4Res {
	res := wire.NLM4Res{Cookie: a.Cookie}
	m, id, err := s.resolve(ctx, a.Alock.FH.Data)
	if err != nil {
		res.Stat = stat(err)
		return res
	}
	p := peerOf(c)
	name := a.Alock.CallerName
	p.name = name
	if monitor && s.NSM != nil {
		if err := s.NSM.Watch(ctx, name, p.addr); err != nil {
			s.logs.Warn(s.log, "nlm: cannot monitor client", "host", name, "err", err)
			res.Stat = wire.NLM4_DENIED_NOLOCKS
			return res
		}
	}
	o := owner(name, a.Alock.Svid, a.Alock.OH.Data)
	r := locking.Range{Off: a.Alock.LOffset, Len: a.Alock.LLen}
	req := locking.Request{Owner: o, Range: r, Exclusive: a.Exclusive, Reclaim: a.Reclaim, Block: a.Block, DetectDeadlock: true}
	if a.Block {
		// Everything the callback needs, copied out of the request
		// buffer.
		cb := &wire.NLM4TestArgs{
			Cookie:    wire.Netobj{Data: clone(a.Cookie.Data)},
			Exclusive: a.Exclusive,
			Alock: wire.NLM4Lock{CallerName: name, FH: wire.Netobj{Data: clone(a.Alock.FH.Data)},
				OH: wire.Netobj{Data: clone(a.Alock.OH.Data)}, Svid: a.Alock.Svid, LOffset: a.Alock.LOffset, LLen: a.Alock.LLen},
		}
		req.Granted = func(err error) {
			if err != nil {
				return
			}
			s.bg.start(func() { s.sendGranted(m, id, o, r, p, cb) })
		}
	}
	res.Stat = stat(m.Lock(ctx, id, req))
	if a.Reclaim {
		msg := "nlm: lock reclaimed in grace"
		if res.Stat != wire.NLM4_GRANTED {
			msg = "nlm: lock reclaim refused"
		}
		s.log.Debug(msg, "host", name, "svid", a.Alock.Svid, "off", r.Off, "len", r.Len, "stat", int(res.Stat))
	}
	return res
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

func (s *Server) cancelLock(ctx context.Context, a *wire.NLM4CancArgs) wire.NLM4Res {
	res := wire.NLM4Res{Cookie: a.Cookie}
	m, id, err := s.resolve(ctx, a.Alock.FH.Data)
	if err != nil {
		res.Stat = stat(err)
		return res
	}
	o := owner(a.Alock.CallerName, a.Alock.Svid, a.Alock.OH.Data)
	// Whether or not a request was still queued, the client's request is
	// no longer blocked; a lock granted meanwhile is released by the
	// client's UNLOCK (or its refusal of the GRANTED callback).
	m.Cancel(id, o, locking.Range{Off: a.Alock.LOffset, Len: a.Alock.LLen}, a.Exclusive)
	return res
}

func (s *Server) unlock(ctx context.Context, a *wire.NLM4UnlockArgs) wire.NLM4Res {
	res := wire.NLM4Res{Cookie: a.Cookie}
	m, id, err := s.resolve(ctx, a.Alock.FH.Data)
	if err != nil {
		res.Stat = stat(err)
		return res
	}
	o := owner(a.Alock.CallerName, a.Alock.Svid, a.Alock.OH.Data)
	res.Stat = stat(m.Unlock(ctx, id, o, locking.Range{Off: a.Alock.LOffset, Len: a.Alock.LLen}))
	return res
}

// granted answers a GRANTED call made to this server: it is not a client
// lock manager and has no blocked requests, so it is NLM4_DENIED (the
// answer of a client that no longer waits for the lock).
func (s *Server) granted(a *wire.NLM4TestArgs) wire.NLM4Res {
	return wire.NLM4Res{Cookie: a.Cookie, Stat: wire.NLM4_DENIED}
}

func (s *Server) share(ctx context.Context, a *wire.NLM4ShareArgs, unshare bool) wire.NLM4ShareRes {
	res := wire.NLM4ShareRes{Cookie: a.Cookie}
	m, id, err := s.resolve(ctx, a.Share.FH.Data)
	if err != nil {
		res.Stat = stat(err)
		return res
	}
	o := locking.Owner{Proto: locking.ProtoNLM, Client: a.Share.CallerName, Key: "share:" + string(a.Share.OH.Data)}
	if unshare {
		res.Stat = stat(m.Unshare(ctx, id, o))
		return res
	}
	if !a.Share.Mode.Valid() || !a.Share.Access.Valid() {
		res.Stat = wire.NLM4_FAILED
		return res
	}
	res.Stat = stat(m.Share(ctx, id, locking.ShareRequest{
		Owner: o, Access: locking.Mode(a.Share.Access), Deny: locking.Mode(a.Share.Mode), Reclaim: a.Reclaim,
	}))
	return res
}

// freeAll releases every lock and share of host name (FREE_ALL).
func (s *Server) freeAll(ctx context.Context, name string) {
	for _, m := range s.Exports.LockManagers() {
		if err := m.ReleaseClient(ctx, locking.ProtoNLM, name); err != nil {
			s.logs.Warn(s.log, "nlm: releasing a client's locks", "host", name, "err", err)
		}
	}
}

// hostRebooted is told by the Monitor that a host restarted: its locks
// are gone on its side, so they are released here. Hosts are matched by
// name (the SM_NOTIFY mon_name is the client's caller_name), not by
// address, which clients behind one NAT share.
func (s *Server) hostRebooted(ctx context.Context, name string, _ netip.Addr) {
	s.freeAll(ctx, name)
}

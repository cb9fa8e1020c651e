package nlm

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nlm/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// portmapper is a test portmapper v2 with GETPORT only.
type portmapper struct {
	mu    sync.Mutex
	ports map[[3]uint32]uint32
	port  int
}

func newPortmapper(t testing.TB) *portmapper {
	pm := &portmapper{ports: make(map[[3]uint32]uint32)}
	mux := rpc.NewServeMux()
	mux.Handle(portmap.PortmapProgram, portmap.PortmapVersion2, rpc.Procs{rpc.Null, nil, nil, func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var m wire.Mapping
		if !decode(w, c, &m) {
			return
		}
		pm.mu.Lock()
		res := wire.Port{Port: pm.ports[[3]uint32{m.Prog, m.Vers, m.Prot}]}
		pm.mu.Unlock()
		res.MarshalXDR(w.Encoder())
	}})
	pm.port = int(rpctest.Serve(t, mux).Port())
	return pm
}

func (pm *portmapper) set(prog, vers, prot uint32, port int) {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	pm.ports[[3]uint32{prog, vers, prot}] = uint32(port)
}

// clientNLM is the lock manager of a test client host: it records the
// GRANTED callbacks and _RES messages it gets.
type clientNLM struct {
	granted chan wire.NLM4TestArgs
	res     chan wire.NLM4Res
	answer  atomic.Uint32 // the nlm4_stats GRANTED returns
}

func newClientNLM(t testing.TB, pm *portmapper) *clientNLM {
	cn := &clientNLM{granted: make(chan wire.NLM4TestArgs, 16), res: make(chan wire.NLM4Res, 16)}
	p := make(rpc.Procs, NLMPROC4_GRANTED_RES+1)
	p[NLMPROC4_GRANTED] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.NLM4TestArgs
		if !decode(w, c, &a) {
			return
		}
		res := wire.NLM4Res{Cookie: a.Cookie, Stat: wire.NLM4Stats(cn.answer.Load())}
		res.MarshalXDR(w.Encoder())
		a.Cookie.Data, a.Alock.FH.Data, a.Alock.OH.Data = clone(a.Cookie.Data), clone(a.Alock.FH.Data), clone(a.Alock.OH.Data)
		cn.granted <- a
	}
	for _, proc := range []int{NLMPROC4_LOCK_RES, NLMPROC4_CANCEL_RES, NLMPROC4_UNLOCK_RES} {
		p[proc] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
			var a wire.NLM4Res
			if decode(w, c, &a) {
				a.Cookie.Data = clone(a.Cookie.Data)
				cn.res <- a
			}
		}
	}
	mux := rpc.NewServeMux()
	mux.Handle(NLMProgram, NLMVersion, p)
	pm.set(NLMProgram, NLMVersion, portmap.IPPROTO_TCP, int(rpctest.Serve(t, mux).Port()))
	pm.set(NLMProgram, NLMVersion, portmap.IPPROTO_UDP, int(rpctest.StartUDP(t, &rpc.Server{Handler: mux}).Port()))
	return cn
}

// clientStatd is the status monitor of a test client host.
type clientStatd struct {
	notify chan wire.StatChge
	status chan wire.Status
	port   int
}

func newClientStatd(t testing.TB) *clientStatd {
	cs := &clientStatd{notify: make(chan wire.StatChge, 16), status: make(chan wire.Status, 16)}
	p := make(rpc.Procs, SM_NOTIFY+1)
	p[SM_NOTIFY] = func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.StatChge
		if decode(w, c, &a) {
			cs.notify <- a
		}
	}
	mux := rpc.NewServeMux()
	mux.Handle(NSMProgram, NSMVersion, p)
	// A lock manager's status callback (my_id), prog 200000 proc 1.
	mux.Handle(200000, 1, rpc.Procs{rpc.Null, func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
		var a wire.Status
		if decode(w, c, &a) {
			cs.status <- a
		}
	}})
	cs.port = int(rpctest.StartUDP(t, &rpc.Server{Handler: mux}).Port())
	return cs
}

// logRecorder is a slog.Handler that sends each record's message.
type logRecorder chan string

func (l logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l logRecorder) Handle(_ context.Context, r slog.Record) error {
	select {
	case l <- r.Message:
	default:
	}
	return nil
}
func (l logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logRecorder) WithGroup(string) slog.Handler      { return l }

// fakeClock runs AfterFunc timers only when the test fires them.
type fakeClock struct {
	mu     sync.Mutex
	timers []func()
	armed  chan struct{}
}

func newFakeClock() *fakeClock { return &fakeClock{armed: make(chan struct{}, 64)} }

func (c *fakeClock) Now() time.Time { return time.Unix(0, 0) }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) interface{ Stop() bool } {
	c.mu.Lock()
	c.timers = append(c.timers, f)
	c.mu.Unlock()
	c.armed <- struct{}{}
	return fakeTimer{}
}

func (c *fakeClock) fire() {
	c.mu.Lock()
	ts := c.timers
	c.timers = nil
	c.mu.Unlock()
	for _, f := range ts {
		f()
	}
}

type fakeTimer struct{}

func (fakeTimer) Stop() bool { return true }

// env is a server under test: a lock manager over a memory store, the NLM
// server and its monitor, a portmapper, and one client host's NLM and
// statd.
type env struct {
	t    testing.TB
	meta store.Metadata
	fsys *store.FS
	tab  *export.Table
	// files are the store handles of the numbered test files.
	filesMu sync.Mutex
	files   map[uint64]store.Handle
	locks   atomic.Pointer[locking.Manager]
	srv     *Server
	nsm     *Monitor
	pm      *portmapper
	client  *clientNLM
	statd   *clientStatd
	clock   *fakeClock
	logs    logRecorder
	rpc     *rpc.Client
	port    int
	udp     int // the server's UDP port
}

// staleID is the number of a file that is removed as soon as it is made.
const staleID = 999

// file returns the store handle of the file numbered n, made on first use
// (and removed at once for staleID).
func (e *env) file(n uint64) store.Handle {
	e.t.Helper()
	e.filesMu.Lock()
	defer e.filesMu.Unlock()
	if h, ok := e.files[n]; ok {
		return h
	}
	ctx, root := context.Background(), &store.Cred{}
	name := "f" + strconv.FormatUint(n, 10)
	h, _, _, err := e.fsys.Create(ctx, root, e.fsys.Root(), name, store.CreateUnchecked, &store.SetAttr{}, store.Verifier{})
	if err != nil {
		e.t.Fatal(err)
	}
	if n == staleID {
		if _, err := e.fsys.Remove(ctx, root, e.fsys.Root(), name); err != nil {
			e.t.Fatal(err)
		}
	}
	e.files[n] = h
	return h
}

// id returns the file id (lock manager key) of the file numbered n.
func (e *env) id(n uint64) uint64 { return e.file(n).ID }

// fh returns the NFSv3 file handle of the file numbered n.
func (e *env) fh(n uint64) wire.Netobj {
	var buf [export.HandleSize]byte
	return wire.Netobj{Data: bytes.Clone(e.tab.EncodeHandle(&buf, export.NodeHandle(e.tab.Lookup("/"), e.file(n))))}
}

func newEnv(t testing.TB) *env {
	e := &env{t: t, meta: memory.NewMetadata(), clock: newFakeClock(), logs: make(logRecorder, 64), files: map[uint64]store.Handle{}}
	fsys, err := store.NewFS(e.meta, memory.NewBlocks(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	e.fsys = fsys
	e.pm = newPortmapper(t)
	e.client = newClientNLM(t, e.pm)
	e.statd = newClientStatd(t)
	e.restartLocks(-1)
	e.nsm = &Monitor{Persist: e.meta, Name: "server1", PortmapPort: e.pm.port, Clock: e.clock}
	if err := e.nsm.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.nsm.Close() })
	e.startServer()
	return e
}

// restartLocks opens a new lock manager over the store, as after a
// restart, and the export table with it; the next startServer serves it.
func (e *env) restartLocks(grace time.Duration) {
	m, err := locking.Open(context.Background(), locking.Options{Persist: e.meta, Grace: grace})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { m.Close() })
	tab, err := export.NewTable(context.Background(), export.Options{HandleKey: []byte("nlm test key")},
		&export.Export{Name: "/", FS: e.fsys, Locks: m})
	if err != nil {
		e.t.Fatal(err)
	}
	e.tab = tab
	if old := e.locks.Swap(m); old != nil {
		old.Close()
	}
}

func (e *env) startServer() {
	e.srv = &Server{
		Exports:     e.tab,
		NSM:         e.nsm,
		PortmapPort: e.pm.port,
		Clock:       e.clock,
		Logger:      slog.New(e.logs),
	}
	mux := rpc.NewServeMux()
	e.srv.Register(mux)
	addr := rpctest.Serve(e.t, mux)
	e.port = int(addr.Port())
	e.udp = int(rpctest.StartUDP(e.t, &rpc.Server{Handler: mux}).Port())
	e.t.Cleanup(func() { e.srv.Close() })
	e.rpc = rpctest.Dial(e.t, rpc.TCP, addr)
}

func (e *env) call(proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) {
	e.t.Helper()
	if err := e.rpc.Call(context.Background(), NLMProgram, NLMVersion, proc, args, res); err != nil {
		e.t.Fatalf("proc %d: %v", proc, err)
	}
}

func (e *env) alock(host string, svid int32, file, off, n uint64) wire.NLM4Lock {
	return wire.NLM4Lock{CallerName: host, FH: e.fh(file), OH: wire.Netobj{Data: []byte("oh-" + host)}, Svid: svid, LOffset: off, LLen: n}
}

func (e *env) lock(l wire.NLM4Lock, excl, block, reclaim bool) wire.NLM4Stats {
	e.t.Helper()
	var res wire.NLM4Res
	e.call(NLMPROC4_LOCK, &wire.NLM4LockArgs{Cookie: wire.Netobj{Data: []byte("c1")}, Block: block, Exclusive: excl, Alock: l, Reclaim: reclaim, State: 1}, &res)
	if string(res.Cookie.Data) != "c1" {
		e.t.Fatalf("cookie %q not echoed", res.Cookie.Data)
	}
	return res.Stat
}

func (e *env) unlock(l wire.NLM4Lock) wire.NLM4Stats {
	e.t.Helper()
	var res wire.NLM4Res
	e.call(NLMPROC4_UNLOCK, &wire.NLM4UnlockArgs{Cookie: wire.Netobj{Data: []byte("u")}, Alock: l}, &res)
	return res.Stat
}

func (e *env) test(l wire.NLM4Lock, excl bool) wire.NLM4TestRes {
	e.t.Helper()
	var res wire.NLM4TestRes
	e.call(NLMPROC4_TEST, &wire.NLM4TestArgs{Cookie: wire.Netobj{Data: []byte("t")}, Exclusive: excl, Alock: l}, &res)
	return res
}

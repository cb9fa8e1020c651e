//go:build e2e

package nlm_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/test/vm"
)

// RPC programs (the Open Group XNFS specification for NLM and NSM).
const (
	progNLM = 100021
	progNSM = 100024
)

// serverName is the name our NSM gives itself in SM_NOTIFY: the guests
// know the server by the address they mounted, 10.0.2.100, and that is
// the mon_name their statd recorded.
const serverName = "10.0.2.100"

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// recorder keeps the messages of the log records at Warn and above, to
// check that no GRANTED callback or SM_NOTIFY failed, counts every
// message, and passes all on to the wrapped handler.
type recorder struct {
	slog.Handler
	mu     *sync.Mutex
	msgs   *[]string
	counts map[string]int
}

func (r recorder) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	if rec.Level >= slog.LevelWarn {
		*r.msgs = append(*r.msgs, rec.Message)
	}
	r.counts[rec.Message]++
	r.mu.Unlock()
	return r.Handler.Handle(ctx, rec)
}

func (r recorder) WithAttrs(a []slog.Attr) slog.Handler {
	return recorder{r.Handler.WithAttrs(a), r.mu, r.msgs, r.counts}
}

func (r recorder) WithGroup(n string) slog.Handler {
	return recorder{r.Handler.WithGroup(n), r.mu, r.msgs, r.counts}
}

// Messages of the nlm package the tests count.
const (
	// grantAccepted is logged for each GRANTED callback a client answered
	// NLM4_GRANTED.
	grantAccepted = "nlm: GRANTED callback accepted"
	// grantRefused is the warning when a client refuses a GRANTED
	// callback or cannot be reached.
	grantRefused = "nlm: GRANTED callback failed; lock released"
)

// guestPorts are one guest's forwarded lockd and statd ports.
type guestPorts struct{ lockd, statd int }

// locator maps each guest's caller_name to its forwarded ports (every guest
// reaches us from 127.0.0.1), and counts the look-ups per program.
type locator struct {
	mu      sync.Mutex
	guests  map[string]guestPorts
	lookups map[uint32]int
}

func (l *locator) add(name string, p guestPorts) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.guests[name] = p
}

func (l *locator) count(prog uint32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lookups[prog]
}

func (l *locator) locate(_ context.Context, name string, _ netip.Addr, prog, _ uint32, _ string) (netip.AddrPort, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.guests[name]
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("no guest named %q", name)
	}
	l.lookups[prog]++
	lo := netip.MustParseAddr("127.0.0.1")
	switch prog {
	case progNLM:
		return netip.AddrPortFrom(lo, uint16(g.lockd)), nil
	case progNSM:
		return netip.AddrPortFrom(lo, uint16(g.statd)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("guest %q: no forward for program %d", name, prog)
}

// nlm4_stats values (the Open Group XNFS, NLM v4).
const (
	nlm4Blocked = 3
	nlm4Grace   = 4 // NLM4_DENIED_GRACE_PERIOD
)

// blockMarker wraps the server's mux: each time an NLM LOCK call is
// answered NLM4_BLOCKED, it creates "blocked.N" (N counting from 1) in the
// export's root, the guests' signal that a waiter is queued on the server.
type blockMarker struct {
	*rpc.ServeMux
	fs  *store.FS
	log *slog.Logger
	n   atomic.Int32
	// grace counts the LOCK calls answered NLM4_DENIED_GRACE_PERIOD.
	grace atomic.Int32
}

func (m *blockMarker) ServeRPC(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	m.ServeMux.ServeRPC(ctx, w, c)
	if c.Prog != progNLM {
		return
	}
	b := w.Encoder().Bytes()
	if len(b) >= 4 {
		m.log.Debug("nlm call", "vers", c.Vers, "proc", c.Proc, "last_word", binary.BigEndian.Uint32(b[len(b)-4:]))
	}
	if c.Vers != 4 || c.Proc != 2 { // NLMPROC4_LOCK
		return
	}
	// nlm4_res ends with the status word.
	if len(b) < 4 {
		return
	}
	switch binary.BigEndian.Uint32(b[len(b)-4:]) {
	case nlm4Grace:
		m.grace.Add(1)
		return
	case nlm4Blocked:
	default:
		return
	}
	name := fmt.Sprintf("blocked.%d", m.n.Add(1))
	m.fs.Create(ctx, &store.Cred{}, m.fs.Root(), name, store.CreateUnchecked, nil, store.Verifier{})
}

// server is one run of the in-process server: NFSv3 and MOUNT, NLM v4,
// NSM v1 on one port, a portmapper on another, over meta and blocks
// (wired as examples/fullserver does).
type server struct {
	nfsAddr, pmAddr string
	fs              *store.FS
	mark            *blockMarker
	locks           *locking.Manager
	nlm             *nlm.Server
	nsm             *nlm.Monitor
	srv, pm         *rpc.Server
	done            sync.WaitGroup
	stopped         bool
}

// serverConfig is what stays across restarts.
type serverConfig struct {
	meta      store.Metadata
	blocks    store.Blocks
	handleKey []byte
	loc       *locator
	logger    *slog.Logger
	// nfsAddr and pmAddr are the addresses to listen on; "127.0.0.1:0"
	// the first time, the same ports after a restart.
	nfsAddr, pmAddr string
	// grace is the lock manager's grace period after a restart
	// (locking.DefaultGrace when zero).
	grace time.Duration
}

func startServer(ctx context.Context, t *testing.T, c serverConfig) *server {
	t.Helper()
	fsys, err := store.NewFS(c.meta, c.blocks, store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	exps, err := export.Parse(strings.NewReader("/ *(rw,insecure,no_root_squash)\n"))
	if err != nil {
		t.Fatal(err)
	}
	exps[0].FS = fsys
	tab, err := export.NewTable(ctx, exps...)
	if err != nil {
		t.Fatal(err)
	}
	// Listen first: after a restart, Monitor.Start sends SM_NOTIFY at
	// once, and the clients' reclaims must find the ports open.
	l, err := net.Listen("tcp", c.nfsAddr)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", c.pmAddr)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	mux := rpc.NewServeMux()
	nfs := &nfs3.Server{Exports: tab, HandleKey: c.handleKey, Logger: c.logger}
	nfs.Register(mux)
	locks, err := locking.Open(ctx, locking.Options{Persist: c.meta, Logger: c.logger, Grace: c.grace})
	if err != nil {
		t.Fatal(err)
	}
	// SM_NOTIFY over TCP: QEMU's UDP hostfwd delivers the first datagram
	// to the guest's statd, but its reply does not come back (the
	// server's socket gets "connection refused"), and later datagrams
	// are refused.
	mon := &nlm.Monitor{Persist: c.meta, Name: serverName, Locate: c.loc.locate, Logger: c.logger, Network: rpc.TCP}
	if err := mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	nlmSrv := &nlm.Server{
		Files: nlm.FilesFunc(func(ctx context.Context, fh []byte) (*locking.Manager, uint64, error) {
			_, h, err := nfs.ResolveHandle(ctx, fh)
			if err != nil {
				return nil, 0, err
			}
			return locks, h.ID, nil
		}),
		NSM:    mon,
		Locate: c.loc.locate,
		Logger: c.logger,
	}
	nlmSrv.Register(mux)

	s := &server{fs: fsys, locks: locks, nlm: nlmSrv, nsm: mon}
	s.nfsAddr, s.pmAddr = l.Addr().String(), pl.Addr().String()
	table := &portmap.Server{Logger: c.logger}
	pmux := rpc.NewServeMux()
	table.Register(pmux)
	if err := errors.Join(
		table.Advertise(mux, l.Addr().(*net.TCPAddr).Port, portmap.TCP),
		table.Advertise(pmux, pl.Addr().(*net.TCPAddr).Port, portmap.TCP),
	); err != nil {
		t.Fatal(err)
	}
	s.mark = &blockMarker{ServeMux: mux, fs: fsys, log: c.logger}
	s.srv = &rpc.Server{Handler: s.mark, DuplicateCache: &rpc.DuplicateCache{}, Logger: c.logger}
	s.pm = &rpc.Server{Handler: pmux, Logger: c.logger}
	s.done.Add(2)
	go func() { defer s.done.Done(); s.srv.Serve(l) }()
	go func() { defer s.done.Done(); s.pm.Serve(pl) }()
	return s
}

// stop shuts the server down and closes its lock state; the store stays
// open (the caller owns it). A second stop does nothing.
func (s *server) stop(t *testing.T) {
	if s.stopped {
		return
	}
	s.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.pm.Shutdown(ctx)
	s.done.Wait()
	if err := errors.Join(s.nlm.Close(), s.nsm.Close(), s.locks.Close()); err != nil {
		t.Error(err)
	}
}

func port(t *testing.T, addr string) int {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return int(ap.Port())
}

// freePort returns a port free on 127.0.0.1 for both TCP and UDP (the
// guest's lockd and statd are forwarded over both).
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		l.Close()
		if err == nil {
			u.Close()
			return p
		}
	}
	t.Fatal("no port free for both TCP and UDP")
	return 0
}

// buildLocker builds the guest's locking program (the Go build cache makes
// later builds quick).
func buildLocker(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "locker")
	if err := vm.BuildStatic(t.Context(), "./cmd/locker", out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Package nfstest is the in-process NFS server of the kernel-client
// tests (test/nlm, test/nfs4): NFSv3 and MOUNT v3, NLM v4, NSM v1 and,
// optionally, NFSv4 with its state table on one port of 127.0.0.1, a
// portmapper on another, over the caller's metadata and block stores,
// wired as examples/fullserver does. Around it: a logger that records
// the server's warnings, a locator that maps each guest's name to its
// forwarded lockd and statd ports, a marker that counts NLM and NFSv4
// replies by status, data directories that survive a restart, and the
// helpers that run guests (test/vm) with the locker program
// (test/nlm/cmd/locker).
package nfstest

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
)

// RPC programs (RFC 1813, RFC 7530; the Open Group XNFS specification
// for NLM and NSM).
const (
	ProgNFS = 100003
	ProgNLM = 100021
	ProgNSM = 100024
)

// ServerName is the name our NSM gives itself in SM_NOTIFY: the guests
// know the server by the address they mounted, 10.0.2.100, and that is
// the mon_name their statd recorded.
const ServerName = "10.0.2.100"

// nlm4_stats values (the Open Group XNFS, NLM v4).
const (
	nlm4Blocked = 3
	nlm4Grace   = 4 // NLM4_DENIED_GRACE_PERIOD
)

// GuestPorts are one guest's forwarded lockd and statd ports.
type GuestPorts struct{ Lockd, Statd int }

// Locator maps each guest's caller_name to its forwarded ports (every
// guest reaches us from 127.0.0.1), and counts the look-ups per program.
type Locator struct {
	mu      sync.Mutex
	guests  map[string]GuestPorts
	lookups map[uint32]int
}

// NewLocator returns an empty Locator.
func NewLocator() *Locator {
	return &Locator{guests: map[string]GuestPorts{}, lookups: map[uint32]int{}}
}

// Add records the ports of the guest called name.
func (l *Locator) Add(name string, p GuestPorts) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.guests[name] = p
}

// Count returns how many look-ups of prog were answered.
func (l *Locator) Count(prog uint32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lookups[prog]
}

// Locate is an nlm.Monitor and nlm.Server Locate function.
func (l *Locator) Locate(_ context.Context, name string, _ netip.Addr, prog, _ uint32, _ string) (netip.AddrPort, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.guests[name]
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("no guest named %q", name)
	}
	l.lookups[prog]++
	lo := netip.MustParseAddr("127.0.0.1")
	switch prog {
	case ProgNLM:
		return netip.AddrPortFrom(lo, uint16(g.Lockd)), nil
	case ProgNSM:
		return netip.AddrPortFrom(lo, uint16(g.Statd)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("guest %q: no forward for program %d", name, prog)
}

// Marker wraps the server's mux: each time an NLM LOCK call is answered
// NLM4_BLOCKED, it creates "blocked.N" (N counting from 1) in the
// export's root, the guests' signal that a waiter is queued on the
// server. As the server's rpc.Metrics it counts NFSv4 COMPOUND replies by
// status (the status of the first operation that failed).
type Marker struct {
	*rpc.ServeMux
	fs  *store.FS
	log *slog.Logger
	n   atomic.Int32
	// Grace counts the NLM LOCK calls answered NLM4_DENIED_GRACE_PERIOD.
	Grace atomic.Int32

	mu       sync.Mutex
	compound map[uint32]int
}

// ServeRPC serves c and marks blocked NLM locks.
func (m *Marker) ServeRPC(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args []byte
	if c.Prog == ProgNFS && c.Vers == 4 && c.Proc == 1 {
		args = slices.Clone(c.Args.Rest())
	}
	m.ServeMux.ServeRPC(ctx, w, c)
	if args != nil {
		m.logCompound(w.Encoder().Bytes(), args)
	}
	if c.Prog != ProgNLM {
		return
	}
	b := w.Encoder().Bytes()
	if len(b) < 4 {
		return
	}
	last := binary.BigEndian.Uint32(b[len(b)-4:])
	m.log.Debug("nlm call", "vers", c.Vers, "proc", c.Proc, "last_word", last)
	if c.Vers != 4 || c.Proc != 2 { // NLMPROC4_LOCK; nlm4_res ends with the status word
		return
	}
	switch last {
	case nlm4Grace:
		m.Grace.Add(1)
		return
	case nlm4Blocked:
	default:
		return
	}
	name := fmt.Sprintf("blocked.%d", m.n.Add(1))
	m.fs.Create(ctx, &store.Cred{}, m.fs.Root(), name, store.CreateUnchecked, nil, store.Verifier{})
}

// logCompound logs, at Debug, an NFSv4 COMPOUND that failed other than
// NFS4ERR_NOENT: its status,
// the opcodes of its results (each failed result ends the list) and the
// start of its arguments, as evidence for a server bug. reply is the
// whole reply with the record mark; an AUTH_NONE verifier puts the
// COMPOUND4res at byte 28.
func (m *Marker) logCompound(reply, args []byte) {
	const resOff = 28
	if len(reply) < resOff+8 {
		return
	}
	d := xdr.NewDecoder(reply[resOff:])
	status := d.Uint32()
	if status == 0 || status == 2 { // NFS4_OK, NFS4ERR_NOENT (a LOOKUP of a name not there yet)
		return
	}
	d.String(1024) // tag
	n := d.ArrayLen(1024, 8)
	var ops []uint32
	if n > 0 {
		// Only the last result can be the failed one; the first is
		// enough to name the operation after PUTFH and the like.
		ops = append(ops, d.Uint32(), d.Uint32())
	}
	if len(args) > 160 {
		args = args[:160]
	}
	m.log.Debug("nfs4 compound failed", "status", status, "results", n, "first_result", ops, "args", hex.EncodeToString(args))
}

// nfs4errDenied is NFS4ERR_DENIED (RFC 7530 §13): a LOCK or LOCKT that
// met a conflicting lock.
const nfs4errDenied = 10010

// CallDone counts NFSv4 COMPOUND replies by status. Each COMPOUND
// answered NFS4ERR_DENIED also creates "denied4.N" (N counting from 1)
// in the export's root: NFSv4.0 has no server-side queue of blocked
// locks (the client polls), so this is the guests' signal that a waiter
// was refused.
func (m *Marker) CallDone(s rpc.CallStat) {
	if s.Prog != ProgNFS || s.Vers != 4 || s.Proc != 1 || s.Accept != rpc.SUCCESS {
		return
	}
	m.mu.Lock()
	if m.compound == nil {
		m.compound = map[uint32]int{}
	}
	m.compound[s.Status]++
	n := m.compound[nfs4errDenied]
	m.mu.Unlock()
	if s.Status == nfs4errDenied {
		name := fmt.Sprintf("denied4.%d", n)
		m.fs.Create(context.Background(), &store.Cred{}, m.fs.Root(), name, store.CreateUnchecked, nil, store.Verifier{})
	}
}

// ConnChange does nothing.
func (m *Marker) ConnChange(int) {}

// CompoundStatuses returns the count of NFSv4 COMPOUND replies by status.
func (m *Marker) CompoundStatuses() map[uint32]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.compound)
}

// Compounds returns how many NFSv4 COMPOUNDs were answered with status.
func (m *Marker) Compounds(status uint32) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.compound[status]
}

// Server is one run of the in-process server.
type Server struct {
	// NFSAddr is the address of NFS, MOUNT, NLM and NSM; PMAddr the
	// portmapper's.
	NFSAddr, PMAddr string
	FS              *store.FS
	Mark            *Marker
	Locks           *locking.Manager
	NLM             *nlm.Server
	NSM             *nlm.Monitor
	// State is the NFSv4 state table (nil without Config.NFS4).
	State   *state.Table
	srv, pm *rpc.Server
	done    sync.WaitGroup
	stopped bool
}

// Config is what stays across restarts.
type Config struct {
	Meta      store.Metadata
	Blocks    store.Blocks
	HandleKey []byte
	Locator   *Locator
	Logger    *slog.Logger
	// Export is the export's name ("/" when empty).
	Export string
	// NFSAddr and PMAddr are the addresses to listen on; "127.0.0.1:0"
	// the first time, the same ports after a restart.
	NFSAddr, PMAddr string
	// Grace is the lock manager's grace period, which NLM and NFSv4
	// share, after a restart (locking.DefaultGrace when zero); Lease the NFSv4
	// lease (state.DefaultLease when zero).
	Grace, Lease time.Duration
	// NFS4 also serves NFS version 4 (minor version 0), with its client
	// names kept in Meta.
	NFS4 bool
}

// Start serves c's stores on 127.0.0.1.
func Start(ctx context.Context, t testing.TB, c Config) *Server {
	t.Helper()
	fsys, err := store.NewFS(c.Meta, c.Blocks, store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	name := c.Export
	if name == "" {
		name = "/"
	}
	exps, err := export.Parse(strings.NewReader(name + " *(rw,insecure,no_root_squash)\n"))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := locking.Open(ctx, locking.Options{Persist: c.Meta, Logger: c.Logger, Grace: c.Grace})
	if err != nil {
		t.Fatal(err)
	}
	exps[0].FS, exps[0].Locks = fsys, locks
	tab, err := export.NewTable(ctx, export.Options{HandleKey: c.HandleKey}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	// Listen first: after a restart, Monitor.Start sends SM_NOTIFY at
	// once, and the clients' reclaims must find the ports open.
	l, err := net.Listen("tcp", c.NFSAddr)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", c.PMAddr)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: tab, Logger: c.Logger}).Register(mux)
	// SM_NOTIFY over TCP: QEMU's UDP hostfwd delivers the first datagram
	// to the guest's statd, but its reply does not come back (the
	// server's socket gets "connection refused"), and later datagrams
	// are refused.
	mon := &nlm.Monitor{Persist: c.Meta, Name: ServerName, Locate: c.Locator.Locate, Logger: c.Logger, Network: rpc.TCP}
	if err := mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	nlmSrv := &nlm.Server{
		Exports: tab,
		NSM:     mon,
		Locate:  c.Locator.Locate,
		Logger:  c.Logger,
	}
	nlmSrv.Register(mux)

	s := &Server{FS: fsys, Locks: locks, NLM: nlmSrv, NSM: mon}
	if c.NFS4 {
		s.State, err = state.New(ctx, state.Options{Lease: c.Lease, Persist: c.Meta, Logger: c.Logger})
		if err != nil {
			t.Fatal(err)
		}
		(&nfs4.Server{
			Exports:  tab,
			State:    s.State,
			IDMapper: nfs4.NumericMapper(),
			Logger:   c.Logger,
		}).Register(mux)
	}
	s.NFSAddr, s.PMAddr = l.Addr().String(), pl.Addr().String()
	table := &portmap.Server{Logger: c.Logger}
	pmux := rpc.NewServeMux()
	table.Register(pmux)
	if err := errors.Join(
		table.Advertise(mux, l.Addr().(*net.TCPAddr).Port, portmap.TCP),
		table.Advertise(pmux, pl.Addr().(*net.TCPAddr).Port, portmap.TCP),
	); err != nil {
		t.Fatal(err)
	}
	s.Mark = &Marker{ServeMux: mux, fs: fsys, log: c.Logger}
	s.srv = &rpc.Server{Handler: s.Mark, DuplicateCache: &rpc.DuplicateCache{}, Logger: c.Logger, Metrics: s.Mark}
	s.pm = &rpc.Server{Handler: pmux, Logger: c.Logger}
	s.done.Add(2)
	go func() { defer s.done.Done(); s.srv.Serve(l) }()
	go func() { defer s.done.Done(); s.pm.Serve(pl) }()
	return s
}

// Stop shuts the server down and closes its lock state; the store stays
// open (the caller owns it). A second Stop does nothing.
func (s *Server) Stop(t testing.TB) {
	if s.stopped {
		return
	}
	s.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.pm.Shutdown(ctx)
	s.done.Wait()
	if s.State != nil {
		s.State.Close()
	}
	if err := errors.Join(s.NLM.Close(), s.NSM.Close(), s.Locks.Close()); err != nil {
		t.Error(err)
	}
}

// Port returns the port of addr ("127.0.0.1:PORT").
func Port(t testing.TB, addr string) int {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return int(ap.Port())
}

// FreePort returns a port free on 127.0.0.1 for both TCP and UDP (the
// guest's lockd and statd are forwarded over both).
func FreePort(t testing.TB) int {
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

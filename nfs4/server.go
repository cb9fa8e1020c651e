package nfs4

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/attr"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
)

// Program and version served by this package (each protocol package
// names its programs <Name>Program and <Name>Version).
const (
	NFSProgram = 100003
	NFSVersion = 4
)

// Programs returns the (program, version) pairs Register serves: NFS v4
// (minor versions are negotiated inside COMPOUND).
func Programs() []rpc.Program { return []rpc.Program{{Prog: NFSProgram, Vers: NFSVersion}} }

// Limits of one COMPOUND.
const (
	// DefaultMaxOps is the default bound of operations in one COMPOUND;
	// operations past it are answered NFS4ERR_RESOURCE. Linux sends at
	// most about 20.
	DefaultMaxOps = 128
	// DefaultMaxReply is the default bound of one COMPOUND reply: an
	// operation whose result would grow the reply past it fails with
	// NFS4ERR_RESOURCE. It holds a 1 MiB READ with room to spare.
	DefaultMaxReply = 1<<20 + 64<<10
	// MaxIO is what maxread and maxwrite announce: 1 MiB.
	MaxIO = 1 << 20
)

// Server serves NFSv4 over the exports of Exports. The zero value with
// Exports set is usable; fields must not change after Register.
type Server struct {
	// Exports is the table of exports; the pseudo-filesystem root leads
	// to each of them by its name. Its handle codec makes NFSv4 handles
	// the NFSv3 handles of the same files, and the lock manager of each
	// export (Export.Locks) holds NFSv4 opens, locks and delegations with
	// NLM's and SMB's, so that they conflict.
	Exports *export.Table
	// State holds NFSv4 clients, open and lock state, and the lease time
	// (announced in lease_time). nil gives the server an in-memory table
	// with the default lease (nothing survives a restart).
	State *state.Table
	// NoCallbacks turns off the CB_NULL probe of NFSv4.0 callback
	// addresses; the callback path is then reported down (RENEW's
	// NFS4ERR_CB_PATH_DOWN). The server grants no delegations yet, so the
	// path is only probed.
	NoCallbacks bool
	// CallbackDial connects to a client's callback address (rpc.Dial by
	// default); tests and embedders that must keep traffic on some
	// networks set it.
	CallbackDial func(ctx context.Context, network, addr string) (*rpc.Client, error)
	// IDMapper maps owner and owner_group strings; nil maps numerically
	// ("1000"), which is what Linux clients with nfs4_disable_idmapping
	// (the default for AUTH_SYS) send and expect.
	IDMapper IDMapper
	// Owner is the server owner and scope EXCHANGE_ID reports; clients
	// detect trunking by it, so it must stay the same across restarts
	// and be shared only by servers that share state. Default
	// "dittofs:" and the host name.
	Owner string
	// MaxOps and MaxReply bound one COMPOUND (DefaultMaxOps,
	// DefaultMaxReply).
	MaxOps   int
	MaxReply int
	// Logger receives server faults (one line each); nil discards.
	Logger *slog.Logger
	// OpDone, when not nil, is told of every operation a COMPOUND ran
	// (not of replies replayed from a session's slot): its name as RFC
	// 7530 §16 and RFC 8881 §18 spell it without "OP_" ("OPEN",
	// "ILLEGAL" for an unknown one) and its status ("NFS4_OK",
	// "NFS4ERR_ACCESS"), for metrics. It must be quick and safe for
	// concurrent use.
	OpDone func(op, status string)

	// maxMinor is the highest minor version served (servedMinor; the
	// tests of work in progress raise it).
	maxMinor uint32
	once     sync.Once
	owner    []byte // EXCHANGE_ID's server owner and scope
	log      *slog.Logger
	attrs    [3]attr.Config // per minor version
	pseudo   *pseudoFS
	// renewSession renews the lease of a session's client for SEQUENCE
	// and returns the sr_status_flags of its state; nil renews nothing.
	renewSession func(clientid uint64) (uint32, wire.Nfsstat4)
	statMu       sync.Mutex
	stats        map[*export.Export]func() store.FsStat
	// graceOver is set once every lock manager's grace period has ended.
	graceOver atomic.Bool
	// logs rate-limits per-request and per-client lines.
	logs ratelog.Limiter
}

func (s *Server) init() {
	s.once.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if s.maxMinor == 0 {
			s.maxMinor = servedMinor
		}
		if s.MaxOps <= 0 {
			s.MaxOps = DefaultMaxOps
		}
		if s.MaxReply <= 0 {
			s.MaxReply = DefaultMaxReply
		}
		if s.State == nil {
			// Without persistence New cannot fail.
			s.State, _ = state.New(context.Background(), state.Options{Logger: s.Logger})
		}
		for i := range s.attrs {
			s.attrs[i] = attr.Config{Minor: uint32(i), LeaseTime: uint32(s.State.Lease() / time.Second), Mapper: s.IDMapper}
		}
		s.owner = serverOwnerOf(s.Owner)
		s.pseudo = newPseudoFS(s.Exports)
		if s.renewSession == nil {
			s.renewSession = s.renewLease
		}
	})
}

// servedMinor is the highest minor version this build serves.
const servedMinor = 1

// Register registers NFS version 4 on mux.
func (s *Server) Register(mux *rpc.ServeMux) {
	s.init()
	mux.Handle(NFSProgram, NFSVersion, program{s})
}

// renewLease renews the lease of a session's client for SEQUENCE and
// returns the sr_status_flags its state calls for.
func (s *Server) renewLease(clientid uint64) (uint32, wire.Nfsstat4) {
	if _, err := s.State.Client(clientid); err != nil {
		st, _ := stateStatus(err)
		return 0, st
	}
	return 0, wire.NFS4_OK
}

// reclaimDone records that an NFSv4.0 client has finished reclaiming (it
// made a request that is not a reclaim): the lock managers of every
// export end their grace period early once all their clients have.
func (s *Server) reclaimDone(ctx context.Context, cl *state.Client) {
	if !s.State.ReclaimDone(cl) {
		return
	}
	for _, m := range s.Exports.LockManagers() {
		m.ReclaimComplete(ctx, locking.ProtoNFS4, cl.Name)
	}
}

// endGrace tells the state table, once, that the grace period of every
// export's lock manager is over (the lock managers own the setting, which
// NLM shares), so that it forgets the previous boot's clients that have
// not come back.
func (s *Server) endGrace(ctx context.Context) {
	if s.graceOver.Load() {
		return
	}
	for _, m := range s.Exports.LockManagers() {
		if m.InGrace(ctx) {
			return
		}
	}
	if s.graceOver.CompareAndSwap(false, true) {
		s.State.EndGrace(ctx)
	}
}

// program is the rpc.Handler of NFS version 4.
type program struct{ s *Server }

// ServeRPC answers NULL and COMPOUND.
func (p program) ServeRPC(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	switch c.Proc {
	case wire.NFSPROC4_NULL:
	case wire.NFSPROC4_COMPOUND:
		p.s.compound(ctx, w, c)
	default:
		w.Fail(rpc.PROC_UNAVAIL)
	}
}

// statFunc returns the function attr.Object.Stat of export e: the
// store's figures, read only when a space or files attribute is asked.
func (s *Server) statFunc(e *export.Export) func() store.FsStat {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	if f, ok := s.stats[e]; ok {
		return f
	}
	if s.stats == nil {
		s.stats = map[*export.Export]func() store.FsStat{}
	}
	fs := e.FS
	f := func() store.FsStat { return fs.FsStat(context.Background()) }
	s.stats[e] = f
	return f
}

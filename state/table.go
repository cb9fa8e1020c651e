package state

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/store"
)

// Defaults of Options.
const (
	DefaultLease      = 90 * time.Second
	DefaultCourtesy   = 24 * time.Hour
	DefaultMaxClients = 1 << 14
	DefaultMaxStates  = 1 << 20
	// DefaultMaxClientsPerAddr bounds the client records of one source
	// address. Linux knfsd has no such cap (it derives a client count
	// from memory, past which it reaps courtesy clients first), but one
	// address must not be able to take the whole table:
	// 256 leaves room for a NAT'd site or a host running many containers
	// (each NFS client instance has its own record) while 64 addresses
	// are still needed to fill DefaultMaxClients with live clients.
	DefaultMaxClientsPerAddr = 256
	// DefaultMaxUnconfirmedPerAddr bounds the unconfirmed records of one
	// source address: a client holds one only for the round trip from
	// SETCLIENTID (EXCHANGE_ID) to its confirmation, so even many clients
	// starting at once behind one address rarely have more than a few.
	DefaultMaxUnconfirmedPerAddr = 32
	// MaxOwnerName bounds open-owner and lock-owner names (RFC 7530
	// NFS4_OPAQUE_LIMIT is 1024).
	MaxOwnerName = 1024
	// maxClientName bounds nfs_client_id4.id (NFS4_OPAQUE_LIMIT).
	maxClientName = 1024
)

// Errors of the Table; a server maps each to its protocol status.
var (
	ErrStaleClientID = errors.New("state: stale or unknown clientid")     // NFS4ERR_STALE_CLIENTID
	ErrExpired       = errors.New("state: lease expired, state released") // NFS4ERR_EXPIRED
	ErrClientInUse   = errors.New("state: client id in use by another principal")
	ErrBadStateid    = errors.New("state: bad stateid")                   // NFS4ERR_BAD_STATEID
	ErrOldStateid    = errors.New("state: old stateid")                   // NFS4ERR_OLD_STATEID
	ErrStaleStateid  = errors.New("state: stateid from before a restart") // NFS4ERR_STALE_STATEID
	ErrBadSeqid      = errors.New("state: bad seqid")                     // NFS4ERR_BAD_SEQID
	ErrLocksHeld     = errors.New("state: locks held")                    // NFS4ERR_LOCKS_HELD
	ErrResource      = errors.New("state: too much state")                // NFS4ERR_RESOURCE
	ErrInval         = errors.New("state: invalid share modes")           // NFS4ERR_INVAL
	ErrNoGrace       = errors.New("state: client may not reclaim")        // NFS4ERR_NO_GRACE
)

// InUseError is ErrClientInUse with the callback address of the record
// in use (SETCLIENTID's client_using).
type InUseError struct{ Callback Callback }

func (e *InUseError) Error() string        { return ErrClientInUse.Error() }
func (e *InUseError) Is(target error) bool { return target == ErrClientInUse }

// Options configure a Table. The zero value is an in-memory table with
// the default lease.
type Options struct {
	// Lease is the lease time (DefaultLease).
	Lease time.Duration
	// Courtesy is how long an expired client's state is kept while no
	// other client conflicts with it (DefaultCourtesy); negative releases
	// it as soon as the lease expires.
	Courtesy time.Duration
	// Clock is the source of time and timers (leases); nil is the system
	// clock. Any value with the methods Now() time.Time and
	// AfterFunc(time.Duration, func()) interface{ Stop() bool } is one.
	Clock clock.Clock
	// Persist keeps the names of confirmed clients, under KeyPrefix
	// (the package's KeyPrefix, store namespace "nfs4-state", by
	// default; New moves records of older versions there), so that they
	// may reclaim after a restart.
	Persist   store.Metadata
	KeyPrefix []byte
	// MaxClients bounds client records (confirmed, unconfirmed and
	// expired), MaxStates the owners and stateids of all clients; past
	// them requests fail with ErrResource. A new client that finds the
	// table full takes the place of an unconfirmed or released record or,
	// failing that, of the courtesy client idle longest, whose state is
	// released (RFC 8881 §8.4.3); only when every record is a live
	// client is it refused.
	MaxClients, MaxStates int
	// MaxClientsPerAddr bounds the records (unconfirmed, confirmed and
	// courtesy) made by SETCLIENTID or EXCHANGE_ID from one source
	// address, an IPv4 address or an IPv6 /64
	// (DefaultMaxClientsPerAddr); a new record past it takes the place
	// of that address's own oldest unconfirmed record or longest-idle
	// courtesy client, and fails with ErrResource when all of them are
	// live. MaxUnconfirmedPerAddr bounds the unconfirmed ones
	// (DefaultMaxUnconfirmedPerAddr): past it the address's oldest
	// unconfirmed record is dropped. Negative turns a cap off.
	MaxClientsPerAddr, MaxUnconfirmedPerAddr int
	// MaxReplyCache bounds the memory of the NFSv4.1 reply cache of all
	// sessions together, counted as slots × ca_maxresponsesize_cached
	// (DefaultMaxReplyCache): CREATE_SESSION gives a session fewer slots
	// when the budget is short, and fails with ErrNoSpace when not one
	// fits.
	MaxReplyCache int64
	// Logger receives state changes worth a line (client confirmed,
	// expired, purged) and persistence failures; nil discards.
	Logger *slog.Logger
}

// Callback is a 4.0 client's callback address (cb_client4) and ident.
type Callback struct {
	Program uint32
	Netid   string
	Addr    string
	Ident   uint32
}

// Table is the NFSv4 state of a server.
type Table struct {
	opts  Options
	clock clock.Clock
	log   *slog.Logger
	epoch uint32
	start time.Time

	mu         sync.Mutex
	clients    map[uint32]*Client // by the low half of the clientid
	byName     map[string]*names
	nextClient uint32
	nStates    int
	previous   map[string]bool // confirmed clients of the previous boot
	cleaned    bool            // previous records pruned after grace
	timer      clock.Timer
	closed     bool
	// sessions are the NFSv4.1 sessions (session.go), under their own
	// lock.
	sessions *sessionTable
	// sources are the records charged to each source address
	// (admit.go); stats and logs count and report admission refusals.
	sources map[netip.Prefix]map[*Client]struct{}
	stats   admitStats
	logs    ratelog.Limiter
}

// names are the confirmed and unconfirmed records of one client name.
type names struct{ confirmed, unconfirmed *Client }

// New returns a Table. With o.Persist it reads the clients of the
// previous boot and starts a new boot epoch.
func New(ctx context.Context, o Options) (*Table, error) {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Courtesy == 0 {
		o.Courtesy = DefaultCourtesy
	}
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.MaxStates <= 0 {
		o.MaxStates = DefaultMaxStates
	}
	if o.MaxClientsPerAddr == 0 {
		o.MaxClientsPerAddr = DefaultMaxClientsPerAddr
	}
	if o.MaxUnconfirmedPerAddr == 0 {
		o.MaxUnconfirmedPerAddr = DefaultMaxUnconfirmedPerAddr
	}
	if o.MaxReplyCache <= 0 {
		o.MaxReplyCache = DefaultMaxReplyCache
	}
	migrate := o.KeyPrefix == nil
	if migrate {
		o.KeyPrefix = KeyPrefix
	}
	t := &Table{opts: o, clock: clock.Or(o.Clock), log: o.Logger,
		clients: map[uint32]*Client{}, byName: map[string]*names{}, previous: map[string]bool{},
		sources: map[netip.Prefix]map[*Client]struct{}{}, sessions: newSessionTable(o.MaxReplyCache)}
	t.logs.Now = t.clock.Now
	if t.log == nil {
		t.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	t.start = t.clock.Now()
	if o.Persist != nil {
		if migrate {
			if _, err := store.MigrateNamespace(ctx, o.Persist, "nfs4-state"); err != nil {
				return nil, err
			}
		}
		if err := t.load(ctx); err != nil {
			return nil, err
		}
	} else {
		// Without persistence the epoch only has to differ from the
		// last boot's: the time does, and a random low part guards
		// against two starts in one second.
		var b [2]byte
		_, _ = rand.Read(b[:])
		t.epoch = uint32(t.start.Unix())<<8 ^ uint32(b[0])
	}
	if t.epoch == 0 {
		t.epoch = 1
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	t.nextClient = binary.BigEndian.Uint32(b[:]) >> 8
	t.schedule()
	return t, nil
}

// Lease returns the lease time.
func (t *Table) Lease() time.Duration { return t.opts.Lease }

// Close stops the table's lease timer; calling it again does nothing.
// State is not released (persisted client records stay for the next
// boot's reclaims), and the table must not be used afterwards.
func (t *Table) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if t.timer != nil {
		t.timer.Stop()
	}
	return nil
}

// schedule arms the sweep timer: every half lease.
func (t *Table) schedule() {
	t.timer = t.clock.AfterFunc(t.opts.Lease/2, func() {
		t.sweep(context.Background())
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.closed {
			t.schedule()
		}
	})
}

// sweep releases the state of clients expired past the courtesy time and
// forgets unconfirmed records older than a lease. The Table calls it by
// itself every half lease.
func (t *Table) sweep(ctx context.Context) {
	now := t.clock.Now()
	t.mu.Lock()
	var purge []*Client
	for _, c := range t.clients {
		switch {
		case c.gone:
		case !c.confirmed:
			if now.Sub(c.renewed) > t.opts.Lease {
				t.forget(c)
			}
		case t.courtesyOver(c, now):
			purge = append(purge, c)
		}
	}
	t.mu.Unlock()
	for _, c := range purge {
		t.purge(ctx, c, "lease expired")
	}
}

// EndGrace is told that the grace period is over: the grace period of
// the lock managers, which is the one setting of it (locking.Options.Grace),
// so that NFSv4 and NLM reclaims end together. It forgets the persisted
// records of previous-boot clients that have not come back; a later
// restart does not let them reclaim. Calls after the first do nothing.
func (t *Table) EndGrace(ctx context.Context) {
	t.mu.Lock()
	var stale []string
	if !t.cleaned {
		t.cleaned = true
		for name := range t.previous {
			if n := t.byName[name]; n == nil || n.confirmed == nil {
				stale = append(stale, name)
			}
		}
	}
	t.mu.Unlock()
	if len(stale) > 0 {
		t.persist(ctx, func(tx store.Tx) error {
			for _, name := range stale {
				if err := tx.Delete(t.nameKey(name)); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// courtesyOver reports whether c's state is to be released now.
func (t *Table) courtesyOver(c *Client, now time.Time) bool {
	idle := now.Sub(c.renewed)
	if idle <= t.opts.Lease {
		return false
	}
	if t.opts.Courtesy < 0 {
		return true
	}
	return idle > t.opts.Lease+t.opts.Courtesy
}

// clientID composes a clientid from the epoch and a client's index.
func (t *Table) clientID(idx uint32) uint64 { return uint64(t.epoch)<<32 | uint64(idx) }

// counts returns the client records (confirmed, unconfirmed and
// expired) and the owners and stateids the table holds, for metrics and
// for tests of its bounds.
func (t *Table) counts() (clients, states int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.clients), t.nStates
}

package locking

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/dittofs/dittofs/store"
)

// Defaults of Options.
const (
	DefaultGrace         = 90 * time.Second
	DefaultRecallTimeout = 90 * time.Second
	DefaultMaxLocks      = 1 << 20
	DefaultMaxWaiters    = 1 << 16
)

// Options configure a Manager. The zero value is an in-memory manager with
// the default grace period.
type Options struct {
	// Persist, when not nil, is the share's metadata store; the held
	// locks and share reservations of every file are kept in it under
	// KeyPrefix.
	Persist store.Metadata
	// KeyPrefix is the prefix of the Manager's keys in Persist ("\xffLK"
	// by default, after every key of store.FS). Two Managers sharing a
	// store need different prefixes.
	KeyPrefix []byte
	// Clock is the source of time (the system clock by default).
	Clock Clock
	// Grace is the grace period after Open during which only reclaims
	// are granted (DefaultGrace); negative means none. With Persist set
	// and nothing held before the restart there is no grace period.
	Grace time.Duration
	// RecallTimeout is how long a grant's break may take before the grant
	// is revoked (DefaultRecallTimeout).
	RecallTimeout time.Duration
	// MaxLocks bounds the locks and share reservations held across the
	// manager, MaxWaiters the queued requests; beyond them requests fail
	// with ErrNoLocks.
	MaxLocks, MaxWaiters int
	// Logger receives persistence failures; nil discards.
	Logger *slog.Logger
}

// ErrNoLocks means the manager's bounds are reached (NLM4_DENIED_NOLOCKS).
var ErrNoLocks = errorString("locking: too many locks")

type errorString string

func (e errorString) Error() string { return string(e) }

// Manager is the lock manager of one share. It is safe for concurrent use.
type Manager struct {
	opts   Options
	clock  Clock
	log    *slog.Logger
	prefix []byte

	mu       sync.Mutex
	files    map[uint64]*file
	waiting  map[Owner][]*waiter
	grants   map[GrantID]*grant
	nextID   GrantID
	nlocks   int
	nwait    int
	epoch    uint64
	grace    bool
	graceEnd time.Time
	pending  map[clientKey]bool // clients that held state before the restart and have not completed reclaim
	closed   bool
}

type file struct {
	id      uint64
	locks   []heldLock
	shares  []share
	waiters []*waiter
	grants  []*grant
}

func (f *file) empty() bool {
	return len(f.locks) == 0 && len(f.shares) == 0 && len(f.waiters) == 0 && len(f.grants) == 0
}

type heldLock struct {
	owner       Owner
	first, last uint64
	excl        bool
}

func (l heldLock) lock() Lock {
	return Lock{Owner: l.owner, Range: rangeOf(l.first, l.last), Exclusive: l.excl}
}

type share struct {
	owner        Owner
	access, deny Mode
}

type waiter struct {
	file        uint64
	owner       Owner
	first, last uint64
	excl        bool
	granted     func(error)
}

// Open returns the Manager of a share. With o.Persist set it reads the
// state held before a restart, starts a new boot epoch, and starts the
// grace period if anything was held.
func Open(ctx context.Context, o Options) (*Manager, error) {
	m := &Manager{
		opts:    o,
		clock:   o.Clock,
		log:     o.Logger,
		prefix:  o.KeyPrefix,
		files:   make(map[uint64]*file),
		waiting: make(map[Owner][]*waiter),
		grants:  make(map[GrantID]*grant),
		pending: make(map[clientKey]bool),
	}
	if m.clock == nil {
		m.clock = realClock{}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.prefix == nil {
		m.prefix = []byte("\xffLK")
	}
	if m.opts.Grace == 0 {
		m.opts.Grace = DefaultGrace
	}
	if m.opts.RecallTimeout <= 0 {
		m.opts.RecallTimeout = DefaultRecallTimeout
	}
	if m.opts.MaxLocks <= 0 {
		m.opts.MaxLocks = DefaultMaxLocks
	}
	if m.opts.MaxWaiters <= 0 {
		m.opts.MaxWaiters = DefaultMaxWaiters
	}
	startGrace := true
	if o.Persist != nil {
		prev, err := m.load(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range prev {
			for _, l := range r.locks {
				m.pending[l.owner.client()] = true
			}
			for _, s := range r.shares {
				m.pending[s.owner.client()] = true
			}
		}
		startGrace = len(m.pending) > 0
	}
	if startGrace && m.opts.Grace > 0 {
		m.grace = true
		m.graceEnd = m.clock.Now().Add(m.opts.Grace)
	} else if o.Persist != nil {
		if err := m.cleanup(ctx); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Close aborts every blocked request (their Granted gets ErrCanceled) and
// stops the recall timers. The persisted state stays for the next Open.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	var after []func()
	for _, f := range m.files {
		for _, w := range f.waiters {
			after = appendCallback(after, w.granted, ErrCanceled)
		}
		f.waiters = nil
		for _, g := range f.grants {
			if g.timer != nil {
				g.timer.Stop()
			}
		}
	}
	m.waiting = make(map[Owner][]*waiter)
	m.mu.Unlock()
	run(after)
	return nil
}

func appendCallback(after []func(), f func(error), err error) []func() {
	if f == nil {
		return after
	}
	return append(after, func() { f(err) })
}

func run(fs []func()) {
	for _, f := range fs {
		f()
	}
}

// InGrace reports whether the share is in its grace period.
func (m *Manager) InGrace(ctx context.Context) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inGrace(ctx)
}

// GraceEnd returns when the grace period ends (the zero time when there is
// none).
func (m *Manager) GraceEnd() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.grace {
		return time.Time{}
	}
	return m.graceEnd
}

// inGrace ends the grace period when its time is up or every client that
// held state has completed its reclaim.
func (m *Manager) inGrace(ctx context.Context) bool {
	if !m.grace {
		return false
	}
	if !m.clock.Now().Before(m.graceEnd) || (m.opts.Persist != nil && len(m.pending) == 0) {
		m.grace = false
		m.pending = nil
		if m.opts.Persist != nil {
			// The caller's cancellation must not leave the old state behind.
			if err := m.cleanup(context.WithoutCancel(ctx)); err != nil {
				m.log.Warn("locking: removing state of the previous boot", "err", err)
			}
		}
	}
	return m.grace
}

// checkGrace returns the error for a request made now.
func (m *Manager) checkGrace(ctx context.Context, reclaim bool) error {
	if m.closed {
		return ErrClosed
	}
	g := m.inGrace(ctx)
	switch {
	case g && !reclaim:
		return ErrGrace
	case !g && reclaim:
		return ErrNoGrace
	}
	return nil
}

// ReclaimComplete records that a client has reclaimed everything it will
// (NFSv4.1 RECLAIM_COMPLETE); when every client that held state before the
// restart has, the grace period ends early.
func (m *Manager) ReclaimComplete(ctx context.Context, proto Proto, client string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, clientKey{proto, client})
	m.inGrace(ctx)
}

func (m *Manager) file(id uint64) *file {
	f := m.files[id]
	if f == nil {
		f = &file{id: id}
		m.files[id] = f
	}
	return f
}

func (m *Manager) forget(f *file) {
	if f.empty() {
		delete(m.files, f.id)
	}
}

// Request is a byte-range lock request.
type Request struct {
	Owner     Owner
	Range     Range
	Exclusive bool
	// Reclaim marks a reclaim of a lock held before a restart; only
	// reclaims are granted in the grace period, and only then.
	Reclaim bool
	// Block queues a conflicting request instead of failing it: Lock
	// returns ErrBlocked and Granted is called when the lock is granted
	// (with nil) or the request is aborted (with ErrCanceled). A
	// request identical to one already queued (owner, range, type) is
	// not queued twice.
	Block bool
	// DetectDeadlock makes a blocking request that would close a cycle
	// of owners waiting for each other fail with ErrDeadlock.
	DetectDeadlock bool
	// Granted is called once, never with the manager's lock held.
	Granted func(err error)
}

// Lock takes a byte-range lock on file for r.Owner. A lock that conflicts
// with another owner's lock fails with a *ConflictError (ErrDenied) or,
// with r.Block, is queued (ErrBlocked). One that conflicts with another
// client's recallable grant starts a break and fails with ErrBreaking, or
// is queued with r.Block. A lock over the owner's own locks replaces them
// where they overlap.
func (m *Manager) Lock(ctx context.Context, fileID uint64, r Request) error {
	var after []func()
	m.mu.Lock()
	err := m.lock(ctx, fileID, r, &after)
	m.mu.Unlock()
	run(after)
	return err
}

func (m *Manager) lock(ctx context.Context, fileID uint64, r Request, after *[]func()) error {
	if err := m.checkGrace(ctx, r.Reclaim); err != nil {
		return err
	}
	f := m.file(fileID)
	defer m.forget(f)
	first, last := r.Range.Off, r.Range.last()
	if c := conflict(f.locks, r.Owner, first, last, r.Exclusive); c != nil {
		if !r.Block {
			return &ConflictError{Holder: c.lock()}
		}
		return m.enqueue(f, r, first, last)
	}
	if gs := conflictingGrants(f, r.Owner.client(), r.Exclusive); len(gs) > 0 {
		m.startBreaks(gs, r.Exclusive, after)
		if !r.Block {
			return ErrBreaking
		}
		return m.enqueue(f, r, first, last)
	}
	if m.nlocks >= m.opts.MaxLocks {
		return ErrNoLocks
	}
	return m.commit(ctx, f, setLock(f.locks, r.Owner, first, last, r.Exclusive), f.shares, after)
}

func (m *Manager) enqueue(f *file, r Request, first, last uint64) error {
	for _, w := range f.waiters {
		if w.owner == r.Owner && w.first == first && w.last == last && w.excl == r.Exclusive {
			return ErrBlocked
		}
	}
	if r.DetectDeadlock && m.wouldDeadlock(f, r.Owner, first, last, r.Exclusive) {
		return ErrDeadlock
	}
	if m.nwait >= m.opts.MaxWaiters {
		return ErrNoLocks
	}
	w := &waiter{file: f.id, owner: r.Owner, first: first, last: last, excl: r.Exclusive, granted: r.Granted}
	f.waiters = append(f.waiters, w)
	m.waiting[r.Owner] = append(m.waiting[r.Owner], w)
	m.nwait++
	return ErrBlocked
}

func (m *Manager) dropWaiter(f *file, w *waiter) {
	f.waiters = slices.DeleteFunc(f.waiters, func(x *waiter) bool { return x == w })
	ws := slices.DeleteFunc(m.waiting[w.owner], func(x *waiter) bool { return x == w })
	if len(ws) == 0 {
		delete(m.waiting, w.owner)
	} else {
		m.waiting[w.owner] = ws
	}
	m.nwait--
}

// wouldDeadlock reports whether owner o waiting for [first, last] of f
// closes a cycle in the waits-for graph: some owner that blocks o waits,
// directly or through others, for o.
func (m *Manager) wouldDeadlock(f *file, o Owner, first, last uint64, excl bool) bool {
	seen := make(map[Owner]bool)
	stack := blockers(f.locks, o, first, last, excl, nil)
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if h == o {
			return true
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		for _, w := range m.waiting[h] {
			if wf := m.files[w.file]; wf != nil {
				stack = blockers(wf.locks, h, w.first, w.last, w.excl, stack)
			}
		}
	}
	return false
}

// commit persists and installs new locks and shares for f, granting every
// queued request that no longer conflicts, in queue order. The callbacks
// of granted requests are appended to after.
func (m *Manager) commit(ctx context.Context, f *file, locks []heldLock, shares []share, after *[]func()) error {
	var granted []*waiter
	for _, w := range f.waiters {
		if conflict(locks, w.owner, w.first, w.last, w.excl) != nil {
			continue
		}
		if len(conflictingGrants(f, w.owner.client(), w.excl)) > 0 {
			continue
		}
		locks = setLock(locks, w.owner, w.first, w.last, w.excl)
		granted = append(granted, w)
	}
	if err := m.save(ctx, f.id, locks, shares); err != nil {
		return err
	}
	m.nlocks += len(locks) + len(shares) - len(f.locks) - len(f.shares)
	f.locks, f.shares = locks, shares
	for _, w := range granted {
		m.dropWaiter(f, w)
		*after = appendCallback(*after, w.granted, nil)
	}
	return nil
}

// Unlock releases r of owner's locks on file, splitting locks that extend
// past it, and grants the queued requests it unblocks. Unlocking what is
// not locked is not an error.
func (m *Manager) Unlock(ctx context.Context, fileID uint64, o Owner, r Range) error {
	var after []func()
	m.mu.Lock()
	err := m.unlock(ctx, fileID, o, r, &after)
	m.mu.Unlock()
	run(after)
	return err
}

func (m *Manager) unlock(ctx context.Context, fileID uint64, o Owner, r Range, after *[]func()) error {
	if m.closed {
		return ErrClosed
	}
	f := m.files[fileID]
	if f == nil {
		return nil
	}
	defer m.forget(f)
	nl, changed := unlockRange(f.locks, o, r.Off, r.last())
	if !changed {
		return nil
	}
	return m.commit(ctx, f, nl, f.shares, after)
}

// Test reports the first lock of another owner that conflicts with the
// lock o would take on r, or nil. In the grace period it fails with
// ErrGrace (NLM4_DENIED_GRACE_PERIOD, NFS4ERR_GRACE).
func (m *Manager) Test(ctx context.Context, fileID uint64, o Owner, r Range, exclusive bool) (*Lock, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkGrace(ctx, false); err != nil {
		return nil, err
	}
	f := m.files[fileID]
	if f == nil {
		return nil, nil
	}
	if c := conflict(f.locks, o, r.Off, r.last(), exclusive); c != nil {
		l := c.lock()
		return &l, nil
	}
	return nil, nil
}

// Cancel removes the queued request of o for exactly r and type exclusive
// and reports whether there was one. Its Granted is not called. When
// Cancel returns false the request was granted (or never queued).
func (m *Manager) Cancel(fileID uint64, o Owner, r Range, exclusive bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.files[fileID]
	if f == nil {
		return false
	}
	first, last := r.Off, r.last()
	for _, w := range f.waiters {
		if w.owner == o && w.first == first && w.last == last && w.excl == exclusive {
			m.dropWaiter(f, w)
			m.forget(f)
			return true
		}
	}
	return false
}

// Wait takes a lock, waiting for conflicting locks to go away until ctx
// ends. It is Lock with Block set and a Granted that wakes the caller;
// when ctx ends first the request is canceled and ctx's error returned.
func (m *Manager) Wait(ctx context.Context, fileID uint64, r Request) error {
	ch := make(chan error, 1)
	r.Block = true
	r.Granted = func(err error) { ch <- err }
	err := m.Lock(ctx, fileID, r)
	if err != ErrBlocked {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		if m.Cancel(fileID, r.Owner, r.Range, r.Exclusive) {
			return ctx.Err()
		}
		return <-ch
	}
}

// Locks returns the locks held on file, for tests and diagnostics.
func (m *Manager) Locks(fileID uint64) []Lock {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.files[fileID]
	if f == nil {
		return nil
	}
	out := make([]Lock, len(f.locks))
	for i, l := range f.locks {
		out[i] = l.lock()
	}
	return out
}

// ReleaseClient drops every lock, share reservation, grant and queued
// request of a client: NLM FREE_ALL and SM_NOTIFY of a client's reboot,
// NFSv4 lease expiry. Queued requests of the client are aborted
// (ErrCanceled); requests of others that this unblocks are granted.
func (m *Manager) ReleaseClient(ctx context.Context, proto Proto, client string) error {
	ck := clientKey{proto, client}
	return m.release(ctx, func(o Owner) bool { return o.client() == ck })
}

// ReleaseOwner drops every lock, share reservation and queued request of
// one owner (NFSv4 RELEASE_LOCKOWNER, an SMB handle's close).
func (m *Manager) ReleaseOwner(ctx context.Context, o Owner) error {
	return m.release(ctx, func(x Owner) bool { return x == o })
}

func (m *Manager) release(ctx context.Context, match func(Owner) bool) error {
	var after []func()
	m.mu.Lock()
	var errs []error
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	for _, f := range m.files {
		for _, w := range slices.Clone(f.waiters) {
			if match(w.owner) {
				m.dropWaiter(f, w)
				after = appendCallback(after, w.granted, ErrCanceled)
			}
		}
		ng := len(f.grants)
		for _, g := range slices.Clone(f.grants) {
			if match(Owner{Proto: g.client.proto, Client: g.client.client}) {
				m.dropGrant(f, g)
			}
		}
		nl := slices.DeleteFunc(slices.Clone(f.locks), func(l heldLock) bool { return match(l.owner) })
		ns := slices.DeleteFunc(slices.Clone(f.shares), func(s share) bool { return match(s.owner) })
		if len(nl) != len(f.locks) || len(ns) != len(f.shares) || ng != len(f.grants) {
			if err := m.commit(ctx, f, nl, ns, &after); err != nil {
				errs = append(errs, err)
			}
		}
		m.forget(f)
	}
	m.mu.Unlock()
	run(after)
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

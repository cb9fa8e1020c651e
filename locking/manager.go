package locking

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/store"
)

// Defaults of Options.
const (
	DefaultGrace         = 90 * time.Second
	DefaultRecallTimeout = 90 * time.Second
	DefaultMaxLocks      = 1 << 20
	DefaultMaxWaiters    = 1 << 16
	// DefaultMaxPerFile bounds the locks and share reservations of one
	// file: many more than any real workload holds (an HPC job's
	// processes each opening one shared file), few enough that a
	// hostile client cannot grow a file's state without bound.
	DefaultMaxPerFile = 1 << 17
	// DefaultMaxPerClient bounds the locks and share reservations of one
	// client across the share.
	DefaultMaxPerClient = 1 << 18
)

// limitLogInterval is the least time between two log lines about reached
// bounds; the lines in between are counted, not written.
const limitLogInterval = time.Minute

// Options configure a Manager. The zero value is an in-memory manager with
// the default grace period.
type Options struct {
	// Persist, when not nil, is the share's metadata store; the held
	// locks and share reservations of every file are kept in it under
	// KeyPrefix.
	Persist store.Metadata
	// KeyPrefix is the prefix of the Manager's keys in Persist (by
	// default the store namespace "locking", KeyPrefix below; keys an
	// older version kept under "\xffLK" are moved there by Open). Two
	// Managers sharing a store need different prefixes, each KeyPrefix
	// followed by a name, so that Check knows their keys.
	KeyPrefix []byte
	// Clock is the source of time and timers (grace period, recall
	// timeouts); nil is the system clock. Any value with the methods
	// Now() time.Time and AfterFunc(time.Duration, func())
	// interface{ Stop() bool } is one.
	Clock clock.Clock
	// Grace is the grace period after Open during which only reclaims
	// are granted (DefaultGrace); negative means none. With Persist set
	// and nothing held before the restart there is no grace period.
	Grace time.Duration
	// RecallTimeout is how long a grant's break may take before the grant
	// is revoked (DefaultRecallTimeout).
	RecallTimeout time.Duration
	// MaxLocks bounds the locks and share reservations held across the
	// manager, MaxPerFile those of one file (DefaultMaxPerFile),
	// MaxPerClient those of one client (DefaultMaxPerClient), and
	// MaxWaiters the queued requests; a request that would pass one
	// fails with a *LimitError (ErrNoLocks: NFS4ERR_RESOURCE,
	// NLM4_DENIED_NOLOCKS), is counted in Stats and logged, at most one
	// line a minute.
	MaxLocks, MaxWaiters     int
	MaxPerFile, MaxPerClient int
	// Logger receives persistence failures and reached bounds; nil
	// discards.
	Logger *slog.Logger
}

// ErrNoLocks means the manager's bounds are reached (NLM4_DENIED_NOLOCKS).
var ErrNoLocks = errorString("locking: too many locks")

type errorString string

func (e errorString) Error() string { return string(e) }

// Limit names one of the bounds of Options.
type Limit uint8

// The bounds.
const (
	LimitManager Limit = iota // Options.MaxLocks
	LimitFile                 // Options.MaxPerFile
	LimitClient               // Options.MaxPerClient
	LimitWaiters              // Options.MaxWaiters
	numLimits
)

func (l Limit) String() string {
	switch l {
	case LimitManager:
		return "locks"
	case LimitFile:
		return "per-file"
	case LimitClient:
		return "per-client"
	case LimitWaiters:
		return "waiters"
	}
	return fmt.Sprintf("limit(%d)", uint8(l))
}

// LimitError is ErrNoLocks with the bound that was reached.
type LimitError struct {
	Limit  Limit
	Max    int
	File   uint64
	Client string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("locking: %v bound of %d reached (file %d, client %q)", e.Limit, e.Max, e.File, e.Client)
}

// Is makes a LimitError match ErrNoLocks.
func (e *LimitError) Is(target error) bool { return target == ErrNoLocks }

// Stats are the Manager's figures.
type Stats struct {
	Files, Locks, Shares, Waiters, Grants int
	// LimitHits counts the requests refused by each bound, by Limit.
	LimitHits [numLimits]uint64
}

// Manager is the lock manager of one share. It is safe for concurrent use.
type Manager struct {
	opts   Options
	clock  clock.Clock
	log    *slog.Logger
	prefix []byte

	mu       sync.Mutex
	files    map[uint64]*file
	owners   map[Owner]map[uint64]*ownerState // the files each owner holds state on
	clients  map[clientKey]*clientState
	waiting  map[Owner][]*waiter
	grants   map[GrantID]*grant
	nGrants  map[clientKey]int // grants held by each client (HasGrants)
	nextID   GrantID
	nlocks   int // locks and share reservations
	nshares  int
	nwait    int
	epoch    uint64
	grace    bool
	graceEnd time.Time
	pending  map[clientKey]bool // clients that held state before the restart and have not completed reclaim
	closed   bool

	hits [numLimits]uint64
	logs ratelog.Limiter // lines about reached bounds
}

// clientState is what a client holds across the manager.
type clientState struct {
	held   int           // locks and share reservations
	owners map[Owner]int // owners with state, and on how many files
}

// file is the state of one file. Every count is kept as the state
// changes, so that no request scans the file's owners.
type file struct {
	id      uint64
	owners  map[Owner]*ownerState
	excl    lockTree // exclusive locks of every owner
	shared  lockTree // shared locks of every owner
	seq     uint64
	nlocks  int
	total   use                // the whole file's
	clients map[clientKey]*use // each client's
	waiters []*waiter
	grants  []*grant
}

// use counts locks and share reservations of a file.
type use struct {
	locks, excl int
	shares      int
	acc, deny   [2]int // shares with read and write access, denying read and write
	strong      int    // shares with write access or denying read: a read grant of another client conflicts
}

func (u *use) addLock(excl bool, d int) {
	u.locks += d
	if excl {
		u.excl += d
	}
}

// add adds v's counts to u.
func (u *use) add(v *use) {
	u.locks += v.locks
	u.excl += v.excl
	u.shares += v.shares
	u.strong += v.strong
	for i := range u.acc {
		u.acc[i] += v.acc[i]
		u.deny[i] += v.deny[i]
	}
}

func (u *use) addShare(s share, d int) {
	u.shares += d
	for i, b := range [2]Mode{ModeRead, ModeWrite} {
		if s.access&b != 0 {
			u.acc[i] += d
		}
		if s.deny&b != 0 {
			u.deny[i] += d
		}
	}
	if s.access&ModeWrite != 0 || s.deny&ModeRead != 0 {
		u.strong += d
	}
}

func (f *file) empty() bool {
	return len(f.owners) == 0 && len(f.waiters) == 0 && len(f.grants) == 0
}

func (f *file) held() int { return f.nlocks + f.total.shares }

func (f *file) tree(excl bool) *lockTree {
	if excl {
		return &f.excl
	}
	return &f.shared
}

// ownerState is one owner's locks and share reservation on one file.
type ownerState struct {
	owner    Owner
	file     *file
	locks    []*lockNode // sorted, disjoint
	share    share
	hasShare bool
	enc      []byte // the owner's encoding in keys
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
		clock:   clock.Or(o.Clock),
		log:     o.Logger,
		prefix:  o.KeyPrefix,
		files:   make(map[uint64]*file),
		owners:  make(map[Owner]map[uint64]*ownerState),
		clients: make(map[clientKey]*clientState),
		waiting: make(map[Owner][]*waiter),
		grants:  make(map[GrantID]*grant),
		nGrants: make(map[clientKey]int),
		pending: make(map[clientKey]bool),
	}
	m.logs.Interval, m.logs.Now = limitLogInterval, m.clock.Now
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.prefix == nil {
		m.prefix = KeyPrefix
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
	if m.opts.MaxPerFile <= 0 {
		m.opts.MaxPerFile = DefaultMaxPerFile
	}
	if m.opts.MaxPerClient <= 0 {
		m.opts.MaxPerClient = DefaultMaxPerClient
	}
	startGrace := true
	if o.Persist != nil {
		if o.KeyPrefix == nil {
			if _, err := store.MigrateNamespace(ctx, o.Persist, "locking"); err != nil {
				return nil, err
			}
		}
		prev, err := m.load(ctx)
		if err != nil {
			return nil, err
		}
		for c := range prev {
			m.pending[c] = true
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

// Stats returns the manager's figures.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{Files: len(m.files), Locks: m.nlocks - m.nshares, Shares: m.nshares,
		Waiters: m.nwait, Grants: len(m.grants), LimitHits: m.hits}
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
		f = &file{id: id, owners: make(map[Owner]*ownerState), clients: make(map[clientKey]*use)}
		m.files[id] = f
	}
	return f
}

func (m *Manager) forget(f *file) {
	if f.empty() {
		delete(m.files, f.id)
	}
}

// ownerOn returns o's state on f, made empty when there is none; tidy
// drops it again if it stays empty.
func (m *Manager) ownerOn(f *file, o Owner) *ownerState {
	os := f.owners[o]
	if os != nil {
		return os
	}
	os = &ownerState{owner: o, file: f}
	f.owners[o] = os
	byFile := m.owners[o]
	if byFile == nil {
		byFile = make(map[uint64]*ownerState)
		m.owners[o] = byFile
	}
	byFile[f.id] = os
	cs := m.clients[o.client()]
	if cs == nil {
		cs = &clientState{owners: make(map[Owner]int)}
		m.clients[o.client()] = cs
	}
	cs.owners[o]++
	return os
}

// tidy forgets an owner's state on a file that holds nothing.
func (m *Manager) tidy(os *ownerState) {
	if len(os.locks) > 0 || os.hasShare {
		return
	}
	f, o := os.file, os.owner
	if f.owners[o] != os {
		return
	}
	delete(f.owners, o)
	if byFile := m.owners[o]; byFile != nil {
		delete(byFile, f.id)
		if len(byFile) == 0 {
			delete(m.owners, o)
		}
	}
	if cs := m.clients[o.client()]; cs != nil {
		if cs.owners[o]--; cs.owners[o] <= 0 {
			delete(cs.owners, o)
		}
		if len(cs.owners) == 0 && cs.held == 0 {
			delete(m.clients, o.client())
		}
	}
}

// fileUse returns the counts of a client on f.
func (f *file) use(c clientKey) *use {
	u := f.clients[c]
	if u == nil {
		u = &use{}
		f.clients[c] = u
	}
	return u
}

// held adds d locks or share reservations of os to the counts.
func (m *Manager) held(os *ownerState, d int) {
	m.nlocks += d
	if cs := m.clients[os.owner.client()]; cs != nil {
		cs.held += d
	}
}

// admit checks that o may hold d more locks or share reservations on f.
func (m *Manager) admit(f *file, o Owner, d int) error {
	if d <= 0 {
		return nil
	}
	held := 0
	if cs := m.clients[o.client()]; cs != nil {
		held = cs.held
	}
	switch {
	case m.nlocks+d > m.opts.MaxLocks:
		return m.limit(LimitManager, m.opts.MaxLocks, f.id, o)
	case f.held()+d > m.opts.MaxPerFile:
		return m.limit(LimitFile, m.opts.MaxPerFile, f.id, o)
	case held+d > m.opts.MaxPerClient:
		return m.limit(LimitClient, m.opts.MaxPerClient, f.id, o)
	}
	return nil
}

// limit counts a request refused by bound l and logs it, at most one line
// per limitLogInterval.
func (m *Manager) limit(l Limit, max int, fileID uint64, o Owner) error {
	m.hits[l]++
	m.logs.Warn(m.log, "locking: bound reached, request refused", "limit", l.String(), "max", max,
		"file", fileID, "proto", o.Proto.String(), "client", o.Client)
	return &LimitError{Limit: l, Max: max, File: fileID, Client: o.Client}
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
	if c := f.conflict(r.Owner, first, last, r.Exclusive); c != nil {
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
	os := m.ownerOn(f, r.Owner)
	defer m.tidy(os)
	c := os.planSet(first, last, r.Exclusive)
	if err := m.admit(f, r.Owner, len(c.added)-len(c.removed)); err != nil {
		return err
	}
	if err := m.saveLocks(ctx, &c); err != nil {
		return err
	}
	m.applyLocks(&c)
	if len(c.removed) > 0 {
		// A downgrade or a cut may unblock queued requests.
		m.grantWaiters(ctx, f, after)
	}
	return nil
}

// applyLocks installs a planned change that was persisted.
func (m *Manager) applyLocks(c *lockChange) {
	os := c.os
	f := os.file
	u := f.use(os.owner.client())
	for _, n := range c.removed {
		f.tree(n.excl).remove(n)
		u.addLock(n.excl, -1)
		f.total.addLock(n.excl, -1)
	}
	for _, n := range c.added {
		f.seq++
		n.seq = f.seq
		f.tree(n.excl).insert(n)
		u.addLock(n.excl, +1)
		f.total.addLock(n.excl, +1)
	}
	os.locks = slices.Replace(os.locks, c.lo, c.hi, c.window...)
	d := len(c.added) - len(c.removed)
	f.nlocks += d
	m.held(os, d)
	if *u == (use{}) {
		delete(f.clients, os.owner.client())
	}
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
		return m.limit(LimitWaiters, m.opts.MaxWaiters, f.id, r.Owner)
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
	stack := f.blockers(o, first, last, excl, nil)
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
				stack = wf.blockers(h, w.first, w.last, w.excl, stack)
			}
		}
	}
	return false
}

// grantWaiters grants, in queue order, every queued request of f that no
// longer conflicts, each persisted in its own transaction. A request
// whose write fails stays queued. The callbacks are appended to after.
func (m *Manager) grantWaiters(ctx context.Context, f *file, after *[]func()) {
	for _, w := range slices.Clone(f.waiters) {
		if f.conflict(w.owner, w.first, w.last, w.excl) != nil {
			continue
		}
		if len(conflictingGrants(f, w.owner.client(), w.excl)) > 0 {
			continue
		}
		os := m.ownerOn(f, w.owner)
		c := os.planSet(w.first, w.last, w.excl)
		if err := m.saveLocks(ctx, &c); err != nil {
			m.log.Warn("locking: granting a queued request", "file", f.id, "err", err)
			m.tidy(os)
			continue
		}
		m.applyLocks(&c)
		m.tidy(os)
		m.dropWaiter(f, w)
		*after = appendCallback(*after, w.granted, nil)
	}
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
	os := f.owners[o]
	if os == nil {
		return nil
	}
	defer m.tidy(os)
	c := os.planUnlock(r.Off, r.last())
	if c.empty() {
		return nil
	}
	if err := m.admit(f, o, len(c.added)-len(c.removed)); err != nil {
		return err
	}
	if err := m.saveLocks(ctx, &c); err != nil {
		return err
	}
	m.applyLocks(&c)
	m.grantWaiters(ctx, f, after)
	return nil
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
	if c := f.conflict(o, r.Off, r.last(), exclusive); c != nil {
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

// Locks returns the locks held on file, in order of their start, for
// tests and diagnostics.
func (m *Manager) Locks(fileID uint64) []Lock {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.files[fileID]
	if f == nil {
		return nil
	}
	out := make([]Lock, 0, f.nlocks)
	add := func(n *lockNode) { out = append(out, n.lock()) }
	f.excl.root.each(0, math.MaxUint64, add)
	f.shared.root.each(0, math.MaxUint64, add)
	slices.SortStableFunc(out, func(a, b Lock) int { return cmp.Compare(a.Range.Off, b.Range.Off) })
	return out
}

// ReleaseClient drops every lock, share reservation, grant and queued
// request of a client: NLM FREE_ALL and SM_NOTIFY of a client's reboot,
// NFSv4 lease expiry. Queued requests of the client are aborted
// (ErrCanceled); requests of others that this unblocks are granted.
func (m *Manager) ReleaseClient(ctx context.Context, proto Proto, client string) error {
	ck := clientKey{proto, client}
	return m.release(ctx, func(o Owner) bool { return o.client() == ck }, func() []Owner {
		if cs := m.clients[ck]; cs != nil {
			return slices.Collect(maps.Keys(cs.owners))
		}
		return nil
	})
}

// ReleaseOwner drops every lock, share reservation and queued request of
// one owner (NFSv4 RELEASE_LOCKOWNER, an SMB handle's close).
func (m *Manager) ReleaseOwner(ctx context.Context, o Owner) error {
	return m.release(ctx, func(x Owner) bool { return x == o }, func() []Owner { return []Owner{o} })
}

// release drops the state of the owners match accepts; owners lists
// those of them that hold locks or share reservations.
func (m *Manager) release(ctx context.Context, match func(Owner) bool, owners func() []Owner) error {
	var after []func()
	m.mu.Lock()
	var errs []error
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	touched := map[*file]bool{}
	for o, ws := range m.waiting {
		if !match(o) {
			continue
		}
		for _, w := range slices.Clone(ws) {
			f := m.files[w.file]
			m.dropWaiter(f, w)
			after = appendCallback(after, w.granted, ErrCanceled)
			touched[f] = true
		}
	}
	for _, g := range m.grants {
		if match(Owner{Proto: g.client.proto, Client: g.client.client}) {
			f := m.files[g.file]
			m.dropGrant(f, g)
			touched[f] = true
		}
	}
	for _, o := range owners() {
		for _, os := range m.owners[o] {
			f := os.file
			touched[f] = true
			if err := m.dropOwner(ctx, os); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for f := range touched {
		m.grantWaiters(ctx, f, &after)
		m.forget(f)
	}
	m.mu.Unlock()
	run(after)
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// dropOwner removes every lock and the share reservation of one owner on
// one file.
func (m *Manager) dropOwner(ctx context.Context, os *ownerState) error {
	c := os.planRelease()
	var sh *share
	if os.hasShare {
		sh = &os.share
	}
	if err := m.saveOwnerRelease(ctx, &c, sh); err != nil {
		return err
	}
	m.applyLocks(&c)
	if os.hasShare {
		m.applyShare(os, share{}, false)
	}
	m.tidy(os)
	return nil
}

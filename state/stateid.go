package state

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/dittofs/dittofs/locking"
)

// Stateid is stateid4: a generation and an opaque "other" field.
type Stateid struct {
	Seqid uint32
	Other [12]byte
}

// File is a file of an export: its lock manager and node id.
type File struct {
	Mgr *locking.Manager
	ID  uint64
}

// Kind is the kind of a stateid.
type Kind uint8

// The kinds of stateids.
const (
	KindOpen Kind = iota + 1
	KindLock
)

// State is the state named by one stateid: an open (share reservation)
// of an open-owner on a file, or the byte-range locks of a lock-owner on
// a file.
type State struct {
	kind  Kind
	idx   uint32
	seqid uint32
	owner *Owner
	file  File
	// Opens: the union of the access and deny modes of the owner's
	// OPENs, the modes those OPENs asked for (bit m of usedAccess set
	// when an OPEN asked for access m; likewise usedDeny), for
	// OPEN_DOWNGRADE, and the lock states opened through this open.
	access, deny         locking.Mode
	usedAccess, usedDeny uint8
	locks                map[*State]bool
	// Locks: the open the lock-owner was created through.
	open   *State
	closed bool
}

// Kind returns the state's kind.
func (s *State) Kind() Kind { return s.kind }

// Owner returns the state's open-owner or lock-owner.
func (s *State) Owner() *Owner { return s.owner }

// File returns the state's file.
func (s *State) File() File { return s.file }

// Modes returns an open's access and deny modes (of its open for a lock
// state). The caller holds the owner's lock or tolerates a racing change.
func (s *State) Modes(t *Table) (access, deny locking.Mode) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.kind == KindLock && s.open != nil {
		return s.open.access, s.open.deny
	}
	return s.access, s.deny
}

// ShareOwner returns the lock manager owner of the share reservation of
// s: its open-owner's, or for a lock state its open's.
func (s *State) ShareOwner() locking.Owner {
	o := s.owner
	if s.kind == KindLock && s.open != nil {
		o = s.open.owner
	}
	return o.client.owner(o.key())
}

// Stateid returns the current stateid of s.
func (s *State) Stateid(t *Table) Stateid {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stateid(s)
}

func (t *Table) stateid(s *State) Stateid {
	var id Stateid
	id.Seqid = s.seqid
	binary.BigEndian.PutUint32(id.Other[0:], t.epoch)
	binary.BigEndian.PutUint32(id.Other[4:], s.owner.client.idx)
	binary.BigEndian.PutUint32(id.Other[8:], s.idx)
	return id
}

// Find returns the state of stateid id and renews its client's lease. A
// stateid of an earlier boot is ErrStaleStateid, one of a client whose
// state was released ErrExpired, an unknown one ErrBadStateid; an older
// generation is ErrOldStateid and a newer one ErrBadStateid. With
// current set a generation of 0 means the current one (NFSv4.1).
func (t *Table) Find(id Stateid, current bool) (*State, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, idx, err := t.clientOf(id)
	if err != nil {
		return nil, err
	}
	s := c.states[idx]
	if s == nil || s.closed {
		return nil, ErrBadStateid
	}
	switch {
	case current && id.Seqid == 0:
	case id.Seqid < s.seqid:
		return nil, ErrOldStateid
	case id.Seqid > s.seqid:
		return nil, ErrBadStateid
	}
	c.renewed = t.clock.Now()
	return s, nil
}

// clientOf returns the client of stateid id and the index of its state
// (t.mu held): ErrStaleStateid for another boot's, ErrBadStateid for an
// unknown client, ErrExpired for one whose state was released.
func (t *Table) clientOf(id Stateid) (*Client, uint32, error) {
	if binary.BigEndian.Uint32(id.Other[0:]) != t.epoch {
		return nil, 0, ErrStaleStateid
	}
	c := t.clients[binary.BigEndian.Uint32(id.Other[4:])]
	if c == nil || !c.confirmed {
		return nil, 0, ErrBadStateid
	}
	if c.gone {
		return nil, 0, ErrExpired
	}
	return c, binary.BigEndian.Uint32(id.Other[8:]), nil
}

// OwnerOf returns the owner of stateid id of kind k whatever its
// generation, for the seqid check of CLOSE, OPEN_CONFIRM, OPEN_DOWNGRADE,
// LOCK and LOCKU, which comes before the stateid's (RFC 7530 §9.1.7): a
// retransmission carries the stateid as it was. An NFSv4.0 owner is also
// found through the stateid it dropped last (a retransmitted CLOSE). The
// errors are Find's (a stateid of another kind is ErrBadStateid), and
// the lease is renewed as there.
func (t *Table) OwnerOf(id Stateid, k Kind) (*Owner, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, idx, err := t.clientOf(id)
	if err != nil {
		return nil, err
	}
	var o *Owner
	if s := c.states[idx]; s != nil && !s.closed {
		o = s.owner
	} else {
		o = c.closed[idx]
	}
	if o == nil || o.lock != (k == KindLock) {
		return nil, ErrBadStateid
	}
	c.renewed = t.clock.Now()
	return o, nil
}

// newState adds a state of o on f (t.mu held).
func (t *Table) newState(o *Owner, k Kind, f File) (*State, error) {
	c := o.client
	if o.forgotten {
		// A lock-owner reached through a stateid that a CLOSE dropped
		// meanwhile.
		return nil, ErrBadStateid
	}
	if t.nStates >= t.opts.MaxStates {
		return nil, ErrResource
	}
	for {
		c.nextState++
		_, used := c.states[c.nextState]
		if _, dropped := c.closed[c.nextState]; c.nextState != 0 && !used && !dropped {
			break
		}
	}
	s := &State{kind: k, idx: c.nextState, owner: o, file: f}
	if k == KindOpen {
		s.locks = map[*State]bool{}
	}
	c.states[s.idx] = s
	o.states[f] = s
	t.nStates++
	return s, nil
}

// dropState removes s (t.mu held).
func (t *Table) dropState(s *State) {
	if s.closed {
		return
	}
	s.closed = true
	c := s.owner.client
	if c.states[s.idx] == s {
		delete(c.states, s.idx)
		t.nStates--
	}
	if s.owner.states[s.file] == s {
		delete(s.owner.states, s.file)
	}
	if s.open != nil {
		delete(s.open.locks, s)
	}
	if o := s.owner; c.v41 == nil && !o.forgotten && !c.gone {
		// A 4.0 owner keeps its last reply for a retransmission, which
		// names this stateid (RFC 7530 §9.1.7): one per owner.
		if o.lastClosed != 0 && c.closed[o.lastClosed] == o {
			delete(c.closed, o.lastClosed)
		}
		o.lastClosed = s.idx
		c.closed[s.idx] = o
	}
	t.forgetIdle(s.owner)
}

// bump advances the generation of s (t.mu held).
func bump(s *State) {
	s.seqid++
	if s.seqid == 0 {
		s.seqid = 1
	}
}

// The lock manager persists what it holds in the share's store, so its
// calls below run without t.mu: the owner's lock (held by the caller)
// keeps the owner's states still, and a client released meanwhile
// (Purge) is noticed afterwards and what was just taken is given back.

// Open adds access and deny to the open of o on f (OPEN; hold o.Lock): a
// first OPEN makes a new open stateid (generation 1), a later one
// upgrades to the union of the modes and advances the generation. The
// share reservation goes through f's lock manager; one denied by an
// expired courtesy client's open releases that client and is tried
// again. Errors of the lock manager come back unchanged.
func (t *Table) Open(ctx context.Context, o *Owner, f File, access, deny locking.Mode, reclaim bool) (*State, Stateid, error) {
	t.mu.Lock()
	if o.client.gone {
		t.mu.Unlock()
		return nil, Stateid{}, ErrExpired
	}
	s := o.states[f]
	newAccess, newDeny := access, deny
	if s != nil {
		// The owner's own open counts like any other (RFC 7530 §9.9:
		// "no exception for an existing OPEN for the same
		// open_owner"); the lock manager only checks other owners.
		if access&s.deny != 0 || deny&s.access != 0 {
			t.mu.Unlock()
			return nil, Stateid{}, locking.ErrDenied
		}
		newAccess |= s.access
		newDeny |= s.deny
	}
	t.mu.Unlock()
	owner := o.client.owner(o.key())
	req := locking.ShareRequest{Owner: owner, Access: newAccess, Deny: newDeny, Reclaim: reclaim}
	err := f.Mgr.Share(ctx, f.ID, req)
	if errors.Is(err, locking.ErrDenied) && t.clearCourtesy(ctx, f, o.client, nil) {
		err = f.Mgr.Share(ctx, f.ID, req)
	}
	if err != nil {
		return nil, Stateid{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if o.client.gone {
		_ = f.Mgr.ReleaseOwner(ctx, owner)
		return nil, Stateid{}, ErrExpired
	}
	if s == nil {
		if s, err = t.newState(o, KindOpen, f); err != nil {
			_ = f.Mgr.Unshare(ctx, f.ID, owner)
			return nil, Stateid{}, err
		}
	}
	s.access, s.deny = newAccess, newDeny
	s.usedAccess |= 1 << access
	s.usedDeny |= 1 << deny
	bump(s)
	return s, t.stateid(s), nil
}

// unionOf reports whether m is the union of some of the modes in used
// (bit v set for mode v): of all those within m, which is the largest
// such union.
func unionOf(used uint8, m locking.Mode) bool {
	var u locking.Mode
	within := false
	for v := range locking.Mode(4) {
		if used&(1<<v) != 0 && v&^m == 0 {
			u |= v
			within = true
		}
	}
	return within && u == m
}

// within keeps the modes of used that are within m.
func within(used uint8, m locking.Mode) uint8 {
	for v := range locking.Mode(4) {
		if v&^m != 0 {
			used &^= 1 << v
		}
	}
	return used
}

// clearCourtesy releases the courtesy clients (other than self) that hold
// state on f, or only holder when it is not nil; it reports whether it
// released any.
func (t *Table) clearCourtesy(ctx context.Context, f File, self *Client, holder *Client) bool {
	now := t.clock.Now()
	var victims []*Client
	t.mu.Lock()
	for _, c := range t.clients {
		if c == self || c.gone || !c.confirmed || now.Sub(c.renewed) <= t.opts.Lease {
			continue
		}
		if holder != nil && c != holder {
			continue
		}
		for _, s := range c.states {
			if s.file == f {
				victims = append(victims, c)
				break
			}
		}
	}
	t.mu.Unlock()
	for _, c := range victims {
		t.purge(ctx, c, "courtesy client in the way of another client")
	}
	return len(victims) > 0
}

// Downgrade sets the modes of open s to access and deny (OPEN_DOWNGRADE;
// hold the owner's lock) and advances its generation. Each must be the
// union of the modes of some of the owner's OPENs of the file (RFC 7530
// §16.19), else ErrInval; the modes outside them count as never asked
// for afterwards.
func (t *Table) Downgrade(ctx context.Context, s *State, access, deny locking.Mode) (Stateid, error) {
	t.mu.Lock()
	if s.kind != KindOpen || s.closed {
		t.mu.Unlock()
		return Stateid{}, ErrBadStateid
	}
	if access == 0 || access&^s.access != 0 || deny&^s.deny != 0 ||
		!unionOf(s.usedAccess, access) || !unionOf(s.usedDeny, deny) {
		t.mu.Unlock()
		return Stateid{}, ErrInval
	}
	t.mu.Unlock()
	if err := s.file.Mgr.Share(ctx, s.file.ID, locking.ShareRequest{
		Owner: s.owner.client.owner(s.owner.key()), Access: access, Deny: deny}); err != nil {
		return Stateid{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.closed {
		return Stateid{}, ErrExpired
	}
	s.access, s.deny = access, deny
	s.usedAccess, s.usedDeny = within(s.usedAccess, access), within(s.usedDeny, deny)
	bump(s)
	return t.stateid(s), nil
}

// Confirm advances the generation of open s for OPEN_CONFIRM and marks
// its owner confirmed (hold the owner's lock).
func (t *Table) Confirm(s *State) Stateid {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.owner.confirmed.Store(true)
	bump(s)
	return t.stateid(s)
}

// CloseOpen ends open s (CLOSE; hold the owner's lock): the locks taken
// through it are released with their lock stateids, then its share
// reservation. It returns the stateid with its generation advanced.
func (t *Table) CloseOpen(ctx context.Context, s *State) (Stateid, error) {
	t.mu.Lock()
	if s.kind != KindOpen || s.closed {
		t.mu.Unlock()
		return Stateid{}, ErrBadStateid
	}
	locks := make([]*State, 0, len(s.locks))
	for ls := range s.locks {
		locks = append(locks, ls)
	}
	t.mu.Unlock()
	for _, ls := range locks {
		if err := s.file.Mgr.Unlock(ctx, s.file.ID, ls.owner.client.owner(ls.owner.key()), locking.Range{}); err != nil {
			return Stateid{}, err
		}
	}
	if err := s.file.Mgr.Unshare(ctx, s.file.ID, s.owner.client.owner(s.owner.key())); err != nil {
		return Stateid{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for ls := range s.locks {
		if !slices.Contains(locks, ls) {
			// Taken by a LOCK of another lock-owner that raced this
			// CLOSE (clients do not do that): give it back too, rare
			// enough to do under t.mu.
			_ = s.file.Mgr.Unlock(ctx, s.file.ID, ls.owner.client.owner(ls.owner.key()), locking.Range{})
		}
		t.dropState(ls)
	}
	bump(s)
	id := t.stateid(s)
	t.dropState(s)
	return id, nil
}

// Lock takes a byte-range lock for lock-owner lo on the file of open
// (LOCK; hold the owners' locks). The first lock of lo on the file makes
// its lock stateid (generation 1), later ones advance its generation. A
// conflict with an expired courtesy client's lock releases that client
// and tries again; other errors of the lock manager (a
// *locking.ConflictError for a conflict) come back unchanged.
func (t *Table) Lock(ctx context.Context, lo *Owner, open *State, r locking.Range, exclusive, reclaim bool) (*State, Stateid, error) {
	t.mu.Lock()
	if lo.client.gone {
		t.mu.Unlock()
		return nil, Stateid{}, ErrExpired
	}
	if open.kind != KindOpen || open.closed {
		t.mu.Unlock()
		return nil, Stateid{}, ErrBadStateid
	}
	t.mu.Unlock()
	f := open.file
	req := locking.Request{Owner: lo.client.owner(lo.key()), Range: r, Exclusive: exclusive, Reclaim: reclaim}
	err := f.Mgr.Lock(ctx, f.ID, req)
	var ce *locking.ConflictError
	if errors.As(err, &ce) && ce.Holder.Owner.Proto == locking.ProtoNFS4 {
		if h := t.clientByName(ce.Holder.Owner.Client); h != nil && t.clearCourtesy(ctx, f, lo.client, h) {
			err = f.Mgr.Lock(ctx, f.ID, req)
		}
	}
	if err != nil {
		return nil, Stateid{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if lo.client.gone || open.closed {
		// Released or closed while the lock was taken.
		_ = f.Mgr.Unlock(ctx, f.ID, req.Owner, r)
		if open.closed && !lo.client.gone {
			return nil, Stateid{}, ErrBadStateid
		}
		return nil, Stateid{}, ErrExpired
	}
	s := lo.states[f]
	if s == nil {
		if s, err = t.newState(lo, KindLock, f); err != nil {
			_ = f.Mgr.Unlock(ctx, f.ID, req.Owner, r)
			return nil, Stateid{}, err
		}
		s.open = open
		open.locks[s] = true
	}
	bump(s)
	return s, t.stateid(s), nil
}

// Unlock releases r of lock state s (LOCKU; hold the owner's lock) and
// advances its generation.
func (t *Table) Unlock(ctx context.Context, s *State, r locking.Range) (Stateid, error) {
	t.mu.Lock()
	if s.kind != KindLock || s.closed {
		t.mu.Unlock()
		return Stateid{}, ErrBadStateid
	}
	t.mu.Unlock()
	if err := s.file.Mgr.Unlock(ctx, s.file.ID, s.owner.client.owner(s.owner.key()), r); err != nil {
		return Stateid{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	bump(s)
	return t.stateid(s), nil
}

// LockingOwner is the lock manager owner of c's lock-owner name (LOCKT).
func LockingOwner(c *Client, name []byte) locking.Owner { return c.owner(lockKey(name)) }

// ReleaseLockOwner forgets lock-owner name of c (RELEASE_LOCKOWNER): it
// fails with ErrLocksHeld while the owner holds a lock; an unknown owner
// is not an error.
func (t *Table) ReleaseLockOwner(ctx context.Context, c *Client, name []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	lo := c.owners[ownerKey{true, string(name)}]
	if lo == nil {
		return nil
	}
	lk := c.owner(lo.key())
	for f := range lo.states {
		for _, l := range f.Mgr.Locks(f.ID) {
			if l.Owner == lk {
				return ErrLocksHeld
			}
		}
	}
	for _, s := range lo.states {
		t.dropState(s)
	}
	t.forgetOwner(lo)
	return nil
}

// Holder returns the clientid of the NFSv4 client of a lock manager
// owner, 0 when it is not a current client.
func (t *Table) Holder(o locking.Owner) uint64 {
	if o.Proto != locking.ProtoNFS4 {
		return 0
	}
	if c := t.clientByName(o.Client); c != nil {
		return c.ID
	}
	return 0
}

// Open returns the open a lock state was created through (nil for an
// open).
func (s *State) Open() *State { return s.open }

// Free frees lock state s without locks (FREE_STATEID); a lock state with
// locks, or an open, is ErrLocksHeld.
func (t *Table) Free(ctx context.Context, s *State) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.closed {
		return ErrBadStateid
	}
	if s.kind != KindLock {
		return ErrLocksHeld
	}
	lk := s.owner.client.owner(s.owner.key())
	for _, l := range s.file.Mgr.Locks(s.file.ID) {
		if l.Owner == lk {
			return ErrLocksHeld
		}
	}
	t.dropState(s)
	return nil
}

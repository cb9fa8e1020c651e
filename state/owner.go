package state

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
)

// ownerKey names an owner within its client.
type ownerKey struct {
	lock bool
	name string
}

// Owner is an open-owner or a lock-owner (RFC 7530 §9.1.5) with its
// sequence id and the reply of its last seqid-mutating operation, which a
// retransmission gets again (§9.1.7).
type Owner struct {
	// mu serializes the operations of the owner: hold it from Check to
	// Done.
	mu     sync.Mutex
	client *Client
	name   []byte
	lock   bool

	started   bool
	seqid     uint32
	reply     []byte
	confirmed atomic.Bool // open-owners: OPEN_CONFIRM done (always for 4.1)
	states    map[File]*State
	// lastClosed is the index of the owner's state that was dropped
	// last (a CLOSE, or a lock state going with its open), 0 for none:
	// a retransmission of the operation that dropped it still finds the
	// owner through it (t.mu guards it).
	lastClosed uint32

	// users counts the callers between Owner and PutOwner; forgotten
	// is set when the owner left its client's table (t.mu guards both).
	users     int
	forgotten bool
}

// Lock and Unlock serialize the operations of o.
func (o *Owner) Lock()   { o.mu.Lock() }
func (o *Owner) Unlock() { o.mu.Unlock() }

// Client returns the owner's client.
func (o *Owner) Client() *Client { return o.client }

// Name returns the owner's name (the opaque owner of open_owner4 or
// lock_owner4); the caller must not modify it.
func (o *Owner) Name() []byte { return o.name }

// Confirmed reports whether an open-owner has been confirmed.
func (o *Owner) Confirmed() bool { return o.confirmed.Load() }

// Confirm marks an open-owner confirmed (OPEN_CONFIRM, or any OPEN in
// 4.1 where there is no confirmation). Hold o.Lock.
func (o *Owner) Confirm() { o.confirmed.Store(true) }

// Check checks the seqid of an operation of o (hold o.Lock). It returns
// the cached reply when seqid is that of the last operation (a
// retransmission), nil when seqid is the next one, and ErrBadSeqid
// otherwise (also for an open-owner not yet confirmed: an OPEN out of
// sequence then starts the owner over, see CancelUnconfirmed). The first
// operation of an owner may use any seqid.
func (o *Owner) Check(seqid uint32) ([]byte, error) {
	switch {
	case !o.started:
		return nil, nil
	case seqid == o.seqid && o.reply != nil:
		return o.reply, nil
	case seqid == o.seqid+1:
		return nil, nil
	}
	return nil, ErrBadSeqid
}

// CancelUnconfirmed gives up the opens of an open-owner that has not
// been confirmed (hold o.Lock): an OPEN out of sequence means the client
// will not confirm the earlier one, and an OPEN_CONFIRM out of sequence
// that it will not confirm the OPEN it names (RFC 7530 §16.18). The
// owner starts over: its next operation may use any seqid. It reports
// whether o was unconfirmed.
func (t *Table) CancelUnconfirmed(ctx context.Context, o *Owner) bool {
	if o.lock || o.Confirmed() {
		return false
	}
	t.mu.Lock()
	opens := make([]*State, 0, len(o.states))
	for _, s := range o.states {
		opens = append(opens, s)
	}
	t.mu.Unlock()
	for _, s := range opens {
		if _, err := t.CloseOpen(ctx, s); err != nil {
			t.log.Warn("nfs4 state: giving up an unconfirmed open failed", "err", err)
		}
	}
	o.started, o.reply = false, nil
	return true
}

// Done records the end of an operation checked with seqid (hold o.Lock):
// when bump is set (the operation succeeded or failed with a status that
// advances the seqid, RFC 7530 §9.1.7) seqid becomes the owner's last
// and reply its cached reply.
func (o *Owner) Done(seqid uint32, bump bool, reply []byte) {
	if !bump {
		return
	}
	o.started, o.seqid = true, seqid
	o.reply = append(o.reply[:0], reply...)
}

// StartLock sets the seqid of lock-owner o from open_to_lock_owner4's
// lock_seqid (hold o.Lock): its next operation uses seqid+1. An owner
// that holds no lock state yet — one whose earlier LOCKs were all denied
// — starts over, as a new one would (Linux advances its lock seqid after
// a denial and sends the next LOCK as a new lock-owner again).
func (t *Table) StartLock(o *Owner, seqid uint32) {
	t.mu.Lock()
	fresh := len(o.states) == 0
	t.mu.Unlock()
	if !o.started || fresh {
		o.started, o.seqid, o.reply = true, seqid, nil
	}
}

// Owner returns the open-owner (lock false) or lock-owner (lock true) of
// client c named name, creating it when create is set; nil when it does
// not exist. It fails with ErrResource past the table's bounds and with
// ErrExpired when c's state has been released. Give a returned owner
// back with PutOwner when the operation is done: an NFSv4.1 client's
// owner that holds no state is forgotten then (4.1 has no seqids to
// replay, and the Linux client makes a lock-owner per process, so
// keeping them would grow the table without bound).
func (t *Table) Owner(c *Client, name []byte, lock, create bool) (*Owner, error) {
	if len(name) > MaxOwnerName {
		return nil, ErrInval
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.gone {
		return nil, ErrExpired
	}
	k := ownerKey{lock, string(name)}
	if o := c.owners[k]; o != nil || !create {
		if o != nil {
			o.users++
		}
		return o, nil
	}
	if t.nStates >= t.opts.MaxStates {
		return nil, ErrResource
	}
	o := &Owner{client: c, name: bytes.Clone(name), lock: lock, states: map[File]*State{}, users: 1}
	c.owners[k] = o
	t.nStates++
	return o, nil
}

// PutOwner gives back an owner Owner returned.
func (t *Table) PutOwner(o *Owner) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o.users > 0 {
		o.users--
	}
	t.forgetIdle(o)
}

// forgetIdle removes o from its client when it is an NFSv4.1 owner that
// nobody uses and that holds no state (t.mu held). NFSv4.0 owners stay
// until the client goes or RELEASE_LOCKOWNER: their seqid and last reply
// must survive for a retransmission.
func (t *Table) forgetIdle(o *Owner) {
	c := o.client
	if c.v41 == nil || o.users > 0 || len(o.states) > 0 || o.forgotten || c.gone {
		return
	}
	t.forgetOwner(o)
}

// forgetOwner removes o from its client (t.mu held).
func (t *Table) forgetOwner(o *Owner) {
	c := o.client
	o.forgotten = true
	if o.lastClosed != 0 && c.closed[o.lastClosed] == o {
		delete(c.closed, o.lastClosed)
	}
	k := ownerKey{o.lock, string(o.name)}
	if c.owners[k] == o {
		delete(c.owners, k)
		t.nStates--
	}
}

// key is the owner's key in the lock manager.
func (o *Owner) key() string {
	p := "o"
	if o.lock {
		p = "l"
	}
	return p + string(o.name)
}

// OwnerName splits a lock manager key of an NFSv4 owner into the kind
// and the owner's name (for LOCK4denied). ok is false for keys this
// package did not make.
func OwnerName(key string) (name []byte, lock, ok bool) {
	if len(key) == 0 || (key[0] != 'o' && key[0] != 'l') {
		return nil, false, false
	}
	return []byte(key[1:]), key[0] == 'l', true
}

// lockKey is the lock manager key of a lock-owner named name (LOCKT tests
// for an owner that may hold no state yet).
func lockKey(name []byte) string { return "l" + string(name) }

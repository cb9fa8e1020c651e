package state

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store"
)

// Client is one client record: confirmed (in use) or unconfirmed (waiting
// for SETCLIENTID_CONFIRM).
type Client struct {
	// ID is the clientid4.
	ID uint64
	// Name is nfs_client_id4.id, the client's identity across restarts.
	Name string
	// Verifier is the client's boot verifier.
	Verifier [8]byte
	// Principal is the identity of the caller that set the record.
	Principal string

	idx       uint32
	confirm   [8]byte
	cb        Callback
	confirmed bool
	gone      bool // state released (lease expired): stateids answer ErrExpired
	renewed   time.Time
	owners    map[ownerKey]*Owner
	states    map[uint32]*State
	closed    map[uint32]*Owner // 4.0: the state each owner dropped last, by index
	nextState uint32
	cbDown    atomic.Bool
	reclaimed bool
	v41       *session41 // NFSv4.1 clients (EXCHANGE_ID)
	// src is the source address the record is charged to (admit.go);
	// evicting is set once admission chose it to make room.
	src      netip.Prefix
	evicting bool
}

// CallbackDown reports whether the probe of the client's callback path
// failed (RENEW answers NFS4ERR_CB_PATH_DOWN).
func (c *Client) CallbackDown() bool { return c.cbDown.Load() }

// SetCallbackDown records the outcome of a callback probe.
func (c *Client) SetCallbackDown(down bool) { c.cbDown.Store(down) }

// Callback returns the client's callback address.
func (c *Client) Callback(t *Table) Callback {
	t.mu.Lock()
	defer t.mu.Unlock()
	return c.cb
}

// owner returns the lock manager owner of c with key.
func (c *Client) owner(key string) locking.Owner {
	return locking.Owner{Proto: locking.ProtoNFS4, Client: c.Name, Key: key}
}

// SetClientID handles SETCLIENTID (RFC 7530 §16.33, the case analysis of
// RFC 3530 §14.2.33) for a client name, boot verifier, the caller's
// principal and callback. It returns the clientid and the verifier to
// confirm it with. A name confirmed by another principal whose lease has
// not expired fails with an *InUseError.
//
// A new record is charged to the caller's address from (the zero Addr
// is one address of its own) and admitted under the table's bounds
// (Options.MaxClients, MaxClientsPerAddr, MaxUnconfirmedPerAddr), which
// may release a courtesy client to make room; past them it fails with
// ErrResource.
func (t *Table) SetClientID(ctx context.Context, from netip.Addr, name []byte, verf [8]byte, principal string, cb Callback) (uint64, [8]byte, error) {
	type result struct {
		id      uint64
		confirm [8]byte
	}
	r, err := admitting(t, ctx, func() (result, error) {
		id, confirm, err := t.setClientID(sourceOf(from), name, verf, principal, cb)
		return result{id, confirm}, err
	})
	return r.id, r.confirm, err
}

// setClientID is SetClientID charging a new record to src; a *needRoom
// error asks the caller to evict a courtesy client and try again.
func (t *Table) setClientID(src netip.Prefix, name []byte, verf [8]byte, principal string, cb Callback) (uint64, [8]byte, error) {
	if len(name) == 0 || len(name) > maxClientName {
		return 0, [8]byte{}, ErrInval
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	n := t.byName[string(name)]
	if n == nil {
		n = &names{}
	}
	if conf := n.confirmed; conf != nil && conf.Principal != principal &&
		!conf.gone && now.Sub(conf.renewed) <= t.opts.Lease {
		return 0, [8]byte{}, &InUseError{Callback: conf.cb}
	}
	var idx uint32
	if conf := n.confirmed; conf != nil && conf.Verifier == verf && conf.Principal == principal && !conf.gone {
		// Callback update: the same clientid with a new confirm
		// verifier; the confirmed record stays in use until then.
		idx = conf.idx
	}
	if u := n.unconfirmed; u != nil {
		t.forget(u)
	}
	if err := t.admit(src, now); err != nil {
		return 0, [8]byte{}, err
	}
	u := &Client{Name: string(name), Verifier: verf, Principal: principal, cb: cb, renewed: now}
	if _, err := rand.Read(u.confirm[:]); err != nil {
		return 0, [8]byte{}, err
	}
	if idx == 0 {
		idx = t.newIndex()
		t.clients[idx] = u
	}
	u.idx, u.ID = idx, t.clientID(idx)
	n.unconfirmed = u
	t.byName[u.Name] = n
	t.track(u, src)
	return u.ID, u.confirm, nil
}

// newIndex returns an unused client index (nonzero).
func (t *Table) newIndex() uint32 {
	for {
		t.nextClient++
		if t.nextClient == 0 {
			continue
		}
		if _, used := t.clients[t.nextClient]; !used {
			return t.nextClient
		}
	}
}

// evictOne makes room for a client record: an unconfirmed or expired
// record, the one idle longest. It reports whether it found one.
func (t *Table) evictOne() bool {
	var victim *Client
	for _, c := range t.clients {
		if c.confirmed && !c.gone {
			continue
		}
		if victim == nil || c.renewed.Before(victim.renewed) {
			victim = c
		}
	}
	if victim == nil {
		return false
	}
	t.forget(victim)
	return true
}

// forget removes a record without state (unconfirmed or gone).
func (t *Table) forget(c *Client) {
	t.untrack(c)
	n := t.byName[c.Name]
	if n != nil {
		if n.unconfirmed == c {
			n.unconfirmed = nil
		}
		if n.confirmed == c {
			n.confirmed = nil
			// A callback update of c shares its index and can no
			// longer be confirmed: it goes too.
			if u := n.unconfirmed; u != nil && u.idx == c.idx {
				t.untrack(u)
				n.unconfirmed = nil
			}
		}
		if n.confirmed == nil && n.unconfirmed == nil {
			delete(t.byName, c.Name)
		}
	}
	// A callback update's unconfirmed record shares its index with the
	// confirmed one, which stays.
	if t.clients[c.idx] == c {
		delete(t.clients, c.idx)
	}
}

// ConfirmClientID handles SETCLIENTID_CONFIRM (RFC 3530 §14.2.34). It
// returns the confirmed client and, when the confirmation replaced an
// earlier incarnation of the client (a client reboot), releases that
// incarnation's state first.
func (t *Table) ConfirmClientID(ctx context.Context, id uint64, confirm [8]byte, principal string) (*Client, error) {
	if uint32(id>>32) != t.epoch {
		return nil, ErrStaleClientID
	}
	t.mu.Lock()
	idx := uint32(id)
	var n *names
	if c := t.clients[idx]; c != nil {
		n = t.byName[c.Name]
	}
	if n == nil {
		t.mu.Unlock()
		return nil, ErrStaleClientID
	}
	u, conf := n.unconfirmed, n.confirmed
	if u != nil && u.idx == idx && u.confirm == confirm {
		if u.Principal != principal {
			t.mu.Unlock()
			return nil, &InUseError{Callback: u.cb}
		}
		if conf != nil && conf.idx == idx {
			// Callback update: the confirmed record takes the new
			// callback; its state stays.
			conf.cb, conf.confirm, conf.renewed = u.cb, u.confirm, t.clock.Now()
			conf.cbDown.Store(false)
			n.unconfirmed = nil
			t.untrack(u)
			t.mu.Unlock()
			return conf, nil
		}
		t.mu.Unlock()
		t.confirmRecord(ctx, n, u)
		return u, nil
	}
	if conf != nil && conf.idx == idx && conf.confirm == confirm && !conf.gone {
		defer t.mu.Unlock()
		if conf.Principal != principal {
			return nil, &InUseError{Callback: conf.cb}
		}
		// A retransmission whose first reply was lost.
		conf.renewed = t.clock.Now()
		return conf, nil
	}
	t.mu.Unlock()
	return nil, ErrStaleClientID
}

// confirmRecord makes the unconfirmed record u of n the confirmed one;
// an earlier incarnation of the client (a client reboot) is released
// first (RFC 3530 §14.2.34, third case; RFC 8881 §18.36.4).
func (t *Table) confirmRecord(ctx context.Context, n *names, u *Client) {
	t.mu.Lock()
	old := n.confirmed
	if old == u {
		t.mu.Unlock()
		return
	}
	u.confirmed, u.renewed = true, t.clock.Now()
	u.owners, u.states, u.closed = map[ownerKey]*Owner{}, map[uint32]*State{}, map[uint32]*Owner{}
	if n.unconfirmed == u {
		n.unconfirmed = nil
	}
	n.confirmed = u
	t.clients[u.idx] = u
	t.mu.Unlock()
	if old != nil {
		// The old incarnation's record stays, released, so that its
		// clientid and stateids answer ErrExpired (NFS4ERR_EXPIRED, as
		// Linux knfsd answers for a client it dropped) until the record
		// is evicted like any released one.
		t.release(ctx, old, "client rebooted")
	}
	t.persistName(ctx, u)
	t.log.Debug("nfs4 client confirmed", "clientid", fmt.Sprintf("%016x", u.ID), "name", u.Name)
}

// Client returns the confirmed client of clientid id and renews its lease
// (OPEN, LOCK, RENEW and every use of its state). A clientid of another
// boot, unknown or not confirmed is ErrStaleClientID; a client whose
// state was released after its lease expired is ErrExpired.
func (t *Table) Client(id uint64) (*Client, error) {
	if uint32(id>>32) != t.epoch {
		return nil, ErrStaleClientID
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.clients[uint32(id)]
	if c == nil || !c.confirmed {
		return nil, ErrStaleClientID
	}
	if c.gone {
		return nil, ErrExpired
	}
	c.renewed = t.clock.Now()
	return c, nil
}

// MayReclaim reports whether c may reclaim state: it held state before
// the restart and has not said it is done reclaiming.
func (t *Table) MayReclaim(c *Client) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.previous[c.Name] && !c.reclaimed
}

// Reclaimed reports whether c has finished reclaiming (ReclaimDone).
func (t *Table) Reclaimed(c *Client) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return c.reclaimed
}

// ReclaimDone records that c has finished reclaiming (NFSv4.1
// RECLAIM_COMPLETE; for 4.0 its first request that is not a reclaim). It
// reports whether this is the first time.
func (t *Table) ReclaimDone(c *Client) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	first := !c.reclaimed
	c.reclaimed = true
	return first
}

// purge releases the state of client c now (an expired courtesy client
// in another client's way, or past its courtesy time): its locks, share
// reservations and waits in every lock manager. Its stateids and
// clientid answer ErrExpired afterwards.
func (t *Table) purge(ctx context.Context, c *Client, why string) {
	t.release(ctx, c, why)
	t.deleteName(ctx, c)
}

// release drops every state of c and marks it gone.
func (t *Table) release(ctx context.Context, c *Client, why string) {
	t.mu.Lock()
	if c.gone {
		t.mu.Unlock()
		return
	}
	c.gone = true
	t.untrack(c)
	mgrs := map[*locking.Manager]bool{}
	for _, s := range c.states {
		if s.file.Mgr != nil {
			mgrs[s.file.Mgr] = true
		}
	}
	t.nStates -= len(c.states) + len(c.owners)
	c.states, c.owners, c.closed = map[uint32]*State{}, map[ownerKey]*Owner{}, map[uint32]*Owner{}
	t.mu.Unlock()
	for m := range mgrs {
		if err := m.ReleaseClient(ctx, locking.ProtoNFS4, c.Name); err != nil && !errors.Is(err, locking.ErrClosed) {
			t.log.Warn("nfs4 state: releasing a client's locks failed", "name", c.Name, "err", err)
		}
	}
	t.destroySessions(c.ID)
	t.log.Debug("nfs4 client state released", "clientid", fmt.Sprintf("%016x", c.ID), "name", c.Name, "why", why)
}

// isCourtesy reports whether c's lease has expired (its state is kept as a
// courtesy until someone conflicts with it).
func (t *Table) isCourtesy(c *Client) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !c.gone && c.confirmed && t.clock.Now().Sub(c.renewed) > t.opts.Lease
}

// clientByName returns the confirmed client named name, or nil.
func (t *Table) clientByName(name string) *Client {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.byName[name]; n != nil && n.confirmed != nil && !n.confirmed.gone {
		return n.confirmed
	}
	return nil
}

// Keys of persisted records, under the prefix P:
//
//	P 'e'        -> boot epoch (4 bytes, big-endian)
//	P 'c' name   -> principal of a confirmed client
func (t *Table) nameKey(name string) []byte {
	return append(append(append([]byte{}, t.opts.KeyPrefix...), 'c'), name...)
}

func (t *Table) epochKey() []byte {
	return append(append([]byte{}, t.opts.KeyPrefix...), 'e')
}

// load reads the previous boot's clients and starts a new epoch.
func (t *Table) load(ctx context.Context) error {
	return t.update(ctx, func(tx store.Tx) error {
		clear(t.previous)
		var epoch uint32
		switch v, err := tx.Get(t.epochKey()); {
		case err == nil && len(v) == 4:
			epoch = uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
		case err == nil:
			return errors.New("state: corrupt epoch record")
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		epoch++
		if epoch == 0 {
			epoch = 1
		}
		t.epoch = epoch
		start := t.nameKey("")
		end := append(append([]byte{}, t.opts.KeyPrefix...), 'c'+1)
		if err := tx.Scan(start, end, func(k, v []byte) bool {
			t.previous[string(k[len(start):])] = true
			return true
		}); err != nil {
			return err
		}
		return tx.Put(t.epochKey(), []byte{byte(epoch >> 24), byte(epoch >> 16), byte(epoch >> 8), byte(epoch)})
	})
}

// update runs fn in an Update of Persist, retrying conflicts.
func (t *Table) update(ctx context.Context, fn func(store.Tx) error) error {
	var err error
	for range 16 {
		err = t.opts.Persist.Update(ctx, fn)
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return err
}

// persist runs fn when Persist is set, logging a failure.
func (t *Table) persist(ctx context.Context, fn func(store.Tx) error) {
	if t.opts.Persist == nil {
		return
	}
	if err := t.update(ctx, fn); err != nil {
		t.log.Warn("nfs4 state: persisting client records failed", "err", err)
	}
}

func (t *Table) persistName(ctx context.Context, c *Client) {
	t.persist(ctx, func(tx store.Tx) error { return tx.Put(t.nameKey(c.Name), []byte(c.Principal)) })
}

func (t *Table) deleteName(ctx context.Context, c *Client) {
	t.persist(ctx, func(tx store.Tx) error { return tx.Delete(t.nameKey(c.Name)) })
}

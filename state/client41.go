package state

import (
	"context"
	"errors"
	"net/netip"
	"sync"
)

// Errors of the NFSv4.1 client operations.
var (
	ErrNoEnt           = errors.New("state: no client record to update")         // NFS4ERR_NOENT
	ErrNotSame         = errors.New("state: client record has another verifier") // NFS4ERR_NOT_SAME
	ErrPerm            = errors.New("state: client record of another principal") // NFS4ERR_PERM
	ErrClientBusy      = errors.New("state: client has sessions")                // NFS4ERR_CLIENTID_BUSY
	ErrCompleteAlready = errors.New("state: reclaim already complete")           // NFS4ERR_COMPLETE_ALREADY
)

// session41 is the NFSv4.1 part of a client record: the CREATE_SESSION
// sequence and its cached reply (RFC 8881 §18.36.4).
type session41 struct {
	mu    sync.Mutex // serializes CREATE_SESSION of the client
	seq   uint32     // the sequence id the next CREATE_SESSION uses
	reply []byte
}

// Exchange is the result of ExchangeID.
type Exchange struct {
	ID uint64
	// Seq is eir_sequenceid: what the next CREATE_SESSION must carry.
	Seq uint32
	// Confirmed is EXCHGID4_FLAG_CONFIRMED_R.
	Confirmed bool
}

// ExchangeID handles EXCHANGE_ID (RFC 8881 §18.35.4, state protection
// SP4_NONE) for a client owner, its verifier and the caller's principal;
// update is EXCHGID4_FLAG_UPD_CONFIRMED_REC_A. A new record is charged
// to the caller's address from and admitted as SetClientID's.
func (t *Table) ExchangeID(ctx context.Context, from netip.Addr, owner []byte, verf [8]byte, principal string, update bool) (Exchange, error) {
	return admitting(t, ctx, func() (Exchange, error) {
		return t.exchangeID(sourceOf(from), owner, verf, principal, update)
	})
}

// exchangeID is ExchangeID charging a new record to src, as setClientID.
func (t *Table) exchangeID(src netip.Prefix, owner []byte, verf [8]byte, principal string, update bool) (Exchange, error) {
	if len(owner) == 0 || len(owner) > maxClientName {
		return Exchange{}, ErrInval
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	n := t.byName[string(owner)]
	if n == nil {
		n = &names{}
	}
	conf := n.confirmed
	if conf != nil && conf.gone {
		conf = nil
	}
	if update {
		switch {
		case conf == nil:
			return Exchange{}, ErrNoEnt // case 7
		case conf.Verifier != verf:
			return Exchange{}, ErrNotSame // case 8
		case conf.Principal != principal:
			return Exchange{}, ErrPerm // case 9
		}
		conf.renewed = now
		return Exchange{ID: conf.ID, Seq: conf.s41().seq, Confirmed: true}, nil // case 6
	}
	if conf != nil && conf.Verifier == verf && conf.Principal == principal {
		// Case 2: the same client again (a new mount, a retry).
		conf.renewed = now
		return Exchange{ID: conf.ID, Seq: conf.s41().seq, Confirmed: true}, nil
	}
	if conf != nil && conf.Principal != principal && now.Sub(conf.renewed) <= t.opts.Lease && len(conf.states) > 0 {
		// Case 3: another principal while the record holds state.
		return Exchange{}, &InUseError{}
	}
	// Cases 1, 4 and 5: a new unconfirmed record, replacing any other
	// unconfirmed one; a confirmed one stays until CREATE_SESSION.
	if u := n.unconfirmed; u != nil {
		t.forget(u)
	}
	if err := t.admit(src, now); err != nil {
		return Exchange{}, err
	}
	u := &Client{Name: string(owner), Verifier: verf, Principal: principal, renewed: now, v41: &session41{seq: 1}}
	u.idx = t.newIndex()
	u.ID = t.clientID(u.idx)
	t.clients[u.idx] = u
	n.unconfirmed = u
	t.byName[u.Name] = n
	t.track(u, src)
	return Exchange{ID: u.ID, Seq: 1}, nil
}

// s41 returns the NFSv4.1 record of c, making one for a client that was
// confirmed some other way (t.mu held).
func (c *Client) s41() *session41 {
	if c.v41 == nil {
		c.v41 = &session41{seq: 1}
	}
	return c.v41
}

// BeginCreateSession checks CREATE_SESSION of clientid id with sequence
// id seq and principal (RFC 8881 §18.36.4). It returns the client
// record, or the cached reply of a retransmission; on success the
// caller must call EndCreateSession (the client's CREATE_SESSIONs are
// serialized in between).
func (t *Table) BeginCreateSession(id uint64, seq uint32, principal string) (*Client, []byte, error) {
	if uint32(id>>32) != t.epoch {
		return nil, nil, ErrStaleClientID
	}
	t.mu.Lock()
	c := t.clients[uint32(id)]
	if c == nil || c.gone {
		t.mu.Unlock()
		return nil, nil, ErrStaleClientID
	}
	if !c.confirmed && c.Principal != principal {
		// Only the confirmation of a record checks the principal
		// ("Unsuccessful Confirmation", phase 3); once confirmed, a
		// session may be made by any principal under SP4_NONE (Linux
		// knfsd checks only SP4_MACH_CRED then).
		t.mu.Unlock()
		return nil, nil, &InUseError{}
	}
	s := c.s41()
	t.mu.Unlock()
	s.mu.Lock()
	switch {
	case seq == s.seq:
		return c, nil, nil
	case seq == s.seq-1 && s.reply != nil:
		r := s.reply
		s.mu.Unlock()
		return c, r, nil
	}
	s.mu.Unlock()
	return nil, nil, ErrSeqMisordered
}

// EndCreateSession ends a CREATE_SESSION begun on c: when ok, an
// unconfirmed record becomes the confirmed one (releasing an earlier
// incarnation's state), the sequence advances and reply is cached for a
// retransmission.
func (t *Table) EndCreateSession(ctx context.Context, c *Client, ok bool, reply []byte) {
	t.mu.Lock()
	s := c.s41()
	n := t.byName[c.Name]
	unconfirmed := !c.confirmed
	t.mu.Unlock()
	if ok {
		if unconfirmed && n != nil {
			t.confirmRecord(ctx, n, c)
		}
		s.seq++
		s.reply = append(s.reply[:0], reply...)
		t.mu.Lock()
		c.renewed = t.clock.Now()
		t.mu.Unlock()
	}
	s.mu.Unlock()
}

// DestroyClient removes client id and releases its state
// (DESTROY_CLIENTID, RFC 8881 §18.50); it is ErrClientBusy while the
// client has sessions.
func (t *Table) DestroyClient(ctx context.Context, id uint64) error {
	if t.sessionsOf(id) > 0 {
		return ErrClientBusy
	}
	if uint32(id>>32) != t.epoch {
		return ErrStaleClientID
	}
	t.mu.Lock()
	c := t.clients[uint32(id)]
	if c == nil {
		t.mu.Unlock()
		return ErrStaleClientID
	}
	confirmed := c.confirmed
	t.mu.Unlock()
	if confirmed {
		t.release(ctx, c, "DESTROY_CLIENTID")
		t.deleteName(ctx, c)
	}
	t.mu.Lock()
	t.forget(c)
	t.mu.Unlock()
	return nil
}

// ReclaimComplete records RECLAIM_COMPLETE of c (global): a second one is
// ErrCompleteAlready.
func (t *Table) ReclaimComplete(c *Client) error {
	if !t.ReclaimDone(c) {
		return ErrCompleteAlready
	}
	return nil
}

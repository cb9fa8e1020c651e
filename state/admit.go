package state

import (
	"context"
	"errors"
	"iter"
	"maps"
	"net/netip"
	"sync/atomic"
	"time"
)

// Admission of new client records. One source must not be able to fill
// the table and lock every other client out, and a table full of clients
// that went away must still take new ones:
//
//   - each record made by SETCLIENTID or EXCHANGE_ID is charged to its
//     source address (sourceOf); an address holds at most
//     MaxUnconfirmedPerAddr unconfirmed records (past it its own oldest
//     one is dropped) and MaxClientsPerAddr records in all (past it its
//     own oldest unconfirmed record is dropped, else its longest-idle
//     courtesy client released, else the new record is refused);
//   - a full table drops an unconfirmed or released record (evictOne),
//     else releases the courtesy client idle longest, else refuses.
//
// A live client (lease not expired) is never evicted. Releasing a
// courtesy client calls the lock managers, so it runs without t.mu: the
// admission under t.mu names the victim (needRoom) and the caller
// releases it and tries again.

// sourceOf is the key records of address a are charged under: the
// address for IPv4, its /64 for IPv6 (a host or a LAN segment gets a /64
// and may take any address in it); the zero Prefix, charged nothing, for
// an unknown address.
func sourceOf(a netip.Addr) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.WithZone("").Prefix(64)
	return p
}

// admitStats count the outcomes of admission.
type admitStats struct {
	refusedFull, refusedAddr            atomic.Uint64
	evictedCourtesy, evictedUnconfirmed atomic.Uint64
}

// Stats are a Table's figures, for metrics.
type Stats struct {
	// Clients are the client records held (confirmed, unconfirmed and
	// released), States the owners and stateids.
	Clients, States int
	// RefusedFull counts new clients refused because every record of a
	// full table (MaxClients) was a live client; RefusedAddr those
	// refused because their address held MaxClientsPerAddr live records.
	RefusedFull, RefusedAddr uint64
	// EvictedCourtesy counts courtesy clients released to make room for
	// a new client; EvictedUnconfirmed unconfirmed records dropped for a
	// newer one of the same address (MaxUnconfirmedPerAddr,
	// MaxClientsPerAddr).
	EvictedCourtesy, EvictedUnconfirmed uint64
	// Sessions are the NFSv4.1 sessions; ReplyCache is the part of
	// Options.MaxReplyCache they hold (slots × cached reply size).
	Sessions   int
	ReplyCache int64
}

// Stats returns the table's figures.
func (t *Table) Stats() Stats {
	clients, states := t.counts()
	t.sessions.mu.Lock()
	sessions, cached := len(t.sessions.byID), t.sessions.cached
	t.sessions.mu.Unlock()
	return Stats{Clients: clients, States: states,
		RefusedFull: t.stats.refusedFull.Load(), RefusedAddr: t.stats.refusedAddr.Load(),
		EvictedCourtesy: t.stats.evictedCourtesy.Load(), EvictedUnconfirmed: t.stats.evictedUnconfirmed.Load(),
		Sessions: sessions, ReplyCache: cached}
}

// needRoom is the error of an admission that a courtesy client's release
// would let through: the caller releases victim without t.mu and tries
// again.
type needRoom struct{ victim *Client }

func (e *needRoom) Error() string { return "state: a courtesy client must make room" }

// maxAdmitTries bounds the releases of courtesy clients for one new
// record (others may take the room each time); past them it is refused.
const maxAdmitTries = 4

// admitting runs try, a SETCLIENTID or EXCHANGE_ID under admission,
// releasing the courtesy clients it asks to make room for it.
func admitting[T any](t *Table, ctx context.Context, try func() (T, error)) (T, error) {
	for range maxAdmitTries {
		r, err := try()
		var nr *needRoom
		if !errors.As(err, &nr) {
			return r, err
		}
		t.evict(ctx, nr.victim)
	}
	var zero T
	t.stats.refusedFull.Add(1)
	return zero, ErrResource
}

// evict releases courtesy client c to make room for a new client and
// forgets its record: the client finds its clientid stale and its 4.1
// sessions gone (RFC 8881 §8.4.3, the first way to report lost state).
func (t *Table) evict(ctx context.Context, c *Client) {
	t.purge(ctx, c, "courtesy client evicted to make room for a new client")
	t.mu.Lock()
	t.forget(c)
	t.mu.Unlock()
	t.stats.evictedCourtesy.Add(1)
}

// admit makes room for a new record from src, or says why there is none
// (t.mu held): ErrResource, or a *needRoom naming a courtesy client to
// release first.
func (t *Table) admit(src netip.Prefix, now time.Time) error {
	if src.IsValid() {
		recs := t.sources[src]
		if max := t.opts.MaxUnconfirmedPerAddr; max > 0 {
			if old, n := t.unconfirmedOf(recs); n >= max {
				t.dropUnconfirmed(old)
			}
		}
		if max := t.opts.MaxClientsPerAddr; max > 0 && len(recs) >= max {
			if old, _ := t.unconfirmedOf(recs); old != nil {
				t.dropUnconfirmed(old)
			} else if v := t.courtesyVictim(maps.Keys(recs), now); v != nil {
				v.evicting = true
				return &needRoom{victim: v}
			} else {
				t.stats.refusedAddr.Add(1)
				t.logs.Warn(t.log, "nfs4: new client refused: its address holds too many live clients",
					"source", src.String(), "limit", max)
				return ErrResource
			}
		}
	}
	if len(t.clients) < t.opts.MaxClients || t.evictOne() {
		return nil
	}
	if v := t.courtesyVictim(maps.Values(t.clients), now); v != nil {
		v.evicting = true
		return &needRoom{victim: v}
	}
	t.stats.refusedFull.Add(1)
	t.logs.Warn(t.log, "nfs4: new client refused: the client table is full of live clients", "limit", t.opts.MaxClients)
	return ErrResource
}

// unconfirmedOf returns the oldest unconfirmed record of recs and how
// many there are (t.mu held).
func (t *Table) unconfirmedOf(recs map[*Client]struct{}) (oldest *Client, n int) {
	for c := range recs {
		if c.confirmed {
			continue
		}
		n++
		if oldest == nil || c.renewed.Before(oldest.renewed) {
			oldest = c
		}
	}
	return oldest, n
}

// dropUnconfirmed forgets unconfirmed record c to make room (t.mu held).
func (t *Table) dropUnconfirmed(c *Client) {
	t.forget(c)
	t.stats.evictedUnconfirmed.Add(1)
}

// courtesyVictim returns the client of recs whose lease expired longest
// ago and that no one is evicting yet, or nil (t.mu held).
func (t *Table) courtesyVictim(recs iter.Seq[*Client], now time.Time) *Client {
	var v *Client
	for c := range recs {
		if !c.confirmed || c.gone || c.evicting || now.Sub(c.renewed) <= t.opts.Lease {
			continue
		}
		if v == nil || c.renewed.Before(v.renewed) {
			v = c
		}
	}
	return v
}

// track charges record c to source src (t.mu held).
func (t *Table) track(c *Client, src netip.Prefix) {
	if !src.IsValid() {
		return
	}
	c.src = src
	recs := t.sources[src]
	if recs == nil {
		recs = map[*Client]struct{}{}
		t.sources[src] = recs
	}
	recs[c] = struct{}{}
}

// untrack stops charging c to its source: it was dropped or released
// (t.mu held).
func (t *Table) untrack(c *Client) {
	recs := t.sources[c.src]
	if recs == nil {
		return
	}
	delete(recs, c)
	if len(recs) == 0 {
		delete(t.sources, c.src)
	}
}

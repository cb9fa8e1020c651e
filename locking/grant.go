package locking

import (
	"context"
	"slices"

	"github.com/dittofs/dittofs/internal/clock"
)

type grant struct {
	id       GrantID
	file     uint64
	client   clientKey
	kind     GrantKind
	breaker  Breaker
	breaking bool
	target   GrantKind // what the break asks for, when breaking
	timer    clock.Timer
	local    bool // GrantLocal: owners of the same protocol do not conflict
}

// conflicts reports whether an access by client c conflicts with g: c is
// another client, and not of g's protocol when g is protocol-local.
func (g *grant) conflicts(c clientKey, write bool) bool {
	if g.client == c || g.local && g.client.proto == c.proto {
		return false
	}
	return write || g.kind == GrantWrite
}

// conflictingGrants returns the grants of clients other than c that an
// access by c conflicts with: every grant for a write, write grants for a
// read.
func conflictingGrants(f *file, c clientKey, write bool) []*grant {
	var out []*grant
	for _, g := range f.grants {
		if g.conflicts(c, write) {
			out = append(out, g)
		}
	}
	return out
}

// startBreaks breaks each grant down to what the access allows (none for a
// write, read for a read) unless a break at least that strong is already
// under way, and arms its recall timer.
func (m *Manager) startBreaks(gs []*grant, write bool, after *[]func()) {
	to := GrantRead
	if write {
		to = GrantNone
	}
	for _, g := range gs {
		if g.breaking && g.target <= to {
			continue
		}
		g.breaking, g.target = true, to
		if g.timer == nil {
			id := g.id
			g.timer = m.clock.AfterFunc(m.opts.RecallTimeout, func() { m.revoke(id) })
		}
		b, id := g.breaker, g.id
		if b != nil {
			*after = append(*after, func() { b.Break(id, to) })
		}
	}
}

// Grant gives client o.Client a recallable grant of kind k on file (a
// delegation, oplock or lease), to be recalled through b. It fails with
// ErrDenied when another client's locks, share reservations or grants
// conflict with it, or a break is under way on the file, and with
// ErrGrace in the grace period.
func (m *Manager) Grant(ctx context.Context, fileID uint64, o Owner, k GrantKind, b Breaker) (GrantID, error) {
	return m.grant(ctx, fileID, o, k, b, false)
}

// GrantLocal is Grant for a protocol that keeps its own rules between
// its clients (SMB's oplocks and leases between SMB opens): the grant
// conflicts only with the locks, share reservations, grants and accesses
// of other protocols' owners, and only those break it.
func (m *Manager) GrantLocal(ctx context.Context, fileID uint64, o Owner, k GrantKind, b Breaker) (GrantID, error) {
	return m.grant(ctx, fileID, o, k, b, true)
}

func (m *Manager) grant(ctx context.Context, fileID uint64, o Owner, k GrantKind, b Breaker, local bool) (GrantID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkGrace(ctx, false); err != nil {
		return 0, err
	}
	if k != GrantRead && k != GrantWrite {
		return 0, ErrDenied
	}
	f := m.file(fileID)
	defer m.forget(f)
	c := o.client()
	write := k == GrantWrite
	// Other clients' locks and reservations: the file's counts less c's.
	others, mine := f.total, use{}
	if u := f.clients[c]; u != nil {
		mine = *u
	}
	if local {
		// The protocol's own clients count as c.
		mine = use{}
		for ck, u := range f.clients {
			if ck.proto == c.proto {
				mine.add(u)
			}
		}
	}
	if (write && others.locks > mine.locks) || others.excl > mine.excl {
		return 0, ErrDenied
	}
	if (write && others.shares > mine.shares) || others.strong > mine.strong {
		return 0, ErrDenied
	}
	for _, g := range f.grants {
		if local && g.client.proto == c.proto {
			continue
		}
		if g.breaking || g.conflicts(c, write) {
			return 0, ErrDenied
		}
	}
	if len(f.waiters) > 0 {
		return 0, ErrDenied
	}
	m.nextID++
	g := &grant{id: m.nextID, file: fileID, client: c, kind: k, breaker: b, local: local}
	f.grants = append(f.grants, g)
	m.grants[g.id] = g
	m.nGrants[c]++
	return g.id, nil
}

// Return gives a grant back (DELEGRETURN, an oplock break acknowledged to
// none) and grants the queued requests it was holding up.
func (m *Manager) Return(ctx context.Context, id GrantID) error {
	return m.Downgrade(ctx, id, GrantNone)
}

// Downgrade weakens a grant to kind to (GrantNone returns it); a break
// asking for to or more is then complete.
func (m *Manager) Downgrade(ctx context.Context, id GrantID, to GrantKind) error {
	var after []func()
	m.mu.Lock()
	err := m.downgrade(ctx, id, to, &after)
	m.mu.Unlock()
	run(after)
	return err
}

func (m *Manager) downgrade(ctx context.Context, id GrantID, to GrantKind, after *[]func()) error {
	g := m.grants[id]
	if g == nil {
		return ErrNoGrant
	}
	f := m.files[g.file]
	defer m.forget(f)
	if to == GrantNone {
		m.dropGrant(f, g)
	} else {
		g.kind = min(g.kind, to)
		if g.breaking && g.kind <= g.target {
			g.breaking = false
			if g.timer != nil {
				g.timer.Stop()
				g.timer = nil
			}
		}
	}
	m.grantWaiters(ctx, f, after)
	return nil
}

// Access checks an I/O access by o to file against other clients' grants
// (a write over SMB breaks an NFSv4 read delegation): a conflicting grant
// starts a break and Access fails with ErrBreaking.
func (m *Manager) Access(ctx context.Context, fileID uint64, o Owner, write bool) error {
	var after []func()
	m.mu.Lock()
	err := error(nil)
	if m.closed {
		err = ErrClosed
	} else if f := m.files[fileID]; f != nil {
		if gs := conflictingGrants(f, o.client(), write); len(gs) > 0 {
			m.startBreaks(gs, write, &after)
			err = ErrBreaking
		}
	}
	m.mu.Unlock()
	run(after)
	return err
}

// GrantOf returns the kind of a grant and whether it is being broken.
func (m *Manager) GrantOf(id GrantID) (k GrantKind, breaking bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.grants[id]
	if g == nil {
		return GrantNone, false, ErrNoGrant
	}
	return g.kind, g.breaking, nil
}

func (m *Manager) dropGrant(f *file, g *grant) {
	if g.timer != nil {
		g.timer.Stop()
	}
	f.grants = slices.DeleteFunc(f.grants, func(x *grant) bool { return x == g })
	delete(m.grants, g.id)
	if m.nGrants[g.client]--; m.nGrants[g.client] <= 0 {
		delete(m.nGrants, g.client)
	}
}

// revoke removes a grant whose break timed out.
func (m *Manager) revoke(id GrantID) {
	var after []func()
	m.mu.Lock()
	g := m.grants[id]
	if g != nil && g.breaking && !m.closed {
		f := m.files[g.file]
		m.dropGrant(f, g)
		if r, ok := g.breaker.(Revoker); ok {
			after = append(after, func() { r.Revoked(id) })
		}
		m.grantWaiters(context.Background(), f, &after)
		m.forget(f)
	}
	m.mu.Unlock()
	run(after)
}

// HasGrants reports whether a client holds a grant on any file of m (an
// NFSv4 client holds delegations: RENEW then reports a callback path that
// is down).
func (m *Manager) HasGrants(proto Proto, client string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nGrants[clientKey{proto, client}] > 0
}

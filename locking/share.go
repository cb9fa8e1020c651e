package locking

import (
	"context"
	"slices"
)

// ShareRequest is a share reservation: the access an owner opens a file
// with and the access it denies to others.
type ShareRequest struct {
	Owner        Owner
	Access, Deny Mode
	Reclaim      bool
}

// Share sets o's share reservation on file, replacing any previous one of
// the same owner (an NFSv4 open-owner's OPEN upgrade or OPEN_DOWNGRADE
// passes the union it wants). It fails with ErrDenied when another
// owner's reservation denies the access asked for or asks for access this
// one denies (RFC 7530 §9.9), and with ErrBreaking while a conflicting
// grant of another client is recalled.
func (m *Manager) Share(ctx context.Context, fileID uint64, r ShareRequest) error {
	var after []func()
	m.mu.Lock()
	err := m.share(ctx, fileID, r, &after)
	m.mu.Unlock()
	run(after)
	return err
}

func (m *Manager) share(ctx context.Context, fileID uint64, r ShareRequest, after *[]func()) error {
	if err := m.checkGrace(ctx, r.Reclaim); err != nil {
		return err
	}
	f := m.file(fileID)
	defer m.forget(f)
	for _, s := range f.shares {
		if s.owner != r.Owner && (r.Access&s.deny != 0 || r.Deny&s.access != 0) {
			return ErrDenied
		}
	}
	write := r.Access&ModeWrite != 0 || r.Deny != 0
	if gs := conflictingGrants(f, r.Owner.client(), write); len(gs) > 0 {
		m.startBreaks(gs, write, after)
		return ErrBreaking
	}
	i := slices.IndexFunc(f.shares, func(s share) bool { return s.owner == r.Owner })
	if i < 0 && m.nlocks >= m.opts.MaxLocks {
		return ErrNoLocks
	}
	ns := slices.Clone(f.shares)
	if i >= 0 {
		ns[i] = share{owner: r.Owner, access: r.Access, deny: r.Deny}
	} else {
		ns = append(ns, share{owner: r.Owner, access: r.Access, deny: r.Deny})
	}
	return m.commit(ctx, f, f.locks, ns, after)
}

// Unshare removes o's share reservation on file; removing none is not an
// error.
func (m *Manager) Unshare(ctx context.Context, fileID uint64, o Owner) error {
	var after []func()
	m.mu.Lock()
	err := func() error {
		if m.closed {
			return ErrClosed
		}
		f := m.files[fileID]
		if f == nil {
			return nil
		}
		defer m.forget(f)
		ns := slices.DeleteFunc(slices.Clone(f.shares), func(s share) bool { return s.owner == o })
		if len(ns) == len(f.shares) {
			return nil
		}
		return m.commit(ctx, f, f.locks, ns, &after)
	}()
	m.mu.Unlock()
	run(after)
	return err
}

// ShareDenied reports whether a share reservation on file of an owner
// other than except denies access a: an NFSv4 READ or WRITE, which such a
// reservation refuses (RFC 7530 §9.1.4.4) whatever stateid it carries.
// The zero Owner checks every reservation (the anonymous stateid).
func (m *Manager) ShareDenied(fileID uint64, except Owner, a Mode) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.files[fileID]
	if f == nil {
		return false
	}
	for _, s := range f.shares {
		if s.owner != except && s.deny&a != 0 {
			return true
		}
	}
	return false
}

package locking

import "context"

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
// grant of another client is recalled. The check and the change cost the
// same whatever the number of reservations on the file: the file keeps
// counts of the access and deny bits of its reservations.
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
	if f.shareConflict(r) {
		return ErrDenied
	}
	write := r.Access&ModeWrite != 0 || r.Deny != 0
	if gs := conflictingGrants(f, r.Owner.client(), write); len(gs) > 0 {
		m.startBreaks(gs, write, after)
		return ErrBreaking
	}
	os := m.ownerOn(f, r.Owner)
	defer m.tidy(os)
	ns := share{owner: r.Owner, access: r.Access, deny: r.Deny}
	if os.hasShare && os.share == ns {
		return nil
	}
	if !os.hasShare {
		if err := m.admit(f, r.Owner, 1); err != nil {
			return err
		}
	}
	if err := m.saveShare(ctx, os, &ns); err != nil {
		return err
	}
	m.applyShare(os, ns, true)
	return nil
}

// shareConflict reports whether another owner's reservation denies the
// access r asks for or has access r denies: the file's counts less the
// owner's own reservation.
func (f *file) shareConflict(r ShareRequest) bool {
	acc, deny := f.total.acc, f.total.deny
	if os := f.owners[r.Owner]; os != nil && os.hasShare {
		for i, b := range [2]Mode{ModeRead, ModeWrite} {
			if os.share.access&b != 0 {
				acc[i]--
			}
			if os.share.deny&b != 0 {
				deny[i]--
			}
		}
	}
	for i, b := range [2]Mode{ModeRead, ModeWrite} {
		if (r.Access&b != 0 && deny[i] > 0) || (r.Deny&b != 0 && acc[i] > 0) {
			return true
		}
	}
	return false
}

// applyShare installs (or, with !has, removes) os's reservation once it
// was persisted.
func (m *Manager) applyShare(os *ownerState, s share, has bool) {
	f := os.file
	u := f.use(os.owner.client())
	d := 0
	if os.hasShare {
		u.addShare(os.share, -1)
		f.total.addShare(os.share, -1)
		d--
	}
	os.share, os.hasShare = s, has
	if has {
		u.addShare(s, +1)
		f.total.addShare(s, +1)
		d++
	}
	m.nshares += d
	m.held(os, d)
	if *u == (use{}) {
		delete(f.clients, os.owner.client())
	}
}

// Unshare removes o's share reservation on file; removing none is not an
// error.
func (m *Manager) Unshare(ctx context.Context, fileID uint64, o Owner) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	f := m.files[fileID]
	if f == nil {
		return nil
	}
	defer m.forget(f)
	os := f.owners[o]
	if os == nil || !os.hasShare {
		return nil
	}
	defer m.tidy(os)
	if err := m.saveShare(ctx, os, nil); err != nil {
		return err
	}
	m.applyShare(os, share{}, false)
	return nil
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
	// The file's counts of reservations denying read and write, less
	// except's own: O(1) whatever the number of opens.
	deny := f.total.deny
	if os := f.owners[except]; os != nil && os.hasShare {
		for i, b := range [2]Mode{ModeRead, ModeWrite} {
			if os.share.deny&b != 0 {
				deny[i]--
			}
		}
	}
	return (a&ModeRead != 0 && deny[0] > 0) || (a&ModeWrite != 0 && deny[1] > 0)
}

package store

// privileged reports whether c has the superuser's capabilities.
func (f *FS) privileged(c *Cred) bool {
	return c.UID == 0 && f.opts.Root == RootPrivileged
}

// modeBits returns the rwx bits (0-7) that apply to c for n: the owner's,
// the group's or others'.
func modeBits(c *Cred, n *inode) uint32 {
	switch {
	case c.UID == n.UID:
		return (n.Mode >> 6) & 7
	case c.InGroup(n.GID):
		return (n.Mode >> 3) & 7
	default:
		return n.Mode & 7
	}
}

// granted returns the subset of want (AccessRead|AccessWrite|AccessExec)
// that c has on n.
func (f *FS) granted(c *Cred, n *inode, want uint32) uint32 {
	if f.privileged(c) {
		g := want & (AccessRead | AccessWrite)
		if want&AccessExec != 0 && (n.Type == TypeDir || n.Mode&0o111 != 0) {
			g |= AccessExec
		}
		return g
	}
	g := modeBits(c, n) & want
	if f.opts.OwnerOverride && n.Type == TypeRegular && c.UID == n.UID {
		g |= want & (AccessRead | AccessWrite)
	}
	return g
}

// may returns ErrAccess unless c has every bit of want on n.
func (f *FS) may(c *Cred, n *inode, want uint32) error {
	if f.granted(c, n, want) != want {
		return ErrAccess
	}
	return nil
}

// isOwner reports whether c owns n or is privileged (POSIX "owner or
// CAP_FOWNER").
func (f *FS) isOwner(c *Cred, n *inode) bool {
	return c.UID == n.UID || f.privileged(c)
}

// mayDelete checks that c may remove or replace the entry for child in dir:
// write and search on dir, and the sticky rule.
func (f *FS) mayDelete(c *Cred, dir, child *inode) error {
	if err := f.may(c, dir, AccessWrite|AccessExec); err != nil {
		return err
	}
	if dir.Mode&ModeSticky != 0 && !f.privileged(c) && c.UID != dir.UID && c.UID != child.UID {
		return ErrPermission
	}
	return nil
}

// killPriv clears setuid, and setgid when group-executable, after a write or
// truncate by a caller without privilege (POSIX, as Linux does).
func (f *FS) killPriv(c *Cred, n *inode) {
	if f.privileged(c) || n.Type != TypeRegular {
		return
	}
	n.Mode &^= ModeSetuid
	if n.Mode&0o010 != 0 {
		n.Mode &^= ModeSetgid
	}
}

// applySetAttr checks and applies the attribute fields of sa other than the
// size to n, by the POSIX rules for chmod, chown and utimes. now is the
// server's clock. It does not touch ctime or the change counter.
func (f *FS) applySetAttr(c *Cred, n *inode, sa *SetAttr, now int64) error {
	priv := f.privileged(c)
	m := sa.Mask
	if m&(SetUID|SetGID) != 0 {
		uid, gid := n.UID, n.GID
		if m&SetUID != 0 {
			uid = sa.UID
		}
		if m&SetGID != 0 {
			gid = sa.GID
		}
		if !priv {
			// Only the owner may chown or chgrp at all, even to the values
			// the file already has (POSIX chown; Linux chown_ok and
			// chgrp_ok): a no-op chown by anyone else must not succeed, or
			// it would clear the setuid and setgid bits of another user's
			// file below. The owner may not give the file away, and may
			// change its group only to one of their own groups.
			if c.UID != n.UID {
				return ErrPermission
			}
			if uid != n.UID {
				return ErrPermission
			}
			if gid != n.GID && !c.InGroup(gid) {
				return ErrPermission
			}
		}
		if n.Type != TypeDir {
			// chown clears setuid, and setgid of group-executable files
			n.Mode &^= ModeSetuid
			if n.Mode&0o010 != 0 {
				n.Mode &^= ModeSetgid
			}
		}
		n.UID, n.GID = uid, gid
	}
	if m&SetMode != 0 {
		if !f.isOwner(c, n) {
			return ErrPermission
		}
		mode := sa.Mode & ModeMask
		if !priv && n.Type != TypeDir && !c.InGroup(n.GID) {
			mode &^= ModeSetgid
		}
		n.Mode = mode
	}
	if m&(SetAtime|SetMtime|SetBtime) != 0 {
		if !f.isOwner(c, n) {
			return ErrPermission
		}
	}
	if m&(SetAtimeNow|SetMtimeNow) != 0 && !f.isOwner(c, n) {
		if f.granted(c, n, AccessWrite) == 0 {
			return ErrAccess
		}
	}
	switch {
	case m&SetAtimeNow != 0:
		n.Atime = now
	case m&SetAtime != 0:
		n.Atime = sa.Atime
	}
	switch {
	case m&SetMtimeNow != 0:
		n.Mtime = now
	case m&SetMtime != 0:
		n.Mtime = sa.Mtime
	}
	if m&SetBtime != 0 {
		n.Btime = sa.Btime
	}
	return nil
}

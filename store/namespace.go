package store

import (
	"context"
	"errors"
)

// checkCred refuses a nil credential.
func checkCred(c *Cred) error {
	if c == nil {
		return NewError(CodeInvalid, "", "nil credential", nil)
	}
	return nil
}

// lookupName checks a name given to Lookup: "." and ".." are allowed.
func (f *FS) lookupName(name string) error {
	if name == "." || name == ".." {
		return nil
	}
	return checkName(name, f.opts.MaxName, f.opts.ValidateUTF8)
}

func (f *FS) newName(name string) error {
	return checkName(name, f.opts.MaxName, f.opts.ValidateUTF8)
}

// GetAttr returns the attributes of h. It checks no permission (NFS GETATTR
// needs none); c may be nil.
func (f *FS) GetAttr(ctx context.Context, c *Cred, h Handle) (Attr, error) {
	o := f.getOp(ctx)
	defer f.putOp(o)
	o.h = h
	err := f.view(ctx, o, getAttrTx)
	return o.attr, err
}

func getAttrTx(o *op) error {
	var n inode
	if err := o.node(o.h, &n); err != nil {
		return err
	}
	n.attr(&o.attr)
	return nil
}

// Resolve returns the attributes of node id if its generation is gen, and
// ErrStale if the node was deleted or gen does not match.
func (f *FS) Resolve(ctx context.Context, id, gen uint64) (Attr, error) {
	return f.GetAttr(ctx, nil, Handle{ID: id, Gen: gen})
}

// Lookup returns the node named name in directory dir. "." is dir and ".."
// its parent (the root's parent is the root). It needs search permission on
// dir.
func (f *FS) Lookup(ctx context.Context, c *Cred, dir Handle, name string) (Handle, Attr, error) {
	if err := checkCred(c); err != nil {
		return Handle{}, Attr{}, err
	}
	if err := f.lookupName(name); err != nil {
		return Handle{}, Attr{}, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	o.h, o.name, o.c = dir, name, c
	if err := f.view(ctx, o, lookupTx); err != nil {
		return Handle{}, Attr{}, err
	}
	return o.attr.Handle(), o.attr, nil
}

func lookupTx(o *op) error {
	var d inode
	if err := o.node(o.h, &d); err != nil {
		return err
	}
	if d.Type != TypeDir {
		return ErrNotDir
	}
	if err := o.f.may(o.c, &d, AccessExec); err != nil {
		return err
	}
	var id uint64
	switch o.name {
	case ".":
		d.attr(&o.attr)
		return nil
	case "..":
		id = d.Parent
	default:
		e, ok, err := o.getEntry(d.ID, o.name)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotExist
		}
		id = e.Child
	}
	var n inode
	if err := o.getInode(id, &n); err != nil {
		return danglingErr(err)
	}
	n.attr(&o.attr)
	return nil
}

// danglingErr turns the ErrStale of a node an entry points to into ErrIO:
// the store is inconsistent.
func danglingErr(err error) error {
	if errors.Is(err, ErrStale) {
		return NewError(CodeIO, "lookup", "dangling entry", errCorrupt)
	}
	return err
}

// Access returns the subset of want (AccessRead, AccessWrite, AccessExec)
// that c is granted on h, with h's attributes.
func (f *FS) Access(ctx context.Context, c *Cred, h Handle, want uint32) (uint32, Attr, error) {
	if err := checkCred(c); err != nil {
		return 0, Attr{}, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	var a Attr
	var g uint32
	err := f.view(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		g = f.granted(c, &n, want&(AccessRead|AccessWrite|AccessExec))
		n.attr(&a)
		return nil
	})
	return g, a, err
}

// Readlink returns the target of symlink h.
func (f *FS) Readlink(ctx context.Context, c *Cred, h Handle) (string, error) {
	o := f.getOp(ctx)
	defer f.putOp(o)
	var t string
	err := f.view(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if n.Type != TypeSymlink {
			return ErrInvalid
		}
		t = string(n.Target)
		return nil
	})
	return t, err
}

// ---- entries -----------------------------------------------------------------

func (o *op) getEntry(dir uint64, name string) (entry, bool, error) {
	v, err := o.tx.Get(o.keyName(pfxEntry, dir, name))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return entry{}, false, nil
		}
		return entry{}, false, err
	}
	e, err := decodeEntry(v)
	return e, err == nil, err
}

// addEntry links child under name in d, giving it d's next cookie. The
// caller stores d.
func (o *op) addEntry(d *inode, name string, child uint64, t FileType) error {
	e := entry{Child: child, Cookie: d.NextCookie, Type: t}
	d.NextCookie++
	d.Entries++
	if err := o.tx.Put(o.keyName(pfxEntry, d.ID, name), o.val(e.encode)); err != nil {
		return err
	}
	s := len(o.buf)
	o.buf = encodeCookieVal(o.buf, child, t, name)
	v := o.buf[s:len(o.buf):len(o.buf)]
	return o.tx.Put(o.key2(pfxCookie, d.ID, e.Cookie), v)
}

// delEntry unlinks name (whose entry is e) from d. The caller stores d.
func (o *op) delEntry(d *inode, name string, e entry) error {
	if d.Entries == 0 {
		return NewError(CodeIO, "unlink", "entry count", errCorrupt)
	}
	d.Entries--
	if err := o.tx.Delete(o.keyName(pfxEntry, d.ID, name)); err != nil {
		return err
	}
	return o.tx.Delete(o.key2(pfxCookie, d.ID, e.Cookie))
}

// dirFor loads dir and checks it is a directory c may modify.
func (f *FS) dirFor(o *op, c *Cred, dir Handle, d *inode) error {
	if err := o.node(dir, d); err != nil {
		return err
	}
	if d.Type != TypeDir {
		return ErrNotDir
	}
	return f.may(c, d, AccessWrite|AccessExec)
}

// unlinkNode drops one link of n, freeing it when none remain. The caller
// has removed the entry.
func (f *FS) unlinkNode(o *op, n *inode, now int64) error {
	if n.Type == TypeDir {
		n.Nlink = 0
	} else if n.Nlink > 0 {
		n.Nlink--
	}
	if n.Nlink == 0 {
		return o.freeNode(n)
	}
	touch(n, now, false)
	return o.putInode(n)
}

// freeNode deletes n, its extents (releasing their blocks) and its xattrs.
func (o *op) freeNode(n *inode) error {
	if err := o.tx.Delete(o.key(pfxNode, n.ID)); err != nil {
		return err
	}
	o.files(n.ID, -1)
	if n.Type == TypeRegular {
		_, more, err := o.punchN(n.ID, 0, 1<<63, reapBatch)
		if err != nil {
			return err
		}
		if more {
			// the rest is released by f.reap in bounded transactions
			if err := o.tx.Put(o.key(pfxOrphan, n.ID), []byte{}); err != nil {
				return err
			}
			o.orphans = append(o.orphans, n.ID)
		}
		// intents of the file's stable writes not yet folded
		if err := o.deleteAll(o.key(pfxIntent, n.ID), o.key(pfxIntent, n.ID+1)); err != nil {
			return err
		}
		o.drop = append(o.drop, n.ID)
	}
	if n.XattrBytes > 0 {
		if err := o.deleteAll(o.key(pfxXattr, n.ID), o.key(pfxXattr, n.ID+1)); err != nil {
			return err
		}
	}
	return nil
}

// deleteAll deletes every key in [start, end).
func (o *op) deleteAll(start, end []byte) error {
	var keys [][]byte
	err := o.tx.Scan(start, end, func(k, v []byte) bool {
		keys = append(keys, append([]byte(nil), k...))
		return true
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := o.tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ---- making nodes --------------------------------------------------------------

// mkArgs is what the node-making operations share.
type mkArgs struct {
	typ    FileType
	name   string
	sa     *SetAttr
	rdev   Dev
	target string
	how    CreateMode
	verf   Verifier
	wcc    *Wcc
}

// mknode makes a node of a.typ named a.name in dir. For regular files the
// existing name is handled by a.how; existed reports that Create returned
// an existing file.
func (f *FS) mknode(ctx context.Context, c *Cred, dir Handle, a *mkArgs) (h Handle, at Attr, existed bool, err error) {
	if err := checkCred(c); err != nil {
		return h, at, false, err
	}
	if err := f.newName(a.name); err != nil {
		return h, at, false, err
	}
	sa := a.sa
	if sa == nil {
		sa = &SetAttr{}
	}
	if sa.Mask&SetSize != 0 && (a.typ != TypeRegular || sa.Size > f.opts.MaxFileSize) {
		if a.typ != TypeRegular {
			return h, at, false, ErrInvalid
		}
		return h, at, false, ErrTooBig
	}
	if f.opts.MaxFiles > 0 && uint64(f.files.Load()) >= f.opts.MaxFiles {
		return h, at, false, ErrNoSpace
	}
	id, err := f.newID(ctx)
	if err != nil {
		return h, at, false, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	err = f.update(ctx, o, func(o *op) error {
		existed = false
		var d inode
		if err := o.node(dir, &d); err != nil {
			return err
		}
		if d.Type != TypeDir {
			return ErrNotDir
		}
		if err := f.may(c, &d, AccessWrite|AccessExec); err != nil {
			return err
		}
		a.wcc.before(&d)
		e, ok, err := o.getEntry(d.ID, a.name)
		if err != nil {
			return err
		}
		if ok {
			if a.typ != TypeRegular || a.how == CreateGuarded {
				return ErrExist
			}
			var n inode
			if err := o.getInode(e.Child, &n); err != nil {
				return danglingErr(err)
			}
			if n.Type != TypeRegular {
				return ErrExist
			}
			if a.how == CreateExclusive && (n.Flags&inoHasVerf == 0 || n.Verf != a.verf) {
				return ErrExist
			}
			existed = true
			n.attr(&at)
			a.wcc.after(&d)
			return nil
		}
		if a.typ == TypeDir && d.Nlink >= f.opts.MaxLinks {
			return ErrTooManyLinks
		}
		now := f.now()
		n := inode{ID: id, Type: a.typ, Nlink: 1, UID: c.UID, GID: c.GID,
			Atime: now, Mtime: now, Ctime: now, Btime: now, Change: 1, Gen: newGen(),
			Parent: d.ID} // every node records its directory (watch.go)
		switch a.typ {
		case TypeDir:
			n.Mode = 0o755
			n.Nlink = 2
			n.NextCookie = firstCookie
		case TypeSymlink:
			n.Mode = 0o777
			n.Target = []byte(a.target)
			n.Size = uint64(len(a.target))
		case TypeBlock, TypeChar:
			n.Rdev = a.rdev
			n.Mode = 0o644
		default:
			n.Mode = 0o644
		}
		if sa.Mask&SetMode != 0 && a.typ != TypeSymlink {
			n.Mode = sa.Mode & ModeMask
		}
		if d.Mode&ModeSetgid != 0 {
			n.GID = d.GID
			if a.typ == TypeDir {
				n.Mode |= ModeSetgid
			}
		}
		if a.typ != TypeDir && n.Mode&ModeSetgid != 0 && !f.privileged(c) && !c.InGroup(n.GID) {
			n.Mode &^= ModeSetgid
		}
		if a.how == CreateExclusive {
			n.Flags |= inoHasVerf
			n.Verf = a.verf
		}
		rest := *sa
		rest.Mask &^= SetMode | SetSize | SetCtimeGuard
		if err := f.applySetAttr(c, &n, &rest, now); err != nil {
			return err
		}
		if sa.Mask&SetSize != 0 {
			n.Size = sa.Size
		}
		if err := o.addEntry(&d, a.name, id, a.typ); err != nil {
			return err
		}
		if a.typ == TypeDir {
			d.Nlink++
		}
		touch(&d, now, true)
		a.wcc.after(&d)
		if err := o.putInode(&d); err != nil {
			return err
		}
		o.files(id, +1)
		n.attr(&at)
		o.noteEntry(ActionAdded, d.ID, a.name, &n)
		return o.putInode(&n)
	})
	if err != nil {
		return Handle{}, Attr{}, false, err
	}
	return at.Handle(), at, existed, nil
}

// Create makes a regular file name in dir with the initial attributes sa
// (nil for none; mode defaults to 0644), handling an existing name by how.
// verf is stored with an exclusive create. When Create returns an existing
// file (CreateUnchecked, or a retransmitted CreateExclusive), a SetSize in
// sa is applied to it as SetAttr would. It returns the file's handle and
// attributes and dir's attributes around the change; returning an
// existing file leaves dir unchanged (Before and After are equal then).
func (f *FS) Create(ctx context.Context, c *Cred, dir Handle, name string, how CreateMode, sa *SetAttr, verf Verifier) (Handle, Attr, Wcc, error) {
	var w Wcc
	if how > CreateExclusive {
		return Handle{}, Attr{}, w, ErrInvalid
	}
	h, a, existed, err := f.mknode(ctx, c, dir, &mkArgs{typ: TypeRegular, name: name, sa: sa, how: how, verf: verf, wcc: &w})
	if err == nil && existed && how == CreateUnchecked && sa != nil && sa.Mask&SetSize != 0 {
		var fw Wcc
		fw, err = f.SetAttr(ctx, c, h, &SetAttr{Mask: SetSize, Size: sa.Size})
		a = fw.After
	}
	if err != nil {
		return Handle{}, Attr{}, Wcc{}, err
	}
	return h, a, w, nil
}

// Mkdir makes a directory (mode defaults to 0755). In a setgid directory the
// new directory takes the group and the setgid bit. It returns the new
// directory's handle and attributes and dir's attributes around the change.
func (f *FS) Mkdir(ctx context.Context, c *Cred, dir Handle, name string, sa *SetAttr) (Handle, Attr, Wcc, error) {
	var w Wcc
	h, a, _, err := f.mknode(ctx, c, dir, &mkArgs{typ: TypeDir, name: name, sa: sa, wcc: &w})
	return h, a, w, err
}

// Symlink makes a symbolic link to target. Its mode is always 0777. It
// returns the link's handle and attributes and dir's attributes around the
// change.
func (f *FS) Symlink(ctx context.Context, c *Cred, dir Handle, name, target string, sa *SetAttr) (Handle, Attr, Wcc, error) {
	if len(target) == 0 {
		return Handle{}, Attr{}, Wcc{}, ErrInvalid
	}
	if len(target) > f.opts.MaxSymlink {
		return Handle{}, Attr{}, Wcc{}, ErrNameTooLong
	}
	var w Wcc
	h, a, _, err := f.mknode(ctx, c, dir, &mkArgs{typ: TypeSymlink, name: name, sa: sa, target: target, wcc: &w})
	return h, a, w, err
}

// Mknod makes a device, socket or FIFO node. Device nodes need privilege.
// It returns the node's handle and attributes and dir's attributes around
// the change.
func (f *FS) Mknod(ctx context.Context, c *Cred, dir Handle, name string, typ FileType, rdev Dev, sa *SetAttr) (Handle, Attr, Wcc, error) {
	switch typ {
	case TypeBlock, TypeChar:
		if c != nil && !f.privileged(c) {
			return Handle{}, Attr{}, Wcc{}, ErrPermission
		}
	case TypeSocket, TypeFIFO:
		rdev = Dev{}
	default:
		return Handle{}, Attr{}, Wcc{}, ErrInvalid
	}
	var w Wcc
	h, a, _, err := f.mknode(ctx, c, dir, &mkArgs{typ: typ, name: name, sa: sa, rdev: rdev, wcc: &w})
	return h, a, w, err
}

// ---- removing ------------------------------------------------------------------

// Remove unlinks the non-directory name from dir and returns dir's
// attributes around the change.
func (f *FS) Remove(ctx context.Context, c *Cred, dir Handle, name string) (Wcc, error) {
	var w Wcc
	err := f.remove(ctx, c, dir, name, false, &w)
	return w, err
}

// Rmdir removes the empty directory name from dir and returns dir's
// attributes around the change.
func (f *FS) Rmdir(ctx context.Context, c *Cred, dir Handle, name string) (Wcc, error) {
	var w Wcc
	err := f.remove(ctx, c, dir, name, true, &w)
	return w, err
}

func (f *FS) remove(ctx context.Context, c *Cred, dir Handle, name string, isDir bool, w *Wcc) error {
	if err := checkCred(c); err != nil {
		return err
	}
	if err := f.newName(name); err != nil {
		return err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	return f.update(ctx, o, func(o *op) error {
		var d inode
		if err := o.node(dir, &d); err != nil {
			return err
		}
		if d.Type != TypeDir {
			return ErrNotDir
		}
		e, ok, err := o.getEntry(d.ID, name)
		if err != nil {
			return err
		}
		if !ok {
			if err := f.may(c, &d, AccessExec); err != nil {
				return err
			}
			return ErrNotExist
		}
		var n inode
		if err := o.getInode(e.Child, &n); err != nil {
			return danglingErr(err)
		}
		if err := f.mayDelete(c, &d, &n); err != nil {
			return err
		}
		w.before(&d)
		if isDir {
			if n.Type != TypeDir {
				return ErrNotDir
			}
			if n.Entries > 0 {
				return ErrNotEmpty
			}
			d.Nlink--
		} else if n.Type == TypeDir {
			return ErrIsDir
		}
		if err := o.delEntry(&d, name, e); err != nil {
			return err
		}
		now := f.now()
		touch(&d, now, true)
		w.after(&d)
		if err := o.putInode(&d); err != nil {
			return err
		}
		o.noteEntry(ActionRemoved, d.ID, name, &n)
		return f.unlinkNode(o, &n, now)
	})
}

// Link makes name in dir a new link to h, which must not be a directory.
// It returns h's new attributes and dir's attributes around the change.
func (f *FS) Link(ctx context.Context, c *Cred, h Handle, dir Handle, name string) (Attr, Wcc, error) {
	var wv Wcc
	w := &wv
	if err := checkCred(c); err != nil {
		return Attr{}, Wcc{}, err
	}
	if err := f.newName(name); err != nil {
		return Attr{}, Wcc{}, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	var at Attr
	err := f.update(ctx, o, func(o *op) error {
		var n, d inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.dirFor(o, c, dir, &d); err != nil {
			return err
		}
		if n.Type == TypeDir {
			return ErrPermission
		}
		if _, ok, err := o.getEntry(d.ID, name); err != nil {
			return err
		} else if ok {
			return ErrExist
		}
		if n.Nlink >= f.opts.MaxLinks {
			return ErrTooManyLinks
		}
		w.before(&d)
		if err := o.addEntry(&d, name, n.ID, n.Type); err != nil {
			return err
		}
		now := f.now()
		touch(&d, now, true)
		w.after(&d)
		n.Nlink++
		n.Parent = d.ID // changes are reported under the newest link (watch.go)
		touch(&n, now, false)
		o.noteEntry(ActionAdded, d.ID, name, &n)
		if err := o.putInode(&d); err != nil {
			return err
		}
		n.attr(&at)
		return o.putInode(&n)
	})
	if err != nil {
		return Attr{}, Wcc{}, err
	}
	return at, wv, nil
}

// Rename moves srcName in srcDir to dstName in dstDir atomically. An
// existing dstName is replaced by the POSIX rules: a directory only by a
// directory, and only when empty; a non-directory only by a non-directory.
// When both names are links to the same node nothing happens (Before and
// After are equal). A directory cannot be moved into its own subtree
// (ErrInvalid). It returns the attributes of srcDir and dstDir around the
// change (the same when they are one directory).
func (f *FS) Rename(ctx context.Context, c *Cred, srcDir Handle, srcName string, dstDir Handle, dstName string) (srcWcc, dstWcc Wcc, err error) {
	err = f.rename(ctx, c, srcDir, srcName, dstDir, dstName, &srcWcc, &dstWcc)
	if err != nil {
		return Wcc{}, Wcc{}, err
	}
	return srcWcc, dstWcc, nil
}

func (f *FS) rename(ctx context.Context, c *Cred, srcDir Handle, srcName string, dstDir Handle, dstName string, src, dst *Wcc) error {
	if err := checkCred(c); err != nil {
		return err
	}
	if err := f.newName(srcName); err != nil {
		return err
	}
	if err := f.newName(dstName); err != nil {
		return err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	return f.update(ctx, o, func(o *op) error {
		var sdv, ddv inode
		sd, dd := &sdv, &ddv
		if err := f.dirFor(o, c, srcDir, sd); err != nil {
			return err
		}
		if dstDir.ID == srcDir.ID {
			if dstDir.Gen != sd.Gen {
				return ErrStale
			}
			dd = sd
		} else if err := f.dirFor(o, c, dstDir, dd); err != nil {
			return err
		}
		se, ok, err := o.getEntry(sd.ID, srcName)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotExist
		}
		var sn inode
		if err := o.getInode(se.Child, &sn); err != nil {
			return danglingErr(err)
		}
		if err := f.mayDelete(c, sd, &sn); err != nil {
			return err
		}
		de, exists, err := o.getEntry(dd.ID, dstName)
		if err != nil {
			return err
		}
		src.before(sd)
		dst.before(dd)
		if exists && de.Child == se.Child {
			src.after(sd)
			dst.after(dd)
			return nil // the same node: POSIX says do nothing
		}
		moveDir := sn.Type == TypeDir && sd.ID != dd.ID
		if moveDir {
			if err := f.may(c, &sn, AccessWrite); err != nil {
				return err
			}
			// dd must not be sn or below it
			id := dd.ID
			for i := 0; ; i++ {
				if id == sn.ID {
					return ErrInvalid
				}
				if id == f.root.ID {
					break
				}
				if i > 1<<16 {
					return NewError(CodeIO, "rename", "directory loop", errCorrupt)
				}
				var p inode
				if err := o.getInode(id, &p); err != nil {
					return danglingErr(err)
				}
				if p.Type != TypeDir || p.Parent == id {
					return NewError(CodeIO, "rename", "bad parent", errCorrupt)
				}
				id = p.Parent
			}
		}
		now := f.now()
		var dn inode
		if exists {
			if err := o.getInode(de.Child, &dn); err != nil {
				return danglingErr(err)
			}
			if err := f.mayDelete(c, dd, &dn); err != nil {
				return err
			}
			if sn.Type == TypeDir {
				if dn.Type != TypeDir {
					return ErrNotDir
				}
				if dn.Entries > 0 {
					return ErrNotEmpty
				}
			} else if dn.Type == TypeDir {
				return ErrIsDir
			}
			if err := o.delEntry(dd, dstName, de); err != nil {
				return err
			}
			if dn.Type == TypeDir {
				dd.Nlink--
			}
		} else if moveDir && dd.Nlink >= f.opts.MaxLinks {
			return ErrTooManyLinks
		}
		if err := o.delEntry(sd, srcName, se); err != nil {
			return err
		}
		if err := o.addEntry(dd, dstName, sn.ID, sn.Type); err != nil {
			return err
		}
		if moveDir {
			sd.Nlink--
			dd.Nlink++
		}
		sn.Parent = dd.ID // every node records its directory (watch.go)
		if exists {
			o.noteEntry(ActionRemoved, dd.ID, dstName, &dn)
		}
		if sd == dd {
			o.noteEntry(ActionRenamedOld, sd.ID, srcName, &sn)
			o.noteEntry(ActionRenamedNew, dd.ID, dstName, &sn)
		} else {
			// a move to another directory is reported as a removal
			// and an addition (MS-FSCC §2.7.1)
			o.noteEntry(ActionRemoved, sd.ID, srcName, &sn)
			if n := len(o.events); n > 0 {
				o.events[n-1].moved = true
			}
			o.noteEntry(ActionAdded, dd.ID, dstName, &sn)
		}
		touch(sd, now, true)
		if dd != sd {
			touch(dd, now, true)
			if err := o.putInode(dd); err != nil {
				return err
			}
		}
		src.after(sd)
		dst.after(dd)
		if err := o.putInode(sd); err != nil {
			return err
		}
		touch(&sn, now, false)
		if err := o.putInode(&sn); err != nil {
			return err
		}
		if exists {
			return f.unlinkNode(o, &dn, now)
		}
		return nil
	})
}

// SetAttr changes the attributes of h selected by sa.Mask, by the POSIX
// rules: only the owner (or privilege) changes mode, group and explicit
// times; only privilege changes the owner; setting times to now also needs
// only write permission; a size change needs write permission and
// truncates or extends a regular file (ErrIsDir on a directory, ErrInvalid
// on other types). With SetCtimeGuard it fails with ErrNotSync unless the
// ctime matches. It returns h's attributes before and after the change,
// read in the change's transaction (Before is as of the final step of a
// truncation released in several transactions).
func (f *FS) SetAttr(ctx context.Context, c *Cred, h Handle, sa *SetAttr) (Wcc, error) {
	if err := checkCred(c); err != nil {
		return Wcc{}, err
	}
	if sa == nil {
		sa = &SetAttr{}
	}
	if sa.Mask&SetSize != 0 {
		if sa.Size > f.opts.MaxFileSize {
			return Wcc{}, ErrTooBig
		}
		l := f.lockFile(h.ID)
		l.Lock()
		defer l.Unlock()
		if err := f.sealFile(ctx, h.ID); err != nil {
			return Wcc{}, err
		}
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	if sa.Mask&SetSize != 0 {
		if err := f.prePunch(ctx, o, c, h, sa); err != nil {
			return Wcc{}, err
		}
	}
	var w Wcc
	err := f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if sa.Mask&SetCtimeGuard != 0 && n.Ctime != sa.Guard {
			return ErrNotSync
		}
		n.attr(&w.Before)
		now := f.now()
		if sa.Mask&SetSize != 0 {
			switch n.Type {
			case TypeRegular:
			case TypeDir:
				return ErrIsDir
			default:
				return ErrInvalid
			}
			if err := f.may(c, &n, AccessWrite); err != nil {
				return err
			}
		}
		if err := f.applySetAttr(c, &n, sa, now); err != nil {
			return err
		}
		if sa.Mask&SetSize != 0 {
			if sa.Size < n.Size {
				freed, err := o.punch(n.ID, sa.Size, 1<<63)
				if err != nil {
					return err
				}
				n.Used -= min(n.Used, freed)
			}
			n.Size = sa.Size
			if sa.Mask&(SetMtime|SetMtimeNow) == 0 {
				n.Mtime = now
			}
			f.killPriv(c, &n)
		}
		touch(&n, now, false)
		n.attr(&w.After)
		o.noteModified(&n, setAttrChanges(sa.Mask))
		return o.putInode(&n)
	})
	if err != nil {
		return Wcc{}, err
	}
	return w, nil
}

var errBatchDone = NewError(CodeOK, "", "batch done", nil)

// prePunch releases, in transactions of reapBatch extents, the extents past
// the new size of a shrinking file that has many, so that the transaction
// of SetAttr stays small. It checks what SetAttr checks first; the file
// lock is held.
func (f *FS) prePunch(ctx context.Context, o *op, c *Cred, h Handle, sa *SetAttr) error {
	for {
		err := f.update(ctx, o, func(o *op) error {
			var n inode
			if err := o.node(h, &n); err != nil {
				return err
			}
			if sa.Mask&SetCtimeGuard != 0 && n.Ctime != sa.Guard {
				return ErrNotSync
			}
			if err := f.regular(&n); err != nil {
				return err
			}
			if err := f.may(c, &n, AccessWrite); err != nil {
				return err
			}
			if sa.Size >= n.Size {
				return errBatchDone
			}
			freed, more, err := o.punchN(n.ID, sa.Size, 1<<63, reapBatch)
			if err != nil {
				return err
			}
			if !more {
				return errBatchDone // the rest fits in SetAttr's transaction
			}
			n.Used -= min(n.Used, freed)
			return o.putInode(&n)
		})
		if err == errBatchDone {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

package store

import "context"

// rangeArgs checks an (offset, length) pair: non-negative offset, positive
// length, end within Options.MaxFileSize.
func (f *FS) rangeArgs(off, length int64) (uint64, uint64, error) {
	if off < 0 || length <= 0 {
		return 0, 0, ErrInvalid
	}
	end := uint64(off) + uint64(length)
	if end < uint64(off) || end > f.opts.MaxFileSize {
		return 0, 0, ErrTooBig
	}
	return uint64(off), end, nil
}

// Allocate makes sure [off, off+length) of regular file h is allocated:
// holes in it are mapped to allocated extents that read as zeroes and count
// in Used. The size grows to off+length if smaller (fallocate mode 0). It
// needs write permission.
func (f *FS) Allocate(ctx context.Context, c *Cred, h Handle, off, length int64) (Attr, error) {
	if err := checkCred(c); err != nil {
		return Attr{}, err
	}
	s, e, err := f.rangeArgs(off, length)
	if err != nil {
		return Attr{}, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	l := f.lockFile(h.ID)
	l.Lock()
	defer l.Unlock()
	if err := f.sealFile(ctx, h.ID); err != nil {
		return Attr{}, err
	}
	var at Attr
	err = f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.regular(&n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessWrite); err != nil {
			return err
		}
		if err := o.extentsIn(n.ID, s, e); err != nil {
			return err
		}
		exts := append([]extent(nil), o.exts...)
		pos := s
		var added uint64
		fill := func(a, b uint64) error {
			if a >= b {
				return nil
			}
			x := extent{Start: a, End: b, Flags: extZero}
			added += b - a
			return o.putExtentRaw(n.ID, &x)
		}
		for _, x := range exts {
			if err := fill(pos, min(x.Start, e)); err != nil {
				return err
			}
			pos = max(pos, x.End)
		}
		if err := fill(pos, e); err != nil {
			return err
		}
		if f.opts.Capacity > 0 && uint64(f.bytes.Load())+added > f.opts.Capacity {
			return ErrNoSpace
		}
		n.Used += added
		grow := e > n.Size
		if grow {
			n.Size = e
			o.noteModified(&n, ChangeSize|ChangeLastWrite)
		}
		touch(&n, f.now(), grow)
		n.attr(&at)
		return o.putInode(&n)
	})
	return at, err
}

// Deallocate punches a hole in [off, off+length) of regular file h: the
// range reads as zeroes and its blocks are released. The size does not
// change. It needs write permission.
func (f *FS) Deallocate(ctx context.Context, c *Cred, h Handle, off, length int64) (Attr, error) {
	if err := checkCred(c); err != nil {
		return Attr{}, err
	}
	s, e, err := f.rangeArgs(off, length)
	if err != nil {
		return Attr{}, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	l := f.lockFile(h.ID)
	l.Lock()
	defer l.Unlock()
	if err := f.sealFile(ctx, h.ID); err != nil {
		return Attr{}, err
	}
	var at Attr
	err = f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.regular(&n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessWrite); err != nil {
			return err
		}
		freed, err := o.punch(n.ID, s, e)
		if err != nil {
			return err
		}
		n.Used -= min(n.Used, freed)
		touch(&n, f.now(), true)
		o.noteModified(&n, ChangeLastWrite)
		n.attr(&at)
		return o.putInode(&n)
	})
	return at, err
}

// Seek returns the offset of the first byte of data (SeekData) or of the
// first hole (SeekHole) at or after off in regular file h. The end of the
// file counts as a hole. An offset at or past the end, or no data past
// off, is ErrNXIO. Allocated extents count as data. It needs read
// permission.
func (f *FS) Seek(ctx context.Context, c *Cred, h Handle, off int64, whence Whence) (int64, error) {
	if err := checkCred(c); err != nil {
		return 0, err
	}
	if off < 0 || whence > SeekHole {
		return 0, ErrInvalid
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	l := f.lockFile(h.ID)
	l.Lock()
	err := f.flushFile(ctx, h.ID, false, false)
	l.Unlock()
	if err != nil {
		return 0, err
	}
	var res uint64
	err = f.view(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.regular(&n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessRead); err != nil {
			return err
		}
		s := uint64(off)
		if s >= n.Size {
			return ErrNXIO
		}
		if err := o.extentsIn(n.ID, s, n.Size); err != nil {
			return err
		}
		if whence == SeekData {
			if len(o.exts) == 0 {
				return ErrNXIO
			}
			res = max(o.exts[0].Start, s)
			return nil
		}
		pos := s
		for _, x := range o.exts {
			if x.Start > pos {
				break
			}
			pos = max(pos, x.End)
		}
		res = min(pos, n.Size)
		return nil
	})
	return int64(res), err
}

// Clone makes [dstOff, dstOff+length) of dst share the blocks of
// [srcOff, srcOff+length) of src (length 0: to the end of src), growing dst
// if needed. It costs O(extents), not O(length). The source range must lie
// within src, and must not overlap the destination when src is dst
// (ErrInvalid). It needs read permission on src and write on dst.
func (f *FS) Clone(ctx context.Context, c *Cred, src Handle, srcOff int64, dst Handle, dstOff int64, length int64) (Attr, error) {
	_, a, err := f.cloneRange(ctx, c, src, srcOff, dst, dstOff, length, false)
	return a, err
}

// Copy copies [srcOff, srcOff+length) of src to dst at dstOff (length 0: to
// the end of src) and returns the number of bytes copied, which stops at
// the end of src. Content blocks are shared, so a copy costs what a Clone
// does. It needs read permission on src and write on dst.
func (f *FS) Copy(ctx context.Context, c *Cred, src Handle, srcOff int64, dst Handle, dstOff int64, length int64) (int64, Attr, error) {
	return f.cloneRange(ctx, c, src, srcOff, dst, dstOff, length, true)
}

func (f *FS) lockPair(a, b uint64) func() {
	la, lb := f.lockFile(a), f.lockFile(b)
	if la == lb {
		la.Lock()
		return la.Unlock
	}
	ia, ib := a%uint64(len(f.fileLocks)), b%uint64(len(f.fileLocks))
	first, second := la, lb
	if ib < ia {
		first, second = lb, la
	}
	first.Lock()
	second.Lock()
	return func() { second.Unlock(); first.Unlock() }
}

func (f *FS) cloneRange(ctx context.Context, c *Cred, src Handle, srcOff int64, dst Handle, dstOff int64, length int64, isCopy bool) (int64, Attr, error) {
	if err := checkCred(c); err != nil {
		return 0, Attr{}, err
	}
	if srcOff < 0 || dstOff < 0 || length < 0 {
		return 0, Attr{}, ErrInvalid
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	unlock := f.lockPair(src.ID, dst.ID)
	defer unlock()
	if err := f.sealFile(ctx, src.ID); err != nil {
		return 0, Attr{}, err
	}
	if err := f.sealFile(ctx, dst.ID); err != nil {
		return 0, Attr{}, err
	}
	var at Attr
	var copied uint64
	err := f.update(ctx, o, func(o *op) error {
		var sn, dn inode
		if err := o.node(src, &sn); err != nil {
			return err
		}
		if err := o.node(dst, &dn); err != nil {
			return err
		}
		if err := f.regular(&sn); err != nil {
			return err
		}
		if err := f.regular(&dn); err != nil {
			return err
		}
		if err := f.may(c, &sn, AccessRead); err != nil {
			return err
		}
		if err := f.may(c, &dn, AccessWrite); err != nil {
			return err
		}
		s := uint64(srcOff)
		n := uint64(length)
		switch {
		case isCopy && s >= sn.Size:
			n = 0
		case length == 0 || isCopy:
			if s > sn.Size {
				return ErrInvalid
			}
			if length == 0 {
				n = sn.Size - s
			} else {
				n = min(n, sn.Size-s)
			}
		case s+n > sn.Size || s+n < s:
			return ErrInvalid
		}
		copied = n
		d := uint64(dstOff)
		if d+n > f.opts.MaxFileSize || d+n < d {
			return ErrTooBig
		}
		if n == 0 {
			dn.attr(&at)
			return nil
		}
		if sn.ID == dn.ID && s < d+n && d < s+n {
			return ErrInvalid
		}
		if err := o.extentsIn(sn.ID, s, s+n); err != nil {
			return err
		}
		exts := append([]extent(nil), o.exts...)
		o.exts = o.exts[:0]
		freed, err := o.punch(dn.ID, d, d+n)
		if err != nil {
			return err
		}
		var added uint64
		for _, x := range exts {
			a, b := max(x.Start, s), min(x.End, s+n)
			nx := x
			nx.Start, nx.End = a-s+d, b-s+d
			if nx.Flags&extZero == 0 {
				nx.Off = x.Off + (a - x.Start)
			}
			added += nx.len()
			if err := o.putExtentRaw(dn.ID, &nx); err != nil {
				return err
			}
		}
		dn.Used = dn.Used - min(dn.Used, freed) + added
		ch := ChangeLastWrite
		if d+n > dn.Size {
			ch |= ChangeSize
		}
		o.noteModified(&dn, ch)
		dn.Size = max(dn.Size, d+n)
		touch(&dn, f.now(), true)
		f.killPriv(c, &dn)
		dn.attr(&at)
		return o.putInode(&dn)
	})
	return int64(copied), at, err
}

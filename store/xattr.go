package store

import (
	"context"
	"errors"
	"strings"
)

func (f *FS) xattrName(name string) error {
	switch {
	case name == "":
		return ErrInvalid
	case len(name) > f.opts.MaxXattrName:
		return ErrNameTooLong
	case strings.IndexByte(name, 0) >= 0:
		return ErrInvalid
	}
	return nil
}

// GetXattr returns the value of extended attribute name of h, or
// ErrNoXattr. It needs read permission.
func (f *FS) GetXattr(ctx context.Context, c *Cred, h Handle, name string) ([]byte, error) {
	if err := checkCred(c); err != nil {
		return nil, err
	}
	if err := f.xattrName(name); err != nil {
		return nil, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	var val []byte
	err := f.view(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessRead); err != nil {
			return err
		}
		v, err := o.tx.Get(o.keyName(pfxXattr, n.ID, name))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrNoXattr
			}
			return err
		}
		val = append([]byte{}, v...)
		return nil
	})
	return val, err
}

// SetXattr sets extended attribute name of h to value. XattrCreate fails
// with ErrExist if it exists, XattrReplace with ErrNoXattr if it does not.
// A name longer than Options.MaxXattrName is ErrNameTooLong, a value longer
// than Options.MaxXattrSize ErrTooBig, and passing Options.MaxXattrTotal
// for the node ErrNoSpace. It needs write permission.
func (f *FS) SetXattr(ctx context.Context, c *Cred, h Handle, name string, value []byte, flags XattrFlag) error {
	if err := checkCred(c); err != nil {
		return err
	}
	if err := f.xattrName(name); err != nil {
		return err
	}
	if len(value) > f.opts.MaxXattrSize {
		return ErrTooBig
	}
	if flags&^(XattrCreate|XattrReplace) != 0 || flags == XattrCreate|XattrReplace {
		return ErrInvalid
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	return f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessWrite); err != nil {
			return err
		}
		k := o.keyName(pfxXattr, n.ID, name)
		old, err := o.tx.Get(k)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if exists && flags&XattrCreate != 0 {
			return ErrExist
		}
		if !exists && flags&XattrReplace != 0 {
			return ErrNoXattr
		}
		total := n.XattrBytes + uint64(len(name)+len(value))
		if exists {
			total -= uint64(len(name) + len(old))
		}
		if total > uint64(f.opts.MaxXattrTotal) {
			return ErrNoSpace
		}
		n.XattrBytes = total
		if err := o.tx.Put(k, append([]byte{}, value...)); err != nil {
			return err
		}
		touch(&n, f.now(), false)
		o.noteModified(&n, xattrChange(name))
		return o.putInode(&n)
	})
}

// ListXattr returns the names of h's extended attributes in byte order. It
// needs read permission.
func (f *FS) ListXattr(ctx context.Context, c *Cred, h Handle) ([]string, error) {
	if err := checkCred(c); err != nil {
		return nil, err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	var names []string
	err := f.view(ctx, o, func(o *op) error {
		names = names[:0]
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessRead); err != nil {
			return err
		}
		if n.XattrBytes == 0 {
			return nil
		}
		return o.tx.Scan(o.key(pfxXattr, n.ID), o.key(pfxXattr, n.ID+1), func(k, v []byte) bool {
			names = append(names, string(k[9:]))
			return true
		})
	})
	return names, err
}

// RemoveXattr removes extended attribute name of h, or fails with
// ErrNoXattr. It needs write permission.
func (f *FS) RemoveXattr(ctx context.Context, c *Cred, h Handle, name string) error {
	if err := checkCred(c); err != nil {
		return err
	}
	if err := f.xattrName(name); err != nil {
		return err
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	return f.update(ctx, o, func(o *op) error {
		var n inode
		if err := o.node(h, &n); err != nil {
			return err
		}
		if err := f.may(c, &n, AccessWrite); err != nil {
			return err
		}
		k := o.keyName(pfxXattr, n.ID, name)
		old, err := o.tx.Get(k)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrNoXattr
			}
			return err
		}
		n.XattrBytes -= min(n.XattrBytes, uint64(len(name)+len(old)))
		if err := o.tx.Delete(k); err != nil {
			return err
		}
		touch(&n, f.now(), false)
		o.noteModified(&n, xattrChange(name))
		return o.putInode(&n)
	})
}

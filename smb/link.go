package smb

import (
	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// link is SET_INFO FileLinkInformation (MS-FSCC §2.4.27.2): a new name
// for the open file, by MS-FSA §2.1.5.15.6. Replacing an existing name is
// a Remove then a Link: between the two the name is absent, and a crash
// there leaves it removed (the store has no atomic replace for links).
func (c *conn) link(sess *session, o *open, buf []byte) wire.Status {
	var li fscc.RenameInfo // FILE_LINK_INFORMATION_TYPE_2 has the same layout
	if err := li.Decode(buf); err != nil {
		return wire.STATUS_INFO_LENGTH_MISMATCH
	}
	if o.dir {
		return wire.STATUS_FILE_IS_A_DIRECTORY
	}
	if o.deleteOnClose {
		return wire.STATUS_ACCESS_DENIED // Open.Link.IsDeleted
	}
	if li.RootDirectory != 0 {
		return wire.STATUS_INVALID_PARAMETER
	}
	name, err := wire.DecodeUTF16(li.FileName)
	if err != nil {
		return wire.STATUS_OBJECT_NAME_INVALID
	}
	t := o.tree
	dir, parts, st := c.target(t, name)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	last := parts[len(parts)-1]
	if h, a, found, err := c.lookup(t, dir, last); err == nil {
		switch {
		case !li.ReplaceIfExists:
			return wire.STATUS_OBJECT_NAME_COLLISION
		case h == o.h:
			return wire.STATUS_SUCCESS // already a link of this file
		case a.Type == store.TypeDir:
			return wire.STATUS_ACCESS_DENIED
		}
		for _, other := range sess.opens {
			if other.h == h {
				return wire.STATUS_ACCESS_DENIED // open: Windows refuses too
			}
		}
		// The entry replaced may be spelt in another case (a
		// case-insensitive share): the new link has the name given.
		if _, err := t.exp.FS.Remove(c.ctx, &t.cred, dir, found); err != nil {
			return storeStatus(err)
		}
	} else if store.CodeOf(err) != store.CodeNotExist {
		return storeStatus(err)
	}
	if _, _, err := t.exp.FS.Link(c.ctx, &t.cred, o.h, dir, last); err != nil {
		return storeStatus(err)
	}
	return wire.STATUS_SUCCESS
}

// target resolves the share-relative path of a rename or link target:
// the directory that is to hold it and the path's components (at least
// one; the last is the new name).
func (c *conn) target(t *tree, name string) (store.Handle, []string, wire.Status) {
	parts, st := splitPath(name)
	if st != wire.STATUS_SUCCESS {
		return store.Handle{}, nil, st
	}
	if len(parts) == 0 {
		return store.Handle{}, nil, wire.STATUS_OBJECT_NAME_INVALID
	}
	dir, st := c.walk(t, parts[:len(parts)-1])
	return dir, parts, st
}

package smb

import (
	"encoding/binary"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// dosAttrXattr holds the DOS attributes a file keeps beyond what its type
// and mode give (fileAttrs: DIRECTORY from the type, READONLY from the
// write bits): a little-endian uint32 of the bits of keptMask and
// FILE_ATTRIBUTE_SPARSE_FILE. Without it a file has ARCHIVE and a
// directory none of them (defaultKept), so only files whose attributes
// differ from that carry the xattr. NFS clients see it as an ordinary
// user xattr.
const dosAttrXattr = "user.dittofs.dosattrib"

// dosCred reads and writes dosAttrXattr. The SMB access check comes
// first (FILE_WRITE_ATTRIBUTES on the open, or the CREATE that makes the
// file), then the xattr is written with the store's superuser, as Samba
// writes user.DOSATTRIB as root: DOS attributes are metadata, which a
// READONLY file (no write bits, and user xattrs need write permission)
// must still be able to change, and anyone who can stat a file sees them.
var dosCred = &store.Cred{}

// keptMask are the attributes FileBasicInformation and CREATE may set
// and clear; SPARSE_FILE changes only through FSCTL_SET_SPARSE.
const keptMask = wire.FILE_ATTRIBUTE_HIDDEN | wire.FILE_ATTRIBUTE_SYSTEM | wire.FILE_ATTRIBUTE_ARCHIVE |
	wire.FILE_ATTRIBUTE_TEMPORARY | wire.FILE_ATTRIBUTE_NOT_CONTENT_INDEXED

// defaultKept are the kept attributes of a file or directory without the
// xattr: ARCHIVE for a file, as NTFS gives every new file (MS-FSA
// §2.1.5.1.2.1), nothing for a directory.
func defaultKept(dir bool) uint32 {
	if dir {
		return 0
	}
	return wire.FILE_ATTRIBUTE_ARCHIVE
}

// keptAttrs are the kept attribute bits of h.
func (c *conn) keptAttrs(t *tree, h store.Handle, dir bool) uint32 {
	v, err := t.exp.FS.GetXattr(c.ctx, dosCred, h, dosAttrXattr)
	if err != nil || len(v) < 4 {
		return defaultKept(dir)
	}
	return binary.LittleEndian.Uint32(v) & (keptMask | wire.FILE_ATTRIBUTE_SPARSE_FILE)
}

// setKeptAttrs replaces the kept attribute bits of h (removing the xattr
// when they are the default).
func (c *conn) setKeptAttrs(t *tree, h store.Handle, dir bool, attrs uint32) error {
	if attrs == defaultKept(dir) {
		err := t.exp.FS.RemoveXattr(c.ctx, dosCred, h, dosAttrXattr)
		if store.CodeOf(err) == store.CodeNoXattr {
			return nil
		}
		return err
	}
	return t.exp.FS.SetXattr(c.ctx, dosCred, h, dosAttrXattr, binary.LittleEndian.AppendUint32(nil, attrs), 0)
}

// attrsOf are the SMB attributes of h, whose store attributes are a: the
// derived ones and the kept ones; FILE_ATTRIBUTE_NORMAL when no other bit
// is set (MS-FSCC §2.6).
func (c *conn) attrsOf(t *tree, h store.Handle, a *store.Attr) wire.FileAttrs {
	fa := fileAttrs(a)
	dir := a.Type == store.TypeDir
	fa.FileAttributes = fa.FileAttributes&^wire.FILE_ATTRIBUTE_ARCHIVE | c.keptAttrs(t, h, dir)
	if fa.FileAttributes == 0 {
		fa.FileAttributes = wire.FILE_ATTRIBUTE_NORMAL
	}
	return fa
}

package smb

import (
	"encoding/binary"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// A change time set with FileBasicInformation (MS-FSA §2.1.5.14.2 lets a
// client set ChangeTime; smbd keeps one) cannot be the store's ctime,
// which the store alone keeps. It is kept as the xattr ctimeXattr: the
// FILETIME set and the node's change counter right after it was stored.
// While the node's counter is still that value (nothing changed the node
// since), QUERY_INFO reports the time set; any later change of data or
// metadata makes the store's ctime the change time again, as it would be
// on NTFS. Like EAs and streams, the name lies outside user.*.
const ctimeXattr = "smb.ctime"

// setChangeTime keeps a change time set by the client (a FILETIME), if
// it can: the store may refuse the xattr (a caller without write
// permission who may still set times, as the owner of a read-only file
// may), and then the change time stays the store's, as before.
func (c *conn) setChangeTime(o *open, ft uint64) {
	t := o.tree
	a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
	if err != nil {
		return
	}
	var v [16]byte
	binary.LittleEndian.PutUint64(v[:], ft)
	binary.LittleEndian.PutUint64(v[8:], a.Change+1) // setting the xattr is one change
	_ = t.exp.FS.SetXattr(c.ctx, &t.cred, o.h, ctimeXattr, v[:], 0)
}

// changeTime puts a change time the client set into fa, if the node has
// not changed since.
func (c *conn) changeTime(o *open, a *store.Attr, fa *wire.FileAttrs) {
	t := o.tree
	v, err := t.exp.FS.GetXattr(c.ctx, &t.cred, o.h, ctimeXattr)
	if err != nil || len(v) != 16 || binary.LittleEndian.Uint64(v[8:]) != a.Change {
		return
	}
	fa.ChangeTime = binary.LittleEndian.Uint64(v)
}

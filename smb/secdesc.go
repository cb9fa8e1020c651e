package smb

import (
	"github.com/dittofs/dittofs/smb/internal/dtyp"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// Security descriptors (MS-DTYP §2.4.6) are derived from a node's owner,
// group and mode, never stored: the owner is S-1-22-1-uid, the group
// S-1-22-2-gid (Samba's Unix SIDs), and the DACL has an ACCESS_ALLOWED
// ACE for each of the owner, the group and Everyone (S-1-1-0) that has
// permission bits, with the mask of those rwx bits (modeMask); mode 0777
// is a NULL DACL, every right to everyone. As on Windows, the owner may
// read and change the descriptor whatever the DACL says. Setting one
// changes the owner and group through the store (which decides who may
// chown) and the mode when the DACL maps onto mode bits (daclMode);
// anything the mode cannot represent is refused. docs/smb.md has the
// table.

// errorResponse is the ERROR body of a failed request: the handler's
// error data (MS-SMB2 §2.2.2.2), as an ERROR context for 3.1.1.
func (r *request) errorResponse() *wire.ErrorResponse {
	if r.errData == nil {
		return &wire.ErrorResponse{}
	}
	if r.c.dialect >= wire.SMB2_DIALECT_311 {
		return &wire.ErrorResponse{Contexts: []wire.ErrorContext{{ErrorID: wire.SMB2_ERROR_ID_DEFAULT, Data: r.errData}}}
	}
	return &wire.ErrorResponse{Data: r.errData}
}

// bufferTooSmall fails a request with STATUS_BUFFER_TOO_SMALL and the
// size it would have needed (MS-SMB2 §3.3.5.20.3).
func (r *request) bufferTooSmall(need int) wire.Status {
	var e wire.Encoder
	e.Uint32(uint32(need))
	r.errData = e.Bytes()
	return wire.STATUS_BUFFER_TOO_SMALL
}

// Unix SIDs, as Samba's smbd gives them to users and groups without a
// Windows account (S-1-22-1-uid, S-1-22-2-gid).
const unixAuthority = 22

func uidSID(uid uint32) dtyp.SID { return dtyp.NewSID(unixAuthority, 1, uid) }
func gidSID(gid uint32) dtyp.SID { return dtyp.NewSID(unixAuthority, 2, gid) }

// sidID returns the id of a Unix SID of the kind (1 users, 2 groups).
func sidID(s *dtyp.SID, kind uint32) (uint32, bool) {
	if s == nil || s.Authority != unixAuthority || len(s.Sub) != 2 || s.Sub[0] != kind {
		return 0, false
	}
	return s.Sub[1], true
}

// Access masks of the mode mapping. Every open may read attributes, EAs
// and the security descriptor and synchronize (grantedAccess), so every
// ACE has baseMask.
const (
	baseMask  = wire.READ_CONTROL | wire.SYNCHRONIZE | wire.FILE_READ_ATTRIBUTES | wire.FILE_READ_EA
	readMask  = wire.FILE_READ_DATA
	writeMask = wire.FILE_WRITE_DATA | wire.FILE_APPEND_DATA | wire.FILE_WRITE_ATTRIBUTES | wire.FILE_WRITE_EA |
		wire.FILE_DELETE_CHILD | wire.DELETE
	execMask  = wire.FILE_EXECUTE
	ownerMask = wire.WRITE_DAC | wire.WRITE_OWNER // the owner may chmod and chown whatever the bits
)

// modeMask is the access mask of rwx bits (0-7) for the owner or another
// class: an owner with rwx has FILE_ALL_ACCESS.
func modeMask(bits uint32, owner bool) uint32 {
	m := uint32(baseMask)
	if bits&4 != 0 {
		m |= readMask
	}
	if bits&2 != 0 {
		m |= writeMask
	}
	if bits&1 != 0 {
		m |= execMask
	}
	if owner {
		m |= ownerMask
	}
	return m
}

// maskBits is the inverse of modeMask: the rwx bits of an ACE's mask
// (generic rights expanded), and false when the mask holds a right the
// bits cannot represent: part of the write rights without
// FILE_WRITE_DATA, WRITE_DAC or WRITE_OWNER for another class than the
// owner, ACCESS_SYSTEM_SECURITY or MAXIMUM_ALLOWED. The rights in
// baseMask, which every open has, may be present or not.
func maskBits(m uint32, owner bool) (uint32, bool) {
	if m&wire.GENERIC_ALL != 0 {
		m |= wire.FILE_ALL_ACCESS
	}
	if m&wire.GENERIC_READ != 0 {
		m |= baseMask | readMask
	}
	if m&wire.GENERIC_WRITE != 0 {
		m |= baseMask | wire.FILE_WRITE_DATA | wire.FILE_APPEND_DATA | wire.FILE_WRITE_ATTRIBUTES | wire.FILE_WRITE_EA
	}
	if m&wire.GENERIC_EXECUTE != 0 {
		m |= baseMask | execMask
	}
	m &^= wire.GENERIC_ALL | wire.GENERIC_READ | wire.GENERIC_WRITE | wire.GENERIC_EXECUTE | baseMask
	var bits uint32
	if m&readMask != 0 {
		bits |= 4
	}
	if m&wire.FILE_WRITE_DATA != 0 {
		bits |= 2
	}
	if m&execMask != 0 {
		bits |= 1
	}
	if m&^modeMask(bits, owner) != 0 {
		return 0, false
	}
	return bits, true
}

// modeSD is the security descriptor of a node with the parts info asks
// for (OWNER, GROUP, DACL; a SACL is present and empty).
func modeSD(a *store.Attr, info uint32) *dtyp.SecurityDescriptor {
	sd := &dtyp.SecurityDescriptor{}
	owner, group := uidSID(a.UID), gidSID(a.GID)
	if info&wire.OWNER_SECURITY_INFORMATION != 0 {
		sd.Owner = &owner
	}
	if info&wire.GROUP_SECURITY_INFORMATION != 0 {
		sd.Group = &group
	}
	if info&wire.DACL_SECURITY_INFORMATION != 0 {
		sd.Control |= dtyp.SE_DACL_PRESENT
		if a.Mode&0o7777 != 0o777 { // 0777 is a NULL DACL: every right to everyone
			sd.DACL = &dtyp.ACL{}
			for _, c := range []struct {
				bits  uint32
				sid   dtyp.SID
				owner bool
			}{{a.Mode >> 6 & 7, owner, true}, {a.Mode >> 3 & 7, group, false}, {a.Mode & 7, dtyp.Everyone, false}} {
				if c.bits != 0 {
					sd.DACL.ACEs = append(sd.DACL.ACEs, dtyp.ACE{Type: dtyp.ACCESS_ALLOWED_ACE_TYPE, Mask: modeMask(c.bits, c.owner), SID: c.sid})
				}
			}
		}
	}
	if info&wire.SACL_SECURITY_INFORMATION != 0 {
		sd.Control |= dtyp.SE_SACL_PRESENT
		sd.SACL = &dtyp.ACL{}
	}
	return sd
}

// querySecurity answers QUERY_INFO of SMB2_0_INFO_SECURITY (MS-SMB2
// §3.3.5.20.3, MS-FSA §2.1.5.13): the owner, group and DACL need
// READ_CONTROL, the SACL ACCESS_SYSTEM_SECURITY; a descriptor larger than
// the output buffer is STATUS_BUFFER_TOO_SMALL with the size it needs.
func (c *conn) querySecurity(r *request, o *open, req *wire.QueryInfoRequest, a *store.Attr) wire.Status {
	info := req.AdditionalInformation
	if info&(wire.OWNER_SECURITY_INFORMATION|wire.GROUP_SECURITY_INFORMATION|wire.DACL_SECURITY_INFORMATION) != 0 &&
		o.access&wire.READ_CONTROL == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if info&wire.SACL_SECURITY_INFORMATION != 0 && o.access&wire.ACCESS_SYSTEM_SECURITY == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	sd := modeSD(a, info)
	if n := sd.Size(); n > int(req.OutputBufferLength) {
		return r.bufferTooSmall(n)
	}
	(&wire.OutputResponse{Output: sd.Append(nil)}).Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// sdSet turns the parts of sd that info selects into a change of the
// node whose owner, group and mode are a (MS-FSA §2.1.5.16): the owner
// must be a Unix user SID (else STATUS_INVALID_OWNER), the group a Unix
// group SID (else STATUS_INVALID_PRIMARY_GROUP), the DACL must map onto
// mode bits (daclMode), and a SACL must be empty (the server keeps no
// audit entries); what cannot be represented is STATUS_NOT_SUPPORTED.
func sdSet(sd *dtyp.SecurityDescriptor, info uint32, a *store.Attr) (store.SetAttr, wire.Status) {
	var sa store.SetAttr
	uid, gid := a.UID, a.GID
	if info&wire.OWNER_SECURITY_INFORMATION != 0 {
		id, ok := sidID(sd.Owner, 1)
		if !ok {
			return sa, wire.STATUS_INVALID_OWNER
		}
		sa.Mask |= store.SetUID
		sa.UID, uid = id, id
	}
	if info&wire.GROUP_SECURITY_INFORMATION != 0 {
		id, ok := sidID(sd.Group, 2)
		if !ok {
			return sa, wire.STATUS_INVALID_PRIMARY_GROUP
		}
		sa.Mask |= store.SetGID
		sa.GID, gid = id, id
	}
	if info&wire.DACL_SECURITY_INFORMATION != 0 {
		mode, st := daclMode(sd, uid, gid)
		if st != wire.STATUS_SUCCESS {
			return sa, st
		}
		sa.Mask |= store.SetMode
		sa.Mode = a.Mode&^0o777 | mode
	}
	if info&wire.SACL_SECURITY_INFORMATION != 0 && sd.Control&dtyp.SE_SACL_PRESENT != 0 &&
		sd.SACL != nil && len(sd.SACL.ACEs) > 0 {
		return sa, wire.STATUS_NOT_SUPPORTED
	}
	return sa, wire.STATUS_SUCCESS
}

// daclMode is the permission bits a DACL gives, for a node owned by uid
// and gid: a NULL DACL (every right to everyone) is 0777; otherwise each
// ACE must be ACCESS_ALLOWED, without inheritance flags (INHERITED_ACE
// alone is allowed), for the owner's SID, the group's SID or Everyone,
// with a mask maskBits accepts; the bits of a class are the union of its
// ACEs, and a class without one has none.
func daclMode(sd *dtyp.SecurityDescriptor, uid, gid uint32) (uint32, wire.Status) {
	if sd.Control&dtyp.SE_DACL_PRESENT == 0 || sd.DACL == nil {
		return 0o777, wire.STATUS_SUCCESS
	}
	owner, group := uidSID(uid), gidSID(gid)
	var mode uint32
	for i := range sd.DACL.ACEs {
		ace := &sd.DACL.ACEs[i]
		if ace.Type != dtyp.ACCESS_ALLOWED_ACE_TYPE || ace.Flags&^dtyp.INHERITED_ACE != 0 {
			return 0, wire.STATUS_NOT_SUPPORTED
		}
		var shift uint32
		switch {
		case ace.SID.Equal(&owner):
			shift = 6
		case ace.SID.Equal(&group):
			shift = 3
		case ace.SID.Equal(&dtyp.Everyone):
			shift = 0
		default:
			return 0, wire.STATUS_NOT_SUPPORTED
		}
		bits, ok := maskBits(ace.Mask, shift == 6)
		if !ok {
			return 0, wire.STATUS_NOT_SUPPORTED
		}
		mode |= bits << shift
	}
	return mode, wire.STATUS_SUCCESS
}

// setSecurity is SET_INFO of SMB2_0_INFO_SECURITY (MS-SMB2 §3.3.5.21.3,
// MS-FSA §2.1.5.16): the owner and group need WRITE_OWNER, the DACL
// WRITE_DAC, the SACL ACCESS_SYSTEM_SECURITY (STATUS_ACCESS_DENIED); a
// descriptor that does not decode is STATUS_INVALID_SECURITY_DESCR.
func (c *conn) setSecurity(o *open, req *wire.SetInfoRequest) wire.Status {
	info := req.AdditionalInformation
	switch {
	case info&(wire.OWNER_SECURITY_INFORMATION|wire.GROUP_SECURITY_INFORMATION) != 0 && o.access&wire.WRITE_OWNER == 0,
		info&wire.DACL_SECURITY_INFORMATION != 0 && o.access&wire.WRITE_DAC == 0,
		info&wire.SACL_SECURITY_INFORMATION != 0 && o.access&wire.ACCESS_SYSTEM_SECURITY == 0:
		return wire.STATUS_ACCESS_DENIED
	}
	sd, err := dtyp.Decode(req.Buffer)
	if err != nil {
		c.s.logs.Info(c.s.log, "smb: bad security descriptor", "remote", c.remote.String(), "err", err)
		return wire.STATUS_INVALID_SECURITY_DESCR
	}
	t := o.tree
	a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
	if err != nil {
		return storeStatus(err)
	}
	sa, st := sdSet(sd, info, &a)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if t.readOnly && sa.Mask != 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if sa.Mask&store.SetUID != 0 && sa.UID == a.UID {
		sa.Mask &^= store.SetUID // a no-op owner is not a chown
	}
	if sa.Mask&store.SetGID != 0 && sa.GID == a.GID {
		sa.Mask &^= store.SetGID
	}
	if sa.Mask&store.SetMode != 0 && sa.Mode == a.Mode {
		sa.Mask &^= store.SetMode
	}
	if sa.Mask == 0 {
		return wire.STATUS_SUCCESS
	}
	if _, err := t.exp.FS.SetAttr(c.ctx, &t.cred, o.h, &sa); err != nil {
		return storeStatus(err)
	}
	return wire.STATUS_SUCCESS
}

// createSD reads the SecD create context (MS-SMB2 §2.2.13.2.3): the
// descriptor for a file the CREATE makes, as sdSet takes it for a node
// the caller owns with mode; nil without the context.
func createSD(req *wire.CreateRequest, cred *store.Cred, mode uint32) (*store.SetAttr, wire.Status) {
	b, ok := req.Context(wire.SMB2_CREATE_SD_BUFFER)
	if !ok {
		return nil, wire.STATUS_SUCCESS
	}
	sd, err := dtyp.Decode(b)
	if err != nil {
		return nil, wire.STATUS_INVALID_SECURITY_DESCR
	}
	var info uint32
	if sd.Owner != nil {
		info |= wire.OWNER_SECURITY_INFORMATION
	}
	if sd.Group != nil {
		info |= wire.GROUP_SECURITY_INFORMATION
	}
	if sd.Control&dtyp.SE_DACL_PRESENT != 0 {
		info |= wire.DACL_SECURITY_INFORMATION
	}
	if sd.Control&dtyp.SE_SACL_PRESENT != 0 {
		info |= wire.SACL_SECURITY_INFORMATION
	}
	a := store.Attr{UID: cred.UID, GID: cred.GID, Mode: mode}
	sa, st := sdSet(sd, info, &a)
	if st != wire.STATUS_SUCCESS {
		return nil, st
	}
	return &sa, wire.STATUS_SUCCESS
}

// chownCreated gives a file a CREATE just made the owner and group of its
// SecD context, if they are not the creator's; when the store refuses,
// the file is removed again and the CREATE fails with the store's status.
func (c *conn) chownCreated(t *tree, parent store.Handle, name string, h store.Handle, sd *store.SetAttr, dir bool) wire.Status {
	if sd == nil {
		return wire.STATUS_SUCCESS
	}
	sa := store.SetAttr{Mask: sd.Mask & (store.SetUID | store.SetGID), UID: sd.UID, GID: sd.GID}
	if sa.Mask&store.SetUID != 0 && sa.UID == t.cred.UID {
		sa.Mask &^= store.SetUID
	}
	if sa.Mask&store.SetGID != 0 && sa.GID == t.cred.GID {
		sa.Mask &^= store.SetGID
	}
	if sa.Mask == 0 {
		return wire.STATUS_SUCCESS
	}
	if _, err := t.exp.FS.SetAttr(c.ctx, &t.cred, h, &sa); err != nil {
		c.undoCreate(t, parent, name, dir)
		return storeStatus(err)
	}
	return wire.STATUS_SUCCESS
}

// undoCreate removes what a CREATE made when a later step of it fails.
func (c *conn) undoCreate(t *tree, parent store.Handle, name string, dir bool) {
	if dir {
		_, _ = t.exp.FS.Rmdir(c.ctx, &t.cred, parent, name)
	} else {
		_, _ = t.exp.FS.Remove(c.ctx, &t.cred, parent, name)
	}
}

package smb

import (
	"strings"

	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// Extended attributes (MS-FSCC §2.4.15) are store xattrs named
// eaPrefix + the EA name as the client first gave it, the value being the
// EA's Flags byte followed by its value. Names compare without regard to
// case, as NTFS's do. The prefix lies outside the "user." namespace, the
// only one NFSv4.2 clients reach (RFC 8276 covers user xattrs only; Linux
// knfsd keeps a client's key K as user.K), so NFS neither sees nor
// collides with them.
const eaPrefix = "smb.ea."

// maxEASize bounds the EAs of one file: the size of their
// FILE_FULL_EA_INFORMATION list, NTFS's 64 KiB limit. Past it a set is
// STATUS_EA_TOO_LARGE.
const maxEASize = 65535

// maxEAName is the longest EA name the store can keep after eaPrefix
// (store names are at most 255 bytes).
const maxEAName = 255 - len(eaPrefix)

// fileEAs reads the EAs of a node, in the store's name order.
func (c *conn) fileEAs(t *tree, h store.Handle) ([]fscc.EA, wire.Status) {
	var eas []fscc.EA
	st := c.eachXattr(t, h, eaPrefix, func(name string, v []byte) {
		if len(v) > 0 { // an empty value was not written by this package
			eas = append(eas, fscc.EA{Flags: v[0], Name: []byte(name), Value: v[1:]})
		}
	})
	return eas, st
}

// eachXattr calls fn with the name (after prefix) and value of each of a
// node's xattrs whose name starts with prefix, in the store's order; one
// removed meanwhile is skipped.
func (c *conn) eachXattr(t *tree, h store.Handle, prefix string, fn func(name string, value []byte)) wire.Status {
	names, err := t.exp.FS.ListXattr(c.ctx, &t.cred, h)
	if err != nil {
		return storeStatus(err)
	}
	for _, n := range names {
		name, ok := strings.CutPrefix(n, prefix)
		if !ok {
			continue
		}
		v, err := t.exp.FS.GetXattr(c.ctx, &t.cred, h, n)
		if err != nil {
			if store.CodeOf(err) == store.CodeNoXattr {
				continue
			}
			return storeStatus(err)
		}
		fn(name, v)
	}
	return wire.STATUS_SUCCESS
}

// findEA is the index of the EA named name (without regard to case), or -1.
func findEA(eas []fscc.EA, name []byte) int {
	for i := range eas {
		if strings.EqualFold(string(eas[i].Name), string(name)) {
			return i
		}
	}
	return -1
}

// eaNameValid reports whether an EA name is one NTFS accepts: ASCII
// without control characters and without "*+,/:;<=>?[\]| (MS-FSCC
// §2.4.15: the FAT/NTFS legal character set), short enough to store.
func eaNameValid(name []byte) bool {
	if len(name) == 0 || len(name) > maxEAName {
		return false
	}
	for _, b := range name {
		if b < 0x20 || b >= 0x7f || strings.IndexByte(`"*+,/:;<=>?[\]|`, b) >= 0 {
			return false
		}
	}
	return true
}

// checkEAs validates a FILE_FULL_EA_INFORMATION list to set (MS-FSA
// §2.1.5.14.6): STATUS_INVALID_EA_NAME for a bad name, STATUS_INVALID_EA_FLAG
// for a flag other than FILE_NEED_EA.
func checkEAs(list []fscc.EA) wire.Status {
	for i := range list {
		if !eaNameValid(list[i].Name) {
			return wire.STATUS_INVALID_EA_NAME
		}
		if list[i].Flags&^fscc.FILE_NEED_EA != 0 {
			return wire.STATUS_INVALID_EA_FLAG
		}
	}
	return wire.STATUS_SUCCESS
}

// setEAs applies a checked list to a node: an empty value removes the EA,
// another sets it (keeping the stored name's case when it exists). The
// result must stay within maxEASize (STATUS_EA_TOO_LARGE, nothing
// changed). With replace, the node's other EAs are removed (a CREATE that
// overwrites a file with an EA buffer).
func (c *conn) setEAs(t *tree, h store.Handle, list []fscc.EA, replace bool) wire.Status {
	cur, st := c.fileEAs(t, h)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	old := cur
	if replace {
		cur = nil
	}
	next := append([]fscc.EA{}, cur...)
	for _, ea := range list {
		i := findEA(next, ea.Name)
		switch {
		case len(ea.Value) == 0 && i >= 0:
			next = append(next[:i], next[i+1:]...)
		case len(ea.Value) == 0:
		case i >= 0:
			next[i] = fscc.EA{Flags: ea.Flags, Name: next[i].Name, Value: ea.Value}
		default:
			next = append(next, ea)
		}
	}
	if fscc.FullEaSize(next) > maxEASize {
		return wire.STATUS_EA_TOO_LARGE
	}
	fsys := t.exp.FS
	keep := make(map[string]bool, len(next))
	for _, ea := range next {
		keep[string(ea.Name)] = true
	}
	for _, ea := range old {
		if !keep[string(ea.Name)] {
			if err := fsys.RemoveXattr(c.ctx, &t.cred, h, eaPrefix+string(ea.Name)); err != nil && store.CodeOf(err) != store.CodeNoXattr {
				return storeStatus(err)
			}
		}
	}
	for _, ea := range list {
		i := findEA(next, ea.Name)
		if i < 0 {
			continue // removed
		}
		v := append([]byte{next[i].Flags}, next[i].Value...)
		if err := fsys.SetXattr(c.ctx, &t.cred, h, eaPrefix+string(next[i].Name), v, 0); err != nil {
			return storeStatus(err)
		}
	}
	return wire.STATUS_SUCCESS
}

// eaSize is the FILE_EA_INFORMATION EaSize of a node (MS-FSCC §2.4.13):
// the size of its FILE_FULL_EA_INFORMATION list, 0 without EAs.
func (c *conn) eaSize(t *tree, h store.Handle) uint32 {
	eas, st := c.fileEAs(t, h)
	if st != wire.STATUS_SUCCESS {
		return 0
	}
	return uint32(fscc.FullEaSize(eas))
}

// queryEAs answers QUERY_INFO of FileFullEaInformation (MS-SMB2
// §3.3.5.20.1, MS-FSA §2.1.5.12.12). With an EA name list as input, the
// named EAs in that order (an absent one with an empty value); otherwise
// the open's scan, from the start with SL_RESTART_SCAN, from the 1-based
// index in AdditionalInformation with SL_INDEX_SPECIFIED, or where the
// last query stopped. As many whole entries as fit (one with
// SL_RETURN_SINGLE_ENTRY); STATUS_BUFFER_TOO_SMALL when none does,
// STATUS_BUFFER_OVERFLOW when some are left; STATUS_NO_EAS_ON_FILE for a
// node without EAs, STATUS_NO_MORE_EAS at the end of the scan,
// STATUS_NONEXISTENT_EA_ENTRY for an index past the last EA.
func (c *conn) queryEAs(o *open, req *wire.QueryInfoRequest, e *wire.Encoder) wire.Status {
	if o.access&wire.FILE_READ_EA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	eas, st := c.fileEAs(o.tree, o.h)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if len(eas) == 0 {
		return wire.STATUS_NO_EAS_ON_FILE
	}
	var out []fscc.EA
	scan := len(req.Input) == 0
	if !scan {
		names, err := fscc.DecodeGetEa(req.Input, nil)
		if err != nil {
			return wire.STATUS_EA_LIST_INCONSISTENT
		}
		for _, n := range names {
			if i := findEA(eas, n); i >= 0 {
				out = append(out, eas[i])
			} else {
				out = append(out, fscc.EA{Name: n})
			}
		}
	} else {
		switch {
		case req.Flags&wire.SL_INDEX_SPECIFIED != 0:
			i := int(req.AdditionalInformation)
			if i < 1 || i > len(eas) {
				return wire.STATUS_NONEXISTENT_EA_ENTRY
			}
			o.eaNext = i - 1
		case req.Flags&wire.SL_RESTART_SCAN != 0:
			o.eaNext = 0
		}
		if o.eaNext >= len(eas) {
			return wire.STATUS_NO_MORE_EAS
		}
		out = eas[o.eaNext:]
	}
	if req.Flags&wire.SL_RETURN_SINGLE_ENTRY != 0 {
		out = out[:1]
	}
	// The whole entries that fit: each entry after the first starts
	// 4-byte aligned (fscc.FullEaSize).
	n, size := 0, 0
	for n < len(out) {
		end := (size+3)&^3 + fscc.FullEaSize(out[n:n+1])
		if n == 0 {
			end = fscc.FullEaSize(out[:1])
		}
		if end > int(req.OutputBufferLength) {
			break
		}
		n, size = n+1, end
	}
	if n == 0 {
		return wire.STATUS_BUFFER_TOO_SMALL
	}
	fscc.EncodeFullEa(e, out[:n])
	if scan {
		o.eaNext += n
		if o.eaNext < len(eas) {
			return wire.STATUS_BUFFER_OVERFLOW
		}
	} else if n < len(out) {
		return wire.STATUS_BUFFER_OVERFLOW
	}
	return wire.STATUS_SUCCESS
}

// setFullEA is SET_INFO of FileFullEaInformation (MS-FSA §2.1.5.14.6):
// FILE_WRITE_EA is needed, a list that does not decode is
// STATUS_EA_LIST_INCONSISTENT.
func (c *conn) setFullEA(o *open, buf []byte) wire.Status {
	if o.access&wire.FILE_WRITE_EA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	list, err := fscc.DecodeFullEa(buf, nil)
	if err != nil {
		return wire.STATUS_EA_LIST_INCONSISTENT
	}
	if st := checkEAs(list); st != wire.STATUS_SUCCESS {
		return st
	}
	return c.setEAs(o.tree, o.h, list, false)
}

// createEAs reads the ExtA create context (MS-SMB2 §2.2.13.2.1), checked;
// nil without one.
func createEAs(req *wire.CreateRequest) ([]fscc.EA, wire.Status) {
	b, ok := req.Context(wire.SMB2_CREATE_EA_BUFFER)
	if !ok {
		return nil, wire.STATUS_SUCCESS
	}
	list, err := fscc.DecodeFullEa(b, nil)
	if err != nil {
		return nil, wire.STATUS_EA_LIST_INCONSISTENT
	}
	return list, checkEAs(list)
}

// needEA reports whether a node has an EA flagged FILE_NEED_EA, which an
// open with FILE_NO_EA_KNOWLEDGE may not open (MS-FSA §2.1.5.1.2.1).
func (c *conn) needEA(t *tree, h store.Handle) bool {
	eas, _ := c.fileEAs(t, h)
	for _, ea := range eas {
		if ea.Flags&fscc.FILE_NEED_EA != 0 {
			return true
		}
	}
	return false
}

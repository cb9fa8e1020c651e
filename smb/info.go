package smb

import (
	"encoding/binary"
	"hash/fnv"
	"strings"

	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// queryInfo is SMB2 QUERY_INFO (MS-SMB2 §3.3.5.20) for the file and file
// system classes; security and quota are not supported.
func (c *conn) queryInfo(r *request) wire.Status {
	var req wire.QueryInfoRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	o, st := r.fileOpen(req.FileID)
	if o == nil {
		return st
	}
	t := o.tree
	a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
	if err != nil {
		return storeStatus(err)
	}
	fa := c.attrsOf(t, o.h, &a)
	c.streamAttrs(o, &fa) // a named stream's size (stream.go)
	o.applyAllocHint(&fa)
	c.changeTime(o, &a, &fa) // a change time the client set (ctime.go)
	var e wire.Encoder
	// fixed is the smallest buffer a variable-size class answers with
	// STATUS_BUFFER_OVERFLOW and truncated data rather than
	// STATUS_INFO_LENGTH_MISMATCH: MS-FSA §2.1.5.11 and §2.1.5.12 give it
	// as the offset of the variable field rounded up to 8
	// (BlockAlign(FieldOffset(...), 8)), or sizeof the structure.
	fixed := -1
	switch req.InfoType {
	case wire.SMB2_0_INFO_FILE:
		basic := fscc.BasicInfo{CreationTime: int64(fa.CreationTime), LastAccessTime: int64(fa.LastAccessTime),
			LastWriteTime: int64(fa.LastWriteTime), ChangeTime: int64(fa.ChangeTime), FileAttributes: fa.FileAttributes}
		std := fscc.StandardInfo{AllocationSize: fa.AllocationSize, EndOfFile: fa.EndOfFile, NumberOfLinks: a.Nlink,
			DeletePending: o.deleteOnClose, Directory: o.dir}
		switch req.FileInfoClass {
		case wire.FileBasicInformation, wire.FileAllInformation, wire.FileNetworkOpenInformation, wire.FileAttributeTagInformation:
			// MS-FSA §2.1.5.12.1, .3, .20, .4: these need FILE_READ_ATTRIBUTES.
			if o.access&wire.FILE_READ_ATTRIBUTES == 0 {
				return wire.STATUS_ACCESS_DENIED
			}
		}
		switch req.FileInfoClass {
		case wire.FileBasicInformation:
			basic.Encode(&e)
		case wire.FileStandardInformation:
			std.Encode(&e)
		case wire.FileInternalInformation:
			fscc.EncodeInternal(&e, a.ID)
		case wire.FileEaInformation:
			fscc.EncodeEa(&e, c.eaSize(t, o.h))
		case wire.FileAccessInformation:
			fscc.EncodeAccess(&e, o.access)
		case wire.FilePositionInformation:
			fscc.EncodePosition(&e, o.position)
		case wire.FileModeInformation:
			fscc.EncodeMode(&e, 0)
		case wire.FileAlignmentInformation:
			fscc.EncodeAlignment(&e, fscc.FILE_BYTE_ALIGNMENT)
		case wire.FileAllInformation:
			(&fscc.AllInfo{Basic: basic, Standard: std, IndexNumber: a.ID, EaSize: c.eaSize(t, o.h), AccessFlags: o.access,
				CurrentByteOffset: o.position, Name: `\` + o.path}).Encode(&e)
			fixed = 104 // BlockAlign(100, 8)
		case wire.FileNetworkOpenInformation:
			fscc.EncodeNetworkOpen(&e, &fa)
		case wire.FileAttributeTagInformation:
			fscc.EncodeAttributeTag(&e, fa.FileAttributes, 0)
		case wire.FileStreamInformation:
			ss, st := c.streamInfo(t, o.h, a.Type == store.TypeDir, &fa) // stream.go
			if st != wire.STATUS_SUCCESS {
				return st
			}
			fscc.EncodeStreams(&e, ss)
			fixed = 32 // sizeof(FILE_STREAM_INFORMATION), 24 + a WCHAR, aligned
		case wire.FileNormalizedNameInformation:
			if c.dialect < wire.SMB2_DIALECT_311 {
				return wire.STATUS_NOT_SUPPORTED
			}
			fscc.EncodeName(&e, o.path)
			fixed = 4
		case wire.FileCompressionInformation:
			(&fscc.CompressionInfo{CompressedFileSize: fa.EndOfFile}).Encode(&e)
		case wire.FileFullEaInformation:
			if st := c.queryEAs(o, &req, &e); st.IsError() { // ea.go
				return st
			} else if st != wire.STATUS_SUCCESS {
				(&wire.OutputResponse{Output: e.Bytes()}).Encode(&c.enc)
				return st
			}
		case wire.FileAlternateNameInformation:
			if o.name == "" {
				return wire.STATUS_OBJECT_NAME_NOT_FOUND // the share root has no name
			}
			fscc.EncodeName(&e, shortName(o.name)) // shortname.go
			fixed = 8                              // sizeof(FILE_NAME_INFORMATION), 4 + a WCHAR, aligned
		default:
			return wire.STATUS_INVALID_INFO_CLASS
		}
	case wire.SMB2_0_INFO_FILESYSTEM:
		st := t.exp.FS.FsStat(c.ctx)
		const sector, perUnit = 512, allocUnit / 512
		switch req.FileInfoClass {
		case wire.FileFsVolumeInformation:
			(&fscc.FsVolumeInfo{VolumeCreationTime: fscc.Filetime(c.s.start), VolumeSerialNumber: t.exp.ID,
				VolumeLabel: strings.TrimPrefix(t.exp.Name, "/")}).Encode(&e)
			fixed = 24 // BlockAlign(18, 8)
		case wire.FileFsSizeInformation:
			(&fscc.FsSizeInfo{TotalAllocationUnits: st.TotalBytes / allocUnit, AvailableAllocationUnits: st.AvailBytes / allocUnit,
				SectorsPerAllocationUnit: perUnit, BytesPerSector: sector}).Encode(&e)
		case wire.FileFsFullSizeInformation:
			(&fscc.FsFullSizeInfo{TotalAllocationUnits: st.TotalBytes / allocUnit, CallerAvailableAllocationUnits: st.AvailBytes / allocUnit,
				ActualAvailableAllocationUnits: st.FreeBytes / allocUnit, SectorsPerAllocationUnit: perUnit, BytesPerSector: sector}).Encode(&e)
		case wire.FileFsControlInformation:
			fscc.EncodeFsControlNoQuota(&e) // quotas are not kept
		case wire.FileFsObjectIdInformation:
			// The volume's object id: stable for the export (its id and
			// name), as smbd derives one from the file system.
			var id [16]byte
			binary.LittleEndian.PutUint32(id[:], t.exp.ID)
			h := fnv.New64a()
			h.Write([]byte(t.exp.Name))
			binary.LittleEndian.PutUint64(id[8:], h.Sum64())
			fscc.EncodeFsObjectID(&e, id)
		case wire.FileFsDeviceInformation:
			fscc.EncodeFsDevice(&e, fscc.FILE_DEVICE_DISK, 0)
		case wire.FileFsAttributeInformation:
			(&fscc.FsAttributeInfo{
				FileSystemAttributes: fscc.FILE_CASE_SENSITIVE_SEARCH | fscc.FILE_CASE_PRESERVED_NAMES |
					fscc.FILE_UNICODE_ON_DISK | fscc.FILE_SUPPORTS_SPARSE_FILES | fscc.FILE_SUPPORTS_HARD_LINKS |
					fscc.FILE_SUPPORTS_BLOCK_REFCOUNTING, // FSCTL_DUPLICATE_EXTENTS_TO_FILE (ioctl.go)
				MaximumComponentNameLength: 255, FileSystemName: "NTFS"}).Encode(&e)
			fixed = 16 // BlockAlign(12, 8)
		case wire.FileFsSectorSizeInformation:
			(&fscc.FsSectorSizeInfo{LogicalBytesPerSector: sector, PhysicalBytesPerSectorForAtomicity: allocUnit,
				PhysicalBytesPerSectorForPerformance: allocUnit, FileSystemEffectivePhysicalBytesPerSectorForAtomicity: allocUnit,
				Flags: fscc.SSINFO_FLAGS_TRIM_ENABLED, // FSCTL_FILE_LEVEL_TRIM (ioctl.go)
			}).Encode(&e)
		default:
			return wire.STATUS_INVALID_INFO_CLASS
		}
	case wire.SMB2_0_INFO_SECURITY:
		return c.querySecurity(r, o, &req, &a) // secdesc.go
	default:
		return wire.STATUS_NOT_SUPPORTED // quotas: not yet
	}
	out, status := e.Bytes(), wire.STATUS_SUCCESS
	if max := int(req.OutputBufferLength); len(out) > max {
		if fixed < 0 || max < fixed {
			return wire.STATUS_INFO_LENGTH_MISMATCH
		}
		out, status = out[:max], wire.STATUS_BUFFER_OVERFLOW
	}
	(&wire.OutputResponse{Output: out}).Encode(&c.enc)
	return status
}

// setInfo is SMB2 SET_INFO (MS-SMB2 §3.3.5.21) for the file classes.
func (c *conn) setInfo(r *request) wire.Status {
	var req wire.SetInfoRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	o, st := r.fileOpen(req.FileID)
	if o == nil {
		return st
	}
	if req.InfoType == wire.SMB2_0_INFO_SECURITY {
		if st := c.setSecurity(o, &req); st != wire.STATUS_SUCCESS { // secdesc.go
			return st
		}
		wire.EncodeSetInfoResponse(&c.enc)
		return wire.STATUS_SUCCESS
	}
	if req.InfoType != wire.SMB2_0_INFO_FILE {
		return wire.STATUS_NOT_SUPPORTED
	}
	t := o.tree
	fsys, cred := t.exp.FS, &t.cred
	need := func(bits uint32) bool { return o.access&bits != 0 }
	st = wire.STATUS_SUCCESS
	switch req.FileInfoClass {
	case wire.FileBasicInformation:
		var b fscc.BasicInfo
		if err := b.Decode(req.Buffer); err != nil {
			return wire.STATUS_INFO_LENGTH_MISMATCH
		}
		if !need(wire.FILE_WRITE_ATTRIBUTES) {
			return wire.STATUS_ACCESS_DENIED
		}
		st = c.setBasic(o, &b)
	case wire.FileEndOfFileInformation, wire.FileAllocationInformation:
		n, err := fscc.DecodeInt64(req.Buffer)
		if err != nil {
			return wire.STATUS_INFO_LENGTH_MISMATCH
		}
		if !need(wire.FILE_WRITE_DATA) {
			return wire.STATUS_ACCESS_DENIED
		}
		if n < 0 || o.dir {
			return wire.STATUS_INVALID_PARAMETER
		}
		c.breakForWrite(o) // even a larger allocation (smbtorture smb2.oplock.batch12)
		if o.stream != "" {
			st = c.truncateStream(o, uint64(n), req.FileInfoClass == wire.FileAllocationInformation) // stream.go
			break
		}
		if req.FileInfoClass == wire.FileAllocationInformation {
			a, err := fsys.GetAttr(c.ctx, cred, o.h)
			if err != nil {
				return storeStatus(err)
			}
			if uint64(n) >= a.Size {
				break // allocation is the store's business
			}
		}
		if _, err := fsys.SetAttr(c.ctx, cred, o.h, &store.SetAttr{Mask: store.SetSize, Size: uint64(n)}); err != nil {
			return storeStatus(err)
		}
	case wire.FileDispositionInformation, wire.FileDispositionInformationEx:
		var del bool
		if req.FileInfoClass == wire.FileDispositionInformation {
			d, err := fscc.DecodeDisposition(req.Buffer)
			if err != nil {
				return wire.STATUS_INFO_LENGTH_MISMATCH
			}
			del = d
		} else {
			f, err := fscc.DecodeDispositionEx(req.Buffer)
			if err != nil {
				return wire.STATUS_INFO_LENGTH_MISMATCH
			}
			del = f&fscc.FILE_DISPOSITION_DELETE != 0
		}
		if !need(wire.DELETE) {
			return wire.STATUS_ACCESS_DENIED
		}
		if del {
			c.breakForNamespace(o)
		}
		st = c.setDelete(o, del)
	case wire.FileRenameInformation:
		var ri fscc.RenameInfo
		if err := ri.Decode(req.Buffer); err != nil {
			return wire.STATUS_INVALID_PARAMETER
		}
		if !need(wire.DELETE) {
			return wire.STATUS_ACCESS_DENIED
		}
		c.breakForNamespace(o)
		st = c.rename(r.sess, o, &ri)
	case wire.FileLinkInformation:
		st = c.link(r.sess, o, req.Buffer)
	case wire.FilePositionInformation:
		n, err := fscc.DecodeInt64(req.Buffer)
		if err != nil {
			return wire.STATUS_INFO_LENGTH_MISMATCH
		}
		if n < 0 {
			return wire.STATUS_INVALID_PARAMETER
		}
		o.position = uint64(n)
	case wire.FileFullEaInformation:
		st = c.setFullEA(o, req.Buffer) // ea.go
	case wire.FileModeInformation:
		// Nothing to keep: every open is synchronous for the server.
	default:
		return wire.STATUS_INVALID_INFO_CLASS
	}
	if st != wire.STATUS_SUCCESS {
		return st
	}
	wire.EncodeSetInfoResponse(&c.enc)
	return wire.STATUS_SUCCESS
}

// setBasic applies FILE_BASIC_INFORMATION: the creation, access and write
// times (0 and -1 leave a time alone; the change time cannot be set, as
// in Samba) and the read-only attribute as the write bits of the mode.
func (c *conn) setBasic(o *open, b *fscc.BasicInfo) wire.Status {
	// MS-FSA §2.1.5.14.2: a directory cannot be made TEMPORARY, and a
	// file cannot be given the DIRECTORY attribute.
	if o.dir && b.FileAttributes&wire.FILE_ATTRIBUTE_TEMPORARY != 0 ||
		!o.dir && b.FileAttributes&wire.FILE_ATTRIBUTE_DIRECTORY != 0 {
		return wire.STATUS_INVALID_PARAMETER
	}
	t := o.tree
	sa := store.SetAttr{}
	set := func(v int64, mask store.SetMask, dst *int64) {
		if v > 0 {
			sa.Mask |= mask
			*dst = fscc.Time(uint64(v)).UnixNano()
		}
	}
	set(b.CreationTime, store.SetBtime, &sa.Btime)
	set(b.LastAccessTime, store.SetAtime, &sa.Atime)
	set(b.LastWriteTime, store.SetMtime, &sa.Mtime)
	if b.FileAttributes != 0 {
		a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
		if err != nil {
			return storeStatus(err)
		}
		ro := b.FileAttributes&wire.FILE_ATTRIBUTE_READONLY != 0
		switch {
		case ro && a.Mode&0o222 != 0:
			sa.Mask, sa.Mode = sa.Mask|store.SetMode, a.Mode&^0o222
		case !ro && a.Mode&0o222 == 0:
			sa.Mask, sa.Mode = sa.Mask|store.SetMode, a.Mode|0o200
		}
		// HIDDEN, SYSTEM, ARCHIVE, TEMPORARY, NOT_CONTENT_INDEXED are
		// kept as given (NORMAL alone clears them); SPARSE_FILE only
		// changes through FSCTL_SET_SPARSE (MS-FSA §2.1.5.14.2).
		cur := c.keptAttrs(t, o.h, o.dir)
		if want := cur&wire.FILE_ATTRIBUTE_SPARSE_FILE | b.FileAttributes&keptMask; want != cur {
			if err := c.setKeptAttrs(t, o.h, o.dir, want); err != nil {
				return storeStatus(err)
			}
		}
	}
	if sa.Mask != 0 {
		if _, err := t.exp.FS.SetAttr(c.ctx, &t.cred, o.h, &sa); err != nil {
			return storeStatus(err)
		}
	}
	if b.ChangeTime > 0 {
		c.setChangeTime(o, uint64(b.ChangeTime)) // ctime.go
	}
	if b.FileAttributes != 0 && sa.Mask&store.SetMode == 0 {
		// attributes the store does not keep as such (HIDDEN,
		// SYSTEM... in dosattr.go's xattr): still a change of
		// attributes to watchers (notify.go)
		_ = t.exp.FS.Notify(c.ctx, o.h, store.ChangeAttributes)
	}
	return wire.STATUS_SUCCESS
}

// setDelete marks an open delete-on-close; a directory must be empty
// (MS-FSA §2.1.5.14.3) and the share root cannot be deleted.
func (c *conn) setDelete(o *open, del bool) wire.Status {
	if del && o.path == "" {
		return wire.STATUS_CANNOT_DELETE
	}
	if del && o.dir {
		t := o.tree
		empty := true
		if _, _, err := t.exp.FS.ReadDir(c.ctx, &t.cred, o.h, 0, store.Verifier{}, false, func(*store.DirEntry) bool {
			empty = false
			return false
		}); err != nil {
			return storeStatus(err)
		}
		if !empty {
			return wire.STATUS_DIRECTORY_NOT_EMPTY
		}
	}
	o.deleteOnClose = del
	return wire.STATUS_SUCCESS
}

// rename is FILE_RENAME_INFORMATION: a move within the share.
func (c *conn) rename(sess *session, o *open, ri *fscc.RenameInfo) wire.Status {
	if o.path == "" {
		return wire.STATUS_ACCESS_DENIED
	}
	if ri.RootDirectory != 0 {
		return wire.STATUS_INVALID_PARAMETER
	}
	name, err := wire.DecodeUTF16(ri.FileName)
	if err != nil {
		return wire.STATUS_OBJECT_NAME_INVALID
	}
	if o.stream != "" || strings.HasPrefix(name, ":") {
		return c.renameStream(o, name, ri.ReplaceIfExists) // stream.go
	}
	t := o.tree
	dir, parts, st := c.target(t, name) // link.go
	if st != wire.STATUS_SUCCESS {
		return st
	}
	last := parts[len(parts)-1]
	if dir == o.parent && last == o.name {
		return wire.STATUS_SUCCESS
	}
	h, a, found, err := c.lookup(t, dir, last)
	switch {
	case err == nil && h == o.h && dir == o.parent && found == o.name:
		// Its own name in another case (a case-insensitive share):
		// the rename changes the case.
	case err == nil:
		if !ri.ReplaceIfExists {
			return wire.STATUS_OBJECT_NAME_COLLISION
		}
		if a.Type == store.TypeDir || h == o.h {
			return wire.STATUS_ACCESS_DENIED
		}
		for _, other := range sess.opens {
			if other.h == h {
				return wire.STATUS_ACCESS_DENIED // open elsewhere: Windows refuses too
			}
		}
		if found != last {
			// The entry replaced is spelt in another case: the new
			// name is the one given.
			if _, err := t.exp.FS.Remove(c.ctx, &t.cred, dir, found); err != nil {
				return storeStatus(err)
			}
		}
	case store.CodeOf(err) != store.CodeNotExist:
		return storeStatus(err)
	}
	if _, _, err := t.exp.FS.Rename(c.ctx, &t.cred, o.parent, o.name, dir, last); err != nil {
		return storeStatus(err)
	}
	o.parent, o.name, o.path = dir, last, strings.Join(parts, `\`)
	o.renamed = !o.dir
	return wire.STATUS_SUCCESS
}

// queryDirectory is SMB2 QUERY_DIRECTORY (MS-SMB2 §3.3.5.18): entries in
// the store's cookie order after "." and "..", filtered by the search
// pattern, written straight into the reply up to the output limit; the
// next call resumes after the last entry sent.
func (c *conn) queryDirectory(r *request) wire.Status {
	var req wire.QueryDirectoryRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if !r.checkCharge(min(req.OutputBufferLength, uint32(c.maxSize))) {
		return wire.STATUS_INVALID_PARAMETER
	}
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	if !o.dir {
		return wire.STATUS_INVALID_PARAMETER
	}
	if o.access&wire.FILE_LIST_DIRECTORY == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if fscc.DirFixedSize(req.FileInformationClass) == 0 {
		return wire.STATUS_INVALID_INFO_CLASS
	}
	pattern, err := wire.DecodeUTF16(req.FileName)
	if err != nil {
		return wire.STATUS_OBJECT_NAME_INVALID
	}
	first := req.Flags&(wire.SMB2_RESTART_SCANS|wire.SMB2_REOPEN) != 0 || !o.started
	if first {
		o.cookie, o.verf, o.dotsDone, o.ended = 0, store.Verifier{}, 0, false
		if pattern == "" {
			pattern = "*"
		}
		o.pattern = pattern
	}
	o.started = true
	if o.ended {
		return wire.STATUS_NO_MORE_FILES
	}
	max := min(int(req.OutputBufferLength), c.maxSize)
	body := c.enc.Len()
	(&wire.OutputResponse{}).EncodeFixed(&c.enc, 0)
	dw, err := fscc.NewDirWriter(&c.enc, req.FileInformationClass, max)
	if err != nil {
		return wire.STATUS_INVALID_INFO_CLASS
	}
	t := o.tree
	single := req.Flags&wire.SMB2_RETURN_SINGLE_ENTRY != 0
	added, full := 0, false
	var ent fscc.DirEntry
	fill := func(name string, h store.Handle, a *store.Attr) {
		fa := c.attrsOf(t, h, a) // a kept-attribute read per entry (dosattr.go)
		ent = fscc.DirEntry{CreationTime: fa.CreationTime, LastAccessTime: fa.LastAccessTime,
			LastWriteTime: fa.LastWriteTime, ChangeTime: fa.ChangeTime, EndOfFile: fa.EndOfFile,
			AllocationSize: fa.AllocationSize, FileAttributes: fa.FileAttributes, FileID: a.ID, Name: name}
	}
	for o.dotsDone < 2 && !(single && added > 0) {
		name := [2]string{".", ".."}[o.dotsDone]
		if matchPattern(o.pattern, name) {
			a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
			if err != nil {
				return storeStatus(err)
			}
			fill(name, o.h, &a) // ".." too shows the directory's own attributes
			if !dw.Add(&ent) {
				full = true
				break
			}
			added++
		}
		o.dotsDone++
	}
	if !full && !(single && added > 0) {
		stopped := false
		verf, eof, err := t.exp.FS.ReadDir(c.ctx, &t.cred, o.h, o.cookie, o.verf, true, func(de *store.DirEntry) bool {
			if !matchPattern(o.pattern, de.Name) {
				o.cookie = de.Cookie
				return true
			}
			if single && added > 0 {
				stopped = true
				return false
			}
			fill(de.Name, de.Handle, &de.Attr)
			if !dw.Add(&ent) {
				full = true
				return false
			}
			added++
			o.cookie = de.Cookie
			return true
		})
		if err != nil {
			return storeStatus(err)
		}
		o.verf = verf
		o.ended = eof && !full && !stopped
	}
	if added == 0 {
		c.enc.Truncate(body)
		switch {
		case full:
			return wire.STATUS_BUFFER_OVERFLOW
		case first:
			return wire.STATUS_NO_SUCH_FILE
		}
		return wire.STATUS_NO_MORE_FILES
	}
	c.enc.PutUint32At(body+4, uint32(dw.Len()))
	return wire.STATUS_SUCCESS
}

// matchPattern reports whether name matches a Windows search pattern,
// without regard to case: * and ? with DOS_STAR (<), DOS_QM (>) and
// DOS_DOT (") taken as *, ? and . (MS-FSA §2.1.4.4, simplified); "*.*"
// matches every name. It runs in O(len(pattern)·len(name)).
func matchPattern(pattern, name string) bool {
	if pattern == "*" || pattern == "*.*" || pattern == "<.<" {
		return true
	}
	p := []rune(strings.ToUpper(pattern))
	n := []rune(strings.ToUpper(name))
	for i, r := range p {
		switch r {
		case '<':
			p[i] = '*'
		case '>':
			p[i] = '?'
		case '"':
			p[i] = '.'
		}
	}
	pi, ni, star, mark := 0, 0, -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == n[ni]):
			pi++
			ni++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

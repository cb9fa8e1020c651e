package smb

import (
	"hash/fnv"
	"strings"

	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// Alternate data streams (MS-FSA §2.1.5.1.2.1, MS-FSCC §2.4.44) are kept
// as store xattrs, as Samba's vfs_streams_xattr does: the stream "name"
// of a file or directory is the xattr streamPrefix + name, its whole data
// the xattr's value. A stream is therefore at most the store's
// MaxXattrSize (64 KiB by default); writing or extending past it is
// STATUS_DISK_FULL. Like EA names, streamPrefix lies outside user.*, so
// NFS clients do not see the streams. Names compare without regard to
// case, keep the case they were created with, and may hold any character
// but NUL, '\', '/' and ':'; the only stream type is $DATA.
const streamPrefix = "smb.stream."

// maxStreamName is the longest stream name (UTF-8 bytes) the store can
// keep after streamPrefix.
const maxStreamName = 255 - len(streamPrefix)

// splitStream splits a CREATE path "dir\file:stream:$DATA" into the file's
// path and the stream name: "" with the default stream ("file" or
// "file::$DATA", for which dataOnly is set). A type other than $DATA, an
// empty name without the type, a name with '/' or NUL, or one too long is
// STATUS_OBJECT_NAME_INVALID; a ':' in another component than the last is
// left to splitPath, which refuses it.
func splitStream(p string) (path, stream string, dataOnly bool, st wire.Status) {
	last := strings.LastIndexByte(p, '\\') + 1
	i := strings.IndexByte(p[last:], ':')
	if i < 0 {
		return p, "", false, wire.STATUS_SUCCESS
	}
	path, rest := p[:last+i], p[last+i+1:]
	stream, typ, typed := strings.Cut(rest, ":")
	switch {
	case typed && !strings.EqualFold(typ, "$DATA"),
		!typed && stream == "",
		strings.ContainsAny(stream, "/\x00"),
		len(stream) > maxStreamName:
		return "", "", false, wire.STATUS_OBJECT_NAME_INVALID
	}
	return path, stream, stream == "", wire.STATUS_SUCCESS
}

// fileStream is one named stream of a node.
type fileStream struct {
	name string // as created
	size int
}

// fileStreams lists the named streams of a node, in the store's order.
func (c *conn) fileStreams(t *tree, h store.Handle) ([]fileStream, wire.Status) {
	var out []fileStream
	st := c.eachXattr(t, h, streamPrefix, func(name string, v []byte) {
		out = append(out, fileStream{name: name, size: len(v)})
	})
	return out, st
}

// findStream is the stored name of a node's stream named name (without
// regard to case), and whether there is one.
func (c *conn) findStream(t *tree, h store.Handle, name string) (string, bool, wire.Status) {
	ss, st := c.fileStreams(t, h)
	if st != wire.STATUS_SUCCESS {
		return "", false, st
	}
	for _, s := range ss {
		if strings.EqualFold(s.name, name) {
			return s.name, true, wire.STATUS_SUCCESS
		}
	}
	return name, false, wire.STATUS_SUCCESS
}

// streamStatus maps a store error of a stream's xattr: a stream removed
// under an open is STATUS_FILE_CLOSED... as far as the open can tell, the
// store's size bounds are STATUS_DISK_FULL.
func streamStatus(err error) wire.Status {
	if store.CodeOf(err) == store.CodeNoXattr {
		return wire.STATUS_OBJECT_NAME_NOT_FOUND
	}
	return storeStatus(err)
}

// lockID is the key of an open's share reservation and byte-range locks in
// the lock manager: the node's id for the file itself, and for a named
// stream an id of its own (the top bit set, so it never meets a node id of
// the store), so that share modes and locks apply per stream
// (MS-FSA §2.1.5.1.2).
func (o *open) lockID() uint64 {
	if o.streamLock == 0 {
		return o.h.ID
	}
	return o.streamLock
}

// streamLockID is the lock manager key of a node's stream, fixed when
// the stream is opened (a rename through the open does not change it).
func streamLockID(id uint64, stream string) uint64 {
	f := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(id >> (8 * i))
	}
	f.Write(b[:])
	f.Write([]byte(strings.ToUpper(stream)))
	return f.Sum64() | 1<<63
}

// streamData reads a stream's whole data.
func (c *conn) streamData(o *open) ([]byte, wire.Status) {
	t := o.tree
	v, err := t.exp.FS.GetXattr(c.ctx, &t.cred, o.h, streamPrefix+o.stream)
	if err != nil {
		return nil, streamStatus(err)
	}
	return v, wire.STATUS_SUCCESS
}

// putStream replaces a stream's data.
func (c *conn) putStream(o *open, data []byte) wire.Status {
	t := o.tree
	if err := t.exp.FS.SetXattr(c.ctx, &t.cred, o.h, streamPrefix+o.stream, data, store.XattrReplace); err != nil {
		return streamStatus(err)
	}
	return wire.STATUS_SUCCESS
}

// maxStreamSize is the largest stream the store keeps.
func maxStreamSize(t *tree) int { return int(t.exp.FS.FsInfo().MaxXattrSize) }

// streamAttrs makes a node's attributes those of an open's stream: its
// size, the node's times and attributes (a stream has none of its own).
func (c *conn) streamAttrs(o *open, fa *wire.FileAttrs) {
	if o.stream == "" {
		return
	}
	data, _ := c.streamData(o)
	fa.EndOfFile = uint64(len(data))
	fa.AllocationSize = (fa.EndOfFile + allocUnit - 1) / allocUnit * allocUnit
	fa.FileAttributes &^= wire.FILE_ATTRIBUTE_DIRECTORY
	if fa.FileAttributes == 0 {
		fa.FileAttributes = wire.FILE_ATTRIBUTE_ARCHIVE
	}
}

// readStream is READ of a stream open.
func (c *conn) readStream(o *open, req *wire.ReadRequest) wire.Status {
	data, st := c.streamData(o)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if req.Offset >= uint64(len(data)) {
		if req.Length == 0 && req.MinimumCount == 0 {
			(&wire.ReadResponse{}).EncodeFixed(&c.enc, 0)
			return wire.STATUS_SUCCESS
		}
		return wire.STATUS_END_OF_FILE
	}
	p := data[req.Offset:]
	p = p[:min(len(p), int(req.Length))]
	if uint32(len(p)) < req.MinimumCount {
		return wire.STATUS_END_OF_FILE
	}
	body := c.enc.Len()
	(&wire.ReadResponse{}).EncodeFixed(&c.enc, len(p))
	copy(c.enc.Reserve(len(p)), p)
	c.enc.PutUint32At(body+4, uint32(len(p)))
	o.position = req.Offset + uint64(len(p))
	return wire.STATUS_SUCCESS
}

// writeStream is WRITE of a stream open: the stream's data is read,
// changed and put back whole (it is at most maxStreamSize).
func (c *conn) writeStream(o *open, req *wire.WriteRequest) wire.Status {
	end := req.Offset + uint64(len(req.Data))
	if end > uint64(maxStreamSize(o.tree)) {
		return wire.STATUS_DISK_FULL
	}
	data, st := c.streamData(o)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if uint64(len(data)) < end {
		data = append(data, make([]byte, int(end)-len(data))...)
	}
	copy(data[req.Offset:], req.Data)
	if st := c.putStream(o, data); st != wire.STATUS_SUCCESS {
		return st
	}
	o.position = end
	(&wire.WriteResponse{Count: uint32(len(req.Data))}).Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// truncateStream sets a stream's size (FileEndOfFileInformation, and
// FileAllocationInformation below the size).
func (c *conn) truncateStream(o *open, n uint64, alloc bool) wire.Status {
	data, st := c.streamData(o)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	switch {
	case n == uint64(len(data)), alloc && n > uint64(len(data)):
		return wire.STATUS_SUCCESS
	case n > uint64(maxStreamSize(o.tree)):
		return wire.STATUS_DISK_FULL
	case n < uint64(len(data)):
		data = data[:n]
	default:
		data = append(data, make([]byte, int(n)-len(data))...)
	}
	return c.putStream(o, data)
}

// streamInfo lists FILE_STREAM_INFORMATION (MS-FSCC §2.4.44): "::$DATA"
// for a file's own data, then ":name:$DATA" for each named stream; a
// directory has no unnamed data stream.
func (c *conn) streamInfo(t *tree, h store.Handle, dir bool, fa *wire.FileAttrs) ([]fscc.StreamEntry, wire.Status) {
	var out []fscc.StreamEntry
	if !dir {
		out = append(out, fscc.StreamEntry{Name: "::$DATA", Size: fa.EndOfFile, AllocationSize: fa.AllocationSize})
	}
	ss, st := c.fileStreams(t, h)
	if st != wire.STATUS_SUCCESS {
		return nil, st
	}
	for _, s := range ss {
		out = append(out, fscc.StreamEntry{Name: ":" + s.name + ":$DATA", Size: uint64(s.size),
			AllocationSize: (uint64(s.size) + allocUnit - 1) / allocUnit * allocUnit})
	}
	return out, wire.STATUS_SUCCESS
}

// createStream is CREATE of a named stream (MS-FSA §2.1.5.1.2.1): the
// file is opened, or created as an empty file when the disposition
// allows; then the stream by the same disposition (created empty,
// overwritten to empty, or opened). A stream is never a directory
// (FILE_DIRECTORY_FILE is STATUS_NOT_A_DIRECTORY); directories may have
// named streams.
func (c *conn) createStream(r *request, req *wire.CreateRequest, path, sname string) wire.Status {
	t := r.tree
	opts, disp := req.CreateOptions, req.CreateDisposition
	if opts&wire.FILE_DIRECTORY_FILE != 0 {
		return wire.STATUS_NOT_A_DIRECTORY
	}
	parts, st := splitPath(path)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if len(parts) == 0 {
		return wire.STATUS_OBJECT_NAME_INVALID // the share root's streams: refused
	}
	fsys, cred := t.exp.FS, &t.cred
	last := parts[len(parts)-1]
	parent, st := c.walk(t, parts[:len(parts)-1])
	if st != wire.STATUS_SUCCESS {
		return st
	}
	h, a, err := fsys.Lookup(c.ctx, cred, parent, last)
	created := false
	switch {
	case err == nil:
		if a.Type != store.TypeDir && a.Type != store.TypeRegular {
			return wire.STATUS_ACCESS_DENIED
		}
	case store.CodeOf(err) != store.CodeNotExist:
		return storeStatus(err)
	case disp == wire.FILE_OPEN || disp == wire.FILE_OVERWRITE:
		return wire.STATUS_OBJECT_NAME_NOT_FOUND
	case t.readOnly:
		return wire.STATUS_ACCESS_DENIED
	default:
		sa := &store.SetAttr{Mask: store.SetMode, Mode: 0o644}
		if req.FileAttributes&wire.FILE_ATTRIBUTE_READONLY != 0 {
			sa.Mode = 0o444
		}
		if h, a, _, err = fsys.Create(c.ctx, cred, parent, last, store.CreateGuarded, sa, store.Verifier{}); err != nil {
			return storeStatus(err)
		}
		created = true
	}
	key, exists, st := c.findStream(t, h, sname)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	action := uint32(wire.FILE_OPENED)
	switch {
	case exists && disp == wire.FILE_CREATE:
		return wire.STATUS_OBJECT_NAME_COLLISION
	case !exists && (disp == wire.FILE_OPEN || disp == wire.FILE_OVERWRITE):
		return wire.STATUS_OBJECT_NAME_NOT_FOUND
	case t.readOnly && (!exists || disp != wire.FILE_OPEN && disp != wire.FILE_OPEN_IF):
		return wire.STATUS_ACCESS_DENIED
	case !exists:
		if err := fsys.SetXattr(c.ctx, cred, h, streamPrefix+key, nil, store.XattrCreate); err != nil {
			if created {
				c.undoCreate(t, parent, last, false)
			}
			return streamStatus(err)
		}
		action = wire.FILE_CREATED
	case disp == wire.FILE_OVERWRITE || disp == wire.FILE_OVERWRITE_IF || disp == wire.FILE_SUPERSEDE:
		if err := fsys.SetXattr(c.ctx, cred, h, streamPrefix+key, nil, store.XattrReplace); err != nil {
			return streamStatus(err)
		}
		action = wire.FILE_OVERWRITTEN
		if disp == wire.FILE_SUPERSEDE {
			action = wire.FILE_SUPERSEDED
		}
	}
	access, st := c.grantedAccess(t, h, req.DesiredAccess, created || action == wire.FILE_CREATED)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if a, err = fsys.GetAttr(c.ctx, cred, h); err != nil {
		return storeStatus(err)
	}
	r.sess.nextOpen++
	o := &open{
		id: r.sess.nextOpen, tree: t, h: h, parent: parent, name: last,
		path: strings.Join(parts, `\`), access: access, stream: key, streamLock: streamLockID(h.ID, key),
		deleteOnClose: opts&wire.FILE_DELETE_ON_CLOSE != 0,
	}
	if st := c.reserve(r.sess, o, req.ShareAccess); st != wire.STATUS_SUCCESS {
		return st
	}
	r.sess.opens[o.id] = o
	r.rel.fileID = o.fileID()
	fa := fileAttrs(&a)
	c.streamAttrs(o, &fa)
	(&wire.CreateResponse{CreateAction: action, Attrs: fa, FileID: o.fileID()}).Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// closeStream deletes a stream marked delete-on-close.
func (c *conn) closeStream(o *open) wire.Status {
	t := o.tree
	if err := t.exp.FS.RemoveXattr(c.ctx, &t.cred, o.h, streamPrefix+o.stream); err != nil && store.CodeOf(err) != store.CodeNoXattr {
		return storeStatus(err)
	}
	return wire.STATUS_SUCCESS
}

// renameStream renames a stream open's stream (FileRenameInformation with
// a target ":name" or ":name:$DATA", MS-FSA §2.1.5.14.11): onto an
// existing stream only with ReplaceIfExists (STATUS_OBJECT_NAME_COLLISION
// otherwise); to or from the unnamed data stream is not supported
// (STATUS_INVALID_PARAMETER), nor a target that is not a stream name.
func (c *conn) renameStream(o *open, target string, replace bool) wire.Status {
	path, sname, dataOnly, st := splitStream(target)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	switch {
	case path != "" && sname != "":
		// "file:stream" names the file too, which this open holds: smbd
		// answers a sharing violation.
		return wire.STATUS_SHARING_VIOLATION
	case path == "" && dataOnly && o.stream != "":
		return c.streamToData(o, replace)
	case path != "" || sname == "" || o.stream == "":
		return wire.STATUS_INVALID_PARAMETER
	}
	t := o.tree
	key, exists, st := c.findStream(t, o.h, sname)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if strings.EqualFold(key, o.stream) {
		return wire.STATUS_SUCCESS
	}
	if exists && !replace {
		return wire.STATUS_OBJECT_NAME_COLLISION
	}
	data, st := c.streamData(o)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	fsys := t.exp.FS
	if exists {
		if err := fsys.RemoveXattr(c.ctx, &t.cred, o.h, streamPrefix+key); err != nil {
			return streamStatus(err)
		}
		key = sname
	}
	if err := fsys.SetXattr(c.ctx, &t.cred, o.h, streamPrefix+key, data, store.XattrCreate); err != nil {
		return streamStatus(err)
	}
	if err := fsys.RemoveXattr(c.ctx, &t.cred, o.h, streamPrefix+o.stream); err != nil {
		return streamStatus(err)
	}
	o.stream = key
	return wire.STATUS_SUCCESS
}

// removeStreams deletes a file's named streams: overwriting or
// superseding a file's data replaces the whole file (MS-FSA
// §2.1.5.1.2.1), as smbtorture's create-disposition test checks.
func (c *conn) removeStreams(t *tree, h store.Handle) wire.Status {
	ss, st := c.fileStreams(t, h)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	for _, s := range ss {
		if err := t.exp.FS.RemoveXattr(c.ctx, &t.cred, h, streamPrefix+s.name); err != nil && store.CodeOf(err) != store.CodeNoXattr {
			return storeStatus(err)
		}
	}
	return wire.STATUS_SUCCESS
}

// streamToData renames a stream open's stream to the file's unnamed data
// stream ("::$DATA"): allowed when the file is empty, or with
// ReplaceIfExists (STATUS_OBJECT_NAME_COLLISION otherwise); the data moves
// into the file and the named stream is gone, the open now being the
// file's (MS-FSA §2.1.5.14.11).
func (c *conn) streamToData(o *open, replace bool) wire.Status {
	t := o.tree
	fsys := t.exp.FS
	a, err := fsys.GetAttr(c.ctx, &t.cred, o.h)
	if err != nil {
		return storeStatus(err)
	}
	if a.Type != store.TypeRegular {
		return wire.STATUS_INVALID_PARAMETER
	}
	if a.Size > 0 && !replace {
		return wire.STATUS_OBJECT_NAME_COLLISION
	}
	data, st := c.streamData(o)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if _, err := fsys.SetAttr(c.ctx, &t.cred, o.h, &store.SetAttr{Mask: store.SetSize}); err != nil {
		return storeStatus(err)
	}
	if len(data) > 0 {
		if _, _, err := fsys.WriteAt(c.ctx, &t.cred, o.h, data, 0, store.FileSync); err != nil {
			return storeStatus(err)
		}
	}
	if err := fsys.RemoveXattr(c.ctx, &t.cred, o.h, streamPrefix+o.stream); err != nil {
		return streamStatus(err)
	}
	o.stream = ""
	return wire.STATUS_SUCCESS
}

package smb

import (
	"strings"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/srvsvc"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// open is an open file or directory (MS-SMB2 §3.3.1.10).
type open struct {
	id            uint64
	tree          *tree
	h             store.Handle
	dir           bool
	parent        store.Handle // the directory holding name, for delete
	name          string       // last component ("" for the share root)
	path          string       // share-relative path, backslash-separated
	access        uint32       // granted access
	deleteOnClose bool
	writeThrough  bool         // FILE_WRITE_THROUGH: every WRITE is durable before its reply
	shared        bool         // holds a share reservation in the lock manager
	locks         []smbLock    // byte-range locks taken (SMB2 LOCK), in order
	position      uint64       // FILE_POSITION_INFORMATION: after the last READ or WRITE, or as set
	pipe          *srvsvc.Pipe // a named pipe on IPC$ (pipe.go); nil for files
	resumeKey     *[24]byte    // FSCTL_SRV_REQUEST_RESUME_KEY's key, once asked (ioctl.go)
	closed        bool         // closeOpen ran: a late async completion checks it
	waiting       []smbLock    // blocking LOCK requests of the open queued in the manager
	eaNext        int          // next EA of a FileFullEaInformation scan (ea.go)
	stream        string       // a named stream of h, "" for its data (stream.go)
	streamLock    uint64       // the stream's key in the lock manager
	allocHint     uint64       // AllocationSize asked by the AlSi create context (alloc.go)
	co            *copen       // oplock state (oplock.go); nil for pipes
	persistent    uint64       // FileId.Persistent, server-wide (durable.go); 0: id
	owner         locking.Owner
	durable       *durable  // durable.go; nil when not durable
	watch         *dirWatch // CHANGE_NOTIFY state, after the first one (notify.go)
	renamed       bool      // a file renamed through this open (notify.go: noteClose)

	// Directory enumeration (MS-SMB2 §3.3.5.18).
	pattern  string
	cookie   uint64
	verf     store.Verifier
	dotsDone int // "." and ".." returned so far
	ended    bool
	started  bool
}

func (o *open) fileID() wire.FileID { return wire.FileID{Persistent: o.persistentID(), Volatile: o.id} }

// lookupOpen finds the open of a FileId in the request's session and tree.
func (r *request) lookupOpen(id wire.FileID) *open {
	id = r.fileID(id)
	o := r.sess.opens[id.Volatile]
	if o == nil || o.tree != r.tree || o.persistentID() != id.Persistent {
		return nil
	}
	return o
}

// fileOpen is lookupOpen for the requests only files and directories
// take: an unknown or closed handle is STATUS_FILE_CLOSED, a pipe
// STATUS_INVALID_DEVICE_REQUEST (pipe.go).
func (r *request) fileOpen(id wire.FileID) (*open, wire.Status) {
	o := r.lookupOpen(id)
	switch {
	case o == nil:
		return nil, wire.STATUS_FILE_CLOSED
	case o.pipe != nil:
		return nil, wire.STATUS_INVALID_DEVICE_REQUEST
	}
	return o, wire.STATUS_SUCCESS
}

const allocUnit = 4096

// fileAttrs are the SMB attributes of a node: times (creation = birth
// time, change = ctime), sizes, and DOS attributes derived from the type
// and mode (read-only when no write bit is set, as Samba maps it).
func fileAttrs(a *store.Attr) wire.FileAttrs {
	fa := wire.FileAttrs{
		CreationTime:   filetime(a.Btime),
		LastAccessTime: filetime(a.Atime),
		LastWriteTime:  filetime(a.Mtime),
		ChangeTime:     filetime(a.Ctime),
	}
	if a.Type == store.TypeDir {
		fa.FileAttributes = wire.FILE_ATTRIBUTE_DIRECTORY
	} else {
		fa.EndOfFile = a.Size
		fa.AllocationSize = max(a.Used, (a.Size+allocUnit-1)/allocUnit*allocUnit)
		fa.FileAttributes = wire.FILE_ATTRIBUTE_ARCHIVE
	}
	if a.Mode&0o222 == 0 {
		fa.FileAttributes |= wire.FILE_ATTRIBUTE_READONLY
	}
	return fa
}

// filetime converts a store time (nanoseconds since 1970) to a FILETIME.
func filetime(ns int64) uint64 { return fscc.Filetime(time.Unix(0, ns)) }

// splitPath parses a share-relative path into components: backslash
// separated, no empty or "." component, no stream name (":"). A ".."
// component removes the one before it, as smbd resolves it (smbtorture
// smb2.notify.tree opens `test_notify\zqy\..`); one that would leave the
// share is STATUS_OBJECT_PATH_SYNTAX_BAD.
func splitPath(p string) ([]string, wire.Status) {
	p = strings.TrimPrefix(p, `\`)
	if p == "" {
		return nil, wire.STATUS_SUCCESS
	}
	parts := strings.Split(p, `\`)
	out := parts[:0]
	for _, s := range parts {
		if s == ".." {
			if len(out) == 0 {
				return nil, wire.STATUS_OBJECT_PATH_SYNTAX_BAD
			}
			out = out[:len(out)-1]
			continue
		}
		if s == "" || s == "." {
			return nil, wire.STATUS_OBJECT_NAME_INVALID
		}
		if strings.ContainsAny(s, ":/*?\"<>|\x00") {
			return nil, wire.STATUS_OBJECT_NAME_INVALID
		}
		out = append(out, s)
	}
	return out, wire.STATUS_SUCCESS
}

// walk resolves the directory holding the last component of parts.
func (c *conn) walk(t *tree, parts []string) (store.Handle, wire.Status) {
	dir := t.exp.Root()
	for _, p := range parts {
		h, a, _, err := c.lookup(t, dir, p)
		if err != nil {
			if store.CodeOf(err) == store.CodeNotExist {
				return dir, wire.STATUS_OBJECT_PATH_NOT_FOUND
			}
			return dir, storeStatus(err)
		}
		if a.Type != store.TypeDir {
			return dir, wire.STATUS_OBJECT_PATH_NOT_FOUND
		}
		dir = h
	}
	return dir, wire.STATUS_SUCCESS
}

// grantedAccess resolves the desired access of a CREATE against the
// store's permissions and the share: GENERIC_* and MAXIMUM_ALLOWED
// expand, and a right the mode bits or a read-only share do not give
// fails with STATUS_ACCESS_DENIED.
func (c *conn) grantedAccess(t *tree, h store.Handle, want uint32, created bool) (uint32, wire.Status) {
	g, a, err := t.exp.FS.Access(c.ctx, &t.cred, h, store.AccessRead|store.AccessWrite|store.AccessExec)
	if err != nil {
		return 0, storeStatus(err)
	}
	if created {
		g |= store.AccessRead | store.AccessWrite // the creator may use what it made
	}
	allowed := uint32(wire.READ_CONTROL | wire.SYNCHRONIZE | wire.FILE_READ_ATTRIBUTES | wire.FILE_READ_EA)
	// FILE_EXECUTE goes with read or execute permission: Windows
	// clients ask for it with GENERIC_ALL and for reading executables,
	// and the store does not execute anything.
	if g&store.AccessRead != 0 {
		allowed |= wire.FILE_READ_DATA | wire.FILE_EXECUTE
	}
	if g&store.AccessExec != 0 {
		allowed |= wire.FILE_EXECUTE
	}
	if g&store.AccessWrite != 0 && !t.readOnly {
		allowed |= wire.FILE_WRITE_DATA | wire.FILE_APPEND_DATA | wire.FILE_WRITE_ATTRIBUTES | wire.FILE_WRITE_EA |
			wire.DELETE | wire.WRITE_DAC | wire.WRITE_OWNER | wire.FILE_DELETE_CHILD
	}
	if !t.readOnly && a.UID == t.cred.UID {
		allowed |= wire.WRITE_DAC | wire.WRITE_OWNER // the owner may chmod (secdesc.go)
	}
	if !t.readOnly {
		// Deleting and renaming are decided by the parent directory,
		// which the store checks when it is done.
		allowed |= wire.DELETE | wire.FILE_WRITE_ATTRIBUTES
	}
	if want&wire.MAXIMUM_ALLOWED != 0 {
		want = want&^wire.MAXIMUM_ALLOWED | allowed
	}
	if want&wire.GENERIC_ALL != 0 {
		want = want&^wire.GENERIC_ALL | wire.FILE_ALL_ACCESS
	}
	if want&wire.GENERIC_READ != 0 {
		want = want&^wire.GENERIC_READ | wire.FILE_READ_DATA | wire.FILE_READ_ATTRIBUTES | wire.FILE_READ_EA | wire.READ_CONTROL | wire.SYNCHRONIZE
	}
	if want&wire.GENERIC_WRITE != 0 {
		want = want&^wire.GENERIC_WRITE | wire.FILE_WRITE_DATA | wire.FILE_APPEND_DATA | wire.FILE_WRITE_ATTRIBUTES | wire.FILE_WRITE_EA | wire.READ_CONTROL | wire.SYNCHRONIZE
	}
	if want&wire.GENERIC_EXECUTE != 0 {
		want = want&^wire.GENERIC_EXECUTE | wire.FILE_EXECUTE | wire.FILE_READ_ATTRIBUTES | wire.READ_CONTROL | wire.SYNCHRONIZE
	}
	if want&wire.ACCESS_SYSTEM_SECURITY != 0 {
		// The SACL needs SeSecurityPrivilege (MS-SMB2 §3.3.5.9): root's.
		if t.cred.UID != 0 {
			return 0, wire.STATUS_PRIVILEGE_NOT_HELD
		}
		allowed |= wire.ACCESS_SYSTEM_SECURITY
	}
	if want&^allowed != 0 {
		return 0, wire.STATUS_ACCESS_DENIED
	}
	return want, wire.STATUS_SUCCESS
}

// create is SMB2 CREATE (MS-SMB2 §3.3.5.9).
func (c *conn) create(r *request) wire.Status {
	var req wire.CreateRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	t := r.tree
	if t.ipc {
		return c.createPipe(r, &req)
	}
	if st, done := c.reconnect(r, &req); done {
		return st // a durable open taken back (durable.go)
	}
	dh1, dh2, st := durableRequest(&req)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	name, err := wire.DecodeUTF16(req.Name)
	if err != nil {
		return wire.STATUS_OBJECT_NAME_INVALID
	}
	opts, disp := req.CreateOptions, req.CreateDisposition
	if disp > wire.FILE_OVERWRITE_IF || opts&wire.FILE_DIRECTORY_FILE != 0 && opts&wire.FILE_NON_DIRECTORY_FILE != 0 ||
		opts&0xFF000000 != 0 {
		c.s.log.Debug("smb: bad CREATE", "remote", c.remote.String(), "disposition", disp, "options", opts)
		return wire.STATUS_INVALID_PARAMETER
	}
	if req.ImpersonationLevel > wire.SMB2_IMPERSONATION_DELEGATE {
		return wire.STATUS_BAD_IMPERSONATION_LEVEL
	}
	if len(name) > 0 && name[0] == '\\' {
		return wire.STATUS_INVALID_PARAMETER // a leading separator (MS-SMB2 §3.3.5.9)
	}
	if opts&wire.FILE_OPEN_BY_FILE_ID != 0 {
		return wire.STATUS_NOT_SUPPORTED
	}
	if _, ok := req.Context(wire.SMB2_CREATE_TIMEWARP_TOKEN); ok {
		return wire.STATUS_OBJECT_NAME_NOT_FOUND // no snapshots
	}
	if opts&wire.FILE_DELETE_ON_CLOSE != 0 && req.DesiredAccess&(wire.DELETE|wire.GENERIC_ALL|wire.MAXIMUM_ALLOWED) == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if len(r.sess.opens) >= c.s.MaxOpensPerSession {
		return wire.STATUS_TOO_MANY_OPENED_FILES
	}
	// "file:stream:$DATA" (stream.go); "file::$DATA" is the file's data.
	name, sname, dataOnly, st := splitStream(name)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if sname != "" {
		return c.createStream(r, &req, name, sname)
	}
	if dataOnly {
		if opts&wire.FILE_DIRECTORY_FILE != 0 {
			return wire.STATUS_NOT_A_DIRECTORY // a data stream is not a directory
		}
		opts |= wire.FILE_NON_DIRECTORY_FILE
	}
	parts, st := splitPath(name)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	eas, st := createEAs(&req) // the ExtA context (ea.go)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	alloc, st := createAlloc(&req) // the AlSi context (alloc.go)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	fsys := t.exp.FS
	cred := &t.cred
	var parent, h store.Handle
	var a store.Attr
	var last string
	exists := true
	if len(parts) == 0 {
		h = t.exp.Root()
		parent = h
		a, err = fsys.GetAttr(c.ctx, cred, h)
		if err != nil {
			return storeStatus(err)
		}
	} else {
		last = parts[len(parts)-1]
		parent, st = c.walk(t, parts[:len(parts)-1])
		if st != wire.STATUS_SUCCESS {
			return st
		}
		h, a, last, err = c.lookup(t, parent, last)
		if err != nil {
			if store.CodeOf(err) != store.CodeNotExist {
				return storeStatus(err)
			}
			exists = false
		}
	}
	action := uint32(wire.FILE_OPENED)
	created, overwrite := false, false
	var overwriteKept uint32 // the kept attributes of a file being overwritten (dosattr.go)
	if exists {
		isDir := a.Type == store.TypeDir
		switch {
		case disp == wire.FILE_CREATE:
			return wire.STATUS_OBJECT_NAME_COLLISION
		case opts&wire.FILE_DIRECTORY_FILE != 0 && !isDir:
			return wire.STATUS_NOT_A_DIRECTORY
		case opts&wire.FILE_NON_DIRECTORY_FILE != 0 && isDir:
			return wire.STATUS_FILE_IS_A_DIRECTORY
		case a.Type != store.TypeDir && a.Type != store.TypeRegular:
			return wire.STATUS_ACCESS_DENIED // symlinks, devices: not served over SMB yet
		case opts&wire.FILE_NO_EA_KNOWLEDGE != 0 && c.needEA(t, h):
			return wire.STATUS_ACCESS_DENIED // MS-FSA §2.1.5.1.2.1
		}
		if disp == wire.FILE_OVERWRITE || disp == wire.FILE_OVERWRITE_IF || disp == wire.FILE_SUPERSEDE {
			if isDir {
				return wire.STATUS_INVALID_PARAMETER
			}
			if t.readOnly {
				return wire.STATUS_ACCESS_DENIED
			}
			// MS-FSA §2.1.5.1.2.2: a HIDDEN or SYSTEM file is
			// overwritten only by a CREATE asking for the same; its
			// attributes become the ones asked, with ARCHIVE (below).
			const hs = wire.FILE_ATTRIBUTE_HIDDEN | wire.FILE_ATTRIBUTE_SYSTEM
			overwriteKept = c.keptAttrs(t, h, false)
			if overwriteKept&hs&^req.FileAttributes != 0 {
				return wire.STATUS_ACCESS_DENIED
			}
			overwrite = true // once the share mode and oplocks allow it
			action = wire.FILE_OVERWRITTEN
			if disp == wire.FILE_SUPERSEDE {
				action = wire.FILE_SUPERSEDED
			}
		}
	} else {
		if disp == wire.FILE_OPEN || disp == wire.FILE_OVERWRITE {
			return wire.STATUS_OBJECT_NAME_NOT_FOUND
		}
		if t.readOnly {
			return wire.STATUS_ACCESS_DENIED
		}
		sa := &store.SetAttr{Mask: store.SetMode, Mode: 0o644}
		if opts&wire.FILE_DIRECTORY_FILE != 0 {
			sa.Mode = 0o755
		} else if req.FileAttributes&wire.FILE_ATTRIBUTE_READONLY != 0 {
			sa.Mode = 0o444
		}
		sd, st := createSD(&req, cred, sa.Mode) // the SecD context (secdesc.go)
		if st != wire.STATUS_SUCCESS {
			return st
		}
		if sd != nil && sd.Mask&store.SetMode != 0 {
			sa.Mode = sd.Mode
		}
		if opts&wire.FILE_DIRECTORY_FILE != 0 {
			h, a, _, err = fsys.Mkdir(c.ctx, cred, parent, last, sa)
		} else {
			h, a, _, err = fsys.Create(c.ctx, cred, parent, last, store.CreateGuarded, sa, store.Verifier{})
		}
		if err != nil {
			if store.CodeOf(err) == store.CodeExist && disp != wire.FILE_CREATE && !r.raced {
				// Another client made the name between the lookup and
				// this create: the disposition applies to what is there
				// now (smbtorture smb2.create.mkdir-dup), once.
				r.raced = true
				return c.create(r)
			}
			return storeStatus(err)
		}
		if st := c.chownCreated(t, parent, last, h, sd, opts&wire.FILE_DIRECTORY_FILE != 0); st != wire.STATUS_SUCCESS {
			return st
		}
		action, created = wire.FILE_CREATED, true
		// The attributes asked for, with ARCHIVE on a file (MS-FSA
		// §2.1.5.1.2.1); stored only when they are not the default.
		dir := opts&wire.FILE_DIRECTORY_FILE != 0
		if want := req.FileAttributes&keptMask | defaultKept(dir); want != defaultKept(dir) {
			if err := c.setKeptAttrs(t, h, dir, want); err != nil {
				return storeStatus(err)
			}
		}
	}
	if eas != nil && action != wire.FILE_OPENED {
		// A new or overwritten file gets the EA buffer's EAs (and only
		// those, MS-FSA §2.1.5.1.2.1).
		if st := c.setEAs(t, h, eas, !created); st != wire.STATUS_SUCCESS {
			if created {
				c.undoCreate(t, parent, last, opts&wire.FILE_DIRECTORY_FILE != 0)
			}
			return st
		}
	}
	if a, err = fsys.GetAttr(c.ctx, cred, h); err != nil {
		return storeStatus(err)
	}
	isDir := a.Type == store.TypeDir
	access, st := c.grantedAccess(t, h, req.DesiredAccess, created)
	if st != wire.STATUS_SUCCESS {
		return st
	}
	r.sess.nextOpen++
	o := &open{
		id: r.sess.nextOpen, tree: t, h: h, dir: isDir, parent: parent, name: last,
		path: strings.Join(parts, `\`), access: access,
		deleteOnClose: opts&wire.FILE_DELETE_ON_CLOSE != 0,
		writeThrough:  opts&wire.FILE_WRITE_THROUGH != 0,
		persistent:    c.s.nextPersistent.Add(1),
	}
	o.owner = c.lockOwner(r.sess, o)
	if o.deleteOnClose && len(parts) == 0 {
		return wire.STATUS_CANNOT_DELETE
	}
	// Share modes, then oplocks: what the new open breaks, waits for
	// and is granted (oplock.go).
	level, lease, st := c.openCaching(r, o, &req, overwrite)
	if st == statusRetryAsync {
		return c.createAsync(r, o) // createasync.go
	}
	if st != wire.STATUS_SUCCESS {
		return st
	}
	if overwrite {
		if _, err := fsys.SetAttr(c.ctx, cred, h, &store.SetAttr{Mask: store.SetSize}); err != nil {
			c.closeOpen(r.sess, o)
			return storeStatus(err)
		}
		if want := req.FileAttributes&keptMask | wire.FILE_ATTRIBUTE_ARCHIVE; want != overwriteKept {
			if err := c.setKeptAttrs(t, h, false, want); err != nil {
				c.closeOpen(r.sess, o)
				return storeStatus(err)
			}
		}
		if st := c.removeStreams(t, h); st != wire.STATUS_SUCCESS { // stream.go
			c.closeOpen(r.sess, o)
			return st
		}
		if a, err = fsys.GetAttr(c.ctx, cred, h); err != nil {
			c.closeOpen(r.sess, o)
			return storeStatus(err)
		}
	}
	r.sess.opens[o.id] = o
	r.rel.fileID = o.fileID()
	if action != wire.FILE_OPENED && !isDir {
		o.allocHint = alloc
	}
	resp := wire.CreateResponse{OplockLevel: level, CreateAction: action, Attrs: c.attrsOf(t, h, &a), FileID: o.fileID()}
	o.applyAllocHint(&resp.Attrs)
	c.changeTime(o, &a, &resp.Attrs) // ctime.go
	if lease != nil {
		resp.Contexts = append(resp.Contexts, *lease)
	}
	if d := c.grantDurable(r, o, dh1, dh2); d != nil {
		resp.Contexts = append(resp.Contexts, *d)
	}
	if _, ok := req.Context(wire.SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST); ok {
		var e wire.Encoder
		e.Uint32(0) // QueryStatus
		max, _ := c.grantedAccess(t, h, wire.MAXIMUM_ALLOWED, created)
		e.Uint32(max)
		resp.Contexts = append(resp.Contexts, wire.CreateContext{Name: []byte(wire.SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST), Data: e.Bytes()})
	}
	if _, ok := req.Context(wire.SMB2_CREATE_QUERY_ON_DISK_ID); ok {
		var e wire.Encoder
		e.Uint64(a.ID)
		e.Uint64(uint64(t.exp.ID))
		e.Zero(16)
		resp.Contexts = append(resp.Contexts, wire.CreateContext{Name: []byte(wire.SMB2_CREATE_QUERY_ON_DISK_ID), Data: e.Bytes()})
	}
	resp.Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// closeOpen ends an open, deleting the file if it was marked so. Its
// pending async requests are cancelled first (async.go).
func (c *conn) closeOpen(sess *session, o *open) wire.Status {
	o.closed = true
	c.cancelPending(cancelClosed, func(ar *asyncReq) bool { return ar.open == o })
	c.stopWatch(o)
	delete(sess.opens, o.id)
	if o.pipe != nil {
		sess.pipes--
	}
	c.release(sess, o)
	c.dropCaching(o)
	c.s.releaseDurable(o)
	if !o.deleteOnClose {
		c.noteClose(o)
		return wire.STATUS_SUCCESS
	}
	if o.stream != "" {
		return c.closeStream(o) // stream.go
	}
	t := o.tree
	var err error
	if o.dir {
		_, err = t.exp.FS.Rmdir(c.ctx, &t.cred, o.parent, o.name)
	} else {
		_, err = t.exp.FS.Remove(c.ctx, &t.cred, o.parent, o.name)
	}
	if err != nil && store.CodeOf(err) != store.CodeNotExist {
		c.s.logs.Info(c.s.log, "smb: delete on close failed", "path", o.path, "err", err)
		return storeStatus(err)
	}
	return wire.STATUS_SUCCESS
}

// closeFile is SMB2 CLOSE (MS-SMB2 §3.3.5.10).
func (c *conn) closeFile(r *request) wire.Status {
	var req wire.CloseRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	var resp wire.CloseResponse
	if req.Flags&wire.SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB != 0 && !o.deleteOnClose && o.pipe == nil {
		if a, err := o.tree.exp.FS.GetAttr(c.ctx, &o.tree.cred, o.h); err == nil {
			resp.Flags = wire.SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB
			resp.Attrs = c.attrsOf(o.tree, o.h, &a)
			c.streamAttrs(o, &resp.Attrs)
			c.changeTime(o, &a, &resp.Attrs)
		}
	}
	if st := c.closeOpen(r.sess, o); st != wire.STATUS_SUCCESS {
		return st
	}
	resp.Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// flush is SMB2 FLUSH (MS-SMB2 §3.3.5.11): the store's Commit.
func (c *conn) flush(r *request) wire.Status {
	var req wire.FlushRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	if o.pipe != nil {
		wire.EncodeEmptyResponse(&c.enc) // nothing is buffered for a flush to push
		return wire.STATUS_SUCCESS
	}
	if o.access&(wire.FILE_WRITE_DATA|wire.FILE_APPEND_DATA) == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if !o.dir {
		if _, err := o.tree.exp.FS.Commit(c.ctx, &o.tree.cred, o.h); err != nil {
			return storeStatus(err)
		}
	}
	wire.EncodeEmptyResponse(&c.enc) // FLUSH response: StructureSize 4
	return wire.STATUS_SUCCESS
}

// checkCharge checks a multi-credit request's CreditCharge against its
// payload (MS-SMB2 §3.3.5.2.5).
func (r *request) checkCharge(n uint32) bool {
	if r.c.serverCaps&wire.SMB2_GLOBAL_CAP_LARGE_MTU == 0 {
		return n <= 64<<10
	}
	want := uint32(1)
	if n > 0 {
		want = (n-1)/(64<<10) + 1
	}
	return uint32(max(r.h.CreditCharge, 1)) >= want
}

// read is SMB2 READ (MS-SMB2 §3.3.5.12); the data is read from the store
// straight into the reply.
func (c *conn) read(r *request) wire.Status {
	var req wire.ReadRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if req.Length > uint32(c.maxSize) || !r.checkCharge(req.Length) || req.Channel != wire.SMB2_CHANNEL_NONE {
		return wire.STATUS_INVALID_PARAMETER
	}
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	if o.pipe != nil {
		return c.readPipe(o, &req)
	}
	if o.dir {
		return wire.STATUS_INVALID_DEVICE_REQUEST
	}
	if o.access&(wire.FILE_READ_DATA|wire.FILE_EXECUTE) == 0 {
		return wire.STATUS_ACCESS_DENIED // executing is reading (MS-SMB2 §3.3.5.12)
	}
	if req.Offset > 1<<63-1-uint64(req.Length) {
		return wire.STATUS_INVALID_PARAMETER // past the largest file offset
	}
	if st := c.checkLocks(r.sess, o, req.Offset, int(req.Length), false); st != wire.STATUS_SUCCESS {
		return st
	}
	if o.stream != "" {
		return c.readStream(o, &req) // stream.go
	}
	body := c.enc.Len()
	(&wire.ReadResponse{}).EncodeFixed(&c.enc, int(req.Length))
	buf := c.enc.Reserve(int(req.Length))
	n, _, _, err := o.tree.exp.FS.ReadAt(c.ctx, &o.tree.cred, o.h, buf, int64(req.Offset))
	if err != nil {
		return storeStatus(err)
	}
	if n == 0 && req.Length > 0 || uint32(n) < req.MinimumCount {
		return wire.STATUS_END_OF_FILE
	}
	c.enc.Truncate(c.enc.Len() - len(buf) + n)
	c.enc.PutUint32At(body+4, uint32(n)) // DataLength
	o.position = req.Offset + uint64(n)
	return wire.STATUS_SUCCESS
}

// maxFileSize is NTFS's largest file, 16 TiB - 64 KiB: a WRITE that
// would end past it is STATUS_INVALID_PARAMETER, as smbd answers
// (smbtorture smb2.rw.invalid).
const maxFileSize = 0xfffffff0000

// write is SMB2 WRITE (MS-SMB2 §3.3.5.13).
func (c *conn) write(r *request) wire.Status {
	var req wire.WriteRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if len(req.Data) > c.maxSize || !r.checkCharge(uint32(len(req.Data))) || req.Channel != wire.SMB2_CHANNEL_NONE {
		return wire.STATUS_INVALID_PARAMETER
	}
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	if o.pipe != nil {
		return c.writePipe(o, &req)
	}
	if o.dir {
		return wire.STATUS_INVALID_DEVICE_REQUEST
	}
	if o.access&(wire.FILE_WRITE_DATA|wire.FILE_APPEND_DATA) == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if req.Offset > 1<<63-1-uint64(len(req.Data)) ||
		len(req.Data) > 0 && req.Offset+uint64(len(req.Data)) > maxFileSize {
		return wire.STATUS_INVALID_PARAMETER
	}
	if st := c.checkLocks(r.sess, o, req.Offset, len(req.Data), true); st != wire.STATUS_SUCCESS {
		return st
	}
	if len(req.Data) == 0 {
		// Nothing to write: success, even at offset 2^63-1, where the
		// store would refuse the offset (Windows and Samba answer so,
		// smbtorture smb2.rw.invalid).
		o.position = req.Offset
		(&wire.WriteResponse{}).Encode(&c.enc)
		return wire.STATUS_SUCCESS
	}
	c.breakForWrite(o) // level II oplocks (oplock.go)
	if o.stream != "" {
		return c.writeStream(o, &req) // stream.go
	}
	how := store.Unstable
	if o.writeThrough || req.Flags&(wire.SMB2_WRITEFLAG_WRITE_THROUGH|wire.SMB2_WRITEFLAG_WRITE_UNBUFFERED) != 0 {
		how = store.FileSync
	}
	n, _, err := o.tree.exp.FS.WriteAt(c.ctx, &o.tree.cred, o.h, req.Data, int64(req.Offset), how)
	if err != nil {
		return storeStatus(err)
	}
	o.position = req.Offset + uint64(n)
	(&wire.WriteResponse{Count: uint32(n)}).Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

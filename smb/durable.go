package smb

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// Durable handles (MS-SMB2 §3.3.5.9.6, .7, .10, .12; §3.3.7.1): an open
// granted with DHnQ or DH2Q while it holds a batch oplock or a lease with
// handle caching outlives its connection. When the connection drops it
// is kept, with its share reservation, locks and caching, for its timeout
// (DurableTimeout for DHnQ, the client's for DH2Q, at most
// maxDurableTimeout), in the Server's table of disconnected opens; a
// CREATE with DHnC or DH2C of the same user on any connection takes it
// back, with the same persistent FileId. An open that conflicts with a
// disconnected durable open's caching closes it (as Windows and Samba
// purge it: there is no client to acknowledge a break). At most
// MaxDurableOpens are kept; past it DHnQ and DH2Q are not granted.
// LOGOFF and TREE_DISCONNECT close durable opens as any other.

// Defaults of the durable handle limits.
const (
	DefaultDurableTimeout  = 60 * time.Second
	DefaultMaxDurableOpens = 4096
	maxDurableTimeout      = 5 * time.Minute
)

// durable is the durable state of an open.
type durable struct {
	v2         bool
	createGUID wire.GUID
	timeout    time.Duration
	user       string
	timer      *time.Timer // while disconnected
}

// persistentID is the FileId.Persistent of an open: server-wide for the
// opens of files, which a durable reconnect may bring to another session.
func (o *open) persistentID() uint64 {
	if o.persistent != 0 {
		return o.persistent
	}
	return o.id
}

// durableRequest checks the durable contexts of a CREATE (MS-SMB2
// §3.3.5.9.6, §3.3.5.9.10): DHnQ and DH2Q together, or with a reconnect,
// are STATUS_INVALID_PARAMETER.
func durableRequest(req *wire.CreateRequest) (v1, v2 []byte, st wire.Status) {
	v1, has1 := req.Context(wire.SMB2_CREATE_DURABLE_HANDLE_REQUEST)
	v2, has2 := req.Context(wire.SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2)
	_, rc1 := req.Context(wire.SMB2_CREATE_DURABLE_HANDLE_RECONNECT)
	_, rc2 := req.Context(wire.SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2)
	if has1 && has2 || (has1 || has2) && (rc1 || rc2) {
		return nil, nil, wire.STATUS_INVALID_PARAMETER
	}
	if has1 && len(v1) < 16 || has2 && len(v2) < 32 {
		return nil, nil, wire.STATUS_INVALID_PARAMETER
	}
	if !has1 {
		v1 = nil
	} else if v1 == nil {
		v1 = []byte{}
	}
	if !has2 {
		v2 = nil
	}
	return v1, v2, wire.STATUS_SUCCESS
}

// grantDurable makes o durable when it asked (v1: DHnQ data, v2: DH2Q
// data) and holds a batch oplock or a lease with handle caching, and
// returns the response context, or nil.
func (c *conn) grantDurable(r *request, o *open, v1, v2 []byte) *wire.CreateContext {
	if v1 == nil && v2 == nil || o.co == nil || v2 != nil && c.dialect < wire.SMB2_DIALECT_300 {
		return nil
	}
	s := c.s
	s.cache.mu.Lock()
	handle := o.co.bits()&cacheH != 0
	s.cache.mu.Unlock()
	if !handle {
		return nil
	}
	s.dmu.Lock()
	full := s.ndurable >= s.MaxDurableOpens
	if !full {
		s.ndurable++
	}
	s.dmu.Unlock()
	if full {
		return nil
	}
	d := &durable{timeout: s.DurableTimeout, user: r.sess.user.Name}
	if v2 != nil {
		d.v2 = true
		if t := time.Duration(binary.LittleEndian.Uint32(v2)) * time.Millisecond; t > 0 {
			d.timeout = min(t, maxDurableTimeout)
		}
		copy(d.createGUID[:], v2[16:32])
	}
	o.durable = d
	if !d.v2 {
		return &wire.CreateContext{Name: []byte(wire.SMB2_CREATE_DURABLE_HANDLE_REQUEST), Data: make([]byte, 8)}
	}
	var e wire.Encoder
	e.Uint32(uint32(d.timeout / time.Millisecond))
	e.Uint32(0) // Flags: not persistent
	return &wire.CreateContext{Name: []byte(wire.SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2), Data: e.Bytes()}
}

// preserve keeps a durable open of a connection that dropped (MS-SMB2
// §3.3.7.1) until its timeout or a reconnect; false when its caching is
// being broken (another open waits for it): it is then closed as an open
// that is not durable.
func (c *conn) preserve(sess *session, o *open) bool {
	s := c.s
	s.cache.mu.Lock()
	co := o.co
	breaking := co == nil || co.breaking || co.ls != nil && co.ls.breaking
	if !breaking {
		co.disconnected = true
	}
	s.cache.mu.Unlock()
	if breaking {
		return false
	}
	delete(sess.opens, o.id)
	pid := o.persistentID()
	s.dmu.Lock()
	if s.durables == nil {
		s.durables = map[uint64]*open{}
	}
	s.durables[pid] = o
	o.durable.timer = time.AfterFunc(o.durable.timeout, func() { s.purgeDurable(pid) })
	s.dmu.Unlock()
	return true
}

// takeDurable removes a disconnected durable open from the table.
func (s *Server) takeDurable(pid uint64) *open {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	o := s.durables[pid]
	if o != nil {
		delete(s.durables, pid)
		o.durable.timer.Stop()
	}
	return o
}

// purgeDurable closes a disconnected durable open: its timeout passed, or
// another open conflicts with it.
func (s *Server) purgeDurable(pid uint64) {
	o := s.takeDurable(pid)
	if o == nil {
		return
	}
	s.dmu.Lock()
	s.ndurable--
	s.dmu.Unlock()
	if m := o.tree.exp.Locks; m != nil {
		if o.shared {
			m.Unshare(s.ctx, o.h.ID, o.owner)
		}
		if len(o.locks) > 0 {
			m.ReleaseOwner(s.ctx, o.owner)
		}
	}
	s.dropCaching(o)
	if o.deleteOnClose {
		t := o.tree
		if _, err := t.exp.FS.Remove(s.ctx, &t.cred, o.parent, o.name); err != nil && store.CodeOf(err) != store.CodeNotExist {
			s.logs.Info(s.log, "smb: delete on close of a durable open failed", "path", o.path, "err", err)
		}
	}
}

// reconnect serves a CREATE with DHnC or DH2C (MS-SMB2 §3.3.5.9.7,
// §3.3.5.9.12); done is false when the request has neither.
func (c *conn) reconnect(r *request, req *wire.CreateRequest) (st wire.Status, done bool) {
	b1, rc1 := req.Context(wire.SMB2_CREATE_DURABLE_HANDLE_RECONNECT)
	b2, rc2 := req.Context(wire.SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2)
	if !rc1 && !rc2 {
		return 0, false
	}
	if rc1 && rc2 || rc1 && len(b1) < 16 || rc2 && len(b2) < 36 {
		return wire.STATUS_INVALID_PARAMETER, true
	}
	if rc2 && c.dialect < wire.SMB2_DIALECT_300 {
		rc2, b2 = false, nil
		if !rc1 {
			return 0, false
		}
	}
	b := b1
	if rc2 {
		b = b2
	}
	pid := binary.LittleEndian.Uint64(b)
	s := c.s
	s.dmu.Lock()
	o := s.durables[pid]
	ok := o != nil && o.durable.v2 == rc2 && o.durable.user == r.sess.user.Name && o.tree.exp == r.tree.exp
	if ok && rc2 {
		var g wire.GUID
		copy(g[:], b2[16:32])
		ok = g == o.durable.createGUID
	}
	s.dmu.Unlock()
	if !ok {
		return wire.STATUS_OBJECT_NAME_NOT_FOUND, true
	}
	// A lease open comes back with its lease key only (§3.3.5.9.7).
	s.cache.mu.Lock()
	ls := o.co.ls
	s.cache.mu.Unlock()
	lr, _ := c.leaseContextOf(req)
	if ls != nil && (lr == nil || lr.id != ls.id) || ls == nil && lr != nil {
		return wire.STATUS_OBJECT_NAME_NOT_FOUND, true
	}
	if name, err := wire.DecodeUTF16(req.Name); ls != nil && (err != nil || !strings.EqualFold(strings.TrimPrefix(name, `\`), o.path)) {
		return wire.STATUS_INVALID_PARAMETER, true // a lease is of one file (smbtorture smb2.durable-open.reopen2-lease)
	}
	if o = s.takeDurable(pid); o == nil {
		return wire.STATUS_OBJECT_NAME_NOT_FOUND, true // purged meanwhile
	}
	r.sess.nextOpen++
	o.id, o.tree = r.sess.nextOpen, r.tree
	r.sess.opens[o.id] = o
	level := uint8(wire.SMB2_OPLOCK_LEVEL_LEASE)
	var lctx *wire.CreateContext
	s.cache.mu.Lock()
	co := o.co
	co.c, co.fid, co.disconnected = c, o.fileID(), false
	if r.crypt || r.sess.encrypt || o.tree.encrypt {
		co.enc = r.sess.enc
	} else {
		co.enc = nil
	}
	if ls != nil {
		ls.c, ls.enc = c, co.enc
		lctx = leaseContext(ls, lr)
	} else {
		level = co.level
	}
	s.cache.mu.Unlock()
	a, err := o.tree.exp.FS.GetAttr(c.ctx, &o.tree.cred, o.h)
	if err != nil {
		return storeStatus(err), true
	}
	r.rel.fileID = o.fileID()
	resp := wire.CreateResponse{OplockLevel: level, CreateAction: wire.FILE_OPENED, Attrs: fileAttrs(&a), FileID: o.fileID()}
	if lctx != nil {
		resp.Contexts = append(resp.Contexts, *lctx)
	}
	// No durable context in the reply (Windows and Samba send none;
	// smbtorture smb2.durable-v2-open.reopen2).
	resp.Encode(&c.enc)
	return wire.STATUS_SUCCESS, true
}

// releaseDurable forgets the durable state of an open that is closed.
func (s *Server) releaseDurable(o *open) {
	if o.durable == nil {
		return
	}
	o.durable = nil
	s.dmu.Lock()
	s.ndurable--
	s.dmu.Unlock()
}

// dropDurables forgets the disconnected durable opens when the server
// closes: nobody can reconnect to them.
func (s *Server) dropDurables() {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	for pid, o := range s.durables {
		o.durable.timer.Stop()
		delete(s.durables, pid)
	}
}

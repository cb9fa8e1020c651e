package smb

import (
	"sync"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// Oplocks (MS-SMB2 §3.3.1.10 Open.OplockLevel and OplockState, §3.3.4.6,
// §3.3.5.9, §3.3.5.22.1), granted and broken by the rules MS-FSA gives
// the object store (§2.1.5.17, §2.1.4.12) as Windows and Samba apply them:
//
//   - a stat open (no access but attributes, synchronize, read control)
//     breaks nothing and gets an oplock only when it is the file's only
//     open (smbtorture smb2.oplock.batch8, batch9);
//   - any other open breaks the other opens' exclusive and batch oplocks
//     to level II (to none when it overwrites the file), and level II ones
//     to none when it overwrites; it gets what it asks for when it is the
//     only open, level II when the others hold level II or nothing, and
//     nothing when an exclusive or batch oplock is still held;
//   - a sharing violation breaks batch oplocks to level II first, so that
//     a client that caches a closed handle can close it (batch3, batch5);
//     an exclusive one is not broken (exclusive1);
//   - a WRITE or a change of size breaks every level II oplock of the file,
//     the writer's own included, to none, without acknowledgment
//     (MS-SMB2 §2.2.23.1, batch6);
//   - a rename or a delete disposition breaks the other opens' batch
//     oplocks to level II.
//
// A CREATE that breaks an exclusive or batch oplock held on another
// connection waits for the acknowledgment (or the holder's CLOSE, or
// Server.OplockBreakTimeout) before it goes on: waitBreaks. It waits in
// the connection's reading goroutine, so it never waits for a break it
// sent on its own connection (that acknowledgment could not be read): the
// holder's level is then taken as lowered at once, and its
// acknowledgment is still expected.
//
// The state of every open of a file lives in one table of the Server
// (caching), under one mutex, so that the opens of every connection see
// each other; notifications are written with the holder connection's
// writeFrame after the mutex is released.

// DefaultOplockBreakTimeout is how long a break waits for its
// acknowledgment: MS-SMB2 §3.3.2.1's Oplock Break Acknowledgment Timer,
// 35 seconds in Windows.
const DefaultOplockBreakTimeout = 35 * time.Second

// fileKey names a file across connections: its export and node.
type fileKey struct {
	exp  uint32
	node uint64
}

// caching is the Server's table of the opens of every file that has one.
type caching struct {
	mu     sync.Mutex
	files  map[fileKey]*cfile
	leases map[leaseID]*lease
}

// cfile is the opens of one file.
type cfile struct {
	key   fileKey
	opens []*copen

	// The lock manager grant standing for the file's SMB caching
	// towards other protocols (crossproto.go); 0 when none.
	m     *locking.Manager
	grant locking.GrantID
	kind  locking.GrantKind
}

// copen is the caching state of one open of a file.
type copen struct {
	f    *cfile
	c    *conn // the connection holding the open
	fid  wire.FileID
	enc  *smbcrypto.Encryptor // notifications are encrypted with it when not nil
	stat bool                 // a stat open: attributes only
	// disconnected: a durable open whose connection dropped (durable.go)
	disconnected bool
	pid          uint64 // its persistent FileId
	access       uint32 // granted access and share access, for
	closed       bool

	level      uint8 // Open.OplockLevel
	notified   uint8 // the level the last notification offered
	breakTo    uint8 // the level the break must reach (at most notified)
	breakState       // breaking: Open.OplockState == Breaking

	ls *lease // the open's lease (lease.go), nil for an oplock
}

// effective is the level other opens must assume: what a break under way
// will leave.
func (co *copen) effective() uint8 {
	if co.breaking {
		return co.breakTo
	}
	return co.level
}

func exclusiveLevel(l uint8) bool {
	return l == wire.SMB2_OPLOCK_LEVEL_EXCLUSIVE || l == wire.SMB2_OPLOCK_LEVEL_BATCH
}

// statOpen reports whether an access mask is a stat open's (MS-FSA
// §2.1.5.1.2: no data, delete or security access).
func statOpen(access uint32) bool {
	const statBits = wire.FILE_READ_ATTRIBUTES | wire.FILE_WRITE_ATTRIBUTES | wire.SYNCHRONIZE
	return access&^uint32(statBits) == 0
}

// leaseStatOpen is statOpen for breaking leases: READ_CONTROL too.
func leaseStatOpen(access uint32) bool { return statOpen(access &^ wire.READ_CONTROL) }

func (s *Server) cachingFile(k fileKey) *cfile {
	if s.cache.files == nil {
		s.cache.files = map[fileKey]*cfile{}
	}
	f := s.cache.files[k]
	if f == nil {
		f = &cfile{key: k}
		s.cache.files[k] = f
	}
	return f
}

// breakLocked starts a break of co to level to (MS-SMB2 §3.3.4.6) and
// returns what sends its notification, to run once s.cache.mu is released;
// nil when co is already at or below to. A break from level II needs no
// acknowledgment: it is complete at once.
func (s *Server) breakLocked(co *copen, to uint8) func() {
	if co.closed || co.effective() <= to {
		return nil
	}
	if co.breaking {
		co.breakTo = min(co.breakTo, to) // sent when the acknowledgment comes
		return nil
	}
	if co.level == wire.SMB2_OPLOCK_LEVEL_II {
		co.level = wire.SMB2_OPLOCK_LEVEL_NONE
		return co.notice(wire.SMB2_OPLOCK_LEVEL_NONE)
	}
	co.notified, co.breakTo = to, to
	co.start(s, func() {
		// No acknowledgment in time: the oplock is gone (MS-SMB2
		// §3.3.2.1).
		co.level = wire.SMB2_OPLOCK_LEVEL_NONE
	})
	return co.notice(to)
}

// breakState is a break under way, of an oplock or of a lease: those
// waiting for it wait on done, closed when it ends (acknowledgment,
// close, timeout). Guarded by s.cache.mu.
type breakState struct {
	breaking bool
	done     chan struct{}
	timer    *time.Timer
}

// start begins a break whose acknowledgment must come within
// OplockBreakTimeout; timeout is what its expiry does before the break
// ends.
func (b *breakState) start(s *Server, timeout func()) {
	b.breaking = true
	b.done = make(chan struct{})
	done := b.done
	b.timer = time.AfterFunc(s.OplockBreakTimeout, func() {
		s.cache.mu.Lock()
		defer s.cache.mu.Unlock()
		if b.breaking && b.done == done {
			timeout()
			b.finish()
		}
	})
}

// finish ends the break and wakes those waiting for it.
func (b *breakState) finish() {
	if !b.breaking {
		return
	}
	b.breaking = false
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	close(b.done)
}

// notice returns what sends an oplock break notification of co to level
// (MS-SMB2 §2.2.23.1): MessageId 0xFFFFFFFFFFFFFFFF, never signed,
// encrypted when the holder's session encrypts.
func (co *copen) notice(level uint8) func() {
	c, fid, enc := co.c, co.fid, co.enc
	return func() {
		h := wire.Header{Command: wire.SMB2_OPLOCK_BREAK, Flags: wire.SMB2_FLAGS_SERVER_TO_REDIR, MessageID: wire.UnsolicitedMessageID}
		var e wire.Encoder
		e.BeginMessage(&h)
		(&wire.OplockBreak{OplockLevel: level, FileID: fid}).Encode(&e)
		c.sendUnsolicited(e.Bytes(), enc)
	}
}

// sendUnsolicited writes a message the server sends unasked (a break
// notification), encrypted with enc when not nil; from any goroutine.
func (c *conn) sendUnsolicited(msg []byte, enc *smbcrypto.Encryptor) {
	if enc != nil {
		sealed, err := enc.Encrypt(nil, msg)
		if err != nil {
			c.logf("encryption failed", "err", err)
			return
		}
		msg = sealed
	}
	if err := c.writeFrame(msg); err != nil {
		c.s.logs.Info(c.s.log, "smb: break notification not sent", "remote", c.remote.String(), "err", err)
	}
}

func runAll(fs []func()) {
	for _, f := range fs {
		f()
	}
}

// waiter is a break some request waits for: done is closed when it is
// complete; c is the holder's connection.
type waiter struct {
	c    *conn
	done chan struct{}
}

// waitBreaks waits until each break of ws is complete: acknowledged,
// its open closed, or timed out. A break held on c itself is not waited
// for (c's reading goroutine is the one waiting). This is the one place a
// request waits for another client; an asynchronous CREATE would wait
// here in its own goroutine.
func (c *conn) waitBreaks(ws []waiter) {
	for _, w := range ws {
		if w.c == c {
			continue
		}
		select {
		case <-w.done:
		case <-c.ctx.Done():
			return
		}
	}
}

// Caching bits: an oplock is read with level II, read and write when
// exclusive, read, write and handle when batch (MS-SMB2 §3.3.4.7 maps
// them so); a lease is its state.
const (
	cacheR = wire.SMB2_LEASE_READ_CACHING
	cacheH = wire.SMB2_LEASE_HANDLE_CACHING
	cacheW = wire.SMB2_LEASE_WRITE_CACHING
)

func oplockBits(level uint8) uint32 {
	switch level {
	case wire.SMB2_OPLOCK_LEVEL_II:
		return cacheR
	case wire.SMB2_OPLOCK_LEVEL_EXCLUSIVE:
		return cacheR | cacheW
	case wire.SMB2_OPLOCK_LEVEL_BATCH:
		return cacheR | cacheW | cacheH
	}
	return 0
}

// bits is what co caches, as other opens must assume it: what a break
// under way will leave.
func (co *copen) bits() uint32 {
	if co.ls != nil {
		return co.ls.effective()
	}
	return oplockBits(co.effective())
}

// sameLease reports whether two opens share a lease (their caching does
// not conflict).
func sameLease(a, b *copen) bool { return a.ls != nil && a.ls == b.ls }

// dropLocked breaks what co caches of drop: an oplock to level II (to
// none when read caching goes; batch loses handle caching that way), a
// lease to its state without drop. Notifications are appended to sends,
// breaks to wait for to ws.
func (s *Server) dropLocked(co *copen, drop uint32, sends *[]func(), ws *[]waiter) {
	if co.closed || co.bits()&drop == 0 {
		return
	}
	if co.disconnected {
		// No client to acknowledge: a disconnected durable open is
		// closed (durable.go).
		pid := co.pid
		co.disconnected = false
		*sends = append(*sends, func() { s.purgeDurable(pid) })
		return
	}
	if ls := co.ls; ls != nil {
		s.breakLeaseLocked(ls, ls.effective()&^drop, sends, ws)
		return
	}
	to := uint8(wire.SMB2_OPLOCK_LEVEL_II)
	if drop&cacheR != 0 {
		to = wire.SMB2_OPLOCK_LEVEL_NONE
	}
	if f := s.breakLocked(co, to); f != nil {
		*sends = append(*sends, f)
	}
	if co.breaking {
		*ws = append(*ws, waiter{co.c, co.done})
	}
}

// dropOthers breaks drop off every open of file k but self (and self's
// lease), where pick says so, sends the notifications and returns the
// breaks to wait for.
func (s *Server) dropOthers(k fileKey, self *copen, drop uint32, pick func(*copen) bool) []waiter {
	var ws []waiter
	var sends []func()
	s.cache.mu.Lock()
	if f := s.cache.files[k]; f != nil {
		for _, x := range f.opens {
			if x != self && (self == nil || !sameLease(x, self)) && (pick == nil || pick(x)) {
				s.dropLocked(x, drop, &sends, &ws)
			}
		}
	}
	s.cache.mu.Unlock()
	runAll(sends)
	return ws
}

// openCaching is the oplock and lease part of a CREATE of a file or
// directory (MS-SMB2 §3.3.5.9, §3.3.5.9.8, §3.3.5.9.11; MS-FSA
// §2.1.5.1.2.1): it takes the share reservation (reserve), breaks what
// the new open conflicts with, waits for the breaks, and registers o with
// the oplock level or lease it grants (ctx: the lease response context,
// or nil). overwrite is a FILE_OVERWRITE(_IF) or FILE_SUPERSEDE of an
// existing file.
func (c *conn) openCaching(r *request, o *open, req *wire.CreateRequest, overwrite bool) (uint8, *wire.CreateContext, wire.Status) {
	s := c.s
	k := fileKey{o.tree.exp.ID, o.h.ID}
	stat := statOpen(o.access) && !overwrite // truncating is no stat open (batch13, batch14, batch16)
	lr, st := c.leaseRequest(req, o)
	if st != wire.STATUS_SUCCESS {
		return 0, nil, st
	}
	// The lease the open will share, when its key is known already: its
	// holder's caching does not conflict with the new open.
	self := &copen{c: c}
	if lr != nil {
		s.cache.mu.Lock()
		if ls := s.cache.leases[lr.id]; ls != nil {
			if ls.f.key != k {
				s.cache.mu.Unlock()
				return 0, nil, wire.STATUS_INVALID_PARAMETER // one key, one file (MS-SMB2 §3.3.5.9.8)
			}
			self.ls = ls
		}
		s.cache.mu.Unlock()
		if o.dir {
			// No directory leases: the key was checked, nothing is
			// granted (smbtorture smb2.lease.request).
			lr, self.ls = nil, nil
		}
	}
	st = c.reserve(r.sess, o, req.ShareAccess)
	if st == wire.STATUS_SHARING_VIOLATION {
		// Handle caching (batch oplocks, H leases) is broken before a
		// sharing violation is reported: the holder may close the
		// handle it caches (smbtorture smb2.oplock.batch5).
		if ws := s.dropOthers(k, self, cacheH, nil); len(ws) > 0 {
			if st = c.awaitBreaks(r, ws); st == wire.STATUS_SUCCESS {
				st = c.reserve(r.sess, o, req.ShareAccess)
			}
		}
	}
	if st != wire.STATUS_SUCCESS {
		return 0, nil, st
	}
	if !stat {
		// Write caching (exclusive and batch oplocks, W leases) of
		// the other opens goes, and handle caching too when the new
		// open is to delete the file (smb2.lease.unlink,
		// smb2.oplock.batch3).
		drop := uint32(cacheW)
		if req.CreateOptions&wire.FILE_DELETE_ON_CLOSE != 0 {
			drop |= cacheH
		}
		// READ_CONTROL alone is a stat open to leases, not to
		// oplocks (smbtorture smb2.lease.statopen4 and
		// smb2.oplock.statopen1, as Samba's is_lease_stat_open and
		// is_oplock_stat_open).
		var pick func(*copen) bool
		if leaseStatOpen(o.access) && !overwrite {
			pick = func(x *copen) bool { return x.ls == nil }
		}
		ws := s.dropOthers(k, self, drop, pick)
		if overwrite {
			// Truncating takes all caching from leases (smbtorture
			// smb2.lease.breaking2), without waiting for the
			// acknowledgment once write caching is gone
			// (smb2.lease.breaking4); oplocks lose write caching
			// only (smb2.oplock.batch13).
			s.dropOthers(k, self, cacheR|cacheW|cacheH, func(x *copen) bool { return x.ls != nil })
		}
		if st := c.awaitBreaks(r, ws); st != wire.STATUS_SUCCESS {
			return 0, nil, st
		}
	}
	// What other protocols let SMB cache (crossproto.go).
	held := locking.GrantWrite
	if !o.dir {
		held = c.crossGrant(o, k, neededGrant(req, lr))
	}
	co := &copen{c: c, fid: o.fileID(), pid: o.persistentID(), stat: stat, access: o.access}
	if r.crypt || r.sess.encrypt || o.tree.encrypt {
		co.enc = r.sess.enc
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	f := s.cachingFile(k)
	var others int
	var otherBits uint32
	oplocked := false // another open holds an oplock (not a lease)
	for _, x := range f.opens {
		if self.ls != nil && x.ls == self.ls {
			continue
		}
		if lr != nil && x.stat && x.bits() == 0 {
			continue // a stat open does not keep a lease from W (smb2.lease.statopen3)
		}
		others++
		otherBits |= x.bits()
		if x.ls == nil && x.effective() != wire.SMB2_OPLOCK_LEVEL_NONE {
			oplocked = true
		}
	}
	co.f = f
	f.opens = append(f.opens, co)
	o.co = co
	if lr != nil {
		return wire.SMB2_OPLOCK_LEVEL_LEASE, s.grantLeaseLocked(co, lr, others, oplocked, held), wire.STATUS_SUCCESS
	}
	// An oplock (MS-FSA §2.1.5.17.2).
	want := req.RequestedOplockLevel
	if want != wire.SMB2_OPLOCK_LEVEL_II && !exclusiveLevel(want) || o.dir {
		want = wire.SMB2_OPLOCK_LEVEL_NONE
	}
	switch {
	case want == wire.SMB2_OPLOCK_LEVEL_NONE:
	case others == 0:
	case stat || otherBits&(cacheW|cacheH) != 0:
		// A handle lease keeps oplocks away (smb2.lease.oplock: RH
		// held, level II asked for, none granted).
		want = wire.SMB2_OPLOCK_LEVEL_NONE
	default:
		want = wire.SMB2_OPLOCK_LEVEL_II
	}
	switch {
	case held == locking.GrantNone:
		want = wire.SMB2_OPLOCK_LEVEL_NONE
	case held == locking.GrantRead && exclusiveLevel(want):
		want = wire.SMB2_OPLOCK_LEVEL_II
	}
	co.level = want
	return want, nil, wire.STATUS_SUCCESS
}

// forgetLocked drops a file's entry once it has no open.
func (s *Server) forgetLocked(k fileKey) {
	if f := s.cache.files[k]; f != nil && len(f.opens) == 0 {
		f.returnGrantLocked()
		delete(s.cache.files, k)
	}
}

// dropCaching removes a closing open from its file's table, ending a
// break under way (a holder may close instead of acknowledging) and its
// lease when it was the lease's last open.
func (c *conn) dropCaching(o *open) { c.s.dropCaching(o) }

func (s *Server) dropCaching(o *open) {
	co := o.co
	if co == nil {
		return
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	co.closed = true
	co.finish()
	if ls := co.ls; ls != nil {
		if ls.opens--; ls.opens == 0 {
			s.endLeaseLocked(ls)
		}
	}
	f := co.f
	for i, x := range f.opens {
		if x == co {
			f.opens = append(f.opens[:i], f.opens[i+1:]...)
			break
		}
	}
	s.forgetLocked(f.key)
	o.co = nil
}

// breakForWrite is what a WRITE or a change of size through o does to the
// file's caching: read caching goes from every other open (level II
// oplocks and R leases, without acknowledgment), and from o itself when
// it holds a level II oplock (smbtorture smb2.oplock.batch6); not from
// o's own lease.
func (c *conn) breakForWrite(o *open) {
	co := o.co
	if co == nil {
		return
	}
	s := c.s
	var ws []waiter
	var sends []func()
	s.cache.mu.Lock()
	for _, x := range co.f.opens {
		if x == co && co.ls == nil && co.effective() == wire.SMB2_OPLOCK_LEVEL_II || x != co && !sameLease(x, co) {
			s.dropLocked(x, cacheR|cacheW|cacheH, &sends, &ws)
		}
	}
	s.cache.mu.Unlock()
	runAll(sends)
}

// breakForNamespace is what a rename or a delete disposition through o
// does: the other opens' handle caching (batch oplocks, H leases) is
// broken, and waited for.
func (c *conn) breakForNamespace(o *open) {
	co := o.co
	if co == nil {
		return
	}
	c.waitBreaks(c.s.dropOthers(co.f.key, co, cacheH, nil))
}

// oplockBreak is SMB2 OPLOCK_BREAK from a client: an oplock break
// acknowledgment (MS-SMB2 §3.3.5.22.1) or a lease break acknowledgment
// (§3.3.5.22.2).
func (c *conn) oplockBreak(r *request) wire.Status {
	var req wire.OplockBreakRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if req.IsLease {
		return c.leaseBreakAck(r, &req.Lease)
	}
	o, st := r.fileOpen(req.Oplock.FileID)
	if o == nil {
		return st
	}
	s := c.s
	level := req.Oplock.OplockLevel
	var sends []func()
	s.cache.mu.Lock()
	co := o.co
	if co == nil || !co.breaking {
		s.cache.mu.Unlock()
		// MS-SMB2 §3.3.5.22.1 now says STATUS_INVALID_DEVICE_STATE;
		// Windows and Samba answer STATUS_INVALID_OPLOCK_PROTOCOL
		// (smbtorture smb2.oplock.levelii500).
		return wire.STATUS_INVALID_OPLOCK_PROTOCOL
	}
	switch {
	case level == wire.SMB2_OPLOCK_LEVEL_LEASE:
		st = wire.STATUS_INVALID_PARAMETER
	case level > co.notified || level != wire.SMB2_OPLOCK_LEVEL_NONE && level != wire.SMB2_OPLOCK_LEVEL_II:
		st = wire.STATUS_INVALID_OPLOCK_PROTOCOL
	}
	if st != wire.STATUS_SUCCESS {
		co.level = wire.SMB2_OPLOCK_LEVEL_NONE
		co.finish()
		s.cache.mu.Unlock()
		return st
	}
	co.level = level
	target := co.breakTo
	co.finish()
	if co.level > target {
		// A stronger break came while this one was under way.
		if f := s.breakLocked(co, target); f != nil {
			sends = append(sends, f)
		}
	}
	s.cache.mu.Unlock()
	(&wire.OplockBreak{OplockLevel: level, FileID: o.fileID()}).Encode(&c.enc)
	runAll(sends)
	return wire.STATUS_SUCCESS
}

package smb

import (
	"encoding/binary"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// Leases (MS-SMB2 §3.3.1.4, §3.3.4.7, §3.3.5.9.8, §3.3.5.9.11,
// §3.3.5.22.2): read (R), handle (H) and write (W) caching granted to a
// lease key of a client (its ClientGuid) on one file, shared by every open
// of the client made with that key. The rules are those of oplocks
// (oplock.go) on the caching bits, as Windows applies them (smbtorture
// smb2.lease.request, upgrade, break, oplock):
//
//   - the states granted are R, RH, RW and RHW; H, W and HW alone grant
//     nothing; directories get no lease (no DIRECTORY_LEASING);
//   - a new open with another key (or none) breaks W off the other leases;
//     a sharing violation breaks H first; a WRITE or a change of size
//     breaks the other leases to none; a rename or delete breaks H;
//   - a new lease gets what it asks for less W when the file has other
//     opens, less H when one of them holds an oplock; a lease re-opened
//     with its key is upgraded to a state that contains the current one
//     and could be granted with the other opens, and otherwise keeps its
//     state;
//   - a break that takes W or H away needs an acknowledgment (a CREATE on
//     another connection waits for it, as for oplocks), one from R to none
//     does not; a version 2 lease counts its changes in its epoch.

// Lease flags of the create contexts (MS-SMB2 §2.2.13.2.10, §2.2.14.2.11).
const (
	leaseFlagBreakInProgress = 0x02
	leaseFlagParentKeySet    = 0x04
)

// leaseID is a lease: the client's GUID and the lease key.
type leaseID struct {
	client wire.GUID
	key    wire.GUID
}

// lease is the state of one lease (MS-SMB2 §3.3.1.13).
type lease struct {
	id        leaseID
	f         *cfile
	state     uint32
	epoch     uint16
	v2        bool // granted by a V2 context: answered and broken in V2
	parent    wire.GUID
	parentSet bool
	notified  uint32 // the state the last notification offered
	breakTo   uint32 // the state the break must reach (within notified)
	breakState
	opens int
	c     *conn // the connection of the latest open, which breaks go to
	enc   *smbcrypto.Encryptor
}

func (ls *lease) effective() uint32 {
	if ls.breaking {
		return ls.breakTo
	}
	return ls.state
}

// leaseReq is a decoded RqLs create context.
type leaseReq struct {
	id     leaseID
	state  uint32
	v2     bool
	flags  uint32
	parent wire.GUID
	epoch  uint16
}

// leaseRequest decodes the lease a CREATE asks for: nil when it asks for
// none or comes on SMB 2.0.2, which has no leases
// (the request is then an oplock request of level LEASE, which grants
// none). A V2 context is read on SMB 3.x only.
func (c *conn) leaseRequest(req *wire.CreateRequest, o *open) (*leaseReq, wire.Status) {
	if req.RequestedOplockLevel != wire.SMB2_OPLOCK_LEVEL_LEASE {
		return nil, wire.STATUS_SUCCESS
	}
	return c.leaseContextOf(req)
}

// leaseContextOf decodes the RqLs context of a request, whatever its
// oplock level (a durable reconnect names its lease so).
func (c *conn) leaseContextOf(req *wire.CreateRequest) (*leaseReq, wire.Status) {
	if c.dialect == wire.SMB2_DIALECT_202 {
		return nil, wire.STATUS_SUCCESS
	}
	b, ok := req.Context(wire.SMB2_CREATE_REQUEST_LEASE)
	if !ok {
		return nil, wire.STATUS_SUCCESS
	}
	if len(b) < 32 {
		return nil, wire.STATUS_INVALID_PARAMETER
	}
	lr := &leaseReq{state: binary.LittleEndian.Uint32(b[16:]), flags: binary.LittleEndian.Uint32(b[20:])}
	copy(lr.id.key[:], b[:16])
	lr.id.client = c.clientGUID
	if len(b) >= 52 && c.dialect >= wire.SMB2_DIALECT_300 {
		lr.v2 = true
		copy(lr.parent[:], b[32:48])
		lr.epoch = binary.LittleEndian.Uint16(b[48:])
	}
	return lr, wire.STATUS_SUCCESS
}

// grantableLease is the state granted for a request: R, RH, RW, RHW, or
// nothing.
func grantableLease(state uint32) uint32 {
	state &= cacheR | cacheH | cacheW
	if state&cacheR == 0 {
		return 0
	}
	return state
}

// grantLeaseLocked gives co the lease lr asks for (new, or the existing
// one of its key, upgraded when it may be) and returns the response
// context. others is the number of the file's opens of other keys;
// oplocked, whether one of them holds an oplock.
func (s *Server) grantLeaseLocked(co *copen, lr *leaseReq, others int, oplocked bool, held locking.GrantKind) *wire.CreateContext {
	want := grantableLease(lr.state)
	switch held { // what other protocols allow (crossproto.go)
	case locking.GrantNone:
		want = 0
	case locking.GrantRead:
		want &^= cacheW
	}
	ls := s.cache.leases[lr.id]
	switch {
	case ls == nil:
		g := want
		if others > 0 {
			g &^= cacheW
		}
		if oplocked {
			g &^= cacheH
		}
		ls = &lease{id: lr.id, f: co.f, state: grantableLease(g), v2: lr.v2,
			parent: lr.parent, parentSet: lr.v2 && lr.flags&leaseFlagParentKeySet != 0}
		if lr.v2 {
			ls.epoch = lr.epoch + 1
		}
		if s.cache.leases == nil {
			s.cache.leases = map[leaseID]*lease{}
		}
		s.cache.leases[lr.id] = ls
	case !ls.breaking && want != ls.state && want&ls.state == ls.state &&
		(others == 0 || want&cacheW == 0) && (!oplocked || want&cacheH == 0):
		// An upgrade (MS-SMB2 §3.3.5.9.8) to a state that contains the
		// current one and can be held with the other opens' (smbtorture
		// smb2.lease.upgrade3).
		ls.state = want
		if ls.v2 {
			ls.epoch++
		}
	}
	ls.opens++
	ls.c, ls.enc = co.c, co.enc
	co.ls = ls

	return leaseContext(ls, lr)
}

// leaseContext is the lease response context (MS-SMB2 §2.2.14.2.10,
// §2.2.14.2.11) of ls, in the version the lease was granted in whatever
// the request's (smbtorture smb2.lease.v2_epoch2, v2_epoch3).
func leaseContext(ls *lease, lr *leaseReq) *wire.CreateContext {
	var e wire.Encoder
	e.Write(lr.id.key[:])
	e.Uint32(ls.state)
	flags := uint32(0)
	if ls.breaking {
		flags |= leaseFlagBreakInProgress
	}
	if ls.v2 && ls.parentSet {
		flags |= leaseFlagParentKeySet
	}
	e.Uint32(flags)
	e.Uint64(0) // LeaseDuration
	if ls.v2 {
		if ls.parentSet {
			e.Write(ls.parent[:])
		} else {
			e.Zero(16)
		}
		e.Uint16(ls.epoch)
		e.Uint16(0)
	}
	return &wire.CreateContext{Name: []byte(wire.SMB2_CREATE_REQUEST_LEASE), Data: e.Bytes()}
}

// breakLeaseLocked breaks ls down to state to (MS-SMB2 §3.3.4.7),
// appending the notification to sends and, when an acknowledgment is
// needed, the break to ws.
func (s *Server) breakLeaseLocked(ls *lease, to uint32, sends *[]func(), ws *[]waiter) {
	to = grantableLease(to)
	cur := ls.effective()
	if cur&^to == 0 {
		return
	}
	to &= cur
	if ls.breaking {
		ls.breakTo = to // notified when the acknowledgment comes
		*ws = append(*ws, waiter{ls.c, ls.done})
		return
	}
	from := ls.state
	if ls.v2 {
		ls.epoch++
	}
	if from&(cacheW|cacheH) == 0 {
		ls.state = to // from R: no acknowledgment
		*sends = append(*sends, ls.notice(from, to, 0))
		return
	}
	ls.notified, ls.breakTo = to, to
	ls.start(s, func() { ls.state = ls.breakTo }) // no acknowledgment in time
	*sends = append(*sends, ls.notice(from, to, wire.SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED))
	*ws = append(*ws, waiter{ls.c, ls.done})
}

// endLeaseLocked forgets a lease whose last open closed.
func (s *Server) endLeaseLocked(ls *lease) {
	ls.finish()
	if s.cache.leases[ls.id] == ls {
		delete(s.cache.leases, ls.id)
	}
}

// notice returns what sends a lease break notification (MS-SMB2
// §2.2.23.2) to the lease's latest connection.
func (ls *lease) notice(from, to, flags uint32) func() {
	c, enc := ls.c, ls.enc
	n := wire.LeaseBreakNotification{Flags: flags, LeaseKey: ls.id.key, CurrentLeaseState: from, NewLeaseState: to}
	if ls.v2 {
		n.NewEpoch = ls.epoch
	}
	return func() {
		h := wire.Header{Command: wire.SMB2_OPLOCK_BREAK, Flags: wire.SMB2_FLAGS_SERVER_TO_REDIR, MessageID: wire.UnsolicitedMessageID}
		var e wire.Encoder
		e.BeginMessage(&h)
		n.Encode(&e)
		c.sendUnsolicited(e.Bytes(), enc)
	}
}

// leaseBreakAck is a lease break acknowledgment (MS-SMB2 §3.3.5.22.2).
func (c *conn) leaseBreakAck(r *request, ack *wire.LeaseBreakAck) wire.Status {
	s := c.s
	var sends []func()
	var ws []waiter
	s.cache.mu.Lock()
	ls := s.cache.leases[leaseID{c.clientGUID, ack.LeaseKey}]
	switch {
	case ls == nil:
		s.cache.mu.Unlock()
		return wire.STATUS_OBJECT_NAME_NOT_FOUND
	case !ls.breaking:
		s.cache.mu.Unlock()
		return wire.STATUS_UNSUCCESSFUL
	case ack.LeaseState&^ls.notified != 0:
		s.cache.mu.Unlock()
		return wire.STATUS_REQUEST_NOT_ACCEPTED
	}
	ls.state = ack.LeaseState
	target := ls.breakTo
	ls.finish()
	if ls.state&^target != 0 {
		// A stronger break came while this one was under way.
		s.breakLeaseLocked(ls, target, &sends, &ws)
	}
	s.cache.mu.Unlock()
	(&wire.LeaseBreakAck{LeaseKey: ack.LeaseKey, LeaseState: ack.LeaseState}).Encode(&c.enc)
	runAll(sends)
	return wire.STATUS_SUCCESS
}

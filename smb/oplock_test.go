package smb

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
	"github.com/dittofs/dittofs/store"
)

// createReq is a CREATE with what the oplock and lease tests vary.
type createReq struct {
	name   string
	access uint32
	share  uint32
	disp   uint32
	opts   uint32
	level  uint8
	lease  []byte // RqLs data (V1 32 bytes, V2 52 bytes), or nil
}

// body lays out the CREATE request (MS-SMB2 §2.2.13) with an RqLs create
// context (§2.2.13.2.8, §2.2.13.2.10) when lease is set.
func (q createReq) body() []byte {
	n := UTF16LE(q.name)
	ctxOff, ctxLen := 0, 0
	var ctx []byte
	if q.lease != nil {
		ctx = Lay(uint32(0), uint16(16), uint16(4), uint16(0), uint16(24), uint32(len(q.lease)), []byte("RqLs"), uint32(0), q.lease)
		ctxOff = (120 + len(n) + 7) &^ 7
		ctxLen = len(ctx)
	}
	b := Lay(uint16(57), uint8(0), q.level, uint32(wire.SMB2_IMPERSONATION_IMPERSONATION), uint64(0), uint64(0),
		q.access, uint32(0), q.share, q.disp, q.opts, uint16(120), uint16(len(n)), uint32(ctxOff), uint32(ctxLen))
	b = append(b, n...)
	if len(n) == 0 {
		b = append(b, 0)
	}
	if ctx != nil {
		for 64+len(b) < ctxOff {
			b = append(b, 0)
		}
		b = append(b, ctx...)
	}
	return b
}

// created is what a CREATE response says of oplocks and leases.
type created struct {
	st    wire.Status
	fid   wire.FileID
	level uint8
	lease []byte // the RqLs response data, or nil
}

func parseCreated(r reply) created {
	cr := created{st: r.status()}
	if cr.st != wire.STATUS_SUCCESS {
		return cr
	}
	cr.level = r.body[2]
	cr.fid = wire.FileID{Persistent: binary.LittleEndian.Uint64(r.body[64:]), Volatile: binary.LittleEndian.Uint64(r.body[72:])}
	if off := binary.LittleEndian.Uint32(r.body[80:]); off != 0 {
		ctxs, err := wire.ParseCreateContexts(r.raw[off:off+binary.LittleEndian.Uint32(r.body[84:])], nil)
		if err == nil {
			for _, c := range ctxs {
				if string(c.Name) == "RqLs" {
					cr.lease = c.Data
				}
			}
		}
	}
	return cr
}

// exchange sends one request and reads until its reply, returning the
// break notifications (MessageId 0xFFFFFFFFFFFFFFFF, MS-SMB2 §2.2.23)
// that came before it.
func (c *client) exchange(cmd wire.Command, body []byte) (reply, []reply) {
	c.t.Helper()
	c.sendFrame(c.message(cmd, body, 1))
	var notes []reply
	for {
		rs, err := c.recv()
		if err != nil {
			c.t.Fatalf("%v: %v", cmd, err)
		}
		for _, r := range rs {
			if r.h.MessageID == wire.UnsolicitedMessageID {
				notes = append(notes, r)
				continue
			}
			return r, notes
		}
	}
}

func (c *client) open(q createReq) (created, []reply) {
	c.t.Helper()
	r, notes := c.exchange(wire.SMB2_CREATE, q.body())
	return parseCreated(r), notes
}

// notification reads one break notification.
func (c *client) notification() reply {
	c.t.Helper()
	rs, err := c.recv()
	if err != nil {
		c.t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].h.MessageID != wire.UnsolicitedMessageID || rs[0].h.Command != wire.SMB2_OPLOCK_BREAK {
		c.t.Fatalf("want a break notification, got %+v", rs)
	}
	if rs[0].h.IsSigned() {
		c.t.Fatal("break notification is signed (MS-SMB2 §3.3.4.6: never)")
	}
	return rs[0]
}

func oplockAckBody(f wire.FileID, level uint8) []byte {
	return append(Lay(uint16(24), level, uint8(0), uint32(0)), fid(f)...)
}

const oplockRW = wire.FILE_READ_DATA | wire.FILE_WRITE_DATA | wire.FILE_READ_ATTRIBUTES | wire.SYNCHRONIZE

// TestOplockBatchBreakAndAck: a second open from another connection breaks
// a batch oplock to level II (MS-SMB2 §3.3.4.6, MS-FSA §2.1.4.12), its
// CREATE completes once the holder acknowledges (§3.3.5.22.1) and gets
// level II; the acknowledgment is answered with the level; a second
// acknowledgment, one for a level above the break and one for an unknown
// FileId are refused.
func TestOplockBatchBreakAndAck(t *testing.T) {
	ts := startServer(t)
	a, b := ts.connect(wire.SMB2_DIALECT_311), ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "batch", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_BATCH}
	h1, _ := a.open(q)
	if h1.st != wire.STATUS_SUCCESS || h1.level != wire.SMB2_OPLOCK_LEVEL_BATCH {
		t.Fatalf("first open: %v level %#x, want batch", h1.st, h1.level)
	}
	got := make(chan created, 1)
	go func() {
		r, _ := b.exchange(wire.SMB2_CREATE, q.body())
		got <- parseCreated(r)
	}()
	n := a.notification()
	if n.body[2] != wire.SMB2_OPLOCK_LEVEL_II || binary.LittleEndian.Uint64(n.body[16:]) != h1.fid.Volatile {
		t.Fatalf("notification: level %#x file %x", n.body[2], n.body[8:24])
	}
	// An acknowledgment above what the break offers is a protocol error.
	bad := a.call(wire.SMB2_OPLOCK_BREAK, oplockAckBody(h1.fid, wire.SMB2_OPLOCK_LEVEL_BATCH))
	if bad.status() != wire.STATUS_INVALID_OPLOCK_PROTOCOL {
		t.Fatalf("ack at batch: %v", bad.status())
	}
	// The refused acknowledgment ended the break with the holder at
	// none (MS-SMB2 §3.3.5.22.1); the waiting open has level II.
	if h2 := <-got; h2.st != wire.STATUS_SUCCESS || h2.level != wire.SMB2_OPLOCK_LEVEL_II {
		t.Fatalf("second open: %v level %#x", h2.st, h2.level)
	}
	if r := a.call(wire.SMB2_OPLOCK_BREAK, oplockAckBody(h1.fid, wire.SMB2_OPLOCK_LEVEL_NONE)); r.status() != wire.STATUS_INVALID_OPLOCK_PROTOCOL {
		t.Fatalf("ack without a break: %v", r.status())
	}
	if r := a.call(wire.SMB2_OPLOCK_BREAK, oplockAckBody(wire.FileID{Persistent: 99, Volatile: 99}, 0)); r.status() != wire.STATUS_FILE_CLOSED {
		t.Fatalf("ack of an unknown file: %v", r.status())
	}

	// A good acknowledgment: a third connection breaks a fresh batch.
	h3, _ := a.open(createReq{name: "batch2", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_BATCH})
	q.name = "batch2"
	go func() {
		r, _ := b.exchange(wire.SMB2_CREATE, q.body())
		got <- parseCreated(r)
	}()
	a.notification()
	ack := a.call(wire.SMB2_OPLOCK_BREAK, oplockAckBody(h3.fid, wire.SMB2_OPLOCK_LEVEL_II))
	if ack.status() != wire.STATUS_SUCCESS || ack.body[2] != wire.SMB2_OPLOCK_LEVEL_II {
		t.Fatalf("ack: %v level %#x", ack.status(), ack.body[2])
	}
	if h4 := <-got; h4.st != wire.STATUS_SUCCESS || h4.level != wire.SMB2_OPLOCK_LEVEL_II {
		t.Fatalf("open after the ack: %v level %#x, want level II", h4.st, h4.level)
	}
}

// TestOplockCloseOnBreak: a CREATE that meets a sharing violation breaks
// the batch oplock first and waits (MS-FSA §2.1.5.1.2.1); when the holder
// closes instead of acknowledging, the CREATE succeeds (smbtorture
// smb2.oplock.batch3): it did wait for the holder.
func TestOplockCloseOnBreak(t *testing.T) {
	ts := startServer(t)
	a, b := ts.connect(wire.SMB2_DIALECT_311), ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "f", access: oplockRW, share: 0, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_BATCH}
	h1, _ := a.open(q)
	if h1.level != wire.SMB2_OPLOCK_LEVEL_BATCH {
		t.Fatalf("level %#x", h1.level)
	}
	got := make(chan created, 1)
	go func() {
		r, _ := b.exchange(wire.SMB2_CREATE, q.body())
		got <- parseCreated(r)
	}()
	if n := a.notification(); n.body[2] != wire.SMB2_OPLOCK_LEVEL_II {
		t.Fatalf("break to %#x", n.body[2])
	}
	if st := a.close(h1.fid); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	h2 := <-got
	if h2.st != wire.STATUS_SUCCESS || h2.level != wire.SMB2_OPLOCK_LEVEL_BATCH {
		t.Fatalf("open after the holder closed: %v level %#x", h2.st, h2.level)
	}
	// Without a batch oplock a sharing violation is reported at once,
	// and nothing is broken.
	if st := b.close(h2.fid); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if h3, _ := a.open(createReq{name: "f", access: oplockRW, disp: wire.FILE_OPEN, level: wire.SMB2_OPLOCK_LEVEL_EXCLUSIVE}); h3.level != wire.SMB2_OPLOCK_LEVEL_EXCLUSIVE {
		t.Fatalf("exclusive: %v level %#x", h3.st, h3.level)
	}
	if h4, notes := b.open(q); h4.st != wire.STATUS_SHARING_VIOLATION || len(notes) != 0 {
		t.Fatalf("conflicting open: %v, %d notifications", h4.st, len(notes))
	}
}

// TestOplockTimeout: a holder that never acknowledges loses its oplock
// after OplockBreakTimeout (MS-SMB2 §3.3.2.1) and the waiting CREATE goes
// on.
func TestOplockTimeout(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.OplockBreakTimeout = 20 * time.Millisecond })
	a, b := ts.connect(wire.SMB2_DIALECT_311), ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "f", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_BATCH}
	a.open(q)
	h2, _ := b.open(q)
	if h2.st != wire.STATUS_SUCCESS || h2.level != wire.SMB2_OPLOCK_LEVEL_II {
		t.Fatalf("open after the timeout: %v level %#x", h2.st, h2.level)
	}
	a.notification()
}

// TestOplockLevelIIWrite: a WRITE breaks every level II oplock, the
// writer's own included, to none without acknowledgment (MS-SMB2
// §2.2.23.1; smbtorture smb2.oplock.batch6); a stat open breaks nothing
// and gets no oplock (MS-FSA §2.1.5.1.2.1, smb2.oplock.batch8).
func TestOplockLevelIIWrite(t *testing.T) {
	ts := startServer(t)
	a, b := ts.connect(wire.SMB2_DIALECT_311), ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "f", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_II}
	h1, _ := a.open(q)
	h2, _ := b.open(q)
	if h1.level != wire.SMB2_OPLOCK_LEVEL_II || h2.level != wire.SMB2_OPLOCK_LEVEL_II {
		t.Fatalf("levels %#x %#x, want level II twice", h1.level, h2.level)
	}
	stat := createReq{name: "f", access: wire.FILE_READ_ATTRIBUTES | wire.SYNCHRONIZE, share: shareAll, disp: wire.FILE_OPEN, level: wire.SMB2_OPLOCK_LEVEL_BATCH}
	if h3, notes := a.open(stat); h3.st != wire.STATUS_SUCCESS || h3.level != wire.SMB2_OPLOCK_LEVEL_NONE || len(notes) != 0 {
		t.Fatalf("stat open: %v level %#x, %d notifications", h3.st, h3.level, len(notes))
	}
	r, notes := a.exchange(wire.SMB2_WRITE, writeBody(h1.fid, 0, []byte("x")))
	if r.status() != wire.STATUS_SUCCESS || len(notes) != 1 || notes[0].body[2] != wire.SMB2_OPLOCK_LEVEL_NONE {
		t.Fatalf("write: %v, notifications %d", r.status(), len(notes))
	}
	if n := b.notification(); n.body[2] != wire.SMB2_OPLOCK_LEVEL_NONE {
		t.Fatalf("other holder: break to %#x", n.body[2])
	}
	// No acknowledgment is expected from level II.
	if r := b.call(wire.SMB2_OPLOCK_BREAK, oplockAckBody(h2.fid, 0)); r.status() != wire.STATUS_INVALID_OPLOCK_PROTOCOL {
		t.Fatalf("ack of a level II break: %v", r.status())
	}
}

// TestOplockSameConnection: an open that breaks an oplock held on its own
// connection goes async (MS-SMB2 §3.3.4.2) instead of blocking the
// connection's reader, which must read the acknowledgment: the break
// notification and an interim STATUS_PENDING come first, the
// acknowledgment is answered, and then the CREATE completes with the
// level the acknowledgment left (createasync.go).
func TestOplockSameConnection(t *testing.T) {
	ts := startServer(t)
	a := ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "f", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_EXCLUSIVE}
	h1, _ := a.open(q)
	if h1.level != wire.SMB2_OPLOCK_LEVEL_EXCLUSIVE {
		t.Fatalf("first open: level %#x", h1.level)
	}
	createID := a.msgID
	interim, notes := a.exchange(wire.SMB2_CREATE, q.body())
	if interim.status() != wire.STATUS_PENDING || !interim.h.IsAsync() || len(notes) != 1 {
		t.Fatalf("second open: %v (async %v), %d notifications; want STATUS_PENDING after one break", interim.status(), interim.h.IsAsync(), len(notes))
	}
	ack, _ := a.exchange(wire.SMB2_OPLOCK_BREAK, oplockAckBody(h1.fid, wire.SMB2_OPLOCK_LEVEL_II))
	if ack.status() != wire.STATUS_SUCCESS {
		t.Fatalf("ack: %v", ack.status())
	}
	rs, err := a.recv()
	if err != nil {
		t.Fatal(err)
	}
	final := rs[0]
	if final.h.MessageID != createID || final.h.AsyncID != interim.h.AsyncID || final.status() != wire.STATUS_SUCCESS {
		t.Fatalf("final CREATE reply: id %d async %d %v; want id %d async %d success", final.h.MessageID, final.h.AsyncID, final.status(), createID, interim.h.AsyncID)
	}
	if h2 := parseCreated(final); h2.level != wire.SMB2_OPLOCK_LEVEL_II {
		t.Errorf("second open: level %#x, want level II", h2.level)
	}
}

// leaseV2 is SMB2_CREATE_REQUEST_LEASE_V2 data (MS-SMB2 §2.2.13.2.10).
func leaseV2(key byte, state uint32, epoch uint16) []byte {
	k := make([]byte, 16)
	k[0], k[15] = key, ^key
	return Lay(k, state, uint32(0), uint64(0), make([]byte, 16), epoch, uint16(0))
}

// leaseV1 is SMB2_CREATE_REQUEST_LEASE data (MS-SMB2 §2.2.13.2.8).
func leaseV1(key byte, state uint32) []byte { return leaseV2(key, state, 0)[:32] }

func leaseAckBody(key byte, state uint32) []byte {
	k := make([]byte, 16)
	k[0], k[15] = key, ^key
	return Lay(uint16(36), uint16(0), uint32(0), k, state, uint64(0))
}

const (
	lR = wire.SMB2_LEASE_READ_CACHING
	lH = wire.SMB2_LEASE_HANDLE_CACHING
	lW = wire.SMB2_LEASE_WRITE_CACHING
)

// TestLeaseGrant: the states granted (MS-SMB2 §3.3.5.9.8; as Windows,
// smbtorture smb2.lease.request: R, RH, RW, RWH, nothing for H, W, HW),
// the V2 epoch (request's + 1, §3.3.5.9.11), one key for one file
// (STATUS_INVALID_PARAMETER), no lease on a directory, and the upgrade on
// a re-open with the key (smb2.lease.upgrade2).
func TestLeaseGrant(t *testing.T) {
	ts := startServer(t)
	a := ts.connect(wire.SMB2_DIALECT_311)
	for _, c := range []struct{ ask, want uint32 }{
		{lR, lR}, {lH, 0}, {lW, 0}, {lH | lW, 0}, {lR | lH, lR | lH}, {lR | lW, lR | lW}, {lR | lH | lW, lR | lH | lW},
	} {
		h, _ := a.open(createReq{name: "g", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV2(1, c.ask, 7)})
		if h.st != wire.STATUS_SUCCESS || h.level != wire.SMB2_OPLOCK_LEVEL_LEASE || len(h.lease) != 52 {
			t.Fatalf("ask %#x: %v level %#x lease %x", c.ask, h.st, h.level, h.lease)
		}
		if got := binary.LittleEndian.Uint32(h.lease[16:]); got != c.want {
			t.Errorf("ask %#x: granted %#x, want %#x", c.ask, got, c.want)
		}
		if ep := binary.LittleEndian.Uint16(h.lease[48:]); ep != 8 {
			t.Errorf("ask %#x: epoch %d, want 8", c.ask, ep)
		}
		a.close(h.fid)
	}
	h, _ := a.open(createReq{name: "g", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV2(1, lR|lH, 0)})
	if h2, _ := a.open(createReq{name: "other", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV2(1, lR, 0)}); h2.st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("key on a second file: %v", h2.st)
	}
	if d, _ := a.open(createReq{name: "dir", access: wire.FILE_READ_ATTRIBUTES, share: shareAll, disp: wire.FILE_CREATE, opts: wire.FILE_DIRECTORY_FILE, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV2(2, lR|lH, 0)}); d.st != wire.STATUS_SUCCESS || d.level != 0 || d.lease != nil {
		t.Errorf("directory: %v level %#x lease %x", d.st, d.level, d.lease)
	}
	// A V1 request upgrades the V2 lease, answered in V2 with the epoch
	// counted (smbtorture smb2.lease.v2_epoch2).
	up, _ := a.open(createReq{name: "g", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV1(1, lR|lH|lW)})
	if up.st != wire.STATUS_SUCCESS || len(up.lease) != 52 || binary.LittleEndian.Uint32(up.lease[16:]) != lR|lH|lW || binary.LittleEndian.Uint16(up.lease[48:]) != 2 {
		t.Fatalf("upgrade: %v lease %x", up.st, up.lease)
	}
	a.close(up.fid)
	a.close(h.fid)
}

// TestLeaseBreakAndAck: an open with another key on another connection
// breaks W off a lease (MS-SMB2 §3.3.4.7: ACK_REQUIRED, the V2 epoch
// counted) and waits for the acknowledgment (§3.3.5.22.2), whose errors
// are: unknown key STATUS_OBJECT_NAME_NOT_FOUND, a state beyond the break
// STATUS_REQUEST_NOT_ACCEPTED, no break under way STATUS_UNSUCCESSFUL.
func TestLeaseBreakAndAck(t *testing.T) {
	ts := startServer(t)
	a, b := ts.connect(wire.SMB2_DIALECT_311), ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "f", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV2(1, lR|lH|lW, 0)}
	if h, _ := a.open(q); binary.LittleEndian.Uint32(h.lease[16:]) != lR|lH|lW {
		t.Fatalf("first lease: %v %x", h.st, h.lease)
	}
	got := make(chan created, 1)
	q2 := q
	q2.lease = leaseV2(2, lR|lH|lW, 0)
	go func() {
		r, _ := b.exchange(wire.SMB2_CREATE, q2.body())
		got <- parseCreated(r)
	}()
	n := a.notification()
	// Lease Break Notification (§2.2.23.2): NewEpoch, Flags, LeaseKey,
	// CurrentLeaseState, NewLeaseState.
	epoch, flags := binary.LittleEndian.Uint16(n.body[2:]), binary.LittleEndian.Uint32(n.body[4:])
	cur, next := binary.LittleEndian.Uint32(n.body[24:]), binary.LittleEndian.Uint32(n.body[28:])
	if n.body[8] != 1 || epoch != 2 || flags != wire.SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED || cur != lR|lH|lW || next != lR|lH {
		t.Fatalf("notification: key %x epoch %d flags %#x %#x -> %#x", n.body[8:24], epoch, flags, cur, next)
	}
	if r := a.call(wire.SMB2_OPLOCK_BREAK, leaseAckBody(9, lR)); r.status() != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("ack of an unknown key: %v", r.status())
	}
	if r := a.call(wire.SMB2_OPLOCK_BREAK, leaseAckBody(1, lR|lH|lW)); r.status() != wire.STATUS_REQUEST_NOT_ACCEPTED {
		t.Errorf("ack keeping W: %v", r.status())
	}
	r := a.call(wire.SMB2_OPLOCK_BREAK, leaseAckBody(1, lR|lH))
	if r.status() != wire.STATUS_SUCCESS || binary.LittleEndian.Uint32(r.body[24:]) != lR|lH {
		t.Fatalf("ack: %v %x", r.status(), r.body)
	}
	if h2 := <-got; h2.st != wire.STATUS_SUCCESS || binary.LittleEndian.Uint32(h2.lease[16:]) != lR|lH {
		t.Fatalf("second lease: %v %x, want RH", h2.st, h2.lease)
	}
	if r := a.call(wire.SMB2_OPLOCK_BREAK, leaseAckBody(1, lR)); r.status() != wire.STATUS_UNSUCCESSFUL {
		t.Errorf("ack without a break: %v", r.status())
	}
}

// TestLeaseBrokenByOtherProtocol: an access of another protocol through
// the export's lock manager (an NFSv4 client writing) breaks an SMB lease
// (the grant SMB holds there, locking.GrantLocal): the SMB client gets a
// lease break to none, and once it acknowledges, the access is allowed;
// an NFSv4 share reservation for write then keeps the next SMB open from
// caching writes.
func TestLeaseBrokenByOtherProtocol(t *testing.T) {
	ts := startServer(t)
	a := ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "x", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV2(1, lR|lH|lW, 0)}
	h, _ := a.open(q)
	if binary.LittleEndian.Uint32(h.lease[16:]) != lR|lH|lW {
		t.Fatalf("lease %x", h.lease)
	}
	exp := ts.tab.Lookup("/export")
	node, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, exp.Root(), "x")
	if err != nil {
		t.Fatal(err)
	}
	nfs := locking.Owner{Proto: locking.ProtoNFS4, Client: "nfs-client", Key: "open-owner"}
	if err := exp.Locks.Access(context.Background(), node.ID, nfs, true); !errors.Is(err, locking.ErrBreaking) {
		t.Fatalf("NFS write access: %v, want ErrBreaking", err)
	}
	n := a.notification()
	if cur, next := binary.LittleEndian.Uint32(n.body[24:]), binary.LittleEndian.Uint32(n.body[28:]); cur != lR|lH|lW || next != 0 {
		t.Fatalf("break %#x -> %#x, want RWH -> none", cur, next)
	}
	if r := a.call(wire.SMB2_OPLOCK_BREAK, leaseAckBody(1, 0)); r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("ack: %v", r.status())
	}
	// The grant is downgraded by the goroutine the acknowledgment wakes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := exp.Locks.Access(context.Background(), node.ID, nfs, true)
		if err == nil {
			break
		}
		if !errors.Is(err, locking.ErrBreaking) || time.Now().After(deadline) {
			t.Fatalf("NFS write access after the ack: %v", err)
		}
		runtime.Gosched()
	}
	// An NFSv4 OPEN for write: another SMB key gets no write caching.
	if err := exp.Locks.Share(context.Background(), node.ID, locking.ShareRequest{Owner: nfs, Access: locking.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	q.lease = leaseV2(2, lR|lH|lW, 0)
	if h2, _ := a.open(q); h2.st != wire.STATUS_SUCCESS || binary.LittleEndian.Uint32(h2.lease[16:])&lW != 0 {
		t.Fatalf("lease beside an NFS writer: %v %x", h2.st, h2.lease)
	}
}

// withContext adds one create context (MS-SMB2 §2.2.13.2) to a CREATE
// body without contexts.
func withContext(body []byte, name string, data []byte) []byte {
	nameLen := int(binary.LittleEndian.Uint16(body[46:]))
	off := (120 + nameLen + 7) &^ 7
	b := append([]byte{}, body[:56+nameLen]...)
	for 64+len(b) < off {
		b = append(b, 0)
	}
	ctx := Lay(uint32(0), uint16(16), uint16(4), uint16(0), uint16(24), uint32(len(data)), []byte(name), uint32(0), data)
	binary.LittleEndian.PutUint32(b[48:], uint32(off))
	binary.LittleEndian.PutUint32(b[52:], uint32(len(ctx)))
	return append(b, ctx...)
}

// TestDurableReconnect: an open with a batch oplock and DHnQ is durable
// (MS-SMB2 §3.3.5.9.6: DHnQ in the reply); without a batch oplock it is
// not. After its connection drops it is kept (§3.3.7.1) and a DHnC from a
// new connection of the same user takes it back with the same persistent
// FileId and its oplock (§3.3.5.9.7); a second DHnC finds nothing
// (STATUS_OBJECT_NAME_NOT_FOUND). A conflicting open purges a
// disconnected durable open.
func TestDurableReconnect(t *testing.T) {
	ts := startServer(t)
	a := ts.connect(wire.SMB2_DIALECT_311)
	q := createReq{name: "d", access: oplockRW, share: 0, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_BATCH}
	r, _ := a.exchange(wire.SMB2_CREATE, withContext(q.body(), "DHnQ", make([]byte, 16)))
	h := parseCreated(r)
	if h.st != wire.STATUS_SUCCESS || h.level != wire.SMB2_OPLOCK_LEVEL_BATCH || !hasContext(r, "DHnQ") {
		t.Fatalf("durable open: %v level %#x", h.st, h.level)
	}
	noBatch := q
	noBatch.name, noBatch.level = "nd", wire.SMB2_OPLOCK_LEVEL_II
	if r2, _ := a.exchange(wire.SMB2_CREATE, withContext(noBatch.body(), "DHnQ", make([]byte, 16))); hasContext(r2, "DHnQ") {
		t.Fatal("durable without a batch oplock")
	}
	a.nc.Close()

	b := ts.connect(wire.SMB2_DIALECT_311)
	rc := withContext(createReq{name: "d"}.body(), "DHnC", fid(h.fid))
	var h2 created
	for i := 0; ; i++ {
		// The server notices the dropped connection in its own time.
		r, _ := b.exchange(wire.SMB2_CREATE, rc)
		if h2 = parseCreated(r); h2.st == wire.STATUS_SUCCESS || i == 1000 {
			break
		}
		runtime.Gosched()
	}
	if h2.st != wire.STATUS_SUCCESS || h2.fid.Persistent != h.fid.Persistent || h2.level != wire.SMB2_OPLOCK_LEVEL_BATCH {
		t.Fatalf("reconnect: %v %+v level %#x", h2.st, h2.fid, h2.level)
	}
	if st := b.write(h2.fid, 0, []byte("back")); st != wire.STATUS_SUCCESS {
		t.Fatalf("write on the reconnected open: %v", st)
	}
	if r, _ := b.exchange(wire.SMB2_CREATE, rc); r.status() != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Fatalf("second reconnect: %v", r.status())
	}
	b.nc.Close()

	// Disconnected again; a conflicting open (share none held) purges it.
	c := ts.connect(wire.SMB2_DIALECT_311)
	other := createReq{name: "d", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN}
	var h3 created
	for i := 0; ; i++ {
		if h3, _ = c.open(other); h3.st == wire.STATUS_SUCCESS || i == 1000 {
			break
		}
		runtime.Gosched()
	}
	if h3.st != wire.STATUS_SUCCESS {
		t.Fatalf("open beside the disconnected durable open: %v", h3.st)
	}
	rc = withContext(createReq{name: "d"}.body(), "DHnC", fid(h2.fid))
	if r, _ := c.exchange(wire.SMB2_CREATE, rc); r.status() != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Fatalf("reconnect after the purge: %v", r.status())
	}
}

func hasContext(r reply, name string) bool {
	if r.status() != wire.STATUS_SUCCESS {
		return false
	}
	off := binary.LittleEndian.Uint32(r.body[80:])
	if off == 0 {
		return false
	}
	ctxs, err := wire.ParseCreateContexts(r.raw[off:off+binary.LittleEndian.Uint32(r.body[84:])], nil)
	if err != nil {
		return false
	}
	for _, c := range ctxs {
		if string(c.Name) == name {
			return true
		}
	}
	return false
}

// TestLeaseReadBreak: a WRITE breaks the other keys' R leases to none
// without acknowledgment, not the writer's own (smbtorture
// smb2.lease.nobreakself), and so does a byte-range LOCK
// (smb2.lease.lock1; MS-FSA §2.1.5.7 checks for an oplock break on
// byte-range locks).
func TestLeaseReadBreak(t *testing.T) {
	for _, c := range []struct {
		name string
		cmd  wire.Command
		body func(wire.FileID) []byte
	}{
		{"write", wire.SMB2_WRITE, func(f wire.FileID) []byte { return writeBody(f, 0, []byte("x")) }},
		{"lock", wire.SMB2_LOCK, func(f wire.FileID) []byte {
			return lockBody(f, [3]uint64{0, 1, wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK | wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := startServer(t)
			a := ts.connect(wire.SMB2_DIALECT_210)
			q := createReq{name: "f", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF, level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV1(1, lR)}
			h1, _ := a.open(q)
			q.lease = leaseV1(2, lR)
			h2, _ := a.open(q)
			if binary.LittleEndian.Uint32(h1.lease[16:]) != lR || binary.LittleEndian.Uint32(h2.lease[16:]) != lR {
				t.Fatalf("leases %x %x", h1.lease, h2.lease)
			}
			r, notes := a.exchange(c.cmd, c.body(h1.fid))
			if r.status() != wire.STATUS_SUCCESS || len(notes) != 1 {
				t.Fatalf("%s: %v, %d notifications", c.name, r.status(), len(notes))
			}
			n := notes[0].body
			if n[8] != 2 || binary.LittleEndian.Uint32(n[4:]) != 0 || binary.LittleEndian.Uint32(n[28:]) != 0 || binary.LittleEndian.Uint16(n[2:]) != 0 {
				t.Fatalf("notification %x: want key 2, no ACK_REQUIRED, R -> none, epoch 0 (V1)", n)
			}
		})
	}
}

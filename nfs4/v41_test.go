package nfs4

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// TestCurrentStateidCleared: an operation that sets the current
// filehandle without returning a stateid (PUTFH, PUTROOTFH, LOOKUP,
// LOOKUPP, …) clears the current stateid, so a CLOSE of the special
// current stateid after it is NFS4ERR_BAD_STATEID; SAVEFH and RESTOREFH
// save and restore it with the filehandle; an operation that neither
// sets the filehandle nor returns a stateid (GETATTR, GETFH) leaves it
// (RFC 8881 §16.2.3.1.2). RFC 8881 makes it the all-zeros stateid, Linux
// knfsd clears it (clear_current_stateid); CLOSE refuses both with
// NFS4ERR_BAD_STATEID.
func TestCurrentStateidCleared(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	sid, cid := c.newSession("cur")
	root := c.exportRoot41(sid)
	seq := uint32(1)
	next := func() wire.NfsArgop4 { seq++; return sequence(sid, 0, seq, false) }
	open := open41(cid, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH)
	current := wire.Stateid4{Seqid: 1}
	closeCur := wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{OpenStateid: current}}
	r := c.compound(next(), putfh(root), open, getfh()).mustOK(t)
	fh := r.Res[3].Getfh.Resok4.Object
	for _, tc := range []struct {
		name  string
		after []wire.NfsArgop4 // between OPEN and CLOSE
		want  wire.Nfsstat4
	}{
		{"nothing", nil, wire.NFS4_OK},
		{"GETATTR and GETFH", []wire.NfsArgop4{getattr(wire.FATTR4_SIZE), getfh()}, wire.NFS4_OK},
		{"PUTFH", []wire.NfsArgop4{putfh(fh)}, wire.NFS4ERR_BAD_STATEID},
		{"PUTROOTFH, LOOKUP", []wire.NfsArgop4{putrootfh(), lookup("export"), lookup("f")}, wire.NFS4ERR_BAD_STATEID},
		{"PUTPUBFH", []wire.NfsArgop4{{Argop: wire.OP_PUTPUBFH}, putfh(fh)}, wire.NFS4ERR_BAD_STATEID},
		{"SAVEFH, PUTFH, RESTOREFH", []wire.NfsArgop4{savefh(), putfh(root), restorefh()}, wire.NFS4_OK},
	} {
		ops := append([]wire.NfsArgop4{next(), putfh(root), open}, tc.after...)
		r := c.compound(append(ops, closeCur)...)
		if r.Status != tc.want || len(r.Res) != len(ops)+1 {
			t.Errorf("OPEN, %s, CLOSE(current): %v after %d results, want %v from CLOSE", tc.name, r.Status, len(r.Res), tc.want)
		}
		if r.Status != wire.NFS4_OK {
			// The open is still there: close it by its stateid.
			osid := r.Res[2].Open.Resok4.Stateid
			c.compound(next(), putfh(fh), wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{OpenStateid: osid}}).mustOK(t)
		}
	}
	// No operation leaves a directory as the current filehandle with a
	// stateid, so LOOKUP, LOOKUPP and CREATE cannot be seen clearing it
	// on their own: the op table says they do.
	for _, op := range []wire.NfsOpnum4{wire.OP_PUTFH, wire.OP_PUTROOTFH, wire.OP_PUTPUBFH, wire.OP_LOOKUP,
		wire.OP_LOOKUPP, wire.OP_CREATE, wire.OP_SECINFO, wire.OP_SECINFO_NO_NAME, wire.OP_OPENATTR} {
		if !opTable[op].newFH {
			t.Errorf("%v does not clear the current stateid", op)
		}
	}
	for _, op := range []wire.NfsOpnum4{wire.OP_OPEN, wire.OP_SAVEFH, wire.OP_RESTOREFH, wire.OP_GETFH, wire.OP_LOCK, wire.OP_READ} {
		if opTable[op].newFH {
			t.Errorf("%v clears the current stateid", op)
		}
	}
	// A filehandle saved before the OPEN has no stateid: RESTOREFH
	// brings that back.
	r = c.compound(next(), putfh(root), savefh(), open, restorefh(), lookup("f"), closeCur)
	if r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("SAVEFH, OPEN, RESTOREFH, LOOKUP, CLOSE(current): %v, want NFS4ERR_BAD_STATEID", r.Status)
	}
}

// TestCreateSessionArgs: CREATE_SESSION with a fore channel that cannot
// carry a COMPOUND of SEQUENCE alone is NFS4ERR_TOOSMALL (RFC 8881
// §18.36.3: ca_maxrequestsize and ca_maxresponsesize count the RPC
// headers; a ca_maxresponsesize "such that a replier on a channel could
// never send a response" is NFS4ERR_TOOSMALL, and
// ca_maxresponsesize_cached is "Like ca_maxresponsesize"); csa_flags
// with bits RFC 8881 does not define is NFS4ERR_INVAL (Linux knfsd:
// SESSION4_FLAG_MASK_A); none of these uses up the sequence id.
func TestCreateSessionArgs(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	x := c.compound(exchangeID("cs", 1, 0)).mustOK(t).Res[0].ExchangeId.Resok4
	for _, tc := range []struct {
		name string
		set  func(a *wire.CREATE_SESSION4args)
		want wire.Nfsstat4
	}{
		{"maxrequestsize below a SEQUENCE", func(a *wire.CREATE_SESSION4args) { a.ForeChanAttrs.Maxrequestsize = minSeqRequest - 1 }, wire.NFS4ERR_TOOSMALL},
		{"maxresponsesize below a SEQUENCE", func(a *wire.CREATE_SESSION4args) { a.ForeChanAttrs.Maxresponsesize = minSeqReply - 1 }, wire.NFS4ERR_TOOSMALL},
		{"maxresponsesize_cached below a SEQUENCE", func(a *wire.CREATE_SESSION4args) { a.ForeChanAttrs.MaxresponsesizeCached = minSeqReply - 1 }, wire.NFS4ERR_TOOSMALL},
		{"maxresponsesize 0", func(a *wire.CREATE_SESSION4args) { a.ForeChanAttrs.Maxresponsesize = 0 }, wire.NFS4ERR_TOOSMALL},
		{"maxoperations 1", func(a *wire.CREATE_SESSION4args) { a.ForeChanAttrs.Maxoperations = 1 }, wire.NFS4ERR_TOOSMALL},
		{"undefined flag 0x8", func(a *wire.CREATE_SESSION4args) { a.Flags = 0x8 }, wire.NFS4ERR_INVAL},
		{"undefined flag 0x80000000", func(a *wire.CREATE_SESSION4args) { a.Flags = wire.CREATE_SESSION4_FLAG_PERSIST | 0x80000000 }, wire.NFS4ERR_INVAL},
	} {
		cs := createSession(x.Clientid, x.Sequenceid)
		tc.set(&cs.CreateSession)
		if r := c.compound(cs); r.Status != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, r.Status, tc.want)
		}
	}
	// The smallest fore channel is accepted, with the sequence id the
	// refused ones left unused.
	cs := createSession(x.Clientid, x.Sequenceid)
	cs.CreateSession.ForeChanAttrs.Maxrequestsize = minSeqRequest
	cs.CreateSession.ForeChanAttrs.Maxresponsesize = minSeqReply
	cs.CreateSession.ForeChanAttrs.MaxresponsesizeCached = minSeqReply
	r := c.compound(cs).mustOK(t)
	if got := r.Res[0].CreateSession.Resok4.ForeChanAttrs; got.Maxrequestsize != minSeqRequest || got.Maxresponsesize != minSeqReply {
		t.Errorf("smallest fore channel negotiated to %+v", got)
	}
}

// TestCreateSessionClientRecords follows RFC 8881 §18.36.4: after an
// EXCHANGE_ID with a new verifier (a client restart, case 5 of
// §18.35.4) and the CREATE_SESSION that confirms it, the old client ID
// is gone: NFS4ERR_STALE_CLIENTID (phase 1). The principal is checked
// only when CREATE_SESSION confirms a record ("Unsuccessful
// Confirmation", phase 3: NFS4ERR_CLID_INUSE); a later session of a
// confirmed client ID may be made by another principal, as Linux knfsd
// allows under SP4_NONE (it checks the principal of a confirmed record
// only for SP4_MACH_CRED).
func TestCreateSessionClientRecords(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	other := ts.dial(1000, 1000)
	other.minor = 1
	x1 := c.compound(exchangeID("rec", 1, 0)).mustOK(t).Res[0].ExchangeId.Resok4
	if r := other.compound(createSession(x1.Clientid, x1.Sequenceid)); r.Status != wire.NFS4ERR_CLID_INUSE {
		t.Errorf("confirmation by another principal: %v, want NFS4ERR_CLID_INUSE", r.Status)
	}
	c.compound(createSession(x1.Clientid, x1.Sequenceid)).mustOK(t)
	if r := other.compound(createSession(x1.Clientid, x1.Sequenceid+1)); r.Status != wire.NFS4_OK {
		t.Errorf("a second session of a confirmed client by another principal: %v, want NFS4_OK", r.Status)
	}
	x2 := c.compound(exchangeID("rec", 2, 0)).mustOK(t).Res[0].ExchangeId.Resok4
	if x2.Clientid == x1.Clientid {
		t.Fatal("a new verifier kept the client ID")
	}
	// Until the new record is confirmed the old one stays in use.
	c.compound(createSession(x1.Clientid, x1.Sequenceid+2)).mustOK(t)
	c.compound(createSession(x2.Clientid, x2.Sequenceid)).mustOK(t)
	for _, seq := range []wire.Sequenceid4{x1.Sequenceid + 2, x1.Sequenceid + 3} {
		if r := c.compound(createSession(x1.Clientid, seq)); r.Status != wire.NFS4ERR_STALE_CLIENTID {
			t.Errorf("CREATE_SESSION (sequence %d) of the replaced client ID: %v, want NFS4ERR_STALE_CLIENTID", seq, r.Status)
		}
	}
}

// TestExchangeIDUndefinedFlags: eia_flags with a bit RFC 8881 §18.35
// does not define for the client is NFS4ERR_INVAL.
func TestExchangeIDUndefinedFlags(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	for _, f := range []uint32{0x8, 0x200, 0x00100000, wire.EXCHGID4_FLAG_CONFIRMED_R} {
		if r := c.compound(exchangeID("flags", 1, f)); r.Status != wire.NFS4ERR_INVAL {
			t.Errorf("eia_flags %#x: %v, want NFS4ERR_INVAL", f, r.Status)
		}
	}
	c.compound(exchangeID("flags", 1, wire.EXCHGID4_FLAG_SUPP_MOVED_REFER|wire.EXCHGID4_FLAG_USE_NON_PNFS)).mustOK(t)
}

// TestSequenceReqTooBig: a request larger than the session's
// ca_maxrequestsize is NFS4ERR_REQ_TOO_BIG from SEQUENCE, before any
// other operation runs and without using the slot (RFC 8881 §2.10.6.4,
// §18.36.3; Linux knfsd nfsd4_sequence: nfsd4_request_too_big before
// the slot).
func TestSequenceReqTooBig(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	x := c.compound(exchangeID("big", 1, 0)).mustOK(t).Res[0].ExchangeId.Resok4
	cs := createSession(x.Clientid, x.Sequenceid)
	cs.CreateSession.ForeChanAttrs.Maxrequestsize = 1024
	sid := c.compound(cs).mustOK(t).Res[0].CreateSession.Resok4.Sessionid
	c.compound(sequence(sid, 1, 1, false), wire.NfsArgop4{Argop: wire.OP_RECLAIM_COMPLETE}).mustOK(t)
	root := c.exportRoot41(sid)
	big := mkdir(string(bytes.Repeat([]byte("d"), 200)))
	ops := []wire.NfsArgop4{sequence(sid, 0, 2, false), putfh(root), mkdir("small")}
	for range 5 {
		ops = append(ops, putfh(root), big)
	}
	if n := (&compoundArgs{ops: ops}).SizeXDR(); n <= 1024 {
		t.Fatalf("the request is only %d bytes", n)
	}
	r := c.compound(ops...)
	if r.Status != wire.NFS4ERR_REQ_TOO_BIG || len(r.Res) != 1 {
		t.Errorf("request over ca_maxrequestsize: %v with %d results, want NFS4ERR_REQ_TOO_BIG from SEQUENCE", r.Status, len(r.Res))
	}
	if _, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.fs.Root(), "small"); err == nil {
		t.Errorf("an operation of the refused compound ran")
	}
	// The slot was not used: the same sequence id is a new request.
	c.compound(sequence(sid, 0, 2, false), putfh(root), mkdir("small")).mustOK(t)
}

// graceClock is a fake clock for the grace period tests: Now is moved by
// the test, and AfterFunc timers never fire (no lease sweep runs).
type graceClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *graceClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *graceClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *graceClock) AfterFunc(time.Duration, func()) interface{ Stop() bool } { return graceTimer{} }

type graceTimer struct{}

func (graceTimer) Stop() bool { return true }

// TestGrace41 restarts the server under a 4.1 client that holds an open
// (a new state and lock manager over the same store, the grace period
// then running on a fake clock). RFC 8881 §18.51.3 and §8.4.2: in the
// grace period only reclaims are granted, other OPENs and LOCKs are
// NFS4ERR_GRACE; a client must send RECLAIM_COMPLETE before its first
// OPEN or LOCK that is not a reclaim, which is NFS4ERR_GRACE until then,
// also after the grace period (as Linux knfsd nfsd4_open answers); after
// the grace period, or its own RECLAIM_COMPLETE, a reclaim is
// NFS4ERR_NO_GRACE.
func TestGrace41(t *testing.T) {
	const grace, lease = time.Minute, 10 * time.Minute
	ctx := context.Background()
	clock := &graceClock{now: time.Unix(1e9, 0)}
	boot := restartable(t, clock, lease)
	ts1, _ := boot()
	a1 := ts1.dial(0, 0)
	a1.minor = 1
	sid1, cid1 := a1.newSession("client-a")
	root := a1.exportRoot41(sid1)
	r := a1.compound(sequence(sid1, 0, 2, false), putfh(root), open41(cid1, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH), getfh()).mustOK(t)
	fh := r.Res[3].Getfh.Resok4.Object
	ts1.rpc.Close()

	ts2, mgr := boot()
	if !mgr.InGrace(ctx) {
		t.Fatal("no grace period after a restart with an open held")
	}
	// s runs ops on a session, each compound on the next sequence id.
	type sess struct {
		c   *client
		sid wire.Sessionid4
		cid wire.Clientid4
		seq uint32
	}
	newSess := func(owner string) *sess {
		c := ts2.dial(0, 0)
		c.minor = 1
		sid, cid, _ := c.newClient41(owner)
		return &sess{c: c, sid: sid, cid: cid}
	}
	do := func(s *sess, ops ...wire.NfsArgop4) wire.Nfsstat4 {
		s.seq++
		return s.c.compound(append([]wire.NfsArgop4{sequence(s.sid, 0, s.seq, false)}, ops...)...).Status
	}
	rc := wire.NfsArgop4{Argop: wire.OP_RECLAIM_COMPLETE}
	openNew := func(s *sess, name string) []wire.NfsArgop4 {
		return []wire.NfsArgop4{putfh(root), open41(s.cid, name, true, wire.OPEN4_SHARE_ACCESS_BOTH)}
	}
	reclaim := func(s *sess) []wire.NfsArgop4 {
		return []wire.NfsArgop4{putfh(fh), {Argop: wire.OP_OPEN, Open: wire.OPEN4args{ShareAccess: wire.OPEN4_SHARE_ACCESS_BOTH,
			Owner: wire.StateOwner4{Owner: []byte("bench")}, Claim: wire.OpenClaim4{Claim: wire.CLAIM_PREVIOUS}}}}
	}
	check := func(what string, got, want wire.Nfsstat4) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}

	// A client the server never knew, in the grace period.
	z := newSess("client-z")
	check("z: OPEN before RECLAIM_COMPLETE, in grace", do(z, openNew(z, "z1")...), wire.NFS4ERR_GRACE)
	check("z: reclaim of state it never had", do(z, reclaim(z)...), wire.NFS4ERR_NO_GRACE)
	check("z: RECLAIM_COMPLETE", do(z, rc), wire.NFS4_OK)
	check("z: OPEN after RECLAIM_COMPLETE, in grace", do(z, openNew(z, "z1")...), wire.NFS4ERR_GRACE)

	// The client of the last boot reclaims its open; its other OPENs
	// and LOCKs wait for its RECLAIM_COMPLETE.
	a := newSess("client-a")
	a.seq++
	r = a.c.compound(append([]wire.NfsArgop4{sequence(a.sid, 0, a.seq, false)}, reclaim(a)...)...)
	if r.Status != wire.NFS4_OK {
		t.Fatalf("a: reclaim of its open: %v", r.Status)
	}
	osid := r.Res[2].Open.Resok4.Stateid
	check("a: OPEN before RECLAIM_COMPLETE, in grace", do(a, openNew(a, "a1")...), wire.NFS4ERR_GRACE)
	lk := lockNew(&v40{id: a.cid}, wire.WRITE_LT, 0, 10, osid, "lo")
	check("a: LOCK (not a reclaim) before RECLAIM_COMPLETE", do(a, putfh(fh), lk), wire.NFS4ERR_GRACE)

	// The grace period runs out.
	clock.advance(2 * grace)
	if mgr.InGrace(ctx) {
		t.Fatal("grace period still on after its time")
	}
	check("z: OPEN after the grace period", do(z, openNew(z, "z1")...), wire.NFS4_OK)
	check("a: reclaim after the grace period", do(a, reclaim(a)...), wire.NFS4ERR_NO_GRACE)
	check("a: OPEN before RECLAIM_COMPLETE, after the grace period", do(a, openNew(a, "a1")...), wire.NFS4ERR_GRACE)
	check("a: LOCK before RECLAIM_COMPLETE, after the grace period", do(a, putfh(fh), lk), wire.NFS4ERR_GRACE)
	check("a: RECLAIM_COMPLETE", do(a, rc), wire.NFS4_OK)
	check("a: OPEN after RECLAIM_COMPLETE", do(a, openNew(a, "a1")...), wire.NFS4_OK)
	check("a: LOCK after RECLAIM_COMPLETE", do(a, putfh(fh), lk), wire.NFS4_OK)
	check("a: reclaim after RECLAIM_COMPLETE", do(a, reclaim(a)...), wire.NFS4ERR_NO_GRACE)
	check("a: RECLAIM_COMPLETE again", do(a, rc), wire.NFS4ERR_COMPLETE_ALREADY)

	// A client that comes after the grace period must send
	// RECLAIM_COMPLETE too.
	late := newSess("client-late")
	check("late: OPEN before RECLAIM_COMPLETE", do(late, openNew(late, "l1")...), wire.NFS4ERR_GRACE)
	check("late: RECLAIM_COMPLETE", do(late, rc), wire.NFS4_OK)
	check("late: OPEN after RECLAIM_COMPLETE", do(late, openNew(late, "l1")...), wire.NFS4_OK)
}

package nfs4

import (
	"bytes"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
)

func start41(t testing.TB) *testServer {
	return startServer(t, newFS(t), exportsLine, func(s *Server) { s.maxMinor = 1; s.NoCallbacks = true })
}

func TestExchangeIDCases(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	other := ts.dial(1000, 1000)
	other.minor = 1
	const upd = wire.EXCHGID4_FLAG_UPD_CONFIRMED_REC_A
	// Case 1: new owner, unconfirmed.
	r := c.compound(exchangeID("o", 1, 0)).mustOK(t)
	x1 := r.Res[0].ExchangeId.Resok4
	if x1.Flags&wire.EXCHGID4_FLAG_CONFIRMED_R != 0 || x1.Flags&wire.EXCHGID4_FLAG_USE_NON_PNFS == 0 {
		t.Errorf("new record flags %#x", x1.Flags)
	}
	if len(x1.ServerOwner.MajorID) == 0 || !bytes.Equal(x1.ServerScope, x1.ServerOwner.MajorID) {
		t.Errorf("server owner %q scope %q", x1.ServerOwner.MajorID, x1.ServerScope)
	}
	// Update of an unconfirmed record: NOENT.
	if r := c.compound(exchangeID("o", 1, upd)); r.Status != wire.NFS4ERR_NOENT {
		t.Errorf("update without a confirmed record: %v", r.Status)
	}
	// Case 4: the unconfirmed record is replaced (new clientid).
	x4 := c.compound(exchangeID("o", 1, 0)).mustOK(t).Res[0].ExchangeId.Resok4
	if x4.Clientid == x1.Clientid {
		t.Errorf("replaced unconfirmed record kept its clientid")
	}
	if r := c.compound(createSession(x1.Clientid, x1.Sequenceid)); r.Status != wire.NFS4ERR_STALE_CLIENTID {
		t.Errorf("CREATE_SESSION of the replaced record: %v", r.Status)
	}
	// CREATE_SESSION confirms; a wrong sequence is misordered; the same
	// one again is a replay with the same session.
	if r := c.compound(createSession(x4.Clientid, x4.Sequenceid+1)); r.Status != wire.NFS4ERR_SEQ_MISORDERED {
		t.Errorf("CREATE_SESSION misordered: %v", r.Status)
	}
	if r := other.compound(createSession(x4.Clientid, x4.Sequenceid)); r.Status != wire.NFS4ERR_CLID_INUSE {
		t.Errorf("CREATE_SESSION by another principal: %v", r.Status)
	}
	cs := c.compound(createSession(x4.Clientid, x4.Sequenceid)).mustOK(t).Res[0].CreateSession.Resok4
	again := c.compound(createSession(x4.Clientid, x4.Sequenceid)).mustOK(t).Res[0].CreateSession.Resok4
	if cs.Sessionid != again.Sessionid {
		t.Errorf("replayed CREATE_SESSION made another session")
	}
	// Case 2: the same owner, verifier and principal: confirmed.
	x2 := c.compound(exchangeID("o", 1, 0)).mustOK(t).Res[0].ExchangeId.Resok4
	if x2.Clientid != x4.Clientid || x2.Flags&wire.EXCHGID4_FLAG_CONFIRMED_R == 0 || x2.Sequenceid != x4.Sequenceid+1 {
		t.Errorf("existing confirmed record: %+v", x2)
	}
	// Case 6: update.
	if r := c.compound(exchangeID("o", 1, upd)); r.Status != wire.NFS4_OK {
		t.Errorf("update: %v", r.Status)
	}
	// Cases 8 and 9: update with another verifier, another principal.
	if r := c.compound(exchangeID("o", 2, upd)); r.Status != wire.NFS4ERR_NOT_SAME {
		t.Errorf("update with another verifier: %v", r.Status)
	}
	if r := other.compound(exchangeID("o", 1, upd)); r.Status != wire.NFS4ERR_PERM {
		t.Errorf("update by another principal: %v", r.Status)
	}
	// Case 5: the client restarted; the old record lives until the new
	// one's CREATE_SESSION, which destroys the old sessions.
	x5 := c.compound(exchangeID("o", 2, 0)).mustOK(t).Res[0].ExchangeId.Resok4
	if x5.Clientid == x4.Clientid || x5.Flags&wire.EXCHGID4_FLAG_CONFIRMED_R != 0 {
		t.Errorf("restart: %+v", x5)
	}
	c.compound(sequence(cs.Sessionid, 0, 1, false)).mustOK(t)
	c.compound(createSession(x5.Clientid, x5.Sequenceid)).mustOK(t)
	if r := c.compound(sequence(cs.Sessionid, 0, 2, false)); r.Status != wire.NFS4ERR_BADSESSION {
		t.Errorf("session of the old incarnation: %v", r.Status)
	}
	// State protection other than SP4_NONE, and flags only a server sets.
	mach := exchangeID("m", 1, 0)
	mach.ExchangeId.StateProtect.How = wire.SP4_MACH_CRED
	if r := c.compound(mach); r.Status != wire.NFS4ERR_NOTSUPP {
		t.Errorf("SP4_MACH_CRED: %v", r.Status)
	}
	if r := c.compound(exchangeID("m", 1, wire.EXCHGID4_FLAG_CONFIRMED_R)); r.Status != wire.NFS4ERR_INVAL {
		t.Errorf("CONFIRMED_R from a client: %v", r.Status)
	}
}

func TestDestroyClientIDAndReclaimComplete(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	sid, cid, _ := c.newClient41("o")
	rc := wire.NfsArgop4{Argop: wire.OP_RECLAIM_COMPLETE}
	c.compound(sequence(sid, 0, 1, false), rc).mustOK(t)
	if r := c.compound(sequence(sid, 0, 2, false), rc); r.Status != wire.NFS4ERR_COMPLETE_ALREADY {
		t.Errorf("second RECLAIM_COMPLETE: %v", r.Status)
	}
	dc := wire.NfsArgop4{Argop: wire.OP_DESTROY_CLIENTID, DestroyClientid: wire.DESTROY_CLIENTID4args{Clientid: cid}}
	if r := c.compound(dc); r.Status != wire.NFS4ERR_CLIENTID_BUSY {
		t.Errorf("DESTROY_CLIENTID with a session: %v", r.Status)
	}
	c.compound(wire.NfsArgop4{Argop: wire.OP_DESTROY_SESSION, DestroySession: wire.DESTROY_SESSION4args{Sessionid: sid}}).mustOK(t)
	c.compound(dc).mustOK(t)
	if r := c.compound(dc); r.Status != wire.NFS4ERR_STALE_CLIENTID {
		t.Errorf("DESTROY_CLIENTID twice: %v", r.Status)
	}
}

// In 4.1 OPEN needs no confirmation and seqids are ignored; the current
// stateid carries from OPEN to WRITE to CLOSE; TEST_STATEID and
// FREE_STATEID tell lock stateids apart.
func TestOpen41(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	sid, cid := c.newSession("o")
	root := c.exportRoot41(sid)
	seq := uint32(2)
	next := func() wire.NfsArgop4 { seq++; return sequence(sid, 0, seq-1, false) }
	open := wire.NfsArgop4{Argop: wire.OP_OPEN, Open: wire.OPEN4args{Seqid: 99, ShareAccess: wire.OPEN4_SHARE_ACCESS_BOTH,
		Owner:   wire.StateOwner4{Clientid: cid, Owner: []byte("oo")},
		Openhow: wire.Openflag4{Opentype: wire.OPEN4_CREATE, How: wire.Createhow4{Mode: wire.UNCHECKED4}},
		Claim:   wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: "f"}}}
	current := wire.Stateid4{Seqid: 1}
	r := c.compound(next(), putfh(root), open, writeSid(current, 0, []byte("data")), getfh()).mustOK(t)
	ok := r.Res[2].Open.Resok4
	if ok.Rflags&wire.OPEN4_RESULT_CONFIRM != 0 {
		t.Errorf("4.1 OPEN asks for OPEN_CONFIRM")
	}
	fh := r.Res[4].Getfh.Resok4.Object
	lk := lockNew(&v40{id: cid}, wire.WRITE_LT, 0, 10, ok.Stateid, "lo")
	r = c.compound(next(), putfh(fh), lk).mustOK(t)
	lsid := r.Res[2].Lock.Resok4.LockStateid
	test := wire.NfsArgop4{Argop: wire.OP_TEST_STATEID, TestStateid: wire.TEST_STATEID4args{
		Stateids: []wire.Stateid4{ok.Stateid, lsid, {Seqid: 1, Other: [12]byte{1, 2, 3}}}}}
	r = c.compound(next(), test).mustOK(t)
	if got := r.Res[1].TestStateid.Resok4.StatusCodes; len(got) != 3 || got[0] != wire.NFS4_OK || got[1] != wire.NFS4_OK || got[2] == wire.NFS4_OK {
		t.Errorf("TEST_STATEID = %v", got)
	}
	free := wire.NfsArgop4{Argop: wire.OP_FREE_STATEID, FreeStateid: wire.FREE_STATEID4args{Stateid: lsid}}
	if r := c.compound(next(), free); r.Status != wire.NFS4ERR_LOCKS_HELD {
		t.Errorf("FREE_STATEID of a lock stateid with locks: %v", r.Status)
	}
	unlock := wire.NfsArgop4{Argop: wire.OP_LOCKU, Locku: wire.LOCKU4args{Locktype: wire.WRITE_LT, LockStateid: lsid, Offset: 0, Length: 10}}
	r = c.compound(next(), putfh(fh), unlock).mustOK(t)
	free.FreeStateid.Stateid = r.Res[2].Locku.LockStateid
	c.compound(next(), free).mustOK(t)
	closeOp := wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{OpenStateid: ok.Stateid}}
	r = c.compound(next(), putfh(fh), closeOp).mustOK(t)
	if got := r.Res[2].Close.OpenStateid; !got.IsInvalid() {
		t.Errorf("4.1 CLOSE returned %v, want the invalid special stateid", got)
	}
	// 4.0-only operations are NOTSUPP in 4.1.
	if r := c.compound(next(), wire.NfsArgop4{Argop: wire.OP_RENEW}); r.Status != wire.NFS4ERR_NOTSUPP {
		t.Errorf("RENEW in 4.1: %v", r.Status)
	}
	// pNFS is not served.
	if r := c.compound(next(), putfh(fh), wire.NfsArgop4{Argop: wire.OP_LAYOUTGET}); r.Status != wire.NFS4ERR_NOTSUPP {
		t.Errorf("LAYOUTGET: %v", r.Status)
	}
	// SECINFO_NO_NAME consumes the current filehandle.
	r = c.compound(next(), putfh(fh), wire.NfsArgop4{Argop: wire.OP_SECINFO_NO_NAME}, getfh())
	if r.Status != wire.NFS4ERR_NOFILEHANDLE || len(r.Res[2].SecinfoNoName.Resok4) == 0 {
		t.Errorf("SECINFO_NO_NAME then GETFH: %v %+v", r.Status, r.Res)
	}
}

// exportRoot41 returns the handle of /export over a session.
func (c *client) exportRoot41(sid wire.Sessionid4) []byte {
	c.t.Helper()
	r := c.compound(sequence(sid, 0, 1, false), putrootfh(), lookup("export"), getfh()).mustOK(c.t)
	return r.last().Getfh.Resok4.Object
}

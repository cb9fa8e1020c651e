package nfs4

import (
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
)

// TestStaleStateid41 uses, after a restart, a stateid of the last boot in
// an NFSv4.1 session. RFC 8881 §15.1.16.5: NFS4ERR_STALE_STATEID "is moot
// in NFSv4.1" (the session detects the restart) and no 4.1 operation lists
// it (§15.2); knfsd answers NFS4ERR_BAD_STATEID (nfsd4_lookup_stateid), and
// the Linux client recovers from that by testing the stateid and opening
// again, while NFS4ERR_STALE_STATEID only makes it check its lease (which is
// fine) and send the same stateid again, forever. A 4.0 client still gets
// NFS4ERR_STALE_STATEID (TestRestartReclaim).
func TestStaleStateid41(t *testing.T) {
	bootMgr := restartable(t, nil, 0)
	boot := func() *testServer { ts, _ := bootMgr(); return ts }
	ts1 := boot()
	c := ts1.dial(0, 0)
	c.minor = 1
	sid, cid := c.newSession("o")
	open := wire.NfsArgop4{Argop: wire.OP_OPEN, Open: wire.OPEN4args{ShareAccess: wire.OPEN4_SHARE_ACCESS_BOTH,
		Owner:   wire.StateOwner4{Clientid: cid, Owner: []byte("oo")},
		Openhow: wire.Openflag4{Opentype: wire.OPEN4_CREATE, How: wire.Createhow4{Mode: wire.UNCHECKED4}},
		Claim:   wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: "f"}}}
	r := c.compound(sequence(sid, 0, 2, false), putfh(c.exportRoot41(sid)), open, getfh()).mustOK(t)
	old, fh := r.Res[2].Open.Resok4.Stateid, r.Res[3].Getfh.Resok4.Object
	ts1.rpc.Close()

	c2 := boot().dial(0, 0)
	c2.minor = 1
	sid2, _ := c2.newSession("o")
	seq := uint32(0)
	next := func() wire.NfsArgop4 { seq++; return sequence(sid2, 0, seq, false) }
	for _, op := range []struct {
		name string
		arg  wire.NfsArgop4
	}{
		{"READ", readSid(old, 0, 1)},
		{"WRITE", writeSid(old, 0, []byte("x"))},
		{"CLOSE", wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{OpenStateid: old}}},
		{"FREE_STATEID", wire.NfsArgop4{Argop: wire.OP_FREE_STATEID, FreeStateid: wire.FREE_STATEID4args{Stateid: old}}},
	} {
		if r := c2.compound(next(), putfh(fh), op.arg); r.Status != wire.NFS4ERR_BAD_STATEID {
			t.Errorf("%s with a stateid of the last boot: %v, want NFS4ERR_BAD_STATEID", op.name, r.Status)
		}
	}
	test := wire.NfsArgop4{Argop: wire.OP_TEST_STATEID, TestStateid: wire.TEST_STATEID4args{Stateids: []wire.Stateid4{old}}}
	r = c2.compound(next(), test).mustOK(t)
	if got := r.Res[1].TestStateid.Resok4.StatusCodes; len(got) != 1 || got[0] != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("TEST_STATEID of a stateid of the last boot: %v, want [NFS4ERR_BAD_STATEID]", got)
	}
}

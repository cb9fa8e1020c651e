package nfs4

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/state"
)

// rawReply keeps a COMPOUND reply's bytes.
type rawReply struct{ b []byte }

func (r *rawReply) UnmarshalXDR(d *xdr.Decoder) {
	r.b = append([]byte(nil), d.Rest()...)
	d.Skip(d.Remaining())
}

func (c *client) rawCompound(ops ...wire.NfsArgop4) []byte {
	c.t.Helper()
	var res rawReply
	if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, &compoundArgs{tag: "raw", minor: c.minor, ops: ops}, &res); err != nil {
		c.t.Fatalf("COMPOUND: %v", err)
	}
	return res.b
}

func sequence(id wire.Sessionid4, slot, seq uint32, cache bool) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_SEQUENCE, Sequence: wire.SEQUENCE4args{
		Sessionid: id, Sequenceid: wire.Sequenceid4(seq), Slotid: wire.Slotid4(slot), Cachethis: cache}}
}

// startSessions starts a server serving minor version 1 with one
// session of a client made by EXCHANGE_ID and CREATE_SESSION.
func startSessions(t *testing.T) (*testServer, *state.Session) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.maxMinor = 1 })
	c := ts.dial(0, 0)
	c.minor = 1
	id, _ := c.newSession("session-test")
	ss := ts.srv.State.Session(state.SessionID(id))
	if ss == nil {
		t.Fatal("no session")
	}
	return ts, ss
}

func exchangeID(owner string, verf byte, flags uint32) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_EXCHANGE_ID, ExchangeId: wire.EXCHANGE_ID4args{
		Clientowner: wire.ClientOwner4{Verifier: wire.Verifier4{verf}, Ownerid: []byte(owner)}, Flags: flags}}
}

func createSession(id wire.Clientid4, seq wire.Sequenceid4) wire.NfsArgop4 {
	attrs := wire.ChannelAttrs4{Maxrequestsize: 1 << 20, Maxresponsesize: 1 << 20,
		MaxresponsesizeCached: 4096, Maxoperations: 16, Maxrequests: 4}
	return wire.NfsArgop4{Argop: wire.OP_CREATE_SESSION, CreateSession: wire.CREATE_SESSION4args{
		Clientid: id, Sequence: seq, ForeChanAttrs: attrs, BackChanAttrs: attrs, CbProgram: 0x40000000}}
}

// newSession makes a 4.1 client named owner and a session of it, and
// sends RECLAIM_COMPLETE, as a client must before it opens or locks
// (RFC 8881 §18.51.3), on the session's last slot (the tests use the
// others from sequence id 1).
func (c *client) newSession(owner string) (wire.Sessionid4, wire.Clientid4) {
	c.t.Helper()
	sid, cid, slots := c.newClient41(owner)
	c.compound(sequence(sid, slots-1, 1, false), wire.NfsArgop4{Argop: wire.OP_RECLAIM_COMPLETE}).mustOK(c.t)
	return sid, cid
}

// newClient41 makes a 4.1 client named owner and a session of it, with
// no RECLAIM_COMPLETE; it returns the session's slot count too.
func (c *client) newClient41(owner string) (wire.Sessionid4, wire.Clientid4, uint32) {
	c.t.Helper()
	r := c.compound(exchangeID(owner, 1, 0)).mustOK(c.t)
	x := r.Res[0].ExchangeId.Resok4
	r = c.compound(createSession(x.Clientid, x.Sequenceid)).mustOK(c.t)
	ok := r.Res[0].CreateSession.Resok4
	return ok.Sessionid, x.Clientid, uint32(ok.ForeChanAttrs.Maxrequests)
}

func TestSessionRules(t *testing.T) {
	ts, ss := startSessions(t)
	c := ts.dial(0, 0)
	c.minor = 1
	for _, tc := range []struct {
		name string
		ops  []wire.NfsArgop4
		want wire.Nfsstat4
		n    int
	}{
		{"no SEQUENCE", []wire.NfsArgop4{putrootfh()}, wire.NFS4ERR_OP_NOT_IN_SESSION, 1},
		{"SEQUENCE second", []wire.NfsArgop4{sequence(idOf(ss), 0, 1, false), sequence(idOf(ss), 1, 1, false)}, wire.NFS4ERR_SEQUENCE_POS, 2},
		{"DESTROY_SESSION not alone", []wire.NfsArgop4{{Argop: wire.OP_DESTROY_SESSION}, putrootfh()}, wire.NFS4ERR_NOT_ONLY_OP, 1},
		{"unknown session", []wire.NfsArgop4{sequence(wire.Sessionid4{1}, 0, 1, false)}, wire.NFS4ERR_BADSESSION, 1},
		{"bad slot", []wire.NfsArgop4{sequence(idOf(ss), 4, 1, false)}, wire.NFS4ERR_BADSLOT, 1},
		{"misordered", []wire.NfsArgop4{sequence(idOf(ss), 2, 5, false)}, wire.NFS4ERR_SEQ_MISORDERED, 1},
		{"4.0 operation", []wire.NfsArgop4{sequence(idOf(ss), 3, 2, false), {Argop: wire.OP_RENEW}}, wire.NFS4ERR_NOTSUPP, 2},
	} {
		r := c.compound(tc.ops...)
		if r.Status != tc.want || len(r.Res) != tc.n {
			t.Errorf("%s: %v with %d results, want %v with %d", tc.name, r.Status, len(r.Res), tc.want, tc.n)
		}
	}
	// A slot whose request is still running: NFS4ERR_DELAY.
	if _, err := ss.Begin(1, 1); err != nil {
		t.Fatal(err)
	}
	if r := c.compound(sequence(idOf(ss), 1, 1, false)); r.Status != wire.NFS4ERR_DELAY {
		t.Errorf("slot in use: %v", r.Status)
	}
	ss.End(1, nil, false)
}

// TestSessionReplay retransmits a non-idempotent compound (a CREATE) on
// the same and on another connection: the reply is the first one, bit for
// bit, and the CREATE ran once.
func TestSessionReplay(t *testing.T) {
	ts, ss := startSessions(t)
	c := ts.dial(1000, 1000)
	ex := c.exportFH()
	c.minor = 1
	c2 := ts.dial(1000, 1000)
	c2.minor = 1

	ops := []wire.NfsArgop4{sequence(idOf(ss), 0, 1, true), putfh(ex), mkdir("once"), getfh(), getattr(wire.FATTR4_FILEID, wire.FATTR4_CHANGE)}
	first := c.rawCompound(ops...)
	again := c.rawCompound(ops...)
	other := c2.rawCompound(ops...)
	if !bytes.Equal(first, again) || !bytes.Equal(first, other) {
		t.Fatalf("replays differ:\n%x\n%x\n%x", first, again, other)
	}
	var res compoundRes
	res.UnmarshalXDR(xdr.NewDecoder(first))
	res.mustOK(t)
	// The next sequence id runs anew: the name now exists.
	r := c.compound(sequence(idOf(ss), 0, 2, false), putfh(ex), mkdir("once"))
	if r.Status != wire.NFS4ERR_EXIST {
		t.Fatalf("CREATE again with a new sequence id: %v", r.Status)
	}
	// Not cached: its retransmission is NFS4ERR_RETRY_UNCACHED_REP.
	if r := c.compound(sequence(idOf(ss), 0, 2, false), putfh(ex), mkdir("once")); r.Status != wire.NFS4ERR_RETRY_UNCACHED_REP || len(r.Res) != 1 {
		t.Fatalf("retransmission of an uncached reply: %v, %d results", r.Status, len(r.Res))
	}
	// The session ends with DESTROY_SESSION (on a bound connection).
	if r := c.compound(wire.NfsArgop4{Argop: wire.OP_DESTROY_SESSION, DestroySession: wire.DESTROY_SESSION4args{Sessionid: idOf(ss)}}); r.Status != wire.NFS4_OK {
		t.Fatalf("DESTROY_SESSION: %v", r.Status)
	}
	if r := c.compound(sequence(idOf(ss), 0, 3, false)); r.Status != wire.NFS4ERR_BADSESSION {
		t.Fatalf("SEQUENCE on a destroyed session: %v", r.Status)
	}
}

// idOf is the sessionid4 of ss.
func idOf(ss *state.Session) wire.Sessionid4 { return wire.Sessionid4(ss.ID()) }

package nfs4

import (
	"context"
	"testing"
	"time"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/state"
)

// cbClient answers the server's callbacks on its own connection: CB_NULL,
// and CB_COMPOUND with CB_SEQUENCE first. It reports each call.
type cbClient struct {
	calls chan wire.CB_SEQUENCE4args // the CB_SEQUENCE of each CB_COMPOUND
	nulls chan struct{}
	fail  bool // answer PROG_UNAVAIL
}

func (h *cbClient) ServeRPC(_ context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	if h.fail || c.Prog != 0x40000000 || c.Vers != 1 {
		w.Fail(rpc.PROG_UNAVAIL)
		return
	}
	switch c.Proc {
	case wire.CB_NULL:
		h.nulls <- struct{}{}
	case wire.CB_COMPOUND:
		var head wire.CB_COMPOUND4argsHead
		head.UnmarshalXDR(c.Args)
		var op wire.NfsCbArgop4
		op.UnmarshalXDR(c.Args)
		if c.Args.Err() != nil || op.Argop != wire.OP_CB_SEQUENCE {
			w.Fail(rpc.GARBAGE_ARGS)
			return
		}
		sq := op.Sequence
		h.calls <- sq
		res := wire.CB_COMPOUND4resHead{Status: wire.NFS4_OK, NumResults: 1}
		res.MarshalXDR(w.Encoder())
		r := wire.NfsCbResop4{Resop: wire.OP_CB_SEQUENCE, Sequence: wire.CB_SEQUENCE4res{Status: wire.NFS4_OK,
			Resok4: wire.CB_SEQUENCE4resok{Sessionid: sq.Sessionid, Sequenceid: sq.Sequenceid, Slotid: sq.Slotid}}}
		r.MarshalXDR(w.Encoder())
	default:
		w.Fail(rpc.PROC_UNAVAIL)
	}
}

// backSession makes a session whose back channel is the client's fore
// connection, answered by h.
func backSession(t *testing.T, ts *testServer, h *cbClient, owner string) (*client, wire.Sessionid4) {
	c := ts.dial(0, 0)
	c.minor = 1
	c.c.SetHandler(h)
	r := c.compound(exchangeID(owner, 1, 0)).mustOK(t)
	x := r.Res[0].ExchangeId.Resok4
	cs := createSession(x.Clientid, x.Sequenceid)
	cs.CreateSession.Flags = wire.CREATE_SESSION4_FLAG_CONN_BACK_CHAN
	r = c.compound(cs).mustOK(t)
	if r.Res[0].CreateSession.Resok4.Flags&wire.CREATE_SESSION4_FLAG_CONN_BACK_CHAN == 0 {
		t.Fatal("the server did not take the connection as back channel")
	}
	return c, r.Res[0].CreateSession.Resok4.Sessionid
}

func TestBackChannel(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.maxMinor = 1 })
	h := &cbClient{calls: make(chan wire.CB_SEQUENCE4args, 4), nulls: make(chan struct{}, 4)}
	c, sid := backSession(t, ts, h, "cb")
	select {
	case <-h.nulls:
	case <-time.After(10 * time.Second):
		t.Fatal("no CB_NULL probe over the fore connection")
	}
	ss := ts.srv.State.Session(state.SessionID(sid))
	// The server's CB_COMPOUNDs carry CB_SEQUENCE with the session and
	// a sequence id that advances.
	for want := uint32(1); want <= 2; want++ {
		if _, err := ts.srv.cbCompound(context.Background(), ss); err != nil {
			t.Fatalf("CB_COMPOUND: %v", err)
		}
		got := <-h.calls
		if got.Sessionid != sid || uint32(got.Sequenceid) != want || got.Slotid != 0 {
			t.Errorf("CB_SEQUENCE = %+v, want sequence %d", got, want)
		}
	}
	waitFlags(t, c, sid, 0)

	// A client that refuses the callback program: the path is down.
	bad := &cbClient{fail: true}
	c2, sid2 := backSession(t, ts, bad, "cb-bad")
	waitFlags(t, c2, sid2, wire.SEQ4_STATUS_CB_PATH_DOWN_SESSION)
}

// waitFlags sends SEQUENCE until the CB_PATH_DOWN_SESSION flag is as
// want (the probe runs in the background), at most 10 s.
func waitFlags(t *testing.T, c *client, sid wire.Sessionid4, want uint32) {
	t.Helper()
	var got uint32
	for seq, deadline := uint32(1), time.Now().Add(10*time.Second); time.Now().Before(deadline); seq++ {
		r := c.compound(sequence(sid, 0, seq, false)).mustOK(t)
		if got = r.Res[0].Sequence.Resok4.StatusFlags & wire.SEQ4_STATUS_CB_PATH_DOWN_SESSION; got == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("sr_status_flags CB_PATH_DOWN_SESSION = %#x, want %#x", got, want)
}

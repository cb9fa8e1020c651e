package nfs4

import (
	"context"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/state"
)

// callRaw sends ops in a COMPOUND of minor version minor and returns the
// reply or the RPC-level error.
func (c *client) callRaw(minor uint32, ops ...wire.NfsArgop4) (*compoundRes, error) {
	var res compoundRes
	err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, &compoundArgs{tag: "test", minor: minor, ops: ops}, &res)
	return &res, err
}

// SETCLIENTID and EXCHANGE_ID with AUTH_NONE are refused with the RPC
// error AUTH_TOOWEAK (RFC 5531 §9) unless an export's rule for the
// caller's address allows sec=none; no client record is made. NFSv4 has
// no fitting status: NFS4ERR_WRONGSEC is for filehandle operations only
// (RFC 8881 §2.6.3.1.1.7) and not in SETCLIENTID's list (RFC 7530
// §16.33); see clientIDFlavorOK.
func TestClientIDAuthNone(t *testing.T) {
	for _, tc := range []struct {
		name, lines string
		allowed     bool
	}{
		{"sys only", "/export *(rw,insecure)\n", false},
		{"none for another network", "/other 10.0.0.0/8(rw,insecure,sec=none)\n/export *(rw,insecure)\n", false},
		{"none for others, not the caller's rule", "/export 127.0.0.1(rw,insecure) *(rw,insecure,sec=none)\n", false},
		{"sec=sys:none", "/export *(rw,insecure,sec=sys:none)\n", true},
		{"sec=none for the caller", "/export 127.0.0.0/8(rw,insecure,sec=none)\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, newFS(t), tc.lines, func(s *Server) { s.NoCallbacks = true })
			none := ts.dial(0, 0)
			none.c.Cred = rpc.OpaqueAuth{} // AUTH_NONE
			for _, op := range []struct {
				minor uint32
				arg   wire.NfsArgop4
			}{
				{0, setclientid("none client", 1, "127.0.0.1.0.1")},
				{1, exchangeID("none client 4.1", 1, 0)},
			} {
				r, err := none.callRaw(op.minor, op.arg)
				var re *rpc.ReplyError
				switch {
				case tc.allowed && (err != nil || r.Status != wire.NFS4_OK):
					t.Errorf("4.%d AUTH_NONE: %v %v, want NFS4_OK", op.minor, err, r.Status)
				case !tc.allowed && (!errors.As(err, &re) || re.Accepted || re.Auth != rpc.AUTH_TOOWEAK):
					t.Errorf("4.%d AUTH_NONE: %v (status %v), want AUTH_ERROR AUTH_TOOWEAK", op.minor, err, r.Status)
				}
			}
			want := 0
			if tc.allowed {
				want = 2
			}
			if n := ts.srv.State.Stats().Clients; n != want {
				t.Errorf("client records: %d, want %d", n, want)
			}
			// AUTH_SYS is not affected.
			sys := ts.dial(1000, 1000)
			sys.compound(setclientid("sys client", 1, "127.0.0.1.0.1")).mustOK(t)
			sys.minor = 1
			sys.compound(exchangeID("sys client 4.1", 1, 0)).mustOK(t)
		})
	}
}

// A new client past its address's cap is refused with the error of its
// minor version: NFS4ERR_RESOURCE in 4.0 (RFC 7530 §16.33.4 lists it),
// NFS4ERR_DELAY in 4.1, which has no NFS4ERR_RESOURCE (RFC 5662, the
// NFSv4.1 XDR; Linux knfsd's answer when it cannot make a client record).
func TestClientIDRefusedPerAddress(t *testing.T) {
	tbl, err := state.New(context.Background(), state.Options{MaxClientsPerAddr: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Close() })
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.State = tbl; s.NoCallbacks = true })
	c := ts.dial(0, 0)
	c.connect("first")
	if r := c.compound(setclientid("second", 1, "127.0.0.1.0.1")); r.Status != wire.NFS4ERR_RESOURCE {
		t.Errorf("4.0 client past the address's cap: %v, want NFS4ERR_RESOURCE", r.Status)
	}
	c.minor = 1
	if r := c.compound(exchangeID("third", 1, 0)); r.Status != wire.NFS4ERR_DELAY {
		t.Errorf("4.1 client past the address's cap: %v, want NFS4ERR_DELAY", r.Status)
	}
	if st := tbl.Stats(); st.RefusedAddr != 2 {
		t.Errorf("stats %+v, want 2 refused by address", st)
	}
}

// An AUTH_NONE EXCHANGE_ID inside a session (after SEQUENCE) is denied
// too; the slot is freed and caches nothing, so the next request on it
// runs, and a retransmission of the denied one is not answered with a
// COMPOUND reply it never had.
func TestClientIDAuthNoneInSession(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	sys := ts.dial(0, 0)
	sys.minor = 1
	sid, _, _ := sys.newClient41("session owner")
	none := ts.dial(0, 0)
	none.c.Cred = rpc.OpaqueAuth{}
	_, err := none.callRaw(1, sequence(sid, 0, 1, true), exchangeID("none in session", 1, 0))
	var re *rpc.ReplyError
	if !errors.As(err, &re) || re.Auth != rpc.AUTH_TOOWEAK {
		t.Fatalf("SEQUENCE, EXCHANGE_ID with AUTH_NONE: %v, want AUTH_TOOWEAK", err)
	}
	if r := sys.compound(sequence(sid, 0, 1, true)); r.Status != wire.NFS4ERR_RETRY_UNCACHED_REP {
		t.Errorf("retransmission of the denied request: %v, want NFS4ERR_RETRY_UNCACHED_REP", r.Status)
	}
	sys.compound(sequence(sid, 0, 2, false)).mustOK(t)
}

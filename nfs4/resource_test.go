package nfs4

import (
	"context"
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/state"
)

// TestStateExhaustion: an OPEN refused because the state table is full is
// NFS4ERR_RESOURCE in 4.0 (RFC 7530 §16.16.5 lists it) and NFS4ERR_DELAY
// in 4.1, where "NFS4ERR_RESOURCE is not a valid error" (RFC 5662, the
// 4.1 XDR; RFC 8881 §15.1.1.4 DELAY: the server cannot do it now), as
// knfsd answers resource exhaustion (nfserr_jukebox). Other clients'
// existing state is untouched.
func TestStateExhaustion(t *testing.T) {
	tbl, err := state.New(context.Background(), state.Options{MaxStates: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Close() })
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.State, s.NoCallbacks = tbl, true; s.maxMinor = 1 })

	// 4.0: opens by new owners until the table is full.
	v := ts.dial(0, 0).connect("full40")
	root := v.exportRoot()
	var st wire.Nfsstat4
	for i := 0; i < 10 && st == wire.NFS4_OK; i++ {
		v.openOwner = []byte(fmt.Sprintf("owner-%d", i))
		v.openSeq = 0
		_, _, st = v.open(root, fmt.Sprintf("f%d", i), true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	}
	if st != wire.NFS4ERR_RESOURCE {
		t.Fatalf("4.0 OPEN past the state table's bound: %v, want NFS4ERR_RESOURCE", st)
	}

	// 4.1 on the same full table.
	c := ts.dial(0, 0)
	c.minor = 1
	sid, cid := c.newSession("full41")
	root41 := c.exportRoot41(sid)
	open := wire.NfsArgop4{Argop: wire.OP_OPEN, Open: wire.OPEN4args{ShareAccess: wire.OPEN4_SHARE_ACCESS_BOTH,
		Owner:   wire.StateOwner4{Clientid: cid, Owner: []byte("o41")},
		Openhow: wire.Openflag4{Opentype: wire.OPEN4_CREATE, How: wire.Createhow4{Mode: wire.UNCHECKED4}},
		Claim:   wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: "g"}}}
	r := c.compound(sequence(sid, 0, 2, false), putfh(root41), open)
	if r.Status != wire.NFS4ERR_DELAY {
		t.Fatalf("4.1 OPEN past the state table's bound: %v, want NFS4ERR_DELAY", r.Status)
	}
}

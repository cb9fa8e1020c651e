package nfs4

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

func TestSequenceErrors(t *testing.T) {
	ts, ss := startSessions(t)
	c := ts.dial(0, 0)
	c.minor = 1
	c.compound(sequence(idOf(ss), 0, 1, false)).mustOK(t)
	for _, tc := range []struct {
		name      string
		slot, seq uint32
		want      wire.Nfsstat4
	}{
		{"misordered ahead", 0, 3, wire.NFS4ERR_SEQ_MISORDERED},
		{"misordered behind", 0, 0, wire.NFS4ERR_SEQ_MISORDERED},
		{"slot past the table", 99, 1, wire.NFS4ERR_BADSLOT},
		{"unknown session", 0, 2, wire.NFS4ERR_BADSESSION},
	} {
		id := idOf(ss)
		if tc.want == wire.NFS4ERR_BADSESSION {
			id[0] ^= 0xff
		}
		if r := c.compound(sequence(id, tc.slot, tc.seq, false)); r.Status != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, r.Status, tc.want)
		}
	}
	// A slot in use: the compound on it has not ended yet.
	if _, err := ss.Begin(1, 1); err != nil {
		t.Fatal(err)
	}
	if r := c.compound(sequence(idOf(ss), 1, 1, false)); r.Status != wire.NFS4ERR_DELAY {
		t.Errorf("slot in use: %v, want NFS4ERR_DELAY", r.Status)
	}
	ss.End(1, nil, false)
}

// A cached OPEN-create + WRITE replayed on the same and on another
// connection: the same bytes, and the write happened once.
func TestReplayOpenWrite(t *testing.T) {
	ts := start41(t)
	c := ts.dial(0, 0)
	c.minor = 1
	sid, cid := c.newSession("o")
	root := c.exportRoot41(sid)
	open := wire.NfsArgop4{Argop: wire.OP_OPEN, Open: wire.OPEN4args{ShareAccess: wire.OPEN4_SHARE_ACCESS_BOTH,
		Owner:   wire.StateOwner4{Clientid: cid, Owner: []byte("oo")},
		Openhow: wire.Openflag4{Opentype: wire.OPEN4_CREATE, How: wire.Createhow4{Mode: wire.GUARDED4}},
		Claim:   wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: "once"}}}
	// Run twice, the GUARDED create would fail with NFS4ERR_EXIST and
	// the replies would differ.
	ops := []wire.NfsArgop4{sequence(sid, 0, 2, true), putfh(root), open, writeSid(wire.Stateid4{Seqid: 1}, 0, []byte("data")), getfh()}
	first := c.rawCompound(ops...)
	c2 := ts.dial(0, 0)
	c2.minor = 1
	again := c.rawCompound(ops...)
	other := c2.rawCompound(ops...)
	if !bytes.Equal(first, again) || !bytes.Equal(first, other) {
		t.Fatalf("replays differ")
	}
	var res compoundRes
	res.UnmarshalXDR(xdr.NewDecoder(first))
	res.mustOK(t)
	_, a, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.fs.Root(), "once")
	if err != nil || a.Size != 4 {
		t.Errorf("file after the replays: %v, size %d", err, a.Size)
	}
	// Without a replay, the GUARDED create fails now.
	r := c.compound(sequence(sid, 0, 3, false), putfh(root), open)
	if r.Status != wire.NFS4ERR_EXIST {
		t.Errorf("the create ran again: %v", r.Status)
	}
}

// benchSession makes a session of slots slots for a benchmark.
func benchSession(b *testing.B, c *client, slots uint32) wire.Sessionid4 {
	r := c.compound(exchangeID(fmt.Sprintf("bench-%d", slots), 1, 0)).mustOK(b)
	x := r.Res[0].ExchangeId.Resok4
	cs := createSession(x.Clientid, x.Sequenceid)
	cs.CreateSession.ForeChanAttrs.Maxrequests = wire.Count4(slots)
	r = c.compound(cs).mustOK(b)
	if got := r.Res[0].CreateSession.Resok4.ForeChanAttrs.Maxrequests; uint32(got) != slots {
		b.Fatalf("session of %d slots, want %d", got, slots)
	}
	return r.Res[0].CreateSession.Resok4.Sessionid
}

// BenchmarkSequenceGetattr is SEQUENCE + PUTFH + GETATTR of the Linux
// mask over one slot (one request at a time) and over 64 slots (64
// requests in flight on one connection).
func BenchmarkSequenceGetattr(b *testing.B) {
	for _, slots := range []uint32{1, 64} {
		b.Run(fmt.Sprintf("slots=%d", slots), func(b *testing.B) {
			c, fh := benchSetup(b, 0)
			c.ts.srv.maxMinor = 1
			c.minor = 1
			sid := benchSession(b, c, slots)
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for slot := range slots {
				wg.Go(func() {
					var res statusOnly
					for seq := uint32(1); left.Add(-1) >= 0; seq++ {
						args := &rawArgs{minor: 1, n: 3, ops: opsBytes(sequence(sid, slot, seq, false), putfh(fh), getattr(linuxGetattr...))}
						if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, args, &res); err != nil || res.status != wire.NFS4_OK {
							b.Error(err, res.status)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

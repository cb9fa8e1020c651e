package nfs4

import (
	"context"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
)

// opsBytes encodes operations as they follow a COMPOUND head.
func opsBytes(ops ...wire.NfsArgop4) []byte {
	var e xdr.Encoder
	for i := range ops {
		ops[i].MarshalXDR(&e)
	}
	return e.Bytes()
}

// FuzzCompound runs the whole server against random COMPOUNDs on a
// memory store: every call is answered (a panic would be SYSTEM_ERR),
// the server keeps serving, and the reply limit holds.
func FuzzCompound(f *testing.F) {
	fsys := newFS(f)
	tbl, err := state.New(context.Background(), state.Options{MaxClients: fuzzClients, MaxStates: fuzzStates})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { tbl.Close() })
	ts := startServer(f, fsys, exportsLine+"/ro *(ro,insecure)\n", func(s *Server) { s.State, s.NoCallbacks = tbl, true; s.maxMinor = 1 })
	c := ts.dial(1000, 1000)
	ex := c.exportFH()
	c.compound(putfh(ex), mkdir("d"), symlink("l", "d")).mustOK(f)
	if _, _, _, err := fsys.Create(context.Background(), &store.Cred{UID: 1000, GID: 1000}, fsys.Root(), "f", store.CreateGuarded, nil, store.Verifier{}); err != nil {
		f.Fatal(err)
	}
	seeds := [][]wire.NfsArgop4{
		{putrootfh(), getfh(), getattr(wire.FATTR4_TYPE, wire.FATTR4_FSID, wire.FATTR4_SIZE)},
		{putrootfh(), lookup("export"), lookup("f"), read(0, 100), getattr(wire.FATTR4_CHANGE)},
		{putfh(ex), lookup("f"), write(3, []byte("hello")), getattr(wire.FATTR4_SIZE)},
		{putfh(ex), readdir(0, 4096, wire.FATTR4_FILEID, wire.FATTR4_TYPE, wire.FATTR4_FILEHANDLE)},
		{putrootfh(), readdir(0, 4096, wire.FATTR4_MOUNTED_ON_FILEID)},
		{putfh(ex), savefh(), lookup("d"), mkdir("e"), restorefh(), rename("l", "m")},
		{putfh(ex), lookup("l"), readlink(), lookupp(), lookupp(), lookupp()},
		{putfh(ex), wire.NfsArgop4{Argop: wire.OP_ACCESS, Access: wire.ACCESS4args{Access: 0x3f}}},
		{putfh(ex), lookup("f"), wire.NfsArgop4{Argop: wire.OP_SETATTR, Setattr: wire.SETATTR4args{
			ObjAttributes: wire.Fattr4{Attrmask: wire.Bitmap4{}.Set(wire.FATTR4_SIZE), AttrVals: []byte{0, 0, 0, 0, 0, 0, 0, 9}}}}},
		{putfh(ex), wire.NfsArgop4{Argop: wire.OP_VERIFY, Verify: wire.VERIFY4args{
			ObjAttributes: wire.Fattr4{Attrmask: wire.Bitmap4{}.Set(wire.FATTR4_TYPE), AttrVals: []byte{0, 0, 0, 2}}}}},
		{putfh(ex), wire.NfsArgop4{Argop: wire.OP_SECINFO, Secinfo: wire.SECINFO4args{Name: "d"}}},
		{putfh(ex), remove("m"), remove("d")},
		{setclientid("fuzz", 1, "127.0.0.1.0.1")},
		{putfh(ex), openArgs(&v40{id: 1, openOwner: []byte("o")}, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)},
		{putfh(ex), lookup("f"), lockNew(&v40{id: 1}, wire.WRITE_LT, 0, 10, wire.Stateid4{}, "l")},
		{exchangeID("fuzz41", 1, 0)},
		{createSession(1, 1)},
	}
	for _, ops := range seeds {
		f.Add(uint8(0), uint8(len(ops)), opsBytes(ops...))
	}
	f.Fuzz(func(t *testing.T, minor, n uint8, ops []byte) {
		err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, &rawArgs{uint32(minor % 3), uint32(n), ops}, nil)
		var re *rpc.ReplyError
		if errors.As(err, &re) {
			t.Fatalf("COMPOUND answered %v", re)
		}
		if err != nil {
			t.Fatalf("COMPOUND: %v", err)
		}
		var res compoundRes
		err = c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, &compoundArgs{ops: []wire.NfsArgop4{putrootfh(), getfh()}}, &res)
		if err != nil || res.Status != wire.NFS4_OK {
			t.Fatalf("the server stopped serving: %v, %v", err, res.Status)
		}
		if st := tbl.Stats(); st.Clients > fuzzClients || st.States > fuzzStates {
			t.Fatalf("state past its bounds: %d clients, %d states", st.Clients, st.States)
		}
	})
}

// The state bounds of the fuzzed server.
const fuzzClients, fuzzStates = 16, 64

// FuzzSequence sends SEQUENCE-first compounds with random slots,
// sequence ids and cachethis on a live session: the server keeps
// serving, and the reply cache stays within its budget.
func FuzzSequence(f *testing.F) {
	ts := start41(f)
	c := ts.dial(0, 0)
	c.minor = 1
	sid, _ := c.newSession("fuzz")
	ex := c.exportRoot41(sid)
	for _, ops := range [][]wire.NfsArgop4{
		{putfh(ex), getattr(wire.FATTR4_SIZE)},
		{putfh(ex), mkdir("d")},
		{putfh(ex), lookup("d"), remove("x")},
		{},
	} {
		f.Add(uint32(0), uint32(2), true, uint8(len(ops)+1), opsBytes(ops...))
		f.Add(uint32(3), uint32(1), false, uint8(len(ops)+1), opsBytes(ops...))
	}
	f.Fuzz(func(t *testing.T, slot, seq uint32, cache bool, n uint8, ops []byte) {
		args := &rawArgs{minor: 1, n: uint32(n), ops: append(opsBytes(sequence(sid, slot, seq, cache)), ops...)}
		if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, args, nil); err != nil {
			t.Fatalf("COMPOUND: %v", err)
		}
		cached, budget := ts.srv.State.Stats().ReplyCache, int64(state.DefaultMaxReplyCache)
		if cached > budget {
			t.Fatalf("reply cache %d over its budget %d", cached, budget)
		}
		var res compoundRes
		if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, &compoundArgs{minor: 1, ops: []wire.NfsArgop4{putrootfh()}}, &res); err != nil {
			t.Fatalf("the server stopped serving: %v", err)
		}
	})
}

// FuzzCallbackReply decodes what a client answers to CB_COMPOUND: no
// panic, and at most maxCbResults results kept whatever count it claims.
func FuzzCallbackReply(f *testing.F) {
	var e xdr.Encoder
	h := wire.CB_COMPOUND4resHead{Status: wire.NFS4_OK, NumResults: 1}
	h.MarshalXDR(&e)
	r := wire.NfsCbResop4{Resop: wire.OP_CB_SEQUENCE, Sequence: wire.CB_SEQUENCE4res{Status: wire.NFS4_OK}}
	r.MarshalXDR(&e)
	f.Add(e.Bytes())
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var res cbCompoundRes
		res.UnmarshalXDR(xdr.NewDecoder(b))
		if len(res.Res) > maxCbResults {
			t.Fatalf("%d results kept", len(res.Res))
		}
	})
}

// FuzzParseUaddr parses the universal addresses clients announce for
// callbacks: no panic, and what parses is a valid address.
func FuzzParseUaddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1.152.69", "::1.8.1", "0.0.0.0.0.0", "1.2.3", "a.b.c.d.e.f", "1.2.3.4.256.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, err := parseUaddr(s)
		if err != nil {
			return
		}
		if !ap.Addr().IsValid() {
			t.Fatalf("%q parsed to an invalid address", s)
		}
	})
}

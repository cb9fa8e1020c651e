package nfs4

import (
	"context"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// The in-process test client: a real rpc.Server on 127.0.0.1 serving
// this package's Server, and a client that sends COMPOUNDs built from
// wire.NfsArgop4 values and decodes the results as wire.NfsResop4.

const exportsLine = "/export *(rw,insecure,no_root_squash)\n"

func newFS(t testing.TB) *store.FS {
	t.Helper()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

type testServer struct {
	t    testing.TB
	fs   *store.FS
	tab  *export.Table
	srv  *Server
	rpc  *rpc.Server
	addr string
}

// startServer serves the exports of lines (exports(5) syntax), all on
// fsys with a new in-memory lock manager, with the server adjusted by
// opts before Register.
func startServer(t testing.TB, fsys *store.FS, lines string, opts ...func(*Server)) *testServer {
	t.Helper()
	mgr, err := locking.Open(context.Background(), locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	return startServerMgr(t, fsys, lines, mgr, opts...)
}

// startServerMgr is startServer with the lock manager of fsys.
func startServerMgr(t testing.TB, fsys *store.FS, lines string, mgr *locking.Manager, opts ...func(*Server)) *testServer {
	t.Helper()
	exps, err := export.Parse(strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exps {
		e.FS, e.Locks = fsys, mgr
	}
	tab, err := export.NewTable(context.Background(), export.Options{HandleKey: []byte("test key")}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, fs: fsys, tab: tab, srv: &Server{Exports: tab}}
	for _, o := range opts {
		o(ts.srv)
	}
	mux := rpc.NewServeMux()
	ts.srv.Register(mux)
	ts.rpc = &rpc.Server{Handler: mux}
	ts.addr = rpctest.Start(t, ts.rpc).String()
	return ts
}

type client struct {
	t     testing.TB
	c     *rpc.Client
	ts    *testServer
	minor uint32
}

func (ts *testServer) dial(uid, gid uint32, gids ...uint32) *client {
	ts.t.Helper()
	c, err := rpc.Dial(context.Background(), "tcp", ts.addr)
	if err != nil {
		ts.t.Fatal(err)
	}
	c.Cred = rpc.EncodeAuthSys(1, "test", uid, gid, gids)
	ts.t.Cleanup(func() { c.Close() })
	return &client{t: ts.t, c: c, ts: ts}
}

// compoundArgs is a COMPOUND request.
type compoundArgs struct {
	tag   string
	minor uint32
	ops   []wire.NfsArgop4
}

func (a *compoundArgs) MarshalXDR(e *xdr.Encoder) {
	h := wire.COMPOUND4argsHead{Tag: wire.Utf8strCs(a.tag), Minorversion: a.minor, NumOps: uint32(len(a.ops))}
	h.MarshalXDR(e)
	for i := range a.ops {
		a.ops[i].MarshalXDR(e)
	}
}

// compoundRes is a COMPOUND reply.
type compoundRes struct {
	Status wire.Nfsstat4
	Tag    string
	Res    []wire.NfsResop4
}

func (r *compoundRes) UnmarshalXDR(d *xdr.Decoder) {
	var h wire.COMPOUND4resHead
	h.UnmarshalXDR(d)
	r.Status, r.Tag = h.Status, string(h.Tag)
	for i := uint32(0); i < h.NumResults && d.Err() == nil; i++ {
		var op wire.NfsResop4
		op.UnmarshalXDR(d)
		r.Res = append(r.Res, op)
	}
}

// compound sends ops and returns the reply.
func (c *client) compound(ops ...wire.NfsArgop4) *compoundRes {
	c.t.Helper()
	var res compoundRes
	if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, &compoundArgs{tag: "test", minor: c.minor, ops: ops}, &res); err != nil {
		c.t.Fatalf("COMPOUND: %v", err)
	}
	return &res
}

// mustOK fails the test unless every op succeeded.
func (r *compoundRes) mustOK(t testing.TB) *compoundRes {
	t.Helper()
	if r.Status != wire.NFS4_OK {
		ops := make([]string, len(r.Res))
		for i, o := range r.Res {
			ops[i] = o.Resop.String()
		}
		t.Fatalf("COMPOUND failed with %v after %v", r.Status, ops)
	}
	return r
}

// last returns the result of the last operation.
func (r *compoundRes) last() *wire.NfsResop4 { return &r.Res[len(r.Res)-1] }

// Operation constructors.
func putrootfh() wire.NfsArgop4 { return wire.NfsArgop4{Argop: wire.OP_PUTROOTFH} }
func getfh() wire.NfsArgop4     { return wire.NfsArgop4{Argop: wire.OP_GETFH} }
func savefh() wire.NfsArgop4    { return wire.NfsArgop4{Argop: wire.OP_SAVEFH} }
func restorefh() wire.NfsArgop4 { return wire.NfsArgop4{Argop: wire.OP_RESTOREFH} }
func lookupp() wire.NfsArgop4   { return wire.NfsArgop4{Argop: wire.OP_LOOKUPP} }
func readlink() wire.NfsArgop4  { return wire.NfsArgop4{Argop: wire.OP_READLINK} }
func putfh(fh []byte) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_PUTFH, Putfh: wire.PUTFH4args{Object: fh}}
}
func lookup(name string) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_LOOKUP, Lookup: wire.LOOKUP4args{Objname: wire.Component4(name)}}
}
func getattr(bits ...uint32) wire.NfsArgop4 {
	var b wire.Bitmap4
	for _, n := range bits {
		b = b.Set(n)
	}
	return wire.NfsArgop4{Argop: wire.OP_GETATTR, Getattr: wire.GETATTR4args{AttrRequest: b}}
}
func mkdir(name string) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_CREATE, Create: wire.CREATE4args{
		Objtype: wire.Createtype4{Type: wire.NF4DIR}, Objname: wire.Component4(name)}}
}
func symlink(name, target string) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_CREATE, Create: wire.CREATE4args{
		Objtype: wire.Createtype4{Type: wire.NF4LNK, Linkdata: wire.Linktext4(target)}, Objname: wire.Component4(name)}}
}
func remove(name string) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_REMOVE, Remove: wire.REMOVE4args{Target: wire.Component4(name)}}
}
func rename(from, to string) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_RENAME, Rename: wire.RENAME4args{Oldname: wire.Component4(from), Newname: wire.Component4(to)}}
}
func readdir(cookie uint64, maxcount uint32, bits ...uint32) wire.NfsArgop4 {
	var b wire.Bitmap4
	for _, n := range bits {
		b = b.Set(n)
	}
	return wire.NfsArgop4{Argop: wire.OP_READDIR, Readdir: wire.READDIR4args{
		Cookie: wire.NfsCookie4(cookie), Dircount: wire.Count4(maxcount), Maxcount: wire.Count4(maxcount), AttrRequest: b}}
}
func read(off uint64, n uint32) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_READ, Read: wire.READ4args{Offset: wire.Offset4(off), Count: wire.Count4(n)}}
}
func write(off uint64, p []byte) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_WRITE, Write: wire.WRITE4args{Offset: wire.Offset4(off), Stable: wire.FILE_SYNC4, Data: p}}
}

// exportFH returns the handle of the /export root, through the
// pseudo-filesystem.
func (c *client) exportFH() []byte {
	c.t.Helper()
	r := c.compound(putrootfh(), lookup("export"), getfh()).mustOK(c.t)
	return append([]byte(nil), r.last().Getfh.Resok4.Object...)
}

func (a *compoundArgs) SizeXDR() int {
	var e xdr.Encoder
	a.MarshalXDR(&e)
	return e.Len()
}

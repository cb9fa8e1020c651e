package nfs3

import (
	"context"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// testServer is an NFS server on 127.0.0.1 over a memory store.
type testServer struct {
	t    testing.TB
	fs   *store.FS
	nfs  *Server
	rpc  *rpc.Server
	addr string
	tab  *export.Table
}

// exportsLine is the default export of the tests.
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

// startServer serves the exports of lines (all on fsys) over TCP, with
// the server adjusted by opts before Register.
func startServer(t testing.TB, fsys *store.FS, lines string, opts ...func(*Server)) *testServer {
	t.Helper()
	exps, err := export.Parse(strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := locking.Open(context.Background(), locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locks.Close() })
	for _, e := range exps {
		e.FS, e.Locks = fsys, locks
	}
	tab, err := export.NewTable(context.Background(), export.Options{HandleKey: []byte("test key")}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, fs: fsys, tab: tab, nfs: &Server{Exports: tab}}
	for _, o := range opts {
		o(ts.nfs)
	}
	mux := rpc.NewServeMux()
	ts.nfs.Register(mux)
	ts.rpc = &rpc.Server{Handler: mux, DuplicateCache: &rpc.DuplicateCache{}}
	ts.addr = rpctest.Start(t, ts.rpc).String()
	return ts
}

// client is an NFS client of a test server with one AUTH_SYS identity.
type client struct {
	t  testing.TB
	c  *rpc.Client
	ts *testServer
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

// call calls an NFS procedure and fails the test on an RPC error.
func (c *client) call(proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) {
	c.t.Helper()
	if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, proc, args, res); err != nil {
		c.t.Fatalf("proc %d: %v", proc, err)
	}
}

// mount mounts dir and returns its handle.
func (c *client) mount(dir string) []byte {
	c.t.Helper()
	var res wire.Mountres3
	if err := c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: wire.Dirpath(dir)}, &res); err != nil {
		c.t.Fatal(err)
	}
	if res.Status != wire.MNT3_OK {
		c.t.Fatalf("MNT %s: %d", dir, res.Status)
	}
	return append([]byte(nil), res.OK.FHandle...)
}

func fh(b []byte) wire.NFSFH3 { return wire.NFSFH3{Data: b} }

func (c *client) getattr(h []byte) (wire.Fattr3, wire.NFSStat3) {
	c.t.Helper()
	var res wire.GETATTR3res
	c.call(wire.NFSPROC3_GETATTR, &wire.GETATTR3args{Object: fh(h)}, &res)
	return res.ObjAttributes, res.Status
}

func (c *client) lookup(dir []byte, name string) ([]byte, wire.NFSStat3) {
	c.t.Helper()
	var res wire.LOOKUP3res
	c.call(wire.NFSPROC3_LOOKUP, &wire.LOOKUP3args{What: wire.DiropArgs3{Dir: fh(dir), Name: wire.Filename3(name)}}, &res)
	return append([]byte(nil), res.Resok.Object.Data...), res.Status
}

func (c *client) create(dir []byte, name string, how wire.Createhow3) (wire.CREATE3res, []byte) {
	c.t.Helper()
	var res wire.CREATE3res
	c.call(wire.NFSPROC3_CREATE, &wire.CREATE3args{Where: wire.DiropArgs3{Dir: fh(dir), Name: wire.Filename3(name)}, How: how}, &res)
	return res, append([]byte(nil), res.Resok.Obj.Handle.Data...)
}

func (c *client) mustCreate(dir []byte, name string) []byte {
	c.t.Helper()
	res, h := c.create(dir, name, wire.Createhow3{Mode: wire.GUARDED, ObjAttributes: wire.Sattr3{Mode: wire.SetMode3{SetIt: true, Mode: 0o644}}})
	if res.Status != wire.NFS3_OK {
		c.t.Fatalf("CREATE %s: %d", name, res.Status)
	}
	return h
}

func (c *client) mkdir(dir []byte, name string) ([]byte, wire.NFSStat3) {
	c.t.Helper()
	var res wire.CREATE3res
	c.call(wire.NFSPROC3_MKDIR, &wire.MKDIR3args{Where: wire.DiropArgs3{Dir: fh(dir), Name: wire.Filename3(name)}, Attributes: wire.Sattr3{Mode: wire.SetMode3{SetIt: true, Mode: 0o755}}}, &res)
	return append([]byte(nil), res.Resok.Obj.Handle.Data...), res.Status
}

func (c *client) write(h []byte, off uint64, data []byte, how wire.StableHow) wire.WRITE3res {
	c.t.Helper()
	var res wire.WRITE3res
	c.call(wire.NFSPROC3_WRITE, &wire.WRITE3args{File: fh(h), Offset: wire.Offset3(off), Count: wire.Count3(len(data)), Stable: how, Data: data}, &res)
	return res
}

func (c *client) read(h []byte, off uint64, n uint32) wire.READ3res {
	c.t.Helper()
	var res wire.READ3res
	c.call(wire.NFSPROC3_READ, &wire.READ3args{File: fh(h), Offset: wire.Offset3(off), Count: wire.Count3(n)}, &res)
	res.Resok.Data = append([]byte(nil), res.Resok.Data...)
	return res
}

func (c *client) remove(dir []byte, name string) wire.WccRes {
	c.t.Helper()
	var res wire.WccRes
	c.call(wire.NFSPROC3_REMOVE, &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(dir), Name: wire.Filename3(name)}}, &res)
	return res
}

func (c *client) readdir(dir []byte, cookie uint64, verf wire.Cookieverf3, count uint32) wire.READDIR3res {
	c.t.Helper()
	var res wire.READDIR3res
	c.call(wire.NFSPROC3_READDIR, &wire.READDIR3args{Dir: fh(dir), Cookie: wire.Cookie3(cookie), Cookieverf: verf, Count: wire.Count3(count)}, &res)
	return res
}

func (c *client) readdirplus(dir []byte, cookie uint64, verf wire.Cookieverf3, dircount, maxcount uint32) wire.READDIRPLUS3res {
	c.t.Helper()
	var res wire.READDIRPLUS3res
	c.call(wire.NFSPROC3_READDIRPLUS, &wire.READDIRPLUS3args{Dir: fh(dir), Cookie: wire.Cookie3(cookie), Cookieverf: verf, Dircount: wire.Count3(dircount), Maxcount: wire.Count3(maxcount)}, &res)
	return res
}

func wantStatus(t testing.TB, what string, got, want wire.NFSStat3) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d", what, got, want)
	}
}

func storeHandle(id, gen uint64) store.Handle { return store.Handle{ID: id, Gen: gen} }

func rpcDial(ts *testServer) (*rpc.Client, error) {
	c, err := rpc.Dial(context.Background(), "tcp", ts.addr)
	if err != nil {
		return nil, err
	}
	c.Cred = rpc.EncodeAuthSys(1, "test", 1000, 1000, nil)
	return c, nil
}

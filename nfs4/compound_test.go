package nfs4

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// rawCompound sends a COMPOUND whose operations are the bytes ops
// (after a head with n operations) and returns the reply.
type rawArgs struct {
	minor uint32
	n     uint32
	ops   []byte
}

func (a *rawArgs) MarshalXDR(e *xdr.Encoder) {
	h := wire.COMPOUND4argsHead{Tag: "raw", Minorversion: a.minor, NumOps: a.n}
	h.MarshalXDR(e)
	e.FixedOpaque(a.ops)
}

func (c *client) raw(minor, n uint32, ops []byte) *compoundRes {
	c.t.Helper()
	var res compoundRes
	if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, &rawArgs{minor, n, ops}, &res); err != nil {
		c.t.Fatalf("COMPOUND: %v", err)
	}
	return &res
}

func TestCompoundRules(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(0, 0)

	// The tag is echoed; an empty compound succeeds.
	if r := c.compound(); r.Status != wire.NFS4_OK || r.Tag != "test" || len(r.Res) != 0 {
		t.Fatalf("empty compound: %+v", r)
	}
	// Minor versions this build does not serve.
	c.minor = 7
	if r := c.compound(putrootfh()); r.Status != wire.NFS4ERR_MINOR_VERS_MISMATCH || len(r.Res) != 0 {
		t.Fatalf("minor 7: %v, %d results", r.Status, len(r.Res))
	}
	c.minor = 0
	// No current filehandle.
	if r := c.compound(getfh()); r.Status != wire.NFS4ERR_NOFILEHANDLE || len(r.Res) != 1 {
		t.Fatalf("GETFH without a filehandle: %v", r.Status)
	}
	// RESTOREFH without SAVEFH.
	if r := c.compound(putrootfh(), restorefh()); r.Status != wire.NFS4ERR_RESTOREFH || len(r.Res) != 2 {
		t.Fatalf("RESTOREFH without SAVEFH: %v", r.Status)
	}
	// The compound stops at the first failure.
	if r := c.compound(putrootfh(), lookup("nothere"), getfh(), getfh()); r.Status != wire.NFS4ERR_NOENT || len(r.Res) != 2 {
		t.Fatalf("stop at first failure: %v after %d", r.Status, len(r.Res))
	}
	// A bad handle.
	if r := c.compound(putfh([]byte("not a handle")), getfh()); r.Status != wire.NFS4ERR_BADHANDLE {
		t.Fatalf("PUTFH garbage: %v", r.Status)
	}
	// A 4.1 operation in a 4.0 compound, and an unknown one: OP_ILLEGAL.
	for _, op := range []uint32{uint32(wire.OP_SEQUENCE), 9999, 2} {
		var e xdr.Encoder
		e.Uint32(uint32(wire.OP_PUTROOTFH))
		e.Uint32(op)
		e.Uint64(0)
		r := c.raw(0, 2, e.Bytes())
		if r.Status != wire.NFS4ERR_OP_ILLEGAL || len(r.Res) != 2 || r.Res[1].Resop != wire.OP_ILLEGAL {
			t.Fatalf("op %d: %v, %d results", op, r.Status, len(r.Res))
		}
	}
	// Arguments that do not decode: BADXDR for that operation.
	var e xdr.Encoder
	e.Uint32(uint32(wire.OP_PUTROOTFH))
	e.Uint32(uint32(wire.OP_LOOKUP))
	e.Uint32(1 << 30) // a name longer than the record
	if r := c.raw(0, 2, e.Bytes()); r.Status != wire.NFS4ERR_BADXDR || len(r.Res) != 2 {
		t.Fatalf("bad LOOKUP args: %v, %d results", r.Status, len(r.Res))
	}
	// A count larger than the operations sent.
	e = xdr.Encoder{}
	e.Uint32(uint32(wire.OP_PUTROOTFH))
	if r := c.raw(0, 5, e.Bytes()); r.Status != wire.NFS4ERR_BADXDR || len(r.Res) != 2 {
		t.Fatalf("short array: %v, %d results", r.Status, len(r.Res))
	}
	// Too many operations: the one past the limit is NFS4ERR_RESOURCE.
	ops := make([]wire.NfsArgop4, DefaultMaxOps+5)
	for i := range ops {
		ops[i] = putrootfh()
	}
	if r := c.compound(ops...); r.Status != wire.NFS4ERR_RESOURCE || len(r.Res) != DefaultMaxOps+1 {
		t.Fatalf("too many ops: %v, %d results", r.Status, len(r.Res))
	}
}

func TestPseudoFS(t *testing.T) {
	fsys := newFS(t)
	if _, _, _, err := fsys.Mkdir(context.Background(), &store.Cred{}, fsys.Root(), "projects", nil); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, fsys, "/export *(rw,insecure)\n/data/projects *(ro,insecure)\n/hidden 10.9.9.9(rw)\n")
	c := ts.dial(1000, 1000)

	root := c.compound(putrootfh(), getfh()).mustOK(t).last().Getfh.Resok4.Object
	// LOOKUP into an export and back out with LOOKUPP.
	r := c.compound(putrootfh(), lookup("data"), lookup("projects"), getfh(), lookupp(), lookupp(), getfh()).mustOK(t)
	if got := r.Res[6].Getfh.Resok4.Object; !bytes.Equal(got, root) {
		t.Fatalf("LOOKUPP twice from /data/projects is not the root")
	}
	proj := r.Res[3].Getfh.Resok4.Object
	if h, ok := ts.tab.DecodeHandle(proj); !ok || h.Kind != export.KindNode {
		t.Fatalf("/data/projects handle is not an export node: %+v", h)
	}
	// LOOKUPP at the root.
	if r := c.compound(putrootfh(), lookupp()); r.Status != wire.NFS4ERR_NOENT {
		t.Fatalf("LOOKUPP at the root: %v", r.Status)
	}
	// An export whose rules refuse the client's address is refused
	// (TestExportRefusal).
	if r := c.compound(putrootfh(), lookup("hidden")); r.Status != wire.NFS4ERR_ACCESS {
		t.Fatalf("LOOKUP of a hidden export: %v", r.Status)
	}
	// The pseudo-filesystem is read-only; a read-only export too.
	if r := c.compound(putrootfh(), mkdir("x")); r.Status != wire.NFS4ERR_ROFS {
		t.Fatalf("CREATE in the pseudo root: %v", r.Status)
	}
	if r := c.compound(putfh(proj), mkdir("x")); r.Status != wire.NFS4ERR_ROFS {
		t.Fatalf("CREATE in a read-only export: %v", r.Status)
	}
	// The handles are persistent: a new server with the same key accepts them.
	ts2 := startServer(t, fsys, "/export *(rw,insecure)\n/data/projects *(ro,insecure)\n")
	c2 := ts2.dial(1000, 1000)
	c2.compound(putfh(root), lookup("data"), putfh(proj), lookupp()).mustOK(t)
}

func TestNames(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	ex := c.exportFH()
	for _, tc := range []struct {
		name string
		want wire.Nfsstat4
	}{
		{"", wire.NFS4ERR_INVAL},
		{".", wire.NFS4ERR_BADNAME},
		{"..", wire.NFS4ERR_BADNAME},
		{"a/b", wire.NFS4ERR_BADCHAR},
		{"a\x00b", wire.NFS4ERR_BADCHAR},
		{"\xff\xfe", wire.NFS4ERR_INVAL},
		{string(bytes.Repeat([]byte("n"), 300)), wire.NFS4ERR_NAMETOOLONG},
	} {
		for _, op := range []wire.NfsArgop4{lookup(tc.name), mkdir(tc.name), remove(tc.name)} {
			if r := c.compound(putfh(ex), op); r.Status != tc.want {
				t.Errorf("%v %q: %v, want %v", op.Argop, tc.name, r.Status, tc.want)
			}
		}
	}
}

func TestNamespaceOps(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	ex := c.exportFH()

	r := c.compound(putfh(ex), mkdir("d"), getfh()).mustOK(t)
	if ci := r.Res[1].Create.Resok4.Cinfo; ci.After == ci.Before {
		t.Errorf("CREATE change_info did not change: %+v", ci)
	}
	d := r.last().Getfh.Resok4.Object
	if r := c.compound(putfh(ex), mkdir("d")); r.Status != wire.NFS4ERR_EXIST {
		t.Errorf("CREATE of an existing name: %v", r.Status)
	}
	// CREATE of a regular file is OPEN's job.
	reg := wire.NfsArgop4{Argop: wire.OP_CREATE, Create: wire.CREATE4args{Objtype: wire.Createtype4{Type: wire.NF4REG}, Objname: "f"}}
	if r := c.compound(putfh(ex), reg); r.Status != wire.NFS4ERR_BADTYPE {
		t.Errorf("CREATE NF4REG: %v", r.Status)
	}
	c.compound(putfh(d), symlink("l", "../target")).mustOK(t)
	r = c.compound(putfh(d), lookup("l"), readlink()).mustOK(t)
	if got := string(r.last().Readlink.Resok4.Link); got != "../target" {
		t.Errorf("READLINK: %q", got)
	}
	// LOOKUP through a symlink.
	if r := c.compound(putfh(d), lookup("l"), lookup("x")); r.Status != wire.NFS4ERR_SYMLINK {
		t.Errorf("LOOKUP in a symlink: %v", r.Status)
	}
	// RENAME from saved to current; both change_infos.
	r = c.compound(putfh(d), savefh(), putfh(ex), rename("l", "l2")).mustOK(t)
	if ri := r.last().Rename.Resok4; ri.SourceCinfo.After == ri.SourceCinfo.Before || ri.TargetCinfo.After == ri.TargetCinfo.Before {
		t.Errorf("RENAME change_info: %+v", ri)
	}
	if r := c.compound(putfh(d), rename("a", "b")); r.Status != wire.NFS4ERR_NOFILEHANDLE {
		t.Errorf("RENAME without a saved filehandle: %v", r.Status)
	}
	if r := c.compound(putrootfh(), savefh(), putfh(ex), rename("l2", "l3")); r.Status != wire.NFS4ERR_ROFS {
		t.Errorf("RENAME from the pseudo-filesystem: %v", r.Status)
	}
	// LINK: saved is the file, current the directory.
	r = c.compound(putfh(ex), lookup("l2"), savefh(), putfh(d), wire.NfsArgop4{Argop: wire.OP_LINK, Link: wire.LINK4args{Newname: "hard"}}).mustOK(t)
	// REMOVE of a non-empty directory, then of its entries and itself.
	if r := c.compound(putfh(ex), remove("d")); r.Status != wire.NFS4ERR_NOTEMPTY {
		t.Errorf("REMOVE of a non-empty directory: %v", r.Status)
	}
	c.compound(putfh(d), remove("hard"), putfh(ex), remove("d"), remove("l2")).mustOK(t)
	if r := c.compound(putfh(d), getfh(), lookup("x")); r.Status != wire.NFS4ERR_STALE {
		t.Errorf("LOOKUP in a removed directory: %v", r.Status)
	}
}

func TestReadWrite(t *testing.T) {
	fsys := newFS(t)
	ts := startServer(t, fsys, exportsLine)
	if _, _, _, err := fsys.Create(context.Background(), &store.Cred{UID: 1000, GID: 1000}, fsys.Root(), "f", store.CreateGuarded, &store.SetAttr{Mask: store.SetMode, Mode: 0o644}, store.Verifier{}); err != nil {
		t.Fatal(err)
	}
	c := ts.dial(1000, 1000)
	ex := c.exportFH()
	data := bytes.Repeat([]byte("0123456789abcdef"), 8192) // 128 KiB
	r := c.compound(putfh(ex), lookup("f"), write(0, data)).mustOK(t)
	if w := r.last().Write.Resok4; int(w.Count) != len(data) || w.Committed != wire.FILE_SYNC4 {
		t.Fatalf("WRITE: %+v", w)
	}
	r = c.compound(putfh(ex), lookup("f"), read(0, 1<<20)).mustOK(t)
	if rd := r.last().Read.Resok4; !rd.EOF || !bytes.Equal(rd.Data, data) {
		t.Fatalf("READ: eof %v, %d bytes", rd.EOF, len(rd.Data))
	}
	r = c.compound(putfh(ex), lookup("f"), read(100, 10)).mustOK(t)
	if rd := r.last().Read.Resok4; rd.EOF || !bytes.Equal(rd.Data, data[100:110]) {
		t.Fatalf("READ 10 at 100: eof %v, %q", rd.EOF, rd.Data)
	}
	if r := c.compound(putfh(ex), read(0, 10)); r.Status != wire.NFS4ERR_ISDIR {
		t.Fatalf("READ of a directory: %v", r.Status)
	}
	if r := c.compound(putrootfh(), read(0, 10)); r.Status != wire.NFS4ERR_ISDIR {
		t.Fatalf("READ of the pseudo root: %v", r.Status)
	}
	// A READ that would pass the reply limit is cut short.
	ts.srv.MaxReply = 4096
	r = c.compound(putfh(ex), lookup("f"), read(0, 1<<20)).mustOK(t)
	if n := len(r.last().Read.Resok4.Data); n == 0 || n > 4096 {
		t.Fatalf("READ within MaxReply 4096: %d bytes", n)
	}
	// COMMIT returns the write verifier.
	r = c.compound(putfh(ex), lookup("f"), wire.NfsArgop4{Argop: wire.OP_COMMIT}).mustOK(t)
	if v := r.last().Commit.Resok4.Writeverf; v != wire.Verifier4(fsys.WriteVerifier()) {
		t.Fatalf("COMMIT verifier %x", v)
	}
}

func TestStatusTableTotal(t *testing.T) {
	for _, code := range store.Codes() {
		if st := codeStatus(code); st == wire.NFS4ERR_SERVERFAULT {
			t.Errorf("store code %v has no nfsstat4", code)
		}
	}
}

func (a *rawArgs) SizeXDR() int { return 4 + xdr.SizeOpaque(3) + 8 + len(a.ops) }

// Every directory change answers an atomic change_info4 whose after is
// its before advanced by one and is the change attribute a GETATTR of
// the directory shows right after: what lets the Linux client keep its
// caches of a directory it changed itself.
func TestChangeInfoAtomic(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	ex := c.exportFH()
	changeOf := func(r *compoundRes) wire.Changeid4 {
		t.Helper()
		v := r.last().Getattr.Resok4.ObjAttributes.AttrVals
		if len(v) != 8 {
			t.Fatalf("GETATTR change: %x", v)
		}
		return wire.Changeid4(binary.BigEndian.Uint64(v))
	}
	check := func(what string, ci wire.ChangeInfo4, after wire.Changeid4, changed bool) {
		t.Helper()
		step := wire.Changeid4(0)
		if changed {
			step = 1
		}
		if !ci.Atomic || ci.After != ci.Before+step || ci.After != after {
			t.Errorf("%s: change_info %+v, directory change %d after it", what, ci, after)
		}
	}
	change := getattr(wire.FATTR4_CHANGE)
	r := c.compound(putfh(ex), mkdir("d"), getfh(), putfh(ex), change).mustOK(t)
	check("CREATE", r.Res[1].Create.Resok4.Cinfo, changeOf(r), true)
	d := r.Res[2].Getfh.Resok4.Object
	v := c.connect("cinfo")
	open := openArgs(v, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	r = c.compound(putfh(d), open, putfh(d), change).mustOK(t)
	check("OPEN create", r.Res[1].Open.Resok4.Cinfo, changeOf(r), true)
	v.openSeq++
	open = openArgs(v, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0)
	r = c.compound(putfh(d), open, putfh(d), change).mustOK(t)
	check("OPEN of an existing file", r.Res[1].Open.Resok4.Cinfo, changeOf(r), false)
	v.openSeq++
	link := wire.NfsArgop4{Argop: wire.OP_LINK, Link: wire.LINK4args{Newname: "g"}}
	r = c.compound(putfh(d), lookup("f"), savefh(), putfh(d), link, change).mustOK(t)
	check("LINK", r.Res[4].Link.Resok4.Cinfo, changeOf(r), true)
	r = c.compound(putfh(d), savefh(), putfh(ex), rename("g", "h"), getattr(wire.FATTR4_CHANGE)).mustOK(t)
	exAfter := changeOf(r)
	r2 := c.compound(putfh(d), change).mustOK(t)
	ri := r.Res[3].Rename.Resok4
	check("RENAME source", ri.SourceCinfo, changeOf(r2), true)
	check("RENAME target", ri.TargetCinfo, exAfter, true)
	r = c.compound(putfh(d), remove("f"), change).mustOK(t)
	check("REMOVE", r.Res[1].Remove.Resok4.Cinfo, changeOf(r), true)
}

// TestPrograms: Programs lists what Register serves.
func TestPrograms(t *testing.T) {
	mux := rpc.NewServeMux()
	(&Server{}).Register(mux)
	if got := rpctest.Registered(mux); !slices.Equal(got, Programs()) {
		t.Fatalf("registered %v, Programs() %v", got, Programs())
	}
}

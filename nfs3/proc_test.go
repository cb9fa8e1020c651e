package nfs3

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
)

func TestStatusTableTotal(t *testing.T) {
	seen := map[wire.NFSStat3]store.Code{}
	for _, c := range store.Codes() {
		st := codeStatus(c)
		if st == wire.NFS3_OK || st == wire.NFS3ERR_SERVERFAULT {
			t.Errorf("store code %d (%v) maps to %d", c, c, st)
		}
		seen[st] = c
		if got := statusOf(store.NewError(c, "op", "x", nil)); got != st {
			t.Errorf("statusOf(%v) = %d, want %d", c, got, st)
		}
	}
	if statusOf(nil) != wire.NFS3_OK {
		t.Error("nil error is not NFS3_OK")
	}
	if statusOf(errors.New("other")) != wire.NFS3ERR_IO {
		t.Error("a foreign error is not NFS3ERR_IO")
	}
}

func TestNull(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(0, 0)
	c.call(wire.NFSPROC3_NULL, nil, nil)
	if err := c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_NULL, nil, nil); err != nil {
		t.Fatal(err)
	}
	var re *rpc.ReplyError
	if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 22, nil, nil); !errors.As(err, &re) || re.Accept != rpc.PROC_UNAVAIL {
		t.Fatalf("proc 22: %v", err)
	}
	if err := c.c.Call(context.Background(), NFSProgram, 2, 0, nil, nil); !errors.As(err, &re) || re.Accept != rpc.PROG_MISMATCH || re.Low != 3 || re.High != 3 {
		t.Fatalf("NFSv2: %v", err)
	}
}

// TestProcedures runs every NFSv3 procedure on its success path and the
// main error paths RFC 1813 names for it.
func TestProcedures(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	root := c.mount("/export")

	// GETATTR
	a, st := c.getattr(root)
	wantStatus(t, "GETATTR root", st, wire.NFS3_OK)
	if a.Type != wire.NF3DIR || a.FSID != uint64(ts.tab.Lookup("/export").ID) {
		t.Fatalf("root attrs %+v", a)
	}

	// MKDIR, and EXIST on a second one.
	d, st := c.mkdir(root, "d")
	wantStatus(t, "MKDIR", st, wire.NFS3_OK)
	if _, st := c.mkdir(root, "d"); st != wire.NFS3ERR_EXIST {
		t.Fatalf("MKDIR existing: %d", st)
	}

	// CREATE: guarded, guarded again (EXIST), unchecked on the existing
	// file, exclusive twice with the same verifier, and with another.
	res, f := c.create(d, "f", wire.Createhow3{Mode: wire.GUARDED, ObjAttributes: wire.Sattr3{Mode: wire.SetMode3{SetIt: true, Mode: 0o640}}})
	wantStatus(t, "CREATE guarded", res.Status, wire.NFS3_OK)
	if !res.Resok.ObjAttributes.AttributesFollow || res.Resok.ObjAttributes.Attributes.Mode != 0o640 || res.Resok.ObjAttributes.Attributes.UID != 1000 {
		t.Fatalf("CREATE attrs %+v", res.Resok.ObjAttributes)
	}
	if !res.Resok.DirWcc.Before.AttributesFollow || !res.Resok.DirWcc.After.AttributesFollow {
		t.Fatalf("CREATE wcc %+v", res.Resok.DirWcc)
	}
	if res, _ := c.create(d, "f", wire.Createhow3{Mode: wire.GUARDED}); res.Status != wire.NFS3ERR_EXIST || !res.Resfail.After.AttributesFollow {
		t.Fatalf("CREATE guarded existing: %+v", res)
	}
	if res, h := c.create(d, "f", wire.Createhow3{Mode: wire.UNCHECKED}); res.Status != wire.NFS3_OK || !bytes.Equal(h, f) {
		t.Fatalf("CREATE unchecked existing: %d", res.Status)
	}
	verf := wire.Createverf3{1, 2, 3, 4, 5, 6, 7, 8}
	res1, x1 := c.create(d, "x", wire.Createhow3{Mode: wire.EXCLUSIVE, Verf: verf})
	res2, x2 := c.create(d, "x", wire.Createhow3{Mode: wire.EXCLUSIVE, Verf: verf})
	if res1.Status != wire.NFS3_OK || res2.Status != wire.NFS3_OK || !bytes.Equal(x1, x2) {
		t.Fatalf("CREATE exclusive retransmission: %d %d", res1.Status, res2.Status)
	}
	if res, _ := c.create(d, "x", wire.Createhow3{Mode: wire.EXCLUSIVE, Verf: wire.Createverf3{9}}); res.Status != wire.NFS3ERR_EXIST {
		t.Fatalf("CREATE exclusive other verifier: %d", res.Status)
	}

	// LOOKUP, including "." and ".." and ".." of the export root.
	if h, st := c.lookup(d, "f"); st != wire.NFS3_OK || !bytes.Equal(h, f) {
		t.Fatalf("LOOKUP f: %d", st)
	}
	if _, st := c.lookup(d, "nope"); st != wire.NFS3ERR_NOENT {
		t.Fatalf("LOOKUP missing: %d", st)
	}
	if _, st := c.lookup(f, "x"); st != wire.NFS3ERR_NOTDIR {
		t.Fatalf("LOOKUP in a file: %d", st)
	}
	if h, st := c.lookup(d, ".."); st != wire.NFS3_OK || !bytes.Equal(h, root) {
		t.Fatalf("LOOKUP ..: %d", st)
	}
	if h, st := c.lookup(root, ".."); st != wire.NFS3_OK || !bytes.Equal(h, root) {
		t.Fatalf("LOOKUP .. of the root: %d", st)
	}

	// ACCESS
	var acc wire.ACCESS3res
	c.call(wire.NFSPROC3_ACCESS, &wire.ACCESS3args{Object: fh(f), Access: 0x3f}, &acc)
	if acc.Status != wire.NFS3_OK || acc.Resok.Access != wire.ACCESS3_READ|wire.ACCESS3_MODIFY|wire.ACCESS3_EXTEND {
		t.Fatalf("ACCESS file: %+v", acc)
	}
	other := ts.dial(2000, 2000)
	other.call(wire.NFSPROC3_ACCESS, &wire.ACCESS3args{Object: fh(f), Access: 0x3f}, &acc)
	if acc.Status != wire.NFS3_OK || acc.Resok.Access != 0 {
		t.Fatalf("ACCESS file by other (mode 0640): %+v", acc)
	}
	c.call(wire.NFSPROC3_ACCESS, &wire.ACCESS3args{Object: fh(d), Access: 0x3f}, &acc)
	if acc.Resok.Access != 0x1f {
		t.Fatalf("ACCESS dir: %#x", acc.Resok.Access)
	}

	// WRITE with each stability, and the verifier.
	verifier := wire.Writeverf3(ts.fs.WriteVerifier())
	for i, how := range []wire.StableHow{wire.UNSTABLE, wire.DATA_SYNC, wire.FILE_SYNC} {
		w := c.write(f, uint64(i*5), []byte("hello"), how)
		wantStatus(t, "WRITE", w.Status, wire.NFS3_OK)
		want := wire.FILE_SYNC
		if how == wire.UNSTABLE {
			want = wire.UNSTABLE
		}
		if w.Resok.Count != 5 || w.Resok.Committed != want || w.Resok.Verf != verifier {
			t.Fatalf("WRITE %d: %+v", how, w.Resok)
		}
		if !w.Resok.FileWcc.Before.AttributesFollow || w.Resok.FileWcc.Before.Attributes.Size != wire.Size3(i*5) ||
			w.Resok.FileWcc.After.Attributes.Size != wire.Size3(i*5+5) {
			t.Fatalf("WRITE wcc: %+v", w.Resok.FileWcc)
		}
	}
	if w := c.write(d, 0, []byte("x"), wire.FILE_SYNC); w.Status != wire.NFS3ERR_ISDIR {
		t.Fatalf("WRITE to a directory: %d", w.Status)
	}
	if w := other.write(f, 0, []byte("x"), wire.FILE_SYNC); w.Status != wire.NFS3ERR_ACCES {
		t.Fatalf("WRITE without permission: %d", w.Status)
	}

	// READ, short at EOF, and past EOF.
	r := c.read(f, 0, 100)
	if r.Status != wire.NFS3_OK || string(r.Resok.Data) != "hellohellohello" || !r.Resok.EOF || r.Resok.Count != 15 {
		t.Fatalf("READ: %+v", r)
	}
	if r := c.read(f, 5, 5); string(r.Resok.Data) != "hello" || r.Resok.EOF {
		t.Fatalf("READ middle: %+v", r)
	}
	if r := c.read(f, 100, 5); r.Status != wire.NFS3_OK || r.Resok.Count != 0 || !r.Resok.EOF {
		t.Fatalf("READ past EOF: %+v", r)
	}
	if r := c.read(d, 0, 5); r.Status != wire.NFS3ERR_ISDIR {
		t.Fatalf("READ of a directory: %d", r.Status)
	}
	if r := other.read(f, 0, 5); r.Status != wire.NFS3ERR_ACCES {
		t.Fatalf("READ without permission: %d", r.Status)
	}

	// COMMIT
	var cm wire.COMMIT3res
	c.call(wire.NFSPROC3_COMMIT, &wire.COMMIT3args{File: fh(f)}, &cm)
	if cm.Status != wire.NFS3_OK || cm.Resok.Verf != verifier || !cm.Resok.FileWcc.After.AttributesFollow {
		t.Fatalf("COMMIT: %+v", cm)
	}
	c.call(wire.NFSPROC3_COMMIT, &wire.COMMIT3args{File: fh(d)}, &cm)
	if cm.Status != wire.NFS3ERR_ISDIR {
		t.Fatalf("COMMIT of a directory: %d", cm.Status)
	}

	// SETATTR: size and mode; the ctime guard; a permission error.
	a, _ = c.getattr(f)
	var sres wire.SETATTR3res
	c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(f),
		NewAttributes: wire.Sattr3{Size: wire.SetSize3{SetIt: true, Size: 3}, Mode: wire.SetMode3{SetIt: true, Mode: 0o600}},
		Guard:         wire.SattrGuard3{Check: true, ObjCtime: a.Ctime}}, &sres)
	if sres.Status != wire.NFS3_OK || sres.ObjWcc.After.Attributes.Size != 3 || sres.ObjWcc.After.Attributes.Mode != 0o600 ||
		sres.ObjWcc.Before.Attributes.Size != 15 {
		t.Fatalf("SETATTR: %+v", sres)
	}
	c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(f),
		NewAttributes: wire.Sattr3{Size: wire.SetSize3{SetIt: true, Size: 0}},
		Guard:         wire.SattrGuard3{Check: true, ObjCtime: a.Ctime}}, &sres)
	if sres.Status != wire.NFS3ERR_NOT_SYNC || sres.ObjWcc.After.Attributes.Size != 3 {
		t.Fatalf("SETATTR with a stale guard: %+v", sres)
	}
	other.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(f), NewAttributes: wire.Sattr3{Mode: wire.SetMode3{SetIt: true, Mode: 0o777}}}, &sres)
	if sres.Status != wire.NFS3ERR_PERM {
		t.Fatalf("SETATTR mode by non-owner: %d", sres.Status)
	}
	c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(f), NewAttributes: wire.Sattr3{
		Mtime: wire.SetMtime{SetIt: wire.SET_TO_CLIENT_TIME, Mtime: wire.NFSTime3{Seconds: 1000, Nseconds: 5}},
		Atime: wire.SetAtime{SetIt: wire.SET_TO_SERVER_TIME}}}, &sres)
	if sres.Status != wire.NFS3_OK || sres.ObjWcc.After.Attributes.Mtime != (wire.NFSTime3{Seconds: 1000, Nseconds: 5}) {
		t.Fatalf("SETATTR times: %+v", sres)
	}

	// SYMLINK and READLINK; READLINK of a file is INVAL.
	var cres wire.CREATE3res
	c.call(wire.NFSPROC3_SYMLINK, &wire.SYMLINK3args{Where: wire.DiropArgs3{Dir: fh(d), Name: "l"}, Symlink: wire.Symlinkdata3{SymlinkData: "f"}}, &cres)
	wantStatus(t, "SYMLINK", cres.Status, wire.NFS3_OK)
	l := append([]byte(nil), cres.Resok.Obj.Handle.Data...)
	var rl wire.READLINK3res
	c.call(wire.NFSPROC3_READLINK, &wire.READLINK3args{Symlink: fh(l)}, &rl)
	if rl.Status != wire.NFS3_OK || rl.Resok.Data != "f" || rl.Resok.SymlinkAttributes.Attributes.Type != wire.NF3LNK {
		t.Fatalf("READLINK: %+v", rl)
	}
	c.call(wire.NFSPROC3_READLINK, &wire.READLINK3args{Symlink: fh(f)}, &rl)
	if rl.Status != wire.NFS3ERR_INVAL {
		t.Fatalf("READLINK of a file: %d", rl.Status)
	}

	// MKNOD: a FIFO; a regular file is BADTYPE; a device needs privilege.
	c.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: wire.DiropArgs3{Dir: fh(d), Name: "p"}, What: wire.Mknoddata3{Type: wire.NF3FIFO}}, &cres)
	if cres.Status != wire.NFS3_OK || cres.Resok.ObjAttributes.Attributes.Type != wire.NF3FIFO {
		t.Fatalf("MKNOD fifo: %+v", cres)
	}
	c.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: wire.DiropArgs3{Dir: fh(d), Name: "r"}, What: wire.Mknoddata3{Type: wire.NF3REG}}, &cres)
	wantStatus(t, "MKNOD regular", cres.Status, wire.NFS3ERR_BADTYPE)
	c.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: wire.DiropArgs3{Dir: fh(d), Name: "c"}, What: wire.Mknoddata3{Type: wire.NF3CHR, Device: wire.Devicedata3{Spec: wire.Specdata3{Specdata1: 1, Specdata2: 3}}}}, &cres)
	wantStatus(t, "MKNOD chr unprivileged", cres.Status, wire.NFS3ERR_PERM)
	rootc := ts.dial(0, 0)
	rootc.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: wire.DiropArgs3{Dir: fh(d), Name: "c"}, What: wire.Mknoddata3{Type: wire.NF3CHR, Device: wire.Devicedata3{Spec: wire.Specdata3{Specdata1: 1, Specdata2: 3}}}}, &cres)
	if cres.Status != wire.NFS3_OK || cres.Resok.ObjAttributes.Attributes.Rdev != (wire.Specdata3{Specdata1: 1, Specdata2: 3}) {
		t.Fatalf("MKNOD chr as root: %+v", cres)
	}

	// LINK, and LINK of a directory.
	var lres wire.LINK3res
	c.call(wire.NFSPROC3_LINK, &wire.LINK3args{File: fh(f), Link: wire.DiropArgs3{Dir: fh(root), Name: "hard"}}, &lres)
	if lres.Status != wire.NFS3_OK || lres.FileAttributes.Attributes.Nlink != 2 || !lres.LinkdirWcc.After.AttributesFollow {
		t.Fatalf("LINK: %+v", lres)
	}
	c.call(wire.NFSPROC3_LINK, &wire.LINK3args{File: fh(d), Link: wire.DiropArgs3{Dir: fh(root), Name: "dl"}}, &lres)
	if lres.Status == wire.NFS3_OK {
		t.Fatal("LINK of a directory succeeded")
	}

	// RENAME within and across directories; missing source.
	var rn wire.RENAME3res
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "hard"}, To: wire.DiropArgs3{Dir: fh(d), Name: "moved"}}, &rn)
	if rn.Status != wire.NFS3_OK || !rn.FromdirWcc.Before.AttributesFollow || !rn.TodirWcc.After.AttributesFollow {
		t.Fatalf("RENAME: %+v", rn)
	}
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "hard"}, To: wire.DiropArgs3{Dir: fh(d), Name: "moved"}}, &rn)
	wantStatus(t, "RENAME missing", rn.Status, wire.NFS3ERR_NOENT)
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "d"}, To: wire.DiropArgs3{Dir: fh(d), Name: "sub"}}, &rn)
	wantStatus(t, "RENAME into its own subtree", rn.Status, wire.NFS3ERR_INVAL)

	// REMOVE and RMDIR.
	if r := c.remove(d, "moved"); r.Status != wire.NFS3_OK || !r.DirWcc.Before.AttributesFollow || !r.DirWcc.After.AttributesFollow {
		t.Fatalf("REMOVE: %+v", r)
	}
	if r := c.remove(d, "moved"); r.Status != wire.NFS3ERR_NOENT {
		t.Fatalf("REMOVE missing: %d", r.Status)
	}
	var rm wire.WccRes
	c.call(wire.NFSPROC3_RMDIR, &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(root), Name: "d"}}, &rm)
	wantStatus(t, "RMDIR not empty", rm.Status, wire.NFS3ERR_NOTEMPTY)
	if r := c.remove(root, "d"); r.Status != wire.NFS3ERR_ISDIR {
		t.Fatalf("REMOVE of a directory: %d", r.Status)
	}
	e, _ := c.mkdir(root, "empty")
	_ = e
	c.call(wire.NFSPROC3_RMDIR, &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(root), Name: "empty"}}, &rm)
	wantStatus(t, "RMDIR", rm.Status, wire.NFS3_OK)
	c.call(wire.NFSPROC3_RMDIR, &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(d), Name: "f"}}, &rm)
	wantStatus(t, "RMDIR of a file", rm.Status, wire.NFS3ERR_NOTDIR)

	// READDIR and READDIRPLUS list ".", ".." and the entries.
	rd := c.readdir(d, 0, wire.Cookieverf3{}, 4096)
	if rd.Status != wire.NFS3_OK || !rd.Resok.Reply.EOF {
		t.Fatalf("READDIR: %+v", rd)
	}
	var names []string
	for _, en := range rd.Resok.Reply.Entries {
		names = append(names, string(en.Name))
	}
	slices.Sort(names)
	if want := []string{".", "..", "c", "f", "l", "p", "x"}; !slices.Equal(names, want) {
		t.Fatalf("READDIR names %v, want %v", names, want)
	}
	rp := c.readdirplus(d, 0, wire.Cookieverf3{}, 4096, 65536)
	if rp.Status != wire.NFS3_OK || len(rp.Resok.Reply.Entries) != 7 || !rp.Resok.Reply.EOF {
		t.Fatalf("READDIRPLUS: %+v", rp)
	}
	for _, en := range rp.Resok.Reply.Entries {
		h, _ := c.lookup(d, string(en.Name))
		if !en.NameHandle.HandleFollows || !bytes.Equal(en.NameHandle.Handle.Data, h) || uint64(en.NameAttributes.Attributes.Fileid) != uint64(en.Fileid) {
			t.Fatalf("READDIRPLUS entry %s: handle or attributes differ from LOOKUP", en.Name)
		}
	}
	if rd := c.readdir(f, 0, wire.Cookieverf3{}, 4096); rd.Status != wire.NFS3ERR_NOTDIR {
		t.Fatalf("READDIR of a file: %d", rd.Status)
	}

	// FSSTAT, FSINFO, PATHCONF.
	var fsst wire.FSSTAT3res
	c.call(wire.NFSPROC3_FSSTAT, &wire.FSSTAT3args{FSRoot: fh(root)}, &fsst)
	if fsst.Status != wire.NFS3_OK || fsst.Resok.Tbytes == 0 || fsst.Resok.Afiles == 0 {
		t.Fatalf("FSSTAT: %+v", fsst)
	}
	var fi wire.FSINFO3res
	c.call(wire.NFSPROC3_FSINFO, &wire.FSSTAT3args{FSRoot: fh(root)}, &fi)
	if fi.Status != wire.NFS3_OK || fi.Resok.Rtmax != 1<<20 || fi.Resok.Wtmax != 1<<20 || fi.Resok.Dtpref == 0 ||
		fi.Resok.Properties&(wire.FSF3_LINK|wire.FSF3_SYMLINK|wire.FSF3_CANSETTIME) == 0 || fi.Resok.TimeDelta != (wire.NFSTime3{Nseconds: 1}) {
		t.Fatalf("FSINFO: %+v", fi)
	}
	var pc wire.PATHCONF3res
	c.call(wire.NFSPROC3_PATHCONF, &wire.FSSTAT3args{FSRoot: fh(root)}, &pc)
	if pc.Status != wire.NFS3_OK || pc.Resok.NameMax != 255 || !pc.Resok.NoTrunc || !pc.Resok.CasePreserving {
		t.Fatalf("PATHCONF: %+v", pc)
	}
}

// TestHostileInput sends what RFC 1813 §3.3 and the issue call hostile:
// bad handles, bad names, counts beyond the limits, stale cookies.
func TestHostileInput(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	root := c.mount("/export")
	f := c.mustCreate(root, "f")

	// Handles of the wrong length, forged, of an unknown export, stale.
	for _, h := range [][]byte{nil, root[:31], append(slices.Clone(root), 0), make([]byte, 64)} {
		if _, st := c.getattr(h); st != wire.NFS3ERR_BADHANDLE {
			t.Fatalf("GETATTR of a %d-byte handle: %d", len(h), st)
		}
	}
	for i := range handleSize {
		forged := slices.Clone(f)
		forged[i] ^= 0x40
		if _, st := c.getattr(forged); st != wire.NFS3ERR_BADHANDLE {
			t.Fatalf("GETATTR of a handle with byte %d changed: %d", i, st)
		}
	}
	var id fileHandle
	id, _ = ts.nfs.decodeHandle(f)
	var buf [handleSize]byte
	if _, st := c.getattr(ts.nfs.encodeHandle(&buf, id.export+1, id.node)); st != wire.NFS3ERR_STALE {
		t.Fatalf("GETATTR of a handle of an unknown export: %d", st)
	}
	if _, st := c.getattr(ts.nfs.encodeHandle(&buf, id.export, store.Handle{ID: id.node.ID, Gen: id.node.Gen + 1})); st != wire.NFS3ERR_STALE {
		t.Fatalf("GETATTR with a wrong generation: %d", st)
	}
	if _, st := c.getattr(ts.nfs.encodeHandle(&buf, id.export, store.Handle{ID: 1 << 40, Gen: 7})); st != wire.NFS3ERR_STALE {
		t.Fatalf("GETATTR of a node that never existed: %d", st)
	}
	otherKey, kerr := export.NewTable(context.Background(), export.Options{HandleKey: []byte("another key")})
	if kerr != nil {
		t.Fatal(kerr)
	}
	other := (&Server{Exports: otherKey}).encodeHandle(&buf, id.export, id.node)
	if _, st := c.getattr(other); st != wire.NFS3ERR_BADHANDLE {
		t.Fatalf("GETATTR of a handle made with another key: %d", st)
	}
	c.remove(root, "f")
	if _, st := c.getattr(f); st != wire.NFS3ERR_STALE {
		t.Fatalf("GETATTR after REMOVE: %d", st)
	}
	if r := c.read(f, 0, 10); r.Status != wire.NFS3ERR_STALE {
		t.Fatalf("READ after REMOVE: %d", r.Status)
	}
	if w := c.write(f, 0, []byte("x"), wire.UNSTABLE); w.Status != wire.NFS3ERR_STALE {
		t.Fatalf("WRITE after REMOVE: %d", w.Status)
	}
	f = c.mustCreate(root, "f")
	if bytes.Equal(f, c.mustCreate(root, "g")) {
		t.Fatal("two files, one handle")
	}

	// Names with "/" or NUL, of 256 bytes, "." and "..".
	for _, n := range []struct {
		name string
		want wire.NFSStat3
	}{{"a/b", wire.NFS3ERR_INVAL}, {"a\x00b", wire.NFS3ERR_INVAL}, {strings.Repeat("n", 256), wire.NFS3ERR_NAMETOOLONG},
		{"", wire.NFS3ERR_INVAL}, {".", wire.NFS3ERR_INVAL}, {"..", wire.NFS3ERR_INVAL}} {
		if res, _ := c.create(root, n.name, wire.Createhow3{Mode: wire.GUARDED}); res.Status != n.want {
			t.Errorf("CREATE %q: %d, want %d", n.name, res.Status, n.want)
		}
		if _, st := c.mkdir(root, n.name); st != n.want {
			t.Errorf("MKDIR %q: %d, want %d", n.name, st, n.want)
		}
		if n.name != "." && n.name != ".." {
			if _, st := c.lookup(root, n.name); st != n.want {
				t.Errorf("LOOKUP %q: %d, want %d", n.name, st, n.want)
			}
		}
	}
	if res, _ := c.create(root, strings.Repeat("n", 255), wire.Createhow3{Mode: wire.GUARDED}); res.Status != wire.NFS3_OK {
		t.Errorf("CREATE of a 255-byte name: %d", res.Status)
	}
	// A name longer than the wire bound is GARBAGE_ARGS.
	var re *rpc.ReplyError
	err := c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_LOOKUP,
		&wire.LOOKUP3args{What: wire.DiropArgs3{Dir: fh(root), Name: wire.Filename3(strings.Repeat("n", wire.MaxWireName+1))}}, &wire.LOOKUP3res{})
	if !errors.As(err, &re) || re.Accept != rpc.GARBAGE_ARGS {
		t.Fatalf("LOOKUP of a %d-byte name: %v", wire.MaxWireName+1, err)
	}

	// READ and WRITE counts beyond the limits.
	data := bytes.Repeat([]byte("z"), 1<<20+4096)
	w := c.write(f, 0, data, wire.FILE_SYNC)
	if w.Status != wire.NFS3_OK || w.Resok.Count != 1<<20 {
		t.Fatalf("WRITE of more than wtmax: %d count %d", w.Status, w.Resok.Count)
	}
	if w := c.write(f, 1<<20, []byte("tail"), wire.UNSTABLE); w.Status != wire.NFS3_OK {
		t.Fatalf("WRITE tail: %d", w.Status)
	}
	var wres wire.WRITE3res
	c.call(wire.NFSPROC3_WRITE, &wire.WRITE3args{File: fh(f), Count: 10, Data: []byte("abc")}, &wres)
	wantStatus(t, "WRITE count beyond data", wres.Status, wire.NFS3ERR_INVAL)
	c.call(wire.NFSPROC3_WRITE, &wire.WRITE3args{File: fh(f), Offset: 1 << 63, Count: 3, Data: []byte("abc")}, &wres)
	wantStatus(t, "WRITE at offset 2^63", wres.Status, wire.NFS3ERR_FBIG)
	c.call(wire.NFSPROC3_WRITE, &wire.WRITE3args{File: fh(f), Count: 1, Stable: 7, Data: []byte("a")}, &wres)
	wantStatus(t, "WRITE with a bad stable_how", wres.Status, wire.NFS3ERR_INVAL)
	if r := c.read(f, 0, 1<<31); r.Status != wire.NFS3_OK || r.Resok.Count != 1<<20 || len(r.Resok.Data) != 1<<20 || r.Resok.EOF {
		t.Fatalf("READ of 2 GiB: %d count %d eof %v", r.Status, r.Resok.Count, r.Resok.EOF)
	}
	if r := c.read(f, 1<<63+5, 10); r.Status != wire.NFS3_OK || r.Resok.Count != 0 || !r.Resok.EOF {
		t.Fatalf("READ at offset beyond 2^63: %+v", r.Status)
	}

	// Stale and forged cookies, a wrong verifier, counts too small.
	for i := range 10 {
		c.mustCreate(root, "e"+string(rune('0'+i)))
	}
	rd := c.readdir(root, 0, wire.Cookieverf3{}, 4096)
	wantStatus(t, "READDIR", rd.Status, wire.NFS3_OK)
	verf := rd.Resok.Cookieverf
	last := uint64(rd.Resok.Reply.Entries[len(rd.Resok.Reply.Entries)-1].Cookie)
	if r := c.readdir(root, last+1000, verf, 4096); r.Status != wire.NFS3ERR_BAD_COOKIE || !r.Resfail.AttributesFollow {
		t.Fatalf("READDIR with a cookie never handed out: %d", r.Status)
	}
	if r := c.readdir(root, last, wire.Cookieverf3{9, 9}, 4096); r.Status != wire.NFS3ERR_BAD_COOKIE {
		t.Fatalf("READDIR with a wrong verifier: %d", r.Status)
	}
	if r := c.readdirplus(root, last+1000, verf, 4096, 8192); r.Status != wire.NFS3ERR_BAD_COOKIE {
		t.Fatalf("READDIRPLUS with a cookie never handed out: %d", r.Status)
	}
	if r := c.readdir(root, 0, verf, 20); r.Status != wire.NFS3ERR_TOOSMALL {
		t.Fatalf("READDIR count 20: %d", r.Status)
	}
	if r := c.readdirplus(root, 0, verf, 4096, 150); r.Status != wire.NFS3ERR_TOOSMALL {
		t.Fatalf("READDIRPLUS maxcount 150: %d", r.Status)
	}
	if r := c.readdir(root, 0, verf, 1<<31); r.Status != wire.NFS3_OK || !r.Resok.Reply.EOF {
		t.Fatalf("READDIR count 2 GiB: %d", r.Status)
	}

	// Arguments that do not decode are GARBAGE_ARGS, never a panic.
	err = c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_WRITE, raw{1, 2, 3}, nil)
	if !errors.As(err, &re) || re.Accept != rpc.GARBAGE_ARGS {
		t.Fatalf("WRITE with 3 bytes of arguments: %v", err)
	}
}

// raw is arguments sent as they are.
type raw []byte

func (r raw) MarshalXDR(e *xdrEncoder) {
	for i := 0; i+4 <= len(r); i += 4 {
		e.Uint32(uint32(r[i])<<24 | uint32(r[i+1])<<16 | uint32(r[i+2])<<8 | uint32(r[i+3]))
	}
	if n := len(r) % 4; n != 0 {
		var w [4]byte
		copy(w[:], r[len(r)-n:])
		e.Uint32(uint32(w[0])<<24 | uint32(w[1])<<16 | uint32(w[2])<<8 | uint32(w[3]))
	}
}
func (r raw) SizeXDR() int { return (len(r) + 3) &^ 3 }

// The wcc_data of a directory change is the directory's attributes just
// before and just after it: the post-operation attributes are what a
// GETATTR shows next and the pre-operation ones what it showed before; a
// failed change answers the unchanged attributes as both.
func TestDirWcc(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(0, 0)
	root := c.mount("/export")
	c.mustCreate(root, "f")
	before, st := c.getattr(root)
	if st != wire.NFS3_OK {
		t.Fatal(st)
	}
	res := c.remove(root, "f")
	if res.Status != wire.NFS3_OK {
		t.Fatal(res.Status)
	}
	after, _ := c.getattr(root)
	w := res.DirWcc
	if !w.Before.AttributesFollow || w.Before.Attributes.Mtime != before.Mtime || w.Before.Attributes.Ctime != before.Ctime ||
		w.Before.Attributes.Size != before.Size {
		t.Errorf("REMOVE pre-op %+v, the directory before %+v", w.Before, before)
	}
	if !w.After.AttributesFollow || w.After.Attributes != after {
		t.Errorf("REMOVE post-op %+v, the directory after %+v", w.After, after)
	}
	if w.After.Attributes.Ctime == before.Ctime {
		t.Errorf("REMOVE did not change the directory's ctime")
	}
	res = c.remove(root, "f")
	w = res.DirWcc
	if res.Status != wire.NFS3ERR_NOENT || !w.Before.AttributesFollow || !w.After.AttributesFollow ||
		w.After.Attributes != after || w.Before.Attributes.Ctime != after.Ctime || w.Before.Attributes.Mtime != after.Mtime {
		t.Errorf("failed REMOVE: %v, wcc %+v, the directory %+v", res.Status, w, after)
	}
}

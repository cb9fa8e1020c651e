package nfs3

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/store"
)

// TestExportRulesOnEveryCall checks that the rules of an export apply to
// every NFS call, not only to MNT: a handle obtained under one rule is
// judged again under the rule of whoever presents it.
func TestExportRulesOnEveryCall(t *testing.T) {
	fsys := newFS(t)
	ts := startServer(t, fsys, `
/rw   *(rw,insecure,no_root_squash)
/ro   *(ro,insecure,path=/)
/none 10.0.0.0/8(rw,insecure)
/krb  *(rw,insecure,sec=krb5p)
/secure *(rw)
/squash *(rw,insecure,root_squash,anonuid=4242,anongid=4343)
/all *(rw,insecure,all_squash,anonuid=77,anongid=78)
`)
	c := ts.dial(0, 0)
	rw := c.mount("/rw")
	f := c.mustCreate(rw, "f")
	if w := c.write(f, 0, []byte("data"), wire.FILE_SYNC); w.Status != wire.NFS3_OK {
		t.Fatal(w.Status)
	}

	// A read-only export of the same directory: reads work, every change
	// is NFS3ERR_ROFS, ACCESS grants no modify bits.
	ro := c.mount("/ro")
	rof, st := c.lookup(ro, "f")
	wantStatus(t, "LOOKUP on ro", st, wire.NFS3_OK)
	if bytes.Equal(rof, f) {
		t.Fatal("the same file has the same handle in two exports")
	}
	if r := c.read(rof, 0, 4); string(r.Resok.Data) != "data" {
		t.Fatalf("READ on ro: %+v", r)
	}
	if w := c.write(rof, 0, []byte("x"), wire.FILE_SYNC); w.Status != wire.NFS3ERR_ROFS || !w.Resfail.After.AttributesFollow {
		t.Fatalf("WRITE on ro: %d", w.Status)
	}
	if res, _ := c.create(ro, "g", wire.Createhow3{Mode: wire.GUARDED}); res.Status != wire.NFS3ERR_ROFS {
		t.Fatalf("CREATE on ro: %d", res.Status)
	}
	if _, st := c.mkdir(ro, "g"); st != wire.NFS3ERR_ROFS {
		t.Fatalf("MKDIR on ro: %d", st)
	}
	if r := c.remove(ro, "f"); r.Status != wire.NFS3ERR_ROFS {
		t.Fatalf("REMOVE on ro: %d", r.Status)
	}
	var sres wire.SETATTR3res
	c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(rof), NewAttributes: wire.Sattr3{Mode: wire.SetMode3{SetIt: true, Mode: 0}}}, &sres)
	wantStatus(t, "SETATTR on ro", sres.Status, wire.NFS3ERR_ROFS)
	var rn wire.RENAME3res
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(ro), Name: "f"}, To: wire.DiropArgs3{Dir: fh(ro), Name: "g"}}, &rn)
	wantStatus(t, "RENAME on ro", rn.Status, wire.NFS3ERR_ROFS)
	var acc wire.ACCESS3res
	c.call(wire.NFSPROC3_ACCESS, &wire.ACCESS3args{Object: fh(rof), Access: 0x3f}, &acc)
	if acc.Resok.Access != wire.ACCESS3_READ {
		t.Fatalf("ACCESS on ro: %#x", acc.Resok.Access)
	}
	// Handles of two exports do not mix.
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(rw), Name: "f"}, To: wire.DiropArgs3{Dir: fh(ro), Name: "g"}}, &rn)
	wantStatus(t, "RENAME across exports", rn.Status, wire.NFS3ERR_XDEV)

	// An export for 10/8 only: MNT and every call with a handle of it
	// (made by the server for someone else) are refused.
	var mres wire.Mountres3
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/none"}, &mres)
	wantStatus(t, "MNT /none", wire.NFSStat3(mres.Status), wire.NFSStat3(wire.MNT3ERR_ACCES))
	var buf [handleSize]byte
	noneRoot := ts.nfs.encodeHandle(&buf, ts.tab.Lookup("/none").ID, fsys.Root())
	if _, st := c.getattr(noneRoot); st != wire.NFS3ERR_ACCES {
		t.Fatalf("GETATTR on an export not for this client: %d", st)
	}

	// An export that wants krb5p: AUTH_SYS calls are denied AUTH_TOOWEAK.
	krbRoot := ts.nfs.encodeHandle(&buf, ts.tab.Lookup("/krb").ID, fsys.Root())
	var re *rpc.ReplyError
	err := c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_GETATTR, &wire.GETATTR3args{Object: fh(krbRoot)}, &wire.GETATTR3res{})
	if !errors.As(err, &re) || re.Accepted || re.Auth != rpc.AUTH_TOOWEAK {
		t.Fatalf("GETATTR with AUTH_SYS on a krb5p export: %v", err)
	}
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/krb"}, &mres)
	if mres.Status != wire.MNT3_OK || !slices.Equal(mres.OK.AuthFlavors, []uint32{390005}) {
		t.Fatalf("MNT /krb: %+v", mres)
	}

	// A secure export: calls from an unprivileged port are refused.
	secRoot := ts.nfs.encodeHandle(&buf, ts.tab.Lookup("/secure").ID, fsys.Root())
	err = c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_GETATTR, &wire.GETATTR3args{Object: fh(secRoot)}, &wire.GETATTR3res{})
	if !errors.As(err, &re) || re.Auth != rpc.AUTH_TOOWEAK {
		t.Fatalf("GETATTR from port >= 1024 on a secure export: %v", err)
	}
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/secure"}, &mres)
	wantStatus(t, "MNT /secure from an unprivileged port", wire.NFSStat3(mres.Status), wire.NFSStat3(wire.MNT3ERR_PERM))

	// root_squash with anonuid/anongid; all_squash.
	sq := c.mount("/squash")
	res, _ := c.create(sq, "byroot", wire.Createhow3{Mode: wire.UNCHECKED})
	if res.Status != wire.NFS3_OK || res.Resok.ObjAttributes.Attributes.UID != 4242 || res.Resok.ObjAttributes.Attributes.GID != 4343 {
		t.Fatalf("CREATE by squashed root: %+v", res)
	}
	u := ts.dial(1000, 1000)
	res, _ = u.create(sq, "byuser", wire.Createhow3{Mode: wire.UNCHECKED})
	if res.Status != wire.NFS3_OK || res.Resok.ObjAttributes.Attributes.UID != 1000 {
		t.Fatalf("CREATE by a user under root_squash: %+v", res)
	}
	all := u.mount("/all")
	res, _ = u.create(all, "squashed", wire.Createhow3{Mode: wire.UNCHECKED})
	if res.Status != wire.NFS3_OK || res.Resok.ObjAttributes.Attributes.UID != 77 || res.Resok.ObjAttributes.Attributes.GID != 78 {
		t.Fatalf("CREATE under all_squash: %+v", res)
	}
	// no_root_squash: root stays root.
	res, _ = c.create(rw, "rootfile", wire.Createhow3{Mode: wire.UNCHECKED})
	if res.Resok.ObjAttributes.Attributes.UID != 0 {
		t.Fatalf("CREATE by root with no_root_squash: uid %d", res.Resok.ObjAttributes.Attributes.UID)
	}
}

// TestExportByAddress checks that rules match the client's address: the
// same handle is accepted from 127.0.0.1 and refused once the rule names
// another address.
func TestExportByAddress(t *testing.T) {
	fsys := newFS(t)
	ts := startServer(t, fsys, "/e 127.0.0.1(rw,insecure) 10.1.2.3(ro)\n/f 127.0.0.2(rw,insecure)\n")
	c := ts.dial(0, 0)
	root := c.mount("/e")
	if _, st := c.getattr(root); st != wire.NFS3_OK {
		t.Fatal(st)
	}
	var mres wire.Mountres3
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/f"}, &mres)
	wantStatus(t, "MNT /f", wire.NFSStat3(mres.Status), wire.NFSStat3(wire.MNT3ERR_ACCES))
}

func TestMountProtocol(t *testing.T) {
	fsys := newFS(t)
	ts := startServer(t, fsys, "/export *(rw,insecure,no_root_squash)\n/other 10.0.0.0/8(ro) 192.168.0.1(rw)\n")
	c := ts.dial(0, 0)
	root := c.mount("/export")
	d, _ := c.mkdir(root, "sub")
	c.mustCreate(d, "file")

	// MNT of a directory below an export; of a file; of nothing.
	if h := c.mount("/export/sub"); !bytes.Equal(h, d) {
		t.Fatal("MNT /export/sub: another handle than LOOKUP's")
	}
	for _, p := range []struct {
		dir  string
		want wire.Mountstat3
	}{{"/export/sub/file", wire.MNT3ERR_NOTDIR}, {"/export/nope", wire.MNT3ERR_NOENT}, {"/nope", wire.MNT3ERR_NOENT}, {"relative", wire.MNT3ERR_NOENT}} {
		var res wire.Mountres3
		if err := c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: wire.Dirpath(p.dir)}, &res); err != nil {
			t.Fatal(err)
		}
		if res.Status != p.want {
			t.Errorf("MNT %s: %d, want %d", p.dir, res.Status, p.want)
		}
	}
	var res wire.Mountres3
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/export"}, &res)
	if !slices.Equal(res.OK.AuthFlavors, []uint32{1}) {
		t.Fatalf("MNT flavors %v", res.OK.AuthFlavors)
	}

	// DUMP, UMNT, UMNTALL.
	var ml wire.Mountlist
	if err := c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_DUMP, nil, &ml); err != nil {
		t.Fatal(err)
	}
	if len(ml.Mounts) != 2 || ml.Mounts[0].Hostname != "127.0.0.1" || ml.Mounts[0].Directory != "/export" || ml.Mounts[1].Directory != "/export/sub" {
		t.Fatalf("DUMP: %+v", ml)
	}
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_UMNT, &wire.MNTArgs{Dirpath: "/export"}, nil)
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_DUMP, nil, &ml)
	if len(ml.Mounts) != 1 || ml.Mounts[0].Directory != "/export/sub" {
		t.Fatalf("DUMP after UMNT: %+v", ml)
	}
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_UMNTALL, nil, nil)
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_DUMP, nil, &ml)
	if len(ml.Mounts) != 0 {
		t.Fatalf("DUMP after UMNTALL: %+v", ml)
	}

	// EXPORT
	var ex wire.Exports
	if err := c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_EXPORT, nil, &ex); err != nil {
		t.Fatal(err)
	}
	if len(ex.Exports) != 2 || ex.Exports[0].Dir != "/export" || ex.Exports[1].Dir != "/other" ||
		len(ex.Exports[1].Groups) != 2 || ex.Exports[1].Groups[0].Name != "10.0.0.0/8" || ex.Exports[1].Groups[1].Name != "192.168.0.1" {
		t.Fatalf("EXPORT: %+v", ex)
	}

	// A MOUNT-only mux serves MOUNT and not NFS.
	mux := rpc.NewServeMux()
	ts.nfs.RegisterMount(mux)
	if h, _, _, _ := mux.Handler(NFSProgram, NFSVersion); h != nil {
		t.Fatal("RegisterMount registered NFS")
	}
	if h, _, _, _ := mux.Handler(MountProgram, MountVersion); h == nil {
		t.Fatal("RegisterMount did not register MOUNT")
	}
	if got := Programs(); !slices.Equal(got, []rpc.Program{{Prog: 100003, Vers: 3}, {Prog: 100005, Vers: 3}}) {
		t.Fatalf("Programs() = %v", got)
	}
}

// TestHandlesSurviveRestart checks that handles are persistent: a new FS
// and a new Server over the same backends accept the handles of the old
// ones, and a deleted file's handle stays stale.
func TestHandlesSurviveRestart(t *testing.T) {
	meta, blocks := newBackends()
	fs1, err := store.NewFS(meta, blocks, store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	ts1 := startServer(t, fs1, exportsLine)
	c := ts1.dial(1000, 1000)
	root := c.mount("/export")
	f := c.mustCreate(root, "kept")
	gone := c.mustCreate(root, "gone")
	c.write(f, 0, []byte("committed"), wire.FILE_SYNC)
	c.remove(root, "gone")
	ts1.rpc.Close()
	fs1.Close()

	fs2, err := store.NewFS(meta, blocks, store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	ts2 := startServer(t, fs2, exportsLine)
	c2 := ts2.dial(1000, 1000)
	if r := c2.read(f, 0, 100); r.Status != wire.NFS3_OK || string(r.Resok.Data) != "committed" {
		t.Fatalf("READ after restart: %d %q", r.Status, r.Resok.Data)
	}
	if _, st := c2.getattr(gone); st != wire.NFS3ERR_STALE {
		t.Fatalf("GETATTR of a deleted file after restart: %d", st)
	}
	if h := c2.mount("/export"); !bytes.Equal(h, root) {
		t.Fatal("the root handle changed across a restart")
	}
}

// TestDuplicateRequestCache sends a REMOVE twice with the same xid, as a
// client retransmitting after a lost reply does: the second gets the
// first reply (NFS3_OK) from the duplicate cache, not NFS3ERR_NOENT.
func TestDuplicateRequestCache(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	root := c.mount("/export")
	c.mustCreate(root, "f")

	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	args := &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(root), Name: "f"}}
	for i := range 2 {
		if err := writeCall(nc, 77, wire.NFSPROC3_REMOVE, args); err != nil {
			t.Fatal(err)
		}
		var res wire.WccRes
		if err := readReply(nc, 77, &res); err != nil {
			t.Fatal(err)
		}
		if res.Status != wire.NFS3_OK {
			t.Fatalf("REMOVE #%d: %d", i+1, res.Status)
		}
	}
	// A new xid runs again.
	if err := writeCall(nc, 78, wire.NFSPROC3_REMOVE, args); err != nil {
		t.Fatal(err)
	}
	var res wire.WccRes
	if err := readReply(nc, 78, &res); err != nil || res.Status != wire.NFS3ERR_NOENT {
		t.Fatalf("REMOVE with a new xid: %v %d", err, res.Status)
	}
}

// TestUDP serves MOUNT and NFS over UDP: replies must fit a datagram, so
// READ, WRITE and READDIR are bounded by 32 KiB there.
func TestUDP(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	uc := rpctest.Dial(t, rpc.UDP, rpctest.StartUDP(t, ts.rpc))
	uc.Cred = rpc.EncodeAuthSys(1, "udp", 1000, 1000, nil)
	c := &client{t: t, c: uc, ts: ts}
	root := c.mount("/export")
	f := c.mustCreate(root, "f")
	w := c.write(f, 0, bytes.Repeat([]byte("u"), 40<<10), wire.FILE_SYNC)
	if w.Status != wire.NFS3_OK || w.Resok.Count != 32<<10 {
		t.Fatalf("WRITE of 40 KiB over UDP: %d count %d", w.Status, w.Resok.Count)
	}
	tcp := ts.dial(1000, 1000)
	tcp.write(f, 0, bytes.Repeat([]byte("u"), 1<<20), wire.FILE_SYNC)
	if r := c.read(f, 0, 1<<20); r.Status != wire.NFS3_OK || r.Resok.Count != 32<<10 {
		t.Fatalf("READ of 1 MiB over UDP: %d count %d", r.Status, r.Resok.Count)
	}
	var fi wire.FSINFO3res
	c.call(wire.NFSPROC3_FSINFO, &wire.FSSTAT3args{FSRoot: fh(root)}, &fi)
	if fi.Resok.Rtmax != 32<<10 || fi.Resok.Wtmax != 32<<10 {
		t.Fatalf("FSINFO over UDP: %+v", fi.Resok)
	}
	for i := range 500 {
		c.mustCreate(root, strings.Repeat("n", 200)+string(rune('a'+i%26))+strconv.Itoa(i))
	}
	if r := c.readdirplus(root, 0, wire.Cookieverf3{}, 1<<20, 1<<20); r.Status != wire.NFS3_OK || r.Resok.Reply.EOF {
		t.Fatalf("READDIRPLUS of 1 MiB over UDP: %d eof %v", r.Status, r.Resok.Reply.EOF)
	}
}

package nfs3

import (
	"bytes"
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// TestLimitErrors checks the statuses of the store's limits: NOSPC, FBIG,
// MLINK, and the RENAME and RMDIR errors of RFC 1813 §3.3.13-14.
func TestLimitErrors(t *testing.T) {
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{
		RootMode: 0o777, Capacity: 2 << 20, MaxFileSize: 4 << 20, MaxLinks: 4, MaxFiles: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ts := startServer(t, fsys, exportsLine)
	c := ts.dial(1000, 1000)
	root := c.mount("/export")
	f := c.mustCreate(root, "f")

	if w := c.write(f, 5<<20, []byte("x"), wire.FILE_SYNC); w.Status != wire.NFS3ERR_FBIG {
		t.Fatalf("WRITE past MaxFileSize: %d", w.Status)
	}
	var sres wire.SETATTR3res
	c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(f), NewAttributes: wire.Sattr3{Size: wire.SetSize3{SetIt: true, Size: 5 << 20}}}, &sres)
	wantStatus(t, "SETATTR size past MaxFileSize", sres.Status, wire.NFS3ERR_FBIG)
	d, _ := c.mkdir(root, "d")
	c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(d), NewAttributes: wire.Sattr3{Size: wire.SetSize3{SetIt: true, Size: 0}}}, &sres)
	if sres.Status != wire.NFS3ERR_ISDIR && sres.Status != wire.NFS3ERR_INVAL {
		t.Fatalf("SETATTR size of a directory: %d", sres.Status)
	}

	st := wire.NFS3_OK
	for i := range 4 {
		// Distinct blocks: identical ones are stored once.
		data := bytes.Repeat([]byte{byte('a' + i)}, 1<<20)
		if st = c.write(f, uint64(i)<<20, data, wire.FILE_SYNC).Status; st != wire.NFS3_OK {
			break
		}
	}
	wantStatus(t, "WRITE past Capacity", st, wire.NFS3ERR_NOSPC)

	var lres wire.LINK3res
	for i := range 4 {
		c.call(wire.NFSPROC3_LINK, &wire.LINK3args{File: fh(f), Link: wire.DiropArgs3{Dir: fh(root), Name: wire.Filename3("l" + string(rune('0'+i)))}}, &lres)
	}
	wantStatus(t, "LINK past MaxLinks", lres.Status, wire.NFS3ERR_MLINK)
	c.call(wire.NFSPROC3_LINK, &wire.LINK3args{File: fh(f), Link: wire.DiropArgs3{Dir: fh(root), Name: "d"}}, &lres)
	if lres.Status != wire.NFS3ERR_EXIST && lres.Status != wire.NFS3ERR_MLINK {
		t.Fatalf("LINK over an existing name: %d", lres.Status)
	}

	sub, st := c.mkdir(d, "sub")
	wantStatus(t, "MKDIR sub", st, wire.NFS3_OK)
	c.mustCreate(sub, "x")
	if _, st := c.mkdir(root, "e"); st != wire.NFS3_OK {
		t.Fatalf("MKDIR e: %d", st)
	}
	var rn wire.RENAME3res
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "e"}, To: wire.DiropArgs3{Dir: fh(d), Name: "sub"}}, &rn)
	if rn.Status != wire.NFS3ERR_NOTEMPTY && rn.Status != wire.NFS3ERR_EXIST {
		t.Fatalf("RENAME of a directory over a non-empty one: %d", rn.Status)
	}
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "f"}, To: wire.DiropArgs3{Dir: fh(root), Name: "e"}}, &rn)
	wantStatus(t, "RENAME of a file over a directory", rn.Status, wire.NFS3ERR_ISDIR)
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "e"}, To: wire.DiropArgs3{Dir: fh(root), Name: "f"}}, &rn)
	wantStatus(t, "RENAME of a directory over a file", rn.Status, wire.NFS3ERR_NOTDIR)
	c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(f), Name: "a"}, To: wire.DiropArgs3{Dir: fh(root), Name: "b"}}, &rn)
	wantStatus(t, "RENAME from a file", rn.Status, wire.NFS3ERR_NOTDIR)
	var rm wire.WccRes
	c.call(wire.NFSPROC3_RMDIR, &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(root), Name: "."}}, &rm)
	wantStatus(t, "RMDIR .", rm.Status, wire.NFS3ERR_INVAL)
	c.call(wire.NFSPROC3_RMDIR, &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(root), Name: "nope"}}, &rm)
	wantStatus(t, "RMDIR missing", rm.Status, wire.NFS3ERR_NOENT)

	for i := 0; i < 200; i++ {
		res, _ := c.create(root, "n"+string(rune('a'+i%26))+string(rune('a'+i/26)), wire.Createhow3{Mode: wire.UNCHECKED})
		if res.Status != wire.NFS3_OK {
			wantStatus(t, "CREATE past MaxFiles", res.Status, wire.NFS3ERR_NOSPC)
			return
		}
	}
	t.Fatal("MaxFiles was never reached")
}

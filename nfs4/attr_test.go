package nfs4

import (
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// crossing is the few attributes TestGetattrCrossing reads, in bit order.
type crossing struct {
	typ     wire.NfsFtype4
	fsid    wire.Fsid4
	fileid  uint64
	mounted uint64
}

func decodeCrossing(t *testing.T, f *wire.Fattr4) crossing {
	t.Helper()
	want := wire.Bitmap4{}.Set(wire.FATTR4_TYPE).Set(wire.FATTR4_FSID).Set(wire.FATTR4_FILEID).Set(wire.FATTR4_MOUNTED_ON_FILEID)
	for n := uint32(0); n < 96; n++ {
		if want.IsSet(n) != f.Attrmask.IsSet(n) {
			t.Fatalf("attribute %d: asked %v, returned %v", n, want.IsSet(n), f.Attrmask.IsSet(n))
		}
	}
	d := xdr.NewDecoder(f.AttrVals)
	var c crossing
	c.typ = wire.NfsFtype4(d.Uint32())
	c.fsid = wire.Fsid4{Major: d.Uint64(), Minor: d.Uint64()}
	c.fileid = d.Uint64()
	c.mounted = d.Uint64()
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("attribute values: %v, %d bytes left", d.Err(), d.Remaining())
	}
	return c
}

// TestGetattrCrossing checks what makes Linux see the export as a
// filesystem of its own: the fsid changes from the pseudo root to the
// export, and the export root's mounted_on_fileid is its fileid in the
// pseudo-filesystem (what READDIR of the root shows).
func TestGetattrCrossing(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	bits := []uint32{wire.FATTR4_TYPE, wire.FATTR4_FSID, wire.FATTR4_FILEID, wire.FATTR4_MOUNTED_ON_FILEID}
	r := c.compound(putrootfh(), getattr(bits...), lookup("export"), getattr(bits...), readdir(0, 1<<16)).mustOK(t)
	root := decodeCrossing(t, &r.Res[1].Getattr.Resok4.ObjAttributes)
	ex := decodeCrossing(t, &r.Res[3].Getattr.Resok4.ObjAttributes)
	if root.typ != wire.NF4DIR || ex.typ != wire.NF4DIR {
		t.Fatalf("types %v %v", root.typ, ex.typ)
	}
	if root.fsid == ex.fsid {
		t.Fatalf("the export has the pseudo root's fsid %v", root.fsid)
	}
	if ex.mounted == ex.fileid || ex.mounted != pseudoFileID("/export") {
		t.Fatalf("export root: fileid %x mounted_on_fileid %x", ex.fileid, ex.mounted)
	}
	// READDIR of the pseudo root shows the export with the same
	// mounted_on_fileid and the export's fsid.
	r = c.compound(putrootfh(), readdir(0, 1<<16, bits...)).mustOK(t)
	ents := r.last().Readdir.Resok4.Reply.Entries
	if len(ents) != 1 || ents[0].Name != "export" || !r.last().Readdir.Resok4.Reply.EOF {
		t.Fatalf("pseudo root entries: %+v", ents)
	}
	if got := decodeCrossing(t, &ents[0].Attrs); got != ex {
		t.Fatalf("READDIR entry %+v, GETATTR %+v", got, ex)
	}
}

func TestReaddirPaging(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	ex := c.exportFH()
	const n = 300
	for i := 0; i < n; i += 50 {
		ops := []wire.NfsArgop4{putfh(ex)}
		for j := i; j < i+50; j++ {
			ops = append(ops, mkdir("d"+string(rune('a'+j/26%26))+string(rune('a'+j%26))+string(rune('0'+j/676))), putfh(ex))
		}
		c.compound(ops...).mustOK(t)
	}
	seen := map[string]bool{}
	cookie, verf := uint64(0), wire.Verifier4{}
	for rounds := 0; ; rounds++ {
		if rounds > n {
			t.Fatal("READDIR does not end")
		}
		a := readdir(cookie, 1024, wire.FATTR4_FILEID)
		a.Readdir.Cookieverf = verf
		r := c.compound(putfh(ex), a).mustOK(t)
		res := r.last().Readdir.Resok4
		for _, e := range res.Reply.Entries {
			if seen[string(e.Name)] {
				t.Fatalf("%s listed twice", e.Name)
			}
			seen[string(e.Name)] = true
			cookie = uint64(e.Cookie)
		}
		verf = res.Cookieverf
		if res.Reply.EOF {
			break
		}
		if len(res.Reply.Entries) == 0 {
			t.Fatal("no entries and no EOF")
		}
	}
	if len(seen) != n {
		t.Fatalf("listed %d of %d", len(seen), n)
	}
	// Too small for one entry.
	if r := c.compound(putfh(ex), readdir(0, 20)); r.Status != wire.NFS4ERR_TOOSMALL {
		t.Fatalf("READDIR maxcount 20: %v", r.Status)
	}
	// Cookies 1 and 2 are never handed out.
	if r := c.compound(putfh(ex), readdir(1, 4096)); r.Status != wire.NFS4ERR_BAD_COOKIE {
		t.Fatalf("READDIR cookie 1: %v", r.Status)
	}
}

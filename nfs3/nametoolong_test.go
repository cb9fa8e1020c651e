package nfs3

import (
	"strings"
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
)

// TestNameTooLong: a name longer than the export's name_max (255, what
// PATHCONF reports) is NFS3ERR_NAMETOOLONG in every procedure that takes
// one (RFC 1813 §3.3.3 LOOKUP, §3.3.8 CREATE, §3.3.9 MKDIR, §3.3.10
// SYMLINK, §3.3.11 MKNOD, §3.3.12 REMOVE, §3.3.13 RMDIR, §3.3.14 RENAME,
// §3.3.15 LINK), never NFS3ERR_NOENT, whether or not the name exists.
// A name past the wire bound (wire.MaxWireName) is GARBAGE_ARGS (see
// TestProcs).
func TestNameTooLong(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(0, 0)
	root := c.mount("/export")
	f := c.mustCreate(root, "f")
	for _, long := range []string{strings.Repeat("n", 256), strings.Repeat("n", wire.MaxWireName)} {
		where := wire.DiropArgs3{Dir: fh(root), Name: wire.Filename3(long)}
		var cr wire.CREATE3res
		var wcc wire.WccRes
		var rn wire.RENAME3res
		var ln wire.LINK3res
		check := func(what string, got wire.NFSStat3) {
			t.Helper()
			if got != wire.NFS3ERR_NAMETOOLONG {
				t.Errorf("%s of a %d-byte name: %d, want NFS3ERR_NAMETOOLONG", what, len(long), got)
			}
		}
		_, st := c.lookup(root, long)
		check("LOOKUP", st)
		res, _ := c.create(root, long, wire.Createhow3{Mode: wire.UNCHECKED})
		check("CREATE", res.Status)
		_, st = c.mkdir(root, long)
		check("MKDIR", st)
		c.call(wire.NFSPROC3_SYMLINK, &wire.SYMLINK3args{Where: where, Symlink: wire.Symlinkdata3{SymlinkData: "f"}}, &cr)
		check("SYMLINK", cr.Status)
		c.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: where, What: wire.Mknoddata3{Type: wire.NF3FIFO}}, &cr)
		check("MKNOD", cr.Status)
		check("REMOVE", c.remove(root, long).Status)
		c.call(wire.NFSPROC3_RMDIR, &wire.REMOVE3args{Object: where}, &wcc)
		check("RMDIR", wcc.Status)
		c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: where, To: wire.DiropArgs3{Dir: fh(root), Name: "g"}}, &rn)
		check("RENAME from", rn.Status)
		c.call(wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "f"}, To: where}, &rn)
		check("RENAME to", rn.Status)
		c.call(wire.NFSPROC3_LINK, &wire.LINK3args{File: fh(f), Link: where}, &ln)
		check("LINK", ln.Status)
	}
}

package nfs3

import (
	"context"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// FuzzServeNFS sends arbitrary arguments to every NFS and MOUNT procedure
// of a live server. The server must answer each call (a handler panic
// would be answered SYSTEM_ERR) and keep serving.
func FuzzServeNFS(f *testing.F) {
	ts := startServer(f, newFS(f), exportsLine)
	c := ts.dial(1000, 1000)
	root := c.mount("/export")
	file := c.mustCreate(root, "f")
	c.write(file, 0, []byte("some data"), wire.FILE_SYNC)
	seeds := map[uint32]xdr.Marshaler{
		wire.NFSPROC3_GETATTR:     &wire.GETATTR3args{Object: fh(file)},
		wire.NFSPROC3_SETATTR:     &wire.SETATTR3args{Object: fh(file), NewAttributes: wire.Sattr3{Size: wire.SetSize3{SetIt: true, Size: 4}}},
		wire.NFSPROC3_LOOKUP:      &wire.LOOKUP3args{What: wire.DiropArgs3{Dir: fh(root), Name: "f"}},
		wire.NFSPROC3_ACCESS:      &wire.ACCESS3args{Object: fh(file), Access: 0x3f},
		wire.NFSPROC3_READLINK:    &wire.READLINK3args{Symlink: fh(file)},
		wire.NFSPROC3_READ:        &wire.READ3args{File: fh(file), Count: 100},
		wire.NFSPROC3_WRITE:       &wire.WRITE3args{File: fh(file), Count: 3, Data: []byte("abc")},
		wire.NFSPROC3_CREATE:      &wire.CREATE3args{Where: wire.DiropArgs3{Dir: fh(root), Name: "g"}, How: wire.Createhow3{Mode: wire.EXCLUSIVE}},
		wire.NFSPROC3_MKDIR:       &wire.MKDIR3args{Where: wire.DiropArgs3{Dir: fh(root), Name: "d"}},
		wire.NFSPROC3_SYMLINK:     &wire.SYMLINK3args{Where: wire.DiropArgs3{Dir: fh(root), Name: "l"}, Symlink: wire.Symlinkdata3{SymlinkData: "f"}},
		wire.NFSPROC3_MKNOD:       &wire.MKNOD3args{Where: wire.DiropArgs3{Dir: fh(root), Name: "p"}, What: wire.Mknoddata3{Type: wire.NF3FIFO}},
		wire.NFSPROC3_REMOVE:      &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(root), Name: "g"}},
		wire.NFSPROC3_RMDIR:       &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(root), Name: "d"}},
		wire.NFSPROC3_RENAME:      &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(root), Name: "l"}, To: wire.DiropArgs3{Dir: fh(root), Name: "m"}},
		wire.NFSPROC3_LINK:        &wire.LINK3args{File: fh(file), Link: wire.DiropArgs3{Dir: fh(root), Name: "h"}},
		wire.NFSPROC3_READDIR:     &wire.READDIR3args{Dir: fh(root), Count: 1000},
		wire.NFSPROC3_READDIRPLUS: &wire.READDIRPLUS3args{Dir: fh(root), Dircount: 500, Maxcount: 2000},
		wire.NFSPROC3_FSSTAT:      &wire.FSSTAT3args{FSRoot: fh(root)},
		wire.NFSPROC3_FSINFO:      &wire.FSSTAT3args{FSRoot: fh(root)},
		wire.NFSPROC3_PATHCONF:    &wire.FSSTAT3args{FSRoot: fh(root)},
		wire.NFSPROC3_COMMIT:      &wire.COMMIT3args{File: fh(file)},
	}
	for proc, a := range seeds {
		f.Add(false, uint8(proc), xdr.Marshal(a))
	}
	f.Add(true, uint8(wire.MOUNTPROC3_MNT), xdr.Marshal(&wire.MNTArgs{Dirpath: "/export"}))
	f.Add(true, uint8(wire.MOUNTPROC3_UMNT), xdr.Marshal(&wire.MNTArgs{Dirpath: "/export"}))
	f.Add(true, uint8(wire.MOUNTPROC3_EXPORT), []byte{})
	f.Fuzz(func(t *testing.T, mount bool, proc uint8, args []byte) {
		prog, vers := uint32(NFSProgram), uint32(NFSVersion)
		if mount {
			prog, vers = MountProgram, MountVersion
		}
		err := c.c.Call(context.Background(), prog, vers, uint32(proc%24), raw(args), nil)
		var re *rpc.ReplyError
		if errors.As(err, &re) && re.Accepted && re.Accept == rpc.SYSTEM_ERR {
			t.Fatalf("proc %d: SYSTEM_ERR (a handler panicked)", proc)
		} else if err != nil && !errors.As(err, &re) {
			t.Fatalf("proc %d: %v", proc, err)
		}
	})
}

package nfs3

import (
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
)

// TestChownByNonOwner checks SETATTR of owner and group by a caller that
// neither owns the file nor is root: NFS3ERR_PERM (RFC 1813 §3.3.2: the
// server applies its local file system's permission rules; POSIX chown and
// Linux chown_ok/chgrp_ok require the caller to own the file), even when the
// values given are the ones the file already has, on every file type, and
// the mode (setuid and setgid) is untouched after the refusal.
func TestChownByNonOwner(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	rootc := ts.dial(0, 0)
	dir := rootc.mount("/export")
	const owner, group = 1000, 50

	sattr := func(uid, gid *uint32, mode *uint32) wire.Sattr3 {
		var s wire.Sattr3
		if uid != nil {
			s.UID = wire.SetUID3{SetIt: true, UID: wire.Uid3(*uid)}
		}
		if gid != nil {
			s.GID = wire.SetGID3{SetIt: true, GID: wire.Gid3(*gid)}
		}
		if mode != nil {
			s.Mode = wire.SetMode3{SetIt: true, Mode: wire.Mode3(*mode)}
		}
		return s
	}
	u32 := func(v uint32) *uint32 { return &v }
	made := 0
	mk := func(kind string) []byte {
		t.Helper()
		made++
		name := wire.Filename3(kind + string(rune('a'+made%26)) + string(rune('a'+made/26)))
		where := wire.DiropArgs3{Dir: fh(dir), Name: name}
		var res wire.CREATE3res
		switch kind {
		case "reg":
			rootc.call(wire.NFSPROC3_CREATE, &wire.CREATE3args{Where: where, How: wire.Createhow3{Mode: wire.GUARDED}}, &res)
		case "dir":
			rootc.call(wire.NFSPROC3_MKDIR, &wire.MKDIR3args{Where: where}, &res)
		case "lnk":
			rootc.call(wire.NFSPROC3_SYMLINK, &wire.SYMLINK3args{Where: where, Symlink: wire.Symlinkdata3{SymlinkData: "target"}}, &res)
		case "fifo":
			rootc.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: where, What: wire.Mknoddata3{Type: wire.NF3FIFO}}, &res)
		case "sock":
			rootc.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: where, What: wire.Mknoddata3{Type: wire.NF3SOCK}}, &res)
		case "chr":
			rootc.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: where, What: wire.Mknoddata3{Type: wire.NF3CHR, Device: wire.Devicedata3{Spec: wire.Specdata3{Specdata1: 1, Specdata2: 3}}}}, &res)
		case "blk":
			rootc.call(wire.NFSPROC3_MKNOD, &wire.MKNOD3args{Where: where, What: wire.Mknoddata3{Type: wire.NF3BLK, Device: wire.Devicedata3{Spec: wire.Specdata3{Specdata1: 8}}}}, &res)
		}
		wantStatus(t, "create "+kind, res.Status, wire.NFS3_OK)
		h := res.Resok.Obj.Handle.Data
		var sr wire.SETATTR3res
		rootc.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(h), NewAttributes: sattr(u32(owner), u32(group), nil)}, &sr)
		wantStatus(t, "root chown", sr.Status, wire.NFS3_OK)
		if kind != "lnk" {
			m := uint32(0o6755)
			if kind == "dir" {
				m = 0o2755
			}
			rootc.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(h), NewAttributes: sattr(nil, nil, &m)}, &sr)
			wantStatus(t, "root chmod", sr.Status, wire.NFS3_OK)
		}
		return h
	}

	// bob (uid 1001) is in the file's group 50; carol (1002) is not.
	bob := ts.dial(1001, 1001, 50)
	carol := ts.dial(1002, 1002)
	alice := ts.dial(owner, owner, group)
	cases := []struct {
		who      string
		c        *client
		uid, gid *uint32
	}{
		{"non-owner in group: chown f owner:group", bob, u32(owner), u32(group)},
		{"non-owner in group: chown f owner", bob, u32(owner), nil},
		{"non-owner in group: chown f -1:group", bob, nil, u32(group)},
		{"non-owner: chown f owner:group", carol, u32(owner), u32(group)},
		{"non-owner: chgrp to own group", carol, nil, u32(1002)},
		{"non-owner: take the file", carol, u32(1002), nil},
		{"owner: give it away", alice, u32(1002), nil},
	}
	for _, kind := range []string{"reg", "dir", "lnk", "fifo", "sock", "chr", "blk"} {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.who, func(t *testing.T) {
				h := mk(kind)
				before, _ := rootc.getattr(h)
				var sr wire.SETATTR3res
				tc.c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(h), NewAttributes: sattr(tc.uid, tc.gid, nil)}, &sr)
				wantStatus(t, "SETATTR", sr.Status, wire.NFS3ERR_PERM)
				after, _ := rootc.getattr(h)
				if after.Mode != before.Mode || after.UID != owner || after.GID != group {
					t.Fatalf("refused chown changed the file: mode %o -> %o, owner %d:%d", before.Mode, after.Mode, after.UID, after.GID)
				}
			})
		}
		// the owner's no-op chown is allowed
		h := mk(kind)
		var sr wire.SETATTR3res
		alice.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(h), NewAttributes: sattr(u32(owner), u32(group), nil)}, &sr)
		wantStatus(t, kind+": owner's no-op chown", sr.Status, wire.NFS3_OK)
	}
}

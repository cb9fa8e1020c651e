package nfs4

import (
	"context"
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// TestChownByNonOwner checks SETATTR of owner and owner_group by a caller
// that neither owns the object nor is root: NFS4ERR_PERM (RFC 7530 §16.32,
// RFC 8881 §18.30: the server applies the rules of its file system; POSIX
// chown and Linux chown_ok/chgrp_ok require the caller to own the file),
// even when the strings given name the values the object already has, on
// every object type, over 4.0 and 4.1; the mode (setuid, setgid) is left
// alone by the refusal.
func TestChownByNonOwner(t *testing.T) {
	for _, minor := range []uint32{0, 1} {
		t.Run(fmt.Sprintf("4.%d", minor), func(t *testing.T) { testChownByNonOwner(t, minor) })
	}
}

func testChownByNonOwner(t *testing.T, minor uint32) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.maxMinor = 1; s.NoCallbacks = true })
	fsys := ts.fs
	root := &store.Cred{}
	const owner, group = 1000, 50
	made := 0
	mk := func(kind string) string {
		t.Helper()
		made++
		name := fmt.Sprintf("%s%d", kind, made)
		r := fsys.Root()
		var (
			h   store.Handle
			err error
		)
		switch kind {
		case "reg":
			h, _, _, err = fsys.Create(context.Background(), root, r, name, store.CreateGuarded, nil, store.Verifier{})
		case "dir":
			h, _, _, err = fsys.Mkdir(context.Background(), root, r, name, nil)
		case "lnk":
			h, _, _, err = fsys.Symlink(context.Background(), root, r, name, "target", nil)
		case "fifo":
			h, _, _, err = fsys.Mknod(context.Background(), root, r, name, store.TypeFIFO, store.Dev{}, nil)
		case "sock":
			h, _, _, err = fsys.Mknod(context.Background(), root, r, name, store.TypeSocket, store.Dev{}, nil)
		case "chr":
			h, _, _, err = fsys.Mknod(context.Background(), root, r, name, store.TypeChar, store.Dev{Major: 1, Minor: 3}, nil)
		case "blk":
			h, _, _, err = fsys.Mknod(context.Background(), root, r, name, store.TypeBlock, store.Dev{Major: 8}, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		sa := &store.SetAttr{Mask: store.SetUID | store.SetGID | store.SetMode, UID: owner, GID: group, Mode: 0o6755}
		if kind == "lnk" {
			sa.Mask &^= store.SetMode
		}
		if _, err := fsys.SetAttr(context.Background(), root, h, sa); err != nil {
			t.Fatal(err)
		}
		return name
	}
	modeOf := func(name string) store.Attr {
		t.Helper()
		_, a, err := fsys.Lookup(context.Background(), root, fsys.Root(), name)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// owner and owner_group as fattr4 values, in bit order
	chown := func(uid, gid string) wire.NfsArgop4 {
		var e xdr.Encoder
		var m wire.Bitmap4
		if uid != "" {
			m = m.Set(wire.FATTR4_OWNER)
			e.String(uid)
		}
		if gid != "" {
			m = m.Set(wire.FATTR4_OWNER_GROUP)
			e.String(gid)
		}
		return wire.NfsArgop4{Argop: wire.OP_SETATTR, Setattr: wire.SETATTR4args{
			ObjAttributes: wire.Fattr4{Attrmask: m, AttrVals: append([]byte(nil), e.Bytes()...)}}}
	}
	// call sends PUTFH(export) + LOOKUP(name) + op as the caller, after a
	// SEQUENCE in 4.1.
	type caller struct {
		c   *client
		sid wire.Sessionid4
		seq uint32
	}
	dial := func(uid, gid uint32, gids ...uint32) *caller {
		c := &caller{c: ts.dial(uid, gid, gids...)}
		c.c.minor = minor
		if minor == 1 {
			x := c.c.compound(exchangeID(fmt.Sprintf("client-%d", uid), 1, 0)).mustOK(t).Res[0].ExchangeId.Resok4
			c.sid = c.c.compound(createSession(x.Clientid, x.Sequenceid)).mustOK(t).Res[0].CreateSession.Resok4.Sessionid
		}
		return c
	}
	call := func(c *caller, name string, op wire.NfsArgop4) wire.Nfsstat4 {
		t.Helper()
		ops := []wire.NfsArgop4{putrootfh(), lookup("export"), lookup(name), op}
		if minor == 1 {
			c.seq++
			ops = append([]wire.NfsArgop4{sequence(c.sid, 0, c.seq, false)}, ops...)
		}
		return c.c.compound(ops...).Status
	}
	bob := dial(1001, 1001, 50) // in the group
	carol := dial(1002, 1002)   // not in it
	alice := dial(owner, owner, group)
	cases := []struct {
		who      string
		c        *caller
		uid, gid string
	}{
		{"non-owner in group: chown f owner:group", bob, "1000", "50"},
		{"non-owner in group: chown f owner", bob, "1000", ""},
		{"non-owner in group: chown f -1:group", bob, "", "50"},
		{"non-owner: chown f owner:group", carol, "1000", "50"},
		{"non-owner: chgrp to own group", carol, "", "1002"},
		{"non-owner: take the file", carol, "1002", ""},
		{"owner: give it away", alice, "1002", ""},
	}
	for _, kind := range []string{"reg", "dir", "lnk", "fifo", "sock", "chr", "blk"} {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.who, func(t *testing.T) {
				name := mk(kind)
				before := modeOf(name)
				if st := call(tc.c, name, chown(tc.uid, tc.gid)); st != wire.NFS4ERR_PERM {
					t.Fatalf("SETATTR: %v, want NFS4ERR_PERM", st)
				}
				after := modeOf(name)
				if after.Mode != before.Mode || after.UID != owner || after.GID != group {
					t.Fatalf("refused chown changed the file: mode %o -> %o, owner %d:%d", before.Mode, after.Mode, after.UID, after.GID)
				}
			})
		}
		name := mk(kind)
		if st := call(alice, name, chown("1000", "50")); st != wire.NFS4_OK {
			t.Errorf("%s: owner's no-op chown: %v", kind, st)
		}
	}
}

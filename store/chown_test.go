package store_test

import (
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// TestChownOwnerOnly checks the POSIX chown rules (IEEE 1003.1 chown():
// "Changing the user ID is restricted to processes with appropriate
// privileges"; the group may be changed by the owner to one of its own
// groups) as Linux applies them in chown_ok and chgrp_ok: a caller who is
// neither the owner nor privileged gets EPERM for any owner or group change,
// even one that names the values the file already has. A refused chown must
// leave the mode alone: a no-op chown that succeeded would clear the setuid
// and setgid bits of someone else's file. Every file type is covered: the
// Linux client sends SETATTR for lchown on a symlink and for chown on device
// nodes, fifos and sockets just as for files.
func TestChownOwnerOnly(t *testing.T) {
	fs := newFS(t, store.Options{})
	r := fs.Root()
	const suid = 0o6755 // setuid, setgid, group-executable
	type object struct {
		name string
		make func(name string) store.Handle
		mode uint32 // the mode after creation and the chmod below
	}
	mknod := func(typ store.FileType, dev store.Dev) func(string) store.Handle {
		return func(name string) store.Handle {
			h, _, _, err := fs.Mknod(ctx, root, r, name, typ, dev, mode(0o644))
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
	}
	objects := []object{
		{"regular", func(n string) store.Handle { return create(t, fs, root, r, n, 0o644) }, suid},
		{"directory", func(n string) store.Handle { return mkdir(t, fs, root, r, n, 0o755) }, 0o2755},
		{"symlink", func(n string) store.Handle {
			h, _, _, err := fs.Symlink(ctx, root, r, n, "target", nil)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}, 0o777},
		{"fifo", mknod(store.TypeFIFO, store.Dev{}), suid},
		{"socket", mknod(store.TypeSocket, store.Dev{}), suid},
		{"char", mknod(store.TypeChar, store.Dev{1, 3}), suid},
		{"block", mknod(store.TypeBlock, store.Dev{8, 0}), suid},
	}
	// The files belong to alice (1000) with group 50 (alice and bob are in
	// it, carol is not).
	const owner, group = 1000, 50
	type attempt struct {
		who  string
		c    *store.Cred
		sa   store.SetAttr
		want store.Code
	}
	attempts := []attempt{
		// chown f <owner> <group>, chown f <owner>, chown f -1 <group>
		// (chgrp), each to the current values, by a non-owner who is in
		// the group and by one who is not.
		{"bob same owner and group", bob, store.SetAttr{Mask: store.SetUID | store.SetGID, UID: owner, GID: group}, store.CodePermission},
		{"bob same owner", bob, store.SetAttr{Mask: store.SetUID, UID: owner}, store.CodePermission},
		{"bob same group", bob, store.SetAttr{Mask: store.SetGID, GID: group}, store.CodePermission},
		{"carol same owner and group", carol, store.SetAttr{Mask: store.SetUID | store.SetGID, UID: owner, GID: group}, store.CodePermission},
		{"carol same group", carol, store.SetAttr{Mask: store.SetGID, GID: group}, store.CodePermission},
		// a non-owner taking the file, or changing its group to one of
		// their own
		{"bob takes it", bob, store.SetAttr{Mask: store.SetUID, UID: 1001}, store.CodePermission},
		{"bob to his group", bob, store.SetAttr{Mask: store.SetGID, GID: 1001}, store.CodePermission},
		// the owner may not give it away nor pick a group of someone else
		{"alice gives it away", alice, store.SetAttr{Mask: store.SetUID, UID: 1001}, store.CodePermission},
		{"alice to a group not hers", alice, store.SetAttr{Mask: store.SetGID, GID: 1001}, store.CodePermission},
	}
	i := 0
	for _, o := range objects {
		for _, a := range attempts {
			t.Run(o.name+"/"+a.who, func(t *testing.T) {
				i++
				h := o.make(fmt.Sprintf("%s%d", o.name, i))
				if _, err := fs.SetAttr(ctx, root, h, &store.SetAttr{Mask: store.SetUID | store.SetGID, UID: owner, GID: group}); err != nil {
					t.Fatal(err)
				}
				if o.name != "symlink" {
					if _, err := fs.SetAttr(ctx, root, h, mode(o.mode)); err != nil {
						t.Fatal(err)
					}
				}
				before := must[store.Attr](t)(fs.GetAttr(ctx, nil, h))
				sa := a.sa
				_, err := fs.SetAttr(ctx, a.c, h, &sa)
				wantCode(t, err, a.want)
				after := must[store.Attr](t)(fs.GetAttr(ctx, nil, h))
				if after.Mode != before.Mode || after.UID != owner || after.GID != group || after.Ctime != before.Ctime {
					t.Fatalf("refused chown changed the file: before %o %d:%d ctime %d, after %o %d:%d ctime %d",
						before.Mode, before.UID, before.GID, before.Ctime, after.Mode, after.UID, after.GID, after.Ctime)
				}
			})
		}
		// What the owner may do: a no-op chown, and chgrp to one of its
		// own groups; root may do anything.
		t.Run(o.name+"/allowed", func(t *testing.T) {
			i++
			h := o.make(fmt.Sprintf("%s%d", o.name, i))
			if _, err := fs.SetAttr(ctx, root, h, &store.SetAttr{Mask: store.SetUID | store.SetGID, UID: owner, GID: 1000}); err != nil {
				t.Fatal(err)
			}
			for _, sa := range []store.SetAttr{
				{Mask: store.SetUID | store.SetGID, UID: owner, GID: 1000},
				{Mask: store.SetUID, UID: owner},
				{Mask: store.SetGID, GID: group},
			} {
				if _, err := fs.SetAttr(ctx, alice, h, &sa); err != nil {
					t.Fatalf("owner %+v: %v", sa, err)
				}
			}
			a, err := after(fs.SetAttr(ctx, root, h, &store.SetAttr{Mask: store.SetUID | store.SetGID, UID: 1002, GID: 1002}))
			if err != nil || a.UID != 1002 || a.GID != 1002 {
				t.Fatalf("root chown: %+v %v", a, err)
			}
		})
	}
	// A permitted chown of a regular file by its owner clears setuid and
	// the setgid of a group-executable file (Linux: ATTR_KILL_SUID and
	// setattr_should_drop_sgid), a directory keeps its setgid.
	f := create(t, fs, alice, r, "killpriv", 0o644)
	if _, err := fs.SetAttr(ctx, alice, f, mode(0o6755)); err != nil {
		t.Fatal(err)
	}
	a, err := after(fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetGID, GID: 50}))
	if err != nil || a.Mode != 0o755 {
		t.Fatalf("owner chgrp of a setuid file: mode %o, %v", a.Mode, err)
	}
	checkFS(t, fs)
}

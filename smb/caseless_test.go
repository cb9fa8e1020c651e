package smb

import (
	"context"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// storeNames lists the root directory of ts's store, as NFS sees it.
func storeNames(t *testing.T, ts *testServer) []string {
	t.Helper()
	var names []string
	if _, _, err := ts.fs.ReadDir(context.Background(), &store.Cred{}, ts.fs.Root(), 0, store.Verifier{}, false, func(e *store.DirEntry) bool {
		names = append(names, e.Name)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

// TestCaseInsensitiveShare: on a share of Server.CaseInsensitiveShares a
// name matches an entry that differs only in case (for CREATE of every
// disposition, for the directories of a path, for rename and link
// targets), names are created and renamed as given, and an exact entry
// wins over one in another case, so names NFS made that differ only in
// case stay reachable. Without the option, lookups are exact.
func TestCaseInsensitiveShare(t *testing.T) {
	ctx := context.Background()
	root := &store.Cred{}
	ts := startServer(t, func(s *Server) { s.CaseInsensitiveShares = []string{"/EXPORT"} })
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, st := c.create("MixedCase.txt", wire.GENERIC_ALL, wire.FILE_CREATE, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	c.write(f, 0, []byte("mixed"))
	c.close(f)
	if _, st := c.create(`Dir`, wire.GENERIC_ALL, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c.create(`dIR\Inner.txt`, wire.GENERIC_ALL, wire.FILE_CREATE, 0); st != wire.STATUS_SUCCESS {
		t.Fatalf("create under the directory in another case: %v", st)
	}
	for _, tc := range []struct {
		name string
		disp uint32
		want wire.Status
	}{
		{"mixedcase.TXT", wire.FILE_OPEN, wire.STATUS_SUCCESS},
		{"MIXEDCASE.TXT", wire.FILE_CREATE, wire.STATUS_OBJECT_NAME_COLLISION},
		{"mixedCASE.txt", wire.FILE_OPEN_IF, wire.STATUS_SUCCESS},
		{`DIR\INNER.TXT`, wire.FILE_OPEN, wire.STATUS_SUCCESS},
		{`dir\missing`, wire.FILE_OPEN, wire.STATUS_OBJECT_NAME_NOT_FOUND},
	} {
		g, st := c.create(tc.name, wire.GENERIC_READ, tc.disp, 0)
		if st != tc.want {
			t.Errorf("%s (disposition %d): %v, want %v", tc.name, tc.disp, st, tc.want)
		}
		if st == wire.STATUS_SUCCESS {
			if tc.name[0] == 'm' {
				if b, _ := c.read(g, 0, 10); string(b) != "mixed" {
					t.Errorf("%s reads %q", tc.name, b)
				}
			}
			c.close(g)
		}
	}
	if got, want := storeNames(t, ts), []string{"Dir", "MixedCase.txt"}; !slices.Equal(got, want) {
		t.Fatalf("store holds %q, want %q (no entry made in another case)", got, want)
	}

	// Names that differ only in case, made over NFS: each is reached by
	// its exact spelling.
	for _, n := range []string{"twin", "TWIN"} {
		h, _, _, err := ts.fs.Create(ctx, root, ts.fs.Root(), n, store.CreateGuarded, &store.SetAttr{Mask: store.SetMode, Mode: 0o666}, store.Verifier{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ts.fs.WriteAt(ctx, root, h, []byte(n), 0, store.FileSync); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"twin", "TWIN"} {
		g, st := c.create(n, wire.GENERIC_READ, wire.FILE_OPEN, 0)
		if st != wire.STATUS_SUCCESS {
			t.Fatalf("open %s: %v", n, st)
		}
		if b, _ := c.read(g, 0, 10); string(b) != n {
			t.Errorf("open %s reads %q", n, b)
		}
		c.close(g)
	}

	// Rename to another case of its own name changes the case.
	g, _ := c.create("mixedcase.txt", wire.GENERIC_ALL|wire.DELETE, wire.FILE_OPEN, 0)
	if r := c.call(wire.SMB2_SET_INFO, setInfoBody(g, wire.FileRenameInformation, renameBuf("MIXEDCASE.TXT", false))); r.status() != wire.STATUS_SUCCESS {
		t.Fatalf("case-changing rename: %v", r.status())
	}
	c.close(g)
	// Rename and link onto another entry in another case: refused
	// without ReplaceIfExists, and with it the name given replaces it.
	x, _ := c.create("x", wire.GENERIC_ALL|wire.DELETE, wire.FILE_CREATE, 0)
	if r := c.call(wire.SMB2_SET_INFO, setInfoBody(x, wire.FileRenameInformation, renameBuf("mixedcase.txt", false))); r.status() != wire.STATUS_OBJECT_NAME_COLLISION {
		t.Errorf("rename onto another case without replace: %v", r.status())
	}
	if r := c.call(wire.SMB2_SET_INFO, setInfoBody(x, wire.FileLinkInformation, renameBuf("dir", false))); r.status() != wire.STATUS_OBJECT_NAME_COLLISION {
		t.Errorf("link onto another case without replace: %v", r.status())
	}
	if r := c.call(wire.SMB2_SET_INFO, setInfoBody(x, wire.FileRenameInformation, renameBuf("mixedCase.Txt", true))); r.status() != wire.STATUS_SUCCESS {
		t.Errorf("rename onto another case with replace: %v", r.status())
	}
	c.close(x)
	if got, want := storeNames(t, ts), []string{"Dir", "TWIN", "mixedCase.Txt", "twin"}; !slices.Equal(got, want) {
		t.Errorf("store holds %q, want %q", got, want)
	}

	// The default: exact names.
	ts2 := startServer(t)
	c2 := ts2.connect(wire.SMB2_DIALECT_311)
	if _, st := c2.create("Exact", wire.GENERIC_ALL, wire.FILE_CREATE, 0); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if _, st := c2.create("exact", wire.GENERIC_READ, wire.FILE_OPEN, 0); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("case-sensitive share: open in another case: %v", st)
	}
}

// TestCreateRace: two connections creating the same new directory with
// FILE_OPEN_IF at once both succeed (MS-FSA §2.1.5.1: the disposition
// applies to what exists when the create runs): the one whose Mkdir finds
// the name made by the other opens it (smbtorture smb2.create.mkdir-dup).
func TestCreateRace(t *testing.T) {
	ts := startServer(t)
	a, b := ts.connect(wire.SMB2_DIALECT_311), ts.connect(wire.SMB2_DIALECT_311)
	for i := range 200 {
		name := "d" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		errs := make(chan wire.Status, 2)
		for _, c := range []*client{a, b} {
			go func() {
				f, st := c.create(name, wire.GENERIC_READ, wire.FILE_OPEN_IF, wire.FILE_DIRECTORY_FILE)
				if st == wire.STATUS_SUCCESS {
					c.close(f)
				}
				errs <- st
			}()
		}
		for range 2 {
			if st := <-errs; st != wire.STATUS_SUCCESS {
				t.Fatalf("%s: %v", name, st)
			}
		}
	}
}

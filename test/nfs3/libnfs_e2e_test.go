//go:build e2e

package nfs3_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/test/libnfs"
)

// TestLibnfs copies a 100 MiB file in with nfs-cp, lists it with nfs-ls,
// copies it out again, and compares checksums on both sides.
func TestLibnfs(t *testing.T) {
	fsys, addr, port := startExport(t, "/export")
	data := make([]byte, 100<<20)
	rand.Read(data)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c := libnfs.Client{Server: addr, MountPort: port, Export: "/export", Version: 3}
	if err := c.Put(t.Context(), src, "/big"); err != nil {
		t.Fatal(err)
	}
	ents, err := c.Ls(t.Context(), "/")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range ents {
		if e.Name == "big" {
			found = e.Size == int64(len(data))
		}
	}
	if !found {
		t.Fatalf("nfs-ls: %+v", ents)
	}
	dst := filepath.Join(dir, "dst")
	if err := c.Get(t.Context(), "/big", dst); err != nil {
		t.Fatal(err)
	}
	back, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(back) != sha256.Sum256(data) {
		t.Fatal("the file copied out differs from the one copied in")
	}
	h, a, err := fsys.Lookup(t.Context(), &store.Cred{}, fsys.Root(), "big")
	if err != nil || a.Size != uint64(len(data)) {
		t.Fatalf("server: %v size %d", err, a.Size)
	}
	buf := make([]byte, len(data))
	if n, _, _, err := fsys.ReadAt(t.Context(), &store.Cred{}, h, buf, 0); err != nil || n != len(buf) || !bytes.Equal(buf, data) {
		t.Fatalf("server copy differs: %d %v", n, err)
	}
}

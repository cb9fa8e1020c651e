//go:build e2e

package libnfs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/test/ganesha"
	"github.com/dittofs/dittofs/test/libnfs"
)

// TestAgainstGanesha copies a file in with nfs-cp, lists it with nfs-ls,
// reads it back with nfs-cat and nfs-cp, and checks the server's copy.
func TestAgainstGanesha(t *testing.T) {
	srv, err := ganesha.Start(t.Context(), ganesha.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	data := bytes.Repeat([]byte("0123456789abcdef"), 70000) // 1.1 MB: several READs and WRITEs
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c := libnfs.Client{Server: srv.Addr(), MountPort: srv.MountPort, Export: srv.Export, Version: 3, Netns: srv.Netns}
	if err := c.Put(t.Context(), src, "/copied in"); err != nil {
		t.Fatal(err)
	}
	onServer, err := os.ReadFile(filepath.Join(srv.ExportDir, "copied in"))
	if err != nil || !bytes.Equal(onServer, data) {
		t.Fatalf("server copy: %d bytes, %v", len(onServer), err)
	}
	st, err := os.Stat(filepath.Join(srv.ExportDir, "copied in"))
	if err != nil {
		t.Fatal(err)
	}
	for _, vers := range []int{3, 4} {
		c.Version = vers
		ents, err := c.Ls(t.Context(), "/")
		if err != nil {
			t.Fatalf("v%d: %v", vers, err)
		}
		i := slices.IndexFunc(ents, func(e libnfs.Entry) bool { return e.Name == "copied in" })
		if i < 0 || ents[i].Size != int64(len(data)) || ents[i].Mode != st.Mode().String() {
			t.Errorf("v%d: nfs-ls gave %+v", vers, ents)
		}
		if vers == 3 {
			got, err := c.Cat(t.Context(), "/copied in")
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("v%d: nfs-cat: %d bytes, %v", vers, len(got), err)
			}
		}
	}
	c.Version = 3
	dst := filepath.Join(t.TempDir(), "dst")
	if err := c.Get(t.Context(), "/copied in", dst); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
		t.Errorf("nfs-cp out: %d bytes, %v", len(got), err)
	}
	if _, err := c.Cat(t.Context(), "/missing"); err == nil {
		t.Error("nfs-cat of a missing file succeeded")
	}
}

//go:build unix

package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFsStatDataDir: with a data directory and no --capacity, FSSTAT
// reports the size and free room of the block directory's file system
// (statfs), not a made-up 1 PiB.
func TestFsStatDataDir(t *testing.T) {
	dir := t.TempDir()
	s, err := openStores(Config{Data: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Join(dir, "blocks"), &st); err != nil {
		t.Fatal(err)
	}
	got := s.fs.FsStat(context.Background())
	if want := uint64(st.Blocks) * uint64(st.Bsize); got.TotalBytes != want || got.TotalBytes == 1<<50 || got.FreeBytes > got.TotalBytes {
		t.Fatalf("FsStat: total %d free %d; the data directory's file system has %d", got.TotalBytes, got.FreeBytes, want)
	}
}

package badger

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// touchFiles creates the files names in dir.
func touchFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogSyncer(t *testing.T) {
	dir := t.TempDir()
	touch := func(names ...string) { touchFiles(t, dir, names...) }
	s := newLogSyncer(dir)
	check := func(wantSynced ...string) {
		t.Helper()
		if err := s.sync(); err != nil {
			t.Fatalf("sync: %v", err)
		}
		if got := slices.Sorted(maps.Keys(s.synced)); !slices.Equal(got, wantSynced) {
			t.Fatalf("synced %q, want %q", got, wantSynced)
		}
		entries, _ := os.ReadDir(dir)
		if len(s.names) != len(entries) {
			t.Fatalf("directory fsync recorded %d names, directory has %d", len(s.names), len(entries))
		}
	}
	touch("000001.mem", "000001.vlog", "MANIFEST", "000003.sst")
	check() // only active files: DB.Sync's job
	touch("000002.mem")
	check("000001.mem")
	touch("000002.vlog", "000003.mem")
	check("000001.mem", "000001.vlog", "000002.mem")
	if err := os.Remove(filepath.Join(dir, "000001.mem")); err != nil {
		t.Fatal(err)
	}
	check("000001.vlog", "000002.mem")
	for _, name := range []string{"x.mem", "000001.vlog.tmp", "MANIFEST"} {
		if _, _, ok := logID(name); ok {
			t.Errorf("%s parsed as a log file", name)
		}
	}
	if kind, id, ok := logID("000012.mem"); kind != ".mem" || id != 12 || !ok {
		t.Errorf("logID(000012.mem) = %q, %d, %v", kind, id, ok)
	}
}

// syncWAL reads the directory only when the watch saw files come or go,
// syncs the rotated logs then, and always the newest memtable log.
func TestSyncWAL(t *testing.T) {
	dir := t.TempDir()
	touch := func(names ...string) { touchFiles(t, dir, names...) }
	s := newLogSyncer(dir)
	defer s.close()
	if s.watch == nil {
		t.Skip("no inotify here")
	}
	if err := s.syncWAL(); err != errNoWAL {
		t.Fatalf("syncWAL of a directory without a memtable log: %v, want errNoWAL", err)
	}
	touch("000001.mem", "000001.vlog", "MANIFEST")
	step := func(wantScans int, wantNewest string, wantSynced ...string) {
		t.Helper()
		if err := s.syncWAL(); err != nil {
			t.Fatalf("syncWAL: %v", err)
		}
		if s.scans != wantScans {
			t.Fatalf("%d directory reads, want %d", s.scans, wantScans)
		}
		if filepath.Base(s.newestMem) != wantNewest || s.mem == nil || filepath.Base(s.mem.Name()) != wantNewest {
			t.Fatalf("newest %q (open %v), want %q", s.newestMem, s.mem, wantNewest)
		}
		if got := slices.Sorted(maps.Keys(s.synced)); !slices.Equal(got, wantSynced) {
			t.Fatalf("synced %q, want %q", got, wantSynced)
		}
	}
	step(2, "000001.mem") // the first call read it too (no WAL then)
	step(2, "000001.mem")
	step(2, "000001.mem")
	// Writing into an existing file is no directory change.
	if err := os.WriteFile(filepath.Join(dir, "000001.mem"), []byte("more"), 0o600); err != nil {
		t.Fatal(err)
	}
	step(2, "000001.mem")
	touch("000002.mem") // a rotation
	step(3, "000002.mem", "000001.mem")
	step(3, "000002.mem", "000001.mem")
	if err := os.Remove(filepath.Join(dir, "000001.mem")); err != nil { // flushed
		t.Fatal(err)
	}
	step(4, "000002.mem")
}

// A commit that wrote a value into the value log makes the next Sync a
// full one (DB.Sync); other commits leave it to syncWAL.
func TestSyncAfterValueLogWrite(t *testing.T) {
	ctx := context.Background()
	m, err := Open(t.TempDir(), Options{ValueThreshold: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	put := func(n int) {
		t.Helper()
		if err := m.Update(ctx, func(tx store.Tx) error { return tx.Put([]byte("k"), make([]byte, n)) }); err != nil {
			t.Fatal(err)
		}
	}
	sync := func() {
		t.Helper()
		if err := m.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if m.vlogDirty.Load() {
			t.Fatal("Sync left the value log marked dirty")
		}
	}
	sync() // what Open found
	put(10)
	if m.vlogDirty.Load() {
		t.Fatal("a 10-byte value marked the value log dirty")
	}
	before := m.logs.scans
	sync()
	if m.logs.scans != before && m.logs.watch != nil {
		t.Fatalf("a Sync with no directory change read the directory (%d -> %d)", before, m.logs.scans)
	}
	put(4096)
	if !m.vlogDirty.Load() {
		t.Fatal("a 4 KiB value (threshold 1 KiB) did not mark the value log dirty")
	}
	sync()
}

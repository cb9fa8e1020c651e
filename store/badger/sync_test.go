package badger

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLogSyncer(t *testing.T) {
	dir := t.TempDir()
	touch := func(names ...string) {
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
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

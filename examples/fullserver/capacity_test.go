package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/dittofs/dittofs/store"
)

func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "4096": 4096, "1K": 1 << 10, "512m": 512 << 20, "10G": 10 << 30,
		"2T": 2 << 40, "3GB": 3 << 30, " 7 ": 7,
	} {
		var z Size
		if err := z.Set(in); err != nil || uint64(z) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, z, err, want)
		}
	}
	for _, in := range []string{"", "G", "-1", "1.5G", "1P", "99999999999T", "ten"} {
		var z Size
		if err := z.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, z)
		}
	}
	cfg, err := parseConfig([]string{"--memory", "--capacity", "1M", "--max-files", "8"}, io.Discard)
	if err != nil || cfg.Capacity != 1<<20 || cfg.MaxFiles != 8 {
		t.Fatalf("parseConfig: %+v, %v", cfg, err)
	}
}

// TestMemoryStoreBounded: the memory stores are bounded by default (a
// client must not be able to make the server run out of memory by
// writing), FSSTAT reports the bound, and writes and creates past it fail
// with ErrNoSpace.
func TestMemoryStoreBounded(t *testing.T) {
	c, f := storeBounds(Config{Memory: true})
	if c == 0 || c > totalRAM() || f == 0 {
		t.Fatalf("memory defaults: capacity %d, max files %d; want bounded by RAM %d", c, f, totalRAM())
	}
	if c, f := storeBounds(Config{Data: t.TempDir()}); c != 0 || f != 0 {
		t.Fatalf("data dir defaults: capacity %d, max files %d; want unbounded", c, f)
	}

	cfg := Config{Memory: true, Capacity: 1 << 20, MaxFiles: 3}
	s, err := openStores(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ctx := context.Background()
	if st := s.fs.FsStat(ctx); st.TotalBytes != 1<<20 {
		t.Errorf("FsStat total %d, want the capacity %d", st.TotalBytes, 1<<20)
	}
	root := &store.Cred{UID: 0, GID: 0}
	h, _, _, err := s.fs.Create(ctx, root, s.fs.Root(), "big", store.CreateUnchecked, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512<<10)
	for i := range buf {
		buf[i] = byte(i)
	}
	var werr error
	for off := int64(0); off < 4<<20 && werr == nil; off += int64(len(buf)) {
		buf[0], buf[1] = byte(off>>16), byte(off>>24) // no two blocks alike: dedup must not hide the growth
		_, _, werr = s.fs.WriteAt(ctx, root, h, buf, off, store.FileSync)
	}
	if !errors.Is(werr, store.ErrNoSpace) {
		t.Errorf("writing 4 MiB into a 1 MiB store: %v, want ErrNoSpace", werr)
	}
	var cerr error
	for i := 0; i < 5 && cerr == nil; i++ {
		_, _, _, cerr = s.fs.Create(ctx, root, s.fs.Root(), string(rune('a'+i)), store.CreateUnchecked, nil, store.Verifier{})
	}
	if !errors.Is(cerr, store.ErrNoSpace) {
		t.Errorf("creating past MaxFiles 3: %v, want ErrNoSpace", cerr)
	}
}

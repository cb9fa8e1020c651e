package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const mountstats = `device proc mounted on /proc with fstype proc
device 10.0.2.100:/ mounted on /mnt/nfs with fstype nfs statvers=1.1
	opts:	rw,vers=3
	per-op statistics
	        NULL: 1 1 0 0 0 0 0 0 0
	     GETATTR: 5 5 0 700 800 1 2 3 0
	      LOOKUP: 7 7 0 0 0 0 0 0 0
	       WRITE: 0 0 0 0 0 0 0 0 0
device sysfs mounted on /sys with fstype sysfs
`

func TestRPCCounts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mountstats")
	if err := os.WriteFile(p, []byte(mountstats), 0o644); err != nil {
		t.Fatal(err)
	}
	got := rpcCounts(p)
	if got["GETATTR"] != 5 || got["LOOKUP"] != 7 || got["NULL"] != 1 || len(got) != 4 {
		t.Fatalf("rpcCounts = %v", got)
	}
	before := map[string]int64{"GETATTR": 2, "LOOKUP": 7}
	if line := rpcDiff("stat", before, got); line != "RPCS stat GETATTR=3 NULL=1" {
		t.Fatalf("rpcDiff = %q", line)
	}
	if rpcCounts(filepath.Join(t.TempDir(), "none")) != nil || rpcDiff("x", nil, nil) != "" {
		t.Fatal("a missing mountstats gives counts")
	}
}

func TestWorkloadsOnLocalDir(t *testing.T) {
	var out strings.Builder
	c := config{dir: t.TempDir(), fileMiB: 2, directMiB: 1, ioSize: 1 << 20, randOps: 20, metaOps: 30, smallN: 10, limit: 30e9}
	if err := run(c, &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"seqwrite ops=2 bytes=2097152", "seqread ops=2 bytes=2097152", "randread ops=20 bytes=81920", "randwrite ops=20",
		"directwrite ops=20 bytes=81920", "create ops=30", "stat ops=30", "remove ops=30", "smallwrite ops=10 bytes=40960", "smallread ops=10 bytes=40960"} {
		if !strings.Contains(out.String(), "RESULT "+w+" ") {
			t.Errorf("no %q in\n%s", w, out.String())
		}
	}
}

// TestOnlyRunsDependencies: -only runs the named workloads, and first,
// untimed and unreported, the one whose files they use; an unknown name is
// an error.
func TestOnlyRunsDependencies(t *testing.T) {
	var out strings.Builder
	c := config{dir: t.TempDir(), fileMiB: 1, directMiB: 1, ioSize: 1 << 20, randOps: 5, metaOps: 5, smallN: 5, limit: 30e9,
		only: "randread,remove,smallread"}
	if err := run(c, &out); err != nil {
		t.Fatal(err)
	}
	got := strings.Count(out.String(), "RESULT ")
	for _, w := range []string{"randread ops=5 ", "remove ops=5 ", "smallread ops=5 "} {
		if !strings.Contains(out.String(), "RESULT "+w) {
			t.Errorf("no %q in\n%s", w, out.String())
		}
	}
	if got != 3 {
		t.Errorf("%d results, want 3:\n%s", got, out.String())
	}
	c.only = "randread,nosuch"
	if err := run(c, &out); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("-only with an unknown workload: %v", err)
	}
}

// TestDirectCheck: directwrite's read-back finds a block that does not
// hold the last write to it, and one that lost its preallocated content.
func TestDirectCheck(t *testing.T) {
	dir := t.TempDir()
	b := &bench{c: config{dir: dir, directMiB: 1, randOps: 300, limit: 30e9}}
	p := filepath.Join(dir, "direct")
	if err := b.directPrepare(p); err != nil {
		t.Fatal(err)
	}
	if ops, n, err := b.directWrite(p, time.Now().Add(time.Minute)); err != nil || ops != 300 || n != 300*directBlock {
		t.Fatalf("directWrite: %d ops, %d bytes, %v", ops, n, err)
	}
	if len(b.lat) != 300 {
		t.Errorf("%d latencies, want 300", len(b.lat))
	}
	if err := b.directCheck(p); err != nil {
		t.Fatal(err)
	}
	written, untouched := -1, -1
	for blk, op := range b.last {
		if op >= 0 && written < 0 {
			written = blk
		}
		if op < 0 && untouched < 0 {
			untouched = blk
		}
	}
	if written < 0 || untouched < 0 {
		t.Fatalf("300 writes over %d blocks: written %d, untouched %d", len(b.last), written, untouched)
	}
	for _, c := range []struct {
		blk int
		tag uint64
	}{
		{written, preallocTag(written)},               // the write was lost
		{written, writeTag(int(b.last[written]) + 1)}, // a later write landed in the wrong block
		{untouched, writeTag(0)},                      // a write went to the wrong place
	} {
		good := make([]byte, directBlock)
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		off := int64(c.blk) * directBlock
		if _, err := f.ReadAt(good, off); err != nil {
			t.Fatal(err)
		}
		bad := make([]byte, directBlock)
		directContent(bad, c.tag)
		f.WriteAt(bad, off)
		if err := b.directCheck(p); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("block %d ", c.blk)) {
			t.Errorf("block %d with tag %#x: check says %v", c.blk, c.tag, err)
		}
		f.WriteAt(good, off)
		f.Close()
	}
	// One torn sector.
	f, _ := os.OpenFile(p, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff}, int64(written)*directBlock+1024+100)
	f.Close()
	if err := b.directCheck(p); err == nil {
		t.Error("check passed a block with a changed byte")
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99); p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("p50 %v p99 %v, want 50ms 99ms", p50, p99)
	}
	if percentile(nil, 0.5) != 0 || percentile([]time.Duration{7}, 0.99) != 7 {
		t.Error("percentile of none or one")
	}
}

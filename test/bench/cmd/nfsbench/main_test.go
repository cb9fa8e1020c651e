package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	c := config{dir: t.TempDir(), fileMiB: 2, ioSize: 1 << 20, randOps: 20, metaOps: 30, smallN: 10, limit: 30e9}
	if err := run(c, &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"seqwrite ops=2 bytes=2097152", "seqread ops=2 bytes=2097152", "randread ops=20 bytes=81920", "randwrite ops=20",
		"create ops=30", "stat ops=30", "remove ops=30", "smallwrite ops=10 bytes=40960", "smallread ops=10 bytes=40960"} {
		if !strings.Contains(out.String(), "RESULT "+w+" ") {
			t.Errorf("no %q in\n%s", w, out.String())
		}
	}
}

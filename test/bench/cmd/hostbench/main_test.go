package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/test/bench"
)

// startServer serves NFSv3, MOUNT v3 and NFSv4 over memory stores,
// exporting /export as examples/fullserver does, on a port of 127.0.0.1.
func startServer(t *testing.T) string { return bench.StartInProcess(t, "/export", true) }

// smallConfig is a run short enough for make test: counts, not time,
// bound every workload.
func smallConfig(addr string) config {
	return config{addr: addr, mountAddr: addr, export: "/export", serverLbl: "test",
		versions: []string{"3", "4.1"}, depths: []int{1, 8}, conns: 2, workloads: workloads,
		duration: time.Minute, ops: 40, seqMiB: 3, fileMiB: 2, ioSize: 256 << 10}
}

// TestRunAllWorkloads runs every workload over NFSv3 and NFSv4.1 at
// depths 1 and 8 over two connections against our server, and checks
// that each ran to its count with the server's (this process's) CPU time
// read, and that every file it made is gone afterwards.
func TestRunAllWorkloads(t *testing.T) {
	addr := startServer(t)
	cfg := smallConfig(addr)
	cfg.pid = os.Getpid()
	var out bytes.Buffer
	if err := runOne(t.Context(), cfg, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if want := len(cfg.versions) * len(cfg.depths) * len(workloads); len(lines) != want {
		t.Fatalf("%d result lines, want %d:\n%s", len(lines), want, out.String())
	}
	for _, line := range lines {
		wantOps := "ops=40 "
		if strings.Contains(line, "workload=seq") {
			wantOps = "ops=12 " // 3 MiB in 256 KiB I/Os
		}
		if !strings.Contains(line, " "+wantOps) || strings.Contains(line, "cpu_s=-") {
			t.Errorf("line %q: want %q and a CPU figure", line, wantOps)
		}
	}
	// Nothing is left in the export.
	c, err := dial3(t.Context(), target{addr: addr, mountAddr: addr, export: "/export", dial: tcpDialer}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.shutdown(t.Context())
	if names := readdirNames(t, c); len(names) != 0 {
		t.Errorf("left in the export: %q", names)
	}
}

// readdirNames lists the root's entries but . and .. with READDIR (RFC
// 1813 §3.3.16).
func readdirNames(t *testing.T, c *nfs3Client) []string {
	t.Helper()
	var names []string
	var cookie uint64
	verf := make([]byte, 8)
	for eof := false; !eof; {
		err := c.call(t.Context(), 0, 16, msg{64 + len(c.root), func(e *xdr.Encoder) {
			e.Opaque(c.root)
			e.Uint64(cookie)
			e.FixedOpaque(verf)
			e.Uint32(32 << 10)
		}}, func(d *xdr.Decoder) {
			skipPostOpAttr(d)
			verf = d.FixedOpaque(8)
			for d.Bool() && d.Err() == nil {
				d.Uint64() // fileid
				name := d.String(255)
				cookie = d.Uint64()
				if name != "." && name != ".." {
					names = append(names, name)
				}
			}
			eof = d.Bool()
		})
		if err != nil {
			t.Fatalf("READDIR: %v", err)
		}
	}
	return names
}

// TestSeqreadDetectsCorruption overwrites part of the data file behind
// the runner's back: seqread must fail with a mismatch at that offset.
func TestSeqreadDetectsCorruption(t *testing.T) {
	addr := startServer(t)
	for _, vers := range []string{"3", "4.1"} {
		t.Run(vers, func(t *testing.T) {
			ctx := t.Context()
			c, err := dialClient(ctx, target{addr: addr, mountAddr: addr, export: "/export", dial: tcpDialer}, vers, 1, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer c.shutdown(ctx)
			p := params{depth: 4, duration: time.Minute, ops: 10, seqMiB: 1, fileMiB: 1, ioSize: 64 << 10, prefix: "corrupt" + vers + "-"}
			r, err := newRunner(ctx, c, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer r.close(ctx)
			if _, err := r.run(ctx, "seqwrite-sync"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.run(ctx, "seqread"); err != nil {
				t.Fatalf("seqread of intact data: %v", err)
			}
			if err := c.write(ctx, 0, r.data, 300000, []byte("garbage!"), fileSync); err != nil {
				t.Fatal(err)
			}
			_, err = r.run(ctx, "seqread")
			if !errors.Is(err, errMismatch) || !strings.Contains(err.Error(), "offset 300000") {
				t.Fatalf("seqread of corrupted data: %v, want a mismatch at offset 300000", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	want := pattern(4096, 4096)
	if err := verify(pattern(4096, 4096), want, 4096); err != nil {
		t.Fatalf("same pattern: %v", err)
	}
	for _, bad := range [][]byte{pattern(0, 4096), make([]byte, 4096), pattern(4096, 4000)} {
		if err := verify(bad, want, 4096); !errors.Is(err, errMismatch) {
			t.Errorf("verify accepted other data: %v", err)
		}
	}
	flipped := pattern(4096, 4096)
	flipped[100] ^= 1
	if err := verify(flipped, want, 4096); err == nil || !strings.Contains(err.Error(), "offset 4196") {
		t.Errorf("one flipped bit: %v, want a mismatch at offset 4196", err)
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-vers", "4.1", "-depth", "1, 32", "-workloads", "seqread,getattr"}, &bytes.Buffer{})
	if err != nil || len(c.depths) != 2 || c.depths[1] != 32 || len(c.workloads) != 2 || c.mountAddr != c.addr {
		t.Fatalf("parseFlags: %+v, %v", c, err)
	}
	for _, bad := range [][]string{{"-vers", "4.0"}, {"-depth", "0"}, {"-workloads", "fsync"}, {"-io", "3000"}, {"-conns", "0"}, {"extra"}} {
		if _, err := parseFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

func TestSessionSlots(t *testing.T) {
	for _, c := range []struct{ depth, conns, want int }{{1, 1, 1}, {32, 1, 32}, {32, 3, 11}, {1, 4, 1}} {
		if got := sessionSlots(c.depth, c.conns); got != c.want {
			t.Errorf("sessionSlots(%d, %d) = %d, want %d", c.depth, c.conns, got, c.want)
		}
	}
}

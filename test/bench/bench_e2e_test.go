//go:build bench

package bench

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/ganesha"
	"github.com/dittofs/dittofs/test/vm"
)

var (
	rounds    = flag.Int("bench.rounds", 3, "VM runs per server; the table shows medians")
	outFile   = flag.String("bench.out", "", "write the results table (Markdown) to this file")
	fileMiB   = flag.Int("bench.file-mib", 256, "size of the sequential file in MiB")
	ops       = flag.Int("bench.ops", 2000, "random I/O, metadata and small-file operation count")
	vers      = flag.String("bench.vers", "3", "NFS version the guest mounts: 3, 4.0, 4.1 or 4.2")
	extra     = flag.String("bench.options", "", "more mount options for both servers, comma-separated (e.g. nconnect=4)")
	storeKind = flag.String("bench.store", StoreMemory, "where both servers keep files: memory (fullserver --memory, Ganesha on a tmpfs) or disk (fullserver --data and Ganesha FSAL_VFS in one directory under -bench.workdir)")
	workdir   = flag.String("bench.workdir", "/var/tmp", "with -bench.store disk: the directory on disk the servers' directory is made in")
	only      = flag.String("bench.workloads", "", "comma-separated nfsbench workloads to run (default all)")
)

// benchWorkloads returns the workloads -bench.workloads names, or nil for
// all.
func benchWorkloads() []string {
	var ws []string
	for w := range strings.SplitSeq(*only, ",") {
		if w = strings.TrimSpace(w); w != "" {
			ws = append(ws, w)
		}
	}
	return ws
}

// mountOptions are the options both servers are mounted with (the harness
// adds vers (-bench.vers), proto=tcp and, for vers=3, nolock).
var mountOptions = []string{"rsize=1048576", "wsize=1048576"}

// benchMountOptions is mountOptions and those -bench.options adds.
func benchMountOptions() []string {
	opts := append([]string(nil), mountOptions...)
	for o := range strings.SplitSeq(*extra, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	return opts
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// target is one server under test.
type target struct {
	name      string
	addr      string // NFS address, in netns when set
	mountPort int
	export    string
	netns     string
	pid       int // the server process whose CPU time is read
}

// startFullserver builds examples/fullserver into dir and runs it as a
// child process on an ephemeral loopback port (FullserverArgs: memory
// stores, or a data directory under workDir), returning it once it logs
// its NFS listener.
func startFullserver(t *testing.T, dir, kind, workDir string) target {
	bin := filepath.Join(dir, "fullserver")
	if err := BuildFullserver(t.Context(), bin); err != nil {
		t.Fatal(err)
	}
	f, err := StartFullserver(t.Context(), bin, func(line string) { t.Log("fullserver:", line) }, FullserverArgs(kind, workDir)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	_, p, err := net.SplitHostPort(f.Addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return target{name: "DittoFS", addr: f.Addr, mountPort: port, export: "/export", pid: f.PID}
}

// startGanesha starts the reference (GaneshaConfig: on a tmpfs, or on a
// directory under workDir) and finds the ganesha.nfsd process.
func startGanesha(t *testing.T, logger *slog.Logger, kind, workDir string) target {
	cfg := GaneshaConfig(kind, workDir)
	cfg.Logger = logger
	srv, err := ganesha.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	pid, err := GaneshaPID(srv)
	if err != nil {
		t.Fatal(err)
	}
	return target{name: "Ganesha", addr: srv.Addr(), mountPort: srv.MountPort, export: srv.Export, netns: srv.Netns, pid: pid}
}

// runOnce runs nfsbench in a fresh guest against tg, in a new directory
// sub of the export, and returns its results with the server's CPU
// seconds per workload.
func runOnce(t *testing.T, tg target, prog, sub string, logger *slog.Logger) ([]Result, map[string]time.Duration) {
	var l net.Listener
	var err error
	if tg.netns != "" {
		l, err = ListenInNetns(tg.netns)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := &Marker{CPU: func() (time.Duration, error) { return CPUTime(tg.pid) }}
	go m.Serve(l)
	mport := l.Addr().(*net.TCPAddr).Port
	script := fmt.Sprintf("set -e\nmkdir %s\ncd %s\n/bin/nfsbench -marker 10.0.2.100:%d -file-mib %d -rand-ops %d -meta-ops %d -small %d -only '%s'\ncd ..\nrm -rf %s\n",
		sub, sub, mport, *fileMiB, *ops, *ops, *ops, strings.Join(benchWorkloads(), ","), sub)
	res, err := vm.Run(t.Context(), vm.Config{
		Server: tg.addr, MountPort: tg.mountPort, Export: tg.export, Vers: *vers,
		Options: benchMountOptions(), Script: script, Netns: tg.netns,
		ForwardPorts: []int{mport}, Files: []vm.File{{Path: "/bin/nfsbench", Source: prog}},
		Timeout: 20 * time.Minute, Logger: logger,
	})
	if err != nil {
		t.Fatalf("%s: %v\noutput:\n%s\nconsole:\n%s", tg.name, err, res.Output, res.Console)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%s: nfsbench exited %d:\n%s", tg.name, res.ExitCode, res.Output)
	}
	rs, err := ParseResults(res.Output)
	if err != nil {
		t.Fatal(err)
	}
	spent, err := m.Spent()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s: %v in the guest\n%s", tg.name, sub, res.Elapsed.Round(time.Second), res.Output)
	return rs, spent
}

// TestNFSBench runs the nfsbench workloads (-bench.workloads, default all)
// through the kernel client (vers -bench.vers, tcp, 1 MiB rsize/wsize;
// nolock for vers=3) against examples/fullserver (a child process) and
// NFS-Ganesha (FSAL_VFS), both in memory (-bench.store memory: --memory
// and a tmpfs) or both on disk (-bench.store disk: --data and a directory
// next to it, under -bench.workdir), alternating the servers for
// -bench.rounds rounds, and logs the table of medians with each server's
// CPU seconds per workload. It asserts nothing about speed: only that
// every workload ran to its full count on both (and, in the guest, that
// the data it reads back is what it wrote).
func TestNFSBench(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (Ganesha's namespaces, the guest's drop_caches)")
	}
	if *storeKind != StoreMemory && *storeKind != StoreDisk {
		t.Fatalf("-bench.store %q: want memory or disk", *storeKind)
	}
	logger := slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir := t.TempDir()
	prog := filepath.Join(dir, "nfsbench")
	if err := vm.BuildStatic(t.Context(), "github.com/dittofs/dittofs/test/bench/cmd/nfsbench", prog); err != nil {
		t.Fatal(err)
	}
	work := dir
	if *storeKind == StoreDisk {
		var err error
		if work, err = NewWorkDir(*workdir, "nfsbench-", true); err != nil {
			t.Fatal(err)
		}
		// Registered before the servers, so it runs after they stop.
		t.Cleanup(func() { os.RemoveAll(work) })
		t.Logf("store disk: fullserver --data %s/dittofs-data, Ganesha FSAL_VFS on %s/ganesha/export", work, work)
	}
	targets := []target{startFullserver(t, dir, *storeKind, work), startGanesha(t, logger, *storeKind, work)}
	t.Logf("mount options: vers=%s,%s", *vers, strings.Join(benchMountOptions(), ","))
	logMachine(t, "before")
	type sample struct {
		rate, cpu, p50, p99 []float64
		ops                 int
	}
	samples := map[string]map[string]*sample{} // server → workload → samples
	var order []string
	for r := range *rounds {
		for _, tg := range targets {
			rs, spent := runOnce(t, tg, prog, fmt.Sprintf("bench%d", r), logger)
			if samples[tg.name] == nil {
				samples[tg.name] = map[string]*sample{}
			}
			for _, res := range rs {
				s := samples[tg.name][res.Name]
				if s == nil {
					s = &sample{}
					samples[tg.name][res.Name] = s
					if tg.name == targets[0].name && r == 0 {
						order = append(order, res.Name)
					}
				}
				s.rate = append(s.rate, res.Rate())
				s.cpu = append(s.cpu, spent[res.Name].Seconds())
				s.p50 = append(s.p50, res.P50us/1000)
				s.p99 = append(s.p99, res.P99us/1000)
				s.ops = res.Ops
			}
		}
		logMachine(t, fmt.Sprintf("after round %d", r+1))
	}
	var rows []Row
	for _, w := range order {
		ours, ref := samples[targets[0].name][w], samples[targets[1].name][w]
		if ref == nil {
			t.Errorf("%s: no result from %s", w, targets[1].name)
			continue
		}
		if ours.ops != ref.ops {
			t.Errorf("%s: %d ops against %s, %d against %s (a time bound cut one short)", w, ours.ops, targets[0].name, ref.ops, targets[1].name)
		}
		want := *ops
		if w == "seqwrite" || w == "seqread" {
			want = *fileMiB // 1 MiB per I/O
		}
		if ours.ops != want {
			t.Errorf("%s: %d ops, want %d", w, ours.ops, want)
		}
		unit := Result{Name: w}.Unit()
		rows = append(rows, Row{Workload: w, Unit: unit, Ops: ours.ops,
			Ours: Median(ours.rate), Ref: Median(ref.rate), OursCPU: Median(ours.cpu), RefCPU: Median(ref.cpu),
			OursP50: Median(ours.p50), RefP50: Median(ref.p50), OursP99: Median(ours.p99), RefP99: Median(ref.p99)})
	}
	for _, w := range benchWorkloads() {
		if !slices.Contains(order, w) {
			t.Errorf("workload %s: no result", w)
		}
	}
	table := Markdown(targets[0].name, targets[1].name, rows)
	t.Logf("medians of %d rounds, store %s:\n%s", *rounds, *storeKind, table)
	if *outFile != "" {
		if err := os.WriteFile(*outFile, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// logMachine logs the load average, so the table can be read against it.
func logMachine(t *testing.T, when string) {
	la, _ := os.ReadFile("/proc/loadavg")
	t.Logf("%s: load average %s, GOMAXPROCS %d", when, strings.TrimSpace(string(la)), runtime.GOMAXPROCS(0))
}

// TestNFSBenchInProcess runs the same workloads against our NFSv3 server
// inside the test process, so that `go test -cpuprofile` profiles the
// server under the kernel client's load.
func TestNFSBenchInProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the guest's drop_caches)")
	}
	logger := slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	prog := filepath.Join(t.TempDir(), "nfsbench")
	if err := vm.BuildStatic(t.Context(), "github.com/dittofs/dittofs/test/bench/cmd/nfsbench", prog); err != nil {
		t.Fatal(err)
	}
	addr := startInProcess(t)
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	self := os.Getpid()
	rs, spent := runOnce(t, target{name: "in-process", addr: addr, mountPort: port, export: "/", pid: self}, prog, "bench", logger)
	for _, r := range rs {
		t.Logf("%-10s %8.1f %s  test-process CPU %.2f s", r.Name, r.Rate(), r.Unit(), spent[r.Name].Seconds())
	}
}

// Command hostbench is a host-native NFS load generator: NFSv3 and
// NFSv4.1 from user space over TCP, with a chosen number of calls in
// flight (-depth) over one or more connections (-conns), calls pipelined
// on each connection. It runs the workloads
//
//	seqwrite        1 MiB UNSTABLE writes through the data file and round again,
//	                COMMIT after each file's worth and at the end
//	seqwrite-sync   the same with FILE_SYNC writes
//	seqread         1 MiB reads through the data file
//	randread        4 KiB reads at random offsets
//	randwrite       4 KiB UNSTABLE writes at random offsets, COMMIT at the end
//	randwrite-sync  the same with FILE_SYNC writes
//	getattr         GETATTR of the data file
//	create          create an empty file (NFSv4.1: OPEN and CLOSE)
//	remove          remove the files create made
//	smallfiles      create, 4 KiB UNSTABLE write, COMMIT, close
//	smallfiles-sync create, 4 KiB FILE_SYNC write, close
//
// each bounded by -duration and by a count (-seq-mib for the sequential
// ones, -ops for the others). Every read is checked against the pattern
// written (each 8-byte word derived from its offset); a mismatch ends the
// run with an error. It prints one line per workload, with ops/s, MiB/s,
// p50 and p99 latency and, given the server's pid, the server's CPU
// seconds (from /proc/PID/stat) per GiB and per 1,000 operations.
//
// One server:
//
//	hostbench -addr 127.0.0.1:2049 -vers 3,4.1 -depth 1,32 -pid 1234
//
// DittoFS against NFS-Ganesha (make bench-host; root, for Ganesha):
//
//	hostbench -compare -duration 3s
//
// builds and starts examples/fullserver twice (memory stores, and a data
// directory under -workdir) and NFS-Ganesha twice (FSAL_VFS on a tmpfs,
// and on a directory under -workdir, the same disk), runs every workload
// at each depth and version against each, alternating the servers for
// -rounds rounds, and prints the means as Markdown tables with the ratios
// DittoFS/Ganesha.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dittofs/dittofs/test/bench"
)

// config is the command line.
type config struct {
	addr, mountAddr, export string
	netns                   string
	pid                     int
	versions                []string
	depths                  []int
	conns                   int
	workloads               []string
	duration                time.Duration
	ops, seqMiB, fileMiB    int
	ioSize                  int

	compare   bool
	rounds    int
	stores    []string
	workdir   string
	fullbin   string
	out       string
	serverLbl string
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.compare {
		err = runCompare(ctx, cfg, os.Stdout)
	} else {
		err = runOne(ctx, cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostbench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hostbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:2049", "NFS server `host:port`")
	fs.StringVar(&c.mountAddr, "mount-addr", "", "MOUNT `host:port` for NFSv3 (default -addr)")
	fs.StringVar(&c.export, "export", "/export", "export `path` (MOUNT's path; the pseudo-filesystem path over NFSv4.1)")
	fs.StringVar(&c.netns, "netns", "", "connect from the network namespace at `path` (/proc/PID/ns/net; root)")
	fs.IntVar(&c.pid, "pid", 0, "server `pid` whose CPU time is read from /proc (0: not measured)")
	fs.StringVar(&c.serverLbl, "label", "server", "server name on the result lines")
	vers := fs.String("vers", "3,4.1", "NFS `versions`, comma-separated: 3, 4.1")
	depths := fs.String("depth", "1,32", "calls in flight, comma-separated `list`")
	fs.IntVar(&c.conns, "conns", 1, "TCP connections (the calls in flight are spread over them)")
	wl := fs.String("workloads", strings.Join(workloads, ","), "comma-separated `list` of workloads")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "time bound of each workload")
	fs.IntVar(&c.ops, "ops", 20000, "count bound of the random I/O, metadata and small-file workloads")
	fs.IntVar(&c.seqMiB, "seq-mib", 1024, "count bound of the sequential workloads, in MiB")
	fs.IntVar(&c.fileMiB, "file-mib", 256, "size of the data file in MiB")
	fs.IntVar(&c.ioSize, "io", 1<<20, "sequential I/O size in bytes (a divisor of 1 MiB)")
	fs.BoolVar(&c.compare, "compare", false, "start DittoFS and NFS-Ganesha and compare them (root)")
	fs.IntVar(&c.rounds, "rounds", 2, "with -compare: rounds, each running every server once")
	st := fs.String("stores", "memory,disk", "with -compare: `stores`, comma-separated: memory (DittoFS memory stores, Ganesha on tmpfs), disk (both on -workdir)")
	fs.StringVar(&c.workdir, "workdir", "/var/tmp", "with -compare: `directory` on disk for the disk stores")
	fs.StringVar(&c.fullbin, "fullserver", "", "with -compare: fullserver `binary` (default: go build examples/fullserver)")
	fs.StringVar(&c.out, "out", "", "with -compare: also write the Markdown tables to `file`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: hostbench [flags]\n\nNFSv3 and NFSv4.1 load from user space; workloads: %s\n\n", strings.Join(workloads, " "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	fail := func(format string, a ...any) (config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintln(stderr, "hostbench:", err)
		return c, err
	}
	if fs.NArg() > 0 {
		return fail("unexpected arguments %q", fs.Args())
	}
	if c.mountAddr == "" {
		c.mountAddr = c.addr
	}
	for _, v := range splitList(*vers) {
		if v != "3" && v != "4.1" {
			return fail("version %q: want 3 or 4.1", v)
		}
		c.versions = append(c.versions, v)
	}
	for _, d := range splitList(*depths) {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 1024 {
			return fail("depth %q: want 1 to 1024", d)
		}
		c.depths = append(c.depths, n)
	}
	for _, w := range splitList(*wl) {
		if !known(workloads, w) {
			return fail("unknown workload %q", w)
		}
		c.workloads = append(c.workloads, w)
	}
	for _, s := range splitList(*st) {
		if s != bench.StoreMemory && s != bench.StoreDisk {
			return fail("store %q: want memory or disk", s)
		}
		c.stores = append(c.stores, s)
	}
	switch {
	case len(c.versions) == 0 || len(c.depths) == 0 || len(c.workloads) == 0 || len(c.stores) == 0:
		return fail("empty -vers, -depth, -workloads or -stores")
	case c.conns < 1 || c.conns > 64:
		return fail("-conns %d: want 1 to 64", c.conns)
	case c.duration <= 0 || c.ops < 1 || c.seqMiB < 1 || c.fileMiB < 1 || c.fileMiB > 4096 || c.rounds < 1:
		return fail("-duration, -ops, -seq-mib, -rounds must be positive, -file-mib 1 to 4096")
	case c.ioSize < 1 || (1<<20)%c.ioSize != 0 || c.ioSize%8 != 0:
		return fail("-io %d: want a divisor of 1 MiB and a multiple of 8", c.ioSize)
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func known(list []string, s string) bool { return slices.Contains(list, s) }

// runOne runs the workloads against the server of -addr.
func runOne(ctx context.Context, cfg config, out io.Writer) error {
	t := target{addr: cfg.addr, mountAddr: cfg.mountAddr, export: cfg.export, dial: tcpDialer}
	if cfg.netns != "" {
		t.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return bench.DialInNetns(ctx, cfg.netns, addr)
		}
	}
	var cpu func() (time.Duration, error)
	if cfg.pid > 0 {
		cpu = func() (time.Duration, error) { return bench.CPUTime(cfg.pid) }
	}
	for _, vers := range cfg.versions {
		for _, depth := range cfg.depths {
			rs, err := runCell(ctx, cfg, t, vers, depth, cpu)
			for _, r := range rs {
				fmt.Fprintln(out, resultLine(cfg.serverLbl, "-", vers, depth, r))
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// cellSeq numbers the runs of this process, for unique file names.
var cellSeq int

// runCell connects to t and runs cfg's workloads at one version and
// depth, returning the results of those that completed.
func runCell(ctx context.Context, cfg config, t target, vers string, depth int, cpu func() (time.Duration, error)) ([]result, error) {
	cellSeq++
	c, err := dialClient(ctx, t, vers, cfg.conns, depth)
	if err != nil {
		return nil, fmt.Errorf("NFSv%s: %w", vers, err)
	}
	p := params{depth: depth, duration: cfg.duration, ops: cfg.ops, seqMiB: cfg.seqMiB, fileMiB: cfg.fileMiB,
		ioSize: cfg.ioSize, prefix: fmt.Sprintf("hb%d-%d-", os.Getpid(), cellSeq)}
	r, err := newRunner(ctx, c, p, cpu)
	if err != nil {
		c.shutdown(ctx)
		return nil, fmt.Errorf("NFSv%s: %w", vers, err)
	}
	var rs []result
	for _, w := range cfg.workloads {
		res, err := r.run(ctx, w)
		if err != nil {
			c.shutdown(ctx)
			return rs, fmt.Errorf("NFSv%s depth %d: %w", vers, depth, err)
		}
		rs = append(rs, res)
	}
	err = r.close(ctx)
	if serr := c.shutdown(ctx); err == nil {
		err = serr
	}
	if err != nil {
		return rs, fmt.Errorf("NFSv%s depth %d: cleaning up: %w", vers, depth, err)
	}
	return rs, nil
}

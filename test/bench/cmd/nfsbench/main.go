// Command nfsbench runs the whole-server NFS benchmark workloads in a
// directory of an NFS mount and prints one machine-readable line per
// workload:
//
//	RESULT seqwrite ops=256 bytes=268435456 secs=6.512
//
// It is built statically (CGO_ENABLED=0) and run in the QEMU guest by
// package bench. Every workload is bounded by a count and by -limit.
//
// With -marker HOST:PORT it tells a listener on the host when each workload
// begins and ends ("begin NAME\n", "end NAME\n", each answered with a line)
// so the host can read the server's CPU time exactly around it. The page
// cache is dropped (/proc/sys/vm/drop_caches, root only) outside those
// windows, before every workload that must reach the server.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// config is the command line.
type config struct {
	dir        string
	marker     string
	fileMiB    int
	ioSize     int
	randOps    int
	metaOps    int
	smallN     int
	limit      time.Duration
	only       string
	dropCache  string
	mountstats string
}

func main() {
	var c config
	flag.StringVar(&c.dir, "dir", ".", "directory on the mount to work in")
	flag.StringVar(&c.marker, "marker", "", "host:port told when each workload begins and ends")
	flag.IntVar(&c.fileMiB, "file-mib", 256, "size of the sequential file in MiB")
	flag.IntVar(&c.ioSize, "io", 1<<20, "sequential I/O size in bytes")
	flag.IntVar(&c.randOps, "rand-ops", 2000, "4 KiB random reads and writes, each")
	flag.IntVar(&c.metaOps, "meta-ops", 2000, "files created, stat'ed and removed")
	flag.IntVar(&c.smallN, "small", 2000, "4 KiB small files written and read back")
	flag.DurationVar(&c.limit, "limit", 3*time.Minute, "time bound of each workload")
	flag.StringVar(&c.only, "only", "", "comma-separated workloads to run (all when empty)")
	flag.StringVar(&c.dropCache, "drop-caches", "/proc/sys/vm/drop_caches", "file written with 3 to drop the page cache; empty to skip")
	flag.StringVar(&c.mountstats, "mountstats", "/proc/self/mountstats", "the client's per-operation RPC counts; empty to skip")
	flag.Parse()
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nfsbench:", err)
		os.Exit(1)
	}
}

// result is what one workload did.
type result struct {
	name  string
	ops   int
	bytes int64
	secs  float64
}

func (r result) String() string {
	return fmt.Sprintf("RESULT %s ops=%d bytes=%d secs=%.6f", r.name, r.ops, r.bytes, r.secs)
}

// marker tells the host about workload boundaries.
type marker struct {
	conn net.Conn
	r    *bufio.Reader
}

func (m *marker) say(word, name string) error {
	if m == nil {
		return nil
	}
	if _, err := fmt.Fprintf(m.conn, "%s %s\n", word, name); err != nil {
		return err
	}
	_, err := m.r.ReadString('\n')
	return err
}

// workload is one named measurement; prepare runs outside the timed window.
type workload struct {
	name    string
	drop    bool
	prepare func() error
	run     func(deadline time.Time) (ops int, bytes int64, err error)
}

func run(c config, out io.Writer) error {
	var m *marker
	if c.marker != "" {
		conn, err := net.DialTimeout("tcp", c.marker, 10*time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		m = &marker{conn: conn, r: bufio.NewReader(conn)}
	}
	b := &bench{c: c}
	want := map[string]bool{}
	for _, w := range strings.Split(c.only, ",") {
		if w != "" {
			want[w] = true
		}
	}
	for _, w := range b.workloads() {
		if len(want) > 0 && !want[w.name] {
			continue
		}
		if w.prepare != nil {
			if err := w.prepare(); err != nil {
				return fmt.Errorf("%s: prepare: %w", w.name, err)
			}
		}
		if w.drop {
			if err := b.dropCaches(); err != nil {
				return err
			}
		}
		if err := m.say("begin", w.name); err != nil {
			return err
		}
		before := rpcCounts(c.mountstats)
		start := time.Now()
		ops, n, err := w.run(start.Add(c.limit))
		secs := time.Since(start).Seconds()
		after := rpcCounts(c.mountstats)
		if merr := m.say("end", w.name); merr != nil && err == nil {
			err = merr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
		fmt.Fprintln(out, result{w.name, ops, n, secs})
		if line := rpcDiff(w.name, before, after); line != "" {
			fmt.Fprintln(out, line)
		}
	}
	return nil
}

// bench holds the paths the workloads share.
type bench struct {
	c config
}

func (b *bench) path(parts ...string) string {
	return filepath.Join(append([]string{b.c.dir}, parts...)...)
}

func (b *bench) dropCaches() error {
	if b.c.dropCache == "" {
		return nil
	}
	syscall.Sync()
	return os.WriteFile(b.c.dropCache, []byte("3\n"), 0)
}

func (b *bench) workloads() []workload {
	seq := b.path("seq")
	return []workload{
		{name: "seqwrite", run: func(dl time.Time) (int, int64, error) { return b.seqWrite(seq, dl) }},
		{name: "seqread", drop: true, run: func(dl time.Time) (int, int64, error) { return b.seqRead(seq, dl) }},
		{name: "randread", drop: true, run: func(dl time.Time) (int, int64, error) { return b.random(seq, false, dl) }},
		{name: "randwrite", drop: true, run: func(dl time.Time) (int, int64, error) { return b.random(seq, true, dl) }},
		{name: "create", prepare: func() error { return os.MkdirAll(b.path("meta"), 0o755) },
			run: func(dl time.Time) (int, int64, error) { return b.create(dl) }},
		{name: "stat", drop: true, run: func(dl time.Time) (int, int64, error) { return b.stat(dl) }},
		{name: "remove", drop: true, run: func(dl time.Time) (int, int64, error) { return b.remove(dl) }},
		{name: "smallwrite", prepare: func() error { return os.MkdirAll(b.path("small"), 0o755) },
			run: func(dl time.Time) (int, int64, error) { return b.smallWrite(dl) }},
		{name: "smallread", drop: true, run: func(dl time.Time) (int, int64, error) { return b.smallRead(dl) }},
	}
}

// seqWrite writes the sequential file with buffered I/O of c.ioSize and
// ends with fsync, so every byte has reached the server's stable storage
// (UNSTABLE WRITEs plus COMMIT) inside the timed window.
func (b *bench) seqWrite(p string, dl time.Time) (int, int64, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, b.c.ioSize)
	fill(buf, 1)
	total := int64(b.c.fileMiB) << 20
	var n int64
	ops := 0
	for n < total && time.Now().Before(dl) {
		k, err := f.Write(buf[:min(int64(len(buf)), total-n)])
		n += int64(k)
		ops++
		if err != nil {
			return ops, n, err
		}
	}
	if err := f.Sync(); err != nil {
		return ops, n, err
	}
	return ops, n, f.Close()
}

// seqRead reads the file back, cold (the caller dropped the page cache).
func (b *bench) seqRead(p string, dl time.Time) (int, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, b.c.ioSize)
	var n int64
	ops := 0
	for time.Now().Before(dl) {
		k, err := f.Read(buf)
		n += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		ops++
		if err != nil {
			return ops, n, err
		}
	}
	if want := int64(b.c.fileMiB) << 20; n != want && time.Now().Before(dl) {
		return ops, n, fmt.Errorf("read %d bytes, want %d", n, want)
	}
	return ops, n, nil
}

// random does c.randOps 4 KiB O_DIRECT reads or writes at random aligned
// offsets of the sequential file, at queue depth 1.
func (b *bench) random(p string, write bool, dl time.Time) (int, int64, error) {
	flags := os.O_RDONLY
	if write {
		flags = os.O_WRONLY
	}
	fd, err := syscall.Open(p, flags|syscall.O_DIRECT, 0)
	if err != nil {
		return 0, 0, err
	}
	defer syscall.Close(fd)
	buf := aligned(4096)
	fill(buf, 2)
	blocks := int64(b.c.fileMiB) << 20 / 4096
	rng := rand.New(rand.NewPCG(1, 2))
	var n int64
	ops := 0
	for ops < b.c.randOps && time.Now().Before(dl) {
		off := rng.Int64N(blocks) * 4096
		var k int
		if write {
			k, err = syscall.Pwrite(fd, buf, off)
		} else {
			k, err = syscall.Pread(fd, buf, off)
		}
		if err != nil {
			return ops, n, err
		}
		if k != len(buf) {
			return ops, n, fmt.Errorf("short transfer %d at %d", k, off)
		}
		n += int64(k)
		ops++
	}
	return ops, n, nil
}

func (b *bench) metaName(i int) string { return b.path("meta", fmt.Sprintf("f%05d", i)) }

// create makes c.metaOps empty files with O_CREAT|O_EXCL.
func (b *bench) create(dl time.Time) (int, int64, error) {
	ops := 0
	for ops < b.c.metaOps && time.Now().Before(dl) {
		fd, err := syscall.Open(b.metaName(ops), syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
		if err != nil {
			return ops, 0, err
		}
		syscall.Close(fd)
		ops++
	}
	return ops, 0, nil
}

// stat stats each created file, cold.
func (b *bench) stat(dl time.Time) (int, int64, error) {
	ops := 0
	var st syscall.Stat_t
	for ops < b.c.metaOps && time.Now().Before(dl) {
		if err := syscall.Stat(b.metaName(ops), &st); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				break // create stopped at its time bound
			}
			return ops, 0, err
		}
		ops++
	}
	return ops, 0, nil
}

// remove unlinks each created file.
func (b *bench) remove(dl time.Time) (int, int64, error) {
	ops := 0
	for ops < b.c.metaOps && time.Now().Before(dl) {
		if err := syscall.Unlink(b.metaName(ops)); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				break
			}
			return ops, 0, err
		}
		ops++
	}
	return ops, 0, nil
}

func (b *bench) smallName(i int) string { return b.path("small", fmt.Sprintf("s%05d", i)) }

// smallWrite creates c.smallN files of 4 KiB each; close flushes each to
// the server (close-to-open consistency).
func (b *bench) smallWrite(dl time.Time) (int, int64, error) {
	buf := make([]byte, 4096)
	var n int64
	ops := 0
	for ops < b.c.smallN && time.Now().Before(dl) {
		fill(buf, uint64(ops))
		f, err := os.OpenFile(b.smallName(ops), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return ops, n, err
		}
		k, err := f.Write(buf)
		n += int64(k)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return ops, n, err
		}
		ops++
	}
	return ops, n, nil
}

// smallRead reads the small files back, cold, and checks their contents.
func (b *bench) smallRead(dl time.Time) (int, int64, error) {
	want := make([]byte, 4096)
	var n int64
	ops := 0
	for ops < b.c.smallN && time.Now().Before(dl) {
		got, err := os.ReadFile(b.smallName(ops))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return ops, n, err
		}
		fill(want, uint64(ops))
		if string(got) != string(want) {
			return ops, n, fmt.Errorf("%s: wrong contents", b.smallName(ops))
		}
		n += int64(len(got))
		ops++
	}
	return ops, n, nil
}

// rpcCounts returns the number of calls per NFS procedure the kernel client
// has sent on its NFS mounts, from the "per-op statistics" sections of
// mountstats (the first number of each "PROC: n ..." line), or nil.
func rpcCounts(path string) map[string]int64 {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	counts := map[string]int64{}
	in := false
	for line := range strings.Lines(string(b)) {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "device "):
			in = false
		case t == "per-op statistics":
			in = true
		case in:
			name, rest, ok := strings.Cut(t, ":")
			f := strings.Fields(rest)
			if !ok || len(f) == 0 {
				continue
			}
			var n int64
			if _, err := fmt.Sscan(f[0], &n); err == nil {
				counts[name] += n
			}
		}
	}
	return counts
}

// rpcDiff renders the calls sent during a workload as
// "RPCS name PROC=n ...", procedures in alphabetical order.
func rpcDiff(name string, before, after map[string]int64) string {
	if after == nil {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if d := after[k] - before[k]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, d))
		}
	}
	return "RPCS " + name + " " + strings.Join(parts, " ")
}

// fill writes a cheap pseudo-random pattern determined by seed.
func fill(b []byte, seed uint64) {
	x := seed*0x9e3779b97f4a7c15 + 1
	for i := 0; i+8 <= len(b); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		for j := range 8 {
			b[i+j] = byte(x >> (8 * j))
		}
	}
}

// aligned returns n bytes aligned to 4096, as O_DIRECT requires.
func aligned(n int) []byte {
	b := make([]byte, n+4096)
	off := int((4096 - uintptr(unsafe.Pointer(&b[0]))%4096) % 4096)
	return b[off : off+n : off+n]
}

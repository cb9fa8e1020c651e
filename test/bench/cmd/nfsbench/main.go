// Command nfsbench runs the whole-server NFS benchmark workloads in a
// directory of an NFS mount and prints one machine-readable line per
// workload:
//
//	RESULT seqwrite ops=256 bytes=268435456 secs=6.512
//
// The random-I/O workloads, which make one call at a time, add their
// latency percentiles:
//
//	RESULT directwrite ops=2000 bytes=8192000 secs=1.402 p50_us=640 p99_us=1310
//
// It is built statically (CGO_ENABLED=0) and run in the QEMU guest by
// package bench. Every workload is bounded by a count and by -limit.
// -only runs some of them; one that works on another's files (seqread,
// randread and randwrite on seqwrite's, stat and remove on create's,
// smallread on smallwrite's) then runs that one first, untimed.
//
// With -marker HOST:PORT it tells a listener on the host when each workload
// begins and ends ("begin NAME\n", "end NAME\n", each answered with a line)
// so the host can read the server's CPU time exactly around it. The page
// cache is dropped (/proc/sys/vm/drop_caches, root only) outside those
// windows, before every workload that must reach the server.
package main

import (
	"bufio"
	"encoding/binary"
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
	directMiB  int
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
	flag.IntVar(&c.directMiB, "direct-mib", 64, "size of directwrite's file in MiB")
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
	name     string
	ops      int
	bytes    int64
	secs     float64
	p50, p99 time.Duration // of each call, for the workloads that time them
}

func (r result) String() string {
	s := fmt.Sprintf("RESULT %s ops=%d bytes=%d secs=%.6f", r.name, r.ops, r.bytes, r.secs)
	if r.p99 > 0 {
		s += fmt.Sprintf(" p50_us=%d p99_us=%d", r.p50.Microseconds(), r.p99.Microseconds())
	}
	return s
}

// percentile returns the p-th percentile (0 < p ≤ 1, nearest rank) of
// lat, which it sorts; 0 for none.
func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := int(float64(len(lat))*p+0.999999) - 1
	return lat[min(max(i, 0), len(lat)-1)]
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

// workload is one named measurement. prepare runs before the timed
// window, check after it (both outside the server's CPU window); needs
// names the workload whose files this one uses.
type workload struct {
	name    string
	drop    bool
	needs   string
	prepare func() error
	run     func(deadline time.Time) (ops int, bytes int64, err error)
	check   func() error
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
	all := b.workloads()
	byName := map[string]workload{}
	for _, w := range all {
		byName[w.name] = w
	}
	want := map[string]bool{}
	for _, w := range strings.Split(c.only, ",") {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		if _, ok := byName[w]; !ok {
			return fmt.Errorf("-only: unknown workload %q", w)
		}
		want[w] = true
	}
	for _, w := range all {
		if len(want) > 0 && !want[w.name] {
			continue
		}
		if dep := w.needs; dep != "" && len(want) > 0 && !want[dep] {
			// Make the files this workload uses, untimed and unreported.
			want[dep] = true
			if err := b.untimed(byName[dep]); err != nil {
				return fmt.Errorf("%s (for %s): %w", dep, w.name, err)
			}
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
		b.lat = b.lat[:0]
		start := time.Now()
		ops, n, err := w.run(start.Add(c.limit))
		secs := time.Since(start).Seconds()
		after := rpcCounts(c.mountstats)
		if merr := m.say("end", w.name); merr != nil && err == nil {
			err = merr
		}
		if err == nil && w.check != nil {
			err = w.check()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
		fmt.Fprintln(out, result{w.name, ops, n, secs, percentile(b.lat, 0.5), percentile(b.lat, 0.99)})
		if line := rpcDiff(w.name, before, after); line != "" {
			fmt.Fprintln(out, line)
		}
	}
	return nil
}

// untimed runs w outside any measurement, for the files it leaves.
func (b *bench) untimed(w workload) error {
	if w.prepare != nil {
		if err := w.prepare(); err != nil {
			return err
		}
	}
	_, _, err := w.run(time.Now().Add(b.c.limit))
	return err
}

// bench holds the paths the workloads share.
type bench struct {
	c config
	// lat collects the latency of each call of the workload running.
	lat []time.Duration
	// last is, for each 4 KiB block of directwrite's file, the last
	// write that went there, or -1.
	last []int32
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
	seq, direct := b.path("seq"), b.path("direct")
	return []workload{
		{name: "seqwrite", run: func(dl time.Time) (int, int64, error) { return b.seqWrite(seq, dl) }},
		{name: "seqread", drop: true, needs: "seqwrite", run: func(dl time.Time) (int, int64, error) { return b.seqRead(seq, dl) }},
		{name: "randread", drop: true, needs: "seqwrite", run: func(dl time.Time) (int, int64, error) { return b.random(seq, false, dl) }},
		{name: "randwrite", drop: true, needs: "seqwrite", run: func(dl time.Time) (int, int64, error) { return b.random(seq, true, dl) }},
		{name: "directwrite", drop: true, prepare: func() error { return b.directPrepare(direct) },
			run:   func(dl time.Time) (int, int64, error) { return b.directWrite(direct, dl) },
			check: func() error { return b.directCheck(direct) }},
		{name: "create", prepare: func() error { return os.MkdirAll(b.path("meta"), 0o755) },
			run: func(dl time.Time) (int, int64, error) { return b.create(dl) }},
		{name: "stat", drop: true, needs: "create", run: func(dl time.Time) (int, int64, error) { return b.stat(dl) }},
		{name: "remove", drop: true, needs: "create", run: func(dl time.Time) (int, int64, error) { return b.remove(dl) }},
		{name: "smallwrite", prepare: func() error { return os.MkdirAll(b.path("small"), 0o755) },
			run: func(dl time.Time) (int, int64, error) { return b.smallWrite(dl) }},
		{name: "smallread", drop: true, needs: "smallwrite", run: func(dl time.Time) (int, int64, error) { return b.smallRead(dl) }},
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
		t0 := time.Now()
		if write {
			k, err = syscall.Pwrite(fd, buf, off)
		} else {
			k, err = syscall.Pread(fd, buf, off)
		}
		b.lat = append(b.lat, time.Since(t0))
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

// directBlock is the unit of directwrite: the page size, which O_DIRECT
// needs offsets, lengths and the buffer aligned to.
const directBlock = 4096

// Tags of directwrite's blocks: each 512-byte sector of a block begins
// with the block's tag, so that a block written to the wrong place, a
// write lost or one torn at a sector is told apart from the right data.
func preallocTag(block int) uint64 { return 1<<62 | uint64(block) }
func writeTag(op int) uint64       { return 1<<61 | uint64(op) }

// directBase is the content of every directwrite block under its tags.
var directBase = func() []byte { b := make([]byte, directBlock); fill(b, 7); return b }()

// directContent sets buf (one block) to the base pattern stamped with tag.
func directContent(buf []byte, tag uint64) {
	copy(buf, directBase)
	for s := 0; s < directBlock; s += 512 {
		binary.LittleEndian.PutUint64(buf[s:], tag)
	}
}

// directPrepare writes directwrite's file, c.directMiB MiB, each block with
// its preallocation tag, and fsyncs it (untimed).
func (b *bench) directPrepare(p string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	blocks := b.c.directMiB << 20 / directBlock
	if blocks < 1 {
		return fmt.Errorf("-direct-mib %d: want at least 1", b.c.directMiB)
	}
	for blk := 0; blk < blocks; {
		n := 0
		for ; n < len(chunk) && blk < blocks; n += directBlock {
			directContent(chunk[n:n+directBlock], preallocTag(blk))
			blk++
		}
		if _, err := f.Write(chunk[:n]); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	b.last = make([]int32, blocks)
	for i := range b.last {
		b.last[i] = -1
	}
	return f.Close()
}

// directWrite does c.randOps 4 KiB O_DIRECT pwrites at random 4 KiB-aligned
// offsets of the preallocated file, one at a time, each with its own
// content (writeTag(op)), and records which write each block got last.
//
// What the Linux client (Debian's 6.1) sends for each: one 4 KiB WRITE
// with stable_how FILE_SYNC, and no COMMIT. fs/nfs/direct.c schedules a
// direct write with FLUSH_COND_STABLE, which asks for FILE_SYNC when the
// write is one RPC with nothing left to commit, as here. Checked over
// vers=4.1 with a proxy that decoded the calls (2026-12-07: 200
// directwrites, 200 WRITEs all FILE_SYNC; the UNSTABLE WRITEs and the
// COMMITs came from directPrepare's buffered writes and fsync) and in the
// guest's mountstats (WRITE = -rand-ops, nothing else but the OPEN,
// ACCESS and CLOSE of the file, against both servers).
func (b *bench) directWrite(p string, dl time.Time) (int, int64, error) {
	fd, err := syscall.Open(p, syscall.O_WRONLY|syscall.O_DIRECT, 0)
	if err != nil {
		return 0, 0, err
	}
	defer syscall.Close(fd)
	buf := aligned(directBlock)
	rng := rand.New(rand.NewPCG(3, 4))
	var n int64
	ops := 0
	for ops < b.c.randOps && time.Now().Before(dl) {
		blk := rng.IntN(len(b.last))
		directContent(buf, writeTag(ops))
		t0 := time.Now()
		k, err := syscall.Pwrite(fd, buf, int64(blk)*directBlock)
		b.lat = append(b.lat, time.Since(t0))
		if err != nil {
			return ops, n, err
		}
		if k != len(buf) {
			return ops, n, fmt.Errorf("short write %d at block %d", k, blk)
		}
		b.last[blk] = int32(ops)
		n += int64(k)
		ops++
	}
	return ops, n, nil
}

// directCheck reads directwrite's file back with O_DIRECT (from the
// server, not the page cache) and checks that every block holds the last
// write to it, or its preallocated content.
func (b *bench) directCheck(p string) error {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return err
	}
	if want := int64(len(b.last)) * directBlock; st.Size != want {
		return fmt.Errorf("check: file size %d, want %d", st.Size, want)
	}
	chunk := aligned(1 << 20)
	want := make([]byte, directBlock)
	for off := 0; off < len(b.last)*directBlock; off += len(chunk) {
		n := min(len(chunk), len(b.last)*directBlock-off)
		k, err := syscall.Pread(fd, chunk[:n], int64(off))
		if err != nil {
			return err
		}
		if k != n {
			return fmt.Errorf("check: short read %d at %d", k, off)
		}
		for i := 0; i < n; i += directBlock {
			blk := (off + i) / directBlock
			tag, what := preallocTag(blk), "its preallocated content"
			if op := b.last[blk]; op >= 0 {
				tag, what = writeTag(int(op)), fmt.Sprintf("write %d", op)
			}
			directContent(want, tag)
			if got := chunk[i : i+directBlock]; string(got) != string(want) {
				return fmt.Errorf("check: block %d (offset %d) does not hold %s (first word %#x)",
					blk, blk*directBlock, what, binary.LittleEndian.Uint64(got))
			}
		}
	}
	return nil
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

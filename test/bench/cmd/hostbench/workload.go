package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// workloads are the workloads in the order a run does them; create comes
// before remove, which removes the files create made.
var workloads = []string{
	"seqwrite", "seqwrite-sync", "seqread", "randread", "randwrite", "randwrite-sync",
	"getattr", "create", "remove", "smallfiles", "smallfiles-sync",
}

// sequential reports whether workload's figure of merit is MiB/s.
func sequential(workload string) bool {
	return workload == "seqwrite" || workload == "seqwrite-sync" || workload == "seqread"
}

// params bound and shape the workloads of one run.
type params struct {
	// depth is the number of calls in flight (one worker each).
	depth int
	// duration and ops bound each workload's timed part; seqMiB bounds
	// the sequential ones (in MiB moved).
	duration time.Duration
	ops      int
	seqMiB   int
	// fileMiB is the size of the data file; ioSize the sequential I/O
	// size (a divisor of a MiB).
	fileMiB int
	ioSize  int
	// prefix starts the names of the run's files, so runs never collide.
	prefix string
}

// smallSize is the size of random I/O and small files.
const smallSize = 4096

// result is what one workload did in its timed part.
type result struct {
	workload string
	ops      int64
	bytes    int64
	elapsed  time.Duration
	// p50 and p99 are latency percentiles of one operation (all of its
	// RPCs: smallfiles' create, write, commit and close are one).
	p50, p99 time.Duration
	// cpu is the server's CPU time during the timed part (-1 when not
	// measured).
	cpu time.Duration
}

func (r result) opsPerSec() float64 { return float64(r.ops) / r.elapsed.Seconds() }
func (r result) mibPerSec() float64 { return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds() }

// rate returns the figure of merit: MiB/s for the sequential workloads,
// operations per second for the others.
func (r result) rate() float64 {
	if sequential(r.workload) {
		return r.mibPerSec()
	}
	return r.opsPerSec()
}

// cpuPerGiB returns server CPU seconds per GiB moved, 0 without data.
func (r result) cpuPerGiB() float64 {
	if r.bytes == 0 || r.cpu < 0 {
		return 0
	}
	return r.cpu.Seconds() / (float64(r.bytes) / (1 << 30))
}

// cpuPerKop returns server CPU seconds per 1,000 operations.
func (r result) cpuPerKop() float64 {
	if r.ops == 0 || r.cpu < 0 {
		return 0
	}
	return r.cpu.Seconds() / (float64(r.ops) / 1000)
}

// pattern returns the content every file of the benchmark has at offset
// off: each 8-byte word holds its own offset, scrambled, so that a read of
// the wrong offset, of another file's hole or of zeros never matches.
func pattern(off uint64, n int) []byte {
	p := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(p[i:], word(off+uint64(i)))
	}
	return p
}

func word(off uint64) uint64 { return (off ^ 0x5bd1e9955bd1e995) * 0x9e3779b97f4a7c15 }

// errMismatch reports data that differs from what was written.
var errMismatch = errors.New("data mismatch")

// verify checks data read at off against the pattern (want, the
// pattern's bytes at off).
func verify(data, want []byte, off uint64) error {
	if len(data) != len(want) {
		return fmt.Errorf("%w: read %d bytes at %d, want %d", errMismatch, len(data), off, len(want))
	}
	if bytes.Equal(data, want) {
		return nil
	}
	i := 0
	for data[i] == want[i] {
		i++
	}
	return fmt.Errorf("%w at offset %d: byte %#02x, want %#02x", errMismatch, off+uint64(i), data[i], want[i])
}

// runner runs the workloads on one client.
type runner struct {
	c   client
	p   params
	cpu func() (time.Duration, error) // the server's CPU time; nil when unknown

	content []byte // the pattern of the data file
	data    *file  // the data file
	filled  []atomic.Bool
	created []*createdFile // by create, for remove
}

type createdFile struct {
	name string
	fh   []byte
}

// newRunner creates the run's data file (untimed); close removes it.
func newRunner(ctx context.Context, c client, p params, cpu func() (time.Duration, error)) (*runner, error) {
	if p.ioSize <= 0 || (1<<20)%p.ioSize != 0 || p.ioSize > maxIO {
		return nil, fmt.Errorf("I/O size %d: want a divisor of 1 MiB", p.ioSize)
	}
	if p.depth < 1 || p.fileMiB < 1 || p.ops < 1 || p.seqMiB < 1 || p.duration <= 0 {
		return nil, fmt.Errorf("bad parameters %+v", p)
	}
	r := &runner{c: c, p: p, cpu: cpu, content: pattern(0, p.fileMiB<<20)}
	r.filled = make([]atomic.Bool, len(r.content)/p.ioSize)
	f, err := c.create(ctx, 0, p.prefix+"data")
	if err != nil {
		return nil, err
	}
	r.data = f
	return r, nil
}

// close closes and removes the data file and any files create left.
func (r *runner) close(ctx context.Context) error {
	errs := []error{r.c.close(ctx, 0, r.data), r.c.remove(ctx, 0, r.p.prefix+"data")}
	if len(r.created) > 0 {
		errs = append(errs, r.removeCreated(ctx))
	}
	return errors.Join(errs...)
}

// run runs one workload.
func (r *runner) run(ctx context.Context, workload string) (result, error) {
	switch workload {
	case "seqwrite":
		return r.seqwrite(ctx, unstable)
	case "seqwrite-sync":
		return r.seqwrite(ctx, fileSync)
	case "seqread":
		return r.seqread(ctx)
	case "randread":
		return r.randread(ctx)
	case "randwrite":
		return r.randwrite(ctx, unstable)
	case "randwrite-sync":
		return r.randwrite(ctx, fileSync)
	case "getattr":
		return r.getattr(ctx)
	case "create":
		return r.create(ctx)
	case "remove":
		return r.remove(ctx)
	case "smallfiles":
		return r.smallfiles(ctx, unstable)
	case "smallfiles-sync":
		return r.smallfiles(ctx, fileSync)
	}
	return result{}, fmt.Errorf("unknown workload %q", workload)
}

// timed runs op(w, i) for i = 0, 1, ... n-1 on depth workers until n or
// the duration is reached, then finish (in the timed part, e.g. a
// COMMIT), and measures the server's CPU time around it all.
func (r *runner) timed(ctx context.Context, workload string, n int64, bytesPerOp int64,
	op func(ctx context.Context, w int, i int64) error, finish func(ctx context.Context) error) (result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cpu0, err := r.cpuNow()
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	deadline := start.Add(r.p.duration)
	var next, done atomic.Int64
	lats := make([][]time.Duration, r.p.depth)
	var wg sync.WaitGroup
	for w := range r.p.depth {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= n || time.Now().After(deadline) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := op(ctx, w, i); err != nil {
					cancel(fmt.Errorf("%s: %w", workload, err))
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return result{}, err
	}
	if finish != nil {
		if err := finish(ctx); err != nil {
			return result{}, fmt.Errorf("%s: %w", workload, err)
		}
	}
	elapsed := time.Since(start)
	cpu1, err := r.cpuNow()
	if err != nil {
		return result{}, err
	}
	res := result{workload: workload, ops: done.Load(), bytes: done.Load() * bytesPerOp, elapsed: elapsed, cpu: cpu1 - cpu0}
	if cpu0 < 0 {
		res.cpu = -1
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	if len(all) > 0 {
		res.p50, res.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return res, nil
}

func (r *runner) cpuNow() (time.Duration, error) {
	if r.cpu == nil {
		return -1, nil
	}
	return r.cpu()
}

// writeVariant returns the name of a write workload with how, and the
// end of its timed part: a COMMIT of the data file after UNSTABLE writes.
func (r *runner) writeVariant(base string, how stableHow) (string, func(context.Context) error) {
	if how == fileSync {
		return base + "-sync", nil
	}
	return base, func(ctx context.Context) error { return r.c.commit(ctx, 0, r.data) }
}

// seqIOs returns the sequential I/O count of seqMiB.
func (r *runner) seqIOs() int64 { return int64(r.p.seqMiB) << 20 / int64(r.p.ioSize) }

// seqOffset returns the offset of sequential I/O i: through the data file
// and round again.
func (r *runner) seqOffset(i int64) uint64 {
	return uint64(i*int64(r.p.ioSize)) % uint64(len(r.content))
}

func (r *runner) seqwrite(ctx context.Context, how stableHow) (result, error) {
	name, finish := r.writeVariant("seqwrite", how)
	return r.timed(ctx, name, r.seqIOs(), int64(r.p.ioSize), func(ctx context.Context, w int, i int64) error {
		off := r.seqOffset(i)
		if err := r.c.write(ctx, w, r.data, off, r.content[off:off+uint64(r.p.ioSize)], how); err != nil {
			return err
		}
		r.filled[off/uint64(r.p.ioSize)].Store(true)
		// Commit each file's worth of unstable data, as a client's
		// writeback would, not only at the end.
		if how == unstable && (i+1)%int64(len(r.filled)) == 0 {
			return r.c.commit(ctx, w, r.data)
		}
		return nil
	}, finish)
}

// fill writes the parts of the data file no sequential write has
// (untimed), so that every read has the pattern to check.
func (r *runner) fill(ctx context.Context) error {
	var missing []int
	for i := range r.filled {
		if !r.filled[i].Load() {
			missing = append(missing, i)
		}
	}
	return r.parallel(ctx, len(missing), func(ctx context.Context, w, i int) error {
		off := uint64(missing[i] * r.p.ioSize)
		if err := r.c.write(ctx, w, r.data, off, r.content[off:off+uint64(r.p.ioSize)], fileSync); err != nil {
			return err
		}
		r.filled[missing[i]].Store(true)
		return nil
	})
}

// parallel runs fn(w, i) for i < n on depth workers, untimed.
func (r *runner) parallel(ctx context.Context, n int, fn func(ctx context.Context, w, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(r.p.depth, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, w, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// readFull reads n bytes at off, continuing after short reads, and
// verifies them.
func (r *runner) readFull(ctx context.Context, w int, f *file, off uint64, n int) error {
	want := r.content[off : off+uint64(n)]
	got := 0
	for got < n {
		data, eof, err := r.c.read(ctx, w, f, off+uint64(got), uint32(n-got))
		if err != nil {
			return err
		}
		if err := verify(data, want[got:got+len(data)], off+uint64(got)); err != nil {
			return err
		}
		got += len(data)
		if got < n && (eof || len(data) == 0) {
			return fmt.Errorf("%w: %d bytes at %d, want %d (end of file)", errMismatch, got, off, n)
		}
	}
	return nil
}

func (r *runner) seqread(ctx context.Context) (result, error) {
	if err := r.fill(ctx); err != nil {
		return result{}, err
	}
	return r.timed(ctx, "seqread", r.seqIOs(), int64(r.p.ioSize), func(ctx context.Context, w int, i int64) error {
		return r.readFull(ctx, w, r.data, r.seqOffset(i), r.p.ioSize)
	}, nil)
}

// randOffset returns a random 4 KiB-aligned offset of the data file.
func (r *runner) randOffset(rng *rand.Rand) uint64 {
	return uint64(rng.IntN(len(r.content)/smallSize)) * smallSize
}

// rngs returns one random source per worker, seeded by the worker.
func (r *runner) rngs() []*rand.Rand {
	rs := make([]*rand.Rand, r.p.depth)
	for w := range rs {
		rs[w] = rand.New(rand.NewPCG(uint64(w), 0x686f737462656e63))
	}
	return rs
}

func (r *runner) randread(ctx context.Context) (result, error) {
	if err := r.fill(ctx); err != nil {
		return result{}, err
	}
	rs := r.rngs()
	return r.timed(ctx, "randread", int64(r.p.ops), smallSize, func(ctx context.Context, w int, _ int64) error {
		return r.readFull(ctx, w, r.data, r.randOffset(rs[w]), smallSize)
	}, nil)
}

func (r *runner) randwrite(ctx context.Context, how stableHow) (result, error) {
	name, finish := r.writeVariant("randwrite", how)
	rs := r.rngs()
	return r.timed(ctx, name, int64(r.p.ops), smallSize, func(ctx context.Context, w int, _ int64) error {
		off := r.randOffset(rs[w])
		return r.c.write(ctx, w, r.data, off, r.content[off:off+smallSize], how)
	}, finish)
}

func (r *runner) getattr(ctx context.Context) (result, error) {
	return r.timed(ctx, "getattr", int64(r.p.ops), 0, func(ctx context.Context, w int, _ int64) error {
		return r.c.getattr(ctx, w, r.data)
	}, nil)
}

// create makes empty files (closing each over NFSv4.1, as creat+close
// does) and keeps their names for remove.
func (r *runner) create(ctx context.Context) (result, error) {
	if err := r.removeCreated(ctx); err != nil {
		return result{}, err
	}
	made := make([]*createdFile, r.p.ops)
	res, err := r.timed(ctx, "create", int64(r.p.ops), 0, func(ctx context.Context, w int, i int64) error {
		name := fmt.Sprintf("%sc%d", r.p.prefix, i)
		f, err := r.c.create(ctx, w, name)
		if err != nil {
			return err
		}
		made[i] = &createdFile{name: name, fh: f.fh}
		return r.c.close(ctx, w, f)
	}, nil)
	for _, f := range made {
		if f != nil {
			r.created = append(r.created, f)
		}
	}
	return res, err
}

// remove removes the files create made (making -ops of them, untimed,
// when create did not run).
func (r *runner) remove(ctx context.Context) (result, error) {
	if len(r.created) == 0 {
		if _, err := r.create(ctx); err != nil {
			return result{}, err
		}
	}
	files := r.created
	r.created = nil
	res, err := r.timed(ctx, "remove", int64(len(files)), 0, func(ctx context.Context, w int, i int64) error {
		if err := r.c.remove(ctx, w, files[i].name); err != nil {
			return err
		}
		files[i] = nil
		return nil
	}, nil)
	for _, f := range files {
		if f != nil {
			r.created = append(r.created, f)
		}
	}
	if err != nil {
		return res, err
	}
	return res, r.removeCreated(ctx)
}

// removeCreated removes what create made and remove left (untimed).
func (r *runner) removeCreated(ctx context.Context) error {
	files := r.created
	r.created = nil
	return r.parallel(ctx, len(files), func(ctx context.Context, w, i int) error {
		return r.c.remove(ctx, w, files[i].name)
	})
}

// smallfiles creates files of 4 KiB: create, write, COMMIT for unstable
// writes (what a client's close does), close. Afterwards (untimed) it
// reads some of them back, verifies them and removes them all.
func (r *runner) smallfiles(ctx context.Context, how stableHow) (result, error) {
	name := "smallfiles"
	if how == fileSync {
		name = "smallfiles-sync"
	}
	made := make([]*createdFile, r.p.ops)
	res, err := r.timed(ctx, name, int64(r.p.ops), smallSize, func(ctx context.Context, w int, i int64) error {
		fname := fmt.Sprintf("%ss%d", r.p.prefix, i)
		f, err := r.c.create(ctx, w, fname)
		if err != nil {
			return err
		}
		made[i] = &createdFile{name: fname, fh: f.fh}
		if err := r.c.write(ctx, w, f, 0, r.content[:smallSize], how); err != nil {
			return err
		}
		if how == unstable {
			if err := r.c.commit(ctx, w, f); err != nil {
				return err
			}
		}
		return r.c.close(ctx, w, f)
	}, nil)
	var files []*createdFile
	for _, f := range made {
		if f != nil {
			files = append(files, f)
		}
	}
	if err != nil {
		r.created = append(r.created, files...)
		return res, err
	}
	// Read back up to 8 files spread over those made.
	for k := range min(8, len(files)) {
		f := files[k*len(files)/min(8, len(files))]
		data, _, err := r.c.readAnon(ctx, 0, f.fh, 0, 2*smallSize)
		if err != nil {
			return res, fmt.Errorf("%s: reading %s back: %w", name, f.name, err)
		}
		if err := verify(data, r.content[:smallSize], 0); err != nil {
			return res, fmt.Errorf("%s: %s: %w", name, f.name, err)
		}
	}
	r.created = files
	return res, r.removeCreated(ctx)
}

//go:build unix

package store_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/localfs"
)

// The disk benchmarks run store.FS over store/badger and store/localfs in
// a temporary directory with every fsync on, as a server does: they
// measure what a stable write and a COMMIT cost, which the in-memory
// benchmarks cannot.

// diskFS returns an FS over badger and localfs in a new temporary
// directory, closed at the end of the benchmark.
func diskFS(b *testing.B) *store.FS {
	b.Helper()
	dir := b.TempDir()
	meta, err := badger.Open(filepath.Join(dir, "meta"), badger.Options{})
	if err != nil {
		b.Fatal(err)
	}
	blocks, err := localfs.Open(filepath.Join(dir, "blocks"), localfs.Options{})
	if err != nil {
		meta.Close()
		b.Fatal(err)
	}
	fs, err := store.NewFS(meta, blocks, store.Options{Atime: store.AtimeNever, FlushInterval: -1, RootMode: 0o777})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		fs.Close()
		blocks.Close()
		meta.Close()
	})
	return fs
}

// BenchmarkWriteDisk4KiBRandom writes 4 KiB at random aligned offsets of a
// 256 MiB file, unstable, unstable with a COMMIT after every 64 writes of
// each writer (commit=64), or FILE_SYNC, from 1 or 32 goroutines (32 NFS
// WRITEs in flight). 32 FILE_SYNC writes in flight share backend syncs
// when the store groups them.
func BenchmarkWriteDisk4KiBRandom(b *testing.B) {
	const commitEvery = 64
	for _, mode := range []string{"unstable", "commit=64", "filesync"} {
		how := store.Unstable
		if mode == "filesync" {
			how = store.FileSync
		}
		for _, inflight := range []int{1, 32} {
			name := mode
			b.Run(fmt.Sprintf("%s/inflight=%d", name, inflight), func(b *testing.B) {
				fs := diskFS(b)
				f := create(b, fs, alice, fs.Root(), "f", 0o644)
				const size = 256 << 20
				if _, err := fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetSize, Size: size}); err != nil {
					b.Fatal(err)
				}
				var seed atomic.Uint64
				b.SetBytes(4096)
				b.ReportAllocs()
				// RunParallel starts parallelism×GOMAXPROCS goroutines.
				b.SetParallelism(max(1, inflight/runtime.GOMAXPROCS(0)))
				b.ResetTimer()
				run := func(next func() bool) {
					s := seed.Add(1)
					rnd := rand.New(rand.NewPCG(s, 2))
					p := make([]byte, 4096)
					for i := 0; next(); i++ {
						p[0], p[1] = byte(i), byte(s)
						off := int64(rnd.IntN(size/4096)) * 4096
						if _, _, err := fs.WriteAt(ctx, alice, f, p, off, how); err != nil {
							b.Error(err)
							return
						}
						if mode == "commit=64" && i%commitEvery == commitEvery-1 {
							if _, err := fs.Commit(ctx, alice, f); err != nil {
								b.Error(err)
								return
							}
						}
					}
				}
				if inflight == 1 {
					n := 0
					run(func() bool { n++; return n <= b.N })
				} else {
					b.RunParallel(func(pb *testing.PB) { run(pb.Next) })
				}
			})
		}
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriteDiskSeq1MiB writes a file sequentially in 1 MiB unstable
// writes with a COMMIT after every 16 MiB, as the Linux client does with
// wsize=1M. It reports the CPU time of the whole process (the store's
// background work included) per GiB written, as cpu-ms/GiB.
func BenchmarkWriteDiskSeq1MiB(b *testing.B) {
	fs := diskFS(b)
	f := create(b, fs, alice, fs.Root(), "f", 0o644)
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	defer func() {
		b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())*1024/float64(b.N), "cpu-ms/GiB")
	}()
	for i := 0; i < b.N; i++ {
		p[0], p[1] = byte(i), byte(i>>8) // new content: no dedup
		if _, _, err := fs.WriteAt(ctx, alice, f, p, int64(i%256)<<20, store.Unstable); err != nil {
			b.Fatal(err)
		}
		if i%16 == 15 || i == b.N-1 {
			if _, err := fs.Commit(ctx, alice, f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

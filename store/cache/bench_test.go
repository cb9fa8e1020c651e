package cache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/cache"
	"github.com/dittofs/dittofs/store/localfs"
	s3store "github.com/dittofs/dittofs/store/s3"
	"github.com/dittofs/dittofs/store/s3/s3test"
)

// The benchmarks of docs/benchmarks.md ("Block stores: S3 and the
// write-back cache"): store.FS over BadgerDB metadata and each block store,
// a 32 MiB file written sequentially in 1 MiB unstable WRITEs + COMMIT, read
// back sequentially in 1 MiB reads, and read at random in 4 KiB reads. S3 is
// gofakes3 on loopback, with no added latency and with 10 ms added to every
// request (a model of S3's first-byte latency, not a measurement of S3).
const (
	benchFile  = 32 << 20
	benchChunk = 1 << 20
)

var benchCred = &store.Cred{}

type benchSetup struct {
	name string
	// open returns the block store for a run; fresh asks for an empty
	// local tier over the same remote (a cold cache).
	open func(b *testing.B, fresh bool) store.Blocks
	// drain waits for background uploads, when there are any.
	drain func(store.Blocks)
}

func slowS3(b *testing.B, latency time.Duration) *s3test.Server {
	return s3test.Fake(b, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(latency)
			h.ServeHTTP(w, r)
		})
	})
}

func benchSetups() []benchSetup {
	s3Open := func(b *testing.B, srv **s3test.Server, latency time.Duration) *s3store.Blocks {
		if *srv == nil {
			*srv = slowS3(b, latency)
		}
		bl, err := s3store.Open(context.Background(), (*srv).Options("bench/"))
		if err != nil {
			b.Fatal(err)
		}
		return bl
	}
	var setups []benchSetup
	setups = append(setups, benchSetup{name: "localfs", open: func(b *testing.B, fresh bool) store.Blocks {
		l, err := localfs.Open(filepath.Join(b.TempDir(), "blocks"), localfs.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { l.Close() })
		return l
	}})
	for _, lat := range []time.Duration{0, 10 * time.Millisecond} {
		suffix := ""
		if lat > 0 {
			suffix = fmt.Sprintf("+%v", lat)
		}
		setups = append(setups, benchSetup{name: "s3" + suffix, open: func(b *testing.B, fresh bool) store.Blocks {
			var srv *s3test.Server
			bl := s3Open(b, &srv, lat)
			b.Cleanup(func() { bl.Close() })
			return bl
		}})
		var srv *s3test.Server
		setups = append(setups, benchSetup{name: "cache-s3" + suffix, open: func(b *testing.B, fresh bool) store.Blocks {
			if !fresh {
				srv = nil
			}
			c, err := cache.Open(s3Open(b, &srv, lat), cache.Options{Dir: b.TempDir(), Capacity: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close() })
			return c
		}, drain: func(bl store.Blocks) {
			if err := bl.(*cache.Cache).Drain(context.Background()); err != nil {
				panic(err)
			}
		}})
	}
	return setups
}

func benchFS(b *testing.B, blocks store.Blocks, meta store.Metadata) *store.FS {
	fsys, err := store.NewFS(meta, blocks, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return fsys
}

func benchMeta(b *testing.B, dir string) store.Metadata {
	m, err := badger.Open(dir, badger.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// writeFile writes the benchmark file into fsys and commits it.
func writeFile(b *testing.B, fsys *store.FS, name string, seed uint64) store.Handle {
	ctx := context.Background()
	h, _, _, err := fsys.Create(ctx, benchCred, fsys.Root(), name, store.CreateGuarded, &store.SetAttr{Mask: store.SetMode, Mode: 0o644}, store.Verifier{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	p := make([]byte, benchChunk)
	for off := 0; off < benchFile; off += benchChunk {
		for i := 0; i < len(p); i += 8 {
			v := r.Uint64()
			for j := range 8 {
				p[i+j] = byte(v >> (8 * j))
			}
		}
		if _, _, err := fsys.WriteAt(ctx, benchCred, h, p, int64(off), store.Unstable); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := fsys.Commit(ctx, benchCred, h); err != nil {
		b.Fatal(err)
	}
	return h
}

func BenchmarkFS(b *testing.B) {
	ctx := context.Background()
	for _, s := range benchSetups() {
		b.Run(s.name+"/SeqWrite", func(b *testing.B) {
			meta := benchMeta(b, b.TempDir())
			defer meta.Close()
			fsys := benchFS(b, s.open(b, false), meta)
			defer fsys.Close()
			b.SetBytes(benchFile)
			i := 0
			for b.Loop() {
				writeFile(b, fsys, fmt.Sprint("f", i), uint64(i))
				i++
			}
		})
		if s.drain != nil {
			b.Run(s.name+"/SeqWriteUploaded", func(b *testing.B) {
				bl := s.open(b, false)
				meta := benchMeta(b, b.TempDir())
				defer meta.Close()
				fsys := benchFS(b, bl, meta)
				defer fsys.Close()
				b.SetBytes(benchFile)
				i := 0
				for b.Loop() {
					writeFile(b, fsys, fmt.Sprint("f", i), uint64(i))
					s.drain(bl)
					i++
				}
			})
		}
		// warm: the file just written, read through the same store.
		warm := func(b *testing.B, random bool) {
			bl := s.open(b, false)
			meta := benchMeta(b, b.TempDir())
			defer meta.Close()
			fsys := benchFS(b, bl, meta)
			defer fsys.Close()
			h := writeFile(b, fsys, "f", 1)
			if s.drain != nil {
				s.drain(bl)
			}
			r := rand.New(rand.NewPCG(2, 3))
			size := benchChunk
			if random {
				size = 4 << 10
			}
			p := make([]byte, size)
			b.SetBytes(int64(size))
			off := 0
			for b.Loop() {
				if random {
					off = r.IntN(benchFile/size) * size
				} else if off >= benchFile {
					off = 0
				}
				if _, _, _, err := fsys.ReadAt(ctx, benchCred, h, p, int64(off)); err != nil {
					b.Fatal(err)
				}
				off += size
			}
		}
		// cold: every iteration reads through an empty cache over the
		// bucket holding the file: the whole file sequentially, or 256
		// random 4 KiB reads.
		cold := func(b *testing.B, random bool) {
			metaDir := b.TempDir()
			bl := s.open(b, false)
			meta := benchMeta(b, metaDir)
			fsys := benchFS(b, bl, meta)
			h := writeFile(b, fsys, "f", 1)
			s.drain(bl)
			if err := fsys.Close(); err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(2, 3))
			const randReads = 256
			if random {
				b.SetBytes(randReads * 4 << 10)
			} else {
				b.SetBytes(benchFile)
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				c := s.open(b, true)
				fsys := benchFS(b, c, meta)
				b.StartTimer()
				if random {
					p := make([]byte, 4<<10)
					for range randReads {
						off := r.IntN(benchFile/len(p)) * len(p)
						if _, _, _, err := fsys.ReadAt(ctx, benchCred, h, p, int64(off)); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					p := make([]byte, benchChunk)
					for off := 0; off < benchFile; off += len(p) {
						if _, _, _, err := fsys.ReadAt(ctx, benchCred, h, p, int64(off)); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				fsys.Close()
				c.(*cache.Cache).Close()
				b.StartTimer()
			}
			b.StopTimer()
			meta.Close()
		}
		b.Run(s.name+"/SeqRead", func(b *testing.B) { warm(b, false) })
		b.Run(s.name+"/RandRead4K", func(b *testing.B) { warm(b, true) })
		if s.drain != nil {
			b.Run(s.name+"/SeqReadCold", func(b *testing.B) { cold(b, false) })
			b.Run(s.name+"/RandRead4KCold", func(b *testing.B) { cold(b, true) })
		}
	}
}

package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dittofs/dittofs/store"
)

func benchFS(b *testing.B) *store.FS {
	return newFS(b, store.Options{Atime: store.AtimeNever})
}

func BenchmarkLookup(b *testing.B) {
	fs := benchFS(b)
	d := mkdir(b, fs, alice, fs.Root(), "d", 0o755)
	for i := 0; i < 1000; i++ {
		create(b, fs, alice, d, fmt.Sprintf("f%d", i), 0o644)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := fs.Lookup(ctx, bob, d, "f500"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetAttr(b *testing.B) {
	fs := benchFS(b)
	f := create(b, fs, alice, fs.Root(), "f", 0o644)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := fs.GetAttr(ctx, alice, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateRemove(b *testing.B) {
	fs := benchFS(b)
	d := mkdir(b, fs, alice, fs.Root(), "d", 0o755)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, _, err := fs.Create(ctx, alice, d, "f", store.CreateGuarded, nil, store.Verifier{}); err != nil {
			b.Fatal(err)
		}
		if _, err := fs.Remove(ctx, alice, d, "f"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadDir10000(b *testing.B) {
	for _, plus := range []bool{false, true} {
		b.Run(fmt.Sprintf("plus=%v", plus), func(b *testing.B) {
			fs := benchFS(b)
			d := mkdir(b, fs, alice, fs.Root(), "d", 0o755)
			for i := 0; i < 10000; i++ {
				create(b, fs, alice, d, fmt.Sprintf("file-%05d", i), 0o644)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := 0
				_, eof, err := fs.ReadDir(ctx, alice, d, 0, store.Verifier{}, plus, func(*store.DirEntry) bool { n++; return true })
				if err != nil || !eof || n != 10000 {
					b.Fatal(n, eof, err)
				}
			}
		})
	}
}

func BenchmarkWrite1MiB(b *testing.B) {
	fs := benchFS(b)
	f := create(b, fs, alice, fs.Root(), "f", 0o644)
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(i)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p[0] = byte(i) // new content each time: no dedup
		p[1] = byte(i >> 8)
		if _, _, err := fs.WriteAt(ctx, alice, f, p, int64(i%64)<<20, store.Unstable); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead1MiB(b *testing.B) {
	fs := benchFS(b)
	f := create(b, fs, alice, fs.Root(), "f", 0o644)
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(i)
	}
	if _, _, err := fs.WriteAt(ctx, alice, f, p, 0, store.FileSync); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n, _, _, err := fs.ReadAt(ctx, alice, f, p, 0); err != nil || n != len(p) {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkWrite4KiBRandom(b *testing.B) {
	for _, how := range []store.Stability{store.Unstable, store.FileSync} {
		b.Run(fmt.Sprintf("stable=%d", how), func(b *testing.B) {
			fs := benchFS(b)
			f := create(b, fs, alice, fs.Root(), "f", 0o644)
			const size = 256 << 20
			if _, err := fs.SetAttr(ctx, alice, f, &store.SetAttr{Mask: store.SetSize, Size: size}); err != nil {
				b.Fatal(err)
			}
			p := make([]byte, 4096)
			rnd := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p[0] = byte(i)
				off := int64(rnd.IntN(size/4096)) * 4096
				if _, _, err := fs.WriteAt(ctx, alice, f, p, off, how); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkClone1GiBSparse(b *testing.B) {
	fs := benchFS(b)
	src := create(b, fs, alice, fs.Root(), "src", 0o644)
	for _, off := range []int64{0, 256 << 20, 512 << 20, 1<<30 - 4096} {
		if _, _, err := fs.WriteAt(ctx, alice, src, make([]byte, 4096), off, store.FileSync); err != nil {
			b.Fatal(err)
		}
	}
	dst := create(b, fs, alice, fs.Root(), "dst", 0o644)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := fs.Clone(ctx, alice, src, 0, dst, 0, 1<<30); err != nil {
			b.Fatal(err)
		}
	}
}

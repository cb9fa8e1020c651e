package storetest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// BenchmarkMetadata runs the standard benchmarks of a store.Metadata
// backend: Get of one key in a View, Put of one key in an Update (also
// from parallel goroutines on disjoint keys), and a Scan of 10,000 keys.
// Keys are 16 bytes and values 100, about the size of store.FS's node and
// entry records.
func BenchmarkMetadata(b *testing.B, newBackend func(b *testing.B) store.Metadata) {
	ctx := context.Background()
	const keys = 10000
	val := make([]byte, 100)
	key := func(dst []byte, i int) []byte {
		dst = append(dst[:0], "bench/k/"...)
		return binary.BigEndian.AppendUint64(dst, uint64(i))
	}
	fill := func(b *testing.B, m store.Metadata) {
		b.Helper()
		for i := 0; i < keys; i += 1000 {
			err := m.Update(ctx, func(tx store.Tx) error {
				for j := i; j < i+1000; j++ {
					if err := tx.Put(key(nil, j), val); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Get", func(b *testing.B) {
		m := newBackend(b)
		fill(b, m)
		k := make([]byte, 0, 16)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k = key(k, i%keys)
			i += 7919
			err := m.View(ctx, func(tx store.Tx) error {
				_, err := tx.Get(k)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetParallel", func(b *testing.B) {
		m := newBackend(b)
		fill(b, m)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			k := make([]byte, 0, 16)
			i := 0
			for pb.Next() {
				k = key(k, i%keys)
				i += 7919
				err := m.View(ctx, func(tx store.Tx) error {
					_, err := tx.Get(k)
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Put", func(b *testing.B) {
		m := newBackend(b)
		fill(b, m)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := key(nil, i%keys)
			i++
			if err := m.Update(ctx, func(tx store.Tx) error { return tx.Put(k, val) }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PutParallel", func(b *testing.B) {
		m := newBackend(b)
		fill(b, m)
		var next, conflicts atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				k := key(nil, int(next.Add(1))%keys)
				for {
					err := m.Update(ctx, func(tx store.Tx) error { return tx.Put(k, val) })
					if errors.Is(err, store.ErrConflict) {
						conflicts.Add(1)
						continue
					}
					if err != nil {
						b.Error(err)
						return
					}
					break
				}
			}
		})
		b.ReportMetric(float64(conflicts.Load())/float64(b.N), "conflicts/op")
	})
	b.Run("GetPut", func(b *testing.B) {
		// A read-modify-write of one key, as most store.FS operations are.
		m := newBackend(b)
		fill(b, m)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := key(nil, i%keys)
			i++
			err := m.Update(ctx, func(tx store.Tx) error {
				v, err := tx.Get(k)
				if err != nil {
					return err
				}
				return tx.Put(k, v)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("Scan%d", keys), func(b *testing.B) {
		m := newBackend(b)
		fill(b, m)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			err := m.View(ctx, func(tx store.Tx) error {
				return tx.Scan([]byte("bench/k/"), []byte("bench/k0"), func(k, v []byte) bool { n++; return true })
			})
			if err != nil {
				b.Fatal(err)
			}
			if n != keys {
				b.Fatalf("Scan saw %d keys, want %d", n, keys)
			}
		}
	})
	b.Run("Scan100", func(b *testing.B) {
		// One READDIR page.
		m := newBackend(b)
		fill(b, m)
		start := make([]byte, 0, 16)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			start = key(start, i%(keys-100))
			i += 7919
			n := 0
			err := m.View(ctx, func(tx store.Tx) error {
				return tx.Scan(start, nil, func(k, v []byte) bool { n++; return n < 100 })
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBlocks runs the standard benchmarks of a store.Blocks backend:
// Put of new 64 KiB and 1 MiB blocks, and ReadAt of whole ones.
func BenchmarkBlocks(b *testing.B, newBackend func(b *testing.B) store.Blocks) {
	ctx := context.Background()
	for _, size := range []int{64 << 10, 1 << 20} {
		name := fmt.Sprintf("%dKiB", size>>10)
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7)
		}
		b.Run("Put"+name, func(b *testing.B) {
			// Every Put stores a new block, as content addressing does;
			// old ones are deleted outside the timer to bound the space.
			bs := newBackend(b)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				var id store.BlockID
				binary.BigEndian.PutUint64(id[:], uint64(i))
				if err := bs.Put(ctx, id, data); err != nil {
					b.Fatal(err)
				}
				if i%64 == 63 {
					b.StopTimer()
					for j := i - 63; j <= i; j++ {
						binary.BigEndian.PutUint64(id[:], uint64(j))
						if err := bs.Delete(ctx, id); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
				}
			}
		})
		b.Run("ReadAt"+name, func(b *testing.B) {
			bs := newBackend(b)
			for i := range 16 {
				var id store.BlockID
				binary.BigEndian.PutUint32(id[:], uint32(i))
				if err := bs.Put(ctx, id, data); err != nil {
					b.Fatal(err)
				}
			}
			p := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				var id store.BlockID
				binary.BigEndian.PutUint32(id[:], uint32(i%16))
				i++
				if n, err := bs.ReadAt(ctx, id, p, 0); n != size || err != nil {
					b.Fatalf("ReadAt = %d, %v", n, err)
				}
			}
		})
	}
}

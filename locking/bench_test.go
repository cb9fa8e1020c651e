package locking

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/store/memory"
)

// BenchmarkLockUnlock measures uncontended lock/unlock pairs: one owner,
// one file, an exclusive lock of a range and its release.
func BenchmarkLockUnlock(b *testing.B) {
	for _, persist := range []bool{false, true} {
		b.Run(fmt.Sprintf("persist=%v", persist), func(b *testing.B) {
			o := Options{Grace: -1}
			if persist {
				o.Persist = memory.NewMetadata()
			}
			m := newManager(b, o)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 100}, Exclusive: true}); err != nil {
					b.Fatal(err)
				}
				if err := m.Unlock(ctx, 1, nlmA, Range{0, 100}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLockUnlockParallel is uncontended pairs from many goroutines,
// each on its own file.
func BenchmarkLockUnlockParallel(b *testing.B) {
	m := newManager(b, Options{Grace: -1})
	ctx := context.Background()
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		f := next.Add(1)
		o := Owner{Proto: ProtoNLM, Client: "h", Key: fmt.Sprint(f)}
		for pb.Next() {
			if err := m.Lock(ctx, f, Request{Owner: o, Range: Range{0, 100}, Exclusive: true}); err != nil {
				b.Fatal(err)
			}
			if err := m.Unlock(ctx, f, o, Range{0, 100}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHandoff measures a contended hand-off inside the manager: the
// holder unlocks while the other owner is queued, and the queued request
// is granted (its Granted called). One iteration is one hand-off.
func BenchmarkHandoff(b *testing.B) {
	m := newManager(b, Options{Grace: -1})
	ctx := context.Background()
	owners := [2]Owner{nlmA, nlmB}
	granted := [2]chan error{make(chan error, 1), make(chan error, 1)}
	if err := m.Lock(ctx, 1, Request{Owner: owners[0], Exclusive: true}); err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		holder, next := i%2, (i+1)%2
		i++
		err := m.Lock(ctx, 1, Request{Owner: owners[next], Exclusive: true, Block: true, Granted: func(err error) { granted[next] <- err }})
		if err != ErrBlocked {
			b.Fatal(err)
		}
		if err := m.Unlock(ctx, 1, owners[holder], Range{}); err != nil {
			b.Fatal(err)
		}
		if err := <-granted[next]; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContended runs Wait/Unlock pairs of an exclusive lock on one
// range of one file from GOMAXPROCS goroutines, each its own owner: most
// acquisitions wait in the queue for a hand-off between goroutines.
func BenchmarkContended(b *testing.B) {
	m := newManager(b, Options{Grace: -1})
	ctx := context.Background()
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		o := Owner{Proto: ProtoNLM, Client: "h", Key: fmt.Sprint(next.Add(1))}
		for pb.Next() {
			if err := m.Wait(ctx, 1, Request{Owner: o, Range: Range{0, 100}, Exclusive: true}); err != nil {
				b.Fatal(err)
			}
			if err := m.Unlock(ctx, 1, o, Range{0, 100}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package locking

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/memory"
)

// countingMeta is a store.Metadata that counts the bytes (keys and
// values) its transactions put.
type countingMeta struct {
	store.Metadata
	puts, bytes atomic.Int64
}

func (c *countingMeta) Update(ctx context.Context, fn func(store.Tx) error) error {
	return c.Metadata.Update(ctx, func(tx store.Tx) error { return fn(countingTx{tx, c}) })
}

type countingTx struct {
	store.Tx
	c *countingMeta
}

func (t countingTx) Put(k, v []byte) error {
	t.c.puts.Add(1)
	t.c.bytes.Add(int64(len(k) + len(v)))
	return t.Tx.Put(k, v)
}

// benchShareSizes are the numbers of reservations held on the file while
// BenchmarkSharesOneFile measures; DITTOFS_BENCH_SHARES (comma-separated)
// replaces them.
func benchShareSizes() []int {
	sizes := []int{10_000, 50_000, 100_000}
	if s := os.Getenv("DITTOFS_BENCH_SHARES"); s != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err == nil {
				sizes = append(sizes, n)
			}
		}
	}
	return sizes
}

// benchOwner is the i-th open-owner: a hundred owners per client, as
// NFSv4 clients with many processes have.
func benchOwner(i int) Owner {
	return Owner{Proto: ProtoNFS4, Client: fmt.Sprintf("client-%d", i/100), Key: fmt.Sprintf("open-owner-%d", i)}
}

// BenchmarkSharesOneFile measures one OPEN and one CLOSE (a share
// reservation taken and given back) on a file that already holds n
// reservations of distinct open-owners, filled before the clock starts,
// without a store, with the memory store and with Badger. The cost per operation and the
// bytes written per operation (B-put/op) must not grow with n.
func BenchmarkSharesOneFile(b *testing.B) {
	ctx := context.Background()
	for _, backend := range []string{"none", "memory", "badger"} {
		for _, n := range benchShareSizes() {
			b.Run(fmt.Sprintf("%s/n=%d", backend, n), func(b *testing.B) {
				var meta store.Metadata
				switch backend {
				case "none":
				case "memory":
					meta = memory.NewMetadata()
				default:
					bm, err := badger.Open(b.TempDir(), badger.Options{})
					if err != nil {
						b.Fatal(err)
					}
					defer bm.Close()
					meta = bm
				}
				cm := &countingMeta{Metadata: meta}
				o := Options{Grace: -1}
				if meta != nil {
					o.Persist = cm
				}
				m, err := Open(ctx, o)
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				for i := range n {
					if err := m.Share(ctx, 1, ShareRequest{Owner: benchOwner(i), Access: ModeRead}); err != nil {
						b.Fatal(i, err)
					}
				}
				puts0, bytes0 := cm.puts.Load(), cm.bytes.Load()
				i := n
				b.ReportAllocs()
				for b.Loop() {
					o := benchOwner(i)
					i++
					if err := m.Share(ctx, 1, ShareRequest{Owner: o, Access: ModeRead}); err != nil {
						b.Fatal(err)
					}
					if err := m.Unshare(ctx, 1, o); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cm.bytes.Load()-bytes0)/float64(b.N), "B-put/op")
				b.ReportMetric(float64(cm.puts.Load()-puts0)/float64(b.N), "puts/op")
			})
		}
	}
}

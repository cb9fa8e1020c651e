package postgres_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/store/postgres"
	"github.com/dittofs/dittofs/store/postgres/pgtest"
)

var (
	ctx   = context.Background()
	alice = &store.Cred{UID: 1000, GID: 1000}
)

// roundTrips counts the round trips to the server: a read on a
// connection that follows a write on it ends one.
type roundTrips struct{ n atomic.Int64 }

type countingConn struct {
	net.Conn
	rt      *roundTrips
	mu      sync.Mutex
	written bool
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.written = true
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.written {
		c.written = false
		c.rt.n.Add(1)
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// counting returns Options whose connections count their round trips.
func (rt *roundTrips) options(schema string) postgres.Options {
	return postgres.Options{Schema: schema, Tune: func(cfg *pgxpool.Config) {
		dial := cfg.ConnConfig.DialFunc
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, rt: rt}, nil
		}
	}}
}

// newFS returns a store.FS over meta and a localfs block store.
func newFS(tb testing.TB, meta store.Metadata) *store.FS {
	tb.Helper()
	blocks, err := localfs.Open(filepath.Join(tb.TempDir(), "blocks"), localfs.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	fs, err := store.NewFS(meta, blocks, store.Options{Atime: store.AtimeNever, RootMode: 0o777})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		fs.Close()
		blocks.Close()
	})
	return fs
}

// fsOps are the operations whose round trips and speed we measure, each
// run after setup made a directory d with 100 files and a file f.
type fsEnv struct {
	fs   *store.FS
	d, f store.Handle
	n    int
}

func setup(tb testing.TB, fs *store.FS) *fsEnv {
	tb.Helper()
	d, _, _, err := fs.Mkdir(ctx, alice, fs.Root(), "d", nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 100 {
		if _, _, _, err := fs.Create(ctx, alice, d, fmt.Sprintf("f%d", i), store.CreateGuarded, nil, store.Verifier{}); err != nil {
			tb.Fatal(err)
		}
	}
	f, _, _, err := fs.Create(ctx, alice, fs.Root(), "f", store.CreateGuarded, nil, store.Verifier{})
	if err != nil {
		tb.Fatal(err)
	}
	return &fsEnv{fs: fs, d: d, f: f}
}

var block4k = make([]byte, 4096)

var fsOps = []struct {
	name string
	run  func(e *fsEnv) error
}{
	{"GetAttr", func(e *fsEnv) error { _, err := e.fs.GetAttr(ctx, alice, e.f); return err }},
	{"Lookup", func(e *fsEnv) error { _, _, err := e.fs.Lookup(ctx, alice, e.d, "f50"); return err }},
	{"Create", func(e *fsEnv) error {
		e.n++
		_, _, _, err := e.fs.Create(ctx, alice, e.fs.Root(), fmt.Sprintf("c%d", e.n), store.CreateGuarded, nil, store.Verifier{})
		return err
	}},
	{"Write4KiB", func(e *fsEnv) error {
		e.n++
		_, _, err := e.fs.WriteAt(ctx, alice, e.f, block4k, int64(e.n%256)*4096, store.FileSync)
		return err
	}},
}

// TestRoundTrips measures the round trips to PostgreSQL of store.FS
// operations: GetAttr is one View of one Get, which begins its
// transaction in the round trip of the Get and leaves its ROLLBACK to the
// next transaction, so it is one round trip; Lookup is three dependent
// Gets (directory, entry, child), three round trips. The fewest of
// several runs is taken, so that a background rollback of a parked
// connection does not count.
func TestRoundTrips(t *testing.T) {
	srv := pgtest.Shared(t)
	var rt roundTrips
	m := open(t, srv.DSN(""), rt.options(newSchema()))
	e := setup(t, newFS(t, m))
	want := map[string]int64{"GetAttr": 1, "Lookup": 3}
	for _, op := range fsOps {
		best := int64(1 << 30)
		for range 20 {
			before := rt.n.Load()
			if err := op.run(e); err != nil {
				t.Fatalf("%s: %v", op.name, err)
			}
			best = min(best, rt.n.Load()-before)
		}
		t.Logf("%s: %d round trips", op.name, best)
		if w, ok := want[op.name]; ok && best != w {
			t.Errorf("%s takes %d round trips, want %d", op.name, best, w)
		}
	}
	// An Update of 20,000 Puts (the contract's largest) sends them all
	// with the COMMIT: one round trip once the statements are prepared.
	best := int64(1 << 30)
	for round := range 3 {
		before := rt.n.Load()
		err := m.Update(ctx, func(tx store.Tx) error {
			for i := range 20000 {
				if err := tx.Put(fmt.Appendf(nil, "big/%d/%06d", round, i), block4k[:64]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		best = min(best, rt.n.Load()-before)
	}
	t.Logf("Update of 20,000 Puts: %d round trips", best)
	if best != 1 {
		t.Errorf("an Update of 20,000 Puts takes %d round trips, want 1", best)
	}
}

// BenchmarkFS runs store.FS operations over postgres (a durable server:
// fsync and synchronous_commit on) and over badger, both with localfs
// blocks, reporting PostgreSQL's round trips per operation.
func BenchmarkFS(b *testing.B) {
	for _, backend := range []string{"badger", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var rt roundTrips
			var meta store.Metadata
			switch backend {
			case "badger":
				m, err := badger.Open(filepath.Join(b.TempDir(), "meta"), badger.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { m.Close() })
				meta = m
			case "postgres":
				srv := pgtest.Start(b, pgtest.Options{Durable: true})
				meta = open(b, srv.DSN(""), rt.options("bench"))
			}
			e := setup(b, newFS(b, meta))
			for _, op := range fsOps {
				b.Run(op.name, func(b *testing.B) {
					b.ReportAllocs()
					before := rt.n.Load()
					for b.Loop() {
						if err := op.run(e); err != nil {
							b.Fatal(err)
						}
					}
					if backend == "postgres" {
						b.ReportMetric(float64(rt.n.Load()-before)/float64(b.N), "roundtrips/op")
					}
				})
			}
		})
	}
}

package postgres_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/store/postgres"
	"github.com/dittofs/dittofs/store/postgres/pgtest"
	"github.com/dittofs/dittofs/store/storetest"
)

var schemaSeq atomic.Int64

// newSchema returns a schema name no test used yet.
func newSchema() string { return fmt.Sprintf("t%d", schemaSeq.Add(1)) }

func open(t testing.TB, dsn string, o postgres.Options) *postgres.Metadata {
	t.Helper()
	m, err := postgres.Open(context.Background(), dsn, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestConformance runs storetest.Metadata against PostgreSQL, each
// subtest in a schema of its own on one server.
func TestConformance(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := srv.DSN("")
	storetest.Metadata(t, func(t *testing.T) store.Metadata {
		return open(t, dsn, postgres.Options{Schema: newSchema()})
	}, storetest.MetadataOptions{
		Reopen: func(t *testing.T, old store.Metadata) store.Metadata {
			schema := old.(*postgres.Metadata).Schema()
			if err := old.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, dsn, postgres.Options{Schema: schema})
		},
	})
}

// BenchmarkMetadata runs storetest's backend benchmarks against a durable
// server (fsync and synchronous_commit on).
func BenchmarkMetadata(b *testing.B) {
	srv := pgtest.Start(b, pgtest.Options{Durable: true})
	dsn := srv.DSN("")
	storetest.BenchmarkMetadata(b, func(b *testing.B) store.Metadata {
		return open(b, dsn, postgres.Options{Schema: newSchema()})
	})
}

// TestFS runs store.FS's model test over postgres metadata and localfs
// blocks: random operation sequences checked against a model, with
// restarts.
func TestFS(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := srv.DSN("")
	storetest.FS(t, func(t *testing.T) (store.Metadata, store.Blocks) {
		blocks, err := localfs.Open(t.TempDir(), localfs.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { blocks.Close() })
		return open(t, dsn, postgres.Options{Schema: newSchema()}), blocks
	}, storetest.FSOptions{Seeds: 4, Steps: 300})
}

// TestMain stops the server the tests share (pgtest.Shared).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

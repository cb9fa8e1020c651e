package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/postgres/pgtest"
)

// TestMapErr: PostgreSQL's serialization_failure (40001) and
// deadlock_detected (40P01) are conflicts that store.FS retries; a
// canceled context is itself; the rest is an I/O error.
func TestMapErr(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want error
	}{
		{context.Background(), &pgconn.PgError{Code: "40001"}, store.ErrConflict},
		{context.Background(), &pgconn.PgError{Code: "40P01"}, store.ErrConflict},
		{context.Background(), &pgconn.PgError{Code: "57P01"}, store.ErrIO},
		{context.Background(), &pgconn.PgError{Code: "54000"}, store.ErrTooBig},
		{canceled, context.Canceled, context.Canceled},
		{context.Background(), errors.New("broken pipe"), store.ErrIO},
	} {
		if got := mapErr(tc.ctx, "op", tc.err); !errors.Is(got, tc.want) {
			t.Errorf("mapErr(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestPoolBound: the pool is bounded by Options.MaxConns, else by the
// DSN's pool_max_conns, else by DefaultMaxConns.
func TestPoolBound(t *testing.T) {
	srv := pgtest.Start(t)
	for _, tc := range []struct {
		dsn  string
		max  int32
		want int32
	}{
		{srv.DSN(""), 0, DefaultMaxConns},
		{srv.DSN("") + "&pool_max_conns=3", 0, 3},
		{srv.DSN("") + "&pool_max_conns=3", 5, 5},
	} {
		m, err := Open(context.Background(), tc.dsn, Options{MaxConns: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.pool.Stat().MaxConns(); got != tc.want {
			t.Errorf("%s, MaxConns %d: pool of %d, want %d", tc.dsn, tc.max, got, tc.want)
		}
		m.Close()
	}
}

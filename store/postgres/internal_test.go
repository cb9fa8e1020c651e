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
	srv := pgtest.Shared(t)
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

// TestAbortedNotParked: a transaction that ended with a failed statement
// (PostgreSQL's aborted state) is rolled back at once, not parked: the
// server refuses to prepare statements in an aborted transaction, and pgx
// prepares a batch's new statements before the batch's ROLLBACK would
// run, so the next transaction on a parked one would fail and need a new
// connection.
func TestAbortedNotParked(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	m, err := Open(ctx, srv.DSN(""), Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, _, err := m.acquire(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "SELECT 1/0"); err == nil {
		t.Fatal("SELECT 1/0 succeeded")
	}
	(&txn{m: m, conn: c}).finish()
	m.mu.Lock()
	parked := len(m.parked)
	m.mu.Unlock()
	if parked != 0 {
		t.Errorf("an aborted transaction's connection was parked")
	}
	before := m.pool.Stat().NewConnsCount()
	err = m.View(ctx, func(tx store.Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool { return true })
	})
	if err != nil {
		t.Fatalf("View after the aborted transaction: %v", err)
	}
	if n := m.pool.Stat().NewConnsCount() - before; n != 0 {
		t.Errorf("%d new connections for the next View, want none", n)
	}
}

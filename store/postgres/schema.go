package postgres

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema changes, in order: migrations[i] takes the
// schema from version i to i+1. Each runs in the transaction that records
// it, so it is applied whole or not at all; released ones never change.
// %[1]s is the quoted schema name.
var migrations = []string{
	// 1: the key-value table. A key is stored as k, its first splitKey
	// bytes, and rest, the remainder (empty for most keys); rh is
	// sha256(rest) for a key longer than splitKey and empty otherwise.
	// The primary key (k, rh) stays within PostgreSQL's limit on a btree
	// entry (about 2,700 bytes) for keys of any length, is unique exactly
	// when the key is, and orders keys as the contract does except among
	// long keys sharing their first splitKey bytes, which Scan sorts by
	// rest (ORDER BY k, rest).
	`CREATE TABLE %[1]s.kv (
		k bytea NOT NULL,
		rh bytea NOT NULL,
		rest bytea NOT NULL,
		value bytea NOT NULL,
		PRIMARY KEY (k, rh)
	)`,
}

// lockKey is the advisory lock that serializes the migrations of one
// schema across processes.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("dittofs/store/postgres migrate " + schema))
	return int64(h.Sum64())
}

// migrate creates the schema and brings it to the latest version. Two
// processes may run it at once: an advisory lock held for the
// transaction makes the second wait for the first and then find nothing
// to do. It runs in READ COMMITTED, so that every statement after the
// lock sees what the first process committed.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) (int, error) {
	q := pgx.Identifier{schema}.Sanitize()
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey(schema)); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+q); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+q+".schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		return 0, err
	}
	var cur int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+q+".schema_version").Scan(&cur); err != nil {
		return 0, err
	}
	if cur > len(migrations) {
		return cur, fmt.Errorf("schema %s is at version %d, newer than this program knows (%d): refusing to use it", schema, cur, len(migrations))
	}
	for v := cur; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, fmt.Sprintf(migrations[v], q)); err != nil {
			return cur, fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+q+".schema_version (version) VALUES ($1)", v+1); err != nil {
			return cur, fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return cur, err
	}
	return len(migrations), nil
}

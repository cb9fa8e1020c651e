// Package postgres is a store.Metadata on PostgreSQL, through pgx v5 and
// a bounded pgxpool.
//
// One schema (Options.Schema, default "dittofs") is one store: a table of
// bytea keys and values and a schema_version table, created and migrated
// by Open under an advisory lock, so several processes may start at once.
//
// Updates are SERIALIZABLE transactions: reads go to the database and
// writes are kept in memory until the commit, which sends them with the
// COMMIT in one pipelined batch. A serialization failure (SQLSTATE 40001)
// or a deadlock (40P01) returns an error matching store.ErrConflict, on
// which store.FS retries. Views are REPEATABLE READ READ ONLY snapshots.
// Scan reads keyset-paginated pages of bounded size, merged with the
// transaction's own writes as they were at the call.
//
// A transaction begins in the round trip of its first statement, and a
// View's ROLLBACK rides with the next transaction on its connection, so a
// View of one Get (store.FS's GetAttr) is one round trip.
//
// Every connection runs with synchronous_commit=on, so a returned Update
// is durable and Sync has nothing to do. docs/store-postgres.md has the
// details, a fullserver configuration and the measurements; package
// pgtest starts a throwaway server for tests.
package postgres

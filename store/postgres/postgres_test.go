package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/postgres"
	"github.com/dittofs/dittofs/store/postgres/pgtest"
)

// The tests below cover what storetest cannot: PostgreSQL's own errors,
// the schema migrations, and failures of the server or the network.

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func put(t *testing.T, m store.Metadata, k, v string) {
	t.Helper()
	if err := m.Update(ctx, func(tx store.Tx) error { return tx.Put([]byte(k), []byte(v)) }); err != nil {
		t.Fatalf("Put(%s): %v", k, err)
	}
}

func getValue(t *testing.T, m store.Metadata, k string) (string, error) {
	t.Helper()
	var v []byte
	err := m.View(ctx, func(tx store.Tx) error {
		var err error
		v, err = tx.Get([]byte(k))
		return err
	})
	return string(v), err
}

func wantAbsent(t *testing.T, m store.Metadata, k string) {
	t.Helper()
	if v, err := getValue(t, m, k); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%s) = %q, %v; want ErrNotFound", k, v, err)
	}
}

// pgCode returns the SQLSTATE in err's chain, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// interleave runs A's function up to its pause, then all of B, then the
// rest of A, and returns both Updates' errors (without retrying).
func interleave(m store.Metadata, a func(tx store.Tx, pause func()) error, b func(tx store.Tx) error) (errA, errB error) {
	paused, resume := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- m.Update(ctx, func(tx store.Tx) error {
			return a(tx, func() { close(paused); <-resume })
		})
	}()
	<-paused
	errB = m.Update(ctx, b)
	close(resume)
	return <-done, errB
}

// TestConflictMapping makes PostgreSQL abort a SERIALIZABLE transaction
// for real and checks that Update reports it as store.ErrConflict, with
// the SQLSTATE kept in the chain.
func TestConflictMapping(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := srv.DSN("")
	t.Run("ConcurrentUpdate", func(t *testing.T) {
		// A reads x; B reads and rewrites x and commits; A then writes x:
		// "could not serialize access due to concurrent update".
		m := open(t, dsn, postgres.Options{Schema: newSchema()})
		put(t, m, "x", "0")
		errA, errB := interleave(m, func(tx store.Tx, pause func()) error {
			if _, err := tx.Get([]byte("x")); err != nil {
				return err
			}
			pause()
			return tx.Put([]byte("x"), []byte("A"))
		}, func(tx store.Tx) error {
			if _, err := tx.Get([]byte("x")); err != nil {
				return err
			}
			return tx.Put([]byte("x"), []byte("B"))
		})
		if errB != nil {
			t.Fatalf("B: %v", errB)
		}
		if !errors.Is(errA, store.ErrConflict) || pgCode(errA) != "40001" {
			t.Fatalf("A: %v (SQLSTATE %q), want store.ErrConflict from 40001", errA, pgCode(errA))
		}
		if v, err := getValue(t, m, "x"); err != nil || v != "B" {
			t.Fatalf("x = %q, %v after the conflict; want B's write", v, err)
		}
	})
	t.Run("WriteSkew", func(t *testing.T) {
		// A and B each read a and b and write a different one: no row is
		// written twice, only SSI's read/write dependencies catch it.
		m := open(t, dsn, postgres.Options{Schema: newSchema()})
		put(t, m, "a", "1")
		put(t, m, "b", "1")
		readBoth := func(tx store.Tx) error {
			for _, k := range []string{"a", "b"} {
				if _, err := tx.Get([]byte(k)); err != nil {
					return err
				}
			}
			return nil
		}
		errA, errB := interleave(m, func(tx store.Tx, pause func()) error {
			if err := readBoth(tx); err != nil {
				return err
			}
			pause()
			return tx.Put([]byte("a"), []byte("0"))
		}, func(tx store.Tx) error {
			if err := readBoth(tx); err != nil {
				return err
			}
			return tx.Put([]byte("b"), []byte("0"))
		})
		if errB != nil {
			t.Fatalf("B: %v", errB)
		}
		if !errors.Is(errA, store.ErrConflict) || pgCode(errA) != "40001" {
			t.Fatalf("A: %v (SQLSTATE %q), want store.ErrConflict from 40001", errA, pgCode(errA))
		}
		if v, _ := getValue(t, m, "a"); v != "1" {
			t.Fatalf("a = %q, want 1: the aborted transaction's write was kept", v)
		}
	})
}

func schemaVersions(t *testing.T, c *pgx.Conn, schema string) []int {
	t.Helper()
	rows, err := c.Query(ctx, "SELECT version FROM "+pgx.Identifier{schema, "schema_version"}.Sanitize()+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestMigrate opens an empty database, which creates the schema, then
// opens it again, which must change nothing and keep the data; a schema
// newer than the code is refused.
func TestMigrate(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := srv.DSN(srv.CreateDatabase(t))
	c := connect(t, dsn)
	m, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("Open on an empty database: %v", err)
	}
	put(t, m, "k", "v")
	m.Close()
	first := schemaVersions(t, c, postgres.DefaultSchema)
	if len(first) == 0 || first[0] != 1 {
		t.Fatalf("schema versions after the first Open: %v", first)
	}
	for range 2 {
		m = open(t, dsn, postgres.Options{})
		if v, err := getValue(t, m, "k"); err != nil || v != "v" {
			t.Fatalf("k = %q, %v after reopening", v, err)
		}
		m.Close()
	}
	if again := schemaVersions(t, c, postgres.DefaultSchema); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("schema versions %v after reopening, were %v", again, first)
	}
	if _, err := c.Exec(ctx, "INSERT INTO dittofs.schema_version (version) VALUES (1000)"); err != nil {
		t.Fatal(err)
	}
	if m, err := postgres.Open(ctx, dsn, postgres.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if err == nil {
			m.Close()
		}
		t.Fatalf("Open of a schema at version 1000: %v, want a refusal", err)
	}
}

// TestMigrateConcurrent starts several stores on one empty database at
// once, each with its own pool (to PostgreSQL, as separate processes
// are): the advisory lock makes one create the schema and the others find
// it done. Without the lock, concurrent CREATE SCHEMA IF NOT EXISTS and
// CREATE TABLE fail with unique violations.
func TestMigrateConcurrent(t *testing.T) {
	srv := pgtest.Shared(t)
	for round := range 3 {
		dsn := srv.DSN(srv.CreateDatabase(t))
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				m, err := postgres.Open(ctx, dsn, postgres.Options{})
				if err == nil {
					err = m.Update(ctx, func(tx store.Tx) error { return tx.Put(fmt.Appendf(nil, "k%d", i), nil) })
					m.Close()
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: concurrent Open: %v", round, err)
		}
		if vs := schemaVersions(t, connect(t, dsn), postgres.DefaultSchema); len(vs) == 0 || vs[0] != 1 || len(vs) != vs[len(vs)-1] {
			t.Fatalf("round %d: schema versions %v", round, vs)
		}
	}
}

// TestMigrateProcesses starts three processes (this test binary again)
// on one empty database at once: each opens the store, which migrates
// it, writes a key and exits.
func TestMigrateProcesses(t *testing.T) {
	if dsn := os.Getenv("DITTOFS_PGTEST_MIGRATE_DSN"); dsn != "" {
		io.Copy(io.Discard, os.Stdin) // the start signal: stdin closes
		m, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		put(t, m, "k"+os.Getenv("DITTOFS_PGTEST_MIGRATE_ID"), "v")
		return
	}
	srv := pgtest.Shared(t)
	dsn := srv.DSN(srv.CreateDatabase(t))
	const n = 3
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	var starts []io.Closer
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMigrateProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DITTOFS_PGTEST_MIGRATE_DSN="+dsn, fmt.Sprintf("DITTOFS_PGTEST_MIGRATE_ID=%d", i))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		w, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs, starts = append(cmds, cmd), append(outs, &out), append(starts, w)
	}
	for _, w := range starts {
		w.Close()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	c := connect(t, dsn)
	if vs := schemaVersions(t, c, postgres.DefaultSchema); len(vs) == 0 || vs[0] != 1 || len(vs) != vs[len(vs)-1] {
		t.Fatalf("schema versions %v", vs)
	}
	var keys int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM dittofs.kv").Scan(&keys); err != nil || keys != n {
		t.Fatalf("%d keys, %v; want one from each of %d processes", keys, err, n)
	}
}

// waitFor polls cond (a query on another connection) until it is true.
func waitFor(t *testing.T, c *pgx.Conn, what, sql string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		var ok bool
		if err := c.QueryRow(ctx, sql).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after a minute", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCancelMidUpdate cancels an Update's context while its read waits in
// the server (on a table lock another session holds): the read returns
// the context's error, and nothing the Update wrote is kept.
func TestCancelMidUpdate(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := srv.DSN("")
	schema := newSchema()
	m := open(t, dsn, postgres.Options{Schema: schema})
	put(t, m, "x", "old")
	locker, watcher := connect(t, dsn), connect(t, dsn)
	ltx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ltx.Exec(ctx, "LOCK TABLE "+schema+".kv IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	var getErr error
	go func() {
		done <- m.Update(uctx, func(tx store.Tx) error {
			if err := tx.Put([]byte("x"), []byte("new")); err != nil {
				return err
			}
			if err := tx.Put([]byte("y"), []byte("new")); err != nil {
				return err
			}
			_, getErr = tx.Get([]byte("w")) // waits for the lock
			return getErr
		})
	}()
	waitFor(t, watcher, "waiting lock", "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted")
	cancel()
	err = <-done
	if !errors.Is(getErr, context.Canceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Get = %v, Update = %v; want context.Canceled", getErr, err)
	}
	if err := ltx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := getValue(t, m, "x"); err != nil || v != "old" {
		t.Fatalf("x = %q, %v after the canceled Update", v, err)
	}
	wantAbsent(t, m, "y")
	put(t, m, "z", "after")
}

// terminate ends, from another session, the backends of dittofs
// connections that are inside a transaction, as a server restart or a
// network failure would, and returns how many.
func terminate(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	var n int
	err := c.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'dittofs' AND state LIKE 'idle in transaction%'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLostConnection kills the server side of a connection in the middle
// of an Update: the Update fails with store.ErrIO and keeps nothing, and
// the store goes on with new connections. A View whose parked connection
// died meanwhile gets a fresh one without an error.
func TestLostConnection(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := srv.DSN("")
	admin := connect(t, dsn)
	t.Run("BeforeRead", func(t *testing.T) {
		m := open(t, dsn, postgres.Options{Schema: newSchema()})
		put(t, m, "x", "old")
		var getErr error
		err := m.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Get([]byte("x")); err != nil {
				return err
			}
			if n := terminate(t, admin); n != 1 {
				t.Errorf("terminated %d backends, want the Update's one", n)
			}
			if err := tx.Put([]byte("y"), []byte("new")); err != nil {
				return err
			}
			_, getErr = tx.Get([]byte("z"))
			return getErr
		})
		if !errors.Is(getErr, store.ErrIO) || !errors.Is(err, store.ErrIO) {
			t.Fatalf("Get = %v, Update = %v; want store.ErrIO", getErr, err)
		}
		wantAbsent(t, m, "y")
		put(t, m, "y", "later")
	})
	t.Run("BeforeCommit", func(t *testing.T) {
		m := open(t, dsn, postgres.Options{Schema: newSchema()})
		put(t, m, "x", "old")
		err := m.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Get([]byte("x")); err != nil {
				return err
			}
			if n := terminate(t, admin); n != 1 {
				t.Errorf("terminated %d backends, want the Update's one", n)
			}
			if err := tx.Put([]byte("x"), []byte("new")); err != nil {
				return err
			}
			return tx.Put([]byte("y"), []byte("new"))
		})
		if !errors.Is(err, store.ErrIO) {
			t.Fatalf("Update = %v; want store.ErrIO", err)
		}
		if v, err := getValue(t, m, "x"); err != nil || v != "old" {
			t.Fatalf("x = %q, %v", v, err)
		}
		wantAbsent(t, m, "y")
	})
	t.Run("ParkedView", func(t *testing.T) {
		m := open(t, dsn, postgres.Options{Schema: newSchema()})
		put(t, m, "x", "v")
		for i := range 3 {
			if v, err := getValue(t, m, "x"); err != nil || v != "v" {
				t.Fatalf("View %d: %q, %v", i, v, err)
			}
			terminate(t, admin) // the View's parked connection, if still parked
		}
	})
}

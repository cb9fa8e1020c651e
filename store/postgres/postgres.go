package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dittofs/dittofs/store"
)

// DefaultSchema is the PostgreSQL schema of the tables when
// Options.Schema is empty.
const DefaultSchema = "dittofs"

// DefaultMaxConns bounds the pool when neither Options.MaxConns nor the
// DSN's pool_max_conns does. Every metadata transaction holds a
// connection for its round trips, so pgxpool's own default (4 on a small
// machine) would let only 4 NFS operations wait on the network at once;
// PostgreSQL's default max_connections is 100.
const DefaultMaxConns = 16

// Options configures Open. The zero value works.
type Options struct {
	// Schema is the PostgreSQL schema that holds the tables (created when
	// missing); one schema is one store, so several stores (exports) may
	// share a database. Empty means DefaultSchema.
	Schema string
	// MaxConns bounds the connection pool, and so the transactions that
	// run at once. Zero keeps the DSN's pool_max_conns, or
	// DefaultMaxConns.
	MaxConns int32
	// Logger receives warnings (a failed background rollback). Nil
	// discards them.
	Logger *slog.Logger
	// Tune, when set, is applied last to the pool configuration Open
	// builds: for TLS, a dialer, tracers. Do not change the runtime
	// parameters this package sets (see Open).
	Tune func(*pgxpool.Config)
}

// Metadata is a store.Metadata on a PostgreSQL database, reached through a
// bounded pgxpool. It is safe for concurrent use.
type Metadata struct {
	pool   *pgxpool.Pool
	schema string
	sql    statements
	log    *slog.Logger

	// mu guards closed and parked; running transactions are counted in
	// active, so Close can wait for them.
	mu     sync.Mutex
	closed bool
	active sync.WaitGroup
	// parked holds connections whose last transaction has ended but not
	// been rolled back yet: the ROLLBACK rides in front of the next
	// transaction's first statement, saving a View its second round trip
	// (see txn.finish). The janitor rolls back what waits longer than
	// parkTime.
	parked []parkedConn
	stop   chan struct{}
	done   chan struct{}
}

type parkedConn struct {
	c     *pgxpool.Conn
	since time.Time
}

// parkTime bounds how long a connection stays parked in a finished
// read-only transaction, holding back the xmin horizon of VACUUM.
const parkTime = 50 * time.Millisecond

var (
	_ store.Metadata    = (*Metadata)(nil)
	_ store.Syncer      = (*Metadata)(nil)
	_ store.Persistence = (*Metadata)(nil)
)

// Open connects to the database of dsn (a PostgreSQL URL or key=value
// connection string, as libpq takes: "postgres://user@host:5432/db"),
// creates or migrates the schema, and returns the store. A password is
// best given in PGPASSWORD or a ~/.pgpass file (PGPASSFILE) rather than in
// dsn; errors never include it.
//
// Every connection runs with synchronous_commit=on (so that an Update that
// returned is durable, which Sync relies on) and enable_seqscan=off (so
// that a serializable read locks the index range it read and not the whole
// table), unless dsn sets them.
func Open(ctx context.Context, dsn string, o Options) (*Metadata, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors show the string with the password masked.
		return nil, store.NewError(store.CodeInvalid, "open", "", err)
	}
	switch {
	case o.MaxConns > 0:
		cfg.MaxConns = o.MaxConns
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = DefaultMaxConns
	}
	rp := cfg.ConnConfig.RuntimeParams
	for k, v := range map[string]string{
		"synchronous_commit": "on",
		"enable_seqscan":     "off",
		"application_name":   "dittofs",
	} {
		if _, ok := rp[k]; !ok {
			rp[k] = v
		}
	}
	if o.Tune != nil {
		o.Tune(cfg)
	}
	schema := o.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, store.NewError(store.CodeIO, "open", "", err)
	}
	if _, err := migrate(ctx, pool, schema); err != nil {
		pool.Close()
		return nil, store.NewError(store.CodeIO, "open", "", fmt.Errorf("schema %s: %w", schema, err))
	}
	m := &Metadata{
		pool:   pool,
		schema: schema,
		sql:    newStatements(pgx.Identifier{schema, "kv"}.Sanitize()),
		log:    o.Logger,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	go m.janitor()
	return m, nil
}

// Schema returns the PostgreSQL schema of the store.
func (m *Metadata) Schema() string { return m.schema }

// Persistent reports true: committed data is in the database.
func (m *Metadata) Persistent() bool { return true }

// Sync returns nil once m is open: an Update returns after PostgreSQL's
// COMMIT, which with synchronous_commit=on (set on every connection, see
// Open) has flushed the commit to the write-ahead log on disk, so there is
// nothing left to flush.
func (m *Metadata) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return store.NewError(store.CodeIO, "sync", "", fs.ErrClosed)
	}
	return nil
}

// begin registers a transaction, or fails when m is closed.
func (m *Metadata) begin(op string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return store.NewError(store.CodeIO, op, "", fs.ErrClosed)
	}
	m.active.Add(1)
	return nil
}

// View runs fn in a REPEATABLE READ, READ ONLY transaction: one snapshot,
// taken at fn's first read, that never waits for and never fails because
// of a writer. The transaction begins in the round trip of the first read
// and its ROLLBACK rides with the next transaction on the connection, so
// a View of one Get is one round trip.
func (m *Metadata) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.begin("view"); err != nil {
		return err
	}
	defer m.active.Done()
	tx := &txn{m: m, ctx: ctx, begin: m.sql.beginView}
	err := fn(tx)
	tx.done = true
	tx.finish()
	return err
}

// Update runs fn in a SERIALIZABLE transaction. Reads go to the database
// (the first one begins the transaction in its round trip); writes are
// kept in memory and sent with the COMMIT in one pipelined batch. A
// serialization failure or deadlock returns an error matching
// store.ErrConflict.
func (m *Metadata) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.begin("update"); err != nil {
		return err
	}
	defer m.active.Done()
	tx := &txn{m: m, ctx: ctx, writable: true, begin: m.sql.beginUpdate}
	err := fn(tx)
	tx.done = true
	if err == nil {
		err = tx.err
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		tx.finish()
		return err
	}
	return tx.commit()
}

// Close waits for running transactions, rolls back parked connections and
// closes the pool. Later calls return nil; later transactions fail with an
// error matching fs.ErrClosed.
func (m *Metadata) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.active.Wait()
	close(m.stop)
	<-m.done
	m.mu.Lock()
	parked := m.parked
	m.parked = nil
	m.mu.Unlock()
	for _, p := range parked {
		m.rollback(p.c)
	}
	m.pool.Close()
	return nil
}

// acquire returns a connection: a parked one (parked is true: its last
// transaction still has to be rolled back) or one from the pool.
func (m *Metadata) acquire(ctx context.Context, parkedOK bool) (c *pgxpool.Conn, parked bool, err error) {
	if parkedOK {
		m.mu.Lock()
		if n := len(m.parked); n > 0 {
			c = m.parked[n-1].c
			m.parked[n-1] = parkedConn{}
			m.parked = m.parked[:n-1]
		}
		m.mu.Unlock()
		if c != nil {
			return c, true, nil
		}
	}
	c, err = m.pool.Acquire(ctx)
	return c, false, err
}

// park keeps c, whose transaction has ended but is still open on the
// server, for the next transaction, which rolls it back in its first
// round trip. When the pool is exhausted it rolls back at once instead,
// so that no caller waits for a parked connection.
func (m *Metadata) park(c *pgxpool.Conn) {
	if c.Conn().IsClosed() {
		c.Release()
		return
	}
	if st := m.pool.Stat(); st.AcquiredConns() >= st.MaxConns() {
		m.rollback(c)
		return
	}
	m.mu.Lock()
	m.parked = append(m.parked, parkedConn{c, time.Now()})
	m.mu.Unlock()
}

// rollback ends c's transaction and returns c to the pool (which drops
// it when the rollback failed).
func (m *Metadata) rollback(c *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Exec(ctx, "ROLLBACK"); err != nil && !c.Conn().IsClosed() {
		m.log.Warn("postgres: rolling back a finished transaction", "err", err)
	}
	c.Release()
}

// janitor rolls back connections parked longer than parkTime.
func (m *Metadata) janitor() {
	defer close(m.done)
	t := time.NewTicker(parkTime)
	defer t.Stop()
	var old []*pgxpool.Conn
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.mu.Lock()
			keep := m.parked[:0]
			for _, p := range m.parked {
				if now.Sub(p.since) >= parkTime {
					old = append(old, p.c)
				} else {
					keep = append(keep, p)
				}
			}
			clear(m.parked[len(keep):])
			m.parked = keep
			m.mu.Unlock()
			for i, c := range old {
				m.rollback(c)
				old[i] = nil
			}
			old = old[:0]
		}
	}
}

// mapErr turns an error of pgx into a store error: a serialization
// failure or a deadlock (which PostgreSQL resolves by aborting one
// transaction) into store.ErrConflict, the caller's context error into
// itself, anything else into store.ErrIO.
func mapErr(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01":
			return store.NewError(store.CodeConflict, op, "", err)
		case "54000": // program_limit_exceeded
			return store.NewError(store.CodeTooBig, op, "", err)
		}
	}
	if cerr := ctx.Err(); cerr != nil && (errors.Is(err, cerr) || pgconn.Timeout(err)) {
		return cerr
	}
	return store.NewError(store.CodeIO, op, "", err)
}

package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dittofs/dittofs/store"
)

// splitKey is the length of a key's first part, k, the column of the
// primary key; see the first migration in schema.go.
const splitKey = 2048

// maxKeyLen bounds a key. The contract asks for 4 KiB; the layout takes
// more, which costs only the sha256 of the part after splitKey.
const maxKeyLen = 64 << 10

// Scan reads pages of at most maxPage rows (the first of firstPage, for
// the Scans that stop after a few keys) and pageBytes bytes of values (or
// one row when that is larger).
const (
	firstPage = 16
	maxPage   = 1024
	pageBytes = 4 << 20
)

// A commit sends its writes as statements of at most stmtBytes bytes or
// stmtRows rows, in batches of at most batchBytes bytes: one round trip
// for the writes of any ordinary Update.
const (
	stmtBytes  = 4 << 20
	stmtRows   = 5000
	batchBytes = 32 << 20
)

// commitTimeout bounds the wait for a COMMIT, which the caller's context
// does not interrupt: an interrupted COMMIT would leave the outcome
// unknown, where the contract wants all or nothing.
const commitTimeout = 2 * time.Minute

// statements are the SQL texts on one schema's table. pgx prepares each
// once per connection and caches it.
type statements struct {
	beginView, beginUpdate string
	get                    string
	scan, scanToEnd        string
	upsert, delete         string
}

func newStatements(kv string) statements {
	// A page of a Scan: at most limit rows from ($1,$2) (inclusive) up
	// to ($3,$4) (exclusive) when bound says so, cut where the values so
	// far pass budget bytes (always keeping the first row); n is the
	// number of rows before the cut, which tells whether the range goes
	// on.
	page := func(bound, limit, budget string) string {
		return `SELECT k, rest, value, n FROM (
	SELECT k, rest, value, count(*) OVER () AS n,
		sum(octet_length(value)) OVER (ORDER BY k, rest) - octet_length(value) AS before
	FROM (SELECT k, rest, value FROM ` + kv + `
		WHERE k >= $1 AND (k, rest) >= ($1, $2)` + bound + `
		ORDER BY k, rest LIMIT ` + limit + `) page) w
WHERE before < ` + budget + ` ORDER BY k, rest`
	}
	return statements{
		beginView:   "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		beginUpdate: "BEGIN ISOLATION LEVEL SERIALIZABLE",
		get:         "SELECT value FROM " + kv + " WHERE k = $1 AND rh = $2",
		scan:        page(" AND k <= $3 AND (k, rest) < ($3, $4)", "$5", "$6"),
		scanToEnd:   page("", "$3", "$4"),
		upsert: "INSERT INTO " + kv + " (k, rh, rest, value) SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[])" +
			" ON CONFLICT (k, rh) DO UPDATE SET rest = EXCLUDED.rest, value = EXCLUDED.value",
		delete: "DELETE FROM " + kv + " WHERE (k, rh) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[]))",
	}
}

var empty = []byte{}

// split returns the columns (k, rh, rest) of key. None is nil: pgx sends a
// nil slice as NULL.
func split(key []byte) (k, rh, rest []byte) {
	if len(key) <= splitKey {
		if key == nil {
			key = empty
		}
		return key, empty, empty
	}
	h := sha256.Sum256(key[splitKey:])
	return key[:splitKey], h[:], key[splitKey:]
}

// txn is a store.Tx over a PostgreSQL transaction, begun lazily on the
// first statement.
type txn struct {
	m        *Metadata
	ctx      context.Context
	begin    string // the BEGIN statement
	writable bool
	done     bool
	conn     *pgxpool.Conn // nil until the first statement
	// err is the error of a failed statement: PostgreSQL has aborted the
	// transaction, and every later call returns err.
	err error
	// ws holds the writes of an Update, sent at commit; keys is its sorted
	// key set when sorted is true.
	ws     map[string]write
	keys   []string
	sorted bool
}

// write is a buffered Put (del false) or Delete.
type write struct {
	val []byte
	del bool
}

var errTxDone = errors.New("transaction has ended")

func (tx *txn) check(op string, write bool) error {
	if tx.done {
		return store.NewError(store.CodeInvalid, op, "", errTxDone)
	}
	if write && !tx.writable {
		return store.NewError(store.CodeReadOnly, op, "", nil)
	}
	return tx.err
}

// fail records a statement's error, which aborted the transaction.
func (tx *txn) fail(op string, err error) error {
	tx.err = mapErr(tx.ctx, op, err)
	return tx.err
}

// batch sends b on the transaction's connection. On the first statement it
// acquires the connection and puts in front of b the ROLLBACK of a parked
// connection's last transaction and this transaction's BEGIN, so that
// they share b's round trip; their results are consumed here. A parked
// connection that turns out to be dead (the server closed it meanwhile)
// is replaced by a fresh one: nothing of this transaction ran on it.
func (tx *txn) batch(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	if tx.conn != nil {
		return tx.conn.SendBatch(ctx, b), nil
	}
	user := b.QueuedQueries
	for attempt := 0; ; attempt++ {
		c, parked, err := tx.m.acquire(ctx, attempt == 0)
		if err != nil {
			return nil, err
		}
		pre := 1
		if parked {
			pre = 2
		}
		b.QueuedQueries = make([]*pgx.QueuedQuery, 0, pre+len(user))
		if parked {
			b.Queue("ROLLBACK")
		}
		b.Queue(tx.begin)
		// Fresh copies: pgx keeps in a queued query the prepared
		// statement of the connection it was sent on.
		for _, q := range user {
			b.Queue(q.SQL, q.Arguments...)
		}
		br := c.SendBatch(ctx, b)
		if parked {
			if _, err := br.Exec(); err != nil {
				br.Close()
				c.Release() // a broken connection is dropped by the pool
				if ctx.Err() != nil {
					return nil, err
				}
				continue
			}
		}
		tx.conn = c
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
		return br, nil
	}
}

// query runs one statement of the transaction.
func (tx *txn) query(sql string, args ...any) (pgx.Rows, func() error, error) {
	if tx.conn != nil {
		rows, err := tx.conn.Query(tx.ctx, sql, args...)
		return rows, nop, err
	}
	var b pgx.Batch
	b.Queue(sql, args...)
	br, err := tx.batch(tx.ctx, &b)
	if err != nil {
		return nil, nop, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, nop, err
	}
	return rows, br.Close, nil
}

func nop() error { return nil }

// finish ends a transaction that does not commit: its connection, still
// in the transaction, is parked (see Metadata.park), so that the
// ROLLBACK costs no round trip of its own.
func (tx *txn) finish() {
	if tx.conn == nil {
		return
	}
	c := tx.conn
	tx.conn = nil
	switch c.Conn().PgConn().TxStatus() {
	case 'I':
		c.Release()
	case 'T':
		tx.m.park(c)
	default:
		// A failed transaction: the server would refuse to prepare the
		// next transaction's new statements before the ROLLBACK ran.
		tx.m.rollback(c)
	}
}

func (tx *txn) Get(key []byte) ([]byte, error) {
	if err := tx.check("get", false); err != nil {
		return nil, err
	}
	if w, ok := tx.ws[string(key)]; ok {
		if w.del {
			return nil, store.ErrNotFound
		}
		return w.val, nil
	}
	if len(key) > maxKeyLen {
		return nil, store.ErrNotFound
	}
	k, rh, _ := split(key)
	rows, closeBatch, err := tx.query(tx.m.sql.get, k, rh)
	if err != nil {
		return nil, tx.fail("get", err)
	}
	var val []byte
	found := false
	for rows.Next() {
		if err := rows.Scan(&val); err != nil {
			rows.Close()
			closeBatch()
			return nil, tx.fail("get", err)
		}
		found = true
	}
	rows.Close()
	err = errors.Join(rows.Err(), closeBatch())
	if err != nil {
		return nil, tx.fail("get", err)
	}
	if !found {
		return nil, store.ErrNotFound
	}
	if val == nil {
		val = empty
	}
	return val, nil
}

func (tx *txn) Put(key, val []byte) error {
	if err := tx.check("put", true); err != nil {
		return err
	}
	if len(key) > maxKeyLen {
		return store.NewError(store.CodeInvalid, "put", "", fmt.Errorf("key of %d bytes is longer than %d", len(key), maxKeyLen))
	}
	if val == nil {
		val = empty
	}
	tx.set(key, write{val: val})
	return nil
}

func (tx *txn) Delete(key []byte) error {
	if err := tx.check("delete", true); err != nil {
		return err
	}
	if len(key) > maxKeyLen {
		return nil // never stored
	}
	tx.set(key, write{del: true})
	return nil
}

func (tx *txn) set(key []byte, w write) {
	if tx.ws == nil {
		tx.ws = make(map[string]write)
	}
	if _, ok := tx.ws[string(key)]; !ok {
		tx.sorted = false
	}
	tx.ws[string(key)] = w
}

// sortKeys sorts the keys of the write set, when a write added one since
// the last sort.
func (tx *txn) sortKeys() {
	if tx.sorted {
		return
	}
	tx.keys = tx.keys[:0]
	for k := range tx.ws {
		tx.keys = append(tx.keys, k)
	}
	slices.Sort(tx.keys)
	tx.sorted = true
}

// ownWrite is a write of the transaction as a Scan saw it at its call.
type ownWrite struct {
	key string
	write
}

// Scan merges two ordered streams: the rows of the transaction's snapshot
// in the database, read in pages by keyset pagination (each page starts
// just after the last key of the one before; never OFFSET), and the
// transaction's own writes in the range, copied at the call. The database
// holds none of this transaction's writes before commit, and its snapshot
// does not move, so what fn writes meanwhile changes neither stream: the
// Scan visits the keys and values of the moment of its call.
func (tx *txn) Scan(start, end []byte, fn func(k, v []byte) bool) error {
	if err := tx.check("scan", false); err != nil {
		return err
	}
	if end != nil && bytes.Compare(start, end) >= 0 {
		return nil
	}
	var own []ownWrite
	if len(tx.ws) > 0 {
		tx.sortKeys()
		i := sort.SearchStrings(tx.keys, string(start))
		for ; i < len(tx.keys) && (end == nil || tx.keys[i] < string(end)); i++ {
			own = append(own, ownWrite{tx.keys[i], tx.ws[tx.keys[i]]})
		}
	}
	var ek, erest []byte
	if end != nil {
		ek, _, erest = split(end)
	}
	from := bytes.Clone(start)
	limit := firstPage
	var key []byte
	for {
		k, _, rest := split(from)
		var rows pgx.Rows
		var closeBatch func() error
		var err error
		if end != nil {
			rows, closeBatch, err = tx.query(tx.m.sql.scan, k, rest, ek, erest, limit, pageBytes)
		} else {
			rows, closeBatch, err = tx.query(tx.m.sql.scanToEnd, k, rest, limit, pageBytes)
		}
		if err != nil {
			return tx.fail("scan", err)
		}
		page, n, err := readPage(rows)
		if err = errors.Join(err, closeBatch()); err != nil {
			return tx.fail("scan", err)
		}
		for _, r := range page {
			key = append(append(key[:0], r.k...), r.rest...)
			for len(own) > 0 && own[0].key < string(key) {
				w := own[0]
				own = own[1:]
				if !w.del && !fn([]byte(w.key), w.val) {
					return nil
				}
			}
			v := r.value
			if len(own) > 0 && own[0].key == string(key) {
				w := own[0]
				own = own[1:]
				if w.del {
					continue
				}
				v = w.val
			}
			if !fn(key, v) {
				return nil
			}
		}
		if len(page) == n && n < limit {
			break
		}
		from = append(key, 0) // the smallest key after the last one
		key = nil
		limit = min(4*limit, maxPage)
	}
	for _, w := range own {
		if !w.del && !fn([]byte(w.key), w.val) {
			return nil
		}
	}
	return nil
}

type row struct{ k, rest, value []byte }

// readPage reads a page of a Scan and the number of rows before the byte
// cut.
func readPage(rows pgx.Rows) ([]row, int, error) {
	defer rows.Close()
	var page []row
	var n int64
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.k, &r.rest, &r.value, &n); err != nil {
			return nil, 0, err
		}
		if r.value == nil {
			r.value = empty
		}
		page = append(page, r)
	}
	return page, int(n), rows.Err()
}

// commit sends the write set and COMMIT, in one round trip for all but
// the largest Updates (see stmtBytes, batchBytes).
func (tx *txn) commit() error {
	if len(tx.ws) == 0 {
		if tx.conn == nil {
			return nil
		}
		// It read: COMMIT, which in SERIALIZABLE may still fail.
		defer tx.finish()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(tx.ctx), commitTimeout)
		defer cancel()
		tag, err := tx.conn.Exec(ctx, "COMMIT")
		if err == nil && tag.String() != "COMMIT" {
			err = fmt.Errorf("COMMIT answered %q", tag)
		}
		if err != nil {
			return tx.failCommit(ctx, err)
		}
		return nil
	}
	tx.sortKeys()
	var (
		stmts            []stmt
		dk, drh, pk, prh [][]byte
		prest, pval      [][]byte
		dbytes, pbytes   int
	)
	flushDel := func() {
		if len(dk) > 0 {
			stmts = append(stmts, stmt{tx.m.sql.delete, []any{dk, drh}, dbytes})
			dk, drh, dbytes = nil, nil, 0
		}
	}
	flushPut := func() {
		if len(pk) > 0 {
			stmts = append(stmts, stmt{tx.m.sql.upsert, []any{pk, prh, prest, pval}, pbytes})
			pk, prh, prest, pval, pbytes = nil, nil, nil, nil, 0
		}
	}
	for _, key := range tx.keys {
		w := tx.ws[key]
		k, rh, rest := split([]byte(key))
		if w.del {
			dk, drh = append(dk, k), append(drh, rh)
			if dbytes += len(key) + 64; dbytes >= stmtBytes || len(dk) >= stmtRows {
				flushDel()
			}
			continue
		}
		pk, prh, prest, pval = append(pk, k), append(prh, rh), append(prest, rest), append(pval, w.val)
		if pbytes += len(key) + len(w.val) + 64; pbytes >= stmtBytes || len(pk) >= stmtRows {
			flushPut()
		}
	}
	flushDel()
	flushPut()
	err := tx.send(stmts)
	if err != nil {
		tx.finish()
		return err
	}
	tx.finish()
	return nil
}

type stmt struct {
	sql   string
	args  []any
	bytes int
}

// send runs stmts and COMMIT in as few batches as batchBytes allows; the
// last one, with the COMMIT, runs without the caller's context.
func (tx *txn) send(stmts []stmt) error {
	for len(stmts) > 0 {
		n, size := 0, 0
		for n < len(stmts) && (n == 0 || size+stmts[n].bytes <= batchBytes) {
			size += stmts[n].bytes
			n++
		}
		last := n == len(stmts)
		ctx := tx.ctx
		if last {
			if err := tx.ctx.Err(); err != nil {
				return err // nothing is committed yet
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(tx.ctx), commitTimeout)
			defer cancel()
		}
		var b pgx.Batch
		for _, s := range stmts[:n] {
			b.Queue(s.sql, s.args...)
		}
		if last {
			b.Queue("COMMIT")
		}
		stmts = stmts[n:]
		br, err := tx.batch(ctx, &b)
		if err != nil {
			return tx.fail("commit", err)
		}
		for range n {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return tx.failCommit(ctx, err)
			}
		}
		if last {
			tag, err := br.Exec()
			if err == nil && tag.String() != "COMMIT" {
				err = fmt.Errorf("COMMIT answered %q", tag)
			}
			if err != nil {
				br.Close()
				return tx.failCommit(ctx, err)
			}
		}
		if err := br.Close(); err != nil {
			return tx.failCommit(ctx, err)
		}
	}
	return nil
}

// failCommit records the error of a commit's batch. The batch ran
// without the caller's context, so a done context here is commitTimeout:
// the server did not answer, and whether it committed is unknown.
func (tx *txn) failCommit(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		tx.err = store.NewError(store.CodeIO, "commit", "", fmt.Errorf("no answer within %v, the outcome of the COMMIT is unknown: %w", commitTimeout, err))
	} else {
		tx.err = mapErr(ctx, "commit", err)
	}
	return tx.err
}

package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// Metadata runs the conformance suite for a store.Metadata backend.
// newBackend returns a fresh, empty backend for each subtest. At most one
// MetadataOptions may be given.
func Metadata(t *testing.T, newBackend func(t *testing.T) store.Metadata, opts ...MetadataOptions) {
	t.Helper()
	if len(opts) > 1 {
		t.Fatal("storetest.Metadata: more than one MetadataOptions")
	}
	var o MetadataOptions
	if len(opts) == 1 {
		o = opts[0]
	}
	tests := []struct {
		name string
		fn   func(t *tt, m store.Metadata)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"NotFound", testNotFound},
		{"EmptyValue", testEmptyValue},
		{"ReadOnlyView", testReadOnlyView},
		{"Rollback", testRollback},
		{"ReadYourWrites", testReadYourWrites},
		{"CallerBuffers", testCallerBuffers},
		{"ScanOrder", testScanOrder},
		{"ScanRanges", testScanRanges},
		{"ScanEarlyStop", testScanEarlyStop},
		{"ScanOwnWrites", testScanOwnWrites},
		{"ScanWhileWriting", testScanWhileWriting},
		{"ScanNested", testScanNested},
		{"ScanAhead", testScanAhead},
		{"Isolation", testIsolation},
		{"RepeatableRead", testRepeatableRead},
		{"LostUpdate", testLostUpdate},
		{"ConcurrentCounter", testConcurrentCounter},
		{"WriteSkew", testWriteSkew},
		{"Phantom", testPhantom},
		{"PhantomDelete", testPhantomDelete},
		{"LargeValues", testLargeValues},
		{"LargeKey", testLargeKey},
		{"ManyKeys", testManyKeys},
		{"BigTransaction", testBigTransaction},
		{"EmptyKey", testEmptyKey},
		{"Context", testContext},
		{"TxAfterEnd", testTxAfterEnd},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newBackend(t)
			run(t, o.Timeout, m, func(t *tt) { tc.fn(t, watchedMeta{m, t.w}) })
		})
	}
	t.Run("Persistence", func(t *testing.T) {
		m := newBackend(t)
		run(t, o.Timeout, m, func(t *tt) {
			testPersistence(t, o.Reopen != nil, func() { putAll(t, watchedMeta{m, t.w}, kvs("k", "v")) })
		})
	})
	t.Run("Reopen", func(t *testing.T) {
		if o.Reopen == nil {
			t.Skip("no MetadataOptions.Reopen")
		}
		m := newBackend(t)
		run(t, o.Timeout, m, func(t *tt) { testReopen(t, m, o.Reopen) })
	})
}

type kv struct{ k, v []byte }

func kvs(pairs ...string) []kv {
	out := make([]kv, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, kv{[]byte(pairs[i]), []byte(pairs[i+1])})
	}
	return out
}

func mustUpdate(t *tt, m store.Metadata, fn func(tx store.Tx) error) {
	t.Helper()
	if err := m.Update(t.ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func mustView(t *tt, m store.Metadata, fn func(tx store.Tx) error) {
	t.Helper()
	if err := m.View(t.ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func putAll(t *tt, m store.Metadata, pairs []kv) {
	t.Helper()
	mustUpdate(t, m, func(tx store.Tx) error {
		for _, p := range pairs {
			if err := tx.Put(p.k, p.v); err != nil {
				return fmt.Errorf("Put(%s): %w", short(p.k), err)
			}
		}
		return nil
	})
}

// get reads key in its own View and returns a copy of the value.
func get(t *tt, m store.Metadata, key []byte) ([]byte, error) {
	t.Helper()
	var val []byte
	var gerr error
	mustView(t, m, func(tx store.Tx) error {
		v, err := tx.Get(key)
		val, gerr = bytes.Clone(v), err
		return nil
	})
	return val, gerr
}

func wantValue(t *tt, m store.Metadata, key, want []byte) {
	t.Helper()
	got, err := get(t, m, key)
	if err != nil {
		t.Fatalf("Get(%s): %v, want %s", short(key), err, short(want))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s) = %s, want %s", short(key), short(got), short(want))
	}
}

func wantAbsent(t *tt, m store.Metadata, key []byte) {
	t.Helper()
	got, err := get(t, m, key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s) = %s, %v; want an error matching store.ErrNotFound", short(key), short(got), err)
	}
}

// scan collects copies of the pairs of [start, end) in tx.
func scan(t *tt, tx store.Tx, start, end []byte) []kv {
	t.Helper()
	var out []kv
	err := tx.Scan(start, end, func(k, v []byte) bool {
		out = append(out, kv{bytes.Clone(k), bytes.Clone(v)})
		return true
	})
	if err != nil {
		t.Fatalf("Scan(%s, %s): %v", short(start), short(end), err)
	}
	return out
}

func scanView(t *tt, m store.Metadata, start, end []byte) []kv {
	t.Helper()
	var out []kv
	mustView(t, m, func(tx store.Tx) error {
		out = scan(t, tx, start, end)
		return nil
	})
	return out
}

func wantPairs(t *tt, what string, got, want []kv) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d pairs %s, want %d %s", what, len(got), describe(got), len(want), describe(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].k, want[i].k) || !bytes.Equal(got[i].v, want[i].v) {
			t.Fatalf("%s: pair %d is %s=%s, want %s=%s", what, i, short(got[i].k), short(got[i].v), short(want[i].k), short(want[i].v))
		}
	}
}

func describe(p []kv) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, x := range p {
		if i == 20 {
			b.WriteString(" ...")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(short(x.k))
	}
	b.WriteByte(']')
	return b.String()
}

func sortedPairs(p []kv) []kv {
	p = slices.Clone(p)
	slices.SortFunc(p, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	return p
}

func testGetPutDelete(t *tt, m store.Metadata) {
	putAll(t, m, kvs("a", "1", "b", "2"))
	wantValue(t, m, []byte("a"), []byte("1"))
	wantValue(t, m, []byte("b"), []byte("2"))

	putAll(t, m, kvs("a", "one"))
	wantValue(t, m, []byte("a"), []byte("one"))

	mustUpdate(t, m, func(tx store.Tx) error { return tx.Delete([]byte("a")) })
	wantAbsent(t, m, []byte("a"))
	wantValue(t, m, []byte("b"), []byte("2"))

	// Deleting an absent key is not an error, also twice in one transaction.
	mustUpdate(t, m, func(tx store.Tx) error {
		if err := tx.Delete([]byte("a")); err != nil {
			return err
		}
		if err := tx.Delete([]byte("never")); err != nil {
			return err
		}
		return tx.Delete([]byte("never"))
	})
	wantPairs(t, "after deletes", scanView(t, m, nil, nil), kvs("b", "2"))

	// A deleted key can be written again.
	putAll(t, m, kvs("a", "again"))
	wantValue(t, m, []byte("a"), []byte("again"))
}

func testNotFound(t *tt, m store.Metadata) {
	wantAbsent(t, m, []byte("missing"))
	putAll(t, m, kvs("ab", "x"))
	// Neighbours and prefixes of a present key are absent.
	for _, k := range []string{"a", "abc", "ab\x00", "aa", "b"} {
		wantAbsent(t, m, []byte(k))
	}
	mustView(t, m, func(tx store.Tx) error {
		if _, err := tx.Get([]byte("a")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get in View: %v, want ErrNotFound", err)
		}
		return nil
	})
	mustUpdate(t, m, func(tx store.Tx) error {
		if _, err := tx.Get([]byte("a")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get in Update: %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testEmptyValue(t *tt, m store.Metadata) {
	mustUpdate(t, m, func(tx store.Tx) error {
		if err := tx.Put([]byte("nil"), nil); err != nil {
			return err
		}
		return tx.Put([]byte("empty"), []byte{})
	})
	for _, k := range []string{"nil", "empty"} {
		got, err := get(t, m, []byte(k))
		if err != nil || len(got) != 0 {
			t.Errorf("Get(%q) = %q, %v; want an empty value and no error", k, got, err)
		}
	}
	wantPairs(t, "scan", scanView(t, m, nil, nil), kvs("empty", "", "nil", ""))
}

func testReadOnlyView(t *tt, m store.Metadata) {
	putAll(t, m, kvs("k", "v"))
	mustView(t, m, func(tx store.Tx) error {
		if err := tx.Put([]byte("k"), []byte("changed")); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Put in View: %v, want ErrReadOnly", err)
		}
		if err := tx.Put([]byte("new"), []byte("x")); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Put in View: %v, want ErrReadOnly", err)
		}
		if err := tx.Delete([]byte("k")); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Delete in View: %v, want ErrReadOnly", err)
		}
		// The failed writes are not visible in the View itself.
		if v, err := tx.Get([]byte("k")); err != nil || string(v) != "v" {
			t.Errorf("Get after failed writes = %q, %v", v, err)
		}
		if _, err := tx.Get([]byte("new")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(new) after failed Put: %v, want ErrNotFound", err)
		}
		return nil
	})
	wantPairs(t, "after View", scanView(t, m, nil, nil), kvs("k", "v"))
}

var errRollback = errors.New("storetest: roll back")

func testRollback(t *tt, m store.Metadata) {
	putAll(t, m, kvs("keep", "1", "gone", "2"))
	err := m.Update(t.ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("keep"), []byte("changed")); err != nil {
			return err
		}
		if err := tx.Put([]byte("new"), []byte("3")); err != nil {
			return err
		}
		if err := tx.Delete([]byte("gone")); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}
	wantPairs(t, "after rollback", scanView(t, m, nil, nil), kvs("gone", "2", "keep", "1"))

	// A wrapped error is returned unchanged too.
	wrapped := fmt.Errorf("op failed: %w", store.ErrExist)
	err = m.Update(t.ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("new"), []byte("3")); err != nil {
			return err
		}
		return wrapped
	})
	if err != wrapped {
		t.Fatalf("Update returned %v, want %v", err, wrapped)
	}
	wantAbsent(t, m, []byte("new"))

	// The store is still writable after rollbacks.
	putAll(t, m, kvs("new", "4"))
	wantValue(t, m, []byte("new"), []byte("4"))
}

func testReadYourWrites(t *tt, m store.Metadata) {
	putAll(t, m, kvs("a", "1", "b", "2"))
	mustUpdate(t, m, func(tx store.Tx) error {
		check := func(key, want string) {
			t.Helper()
			v, err := tx.Get([]byte(key))
			if want == "" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Get(%q) in Update = %q, %v; want ErrNotFound", key, v, err)
				}
				return
			}
			if err != nil || string(v) != want {
				t.Errorf("Get(%q) in Update = %q, %v; want %q", key, v, err, want)
			}
		}
		check("a", "1")
		if err := tx.Put([]byte("a"), []byte("10")); err != nil {
			return err
		}
		check("a", "10")
		if err := tx.Put([]byte("c"), []byte("3")); err != nil {
			return err
		}
		check("c", "3")
		if err := tx.Delete([]byte("b")); err != nil {
			return err
		}
		check("b", "")
		if err := tx.Put([]byte("b"), []byte("20")); err != nil {
			return err
		}
		check("b", "20")
		if err := tx.Delete([]byte("c")); err != nil {
			return err
		}
		check("c", "")
		return nil
	})
	wantPairs(t, "after commit", scanView(t, m, nil, nil), kvs("a", "10", "b", "20"))
}

func testCallerBuffers(t *tt, m store.Metadata) {
	key := []byte("key")
	val := []byte("value")
	putAll(t, m, []kv{{key, val}})
	// The transaction has ended, so the caller may reuse its buffers.
	copy(key, "KEY")
	copy(val, "VALUE")
	wantValue(t, m, []byte("key"), []byte("value"))
	wantAbsent(t, m, []byte("KEY"))

	// A value got in a View stays intact while the View is open, also
	// when an Update overwrites the key meanwhile.
	mustView(t, m, func(tx store.Tx) error {
		old, err := tx.Get([]byte("key"))
		if err != nil {
			return err
		}
		oldCopy := bytes.Clone(old)
		putAll(t, m, kvs("key", "other"))
		if !bytes.Equal(old, oldCopy) {
			t.Errorf("an Update changed the bytes a Get of an open View returned")
		}
		return nil
	})
}

// orderKeys are keys whose byte order differs from naive expectations:
// prefixes, 0x00 and 0xFF bytes.
var orderKeys = []string{
	"\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x00\x00", "a\x01", "a\xff", "aa", "ab",
	"b", "b\x00", "ba", "\x7f", "\x80", "\xfe\xff", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\xff",
	// Around 8 and 16 bytes, where a backend may compare words.
	"0123456", "01234567", "01234567\x00", "012345678", "0123456789abcde", "0123456789abcdef",
	"0123456789abcdef\x00", "0123456789abcdef\xff", "0123456789abcdeg", "0123456789abcdf",
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
}

func testScanOrder(t *tt, m store.Metadata) {
	r := testRand(t)
	var pairs []kv
	for i, k := range orderKeys {
		pairs = append(pairs, kv{[]byte(k), []byte(fmt.Sprint(i))})
	}
	shuffled := slices.Clone(pairs)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// Write in two transactions, so the order spans committed data.
	putAll(t, m, shuffled[:len(shuffled)/2])
	putAll(t, m, shuffled[len(shuffled)/2:])
	want := sortedPairs(pairs)
	wantPairs(t, "Scan(nil, nil)", scanView(t, m, nil, nil), want)
	wantPairs(t, "Scan(empty, nil)", scanView(t, m, []byte{}, nil), want)
	var got []kv
	mustUpdate(t, m, func(tx store.Tx) error {
		got = scan(t, tx, nil, nil)
		return nil
	})
	wantPairs(t, "Scan in Update", got, want)
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil when there is none (p is all 0xFF).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func testScanRanges(t *tt, m store.Metadata) {
	var pairs []kv
	for _, k := range orderKeys {
		pairs = append(pairs, kv{[]byte(k), []byte("v" + k)})
	}
	putAll(t, m, pairs)
	all := sortedPairs(pairs)
	// expect computes the answer from the definition of Scan.
	expect := func(start, end []byte) []kv {
		var out []kv
		for _, p := range all {
			if bytes.Compare(p.k, start) >= 0 && (end == nil || bytes.Compare(p.k, end) < 0) {
				out = append(out, p)
			}
		}
		return out
	}
	b := func(s string) []byte { return []byte(s) }
	ranges := [][2][]byte{
		{nil, nil},
		{b("a"), nil},
		{b("a"), b("b")},
		{b("a"), b("a")}, // start == end: empty
		{b("b"), b("a")}, // end < start: empty
		{b("a\x00"), b("a\x01")},
		{b("a"), b("a\x00")},          // exactly one key
		{b("a\x00\x00\x00"), b("ab")}, // start between keys
		{b("\x00"), b("\x00")},
		{nil, b("\x00")},     // nothing below the smallest key
		{nil, b("\x00\x00")}, // only "\x00"
		{b("\xff"), nil},
		{b("\xff\xff\xff"), nil},
		{b("\xff\xff\xff\x00"), nil}, // past the largest key
		{b("\xfe"), b("\xff")},
		{b("zz"), b("zzz")}, // a gap with no keys
		{nil, b("\xff\xff\xff\xff")},
	}
	// Every key as a prefix.
	for _, k := range orderKeys {
		ranges = append(ranges, [2][]byte{b(k), prefixEnd(b(k))})
	}
	for _, rg := range ranges {
		got := scanView(t, m, rg[0], rg[1])
		wantPairs(t, fmt.Sprintf("Scan(%s, %s)", short(rg[0]), short(rg[1])), got, expect(rg[0], rg[1]))
	}
	// The same ranges over an empty store.
	empty := func() {
		for _, rg := range ranges {
			mustUpdate(t, m, func(tx store.Tx) error {
				if got := scan(t, tx, rg[0], rg[1]); len(got) != 0 {
					t.Errorf("Scan(%s, %s) of an emptied store in Update: %s", short(rg[0]), short(rg[1]), describe(got))
				}
				return nil
			})
		}
	}
	mustUpdate(t, m, func(tx store.Tx) error {
		for _, p := range pairs {
			if err := tx.Delete(p.k); err != nil {
				return err
			}
		}
		return nil
	})
	empty()
	if got := scanView(t, m, nil, nil); len(got) != 0 {
		t.Fatalf("Scan of an emptied store: %s", describe(got))
	}
}

func testScanEarlyStop(t *tt, m store.Metadata) {
	var pairs []kv
	for i := range 100 {
		pairs = append(pairs, kv{fmt.Appendf(nil, "k%03d", i), []byte("v")})
	}
	putAll(t, m, pairs)
	for _, stopAfter := range []int{1, 3, 99, 100} {
		mustView(t, m, func(tx store.Tx) error {
			calls := 0
			err := tx.Scan(nil, nil, func(k, v []byte) bool {
				calls++
				if want := fmt.Sprintf("k%03d", calls-1); string(k) != want {
					t.Errorf("call %d got key %q, want %q", calls, k, want)
				}
				return calls < stopAfter
			})
			if err != nil {
				t.Errorf("Scan: %v", err)
			}
			if calls != stopAfter {
				t.Errorf("fn returning false after %d calls: Scan made %d calls", stopAfter, calls)
			}
			return nil
		})
	}
	// Stopping early in an Update does not abort it.
	mustUpdate(t, m, func(tx store.Tx) error {
		if err := tx.Scan(nil, nil, func(k, v []byte) bool { return false }); err != nil {
			return err
		}
		return tx.Put([]byte("after"), []byte("scan"))
	})
	wantValue(t, m, []byte("after"), []byte("scan"))
}

func testScanOwnWrites(t *tt, m store.Metadata) {
	putAll(t, m, kvs("a", "1", "c", "3", "e", "5", "g", "7"))
	mustUpdate(t, m, func(tx store.Tx) error {
		for _, op := range []struct{ k, v string }{
			{"b", "2"}, {"c", "30"}, {"e", ""}, {"f", "6"}, {"h", "8"}, {"\x00", "0"},
		} {
			var err error
			if op.v == "" {
				err = tx.Delete([]byte(op.k))
			} else {
				err = tx.Put([]byte(op.k), []byte(op.v))
			}
			if err != nil {
				return err
			}
		}
		wantPairs(t, "Scan(nil, nil) in Update", scan(t, tx, nil, nil),
			kvs("\x00", "0", "a", "1", "b", "2", "c", "30", "f", "6", "g", "7", "h", "8"))
		wantPairs(t, "Scan(b, g) in Update", scan(t, tx, []byte("b"), []byte("g")),
			kvs("b", "2", "c", "30", "f", "6"))
		wantPairs(t, "Scan(e, f) in Update", scan(t, tx, []byte("e"), []byte("f")), nil)
		wantPairs(t, "Scan(g, nil) in Update", scan(t, tx, []byte("g"), nil), kvs("g", "7", "h", "8"))
		// A write after a Scan is seen by the next Scan.
		if err := tx.Put([]byte("d"), []byte("4")); err != nil {
			return err
		}
		if err := tx.Delete([]byte("a")); err != nil {
			return err
		}
		wantPairs(t, "second Scan in Update", scan(t, tx, []byte("a"), []byte("e")),
			kvs("b", "2", "c", "30", "d", "4"))
		return nil
	})
	wantPairs(t, "after commit", scanView(t, m, nil, nil),
		kvs("\x00", "0", "b", "2", "c", "30", "d", "4", "f", "6", "g", "7", "h", "8"))
}

func testScanWhileWriting(t *tt, m store.Metadata) {
	var pairs []kv
	for i := range 500 {
		pairs = append(pairs, kv{fmt.Appendf(nil, "k%04d", i), fmt.Appendf(nil, "%d", i)})
	}
	putAll(t, m, pairs)
	// Delete every key as it is visited, and write keys outside the range:
	// the pattern of removing a directory's entries.
	var visited int
	mustUpdate(t, m, func(tx store.Tx) error {
		// Rewrite the range first, so that the Scan runs over the
		// transaction's own writes.
		for i, p := range pairs {
			if i%2 == 0 {
				if err := tx.Put(p.k, []byte("rewritten")); err != nil {
					return err
				}
			}
		}
		var ferr error
		err := tx.Scan([]byte("k"), []byte("l"), func(k, v []byte) bool {
			wantV := fmt.Sprint(visited)
			if visited%2 == 0 {
				wantV = "rewritten"
			}
			if want := fmt.Sprintf("k%04d", visited); string(k) != want || string(v) != wantV {
				ferr = fmt.Errorf("visit %d: %q=%q, want %q=%q", visited, k, v, want, wantV)
				return false
			}
			visited++
			if err := tx.Delete(k); err != nil {
				ferr = err
				return false
			}
			if err := tx.Put(fmt.Appendf(nil, "z%s", k), []byte("moved")); err != nil {
				ferr = err
				return false
			}
			return true
		})
		return errors.Join(err, ferr)
	})
	if visited != len(pairs) {
		t.Fatalf("Scan visited %d keys while deleting them, want %d", visited, len(pairs))
	}
	if got := scanView(t, m, []byte("k"), []byte("l")); len(got) != 0 {
		t.Fatalf("keys left after deleting during Scan: %s", describe(got))
	}
	if got := scanView(t, m, []byte("z"), nil); len(got) != len(pairs) {
		t.Fatalf("%d keys written during Scan, want %d", len(got), len(pairs))
	}
}

// testScanNested calls Get and Scan from inside a Scan callback, as a
// directory walk that looks up each entry's node does.
func testScanNested(t *tt, m store.Metadata) {
	putAll(t, m, kvs("d/a", "n/1", "d/b", "n/2", "n/1", "one", "n/2", "two"))
	run := func(tx store.Tx) error {
		var got []string
		var ferr error
		err := tx.Scan([]byte("d/"), []byte("d0"), func(k, v []byte) bool {
			node, err := tx.Get(v)
			if err != nil {
				ferr = fmt.Errorf("Get(%q) inside Scan: %w", v, err)
				return false
			}
			inner := 0
			if err := tx.Scan([]byte("n/"), []byte("n0"), func(k, v []byte) bool { inner++; return true }); err != nil {
				ferr = err
				return false
			}
			got = append(got, fmt.Sprintf("%s=%s/%d", k, node, inner))
			return true
		})
		if err := errors.Join(err, ferr); err != nil {
			return err
		}
		if want := []string{"d/a=one/2", "d/b=two/2"}; !slices.Equal(got, want) {
			t.Errorf("nested scan gave %q, want %q", got, want)
		}
		return nil
	}
	mustView(t, m, run)
	mustUpdate(t, m, run)
}

func testIsolation(t *tt, m store.Metadata) {
	putAll(t, m, kvs("x", "old", "y", "old"))
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		once := sync.OnceFunc(func() { close(started) })
		defer once() // the Update failed before its function got far
		done <- m.Update(t.ctx, func(tx store.Tx) error {
			if err := tx.Put([]byte("x"), []byte("new")); err != nil {
				return err
			}
			if err := tx.Put([]byte("z"), []byte("new")); err != nil {
				return err
			}
			if err := tx.Delete([]byte("y")); err != nil {
				return err
			}
			once() // not again on a retry after a conflict
			select {
			case <-release:
				return nil
			case <-t.abort:
				return errRollback
			}
		})
	}()
	t.wait(started)
	select {
	case err := <-done:
		t.Fatalf("Update returned %v before its function finished", err)
	default:
	}
	// The Update is in its function: a View neither waits for it nor sees
	// its writes.
	wantPairs(t, "View during Update", scanView(t, m, nil, nil), kvs("x", "old", "y", "old"))
	wantValue(t, m, []byte("x"), []byte("old"))
	wantAbsent(t, m, []byte("z"))
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantPairs(t, "View after Update", scanView(t, m, nil, nil), kvs("x", "new", "z", "new"))
}

func testRepeatableRead(t *tt, m store.Metadata) {
	putAll(t, m, kvs("k", "v1", "j", "1"))
	err := m.View(t.ctx, func(tx store.Tx) error {
		v, err := tx.Get([]byte("k"))
		if err != nil || string(v) != "v1" {
			return fmt.Errorf("first Get = %q, %v", v, err)
		}
		// Commit a change while this View is open.
		if err := m.Update(t.ctx, func(tx store.Tx) error {
			if err := tx.Put([]byte("k"), []byte("v2")); err != nil {
				return err
			}
			if err := tx.Put([]byte("new"), []byte("x")); err != nil {
				return err
			}
			return tx.Delete([]byte("j"))
		}); err != nil {
			return fmt.Errorf("Update during View: %w", err)
		}
		if v, err := tx.Get([]byte("k")); err != nil || string(v) != "v1" {
			t.Errorf("second Get in the same View = %q, %v; want the snapshot's v1", v, err)
		}
		if _, err := tx.Get([]byte("new")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("View sees a key committed after it began: %v", err)
		}
		wantPairs(t, "Scan in the same View", scan(t, tx, nil, nil), kvs("j", "1", "k", "v1"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantValue(t, m, []byte("k"), []byte("v2"))
}

// update runs fn in an Update, retrying while it returns ErrConflict, at
// most maxRetries times.
func update(ctx context.Context, m store.Metadata, fn func(tx store.Tx) error) (retries int, err error) {
	const maxRetries = 10000
	for {
		err := m.Update(ctx, fn)
		if !errors.Is(err, store.ErrConflict) {
			return retries, err
		}
		retries++
		if retries == maxRetries {
			return retries, fmt.Errorf("still conflicting after %d retries: %w", retries, err)
		}
	}
}

func testConcurrentCounter(t *tt, m store.Metadata) {
	const workers, perWorker = 8, 50
	key := []byte("counter")
	putAll(t, m, []kv{{key, binaryUint(0)}})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				_, err := update(t.ctx, m, func(tx store.Tx) error {
					n, err := getUint(tx, key)
					if err != nil {
						return err
					}
					// A second key written in the same transaction keeps
					// the two in step.
					if err := tx.Put([]byte("shadow"), binaryUint(n+1)); err != nil {
						return err
					}
					return tx.Put(key, binaryUint(n+1))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("increment: %v (an error other than ErrConflict)", err)
	}
	for _, k := range [][]byte{key, []byte("shadow")} {
		v, err := get(t, m, k)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := parseUint(v); n != workers*perWorker {
			t.Fatalf("%s = %d after %d serialized increments", k, n, workers*perWorker)
		}
	}
}

func binaryUint(n uint64) []byte { return fmt.Appendf(nil, "%d", n) }

// getUint reads the counter under key.
func getUint(tx store.Tx, key []byte) (uint64, error) {
	v, err := tx.Get(key)
	if err != nil {
		return 0, err
	}
	return parseUint(v)
}

func parseUint(b []byte) (uint64, error) {
	var n uint64
	if _, err := fmt.Sscanf(string(b), "%d", &n); err != nil {
		return 0, fmt.Errorf("bad counter %q: %w", b, err)
	}
	return n, nil
}

// testWriteSkew checks the anomaly that snapshot isolation allows and
// serializability forbids: two transactions each read both keys and, seeing
// both set, clear a different one. At least one key must stay set.
func testWriteSkew(t *tt, m store.Metadata) {
	const rounds = 100
	a, b := []byte("a"), []byte("b")
	for round := range rounds {
		putAll(t, m, kvs("a", "1", "b", "1"))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, mine := range [][]byte{a, b} {
			wg.Go(func() {
				_, errs[i] = update(t.ctx, m, func(tx store.Tx) error {
					va, err := tx.Get(a)
					if err != nil {
						return err
					}
					vb, err := tx.Get(b)
					if err != nil {
						return err
					}
					if string(va) == "1" && string(vb) == "1" {
						return tx.Put(mine, []byte("0"))
					}
					return nil
				})
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		va, _ := get(t, m, a)
		vb, _ := get(t, m, b)
		if string(va) == "0" && string(vb) == "0" {
			t.Fatalf("round %d: write skew: both transactions committed on the same snapshot", round)
		}
	}
}

// testPhantom counts keys with a Scan and writes a key named by the count:
// if a transaction's Scan missed a key that a concurrent transaction
// inserted into the range (a phantom), two transactions would write the
// same name and the range would end with fewer keys than transactions.
func testPhantom(t *tt, m store.Metadata) {
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				_, err := update(t.ctx, m, func(tx store.Tx) error {
					n := 0
					if err := tx.Scan([]byte("e/"), []byte("e0"), func(k, v []byte) bool { n++; return true }); err != nil {
						return err
					}
					return tx.Put(fmt.Appendf(nil, "e/%05d", n), nil)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("insert: %v (an error other than ErrConflict)", err)
	}
	if got := scanView(t, m, []byte("e/"), []byte("e0")); len(got) != workers*perWorker {
		t.Fatalf("%d keys after %d serialized count-and-insert transactions: a Scan missed a concurrent insert", len(got), workers*perWorker)
	}
}

// testPhantomDelete races the pattern of rmdir (delete a directory when a
// Scan finds no entries in it) against create (add an entry when the
// directory exists): a directory may never be deleted while it has an
// entry.
func testPhantomDelete(t *tt, m store.Metadata) {
	const rounds = 100
	for round := range rounds {
		putAll(t, m, kvs("dir", "1"))
		var wg sync.WaitGroup
		var rmErr, createErr error
		wg.Go(func() {
			_, rmErr = update(t.ctx, m, func(tx store.Tx) error {
				empty := true
				if err := tx.Scan([]byte("dir/"), []byte("dir0"), func(k, v []byte) bool { empty = false; return false }); err != nil {
					return err
				}
				if !empty {
					return nil
				}
				return tx.Delete([]byte("dir"))
			})
		})
		wg.Go(func() {
			_, createErr = update(t.ctx, m, func(tx store.Tx) error {
				if _, err := tx.Get([]byte("dir")); errors.Is(err, store.ErrNotFound) {
					return nil
				} else if err != nil {
					return err
				}
				return tx.Put(fmt.Appendf(nil, "dir/%d", round), nil)
			})
		})
		wg.Wait()
		if err := errors.Join(rmErr, createErr); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		_, derr := get(t, m, []byte("dir"))
		entries := scanView(t, m, []byte("dir/"), []byte("dir0"))
		if errors.Is(derr, store.ErrNotFound) && len(entries) > 0 {
			t.Fatalf("round %d: directory deleted while it holds %s", round, describe(entries))
		}
		mustUpdate(t, m, func(tx store.Tx) error {
			for _, e := range entries {
				if err := tx.Delete(e.k); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func testLargeValues(t *tt, m store.Metadata) {
	r := testRand(t)
	sizes := []int{1 << 10, 64 << 10, 1<<20 + 7, 5 << 20}
	var pairs []kv
	for i, n := range sizes {
		pairs = append(pairs, kv{fmt.Appendf(nil, "big%d", i), randBytes(r, n)})
	}
	for _, p := range pairs {
		putAll(t, m, []kv{p})
	}
	for _, p := range pairs {
		wantValue(t, m, p.k, p.v)
	}
	wantPairs(t, "Scan of large values", scanView(t, m, nil, nil), pairs)
	// Overwrite a large value with a small one and the reverse.
	putAll(t, m, []kv{{pairs[3].k, []byte("small")}, {[]byte("grow"), pairs[3].v}})
	wantValue(t, m, pairs[3].k, []byte("small"))
	wantValue(t, m, []byte("grow"), pairs[3].v)
}

func testLargeKey(t *tt, m store.Metadata) {
	r := testRand(t)
	for _, n := range []int{255, 1024, 4096} {
		k := randBytes(r, n)
		putAll(t, m, []kv{{k, []byte("v")}})
		wantValue(t, m, k, []byte("v"))
		wantPairs(t, "Scan of a long key's prefix", scanView(t, m, k[:n/2], prefixEnd(k[:n/2])), []kv{{k, []byte("v")}})
		mustUpdate(t, m, func(tx store.Tx) error { return tx.Delete(k) })
	}
}

func testManyKeys(t *tt, m store.Metadata) {
	const n, batch = 20000, 1000
	r := testRand(t)
	perm := r.Perm(n)
	for i := 0; i < n; i += batch {
		mustUpdate(t, m, func(tx store.Tx) error {
			for _, j := range perm[i : i+batch] {
				if err := tx.Put(fmt.Appendf(nil, "key/%08d", j), fmt.Appendf(nil, "%d", j)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	check := func(deleted func(int) bool) {
		t.Helper()
		want := 0
		mustView(t, m, func(tx store.Tx) error {
			next := 0
			return tx.Scan([]byte("key/"), []byte("key0"), func(k, v []byte) bool {
				for deleted(next) {
					next++
				}
				if w := fmt.Sprintf("key/%08d", next); string(k) != w || string(v) != fmt.Sprint(next) {
					t.Errorf("Scan: got %q=%q, want %q", k, v, w)
					return false
				}
				next++
				want++
				return true
			})
		})
		total := 0
		for i := range n {
			if !deleted(i) {
				total++
			}
		}
		if want != total {
			t.Fatalf("Scan saw %d keys, want %d", want, total)
		}
	}
	check(func(int) bool { return false })
	// Delete every third key, in batches.
	for i := 0; i < n; i += batch {
		mustUpdate(t, m, func(tx store.Tx) error {
			for j := i; j < i+batch; j++ {
				if j%3 == 0 {
					if err := tx.Delete(fmt.Appendf(nil, "key/%08d", j)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	check(func(i int) bool { return i%3 == 0 })
	for _, i := range []int{0, 1, 2, 3, n - 1, n / 2} {
		got, err := get(t, m, fmt.Appendf(nil, "key/%08d", i))
		if i%3 == 0 {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("deleted key %d: %q, %v", i, got, err)
			}
		} else if err != nil || string(got) != fmt.Sprint(i) {
			t.Errorf("key %d: %q, %v", i, got, err)
		}
	}
}

// testBigTransaction writes 20,000 keys (about 1.5 MB) in one transaction:
// the size of a large directory removal or extent map rewrite.
func testBigTransaction(t *tt, m store.Metadata) {
	const n = 20000
	val := bytes.Repeat([]byte("x"), 64)
	mustUpdate(t, m, func(tx store.Tx) error {
		for i := range n {
			if err := tx.Put(fmt.Appendf(nil, "big/%06d", i), val); err != nil {
				return fmt.Errorf("Put %d: %w", i, err)
			}
		}
		return nil
	})
	count := 0
	mustView(t, m, func(tx store.Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool { count++; return true })
	})
	if count != n {
		t.Fatalf("%d keys after one big Update, want %d", count, n)
	}
	mustUpdate(t, m, func(tx store.Tx) error {
		for i := range n {
			if err := tx.Delete(fmt.Appendf(nil, "big/%06d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if got := scanView(t, m, nil, nil); len(got) != 0 {
		t.Fatalf("%d keys left after deleting all in one Update", len(got))
	}
}

// testEmptyKey checks that an empty key is either rejected with an error
// matching store.ErrInvalid or stored like any other key.
func testEmptyKey(t *tt, m store.Metadata) {
	err := m.Update(t.ctx, func(tx store.Tx) error {
		return tx.Put([]byte{}, []byte("v"))
	})
	switch {
	case err == nil:
		wantValue(t, m, []byte{}, []byte("v"))
		wantPairs(t, "Scan", scanView(t, m, nil, nil), []kv{{[]byte{}, []byte("v")}})
	case errors.Is(err, store.ErrInvalid):
		if got := scanView(t, m, nil, nil); len(got) != 0 {
			t.Fatalf("rejected empty key left %s", describe(got))
		}
	default:
		t.Fatalf("Put(empty key): %v, want nil or an error matching store.ErrInvalid", err)
	}
}

func testContext(t *tt, m store.Metadata) {
	ctx, cancel := context.WithCancel(t.ctx)
	cancel()
	ran := false
	err := m.Update(ctx, func(tx store.Tx) error {
		ran = true
		return tx.Put([]byte("k"), []byte("v"))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context: %v, want context.Canceled", err)
	}
	if ran {
		t.Errorf("Update ran fn with a canceled context")
	}
	err = m.View(ctx, func(tx store.Tx) error {
		ran = true
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("View with a canceled context: %v, want context.Canceled", err)
	}
	if ran {
		t.Errorf("View ran fn with a canceled context")
	}
	wantAbsent(t, m, []byte("k"))

	// A context canceled while fn runs keeps the transaction from
	// committing: fn's writes are all kept or all dropped.
	ctx, cancel = context.WithCancel(t.ctx)
	err = m.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("a"), []byte("1")); err != nil {
			return err
		}
		cancel()
		return tx.Put([]byte("b"), []byte("2"))
	})
	got := scanView(t, m, nil, nil)
	switch {
	case err == nil:
		wantPairs(t, "committed despite cancel", got, kvs("a", "1", "b", "2"))
	case errors.Is(err, context.Canceled):
		wantPairs(t, "canceled Update", got, nil)
	default:
		t.Fatalf("Update canceled during fn: %v", err)
	}
}

func testTxAfterEnd(t *tt, m store.Metadata) {
	putAll(t, m, kvs("k", "v"))
	var kept store.Tx
	mustUpdate(t, m, func(tx store.Tx) error { kept = tx; return nil })
	if err := kept.Put([]byte("late"), []byte("x")); err == nil {
		t.Errorf("Put on an ended Update's Tx succeeded")
	}
	if err := kept.Delete([]byte("k")); err == nil {
		t.Errorf("Delete on an ended Update's Tx succeeded")
	}
	if _, err := kept.Get([]byte("k")); err == nil {
		t.Errorf("Get on an ended Update's Tx succeeded")
	}
	if err := kept.Scan(nil, nil, func(k, v []byte) bool { return true }); err == nil {
		t.Errorf("Scan on an ended Update's Tx succeeded")
	}
	mustView(t, m, func(tx store.Tx) error { kept = tx; return nil })
	if _, err := kept.Get([]byte("k")); err == nil {
		t.Errorf("Get on an ended View's Tx succeeded")
	}
	if err := kept.Scan(nil, nil, func(k, v []byte) bool { return true }); err == nil {
		t.Errorf("Scan on an ended View's Tx succeeded")
	}
	wantPairs(t, "after late writes", scanView(t, m, nil, nil), kvs("k", "v"))
}

func testClose(t *tt, m store.Metadata) {
	putAll(t, m, kvs("k", "v"))
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v, want nil (Close is idempotent)", err)
	}
	if err := m.View(t.ctx, func(tx store.Tx) error { return nil }); err == nil {
		t.Errorf("View after Close succeeded")
	}
	if err := m.Update(t.ctx, func(tx store.Tx) error { return tx.Put([]byte("a"), nil) }); err == nil {
		t.Errorf("Update after Close succeeded")
	}
}

func testReopen(t *tt, raw store.Metadata, reopen func(*testing.T, store.Metadata) store.Metadata) {
	var m store.Metadata = watchedMeta{raw, t.w}
	r := testRand(t)
	big := randBytes(r, 3<<20)
	var pairs []kv
	for i := range 2000 {
		pairs = append(pairs, kv{fmt.Appendf(nil, "k%05d", i), fmt.Appendf(nil, "v%d", i)})
	}
	putAll(t, m, pairs)
	putAll(t, m, []kv{{[]byte("big"), big}, {[]byte("\x00"), []byte("low")}, {[]byte("\xff\xff"), []byte("high")}})
	mustUpdate(t, m, func(tx store.Tx) error {
		for i := 0; i < len(pairs); i += 2 {
			if err := tx.Delete(pairs[i].k); err != nil {
				return err
			}
		}
		return nil
	})
	// A rolled-back Update must not reappear after reopening.
	if err := m.Update(t.ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("rolledback"), []byte("x")); err != nil {
			return err
		}
		return errRollback
	}); err != errRollback {
		t.Fatalf("Update: %v", err)
	}
	var want []kv
	for i := 1; i < len(pairs); i += 2 {
		want = append(want, pairs[i])
	}
	want = sortedPairs(append(want, kv{[]byte("big"), big}, kv{[]byte("\x00"), []byte("low")}, kv{[]byte("\xff\xff"), []byte("high")}))
	wantPairs(t, "before reopen", scanView(t, m, nil, nil), want)

	for round := range 3 {
		id := t.w.begin("MetadataOptions.Reopen", "running")
		raw = reopen(t.T, raw)
		t.w.end(id)
		m = watchedMeta{raw, t.w}
		wantPairs(t, fmt.Sprintf("after reopen %d", round), scanView(t, m, nil, nil), want)
		wantValue(t, m, []byte("big"), big)
		wantAbsent(t, m, []byte("rolledback"))
		wantAbsent(t, m, pairs[0].k)
		// The reopened store takes writes, which survive the next reopen.
		k := fmt.Appendf(nil, "round%d", round)
		putAll(t, m, []kv{{k, []byte("x")}})
		want = sortedPairs(append(want, kv{k, []byte("x")}))
	}
	wantPairs(t, "after last write", scanView(t, m, nil, nil), want)
}

package badger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bdg "github.com/dgraph-io/badger/v4"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
)

func TestConflict(t *testing.T) {
	ctx := context.Background()
	m := open(t, t.TempDir(), badger.Options{})
	put := func(k, v string) error {
		return m.Update(ctx, func(tx store.Tx) error { return tx.Put([]byte(k), []byte(v)) })
	}
	if err := put("k", "0"); err != nil {
		t.Fatal(err)
	}
	// The outer Update reads k; an inner one commits a change to k before
	// the outer commits.
	err := m.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get([]byte("k")); err != nil {
			return err
		}
		if err := put("k", "inner"); err != nil {
			return fmt.Errorf("inner Update: %w", err)
		}
		return tx.Put([]byte("k"), []byte("outer"))
	})
	if !errors.Is(err, store.ErrConflict) || !errors.Is(err, bdg.ErrConflict) {
		t.Fatalf("Update after a conflicting commit: %v, want store.ErrConflict wrapping badger's", err)
	}
	// An absent key that was read counts too.
	err = m.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get([]byte("absent")); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := put("absent", "now"); err != nil {
			return err
		}
		return tx.Put([]byte("other"), nil)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Update that read a key created meanwhile: %v, want ErrConflict", err)
	}
	// A write to a key the outer one neither read nor scanned is no conflict.
	err = m.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get([]byte("k")); err != nil {
			return err
		}
		if err := put("unrelated", "x"); err != nil {
			return err
		}
		return tx.Put([]byte("k"), []byte("outer"))
	})
	if err != nil {
		t.Fatalf("Update beside an unrelated commit: %v", err)
	}
}

func TestPhantomConflict(t *testing.T) {
	ctx := context.Background()
	m := open(t, t.TempDir(), badger.Options{})
	put := func(k string) error {
		return m.Update(ctx, func(tx store.Tx) error { return tx.Put([]byte(k), nil) })
	}
	for _, tc := range []struct {
		inner    string
		conflict bool
	}{
		{"d/new", true},  // inside the scanned range
		{"d/", true},     // its start
		{"d0", false},    // its end, excluded
		{"c", false},     // before it
		{"d/\xff", true}, // near its end
		{"e/new", false}, // after it
	} {
		t.Run(tc.inner, func(t *testing.T) {
			err := m.Update(ctx, func(tx store.Tx) error {
				if err := tx.Scan([]byte("d/"), []byte("d0"), func(k, v []byte) bool { return true }); err != nil {
					return err
				}
				if err := put(tc.inner); err != nil {
					return fmt.Errorf("inner Update: %w", err)
				}
				return tx.Put([]byte("elsewhere"), nil)
			})
			if tc.conflict && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("Update whose scanned range got %q meanwhile: %v, want ErrConflict", tc.inner, err)
			}
			if !tc.conflict && err != nil {
				t.Fatalf("Update beside a commit of %q: %v", tc.inner, err)
			}
		})
	}
	// A Scan with no upper bound covers every later key.
	err := m.Update(ctx, func(tx store.Tx) error {
		if err := tx.Scan([]byte("x"), nil, func(k, v []byte) bool { return true }); err != nil {
			return err
		}
		if err := put("\xff\xff"); err != nil {
			return err
		}
		return tx.Put([]byte("a"), nil)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("open-ended Scan: %v, want ErrConflict", err)
	}
	// The record of a commit outlives the end of other Updates while one
	// that may need it is still running.
	err = m.Update(ctx, func(tx store.Tx) error {
		if err := tx.Scan([]byte("p/"), []byte("p0"), func(k, v []byte) bool { return true }); err != nil {
			return err
		}
		err := m.Update(ctx, func(tx2 store.Tx) error {
			if err := put("p/phantom"); err != nil {
				return err
			}
			return tx2.Put([]byte("q"), nil)
		})
		if err != nil {
			return fmt.Errorf("middle Update: %w", err)
		}
		if err := put("r"); err != nil { // another commit and end after the middle one
			return err
		}
		return tx.Put([]byte("s"), nil)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Update whose range got a key while other Updates came and went: %v, want ErrConflict", err)
	}
	// A read-only Update is never in conflict: it commits nothing.
	err = m.Update(ctx, func(tx store.Tx) error {
		if err := tx.Scan(nil, nil, func(k, v []byte) bool { return true }); err != nil {
			return err
		}
		return put("ro")
	})
	if err != nil {
		t.Fatalf("read-only Update: %v", err)
	}
}

func TestTxnTooBig(t *testing.T) {
	ctx := context.Background()
	m := open(t, t.TempDir(), badger.Options{MemTableSize: 1 << 20})
	maxBytes, maxEntries := m.MaxTxnSize()
	if maxBytes <= 0 || maxEntries <= 0 {
		t.Fatalf("MaxTxnSize = %d, %d", maxBytes, maxEntries)
	}
	val := bytes.Repeat([]byte("v"), 100)
	var putErr error
	err := m.Update(ctx, func(tx store.Tx) error {
		for i := range maxEntries + 1 {
			if putErr = tx.Put(fmt.Appendf(nil, "k%08d", i), val); putErr != nil {
				return putErr
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrTooBig) || !errors.Is(err, bdg.ErrTxnTooBig) {
		t.Fatalf("oversized Update: %v, want store.ErrTooBig wrapping badger.ErrTxnTooBig", err)
	}
	if err != putErr {
		t.Fatalf("Update returned %v, not fn's error %v", err, putErr)
	}
	err = m.View(ctx, func(tx store.Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool {
			t.Fatalf("oversized Update left %q", k)
			return false
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A transaction within the limits commits.
	err = m.Update(ctx, func(tx store.Tx) error {
		for i := range maxEntries / 4 {
			if err := tx.Put(fmt.Appendf(nil, "k%08d", i), val[:10]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update within the limit: %v", err)
	}
}

func TestKeyLimit(t *testing.T) {
	ctx := context.Background()
	m := open(t, t.TempDir(), badger.Options{})
	long := bytes.Repeat([]byte("k"), 64999)
	if err := m.Update(ctx, func(tx store.Tx) error { return tx.Put(long, []byte("v")) }); err != nil {
		t.Fatalf("Put of the longest key: %v", err)
	}
	tooLong := append(long, 'k')
	err := m.Update(ctx, func(tx store.Tx) error { return tx.Put(tooLong, []byte("v")) })
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Put of a key over the limit: %v, want ErrInvalid", err)
	}
	err = m.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(tooLong); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get of a key over the limit: %v", err)
		}
		n := 0
		if err := tx.Scan(tooLong, nil, func(k, v []byte) bool { n++; return true }); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("Scan from a key over the limit found %d keys", n)
		}
		if err := tx.Scan(long, tooLong, func(k, v []byte) bool { n++; return true }); err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("Scan [long, tooLong) found %d keys, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReservedPrefix checks that keys Badger reserves for itself are
// ordinary keys here.
func TestReservedPrefix(t *testing.T) {
	ctx := context.Background()
	m := open(t, t.TempDir(), badger.Options{})
	keys := []string{"!badger!head", "!badger!", "\x00", "\xff"}
	err := m.Update(ctx, func(tx store.Tx) error {
		for _, k := range keys {
			if err := tx.Put([]byte(k), []byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = m.View(ctx, func(tx store.Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool { got = append(got, string(k)); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"\x00", "!badger!", "!badger!head", "\xff"}; !slicesEqual(got, want) {
		t.Fatalf("Scan = %q, want %q", got, want)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSyncAndClose(t *testing.T) {
	ctx := context.Background()
	m, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Update(ctx, func(tx store.Tx) error { return tx.Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := m.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := m.Sync(ctx); err == nil {
		t.Fatalf("Sync after Close succeeded")
	}
	if err := m.View(ctx, func(store.Tx) error { return nil }); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("View after Close: %v, want fs.ErrClosed", err)
	}
}

// TestCloseWaits checks that Close waits for a running transaction.
func TestCloseWaits(t *testing.T) {
	ctx := context.Background()
	m, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inside := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	var updErr error
	wg.Go(func() {
		updErr = m.Update(ctx, func(tx store.Tx) error {
			close(inside)
			<-release
			return tx.Put([]byte("k"), []byte("v"))
		})
	})
	<-inside
	closed := make(chan error)
	go func() { closed <- m.Close() }()
	close(release)
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if updErr != nil {
		t.Fatalf("Update running during Close: %v", updErr)
	}
}

func TestValueLogGC(t *testing.T) {
	ctx := context.Background()
	m := open(t, t.TempDir(), badger.Options{ValueThreshold: 64, ValueLogFileSize: 1 << 20})
	val := bytes.Repeat([]byte("x"), 4096)
	for round := range 4 {
		for i := 0; i < 500; i += 50 {
			err := m.Update(ctx, func(tx store.Tx) error {
				for j := i; j < i+50; j++ {
					if err := tx.Put(fmt.Appendf(nil, "k%d", j), val); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	if err := m.RunValueLogGC(ctx, 0.5); err != nil {
		t.Fatalf("RunValueLogGC: %v", err)
	}
	err := m.View(ctx, func(tx store.Tx) error {
		for i := range 500 {
			v, err := tx.Get(fmt.Appendf(nil, "k%d", i))
			if err != nil || !bytes.Equal(v, val) {
				return fmt.Errorf("k%d after GC: %d bytes, %v", i, len(v), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// recordHandler collects log records.
type recordHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Level.String()+" "+r.Message)
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func TestLogger(t *testing.T) {
	h := &recordHandler{}
	m, err := badger.Open(t.TempDir(), badger.Options{Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.msgs) == 0 {
		t.Fatalf("no Badger messages reached the slog.Logger")
	}
	for _, msg := range h.msgs {
		if strings.HasSuffix(msg, "\n") {
			t.Errorf("message %q ends in a newline", msg)
		}
	}
}

// TestQuietByDefault runs Open and Close in a child process and checks
// that nothing reaches stderr without a Logger.
func TestQuietByDefault(t *testing.T) {
	if dir := os.Getenv("DITTOFS_BADGER_QUIET_CHILD"); dir != "" {
		m, err := badger.Open(dir, badger.Options{})
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		m.Update(context.Background(), func(tx store.Tx) error { return tx.Put([]byte("k"), nil) })
		m.Close()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestQuietByDefault$")
	cmd.Env = append(os.Environ(), "DITTOFS_BADGER_QUIET_CHILD="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v; stderr: %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("Badger wrote to stderr without a Logger: %s", stderr.String())
	}
}

// TestCorruption damages every file of a closed database in turn and
// checks that opening and reading it returns errors or the right data,
// never a panic or wrong bytes.
func TestCorruption(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	o := badger.Options{ValueThreshold: 128}
	m, err := badger.Open(src, o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := range 300 {
		k := fmt.Sprintf("key%04d", i)
		v := bytes.Repeat([]byte{byte(i)}, 10+i*7) // some inline, some in the value log
		want[k] = v
	}
	err = m.Update(ctx, func(tx store.Tx) error {
		for k, v := range want {
			if err := tx.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen once so the memtable is flushed into a table file.
	m, err = badger.Open(src, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name() == "LOCK" {
			continue
		}
		info, err := f.Info()
		if err != nil || info.Size() == 0 {
			continue
		}
		for _, where := range []string{"middle", "start", "end"} {
			t.Run(f.Name()+"/"+where, func(t *testing.T) {
				dir := t.TempDir()
				copyDir(t, src, dir)
				p := filepath.Join(dir, f.Name())
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				var off int
				switch where {
				case "middle":
					off = len(data) / 2
				case "start":
					off = min(len(data)-1, 20)
				case "end":
					off = max(0, len(data)-20)
				}
				for i := off; i < min(off+16, len(data)); i++ {
					data[i] ^= 0x5a
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				readCorrupted(t, dir, o, want)
			})
		}
	}
}

func readCorrupted(t *testing.T, dir string, o badger.Options, want map[string][]byte) {
	ctx := context.Background()
	m, err := badger.Open(dir, o)
	if err != nil {
		t.Logf("Open: %v", err)
		return
	}
	defer m.Close()
	errs := 0
	err = m.View(ctx, func(tx store.Tx) error {
		for k, w := range want {
			v, err := tx.Get([]byte(k))
			if err != nil {
				errs++
				continue
			}
			if !bytes.Equal(v, w) {
				t.Errorf("Get(%s) returned %d wrong bytes", k, len(v))
			}
		}
		return tx.Scan(nil, nil, func(k, v []byte) bool {
			if w, ok := want[string(k)]; !ok || !bytes.Equal(v, w) {
				t.Errorf("Scan returned %q with %d wrong bytes", k, len(v))
			}
			return true
		})
	})
	t.Logf("%d Get errors; Scan: %v", errs, err)
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name() == "LOCK" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSyncRotatedLogs fills several memtables and value log files without
// SyncWrites and checks that Sync fsyncs them and the directory.
func TestSyncRotatedLogs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := open(t, dir, badger.Options{MemTableSize: 1 << 20, ValueThreshold: 1 << 10, ValueLogFileSize: 1 << 20})
	val := bytes.Repeat([]byte("v"), 4<<10)
	for i := range 1000 {
		if err := m.Update(ctx, func(tx store.Tx) error {
			return tx.Put(fmt.Appendf(nil, "k%d", i), val)
		}); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if err := m.Sync(ctx); err != nil {
				t.Fatalf("Sync: %v", err)
			}
		}
	}
	if err := m.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	vlogs, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if len(vlogs) < 2 {
		t.Fatalf("%d value log files: the test did not rotate any", len(vlogs))
	}
}

func TestNoBlockCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := open(t, dir, badger.Options{BlockCacheSize: -1})
	if err := m.Update(ctx, func(tx store.Tx) error { return tx.Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = open(t, dir, badger.Options{BlockCacheSize: -1})
	err := m.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get([]byte("k"))
		if err != nil || string(v) != "v" {
			return fmt.Errorf("Get = %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

// TestRegisterNamespace: names are checked, registered once, and no
// registered prefix (namespace or legacy) is a prefix of another.
func TestRegisterNamespace(t *testing.T) {
	a := store.RegisterNamespace("test-ns")
	b := store.RegisterNamespace("test-ns2")
	if !bytes.Equal(a, []byte("\xfftest-ns\x00")) || bytes.HasPrefix(b, a) || bytes.HasPrefix(a, b) {
		t.Fatalf("prefixes %q %q", a, b)
	}
	mustPanic(t, "a second registration", func() { store.RegisterNamespace("test-ns") })
	for _, bad := range []string{"", "Upper", "with\x00nul", "sp ace", strings.Repeat("a", 65)} {
		mustPanic(t, fmt.Sprintf("name %q", bad), func() { store.RegisterNamespace(bad) })
	}
	store.RegisterLegacyPrefix("test-ns", []byte("\xffTQ"), nil)
	mustPanic(t, "a legacy prefix under another", func() { store.RegisterLegacyPrefix("test-ns2", []byte("\xffTQx"), nil) })
	mustPanic(t, "a legacy prefix over another", func() { store.RegisterLegacyPrefix("test-ns2", []byte("\xffT"), nil) })
	mustPanic(t, "a lower-case legacy prefix", func() { store.RegisterLegacyPrefix("test-ns2", []byte("\xfftest"), nil) })
	mustPanic(t, "a checker of no namespace", func() { store.RegisterNamespaceChecker("test-none", nil) })
}

// TestCheckNamespaces: Check hands each record of a namespace to its
// checker, lists damaged records as problems and stale ones as notes,
// reports keys of no namespace as unknown; Repair deletes the records the
// checker rejected and leaves unknown keys alone.
func TestCheckNamespaces(t *testing.T) {
	p := store.RegisterNamespace("test-check")
	store.RegisterLegacyPrefix("test-check", []byte("\xffTCHK"), []byte("r"))
	store.RegisterNamespaceChecker("test-check", func(k, v []byte, node func(uint64) bool) error {
		if k[0] != 'r' {
			return fmt.Errorf("key %q not within the namespace", k)
		}
		if len(v) != 8 {
			return errors.New("bad length")
		}
		if !node(binary.BigEndian.Uint64(v)) {
			return fmt.Errorf("%w: node gone", store.ErrStaleRecord)
		}
		return nil
	})
	meta, blocks := memory.NewMetadata(), memory.NewBlocks()
	fs, err := store.NewFS(meta, blocks, store.Options{Clock: newClock(), FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	root := fs.Root()
	if rep, err := fs.Check(ctx); err != nil || len(rep.Problems) != 0 || len(rep.Notes) != 0 {
		t.Fatalf("fresh store: %+v %v", rep, err)
	}
	put := func(k, v []byte) {
		t.Helper()
		if err := meta.Update(ctx, func(tx store.Tx) error { return tx.Put(k, v) }); err != nil {
			t.Fatal(err)
		}
	}
	key := func(s string) []byte { return append(append([]byte{}, p...), s...) }
	put(key("rgood"), binary.BigEndian.AppendUint64(nil, root.ID))
	put([]byte("\xffTCHKold"), binary.BigEndian.AppendUint64(nil, root.ID)) // checked as "rold"
	rep, err := fs.Check(ctx)
	if err != nil || len(rep.Problems) != 0 || rep.Records["test-check"] != 2 {
		t.Fatalf("sound records: %+v %v", rep, err)
	}
	if n, err := store.MigrateNamespace(ctx, meta, "test-check"); err != nil || n != 1 {
		t.Fatalf("migrate: %d %v", n, err)
	}
	if err := meta.View(ctx, func(tx store.Tx) error { _, err := tx.Get(key("rold")); return err }); err != nil {
		t.Fatalf("migrated key: %v", err)
	}
	put(key("rbad"), []byte{1})
	put(key("rstale"), binary.BigEndian.AppendUint64(nil, 1<<50))
	put([]byte("\xffUNKNOWN"), nil)
	rep, err = fs.Check(ctx)
	if err != nil || len(rep.Problems) != 2 || len(rep.Notes) != 1 {
		t.Fatalf("damaged: %+v %v", rep, err)
	}
	if !strings.Contains(rep.Notes[0], "node gone") || !strings.Contains(strings.Join(rep.Problems, "\n"), "bad length") ||
		!strings.Contains(strings.Join(rep.Problems, "\n"), "unknown key") {
		t.Fatalf("findings: %q %q", rep.Problems, rep.Notes)
	}
	rep, err = fs.Repair(ctx)
	if err != nil || len(rep.Repaired) != 2 || len(rep.Problems) != 1 || len(rep.Notes) != 0 || rep.Records["test-check"] != 2 {
		t.Fatalf("after repair: %+v %v", rep, err)
	}
}

// TestRepairFS: Repair removes a cookie without its entry and rewrites
// wrong usage counters, and FsStat follows.
func TestRepairFS(t *testing.T) {
	meta, blocks := memory.NewMetadata(), memory.NewBlocks()
	fs, err := store.NewFS(meta, blocks, store.Options{RootMode: 0o777, Clock: newClock(), FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	create(t, fs, alice, fs.Root(), "f", 0o644)
	if err := meta.Update(ctx, func(tx store.Tx) error {
		// A copy of f's cookie record under another cookie: an index
		// entry without its directory entry.
		var val []byte
		if err := tx.Scan([]byte{'c'}, []byte{'d'}, func(_, v []byte) bool {
			val = append([]byte(nil), v...)
			return false
		}); err != nil {
			return err
		}
		ck := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte{'c'}, fs.Root().ID), 1<<40)
		if err := tx.Put(ck, val); err != nil {
			return err
		}
		u := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 99), 0)
		return tx.Put([]byte{'u', 3}, u)
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := fs.Check(ctx)
	if err != nil || len(rep.Problems) != 2 {
		t.Fatalf("damaged: %q %v", rep.Problems, err)
	}
	rep, err = fs.Repair(ctx)
	if err != nil || len(rep.Problems) != 0 || len(rep.Repaired) != 2 {
		t.Fatalf("repair: %+v %v", rep, err)
	}
	if st := fs.FsStat(ctx); st.Files != 2 {
		t.Fatalf("files after repair %d, want 2", st.Files)
	}
}

// TestMovePrefix moves more keys than one batch holds, and leaves
// neighbours alone.
func TestMovePrefix(t *testing.T) {
	meta := memory.NewMetadata()
	if err := meta.Update(ctx, func(tx store.Tx) error {
		for i := range 1200 {
			if err := tx.Put(fmt.Appendf(nil, "\xffOLD%05d", i), []byte{byte(i)}); err != nil {
				return err
			}
		}
		return tx.Put([]byte("\xffOLE"), nil)
	}); err != nil {
		t.Fatal(err)
	}
	n, err := store.MovePrefix(ctx, meta, []byte("\xffOLD"), []byte("\xffnew\x00"))
	if err != nil || n != 1200 {
		t.Fatalf("moved %d: %v", n, err)
	}
	var keys []string
	meta.View(ctx, func(tx store.Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool {
			keys = append(keys, string(k))
			return true
		})
	})
	if len(keys) != 1201 || keys[0] != "\xffOLE" || keys[1] != "\xffnew\x0000000" {
		t.Fatalf("%d keys, first %q", len(keys), keys[:2])
	}
}

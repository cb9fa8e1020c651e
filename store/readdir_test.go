package store_test

import (
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/store"
)

func listAll(t testing.TB, fs *store.FS, c *store.Cred, d store.Handle, plus bool, batch int) []store.DirEntry {
	t.Helper()
	var out []store.DirEntry
	var cookie uint64
	var verf store.Verifier
	for {
		n := 0
		v, eof, err := fs.ReadDir(ctx, c, d, cookie, verf, plus, func(e *store.DirEntry) bool {
			if n == batch {
				return false
			}
			n++
			out = append(out, *e)
			cookie = e.Cookie
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		verf = v
		if eof {
			return out
		}
	}
}

func TestReadDirCookies(t *testing.T) {
	fs := newFS(t, store.Options{})
	r := fs.Root()
	d := mkdir(t, fs, alice, r, "d", 0o755)
	for i := 0; i < 100; i++ {
		create(t, fs, alice, d, fmt.Sprintf("f%03d", i), 0o644)
	}
	all := listAll(t, fs, alice, d, true, 7)
	if len(all) != 100 {
		t.Fatalf("%d entries", len(all))
	}
	for i, e := range all {
		if e.Name != fmt.Sprintf("f%03d", i) || e.Cookie < 3 || e.Attr.Type != store.TypeRegular || e.Handle.IsZero() {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	// list while changing: remove and add entries between batches
	seen := map[string]int{}
	var cookie uint64
	var verf store.Verifier
	step := 0
	for {
		n := 0
		v, eof, err := fs.ReadDir(ctx, alice, d, cookie, verf, false, func(e *store.DirEntry) bool {
			if n == 10 {
				return false
			}
			n++
			seen[e.Name]++
			cookie = e.Cookie
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		verf = v
		step++
		// remove one entry already listed and one not yet listed, add one
		if _, err := fs.Remove(ctx, alice, d, fmt.Sprintf("f%03d", step-1)); err != nil {
			t.Fatal(err)
		}
		if step < 40 {
			if _, err := fs.Remove(ctx, alice, d, fmt.Sprintf("f%03d", 99-step)); err != nil {
				t.Fatal(err)
			}
		}
		create(t, fs, alice, d, fmt.Sprintf("new%03d", step), 0o644)
		if eof {
			break
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", name, n)
		}
	}
	// entries that existed throughout: f040..f059 were never removed
	for i := 40; i < 60; i++ {
		if seen[fmt.Sprintf("f%03d", i)] != 1 {
			t.Fatalf("f%03d skipped", i)
		}
	}
	// a bad verifier and a cookie never handed out are refused
	_, _, err := fs.ReadDir(ctx, alice, d, 5, store.Verifier{1}, false, func(*store.DirEntry) bool { return true })
	wantCode(t, err, store.CodeBadCookie)
	_, _, err = fs.ReadDir(ctx, alice, d, 1<<40, store.Verifier{}, false, func(*store.DirEntry) bool { return true })
	wantCode(t, err, store.CodeBadCookie)
	_, _, err = fs.ReadDir(ctx, alice, r, 0, store.Verifier{}, false, nil)
	wantCode(t, err, store.CodeInvalid)
	f := create(t, fs, alice, r, "plain", 0o600)
	_, _, err = fs.ReadDir(ctx, alice, f, 0, store.Verifier{}, false, func(*store.DirEntry) bool { return true })
	wantCode(t, err, store.CodeNotDir)
	_, _, err = fs.ReadDir(ctx, bob, mkdir(t, fs, alice, r, "priv", 0o700), 0, store.Verifier{}, false, func(*store.DirEntry) bool { return true })
	wantCode(t, err, store.CodeAccess)
	checkFS(t, fs)
}

package nfs3

import (
	"fmt"
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
)

// TestReaddirCookiesUnderChange lists a directory a page at a time while
// another client removes and adds entries between pages. Every entry that
// exists throughout must be listed exactly once, none twice, and the
// listing must end.
func TestReaddirCookiesUnderChange(t *testing.T) {
	for _, plus := range []bool{false, true} {
		t.Run(fmt.Sprintf("plus=%v", plus), func(t *testing.T) {
			ts := startServer(t, newFS(t), exportsLine)
			c := ts.dial(1000, 1000)
			other := ts.dial(1000, 1000)
			root := c.mount("/export")
			d, _ := c.mkdir(root, "d")
			const n = 300
			for i := range n {
				c.mustCreate(d, fmt.Sprintf("keep%03d", i))
				c.mustCreate(d, fmt.Sprintf("drop%03d", i))
			}
			seen := map[string]int{}
			var cookie uint64
			var verf wire.Cookieverf3
			pages, added := 0, 0
			for eof := false; !eof; pages++ {
				if pages > 10*n {
					t.Fatal("listing does not end")
				}
				var names []string
				var last uint64
				if plus {
					r := c.readdirplus(d, cookie, verf, 512, 2048)
					wantStatus(t, "READDIRPLUS page", r.Status, wire.NFS3_OK)
					if n := r.SizeXDR(); n > 2048 {
						t.Fatalf("READDIRPLUS reply of %d bytes for maxcount 2048", n)
					}
					for _, e := range r.Resok.Reply.Entries {
						names = append(names, string(e.Name))
						last = uint64(e.Cookie)
					}
					eof, verf = r.Resok.Reply.EOF, r.Resok.Cookieverf
				} else {
					r := c.readdir(d, cookie, verf, 512)
					wantStatus(t, "READDIR page", r.Status, wire.NFS3_OK)
					if n := r.SizeXDR(); n > 512 {
						t.Fatalf("READDIR reply of %d bytes for count 512", n)
					}
					for _, e := range r.Resok.Reply.Entries {
						names = append(names, string(e.Name))
						last = uint64(e.Cookie)
					}
					eof, verf = r.Resok.Reply.EOF, r.Resok.Cookieverf
				}
				if len(names) == 0 && !eof {
					t.Fatal("empty page before the end")
				}
				for _, nm := range names {
					seen[nm]++
				}
				cookie = last
				// Change the directory between pages: remove a few
				// "drop" entries (some listed, some not) and add new
				// ones.
				for k := range 3 {
					i := (pages*7 + k*101) % n
					other.remove(d, fmt.Sprintf("drop%03d", i))
				}
				other.mustCreate(d, fmt.Sprintf("new%03d", pages))
				added++
			}
			for i := range n {
				if k := fmt.Sprintf("keep%03d", i); seen[k] != 1 {
					t.Errorf("%s listed %d times", k, seen[k])
				}
			}
			for nm, k := range seen {
				if k != 1 {
					t.Errorf("%s listed %d times", nm, k)
				}
			}
			if seen["."] != 1 || seen[".."] != 1 {
				t.Errorf(". and .. listed %d and %d times", seen["."], seen[".."])
			}
			if pages < 10 {
				t.Fatalf("only %d pages: the test did not page", pages)
			}
		})
	}
}

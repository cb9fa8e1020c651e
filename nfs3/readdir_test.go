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

// TestReaddirConcurrentChange pages through a directory while another
// client creates, renames and removes entries at the same time.
func TestReaddirConcurrentChange(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine)
	c := ts.dial(1000, 1000)
	root := c.mount("/export")
	d, _ := c.mkdir(root, "d")
	const n = 200
	for i := range n {
		c.mustCreate(d, fmt.Sprintf("keep%03d", i))
	}
	done := make(chan error, 1)
	go func() {
		other, err := rpcDial(ts)
		if err != nil {
			done <- err
			return
		}
		defer other.Close()
		for i := range 300 {
			name := fmt.Sprintf("tmp%03d", i)
			var cr wire.CREATE3res
			if err := other.Call(t.Context(), NFSProgram, NFSVersion, wire.NFSPROC3_CREATE, &wire.CREATE3args{Where: wire.DiropArgs3{Dir: fh(d), Name: wire.Filename3(name)}, How: wire.Createhow3{Mode: wire.UNCHECKED}}, &cr); err != nil {
				done <- err
				return
			}
			var rn wire.RENAME3res
			if err := other.Call(t.Context(), NFSProgram, NFSVersion, wire.NFSPROC3_RENAME, &wire.RENAME3args{From: wire.DiropArgs3{Dir: fh(d), Name: wire.Filename3(name)}, To: wire.DiropArgs3{Dir: fh(d), Name: wire.Filename3(name + "r")}}, &rn); err != nil {
				done <- err
				return
			}
			if i%2 == 0 {
				var rm wire.WccRes
				if err := other.Call(t.Context(), NFSProgram, NFSVersion, wire.NFSPROC3_REMOVE, &wire.REMOVE3args{Object: wire.DiropArgs3{Dir: fh(d), Name: wire.Filename3(name + "r")}}, &rm); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	for round := 0; round < 5; round++ {
		seen := map[string]int{}
		var cookie uint64
		var verf wire.Cookieverf3
		for eof, pages := false, 0; !eof; pages++ {
			if pages > 10000 {
				t.Fatal("listing does not end")
			}
			r := c.readdirplus(d, cookie, verf, 1024, 4096)
			wantStatus(t, "READDIRPLUS", r.Status, wire.NFS3_OK)
			for _, e := range r.Resok.Reply.Entries {
				seen[string(e.Name)]++
				cookie = uint64(e.Cookie)
			}
			eof, verf = r.Resok.Reply.EOF, r.Resok.Cookieverf
		}
		for nm, k := range seen {
			if k != 1 {
				t.Fatalf("round %d: %s listed %d times", round, nm, k)
			}
		}
		for i := range n {
			if seen[fmt.Sprintf("keep%03d", i)] != 1 {
				t.Fatalf("round %d: keep%03d missing", round, i)
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

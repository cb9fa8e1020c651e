package export

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

func TestParse(t *testing.T) {
	in := `# exports
/export        10.0.0.0/8(rw,no_root_squash) *(ro)   # trailing comment
"/with space"  -rw,insecure 192.168.1.5 fd00::/8(sec=krb5:krb5p,ro)
/data          *(rw,all_squash,anonuid=1000,anongid=1001,fsid=7,path=/sub,sync,no_subtree_check)
/esc\040name   (rw)
/cont 10.1.0.0/16(rw) \
      10.2.0.0/16(ro)
/bare
`
	exps, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 6 {
		t.Fatalf("%d exports", len(exps))
	}
	e := exps[0]
	if e.Name != "/export" || e.Path != "/" || len(e.Rules) != 2 {
		t.Fatalf("export 0: %+v", e)
	}
	if r := e.Rules[0]; r.Client != "10.0.0.0/8" || r.ReadOnly || !r.NoRootSquash || r.Insecure || r.AllSquash {
		t.Fatalf("rule 0.0: %+v", r)
	}
	if r := e.Rules[1]; r.Client != "*" || !r.ReadOnly || r.NoRootSquash {
		t.Fatalf("rule 0.1: %+v", r)
	}
	e = exps[1]
	if e.Name != "/with space" || len(e.Rules) != 2 {
		t.Fatalf("export 1: %+v", e)
	}
	if r := e.Rules[0]; r.Client != "192.168.1.5" || r.ReadOnly || !r.Insecure || !slices.Equal(r.Flavors(), []Sec{SecSys}) {
		t.Fatalf("rule 1.0 (line defaults): %+v", r)
	}
	if r := e.Rules[1]; r.Client != "fd00::/8" || !r.ReadOnly || !r.Insecure || !slices.Equal(r.Sec, []Sec{SecKrb5, SecKrb5p}) {
		t.Fatalf("rule 1.1: %+v", r)
	}
	e = exps[2]
	if e.ID != 7 || e.Path != "/sub" || len(e.Rules) != 1 || !e.Rules[0].AllSquash || *e.Rules[0].Anon != (Anon{1000, 1001}) {
		t.Fatalf("export 2: %+v %+v", e, e.Rules)
	}
	if e := exps[3]; e.Name != "/esc name" || e.Rules[0].Client != "*" || e.Rules[0].ReadOnly {
		t.Fatalf("export 3: %+v", e)
	}
	if e := exps[4]; e.Name != "/cont" || len(e.Rules) != 2 || e.Rules[1].Client != "10.2.0.0/16" {
		t.Fatalf("export 4: %+v", e)
	}
	if e := exps[5]; e.Name != "/bare" || len(e.Rules) != 1 || !e.Rules[0].ReadOnly || e.Rules[0].Client != "*" {
		t.Fatalf("export 5: %+v", e)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"relative *(rw)",
		"/e host.example.com(rw)",
		"/e @netgroup(rw)",
		"/e *.example.com(rw)",
		"/e *(rw",
		"/e *(bogus)",
		"/e *(anonuid=x)",
		"/e *(sec=krb9)",
		"/e *(fsid=root)",
		"/e *(path=rel)",
		"/e 10.0.0.0/99(rw)",
		`"/e *(rw)`,
		`/e\9 *(rw)`,
		"/e " + strings.Repeat("x", MaxLine+1),
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%.40q: no error", in)
		}
	}
}

func newFS(t *testing.T) *store.FS {
	t.Helper()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// newLocks returns an in-memory lock manager without a grace period.
func newLocks(t testing.TB) *locking.Manager {
	t.Helper()
	m, err := locking.Open(context.Background(), locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestTable(t *testing.T) {
	ctx := context.Background()
	fsys := newFS(t)
	sub, _, _, err := fsys.Mkdir(ctx, &store.Cred{}, fsys.Root(), "sub", nil)
	if err != nil {
		t.Fatal(err)
	}
	locks := newLocks(t)
	a := &Export{Name: "/a/", FS: fsys, Locks: locks}
	b := &Export{Name: "/a/b", FS: fsys, Path: "/sub", ID: 9, Locks: locks}
	tab, err := NewTable(ctx, Options{}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Lookup("/a") != a || tab.Lookup("/a/b/") != b || tab.Lookup("/c") != nil {
		t.Fatal("Lookup")
	}
	if a.ID != NameID("/a") || tab.ByID(a.ID) != a || tab.ByID(9) != b || tab.ByID(1) != nil {
		t.Fatal("ByID")
	}
	if b.Root() != sub || a.Root() != fsys.Root() {
		t.Fatal("Root")
	}
	for _, c := range []struct {
		p, rest string
		e       *Export
	}{{"/a", "", a}, {"/a/x/y", "x/y", a}, {"/a/b/c", "c", b}, {"/ab", "", nil}, {"/", "", nil}, {"a", "", nil}} {
		e, rest := tab.Find(c.p)
		if e != c.e || rest != c.rest {
			t.Errorf("Find(%q) = %v %q", c.p, e, rest)
		}
	}
	if got := tab.All(); len(got) != 2 || got[0] != a {
		t.Fatal("All")
	}
	if got := tab.LockManagers(); len(got) != 1 || got[0] != locks {
		t.Fatalf("LockManagers = %v", got)
	}
	for _, bad := range [][]*Export{
		{{Name: "/x", Locks: locks}},
		{{Name: "x", FS: fsys, Locks: locks}},
		{{Name: "/x", FS: fsys, Locks: locks}, {Name: "/x/", FS: fsys, Locks: locks}},
		{{Name: "/x", FS: fsys, ID: 3, Locks: locks}, {Name: "/y", FS: fsys, ID: 3, Locks: locks}},
		{{Name: "/x", FS: fsys, Path: "/missing", Locks: locks}},
		{{Name: "/x", FS: fsys, Rules: []Rule{{Client: "nohost"}}, Locks: locks}},
		{{Name: "/x", FS: fsys, Rules: []Rule{{Sec: []Sec{42}}}, Locks: locks}},
	} {
		if _, err := NewTable(ctx, Options{}, bad...); err == nil {
			t.Errorf("NewTable(%+v): no error", bad[0])
		}
	}
	var nilTab *Table
	if nilTab.Lookup("/a") != nil || nilTab.ByID(1) != nil || nilTab.All() != nil || nilTab.LockManagers() != nil {
		t.Fatal("nil table")
	}
}

func TestCheck(t *testing.T) {
	fsys := newFS(t)
	e := &Export{Name: "/e", FS: fsys, Locks: newLocks(t), Rules: []Rule{
		{Client: "*", ReadOnly: true},
		{Client: "10.0.0.0/8", Insecure: true},
		{Client: "10.1.2.3", NoRootSquash: true, Sec: []Sec{SecSys, SecKrb5}},
		{Client: "192.168.0.0/16", AllSquash: true, Anon: &Anon{UID: 5, GID: 6}, Insecure: true, Sec: []Sec{SecNone, SecSys}},
	}}
	if _, err := NewTable(context.Background(), Options{}, e); err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort
	root := Identity{UID: 0, GID: 0, Groups: []uint32{0, 10}}
	user := Identity{UID: 1000, GID: 100, Groups: []uint32{10}}
	cases := []struct {
		addr string
		sec  Sec
		id   Identity
		err  error
		ro   bool
		cred store.Cred
	}{
		{"172.16.0.1:700", SecSys, user, nil, true, store.Cred{UID: 1000, GID: 100, Groups: []uint32{10}}},
		{"172.16.0.1:700", SecSys, root, nil, true, store.Cred{UID: Nobody, GID: Nobody, Groups: []uint32{Nobody, 10}}},
		{"172.16.0.1:2000", SecSys, user, ErrInsecurePort, false, store.Cred{}},
		{"172.16.0.1:700", SecKrb5, user, ErrWeakSecurity, false, store.Cred{}},
		{"10.9.9.9:2000", SecSys, user, nil, false, store.Cred{UID: 1000, GID: 100, Groups: []uint32{10}}},
		{"10.1.2.3:700", SecSys, root, nil, false, store.Cred{UID: 0, GID: 0, Groups: []uint32{0, 10}}},
		{"10.1.2.3:700", SecKrb5, root, nil, false, store.Cred{UID: 0, GID: 0, Groups: []uint32{0, 10}}},
		{"10.1.2.3:2000", SecSys, root, ErrInsecurePort, false, store.Cred{}},
		{"[::ffff:10.1.2.3]:700", SecSys, root, nil, false, store.Cred{UID: 0, GID: 0, Groups: []uint32{0, 10}}},
		{"192.168.3.4:3000", SecSys, user, nil, false, store.Cred{UID: 5, GID: 6}},
		{"192.168.3.4:3000", SecNone, user, nil, false, store.Cred{UID: 5, GID: 6}},
	}
	for _, c := range cases {
		acc, err := e.Check(ap(c.addr), c.sec, c.id)
		if !errors.Is(err, c.err) {
			t.Errorf("%s %v: err %v, want %v", c.addr, c.sec, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		if acc.ReadOnly != c.ro || acc.Cred.UID != c.cred.UID || acc.Cred.GID != c.cred.GID || !slices.Equal(acc.Cred.Groups, c.cred.Groups) {
			t.Errorf("%s %v %+v: got %+v ro=%v, want %+v ro=%v", c.addr, c.sec, c.id, acc.Cred, acc.ReadOnly, c.cred, c.ro)
		}
	}
	if root.Groups[0] != 0 {
		t.Fatal("Check changed the caller's groups")
	}
	only := &Export{Name: "/o", FS: fsys, Locks: e.Locks, Rules: []Rule{{Client: "10.0.0.1"}}}
	if _, err := NewTable(context.Background(), Options{}, only); err != nil {
		t.Fatal(err)
	}
	if _, err := only.Check(ap("10.0.0.2:700"), SecSys, user); !errors.Is(err, ErrClientDenied) {
		t.Fatalf("unmatched client: %v", err)
	}
	if (&Export{Rules: []Rule{{Client: "10.0.0.1"}}}).Rule(netip.MustParseAddr("1.2.3.4")) != nil {
		t.Fatal("a rule not compiled by NewTable matched another client")
	}
	if (&Export{}).Rule(netip.MustParseAddr("1.2.3.4")) != nil {
		t.Fatal("an export without rules matched")
	}
	for s, f := range map[Sec]uint32{SecNone: 0, SecSys: 1, SecKrb5: 390003, SecKrb5i: 390004, SecKrb5p: 390005} {
		if s.Flavor() != f || s.String() == "" {
			t.Errorf("%v: flavor %d", s, s.Flavor())
		}
	}
}

// FuzzParse checks the exports parser never panics, and that what it
// accepts can be put in a table.
func FuzzParse(f *testing.F) {
	f.Add("/export *(rw,no_root_squash)\n")
	f.Add(`"/a b" -ro 10.0.0.0/8(rw,sec=krb5:sys) fd00::1(insecure,anonuid=1,anongid=2,fsid=3)` + "\n")
	f.Add("/x\\040y \\\n (rw)\n# c\n")
	f.Add("/e *(path=/p,all_squash)")
	f.Fuzz(func(t *testing.T, in string) {
		exps, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, e := range exps {
			if !strings.HasPrefix(e.Name, "/") {
				t.Fatalf("accepted name %q", e.Name)
			}
			for _, r := range e.Rules {
				for _, s := range r.Flavors() {
					if s < SecNone || s > SecKrb5p {
						t.Fatalf("accepted flavor %d", s)
					}
				}
			}
		}
	})
}

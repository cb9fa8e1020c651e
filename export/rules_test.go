package export

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// TestSetRules: rules replaced while the export is served apply to every
// later check; bad rules leave the old ones; nil refuses everyone.
func TestSetRules(t *testing.T) {
	e := &Export{Name: "/e", FS: newFS(t), Locks: newLocks(t), Rules: []Rule{{Client: "10.0.0.0/8", Insecure: true}}}
	if _, err := NewTable(context.Background(), Options{}, e); err != nil {
		t.Fatal(err)
	}
	in, out := netip.MustParseAddrPort("10.1.1.1:2000"), netip.MustParseAddrPort("192.168.1.1:2000")
	user := Identity{UID: 1000, GID: 1000}
	if _, err := e.Check(out, SecSys, user); !errors.Is(err, ErrClientDenied) {
		t.Fatalf("before: %v", err)
	}
	if err := e.SetRules([]Rule{{Client: "192.168.0.0/16", ReadOnly: true, Insecure: true}}); err != nil {
		t.Fatal(err)
	}
	if acc, err := e.Check(out, SecSys, user); err != nil || !acc.ReadOnly {
		t.Fatalf("after, new client: %+v %v", acc, err)
	}
	if _, err := e.Check(in, SecSys, user); !errors.Is(err, ErrClientDenied) {
		t.Fatalf("after, old client: %v", err)
	}
	if got := e.CurrentRules(); len(got) != 1 || got[0].Client != "192.168.0.0/16" {
		t.Fatalf("CurrentRules: %+v", got)
	}
	if err := e.SetRules([]Rule{{Client: "no.such.host"}}); err == nil {
		t.Fatal("SetRules took a host name")
	}
	if _, err := e.Check(out, SecSys, user); err != nil {
		t.Fatalf("after a refused SetRules: %v", err)
	}
	if err := e.SetRules(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Check(out, SecSys, user); !errors.Is(err, ErrClientDenied) {
		t.Fatalf("after SetRules(nil): %v", err)
	}

	// Concurrent checks and replacements (run with -race).
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				if i == 0 {
					e.SetRules([]Rule{{Client: fmt.Sprintf("10.0.0.%d", j%250), Insecure: true}})
					continue
				}
				e.Check(in, SecSys, user)
			}
		}()
	}
	wg.Wait()
}

// TestRuleString: String writes a rule in the syntax Parse reads, and
// Parse reads it back to the same rule.
func TestRuleString(t *testing.T) {
	for _, want := range []string{
		"*(ro,root_squash,sec=sys,secure)",
		"10.0.0.0/8(rw,no_root_squash,sec=sys,insecure)",
		"fd00::/8(rw,root_squash,all_squash,anonuid=1000,anongid=1001,sec=krb5:krb5p,secure)",
	} {
		exps, err := Parse(strings.NewReader("/e " + want))
		if err != nil {
			t.Fatal(err)
		}
		if got := exps[0].Rules[0].String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestRefusalAttrs(t *testing.T) {
	e := &Export{Name: "/e"}
	r := &Rule{Client: "10.0.0.1"}
	addr := netip.MustParseAddrPort("10.0.0.1:2000")
	for _, c := range []struct {
		r    *Rule
		err  error
		rule string
		want string
	}{
		{nil, ErrClientDenied, "none", "address"},
		{r, ErrWeakSecurity, r.String(), "flavor"},
		{r, ErrInsecurePort, r.String(), "unprivileged port"},
	} {
		a := RefusalAttrs(e, addr, c.r, c.err)
		got := fmt.Sprint(a...)
		if !strings.Contains(got, "10.0.0.1:2000") || !strings.Contains(got, "/e") || !strings.Contains(got, c.rule) || !strings.Contains(got, c.want) {
			t.Errorf("%v: %v", c.err, a)
		}
	}
}

package smb

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseOutput reads each outcome smbtorture prints with --fullname,
// including one glued to a test's unterminated output, and a test that
// started but never ended (the suite was killed).
func TestParseOutput(t *testing.T) {
	out := `smbtorture 4.17.12-Debian
test: smb2.read.eof
success: smb2.read.eof
test: smb2.read.bug14607
skip: smb2.read.bug14607 [
../../source4/torture/smb2/read.c:394: no FSCTL
]
test: smb2.rw.rw1
Checking data integrity over 10 ops
0time: 2026-12-07 15:05:58.275802
0success: smb2.rw.rw1
test: smb2.rw.invalid
failure: smb2.rw.invalid [
expected DISK_FULL
]
test: smb2.x.err
error: smb2.x.err [
]
test: smb2.x.xf
xfail: smb2.x.xf
test: smb2.notify.tree
`
	res, order, err := ParseOutput(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Result{
		"smb2.read.eof": Success, "smb2.read.bug14607": Skip, "smb2.rw.rw1": Success,
		"smb2.rw.invalid": Failure, "smb2.x.err": Error, "smb2.x.xf": XFail,
		"smb2.notify.tree": Unfinished,
	}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("got %v\nwant %v", res, want)
	}
	if order[0] != "smb2.read.eof" || order[len(order)-1] != "smb2.notify.tree" {
		t.Fatalf("order %v", order)
	}
	if c := Count(res); c != (Counts{Pass: 2, Fail: 2, Skip: 1, Error: 2}) {
		t.Fatalf("counts %v", c)
	}
}

// TestCompare: a listed test that fails or is missing is a regression, a
// passing test not on the list is new, and other suites are ignored.
func TestCompare(t *testing.T) {
	pass := map[string]bool{"smb2.read.eof": true, "smb2.read.dir": true, "smb2.read.gone": true, "smb2.rw.rw1": true, "smb2.readx.a": true}
	res := map[string]Result{"smb2.read.eof": Success, "smb2.read.dir": Failure, "smb2.read.new": Success}
	reg, nw := Compare("smb2.read", pass, res)
	if !reflect.DeepEqual(reg, []string{"smb2.read.dir (failure)", "smb2.read.gone (missing)"}) {
		t.Fatalf("regressed %v", reg)
	}
	if !reflect.DeepEqual(nw, []string{"smb2.read.new"}) {
		t.Fatalf("new %v", nw)
	}
}

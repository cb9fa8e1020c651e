package conformance

import (
	"slices"
	"strings"
	"testing"
)

const sampleReport = `# posixcheck fstype=nfs4 vers=4.1 options=rw
PASS open.creat_excl
FAIL utimes.symlink: the link's mtime reads back 1796160548.284067529, want 1300000000.000000500
SKIP xattr.user: NFSv4.1 has no extended attribute operations (RFC 8276 extends NFSv4.2 only)

# readdir.10000 took 51.5s
PASS readdir.10000
# totals: 2 pass, 1 fail, 1 skip
`

func TestParseReport(t *testing.T) {
	rep, err := ParseReport(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{"open.creat_excl", Pass, ""},
		{"utimes.symlink", Fail, "the link's mtime reads back 1796160548.284067529, want 1300000000.000000500"},
		{"xattr.user", Skip, "NFSv4.1 has no extended attribute operations (RFC 8276 extends NFSv4.2 only)"},
		{"readdir.10000", Pass, ""},
	}
	if !slices.Equal(rep.Results, want) {
		t.Errorf("results\n%v\nwant\n%v", rep.Results, want)
	}
	if len(rep.Comments) != 3 || lastComment(rep) != "totals: 2 pass, 1 fail, 1 skip" {
		t.Errorf("comments %q", rep.Comments)
	}
}

func TestParseReportRejects(t *testing.T) {
	for _, bad := range []string{
		"PASS open.x\nPASS open.x\n", // twice
		"FAIL open.x\n",              // no reason
		"SKIP open.x: \n",            // empty reason
		"ok open.x\n",                // unknown outcome
		"PASS Open X\n",              // bad name
		"PASS \n",                    // no name
		"panic: runtime error\n",     // a crash
		"PASS open.x: extra\n",       // a PASS has no reason
	} {
		if _, err := ParseReport(bad); err == nil {
			t.Errorf("ParseReport(%q) succeeded", bad)
		}
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add(sampleReport)
	f.Add("FAIL a: b: c\n")
	f.Add("SKIP x:y\n#\n")
	f.Fuzz(func(t *testing.T, s string) {
		rep, err := ParseReport(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, r := range rep.Results {
			if !validName(r.Name) || seen[r.Name] {
				t.Fatalf("bad or duplicate name %q", r.Name)
			}
			seen[r.Name] = true
			if (r.Outcome == Pass) != (r.Reason == "") {
				t.Fatalf("outcome %s with reason %q", r.Outcome, r.Reason)
			}
		}
	})
}

const sampleExpected = `# Reference

Some text | not a table

| check | 3 | 4.0 | 4.1 | 4.2 |
|---|---|---|---|---|
| ` + "`open.creat_excl`" + ` | PASS | PASS | PASS | PASS |
| ` + "`xattr.user`" + ` | SKIP | SKIP | SKIP | FAIL |
| ` + "`lock.fcntl`" + ` | SKIP | PASS | - | PASS |

| check | 3 |
|---|---|
| ignored.second_table | FAIL |
`

func TestParseExpected(t *testing.T) {
	exp, err := ParseExpected(sampleExpected)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp) != 4 {
		t.Fatalf("%d versions", len(exp))
	}
	if exp["4.2"]["xattr.user"] != Fail || exp["3"]["lock.fcntl"] != Skip || exp["4.0"]["open.creat_excl"] != Pass {
		t.Errorf("wrong outcomes: %v", exp)
	}
	if _, ok := exp["4.1"]["lock.fcntl"]; ok {
		t.Error("a '-' cell became an expectation")
	}
	if _, ok := exp["3"]["ignored.second_table"]; ok {
		t.Error("read a second table")
	}
}

func TestParseExpectedRejects(t *testing.T) {
	for _, bad := range []string{
		"no table here\n",
		"| check | 5 |\n|---|---|\n| a | PASS |\n",
		"| check | 3 |\n|---|---|\n| a | MAYBE |\n",
		"| check | 3 |\n|---|---|\n| a | PASS | PASS |\n",
		"| check | 3 |\n|---|---|\n| a | PASS |\n| a | FAIL |\n",
		"| check | 3 |\n|---|---|\n| A B | PASS |\n",
	} {
		if _, err := ParseExpected(bad); err == nil {
			t.Errorf("ParseExpected(%q) succeeded", bad)
		}
	}
}

func FuzzParseExpected(f *testing.F) {
	f.Add(sampleExpected)
	f.Add("| check | 4.1 |\n|:-:|:--|\n| a.b | SKIP |\n")
	f.Fuzz(func(t *testing.T, s string) {
		exp, err := ParseExpected(s)
		if err != nil {
			return
		}
		for v, m := range exp {
			if !slices.Contains(Versions(), v) {
				t.Fatalf("version %q", v)
			}
			for name, o := range m {
				if !validName(name) || (o != Pass && o != Fail && o != Skip) {
					t.Fatalf("entry %q %q", name, o)
				}
			}
		}
	})
}

func TestCompare(t *testing.T) {
	rep, err := ParseReport(sampleReport)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Outcome{
		"open.creat_excl": Pass, // same
		"utimes.symlink":  Pass, // regressed
		"xattr.user":      Skip, // same
		"mmap.shared":     Pass, // missing from the report
	} // readdir.10000 is new
	var got []string
	for _, d := range Compare(rep, want) {
		got = append(got, d.String())
	}
	wantDiffs := []string{
		"mmap.shared: expected PASS, but the report does not have it",
		"readdir.10000: reported PASS, but the expected list does not have it (add it)",
		"utimes.symlink: expected PASS, got FAIL: the link's mtime reads back 1796160548.284067529, want 1300000000.000000500",
	}
	if !slices.Equal(got, wantDiffs) {
		t.Errorf("diffs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantDiffs, "\n"))
	}
	if d := Compare(rep, rep.Outcomes()); len(d) != 0 {
		t.Errorf("a report differs from itself: %v", d)
	}
}

// TestReferenceFileParses keeps the checked-in reference list readable and
// complete: every version has an outcome for the same checks.
func TestReferenceFileParses(t *testing.T) {
	exp, err := LoadExpected("reference-ganesha.md")
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	for _, v := range Versions() {
		if n >= 0 && len(exp[v]) != n {
			t.Errorf("version %s has %d checks, others %d", v, len(exp[v]), n)
		}
		n = len(exp[v])
	}
	if n < 30 {
		t.Errorf("only %d checks in the reference list", n)
	}
}

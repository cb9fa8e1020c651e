// Package conformance runs posixcheck, the POSIX conformance program in
// ./cmd/posixcheck, through the Linux kernel NFS client (package test/vm)
// and compares its report with an expected list.
//
// posixcheck prints one line per check ("PASS name", "FAIL name: reason",
// "SKIP name: reason"; "#" lines are comments). An expected list is a
// Markdown table with one row per check and one column per NFS version, as
// in reference-ganesha.md, the outcomes of NFS-Ganesha 4.3 (a reference
// server: a check it fails is not a bug of ours). A test of our server looks
// like:
//
//	rep, res, err := conformance.Run(ctx, vm.Config{Server: addr, MountPort: mnt, Vers: "3"})
//	if err != nil {
//		t.Fatalf("%v\n%s", err, res.Console)
//	}
//	want, err := conformance.LoadExpected("testdata/expected.md")
//	if err != nil {
//		t.Fatal(err)
//	}
//	for _, d := range conformance.Compare(rep, want["3"]) {
//		t.Error(d)
//	}
package conformance

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Outcome is a check's result.
type Outcome string

// The outcomes posixcheck reports.
const (
	Pass Outcome = "PASS"
	Fail Outcome = "FAIL"
	Skip Outcome = "SKIP"
)

// Versions are the NFS versions, as vm.Config.Vers spells them, in the
// order of the expected-list columns.
func Versions() []string { return []string{"3", "4.0", "4.1", "4.2"} }

// Result is one check's line.
type Result struct {
	Name    string
	Outcome Outcome
	Reason  string // empty for PASS
}

// Report is a parsed posixcheck output.
type Report struct {
	Results []Result
	// Comments are the "#" lines, without the "#".
	Comments []string
}

// Limits on what ParseReport accepts.
const (
	maxReportLines = 10000
	maxNameLen     = 200
)

// ParseReport parses posixcheck output. Blank lines and "#" lines are
// skipped; any other line that is not a well-formed result, or a check
// reported twice, is an error (the guest's output is not trusted to be
// well-formed: a crash can cut it anywhere).
func ParseReport(out string) (Report, error) {
	var rep Report
	seen := map[string]bool{}
	n := 0
	for line := range strings.Lines(out) {
		n++
		if n > maxReportLines {
			return rep, fmt.Errorf("conformance: report longer than %d lines", maxReportLines)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if c, ok := strings.CutPrefix(line, "#"); ok {
			rep.Comments = append(rep.Comments, strings.TrimSpace(c))
			continue
		}
		r, err := parseResultLine(line)
		if err != nil {
			return rep, fmt.Errorf("conformance: line %d: %w", n, err)
		}
		if seen[r.Name] {
			return rep, fmt.Errorf("conformance: line %d: %s reported twice", n, r.Name)
		}
		seen[r.Name] = true
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

func parseResultLine(line string) (Result, error) {
	word, rest, _ := strings.Cut(line, " ")
	var r Result
	switch Outcome(word) {
	case Pass:
		r = Result{Name: rest, Outcome: Pass}
	case Fail, Skip:
		name, reason, ok := strings.Cut(rest, ": ")
		if !ok || strings.TrimSpace(reason) == "" {
			return r, fmt.Errorf("%s line without a reason: %q", word, short(line))
		}
		r = Result{Name: name, Outcome: Outcome(word), Reason: reason}
	default:
		return r, fmt.Errorf("not a result line: %q", short(line))
	}
	if !validName(r.Name) {
		return r, fmt.Errorf("bad check name %q", short(r.Name))
	}
	return r, nil
}

// validName accepts the names posixcheck uses: lower-case letters, digits,
// '.', '_' and '-'.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Outcomes maps each check to its outcome.
func (r Report) Outcomes() map[string]Outcome {
	m := make(map[string]Outcome, len(r.Results))
	for _, x := range r.Results {
		m[x.Name] = x.Outcome
	}
	return m
}

// Find returns the result of the named check.
func (r Report) Find(name string) (Result, bool) {
	i := slices.IndexFunc(r.Results, func(x Result) bool { return x.Name == name })
	if i < 0 {
		return Result{}, false
	}
	return r.Results[i], true
}

// Expected is an expected list: version → check → outcome.
type Expected map[string]map[string]Outcome

// LoadExpected reads an expected list from a Markdown file (see
// ParseExpected).
func LoadExpected(path string) (Expected, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseExpected(string(b))
}

// ParseExpected reads the first Markdown table whose header row starts with
// "check" and whose other columns are NFS versions ("| check | 3 | 4.0 |
// ..."); each cell is PASS, FAIL or SKIP, or "-" for a check not expected in
// that version. Text around the table is ignored.
func ParseExpected(md string) (Expected, error) {
	var cols []string
	exp := Expected{}
	inTable := false
	for line := range strings.Lines(md) {
		line = strings.TrimSpace(line)
		cells, ok := tableCells(line)
		if !ok {
			if inTable {
				break
			}
			continue
		}
		if !inTable {
			if len(cells) < 2 || cells[0] != "check" {
				continue
			}
			for _, v := range cells[1:] {
				if !slices.Contains(Versions(), v) {
					return nil, fmt.Errorf("conformance: expected list: unknown version column %q", v)
				}
				exp[v] = map[string]Outcome{}
			}
			cols = cells[1:]
			inTable = true
			continue
		}
		if isSeparatorRow(cells) {
			continue
		}
		if len(cells) != len(cols)+1 {
			return nil, fmt.Errorf("conformance: expected list: row %q has %d cells, want %d", short(line), len(cells), len(cols)+1)
		}
		name := strings.Trim(cells[0], "`")
		if !validName(name) {
			return nil, fmt.Errorf("conformance: expected list: bad check name %q", short(name))
		}
		for i, v := range cols {
			switch o := Outcome(strings.Trim(cells[i+1], "*")); o {
			case Pass, Fail, Skip:
				if _, dup := exp[v][name]; dup {
					return nil, fmt.Errorf("conformance: expected list: %s listed twice", name)
				}
				exp[v][name] = o
			case "-":
			default:
				return nil, fmt.Errorf("conformance: expected list: %s, version %s: bad outcome %q", name, v, cells[i+1])
			}
		}
	}
	if !inTable {
		return nil, errors.New("conformance: expected list: no table with a \"check\" header")
	}
	return exp, nil
}

func tableCells(line string) ([]string, bool) {
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil, false
	}
	parts := strings.Split(line[1:len(line)-1], "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, true
}

func isSeparatorRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":-") != "" || c == "" {
			return false
		}
	}
	return true
}

// Diff is one check whose outcome differs from the expected one. Want or
// Got is empty when the check is missing on that side.
type Diff struct {
	Name      string
	Want, Got Outcome
	Reason    string // the report's reason, if any
}

func (d Diff) String() string {
	switch {
	case d.Got == "":
		return fmt.Sprintf("%s: expected %s, but the report does not have it", d.Name, d.Want)
	case d.Want == "":
		return fmt.Sprintf("%s: reported %s, but the expected list does not have it (add it)", d.Name, d.Got)
	case d.Reason != "":
		return fmt.Sprintf("%s: expected %s, got %s: %s", d.Name, d.Want, d.Got, d.Reason)
	}
	return fmt.Sprintf("%s: expected %s, got %s", d.Name, d.Want, d.Got)
}

// Compare returns the differences between a report and the expected
// outcomes of one version, sorted by check name. Any difference counts: a
// check that passes but was expected to fail means the expected list is out
// of date.
func Compare(rep Report, want map[string]Outcome) []Diff {
	var diffs []Diff
	got := rep.Outcomes()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[name]
		if !ok {
			diffs = append(diffs, Diff{Name: name, Want: want[name]})
			continue
		}
		if g != want[name] {
			r, _ := rep.Find(name)
			diffs = append(diffs, Diff{Name: name, Want: want[name], Got: g, Reason: r.Reason})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, Diff{Name: name, Got: got[name]})
		}
	}
	slices.SortStableFunc(diffs, func(a, b Diff) int { return strings.Compare(a.Name, b.Name) })
	return diffs
}

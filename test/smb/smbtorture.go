package smb

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Result is the outcome of one smbtorture test.
type Result string

// The outcomes smbtorture prints, plus Unfinished for a test that started
// but printed no outcome (the suite timed out or smbtorture died).
const (
	Success    Result = "success"
	Failure    Result = "failure"
	Skip       Result = "skip"
	Error      Result = "error"
	XFail      Result = "xfail"
	Unfinished Result = "unfinished"
)

// smbtorture's outcome lines. A test's own output may lack a final newline,
// so an outcome can follow other text on the same line ("0time: ...").
var (
	outcomeRE = regexp.MustCompile(`(?:^|[^a-z])(success|failure|skip|error|xfail|uxsuccess): (smb2\.[^\s\[]+)`)
	startRE   = regexp.MustCompile(`^test: (smb2\.\S+)`)
)

// ParseOutput reads smbtorture output made with --fullname and returns the
// result of each test id, in the order the tests started or ended.
func ParseOutput(r io.Reader) (map[string]Result, []string, error) {
	res := map[string]Result{}
	var order []string
	note := func(id string, r Result) {
		if _, ok := res[id]; !ok {
			order = append(order, id)
		}
		res[id] = r
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := startRE.FindStringSubmatch(line); m != nil {
			if _, ok := res[m[1]]; !ok {
				note(m[1], Unfinished)
			}
			continue
		}
		if m := outcomeRE.FindStringSubmatch(line); m != nil {
			r := Result(m[1])
			if r == "uxsuccess" {
				r = Success
			}
			note(m[2], r)
		}
	}
	return res, order, sc.Err()
}

// ReadPassList reads a list of test ids, one a line; blank lines and
// lines starting with # are ignored.
func ReadPassList(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		ids[l] = true
	}
	return ids, nil
}

// Counts are the results of one suite.
type Counts struct {
	Pass, Fail, Skip, Error int
}

func (c Counts) String() string {
	return fmt.Sprintf("%d/%d/%d/%d", c.Pass, c.Fail, c.Skip, c.Error)
}

// Count tallies results: xfail counts as a failure, unfinished as an error.
func Count(res map[string]Result) Counts {
	var c Counts
	for _, r := range res {
		switch r {
		case Success:
			c.Pass++
		case Failure, XFail:
			c.Fail++
		case Skip:
			c.Skip++
		default:
			c.Error++
		}
	}
	return c
}

// Compare returns, among the ids of suite (prefix "smb2.read." or the
// exact id), those on the pass list that did not pass (regressions, with
// their result, "missing" when the test did not run) and those that passed
// but are not on the list (new passes), both sorted.
func Compare(suite string, pass map[string]bool, res map[string]Result) (regressed, newPass []string) {
	for id := range pass {
		if id != suite && !strings.HasPrefix(id, suite+".") {
			continue
		}
		r, ok := res[id]
		switch {
		case !ok:
			regressed = append(regressed, id+" (missing)")
		case r != Success:
			regressed = append(regressed, id+" ("+string(r)+")")
		}
	}
	for id, r := range res {
		if r == Success && !pass[id] {
			newPass = append(newPass, id)
		}
	}
	sort.Strings(regressed)
	sort.Strings(newPass)
	return regressed, newPass
}

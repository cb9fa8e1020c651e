//go:build e2e

package conformance_test

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/conformance"
	"github.com/dittofs/dittofs/test/ganesha"
	"github.com/dittofs/dittofs/test/vm"
)

var update = flag.Bool("update", false, "rewrite reference-ganesha.md from this run's outcomes")

const referenceFile = "reference-ganesha.md"

// TestGaneshaReference runs posixcheck against NFS-Ganesha for every NFS
// version and compares the outcomes with reference-ganesha.md, so that the
// harness and the program are proven against a real server and the list
// shows which checks a reference server passes.
func TestGaneshaReference(t *testing.T) {
	want, err := conformance.LoadExpected(referenceFile)
	if err != nil && !*update {
		t.Fatal(err)
	}
	var mu sync.Mutex
	reports := map[string]conformance.Report{}
	for _, vers := range conformance.Versions() {
		t.Run("vers="+vers, func(t *testing.T) {
			logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
			srv, err := ganesha.Start(t.Context(), ganesha.Config{Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Stop)
			rep, res, err := conformance.Run(t.Context(), vm.Config{
				Server:    srv.Addr(),
				MountPort: srv.MountPort,
				Export:    srv.Export,
				Vers:      vers,
				Netns:     srv.Netns,
				Timeout:   4 * time.Minute,
				Logger:    logger,
			})
			t.Logf("vers=%s: posixcheck ran for %v", vers, res.Elapsed.Round(time.Second))
			if err != nil {
				t.Fatalf("%v\noutput:\n%s\nconsole:\n%s", err, res.Output, res.Console)
			}
			for _, c := range rep.Comments {
				if strings.Contains(c, " took ") {
					t.Log(c)
				}
			}
			mu.Lock()
			reports[vers] = rep
			mu.Unlock()
			if *update {
				return
			}
			for _, d := range conformance.Compare(rep, want[vers]) {
				t.Error(d)
			}
		})
	}
	if *update && !t.Failed() {
		if err := os.WriteFile(referenceFile, []byte(renderReference(reports)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// renderReference writes the expected list (the table ParseExpected reads)
// and the reasons behind every FAIL and SKIP.
func renderReference(reports map[string]conformance.Report) string {
	var b strings.Builder
	b.WriteString(`# posixcheck against NFS-Ganesha (reference outcomes)

NFS-Ganesha 4.3 from Debian 12 (FSAL_VFS on a tmpfs export, see test/ganesha), mounted by the
Debian 6.1 kernel client in the test VM (test/vm) with the harness's default options (NFSv3:
nolock). TestGaneshaReference (go test -tags e2e ./test/conformance) fails when a run differs
from this table; regenerate it with "go test -tags e2e ./test/conformance -run Ganesha -update"
and review the diff. A FAIL here is Ganesha's, not the program's or ours.

`)
	vers := conformance.Versions()
	b.WriteString("| check | " + strings.Join(vers, " | ") + " |\n|---|" + strings.Repeat("---|", len(vers)) + "\n")
	var names []string
	for _, v := range vers {
		for _, r := range reports[v].Results {
			if !slices.Contains(names, r.Name) {
				names = append(names, r.Name)
			}
		}
	}
	for _, n := range names {
		row := []string{"`" + n + "`"}
		for _, v := range vers {
			o := "-"
			if r, ok := reports[v].Find(n); ok {
				o = string(r.Outcome)
			}
			row = append(row, o)
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\n## Reasons\n\n")
	for _, v := range vers {
		for _, r := range reports[v].Results {
			if r.Outcome != conformance.Pass {
				fmt.Fprintf(&b, "- %s `%s` (vers=%s): %s\n", r.Outcome, r.Name, v, r.Reason)
			}
		}
	}
	return b.String()
}

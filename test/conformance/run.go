package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dittofs/dittofs/test/vm"
)

// ProgramPackage is the import path of posixcheck.
const ProgramPackage = "github.com/dittofs/dittofs/test/conformance/cmd/posixcheck"

// BuildProgram builds posixcheck statically into out.
func BuildProgram(ctx context.Context, out string) error {
	return vm.BuildStatic(ctx, ProgramPackage, out)
}

// Run builds posixcheck, runs it in a VM configured by cfg (cfg.Script and
// cfg.Files are replaced; the rest, such as Server, Vers and Options, is the
// caller's), and parses its report. args are passed to posixcheck (for
// example "-run", "^rename\\."). The report is complete only when err is nil;
// posixcheck's exit status 1 (some check failed) is not an error.
func Run(ctx context.Context, cfg vm.Config, args ...string) (Report, vm.Result, error) {
	dir, err := os.MkdirTemp("", "posixcheck-")
	if err != nil {
		return Report{}, vm.Result{}, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "posixcheck")
	if err := BuildProgram(ctx, bin); err != nil {
		return Report{}, vm.Result{}, err
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	cfg.Files = []vm.File{{Path: "/bin/posixcheck", Source: bin}}
	cfg.Script = "exec /bin/posixcheck -dir . " + strings.Join(quoted, " ") + "\n"
	res, err := vm.Run(ctx, cfg)
	if err != nil {
		return Report{}, res, err
	}
	rep, err := ParseReport(res.Output)
	if err != nil {
		return rep, res, err
	}
	// 0: all passed or skipped; 1: some failed. Anything else (2: bad usage
	// or no mount info, or a crash) means the report is not complete.
	if res.ExitCode != 0 && res.ExitCode != 1 {
		return rep, res, fmt.Errorf("conformance: posixcheck exited %d:\n%s", res.ExitCode, res.Output)
	}
	if !strings.HasPrefix(lastComment(rep), "totals:") {
		return rep, res, fmt.Errorf("conformance: posixcheck report has no totals line (cut short?)")
	}
	return rep, res, nil
}

func lastComment(r Report) string {
	if len(r.Comments) == 0 {
		return ""
	}
	return r.Comments[len(r.Comments)-1]
}

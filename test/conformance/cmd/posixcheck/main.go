// Command posixcheck checks, through a kernel NFS or cifs (SMB) mount, the POSIX behaviour
// that users rely on, and reports every check on its own line:
//
//	PASS name
//	FAIL name: reason
//	SKIP name: reason
//
// Lines starting with "#" are comments. It decides itself, from the mount's
// options in /proc/self/mountinfo, which checks cannot apply to the mounted
// protocol version (xattrs before NFSv4.2, locks on a nolock mount; on
// cifs, unix modes and owners, symlinks and directory link counts) and
// reports those as SKIP with the reason. It exits 1 if any check failed.
//
// It is built statically (CGO_ENABLED=0) and run as root inside the test VM;
// checks of permission enforcement re-run the program as an unprivileged uid
// (see child.go). Usage:
//
//	posixcheck [-dir DIR] [-run REGEXP] [-list]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

// check is one named behaviour; cite says what it expects and where that is
// specified.
type check struct {
	name string
	cite string
	run  func(e *env) error
}

// skipError marks a check that cannot apply; its text is the reason.
type skipError struct{ reason string }

func (s skipError) Error() string { return s.reason }

func skipf(format string, args ...any) error { return skipError{fmt.Sprintf(format, args...)} }

// SMB mounts (the Linux cifs client, without unix extensions: SMB 2 and 3
// have none) cannot carry some of what the checks need; these are the
// reasons given for skipping.
const (
	smbNoUnixModes = "cifs without unix extensions shows every file with the mount's uid, gid, file_mode and dir_mode; modes and owners do not come from the server"
	smbNoSymlinks  = "the cifs client makes symlinks only with the mfsymlinks or sfu options, or as reparse points, none of which the server offers"
	smbNoDirNlink  = "SMB has no directory link count; the cifs client shows a fixed st_nlink for directories"
)

// skipSMB returns a skip with reason on an SMB mount, nil otherwise.
func (e *env) skipSMB(reason string) error {
	if e.mount.smb {
		return skipf("SMB %s: %s", e.mount.vers, reason)
	}
	return nil
}

// env is what checks share: the mount's properties and a work directory.
type env struct {
	root  string // this run's work directory on the mount
	mount mountInfo
	self  string // this executable, for child processes
	cache map[string]any
}

// dir makes a fresh directory for one check.
func (e *env) dir(name string) (string, error) {
	d := filepath.Join(e.root, strings.ReplaceAll(name, "/", "_"))
	if err := os.Mkdir(d, 0o755); err != nil {
		return "", err
	}
	return d, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		os.Exit(childMain(os.Args[2:]))
	}
	dir := flag.String("dir", ".", "directory on the NFS mount to work in")
	run := flag.String("run", "", "run only the checks whose names match this regular expression")
	list := flag.Bool("list", false, "list the checks with what each expects, and exit")
	flag.Parse()
	os.Exit(runMain(os.Stdout, *dir, *run, *list))
}

func runMain(w io.Writer, dir, run string, list bool) int {
	checks := allChecks()
	if list {
		for _, c := range checks {
			fmt.Fprintf(w, "%s\t%s\n", c.name, c.cite)
		}
		return 0
	}
	var re *regexp.Regexp
	if run != "" {
		var err error
		if re, err = regexp.Compile(run); err != nil {
			fmt.Fprintln(w, "# bad -run:", err)
			return 2
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintln(w, "#", err)
		return 2
	}
	mi, err := findMount(abs)
	if err != nil {
		fmt.Fprintln(w, "# cannot read the mount's options:", err)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(w, "#", err)
		return 2
	}
	root := filepath.Join(abs, fmt.Sprintf("posixcheck.%d", os.Getpid()))
	if err := os.Mkdir(root, 0o777); err != nil {
		fmt.Fprintln(w, "# cannot make the work directory:", err)
		return 2
	}
	// Unprivileged children create files in check directories.
	if err := os.Chmod(root, 0o777); err != nil {
		fmt.Fprintln(w, "#", err)
		return 2
	}
	e := &env{root: root, mount: mi, self: self, cache: map[string]any{}}
	fmt.Fprintf(w, "# posixcheck fstype=%s vers=%s options=%s\n", mi.fstype, mi.vers, strings.Join(mi.options, ","))
	var pass, fail, skip int
	for _, c := range checks {
		if re != nil && !re.MatchString(c.name) {
			continue
		}
		start := time.Now()
		err := runCheck(c, e)
		var s skipError
		switch {
		case err == nil:
			pass++
			fmt.Fprintf(w, "PASS %s\n", c.name)
		case errors.As(err, &s):
			skip++
			fmt.Fprintf(w, "SKIP %s: %s\n", c.name, oneLine(s.reason))
		default:
			fail++
			fmt.Fprintf(w, "FAIL %s: %s\n", c.name, oneLine(err.Error()))
		}
		if d := time.Since(start); d > time.Second {
			fmt.Fprintf(w, "# %s took %.1fs\n", c.name, d.Seconds())
		}
	}
	fmt.Fprintf(w, "# totals: %d pass, %d fail, %d skip\n", pass, fail, skip)
	if fail > 0 {
		return 1
	}
	return 0
}

// runCheck runs one check, turning a panic into a failure.
func runCheck(c check, e *env) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.run(e)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " | ")
}

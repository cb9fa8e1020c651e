//go:build e2e

package smb

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	full   = flag.Bool("smb.full", false, "TestSmbtortureFull: run the 19 suites of make e2e-smb")
	update = flag.Bool("smb.update", false, "rewrite the pass list with the tests that passed in this run")
)

const (
	smbUser     = "smbuser"
	smbPassword = "Passw0rd!"
)

// quickSuites is the tier of make test: about 20 s against smbd.
var quickSuites = []string{
	"smb2.connect", "smb2.read", "smb2.rw", "smb2.create", "smb2.dir",
	"smb2.lock", "smb2.getinfo", "smb2.setinfo", "smb2.compound",
	"smb2.session", "smb2.credits", "smb2.ioctl", "smb2.streams",
}

// fullSuites adds the six slower suites of the smbd baseline
// (docs/smb.md): acls, notify, oplock, lease, durable-open, durable-v2-open.
var fullSuites = append(append([]string{}, quickSuites...),
	"smb2.acls", "smb2.notify", "smb2.oplock", "smb2.lease",
	"smb2.durable-open", "smb2.durable-v2-open")

// TestSmbtortureQuick runs the quick tier against fullserver and fails on
// any test of testdata/smbtorture-quick.txt that does not pass.
func TestSmbtortureQuick(t *testing.T) {
	runTier(t, quickSuites, "testdata/smbtorture-quick.txt", 90*time.Second)
}

// TestSmbtortureFull runs the 19 suites (make e2e-smb); the notify,
// oplock and lease suites wait on fixed timeouts for minutes.
func TestSmbtortureFull(t *testing.T) {
	if !*full {
		t.Skip("run with -smb.full (make e2e-smb)")
	}
	runTier(t, fullSuites, "testdata/smbtorture-full.txt", 6*time.Minute)
}

func runTier(t *testing.T, suites []string, listPath string, perSuite time.Duration) {
	torture, err := exec.LookPath("smbtorture")
	if err != nil {
		t.Fatal("smbtorture not installed: run test/install-deps.sh as root (Debian samba-testsuite)")
	}
	pass, err := ReadPassList(listPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fullserver")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/dittofs/dittofs/examples/fullserver").CombinedOutput(); err != nil {
		t.Fatalf("go build fullserver: %v\n%s", err, b)
	}
	var passed []string
	var total Counts
	for _, suite := range suites {
		// A fresh server per suite: one suite's leftovers cannot change
		// the next one's results, and a crash is pinned to its suite.
		addr, stop := startFullserver(t, bin, dir)
		res, out := runSuite(t, torture, addr, suite, dir, perSuite)
		if err := stop(); err != nil {
			t.Errorf("%s: fullserver: %v", suite, err)
		}
		c := Count(res)
		total.Pass += c.Pass
		total.Fail += c.Fail
		total.Skip += c.Skip
		total.Error += c.Error
		regressed, newPass := Compare(suite, pass, res)
		t.Logf("%-22s pass/fail/skip/error %s", suite, c)
		for _, id := range newPass {
			t.Logf("  newly passing (add to %s): %s", listPath, id)
		}
		if len(regressed) > 0 {
			t.Errorf("%s: tests on %s no longer pass:\n  %s\nsmbtorture output:\n%s",
				suite, listPath, strings.Join(regressed, "\n  "), tail(out, 200))
		}
		for id, r := range res {
			if r == Success {
				passed = append(passed, id)
			}
		}
	}
	t.Logf("total pass/fail/skip/error %s", total)
	if *update {
		sort.Strings(passed)
		body := "# smbtorture test ids that pass against fullserver (test/smb; regenerate with -smb.update).\n" +
			strings.Join(passed, "\n") + "\n"
		if err := os.WriteFile(listPath, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runSuite runs one smbtorture suite with the options Samba's own selftest
// uses for file servers (--target=samba3), killed after limit.
func runSuite(t *testing.T, torture, addr, suite, home string, limit time.Duration) (map[string]Result, []byte) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, torture, "//"+host+"/export", "-p", port,
		"-U", smbUser+"%"+smbPassword,
		"--option=clientmaxprotocol=SMB3_11",
		"--target=samba3", "--option=torture:sharedelay=100000",
		"--option=torture:writetimeupdatedelay=500000",
		"--fullname", suite)
	cmd.Env = append(os.Environ(), "HOME="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run() // non-zero when any test failed: the results say which
	if ctx.Err() != nil {
		t.Logf("%s: killed after %v", suite, limit)
	}
	res, _, perr := ParseOutput(bytes.NewReader(out.Bytes()))
	if perr != nil {
		t.Errorf("%s: reading smbtorture output: %v", suite, perr)
	}
	if len(res) == 0 {
		t.Errorf("%s: smbtorture ran no test (%v):\n%s", suite, err, tail(out.Bytes(), 50))
	}
	return res, out.Bytes()
}

// startFullserver runs fullserver in memory with SMB on a free port of
// 127.0.0.1 and returns that address and a function that stops it.
func startFullserver(t *testing.T, bin, dir string) (string, func() error) {
	t.Helper()
	cmd := exec.Command(bin, "--memory", "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off",
		"--smb-addr", "127.0.0.1:0", "--smb-user", smbUser)
	cmd.Env = append(os.Environ(), "DITTOFS_SMB_PASSWORD="+smbPassword)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addrCh := make(chan string, 1)
	var logBuf bytes.Buffer
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		re := regexp.MustCompile(`service=smb network=tcp addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			} else if logBuf.Len() < 1<<20 {
				logBuf.WriteString(sc.Text() + "\n")
			}
		}
	}()
	go func() { <-logDone; exited <- cmd.Wait() }()
	stop := func() error {
		select {
		case err := <-exited:
			return fmt.Errorf("exited during the suite: %v\n%s", err, tail(logBuf.Bytes(), 50))
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("did not stop within 15 s of SIGTERM")
		}
		return nil
	}
	select {
	case addr := <-addrCh:
		return addr, stop
	case err := <-exited:
		t.Fatalf("fullserver exited during start-up: %v\n%s", err, logBuf.Bytes())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("fullserver logged no SMB listener within 30 s")
	}
	return "", nil
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

//go:build bench

package smb_test

// TestSMBBench (make bench-smb) measures fullserver's SMB server beside
// Samba's smbd in one run, interleaved round by round: smbtorture's
// smb2.bench.echo and smb2.bench.path-contention-shared at 4 requests in
// flight (4 connections, queue depth 1: smbtorture's defaults) and at 32
// (8 connections, queue depth 4), and smbclient put/get of one large file
// (SMB 3.1.1, signed). fullserver runs with --memory, smbd on a share in
// /dev/shm (both keep the data in RAM), both require signing (our
// default; smbd with "server signing = mandatory"). Each figure comes with
// the server's CPU time per operation or per GiB, read from /proc around
// the workload (for smbd, the whole process tree: one process per
// connection).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/bench"
)

var (
	smbBenchRounds = flag.Int("smbbench.rounds", 3, "TestSMBBench: rounds (medians are reported)")
	smbBenchSecs   = flag.Int("smbbench.secs", 5, "TestSMBBench: seconds per smbtorture workload")
	smbBenchMiB    = flag.Int("smbbench.mib", 256, "TestSMBBench: size of the smbclient put/get file in MiB")
	smbBenchDir    = flag.String("smbbench.dir", "/dev/shm", "TestSMBBench: where smbd's share and the put/get files live")
	smbBenchOnly   = flag.String("smbbench.only", "", "TestSMBBench: run only the workloads whose names match this regexp")
	smbBenchOut    = flag.String("smbbench.out", "", "TestSMBBench: also write the results table (markdown) to this file")
)

const (
	benchUser = "smbbench"
	benchPass = "Bench.Pass1"
	benchUID  = 23401
)

// smbServer is one server under test: where it listens, how to read its
// CPU time, how to stop it.
type smbServer struct {
	name string
	port string
	cpu  func() (time.Duration, error)
}

type smbWorkload struct {
	name string
	unit string // "ops/s" or "MB/s"
	run  func(t *testing.T, dir string, s *smbServer) (rate float64, work float64, err error)
}

func TestSMBBench(t *testing.T) {
	for _, tool := range []string{"smbd", "smbpasswd", "smbtorture", "smbclient"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed: run test/install-deps.sh as root (Debian samba, samba-testsuite, smbclient, libnss-wrapper)", tool)
		}
	}
	wrapper, err := nssWrapper()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shm, err := os.MkdirTemp(*smbBenchDir, "smbbench")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	os.Chmod(shm, 0o755) // smbd's user must reach the share below it

	bin := filepath.Join(dir, "fullserver")
	if err := bench.BuildFullserver(t.Context(), bin); err != nil {
		t.Fatal(err)
	}
	fs, err := bench.StartFullserverWith(t.Context(), bin, func(l string) { t.Log("fullserver:", l) },
		[]string{"DITTOFS_SMB_PASSWORD=" + benchPass}, []string{"nfs", "smb"},
		"--memory", "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off", "--nlm=false",
		"--smb-addr", "127.0.0.1:0", "--smb-user", benchUser, "--smb-uid", strconv.Itoa(benchUID), "--smb-gid", strconv.Itoa(benchUID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fs.Stop)
	_, ours, _ := net.SplitHostPort(fs.Addrs["smb"])
	// smbd's messaging sockets live under its lock directory: keep the
	// path short (sun_path holds 108 bytes).
	sdir, err := os.MkdirTemp("/tmp", "smbd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sdir) })
	smbd := startSmbd(t, sdir, filepath.Join(shm, "share"), wrapper)

	servers := []*smbServer{
		{name: "DittoFS", port: ours, cpu: func() (time.Duration, error) { return bench.CPUTime(fs.PID) }},
		smbd,
	}
	src := filepath.Join(shm, "src")
	if err := writeRandom(src, int64(*smbBenchMiB)<<20); err != nil {
		t.Fatal(err)
	}
	want, err := fileSum(src)
	if err != nil {
		t.Fatal(err)
	}
	workloads := []smbWorkload{
		tortureWorkload("echo", "smb2.bench.echo", "echo", 4, 1),
		tortureWorkload("echo, 32 in flight", "smb2.bench.echo", "echo", 8, 4),
		tortureWorkload("open+close (path-contention-shared)", "smb2.bench.path-contention-shared", "open", 4, 1),
		tortureWorkload("open+close, 32 in flight", "smb2.bench.path-contention-shared", "open", 8, 4),
		putGetWorkload("put", src, shm, want),
		putGetWorkload("get", src, shm, want),
	}

	if *smbBenchOnly != "" {
		re := regexp.MustCompile(*smbBenchOnly)
		workloads = slices.DeleteFunc(workloads, func(w smbWorkload) bool { return !re.MatchString(w.name) })
	}
	type sample struct{ rate, cpuPer float64 }
	results := map[string]map[string][]sample{} // workload -> server -> samples
	for round := 1; round <= *smbBenchRounds; round++ {
		for _, w := range workloads {
			order := slices.Clone(servers)
			if round%2 == 0 {
				slices.Reverse(order)
			}
			for _, s := range order {
				c0, err := s.cpu()
				if err != nil {
					t.Fatalf("%s: cpu: %v", s.name, err)
				}
				rate, work, err := w.run(t, shm, s)
				if err != nil {
					// smbd 4.17 panics in some workloads on this
					// machine (docs/benchmarks.md): the row says so
					// rather than ending the run. Our server failing
					// is a failure of the test.
					if s.name == "DittoFS" {
						t.Errorf("round %d, %s, %s: %v", round, w.name, s.name, err)
					} else {
						t.Logf("round %d, %s, %s failed: %s", round, w.name, s.name, lastLines(err.Error(), 12))
					}
					rate, work = math.NaN(), 0
				}
				c1, err := s.cpu()
				if err != nil {
					t.Fatalf("%s: cpu: %v", s.name, err)
				}
				per := 0.0
				if work > 0 {
					per = (c1 - c0).Seconds() / work
				}
				t.Logf("round %d %-40s %-8s %10.0f %s  cpu %.3f s / %.0f", round, w.name, s.name, rate, w.unit, (c1 - c0).Seconds(), work)
				if results[w.name] == nil {
					results[w.name] = map[string][]sample{}
				}
				results[w.name][s.name] = append(results[w.name][s.name], sample{rate, per})
			}
		}
	}

	var tb strings.Builder
	fmt.Fprintf(&tb, "| workload | DittoFS | smbd | DittoFS / smbd | server CPU, DittoFS | server CPU, smbd | CPU ratio |\n|---|---|---|---|---|---|---|\n")
	for _, w := range workloads {
		med := func(server string, f func(sample) float64) float64 {
			var v []float64
			for _, s := range results[w.name][server] {
				v = append(v, f(s))
			}
			v = slices.DeleteFunc(v, math.IsNaN)
			if len(v) == 0 {
				return math.NaN()
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		rate := func(s sample) float64 { return s.rate }
		nan := func(s sample) float64 {
			if math.IsNaN(s.rate) {
				return math.NaN()
			}
			return s.cpuPer
		}
		ro, rs := med("DittoFS", rate), med("smbd", rate)
		co, cs := med("DittoFS", nan), med("smbd", nan)
		cu := "ms / 1,000 ops"
		scale := 1e6 // s/op -> ms per 1,000 ops
		if w.unit == "MB/s" {
			cu, scale = "s / GiB", 1
		}
		fmt.Fprintf(&tb, "| %s | %.0f %s | %.0f %s | %.2f | %.3g %s | %.3g %s | %.2f |\n",
			w.name, ro, w.unit, rs, w.unit, ro/rs, co*scale, cu, cs*scale, cu, co/cs)
	}
	t.Logf("medians of %d rounds:\n%s", *smbBenchRounds, tb.String())
	if *smbBenchOut != "" {
		if err := os.WriteFile(*smbBenchOut, []byte(tb.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// tortureWorkload runs one smbtorture smb2.bench test for -smbbench.secs
// seconds with nprocs connections of qdepth requests each, and reports the
// mean of its per-second figures for counter (the first second left out:
// connections are still opening).
func tortureWorkload(name, test, counter string, nprocs, qdepth int) smbWorkload {
	re := regexp.MustCompile(regexp.QuoteMeta(counter) + `\[num/s=(\d+)`)
	return smbWorkload{name: name, unit: "ops/s", run: func(t *testing.T, dir string, s *smbServer) (float64, float64, error) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Duration(*smbBenchSecs+60)*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "smbtorture", "//127.0.0.1/export", "-p", s.port,
			"-U", benchUser+"%"+benchPass, "--option=clientmaxprotocol=SMB3_11",
			"--option=torture:timelimit="+strconv.Itoa(*smbBenchSecs),
			"--option=torture:nprocs="+strconv.Itoa(nprocs), "--option=torture:qdepth="+strconv.Itoa(qdepth), test)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, 0, fmt.Errorf("%v\n%s", err, out)
		}
		ms := re.FindAllSubmatch(out, -1)
		if len(ms) < 2 {
			return 0, 0, fmt.Errorf("no per-second %s figures in:\n%s", counter, out)
		}
		var sum float64
		for _, m := range ms[1:] {
			v, _ := strconv.ParseFloat(string(m[1]), 64)
			sum += v
		}
		rate := sum / float64(len(ms)-1)
		return rate, rate * float64(*smbBenchSecs), nil
	}}
}

// putGetWorkload copies src to the share (put) or the share's copy back
// (get) with smbclient, signed, SMB 3.1.1, and checks the bytes.
func putGetWorkload(op, src, dir string, want [32]byte) smbWorkload {
	return smbWorkload{name: "smbclient " + op + " " + strconv.Itoa(*smbBenchMiB) + " MiB", unit: "MB/s", run: func(t *testing.T, _ string, s *smbServer) (float64, float64, error) {
		size := float64(int64(*smbBenchMiB) << 20)
		cmdline := "put " + src + " big"
		dst := filepath.Join(dir, "got")
		if op == "get" {
			// The file put in this round (put runs first in each round).
			cmdline = "get big " + dst
			os.Remove(dst)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "smbclient", "//127.0.0.1/export", "-p", s.port,
			"-U", benchUser+"%"+benchPass, "-m", "SMB3", "--client-protection=sign", "-c", cmdline)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(t0)
		if err != nil {
			return 0, 0, fmt.Errorf("smbclient %s: %v\n%s", cmdline, err, out)
		}
		if op == "get" {
			got, err := fileSum(dst)
			os.Remove(dst)
			if err != nil {
				return 0, 0, err
			}
			if got != want {
				return 0, 0, errors.New("the file read back differs from the file written")
			}
		}
		return size / d.Seconds() / 1e6, size / (1 << 30), nil
	}}
}

// startSmbd runs Samba's smbd on a free loopback port with a private
// configuration in dir sharing share as "export", with one user
// (nss_wrapper, no change to /etc/passwd), as ../shared/notes/smb-peers.md
// describes.
func startSmbd(t *testing.T, dir, share, wrapper string) *smbServer {
	t.Helper()
	for _, d := range []string{dir, share, filepath.Join(dir, "private"), filepath.Join(dir, "lock"),
		filepath.Join(dir, "state"), filepath.Join(dir, "cache"), filepath.Join(dir, "pid"), filepath.Join(dir, "ncalrpc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(share, 0o777)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	conf := filepath.Join(dir, "smb.conf")
	text := fmt.Sprintf(`[global]
  server role = standalone server
  smb ports = %[1]s
  interfaces = 127.0.0.1
  bind interfaces only = yes
  disable netbios = yes
  private dir = %[2]s/private
  lock directory = %[2]s/lock
  state directory = %[2]s/state
  cache directory = %[2]s/cache
  pid directory = %[2]s/pid
  ncalrpc dir = %[2]s/ncalrpc
  binddns dir = %[2]s/private
  log file = %[2]s/log.smbd
  passdb backend = tdbsam:%[2]s/private/passdb.tdb
  server min protocol = SMB2_02
  server max protocol = SMB3_11
  server signing = mandatory
  usershare path =
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  kernel oplocks = no
  kernel share modes = no
  posix locking = no
  map to guest = never
  map acl inherit = yes
  create mask = 0777
  directory mask = 0777
  log level = 0
  max log size = 0
[export]
  path = %[3]s
  read only = no
  vfs objects = acl_xattr streams_xattr
  ea support = yes
  store dos attributes = yes
`, port, dir, share)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n%s:x:%d:%d::%s:/bin/false\n", benchUser, benchUID, benchUID, share)
	group := fmt.Sprintf("root:x:0:\nnogroup:x:65534:\n%s:x:%d:\n", benchUser, benchUID)
	if err := errors.Join(os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644),
		os.WriteFile(filepath.Join(dir, "group"), []byte(group), 0o644)); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "LD_PRELOAD="+wrapper,
		"NSS_WRAPPER_PASSWD="+filepath.Join(dir, "passwd"), "NSS_WRAPPER_GROUP="+filepath.Join(dir, "group"))
	pw := exec.Command("smbpasswd", "-c", conf, "-s", "-a", benchUser)
	pw.Env = env
	pw.Stdin = strings.NewReader(benchPass + "\n" + benchPass + "\n")
	if out, err := pw.CombinedOutput(); err != nil {
		t.Fatalf("smbpasswd: %v\n%s", err, out)
	}
	cmd := exec.Command("smbd", "-F", "--no-process-group", "-s", conf, "--debug-stdout", "-d1")
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "log.smbd"))
			t.Logf("smbd output:\n%s\nlog.smbd:\n%s", log.String(), b)
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("smbd did not listen on %s within 20 s:\n%s", port, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	return &smbServer{name: "smbd", port: port, cpu: func() (time.Duration, error) { return treeCPU(pid) }}
}

// treeCPU is the CPU time of process pid, of its live descendants, and of
// the descendants it has reaped (cutime, cstime): smbd forks one process
// per connection.
func treeCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, errors.New("short /proc stat")
	}
	var ticks uint64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, err := strconv.ParseUint(f[i], 10, 63)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	total := time.Duration(ticks) * 10 * time.Millisecond
	kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for _, k := range strings.Fields(string(kids)) {
		kp, _ := strconv.Atoi(k)
		if d, err := treeCPU(kp); err == nil {
			total += d
		}
	}
	return total, nil
}

func nssWrapper() (string, error) {
	for _, p := range []string{"/usr/lib/x86_64-linux-gnu/libnss_wrapper.so", "/usr/lib/aarch64-linux-gnu/libnss_wrapper.so", "/usr/lib/libnss_wrapper.so"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("libnss_wrapper.so not found: apt-get install libnss-wrapper")
}

func writeRandom(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	for n > 0 {
		for i := 0; i < len(buf); i += 8 {
			v := r.Uint64()
			for j := 0; j < 8; j++ {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		k := min(n, int64(len(buf)))
		if _, err := f.Write(buf[:k]); err != nil {
			f.Close()
			return err
		}
		n -= k
	}
	return f.Close()
}

func fileSum(path string) ([32]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

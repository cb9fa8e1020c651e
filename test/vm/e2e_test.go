//go:build e2e

package vm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/ganesha"
	"github.com/dittofs/dittofs/test/vm"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startGanesha(t *testing.T) *ganesha.Server {
	t.Helper()
	srv, err := ganesha.Start(t.Context(), ganesha.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	// Before Stop (cleanups run last in, first out): a Ganesha that died
	// during the test fails it, with the end of its log.
	t.Cleanup(func() {
		if err := srv.Err(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

func ganeshaConfig(srv *ganesha.Server, vers, script string) vm.Config {
	return vm.Config{
		Server:    srv.Addr(),
		MountPort: srv.MountPort,
		Export:    srv.Export,
		Vers:      vers,
		Netns:     srv.Netns,
		Script:    script,
		Timeout:   2 * time.Minute,
	}
}

// TestRunEachVersion mounts Ganesha with every protocol version and checks
// that a file written by the guest lands in the export with its content and
// that the guest saw the version it asked for.
func TestRunEachVersion(t *testing.T) {
	srv := startGanesha(t)
	for _, vers := range []string{"3", "4.0", "4.1", "4.2"} {
		t.Run("vers="+vers, func(t *testing.T) {
			name := "hello-" + vers
			script := fmt.Sprintf("set -e\necho 'from the guest' >%s\ncat %s\ngrep -o ',vers=[0-9.]*' /proc/mounts | tr -d ,\nexit 7\n", name, name)
			cfg := ganeshaConfig(srv, vers, script)
			cfg.Logger = testLogger(t)
			res, err := vm.Run(srv.Watch(t.Context()), cfg)
			if err != nil {
				t.Fatalf("%v\nconsole:\n%s", err, res.Console)
			}
			if res.ExitCode != 7 {
				t.Errorf("exit code %d, want 7; output:\n%s", res.ExitCode, res.Output)
			}
			if !res.Unmounted {
				t.Errorf("guest did not unmount cleanly: %s", res.Status)
			}
			if want := "from the guest\nvers=" + vers + "\n"; res.Output != want {
				t.Errorf("output %q, want %q", res.Output, want)
			}
			got, err := os.ReadFile(srv.ExportDir + "/" + name)
			if err != nil || string(got) != "from the guest\n" {
				t.Errorf("export file: %q, %v", got, err)
			}
			t.Logf("vers=%s: %v", vers, res.Elapsed)
		})
	}
}

// TestTwoClientsContend boots two VMs at once against one server. Each adds
// one to a shared counter file 60 times, under an exclusive flock (which the
// Linux client sends to the server as a whole-file lock, and after which it
// revalidates its cache). With separate NFSv4 client identities and working
// locks no increment is lost, so the counter ends at exactly 120.
//
// vmhelper flock unlocks, waits for the answer to the client's FREE_STATEID
// of the lock state, then closes: sent together, as the client does when
// the file is closed with the lock held, FREE_STATEID and CLOSE race in
// Ganesha 4.3 and crash it (NULL dereference in dec_nfs4_state_ref). Each
// of the 120 iterations was a chance of that: under a load average of 6 to
// 11 it killed the server in 5 of 20 runs, and the guest waiting for a reply
// then hung until its 2-minute timeout.
func TestTwoClientsContend(t *testing.T) {
	srv := startGanesha(t)
	if err := os.WriteFile(srv.ExportDir+"/counter", []byte("0\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	const perVM = 60
	script := fmt.Sprintf(`set -e
i=0
while [ $i -lt %d ]; do
	vmhelper flock counter.lock sh -c 'v=$(cat counter); echo $((v+1)) >counter'
	i=$((i+1))
done
echo done
`, perVM)
	var wg sync.WaitGroup
	results := make([]vm.Result, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			cfg := ganeshaConfig(srv, "4.1", script)
			cfg.Name = fmt.Sprintf("contender-%d", i)
			cfg.Options = []string{"actimeo=0"}
			results[i], errs[i] = vm.Run(srv.Watch(t.Context()), cfg)
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("vm %d: %v\n%s", i, errs[i], results[i].Console)
		}
		if results[i].ExitCode != 0 || results[i].Output != "done\n" {
			t.Errorf("vm %d: exit %d, output %q", i, results[i].ExitCode, results[i].Output)
		}
	}
	got, err := os.ReadFile(srv.ExportDir + "/counter")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d\n", 2*perVM); string(got) != want {
		t.Errorf("counter %q, want %q: increments were lost", got, want)
	}
	t.Logf("vm 0 %v, vm 1 %v", results[0].Elapsed, results[1].Elapsed)
}

// TestTimeoutKillsEverything runs a script that never ends and checks that
// Run returns once the timeout passes, reports it, and leaves no QEMU or
// relay process behind.
func TestTimeoutKillsEverything(t *testing.T) {
	srv := startGanesha(t)
	cfg := ganeshaConfig(srv, "4.2", "echo started; sleep 100000")
	cfg.Name = "doomed-vm"
	cfg.Timeout = 45 * time.Second
	res, err := vm.Run(srv.Watch(t.Context()), cfg)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error; status %q", err, res.Status)
	}
	if res.Status != "" {
		t.Errorf("a killed VM reported status %q", res.Status)
	}
	// The VM's name is on QEMU's command line and on every relay's.
	if left := processesMatching(t, "doomed-vm"); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
}

// TestMountFailure points the guest at a port where nothing listens: Run
// must report ErrMount, not a script result.
func TestMountFailure(t *testing.T) {
	srv := startGanesha(t)
	cfg := ganeshaConfig(srv, "4.1", "echo should not run")
	cfg.Server = "127.0.0.1:9" // nothing listens on discard in the namespace
	cfg.Timeout = 4 * time.Minute
	res, err := vm.Run(srv.Watch(t.Context()), cfg)
	if !errors.Is(err, vm.ErrMount) || !strings.Contains(err.Error(), "no-rpc-reply") {
		t.Fatalf("err = %v, want ErrMount from the RPC pre-flight; output %q", err, res.Output)
	}
	if res.Output != "" {
		t.Errorf("the script ran: %q", res.Output)
	}
}

// TestCallbackPortAndNconnect mounts NFSv4.0 with a callback forward and
// checks the path a server's CB_RECALL would take: an RPC NULL call to the
// callback program sent to the host's 127.0.0.1:P must be answered by the
// guest's callback service. The guest itself sends it, through a forward
// of P (guest → host 127.0.0.1:P → QEMU's hostfwd → guest). Then it mounts
// NFSv4.1 with nconnect and checks that the option took.
func TestCallbackPortAndNconnect(t *testing.T) {
	srv := startGanesha(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // a free port number; the VM binds it in the server's namespace

	// vmhelper rpcping sends an RPC NULL call (RFC 5531) for program
	// 0x40000000 (the NFSv4.0 callback program, RFC 7530 section 16.1)
	// version 1 and checks that a reply with its xid comes back.
	script := fmt.Sprintf(`set -e
echo "port=$(cat /sys/module/nfs/parameters/callback_tcpport)"
grep -o 'clientaddr=[0-9.]*' /proc/mounts
vmhelper rpcping 10.0.2.100:%d 1073741824 1 && echo "callback answered"
`, port)
	cfg := ganeshaConfig(srv, "4.0", script)
	cfg.Callback = true
	cfg.CallbackPort = port
	cfg.ForwardPorts = []int{port}
	res, err := vm.Run(srv.Watch(t.Context()), cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Console)
	}
	want := fmt.Sprintf("port=%d\nclientaddr=127.0.0.1\ncallback answered\n", port)
	if res.Output != want {
		t.Errorf("v4.0 callback path:\n%s\nwant\n%s", res.Output, want)
	}

	cfg = ganeshaConfig(srv, "4.1", "grep -o 'nconnect=[0-9]*' /proc/mounts; echo x >f; cat f")
	cfg.Options = []string{"nconnect=2"}
	res, err = vm.Run(srv.Watch(t.Context()), cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Console)
	}
	if res.Output != "nconnect=2\nx\n" {
		t.Errorf("nconnect mount: %q", res.Output)
	}
}

// processesMatching lists processes whose command line contains s.
func processesMatching(t *testing.T, s string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, s) && !strings.Contains(cmd, "-test.") {
			out = append(out, e.Name()+": "+cmd)
		}
	}
	return out
}

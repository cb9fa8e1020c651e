//go:build e2e

package vm_test

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
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
			res, err := vm.Run(t.Context(), cfg)
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

package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
	"github.com/dittofs/dittofs/test/ganesha"
)

// BuildFullserver builds examples/fullserver into bin (run from within the
// module).
func BuildFullserver(ctx context.Context, bin string) error {
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "github.com/dittofs/dittofs/examples/fullserver")
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build fullserver: %v\n%s", err, b)
	}
	return nil
}

// The stores a comparison runs both servers on.
const (
	// StoreMemory is fullserver --memory against Ganesha's FSAL_VFS on a
	// tmpfs: neither touches a disk.
	StoreMemory = "memory"
	// StoreDisk is fullserver --data DIR (BadgerDB + localfs) against
	// Ganesha's FSAL_VFS on a directory of the same filesystem.
	StoreDisk = "disk"
)

// tmpfsMagic is TMPFS_MAGIC of statfs(2).
const tmpfsMagic = 0x01021994

// NewWorkDir makes a fresh directory named prefix* under parent for the
// servers of one comparison; the caller removes it. With disk set it
// refuses a parent on a tmpfs, where StoreDisk would measure memory.
func NewWorkDir(parent, prefix string, disk bool) (string, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(parent, &st); err != nil {
		return "", err
	}
	if disk && st.Type == tmpfsMagic {
		return "", fmt.Errorf("bench: %s is a tmpfs; the disk store needs a disk", parent)
	}
	return os.MkdirTemp(parent, prefix)
}

// FullserverArgs returns the command line of examples/fullserver in a
// comparison: an ephemeral port of 127.0.0.1 (StartFullserver reads it from
// the log), no portmapper, no NLM, no root squashing, the export /export,
// a 1 s grace period, and memory stores (StoreMemory) or a data directory
// (StoreDisk) at workDir/dittofs-data.
func FullserverArgs(store, workDir string) []string {
	args := []string{"--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off", "--nlm=false",
		"--no-root-squash", "--export", "/export", "--grace", "1s"}
	if store == StoreDisk {
		return append(args, "--data", filepath.Join(workDir, "dittofs-data"))
	}
	return append(args, "--memory")
}

// GaneshaConfig returns the reference server's configuration for store:
// FSAL_VFS on a tmpfs of its own (StoreMemory), or on workDir/ganesha
// (StoreDisk), next to FullserverArgs' data directory.
func GaneshaConfig(store, workDir string) ganesha.Config {
	if store == StoreDisk {
		return ganesha.Config{Dir: filepath.Join(workDir, "ganesha"), DiskBacked: true}
	}
	return ganesha.Config{}
}

// Fullserver is examples/fullserver running as a child process.
type Fullserver struct {
	// Addr is the address of its NFS (and MOUNT) listener.
	Addr string
	// Addrs are the addresses of its TCP listeners by service ("nfs",
	// "smb", ...), as far as they were awaited (StartFullserverWith).
	Addrs map[string]string
	// PID is its process id, for CPUTime.
	PID int

	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// StartFullserver runs bin with args (which should include --nfs-addr
// 127.0.0.1:0) and returns once it logs its NFS listener. Its WARN and
// ERROR log lines go to logLine. It dies with this process.
func StartFullserver(ctx context.Context, bin string, logLine func(string), args ...string) (*Fullserver, error) {
	return StartFullserverWith(ctx, bin, logLine, nil, []string{"nfs"}, args...)
}

// StartFullserverWith is StartFullserver with the environment env added
// to this process's, returning once every service in services (such as
// "nfs" and "smb") has logged its TCP listener.
func StartFullserverWith(ctx context.Context, bin string, logLine func(string), env, services []string, args ...string) (*Fullserver, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &Fullserver{PID: cmd.Process.Pid, cmd: cmd, exited: make(chan struct{})}
	addrCh := make(chan map[string]string, 1)
	go func() {
		re := regexp.MustCompile(`msg=listening service=(\S+) network=tcp addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		addrs := map[string]string{}
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := re.FindStringSubmatch(line); m != nil && !sent {
				addrs[m[1]] = m[2]
				all := true
				for _, s := range services {
					all = all && addrs[s] != ""
				}
				if all {
					addrCh <- addrs
					sent = true
				}
			}
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
				logLine(line)
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { f.waitErr = cmd.Wait(); close(f.exited) }()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case f.Addrs = <-addrCh:
		f.Addr = f.Addrs["nfs"]
		return f, nil
	case <-f.exited:
		return nil, fmt.Errorf("fullserver exited during start-up: %v", f.waitErr)
	case <-timer.C:
		err = fmt.Errorf("fullserver logged no listener of %v within 30 s", services)
	case <-ctx.Done():
		err = ctx.Err()
	}
	f.Stop()
	return nil, err
}

// Err returns nil while the server runs, and how it exited once it has.
func (f *Fullserver) Err() error {
	select {
	case <-f.exited:
		return fmt.Errorf("fullserver exited: %v", f.waitErr)
	default:
		return nil
	}
}

// Stop ends the server: SIGTERM, then SIGKILL after 15 s.
func (f *Fullserver) Stop() {
	f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(15 * time.Second):
		f.cmd.Process.Kill()
		<-f.exited
	}
}

// GaneshaPID returns the pid of srv's ganesha.nfsd: the only child of the
// unshare process whose namespace srv.Netns names.
func GaneshaPID(srv *ganesha.Server) (int, error) {
	var unsharePID int
	if _, err := fmt.Sscanf(srv.Netns, "/proc/%d/ns/net", &unsharePID); err != nil {
		return 0, fmt.Errorf("netns %q: %w", srv.Netns, err)
	}
	pid, err := ChildPID(unsharePID)
	if err != nil {
		return 0, err
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != "ganesha.nfsd" {
		return 0, fmt.Errorf("process %d is %q (%v), want ganesha.nfsd", pid, comm, err)
	}
	return pid, nil
}

// StartInProcess serves NFSv3 and MOUNT v3 (and NFSv4 when nfs4 is set) on
// one port of 127.0.0.1 over memory stores, exporting path read-write
// without root squashing, with a root everyone may write, and returns the
// address. The server stops at the end of tb.
func StartInProcess(tb testing.TB, path string, withNFS4 bool) string {
	tb.Helper()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fsys.Close() })
	exps, err := export.Parse(strings.NewReader(path + " *(rw,insecure,no_root_squash)\n"))
	if err != nil {
		tb.Fatal(err)
	}
	locks, err := locking.Open(context.Background(), locking.Options{Grace: -1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { locks.Close() })
	exps[0].FS, exps[0].Locks = fsys, locks
	tab, err := export.NewTable(context.Background(), export.Options{}, exps...)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: tab, Logger: logger}).Register(mux)
	if withNFS4 {
		(&nfs4.Server{Exports: tab, Logger: logger, NoCallbacks: true}).Register(mux)
	}
	srv := &rpc.Server{Handler: mux, DuplicateCache: &rpc.DuplicateCache{}, Logger: logger}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return l.Addr().String()
}

// Package ganesha runs NFS-Ganesha (Debian's nfs-ganesha with FSAL_VFS) as a
// reference NFS server for the real-client tests, on a loopback that no other
// test sees.
//
// Ganesha refuses to start NFSv3 unless it can register with rpcbind, so each
// server runs in a private network and mount namespace (unshare) with its own
// rpcbind; its 127.0.0.1 is that namespace's loopback. Start QEMU there with
// vm.Config{Netns: srv.Netns}. Ganesha 4.3 with FSAL_VFS grants no
// delegations, so it never calls back.
//
//	srv, err := ganesha.Start(ctx, ganesha.Config{})
//	defer srv.Stop()
//	res, err := vm.Run(ctx, vm.Config{Server: srv.Addr(), MountPort: srv.MountPort,
//		Export: srv.Export, Vers: "3", Netns: srv.Netns, Script: "..."})
package ganesha

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dittofs/dittofs/test/vm"
)

// Packages returns the Debian packages a Ganesha run needs.
func Packages() []string {
	return []string{"nfs-ganesha", "nfs-ganesha-vfs", "rpcbind", "iproute2", "util-linux"}
}

// Config configures one Ganesha server. The zero value works.
type Config struct {
	// Dir holds the export, configuration, logs and recovery state; a new
	// temporary directory (removed by Stop) when empty.
	Dir string
	// NFSPort and MountPort are the ports in the server's namespace;
	// 2049 and 20048 when zero (the namespace is private, so they are free).
	NFSPort, MountPort int
	// DiskBacked exports a directory of the host's filesystem; by default
	// the export is a tmpfs mounted in the server's private mount namespace
	// (no disk I/O waits, gone with the server).
	DiskBacked bool
	// StartTimeout bounds the start-up; 30 s when zero.
	StartTimeout time.Duration
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Server is a running Ganesha.
type Server struct {
	// Netns is the server's network namespace, /proc/PID/ns/net.
	Netns string
	// NFSPort and MountPort are the ports it listens on, on the
	// namespace's 127.0.0.1.
	NFSPort, MountPort int
	// Export is the NFS path to mount ("/export", a pseudo path for v4).
	Export string
	// ExportDir is the directory behind the export, as the host sees it
	// (through /proc/PID/root when the export is a tmpfs).
	ExportDir string
	// Dir is the server's working directory.
	Dir string

	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
	stopping atomic.Bool
	ownDir   bool
	stopOnce sync.Once
	log      *bytes.Buffer
	logMu    *sync.Mutex
}

// Addr returns "127.0.0.1:NFSPort" (in the server's namespace).
func (s *Server) Addr() string {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(s.NFSPort)).String()
}

// ConfigFile renders the ganesha.conf for an export of exportDir on the given
// ports, with a recovery directory under dir.
func ConfigFile(dir, exportDir string, nfsPort, mountPort int) string {
	return fmt.Sprintf(`NFS_CORE_PARAM {
	NFS_Port = %d;
	MNT_Port = %d;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Enable_UDP = false;
	mount_path_pseudo = true;
	Protocols = 3, 4;
	Plugins_Dir = /usr/lib/x86_64-linux-gnu/ganesha;
}
NFS_KRB5 {
	Active_krb5 = false;
}
NFSv4 {
	Graceless = true;
	Lease_Lifetime = 15;
	RecoveryBackend = fs;
	RecoveryRoot = %s;
	Minor_Versions = 0, 1, 2;
	Only_Numeric_Owners = true;
}
EXPORT {
	Export_Id = 1;
	Path = %s;
	Pseudo = /export;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	Transports = TCP;
	Protocols = 3, 4;
	FSAL {
		Name = VFS;
	}
}
`, nfsPort, mountPort, filepath.Join(dir, "recov"), exportDir)
}

// startScript runs inside the new namespaces: loopback up, a private /run
// for rpcbind's socket, rpcbind, then Ganesha in the foreground.
const startScript = `set -e
ip link set lo up
mount -t tmpfs tmpfs /run
if [ "$2" = tmpfs ]; then mount -t tmpfs -o mode=0777,size=16g tmpfs "$1/export"; fi
rpcbind -f -w &
i=0
while [ ! -S /run/rpcbind.sock ]; do
	i=$((i+1))
	[ $i -lt 200 ] || { echo "rpcbind did not start" >&2; exit 1; }
	sleep 0.05
done
exec ganesha.nfsd -F -f "$1/ganesha.conf" -L STDERR -p "$1/ganesha.pid" -N NIV_EVENT
`

// readyLine is what Ganesha logs (at NIV_EVENT) once it serves requests.
const readyLine = "NFS SERVER INITIALIZED"

// Start installs missing packages, writes the configuration and starts
// Ganesha, returning once it serves requests. Call Stop to end it; it also
// dies with the test process.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := vm.EnsurePackages(ctx, logger, Packages()...); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("ganesha: needs root (namespaces, FSAL_VFS)")
	}
	s := &Server{NFSPort: cfg.NFSPort, MountPort: cfg.MountPort, Export: "/export", Dir: cfg.Dir,
		done: make(chan struct{}), log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	if s.NFSPort == 0 {
		s.NFSPort = 2049
	}
	if s.MountPort == 0 {
		s.MountPort = 20048
	}
	if s.Dir == "" {
		d, err := os.MkdirTemp("", "dittofs-ganesha-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.ownDir = d, true
	}
	s.ExportDir = filepath.Join(s.Dir, "export")
	backing := "tmpfs"
	if cfg.DiskBacked {
		backing = "disk"
	}
	for _, d := range []string{s.ExportDir, filepath.Join(s.Dir, "recov")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	// The export's root must let unprivileged guest users create files.
	if err := os.Chmod(s.ExportDir, 0o777); err != nil {
		s.cleanup()
		return nil, err
	}
	conf := ConfigFile(s.Dir, s.ExportDir, s.NFSPort, s.MountPort)
	if err := os.WriteFile(filepath.Join(s.Dir, "ganesha.conf"), []byte(conf), 0o644); err != nil {
		s.cleanup()
		return nil, err
	}
	// A PID namespace too: when its first process (Ganesha) dies, the
	// kernel kills the rest (rpcbind drops privileges, so a parent-death
	// signal would not reach it); --kill-child ties Ganesha to unshare,
	// and Pdeathsig unshare to this process.
	s.cmd = exec.Command("unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--propagation", "private", "--",
		"/bin/sh", "-c", startScript, "sh", s.Dir, backing)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		s.cleanup()
		return nil, err
	}
	s.cmd.Stdout = s.cmd.Stderr
	if err := s.cmd.Start(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("ganesha: start: %w", err)
	}
	s.Netns = fmt.Sprintf("/proc/%d/ns/net", s.cmd.Process.Pid)
	if !cfg.DiskBacked {
		s.ExportDir = fmt.Sprintf("/proc/%d/root%s", s.cmd.Process.Pid, s.ExportDir)
	}
	ready := make(chan struct{})
	go s.scanLog(stderr, ready)
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()

	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ready:
		logger.Info("ganesha serving", "dir", s.Dir, "nfs_port", s.NFSPort, "mount_port", s.MountPort)
		return s, nil
	case <-s.done:
		err = fmt.Errorf("ganesha: exited during start-up: %v\n%s", s.waitErr, s.Log())
	case <-timer.C:
		err = fmt.Errorf("ganesha: not ready after %v\n%s", timeout, s.Log())
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.Stop()
	return nil, err
}

// scanLog keeps Ganesha's log and closes ready at its ready line.
func (s *Server) scanLog(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	signalled := false
	for sc.Scan() {
		line := sc.Text()
		s.logMu.Lock()
		if s.log.Len() < 4<<20 {
			s.log.WriteString(line)
			s.log.WriteByte('\n')
		}
		s.logMu.Unlock()
		if !signalled && strings.Contains(line, readyLine) {
			signalled = true
			close(ready)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// Log returns what Ganesha has logged so far (the first 4 MiB).
func (s *Server) Log() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// Err returns nil while Ganesha runs and after Stop ended it, and an error
// saying how it exited when it ended on its own: Ganesha 4.3 crashes in
// some races of its state handling (see vmhelper's flock), and the clients
// of a dead server only hang until their tests time out.
func (s *Server) Err() error {
	select {
	case <-s.done:
	default:
		return nil
	}
	if s.stopping.Load() {
		return nil
	}
	return fmt.Errorf("ganesha: exited on its own (%v); the end of its log:\n%s", s.waitErr, tailLines(s.Log(), 20))
}

// Watch returns a context that ends with ctx, or with Err as its cause
// when Ganesha exits on its own, so that guests of a crashed server are
// stopped at once and report why (vm.Run returns the cause).
func (s *Server) Watch(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-s.done:
			if err := s.Err(); err != nil {
				cancel(err)
			}
		case <-ctx.Done():
		}
	}()
	return ctx
}

// tailLines returns the last n lines of text.
func tailLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Stop ends Ganesha and its rpcbind and removes the directory Start made.
// It is safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		if s.cmd != nil && s.cmd.Process != nil {
			pgid := s.cmd.Process.Pid
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			timer := time.NewTimer(5 * time.Second)
			select {
			case <-s.done:
			case <-timer.C:
			}
			timer.Stop()
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-s.done
		}
		s.cleanup()
	})
}

func (s *Server) cleanup() {
	if s.ownDir {
		_ = os.RemoveAll(s.Dir)
	}
}

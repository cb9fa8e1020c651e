package vm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Limits on what Run reads back from the guest.
const (
	maxOutput  = 64 << 20
	maxConsole = 1 << 20
)

// Run boots a VM, mounts cfg's export, runs cfg.Script in it and powers the
// VM off. It returns when QEMU has exited and every process it started is
// gone, also on timeout or when ctx ends. A script that fails is not an
// error: see Result.ExitCode. Errors are ErrMount, ErrGuestSetup,
// ErrNoStatus, a context error, or a host-side failure.
func Run(ctx context.Context, cfg Config) (Result, error) {
	var res Result
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ap, err := cfg.validate()
	if err != nil {
		return res, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	mem := cfg.MemoryMB
	if mem <= 0 {
		mem = 768
	}
	name := cfg.Name
	if name == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name = "dittofs-vm-" + hex.EncodeToString(b[:])
	}
	cacheDir := cfg.CacheDir
	if cacheDir == "" {
		if cacheDir, err = defaultCacheDir(); err != nil {
			return res, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	a, err := prepare(ctx, cacheDir, logger)
	if err != nil {
		return res, err
	}
	cbPort := cfg.CallbackPort
	if cfg.Callback && cbPort == 0 {
		if cbPort, err = freeLoopbackPort(); err != nil {
			return res, err
		}
	}
	source, options, err := MountOptions(cfg, cbPort)
	if err != nil {
		return res, err
	}
	if cfg.Lock {
		lf, err := lockFiles(ctx, logger)
		if err != nil {
			return res, err
		}
		cfg.Files = append(lf, cfg.Files...)
	}
	dir, err := os.MkdirTemp("", "dittofs-vm-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	fstype := "nfs"
	if cfg.SMB != nil {
		fstype = "cifs"
	}
	if err := writeInitrd(a.Initramfs, filepath.Join(dir, "initrd"), cfg, append(guestConfig(name, fstype, source, options, cbPort, rpcPings(cfg, int(ap.Port()))), lockConfig(cfg)...)); err != nil {
		return res, err
	}
	fwd := []int{int(ap.Port())}
	if cfg.Vers == "3" && cfg.SMB == nil {
		fwd = append(fwd, cfg.MountPort)
	}
	fwd = append(fwd, cfg.ForwardPorts...)
	slices.Sort(fwd)
	fwd = slices.Compact(fwd)
	args := qemuArgs(a, name, dir, mem, fwd, cbPort, lockPortsOf(cfg))
	bin := "qemu-system-x86_64"
	if os.Geteuid() == 0 {
		// QEMU as the first process of a PID namespace: when it ends, the
		// kernel kills what it started (the relays, which libslirp puts in
		// sessions of their own) before QEMU's exit is reported.
		args = append([]string{"--pid", "--fork", "--kill-child", "--", bin}, args...)
		bin = "unshare"
	}
	if cfg.Netns != "" {
		args = append([]string{"--net=" + cfg.Netns, "--", bin}, args...)
		bin = "nsenter"
	}
	logger.Debug("starting VM", "name", name, "fstype", fstype, "vers", cfg.Vers, "options", redactOptions(options))
	cmd := exec.CommandContext(ctx, bin, args...)
	var qemuErr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &qemuErr, max: 64 << 10}
	cmd.Stderr = cmd.Stdout
	// Own process group, so that a kill reaches unshare and QEMU at once;
	// killed with the test process too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("vm: start qemu: %w", err)
	}
	waitErr := cmd.Wait()
	// QEMU is gone; end anything left in its process group.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	res.Elapsed = time.Since(start)
	res.HostLog = qemuErr.String()

	out, _ := readLimited(filepath.Join(dir, "output"), maxOutput, false)
	res.Output = out
	res.Console, _ = readLimited(filepath.Join(dir, "console.log"), maxConsole, true)
	stLog, _ := readLimited(filepath.Join(dir, "status"), 64<<10, true)
	st, raw, ok := parseStatus(stLog)
	res.Status = raw
	if ctx.Err() != nil {
		return res, fmt.Errorf("vm: %s: killed after %v: %w", name, res.Elapsed.Round(time.Millisecond), context.Cause(ctx))
	}
	if !ok {
		return res, fmt.Errorf("%w (%s: qemu: %v %s)", ErrNoStatus, name, waitErr, tail(qemuErr.String(), 2000))
	}
	switch st.Fields["stage"] {
	case "done":
		res.ExitCode = st.Exit
		res.Unmounted = st.Fields["umount"] == "ok"
		return res, nil
	case "mount":
		if r := st.Fields["reason"]; r != "" {
			return res, fmt.Errorf("%w: %s -o %s: %s (program %s)", ErrMount, source, redactOptions(options), r, st.Fields["program"])
		}
		return res, fmt.Errorf("%w: %s -o %s", ErrMount, source, redactOptions(options))
	default:
		return res, fmt.Errorf("%w: %s", ErrGuestSetup, raw)
	}
}

// writeInitrd writes the cached base initramfs followed by an uncompressed
// archive with this run's config, script and files (the kernel unpacks both;
// later entries win).
func writeInitrd(base, dst string, cfg Config, config []byte) error {
	baseData, err := os.ReadFile(base)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Write(baseData)
	cw := NewCPIOWriter(&buf)
	if err := cw.File("run/config", 0o644, config); err != nil {
		return err
	}
	if err := cw.File("run/script", 0o755, []byte(cfg.Script)); err != nil {
		return err
	}
	dirs := map[string]bool{}
	for _, f := range cfg.Files {
		data := f.Data
		if f.Source != "" {
			if data, err = os.ReadFile(f.Source); err != nil {
				return err
			}
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o755
		}
		// Parent directories first; a directory the base archive already
		// has is simply made again.
		var parents []string
		for d := path.Dir(f.Path); d != "/" && !dirs[d]; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
			dirs[d] = true
		}
		for _, d := range parents {
			if err := cw.Dir(d, 0o755); err != nil {
				return err
			}
		}
		if err := cw.File(f.Path, mode, data); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// readLimited reads at most max bytes of a file: the start, or the end when
// fromEnd is set.
func readLimited(p string, max int64, fromEnd bool) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fromEnd {
		if st, err := f.Stat(); err == nil && st.Size() > max {
			if _, err := f.Seek(st.Size()-max, io.SeekStart); err != nil {
				return "", err
			}
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, max))
	return string(b), err
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

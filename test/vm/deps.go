package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
)

// HostPackages returns the Debian packages Run needs on the host, besides the
// kernel package it downloads (but does not install) itself.
func HostPackages() []string {
	return []string{"qemu-system-x86", "busybox-static", "xz-utils", "util-linux"}
}

// ErrNotRoot is returned when a missing Debian package would have to be
// installed and the process is not root. Run test/install-deps.sh as root.
var ErrNotRoot = errors.New("vm: missing Debian packages and not running as root (run test/install-deps.sh)")

// EnsurePackages installs those of pkgs that dpkg does not report as installed,
// with one "apt-get update" first when anything is missing. It does nothing
// (and needs no root) when everything is present.
func EnsurePackages(ctx context.Context, logger *slog.Logger, pkgs ...string) error {
	var missing []string
	for _, p := range pkgs {
		if !packageInstalled(ctx, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: %s", ErrNotRoot, strings.Join(missing, " "))
	}
	logger.Info("installing Debian packages", "packages", missing)
	if err := aptGet(ctx, "update", "-qq"); err != nil {
		return err
	}
	args := append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)
	return aptGet(ctx, args...)
}

func packageInstalled(ctx context.Context, pkg string) bool {
	out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return err == nil && strings.HasSuffix(strings.TrimSpace(string(out)), " installed")
}

func packageVersion(ctx context.Context, pkg string) (string, error) {
	out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil {
		return "", fmt.Errorf("vm: dpkg-query %s: %w", pkg, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func aptGet(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("vm: apt-get %s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 2000))
	}
	return nil
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

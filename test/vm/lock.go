package vm

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// lockBinaries are the host programs a Lock run copies into the guest, with
// their shared libraries: rpcbind (Debian rpcbind), where the guest kernel
// finds its statd, rpc.statd (Debian nfs-common), the guest's NSM, and nft
// (Debian nftables), which sets up the source NAT of the server's
// callbacks (see init.sh).
func lockBinaries() []string {
	return []string{"/usr/sbin/rpcbind", "/usr/sbin/rpc.statd", "/usr/sbin/nft"}
}

// lockPackages are the Debian packages lockBinaries come from.
func lockPackages() []string { return []string{"rpcbind", "nfs-common", "nftables"} }

// lockFiles returns the guest files of a Lock run: lockBinaries, every
// shared library ldd lists for them, /etc/netconfig (libtirpc reads it to
// choose transports) and /etc/services (rpcbind looks up "sunrpc").
func lockFiles(ctx context.Context, logger *slog.Logger) ([]File, error) {
	if err := EnsurePackages(ctx, logger, lockPackages()...); err != nil {
		return nil, err
	}
	var files []File
	seen := map[string]bool{}
	add := func(guest, host string) {
		if !seen[guest] {
			seen[guest] = true
			files = append(files, File{Path: guest, Source: host})
		}
	}
	for _, bin := range lockBinaries() {
		add(bin, bin)
		out, err := exec.CommandContext(ctx, "ldd", bin).Output()
		if err != nil {
			return nil, fmt.Errorf("vm: ldd %s: %w", bin, err)
		}
		libs, err := parseLdd(out)
		if err != nil {
			return nil, fmt.Errorf("vm: ldd %s: %w", bin, err)
		}
		for _, l := range libs {
			// The library under the name the loader looks for, read
			// through any symlink.
			real, err := filepath.EvalSymlinks(l)
			if err != nil {
				return nil, fmt.Errorf("vm: %s needs %s: %w", bin, l, err)
			}
			add(l, real)
		}
	}
	add("/etc/netconfig", "/etc/netconfig")
	add("/etc/services", "/etc/services")
	return files, nil
}

// parseLdd returns the absolute library paths of ldd's output: the target
// of "name => /path (addr)" lines and the loader's "/path (addr)" line.
func parseLdd(out []byte) ([]string, error) {
	var libs []string
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs = append(libs, f[2])
		case len(f) >= 3 && f[1] == "=>" && f[2] == "not":
			return nil, fmt.Errorf("library %s not found", f[0])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			libs = append(libs, f[0])
		}
	}
	if !slices.ContainsFunc(libs, func(s string) bool { return strings.Contains(s, "/ld-linux") }) {
		return nil, fmt.Errorf("no dynamic loader in the output")
	}
	return libs, nil
}

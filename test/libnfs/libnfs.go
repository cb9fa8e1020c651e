// Package libnfs drives the libnfs command-line tools (Debian's
// libnfs-utils: nfs-ls, nfs-cat, nfs-cp), a user-space NFS client for tests
// that need no kernel mount and no VM. The tools run on the host, so they
// reach a server on 127.0.0.1 directly, or in a network namespace
// (Client.Netns) such as the NFS-Ganesha reference server's.
//
//	c := libnfs.Client{Server: "127.0.0.1:2049", MountPort: 20048, Export: "/export", Version: 3}
//	names, err := c.Ls(ctx, "/")
//	data, err := c.Cat(ctx, "/hello")
//
// The tools need the server's ports given in the URL (nfsport, mountport),
// so they never ask a portmapper.
package libnfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os/exec"
	"path"
	"strconv"
	"strings"

	"github.com/dittofs/dittofs/test/vm"
)

// Packages returns the Debian packages the tools come in.
func Packages() []string { return []string{"libnfs-utils", "util-linux"} }

// Client names a server and an export. The zero value is not usable: Server
// and Export are required.
type Client struct {
	// Server is "127.0.0.1:PORT" (loopback only).
	Server string
	// MountPort is the MOUNT port (NFSv3).
	MountPort int
	// Export is the exported path, for example "/export".
	Export string
	// Version is 3 or 4; 3 when zero. libnfs 5's NFSv4 support is
	// limited (READ and WRITE may fail), so prefer 3.
	Version int
	// Netns, when set, is the network namespace to run the tools in.
	Netns string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Entry is one line of nfs-ls output.
type Entry struct {
	Mode  string // as ls prints it, "-rw-r--r--"
	Nlink int
	UID   int
	GID   int
	Size  int64
	Name  string
}

// URL returns the nfs:// URL of p (a path inside the export).
func (c Client) URL(p string) (string, error) {
	ap, err := netip.ParseAddrPort(c.Server)
	if err != nil {
		return "", fmt.Errorf("libnfs: Server %q: %w", c.Server, err)
	}
	if !ap.Addr().IsLoopback() {
		return "", fmt.Errorf("libnfs: Server %q is not a loopback address", c.Server)
	}
	if !strings.HasPrefix(c.Export, "/") {
		return "", errors.New("libnfs: Export must be an absolute path")
	}
	version := c.Version
	if version == 0 {
		version = 3
	}
	if version != 3 && version != 4 {
		return "", fmt.Errorf("libnfs: Version %d: want 3 or 4", version)
	}
	q := url.Values{}
	q.Set("version", strconv.Itoa(version))
	q.Set("nfsport", strconv.Itoa(int(ap.Port())))
	if version == 3 {
		if c.MountPort <= 0 {
			return "", errors.New("libnfs: NFSv3 needs MountPort")
		}
		q.Set("mountport", strconv.Itoa(c.MountPort))
	}
	full := path.Join(c.Export, p)
	// libnfs does not percent-decode the path, so it goes in verbatim.
	if strings.ContainsAny(full, "?#%&\x00") {
		return "", fmt.Errorf("libnfs: path %q has a character libnfs URLs cannot carry", full)
	}
	return "nfs://" + ap.Addr().String() + full + "?" + q.Encode(), nil
}

func (c Client) run(ctx context.Context, stdin []byte, tool string, args ...string) ([]byte, error) {
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := vm.EnsurePackages(ctx, logger, Packages()...); err != nil {
		return nil, err
	}
	name, argv := tool, args
	if c.Netns != "" {
		name, argv = "nsenter", append([]string{"--net=" + c.Netns, "--", tool}, args...)
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("libnfs: %s %s: %w: %s", tool, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}

// Ls lists a directory of the export.
func (c Client) Ls(ctx context.Context, dir string) ([]Entry, error) {
	u, err := c.URL(dir)
	if err != nil {
		return nil, err
	}
	out, err := c.run(ctx, nil, "nfs-ls", u)
	if err != nil {
		return nil, err
	}
	return ParseLs(string(out))
}

// Cat returns the content of a file of the export.
func (c Client) Cat(ctx context.Context, p string) ([]byte, error) {
	u, err := c.URL(p)
	if err != nil {
		return nil, err
	}
	return c.run(ctx, nil, "nfs-cat", u)
}

// Put copies the local file src to p in the export.
func (c Client) Put(ctx context.Context, src, p string) error {
	u, err := c.URL(p)
	if err != nil {
		return err
	}
	_, err = c.run(ctx, nil, "nfs-cp", src, u)
	return err
}

// Get copies p in the export to the local file dst.
func (c Client) Get(ctx context.Context, p, dst string) error {
	u, err := c.URL(p)
	if err != nil {
		return err
	}
	_, err = c.run(ctx, nil, "nfs-cp", u, dst)
	return err
}

// ParseLs parses nfs-ls output: "MODE NLINK UID GID SIZE NAME" per line
// (the name is the rest of the line and may hold spaces).
func ParseLs(out string) ([]Entry, error) {
	var ents []Entry
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		var e Entry
		rest := line
		fields := make([]string, 5)
		for i := range fields {
			rest = strings.TrimLeft(rest, " ")
			f, r, ok := strings.Cut(rest, " ")
			if !ok {
				return nil, fmt.Errorf("libnfs: nfs-ls line %q: too few fields", line)
			}
			fields[i], rest = f, r
		}
		var errs [4]error
		e.Mode = fields[0]
		e.Nlink, errs[0] = strconv.Atoi(fields[1])
		e.UID, errs[1] = strconv.Atoi(fields[2])
		e.GID, errs[2] = strconv.Atoi(fields[3])
		e.Size, errs[3] = strconv.ParseInt(fields[4], 10, 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("libnfs: nfs-ls line %q: %w", line, err)
		}
		if len(e.Mode) != 10 {
			return nil, fmt.Errorf("libnfs: nfs-ls line %q: bad mode", line)
		}
		e.Name = strings.TrimLeft(rest, " ")
		if e.Name == "" {
			return nil, fmt.Errorf("libnfs: nfs-ls line %q: no name", line)
		}
		ents = append(ents, e)
	}
	return ents, nil
}

package vm

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

//go:embed init.sh
var initScript []byte

// guestModules are the kernel modules /init loads, in insmod order: the virtio
// NIC, then the NFS client (Debian 6.1 kernels, where nfs_ssc is built in).
func guestModules() []string {
	return []string{
		"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
		"failover", "net_failover", "virtio_net",
		"netfs", "fscache", "sunrpc", "grace", "lockd", "nfs", "nfs_acl", "nfsv3", "dns_resolver", "nfsv4",
	}
}

// lockModules are the modules /init loads only for a Lock run, in insmod
// order: nf_tables with NAT, for the rule that makes the server's callbacks
// (which QEMU delivers from its host address, 10.0.2.2) come from the
// address the guest mounted, 10.0.2.100 (see init.sh). crc32c_generic is
// there because libcrc32c asks the crypto API for crc32c, and the guest
// has no modprobe to load it on demand.
func lockModules() []string {
	return []string{
		"crc32c_generic", "libcrc32c", "nfnetlink", "nf_tables", "nf_defrag_ipv4", "nf_defrag_ipv6",
		"nf_conntrack", "nf_nat", "nft_chain_nat", "nft_nat",
	}
}

// cifsModules are the modules /init loads only for an SMB run (Config.SMB),
// in insmod order: the Linux cifs client (which also needs fscache and
// dns_resolver, loaded for NFS already) and the crypto its softdeps name
// that Debian builds as modules (hmac, md5, sha256 and aes are built in):
// SHA-512 for the SMB 3.1.1 preauth integrity hash, CMAC for SMB 3.0
// signing, GCM and CCM (with ctr and ghash) for SMB 3 encryption and GMAC
// signing. The guest has no modprobe, so the kernel cannot load any of
// them on demand.
func cifsModules() []string {
	return []string{
		"cifs_arc4", "cifs_md4", "sha512_generic", "cmac", "ecb", "ctr", "gf128mul", "ghash-generic", "gcm", "ccm",
		"nls_utf8", "cifs",
	}
}

// initramfsFormat is bumped whenever the layout of the cached initramfs
// changes in a way its other inputs do not show.
const initramfsFormat = "4"

// assets are the cached files one boot needs.
type assets struct {
	Kernel    string // PVH ELF (or bzImage when PVH is false)
	PVH       bool
	Initramfs string // gzipped newc cpio, padded to 4 bytes
	Helper    string // static vmhelper binary, also the host-side relay
}

// prepare returns the cached assets, building what is missing. It holds an
// exclusive lock on the cache directory meanwhile, so concurrent runs (in
// this process or others) build each asset once.
func prepare(ctx context.Context, cacheDir string, logger *slog.Logger) (assets, error) {
	if err := EnsurePackages(ctx, logger, HostPackages()...); err != nil {
		return assets{}, err
	}
	if err := os.MkdirAll(filepath.Join(cacheDir, "kernel"), 0o755); err != nil {
		return assets{}, err
	}
	unlock, err := lockDir(cacheDir)
	if err != nil {
		return assets{}, err
	}
	defer unlock()

	var a assets
	a.Helper, err = buildHelper(ctx, cacheDir)
	if err != nil {
		return a, err
	}
	deb, err := kernelDeb(ctx, filepath.Join(cacheDir, "kernel"), logger)
	if err != nil {
		return a, err
	}
	debBase := strings.TrimSuffix(filepath.Base(deb), ".deb")
	bbVersion, err := packageVersion(ctx, "busybox-static")
	if err != nil {
		return a, err
	}
	helperSum, err := fileSHA256(a.Helper)
	if err != nil {
		return a, err
	}
	key := cacheKey(initramfsFormat, debBase, bbVersion, helperSum, string(initScript), strings.Join(guestModules(), " "),
		strings.Join(lockModules(), " "), strings.Join(cifsModules(), " "))
	a.Initramfs = filepath.Join(cacheDir, "initramfs-"+key+".cpio.gz")
	pvhPath := filepath.Join(cacheDir, "kernel", debBase+".pvh")
	bzPath := filepath.Join(cacheDir, "kernel", debBase+".bzImage")

	haveInitramfs := fileExists(a.Initramfs)
	switch {
	case fileExists(pvhPath):
		a.Kernel, a.PVH = pvhPath, true
	case fileExists(bzPath):
		a.Kernel = bzPath
	}
	if haveInitramfs && a.Kernel != "" {
		return a, nil
	}

	logger.Info("building VM kernel and initramfs", "kernel", debBase, "cache", cacheDir)
	root, err := os.MkdirTemp(cacheDir, "unpack-")
	if err != nil {
		return a, err
	}
	defer os.RemoveAll(root)
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
		return a, fmt.Errorf("vm: dpkg-deb -x %s: %w: %s", deb, err, out)
	}
	kver, vmlinuz, err := unpackedKernel(root)
	if err != nil {
		return a, err
	}
	if a.Kernel == "" {
		if err := extractPVH(ctx, vmlinuz, pvhPath); err == nil {
			a.Kernel, a.PVH = pvhPath, true
		} else {
			logger.Warn("kernel has no usable PVH entry; booting the bzImage (slower)", "err", err)
			if err := copyFile(vmlinuz, bzPath); err != nil {
				return a, err
			}
			a.Kernel = bzPath
		}
	}
	if !haveInitramfs {
		if err := buildInitramfs(ctx, filepath.Join(root, "lib", "modules", kver), a.Helper, a.Initramfs); err != nil {
			return a, err
		}
	}
	return a, nil
}

// kernelDeb returns the cached Debian kernel package, downloading the one
// linux-image-amd64 depends on when the cache holds none.
func kernelDeb(ctx context.Context, dir string, logger *slog.Logger) (string, error) {
	debs, _ := filepath.Glob(filepath.Join(dir, "linux-image-*.deb"))
	if len(debs) > 0 {
		slices.Sort(debs)
		return debs[len(debs)-1], nil
	}
	pkg, err := kernelPackage(ctx)
	if err != nil {
		if os.Geteuid() != 0 {
			return "", err
		}
		if err := aptGet(ctx, "update", "-qq"); err != nil {
			return "", err
		}
		if pkg, err = kernelPackage(ctx); err != nil {
			return "", err
		}
	}
	logger.Info("downloading kernel package", "package", pkg)
	tmp, err := os.MkdirTemp(dir, "download-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	// apt-get download as root drops to _apt when it can; let it write here.
	_ = os.Chmod(tmp, 0o777)
	cmd := exec.CommandContext(ctx, "apt-get", "download", "-qq", pkg)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("vm: apt-get download %s: %w: %s", pkg, err, tail(string(out), 2000))
	}
	got, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(got) != 1 {
		return "", fmt.Errorf("vm: apt-get download %s left %d packages", pkg, len(got))
	}
	dst := filepath.Join(dir, filepath.Base(got[0]))
	return dst, os.Rename(got[0], dst)
}

// kernelPackage asks apt which versioned package linux-image-amd64 stands for.
func kernelPackage(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", "linux-image-amd64").Output()
	if err != nil {
		return "", fmt.Errorf("vm: apt-cache depends linux-image-amd64: %w", err)
	}
	if pkg := parseKernelDepends(string(out)); pkg != "" {
		return pkg, nil
	}
	return "", errors.New("vm: apt-cache names no kernel package for linux-image-amd64 (run apt-get update)")
}

// parseKernelDepends picks the linux-image-* dependency from the output of
// "apt-cache depends linux-image-amd64".
func parseKernelDepends(out string) string {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
			return f[1]
		}
	}
	return ""
}

// unpackedKernel finds the kernel version and its vmlinuz in an unpacked
// linux-image package.
func unpackedKernel(root string) (kver, vmlinuz string, err error) {
	ents, err := os.ReadDir(filepath.Join(root, "lib", "modules"))
	if err != nil || len(ents) != 1 {
		return "", "", fmt.Errorf("vm: unpacked kernel package has no single lib/modules/<version>: %v", err)
	}
	kver = ents[0].Name()
	vmlinuz = filepath.Join(root, "boot", "vmlinuz-"+kver)
	if !fileExists(vmlinuz) {
		return "", "", fmt.Errorf("vm: %s missing", vmlinuz)
	}
	return kver, vmlinuz, nil
}

// buildInitramfs writes the gzipped base initramfs: busybox and its applet
// links, vmhelper, the guest modules with their load order, a few /etc files
// and /init.
func buildInitramfs(ctx context.Context, modDir, helper, dst string) error {
	index := map[string]string{}
	err := filepath.WalkDir(modDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".ko") {
			index[strings.TrimSuffix(d.Name(), ".ko")] = p
		}
		return nil
	})
	if err != nil {
		return err
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("vm: busybox: %w", err)
	}
	listOut, err := exec.CommandContext(ctx, busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("vm: busybox --list-full: %w", err)
	}

	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	cw := NewCPIOWriter(zw)
	for _, d := range []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev",
		"tmp", "run", "mnt", "root", "home", "lib", "lib/modules", "var"} {
		if err := cw.Dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := addHostFile(cw, "bin/busybox", busybox, 0o755); err != nil {
		return err
	}
	if err := addHostFile(cw, "bin/vmhelper", helper, 0o755); err != nil {
		return err
	}
	for applet := range strings.Lines(string(listOut)) {
		applet = strings.TrimSpace(applet)
		if applet == "" || applet == "bin/busybox" {
			continue
		}
		if err := cw.Symlink(applet, "/bin/busybox"); err != nil {
			return err
		}
	}
	addModules := func(list []string) (string, error) {
		var order []string
		for _, m := range list {
			p, ok := index[m]
			if !ok {
				return "", fmt.Errorf("vm: kernel module %s.ko not found under %s", m, modDir)
			}
			if err := addHostFile(cw, "lib/modules/"+m+".ko", p, 0o644); err != nil {
				return "", err
			}
			order = append(order, m)
		}
		return strings.Join(order, "\n") + "\n", nil
	}
	order, err := addModules(guestModules())
	if err != nil {
		return err
	}
	lockOrder, err := addModules(lockModules())
	if err != nil {
		return err
	}
	cifsOrder, err := addModules(cifsModules())
	if err != nil {
		return err
	}
	files := []struct {
		name string
		mode fs.FileMode
		data string
	}{
		{"lib/modules/load-order", 0o644, order},
		{"lib/modules/lock-order", 0o644, lockOrder},
		{"lib/modules/cifs-order", 0o644, cifsOrder},
		{"etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/home:/bin/sh\nbob:x:1001:1001:bob:/home:/bin/sh\n_rpc:x:100:65534::/run/rpcbind:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n"},
		{"etc/group", 0o644, "root:x:0:\nalice:x:1000:\nbob:x:1001:\nstaff:x:50:alice,bob\nnogroup:x:65534:\n"},
		{"etc/hosts", 0o644, "127.0.0.1 localhost\n"},
		{"init", 0o755, string(initScript)},
	}
	for _, f := range files {
		if err := cw.File(f.name, f.mode, []byte(f.data)); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	// Pad the gzip member to 4 bytes so a second archive can follow it.
	for buf.Len()%4 != 0 {
		buf.WriteByte(0)
	}
	return writeFileAtomic(dst, buf.Bytes(), 0o644)
}

func addHostFile(cw *CPIOWriter, name, src string, mode fs.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return cw.File(name, mode, data)
}

// extractPVH decompresses the ELF vmlinux out of a bzImage (whose payload is
// xz) and keeps it only if it carries the PVH entry note, so QEMU can start it
// directly without a real-mode BIOS boot.
func extractPVH(ctx context.Context, bzImage, dst string) error {
	data, err := os.ReadFile(bzImage)
	if err != nil {
		return err
	}
	off := bytes.Index(data, []byte{0xFD, '7', 'z', 'X', 'Z', 0x00})
	if off < 0 {
		return errors.New("no xz payload")
	}
	cmd := exec.CommandContext(ctx, "xz", "-dc", "--single-stream")
	cmd.Stdin = bytes.NewReader(data[off:])
	var out, stderr bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	// xz complains about the bytes after the stream; the stream itself is whole.
	runErr := cmd.Run()
	if out.Len() == 0 {
		return fmt.Errorf("xz: %v: %s", runErr, stderr.String())
	}
	ok, err := hasPVHNote(out.Bytes())
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)")
	}
	return writeFileAtomic(dst, out.Bytes(), 0o644)
}

// buildHelper compiles vmhelper statically into the cache, named by its hash.
func buildHelper(ctx context.Context, cacheDir string) (string, error) {
	tmp := filepath.Join(cacheDir, fmt.Sprintf("vmhelper.%d.tmp", os.Getpid()))
	defer os.Remove(tmp)
	if err := BuildStatic(ctx, "github.com/dittofs/dittofs/test/vm/internal/vmhelper", tmp); err != nil {
		return "", err
	}
	sum, err := fileSHA256(tmp)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(cacheDir, "vmhelper-"+sum[:16])
	if fileExists(dst) {
		return dst, nil
	}
	return dst, os.Rename(tmp, dst)
}

// BuildStatic builds the Go package pkg (an import path in this module, or a
// directory) into the static executable out, with CGO_ENABLED=0 and
// -trimpath, so that the binary runs in the guest's initramfs and the same
// sources give the same bytes.
func BuildStatic(ctx context.Context, pkg, out string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("vm: the go command is needed to build %s: %w", pkg, err)
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("vm: go build %s: %w: %s", pkg, err, b)
	}
	return nil
}

func cacheKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeFileAtomic(dst, data, 0o644)
}

// writeFileAtomic writes data to a temporary file next to dst and renames it,
// so that a reader never sees a partial cache entry.
func writeFileAtomic(dst string, data []byte, perm fs.FileMode) error {
	tmp := fmt.Sprintf("%s.%d.tmp", dst, os.Getpid())
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// lockDir takes an exclusive flock on dir/lock.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

//go:build e2e

package smb_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/bench"
	"github.com/dittofs/dittofs/test/conformance"
	"github.com/dittofs/dittofs/test/internal/nfstest"
	"github.com/dittofs/dittofs/test/libnfs"
	"github.com/dittofs/dittofs/test/vm"
)

const (
	smbUser     = "alice"
	smbPassword = "s3cret.pass"
	// The big file is blocks of a fixed header ("block NNNN\n") and a
	// fixed pseudo-random body, bigBlocks MiB in all: each MiB differs
	// from the others, so a block written or read at the wrong offset
	// changes the checksum.
	bigBlocks = 256
	// stamp is the guest shell that prints the guest's uptime and a label.
	stamp  = "echo \"t=$(cut -d' ' -f1 /proc/uptime) %s\"\n"
	header = "block %04d\n"
)

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// startFullserver builds and starts examples/fullserver with memory
// stores, NFSv3 and SMB on ephemeral ports of 127.0.0.1 and one SMB user.
func startFullserver(t *testing.T) *bench.Fullserver {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fullserver")
	if err := bench.BuildFullserver(t.Context(), bin); err != nil {
		t.Fatal(err)
	}
	srv, err := bench.StartFullserverWith(t.Context(), bin, func(l string) { t.Log("fullserver:", l) },
		[]string{"DITTOFS_SMB_PASSWORD=" + smbPassword}, []string{"nfs", "smb"},
		"--memory", "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off", "--nlm=false", "--export", "/export",
		"--smb-addr", "127.0.0.1:0", "--smb-user", smbUser, "--grace", "1s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// smbConfig is the guest configuration mounting srv's share /export.
func smbConfig(srv *bench.Fullserver, vers string) vm.Config {
	return vm.Config{
		Server: srv.Addrs["smb"],
		Export: "/export",
		Vers:   vers,
		SMB:    &vm.SMBLogon{User: smbUser, Password: smbPassword},
	}
}

// body is the part of every 1 MiB block after its header.
func body() []byte {
	b := make([]byte, 1<<20-len(fmt.Sprintf(header, 0)))
	r := rand.NewChaCha8([32]byte{'d', 'i', 't', 't', 'o'})
	r.Read(b)
	return b
}

// bigSum is the SHA-256 of the whole big file.
func bigSum(body []byte) string {
	h := sha256.New()
	for i := range bigBlocks {
		fmt.Fprintf(h, header, i)
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeBig is the guest shell that writes the big file NAME from /body.
func writeBig(name string) string {
	return fmt.Sprintf("i=0\nwhile [ $i -lt %d ]; do printf '%s' $i; cat /body; i=$((i+1)); done | dd of=%s bs=4M iflag=fullblock 2>/dev/null\n",
		bigBlocks, strings.ReplaceAll(header, "\n", `\n`), name)
}

// readSum is the guest shell that prints "sha256 NAME SUM" for NAME read
// from the server: the client's cached pages are dropped first.
func readSum(name string) string {
	return fmt.Sprintf("sync\necho 3 >/proc/sys/vm/drop_caches\necho \"sha256 %s $(dd if=%s bs=4M 2>/dev/null | sha256sum | cut -d' ' -f1)\"\n", name, name)
}

// namespaceOps is the guest shell for mkdir, ls, rename, rm and rmdir,
// each result printed.
const namespaceOps = `mkdir d-$V
echo hello >d-$V/a
ls d-$V
mv d-$V/a d-$V/b
echo "after rename: $(ls d-$V)"
cat d-$V/b
rm d-$V/b
rmdir d-$V
[ ! -e d-$V ] && echo "d-$V gone"
`

var sumLine = regexp.MustCompile(`(?m)^sha256 (\S+) ([0-9a-f]{64})$`)

// TestCIFSKernelClient: the Linux kernel cifs client (Debian's 6.1 in the
// test/vm guest) mounts fullserver's SMB share with vers=3.1.1 and then
// vers=2.1, writes a 256 MiB file, reads it back from the server with the
// page cache dropped and compares SHA-256 with what the host computed, and
// runs mkdir, ls, rename, rm and rmdir; the 2.1 mount also sees (size)
// and removes the file the 3.1.1 mount wrote. After each run the host reads the
// file over NFSv3 (libnfs, the same store) and checks the bytes. [MS-SMB2]
// 3.3.5 (server processing of CREATE, READ, WRITE, SET_INFO rename and
// disposition).
func TestCIFSKernelClient(t *testing.T) {
	ctx := t.Context()
	logger := testLogger(t)
	srv := startFullserver(t)
	nfsAP := netip.MustParseAddrPort(srv.Addr)
	nfs := libnfs.Client{Server: srv.Addr, MountPort: int(nfsAP.Port()), Export: "/export", Version: 3, Logger: logger}

	b := body()
	want := bigSum(b)
	prev := ""
	for _, vers := range []string{"3.1.1", "2.1"} {
		t.Run("vers="+vers, func(t *testing.T) {
			name := "big-" + vers
			script := "set -e\nV=" + vers + "\ngrep ' cifs ' /proc/mounts | grep -o 'vers=[0-9.]*'\n"
			if prev != "" {
				// What the other dialect wrote, seen and removed here (its
				// bytes were checked over NFSv3; reading them again would
				// add 20 s).
				script += "echo \"size $(stat -c %s " + prev + ")\"\nrm " + prev + "\n"
			}
			script += fmt.Sprintf(stamp, "write") + writeBig(name) + fmt.Sprintf(stamp, "written") + "ls -l " + name + "\n" +
				readSum(name) + fmt.Sprintf(stamp, "read") + namespaceOps
			cfg := smbConfig(srv, vers)
			cfg.Script = script
			cfg.Files = []vm.File{{Path: "/body", Data: b, Mode: 0o644}}
			cfg.Timeout, cfg.Logger = 120*time.Second, logger
			res, err := vm.Run(ctx, cfg)
			t.Logf("vers=%s: %v from QEMU start to power-off", vers, res.Elapsed.Round(time.Millisecond))
			if err != nil {
				t.Fatalf("%v\noutput:\n%s\nconsole:\n%s", err, res.Output, res.Console)
			}
			if res.ExitCode != 0 || !res.Unmounted {
				t.Fatalf("exit %d, unmounted %v; output:\n%s\nconsole:\n%s", res.ExitCode, res.Unmounted, res.Output, res.Console)
			}
			t.Logf("guest output:\n%s", res.Output)
			if !strings.Contains(res.Output, "vers="+vers+"\n") {
				t.Errorf("the guest did not mount vers=%s:\n%s", vers, res.Output)
			}
			sums := map[string]string{}
			for _, m := range sumLine.FindAllStringSubmatch(res.Output, -1) {
				sums[m[1]] = m[2]
			}
			if sums[name] != want {
				t.Errorf("guest read %s with SHA-256 %q, want %s", name, sums[name], want)
			}
			if prev != "" && !strings.Contains(res.Output, fmt.Sprintf("size %d\n", bigBlocks<<20)) {
				t.Errorf("the guest did not see %s with %d bytes:\n%s", prev, bigBlocks<<20, res.Output)
			}
			for _, s := range []string{"hello\n", "after rename: b\n", "d-" + vers + " gone\n"} {
				if !strings.Contains(res.Output, s) {
					t.Errorf("output lacks %q:\n%s", s, res.Output)
				}
			}

			// The host, over NFSv3 through the same store.
			data, err := nfs.Cat(ctx, "/"+name)
			if err != nil {
				t.Fatal(err)
			}
			if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != want {
				t.Errorf("NFSv3 read %d bytes of %s with SHA-256 %x, want %d bytes with %s", len(data), name, got, bigBlocks<<20, want)
			}
			ents, err := nfs.Ls(ctx, "/")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name)
			}
			if !slices.Contains(names, name) || slices.Contains(names, prev) {
				t.Errorf("NFSv3 lists %v, want %s and not %q", names, name, prev)
			}
			prev = name
		})
	}
	if err := srv.Err(); err != nil {
		t.Error(err)
	}
}

// posixcheckSMB is what posixcheck reports over the cifs client (SMB
// 3.1.1, without unix extensions) against fullserver. Every check not
// listed must PASS. The SKIPs are decided by posixcheck itself, with its
// reason: no unix modes or owners over cifs, no symlinks, no directory
// link counts. The FAILs are the server's known gaps (docs/smb.md).
// xattr.user, skipped before NFSv4.2, runs over SMB.
var posixcheckSMB = map[string]conformance.Outcome{
	"open.create_umask":      conformance.Skip,
	"chmod.modes":            conformance.Skip,
	"chown.root":             conformance.Skip,
	"perm.unprivileged":      conformance.Skip,
	"perm.dir_search":        conformance.Skip,
	"perm.chmod_chown_owner": conformance.Skip,
	"dir.setgid_inherit":     conformance.Skip,
	"sticky.dir":             conformance.Skip,
	"symlink.readlink":       conformance.Skip,
	"utimes.symlink":         conformance.Skip,
	"mkdir.nlink":            conformance.Skip,
	// Still fails with FSCTL_SET_SPARSE in the server: the cifs client
	// does not make the file sparse; why is not investigated yet.
	"io.large_sparse": conformance.Fail,
	// Replacing a directory by rename is STATUS_ACCESS_DENIED (as
	// Windows does), which the client returns as EACCES.
	"rename.dir_over_nonempty": conformance.Fail,
	// The name of an unlinked open file stays (delete pending) until the
	// last handle closes; lstat of it gets EBADF instead of ENOENT.
	"unlink.open_file": conformance.Fail,
	// A conflicting flock(LOCK_EX|LOCK_NB) gets EACCES, not EAGAIN.
	"lock.flock": conformance.Fail,
	// user.* xattrs reach the server as SMB EAs now, but the check
	// still fails over cifs; why is not investigated yet.
	"xattr.user": conformance.Fail,
}

// TestCIFSPosixcheck runs the conformance program posixcheck through the
// cifs client with vers=3.1.1: every check must pass except those of
// posixcheckSMB, which must have the outcome listed there.
func TestCIFSPosixcheck(t *testing.T) {
	srv := startFullserver(t)
	cfg := smbConfig(srv, "3.1.1")
	cfg.Timeout, cfg.Logger = 3*time.Minute, testLogger(t)
	want := nfstest.PosixcheckLocked()
	maps.Copy(want, posixcheckSMB)
	nfstest.RunPosixcheck(t, cfg, want)
	if err := srv.Err(); err != nil {
		t.Error(err)
	}
}

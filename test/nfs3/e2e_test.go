//go:build e2e

package nfs3_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
	"github.com/dittofs/dittofs/test/conformance"
	"github.com/dittofs/dittofs/test/internal/nfstest"
	"github.com/dittofs/dittofs/test/vm"
)

var update = flag.Bool("update", false, "rewrite testdata/expected-dittofs.md from this run")

const expectedFile = "testdata/expected-dittofs.md"

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startServer serves NFSv3 and MOUNT v3 on one port of 127.0.0.1 over a
// memory store, exporting "/" read-write without root squashing (the
// guest's connections come from unprivileged ports).
func startServer(t *testing.T) (*store.FS, string, int) {
	return startExport(t, "/")
}

// startExport is startServer with the export named name.
func startExport(t *testing.T, name string) (*store.FS, string, int) {
	t.Helper()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	exps, err := export.Parse(strings.NewReader(name + " *(rw,insecure,no_root_squash)\n"))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := locking.Open(t.Context(), locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locks.Close() })
	exps[0].FS, exps[0].Locks = fsys, locks
	tab, err := export.NewTable(t.Context(), export.Options{}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: tab, Logger: logger}).Register(mux)
	srv := &rpc.Server{Handler: mux, DuplicateCache: &rpc.DuplicateCache{}, Logger: logger}
	addr := rpctest.Start(t, srv)
	return fsys, addr.String(), int(addr.Port())
}

// TestKernelClient writes 256 MiB and copies a tree of 2,000 files
// through the kernel client, reads them back in the guest after dropping
// its caches, and checks on the host that the store holds the bytes the
// guest wrote.
func TestKernelClient(t *testing.T) {
	fsys, addr, port := startServer(t)
	script := `set -e
dd if=/dev/urandom bs=1M count=256 2>/dev/null | tee big | sha256sum | sed 's/ .*/ written/'
sync
echo 3 >/proc/sys/vm/drop_caches
sha256sum big
mkdir -p /tmp/tree/a/b /tmp/tree/c
i=0; while [ $i -lt 2000 ]; do echo "file $i" >/tmp/tree/a/b/f$i; i=$((i+1)); done
dd if=/dev/urandom of=/tmp/tree/c/blob bs=64k count=16 2>/dev/null
ln -s a/b/f1 /tmp/tree/link
cp -a /tmp/tree tree
echo 3 >/proc/sys/vm/drop_caches
diff -r /tmp/tree tree
[ "$(ls tree/a/b | wc -l)" = 2000 ]
mv tree/a/b/f0 tree/moved && rm tree/a/b/f1 && [ ! -e tree/a/b/f1 ]
`
	res, err := vm.Run(t.Context(), vm.Config{Server: addr, MountPort: port, Export: "/", Vers: "3", Script: script, Timeout: 15 * time.Minute})
	t.Logf("the script ran for %v", res.Elapsed.Round(time.Second))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s\nconsole:\n%s", err, res.Output, res.Console)
	}
	if res.ExitCode != 0 {
		t.Fatalf("script exited %d:\n%s", res.ExitCode, res.Output)
	}
	sums := map[string]string{}
	for _, l := range strings.Split(res.Output, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			sums[f[1]] = f[0]
		}
	}
	if sums["written"] == "" || sums["written"] != sums["big"] {
		t.Fatalf("the guest read back another checksum than it wrote: %q", res.Output)
	}
	size, sum, err := nfstest.FileSum(t.Context(), fsys, "big", sha256.New())
	if err != nil || size != 256<<20 {
		t.Fatalf("big on the server: %v size %d", err, size)
	}
	if sum != sums["big"] {
		t.Fatalf("server's sha256 %s, guest's %q", sum, sums["big"])
	}
	if !res.Unmounted {
		t.Error("the guest did not unmount cleanly")
	}
}

// TestKernelClientConformance runs posixcheck over NFSv3 (nolock) and
// compares its outcomes with testdata/expected-dittofs.md.
func TestKernelClientConformance(t *testing.T) {
	_, addr, port := startServer(t)
	rep, res, err := conformance.Run(t.Context(), vm.Config{Server: addr, MountPort: port, Export: "/", Vers: "3", Timeout: 8 * time.Minute})
	t.Logf("posixcheck ran for %v", res.Elapsed.Round(time.Second))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s\nconsole:\n%s", err, res.Output, res.Console)
	}
	for _, c := range rep.Comments {
		t.Log(c)
	}
	if *update {
		if err := os.WriteFile(expectedFile, []byte(render(rep)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := conformance.LoadExpected(expectedFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range conformance.Compare(rep, want["3"]) {
		t.Error(d)
	}
}

func render(rep conformance.Report) string {
	var b strings.Builder
	b.WriteString("# posixcheck over NFSv3 against the nfs3 package\n\n")
	b.WriteString("Written by `go test -tags e2e -run TestKernelClientConformance ./test/nfs3/ -update`.\n")
	b.WriteString("Only the NFSv3 column applies; the mount is `nolock`.\n\n")
	b.WriteString("| check | 3 | 4.0 | 4.1 | 4.2 |\n|---|---|---|---|---|\n")
	out := rep.Outcomes()
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "| %s | %s | - | - | - |\n", n, out[n])
	}
	return b.String()
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

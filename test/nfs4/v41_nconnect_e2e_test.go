//go:build e2e

package nfs4_test

import (
	"crypto/md5"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
)

// TestV41Nconnect mounts vers=4.1 with nconnect=4 (four TCP connections,
// one session). The first boot copies 256 MiB of random bytes and a
// tree of 2,000 files (cp -a), drops its caches and compares the tree
// with diff -r and checksums; the second boot reads the big file back.
// The checksums agree in the guest and on the server, and on the server
// more than one connection carried the COMPOUNDs of one session.
func TestV41Nconnect(t *testing.T) {
	timed(t)
	e := newEnv(t)
	w := e.Srv.WatchSessions()
	write := `set -e
echo "= $(grep -o 'nconnect=[0-9]*' /proc/mounts)"
dd if=/dev/urandom of=/tmp/big bs=1M count=256 2>/dev/null
md5sum /tmp/big | sed 's/ .*/ local/'
start=$(date +%s)
cp /tmp/big big
sync
echo "- write took $(( $(date +%s) - start )) s"
rm /tmp/big
` + treeScript
	read := `set -e
start=$(date +%s)
md5sum big
echo "- read took $(( $(date +%s) - start )) s"
`
	cfg := v41Guest(t, e, "guest-a", write)
	// The kernel's attribute cache on (no actimeo=0): with it off, every
	// 4 KiB read() of md5sum costs a GETATTR.
	cfg.Options = []string{"nconnect=4"}
	cfg.Timeout, cfg.MemoryMB = 6*time.Minute, 1024
	res := nfstest.Run(t, cfg)
	want := append([]string{"nconnect=4"}, treeWant...)
	if got := marked(res.Output); !slices.Equal(got, want) {
		t.Errorf("guest results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	local := sums(res.Output)["local"]
	cfg.Script = read
	res2 := nfstest.Run(t, cfg)
	back := sums(res2.Output)["big"]
	if local == "" || back != local {
		t.Errorf("md5 written %q, read back after a new mount %q", local, back)
	}
	size, sum, err := nfstest.FileSum(t.Context(), e.Srv.FS, "big", md5.New())
	if err != nil || size != 256<<20 || sum != local {
		t.Errorf("big on the server: %v, size %d, md5 %s; the guest's md5 %s", err, size, sum, local)
	}
	// Each mount is one session; each should spread its COMPOUNDs over
	// its connections.
	sessions := w.Conns()
	t.Logf("COMPOUNDs per connection of each session: %v", sessions)
	if len(sessions) != 2 {
		t.Errorf("%d sessions, want 2 (one per mount)", len(sessions))
	}
	for id, conns := range sessions {
		if len(conns) < 2 {
			t.Errorf("session %s: its COMPOUNDs came over %d connection(s), want more than one with nconnect=4", id, len(conns))
		}
	}
	e.NoWarnings(t)
}

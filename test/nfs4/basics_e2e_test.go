//go:build e2e

package nfs4_test

import (
	"crypto/md5"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
	"github.com/dittofs/dittofs/test/internal/nfstest"
	"github.com/dittofs/dittofs/test/vm"
)

// exportName is the export's path: NFSv4 reaches it through the
// pseudo-filesystem, as with examples/fullserver's default export.
const exportName = "/export"

// newEnv starts the server with NFSv4 over memory stores.
func newEnv(t *testing.T) *nfstest.Env {
	t.Helper()
	return nfstest.NewEnvWith(t, nfstest.Config{Meta: memory.NewMetadata(), Blocks: memory.NewBlocks(), Export: exportName, NFS4: true})
}

// timed logs how long the test took, when it ends.
func timed(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { t.Logf("TIMING %s: %v", t.Name(), time.Since(start).Round(100*time.Millisecond)) })
}

// protocolErrors are the nfsstat4 values a correct server never gives the
// Linux client in these tests (RFC 7530 §13): each points at a server
// bug, even when the client recovers from it. (NFS4ERR_STALE_STATEID and
// NFS4ERR_STALE_CLIENTID are right after a restart; NFS4ERR_NOTSUPP is
// the answer for what the server documents as not supported.)
var protocolErrors = map[uint32]string{
	10001: "NFS4ERR_BADHANDLE",
	10006: "NFS4ERR_SERVERFAULT",
	10025: "NFS4ERR_BAD_STATEID",
	10026: "NFS4ERR_BAD_SEQID",
	10036: "NFS4ERR_BADXDR",
	10037: "NFS4ERR_LOCKS_HELD",
	10044: "NFS4ERR_OP_ILLEGAL",
	10038: "NFS4ERR_OPENMODE",
}

// checkServer fails the test for every warning or error the server
// logged and for every COMPOUND answered with one of protocolErrors (the
// compound and its arguments are in the server's log, "nfs4 compound
// failed").
func checkServer(t *testing.T, e *nfstest.Env) {
	t.Helper()
	e.NoWarnings(t)
	for st, n := range e.Srv.Mark.CompoundStatuses() {
		if name, bad := protocolErrors[st]; bad {
			t.Errorf("%d COMPOUNDs answered %s (%d)", n, name, st)
		}
	}
}

// marked returns the lines of out that start with "= ": the script's
// results, without the noise of the commands.
func marked(out string) []string {
	var l []string
	for line := range strings.Lines(out) {
		if s, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "= "); ok {
			l = append(l, s)
		}
	}
	return l
}

// TestMountBasics mounts vers=4.0 and runs the everyday operations:
// mkdir, create, write, read, rename, symlink, hard link, chmod, truncate
// (shrink and extend), chown to ids the guest has no names for (shown
// back as numbers: numeric id mapping), ls -ln, stat sizes, remove; then
// checks on the server what the guest left.
func TestMountBasics(t *testing.T) {
	timed(t)
	e := newEnv(t)
	res := nfstest.Run(t, e.Guest4(t, "guest-a", "set -e\n"+basicsScript))
	checkBasics(t, e, res, basicsWant)
	checkServer(t, e)
}

// basicsScript is the guest side of TestMountBasics and TestV41Basics;
// each "= " line is a result.
const basicsScript = `mkdir d
echo hello >d/f
echo "= read $(cat d/f)"
mv d/f d/g
[ ! -e d/f ]
ln -s g d/s
echo "= readlink $(readlink d/s) $(cat d/s)"
ln d/g d/h
echo "= nlink $(stat -c %h d/g)"
chmod 640 d/g
echo "= mode $(stat -c %a d/h)"
truncate -s 10000 d/g
echo "= size $(stat -c %s d/g)"
truncate -s 3 d/g
echo "= size $(stat -c %s d/g) $(cat d/g)"
dd if=/dev/zero of=d/z bs=1k count=100 2>/dev/null
echo "= size $(stat -c %s d/z)"
echo kept >keep
chown 1234:5678 keep
echo "= owner $(ls -ln keep | awk '{print $3, $4}')"
echo "= stat owner $(stat -c '%u %g' keep)"
echo "= ls $(ls d | tr '\n' ' ')"
rm d/h d/s
echo "= nlink $(stat -c %h d/g)"
rm -r d
[ ! -e d ]
echo "= ls $(ls | tr '\n' ' ')"
`

// basicsWant is what basicsScript prints on a correct server.
var basicsWant = []string{
	"read hello",
	"readlink g hello",
	"nlink 2",
	"mode 640",
	"size 10000",
	"size 3 hel",
	"size 102400",
	"owner 1234 5678",
	"stat owner 1234 5678",
	"ls g h s z ",
	"nlink 1",
	"ls keep ",
}

// checkBasics checks a run of basicsScript: the guest's results, a clean
// umount, and the file it left on the server.
func checkBasics(t *testing.T, e *nfstest.Env, res vm.Result, want []string) {
	t.Helper()
	if got := marked(res.Output); !slices.Equal(got, want) {
		t.Errorf("guest results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !res.Unmounted {
		t.Error("the guest did not unmount cleanly")
	}
	fsys := e.Srv.FS
	_, a, err := fsys.Lookup(t.Context(), &store.Cred{}, fsys.Root(), "keep")
	if err != nil || a.UID != 1234 || a.GID != 5678 || a.Size != 5 {
		t.Errorf("keep on the server: %v uid %d gid %d size %d", err, a.UID, a.GID, a.Size)
	}
}

// sums parses "md5 name" lines (md5sum's output) into name → sum.
func sums(out string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) == 2 && len(f[0]) == 32 {
			m[f[1]] = f[0]
		}
	}
	return m
}

// treeScript makes a tree of 2,000 files of varied sizes in nested
// directories of the guest's /tmp (and a symlink), copies it onto the
// mount with cp -a, drops the guest's caches and compares it with diff -r
// and the checksums of every file; its results are treeWant.
const treeScript = `i=0
while [ $i -lt 2000 ]; do
	d=/tmp/tree/d$((i % 10))/e$((i % 7))
	[ -d $d ] || mkdir -p $d
	# Sizes from 0 to about 20 KiB, some a few blocks long.
	head -c $(( (i * 7919) % 20000 )) /dev/urandom >$d/f$i
	i=$((i+1))
done
ln -s d0/e0/f0 /tmp/tree/link
start=$(date +%s)
cp -a /tmp/tree tree
sync
echo "- cp -a took $(( $(date +%s) - start )) s"
echo 3 >/proc/sys/vm/drop_caches
diff -r /tmp/tree tree
echo "= diff ok"
(cd /tmp/tree && find . -type f | sort | xargs md5sum) >/tmp/a.sum
(cd tree && find . -type f | sort | xargs md5sum) >/tmp/b.sum
cmp /tmp/a.sum /tmp/b.sum
echo "= sums $(wc -l </tmp/b.sum)"
echo "= link $(readlink tree/link)"
`

// treeWant is what treeScript prints on a correct server.
var treeWant = []string{"diff ok", "sums 2000", "link d0/e0/f0"}

// guest is a guest run in the background.
type guest struct {
	done chan struct{}
	res  vm.Result
	err  error
}

// startGuest boots cfg in the background; the test waits for it before
// it ends.
func startGuest(t *testing.T, cfg vm.Config) *guest {
	g := &guest{done: make(chan struct{})}
	go func() {
		defer close(g.done)
		g.res, g.err = vm.Run(t.Context(), cfg)
	}()
	t.Cleanup(func() { <-g.done })
	return g
}

// wait waits for the guest to end.
func (g *guest) wait() (vm.Result, error) {
	<-g.done
	return g.res, g.err
}

// TestCopyTree copies a tree of 2,000 files of varied sizes in nested
// directories (and a symlink) onto the mount with cp -a, drops the
// guest's caches, compares it with diff -r and the checksums of every
// file, and counts the files on the server.
func TestCopyTree(t *testing.T) {
	timed(t)
	e := newEnv(t)
	cfg := e.Guest4(t, "guest-a", "set -e\n"+treeScript)
	cfg.Timeout = 8 * time.Minute
	res := nfstest.Run(t, cfg)
	got, want := marked(res.Output), treeWant
	if !slices.Equal(got, want) {
		t.Errorf("guest results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// On the server: 10 directories of 7 under tree, 2,000 files in all.
	ctx, fsys, root := t.Context(), e.Srv.FS, &store.Cred{}
	tree, _, err := fsys.Lookup(ctx, root, fsys.Root(), "tree")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for d := range 10 {
		for f := range 7 {
			h, _, err := lookupPath(t, fsys, tree, "d"+strconv.Itoa(d), "e"+strconv.Itoa(f))
			if err != nil {
				t.Fatalf("tree/d%d/e%d: %v", d, f, err)
			}
			n += countEntries(t, fsys, h)
		}
	}
	if n != 2000 {
		t.Errorf("the server holds %d files of the tree, want 2000", n)
	}
	checkServer(t, e)
}

// TestBigFile writes 256 MiB of random bytes into the guest's tmpfs,
// copies the file onto the mount, unmounts and mounts again (a second
// boot of the guest, so nothing is cached), and reads it back: the
// checksums agree, in the guest and on the server.
func TestBigFile(t *testing.T) {
	timed(t)
	e := newEnv(t)
	write := `set -e
dd if=/dev/urandom of=/tmp/big bs=1M count=256 2>/dev/null
md5sum /tmp/big | sed 's/ .*/ local/'
start=$(date +%s)
cp /tmp/big big
sync
echo "= write took $(( $(date +%s) - start )) s"
rm /tmp/big
`
	read := `set -e
start=$(date +%s)
md5sum big
echo "= read took $(( $(date +%s) - start )) s"
`
	cfg := e.Guest4(t, "guest-a", write)
	cfg.Timeout, cfg.MemoryMB = 6*time.Minute, 1024
	res := nfstest.Run(t, cfg)
	local := sums(res.Output)["local"]
	cfg.Script = read
	res2 := nfstest.Run(t, cfg)
	back := sums(res2.Output)["big"]
	t.Logf("guest timings: %s; %s", strings.Join(marked(res.Output), ", "), strings.Join(marked(res2.Output), ", "))
	if local == "" || back != local {
		t.Fatalf("md5 written %q, read back after a new mount %q", local, back)
	}
	size, sum, err := nfstest.FileSum(t.Context(), e.Srv.FS, "big", md5.New())
	if err != nil || size != 256<<20 || sum != local {
		t.Fatalf("big on the server: %v, size %d, md5 %s; the guest's md5 %s", err, size, sum, local)
	}
	checkServer(t, e)
}

func lookupPath(t *testing.T, fsys *store.FS, dir store.Handle, names ...string) (store.Handle, store.Attr, error) {
	t.Helper()
	var a store.Attr
	var err error
	for _, n := range names {
		if dir, a, err = fsys.Lookup(t.Context(), &store.Cred{}, dir, n); err != nil {
			return dir, a, err
		}
	}
	return dir, a, nil
}

// countEntries counts the entries of directory h, listing it in pages.
func countEntries(t *testing.T, fsys *store.FS, h store.Handle) int {
	t.Helper()
	n, cookie := 0, uint64(0)
	var verf store.Verifier
	for range 1000 {
		page := 0
		v, eof, err := fsys.ReadDir(t.Context(), &store.Cred{}, h, cookie, verf, false, func(d *store.DirEntry) bool {
			if page == 100 {
				return false
			}
			cookie = d.Cookie
			page++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		n, verf = n+page, v
		if eof {
			return n
		}
	}
	t.Fatal("directory listing did not end")
	return 0
}

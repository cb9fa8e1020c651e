//go:build e2e

package nfs3_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/test/vm"
)

// instance is one run of the server over persistent backends.
type instance struct {
	meta *badger.Metadata
	fs   *store.FS
	srv  *rpc.Server
	done chan struct{}
}

// marker wraps the mux and closes seen once a CREATE makes name in the
// root: the guest's signal that the server may restart.
type marker struct {
	*rpc.ServeMux
	fs   *store.FS
	name string
	once *sync.Once
	seen chan struct{}
}

func (m marker) ServeRPC(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	m.ServeMux.ServeRPC(ctx, w, c)
	if c.Prog == nfs3.NFSProgram && c.Proc == 8 { // CREATE
		if _, _, err := m.fs.Lookup(ctx, &store.Cred{}, m.fs.Root(), m.name); err == nil {
			m.once.Do(func() { close(m.seen) })
		}
	}
}

// TestKernelClientRestart writes through the kernel client, restarts the
// server over the same Badger metadata and blocks while the client is
// mounted and has a file open with unstable writes, and checks that the
// client carries on with its handles: every byte is there afterwards, on
// both sides. The restart gives a new write verifier, so the client
// resends what it had not committed.
func TestKernelClientRestart(t *testing.T) {
	dir := t.TempDir()
	// Persistent metadata needs persistent blocks: store.NewFS refuses
	// badger over memory blocks.
	blocks, err := localfs.Open(t.TempDir(), localfs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blocks.Close() })
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	key := []byte("restart test key")
	var once sync.Once
	seen := make(chan struct{})

	start := func(addr string) (*instance, string) {
		meta, err := badger.Open(dir, badger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fsys, err := store.NewFS(meta, blocks, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		exps, err := export.Parse(strings.NewReader("/ *(rw,insecure,no_root_squash)\n"))
		if err != nil {
			t.Fatal(err)
		}
		locks, err := locking.Open(t.Context(), locking.Options{Grace: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { locks.Close() })
		exps[0].FS, exps[0].Locks = fsys, locks
		tab, err := export.NewTable(t.Context(), export.Options{HandleKey: key}, exps...)
		if err != nil {
			t.Fatal(err)
		}
		mux := rpc.NewServeMux()
		(&nfs3.Server{Exports: tab, Logger: logger}).Register(mux)
		srv := &rpc.Server{Handler: marker{mux, fsys, "phase1-done", &once, seen}, DuplicateCache: &rpc.DuplicateCache{}, Logger: logger}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		in := &instance{meta: meta, fs: fsys, srv: srv, done: make(chan struct{})}
		go func() { defer close(in.done); srv.Serve(l) }()
		return in, l.Addr().String()
	}
	stop := func(in *instance) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in.srv.Shutdown(ctx)
		<-in.done
		if err := in.fs.Close(); err != nil {
			t.Error(err)
		}
		if err := in.meta.Close(); err != nil {
			t.Error(err)
		}
	}

	first, addr := start("127.0.0.1:0")
	verf1 := first.fs.WriteVerifier()
	var mu sync.Mutex
	cur := first
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		select {
		case <-seen:
		case <-t.Context().Done():
			return
		}
		stop(first)
		next, _ := start(addr)
		mu.Lock()
		cur = next
		mu.Unlock()
	}()
	t.Cleanup(func() {
		<-restarted
		mu.Lock()
		defer mu.Unlock()
		stop(cur)
	})

	script := `set -e
dd if=/dev/urandom of=/tmp/a bs=1M count=8 2>/dev/null
dd if=/dev/urandom of=/tmp/b bs=1M count=8 2>/dev/null
cp /tmp/a a
sync
exec 3>b
cat /tmp/b >&3
touch phase1-done
ls -l a b phase1-done >/dev/null
cat /tmp/b >>a
exec 3>&-
sync
echo 3 >/proc/sys/vm/drop_caches
cat /tmp/a /tmp/b >/tmp/ab
cmp /tmp/ab a
cmp /tmp/b b
sha256sum a b
`
	tcp := net.TCPAddrFromAddrPort(mustAddrPort(t, addr))
	res, err := vm.Run(t.Context(), vm.Config{Server: addr, MountPort: tcp.Port, Export: "/", Vers: "3", Script: script, Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatalf("%v\noutput:\n%s\nconsole:\n%s", err, res.Output, res.Console)
	}
	if res.ExitCode != 0 {
		t.Fatalf("script exited %d:\n%s", res.ExitCode, res.Output)
	}
	select {
	case <-restarted:
	default:
		t.Fatal("the server was not restarted during the run")
	}
	mu.Lock()
	next := cur
	mu.Unlock()
	if next == first || next.fs.WriteVerifier() == verf1 {
		t.Fatal("no new server instance, or the same write verifier")
	}
	sums := map[string]string{}
	for _, l := range strings.Split(res.Output, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			sums[f[1]] = f[0]
		}
	}
	ctx := t.Context()
	for _, name := range []string{"a", "b"} {
		h, a, err := next.fs.Lookup(ctx, &store.Cred{}, next.fs.Root(), name)
		if err != nil {
			t.Fatalf("%s after the restart: %v", name, err)
		}
		buf := make([]byte, a.Size)
		if n, _, _, err := next.fs.ReadAt(ctx, &store.Cred{}, h, buf, 0); err != nil || n != len(buf) {
			t.Fatalf("reading %s: %d %v", name, n, err)
		}
		sum := sha256.Sum256(buf)
		if hex.EncodeToString(sum[:]) != sums[name] {
			t.Errorf("%s: server sha256 %x, guest %q", name, sum, sums[name])
		}
	}
}

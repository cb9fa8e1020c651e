package nfstest

import (
	"context"
	"encoding/hex"
	"errors"
	"hash"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/store/memory"
	"github.com/dittofs/dittofs/test/vm"
)

// LockerPackage is the import path of the guests' locking program.
const LockerPackage = "github.com/dittofs/dittofs/test/nlm/cmd/locker"

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// recorder keeps the messages of the log records at Warn and above,
// counts every message, and passes all on to the wrapped handler.
type recorder struct {
	slog.Handler
	mu     *sync.Mutex
	msgs   *[]string
	counts map[string]int
}

func (r recorder) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	if rec.Level >= slog.LevelWarn {
		*r.msgs = append(*r.msgs, rec.Message)
	}
	r.counts[rec.Message]++
	r.mu.Unlock()
	return r.Handler.Handle(ctx, rec)
}

func (r recorder) WithAttrs(a []slog.Attr) slog.Handler {
	return recorder{r.Handler.WithAttrs(a), r.mu, r.msgs, r.counts}
}

func (r recorder) WithGroup(n string) slog.Handler {
	return recorder{r.Handler.WithGroup(n), r.mu, r.msgs, r.counts}
}

// Env is a server with a locator, a logger that records warnings, and
// the locker program built for the guests.
type Env struct {
	Srv    *Server
	Loc    *Locator
	Logger *slog.Logger
	Locker string
	// Cfg keeps what a restart needs, with the ports the server got.
	Cfg    Config
	mu     sync.Mutex
	warns  []string
	counts map[string]int
}

// NewEnv starts a server over memory stores.
func NewEnv(t testing.TB) *Env {
	return NewEnvWith(t, Config{Meta: memory.NewMetadata(), Blocks: memory.NewBlocks()})
}

// NewEnvWith starts the server over cfg's stores (and Grace, Lease,
// Export and NFS4); the rest of cfg is filled in. The server is stopped
// when the test ends.
func NewEnvWith(t testing.TB, cfg Config) *Env {
	e := &Env{Loc: NewLocator(), Locker: BuildLocker(t), counts: map[string]int{}}
	e.Logger = slog.New(recorder{slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}), &e.mu, &e.warns, e.counts})
	cfg.HandleKey = []byte("nfstest e2e key!")
	cfg.Locator, cfg.Logger = e.Loc, e.Logger
	cfg.NFSAddr, cfg.PMAddr = "127.0.0.1:0", "127.0.0.1:0"
	e.Srv = Start(t.Context(), t, cfg)
	cfg.NFSAddr, cfg.PMAddr = e.Srv.NFSAddr, e.Srv.PMAddr
	e.Cfg = cfg
	t.Cleanup(func() { e.Srv.Stop(t) })
	return e
}

// Restart stops the server, closes and reopens the stores of d, and
// starts the server again over them on the same ports. It fails the test
// unless the restarted lock manager is in grace (the held locks were
// persisted), and then creates "restarted" in the export's root, the
// guests' signal.
func (e *Env) Restart(t testing.TB, d *DataDir) {
	t.Helper()
	e.Srv.Stop(t)
	d.Close(t)
	d.Open(t)
	cfg := e.Cfg
	cfg.Meta, cfg.Blocks = d.Meta, d.Blocks
	e.Srv = Start(t.Context(), t, cfg)
	if !e.Srv.Locks.InGrace(t.Context()) {
		t.Errorf("the restarted server is not in grace: the held lock was not persisted")
	}
	if err := CreateExport(t.Context(), e.Srv.FS, "restarted"); err != nil {
		t.Fatal(err)
	}
}

// Warnings returns the messages the server logged at Warn and above.
func (e *Env) Warnings() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.warns)
}

// Count returns how many times the server logged msg.
func (e *Env) Count(msg string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[msg]
}

// NoWarnings fails the test for every warning (or error) the server
// logged.
func (e *Env) NoWarnings(t testing.TB) {
	t.Helper()
	for _, w := range e.Warnings() {
		t.Errorf("server warning: %q", w)
	}
}

// Guest returns the VM configuration of an NFSv3 guest named name, with
// locking on, and registers its forwarded ports with the locator.
func (e *Env) Guest(t testing.TB, name, script string) vm.Config {
	p := GuestPorts{Lockd: FreePort(t), Statd: FreePort(t)}
	for p.Statd == p.Lockd {
		p.Statd = FreePort(t)
	}
	e.Loc.Add(name, p)
	return vm.Config{
		Server: e.Srv.NFSAddr, MountPort: Port(t, e.Srv.NFSAddr), Vers: "3", Export: e.Cfg.Export,
		Lock: true, PortmapPort: Port(t, e.Srv.PMAddr), LockdPort: p.Lockd, StatdPort: p.Statd,
		Name: name, Options: []string{"lookupcache=none", "actimeo=0"},
		Script:  script,
		Files:   []vm.File{{Path: "/bin/locker", Source: e.Locker}},
		Timeout: 5 * time.Minute,
	}
}

// Guest4 returns the VM configuration of an NFSv4.0 guest named name,
// with the callback path set up (so that the server's CB_NULL reaches the
// guest rather than 10.0.2.15).
func (e *Env) Guest4(t testing.TB, name, script string) vm.Config {
	return vm.Config{
		Server: e.Srv.NFSAddr, Vers: "4.0", Export: e.Cfg.Export, Callback: true,
		Name: name, Options: []string{"lookupcache=none", "actimeo=0"},
		Script:  script,
		Files:   []vm.File{{Path: "/bin/locker", Source: e.Locker}},
		Timeout: 5 * time.Minute,
	}
}

// LockerLines returns the output lines that start with one of locker's
// words.
func LockerLines(out string) []string {
	var l []string
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		for _, w := range []string{"try ", "get ", "flock ", "hold ", "waitfile ", "A:", "B:", "error:", "timeout"} {
			if strings.HasPrefix(line, w) {
				l = append(l, line)
				break
			}
		}
	}
	return l
}

// NormalizePids replaces the pid F_GETLK reports: over NLM the Linux
// client reports the lock's svid (negated), not the holder's pid.
func NormalizePids(lines []string) []string {
	out := slices.Clone(lines)
	for i, l := range out {
		if f := strings.Fields(l); len(f) == 5 && f[0] == "get" {
			out[i] = strings.Join(append(f[:4], "PID"), " ")
		}
	}
	return out
}

// Run runs one guest and fails the test unless its script exits 0.
func Run(t testing.TB, cfg vm.Config) vm.Result {
	t.Helper()
	res, err := vm.Run(t.Context(), cfg)
	t.Logf("%s: %s in %v\n%s", cfg.Name, res.Status, res.Elapsed.Round(time.Millisecond), res.Output)
	if err != nil {
		t.Fatalf("%s: %v\nconsole:\n%s\nhost log:\n%s", cfg.Name, err, res.Console, res.HostLog)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%s: script exit %d\nconsole:\n%s", cfg.Name, res.ExitCode, res.Console)
	}
	return res
}

// RunAll runs the guests at once and returns when all have ended; it
// logs each one's status and output.
func RunAll(t testing.TB, cfgs ...vm.Config) ([]vm.Result, []error) {
	t.Helper()
	results, errs := make([]vm.Result, len(cfgs)), make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = vm.Run(t.Context(), cfg)
		}()
	}
	wg.Wait()
	for i, res := range results {
		t.Logf("%s: %s in %v\n%s", cfgs[i].Name, res.Status, res.Elapsed.Round(time.Millisecond), res.Output)
	}
	return results, errs
}

// BuildLocker builds the guests' locking program (the Go build cache
// makes later builds quick).
func BuildLocker(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "locker")
	if err := vm.BuildStatic(t.Context(), LockerPackage, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// DataDir is a server's data directory: a badger metadata store and a
// localfs block store, opened and closed around a restart.
type DataDir struct {
	Dir    string
	Meta   *badger.Metadata
	Blocks *localfs.Blocks
}

// Open opens the stores.
func (d *DataDir) Open(t testing.TB) {
	t.Helper()
	var err error
	if d.Meta, err = badger.Open(filepath.Join(d.Dir, "meta"), badger.Options{SyncWrites: true}); err != nil {
		t.Fatal(err)
	}
	if d.Blocks, err = localfs.Open(filepath.Join(d.Dir, "blocks"), localfs.Options{}); err != nil {
		t.Fatal(err)
	}
}

// Close closes the stores; a second Close does nothing.
func (d *DataDir) Close(t testing.TB) {
	t.Helper()
	var errs []error
	if d.Meta != nil {
		errs = append(errs, d.Meta.Close())
	}
	if d.Blocks != nil {
		errs = append(errs, d.Blocks.Close())
	}
	d.Meta, d.Blocks = nil, nil
	if err := errors.Join(errs...); err != nil {
		t.Error(err)
	}
}

// WaitExport waits (bounded by timeout) until name exists in the
// export's root: a guest's signal through the shared file system.
func WaitExport(ctx context.Context, fsys *store.FS, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, _, err := fsys.Lookup(ctx, &store.Cred{}, fsys.Root(), name); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// CreateExport creates name in the export's root: the host's signal to
// the guests.
func CreateExport(ctx context.Context, fsys *store.FS, name string) error {
	_, _, _, err := fsys.Create(ctx, &store.Cred{}, fsys.Root(), name, store.CreateUnchecked, nil, store.Verifier{})
	return err
}

// FileSum returns the size of name in the export's root and the hex
// digest h makes of its content, read through the server's store.
func FileSum(ctx context.Context, fsys *store.FS, name string, h hash.Hash) (uint64, string, error) {
	root := &store.Cred{}
	fh, a, err := fsys.Lookup(ctx, root, fsys.Root(), name)
	if err != nil {
		return 0, "", err
	}
	buf := make([]byte, 1<<20)
	for off := int64(0); off < int64(a.Size); off += int64(len(buf)) {
		n, _, _, err := fsys.ReadAt(ctx, root, fh, buf, off)
		if err != nil {
			return a.Size, "", err
		}
		h.Write(buf[:n])
	}
	return a.Size, hex.EncodeToString(h.Sum(nil)), nil
}

// Package fsmodel is the model-based test of store.FS, published as
// storetest.FS (which runs it under storetest's watchdog). It is a
// model-based test: random sequences of
// operations, by several credentials, are applied both to a store.FS over
// the backends under test and to a simple in-memory model of POSIX
// semantics, and every observable result — error codes, attributes,
// contents, directory listings, xattrs — must agree. The run also restarts
// the FS on the same backends (checking persistence) and runs fsck.
//
// Backends outside this module run it as storetest.FS; the tests of this
// module may also call Run directly.
package fsmodel

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
)

// Backend returns a fresh, empty pair of backends. Cleanup is the test's
// business (t.Cleanup).
type Backend func(t testing.TB) (store.Metadata, store.Blocks)

// Config sizes a run. Zero fields take defaults.
type Config struct {
	Seeds     int    // independent random sequences (default 8)
	Steps     int    // operations per sequence (default 400)
	Seed      uint64 // first seed (default 1)
	BlockSize int    // store.Options.BlockSize (default 1024: many chunks)
	// Restarts enables closing and reopening the FS during a run (default
	// on; set NoRestart to disable for backends that cannot reopen).
	NoRestart bool
}

// Run runs the model test, one subtest per seed.
func Run(t *testing.T, newBackend Backend, cfg Config) {
	cfg = Defaults(cfg)
	for i := 0; i < cfg.Seeds; i++ {
		seed := cfg.Seed + uint64(i)
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			meta, blocks := newBackend(t)
			RunSeed(t, meta, blocks, cfg, seed, nil)
		})
	}
}

// TB is what a run uses of its test: a *testing.T, or storetest's
// watched stand-in.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// RunSeed runs one sequence of cfg.Steps operations from seed (cfg must
// have its defaults filled, as Run does) over meta and blocks. step, when
// not nil, is called before every operation with its number and the last
// operation logged, so that a watchdog sees progress.
func RunSeed(t TB, meta store.Metadata, blocks store.Blocks, cfg Config, seed uint64, step func(n int, last string)) {
	r := newRunner(t, meta, blocks, cfg, seed)
	r.onStep = step
	r.run(cfg.Steps)
}

// Defaults returns cfg with its zero fields set to their defaults.
func Defaults(cfg Config) Config {
	if cfg.Seeds == 0 {
		cfg.Seeds = 8
	}
	if cfg.Steps == 0 {
		cfg.Steps = 400
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.BlockSize == 0 {
		cfg.BlockSize = 1024
	}
	return cfg
}

// ---- the model -------------------------------------------------------------------

type mnode struct {
	h      store.Handle
	typ    store.FileType
	mode   uint32
	uid    uint32
	gid    uint32
	links  uint32 // names of a non-directory
	data   []byte
	target string
	kids   map[string]*mnode
	parent *mnode
	xattr  map[string]string
	dead   bool
	verf   store.Verifier
	excl   bool
}

func (n *mnode) nlink() uint32 {
	if n.typ != store.TypeDir {
		return n.links
	}
	c := uint32(2)
	for _, k := range n.kids {
		if k.typ == store.TypeDir {
			c++
		}
	}
	return c
}

func (n *mnode) size() uint64 {
	switch n.typ {
	case store.TypeDir:
		return uint64(len(n.kids)+2) * 20
	case store.TypeSymlink:
		return uint64(len(n.target))
	}
	return uint64(len(n.data))
}

type cred struct {
	name string
	c    *store.Cred
}

var creds = []cred{
	{"root", &store.Cred{UID: 0, GID: 0}},
	{"u1000", &store.Cred{UID: 1000, GID: 1000, Groups: []uint32{50}}},
	{"u1001", &store.Cred{UID: 1001, GID: 1001, Groups: []uint32{50, 1000}}},
	{"u1002", &store.Cred{UID: 1002, GID: 1002}},
}

func priv(c *store.Cred) bool { return c.UID == 0 }

func bits(c *store.Cred, n *mnode) uint32 {
	switch {
	case c.UID == n.uid:
		return (n.mode >> 6) & 7
	case c.InGroup(n.gid):
		return (n.mode >> 3) & 7
	}
	return n.mode & 7
}

func can(c *store.Cred, n *mnode, want uint32) bool {
	if priv(c) {
		if want&1 != 0 && n.typ != store.TypeDir && n.mode&0o111 == 0 {
			return false
		}
		return true
	}
	return bits(c, n)&want == want
}

const (
	r = 4
	w = 2
	x = 1
)

func killPriv(c *store.Cred, n *mnode) {
	if priv(c) || n.typ != store.TypeRegular {
		return
	}
	n.mode &^= store.ModeSetuid
	if n.mode&0o010 != 0 {
		n.mode &^= store.ModeSetgid
	}
}

// ---- the runner ------------------------------------------------------------------

type clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now moves the clock on a microsecond: every change gets a new time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

func (c *clock) AfterFunc(d time.Duration, f func()) interface{ Stop() bool } {
	return time.AfterFunc(d, f)
}

type runner struct {
	t      TB
	onStep func(n int, last string)
	ctx    context.Context
	rnd    *rand.Rand
	meta   store.Metadata
	blocks store.Blocks
	opts   store.Options
	fs     *store.FS
	root   *mnode
	all    []*mnode
	trace  []string
	cfg    Config
	step   int
	stats  map[string][2]int // op -> (ok, error)
}

func newRunner(t TB, meta store.Metadata, blocks store.Blocks, cfg Config, seed uint64) *runner {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	r := &runner{t: t, ctx: context.Background(), rnd: rand.New(rand.NewPCG(seed, 0x5eed)),
		meta: meta, blocks: blocks, cfg: cfg,
		opts: store.Options{Clock: clk, BlockSize: cfg.BlockSize, RootMode: 0o777,
			BufferBytes: int64(8 * cfg.BlockSize), MaxXattrSize: 64, MaxXattrTotal: 256}}
	fs, err := store.NewFS(meta, blocks, r.opts)
	if err != nil {
		t.Fatal(err)
	}
	r.fs = fs
	r.root = &mnode{h: fs.Root(), typ: store.TypeDir, mode: 0o777, kids: map[string]*mnode{}}
	r.root.parent = r.root
	r.all = []*mnode{r.root}
	return r
}

func (r *runner) logf(format string, a ...any) {
	s := fmt.Sprintf("%4d ", r.step) + fmt.Sprintf(format, a...)
	r.trace = append(r.trace, s)
	if len(r.trace) > 60 {
		r.trace = r.trace[1:]
	}
}

func (r *runner) fail(format string, a ...any) {
	r.t.Helper()
	r.t.Fatalf("%s\nlast operations:\n%s", fmt.Sprintf(format, a...), strings.Join(r.trace, "\n"))
}

func (r *runner) expect(what string, err error, want store.Code) bool {
	r.t.Helper()
	if got := store.CodeOf(err); got != want {
		r.fail("%s: got %q (%v), model says %q", what, got, err, want)
	}
	if r.stats == nil {
		r.stats = map[string][2]int{}
	}
	st := r.stats[what]
	if want == store.CodeOK {
		st[0]++
	} else {
		st[1]++
	}
	r.stats[what] = st
	return want == store.CodeOK
}

var names = []string{"a", "b", "c", "d", "e"}

func (r *runner) name() string { return names[r.rnd.IntN(len(names))] }

// kid returns the name of an entry of d most of the time, else any name.
func (r *runner) kid(d *mnode) string {
	if len(d.kids) > 0 && r.rnd.IntN(10) < 7 {
		ks := make([]string, 0, len(d.kids))
		for k := range d.kids {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks[r.rnd.IntN(len(ks))]
	}
	return r.name()
}

func (r *runner) cred() *store.Cred {
	if r.rnd.IntN(10) < 4 {
		return creds[0].c
	}
	return creds[r.rnd.IntN(len(creds))].c
}

// pick returns a random node; live directories most of the time.
func (r *runner) pick(wantDir bool) *mnode {
	for range 8 {
		n := r.all[r.rnd.IntN(len(r.all))]
		if r.rnd.IntN(10) == 0 {
			return n // anything, dead or alive
		}
		if n.dead {
			continue
		}
		if !wantDir || n.typ == store.TypeDir {
			return n
		}
	}
	return r.root
}

var modes = []uint32{0o777, 0o755, 0o700, 0o644, 0o600, 0o1777, 0o2775, 0o4755, 0o2755, 0o070, 0o007, 0o000, 0o666, 0o750}

func (r *runner) mode() uint32 {
	if r.rnd.IntN(2) == 0 {
		return modes[r.rnd.IntN(2)] // 0777 or 0755
	}
	return modes[r.rnd.IntN(len(modes))]
}

// pickFile returns a random node, a live regular file most of the time.
func (r *runner) pickFile() *mnode {
	for range 16 {
		n := r.all[r.rnd.IntN(len(r.all))]
		if !n.dead && n.typ == store.TypeRegular {
			return n
		}
	}
	return r.pick(false)
}

// node checks the model's view of handle liveness and type: the code the
// store returns for an operation on n before any permission check.
func stale(n *mnode) bool { return n.dead }

func (r *runner) run(steps int) {
	for r.step = 0; r.step < steps; r.step++ {
		if r.onStep != nil {
			last := ""
			if len(r.trace) > 0 {
				last = r.trace[len(r.trace)-1]
			}
			r.onStep(r.step, last)
		}
		switch k := r.rnd.IntN(100); {
		case k < 14:
			r.opCreate()
		case k < 20:
			r.opMkdir()
		case k < 23:
			r.opSymlink()
		case k < 29:
			r.opRemove()
		case k < 32:
			r.opRmdir()
		case k < 39:
			r.opRename()
		case k < 42:
			r.opLink()
		case k < 48:
			r.opChmod()
		case k < 51:
			r.opChown()
		case k < 55:
			r.opTruncate()
		case k < 68:
			r.opWrite()
		case k < 74:
			r.opRead()
		case k < 77:
			r.opClone()
		case k < 79:
			r.opDeallocate()
		case k < 83:
			r.opXattr()
		case k < 89:
			r.opLookup()
		case k < 93:
			r.opReadDir()
		case k < 98:
			r.opGetAttr()
		case k < 99:
			if _, err := r.fs.Commit(r.ctx, r.cred(), r.pick(false).h); err != nil && store.CodeOf(err) != store.CodeStale {
				r.fail("commit: %v", err)
			}
		default:
			r.restart()
		}
	}
	r.restart()
	r.checkAll()
	live := 0
	for _, n := range r.all {
		if !n.dead {
			live++
		}
	}
	r.t.Logf("%d nodes made, %d live; ok/error per operation: %v", len(r.all), live, r.stats)
}

func (r *runner) restart() {
	r.logf("restart")
	if r.cfg.NoRestart {
		return
	}
	if err := r.fs.Close(); err != nil {
		r.fail("close: %v", err)
	}
	rep, err := r.fs.Check(r.ctx)
	if err != nil || len(rep.Problems) > 0 {
		r.fail("fsck: %v %q", err, rep.Problems)
	}
	fs, err := store.NewFS(r.meta, r.blocks, r.opts)
	if err != nil {
		r.fail("reopen: %v", err)
	}
	r.fs = fs
	if fs.Root() != r.root.h {
		r.fail("root handle changed across restart")
	}
}

// ---- operations ------------------------------------------------------------------

func (r *runner) dirCheck(c *store.Cred, d *mnode, want uint32) store.Code {
	switch {
	case stale(d):
		return store.CodeStale
	case d.typ != store.TypeDir:
		return store.CodeNotDir
	case !can(c, d, want):
		return store.CodeAccess
	}
	return store.CodeOK
}

func (r *runner) newNode(c *store.Cred, d *mnode, typ store.FileType, mode uint32, h store.Handle) *mnode {
	n := &mnode{h: h, typ: typ, mode: mode & store.ModeMask, uid: c.UID, gid: c.GID, links: 1}
	switch typ {
	case store.TypeDir:
		n.kids = map[string]*mnode{}
		n.parent = d
	case store.TypeSymlink:
		n.mode = 0o777
	}
	if d.mode&store.ModeSetgid != 0 {
		n.gid = d.gid
		if typ == store.TypeDir {
			n.mode |= store.ModeSetgid
		}
	}
	if typ != store.TypeDir && n.mode&store.ModeSetgid != 0 && !priv(c) && !c.InGroup(n.gid) {
		n.mode &^= store.ModeSetgid
	}
	r.all = append(r.all, n)
	return n
}

func (r *runner) opCreate() {
	c, d, name, m := r.cred(), r.pick(true), r.name(), r.mode()
	how := store.CreateMode(r.rnd.IntN(3))
	verf := store.Verifier{byte(r.rnd.IntN(2))}
	r.logf("create uid=%d dir=%d %q how=%d mode=%o verf=%d", c.UID, d.h.ID, name, how, m, verf[0])
	h, _, _, err := r.fs.Create(r.ctx, c, d.h, name, how, &store.SetAttr{Mask: store.SetMode, Mode: m}, verf)
	want := r.dirCheck(c, d, w|x)
	var existing *mnode
	if want == store.CodeOK {
		if e := d.kids[name]; e != nil {
			switch {
			case how == store.CreateGuarded || e.typ != store.TypeRegular:
				want = store.CodeExist
			case how == store.CreateExclusive && (!e.excl || e.verf != verf):
				want = store.CodeExist
			default:
				existing = e
			}
		}
	}
	if !r.expect("create", err, want) {
		return
	}
	if existing != nil {
		if h != existing.h {
			r.fail("create returned %v, want existing %v", h, existing.h)
		}
		return
	}
	n := r.newNode(c, d, store.TypeRegular, m, h)
	if how == store.CreateExclusive {
		n.excl, n.verf = true, verf
	}
	d.kids[name] = n
}

func (r *runner) opMkdir() {
	c, d, name, m := r.cred(), r.pick(true), r.name(), r.mode()
	r.logf("mkdir uid=%d dir=%d %q mode=%o", c.UID, d.h.ID, name, m)
	h, _, _, err := r.fs.Mkdir(r.ctx, c, d.h, name, &store.SetAttr{Mask: store.SetMode, Mode: m})
	want := r.dirCheck(c, d, w|x)
	if want == store.CodeOK && d.kids[name] != nil {
		want = store.CodeExist
	}
	if !r.expect("mkdir", err, want) {
		return
	}
	d.kids[name] = r.newNode(c, d, store.TypeDir, m, h)
}

func (r *runner) opSymlink() {
	c, d, name := r.cred(), r.pick(true), r.name()
	target := strings.Repeat("t", 1+r.rnd.IntN(20))
	r.logf("symlink uid=%d dir=%d %q", c.UID, d.h.ID, name)
	h, _, _, err := r.fs.Symlink(r.ctx, c, d.h, name, target, nil)
	want := r.dirCheck(c, d, w|x)
	if want == store.CodeOK && d.kids[name] != nil {
		want = store.CodeExist
	}
	if !r.expect("symlink", err, want) {
		return
	}
	n := r.newNode(c, d, store.TypeSymlink, 0o777, h)
	n.target = target
	d.kids[name] = n
	got, err := r.fs.Readlink(r.ctx, c, h)
	if err != nil || got != target {
		r.fail("readlink: %q %v", got, err)
	}
}

func mayDelete(c *store.Cred, d, n *mnode) store.Code {
	if !can(c, d, w|x) {
		return store.CodeAccess
	}
	if d.mode&store.ModeSticky != 0 && !priv(c) && c.UID != d.uid && c.UID != n.uid {
		return store.CodePermission
	}
	return store.CodeOK
}

func (r *runner) unlink(n *mnode) {
	if n.typ == store.TypeDir {
		n.dead = true
		return
	}
	n.links--
	if n.links == 0 {
		n.dead = true
	}
}

func (r *runner) opRemove() { r.remove(false) }
func (r *runner) opRmdir()  { r.remove(true) }

func (r *runner) remove(isDir bool) {
	c, d := r.cred(), r.pick(true)
	name := r.kid(d)
	r.logf("remove(dir=%v) uid=%d dir=%d %q", isDir, c.UID, d.h.ID, name)
	var err error
	if isDir {
		_, err = r.fs.Rmdir(r.ctx, c, d.h, name)
	} else {
		_, err = r.fs.Remove(r.ctx, c, d.h, name)
	}
	want := r.dirCheck(c, d, 0)
	var n *mnode
	if want == store.CodeOK {
		n = d.kids[name]
		switch {
		case n == nil && !can(c, d, x):
			want = store.CodeAccess
		case n == nil:
			want = store.CodeNotExist
		default:
			want = mayDelete(c, d, n)
		}
		if want == store.CodeOK {
			switch {
			case isDir && n.typ != store.TypeDir:
				want = store.CodeNotDir
			case isDir && len(n.kids) > 0:
				want = store.CodeNotEmpty
			case !isDir && n.typ == store.TypeDir:
				want = store.CodeIsDir
			}
		}
	}
	if !r.expect("remove", err, want) {
		return
	}
	delete(d.kids, name)
	r.unlink(n)
}

func (r *runner) opRename() {
	c := r.cred()
	sd, dd, dname := r.pick(true), r.pick(true), r.name()
	sname := r.kid(sd)
	if r.rnd.IntN(3) == 0 {
		dd = sd
	}
	r.logf("rename uid=%d %d/%q -> %d/%q", c.UID, sd.h.ID, sname, dd.h.ID, dname)
	_, _, err := r.fs.Rename(r.ctx, c, sd.h, sname, dd.h, dname)
	want := r.dirCheck(c, sd, w|x)
	if want == store.CodeOK && dd != sd {
		want = r.dirCheck(c, dd, w|x)
	}
	var sn, dn *mnode
	if want == store.CodeOK {
		sn = d0(sd.kids[sname])
		if sn == nil {
			want = store.CodeNotExist
		} else {
			want = mayDelete(c, sd, sn)
		}
	}
	if want == store.CodeOK {
		dn = dd.kids[dname]
		if dn == sn {
			r.expect("rename same node", err, store.CodeOK)
			return
		}
		moveDir := sn.typ == store.TypeDir && sd != dd
		if moveDir {
			if !can(c, sn, w) {
				want = store.CodeAccess
			} else {
				for p := dd; ; p = p.parent {
					if p == sn {
						want = store.CodeInvalid
						break
					}
					if p == r.root {
						break
					}
				}
			}
		}
		if want == store.CodeOK && dn != nil {
			want = mayDelete(c, dd, dn)
			if want == store.CodeOK {
				switch {
				case sn.typ == store.TypeDir && dn.typ != store.TypeDir:
					want = store.CodeNotDir
				case sn.typ == store.TypeDir && len(dn.kids) > 0:
					want = store.CodeNotEmpty
				case sn.typ != store.TypeDir && dn.typ == store.TypeDir:
					want = store.CodeIsDir
				}
			}
		}
	}
	if !r.expect("rename", err, want) {
		return
	}
	if dn != nil {
		r.unlink(dn)
	}
	delete(sd.kids, sname)
	dd.kids[dname] = sn
	if sn.typ == store.TypeDir {
		sn.parent = dd
	}
}

func d0(n *mnode) *mnode { return n }

func (r *runner) opLink() {
	c, n, d, name := r.cred(), r.pickFile(), r.pick(true), r.name()
	r.logf("link uid=%d node=%d -> %d/%q", c.UID, n.h.ID, d.h.ID, name)
	_, _, err := r.fs.Link(r.ctx, c, n.h, d.h, name)
	want := store.CodeOK
	switch {
	case stale(n):
		want = store.CodeStale
	default:
		want = r.dirCheck(c, d, w|x)
	}
	if want == store.CodeOK {
		switch {
		case n.typ == store.TypeDir:
			want = store.CodePermission
		case d.kids[name] != nil:
			want = store.CodeExist
		}
	}
	if !r.expect("link", err, want) {
		return
	}
	d.kids[name] = n
	n.links++
}

func (r *runner) opChmod() {
	c, n, m := r.cred(), r.pick(false), r.mode()
	r.logf("chmod uid=%d node=%d %o", c.UID, n.h.ID, m)
	_, err := r.fs.SetAttr(r.ctx, c, n.h, &store.SetAttr{Mask: store.SetMode, Mode: m})
	want := store.CodeOK
	switch {
	case stale(n):
		want = store.CodeStale
	case !priv(c) && c.UID != n.uid:
		want = store.CodePermission
	}
	if !r.expect("chmod", err, want) {
		return
	}
	if !priv(c) && n.typ != store.TypeDir && !c.InGroup(n.gid) {
		m &^= store.ModeSetgid
	}
	n.mode = m
}

func (r *runner) opChown() {
	c, n := r.cred(), r.pick(false)
	uid := []uint32{0, 1000, 1001, 1002}[r.rnd.IntN(4)]
	gid := []uint32{0, 50, 1000, 1001, 1002}[r.rnd.IntN(5)]
	mask := store.SetMask(0)
	if r.rnd.IntN(2) == 0 {
		mask |= store.SetUID
	} else {
		uid = n.uid
	}
	if r.rnd.IntN(2) == 0 || mask == 0 {
		mask |= store.SetGID
	} else {
		gid = n.gid
	}
	r.logf("chown uid=%d node=%d mask=%b %d:%d", c.UID, n.h.ID, mask, uid, gid)
	_, err := r.fs.SetAttr(r.ctx, c, n.h, &store.SetAttr{Mask: mask, UID: uid, GID: gid})
	want := store.CodeOK
	switch {
	case stale(n):
		want = store.CodeStale
	case priv(c):
	case c.UID != n.uid: // only the owner chowns, even to the same values
		want = store.CodePermission
	case uid != n.uid:
		want = store.CodePermission
	case gid != n.gid && !c.InGroup(gid):
		want = store.CodePermission
	}
	if !r.expect("chown", err, want) {
		return
	}
	if n.typ != store.TypeDir {
		n.mode &^= store.ModeSetuid
		if n.mode&0o010 != 0 {
			n.mode &^= store.ModeSetgid
		}
	}
	n.uid, n.gid = uid, gid
}

func regularCode(n *mnode) store.Code {
	switch n.typ {
	case store.TypeRegular:
		return store.CodeOK
	case store.TypeDir:
		return store.CodeIsDir
	}
	return store.CodeInvalid
}

func (r *runner) opTruncate() {
	c, n := r.cred(), r.pickFile()
	size := uint64(r.rnd.IntN(6000))
	r.logf("truncate uid=%d node=%d %d", c.UID, n.h.ID, size)
	_, err := r.fs.SetAttr(r.ctx, c, n.h, &store.SetAttr{Mask: store.SetSize, Size: size})
	want := store.CodeOK
	switch {
	case stale(n):
		want = store.CodeStale
	case regularCode(n) != store.CodeOK:
		want = regularCode(n)
	case !can(c, n, w):
		want = store.CodeAccess
	}
	if !r.expect("truncate", err, want) {
		return
	}
	n.data = resize(n.data, int(size))
	killPriv(c, n)
}

func resize(b []byte, n int) []byte {
	if n <= len(b) {
		return b[:n]
	}
	return append(b, make([]byte, n-len(b))...)
}

func (r *runner) opWrite() {
	c, n := r.cred(), r.pickFile()
	if r.rnd.IntN(2) == 0 {
		c = creds[0].c
	}
	off := r.rnd.IntN(5000)
	p := make([]byte, r.rnd.IntN(2500))
	fill := byte(r.rnd.IntN(256))
	for i := range p {
		p[i] = fill + byte(i%7)
	}
	if r.rnd.IntN(4) == 0 {
		clear(p) // some zero runs
	}
	how := store.Stability(r.rnd.IntN(3))
	r.logf("write uid=%d node=%d off=%d len=%d how=%d", c.UID, n.h.ID, off, len(p), how)
	got, _, err := r.fs.WriteAt(r.ctx, c, n.h, p, int64(off), how)
	want := store.CodeOK
	switch {
	case stale(n):
		want = store.CodeStale
	case regularCode(n) != store.CodeOK:
		want = regularCode(n)
	case !can(c, n, w):
		want = store.CodeAccess
	}
	if !r.expect("write", err, want) {
		return
	}
	if got != len(p) {
		r.fail("short write %d", got)
	}
	if len(p) > 0 {
		if off+len(p) > len(n.data) {
			n.data = resize(n.data, off+len(p))
		}
		copy(n.data[off:], p)
		killPriv(c, n)
	}
}

func (r *runner) opRead() {
	c, n := r.cred(), r.pickFile()
	if r.rnd.IntN(2) == 0 {
		c = creds[0].c
	}
	off := r.rnd.IntN(6000)
	p := make([]byte, r.rnd.IntN(4000))
	r.logf("read uid=%d node=%d off=%d len=%d", c.UID, n.h.ID, off, len(p))
	got, eof, _, err := r.fs.ReadAt(r.ctx, c, n.h, p, int64(off))
	want := store.CodeOK
	switch {
	case stale(n):
		want = store.CodeStale
	case regularCode(n) != store.CodeOK:
		want = regularCode(n)
	case !can(c, n, r4):
		want = store.CodeAccess
	}
	if !r.expect("read", err, want) {
		return
	}
	var exp []byte
	if off < len(n.data) {
		exp = n.data[off:min(len(n.data), off+len(p))]
	}
	if got != len(exp) || !bytes.Equal(p[:got], exp) {
		r.fail("read %d bytes at %d: got %d, differs from the model", len(p), off, got)
	}
	if wantEOF := off+got >= len(n.data); eof != wantEOF {
		r.fail("read eof %v, want %v", eof, wantEOF)
	}
}

const r4 = 4

func (r *runner) opClone() {
	c, s, d := r.cred(), r.pickFile(), r.pickFile()
	if r.rnd.IntN(2) == 0 {
		c = creds[0].c
	}
	soff, doff := int64(r.rnd.IntN(4000)), int64(r.rnd.IntN(4000))
	length := int64(r.rnd.IntN(3000))
	isCopy := r.rnd.IntN(2) == 0
	r.logf("clone(copy=%v) uid=%d %d@%d -> %d@%d len=%d", isCopy, c.UID, s.h.ID, soff, d.h.ID, doff, length)
	var err error
	var copied int64
	if isCopy {
		copied, _, err = r.fs.Copy(r.ctx, c, s.h, soff, d.h, doff, length)
	} else {
		_, err = r.fs.Clone(r.ctx, c, s.h, soff, d.h, doff, length)
	}
	want := store.CodeOK
	switch {
	case stale(s) || stale(d):
		want = store.CodeStale
	case regularCode(s) != store.CodeOK:
		want = regularCode(s)
	case regularCode(d) != store.CodeOK:
		want = regularCode(d)
	case !can(c, s, r4):
		want = store.CodeAccess
	case !can(c, d, w):
		want = store.CodeAccess
	}
	size := int64(len(s.data))
	n := length
	if want == store.CodeOK {
		switch {
		case isCopy && soff >= size:
			n = 0
		case length == 0 || isCopy:
			if length == 0 {
				n = size - soff
			} else {
				n = min(n, size-soff)
			}
			if soff > size {
				want = store.CodeInvalid
			}
		case soff+n > size:
			want = store.CodeInvalid
		}
		if want == store.CodeOK && n > 0 && s == d && soff < doff+n && doff < soff+n {
			want = store.CodeInvalid
		}
	}
	if !r.expect("clone", err, want) {
		return
	}
	if isCopy && copied != n {
		r.fail("copied %d, want %d", copied, n)
	}
	if n == 0 {
		return
	}
	src := slices.Clone(s.data[soff : soff+n])
	if int(doff+n) > len(d.data) {
		d.data = resize(d.data, int(doff+n))
	}
	copy(d.data[doff:], src)
	killPriv(c, d)
}

func (r *runner) opDeallocate() {
	c, n := r.cred(), r.pickFile()
	off, length := int64(r.rnd.IntN(5000)), int64(1+r.rnd.IntN(3000))
	r.logf("deallocate uid=%d node=%d off=%d len=%d", c.UID, n.h.ID, off, length)
	_, err := r.fs.Deallocate(r.ctx, c, n.h, off, length)
	want := store.CodeOK
	switch {
	case stale(n):
		want = store.CodeStale
	case regularCode(n) != store.CodeOK:
		want = regularCode(n)
	case !can(c, n, w):
		want = store.CodeAccess
	}
	if !r.expect("deallocate", err, want) {
		return
	}
	if int(off) < len(n.data) {
		clear(n.data[off:min(int64(len(n.data)), off+length)])
	}
}

func (r *runner) opXattr() {
	c, n := r.cred(), r.pickFile()
	if r.rnd.IntN(3) == 0 {
		n = r.pick(false)
	}
	name := "user." + r.name()
	switch r.rnd.IntN(4) {
	case 0, 1:
		val := strings.Repeat("v", r.rnd.IntN(70))
		flags := store.XattrFlag(r.rnd.IntN(3))
		r.logf("setxattr uid=%d node=%d %s len=%d flags=%d", c.UID, n.h.ID, name, len(val), flags)
		err := r.fs.SetXattr(r.ctx, c, n.h, name, []byte(val), flags)
		want := store.CodeOK
		_, exists := n.xattr[name]
		total := 0
		for k, v := range n.xattr {
			if k != name {
				total += len(k) + len(v)
			}
		}
		switch {
		case len(val) > 64:
			want = store.CodeTooBig
		case stale(n):
			want = store.CodeStale
		case !can(c, n, w):
			want = store.CodeAccess
		case exists && flags == store.XattrCreate:
			want = store.CodeExist
		case !exists && flags == store.XattrReplace:
			want = store.CodeNoXattr
		case total+len(name)+len(val) > 256:
			want = store.CodeNoSpace
		}
		if !r.expect("setxattr", err, want) {
			return
		}
		if n.xattr == nil {
			n.xattr = map[string]string{}
		}
		n.xattr[name] = val
	case 2:
		r.logf("removexattr uid=%d node=%d %s", c.UID, n.h.ID, name)
		err := r.fs.RemoveXattr(r.ctx, c, n.h, name)
		want := store.CodeOK
		_, exists := n.xattr[name]
		switch {
		case stale(n):
			want = store.CodeStale
		case !can(c, n, w):
			want = store.CodeAccess
		case !exists:
			want = store.CodeNoXattr
		}
		if r.expect("removexattr", err, want) {
			delete(n.xattr, name)
		}
	default:
		r.logf("getxattr uid=%d node=%d %s", c.UID, n.h.ID, name)
		v, err := r.fs.GetXattr(r.ctx, c, n.h, name)
		want := store.CodeOK
		mv, exists := n.xattr[name]
		switch {
		case stale(n):
			want = store.CodeStale
		case !can(c, n, r4):
			want = store.CodeAccess
		case !exists:
			want = store.CodeNoXattr
		}
		if r.expect("getxattr", err, want) && string(v) != mv {
			r.fail("getxattr %q, want %q", v, mv)
		}
		if want == store.CodeOK {
			list, err := r.fs.ListXattr(r.ctx, c, n.h)
			var exp []string
			for k := range n.xattr {
				exp = append(exp, k)
			}
			sort.Strings(exp)
			if err != nil || !slices.Equal(list, exp) {
				r.fail("listxattr %q %v, want %q", list, err, exp)
			}
		}
	}
}

func (r *runner) opLookup() {
	c, d := r.cred(), r.pick(true)
	name := r.kid(d)
	if r.rnd.IntN(8) == 0 {
		name = ".."
	}
	r.logf("lookup uid=%d dir=%d %q", c.UID, d.h.ID, name)
	h, a, err := r.fs.Lookup(r.ctx, c, d.h, name)
	want := r.dirCheck(c, d, x)
	var n *mnode
	if want == store.CodeOK {
		if name == ".." {
			n = d.parent
		} else if n = d.kids[name]; n == nil {
			want = store.CodeNotExist
		}
	}
	if !r.expect("lookup", err, want) {
		return
	}
	if h != n.h {
		r.fail("lookup handle %v, want %v", h, n.h)
	}
	r.compareAttr(n, &a)
}

func (r *runner) compareAttr(n *mnode, a *store.Attr) {
	r.t.Helper()
	if a.Type != n.typ || a.Mode != n.mode || a.Nlink != n.nlink() || a.UID != n.uid || a.GID != n.gid || a.Size != n.size() {
		r.fail("attr of %d: got type %v mode %o nlink %d uid %d gid %d size %d; model: type %v mode %o nlink %d uid %d gid %d size %d",
			n.h.ID, a.Type, a.Mode, a.Nlink, a.UID, a.GID, a.Size, n.typ, n.mode, n.nlink(), n.uid, n.gid, n.size())
	}
}

func (r *runner) opGetAttr() {
	n := r.pick(false)
	r.logf("getattr node=%d", n.h.ID)
	a, err := r.fs.GetAttr(r.ctx, nil, n.h)
	want := store.CodeOK
	if stale(n) {
		want = store.CodeStale
	}
	if r.expect("getattr", err, want) {
		r.compareAttr(n, &a)
	}
}

func (r *runner) opReadDir() {
	c, d := r.cred(), r.pick(true)
	plus := r.rnd.IntN(2) == 0
	r.logf("readdir uid=%d dir=%d plus=%v", c.UID, d.h.ID, plus)
	var got []string
	var cookie uint64
	var verf store.Verifier
	batch := 1 + r.rnd.IntN(3)
	for {
		k := 0
		v, eof, err := r.fs.ReadDir(r.ctx, c, d.h, cookie, verf, plus, func(e *store.DirEntry) bool {
			if k == batch {
				return false
			}
			k++
			got = append(got, e.Name)
			cookie = e.Cookie
			if n := d.kids[e.Name]; n != nil {
				if e.Handle != n.h || e.Type != n.typ {
					r.fail("readdir entry %q: %v %v, model %v %v", e.Name, e.Handle, e.Type, n.h, n.typ)
				}
				if plus {
					r.compareAttr(n, &e.Attr)
				}
			}
			return true
		})
		want := r.dirCheck(c, d, r4)
		if !r.expect("readdir", err, want) {
			return
		}
		verf = v
		if eof {
			break
		}
	}
	var exp []string
	for k := range d.kids {
		exp = append(exp, k)
	}
	sort.Strings(exp)
	sort.Strings(got)
	if !slices.Equal(got, exp) {
		r.fail("readdir %q, model %q", got, exp)
	}
}

// checkAll compares every live node with the model and runs fsck.
func (r *runner) checkAll() {
	root := creds[0].c
	for _, n := range r.all {
		a, err := r.fs.GetAttr(r.ctx, nil, n.h)
		if n.dead {
			r.expect("final getattr of a dead node", err, store.CodeStale)
			continue
		}
		if err != nil {
			r.fail("final getattr: %v", err)
		}
		r.compareAttr(n, &a)
		if n.typ == store.TypeRegular {
			p := make([]byte, len(n.data)+1)
			got, _, _, err := r.fs.ReadAt(r.ctx, root, n.h, p, 0)
			if err != nil || !bytes.Equal(p[:got], n.data) {
				r.fail("final content of %d differs (%v)", n.h.ID, err)
			}
		}
	}
	rep, err := r.fs.Check(r.ctx)
	if err != nil || len(rep.Problems) > 0 {
		r.fail("fsck: %v %q", err, rep.Problems)
	}
	if _, err := r.fs.GC(r.ctx); err != nil {
		r.fail("gc: %v", err)
	}
	rep, err = r.fs.Check(r.ctx)
	if err != nil || len(rep.Problems) > 0 {
		r.fail("fsck after gc: %v %q", err, rep.Problems)
	}
}

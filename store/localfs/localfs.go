// Package localfs is a store.Blocks backend over a directory of the local
// filesystem: one file per block.
//
//	b, err := localfs.Open("/var/lib/dittofs/blocks", localfs.Options{})
//	if err != nil { ... }
//	defer b.Close()
//
// # Layout
//
// A block with id 0a1b2c… (64 lower-case hex digits) is the file
// 0a/1b/0a1b2c… under the root: two levels of 256 subdirectories, made
// when first needed, keep directories small up to hundreds of millions of
// blocks. The root also holds LOCK, which Open locks (flock) so that one
// process at a time owns the directory, and VERSION, which names the
// layout; Open refuses a non-empty directory without it, so it never
// adopts (or lets garbage collection loose on) a directory that is not
// its own.
//
// # Atomic writes and durability
//
// Put writes the block to a temporary file ".tmp-…" in the block's
// directory and renames it over the block's name, so a reader sees the
// old block or the new one, never a mix. When the block and the rename
// are durable depends on Options.DirSync:
//
//   - DirSyncOnSync (the default): Put does not fsync. It starts the
//     kernel's writeback of the file (sync_file_range on Linux) and
//     records the file and its directory; the next Sync fsyncs every
//     recorded file, several at once so that the filesystem's journal
//     commits them together, and then the directories, deepest first.
//     store.FS calls Sync once per group of stable writes and COMMITs
//     (and before it folds logged writes into blocks), so the fsyncs of
//     the blocks written meanwhile are paid there, together, instead of
//     one per Put. A block put since the last Sync may be missing, empty
//     or short after a power failure (not after the process is killed:
//     the page cache survives); store.FS acknowledges data only after a
//     Sync, and Check reports a referenced block of the wrong size.
//   - DirSyncOnPut: every Put fsyncs the file before the rename and the
//     directory after it, and every Delete its directory; Sync has
//     nothing left to do.
//   - DirSyncNone with NoSync, for caches and tests: nothing is fsynced.
//
// Temporary files left by a crash are removed by Open, and Walk never
// reports them.
//
// # Reads
//
// ReadAt opens the block file and reads it with pread(2); a block is never
// modified in place, so a read sees one version even while a Put replaces
// it.
package localfs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dittofs/dittofs/store"
)

// DirSync says when Put and Delete make their directory changes durable.
type DirSync int

// The directory sync policies.
const (
	// DirSyncOnSync defers directory fsyncs to the next Sync.
	DirSyncOnSync DirSync = iota
	// DirSyncOnPut fsyncs the directory in every Put and Delete.
	DirSyncOnPut
	// DirSyncNone never fsyncs directories.
	DirSyncNone
)

// Options configures Open. The zero value fsyncs every block before it is
// renamed into place and its directory at the next Sync.
type Options struct {
	// DirSync is the directory sync policy.
	DirSync DirSync
	// NoSync skips every fsync, also of block data: a crash may then lose
	// or tear recent blocks. For caches and tests.
	NoSync bool
	// Logger receives warnings about files Open or Walk could not handle.
	// Nil discards them.
	Logger *slog.Logger
	// OpenFiles bounds the block files kept open for reads (default 256;
	// negative: none, every read opens and closes its file).
	OpenFiles int
}

const (
	tmpPrefix   = ".tmp-"
	versionFile = "VERSION"
	versionText = "dittofs localfs 1\n"
	lockFile    = "LOCK"
)

// Blocks is a store.Blocks over a directory. It is safe for concurrent use.
type Blocks struct {
	root string
	opts Options
	log  *slog.Logger
	lock *os.File

	closed atomic.Bool

	fds *fdCache // block files open for reads (fdcache.go)

	mu    sync.Mutex
	dirty map[string]struct{} // directories to fsync at the next Sync
	files map[string]struct{} // block files to fsync at the next Sync
}

var (
	_ store.Blocks      = (*Blocks)(nil)
	_ store.Syncer      = (*Blocks)(nil)
	_ store.Persistence = (*Blocks)(nil)
	_ io.Closer         = (*Blocks)(nil)
)

// Persistent returns true: blocks are files that survive a restart (with
// NoSync, not necessarily a power failure).
func (b *Blocks) Persistent() bool { return true }

// Open opens the block store in dir, creating dir when needed, locks it
// against other processes, and removes temporary files left by a crash.
func Open(dir string, o Options) (*Blocks, error) {
	b := &Blocks{root: filepath.Clean(dir), opts: o, log: o.Logger, dirty: map[string]struct{}{}, files: map[string]struct{}{}}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if o.OpenFiles == 0 {
		o.OpenFiles = 256
	}
	b.fds = newFDCache(o.OpenFiles)
	if err := os.MkdirAll(b.root, 0o700); err != nil {
		return nil, store.NewError(store.CodeIO, "open", dir, err)
	}
	lock, err := lockDir(filepath.Join(b.root, lockFile))
	if err != nil {
		return nil, store.NewError(store.CodeIO, "open", dir, err)
	}
	b.lock = lock
	if err := b.checkVersion(); err != nil {
		lock.Close()
		return nil, err
	}
	if err := b.cleanTemp(); err != nil {
		lock.Close()
		return nil, store.NewError(store.CodeIO, "open", dir, err)
	}
	return b, nil
}

// checkVersion writes VERSION into a new store and checks it in an old one.
func (b *Blocks) checkVersion() error {
	p := filepath.Join(b.root, versionFile)
	data, err := os.ReadFile(p)
	switch {
	case err == nil:
		if string(data) != versionText {
			return store.NewError(store.CodeInvalid, "open", b.root, fmt.Errorf("unknown block store layout %q", data))
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return store.NewError(store.CodeIO, "open", b.root, err)
	}
	entries, err := os.ReadDir(b.root)
	if err != nil {
		return store.NewError(store.CodeIO, "open", b.root, err)
	}
	for _, e := range entries {
		if e.Name() != lockFile {
			return store.NewError(store.CodeInvalid, "open", b.root, fmt.Errorf("directory is not empty and has no %s file: not a block store", versionFile))
		}
	}
	if err := b.writeFile(b.root, versionFile, []byte(versionText)); err != nil {
		return store.NewError(store.CodeIO, "open", b.root, err)
	}
	if err := b.syncDir(b.root); err != nil {
		return store.NewError(store.CodeIO, "open", b.root, err)
	}
	return nil
}

// cleanTemp removes the temporary files of interrupted Puts.
func (b *Blocks) cleanTemp() error {
	names, err := readNames(b.root)
	if err != nil {
		return err
	}
	if err := b.removeTemp(b.root, names); err != nil {
		return err
	}
	return b.eachDir(context.Background(), b.removeTemp)
}

func (b *Blocks) removeTemp(dir string, names []string) error {
	for _, name := range names {
		if strings.HasPrefix(name, tmpPrefix) {
			p := filepath.Join(dir, name)
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			b.log.Info("removed a stale temporary block file", "path", p)
		}
	}
	return nil
}

// Close releases the directory lock. Later calls fail with an error
// matching fs.ErrClosed.
func (b *Blocks) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.fds.closeAll()
	return b.lock.Close()
}

func (b *Blocks) check(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return store.NewError(store.CodeIO, op, "", fs.ErrClosed)
	}
	return nil
}

// paths returns the directory and file of block id.
func (b *Blocks) paths(id store.BlockID) (dir, file string) {
	var h [64]byte
	hex.Encode(h[:], id[:])
	dir = b.root + string(filepath.Separator) + string(h[0:2]) + string(filepath.Separator) + string(h[2:4])
	return dir, dir + string(filepath.Separator) + string(h[:])
}

// Put stores data as block id, atomically replacing an older version.
func (b *Blocks) Put(ctx context.Context, id store.BlockID, data []byte) error {
	if err := b.check(ctx, "put"); err != nil {
		return err
	}
	dir, file := b.paths(id)
	err := b.writeFile(dir, filepath.Base(file), data)
	if errors.Is(err, fs.ErrNotExist) {
		if err = b.mkdirs(dir); err == nil {
			err = b.writeFile(dir, filepath.Base(file), data)
		}
	}
	b.fds.evict(id) // even after an error: the file may have changed
	if err != nil {
		return store.NewError(errCode(err), "put", id.String(), err)
	}
	if b.deferSync() {
		b.mu.Lock()
		b.files[file] = struct{}{}
		b.mu.Unlock()
	}
	if err := b.dirChanged(dir); err != nil {
		return store.NewError(errCode(err), "put", id.String(), err)
	}
	return nil
}

// deferSync reports whether block files are fsynced by Sync rather than
// by Put.
func (b *Blocks) deferSync() bool { return !b.opts.NoSync && b.opts.DirSync == DirSyncOnSync }

// writeFile writes data to dir/name through a temporary file, fsynced
// unless the fsync is left to Sync (block files only).
func (b *Blocks) writeFile(dir, name string, data []byte) (err error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, tmpPrefix+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	switch {
	case b.opts.NoSync:
	case b.deferSync() && dir != b.root:
		startWriteback(f)
	default:
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// mkdirs makes the two fan-out levels of dir and records the directories
// whose entries changed.
func (b *Blocks) mkdirs(dir string) error {
	parent := filepath.Dir(dir)
	for _, d := range []string{parent, dir} {
		err := os.Mkdir(d, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := b.dirChanged(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// dirChanged applies the sync policy to a directory whose entries changed.
func (b *Blocks) dirChanged(dir string) error {
	if b.opts.NoSync {
		return nil
	}
	switch b.opts.DirSync {
	case DirSyncOnPut:
		return b.syncDir(dir)
	case DirSyncOnSync:
		b.mu.Lock()
		b.dirty[dir] = struct{}{}
		b.mu.Unlock()
	}
	return nil
}

func (b *Blocks) syncDir(dir string) error {
	if b.opts.NoSync {
		return nil
	}
	return fsyncPath(dir)
}

// Sync fsyncs the block files written and the directories changed since
// the last Sync, so that every Put and Delete that returned before the
// call is durable.
func (b *Blocks) Sync(ctx context.Context) error {
	if err := b.check(ctx, "sync"); err != nil {
		return err
	}
	b.mu.Lock()
	dirs, files := b.dirty, b.files
	b.dirty, b.files = map[string]struct{}{}, map[string]struct{}{}
	b.mu.Unlock()
	if err := b.syncFiles(ctx, files); err != nil {
		b.redirty(slices.Collect(maps.Keys(dirs)))
		return store.NewError(errCode(err), "sync", "", err)
	}
	var errs []error
	// Leaf directories first, so that a parent's entry for a new child is
	// synced after the child's contents.
	order := make([]string, 0, len(dirs))
	for d := range dirs {
		order = append(order, d)
	}
	sortDeepestFirst(order)
	for i, d := range order {
		if err := ctx.Err(); err != nil {
			b.redirty(order[i:])
			return err
		}
		if err := b.syncDir(d); err != nil {
			b.redirty(order[i:])
			errs = append(errs, err)
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return store.NewError(errCode(err), "sync", "", err)
	}
	return nil
}

// syncWorkers is how many block files Sync fsyncs at once: concurrent
// fsyncs of one filesystem share journal commits.
const syncWorkers = 8

// syncFiles fsyncs files, syncWorkers at a time; a file deleted meanwhile
// is skipped. On failure the files not known to be synced are recorded
// again for the next Sync.
func (b *Blocks) syncFiles(ctx context.Context, files map[string]struct{}) error {
	if len(files) == 0 {
		return nil
	}
	work := make(chan string)
	var mu sync.Mutex
	var errs []error
	var failed []string
	var wg sync.WaitGroup
	for range min(syncWorkers, len(files)) {
		wg.Go(func() {
			for p := range work {
				err := fsyncPath(p)
				if err == nil || errors.Is(err, fs.ErrNotExist) {
					continue
				}
				mu.Lock()
				errs = append(errs, err)
				failed = append(failed, p)
				mu.Unlock()
			}
		})
	}
	var rest []string
	for p := range files {
		mu.Lock()
		stop := len(errs) > 0
		mu.Unlock()
		if stop || ctx.Err() != nil {
			rest = append(rest, p)
			continue
		}
		work <- p
	}
	close(work)
	wg.Wait()
	if len(failed)+len(rest) > 0 {
		b.mu.Lock()
		for _, p := range append(failed, rest...) {
			b.files[p] = struct{}{}
		}
		b.mu.Unlock()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// fsyncPath fsyncs the file at p.
func fsyncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// sortDeepestFirst orders directories by decreasing depth.
func sortDeepestFirst(dirs []string) {
	depth := func(d string) int { return strings.Count(d, string(filepath.Separator)) }
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(depth(b), depth(a)) })
}

func (b *Blocks) redirty(dirs []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range dirs {
		b.dirty[d] = struct{}{}
	}
}

// ReadAt reads block id at off with pread(2).
func (b *Blocks) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	if err := b.check(ctx, "readat"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, store.NewError(store.CodeInvalid, "readat", id.String(), errors.New("negative offset"))
	}
	cf, gen := b.fds.get(id)
	if cf == nil {
		_, file := b.paths(id)
		f, err := os.Open(file)
		if errors.Is(err, fs.ErrNotExist) {
			return 0, store.NewError(store.CodeNotFound, "readat", id.String(), nil)
		}
		if err != nil {
			return 0, store.NewError(store.CodeIO, "readat", id.String(), err)
		}
		cf = b.fds.put(id, f, gen)
	}
	defer b.fds.release(cf)
	n, err := cf.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, store.NewError(store.CodeIO, "readat", id.String(), err)
	}
	return n, err
}

// Delete removes block id.
func (b *Blocks) Delete(ctx context.Context, id store.BlockID) error {
	if err := b.check(ctx, "delete"); err != nil {
		return err
	}
	dir, file := b.paths(id)
	err := os.Remove(file)
	b.fds.evict(id)
	if b.deferSync() {
		b.mu.Lock()
		delete(b.files, file)
		b.mu.Unlock()
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return store.NewError(errCode(err), "delete", id.String(), err)
	}
	if err := b.dirChanged(dir); err != nil {
		return store.NewError(errCode(err), "delete", id.String(), err)
	}
	return nil
}

// Walk calls fn for every block file. It ignores temporary files and
// files whose names are not block ids of their directory, and reads each
// directory before calling fn for its blocks, so fn may Put and Delete.
func (b *Blocks) Walk(ctx context.Context, fn func(store.BlockID) error) error {
	if err := b.check(ctx, "walk"); err != nil {
		return err
	}
	return b.eachDir(ctx, func(dir string, names []string) error {
		rel, _ := filepath.Rel(b.root, dir)
		prefix := strings.ReplaceAll(rel, string(filepath.Separator), "")
		for _, name := range names {
			id, ok := parseName(prefix, name)
			if !ok {
				if !strings.HasPrefix(name, tmpPrefix) {
					b.log.Warn("ignoring a file that is not a block", "path", filepath.Join(dir, name))
				}
				continue
			}
			if err := fn(id); err != nil {
				return err
			}
		}
		return nil
	})
}

// parseName returns the id named by a block file in the directory whose
// fan-out prefix (four hex digits) is prefix.
func parseName(prefix, name string) (store.BlockID, bool) {
	var id store.BlockID
	if len(name) != 2*len(id) || !strings.HasPrefix(name, prefix) {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(name)); err != nil {
		return id, false
	}
	if hex.EncodeToString(id[:]) != name { // upper-case digits
		return id, false
	}
	return id, true
}

// eachDir calls fn with the file names of every leaf directory of the
// fan-out tree.
func (b *Blocks) eachDir(ctx context.Context, fn func(dir string, names []string) error) error {
	level1, err := readNames(b.root)
	if err != nil {
		return err
	}
	for _, d1 := range level1 {
		if !isFanout(d1) {
			continue
		}
		p1 := filepath.Join(b.root, d1)
		level2, err := readNames(p1)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
		for _, d2 := range level2 {
			if !isFanout(d2) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			p2 := filepath.Join(p1, d2)
			names, err := readNames(p2)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return err
			}
			if err := fn(p2, names); err != nil {
				return err
			}
		}
	}
	return nil
}

// isFanout reports whether name is a fan-out directory name: two
// lower-case hex digits.
func isFanout(name string) bool {
	return len(name) == 2 && isHex(name[0]) && isHex(name[1])
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	return names, nil
}

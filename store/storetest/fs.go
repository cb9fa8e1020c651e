package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/internal/fsmodel"
)

// FSOptions configures FS. Zero fields take defaults.
type FSOptions struct {
	Seeds     int    // independent random sequences, one subtest each (default 8)
	Steps     int    // operations per sequence (default 400)
	Seed      uint64 // first seed (default 1); a failure names its seed
	BlockSize int    // store.Options.BlockSize (default 1024: many blocks per file)
	// NoRestart keeps the FS open for the whole sequence. By default a
	// sequence closes the FS and opens a new one over the same backends
	// at random points and at its end, as a restart of the server does.
	NoRestart bool
	// Timeout is how long one operation may take before the sequence
	// fails (zero: DefaultTimeout).
	Timeout time.Duration
}

// FS runs the model-based test of store.FS over a pair of backends:
// random sequences of operations (create, mkdir, symlink, remove, rename,
// link, chmod, chown, truncate, write, read, clone, deallocate, xattrs,
// lookup, readdir, getattr, commit, restart) by four credentials run
// against store.FS and against a simple in-memory model of POSIX, and
// every error code, attribute, byte of content, listing and xattr must
// agree; each sequence ends with a restart, fsck and garbage collection.
// newBackends returns a fresh, empty pair for each sequence (store.NewFS
// must accept it: see store.Persistence). At most one FSOptions may be
// given.
//
// Where Metadata and Blocks check the contracts one by one, FS checks
// that a backend is good enough for a filesystem: it is the test to run
// last, and the one that finds what the others did not think of.
func FS(t *testing.T, newBackends func(t *testing.T) (store.Metadata, store.Blocks), opts ...FSOptions) {
	t.Helper()
	if len(opts) > 1 {
		t.Fatal("storetest.FS: more than one FSOptions")
	}
	var o FSOptions
	if len(opts) == 1 {
		o = opts[0]
	}
	cfg := fsmodel.Defaults(fsmodel.Config{Seeds: o.Seeds, Steps: o.Steps, Seed: o.Seed, BlockSize: o.BlockSize, NoRestart: o.NoRestart})
	for i := range cfg.Seeds {
		seed := cfg.Seed + uint64(i)
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			meta, blocks := newBackends(t)
			run(t, o.Timeout, nil, func(t *tt) {
				id := t.w.begin("store.FS", "starting")
				defer t.w.end(id)
				fsmodel.RunSeed(t, meta, blocks, cfg, seed, func(n int, last string) {
					t.w.set(id, fmt.Sprintf("at step %d (the step before: %q)", n, last))
				})
			})
		})
	}
}

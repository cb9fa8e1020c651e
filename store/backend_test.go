package store_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/store/memory"
)

// logged is a logging wrapper written the easy way: it embeds the
// interface, and so hides its backend's Persistence and Syncer.
type logged struct{ store.Metadata }

// loggedFwd forwards them.
type loggedFwd struct{ *badger.Metadata }

// claimsPersistence declares itself persistent but cannot Sync.
type claimsPersistence struct{ *memory.Metadata }

func (claimsPersistence) Persistent() bool { return true }

// TestNewFSRefusesMismatchedBackends checks store.NewFS's validation of
// its pair of backends (see store.Persistence): a wrapper that hides a
// persistent backend's Sync, persistent metadata over volatile blocks and
// the reverse are refused with an error naming the mismatch; matching
// pairs are accepted.
func TestNewFSRefusesMismatchedBackends(t *testing.T) {
	dir := t.TempDir()
	bm, err := badger.Open(filepath.Join(dir, "meta"), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bm.Close()
	lb, err := localfs.Open(filepath.Join(dir, "blocks"), localfs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	for _, tc := range []struct {
		name   string
		meta   store.Metadata
		blocks store.Blocks
		want   string // "" accepted, else a part of the error
	}{
		{"memory", memory.NewMetadata(), memory.NewBlocks(), ""},
		{"badger and localfs", bm, lb, ""},
		{"a forwarding wrapper of badger and localfs", loggedFwd{bm}, lb, ""},
		{"a wrapper of memory and memory blocks", logged{memory.NewMetadata()}, memory.NewBlocks(), ""},
		{"a hiding wrapper of badger and localfs", logged{bm}, lb, "declares no persistence"},
		{"badger and memory blocks", bm, memory.NewBlocks(), "is persistent but block backend *memory.Blocks is volatile"},
		{"memory and localfs", memory.NewMetadata(), lb, "is volatile but block backend *localfs.Blocks is persistent"},
		{"persistent without Sync", claimsPersistence{memory.NewMetadata()}, lb, "does not implement store.Syncer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := store.NewFS(tc.meta, tc.blocks, store.Options{FlushInterval: -1})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("NewFS: %v", err)
				}
				if err := fs.Close(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				fs.Close()
				t.Fatalf("NewFS accepted the pair")
			}
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewFS: %v; want an error matching ErrInvalid saying %q", err, tc.want)
			}
		})
	}
}

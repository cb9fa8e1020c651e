package localfs_test

import (
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/store/storetest"
)

func open(t testing.TB, dir string, o localfs.Options) *localfs.Blocks {
	t.Helper()
	b, err := localfs.Open(dir, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func conformance(t *testing.T, o localfs.Options) {
	dirs := map[store.Blocks]string{}
	storetest.Blocks(t, func(t *testing.T) store.Blocks {
		dir := t.TempDir()
		b := open(t, dir, o)
		dirs[b] = dir
		return b
	}, storetest.BlocksOptions{
		Reopen: func(t *testing.T, old store.Blocks) store.Blocks {
			dir := dirs[old]
			if err := old.(*localfs.Blocks).Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			b := open(t, dir, o)
			dirs[b] = dir
			return b
		},
	})
}

func TestConformance(t *testing.T) { conformance(t, localfs.Options{}) }
func TestConformanceDirSyncOnPut(t *testing.T) {
	conformance(t, localfs.Options{DirSync: localfs.DirSyncOnPut})
}
func TestConformanceNoSync(t *testing.T) { conformance(t, localfs.Options{NoSync: true}) }

func BenchmarkBlocks(b *testing.B) {
	storetest.BenchmarkBlocks(b, func(b *testing.B) store.Blocks { return open(b, b.TempDir(), localfs.Options{}) })
}

func BenchmarkBlocksNoSync(b *testing.B) {
	storetest.BenchmarkBlocks(b, func(b *testing.B) store.Blocks { return open(b, b.TempDir(), localfs.Options{NoSync: true}) })
}

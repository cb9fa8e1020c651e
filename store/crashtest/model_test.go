package crashtest

import (
	"path/filepath"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/internal/fsmodel"
	"github.com/dittofs/dittofs/store/localfs"
)

// TestModel runs store.FS's model-based test over badger and localfs
// (without fsyncs, which the model does not observe).
func TestModel(t *testing.T) {
	cfg := fsmodel.Config{Seeds: 8, Steps: 1000}
	if testing.Short() {
		cfg = fsmodel.Config{Seeds: 2, Steps: 150}
	}
	fsmodel.Run(t, func(t testing.TB) (store.Metadata, store.Blocks) {
		dir := t.TempDir()
		meta, err := badger.Open(filepath.Join(dir, "meta"), badger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { meta.Close() })
		blocks, err := localfs.Open(filepath.Join(dir, "blocks"), localfs.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { blocks.Close() })
		return meta, blocks
	}, cfg)
}

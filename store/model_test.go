package store_test

import (
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/internal/fsmodel"
	"github.com/dittofs/dittofs/store/memory"
)

func TestModelMemory(t *testing.T) {
	cfg := fsmodel.Config{Seeds: 16, Steps: 600}
	if testing.Short() {
		cfg = fsmodel.Config{Seeds: 4, Steps: 300}
	}
	fsmodel.Run(t, func(testing.TB) (store.Metadata, store.Blocks) {
		return memory.NewMetadata(), memory.NewBlocks()
	}, cfg)
}

func TestModelMemoryBigBlocks(t *testing.T) {
	fsmodel.Run(t, func(testing.TB) (store.Metadata, store.Blocks) {
		return memory.NewMetadata(), memory.NewBlocks()
	}, fsmodel.Config{Seeds: 4, Steps: 400, Seed: 100, BlockSize: 1 << 20})
}

package memory_test

import (
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
	"github.com/dittofs/dittofs/store/storetest"
)

func TestMetadataConformance(t *testing.T) {
	storetest.Metadata(t, func(t *testing.T) store.Metadata { return memory.NewMetadata() })
}

func TestBlocksConformance(t *testing.T) {
	storetest.Blocks(t, func(t *testing.T) store.Blocks { return memory.NewBlocks() })
}

func BenchmarkMetadata(b *testing.B) {
	storetest.BenchmarkMetadata(b, func(b *testing.B) store.Metadata { return memory.NewMetadata() })
}

func BenchmarkBlocks(b *testing.B) {
	storetest.BenchmarkBlocks(b, func(b *testing.B) store.Blocks { return memory.NewBlocks() })
}

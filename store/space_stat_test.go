package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// deviceBlocks are memory blocks on a pretend device of total bytes with
// free left (store.Space).
type deviceBlocks struct {
	store.Blocks
	total, free uint64
	err         error
}

func (d *deviceBlocks) Space() (uint64, uint64, error) { return d.total, d.free, d.err }

// TestFsStatSpace: FsStat reports the room of the block backend's device
// when it knows it (store.Space) and no Capacity is set, the lesser free
// room of capacity and device when both are, and the nominal figures only
// when neither is known (RFC 1813 §3.3.18 FSSTAT: tbytes, fbytes, abytes).
func TestFsStatSpace(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name                string
		capacity            uint64
		dev                 *deviceBlocks
		wantTotal, wantFree uint64
	}{
		{"device", 0, &deviceBlocks{total: 100 << 30, free: 40 << 30}, 100 << 30, 40 << 30},
		{"capacity under device room", 10 << 30, &deviceBlocks{total: 100 << 30, free: 40 << 30}, 10 << 30, 10 << 30},
		{"device fuller than capacity", 10 << 30, &deviceBlocks{total: 100 << 30, free: 1 << 30}, 10 << 30, 1 << 30},
		{"device unknown", 0, &deviceBlocks{err: errors.ErrUnsupported}, 1 << 50, 1 << 50},
	} {
		c.dev.Blocks = memory.NewBlocks()
		fsys, err := store.NewFS(memory.NewMetadata(), c.dev, store.Options{Capacity: c.capacity})
		if err != nil {
			t.Fatal(err)
		}
		st := fsys.FsStat(ctx)
		if st.TotalBytes != c.wantTotal || st.FreeBytes != c.wantFree || st.AvailBytes != c.wantFree {
			t.Errorf("%s: total %d free %d avail %d; want %d, %d", c.name, st.TotalBytes, st.FreeBytes, st.AvailBytes, c.wantTotal, c.wantFree)
		}
		fsys.Close()
	}
}

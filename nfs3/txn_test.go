package nfs3

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// countingMeta counts the transactions store.FS starts.
type countingMeta struct {
	store.Metadata
	views, updates atomic.Int64
}

func (m *countingMeta) View(ctx context.Context, fn func(store.Tx) error) error {
	m.views.Add(1)
	return m.Metadata.View(ctx, fn)
}

func (m *countingMeta) Update(ctx context.Context, fn func(store.Tx) error) error {
	m.updates.Add(1)
	return m.Metadata.Update(ctx, fn)
}

func (m *countingMeta) reset() { m.views.Store(0); m.updates.Store(0) }

// TestIOOneTransaction: WRITE (RFC 1813 §3.3.7, file_wcc), SETATTR
// (§3.3.2, obj_wcc) and READ (§3.3.6, file_attributes) each cost one
// metadata transaction, which also gives the attributes the reply
// carries: wcc_data before and after read in the change's transaction, as
// §2.6 wants them, with no GetAttr around it.
func TestIOOneTransaction(t *testing.T) {
	meta := &countingMeta{Metadata: memory.NewMetadata()}
	fsys, err := store.NewFS(meta, memory.NewBlocks(), store.Options{RootMode: 0o777, Atime: store.AtimeNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	ts := startServer(t, fsys, exportsLine)
	c := ts.dial(1000, 1000)
	f := c.mustCreate(c.mount("/export"), "f")
	size := uint64(0)
	for _, how := range []wire.StableHow{wire.UNSTABLE, wire.DATA_SYNC, wire.FILE_SYNC} {
		meta.reset()
		res := c.write(f, size, []byte("0123456789"), how)
		if res.Status != wire.NFS3_OK {
			t.Fatalf("WRITE %d: %d", how, res.Status)
		}
		if v, u := meta.views.Load(), meta.updates.Load(); v != 0 || u != 1 {
			t.Errorf("WRITE %d: %d views and %d updates, want one update", how, v, u)
		}
		wcc := res.Resok.FileWcc
		if !wcc.Before.AttributesFollow || !wcc.After.AttributesFollow ||
			uint64(wcc.Before.Attributes.Size) != size || uint64(wcc.After.Attributes.Size) != size+10 {
			t.Errorf("WRITE %d: wcc %+v, want size %d -> %d", how, wcc, size, size+10)
		}
		size += 10
	}

	meta.reset()
	var sres wire.SETATTR3res
	c.call(wire.NFSPROC3_SETATTR, &wire.SETATTR3args{Object: fh(f), NewAttributes: wire.Sattr3{Mode: wire.SetMode3{SetIt: true, Mode: 0o600}}}, &sres)
	if sres.Status != wire.NFS3_OK {
		t.Fatalf("SETATTR: %d", sres.Status)
	}
	if v, u := meta.views.Load(), meta.updates.Load(); v != 0 || u != 1 {
		t.Errorf("SETATTR: %d views and %d updates, want one update", v, u)
	}
	if w := sres.ObjWcc; !w.Before.AttributesFollow || !w.After.AttributesFollow || w.After.Attributes.Mode != 0o600 ||
		w.Before.Attributes.Size != w.After.Attributes.Size {
		t.Errorf("SETATTR: wcc %+v", w)
	}

	meta.reset()
	rres := c.read(f, 0, 100)
	if rres.Status != wire.NFS3_OK || len(rres.Resok.Data) != int(size) || !rres.Resok.EOF {
		t.Fatalf("READ: %d, %d bytes", rres.Status, len(rres.Resok.Data))
	}
	if v, u := meta.views.Load(), meta.updates.Load(); v != 1 || u != 0 {
		t.Errorf("READ: %d views and %d updates, want one view", v, u)
	}
	if a := rres.Resok.FileAttributes; !a.AttributesFollow || uint64(a.Attributes.Size) != size || a.Attributes.Mode != 0o600 {
		t.Errorf("READ: attributes %+v", a)
	}

	// COMMIT of a file with nothing unstable (the first COMMIT sealed
	// the unstable write): the attributes before (also the type check),
	// the store's check that the file exists, the attributes after; no
	// update.
	var cm wire.COMMIT3res
	c.call(wire.NFSPROC3_COMMIT, &wire.COMMIT3args{File: fh(f)}, &cm)
	meta.reset()
	c.call(wire.NFSPROC3_COMMIT, &wire.COMMIT3args{File: fh(f)}, &cm)
	if cm.Status != wire.NFS3_OK {
		t.Fatalf("COMMIT: %d", cm.Status)
	}
	if v, u := meta.views.Load(), meta.updates.Load(); v != 3 || u != 0 {
		t.Errorf("COMMIT: %d views and %d updates, want three views", v, u)
	}
	if w := cm.Resok.FileWcc; !w.Before.AttributesFollow || !w.After.AttributesFollow || uint64(w.Before.Attributes.Size) != size {
		t.Errorf("COMMIT: wcc %+v", w)
	}
}

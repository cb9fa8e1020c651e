package store

import (
	"context"
	"errors"
)

// reclaimBlocks deletes those of ids that no record references: blocks whose
// last reference went away, and blocks an operation put that did not commit.
// Each check and delete holds the block's lock, which a writer holds from
// putting a block to committing its record.
func (f *FS) reclaimBlocks(ctx context.Context, ids []BlockID) {
	o := f.getOp(ctx)
	defer f.putOp(o)
	for _, id := range ids {
		f.reclaimOne(ctx, o, id)
	}
}

// reclaimOne deletes block id if no record references it, and reports
// whether it did.
func (f *FS) reclaimOne(ctx context.Context, o *op, id BlockID) (bool, error) {
	bl := f.lockBlock(id)
	bl.Lock()
	defer bl.Unlock()
	var referenced bool
	err := f.view(ctx, o, func(o *op) error {
		_, err := o.tx.Get(o.keyBlock(id))
		switch {
		case err == nil:
			referenced = true
		case errors.Is(err, ErrNotFound):
		default:
			return err
		}
		return nil
	})
	if err != nil || referenced {
		return false, err
	}
	if err := f.blocks.Delete(ctx, id); err != nil {
		return false, ioErr("delete block", err)
	}
	return true, nil
}

// GCStats is what GC did.
type GCStats struct {
	Scanned int // blocks in the Blocks backend
	Deleted int // unreferenced blocks deleted
}

// GC deletes every block of the Blocks backend that no metadata record
// references: blocks left by a crash between storing a block and committing
// its record, or by a failed delete. Blocks whose last reference goes away
// are deleted at once, so GC finds work only after failures. It may run
// concurrently with other operations.
func (f *FS) GC(ctx context.Context) (GCStats, error) {
	var st GCStats
	var ids []BlockID
	err := f.blocks.Walk(ctx, func(id BlockID) error {
		st.Scanned++
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return st, ioErr("gc walk", err)
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ok, err := f.reclaimOne(ctx, o, id)
		if err != nil {
			return st, err
		}
		if ok {
			st.Deleted++
		}
	}
	return st, nil
}

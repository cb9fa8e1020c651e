package memory

import (
	"context"
	"io"
	"sync"

	"github.com/dittofs/dittofs/store"
)

const blockShards = 64

// Blocks is an in-memory store.Blocks. Put copies the data; a stored block
// is never changed, only replaced, so ReadAt copies out of it without
// holding a lock. The map is sharded by the first byte of the id to keep
// concurrent writers apart.
//
// Blocks is safe for concurrent use. Its zero value is not usable; call
// NewBlocks.
type Blocks struct {
	shards [blockShards]blockShard
}

type blockShard struct {
	mu sync.RWMutex
	m  map[store.BlockID][]byte
}

var (
	_ store.Blocks      = (*Blocks)(nil)
	_ store.Persistence = (*Blocks)(nil)
)

// Persistent returns false: nothing survives the process.
func (b *Blocks) Persistent() bool { return false }

// NewBlocks returns an empty in-memory block store.
func NewBlocks() *Blocks {
	b := &Blocks{}
	for i := range b.shards {
		b.shards[i].m = make(map[store.BlockID][]byte)
	}
	return b
}

func (b *Blocks) shard(id store.BlockID) *blockShard {
	return &b.shards[id[0]%blockShards]
}

// Put stores a copy of data under id.
func (b *Blocks) Put(ctx context.Context, id store.BlockID, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := make([]byte, len(data))
	copy(c, data)
	s := b.shard(id)
	s.mu.Lock()
	s.m[id] = c
	s.mu.Unlock()
	return nil
}

// ReadAt reads from block id at off, returning io.EOF when the block ends
// before p is full.
func (b *Blocks) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, store.NewError(store.CodeInvalid, "readat", id.String(), nil)
	}
	s := b.shard(id)
	s.mu.RLock()
	data, ok := s.m[id]
	s.mu.RUnlock()
	if !ok {
		return 0, store.NewError(store.CodeNotFound, "readat", id.String(), nil)
	}
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(p, data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Delete removes block id.
func (b *Blocks) Delete(ctx context.Context, id store.BlockID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s := b.shard(id)
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
	return nil
}

// Walk calls fn for every block stored when Walk visits its shard. fn may
// Put and Delete blocks.
func (b *Blocks) Walk(ctx context.Context, fn func(store.BlockID) error) error {
	var ids []store.BlockID
	for i := range b.shards {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := &b.shards[i]
		s.mu.RLock()
		ids = ids[:0]
		for id := range s.m {
			ids = append(ids, id)
		}
		s.mu.RUnlock()
		for _, id := range ids {
			if err := fn(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Len returns the number of stored blocks.
func (b *Blocks) Len() int {
	n := 0
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

package main

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/dittofs/dittofs/store"
	"github.com/prometheus/client_golang/prometheus"
)

// storeCounters count the file system's work on its backends: metadata
// transactions and block bytes moved. The backends are wrapped for the
// store.FS only; the lock manager and the NFSv4 state table use the
// metadata store directly.
type storeCounters struct {
	views, updates        atomic.Uint64
	bytesRead, bytesWrite atomic.Uint64
}

// countingMeta counts the transactions of a store.Metadata.
type countingMeta struct {
	store.Metadata
	c *storeCounters
}

func (m countingMeta) View(ctx context.Context, fn func(store.Tx) error) error {
	m.c.views.Add(1)
	return m.Metadata.View(ctx, fn)
}

func (m countingMeta) Update(ctx context.Context, fn func(store.Tx) error) error {
	m.c.updates.Add(1)
	return m.Metadata.Update(ctx, fn)
}

// Sync forwards store.Syncer (a no-op for a backend without it, as the
// store would have skipped it).
func (m countingMeta) Sync(ctx context.Context) error {
	if s, ok := m.Metadata.(store.Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

// countingBlocks counts the bytes written to and read from a store.Blocks.
type countingBlocks struct {
	store.Blocks
	c *storeCounters
}

func (b countingBlocks) Put(ctx context.Context, id store.BlockID, data []byte) error {
	err := b.Blocks.Put(ctx, id, data)
	if err == nil {
		b.c.bytesWrite.Add(uint64(len(data)))
	}
	return err
}

func (b countingBlocks) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	n, err := b.Blocks.ReadAt(ctx, id, p, off)
	b.c.bytesRead.Add(uint64(max(n, 0)))
	return n, err
}

// Sync forwards store.Syncer.
func (b countingBlocks) Sync(ctx context.Context) error {
	if s, ok := b.Blocks.(store.Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

// Space forwards store.Space; without it FsStat falls back as it would.
func (b countingBlocks) Space() (uint64, uint64, error) {
	if s, ok := b.Blocks.(store.Space); ok {
		return s.Space()
	}
	return 0, 0, errors.ErrUnsupported
}

// registerStoreMetrics exports the counters and the open-block bytes of fsys.
func registerStoreMetrics(reg prometheus.Registerer, c *storeCounters, fsys *store.FS) {
	for kind, v := range map[string]*atomic.Uint64{"view": &c.views, "update": &c.updates} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "dittofs_store_metadata_transactions_total", Help: "Metadata transactions of the file system (retries included), by kind.",
			ConstLabels: prometheus.Labels{"kind": kind},
		}, func() float64 { return float64(v.Load()) }))
	}
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "dittofs_store_block_bytes_read_total", Help: "Bytes read from the block store.",
		}, func() float64 { return float64(c.bytesRead.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "dittofs_store_block_bytes_written_total", Help: "Bytes written to the block store (sealed blocks, after dedup).",
		}, func() float64 { return float64(c.bytesWrite.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dittofs_store_open_block_bytes", Help: "Bytes of unstable writes held in memory in open blocks.",
		}, func() float64 { return float64(fsys.Stats().OpenBlockBytes) }),
	)
}

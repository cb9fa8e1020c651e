package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// stores are the backends and the filesystem of the default export.
type stores struct {
	meta      store.Metadata
	blocks    store.Blocks
	fs        *store.FS
	handleKey []byte
	// counts are the file system's work on meta and blocks.
	counts storeCounters
}

// exportRootMode is the mode of the export's root when a store is first
// formatted: everyone may create files in it, as in a fresh NFS-Ganesha
// FSAL_MEM export, since clients' root is squashed by default.
const exportRootMode = 0o777

// openStores opens the memory stores, or the metadata store of
// cfg.Metadata (BadgerDB in DATA/meta, or PostgreSQL) and the block store
// of cfg.Blocks (a block directory in DATA/blocks by default).
func openStores(cfg Config, log *slog.Logger) (*stores, error) {
	s := &stores{}
	if cfg.Memory {
		s.meta, s.blocks = memory.NewMetadata(), memory.NewBlocks()
		s.handleKey = make([]byte, 32)
		rand.Read(s.handleKey)
	} else {
		if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
			return nil, err
		}
		key, err := loadHandleKey(filepath.Join(cfg.Data, "handle.key"))
		if err != nil {
			return nil, err
		}
		s.handleKey = key
		meta, err := openMetadata(cfg, log)
		if err != nil {
			return nil, fmt.Errorf("metadata store: %w", err)
		}
		blocks, err := openBlocks(context.Background(), cfg, log)
		if err != nil {
			meta.Close()
			return nil, fmt.Errorf("block store: %w", err)
		}
		s.meta, s.blocks = meta, blocks
	}
	capacity, maxFiles := storeBounds(cfg)
	fsys, err := store.NewFS(countingMeta{s.meta, &s.counts}, countingBlocks{s.blocks, &s.counts}, store.Options{RootMode: exportRootMode, Capacity: capacity, MaxFiles: maxFiles})
	if err != nil {
		s.closeBackends()
		return nil, err
	}
	s.fs = fsys
	return s, nil
}

// loadHandleKey reads the key that authenticates file handles, making one
// on first start. It must survive restarts, or clients' handles go stale.
func loadHandleKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) < 16 {
			return nil, fmt.Errorf("%s: handle key is %d bytes, want at least 16", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, key, 0o600); err != nil {
		return nil, err
	}
	return key, os.Rename(tmp, path)
}

// close flushes the filesystem and closes the backends.
func (s *stores) close() error {
	err := s.fs.Close()
	return errors.Join(err, s.closeBackends())
}

func (s *stores) closeBackends() error {
	err := s.meta.Close()
	if c, ok := s.blocks.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// storeBounds returns the content and node bounds of the store: the
// configured ones, or, for the memory stores, a quarter of the machine's
// RAM and one node per 4 KiB of it, so that clients cannot exhaust the
// server's memory by writing or creating files.
func storeBounds(cfg Config) (capacity, maxFiles uint64) {
	capacity, maxFiles = uint64(cfg.Capacity), cfg.MaxFiles
	if !cfg.Memory {
		return capacity, maxFiles
	}
	if capacity == 0 {
		capacity = totalRAM() / 4
	}
	if maxFiles == 0 {
		maxFiles = max(capacity/4096, 1024)
	}
	return capacity, maxFiles
}

// demoteInfo logs Badger's INFO lines (compactions, table flushes, value
// log replays: routine work) at DEBUG, keeping its warnings and errors.
type demoteInfo struct{ slog.Handler }

func (d demoteInfo) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelInfo {
		l = slog.LevelDebug
	}
	return d.Handler.Enabled(ctx, l)
}

func (d demoteInfo) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return d.Handler.Handle(ctx, r)
}

func (d demoteInfo) WithAttrs(as []slog.Attr) slog.Handler {
	return demoteInfo{d.Handler.WithAttrs(as)}
}

func (d demoteInfo) WithGroup(name string) slog.Handler { return demoteInfo{d.Handler.WithGroup(name)} }

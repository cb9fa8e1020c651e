package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	bdg "github.com/dgraph-io/badger/v4"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"

	// The components that keep records in the metadata store register
	// their key namespaces and checkers when imported; the server
	// imports them anyway, and Check must know every one.
	_ "github.com/dittofs/dittofs/locking"
	_ "github.com/dittofs/dittofs/nlm"
	_ "github.com/dittofs/dittofs/state"
)

// Exit statuses of --check and --repair.
const (
	fsckClean   = 0 // no damage (after --repair: none left)
	fsckDamaged = 1 // damage found (after --repair: some left)
	fsckFailed  = 2 // the check could not run
)

// fsck runs --check or --repair over the data directory, writes the
// report to w and returns the exit status.
func fsck(ctx context.Context, cfg Config, w io.Writer, log *slog.Logger) int {
	if _, err := os.Stat(filepath.Join(cfg.Data, "meta")); err != nil {
		fmt.Fprintf(w, "fullserver: no store in %s: %v\n", cfg.Data, err)
		return fsckFailed
	}
	var rep store.Report
	var err error
	if cfg.Repair {
		rep, err = repairData(ctx, cfg, w, log)
	} else {
		rep, err = checkData(ctx, cfg, log)
	}
	if err != nil {
		fmt.Fprintf(w, "fullserver: %v\n", err)
		return fsckFailed
	}
	writeReport(w, rep)
	if len(rep.Problems) > 0 {
		return fsckDamaged
	}
	return fsckClean
}

// checkData checks the stores of the data directory without changing
// them: the metadata store is opened read-only (Badger refuses while a
// server has it open) and writes to it fail; the block store is only read
// (opening a block directory removes temporary files of interrupted writes,
// which nothing refers to; opening the write-back cache of --blocks
// s3-cached resumes its pending uploads and deletes, which finishes what the
// server acknowledged).
func checkData(ctx context.Context, cfg Config, log *slog.Logger) (store.Report, error) {
	meta, err := openMetaReadOnly(cfg, log)
	if err != nil {
		return store.Report{}, err
	}
	defer meta.Close()
	blocks, err := openBlocks(ctx, cfg, log)
	if err != nil {
		return store.Report{}, fmt.Errorf("block store: %w", err)
	}
	if c, ok := blocks.(io.Closer); ok {
		defer c.Close()
	}
	fsys, err := store.NewFS(readOnlyMeta{meta}, readOnlyBlocks{blocks}, store.Options{RootMode: exportRootMode, FlushInterval: -1})
	if err != nil {
		return store.Report{}, fmt.Errorf("opening the filesystem read-only (a store that needs recovery must be started once, or repaired): %w", err)
	}
	return fsys.Check(ctx)
}

// repairData copies the data directory aside, then repairs what Check
// can repair.
func repairData(ctx context.Context, cfg Config, w io.Writer, log *slog.Logger) (store.Report, error) {
	// Holding the store open read-only keeps a server from starting on
	// it while it is copied, and fails if one runs.
	meta, err := openMetaReadOnly(cfg, log)
	if err != nil {
		return store.Report{}, err
	}
	backup := filepath.Clean(cfg.Data) + ".backup-" + time.Now().Format("20060102-150405")
	err = copyDir(cfg.Data, backup)
	meta.Close()
	if err != nil {
		return store.Report{}, fmt.Errorf("backing up %s to %s: %w", cfg.Data, backup, err)
	}
	fmt.Fprintf(w, "backup: %s\n", backup)
	st, err := openStores(cfg, log)
	if err != nil {
		return store.Report{}, err
	}
	rep, err := st.fs.Repair(ctx)
	if cerr := st.close(); err == nil {
		err = cerr
	}
	return rep, err
}

func openMetaReadOnly(cfg Config, log *slog.Logger) (*badger.Metadata, error) {
	meta, err := badger.Open(filepath.Join(cfg.Data, "meta"), badger.Options{
		Logger: log.With("component", "badger"),
		Tune:   func(o bdg.Options) bdg.Options { return o.WithReadOnly(true) },
	})
	if err != nil {
		return nil, fmt.Errorf("metadata store (is a server running on %s?): %w", cfg.Data, err)
	}
	return meta, nil
}

// writeReport writes a Check report for people.
func writeReport(w io.Writer, rep store.Report) {
	fmt.Fprintf(w, "nodes %d (directories %d), entries %d, extents %d, blocks %d, xattrs %d\n",
		rep.Nodes, rep.Dirs, rep.Entries, rep.Extents, rep.Blocks, rep.Xattrs)
	for _, ns := range slices.Sorted(maps.Keys(rep.Records)) {
		fmt.Fprintf(w, "records of %s: %d\n", ns, rep.Records[ns])
	}
	for _, r := range rep.Repaired {
		fmt.Fprintf(w, "repaired: %s\n", r)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	if len(rep.Problems) == 0 {
		fmt.Fprintln(w, "no problems found")
	} else {
		fmt.Fprintf(w, "%d problems found\n", len(rep.Problems))
	}
}

// readOnlyMeta is a store.Metadata whose transactions cannot write.
type readOnlyMeta struct{ store.Metadata }

func (m readOnlyMeta) Update(ctx context.Context, fn func(store.Tx) error) error {
	return m.Metadata.View(ctx, func(tx store.Tx) error { return fn(readOnlyTx{tx}) })
}

type readOnlyTx struct{ store.Tx }

func (readOnlyTx) Put(k, v []byte) error { return store.ErrReadOnly }
func (readOnlyTx) Delete(k []byte) error { return store.ErrReadOnly }

// readOnlyBlocks is a store.Blocks that cannot write.
type readOnlyBlocks struct{ store.Blocks }

func (readOnlyBlocks) Put(context.Context, store.BlockID, []byte) error { return store.ErrReadOnly }
func (readOnlyBlocks) Delete(context.Context, store.BlockID) error      { return store.ErrReadOnly }

// copyDir copies the tree at src to dst, which must not exist.
func copyDir(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s exists", dst)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(p, to, info.Mode().Perm())
		}
		return errors.New(p + ": not a regular file or directory")
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/rpc"
)

// lockManager is the lock manager of the default export's store, shared
// by NFSv4 and NLM, and the NLM and NSM services on it (nil when --nlm is
// off).
type lockManager struct {
	locks *locking.Manager
	nlm   *nlm.Server
	nsm   *nlm.Monitor
}

// openLocking opens the lock manager over the store's metadata, so held
// locks and the monitored clients survive a restart, with a grace period
// for reclaims; with NLM on it registers NLM v4 and NSM v1 on mux. The
// status monitor notifies the clients of the previous run only when
// notify is called, once the server's ports are open, so that their
// reclaims find it listening.
func openLocking(ctx context.Context, cfg Config, log *slog.Logger, st *stores, nfs *nfs3.Server, mux *rpc.ServeMux) (*lockManager, error) {
	locks, err := locking.Open(ctx, locking.Options{Persist: st.meta, Grace: cfg.Grace, Logger: log,
		MaxPerFile: cfg.MaxLocksPerFile, MaxPerClient: cfg.MaxLocksPerClient, MaxLocks: cfg.MaxLocks})
	if err != nil {
		return nil, fmt.Errorf("lock manager: %w", err)
	}
	lm := &lockManager{locks: locks}
	if !cfg.NLM {
		return lm, nil
	}
	lm.nsm = &nlm.Monitor{Persist: st.meta, Logger: log}
	lm.nlm = &nlm.Server{
		Files: nlm.FilesFunc(func(ctx context.Context, fh []byte) (*locking.Manager, uint64, error) {
			e, h, err := nfs.ResolveHandle(ctx, fh)
			if err != nil {
				return nil, 0, err
			}
			return lm.of(e), h.ID, nil
		}),
		NSM:    lm.nsm,
		Logger: log,
	}
	lm.nlm.Register(mux)
	return lm, nil
}

// notify starts the status monitor, which sends SM_NOTIFY to the clients
// of the previous run.
func (lm *lockManager) notify(ctx context.Context) error {
	if lm.nsm == nil {
		return nil
	}
	if err := lm.nsm.Start(ctx); err != nil {
		return fmt.Errorf("status monitor: %w", err)
	}
	return nil
}

// of returns the manager of an export's share: the server has one share,
// so one manager.
func (lm *lockManager) of(_ *export.Export) *locking.Manager { return lm.locks }

func (lm *lockManager) close(log *slog.Logger) {
	var errs []error
	if lm.nlm != nil {
		errs = append(errs, lm.nlm.Close(), lm.nsm.Close())
	}
	errs = append(errs, lm.locks.Close())
	if err := errors.Join(errs...); err != nil {
		log.Error("closing the lock manager", "err", err)
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/rpc"
)

// lockManager is the lock manager of the store, which the default export
// carries to every protocol, and the NLM and NSM services on it (nil when
// --nlm is off).
type lockManager struct {
	locks *locking.Manager
	nlm   *nlm.Server
	nsm   *nlm.Monitor
}

// openLocking opens the lock manager over the store's metadata, so held
// locks and the monitored clients survive a restart, with a grace period
// for reclaims.
func openLocking(ctx context.Context, cfg Config, log *slog.Logger, st *stores) (*lockManager, error) {
	locks, err := locking.Open(ctx, locking.Options{Persist: st.meta, Grace: cfg.Grace, Logger: log,
		MaxPerFile: cfg.MaxLocksPerFile, MaxPerClient: cfg.MaxLocksPerClient, MaxLocks: cfg.MaxLocks})
	if err != nil {
		return nil, fmt.Errorf("lock manager: %w", err)
	}
	return &lockManager{locks: locks}, nil
}

// registerNLM registers NLM v4 and NSM v1 on mux, over the exports (and
// so their lock manager), when NLM is on. The status monitor notifies the
// clients of the previous run only when notify is called, once the
// server's ports are open, so that their reclaims find it listening.
func (lm *lockManager) registerNLM(cfg Config, log *slog.Logger, st *stores, exports *export.Table, mux *rpc.ServeMux) {
	if !cfg.NLM {
		return
	}
	lm.nsm = &nlm.Monitor{Persist: st.meta, Logger: log}
	lm.nlm = &nlm.Server{Exports: exports, NSM: lm.nsm, Logger: log}
	lm.nlm.Register(mux)
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

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

// lockManager is the lock manager of the default export's store, and the
// NLM and NSM services on it.
type lockManager struct {
	locks *locking.Manager
	nlm   *nlm.Server
	nsm   *nlm.Monitor
}

// startLocking opens the lock manager over the store's metadata (so held
// locks and the monitored clients survive a restart, with a grace period
// for reclaims), starts the status monitor (which notifies the clients of
// the previous run), and registers NLM v4 and NSM v1 on mux.
func startLocking(ctx context.Context, log *slog.Logger, st *stores, nfs *nfs3.Server, mux *rpc.ServeMux) (*lockManager, error) {
	locks, err := locking.Open(ctx, locking.Options{Persist: st.meta, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("lock manager: %w", err)
	}
	mon := &nlm.Monitor{Persist: st.meta, Logger: log}
	if err := mon.Start(ctx); err != nil {
		locks.Close()
		return nil, fmt.Errorf("status monitor: %w", err)
	}
	srv := &nlm.Server{
		Files: nlm.FilesFunc(func(ctx context.Context, fh []byte) (*locking.Manager, uint64, error) {
			e, h, err := nfs.ResolveHandle(ctx, fh)
			if err != nil {
				return nil, 0, err
			}
			return lockManagerOf(e, locks), h.ID, nil
		}),
		NSM:    mon,
		Logger: log,
	}
	srv.Register(mux)
	return &lockManager{locks: locks, nlm: srv, nsm: mon}, nil
}

// lockManagerOf returns the manager of an export's share: the server has
// one share, so one manager.
func lockManagerOf(_ *export.Export, m *locking.Manager) *locking.Manager { return m }

func (lm *lockManager) close(log *slog.Logger) {
	err := errors.Join(lm.nlm.Close(), lm.nsm.Close(), lm.locks.Close())
	if err != nil {
		log.Error("closing the lock manager", "err", err)
	}
}

package nfs4

import (
	"context"
	"testing"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// restartGrace is the grace period of restartable servers.
const restartGrace = time.Minute

// restartable returns a function that boots a server (4.0 and 4.1) over
// the same memory stores each time it is called: a new lock manager and
// state table over the store, as after a restart, with a grace period of
// restartGrace. clock nil is the system clock; lease 0 the default lease.
// The caller stops the previous boot (ts.rpc.Close) before the next.
func restartable(t *testing.T, clock clock.Clock, lease time.Duration) func() (*testServer, *locking.Manager) {
	t.Helper()
	meta := memory.NewMetadata()
	fsys, err := store.NewFS(meta, memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return func() (*testServer, *locking.Manager) {
		t.Helper()
		ctx := context.Background()
		mgr, err := locking.Open(ctx, locking.Options{Persist: meta, Grace: restartGrace, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := state.New(ctx, state.Options{Persist: meta, Lease: lease, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tbl.Close() })
		return startServerMgr(t, fsys, exportsLine, mgr, func(s *Server) {
			s.maxMinor, s.NoCallbacks, s.State = 1, true, tbl
		}), mgr
	}
}

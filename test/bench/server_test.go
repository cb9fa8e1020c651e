package bench

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// startInProcess serves NFSv3 and MOUNT v3 on one port of 127.0.0.1 over a
// memory store, exporting "/" read-write without root squashing, and
// returns the address. The server stops at the end of tb.
func startInProcess(tb testing.TB) string {
	tb.Helper()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fsys.Close() })
	exps, err := export.Parse(strings.NewReader("/ *(rw,insecure,no_root_squash)\n"))
	if err != nil {
		tb.Fatal(err)
	}
	locks, err := locking.Open(context.Background(), locking.Options{Grace: -1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { locks.Close() })
	exps[0].FS, exps[0].Locks = fsys, locks
	tab, err := export.NewTable(context.Background(), export.Options{}, exps...)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: tab, Logger: logger}).Register(mux)
	srv := &rpc.Server{Handler: mux, DuplicateCache: &rpc.DuplicateCache{}, Logger: logger}
	return rpctest.Start(tb, srv).String()
}

func selfPID() int { return os.Getpid() }

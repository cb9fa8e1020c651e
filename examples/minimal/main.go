// Command minimal is the smallest useful DittoFS embedding: a memory store
// served over NFSv3, MOUNT, NLM and NFSv4 on 127.0.0.1:2049, where locks
// conflict across protocols ("mount -t nfs -o vers=4.1,port=2049
// 127.0.0.1:/ /mnt"; NFSv3 clients find NLM through a portmapper).
package main

import (
	"context"
	"log"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

func main() {
	mux, err := newMux(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	srv := &rpc.Server{Addr: "127.0.0.1:2049", Handler: mux, DuplicateCache: &rpc.DuplicateCache{}}
	log.Fatal(srv.ListenAndServe())
}

// newMux serves one memory store, with its lock manager, over every
// protocol: the export table gives them the same file handles and locks.
func newMux(ctx context.Context) (*rpc.ServeMux, error) {
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		return nil, err
	}
	locks, err := locking.Open(ctx, locking.Options{Grace: -1}) // nothing to reclaim in memory
	if err != nil {
		return nil, err
	}
	exports, err := export.NewTable(ctx, export.Options{}, &export.Export{Name: "/", FS: fsys, Locks: locks,
		Rules: []export.Rule{{Client: "127.0.0.0/8", Insecure: true}}})
	if err != nil {
		return nil, err
	}
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: exports}).Register(mux)
	(&nlm.Server{Exports: exports}).Register(mux)
	(&nfs4.Server{Exports: exports}).Register(mux)
	return mux, nil
}

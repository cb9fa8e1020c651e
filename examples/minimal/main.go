// Command minimal is the smallest useful DittoFS embedding: one memory
// store served over NFSv3 on 127.0.0.1:2049 (mount with
// "mount -t nfs -o vers=3,tcp,nolock,port=2049,mountport=2049 127.0.0.1:/ /mnt").
package main

import (
	"context"
	"log"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

func main() {
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		log.Fatal(err)
	}
	locks, err := locking.Open(context.Background(), locking.Options{})
	if err != nil {
		log.Fatal(err)
	}
	exports, err := export.NewTable(context.Background(), export.Options{}, &export.Export{
		Name:  "/",
		FS:    fsys,
		Locks: locks,
		Rules: []export.Rule{{Client: "127.0.0.0/8", Insecure: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: exports}).Register(mux)
	srv := &rpc.Server{Addr: "127.0.0.1:2049", Handler: mux, DuplicateCache: &rpc.DuplicateCache{}}
	log.Fatal(srv.ListenAndServe())
}

package nfs3_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"strings"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// Example serves a memory store over NFSv3 and MOUNT v3 on one port, as a
// Linux client mounts it with
// mount -t nfs -o vers=3,tcp,nolock,port=P,mountport=P 127.0.0.1:/export /mnt.
func Example() {
	ctx := context.Background()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()
	exps, err := export.Parse(strings.NewReader("/export 127.0.0.1(rw,insecure)\n"))
	if err != nil {
		log.Fatal(err)
	}
	locks, err := locking.Open(ctx, locking.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer locks.Close()
	exps[0].FS, exps[0].Locks = fsys, locks
	tab, err := export.NewTable(ctx, export.Options{HandleKey: []byte("a secret kept across restarts")}, exps...)
	if err != nil {
		log.Fatal(err)
	}

	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: tab}).Register(mux)
	srv := &rpc.Server{Handler: mux, DuplicateCache: &rpc.DuplicateCache{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	// A client calls MOUNT's NULL procedure on the same port.
	c, err := rpc.Dial(ctx, "tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	err = c.Call(ctx, nfs3.MountProgram, nfs3.MountVersion, 0, nil, nil)
	fmt.Println("MOUNT NULL:", err)
	for _, p := range nfs3.Programs() {
		fmt.Println("serving", p.Prog, p.Vers)
	}
	// Output:
	// MOUNT NULL: <nil>
	// serving 100003 3
	// serving 100005 3
}

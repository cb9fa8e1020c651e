package nfs4_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// compound is a COMPOUND4args of operations without arguments.
type compound []uint32

func (c compound) MarshalXDR(e *xdr.Encoder) {
	e.String("example") // tag
	e.Uint32(0)         // minorversion
	e.Uint32(uint32(len(c)))
	for _, op := range c {
		e.Uint32(op)
	}
}
func (c compound) SizeXDR() int { return xdr.SizeOpaque(len("example")) + 8 + 4*len(c) }

// compoundRes is the head of a COMPOUND4res and each result's op and
// status; it stops at the first result with a body.
type compoundRes struct {
	status uint32
	ops    [][2]uint32
}

func (r *compoundRes) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	d.String(1024) // tag
	n := d.ArrayLen(64, 8)
	for range n {
		op, st := d.Uint32(), d.Uint32()
		r.ops = append(r.ops, [2]uint32{op, st})
		if op != 24 { // only PUTROOTFH's result is a bare status
			return
		}
	}
}

// Example serves one memory store over NFSv4 (4.0 and 4.1) on 127.0.0.1,
// as a Linux client mounts it with
// mount -t nfs -o vers=4.1,port=P 127.0.0.1:/export /mnt, and sends a
// COMPOUND of PUTROOTFH and GETFH.
func Example() {
	ctx := context.Background()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()
	locks, err := locking.Open(ctx, locking.Options{Grace: -1}) // nothing to reclaim in memory
	if err != nil {
		log.Fatal(err)
	}
	defer locks.Close()
	tab, err := export.NewTable(ctx, export.Options{HandleKey: []byte("a secret kept across restarts")},
		&export.Export{Name: "/export", FS: fsys, Locks: locks,
			Rules: []export.Rule{{Client: "127.0.0.1", Insecure: true}}})
	if err != nil {
		log.Fatal(err)
	}
	mux := rpc.NewServeMux()
	(&nfs4.Server{Exports: tab}).Register(mux)
	srv := &rpc.Server{Handler: mux, DuplicateCache: &rpc.DuplicateCache{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	c, err := rpc.Dial(ctx, "tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Cred = rpc.EncodeAuthSys(1, "example", 1000, 1000, nil)
	var res compoundRes
	err = c.Call(ctx, nfs4.NFSProgram, nfs4.NFSVersion, 1, compound{24, 10}, &res) // PUTROOTFH, GETFH
	fmt.Println("COMPOUND:", err, "status", res.status, "results", res.ops)
	// Output:
	// COMPOUND: <nil> status 0 results [[24 0] [10 0]]
}

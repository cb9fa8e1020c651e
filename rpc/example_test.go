package rpc_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"strings"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// text is a string argument or result.
type text string

func (s text) MarshalXDR(e *xdr.Encoder) { e.String(string(s)) }
func (s text) SizeXDR() int              { return xdr.SizeOpaque(len(s)) }
func (s *text) UnmarshalXDR(d *xdr.Decoder) {
	*s = text(d.String(1024))
}

// Example serves a made-up program (0x20000099, version 1) whose
// procedure 1 upper-cases a string, and calls it over TCP on 127.0.0.1.
func Example() {
	const prog, vers = 0x20000099, 1
	mux := rpc.NewServeMux()
	mux.Handle(prog, vers, rpc.Procs{
		0: rpc.Null,
		1: func(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
			s := c.Args.String(1024) // aliases the request; valid until return
			if c.Args.Err() != nil {
				w.Fail(rpc.GARBAGE_ARGS)
				return
			}
			w.Encoder().String(strings.ToUpper(s))
		},
	})
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	c, err := rpc.Dial(ctx, "tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var res text
	err = c.Call(ctx, prog, vers, 1, text("hello"), &res)
	fmt.Println(res, err)
	err = c.Call(ctx, prog, vers, 7, nil, nil)
	fmt.Println(err)
	// Output:
	// HELLO <nil>
	// rpc: PROC_UNAVAIL
}

package rpc

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"syscall"

	"github.com/dittofs/dittofs/rpc/xdr"
)

var (
	errEOF           = io.EOF
	errUnexpectedEOF = io.ErrUnexpectedEOF
	errConnReset     = syscall.ECONNRESET
	errTooManyFiles  = syscall.EMFILE
)

// sender writes an encoded call record (four bytes reserved in front for
// the record mark) to its transport.
type sender interface {
	sendRecord(ctx context.Context, rec []byte) error
}

// replyChans recycles the channels calls wait on. A channel goes back only
// after its reply was received, so a late delivery can never reach a
// later call.
var replyChans = sync.Pool{New: func() any { return make(chan []byte, 1) }}

// caller sends calls and matches replies to them by xid; both Client and
// the server side of a Conn (for the backchannel) use it.
type caller struct {
	mu      sync.Mutex
	xid     uint32
	pending map[uint32]chan []byte
	err     error // set when the transport has failed
}

func (cl *caller) init() {
	cl.xid = rand.Uint32()
	cl.pending = make(map[uint32]chan []byte)
}

// errShutdown is returned to calls pending when their transport fails.
var errNoTransport = errors.New("rpc: transport closed")

// call encodes a call, sends it with send, and waits for the reply or ctx.
func (cl *caller) call(ctx context.Context, s sender, prog, vers, proc uint32, cred OpaqueAuth, args xdr.Marshaler, res xdr.Unmarshaler) error {
	ch := replyChans.Get().(chan []byte)
	cl.mu.Lock()
	if cl.err != nil {
		err := cl.err
		cl.mu.Unlock()
		return err
	}
	cl.xid++
	xid := cl.xid
	cl.pending[xid] = ch
	cl.mu.Unlock()
	defer func() {
		cl.mu.Lock()
		delete(cl.pending, xid)
		cl.mu.Unlock()
	}()

	rec := encodeCallRecord(xid, prog, vers, proc, cred, args)
	if err := s.sendRecord(ctx, rec); err != nil {
		return err
	}
	var reply []byte
	select {
	case reply = <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	if reply != nil {
		replyChans.Put(ch)
	}
	if reply == nil {
		cl.mu.Lock()
		err := cl.err
		cl.mu.Unlock()
		if err == nil {
			err = errNoTransport
		}
		return err
	}
	return decodeReply(reply, res)
}

// encodeCallRecord returns a call with four bytes reserved in front for
// the record mark.
func encodeCallRecord(xid, prog, vers, proc uint32, cred OpaqueAuth, args xdr.Marshaler) []byte {
	size := 4 + 40 + len(cred.Body) + 8
	if args != nil {
		size += args.SizeXDR()
	}
	e := xdr.NewEncoder(make([]byte, 0, size))
	e.Uint32(0)
	h := CallHeader{XID: xid, Prog: prog, Vers: vers, Proc: proc, Cred: cred}
	h.encodeCall(e)
	if args != nil {
		args.MarshalXDR(e)
	}
	return e.Bytes()
}

// decodeReply checks a reply record and decodes its results into res.
func decodeReply(rec []byte, res xdr.Unmarshaler) error {
	d := xdr.NewDecoder(rec)
	d.Uint32() // xid
	if d.Uint32() != REPLY {
		return errNotReply
	}
	if _, err := decodeReplyBody(d); err != nil {
		return err
	}
	if res != nil {
		res.UnmarshalXDR(d)
	}
	return d.Err()
}

// deliver hands a reply record to the call waiting for xid; it copies rec.
// Replies nobody waits for are dropped.
func (cl *caller) deliver(xid uint32, rec []byte) {
	cl.mu.Lock()
	ch := cl.pending[xid]
	delete(cl.pending, xid)
	cl.mu.Unlock()
	if ch != nil {
		ch <- append([]byte(nil), rec...)
	}
}

// fail ends every pending call with err and makes later calls fail.
func (cl *caller) fail(err error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.err == nil {
		cl.err = err
	}
	for xid, ch := range cl.pending {
		delete(cl.pending, xid)
		close(ch)
	}
}

package rpc

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// Client calls procedures on a remote RPC server over TCP (with record
// marking) or UDP (with retransmission). It is safe for concurrent use;
// calls are pipelined on one connection and replies matched by xid.
type Client struct {
	// Cred is the credential sent with every call (AUTH_NONE when zero).
	// Set it before the first call.
	Cred OpaqueAuth
	// Retransmit is the first UDP retransmission interval (default 500 ms,
	// doubling up to 8 s); calls end only with their context.
	Retransmit time.Duration

	nc      net.Conn
	udp     bool
	caller  caller
	writeMu sync.Mutex
	iov     iovec
	done    chan struct{}
	handler atomic.Pointer[Handler]
}

// SetHandler sets the handler of the calls the server sends back over a
// TCP connection (the NFSv4.1 backchannel, RFC 8881 §2.10.3.1): they are
// served one at a time in arrival order, with AUTH_NONE or AUTH_SYS
// credentials (others are refused AUTH_BADCRED). Without a handler such
// calls are ignored.
func (c *Client) SetHandler(h Handler) { c.handler.Store(&h) }

// Dial connects to an RPC server. network is "tcp" or "udp" (or their 4/6
// variants).
func Dial(ctx context.Context, network, addr string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return NewClient(nc), nil
}

// NewClient returns a client over an established connection; a
// net.PacketConn-based connection (from net.Dial("udp", …)) is used as UDP.
func NewClient(nc net.Conn) *Client {
	c := &Client{nc: nc, done: make(chan struct{})}
	_, c.udp = nc.(net.PacketConn)
	c.caller.init()
	go c.read()
	return c
}

// Close closes the connection; pending calls fail.
func (c *Client) Close() error {
	err := c.nc.Close()
	<-c.done
	return err
}

// Call calls procedure proc of (prog, vers) with args (nil for none) and
// decodes the results into res (nil to ignore them). A reply other than
// SUCCESS is a *ReplyError.
func (c *Client) Call(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	return c.caller.call(ctx, c, prog, vers, proc, c.Cred, args, res)
}

func (c *Client) sendRecord(ctx context.Context, rec []byte) error {
	if !c.udp {
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
		return writeRecord(c.nc, [][]byte{rec}, 0, &c.iov)
	}
	dgram := rec[4:]
	if _, err := c.nc.Write(dgram); err != nil {
		return err
	}
	go c.retransmit(ctx, be32(dgram), dgram)
	return nil
}

// retransmit resends a UDP call until its reply arrives or ctx ends.
func (c *Client) retransmit(ctx context.Context, xid uint32, dgram []byte) {
	wait := cmp.Or(c.Retransmit, 500*time.Millisecond)
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case <-t.C:
		}
		c.caller.mu.Lock()
		_, waiting := c.caller.pending[xid]
		c.caller.mu.Unlock()
		if !waiting {
			return
		}
		if _, err := c.nc.Write(dgram); err != nil {
			return
		}
		wait = min(2*wait, 8*time.Second)
		t.Reset(wait)
	}
}

func (c *Client) read() {
	defer close(c.done)
	var err error
	if c.udp {
		buf := make([]byte, maxDatagram+1)
		for {
			var n int
			n, err = c.nc.Read(buf)
			if err != nil {
				break
			}
			if n >= 8 && n <= maxDatagram {
				c.caller.deliver(be32(buf), buf[:n])
			}
		}
	} else {
		var bufs buffers
		rr := recordReader{r: bufio.NewReader(c.nc), max: 64 << 20, bufs: &bufs}
		for {
			var bp *[]byte
			bp, err = rr.read(nil)
			if err != nil {
				break
			}
			switch rec := *bp; {
			case len(rec) >= 8 && be32(rec[4:]) == REPLY:
				c.caller.deliver(be32(rec), rec)
			case len(rec) >= 8 && be32(rec[4:]) == CALL:
				if h := c.handler.Load(); h != nil {
					c.serveCall(*h, rec)
				}
			}
			bufs.put(bp)
		}
	}
	if errors.Is(err, net.ErrClosed) {
		err = errNoTransport
	}
	c.caller.fail(err)
}

// serveCall answers a call from the server (rec is its record).
func (c *Client) serveCall(h Handler, rec []byte) {
	var call Call
	var w ReplyWriter
	w.bufs = &callbackBuffers
	d := &call.args
	d.Reset(rec)
	call.XID = d.Uint32()
	d.Uint32() // CALL
	rpcvers := d.Uint32()
	call.Prog, call.Vers, call.Proc = d.Uint32(), d.Uint32(), d.Uint32()
	call.RawCred.decode(d)
	call.RawVerf.decode(d)
	if d.Err() != nil {
		return
	}
	call.Args, call.Network, call.Remote = d, TCP, c.nc.RemoteAddr()
	switch {
	case rpcvers != RPCVersion:
		w.encodeDenied(call.XID, true)
	case call.RawCred.Flavor == AUTH_NONE:
		w.beginAccepted(call.XID)
	case call.RawCred.Flavor == AUTH_SYS && call.decodeAuthSys() == nil:
		w.beginAccepted(call.XID)
	default:
		w.Deny(AUTH_BADCRED)
		w.encodeDenied(call.XID, false)
	}
	if w.hasHeader && !w.denied {
		h.ServeRPC(context.Background(), &w, &call)
		if w.dropped {
			return
		}
		if w.denied {
			w.encodeDenied(call.XID, false)
		}
	}
	out := w.flatten()
	_ = c.sendRecord(context.Background(), out)
}

// callbackBuffers are the buffers of replies a Client sends.
var callbackBuffers buffers

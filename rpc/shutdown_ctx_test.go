package rpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
)

// pipeListener is a net.Listener of in-memory connections (net.Pipe), so
// that a server runs inside a synctest bubble.
type pipeListener struct {
	conns     chan net.Conn
	closeOnce sync.Once
	done      chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func (l *pipeListener) dial() net.Conn {
	c, s := net.Pipe()
	l.conns <- s
	return c
}

// ctxProbe is a handler that closes entered, waits for release or the end
// of its context, reports on ended whether its context ended, and answers
// 99.
type ctxProbe struct {
	entered, release chan struct{}
	ended            chan bool
}

func newCtxProbe() *ctxProbe {
	return &ctxProbe{entered: make(chan struct{}), release: make(chan struct{}), ended: make(chan bool, 1)}
}

func (p *ctxProbe) serve(ctx context.Context, w *ReplyWriter, c *Call) {
	close(p.entered)
	select {
	case <-ctx.Done():
	case <-p.release:
	}
	p.ended <- ctx.Err() != nil
	w.Encoder().Uint32(99)
}

// TestShutdownKeepsCallContexts checks that a graceful Shutdown lets the
// calls in flight finish with their context alive: a handler whose store
// operation sees its context end answers with an error (NFS4ERR_IO for
// NFSv4), which the client then reports (EIO), where it should have had
// the operation's result before the server went away. It once ended the
// connection's context as soon as the reader stopped.
func TestShutdownKeepsCallContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		probe := newCtxProbe()
		entered, release, ended := probe.entered, probe.release, probe.ended
		m := NewServeMux()
		m.Handle(testProg, testVers, Procs{0: probe.serve})
		srv := &Server{Handler: m}
		srv.Logger, _ = testLogger(t)
		l := newPipeListener()
		served := make(chan error, 1)
		go func() { served <- srv.Serve(l) }()
		// The call is written and its reply read by hand: Client keeps
		// channels in a pool shared with other tests, outside the bubble.
		nc := l.dial()
		defer nc.Close()
		result := make(chan error, 1)
		go func() {
			rec := encodeCallRecord(7, testProg, testVers, 0, OpaqueAuth{}, nil)
			binary.BigEndian.PutUint32(rec, 0x80000000|uint32(len(rec)-4)) // the last fragment
			if _, err := nc.Write(rec); err != nil {
				result <- err
				return
			}
			var hdr [4]byte
			if _, err := io.ReadFull(nc, hdr[:]); err != nil {
				result <- err
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(hdr[:])&0x7fffffff)
			if _, err := io.ReadFull(nc, body); err != nil {
				result <- err
				return
			}
			// xid, REPLY, MSG_ACCEPTED, verifier, SUCCESS, then the result.
			if len(body) != 28 || binary.BigEndian.Uint32(body) != 7 || binary.BigEndian.Uint32(body[24:]) != 99 {
				result <- fmt.Errorf("reply %x, want xid 7 and result 99", body)
				return
			}
			result <- nil
		}()
		select {
		case <-entered:
		case err := <-result:
			t.Fatalf("the call ended before the handler ran: %v", err)
		}
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(context.Background()) }()
		// Every goroutine is now blocked: the server has stopped reading,
		// and only the handler's call is left.
		synctest.Wait()
		close(release)
		if <-ended {
			t.Error("the call in flight saw its context end during a graceful Shutdown")
		}
		if err := <-result; err != nil {
			t.Errorf("call in flight: %v", err)
		}
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
	})
}

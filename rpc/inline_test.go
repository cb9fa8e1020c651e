package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// A call alone on its connection runs on the connection's reading
// goroutine (docs/rpc.md, "Calls at queue depth 1"). These tests check
// that this never costs what pipelining gives: the calls of a client that
// pipelines are read and run concurrently, a call that blocks does not
// stop the reading, and Shutdown keeps its promises. Calls and replies are
// matched by xid, as RFC 5531 §9 has the client do ("the xid of the reply
// message always matches that of the initiating call").

// pipePeer is a client written by hand over an in-memory connection, so
// that the server runs in a synctest bubble.
type pipePeer struct {
	t  *testing.T
	nc net.Conn
	rr recordReader
}

func newPipePeer(t *testing.T, nc net.Conn) *pipePeer {
	t.Cleanup(func() { nc.Close() })
	return &pipePeer{t: t, nc: nc, rr: recordReader{r: bufioReader(nc), max: 1 << 20, bufs: &buffers{}}}
}

// send writes a call of procedure proc of the test program.
func (p *pipePeer) send(xid, proc uint32) {
	p.t.Helper()
	rec := encodeCallRecord(xid, testProg, testVers, proc, OpaqueAuth{}, nil)
	binary.BigEndian.PutUint32(rec, lastFragment|uint32(len(rec)-4))
	if _, err := p.nc.Write(rec); err != nil {
		p.t.Fatalf("writing call %d: %v", xid, err)
	}
}

// record reads the next record (a reply or a call from the server).
func (p *pipePeer) record() []byte {
	p.t.Helper()
	bp, err := p.rr.read(nil)
	if err != nil {
		p.t.Fatalf("reading: %v", err)
	}
	return *bp
}

// reply reads the next reply and returns its xid and its first result
// word (0 when there is none), failing unless it is an accepted SUCCESS.
func (p *pipePeer) reply() (xid, res uint32) {
	p.t.Helper()
	rec := p.record()
	d := xdr.NewDecoder(rec)
	xid = d.Uint32()
	if d.Uint32() != REPLY {
		p.t.Fatalf("record %x is not a reply", rec)
	}
	if _, err := decodeReplyBody(d); err != nil {
		p.t.Fatalf("reply %d: %v", xid, err)
	}
	if d.Remaining() >= 4 {
		res = d.Uint32()
	}
	return xid, res
}

// pipeServer serves h on a pipe listener; the returned channel gets
// Serve's error.
func pipeServer(t *testing.T, srv *Server) (*pipeListener, <-chan error) {
	srv.Logger, _ = testLogger(t)
	l := newPipeListener()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	return l, served
}

func shutdown(t *testing.T, srv *Server, served <-chan error) {
	t.Helper()
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve returned %v", err)
	}
}

// TestInlineThenPipelinedBurst sends one call alone, which runs on the
// reading goroutine, then a burst of calls in one write that can only
// all be answered if they run at the same time (each waits for the
// others in its handler). Every call gets its own reply, found by xid.
func TestInlineThenPipelinedBurst(t *testing.T) {
	const burst = 16
	arrived := make(chan struct{}, burst)
	all := make(chan struct{})
	m := NewServeMux()
	m.Handle(testProg, testVers, Procs{
		0: Null,
		1: func(ctx context.Context, w *ReplyWriter, c *Call) {
			arrived <- struct{}{}
			select {
			case <-all:
			case <-ctx.Done():
			}
			w.Encoder().Uint32(c.XID + 1000)
		},
	})
	srv := &Server{Handler: m}
	tcp, _ := testServer(t, srv)
	go func() {
		for range burst {
			<-arrived
		}
		close(all)
	}()
	r := dialRaw(t, tcp)
	rec := callRecord(1, testProg, testVers, 0, OpaqueAuth{}, nil)
	r.fragments(rec, len(rec))
	if xid := be32(r.readReply()); xid != 1 {
		t.Fatalf("reply to xid %d, want 1", xid)
	}
	if n := srv.counters.inline.Load(); n != 1 {
		t.Fatalf("%d calls ran on the reading goroutine, want the one call sent alone", n)
	}

	var out []byte
	for i := range burst {
		rec := callRecord(uint32(100+i), testProg, testVers, 1, OpaqueAuth{}, nil)
		out = binary.BigEndian.AppendUint32(out, uint32(len(rec))|lastFragment)
		out = append(out, rec...)
	}
	r.write(out)
	pending := make(map[uint32]bool)
	for i := range burst {
		pending[uint32(100+i)] = true
	}
	for range burst {
		rep := r.readReply()
		d := xdr.NewDecoder(rep)
		xid := d.Uint32()
		d.Uint32()
		if _, err := decodeReplyBody(d); err != nil {
			t.Fatalf("reply %d: %v", xid, err)
		}
		if res := d.Uint32(); !pending[xid] || res != xid+1000 {
			t.Fatalf("reply xid %d result %d: not the reply of a pending call", xid, res)
		}
		delete(pending, xid)
	}

	// Alone again, the next call is answered too.
	rec = callRecord(2, testProg, testVers, 0, OpaqueAuth{}, nil)
	r.fragments(rec, len(rec))
	if xid := be32(r.readReply()); xid != 2 {
		t.Fatalf("reply to xid %d, want 2", xid)
	}
}

// TestInlineBlockingCallKeepsReading: a call that blocks (like an NLM
// blocking lock waiting for an unlock that comes on the same connection)
// starts alone on the reading goroutine; the next call on the connection
// is still read and answered while it blocks. In the bubble the fake
// clock moves only when every goroutine is blocked, so the hand-off timer
// fires exactly when the server would otherwise be stuck; a server that
// never hands off deadlocks, which synctest reports.
func TestInlineBlockingCallKeepsReading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		entered := make(chan struct{})
		release := make(chan struct{})
		m := NewServeMux()
		m.Handle(testProg, testVers, Procs{
			0: Null,
			1: func(ctx context.Context, w *ReplyWriter, c *Call) {
				close(entered)
				<-release
				w.Encoder().Uint32(7)
			},
		})
		srv := &Server{Handler: m}
		l, served := pipeServer(t, srv)
		p := newPipePeer(t, l.dial())
		p.send(1, 1)
		<-entered
		if n := srv.counters.inline.Load(); n != 1 {
			t.Fatalf("%d calls ran on the reading goroutine, want 1", n)
		}
		p.send(2, 0)
		if xid, _ := p.reply(); xid != 2 {
			t.Fatalf("reply to xid %d while call 1 blocks, want 2", xid)
		}
		if n := srv.counters.handoffs.Load(); n != 1 {
			t.Errorf("%d hand-offs of the reading, want 1", n)
		}
		close(release)
		if xid, res := p.reply(); xid != 1 || res != 7 {
			t.Fatalf("reply xid %d result %d, want xid 1 result 7", xid, res)
		}
		// The reading goroutine that took over runs the next lone call
		// inline in turn.
		p.send(3, 0)
		if xid, _ := p.reply(); xid != 3 {
			t.Fatalf("reply to xid %d, want 3", xid)
		}
		p.nc.Close()
		shutdown(t, srv, served)
	})
}

// TestInlineBackchannelCall: a call running on the reading goroutine that
// calls back to the client over the same connection (the NFSv4.1
// backchannel, RFC 8881 §2.10.3.1) needs the reader for the callback's
// reply; Conn.Call moves the reading at once. The hand-off timer is set to
// an hour, so that only Conn.Call can move it. (Over TCP, not in a
// synctest bubble: Conn.Call's reply channels are pooled across tests.)
func TestInlineBackchannelCall(t *testing.T) {
	m := NewServeMux()
	m.Handle(testProg, testVers, Procs{1: func(ctx context.Context, w *ReplyWriter, c *Call) {
		var r u32
		err := c.Conn.Call(ctx, 400200, 1, 1, OpaqueAuth{}, u32(5), &r)
		if err != nil || r != 6 {
			t.Errorf("callback: %v, result %d", err, r)
		}
	}})
	srv := &Server{Handler: m, testHandoff: time.Hour}
	tcp, _ := testServer(t, srv)
	r := dialRaw(t, tcp) // fails on its 20 s deadline rather than hang
	rec := callRecord(1, testProg, testVers, 1, OpaqueAuth{}, nil)
	r.fragments(rec, len(rec))
	cb := r.readReply()
	d := xdr.NewDecoder(cb)
	xid := d.Uint32()
	if d.Uint32() != CALL {
		t.Fatalf("record %x is not the callback", cb)
	}
	var e xdr.Encoder
	e.Uint32(xid)
	e.Uint32(REPLY)
	e.Uint32(MSG_ACCEPTED)
	e.Uint32(AUTH_NONE)
	e.Uint32(0)
	e.Uint32(uint32(SUCCESS))
	e.Uint32(6)
	r.fragments(e.Bytes(), e.Len())
	if xid := be32(r.readReply()); xid != 1 {
		t.Fatalf("reply to xid %d, want 1", xid)
	}
	if n := srv.counters.inline.Load(); n != 1 {
		t.Errorf("%d calls ran on the reading goroutine, want 1", n)
	}
	if n := srv.counters.handoffs.Load(); n != 1 {
		t.Errorf("%d hand-offs of the reading, want 1 (by Conn.Call)", n)
	}
}

// TestShutdownDuringInlineCall: a graceful Shutdown while a call runs on
// the reading goroutine (still holding the reading, or after handing it
// off) waits for the call, keeps its context alive, sends its reply, and
// returns.
func TestShutdownDuringInlineCall(t *testing.T) {
	for _, tc := range []struct {
		name     string
		handoffs uint64
	}{{"holding the reading", 0}, {"reading handed off", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				probe := newCtxProbe()
				entered, release, ended := probe.entered, probe.release, probe.ended
				m := NewServeMux()
				m.Handle(testProg, testVers, Procs{1: probe.serve})
				srv := &Server{Handler: m}
				if tc.handoffs == 0 {
					srv.testHandoff = time.Hour
				}
				l, served := pipeServer(t, srv)
				p := newPipePeer(t, l.dial())
				p.send(1, 1)
				<-entered
				if tc.handoffs > 0 {
					time.Sleep(2 * inlineHandoff) // fake time: the timer fires
				}
				synctest.Wait()
				if n := srv.counters.handoffs.Load(); n != tc.handoffs {
					t.Fatalf("%d hand-offs before Shutdown, want %d", n, tc.handoffs)
				}
				shut := make(chan error, 1)
				go func() { shut <- srv.Shutdown(context.Background()) }()
				synctest.Wait()
				select {
				case err := <-shut:
					t.Fatalf("Shutdown returned %v with a call in flight", err)
				default:
				}
				close(release)
				if <-ended {
					t.Error("the inline call saw its context end during a graceful Shutdown")
				}
				if xid, res := p.reply(); xid != 1 || res != 99 {
					t.Errorf("reply xid %d result %d, want xid 1 result 99", xid, res)
				}
				if err := <-shut; err != nil {
					t.Errorf("Shutdown: %v", err)
				}
				if err := <-served; !errors.Is(err, ErrServerClosed) {
					t.Errorf("Serve returned %v", err)
				}
				if n := srv.counters.handoffs.Load(); n != tc.handoffs {
					t.Errorf("%d hand-offs, want %d", n, tc.handoffs)
				}
			})
		})
	}
}

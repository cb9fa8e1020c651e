package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc/xdr"
)

const (
	testProg = 400100
	testVers = 2
)

// u32 is a one-word argument or result.
type u32 uint32

func (v u32) MarshalXDR(e *xdr.Encoder) { e.Uint32(uint32(v)) }
func (v u32) SizeXDR() int              { return 4 }
func (v *u32) UnmarshalXDR(d *xdr.Decoder) {
	*v = u32(d.Uint32())
}

// blob is opaque data as argument or result.
type blob []byte

func (b blob) MarshalXDR(e *xdr.Encoder) { e.Opaque(b) }
func (b blob) SizeXDR() int              { return xdr.SizeOpaque(len(b)) }
func (b *blob) UnmarshalXDR(d *xdr.Decoder) {
	*b = d.OpaqueCopy(xdr.Unlimited)
}

// testLogger returns a logger writing to t.Log and a counter of lines.
func testLogger(t testing.TB) (*slog.Logger, *atomic.Int64) {
	var n atomic.Int64
	h := slog.NewTextHandler(tlogWriter{t, &n}, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h), &n
}

type tlogWriter struct {
	t testing.TB
	n *atomic.Int64
}

func (w tlogWriter) Write(p []byte) (int, error) {
	w.n.Add(1)
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// testServer starts srv on 127.0.0.1 over TCP and UDP and returns the
// addresses; it is shut down when the test ends.
func testServer(t testing.TB, srv *Server) (tcp, udp string) {
	t.Helper()
	if srv.Logger == nil {
		srv.Logger, _ = testLogger(t)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(l) }()
	go func() { errc <- srv.ServePacket(pc) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		for range 2 {
			if err := <-errc; !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v", err)
			}
		}
	})
	return l.Addr().String(), pc.LocalAddr().String()
}

func dial(t testing.TB, network, addr string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testMux serves testProg versions 2 and 3: NULL, ECHO (1), ADD1 (2, a
// uint32 plus one, non-idempotent and counted), PANIC (3), DATA (4: n
// bytes of pattern sent zero-copy), CRED (5: returns uid, gid and the
// number of gids).
func testMux(runs *atomic.Int64) *ServeMux {
	m := NewServeMux()
	procs := Procs{
		0: Null,
		1: func(_ context.Context, w *ReplyWriter, c *Call) {
			b := c.Args.Opaque(xdr.Unlimited)
			if c.Args.Err() != nil {
				w.Fail(GARBAGE_ARGS)
				return
			}
			w.Encoder().Opaque(b)
		},
		2: func(_ context.Context, w *ReplyWriter, c *Call) {
			v := c.Args.Uint32()
			if c.Args.Err() != nil {
				w.Fail(GARBAGE_ARGS)
				return
			}
			if runs != nil {
				runs.Add(1)
			}
			w.Encoder().Uint32(v + 1)
		},
		3: func(context.Context, *ReplyWriter, *Call) { panic("test panic") },
		4: func(_ context.Context, w *ReplyWriter, c *Call) {
			n := int(c.Args.Uint32())
			if c.Args.Err() != nil || n > 4<<20 {
				w.Fail(GARBAGE_ARGS)
				return
			}
			p := w.Buffer(n)
			for i := range p {
				p[i] = byte(i * 7)
			}
			w.Encoder().Uint32(uint32(n))
			w.Data(p)
			w.Encoder().Uint32(0xabcdef01) // a word after the payload
		},
		5: func(_ context.Context, w *ReplyWriter, c *Call) {
			w.Encoder().Uint32(c.Cred.UID)
			w.Encoder().Uint32(c.Cred.GID)
			w.Encoder().Uint32(uint32(len(c.Cred.GIDs)))
			w.Encoder().String(c.Cred.Machine)
		},
	}
	m.Handle(testProg, testVers, nonIdem{procs})
	m.Handle(testProg, testVers+1, procs)
	return m
}

type nonIdem struct{ Procs }

func (nonIdem) NonIdempotent(prog, vers, proc uint32) bool { return proc == 2 }

func TestCallsOverTCPAndUDP(t *testing.T) {
	tcp, udp := testServer(t, &Server{Handler: testMux(nil)})
	for _, nw := range []struct{ network, addr string }{{"tcp", tcp}, {"udp", udp}} {
		t.Run(nw.network, func(t *testing.T) {
			c := dial(t, nw.network, nw.addr)
			ctx := ctxT(t)
			if err := c.Call(ctx, testProg, testVers, 0, nil, nil); err != nil {
				t.Fatalf("NULL: %v", err)
			}
			var got blob
			if err := c.Call(ctx, testProg, testVers, 1, blob("hello"), &got); err != nil || string(got) != "hello" {
				t.Fatalf("ECHO = %q, %v", got, err)
			}
			var r u32
			if err := c.Call(ctx, testProg, testVers, 2, u32(41), &r); err != nil || r != 42 {
				t.Fatalf("ADD1 = %d, %v", r, err)
			}
		})
	}
}

func TestRPCErrors(t *testing.T) {
	tcp, _ := testServer(t, &Server{Handler: testMux(nil)})
	c := dial(t, "tcp", tcp)
	ctx := ctxT(t)
	tests := []struct {
		name             string
		prog, vers, proc uint32
		args             xdr.Marshaler
		want             ReplyError
	}{
		{"unknown program", 99, 1, 0, nil, ReplyError{Accepted: true, Accept: PROG_UNAVAIL}},
		{"unknown version", testProg, 9, 0, nil, ReplyError{Accepted: true, Accept: PROG_MISMATCH, Low: 2, High: 3}},
		{"unknown procedure", testProg, testVers, 77, nil, ReplyError{Accepted: true, Accept: PROC_UNAVAIL}},
		{"garbage arguments", testProg, testVers, 2, nil, ReplyError{Accepted: true, Accept: GARBAGE_ARGS}},
		{"handler panic", testProg, testVers, 3, nil, ReplyError{Accepted: true, Accept: SYSTEM_ERR}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Call(ctx, tt.prog, tt.vers, tt.proc, tt.args, nil)
			var re *ReplyError
			if !errors.As(err, &re) || *re != tt.want {
				t.Fatalf("err = %v, want %v", err, &tt.want)
			}
		})
	}
	// The connection survives all of that.
	if err := c.Call(ctx, testProg, testVers, 0, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAuth(t *testing.T) {
	tcp, _ := testServer(t, &Server{Handler: testMux(nil)})
	ctx := ctxT(t)
	gids := []uint32{1, 2, 3}
	c := dial(t, "tcp", tcp)
	c.Cred = EncodeAuthSys(1, "client.example", 1000, 100, gids)
	var res struct {
		uid, gid, n u32
		m           string
	}
	var got credRes
	if err := c.Call(ctx, testProg, testVers, 5, nil, &got); err != nil {
		t.Fatal(err)
	}
	_ = res
	if got != (credRes{1000, 100, 3, "client.example"}) {
		t.Fatalf("cred = %+v", got)
	}

	badSys := func(groups int, machine int) OpaqueAuth {
		return EncodeAuthSys(1, strings.Repeat("m", machine), 1, 1, make([]uint32, groups))
	}
	tests := []struct {
		name string
		cred OpaqueAuth
		want AuthStat
	}{
		{"17 groups", badSys(17, 1), AUTH_BADCRED},
		{"256-byte machine name", badSys(1, 256), AUTH_BADCRED},
		{"truncated", OpaqueAuth{Flavor: AUTH_SYS, Body: []byte{0, 0, 0, 1}}, AUTH_BADCRED},
		{"trailing bytes", OpaqueAuth{Flavor: AUTH_SYS, Body: append(badSys(0, 1).Body, 0, 0, 0, 0)}, AUTH_BADCRED},
		{"unknown flavor", OpaqueAuth{Flavor: 390003}, AUTH_BADCRED},
		{"AUTH_NONE with body", OpaqueAuth{Flavor: AUTH_NONE, Body: []byte{1, 2, 3, 4}}, AUTH_BADCRED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, "tcp", tcp)
			c.Cred = tt.cred
			err := c.Call(ctx, testProg, testVers, 0, nil, nil)
			var re *ReplyError
			if !errors.As(err, &re) || re.Accepted || re.Mismatch || re.Auth != tt.want {
				t.Fatalf("err = %v, want AUTH_ERROR %v", err, tt.want)
			}
		})
	}
	// The boundary cases are accepted.
	c2 := dial(t, "tcp", tcp)
	c2.Cred = badSys(16, 255)
	if err := c2.Call(ctx, testProg, testVers, 5, nil, &got); err != nil || got.n != 16 {
		t.Fatalf("16 groups, 255-byte name: %+v %v", got, err)
	}
}

type credRes struct {
	uid, gid, n u32
	m           string
}

func (r *credRes) UnmarshalXDR(d *xdr.Decoder) {
	r.uid.UnmarshalXDR(d)
	r.gid.UnmarshalXDR(d)
	r.n.UnmarshalXDR(d)
	r.m = d.String(255)
}

// dataRes is the result of procedure 4.
type dataRes struct {
	data  []byte
	after uint32
}

func (r *dataRes) UnmarshalXDR(d *xdr.Decoder) {
	r.data = d.OpaqueCopy(xdr.Unlimited)
	r.after = d.Uint32()
}

func checkPattern(t *testing.T, p []byte, n int) {
	t.Helper()
	if len(p) != n {
		t.Fatalf("got %d bytes, want %d", len(p), n)
	}
	for i := range p {
		if p[i] != byte(i*7) {
			t.Fatalf("byte %d = %d", i, p[i])
		}
	}
}

func TestZeroCopyDataAndFragments(t *testing.T) {
	for _, frag := range []int{0, 1000, 4096} {
		srv := &Server{Handler: testMux(nil), MaxFragmentSize: frag}
		tcp, udp := testServer(t, srv)
		c := dial(t, "tcp", tcp)
		for _, n := range []int{0, 1, 3, 4, 5, 4095, 1 << 20} {
			var r dataRes
			if err := c.Call(ctxT(t), testProg, testVers, 4, u32(n), &r); err != nil {
				t.Fatalf("frag %d, n %d: %v", frag, n, err)
			}
			checkPattern(t, r.data, n)
			if r.after != 0xabcdef01 {
				t.Fatalf("word after payload = %#x", r.after)
			}
		}
		if frag == 0 {
			u := dial(t, "udp", udp)
			var r dataRes
			if err := u.Call(ctxT(t), testProg, testVers, 4, u32(1001), &r); err != nil {
				t.Fatal(err)
			}
			checkPattern(t, r.data, 1001)
		}
	}
}

// rawConn is a test peer that writes records by hand.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	rr recordReader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, nc: nc, rr: recordReader{r: bufioReader(nc), max: 8 << 20, bufs: &buffers{}}}
}

func (r *rawConn) write(b []byte) {
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// fragments writes rec as fragments of the given sizes.
func (r *rawConn) fragments(rec []byte, sizes ...int) {
	var out []byte
	for i, n := range sizes {
		h := uint32(n)
		if i == len(sizes)-1 {
			h |= lastFragment
		}
		out = binary.BigEndian.AppendUint32(out, h)
		out = append(out, rec[:n]...)
		rec = rec[n:]
	}
	if len(rec) != 0 {
		r.t.Fatalf("fragment sizes leave %d bytes", len(rec))
	}
	r.write(out)
}

func (r *rawConn) readReply() []byte {
	bp, err := r.rr.read(nil)
	if err != nil {
		r.t.Fatalf("reading reply: %v", err)
	}
	return *bp
}

// expectClosed checks that the server closes the connection.
func (r *rawConn) expectClosed() {
	r.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadAll(r.nc); err != nil && !isClosedOrEOF(err) {
		r.t.Fatalf("want close, got %v", err)
	}
}

func callRecord(xid, prog, vers, proc uint32, cred OpaqueAuth, args []byte) []byte {
	rec := encodeCallRecord(xid, prog, vers, proc, cred, blobRaw(args))
	return rec[4:]
}

// blobRaw marshals as raw bytes (already XDR).
type blobRaw []byte

func (b blobRaw) MarshalXDR(e *xdr.Encoder) { e.FixedOpaque(b) }
func (b blobRaw) SizeXDR() int              { return len(b) + xdr.Pad(len(b)) }

func TestRecordMarkingHostile(t *testing.T) {
	logger, lines := testLogger(t)
	srv := &Server{Handler: testMux(nil), Logger: logger}
	tcp, _ := testServer(t, srv)

	t.Run("multi-fragment call and zero-length fragments", func(t *testing.T) {
		r := dialRaw(t, tcp)
		rec := callRecord(7, testProg, testVers, 1, OpaqueAuth{}, xdr.Marshal(blob("fragmented")))
		r.fragments(rec, 0, 3, 0, 10, len(rec)-13)
		reply := r.readReply()
		var got blob
		if err := decodeReply(reply, &got); err != nil || string(got) != "fragmented" || be32(reply) != 7 {
			t.Fatalf("reply %x: %v %q", reply, err, got)
		}
	})
	t.Run("fragment header 0x7FFFFFFF", func(t *testing.T) {
		before := lines.Load()
		r := dialRaw(t, tcp)
		r.write([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
		r.expectClosed()
		if lines.Load() == before {
			t.Error("no log line")
		}
	})
	t.Run("huge record over many fragments", func(t *testing.T) {
		r := dialRaw(t, tcp)
		// Three 1 MiB fragments exceed the 2 MiB default limit: the server
		// gives up at the third header without buffering it.
		for range 3 {
			r.nc.Write(binary.BigEndian.AppendUint32(nil, 1<<20))
			r.nc.Write(make([]byte, 1<<20))
		}
		r.expectClosed()
	})
	t.Run("truncated record", func(t *testing.T) {
		r := dialRaw(t, tcp)
		rec := callRecord(8, testProg, testVers, 0, OpaqueAuth{}, nil)
		r.write(binary.BigEndian.AppendUint32(nil, uint32(len(rec))|lastFragment))
		r.write(rec[:10])
		r.nc.(*net.TCPConn).CloseWrite()
		r.expectClosed()
	})
	t.Run("wrong RPC version", func(t *testing.T) {
		r := dialRaw(t, tcp)
		rec := callRecord(9, testProg, testVers, 0, OpaqueAuth{}, nil)
		binary.BigEndian.PutUint32(rec[8:], 3)
		r.fragments(rec, len(rec))
		d := xdr.NewDecoder(r.readReply())
		got := [7]uint32{d.Uint32(), d.Uint32(), d.Uint32(), d.Uint32(), d.Uint32(), d.Uint32()}
		if got != [7]uint32{9, REPLY, MSG_DENIED, RPC_MISMATCH, 2, 2} || d.Remaining() != 0 {
			t.Fatalf("reply %v", got)
		}
	})
	t.Run("short call header is dropped, connection stays", func(t *testing.T) {
		r := dialRaw(t, tcp)
		r.fragments([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2}, 12)
		rec := callRecord(10, testProg, testVers, 0, OpaqueAuth{}, nil)
		r.fragments(rec, len(rec))
		if reply := r.readReply(); be32(reply) != 10 {
			t.Fatalf("got reply to xid %d", be32(reply))
		}
	})
	t.Run("neither call nor reply", func(t *testing.T) {
		r := dialRaw(t, tcp)
		r.fragments([]byte{0, 0, 0, 1, 0, 0, 0, 5}, 8)
		r.expectClosed()
	})
}

func TestDuplicateRequestCache(t *testing.T) {
	var runs atomic.Int64
	dc := &DuplicateCache{}
	tcp, _ := testServer(t, &Server{Handler: testMux(&runs), DuplicateCache: dc})
	r := dialRaw(t, tcp)
	rec := callRecord(77, testProg, testVers, 2, OpaqueAuth{}, xdr.Marshal(u32(1)))
	r.fragments(rec, len(rec))
	first := append([]byte(nil), r.readReply()...)
	r.fragments(rec, len(rec)) // retransmission: same xid, same args
	second := r.readReply()
	if !bytes.Equal(first, second) {
		t.Fatalf("replayed reply differs:\n%x\n%x", first, second)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("non-idempotent procedure ran %d times", n)
	}
	// Another xid runs again; so do the same xid with other arguments.
	rec2 := callRecord(78, testProg, testVers, 2, OpaqueAuth{}, xdr.Marshal(u32(1)))
	r.fragments(rec2, len(rec2))
	r.readReply()
	rec3 := callRecord(77, testProg, testVers, 2, OpaqueAuth{}, xdr.Marshal(u32(5)))
	r.fragments(rec3, len(rec3))
	r.readReply()
	if n := runs.Load(); n != 3 {
		t.Fatalf("ran %d times, want 3", n)
	}
	// A retransmission on a new connection (the client reconnected) is
	// answered from the cache too.
	r2 := dialRaw(t, tcp)
	r2.fragments(rec, len(rec))
	if got := r2.readReply(); !bytes.Equal(first, got) || runs.Load() != 3 {
		t.Fatalf("replay across connections: %x, runs %d", got, runs.Load())
	}
	if entries, _, hits, _ := dc.Stats(); entries != 3 || hits != 2 {
		t.Fatalf("stats: %d entries, %d hits", entries, hits)
	}
}

func TestDuplicateCacheBounds(t *testing.T) {
	dc := &DuplicateCache{MaxEntries: 10, MaxBytes: 1000}
	addr := mustAddr("10.0.0.1")
	for i := range 100 {
		c := &Call{XID: uint32(i), Prog: 1, Vers: 1, Proc: 1, body: []byte{byte(i)}}
		k := newDRCKey(addr, c)
		if act, _ := dc.begin(k); act != drcRun {
			t.Fatalf("call %d: action %v", i, act)
		}
		dc.finish(k, make([]byte, 60))
		if n, b, _, _ := dc.Stats(); n > 10 || b > 1000 {
			t.Fatalf("cache grew to %d entries, %d bytes", n, b)
		}
	}
	// An in-progress call's retransmission is dropped.
	c := &Call{XID: 1000, Prog: 1, Vers: 1, Proc: 1}
	k := newDRCKey(addr, c)
	dc.begin(k)
	if act, _ := dc.begin(k); act != drcDrop {
		t.Fatalf("in-progress retransmission: action %v", act)
	}
	dc.finish(k, nil) // dropped: forget it
	if act, _ := dc.begin(k); act != drcRun {
		t.Fatalf("after a dropped call: action %v", act)
	}
}

func TestPipelining(t *testing.T) {
	const n = 64
	var arrived sync.WaitGroup
	arrived.Add(n)
	release := make(chan struct{})
	m := NewServeMux()
	m.Handle(testProg, testVers, Procs{1: func(ctx context.Context, w *ReplyWriter, c *Call) {
		v := c.Args.Uint32()
		arrived.Done()
		select {
		case <-release:
		case <-ctx.Done():
		}
		w.Encoder().Uint32(v)
	}})
	tcp, _ := testServer(t, &Server{Handler: m})
	c := dial(t, "tcp", tcp)
	ctx := ctxT(t)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			var r u32
			err := c.Call(ctx, testProg, testVers, 1, u32(i), &r)
			if err == nil && int(r) != i {
				err = errors.New("reply for the wrong call")
			}
			errs <- err
		}()
	}
	// All n calls are in their handlers at once: the server runs calls
	// of one connection concurrently.
	arrived.Wait()
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestBackpressurePerConn(t *testing.T) {
	var inHandler, maxSeen atomic.Int64
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	m := NewServeMux()
	m.Handle(testProg, testVers, Procs{0: func(ctx context.Context, w *ReplyWriter, c *Call) {
		n := inHandler.Add(1)
		for {
			old := maxSeen.Load()
			if n <= old || maxSeen.CompareAndSwap(old, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		inHandler.Add(-1)
	}})
	tcp, _ := testServer(t, &Server{Handler: m, MaxInFlightPerConn: 4})
	c := dial(t, "tcp", tcp)
	ctx := ctxT(t)
	errs := make(chan error, 20)
	for range 20 {
		go func() { errs <- c.Call(ctx, testProg, testVers, 0, nil, nil) }()
	}
	for range 4 {
		<-started
	}
	close(release)
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if maxSeen.Load() > 4 {
		t.Fatalf("%d calls ran at once on one connection, limit 4", maxSeen.Load())
	}
}

func TestBackchannelCall(t *testing.T) {
	// A handler calls back to the client over the client's own connection.
	result := make(chan error, 1)
	m := NewServeMux()
	m.Handle(testProg, testVers, Procs{0: func(ctx context.Context, w *ReplyWriter, c *Call) {
		conn := c.Conn
		go func() {
			var r u32
			err := conn.Call(ctx, 400200, 1, 1, OpaqueAuth{}, u32(5), &r)
			if err == nil && r != 6 {
				err = errors.New("wrong callback result")
			}
			result <- err
		}()
	}})
	tcp, _ := testServer(t, &Server{Handler: m})
	r := dialRaw(t, tcp)
	rec := callRecord(1, testProg, testVers, 0, OpaqueAuth{}, nil)
	r.fragments(rec, len(rec))
	// The peer now sees the reply to its call and the server's call, in
	// either order.
	var cb []byte
	for range 2 {
		msg := r.readReply()
		if be32(msg[4:]) == CALL {
			cb = append([]byte(nil), msg...)
		}
	}
	if cb == nil {
		t.Fatal("no callback arrived")
	}
	d := xdr.NewDecoder(cb)
	var h CallHeader
	h.XID = d.Uint32()
	d.Uint32()
	h.decodeCallBody(d)
	arg := d.Uint32()
	if h.Prog != 400200 || h.Proc != 1 || arg != 5 || d.Err() != nil {
		t.Fatalf("callback %+v arg %d", h, arg)
	}
	var e xdr.Encoder
	e.Uint32(0)
	e.Uint32(h.XID)
	e.Uint32(REPLY)
	e.Uint32(MSG_ACCEPTED)
	e.Uint32(AUTH_NONE)
	e.Uint32(0)
	e.Uint32(uint32(SUCCESS))
	e.Uint32(arg + 1)
	r.fragments(e.Bytes()[4:], e.Len()-4)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

func TestShutdownWaitsForCalls(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	m := NewServeMux()
	m.Handle(testProg, testVers, Procs{0: func(ctx context.Context, w *ReplyWriter, c *Call) {
		close(entered)
		<-release
		w.Encoder().Uint32(99)
	}})
	srv := &Server{Handler: m}
	srv.Logger, _ = testLogger(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	c := dial(t, "tcp", l.Addr().String())
	callErr := make(chan error, 1)
	go func() {
		var r u32
		err := c.Call(ctxT(t), testProg, testVers, 0, nil, &r)
		if err == nil && r != 99 {
			err = errors.New("wrong result")
		}
		callErr <- err
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctxT(t)) }()
	close(release)
	if err := <-callErr; err != nil {
		t.Fatalf("in-flight call: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v", err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Fatal("listener still open")
	}
}

func TestIdleAndHalfOpenConnections(t *testing.T) {
	srv := &Server{Handler: testMux(nil), MaxConns: 50, IdleTimeout: 200 * time.Millisecond, RecordTimeout: 200 * time.Millisecond}
	tcp, _ := testServer(t, srv)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 2000
	conns := make([]net.Conn, 0, n)
	for i := range n {
		nc, err := net.Dial("tcp", tcp)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		if i%2 == 0 {
			// Half a record: a header promising 1 MiB and a few bytes.
			nc.Write([]byte{0x80, 0x10, 0, 0, 1, 2, 3})
		}
		conns = append(conns, nc)
	}
	if got := srv.nconns.Load(); got > 50 {
		t.Fatalf("%d connections open, limit 50", got)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapInuse) - int64(before.HeapInuse); grow > 16<<20 {
		t.Fatalf("heap grew by %d bytes for %d half-open connections", grow, n)
	}
	// Every connection is eventually closed by the server (limit, idle or
	// record timeout).
	for _, nc := range conns {
		nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadAll(nc); err != nil && !isClosedOrEOF(err) {
			t.Fatal(err)
		}
		nc.Close()
	}
	// And the server still serves.
	c := dial(t, "tcp", tcp)
	if err := c.Call(ctxT(t), testProg, testVers, 0, nil, nil); err != nil {
		t.Fatal(err)
	}
}

type countingMetrics struct {
	mu    sync.Mutex
	calls []CallStat
	conns atomic.Int64
}

func (m *countingMetrics) CallDone(s CallStat) {
	m.mu.Lock()
	m.calls = append(m.calls, s)
	m.mu.Unlock()
}
func (m *countingMetrics) ConnChange(d int) { m.conns.Add(int64(d)) }

func TestMetrics(t *testing.T) {
	met := &countingMetrics{}
	tcp, _ := testServer(t, &Server{Handler: testMux(nil), Metrics: met})
	c := dial(t, "tcp", tcp)
	ctx := ctxT(t)
	c.Call(ctx, testProg, testVers, 0, nil, nil)
	c.Call(ctx, testProg, testVers, 77, nil, nil)
	met.mu.Lock()
	defer met.mu.Unlock()
	if len(met.calls) != 2 || met.calls[0].Accept != SUCCESS || met.calls[1].Accept != PROC_UNAVAIL || met.calls[1].Proc != 77 {
		t.Fatalf("calls %+v", met.calls)
	}
	if met.conns.Load() != 1 {
		t.Fatalf("open connections %d", met.conns.Load())
	}
}

func TestServeMuxRemove(t *testing.T) {
	m := NewServeMux()
	m.Handle(1, 2, Procs{})
	m.Handle(1, 4, Procs{})
	m.Handle(1, 3, Procs{})
	m.Remove(1, 4)
	if _, lo, hi, ok := m.Handler(1, 9); !ok || lo != 2 || hi != 3 {
		t.Fatalf("range %d-%d", lo, hi)
	}
	m.Remove(1, 2)
	m.Remove(1, 3)
	if _, _, _, ok := m.Handler(1, 3); ok {
		t.Fatal("program still registered")
	}
}

func TestFrameSplitsFragments(t *testing.T) {
	rec := make([]byte, 4+10)
	for i := range rec[4:] {
		rec[4+i] = byte(i)
	}
	segs := frame([][]byte{rec[:6], []byte{}, rec[6:]}, 4)
	var out []byte
	for _, s := range segs {
		out = append(out, s...)
	}
	rr := recordReader{r: bufioReader(bytes.NewReader(out)), max: 100, bufs: &buffers{}}
	bp, err := rr.read(nil)
	if err != nil || !bytes.Equal(*bp, rec[4:]) {
		t.Fatalf("got %x, %v", *bp, err)
	}
	// Three fragments of 4, 4, 2 bytes.
	if len(out) != 10+3*4 {
		t.Fatalf("framed length %d", len(out))
	}
}

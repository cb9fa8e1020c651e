package smb

import (
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// asyncFlush makes FLUSH an asynchronous request in tests of the async
// machinery (async.go): it goes async on its open and completes with the
// status sent on release; cancelled, it completes with STATUS_CANCELLED
// (CANCEL) or STATUS_FILE_CLOSED (its open, tree or session went away)
// and reports why on reasons; exited is told when a goroutine stops
// because its request was dropped with the connection.
type asyncFlush struct {
	release chan wire.Status
	reasons chan cancelReason
	exited  chan struct{}
}

func withAsyncFlush(h *asyncFlush) func(*Server) {
	h.release = make(chan wire.Status)
	h.reasons = make(chan cancelReason, 16)
	h.exited = make(chan struct{}, 16)
	return func(s *Server) {
		s.testDispatch = func(r *request) (wire.Status, bool) {
			if r.h.Command != wire.SMB2_FLUSH {
				return 0, false
			}
			var req wire.FlushRequest
			if err := req.Decode(r.msg); err != nil {
				return r.malformed(err), true
			}
			o, st := r.fileOpen(req.FileID)
			if o == nil {
				return st, true
			}
			var ar *asyncReq
			ar = r.goAsync(o, func(why cancelReason) {
				h.reasons <- why
				switch why {
				case cancelRequested:
					ar.complete(wire.STATUS_CANCELLED, nil)
				case cancelClosed:
					ar.complete(wire.STATUS_FILE_CLOSED, nil)
				}
			})
			if ar == nil {
				return wire.STATUS_INSUFFICIENT_RESOURCES, true
			}
			c := r.c
			go func() {
				select {
				case st := <-h.release:
					c.mu.Lock()
					ar.complete(st, wire.EncodeEmptyResponse)
					c.mu.Unlock()
				case <-ar.Done():
					h.exited <- struct{}{}
				}
			}()
			return wire.STATUS_PENDING, true
		}
	}
}

func flushBody(f wire.FileID) []byte { return append(Lay(uint16(24), uint16(0), uint32(0)), fid(f)...) }

// send sends one request and returns its MessageId.
func (c *client) send(cmd wire.Command, body []byte) uint64 {
	c.t.Helper()
	id := c.msgID
	c.sendFrame(c.message(cmd, body, 1))
	return id
}

// recvOne reads a frame of one message.
func (c *client) recvOne() reply {
	c.t.Helper()
	rs, err := c.recv()
	if err != nil {
		c.t.Fatal(err)
	}
	if len(rs) != 1 {
		c.t.Fatalf("%d replies in a frame", len(rs))
	}
	return rs[0]
}

// cancel sends an SMB2 CANCEL (MS-SMB2 §2.2.30) for MessageId msgID, or
// for asyncID with the async header when it is nonzero; it takes no
// MessageId of its own.
func (c *client) cancel(msgID, asyncID, sessionID uint64) {
	c.t.Helper()
	h := wire.Header{Command: wire.SMB2_CANCEL, MessageID: msgID, SessionID: sessionID, TreeID: c.treeID}
	if asyncID != 0 {
		h.Flags, h.AsyncID = wire.SMB2_FLAGS_ASYNC_COMMAND, asyncID
	}
	c.sendFrame(append(h.Append(nil), Lay(uint16(4), uint16(0))...))
}

// interim checks r is the interim response of request msgID (MS-SMB2
// §3.3.4.2) and returns its AsyncId.
func (c *client) interim(r reply, msgID uint64) uint64 {
	c.t.Helper()
	h := r.h
	if h.Status != wire.STATUS_PENDING || !h.IsAsync() || h.AsyncID == 0 || h.MessageID != msgID {
		c.t.Fatalf("interim: status %v async %v id %d msg %d (want %d)", h.Status, h.IsAsync(), h.AsyncID, h.MessageID, msgID)
	}
	if h.IsSigned() {
		c.t.Fatal("interim response signed")
	}
	if h.Credits != c.creditReq {
		c.t.Fatalf("interim grants %d credits, want %d", h.Credits, c.creditReq)
	}
	if len(r.body) < 9 || binary.LittleEndian.Uint16(r.body) != 9 {
		c.t.Fatalf("interim body %x: want an ERROR response", r.body)
	}
	return h.AsyncID
}

// final checks r is the final response of an async request (MS-SMB2
// §3.3.4.3, §3.3.4.4): async header, same AsyncId and MessageId, no
// credits.
func (c *client) final(r reply, msgID, asyncID uint64, want wire.Status) {
	c.t.Helper()
	h := r.h
	if h.Status != want || !h.IsAsync() || h.AsyncID != asyncID || h.MessageID != msgID || h.Credits != 0 {
		c.t.Fatalf("final: status %v (want %v) async %v id %d (want %d) msg %d (want %d) credits %d",
			h.Status, want, h.IsAsync(), h.AsyncID, asyncID, h.MessageID, msgID, h.Credits)
	}
}

// TestAsyncInterimAndFinal: a request that goes async is answered with
// an unsigned interim response (STATUS_PENDING, async header, AsyncId,
// the credits asked for) and later a final response with the same
// AsyncId, no credits, signed with the session's key (MS-SMB2 §3.3.4.2,
// §3.3.4.3, §3.3.1.2).
func TestAsyncInterimAndFinal(t *testing.T) {
	var h asyncFlush
	ts := startServer(t, withAsyncFlush(&h))
	for _, d := range []wire.Dialect{wire.SMB2_DIALECT_210, wire.SMB2_DIALECT_311} {
		c := ts.connect(d)
		f, _ := c.create("a", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
		id := c.send(wire.SMB2_FLUSH, flushBody(f))
		aid := c.interim(c.recvOne(), id)
		// Other requests are served meanwhile.
		if st := c.call(wire.SMB2_ECHO, Lay(uint16(4), uint16(0))).status(); st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
		h.release <- wire.STATUS_SUCCESS
		r := c.recvOne()
		c.final(r, id, aid, wire.STATUS_SUCCESS)
		if !r.h.IsSigned() {
			t.Fatalf("%v: final response not signed", d)
		}
		if binary.LittleEndian.Uint16(r.body) != 4 {
			t.Fatalf("final body %x", r.body)
		}
		c.close(f)
	}
}

// TestAsyncEncrypted: on an encrypted session both the interim and the
// final response are encrypted, the final one not signed (MS-SMB2
// §3.3.4.1.4).
func TestAsyncEncrypted(t *testing.T) {
	var h asyncFlush
	ts := startServer(t, withAsyncFlush(&h), func(s *Server) { s.EncryptData = true })
	c := ts.dial()
	c.negotiate(wire.SMB2_DIALECT_311)
	c.login(testUser, testPassword)
	c.encrypt = true
	if st := c.treeConnect("export"); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	f, _ := c.create("a", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	id := c.send(wire.SMB2_FLUSH, flushBody(f))
	aid := c.interim(c.recvOne(), id)
	if !c.sealed {
		t.Fatal("interim response not encrypted")
	}
	h.release <- wire.STATUS_SUCCESS
	r := c.recvOne()
	c.final(r, id, aid, wire.STATUS_SUCCESS)
	if !c.sealed || r.h.IsSigned() {
		t.Fatalf("final response: encrypted %v signed %v", c.sealed, r.h.IsSigned())
	}
}

// TestAsyncInCompound: a request that goes async in the middle of a
// compound gets its interim response in its place in the compound reply
// and the requests after it are served (MS-SMB2 §3.3.4.2, §3.3.5.2.7);
// a CLOSE later in the same compound cancels it, and its final response
// comes after the compound's reply.
func TestAsyncInCompound(t *testing.T) {
	var h asyncFlush
	ts := startServer(t, withAsyncFlush(&h))
	c := ts.connect(wire.SMB2_DIALECT_311)
	related := func(m []byte) []byte {
		binary.LittleEndian.PutUint32(m[16:], binary.LittleEndian.Uint32(m[16:])|uint32(wire.SMB2_FLAGS_RELATED_OPERATIONS))
		return m
	}
	cr := c.message(wire.SMB2_CREATE, createBody("cmp", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0), 1)
	flushID := c.msgID
	fl := related(c.message(wire.SMB2_FLUSH, flushBody(allOnesFileID), 1))
	cl := related(c.message(wire.SMB2_CLOSE, closeBody(allOnesFileID), 1))
	c.sendFrame(cr, fl, cl)
	rs, err := c.recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].status() != wire.STATUS_SUCCESS || rs[2].status() != wire.STATUS_SUCCESS {
		t.Fatalf("compound reply: %d messages %v", len(rs), rs)
	}
	aid := c.interim(rs[1], flushID)
	c.final(c.recvOne(), flushID, aid, wire.STATUS_FILE_CLOSED)
	if why := <-h.reasons; why != cancelClosed {
		t.Fatalf("cancel reason %v", why)
	}
}

// TestCancel: SMB2 CANCEL finds the pending request by MessageId (sync
// header) or AsyncId (async header), in the same session only; it gets
// no reply and takes no MessageId from the credit window (MS-SMB2
// §3.3.5.16, §3.3.5.2.3).
func TestCancel(t *testing.T) {
	var h asyncFlush
	ts := startServer(t, withAsyncFlush(&h))
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("a", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	echo := Lay(uint16(4), uint16(0))

	// By MessageId.
	id := c.send(wire.SMB2_FLUSH, flushBody(f))
	aid := c.interim(c.recvOne(), id)
	c.cancel(id, 0, c.sessionID)
	c.final(c.recvOne(), id, aid, wire.STATUS_CANCELLED)
	if why := <-h.reasons; why != cancelRequested {
		t.Fatalf("reason %v", why)
	}

	// By AsyncId, whatever the MessageId.
	id = c.send(wire.SMB2_FLUSH, flushBody(f))
	aid = c.interim(c.recvOne(), id)
	c.cancel(id+1000, aid, c.sessionID)
	c.final(c.recvOne(), id, aid, wire.STATUS_CANCELLED)
	<-h.reasons

	// Another session's CANCEL, or one naming nothing pending, is
	// ignored: the next frame is the ECHO's reply, and CANCEL, which
	// takes no MessageId, leaves the window as it was (a request reusing
	// the id would end the connection).
	id = c.send(wire.SMB2_FLUSH, flushBody(f))
	aid = c.interim(c.recvOne(), id)
	c.cancel(id, 0, c.sessionID+1)
	c.cancel(id+2000, aid+1, c.sessionID)
	c.cancel(id+1, 0, c.sessionID)
	if r := c.call(wire.SMB2_ECHO, echo); r.status() != wire.STATUS_SUCCESS || r.h.MessageID != id+1 {
		t.Fatalf("ECHO after CANCELs: %v id %d", r.status(), r.h.MessageID)
	}
	h.release <- wire.STATUS_SUCCESS
	c.final(c.recvOne(), id, aid, wire.STATUS_SUCCESS)

	// A CANCEL after the final response matches nothing.
	c.cancel(id, aid, c.sessionID)
	if st := c.call(wire.SMB2_ECHO, echo).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	select {
	case why := <-h.reasons:
		t.Fatalf("cancel function called (%v) for a request not pending", why)
	default:
	}
}

// TestCancelSigned: when the session requires signing, an unsigned or
// badly signed CANCEL is ignored; a signed one cancels.
func TestCancelSigned(t *testing.T) {
	var h asyncFlush
	ts := startServer(t, withAsyncFlush(&h))
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("a", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	id := c.send(wire.SMB2_FLUSH, flushBody(f))
	aid := c.interim(c.recvOne(), id)
	c.noSign = true
	c.cancel(id, 0, c.sessionID)
	c.noSign = false
	if st := c.call(wire.SMB2_ECHO, Lay(uint16(4), uint16(0))).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	c.cancel(id, 0, c.sessionID)
	c.final(c.recvOne(), id, aid, wire.STATUS_CANCELLED)
}

// TestAsyncBound: past the connection's bound on pending requests a
// request that would go async fails with STATUS_INSUFFICIENT_RESOURCES
// (MS-SMB2 §3.3.4.2); once one completes there is room again.
func TestAsyncBound(t *testing.T) {
	var h asyncFlush
	ts := startServer(t, withAsyncFlush(&h), func(s *Server) { s.maxAsyncReqs = 2 })
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("a", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	id1 := c.send(wire.SMB2_FLUSH, flushBody(f))
	a1 := c.interim(c.recvOne(), id1)
	id2 := c.send(wire.SMB2_FLUSH, flushBody(f))
	a2 := c.interim(c.recvOne(), id2)
	if a1 == a2 {
		t.Fatal("AsyncId reused")
	}
	if r := c.call(wire.SMB2_FLUSH, flushBody(f)); r.status() != wire.STATUS_INSUFFICIENT_RESOURCES || r.h.IsAsync() {
		t.Fatalf("third pending request: %v async %v", r.status(), r.h.IsAsync())
	}
	c.cancel(id1, 0, c.sessionID)
	c.final(c.recvOne(), id1, a1, wire.STATUS_CANCELLED)
	id3 := c.send(wire.SMB2_FLUSH, flushBody(f))
	a3 := c.interim(c.recvOne(), id3)
	if a3 == a1 || a3 == a2 {
		t.Fatal("AsyncId reused")
	}
}

// TestAsyncCleanup: the pending requests of an open, a tree or a session
// are cancelled when it goes away (CLOSE, TREE_DISCONNECT, LOGOFF), their
// final responses sent after that request's reply and signed even after
// a LOGOFF; those of a connection that ends are dropped and their
// goroutines told (MS-SMB2 §3.3.5.10, §3.3.5.8, §3.3.5.6, §3.3.7.1).
func TestAsyncCleanup(t *testing.T) {
	var h asyncFlush
	ts := startServer(t, withAsyncFlush(&h))
	empty := Lay(uint16(4), uint16(0))
	for _, end := range []wire.Command{wire.SMB2_CLOSE, wire.SMB2_TREE_DISCONNECT, wire.SMB2_LOGOFF} {
		c := ts.connect(wire.SMB2_DIALECT_311)
		f, _ := c.create("a", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
		id := c.send(wire.SMB2_FLUSH, flushBody(f))
		aid := c.interim(c.recvOne(), id)
		body := empty
		if end == wire.SMB2_CLOSE {
			body = closeBody(f)
		}
		if r := c.call(end, body); r.status() != wire.STATUS_SUCCESS {
			t.Fatalf("%v: %v", end, r.status())
		}
		r := c.recvOne()
		c.final(r, id, aid, wire.STATUS_FILE_CLOSED)
		if !r.h.IsSigned() {
			t.Fatalf("%v: final response not signed", end)
		}
		if why := <-h.reasons; why != cancelClosed {
			t.Fatalf("%v: reason %v", end, why)
		}
	}
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("a", wire.GENERIC_WRITE, wire.FILE_OPEN_IF, 0)
	id := c.send(wire.SMB2_FLUSH, flushBody(f))
	c.interim(c.recvOne(), id)
	c.nc.Close()
	if why := <-h.reasons; why != cancelConnEnd {
		t.Fatalf("connection end: reason %v", why)
	}
	<-h.exited
}

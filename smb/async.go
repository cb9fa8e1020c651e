package smb

import (
	"cmp"
	"slices"
	"time"

	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// Asynchronous requests (MS-SMB2 §3.3.4.2): a handler that would block
// (a byte-range lock that waits, CHANGE_NOTIFY, a CREATE waiting for an
// oplock break) calls r.goAsync and returns STATUS_PENDING. The frame's
// reply then carries, in the request's place, an interim response:
// STATUS_PENDING, SMB2_FLAGS_ASYNC_COMMAND and the request's AsyncId,
// the credits granted as for any reply, unsigned (§3.3.4.2: SHOULD NOT
// sign). The operation goes on in a goroutine of the handler's, which
// must copy what it needs of the request (r.msg aliases the connection's
// frame buffer) and, holding c.mu, ends it with ar.complete: the final
// response has the async header, the same AsyncId and MessageId and
// CreditResponse 0 (§3.3.4.3: "If Request.AsyncId is nonzero ... MUST set
// the CreditResponse field to 0"; the credits were granted in the
// interim response, §3.3.1.2), is signed with the session's key when the
// request was signed or the session requires signing, and encrypted when
// the request was.
//
// SMB2 CANCEL (§3.3.5.16) finds a pending request by AsyncId (async
// flag) or MessageId, in the same session, and calls its cancel
// function; so do CLOSE of its open, TREE_DISCONNECT of its tree, LOGOFF
// of its session and the end of the connection. CANCEL gets no reply and
// consumes no credit (§3.3.5.2.3: the server consumes a credit for any
// request except CANCEL).

// defaultMaxAsync bounds the pending async requests of a connection;
// past it a request that would go async fails with
// STATUS_INSUFFICIENT_RESOURCES (§3.3.4.2 allows it when resources are
// constrained), so a client cannot pile up goroutines and memory.
const defaultMaxAsync = 512

// cancelReason says why a pending request is cancelled.
type cancelReason int

const (
	// cancelRequested: an SMB2 CANCEL named the request.
	cancelRequested cancelReason = iota
	// cancelClosed: its open was closed, or its tree or session went
	// away (CLOSE, TREE_DISCONNECT, LOGOFF).
	cancelClosed
	// cancelConnEnd: the connection ended; no reply can be sent, and
	// the request is dropped after cancel returns.
	cancelConnEnd
)

// asyncReq is a request answered asynchronously (MS-SMB2 §3.3.1.13
// Request.AsyncId). Its fields are guarded by c.mu.
type asyncReq struct {
	c         *conn
	id        uint64 // AsyncId, nonzero, never reused on the connection
	msgID     uint64
	cmd       wire.Command
	charge    uint16
	sessionID uint64
	sess      *session // nil when the request had no session
	tree      *tree    // nil when it had no tree
	open      *open    // the open it waits on, or nil
	signer    *smbcrypto.Signer
	enc       *smbcrypto.Encryptor // nil: sent in clear
	t0        time.Time

	cancelFn  func(why cancelReason)
	cancelled bool // cancelFn was called
	done      chan struct{}
}

// Done is closed when the request has completed or been dropped: an
// operation's goroutine selects on it to stop waiting.
func (ar *asyncReq) Done() <-chan struct{} { return ar.done }

// finished reports whether the request has completed (c.mu held).
func (ar *asyncReq) finished() bool {
	select {
	case <-ar.done:
		return true
	default:
		return false
	}
}

// asyncRoom reports whether the connection may take one more async
// request; a handler checks it before starting what cannot be undone.
func (r *request) asyncRoom() bool {
	return len(r.c.async) < r.c.s.maxAsync()
}

// goAsync makes r asynchronous: it gets an AsyncId and the frame's reply
// an interim response in its place; the handler returns STATUS_PENDING.
// It returns nil when the connection has too many pending requests (the
// handler then fails the request with STATUS_INSUFFICIENT_RESOURCES).
//
// o is the open the request waits on (nil if none). cancel is called at
// most once, with c.mu held, when the request is cancelled; it must stop
// the operation and, if it did stop it before it completed, complete
// the request itself with the status the command calls for (for a CANCEL
// usually STATUS_CANCELLED); if the operation already finished, its
// goroutine completes it. It must not block.
func (r *request) goAsync(o *open, cancel func(why cancelReason)) *asyncReq {
	c := r.c
	if !r.asyncRoom() || r.async != nil {
		return nil
	}
	c.nextAsync++
	ar := &asyncReq{
		c:         c,
		id:        c.nextAsync,
		msgID:     r.h.MessageID,
		cmd:       r.h.Command,
		charge:    r.h.CreditCharge,
		sessionID: r.h.SessionID,
		sess:      r.sess,
		tree:      r.tree,
		open:      o,
		t0:        r.t0,
		cancelFn:  cancel,
		done:      make(chan struct{}),
	}
	if s := r.sess; s != nil {
		if r.crypt {
			ar.enc = s.enc
		} else if s.valid && s.signer != nil && (s.signRequired || r.h.IsSigned()) {
			ar.signer = s.signer
		}
	}
	c.async[ar.id] = ar
	r.async = ar
	return ar
}

// complete sends the final response of ar (c.mu held): status, and the
// body encodeBody appends (nil, or an error status: an ERROR response).
// It reports false, sending nothing, when ar had already completed or
// was dropped.
func (ar *asyncReq) complete(status wire.Status, encodeBody func(e *wire.Encoder)) bool {
	c := ar.c
	if ar.finished() {
		return false
	}
	close(ar.done)
	delete(c.async, ar.id)
	if done := c.s.CommandDone; done != nil {
		done(commandName(ar.cmd), status.String(), status.IsError(), time.Since(ar.t0))
	}
	if c.closed {
		return false
	}
	h := wire.Header{
		CreditCharge: ar.charge,
		Status:       status,
		Command:      ar.cmd,
		Flags:        wire.SMB2_FLAGS_SERVER_TO_REDIR | wire.SMB2_FLAGS_ASYNC_COMMAND,
		MessageID:    ar.msgID,
		AsyncID:      ar.id,
		SessionID:    ar.sessionID,
	}
	e := &c.aenc
	e.Reset(c.aout[:0])
	e.BeginMessage(&h)
	bodyStart := e.Len()
	if encodeBody != nil && !status.IsError() {
		encodeBody(e)
	}
	if e.Len() == bodyStart {
		(&wire.ErrorResponse{}).Encode(e)
	}
	out := e.Bytes()
	if ar.signer != nil {
		if err := ar.signer.Sign(out); err != nil {
			c.logf("signing failed", "err", err)
			return false
		}
	}
	if cap(out) <= 2*DefaultMaxMessageSize {
		c.aout = out[:0]
	}
	if ar.enc != nil {
		sealed, err := ar.enc.Encrypt(c.asealed[:0], out)
		if err != nil {
			c.logf("encryption failed", "err", err)
			return false
		}
		if cap(sealed) <= 2*DefaultMaxMessageSize+64<<10 {
			c.asealed = sealed[:0]
		}
		out = sealed
	}
	if c.inFrame {
		// Completed while a frame is being served (a CANCEL, a CLOSE
		// of its open, or the request went async in this very frame):
		// sent after that frame's reply, so that the interim response
		// always comes first.
		c.deferred = append(c.deferred, slices.Clone(out))
		return true
	}
	if err := c.writeFrame(out); err != nil {
		c.nc.Close() // the reader ends the connection
		return false
	}
	return true
}

// flushDeferred sends the final responses completed while a frame was
// served (c.mu held).
func (c *conn) flushDeferred() {
	for i, b := range c.deferred {
		if !c.closed && c.writeFrame(b) != nil {
			c.nc.Close()
		}
		c.deferred[i] = nil
	}
	c.deferred = c.deferred[:0]
}

// cancel calls ar's cancel function once (c.mu held).
func (ar *asyncReq) cancel(why cancelReason) {
	if ar.cancelled || ar.finished() {
		return
	}
	ar.cancelled = true
	ar.cancelFn(why)
}

// drop forgets ar without a reply (c.mu held): the connection is gone.
func (ar *asyncReq) drop() {
	if !ar.finished() {
		close(ar.done)
		delete(ar.c.async, ar.id)
	}
}

// pending returns the pending requests match accepts, in the order they
// went async.
func (c *conn) pending(match func(*asyncReq) bool) []*asyncReq {
	var out []*asyncReq
	for _, ar := range c.async {
		if match(ar) {
			out = append(out, ar)
		}
	}
	slices.SortFunc(out, func(a, b *asyncReq) int { return cmp.Compare(a.id, b.id) })
	return out
}

// cancelPending cancels, in order, the pending requests match accepts.
func (c *conn) cancelPending(why cancelReason, match func(*asyncReq) bool) {
	for _, ar := range c.pending(match) {
		ar.cancel(why)
	}
}

// cancelRequest is SMB2 CANCEL (MS-SMB2 §3.3.5.16): the pending request
// of the same session with the CANCEL's AsyncId (async header) or
// MessageId is cancelled. A CANCEL that matches nothing, names another
// session or fails the session's signature check is ignored; none gets
// a reply.
func (c *conn) cancelRequest(h *wire.Header, raw []byte, crypt bool) {
	var target *asyncReq
	if h.IsAsync() {
		target = c.async[h.AsyncID]
	} else {
		for _, ar := range c.async {
			if ar.msgID == h.MessageID {
				target = ar
				break
			}
		}
	}
	if target == nil || target.sessionID != h.SessionID {
		return
	}
	if s := target.sess; s != nil && s.valid && s.signer != nil && !crypt {
		if h.IsSigned() {
			if s.signer.Verify(raw) != nil {
				c.logf("bad signature on CANCEL", "session", s.id)
				return
			}
		} else if s.signRequired {
			c.logf("unsigned CANCEL refused", "session", s.id)
			return
		}
	}
	target.cancel(cancelRequested)
}

// maxAsync is the bound on a connection's pending async requests.
func (s *Server) maxAsync() int {
	if s.maxAsyncReqs > 0 {
		return s.maxAsyncReqs
	}
	return defaultMaxAsync
}

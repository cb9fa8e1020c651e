package smb

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// Locking rule. conn is one client connection. One goroutine (serve)
// reads it and runs its frames in order; it holds c.mu while it handles
// a frame, never while it waits for the network. Everything reachable
// from c (negotiate state, credits, sessions, trees, opens and their
// locks, pending async requests, the reply encoders) is guarded by c.mu.
// Another goroutine that must touch it (an async request finishing,
// async.go) takes c.mu itself. Rules:
//   - Hold at most one connection's mu: never take another connection's
//     lock while holding yours (no lock-order deadlock across
//     connections). Work for another connection is handed over (a
//     channel send, a goroutine) and done under that connection's lock.
//   - Callbacks that may run on any goroutine with any connection's lock
//     held (locking.Request.Granted, a Breaker) must not take c.mu
//     directly: they signal a goroutine that does.
//   - c.wmu (writeFrame) is taken under c.mu or alone, never the other
//     way round.
type conn struct {
	// mu guards the connection's state; see the locking rule above.
	mu sync.Mutex
	// closed is set when the connection ends: async replies are dropped.
	closed bool
	s      *Server
	nc     net.Conn
	remote netip.AddrPort
	ctx    context.Context
	fr     wire.FrameReader

	buf    []byte // frame buffer, reused
	plain  []byte // decrypted frame, reused
	out    []byte // reply buffer, reused
	sealed []byte
	enc    wire.Encoder
	msgs   []wire.Message
	outs   []outMsg

	// NEGOTIATE state (MS-SMB2 §3.3.1.7).
	negotiated     bool
	dialect        wire.Dialect
	clientGUID     wire.GUID
	clientCaps     uint32
	clientSecMode  uint16
	clientDialects []wire.Dialect
	serverCaps     uint32
	serverSecMode  uint16
	cipher         smbcrypto.Cipher
	signAlg        smbcrypto.SigningAlgorithm
	preauth        smbcrypto.PreauthHash
	maxSize        int

	// The credit window (MS-SMB2 §3.3.1.1): message ids below seqLow are
	// used, ids in [seqLow, seqHigh) are granted, used out of order when
	// in used.
	seqLow, seqHigh uint64
	used            map[uint64]struct{}

	sessions    map[uint64]*session
	nextSession uint64
	// gone keeps the signers of sessions logged off, so that a request
	// still naming one gets STATUS_USER_SESSION_DELETED signed, as
	// clients that require signing expect (Samba's smbd does the same).
	// At most MaxSessionsPerConn entries.
	gone map[uint64]*smbcrypto.Signer

	// drop ends the connection once the current reply is sent
	// (MS-SMB2 asks for a disconnect on some protocol violations).
	drop bool

	// Pending async requests by AsyncId (async.go), at most
	// Server.maxAsync; nextAsync is the last AsyncId given.
	async     map[uint64]*asyncReq
	nextAsync uint64
	// watches counts the directory opens with a CHANGE_NOTIFY watch
	// (notify.go), at most Server.maxWatches; waiting are those with
	// requests waiting.
	watches int
	waiting map[*dirWatch]struct{}
	// The encoder and buffers of async final responses, which may be
	// sent while a frame's reply is being encoded in enc.
	aenc          wire.Encoder
	aout, asealed []byte
	// inFrame is set while a frame is served; final responses completed
	// meanwhile wait in deferred until the frame's reply is sent.
	inFrame  bool
	deferred [][]byte

	// wmu serializes frames written to nc: the replies of the reading
	// goroutine and what other goroutines send (oplock and lease
	// breaks, the final replies of async requests).
	wmu sync.Mutex
	// While hold is set (the reader has another whole request
	// buffered), frames of up to coalesceMax bytes wait in wq (with
	// their headers) and go out with the next write: a client that
	// pipelines small requests gets its replies in fewer writes. Both
	// are guarded by wmu.
	hold bool
	wq   []byte

	br *bufio.Reader // under fr
}

// coalesceMax bounds the replies queued while the reader has more
// requests buffered; a larger reply flushes the queue with it.
const coalesceMax = 64 << 10

// outMsg is what happens to one reply message once the compound is
// complete: signed with signer, chained into preauth.
type outMsg struct {
	signer  *smbcrypto.Signer
	preauth *smbcrypto.PreauthHash
}

func (s *Server) newConn(nc net.Conn) *conn {
	c := &conn{
		s:        s,
		nc:       nc,
		remote:   export.AddrPort(nc.RemoteAddr()),
		ctx:      s.ctx,
		used:     map[uint64]struct{}{},
		sessions: map[uint64]*session{},
		gone:     map[uint64]*smbcrypto.Signer{},
		async:    map[uint64]*asyncReq{},
		seqHigh:  1,
	}
	// A frame holds one READ/WRITE of maxSize plus headers, or a
	// TRANSFORM_HEADER around it.
	// Buffered: a frame is read as header then body, and a client
	// pipelining small requests sends several frames per segment.
	c.br = bufio.NewReaderSize(nc, 16<<10)
	c.fr = wire.FrameReader{R: c.br, Max: s.MaxMessageSize + 64<<10}
	return c
}

func (c *conn) serve() {
	defer c.close()
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("smb: panic serving connection", "remote", c.remote.String(), "panic", p, "stack", string(debug.Stack()))
			if c.s.onPanic != nil {
				c.s.onPanic(p)
			}
		}
	}()
	for {
		frame, err := c.fr.Next(c.buf)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.logs.Info(c.s.log, "smb: connection ended", "remote", c.remote.String(), "err", err)
			}
			return
		}
		if cap(frame) <= 2*DefaultMaxMessageSize {
			c.buf = frame[:0]
		}
		if c.holdWrites(c.requestBuffered()) != nil {
			return
		}
		ok := c.serveFrame(frame)
		// Before waiting for the network (or ending), what waits goes
		// out.
		if c.holdWrites(ok && c.requestBuffered()) != nil || !ok {
			return
		}
	}
}

// serveFrame serves one frame holding c.mu, then sends the final
// responses completed meanwhile; false ends the connection. The deferred
// unlock lets a panic reach serve's recover without the lock held.
func (c *conn) serveFrame(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFrame = true
	ok := c.handleFrame(frame)
	c.inFrame = false
	c.flushDeferred()
	c.answerWatches() // CHANGE_NOTIFYs the frame's changes complete (notify.go)
	return ok
}

// close releases the connection's sessions (MS-SMB2 §3.3.7.1) and drops
// its pending async requests.
func (c *conn) close() {
	c.nc.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.cancelPending(cancelConnEnd, func(*asyncReq) bool { return true })
	c.s.mu.Lock()
	stopping := c.s.closed // a server shutting down keeps nothing
	c.s.mu.Unlock()
	for _, sess := range c.sessions {
		for _, o := range sess.opens {
			if o.durable != nil && !stopping {
				c.preserve(sess, o) // durable.go
			}
		}
		c.endSession(sess)
	}
	for _, ar := range c.async {
		ar.drop()
	}
}

// logf logs a protocol error of the client, rate-limited per message (the
// network can trigger these at will).
func (c *conn) logf(msg string, args ...any) {
	c.s.logs.Warn(c.s.log, "smb: "+msg, append([]any{"remote", c.remote.String()}, args...)...)
}

// compound is the state carried from one message of a compound to the
// next related one (MS-SMB2 §3.3.5.2.7.2).
type compound struct {
	sessionID uint64
	treeID    uint32
	fileID    wire.FileID
	status    wire.Status
	charged   uint64 // credits charged by the frame's messages so far
}

// maxCompoundCharge bounds the credits the messages of one frame may
// charge together, so that one reply holds at most 32 MiB of READ or
// QUERY_DIRECTORY data (each 64 KiB costs a credit) however large the
// credit window; the messages past it are answered
// STATUS_INSUFFICIENT_RESOURCES.
const maxCompoundCharge = 512

var allOnesFileID = wire.FileID{Persistent: ^uint64(0), Volatile: ^uint64(0)}

// handleFrame serves one frame; false ends the connection.
func (c *conn) handleFrame(frame []byte) bool {
	var tsess *session
	if len(frame) >= 4 && binary.LittleEndian.Uint32(frame) == wire.ProtocolTransform {
		th, err := smbcrypto.ParseTransformHeader(frame)
		if err != nil {
			c.logf("bad transform header", "err", err)
			return false
		}
		sess := c.sessions[th.SessionID]
		if sess == nil || sess.dec == nil {
			c.logf("encrypted message for an unknown session", "session", th.SessionID)
			return false
		}
		plain, err := sess.dec.Decrypt(c.plain[:0], frame)
		if err != nil {
			c.logf("decryption failed", "err", err)
			return false
		}
		if cap(plain) <= 2*DefaultMaxMessageSize {
			c.plain = plain[:0]
		}
		frame, tsess = plain, sess
	}
	if wire.IsSMB1(frame) {
		if c.negotiated || tsess != nil || c.seqHigh != 1 {
			c.logf("SMB1 message after negotiation")
			return false
		}
		return c.smb1Negotiate(frame)
	}
	msgs, err := wire.Split(frame, c.msgs[:0])
	c.msgs = msgs
	if err != nil {
		c.logf("bad SMB2 message", "err", err)
		return false
	}
	c.enc.Reset(c.out[:0])
	c.outs = c.outs[:0]
	var st compound
	for i := range msgs {
		if !c.handleMessage(&msgs[i], i, tsess, &st) {
			return false
		}
	}
	if c.enc.NumMessages() == 0 {
		return true // CANCEL alone
	}
	for i, o := range c.outs {
		msg := c.enc.MessageAt(i)
		if o.preauth != nil {
			o.preauth.Update(msg)
		}
		if o.signer != nil {
			if err := o.signer.Sign(msg); err != nil {
				c.logf("signing failed", "err", err)
				return false
			}
		}
	}
	out := c.enc.Bytes()
	if cap(out) <= 2*DefaultMaxMessageSize+64<<10 {
		c.out = out[:0]
	}
	if tsess != nil {
		sealed, err := seal(tsess.enc, &c.sealed, out)
		if err != nil {
			c.logf("encryption failed", "err", err)
			return false
		}
		out = sealed
	}
	if err := c.writeFrame(out); err != nil {
		return false
	}
	return !c.drop
}

// seal encrypts msg into a TRANSFORM_HEADER frame in *keep's storage,
// keeping that storage for the next frame unless it grew too large.
func seal(enc *smbcrypto.Encryptor, keep *[]byte, msg []byte) ([]byte, error) {
	sealed, err := enc.Encrypt((*keep)[:0], msg)
	if err != nil {
		return nil, err
	}
	if cap(sealed) <= 2*DefaultMaxMessageSize+64<<10 {
		*keep = sealed[:0]
	}
	return sealed, nil
}

// writeFrame writes one frame (a message, a compound chain or a
// TRANSFORM_HEADER around either); safe for concurrent use.
func (c *conn) writeFrame(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.hold && len(c.wq)+wire.FrameHeaderSize+len(b) <= coalesceMax {
		c.wq = appendFrame(c.wq, b)
		return nil
	}
	if len(c.wq) == 0 {
		return wire.WriteFrame(c.nc, b)
	}
	var hdr [wire.FrameHeaderSize]byte
	wire.PutFrameHeader(hdr[:], len(b))
	bufs := net.Buffers{c.wq, hdr[:], b}
	_, err := bufs.WriteTo(c.nc)
	c.wq = c.wq[:0]
	return err
}

// appendFrame appends b with its Direct TCP header to dst.
func appendFrame(dst, b []byte) []byte {
	var hdr [wire.FrameHeaderSize]byte
	wire.PutFrameHeader(hdr[:], len(b))
	return append(append(dst, hdr[:]...), b...)
}

// holdWrites sets whether replies wait to be coalesced, writing what
// waits when they no longer may.
func (c *conn) holdWrites(hold bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.hold = hold
	if hold || len(c.wq) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.wq)
	c.wq = c.wq[:0]
	return err
}

// requestBuffered reports whether a whole frame is already in the read
// buffer, so that reading it will not wait for the network.
func (c *conn) requestBuffered() bool {
	n := c.br.Buffered()
	if n < wire.FrameHeaderSize {
		return false
	}
	h, err := c.br.Peek(wire.FrameHeaderSize)
	if err != nil || h[0] != 0 {
		return false
	}
	return n >= wire.FrameHeaderSize+(int(h[1])<<16|int(h[2])<<8|int(h[3]))
}

// request is one message being served.
type request struct {
	c     *conn
	h     *wire.Header
	msg   []byte // the whole message, header included
	sess  *session
	tree  *tree
	rel   *compound
	out   *outMsg
	rh    *wire.Header // the reply header, which handlers may adjust
	crypt bool         // the request came encrypted
	// keepBody: the handler's body is the reply even with an error
	// status (the IOCTL responses of a failed server-side copy, MS-SMB2
	// §3.3.5.15.6.2).
	keepBody bool
	t0       time.Time // when it was decoded (for CommandDone)
	async    *asyncReq // set by goAsync: the reply is an interim response
	// last: the last request of its frame, the only one of a compound
	// that may go async; asyncRefused: it was failed for wanting to
	// (asyncDenied), which the related requests after it ignore.
	last, asyncRefused bool
	// errData is the ErrorData of an error reply (MS-SMB2 §2.2.2.2), set
	// by a handler that fails with STATUS_BUFFER_TOO_SMALL.
	errData []byte
	// retry: a CREATE run again after going async for oplock breaks
	// (createasync.go), which does not go async again; breakWaits: the
	// breaks it goes async for.
	retry      bool
	breakWaits []waiter
	// raced: a CREATE run again because its name appeared between its
	// lookup and its create (file.go), which happens once.
	raced bool
}

// malformed logs a request that does not decode (rate-limited: the
// network can send them at will) and answers it with
// STATUS_INVALID_PARAMETER.
func (r *request) malformed(err error) wire.Status {
	r.c.s.logs.Info(r.c.s.log, "smb: malformed request", "remote", r.c.remote.String(), "command", r.h.Command.String(), "err", err)
	return wire.STATUS_INVALID_PARAMETER
}

// fileID resolves a request's FileId, inheriting the compound's
// (MS-SMB2 §3.3.5.2.7.2).
func (r *request) fileID(id wire.FileID) wire.FileID {
	if id == allOnesFileID && r.h.IsRelated() {
		return r.rel.fileID
	}
	return id
}

func needsSession(cmd wire.Command) bool {
	switch cmd {
	case wire.SMB2_NEGOTIATE, wire.SMB2_SESSION_SETUP, wire.SMB2_ECHO:
		return false
	}
	return true
}

func needsTree(cmd wire.Command) bool {
	switch cmd {
	case wire.SMB2_NEGOTIATE, wire.SMB2_SESSION_SETUP, wire.SMB2_LOGOFF, wire.SMB2_TREE_CONNECT,
		wire.SMB2_ECHO, wire.SMB2_CANCEL:
		return false
	}
	return true
}

// handleMessage serves one message of a frame and appends its reply;
// false ends the connection.
func (c *conn) handleMessage(m *wire.Message, i int, tsess *session, st *compound) bool {
	h := &m.Header
	var t0 time.Time
	if c.s.CommandDone != nil {
		t0 = time.Now()
	}
	if h.IsResponse() {
		c.logf("response received from a client")
		return false
	}
	if h.Command == wire.SMB2_CANCEL {
		// No reply, no credit (MS-SMB2 §3.3.5.16, §3.3.1.2).
		c.cancelRequest(h, m.Raw, tsess != nil)
		return true
	}
	if !c.negotiated && h.Command != wire.SMB2_NEGOTIATE {
		c.logf("request before NEGOTIATE", "command", h.Command.String())
		return false
	}
	charge := uint64(max(h.CreditCharge, 1))
	if c.dialect == wire.SMB2_DIALECT_202 {
		charge = 1
	}
	if !c.consume(h.MessageID, charge) {
		c.logf("message id outside the credit window", "id", h.MessageID, "charge", charge, "low", c.seqLow, "high", c.seqHigh)
		return false
	}
	related := h.IsRelated()
	if related && i > 0 {
		if h.SessionID == ^uint64(0) {
			h.SessionID = st.sessionID
		}
		if h.TreeID == ^uint32(0) {
			h.TreeID = st.treeID
		}
	}
	rh := wire.Header{
		CreditCharge: h.CreditCharge,
		Command:      h.Command,
		Credits:      c.grant(h.Credits),
		Flags:        wire.SMB2_FLAGS_SERVER_TO_REDIR | h.Flags&wire.SMB2_FLAGS_RELATED_OPERATIONS,
		MessageID:    h.MessageID,
		TreeID:       h.TreeID,
		SessionID:    h.SessionID,
	}
	c.enc.BeginMessage(&rh)
	start := c.enc.MessageStart(c.enc.NumMessages() - 1)
	bodyStart := c.enc.Len()
	c.outs = append(c.outs, outMsg{})
	r := &request{c: c, h: h, msg: m.Raw, rel: st, out: &c.outs[len(c.outs)-1], rh: &rh, crypt: tsess != nil, t0: t0,
		last: i == len(c.msgs)-1}
	status := c.prepare(r, tsess, related && i == 0)
	if status == wire.STATUS_SUCCESS && related && i == 0 {
		// The first request has nothing to relate to (MS-SMB2
		// §3.3.5.2.7.2), even with real ids; refused once its session
		// is known, so that the reply is signed.
		status = wire.STATUS_INVALID_PARAMETER
	}
	if status == wire.STATUS_SUCCESS && related && i > 0 && st.status.IsError() {
		status = st.status
	}
	if st.charged += charge; status == wire.STATUS_SUCCESS && st.charged > maxCompoundCharge {
		status = wire.STATUS_INSUFFICIENT_RESOURCES
	}
	if status == wire.STATUS_SUCCESS {
		status = c.dispatch(r)
	}
	if r.async != nil {
		// The interim response (MS-SMB2 §3.3.4.2), in the request's
		// place in the reply, even in the middle of a compound
		// (§3.3.5.2.7); never signed; the final one follows from
		// r.async.complete.
		c.enc.Truncate(bodyStart)
		(&wire.ErrorResponse{}).Encode(&c.enc)
		rh.Flags |= wire.SMB2_FLAGS_ASYNC_COMMAND
		rh.AsyncID = r.async.id
		rh.Status = wire.STATUS_PENDING
		rh.Put(c.enc.Bytes()[start:])
		st.sessionID, st.treeID, st.status = rh.SessionID, h.TreeID, wire.STATUS_PENDING
		if id, ok := requestFileID(h.Command, m.Raw); ok {
			st.fileID = r.fileID(id)
		}
		return true
	}
	// MORE_PROCESSING_REQUIRED has error severity but is a step of a
	// logon, answered with a SESSION_SETUP body.
	failed := status.IsError() && status != wire.STATUS_MORE_PROCESSING_REQUIRED
	if status != wire.STATUS_SUCCESS && status != wire.STATUS_MORE_PROCESSING_REQUIRED &&
		(failed && !r.keepBody || c.enc.Len() == bodyStart) {
		c.enc.Truncate(bodyStart)
		r.errorResponse().Encode(&c.enc)
	}
	rh.Status = status
	rh.Put(c.enc.Bytes()[start:])
	if done := c.s.CommandDone; done != nil {
		done(commandName(h.Command), status.String(), failed, time.Since(t0))
	}
	if status != wire.STATUS_SUCCESS && c.s.log.Enabled(c.ctx, slog.LevelDebug) {
		c.s.log.Debug("smb: request failed", "remote", c.remote.String(), "command", h.Command.String(),
			"status", status.String(), "session", h.SessionID, "tree", h.TreeID, "signed", h.IsSigned(), "encrypted", r.crypt)
	}
	if r.sess != nil && r.out.signer == nil && !r.crypt && r.sess.valid && r.sess.signer != nil &&
		(r.sess.signRequired || h.IsSigned()) {
		r.out.signer = r.sess.signer
	}
	if r.out.signer != nil && r.crypt {
		r.out.signer = nil
	}
	st.sessionID, st.treeID = rh.SessionID, rh.TreeID
	if !r.asyncRefused {
		st.status = status
	}
	if h.Command != wire.SMB2_CREATE || status.IsError() {
		// CREATE sets the compound's FileId itself.
		if id, ok := requestFileID(h.Command, m.Raw); ok {
			st.fileID = r.fileID(id)
		}
	}
	return true
}

// requestFileID is the FileId of a request that names one (for the
// compound inheritance), read from its fixed position.
func requestFileID(cmd wire.Command, msg []byte) (wire.FileID, bool) {
	var off int
	switch cmd {
	case wire.SMB2_CLOSE, wire.SMB2_FLUSH:
		off = 8
	case wire.SMB2_READ, wire.SMB2_WRITE:
		off = 16
	case wire.SMB2_QUERY_DIRECTORY, wire.SMB2_LOCK, wire.SMB2_IOCTL, wire.SMB2_CHANGE_NOTIFY:
		off = 8
	case wire.SMB2_QUERY_INFO:
		off = 24
	case wire.SMB2_SET_INFO:
		off = 16
	default:
		return wire.FileID{}, false
	}
	d := wire.NewDecoder(msg)
	d.Seek(wire.HeaderSize + off)
	id := d.FileID()
	return id, d.Err() == nil
}

// prepare finds the request's session and tree and checks its signature
// or encryption (MS-SMB2 §3.3.5.2.4, §3.3.5.2.9, §3.3.5.2.11).
func (c *conn) prepare(r *request, tsess *session, relatedFirst bool) wire.Status {
	h := r.h
	if relatedFirst && (h.SessionID == ^uint64(0) || h.TreeID == ^uint32(0)) {
		return wire.STATUS_INVALID_PARAMETER
	}
	if h.SessionID != 0 && h.Command != wire.SMB2_NEGOTIATE {
		sess := c.sessions[h.SessionID]
		if sess == nil {
			if signer := c.gone[h.SessionID]; signer != nil && h.IsSigned() && tsess == nil && signer.Verify(r.msg) == nil {
				r.out.signer = signer
			}
			return wire.STATUS_USER_SESSION_DELETED
		}
		r.sess = sess
		if tsess != nil && tsess != sess {
			return wire.STATUS_ACCESS_DENIED
		}
		if sess.valid {
			if tsess == nil && sess.encrypt && h.Command != wire.SMB2_SESSION_SETUP {
				return wire.STATUS_ACCESS_DENIED
			}
			if h.IsSigned() && tsess == nil {
				if err := sess.signer.Verify(r.msg); err != nil {
					c.logf("bad signature", "session", sess.id, "command", h.Command.String())
					return wire.STATUS_ACCESS_DENIED
				}
			} else if tsess == nil && h.Command != wire.SMB2_SESSION_SETUP {
				if sess.signRequired {
					c.logf("unsigned request refused", "session", sess.id, "command", h.Command.String())
					return wire.STATUS_ACCESS_DENIED
				}
			}
		} else if h.Command != wire.SMB2_SESSION_SETUP {
			return wire.STATUS_USER_SESSION_DELETED
		}
	}
	if needsSession(h.Command) && r.sess == nil {
		return wire.STATUS_USER_SESSION_DELETED
	}
	if needsTree(h.Command) {
		t := r.sess.trees[h.TreeID]
		if t == nil {
			return wire.STATUS_NETWORK_NAME_DELETED
		}
		if t.encrypt && tsess == nil {
			return wire.STATUS_ACCESS_DENIED
		}
		r.tree = t
	}
	return wire.STATUS_SUCCESS
}

// dispatch runs one request by command.
func (c *conn) dispatch(r *request) wire.Status {
	if hook := c.s.testDispatch; hook != nil {
		if st, ok := hook(r); ok {
			return st
		}
	}
	switch r.h.Command {
	case wire.SMB2_NEGOTIATE:
		return c.negotiate(r)
	case wire.SMB2_SESSION_SETUP:
		return c.sessionSetup(r)
	case wire.SMB2_LOGOFF:
		return c.logoff(r)
	case wire.SMB2_TREE_CONNECT:
		return c.treeConnect(r)
	case wire.SMB2_TREE_DISCONNECT:
		return c.treeDisconnect(r)
	case wire.SMB2_ECHO:
		if wire.DecodeEmptyRequest(r.msg) != nil {
			return wire.STATUS_INVALID_PARAMETER
		}
		wire.EncodeEmptyResponse(&c.enc)
		return wire.STATUS_SUCCESS
	case wire.SMB2_CREATE:
		return c.create(r)
	case wire.SMB2_CLOSE:
		return c.closeFile(r)
	case wire.SMB2_FLUSH:
		return c.flush(r)
	case wire.SMB2_READ:
		return c.read(r)
	case wire.SMB2_WRITE:
		return c.write(r)
	case wire.SMB2_QUERY_DIRECTORY:
		return c.queryDirectory(r)
	case wire.SMB2_QUERY_INFO:
		return c.queryInfo(r)
	case wire.SMB2_SET_INFO:
		return c.setInfo(r)
	case wire.SMB2_IOCTL:
		return c.ioctl(r)
	case wire.SMB2_LOCK:
		return c.lock(r)
	case wire.SMB2_OPLOCK_BREAK:
		return c.oplockBreak(r)
	case wire.SMB2_CHANGE_NOTIFY:
		return c.changeNotify(r)
	}
	return wire.STATUS_NOT_SUPPORTED
}

// consume takes the message ids [id, id+n) from the credit window; false
// if any is outside it or already used (MS-SMB2 §3.3.5.2.3).
func (c *conn) consume(id, n uint64) bool {
	if id < c.seqLow || id+n < id || id+n > c.seqHigh {
		return false
	}
	for k := id; k < id+n; k++ {
		if _, dup := c.used[k]; dup {
			return false
		}
	}
	for k := id; k < id+n; k++ {
		c.used[k] = struct{}{}
	}
	for {
		if _, ok := c.used[c.seqLow]; !ok {
			break
		}
		delete(c.used, c.seqLow)
		c.seqLow++
	}
	return true
}

// grant extends the window by what the client asks, as long as the
// window [seqLow, seqHigh) spans at most MaxCredits message ids, and at
// least one when the client would have none (MS-SMB2 §3.3.1.1, §3.3.1.2).
// The span, not the ids still unused, is what is bounded: ids used out of
// order above a skipped one stay in the window (and in c.used) until the
// skipped id is used, as Windows and Samba's smbd bound their "mid
// window" (smbtorture smb2.credits.skipped_mid).
func (c *conn) grant(want uint16) uint16 {
	span := c.seqHigh - c.seqLow
	room := uint64(c.s.MaxCredits) - min(span, uint64(c.s.MaxCredits))
	g := min(uint64(want), room)
	if outstanding := span - uint64(len(c.used)); g == 0 && outstanding == 0 {
		g = 1
	}
	c.seqHigh += g
	return uint16(g)
}

func randRead(b []byte) { rand.Read(b) }

func randUint16() uint16 {
	var b [2]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint16(b[:])
}

// commandName is the name CommandDone reports: MS-SMB2's ("READ"), or
// "other" for an undefined command number.
func commandName(c wire.Command) string {
	if int(c) >= wire.NumCommands {
		return "other"
	}
	return c.String()
}

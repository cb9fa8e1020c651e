package smb

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/smb/internal/fscc"
	"github.com/dittofs/dittofs/smb/internal/ntlm"
	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/spnego"
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// session is an SMB session (MS-SMB2 §3.3.1.8).
type session struct {
	id           uint64
	valid        bool // authenticated
	ctx          *spnego.Context
	preauth      smbcrypto.PreauthHash
	user         User
	signer       *smbcrypto.Signer
	enc          *smbcrypto.Encryptor
	dec          *smbcrypto.Decryptor
	signRequired bool
	encrypt      bool
	trees        map[uint32]*tree
	nextTree     uint32
	opens        map[uint64]*open
	nextOpen     uint64
	pipes        int // opens of named pipes, at most maxPipesPerSession
}

// tree is a tree connect (MS-SMB2 §3.3.1.9): a share and the credential
// its export rule gives the session's user.
type tree struct {
	id       uint32
	ipc      bool
	exp      *export.Export
	cred     store.Cred
	readOnly bool
	encrypt  bool
	caseless bool // names match regardless of case (Server.CaseInsensitiveShares)
}

// maxTreesPerSession bounds the tree connects of one session.
const maxTreesPerSession = 1024

// preferredCiphers and preferredSigning are the server's orders of
// preference: GCM and GMAC are the fastest (docs/smb-crypto.md).
var (
	preferredCiphers = []uint16{wire.SMB2_ENCRYPTION_AES128_GCM, wire.SMB2_ENCRYPTION_AES256_GCM,
		wire.SMB2_ENCRYPTION_AES128_CCM, wire.SMB2_ENCRYPTION_AES256_CCM}
	preferredSigning = []uint16{wire.SMB2_SIGNING_AES_GMAC, wire.SMB2_SIGNING_AES_CMAC, wire.SMB2_SIGNING_HMAC_SHA256}
	serverDialects   = []wire.Dialect{wire.SMB2_DIALECT_311, wire.SMB2_DIALECT_302, wire.SMB2_DIALECT_300,
		wire.SMB2_DIALECT_210, wire.SMB2_DIALECT_202}
)

func firstCommon(pref, offered []uint16) (uint16, bool) {
	for _, p := range pref {
		if slices.Contains(offered, p) {
			return p, true
		}
	}
	return 0, false
}

// smb1Negotiate answers an SMB1 NEGOTIATE offering SMB2 with an SMB2
// NEGOTIATE response (MS-SMB2 §3.3.5.3).
func (c *conn) smb1Negotiate(frame []byte) bool {
	var n wire.SMB1Negotiate
	if err := n.Decode(frame); err != nil {
		c.logf("bad SMB1 negotiate", "err", err)
		return false
	}
	d := n.SMB2Dialect(c.s.MaxDialect > Dialect202)
	if d == 0 || (d == wire.SMB2_DIALECT_202 && c.s.MinDialect > Dialect202) {
		c.logf("SMB1 negotiate without an SMB2 dialect we serve")
		return false
	}
	c.enc.Reset(c.out[:0])
	c.enc.BeginMessage(&wire.Header{Command: wire.SMB2_NEGOTIATE, Credits: 1, Flags: wire.SMB2_FLAGS_SERVER_TO_REDIR})
	c.seqLow, c.seqHigh = 1, 2
	if d == wire.SMB2_DIALECT_202 {
		c.negotiated, c.dialect, c.maxSize = true, d, 64<<10
	}
	c.negotiateResponse(d, nil)
	return c.writeFrame(c.enc.Bytes()) == nil
}

func (c *conn) negotiateResponse(d wire.Dialect, ctxs []wire.NegotiateContext) {
	tok, _ := c.s.spnego.InitialToken()
	c.serverSecMode = wire.SMB2_NEGOTIATE_SIGNING_ENABLED
	if !c.s.AllowUnsigned {
		c.serverSecMode |= wire.SMB2_NEGOTIATE_SIGNING_REQUIRED
	}
	size := c.s.MaxMessageSize
	if d == wire.SMB2_DIALECT_202 || d == wire.SMB2_DIALECT_WILDCARD {
		size = 64 << 10
	}
	resp := wire.NegotiateResponse{
		SecurityMode:    c.serverSecMode,
		DialectRevision: d,
		ServerGUID:      c.s.guid,
		Capabilities:    c.serverCaps,
		MaxTransactSize: uint32(size),
		MaxReadSize:     uint32(size),
		MaxWriteSize:    uint32(size),
		SystemTime:      fscc.Filetime(time.Now()),
		SecurityBuffer:  tok,
		Contexts:        ctxs,
	}
	resp.Encode(&c.enc)
}

// negotiate is SMB2 NEGOTIATE (MS-SMB2 §3.3.5.4).
func (c *conn) negotiate(r *request) wire.Status {
	if c.negotiated {
		c.logf("second NEGOTIATE")
		r.c.drop = true
		return wire.STATUS_INVALID_PARAMETER
	}
	var req wire.NegotiateRequest
	if err := req.Decode(r.msg); err != nil {
		c.logf("bad NEGOTIATE", "err", err)
		return wire.STATUS_INVALID_PARAMETER
	}
	var d wire.Dialect
	for _, sd := range serverDialects {
		if Dialect(sd) >= c.s.MinDialect && Dialect(sd) <= c.s.MaxDialect && req.HasDialect(sd) {
			d = sd
			break
		}
	}
	if d == 0 {
		c.logf("no common dialect", "offered", req.Dialects)
		return wire.STATUS_NOT_SUPPORTED
	}
	var ctxs []wire.NegotiateContext
	c.cipher = smbcrypto.CipherNone
	c.signAlg = smbcrypto.DefaultSigningAlgorithm(smbcrypto.Dialect(d))
	c.serverCaps = 0
	if d != wire.SMB2_DIALECT_202 {
		// LEASING: file leases (lease.go); no directory leases.
		c.serverCaps |= wire.SMB2_GLOBAL_CAP_LARGE_MTU | wire.SMB2_GLOBAL_CAP_LEASING
	}
	switch d {
	case wire.SMB2_DIALECT_300, wire.SMB2_DIALECT_302:
		if req.Capabilities&wire.SMB2_GLOBAL_CAP_ENCRYPTION != 0 {
			c.serverCaps |= wire.SMB2_GLOBAL_CAP_ENCRYPTION
			c.cipher = smbcrypto.CipherAES128CCM
		}
	case wire.SMB2_DIALECT_311:
		if req.Preauth == nil || !slices.Contains(req.Preauth.HashAlgorithms, wire.SMB2_PREAUTH_INTEGRITY_SHA512) {
			return wire.STATUS_INVALID_PARAMETER
		}
		c.preauth.Update(r.msg)
		r.out.preauth = &c.preauth
		salt := make([]byte, 32)
		randRead(salt)
		ctxs = append(ctxs, (&wire.PreauthIntegrityCapabilities{
			HashAlgorithms: []uint16{wire.SMB2_PREAUTH_INTEGRITY_SHA512}, Salt: salt}).Context())
		if req.Encryption != nil {
			ci, _ := firstCommon(preferredCiphers, req.Encryption.Ciphers)
			c.cipher = smbcrypto.Cipher(ci)
			ctxs = append(ctxs, (&wire.EncryptionCapabilities{Ciphers: []uint16{ci}}).Context())
		}
		if req.Signing != nil {
			if a, ok := firstCommon(preferredSigning, req.Signing.Algorithms); ok {
				c.signAlg = smbcrypto.SigningAlgorithm(a)
				ctxs = append(ctxs, (&wire.SigningCapabilities{Algorithms: []uint16{a}}).Context())
			}
		}
	}
	c.negotiated, c.dialect = true, d
	c.clientGUID, c.clientCaps, c.clientSecMode = req.ClientGUID, req.Capabilities, req.SecurityMode
	c.clientDialects = slices.Clone(req.Dialects)
	c.maxSize = c.s.MaxMessageSize
	if d == wire.SMB2_DIALECT_202 {
		c.maxSize = 64 << 10
	}
	c.negotiateResponse(d, ctxs)
	return wire.STATUS_SUCCESS
}

// authStatus maps a SPNEGO or NTLM failure to its status (as Samba).
func authStatus(err error) wire.Status {
	if errors.Is(err, spnego.ErrMalformed) || errors.Is(err, spnego.ErrTooLarge) ||
		errors.Is(err, ntlm.ErrMalformed) || errors.Is(err, ntlm.ErrTooLarge) {
		return wire.STATUS_INVALID_PARAMETER
	}
	return wire.STATUS_LOGON_FAILURE
}

// sessionSetup is SMB2 SESSION_SETUP (MS-SMB2 §3.3.5.5).
func (c *conn) sessionSetup(r *request) wire.Status {
	var req wire.SessionSetupRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if req.Flags&wire.SMB2_SESSION_FLAG_BINDING != 0 {
		return wire.STATUS_REQUEST_NOT_ACCEPTED // no multichannel
	}
	sess := r.sess
	if r.h.SessionID == 0 {
		if len(c.sessions) >= c.s.MaxSessionsPerConn {
			c.logf("session refused: MaxSessionsPerConn reached", "max", c.s.MaxSessionsPerConn)
			return wire.STATUS_INSUFFICIENT_RESOURCES
		}
		c.nextSession++
		sess = &session{
			id:      c.nextSession<<16 | uint64(randUint16()),
			preauth: c.preauth,
			trees:   map[uint32]*tree{},
			opens:   map[uint64]*open{},
		}
		c.sessions[sess.id] = sess
		r.sess = sess
		r.rh.SessionID = sess.id
	} else if sess.valid && sess.ctx == nil {
		sess.preauth = c.preauth // reauthentication
	}
	if sess.ctx == nil {
		sess.ctx = c.s.spnego.NewContext()
	}
	if c.dialect == wire.SMB2_DIALECT_311 {
		sess.preauth.Update(r.msg)
	}
	fail := func(st wire.Status) wire.Status {
		sess.ctx = nil
		if !sess.valid {
			delete(c.sessions, sess.id)
		} else {
			// MS-SMB2 §3.3.5.5.3: a failed authentication removes the
			// session, a reauthenticated one too: its opens close
			// (smbtorture smb2.notify.invalid-reauth); the answer is
			// still signed with its key, as the client expects
			if !r.crypt {
				r.out.signer = sess.signer
			}
			c.dropSession(sess)
		}
		return st
	}
	out, done, err := sess.ctx.Accept(req.SecurityBuffer)
	if err != nil {
		c.s.logs.Info(c.s.log, "smb: logon failed", "remote", c.remote.String(), "err", err)
		return fail(authStatus(err))
	}
	if !done {
		if c.dialect == wire.SMB2_DIALECT_311 {
			r.out.preauth = &sess.preauth
		}
		(&wire.SessionSetupResponse{SecurityBuffer: out}).Encode(&c.enc)
		return wire.STATUS_MORE_PROCESSING_REQUIRED
	}
	mech, _ := sess.ctx.Mech().(*ntlm.Acceptor)
	var res *ntlm.Result
	if mech != nil {
		res = mech.Result()
	}
	if res == nil || res.Anonymous {
		c.s.logs.Info(c.s.log, "smb: anonymous logon refused", "remote", c.remote.String())
		return fail(wire.STATUS_LOGON_FAILURE)
	}
	var u User
	ok := false
	if c.s.Users != nil {
		u, ok = c.s.Users.LookupUser(res.User)
	}
	if !ok || (sess.valid && !strings.EqualFold(u.Name, sess.user.Name)) {
		return fail(wire.STATUS_LOGON_FAILURE)
	}
	if sess.valid {
		// Reauthentication keeps the session's keys (MS-SMB2 §3.3.5.5.3
		// derives them only for a new session).
		sess.ctx = nil
		if !r.crypt {
			r.out.signer = sess.signer
		}
		var flags uint16
		if sess.encrypt {
			flags |= wire.SMB2_SESSION_FLAG_ENCRYPT_DATA
		}
		(&wire.SessionSetupResponse{SessionFlags: flags, SecurityBuffer: out}).Encode(&c.enc)
		return wire.STATUS_SUCCESS
	}
	cipher := smbcrypto.CipherNone
	if smbcrypto.Dialect(c.dialect).Is3x() {
		cipher = c.cipher
	}
	keys, err := smbcrypto.DeriveKeys(smbcrypto.Dialect(c.dialect), mech.SessionKey(), &sess.preauth, cipher)
	if err != nil {
		c.logf("key derivation failed", "err", err)
		return fail(wire.STATUS_INTERNAL_ERROR)
	}
	signer, err := smbcrypto.NewSigner(c.signAlg, keys.SigningKey)
	if err != nil {
		return fail(wire.STATUS_INTERNAL_ERROR)
	}
	if c.s.EncryptData && cipher == smbcrypto.CipherNone {
		c.s.logs.Info(c.s.log, "smb: session refused: encryption required and the client cannot encrypt", "remote", c.remote.String())
		return fail(wire.STATUS_ACCESS_DENIED)
	}
	if cipher != smbcrypto.CipherNone {
		if sess.enc, err = smbcrypto.NewEncryptor(cipher, keys.EncryptionKey, sess.id); err != nil {
			return fail(wire.STATUS_INTERNAL_ERROR)
		}
		if sess.dec, err = smbcrypto.NewDecryptor(cipher, keys.DecryptionKey, sess.id); err != nil {
			return fail(wire.STATUS_INTERNAL_ERROR)
		}
	}
	sess.ctx = nil
	sess.valid, sess.user, sess.signer = true, u, signer
	// MS-SMB2 §3.3.5.5.3: a new session naming the PreviousSessionId of
	// a session of the same user ends that one (a client reconnecting;
	// its opens close and its CHANGE_NOTIFYs end with NOTIFY_CLEANUP:
	// smbtorture smb2.notify.session-reconnect). Only sessions of this
	// connection are looked up.
	if prev := c.sessions[req.PreviousSessionID]; prev != nil && prev != sess && prev.valid && strings.EqualFold(prev.user.Name, u.Name) {
		c.dropSession(prev)
	}
	sess.encrypt = c.s.EncryptData
	sess.signRequired = !c.s.AllowUnsigned || req.SecurityMode&wire.SMB2_NEGOTIATE_SIGNING_REQUIRED != 0
	var flags uint16
	if sess.encrypt {
		flags |= wire.SMB2_SESSION_FLAG_ENCRYPT_DATA
	}
	(&wire.SessionSetupResponse{SessionFlags: flags, SecurityBuffer: out}).Encode(&c.enc)
	if !r.crypt {
		r.out.signer = signer // MS-SMB2 §3.3.5.5.3: the final response is signed
	}
	return wire.STATUS_SUCCESS
}

// endSession closes every open of a session (delete-on-close included),
// in the order they were opened, and cancels its pending requests.
func (c *conn) endSession(sess *session) {
	for _, o := range sess.sortedOpens(nil) {
		c.closeOpen(sess, o)
	}
	c.cancelPending(cancelClosed, func(ar *asyncReq) bool { return ar.sess == sess })
	sess.trees = map[uint32]*tree{}
	sess.valid = false
}

// sortedOpens returns the session's opens (of tree t, or all for nil) in
// the order they were opened: closing them in that order makes the
// outcome of blocked locks between them deterministic (a lock waiting on
// an earlier open is granted before its own open closes, as Windows does
// on TREE_DISCONNECT and LOGOFF: smbtorture smb2.lock.cancel-tdis,
// cancel-logoff).
func (sess *session) sortedOpens(t *tree) []*open {
	out := make([]*open, 0, len(sess.opens))
	for _, o := range sess.opens {
		if t == nil || o.tree == t {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *open) int { return cmp.Compare(a.id, b.id) })
	return out
}

// logoff is SMB2 LOGOFF (MS-SMB2 §3.3.5.6).
func (c *conn) logoff(r *request) wire.Status {
	if wire.DecodeEmptyRequest(r.msg) != nil {
		return wire.STATUS_INVALID_PARAMETER
	}
	if !r.crypt && (r.sess.signRequired || r.h.IsSigned()) {
		r.out.signer = r.sess.signer
	}
	c.dropSession(r.sess)
	wire.EncodeEmptyResponse(&c.enc)
	return wire.STATUS_SUCCESS
}

// dropSession ends a session and forgets it, keeping its signer so that
// requests naming it are answered signed (LOGOFF, a reconnect).
func (c *conn) dropSession(sess *session) {
	c.endSession(sess)
	delete(c.sessions, sess.id)
	if len(c.gone) >= c.s.MaxSessionsPerConn {
		for id := range c.gone {
			delete(c.gone, id)
			break
		}
	}
	c.gone[sess.id] = sess.signer
}

// shareName is the share of a TREE_CONNECT path "\\server\share".
func shareName(path string) string {
	p := strings.TrimPrefix(path, `\\`)
	i := strings.IndexByte(p, '\\')
	if i < 0 {
		return ""
	}
	return p[i+1:]
}

// findExport returns the export served as share name.
func (s *Server) findExport(name string) *export.Export {
	if s.Exports == nil || name == "" {
		return nil
	}
	for _, e := range s.Exports.All() {
		if strings.EqualFold(strings.TrimPrefix(e.Name, "/"), name) {
			return e
		}
	}
	return nil
}

// Maximal access of a read-write and a read-only share: every right, or
// read, execute, read attributes, read EAs, read control and synchronize.
const (
	accessAll      = wire.FILE_ALL_ACCESS
	accessReadOnly = wire.FILE_READ_DATA | wire.FILE_READ_EA | wire.FILE_EXECUTE | wire.FILE_READ_ATTRIBUTES |
		wire.READ_CONTROL | wire.SYNCHRONIZE
)

// treeConnect is SMB2 TREE_CONNECT (MS-SMB2 §3.3.5.7).
func (c *conn) treeConnect(r *request) wire.Status {
	var req wire.TreeConnectRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if req.Extension {
		return wire.STATUS_NOT_SUPPORTED // no remoted identity
	}
	path, err := wire.DecodeUTF16(req.Path)
	if err != nil {
		return wire.STATUS_INVALID_PARAMETER
	}
	sess := r.sess
	if len(sess.trees) >= maxTreesPerSession {
		return wire.STATUS_INSUFFICIENT_RESOURCES
	}
	name := shareName(path)
	t := &tree{}
	resp := wire.TreeConnectResponse{ShareType: wire.SMB2_SHARE_TYPE_DISK, MaximalAccess: accessAll}
	if strings.EqualFold(name, "IPC$") {
		t.ipc = true
		resp.ShareType = wire.SMB2_SHARE_TYPE_PIPE
		resp.MaximalAccess = accessReadOnly
	} else {
		e := c.s.findExport(name)
		if e == nil {
			return wire.STATUS_BAD_NETWORK_NAME
		}
		rule := e.Rule(c.remote.Addr())
		if rule == nil {
			c.s.logs.Info(c.s.log, "smb: tree connect refused", export.RefusalAttrs(e, c.remote, nil, export.ErrClientDenied)...)
			return wire.STATUS_ACCESS_DENIED
		}
		u := sess.user
		t.exp = e
		t.cred = rule.Squash(export.SecSys, export.Identity{UID: u.UID, GID: u.GID, Groups: u.Groups})
		t.readOnly = rule.ReadOnly
		t.encrypt = c.s.EncryptData || c.s.shareEncrypted(name)
		t.caseless = c.s.shareCaseless(name)
		if t.encrypt {
			if sess.enc == nil {
				return wire.STATUS_ACCESS_DENIED
			}
			resp.ShareFlags |= wire.SMB2_SHAREFLAG_ENCRYPT_DATA
		}
		if t.readOnly {
			resp.MaximalAccess = accessReadOnly
		}
	}
	sess.nextTree++
	t.id = sess.nextTree
	sess.trees[t.id] = t
	r.rh.TreeID = t.id
	resp.Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// treeDisconnect is SMB2 TREE_DISCONNECT (MS-SMB2 §3.3.5.8).
func (c *conn) treeDisconnect(r *request) wire.Status {
	if wire.DecodeEmptyRequest(r.msg) != nil {
		return wire.STATUS_INVALID_PARAMETER
	}
	for _, o := range r.sess.sortedOpens(r.tree) {
		c.closeOpen(r.sess, o)
	}
	c.cancelPending(cancelClosed, func(ar *asyncReq) bool { return ar.tree == r.tree })
	delete(r.sess.trees, r.tree.id)
	wire.EncodeEmptyResponse(&c.enc)
	return wire.STATUS_SUCCESS
}

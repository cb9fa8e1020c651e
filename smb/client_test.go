package smb

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/ntlm/ntlmtest"
	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/spnego"
	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// client is a minimal SMB2 client for the tests: requests are laid out
// from the MS-SMB2 tables with wiretest.Lay (not with the server's
// codec), signed with smbcrypto when the session signs.
type client struct {
	t         testing.TB
	nc        net.Conn
	fr        wire.FrameReader
	msgID     uint64
	sessionID uint64
	treeID    uint32
	dialect   wire.Dialect
	cipher    smbcrypto.Cipher
	signAlg   smbcrypto.SigningAlgorithm
	preauth   smbcrypto.PreauthHash
	signer    *smbcrypto.Signer
	enc       *smbcrypto.Encryptor
	dec       *smbcrypto.Decryptor
	encrypt   bool // send encrypted
	noSign    bool // do not sign requests
	creditReq uint16
	sealed    bool // the last frame received was encrypted
	// prevSession is the PreviousSessionId of the next login's
	// SESSION_SETUP requests (MS-SMB2 §2.2.5).
	prevSession uint64
}

func (ts *testServer) dial() *client {
	ts.t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { nc.Close() })
	return &client{t: ts.t, nc: nc, fr: wire.FrameReader{R: nc}, creditReq: 64}
}

// reply is a decoded response.
type reply struct {
	h    wire.Header
	raw  []byte // the whole message
	body []byte
}

func (r reply) status() wire.Status { return r.h.Status }

// frame builds one request message: header and body.
func (c *client) message(cmd wire.Command, body []byte, charge uint16) []byte {
	h := wire.Header{
		CreditCharge: charge, Command: cmd, Credits: c.creditReq, MessageID: c.msgID,
		TreeID: c.treeID, SessionID: c.sessionID,
	}
	c.msgID += uint64(max(charge, 1))
	msg := h.Append(nil)
	return append(msg, body...)
}

// sendRaw signs (when the session does) and sends one frame of messages.
func (c *client) sendFrame(msgs ...[]byte) {
	c.t.Helper()
	var frame []byte
	for i, m := range msgs {
		if i < len(msgs)-1 {
			for len(m)%8 != 0 {
				m = append(m, 0)
			}
			binary.LittleEndian.PutUint32(m[20:], uint32(len(m)))
		}
		if c.signer != nil && !c.noSign && !c.encrypt {
			if err := c.signer.Sign(m); err != nil {
				c.t.Fatal(err)
			}
		}
		frame = append(frame, m...)
	}
	if c.encrypt {
		var err error
		if frame, err = c.enc.Encrypt(nil, frame); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := wire.WriteFrame(c.nc, frame); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one frame and splits it into replies, checking the
// signature of signed ones.
func (c *client) recv() ([]reply, error) {
	frame, err := c.fr.Next(nil)
	if err != nil {
		return nil, err
	}
	c.sealed = frame[0] == 0xFD
	if c.sealed {
		if frame, err = c.dec.Decrypt(nil, frame); err != nil {
			return nil, err
		}
	}
	msgs, err := wire.Split(frame, nil)
	if err != nil {
		return nil, err
	}
	var out []reply
	for _, m := range msgs {
		if m.Header.IsSigned() {
			if c.signer == nil {
				return nil, errors.New("signed reply without a session key")
			}
			if err := c.signer.Verify(m.Raw); err != nil {
				return nil, err
			}
		}
		out = append(out, reply{h: m.Header, raw: m.Raw, body: m.Body()})
	}
	return out, nil
}

// call sends one request and returns its reply.
func (c *client) call(cmd wire.Command, body []byte) reply {
	c.t.Helper()
	return c.callCharge(cmd, body, 1)
}

func (c *client) callCharge(cmd wire.Command, body []byte, charge uint16) reply {
	c.t.Helper()
	c.sendFrame(c.message(cmd, body, charge))
	rs, err := c.recv()
	if err != nil {
		c.t.Fatalf("%v: %v", cmd, err)
	}
	if len(rs) != 1 {
		c.t.Fatalf("%v: %d replies", cmd, len(rs))
	}
	return rs[0]
}

// closed reports whether the server closed the connection.
func (c *client) closed() bool {
	_, err := c.fr.Next(nil)
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// negotiateBody is a NEGOTIATE request (MS-SMB2 §2.2.3) offering
// dialects, with 3.1.1 contexts (§2.2.3.1) for ciphers and signing.
func negotiateBody(secMode uint16, caps uint32, dialects []wire.Dialect, ciphers, signing []uint16) []byte {
	has311 := false
	for _, d := range dialects {
		has311 = has311 || d == wire.SMB2_DIALECT_311
	}
	var ds []any
	for _, d := range dialects {
		ds = append(ds, uint16(d))
	}
	end := 64 + 36 + 2*len(dialects)
	pad := -end & 7
	var ctxs []byte
	count := 0
	if has311 {
		addCtx := func(typ uint16, data []byte) {
			for len(ctxs)%8 != 0 {
				ctxs = append(ctxs, 0)
			}
			ctxs = append(ctxs, Lay(typ, uint16(len(data)), uint32(0), data)...)
			count++
		}
		addCtx(wire.SMB2_PREAUTH_INTEGRITY_CAPABILITIES, Lay(uint16(1), uint16(32), uint16(wire.SMB2_PREAUTH_INTEGRITY_SHA512), make([]byte, 32)))
		if ciphers != nil {
			d := Lay(uint16(len(ciphers)))
			for _, x := range ciphers {
				d = append(d, Lay(x)...)
			}
			addCtx(wire.SMB2_ENCRYPTION_CAPABILITIES, d)
		}
		if signing != nil {
			d := Lay(uint16(len(signing)))
			for _, x := range signing {
				d = append(d, Lay(x)...)
			}
			addCtx(wire.SMB2_SIGNING_CAPABILITIES, d)
		}
	}
	ctxOff := uint32(0)
	if count > 0 {
		ctxOff = uint32(end + pad)
	}
	b := Lay(uint16(36), uint16(len(dialects)), secMode, uint16(0), caps, make([]byte, 16), ctxOff, uint16(count), uint16(0))
	b = append(b, Lay(ds...)...)
	if count > 0 {
		b = append(b, make([]byte, pad)...)
		b = append(b, ctxs...)
	}
	return b
}

// negotiate runs NEGOTIATE and keeps what the session needs.
func (c *client) negotiate(dialects ...wire.Dialect) reply {
	c.t.Helper()
	msg := c.message(wire.SMB2_NEGOTIATE, negotiateBody(wire.SMB2_NEGOTIATE_SIGNING_ENABLED, wire.SMB2_GLOBAL_CAP_ENCRYPTION, dialects,
		[]uint16{wire.SMB2_ENCRYPTION_AES128_CCM, wire.SMB2_ENCRYPTION_AES128_GCM},
		[]uint16{wire.SMB2_SIGNING_AES_CMAC, wire.SMB2_SIGNING_AES_GMAC}), 0)
	c.sendFrame(msg)
	rs, err := c.recv()
	if err != nil {
		c.t.Fatalf("NEGOTIATE: %v", err)
	}
	r := rs[0]
	if r.status() != wire.STATUS_SUCCESS {
		return r
	}
	c.dialect = wire.Dialect(binary.LittleEndian.Uint16(r.body[4:]))
	c.signAlg = smbcrypto.DefaultSigningAlgorithm(smbcrypto.Dialect(c.dialect))
	switch c.dialect {
	case wire.SMB2_DIALECT_300, wire.SMB2_DIALECT_302:
		c.cipher = smbcrypto.CipherAES128CCM
	case wire.SMB2_DIALECT_311:
		c.preauth.Update(msg)
		c.preauth.Update(r.raw)
		c.cipher, c.signAlg = negotiatedAlgs(r)
	}
	return r
}

// negotiatedAlgs reads the cipher and signing algorithm chosen in a 3.1.1
// NEGOTIATE response's contexts (MS-SMB2 §2.2.4).
func negotiatedAlgs(r reply) (smbcrypto.Cipher, smbcrypto.SigningAlgorithm) {
	off := int(binary.LittleEndian.Uint32(r.raw[64+60:]))
	n := int(binary.LittleEndian.Uint16(r.raw[64+6:]))
	cipher, alg := smbcrypto.CipherNone, smbcrypto.SigningAESCMAC
	for range n {
		off += -off & 7
		typ := binary.LittleEndian.Uint16(r.raw[off:])
		l := int(binary.LittleEndian.Uint16(r.raw[off+2:]))
		data := r.raw[off+8 : off+8+l]
		switch typ {
		case wire.SMB2_ENCRYPTION_CAPABILITIES:
			cipher = smbcrypto.Cipher(binary.LittleEndian.Uint16(data[2:]))
		case wire.SMB2_SIGNING_CAPABILITIES:
			alg = smbcrypto.SigningAlgorithm(binary.LittleEndian.Uint16(data[2:]))
		}
		off += 8 + l
	}
	return cipher, alg
}

func sessionSetupBody(secMode uint8, token []byte) []byte {
	return append(Lay(uint16(25), uint8(0), secMode, uint32(0), uint32(0), uint16(88), uint16(len(token)), uint64(0)), token...)
}

// securityBuffer is the token of a SESSION_SETUP response (§2.2.6).
func securityBuffer(r reply) []byte {
	off := int(binary.LittleEndian.Uint16(r.body[4:]))
	n := int(binary.LittleEndian.Uint16(r.body[6:]))
	return r.raw[off : off+n]
}

// login runs SESSION_SETUP with SPNEGO and NTLMv2 (MS-SMB2 §3.2.5.3) and
// returns the final status.
func (c *client) login(user, password string) wire.Status {
	c.t.Helper()
	nc := &ntlmtest.Client{User: user, Password: password, Domain: "WORKGROUP"}
	mechs := []asn1.ObjectIdentifier{spnego.OIDNTLMSSP}
	init, err := (&spnego.NegTokenInit{MechTypes: mechs, MechToken: nc.Negotiate()}).Marshal()
	if err != nil {
		c.t.Fatal(err)
	}
	sessPreauth := c.preauth
	body := func(tok []byte) []byte {
		b := sessionSetupBody(wire.SMB2_NEGOTIATE_SIGNING_ENABLED, tok)
		binary.LittleEndian.PutUint64(b[16:], c.prevSession)
		return b
	}
	msg := c.message(wire.SMB2_SESSION_SETUP, body(init), 1)
	sessPreauth.Update(msg)
	c.sendFrame(msg)
	rs, err := c.recv()
	if err != nil {
		c.t.Fatal(err)
	}
	r := rs[0]
	if r.status() != wire.STATUS_MORE_PROCESSING_REQUIRED {
		return r.status()
	}
	sessPreauth.Update(r.raw)
	c.sessionID = r.h.SessionID
	resp, err := spnego.ParseNegTokenResp(securityBuffer(r))
	if err != nil {
		c.t.Fatal(err)
	}
	auth, err := nc.Authenticate(resp.ResponseToken)
	if err != nil {
		c.t.Fatal(err)
	}
	send, _, err := nc.Sealers()
	if err != nil {
		c.t.Fatal(err)
	}
	der, _ := spnego.MechTypesDER(mechs)
	tok, err := (&spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth, MechListMIC: send.Sign(der)}).Marshal()
	if err != nil {
		c.t.Fatal(err)
	}
	msg = c.message(wire.SMB2_SESSION_SETUP, body(tok), 1)
	sessPreauth.Update(msg)
	keys, err := smbcrypto.DeriveKeys(smbcrypto.Dialect(c.dialect), nc.SessionKey[:], &sessPreauth, c.cipherFor())
	if err != nil {
		c.t.Fatal(err)
	}
	// A new session's final request goes unsigned (the hash above covers
	// it as sent); a reauthentication's is signed with the session's
	// keys, which stay.
	old := c.signer
	c.sendFrame(msg)
	if c.signer, err = smbcrypto.NewSigner(c.signAlg, keys.SigningKey); err != nil {
		c.t.Fatal(err)
	}
	if old != nil {
		c.signer = old
		keys.EncryptionKey = nil
	}
	if keys.EncryptionKey != nil {
		// The client encrypts with the server's decryption key.
		c.enc, _ = smbcrypto.NewEncryptor(c.cipher, keys.DecryptionKey, c.sessionID)
		c.dec, _ = smbcrypto.NewDecryptor(c.cipher, keys.EncryptionKey, c.sessionID)
	}
	rs, err = c.recv()
	if err != nil {
		c.t.Fatal(err)
	}
	if rs[0].status() != wire.STATUS_SUCCESS {
		c.signer = nil
	}
	return rs[0].status()
}

func (c *client) cipherFor() smbcrypto.Cipher {
	if smbcrypto.Dialect(c.dialect).Is3x() {
		return c.cipher
	}
	return smbcrypto.CipherNone
}

func treeConnectBody(path string) []byte {
	p := UTF16LE(path)
	return append(Lay(uint16(9), uint16(0), uint16(72), uint16(len(p))), p...)
}

func (c *client) treeConnect(share string) wire.Status {
	c.t.Helper()
	r := c.call(wire.SMB2_TREE_CONNECT, treeConnectBody(`\\127.0.0.1\`+share))
	if r.status() == wire.STATUS_SUCCESS {
		c.treeID = r.h.TreeID
	}
	return r.status()
}

// connect negotiates dialect, logs on as the test user and connects the
// export share.
func (ts *testServer) connect(d wire.Dialect) *client {
	ts.t.Helper()
	c := ts.dial()
	if r := c.negotiate(d); r.status() != wire.STATUS_SUCCESS {
		ts.t.Fatalf("NEGOTIATE: %v", r.status())
	}
	if st := c.login(testUser, testPassword); st != wire.STATUS_SUCCESS {
		ts.t.Fatalf("SESSION_SETUP: %v", st)
	}
	if st := c.treeConnect("export"); st != wire.STATUS_SUCCESS {
		ts.t.Fatalf("TREE_CONNECT: %v", st)
	}
	return c
}

// createBody is a CREATE request (MS-SMB2 §2.2.13).
func createBody(name string, access, disp, opts uint32) []byte {
	n := UTF16LE(name)
	b := Lay(uint16(57), uint8(0), uint8(0), uint32(wire.SMB2_IMPERSONATION_IMPERSONATION), uint64(0), uint64(0),
		access, uint32(0), uint32(wire.FILE_SHARE_READ|wire.FILE_SHARE_WRITE|wire.FILE_SHARE_DELETE), disp, opts,
		uint16(120), uint16(len(n)), uint32(0), uint32(0))
	if len(n) == 0 {
		n = []byte{0}
	}
	return append(b, n...)
}

func (c *client) create(name string, access, disp, opts uint32) (wire.FileID, wire.Status) {
	c.t.Helper()
	r := c.call(wire.SMB2_CREATE, createBody(name, access, disp, opts))
	if r.status() != wire.STATUS_SUCCESS {
		return wire.FileID{}, r.status()
	}
	return wire.FileID{Persistent: binary.LittleEndian.Uint64(r.body[64:]), Volatile: binary.LittleEndian.Uint64(r.body[72:])}, r.status()
}

func fid(f wire.FileID) []byte { return Lay(f.Persistent, f.Volatile) }

func closeBody(f wire.FileID) []byte { return append(Lay(uint16(24), uint16(0), uint32(0)), fid(f)...) }

func (c *client) close(f wire.FileID) wire.Status {
	c.t.Helper()
	return c.call(wire.SMB2_CLOSE, closeBody(f)).status()
}

func writeBody(f wire.FileID, off uint64, data []byte) []byte {
	b := Lay(uint16(49), uint16(112), uint32(len(data)), off, fid(f), uint32(0), uint32(0), uint16(0), uint16(0), uint32(0))
	return append(b, data...)
}

func (c *client) write(f wire.FileID, off uint64, data []byte) wire.Status {
	c.t.Helper()
	return c.callCharge(wire.SMB2_WRITE, writeBody(f, off, data), charge(len(data))).status()
}

func charge(n int) uint16 { return uint16(max(1, (n+65535)/65536)) }

func readBody(f wire.FileID, off uint64, n uint32) []byte {
	return Lay(uint16(49), uint8(0), uint8(0), n, off, fid(f), uint32(0), uint32(0), uint32(0), uint16(0), uint16(0), uint8(0))
}

func (c *client) read(f wire.FileID, off uint64, n uint32) ([]byte, wire.Status) {
	c.t.Helper()
	r := c.callCharge(wire.SMB2_READ, readBody(f, off, n), charge(int(n)))
	if r.status() != wire.STATUS_SUCCESS {
		return nil, r.status()
	}
	doff := int(r.body[2])
	l := int(binary.LittleEndian.Uint32(r.body[4:]))
	return r.raw[doff : doff+l], r.status()
}

func queryDirBody(f wire.FileID, class, flags uint8, pattern string, outLen uint32) []byte {
	p := UTF16LE(pattern)
	return append(Lay(uint16(33), class, flags, uint32(0), fid(f), uint16(96), uint16(len(p)), outLen), p...)
}

// output is the buffer of a QUERY_DIRECTORY or QUERY_INFO response.
func output(r reply) []byte {
	off := int(binary.LittleEndian.Uint16(r.body[2:]))
	n := int(binary.LittleEndian.Uint32(r.body[4:]))
	return r.raw[off : off+n]
}

// dirNames lists the names of FileIdBothDirectoryInformation entries
// (MS-FSCC §2.4.17).
func dirNames(t testing.TB, b []byte) []string {
	var names []string
	for len(b) > 0 {
		next := int(binary.LittleEndian.Uint32(b))
		nl := int(binary.LittleEndian.Uint32(b[60:]))
		name, err := wire.DecodeUTF16(b[104 : 104+nl])
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		if next == 0 {
			break
		}
		b = b[next:]
	}
	return names
}

func (c *client) list(dir wire.FileID, pattern string) ([]string, wire.Status) {
	c.t.Helper()
	var names []string
	flags := uint8(wire.SMB2_RESTART_SCANS)
	for {
		r := c.call(wire.SMB2_QUERY_DIRECTORY, queryDirBody(dir, wire.FileIdBothDirectoryInformation, flags, pattern, 65536))
		if r.status() == wire.STATUS_NO_MORE_FILES {
			return names, wire.STATUS_SUCCESS
		}
		if r.status() != wire.STATUS_SUCCESS {
			return names, r.status()
		}
		names = append(names, dirNames(c.t, output(r))...)
		flags = 0
	}
}

func setInfoBody(f wire.FileID, class uint8, buf []byte) []byte {
	return append(Lay(uint16(33), uint8(wire.SMB2_0_INFO_FILE), class, uint32(len(buf)), uint16(96), uint16(0), uint32(0), fid(f)), buf...)
}

func queryInfoBody(f wire.FileID, typ, class uint8, outLen uint32) []byte {
	return Lay(uint16(41), typ, class, outLen, uint16(0), uint16(0), uint32(0), uint32(0), uint32(0), fid(f), uint8(0))
}

func renameBuf(target string, replace bool) []byte {
	n := UTF16LE(target)
	r := uint8(0)
	if replace {
		r = 1
	}
	return append(Lay(r, make([]byte, 7), uint64(0), uint32(len(n))), n...)
}

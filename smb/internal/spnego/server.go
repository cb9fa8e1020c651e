package spnego

import (
	"bytes"
	"encoding/asn1"
	"fmt"
)

// Acceptor is the acceptor side of one security mechanism for one
// authentication: NTLMSSP (ntlm.Acceptor) now, Kerberos through gss later.
type Acceptor interface {
	// Accept consumes the initiator's next token and returns the token to
	// send back (nil for none) and whether the context is established.
	// An error ends the exchange.
	Accept(in []byte) (out []byte, done bool, err error)
	// Integrity reports whether the established context can make and
	// check MICs (an anonymous NTLM logon cannot).
	Integrity() bool
	// MICRequired reports whether the mechanism demands the mechListMIC
	// exchange whatever the order of mechTypes (NTLM with a MIC in its
	// AUTHENTICATE_MESSAGE, MS-SPNG 3.3.5.1).
	MICRequired() bool
	// VerifyMIC checks the initiator's GSS_GetMIC of msg; MIC makes the
	// acceptor's. Both are called at most once, after done.
	VerifyMIC(msg, mic []byte) error
	MIC(msg []byte) ([]byte, error)
}

// Mech is one mechanism the server offers, under one OID. Kerberos is
// offered under both OIDKerberos5 and OIDMSKerberos5 with the same New.
type Mech struct {
	OID asn1.ObjectIdentifier
	New func() Acceptor
}

// DefaultMaxTokenSize bounds an input token: an SMB2 SESSION_SETUP
// security buffer has a 16-bit length.
const DefaultMaxTokenSize = 65535

// Server is the SPNEGO acceptor configuration: the mechanisms offered, in
// the server's order of preference.
type Server struct {
	Mechs        []Mech
	MaxTokenSize int // 0 means DefaultMaxTokenSize
}

// InitialToken is the NegTokenInit2 listing s.Mechs, for the security
// buffer of the SMB2 NEGOTIATE response (MS-SPNG 3.2.5.2, MS-SMB2 3.3.5.4).
func (s *Server) InitialToken() ([]byte, error) {
	oids := make([]asn1.ObjectIdentifier, len(s.Mechs))
	for i, m := range s.Mechs {
		oids[i] = m.OID
	}
	return InitToken2(oids)
}

func (s *Server) mech(oid asn1.ObjectIdentifier) (Mech, bool) {
	for _, m := range s.Mechs {
		if m.OID.Equal(oid) {
			return m, true
		}
	}
	return Mech{}, false
}

// NewContext starts the acceptor side of one authentication.
func (s *Server) NewContext() *Context { return &Context{srv: s} }

type ctxState int

const (
	ctxStart  ctxState = iota
	ctxMech            // the mechanism expects its next token
	ctxMIC             // waiting for the client's mechListMIC only
	ctxDone            // established
	ctxFailed          // refused; no token is accepted any more
)

// Context is one SPNEGO exchange on the acceptor side. The first token
// may be a GSS-API framed NegTokenInit (RFC 4178), a raw NTLMSSP message
// (smbclient can send one; Samba accepts it too) or a
// GSS-API token of an offered mechanism without SPNEGO. Not safe for
// concurrent use.
type Context struct {
	srv   *Server
	state ctxState
	raw   bool

	mech      Acceptor
	oid       asn1.ObjectIdentifier
	mechTypes []byte // DER MechTypeList of the client's NegTokenInit
	// downgraded: the mechanism chosen is not the client's first, so the
	// mechListMIC must protect the choice (RFC 4178 5).
	downgraded bool
}

// Accept consumes the client's next security token. It returns the token
// to send back (possibly nil) and done once the context is established;
// the caller then takes the identity from Mech. Any error ends the
// exchange; every later call returns ErrState.
func (c *Context) Accept(in []byte) (out []byte, done bool, err error) {
	if c.state == ctxDone || c.state == ctxFailed {
		return nil, false, errorf(CodeState, "token after the exchange ended")
	}
	out, done, err = c.accept(in)
	switch {
	case err != nil:
		c.state = ctxFailed
	case done:
		c.state = ctxDone
	}
	return out, done, err
}

func (c *Context) maxTokenSize() int {
	if c.srv.MaxTokenSize > 0 {
		return c.srv.MaxTokenSize
	}
	return DefaultMaxTokenSize
}

func (c *Context) accept(in []byte) ([]byte, bool, error) {
	if len(in) > c.maxTokenSize() {
		return nil, false, errorf(CodeTooLarge, fmt.Sprintf("%d-byte token", len(in)))
	}
	if c.raw {
		return c.mechStep(in)
	}
	switch c.state {
	case ctxStart:
		return c.first(in)
	case ctxMech:
		t, err := ParseNegTokenResp(in)
		if err != nil {
			return nil, false, err
		}
		if t.NegState == Reject {
			return nil, false, errorf(CodeRejected, "")
		}
		if len(t.ResponseToken) == 0 {
			return nil, false, errorf(CodeMalformed, "NegTokenResp without responseToken")
		}
		return c.step(t.ResponseToken, t.MechListMIC, false)
	default: // ctxMIC
		t, err := ParseNegTokenResp(in)
		if err != nil {
			return nil, false, err
		}
		if t.NegState == Reject {
			return nil, false, errorf(CodeRejected, "")
		}
		if len(t.ResponseToken) != 0 {
			return nil, false, errorf(CodeState, "responseToken after the mechanism completed")
		}
		if len(t.MechListMIC) == 0 {
			return nil, false, errorf(CodeMICMissing, "")
		}
		if err := c.mech.VerifyMIC(c.mechTypes, t.MechListMIC); err != nil {
			return nil, false, &Error{Code: CodeBadMIC, Err: err}
		}
		return c.resp(NegTokenResp{NegState: AcceptCompleted}, true)
	}
}

// first handles the first token: raw NTLMSSP, a raw GSS-API token of an
// offered mechanism, or a NegTokenInit.
func (c *Context) first(in []byte) ([]byte, bool, error) {
	if bytes.HasPrefix(in, []byte("NTLMSSP\x00")) {
		return c.startRaw(OIDNTLMSSP, in)
	}
	mech, inner, err := unwrapGSS(in)
	if err != nil {
		return nil, false, err
	}
	if !mech.Equal(OIDSPNEGO) {
		return c.startRaw(mech, in)
	}
	t, err := parseNegTokenInitInner(inner)
	if err != nil {
		return nil, false, err
	}
	// The first of the client's mechanisms that the server offers (RFC
	// 4178 3.2, as Samba and Windows choose). Its optimistic token is
	// used only if it is the client's first choice.
	idx := -1
	var m Mech
	for i, oid := range t.MechTypes {
		if mm, ok := c.srv.mech(oid); ok {
			idx, m = i, mm
			break
		}
	}
	if idx < 0 {
		return nil, false, errorf(CodeNoCommonMech, fmt.Sprintf("client offers %v", t.MechTypes))
	}
	if c.mechTypes, err = MechTypesDER(t.MechTypes); err != nil {
		return nil, false, err
	}
	c.mech, c.oid = m.New(), t.MechTypes[idx]
	if idx > 0 || len(t.MechToken) == 0 {
		// RFC 4178 5: no usable optimistic token; name the mechanism and
		// wait for its first token. A downgrade asks for the mechListMIC.
		c.downgraded = idx > 0
		c.state = ctxMech
		st := AcceptIncomplete
		if c.downgraded {
			st = RequestMIC
		}
		return c.resp(NegTokenResp{NegState: st, SupportedMech: c.oid}, false)
	}
	return c.step(t.MechToken, nil, true)
}

func (c *Context) startRaw(oid asn1.ObjectIdentifier, in []byte) ([]byte, bool, error) {
	m, ok := c.srv.mech(oid)
	if !ok {
		return nil, false, errorf(CodeNoCommonMech, fmt.Sprintf("raw token of %v", oid))
	}
	c.raw, c.mech, c.oid = true, m.New(), oid
	return c.mechStep(in)
}

// mechStep passes a raw token to the mechanism.
func (c *Context) mechStep(in []byte) ([]byte, bool, error) {
	out, done, err := c.mech.Accept(in)
	if err != nil {
		return nil, false, &Error{Code: CodeMechFailed, Err: err}
	}
	return out, done, nil
}

// step feeds the mechanism its next token; mic is the client's
// mechListMIC from the same NegTokenResp.
func (c *Context) step(tok, mic []byte, first bool) ([]byte, bool, error) {
	out, done, err := c.mechStep(tok)
	if err != nil {
		return nil, false, err
	}
	r := NegTokenResp{NegState: AcceptIncomplete, ResponseToken: out}
	if first {
		r.SupportedMech = c.oid
	}
	if !done {
		c.state = ctxMech
		return c.resp(r, false)
	}

	// The mechanism is done. The mechListMIC exchange (RFC 4178 5, MS-SPNG
	// 3.3.5.1) happens when the context can sign and either side wants
	// it: the mechanism (NTLM with a MIC), a downgrade, or a client that
	// sent one. As in Samba, a context that cannot sign (anonymous)
	// skips it.
	if !c.mech.Integrity() || !(c.mech.MICRequired() || c.downgraded || len(mic) > 0) {
		r.NegState = AcceptCompleted
		return c.resp(r, true)
	}
	if len(mic) > 0 {
		if err := c.mech.VerifyMIC(c.mechTypes, mic); err != nil {
			return nil, false, &Error{Code: CodeBadMIC, Err: err}
		}
	}
	if r.MechListMIC, err = c.mech.MIC(c.mechTypes); err != nil {
		return nil, false, &Error{Code: CodeMechFailed, Err: err}
	}
	if len(mic) > 0 {
		r.NegState = AcceptCompleted
		return c.resp(r, true)
	}
	// Send ours first and wait for the client's (Samba does the same).
	c.state = ctxMIC
	return c.resp(r, false)
}

func (c *Context) resp(r NegTokenResp, done bool) ([]byte, bool, error) {
	b, err := r.Marshal()
	if err != nil {
		return nil, false, err
	}
	return b, done, nil
}

// Mech returns the chosen mechanism's Acceptor (nil before the choice);
// once Accept reports done, the caller takes the identity and session key
// from it (for NTLM, *ntlm.Acceptor's Result).
func (c *Context) Mech() Acceptor { return c.mech }

// MechOID returns the chosen mechanism's OID as the client named it.
func (c *Context) MechOID() asn1.ObjectIdentifier { return c.oid }

// Raw reports whether the client skipped SPNEGO and sent the mechanism's
// tokens bare; the server's replies are then bare too.
func (c *Context) Raw() bool { return c.raw }

// RejectToken is a NegTokenResp with negState reject (RFC 4178 4.2.2),
// for a caller that answers a failure with a token. Windows and Samba send
// none: the SESSION_SETUP failure status is enough.
func RejectToken() []byte {
	b, _ := (&NegTokenResp{NegState: Reject}).Marshal()
	return b
}

package spnego_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/ntlm"
	"github.com/dittofs/dittofs/smb/internal/ntlm/ntlmtest"
	"github.com/dittofs/dittofs/smb/internal/spnego"
)

func ntlmConfig() *ntlm.Config {
	return &ntlm.Config{
		NetBIOSComputer: "FILER",
		Lookup: func(user, domain string) ([16]byte, bool) {
			if user == "alice" {
				return ntlm.NTHash("secret"), true
			}
			return [16]byte{}, false
		},
	}
}

func ntlmMech() spnego.Mech {
	cfg := ntlmConfig()
	return spnego.Mech{OID: spnego.OIDNTLMSSP, New: func() spnego.Acceptor { return ntlm.NewAcceptor(cfg) }}
}

// fakeKrb stands for the Kerberos acceptor a later issue adds through
// gss: one round trip (AP-REQ in, AP-REP out), MICs keyed by a fixed key.
type fakeKrb struct{ done bool }

var krbKey = []byte("krb session key")

func krbMIC(msg []byte) []byte {
	h := hmac.New(md5.New, krbKey)
	h.Write(msg)
	return h.Sum(nil)
}

func (k *fakeKrb) Accept(in []byte) ([]byte, bool, error) {
	if !bytes.HasSuffix(in, []byte("AP-REQ")) {
		return nil, false, errors.New("fakeKrb: bad AP-REQ")
	}
	k.done = true
	return []byte("AP-REP"), true, nil
}
func (k *fakeKrb) Integrity() bool   { return k.done }
func (k *fakeKrb) MICRequired() bool { return false }
func (k *fakeKrb) VerifyMIC(msg, mic []byte) error {
	if !hmac.Equal(mic, krbMIC(msg)) {
		return errors.New("fakeKrb: bad MIC")
	}
	return nil
}
func (k *fakeKrb) MIC(msg []byte) ([]byte, error) { return krbMIC(msg), nil }

func krbMechs() []spnego.Mech {
	n := func() spnego.Acceptor { return &fakeKrb{} }
	return []spnego.Mech{{OID: spnego.OIDMSKerberos5, New: n}, {OID: spnego.OIDKerberos5, New: n}}
}

func mustInit(t testing.TB, mechs []asn1.ObjectIdentifier, tok []byte) []byte {
	t.Helper()
	b, err := (&spnego.NegTokenInit{MechTypes: mechs, MechToken: tok}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustResp(t testing.TB, r spnego.NegTokenResp) []byte {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseResp(t *testing.T, b []byte) *spnego.NegTokenResp {
	t.Helper()
	r, err := spnego.ParseNegTokenResp(b)
	if err != nil {
		t.Fatalf("server token %x: %v", b, err)
	}
	return r
}

// exchange is one SPNEGO/NTLM session setup from the client's side.
type exchange struct {
	t         *testing.T
	ctx       *spnego.Context
	client    *ntlmtest.Client
	mechTypes []asn1.ObjectIdentifier
}

func newExchange(t *testing.T, srv *spnego.Server, c *ntlmtest.Client, mechTypes ...asn1.ObjectIdentifier) *exchange {
	if len(mechTypes) == 0 {
		mechTypes = []asn1.ObjectIdentifier{spnego.OIDNTLMSSP}
	}
	return &exchange{t: t, ctx: srv.NewContext(), client: c, mechTypes: mechTypes}
}

// challenge sends the NegTokenInit with the NEGOTIATE and returns the
// CHALLENGE from the server's NegTokenResp.
func (e *exchange) challenge() []byte {
	e.t.Helper()
	out, done, err := e.ctx.Accept(mustInit(e.t, e.mechTypes, e.client.Negotiate()))
	if err != nil || done {
		e.t.Fatalf("NegTokenInit: done %v, %v", done, err)
	}
	r := parseResp(e.t, out)
	if r.NegState != spnego.AcceptIncomplete || !r.SupportedMech.Equal(spnego.OIDNTLMSSP) || len(r.ResponseToken) == 0 || r.MechListMIC != nil {
		e.t.Fatalf("first reply %+v", r)
	}
	return r.ResponseToken
}

func (e *exchange) mechListMIC() (send, recv *ntlm.Sealer, der []byte) {
	e.t.Helper()
	send, recv, err := e.client.Sealers()
	if err != nil {
		e.t.Fatal(err)
	}
	der, err = spnego.MechTypesDER(e.mechTypes)
	if err != nil {
		e.t.Fatal(err)
	}
	return send, recv, der
}

// TestNTLM: SPNEGO carrying NTLMSSP as Windows sends it (RFC 4178 5,
// MS-SPNG 3.3.5.1): the optimistic NEGOTIATE in the NegTokenInit, the
// CHALLENGE in accept-incomplete, the AUTHENTICATE with a mechListMIC, and
// accept-completed with the server's mechListMIC, which the client checks.
func TestNTLM(t *testing.T) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	e := newExchange(t, srv, &ntlmtest.Client{User: "alice", Password: "secret"})
	auth, err := e.client.Authenticate(e.challenge())
	if err != nil {
		t.Fatal(err)
	}
	send, recv, der := e.mechListMIC()
	out, done, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth, MechListMIC: send.Sign(der)}))
	if err != nil || !done {
		t.Fatalf("AUTHENTICATE: done %v, %v", done, err)
	}
	r := parseResp(t, out)
	if r.NegState != spnego.AcceptCompleted || r.ResponseToken != nil || r.SupportedMech != nil {
		t.Errorf("final reply %+v", r)
	}
	if err := recv.Verify(der, r.MechListMIC); err != nil {
		t.Errorf("server's mechListMIC: %v", err)
	}
	a, ok := e.ctx.Mech().(*ntlm.Acceptor)
	if !ok || a.Result() == nil || a.Result().User != "alice" || e.ctx.Raw() || !e.ctx.MechOID().Equal(spnego.OIDNTLMSSP) {
		t.Errorf("mech %T %+v", e.ctx.Mech(), a.Result())
	}
	if _, _, err := e.ctx.Accept(out); !errors.Is(err, spnego.ErrState) {
		t.Errorf("token after completion: %v", err)
	}
}

// TestNTLMWithoutMIC: a client that puts no MIC in its AUTHENTICATE and no
// mechListMIC in SPNEGO (NTLM was its first choice) completes without the
// MIC exchange (RFC 4178 5: the MIC is needed only for a downgrade).
func TestNTLMWithoutMIC(t *testing.T) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	e := newExchange(t, srv, &ntlmtest.Client{User: "alice", Password: "secret", NoMIC: true})
	auth, _ := e.client.Authenticate(e.challenge())
	out, done, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth}))
	if err != nil || !done {
		t.Fatalf("done %v, %v", done, err)
	}
	if r := parseResp(t, out); r.NegState != spnego.AcceptCompleted || r.MechListMIC != nil {
		t.Errorf("final reply %+v", r)
	}
}

// TestMICRound: the NTLM MIC makes the mechListMIC mandatory (MS-SPNG
// 3.3.5.1); a client that sends its AUTHENTICATE without one gets the
// server's mechListMIC in accept-incomplete and must answer with its own,
// as Samba requires. A missing or wrong answer is refused.
func TestMICRound(t *testing.T) {
	for _, tc := range []struct {
		name string
		mic  func(send *ntlm.Sealer, der []byte) []byte
		want error
	}{
		{"good", func(s *ntlm.Sealer, der []byte) []byte { return s.Sign(der) }, nil},
		{"missing", func(*ntlm.Sealer, []byte) []byte { return nil }, spnego.ErrMICMissing},
		{"wrong", func(s *ntlm.Sealer, der []byte) []byte { return s.Sign(append(der, 0)) }, spnego.ErrBadMIC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
			e := newExchange(t, srv, &ntlmtest.Client{User: "alice", Password: "secret"})
			auth, _ := e.client.Authenticate(e.challenge())
			out, done, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth}))
			if err != nil || done {
				t.Fatalf("AUTHENTICATE without mechListMIC: done %v, %v", done, err)
			}
			send, recv, der := e.mechListMIC()
			r := parseResp(t, out)
			if r.NegState != spnego.AcceptIncomplete || recv.Verify(der, r.MechListMIC) != nil {
				t.Fatalf("reply %+v", r)
			}
			out, done, err = e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.AcceptCompleted, MechListMIC: tc.mic(send, der)}))
			if !errors.Is(err, tc.want) || (err == nil) != done {
				t.Fatalf("done %v, err %v, want %v", done, err, tc.want)
			}
			if err == nil {
				if r := parseResp(t, out); r.NegState != spnego.AcceptCompleted || r.MechListMIC != nil {
					t.Errorf("final reply %+v", r)
				}
			}
		})
	}
}

// TestBadMechListMIC: a mechListMIC that does not cover the mechTypes the
// server saw (a man in the middle removed Kerberos from the list) is
// refused (RFC 4178 5).
func TestBadMechListMIC(t *testing.T) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	e := newExchange(t, srv, &ntlmtest.Client{User: "alice", Password: "secret"})
	auth, _ := e.client.Authenticate(e.challenge())
	send, _, _ := e.mechListMIC()
	clientList, _ := spnego.MechTypesDER([]asn1.ObjectIdentifier{spnego.OIDKerberos5, spnego.OIDNTLMSSP})
	_, _, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth, MechListMIC: send.Sign(clientList)}))
	if !errors.Is(err, spnego.ErrBadMIC) || !errors.Is(err, ntlm.ErrBadSignature) {
		t.Fatalf("err = %v, want ErrBadMIC wrapping ntlm.ErrBadSignature", err)
	}
}

// TestDowngrade: the client prefers Kerberos, which the server does not
// offer. The server names NTLMSSP with request-mic and no responseToken
// (RFC 4178 5), the NTLM exchange runs in NegTokenResps, and the
// mechListMIC is then required even from a client without the NTLM MIC.
func TestDowngrade(t *testing.T) {
	for _, sendMIC := range []bool{true, false} {
		srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
		c := &ntlmtest.Client{User: "alice", Password: "secret", NoMIC: true}
		e := newExchange(t, srv, c, spnego.OIDKerberos5, spnego.OIDNTLMSSP)
		out, done, err := e.ctx.Accept(mustInit(t, e.mechTypes, []byte("AP-REQ")))
		if err != nil || done {
			t.Fatal(done, err)
		}
		r := parseResp(t, out)
		if r.NegState != spnego.RequestMIC || !r.SupportedMech.Equal(spnego.OIDNTLMSSP) || r.ResponseToken != nil {
			t.Fatalf("downgrade reply %+v", r)
		}
		out, done, err = e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: c.Negotiate()}))
		if err != nil || done {
			t.Fatal(done, err)
		}
		r = parseResp(t, out)
		if r.NegState != spnego.AcceptIncomplete || r.SupportedMech != nil || !ntlm.IsNTLMSSP(r.ResponseToken) {
			t.Fatalf("challenge reply %+v", r)
		}
		auth, _ := c.Authenticate(r.ResponseToken)
		send, recv, der := e.mechListMIC()
		var mic []byte
		if sendMIC {
			mic = send.Sign(der)
		}
		out, done, err = e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth, MechListMIC: mic}))
		if err != nil || done != sendMIC {
			t.Fatalf("sendMIC %v: done %v, %v", sendMIC, done, err)
		}
		if err := recv.Verify(der, parseResp(t, out).MechListMIC); err != nil {
			t.Errorf("server's mechListMIC: %v", err)
		}
		if !sendMIC {
			// The client must still send its mechListMIC; without it, refused.
			if _, _, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.AcceptCompleted})); !errors.Is(err, spnego.ErrMICMissing) {
				t.Errorf("downgrade without mechListMIC: %v", err)
			}
		}
	}
}

// TestNoOptimisticToken: a NegTokenInit without a mechToken gets
// accept-incomplete naming NTLMSSP and no responseToken (RFC 4178 5); the
// NEGOTIATE then comes in a NegTokenResp.
func TestNoOptimisticToken(t *testing.T) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	c := &ntlmtest.Client{User: "alice", Password: "secret", NoMIC: true}
	ctx := srv.NewContext()
	out, done, err := ctx.Accept(mustInit(t, []asn1.ObjectIdentifier{spnego.OIDNTLMSSP}, nil))
	if err != nil || done {
		t.Fatal(done, err)
	}
	if r := parseResp(t, out); r.NegState != spnego.AcceptIncomplete || !r.SupportedMech.Equal(spnego.OIDNTLMSSP) || r.ResponseToken != nil {
		t.Fatalf("reply %+v", r)
	}
	out, _, err = ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: c.Negotiate()}))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Authenticate(parseResp(t, out).ResponseToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, done, err := ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth})); err != nil || !done {
		t.Fatalf("AUTHENTICATE: %v %v", done, err)
	}
}

// TestRawNTLMSSP: NTLMSSP sent without SPNEGO is accepted and answered
// bare.
func TestRawNTLMSSP(t *testing.T) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	ctx := srv.NewContext()
	c := &ntlmtest.Client{User: "alice", Password: "secret"}
	chal, done, err := ctx.Accept(c.Negotiate())
	if err != nil || done || !ntlm.IsNTLMSSP(chal) || !ctx.Raw() {
		t.Fatalf("raw NEGOTIATE: %x %v %v", chal, done, err)
	}
	auth, _ := c.Authenticate(chal)
	out, done, err := ctx.Accept(auth)
	if err != nil || !done || out != nil {
		t.Fatalf("raw AUTHENTICATE: %x %v %v", out, done, err)
	}
	if a := ctx.Mech().(*ntlm.Acceptor); a.Result().User != "alice" {
		t.Errorf("result %+v", a.Result())
	}
	// Without NTLMSSP offered, a raw NTLMSSP token finds no mechanism.
	ctx = (&spnego.Server{Mechs: krbMechs()}).NewContext()
	if _, _, err := ctx.Accept(c.Negotiate()); !errors.Is(err, spnego.ErrNoCommonMech) {
		t.Errorf("raw NTLMSSP to a Kerberos-only server: %v", err)
	}
}

// TestKerberosSeam: a one-round-trip mechanism registered under both
// Kerberos OIDs, as gss will be: the client's OID is echoed in
// supportedMech, the AP-REP goes back in accept-completed, no mechListMIC
// is needed when it was the client's first choice. A raw GSS-API
// Kerberos token (no SPNEGO) reaches the mechanism whole.
func TestKerberosSeam(t *testing.T) {
	srv := &spnego.Server{Mechs: append(krbMechs(), ntlmMech())}
	ctx := srv.NewContext()
	out, done, err := ctx.Accept(mustInit(t, []asn1.ObjectIdentifier{spnego.OIDMSKerberos5, spnego.OIDNTLMSSP}, []byte("AP-REQ")))
	if err != nil || !done {
		t.Fatal(done, err)
	}
	r := parseResp(t, out)
	if r.NegState != spnego.AcceptCompleted || !r.SupportedMech.Equal(spnego.OIDMSKerberos5) || string(r.ResponseToken) != "AP-REP" || r.MechListMIC != nil {
		t.Errorf("reply %+v", r)
	}

	// With a mechListMIC from the client in its NegTokenInit: ignored
	// there (RFC 4178 4.2.1 has the initiator send it only later), so
	// the exchange still completes without one.
	ctx = srv.NewContext()
	tok, _ := (&spnego.NegTokenInit{MechTypes: []asn1.ObjectIdentifier{spnego.OIDKerberos5}, MechToken: []byte("AP-REQ"), MechListMIC: []byte("junk")}).Marshal()
	if _, done, err := ctx.Accept(tok); err != nil || !done {
		t.Errorf("NegTokenInit with mechListMIC: %v %v", done, err)
	}

	// Raw GSS-API token with the Kerberos OID.
	ctx = srv.NewContext()
	oid, _ := asn1.Marshal(spnego.OIDKerberos5)
	gss := append([]byte{0x60, byte(len(oid) + 6)}, oid...)
	gss = append(gss, "AP-REQ"...)
	out, done, err = ctx.Accept(gss)
	if err != nil || !done || string(out) != "AP-REP" || !ctx.Raw() || !ctx.MechOID().Equal(spnego.OIDKerberos5) {
		t.Errorf("raw Kerberos token: %q %v raw %v, %v", out, done, ctx.Raw(), err)
	}
	// A raw GSS-API token of a mechanism not offered.
	ctx = (&spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}).NewContext()
	if _, _, err := ctx.Accept(gss); !errors.Is(err, spnego.ErrNoCommonMech) {
		t.Errorf("raw Kerberos token to an NTLM-only server: %v", err)
	}
}

// TestFailures: no common mechanism, a wrong password (the mechanism's
// error is wrapped), a client reject, tokens out of place, and oversized
// tokens.
func TestFailures(t *testing.T) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	c := &ntlmtest.Client{User: "alice", Password: "secret"}

	ctx := srv.NewContext()
	if _, _, err := ctx.Accept(mustInit(t, []asn1.ObjectIdentifier{spnego.OIDKerberos5}, []byte("AP-REQ"))); !errors.Is(err, spnego.ErrNoCommonMech) {
		t.Errorf("Kerberos only: %v", err)
	}
	if _, _, err := ctx.Accept(mustInit(t, []asn1.ObjectIdentifier{spnego.OIDNTLMSSP}, c.Negotiate())); !errors.Is(err, spnego.ErrState) {
		t.Errorf("token after a failure: %v", err)
	}

	e := newExchange(t, srv, &ntlmtest.Client{User: "alice", Password: "wrong"})
	auth, _ := e.client.Authenticate(e.challenge())
	_, _, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth}))
	if !errors.Is(err, spnego.ErrMechFailed) || !errors.Is(err, ntlm.ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}

	e = newExchange(t, srv, c)
	e.challenge()
	if _, _, err := e.ctx.Accept(spnego.RejectToken()); !errors.Is(err, spnego.ErrRejected) {
		t.Errorf("client reject: %v", err)
	}

	e = newExchange(t, srv, c)
	e.challenge()
	if _, _, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.AcceptIncomplete})); !errors.Is(err, spnego.ErrMalformed) {
		t.Errorf("NegTokenResp without responseToken: %v", err)
	}

	e = newExchange(t, srv, c)
	e.challenge()
	if _, _, err := e.ctx.Accept(mustInit(t, e.mechTypes, c.Negotiate())); !errors.Is(err, spnego.ErrMalformed) {
		t.Errorf("second NegTokenInit: %v", err)
	}

	ctx = srv.NewContext()
	if _, _, err := ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.AcceptIncomplete, ResponseToken: c.Negotiate()})); !errors.Is(err, spnego.ErrMalformed) {
		t.Errorf("NegTokenResp first: %v", err)
	}

	ctx = srv.NewContext()
	if _, _, err := ctx.Accept(make([]byte, spnego.DefaultMaxTokenSize+1)); !errors.Is(err, spnego.ErrTooLarge) {
		t.Errorf("oversized token: %v", err)
	}
	small := &spnego.Server{Mechs: srv.Mechs, MaxTokenSize: 10}
	if _, _, err := small.NewContext().Accept(c.Negotiate()); !errors.Is(err, spnego.ErrTooLarge) {
		t.Errorf("token over MaxTokenSize: %v", err)
	}
}

// TestAnonymous: an anonymous NTLM logon cannot sign, so no mechListMIC
// is exchanged (as in Samba), even though the client sent one.
func TestAnonymous(t *testing.T) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	e := newExchange(t, srv, &ntlmtest.Client{Anonymous: true})
	auth, _ := e.client.Authenticate(e.challenge())
	out, done, err := e.ctx.Accept(mustResp(t, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth, MechListMIC: []byte("garbage")}))
	if err != nil || !done {
		t.Fatal(done, err)
	}
	if r := parseResp(t, out); r.NegState != spnego.AcceptCompleted || r.MechListMIC != nil {
		t.Errorf("reply %+v", r)
	}
	if !e.ctx.Mech().(*ntlm.Acceptor).Result().Anonymous {
		t.Error("not anonymous")
	}
}

package spnego_test

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/ntlm"
	"github.com/dittofs/dittofs/smb/internal/ntlm/ntlmtest"
	"github.com/dittofs/dittofs/smb/internal/spnego"
)

func typed(t *testing.T, err error) {
	var e *spnego.Error
	var n *ntlm.Error
	if err != nil && !errors.As(err, &e) && !errors.As(err, &n) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

func sameInit(a, b *spnego.NegTokenInit) bool {
	return slices.EqualFunc(a.MechTypes, b.MechTypes, asn1.ObjectIdentifier.Equal) &&
		bytes.Equal(a.MechToken, b.MechToken) && bytes.Equal(a.MechListMIC, b.MechListMIC)
}

// FuzzNegTokenInit: ParseNegTokenInit never panics and what it returns
// survives Marshal and a second parse unchanged; a Context fed the same
// bytes as a first token fails only with a typed error.
func FuzzNegTokenInit(f *testing.F) {
	srv := &spnego.Server{Mechs: append([]spnego.Mech{ntlmMech()}, krbMechs()...)}
	init2, _ := srv.InitialToken()
	f.Add(init2)
	neg := (&ntlmtest.Client{}).Negotiate()
	for _, t := range []spnego.NegTokenInit{
		{MechTypes: []asn1.ObjectIdentifier{spnego.OIDNTLMSSP}, MechToken: neg},
		{MechTypes: []asn1.ObjectIdentifier{spnego.OIDKerberos5, spnego.OIDNTLMSSP}, MechToken: []byte("AP-REQ")},
		{MechTypes: []asn1.ObjectIdentifier{spnego.OIDMSKerberos5}, MechToken: []byte("AP-REQ"), MechListMIC: []byte{1}},
	} {
		b, _ := t.Marshal()
		f.Add(b)
	}
	f.Add(neg)
	f.Fuzz(func(t *testing.T, tok []byte) {
		p, err := spnego.ParseNegTokenInit(tok)
		typed(t, err)
		if err == nil {
			b, err := p.Marshal()
			if err != nil {
				t.Fatalf("Marshal of a parsed token: %v", err)
			}
			q, err := spnego.ParseNegTokenInit(b)
			if err != nil || !sameInit(p, q) {
				t.Fatalf("round trip %+v -> %x -> %+v, %v", p, b, q, err)
			}
		}
		_, _, err = srv.NewContext().Accept(tok)
		typed(t, err)
	})
}

// FuzzNegTokenResp: ParseNegTokenResp never panics and round-trips; a
// Context waiting for the AUTHENTICATE fails only with a typed error.
func FuzzNegTokenResp(f *testing.F) {
	srv := &spnego.Server{Mechs: []spnego.Mech{ntlmMech()}}
	c := &ntlmtest.Client{User: "alice", Password: "secret"}
	ctx := srv.NewContext()
	out, _, err := ctx.Accept(mustInit(f, []asn1.ObjectIdentifier{spnego.OIDNTLMSSP}, c.Negotiate()))
	if err != nil {
		f.Fatal(err)
	}
	r, _ := spnego.ParseNegTokenResp(out)
	auth, _ := c.Authenticate(r.ResponseToken)
	f.Add(out)
	f.Add(spnego.RejectToken())
	f.Add(mustResp(f, spnego.NegTokenResp{NegState: spnego.NegStateAbsent, ResponseToken: auth, MechListMIC: make([]byte, 16)}))
	f.Add(mustResp(f, spnego.NegTokenResp{NegState: spnego.RequestMIC, SupportedMech: spnego.OIDMSKerberos5}))
	f.Fuzz(func(t *testing.T, tok []byte) {
		p, err := spnego.ParseNegTokenResp(tok)
		typed(t, err)
		if err == nil {
			b, err := p.Marshal()
			if err != nil {
				t.Fatalf("Marshal of a parsed token: %v", err)
			}
			q, err := spnego.ParseNegTokenResp(b)
			if err != nil || q.NegState != p.NegState || !q.SupportedMech.Equal(p.SupportedMech) ||
				!bytes.Equal(q.ResponseToken, p.ResponseToken) || !bytes.Equal(q.MechListMIC, p.MechListMIC) {
				t.Fatalf("round trip %+v -> %x -> %+v, %v", p, b, q, err)
			}
		}
		ctx := srv.NewContext()
		if _, _, err := ctx.Accept(mustInit(t, []asn1.ObjectIdentifier{spnego.OIDNTLMSSP}, (&ntlmtest.Client{}).Negotiate())); err != nil {
			t.Fatal(err)
		}
		_, _, err = ctx.Accept(tok)
		typed(t, err)
	})
}

package spnego

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInitialToken: the NegTokenInit2 of MS-SPNG 2.2.1 / 3.2.5.2 for
// NTLMSSP alone, byte for byte the token Samba puts in its SMB2 NEGOTIATE
// response; with the Kerberos OIDs added it lists them in order.
func TestInitialToken(t *testing.T) {
	s := &Server{Mechs: []Mech{{OID: OIDNTLMSSP}}}
	got, err := s.InitialToken()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, `60 48 06 06 2b 06 01 05 05 02 a0 3e 30 3c a0 0e
		30 0c 06 0a 2b 06 01 04 01 82 37 02 02 0a a3 2a
		30 28 a0 26 1b 24`)
	want = append(want, "not_defined_in_RFC4178@please_ignore"...)
	if !bytes.Equal(got, want) {
		t.Errorf("InitialToken\n got %x\nwant %x", got, want)
	}

	s.Mechs = []Mech{{OID: OIDMSKerberos5}, {OID: OIDKerberos5}, {OID: OIDNTLMSSP}}
	tok, err := s.InitialToken()
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseNegTokenInit(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(p.MechTypes, []asn1.ObjectIdentifier{OIDMSKerberos5, OIDKerberos5, OIDNTLMSSP}, asn1.ObjectIdentifier.Equal) || p.MechListMIC != nil {
		t.Errorf("parsed back %+v", p)
	}
}

// TestRoundTrip: NegTokenInit and NegTokenResp (RFC 4178 4.2) survive
// Marshal and Parse with every optional field present or absent, and long
// tokens use the long length forms.
func TestRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 70000)
	for _, in := range []NegTokenInit{
		{MechTypes: []asn1.ObjectIdentifier{OIDNTLMSSP}},
		{MechTypes: []asn1.ObjectIdentifier{OIDKerberos5, OIDNTLMSSP}, MechToken: []byte("NTLMSSP\x00\x01")},
		{MechTypes: []asn1.ObjectIdentifier{OIDNTLMSSP}, MechToken: big[:300], MechListMIC: []byte{1, 2}},
		{MechTypes: []asn1.ObjectIdentifier{OIDNTLMSSP}, MechToken: big},
	} {
		b, err := in.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out, err := ParseNegTokenInit(b)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		if !slices.EqualFunc(in.MechTypes, out.MechTypes, asn1.ObjectIdentifier.Equal) || !bytes.Equal(in.MechToken, out.MechToken) || !bytes.Equal(in.MechListMIC, out.MechListMIC) {
			t.Errorf("round trip %+v -> %+v", in, out)
		}
	}
	for _, in := range []NegTokenResp{
		{NegState: NegStateAbsent},
		{NegState: AcceptCompleted},
		{NegState: AcceptIncomplete, SupportedMech: OIDNTLMSSP, ResponseToken: []byte("x")},
		{NegState: Reject},
		{NegState: RequestMIC, SupportedMech: OIDMSKerberos5},
		{NegState: NegStateAbsent, ResponseToken: big[:200], MechListMIC: big[:16]},
		{NegState: AcceptCompleted, MechListMIC: big[:16], ResponseToken: big},
	} {
		b, err := in.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out, err := ParseNegTokenResp(b)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		if in.NegState != out.NegState || !in.SupportedMech.Equal(out.SupportedMech) || !bytes.Equal(in.ResponseToken, out.ResponseToken) || !bytes.Equal(in.MechListMIC, out.MechListMIC) {
			t.Errorf("round trip %+v -> %+v", in, out)
		}
	}
	// accept-completed alone, as Windows sends it: a1 07 30 05 a0 03 0a 01 00.
	b, _ := (&NegTokenResp{NegState: AcceptCompleted}).Marshal()
	if want := unhex(t, "a1 07 30 05 a0 03 0a 01 00"); !bytes.Equal(b, want) {
		t.Errorf("accept-completed = %x, want %x", b, want)
	}
	if want := unhex(t, "a1 07 30 05 a0 03 0a 01 02"); !bytes.Equal(RejectToken(), want) {
		t.Errorf("RejectToken = %x, want %x", RejectToken(), want)
	}
}

// TestMalformed: tokens that break X.690 DER or the RFC 4178 schema are
// refused with ErrMalformed (or ErrTooLarge), never a panic.
func TestMalformed(t *testing.T) {
	init1, _ := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDNTLMSSP}, MechToken: []byte("tok")}).Marshal()
	resp1, _ := (&NegTokenResp{NegState: AcceptIncomplete, ResponseToken: []byte("tok")}).Marshal()
	deep := []byte{}
	for i := 0; i < 2000; i++ {
		deep = appendElement(nil, contextTag(0), deep)
	}
	deep = appendElement(nil, tagApp0, unhex(t, "06 06 2b 06 01 05 05 02"), deep)
	mod := func(b []byte, f func(b []byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	tooMany := &NegTokenInit{}
	for i := 0; i <= MaxMechTypes; i++ {
		tooMany.MechTypes = append(tooMany.MechTypes, asn1.ObjectIdentifier{1, 2, 3, i + 1})
	}
	tooManyTok, _ := tooMany.Marshal()

	for _, tc := range []struct {
		name string
		init bool
		tok  []byte
		want error
	}{
		{"empty", true, nil, ErrMalformed},
		{"init: wrong outer tag", true, mod(init1, func(b []byte) []byte { b[0] = 0x61; return b }), ErrMalformed},
		{"init: length past the end", true, mod(init1, func(b []byte) []byte { b[1]++; return b }), ErrMalformed},
		{"init: truncated", true, init1[:len(init1)-1], ErrMalformed},
		{"init: trailing byte", true, append(append([]byte(nil), init1...), 0), ErrMalformed},
		{"init: thisMech not SPNEGO", true, mod(init1, func(b []byte) []byte { b[9] = 3; return b }), ErrMalformed},
		{"init: negTokenResp instead", true, mod(init1, func(b []byte) []byte { b[10] = 0xa1; return b }), ErrMalformed},
		{"init: indefinite length", true, unhex(t, "60 80 06 06 2b 06 01 05 05 02 a0 00 00 00"), ErrMalformed},
		{"init: non-minimal length", true, unhex(t, "60 81 08 06 06 2b 06 01 05 05 02"), ErrMalformed},
		{"init: length of length 5", true, unhex(t, "60 85 00 00 00 00 08"), ErrMalformed},
		{"init: high tag number", true, unhex(t, "7f 01 00"), ErrMalformed},
		{"init: deep nesting", true, deep, ErrMalformed},
		{"init: no mechTypes", true, unhex(t, "60 10 06 06 2b 06 01 05 05 02 a0 06 30 04 a2 02 04 00"), ErrMalformed},
		{"init: fields out of order", true, unhex(t, "60 1e 06 06 2b 06 01 05 05 02 a0 14 30 12 a2 02 04 00 a0 0c 30 0a 06 08 2b 06 01 04 01 82 37 02"), ErrMalformed},
		{"init: mechTypes not OIDs", true, unhex(t, "60 12 06 06 2b 06 01 05 05 02 a0 08 30 06 a0 04 30 02 04 00"), ErrMalformed},
		{"init: bad OID", true, unhex(t, "60 12 06 06 2b 06 01 05 05 02 a0 08 30 06 a0 04 30 02 06 00"), ErrMalformed},
		{"init: constructed mechToken", true, unhex(t, "60 16 06 06 2b 06 01 05 05 02 a0 0c 30 0a a0 02 30 00 a2 04 24 02 04 00"), ErrMalformed},
		{"init: too many mechTypes", true, tooManyTok, ErrTooLarge},
		{"resp: wrong tag", false, mod(resp1, func(b []byte) []byte { b[0] = 0xa0; return b }), ErrMalformed},
		{"resp: length past the end", false, mod(resp1, func(b []byte) []byte { b[3] += 5; return b }), ErrMalformed},
		{"resp: negState 4", false, unhex(t, "a1 07 30 05 a0 03 0a 01 04"), ErrMalformed},
		{"resp: negState two bytes", false, unhex(t, "a1 08 30 06 a0 04 0a 02 00 01"), ErrMalformed},
		{"resp: negState not ENUMERATED", false, unhex(t, "a1 07 30 05 a0 03 02 01 00"), ErrMalformed},
		{"resp: universal field tag", false, unhex(t, "a1 05 30 03 04 01 00"), ErrMalformed},
		{"resp: responseToken not OCTET STRING", false, unhex(t, "a1 07 30 05 a2 03 03 01 00"), ErrMalformed},
		{"resp: two elements in a field", false, unhex(t, "a1 09 30 07 a2 05 04 00 04 01 00"), ErrMalformed},
		{"resp: truncated", false, resp1[:len(resp1)-2], ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.init {
				_, err = ParseNegTokenInit(tc.tok)
			} else {
				_, err = ParseNegTokenResp(tc.tok)
			}
			t.Log(err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

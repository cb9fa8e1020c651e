package ntlm_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/dittofs/dittofs/smb/internal/ntlm"
	"github.com/dittofs/dittofs/smb/internal/ntlm/ntlmtest"
)

// detAcceptor is an Acceptor that has sent a CHALLENGE which is the same
// every time (fixed random bytes and clock), so that one recorded
// AUTHENTICATE stays valid for every fuzz input. It returns the NEGOTIATE
// and CHALLENGE too, for a client to answer.
func detAcceptor(t testing.TB) (a *ntlm.Acceptor, neg, chal []byte) {
	cfg := &ntlm.Config{
		NetBIOSComputer: "FILER",
		Lookup:          lookup,
		Clock:           &fakeClock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)},
		Rand:            bytes.NewReader(bytes.Repeat([]byte{0x42}, 8)),
	}
	a = ntlm.NewAcceptor(cfg)
	neg = (&ntlmtest.Client{}).Negotiate()
	chal, err := a.Challenge(neg)
	if err != nil {
		t.Fatal(err)
	}
	return a, neg, chal
}

// detAuthenticate is c's answer to detAcceptor's CHALLENGE.
func detAuthenticate(t testing.TB, c *ntlmtest.Client) []byte {
	_, neg, chal := detAcceptor(t)
	c.NegotiateMsg = neg
	c.Rand = bytes.NewReader(bytes.Repeat([]byte{0x17}, 24))
	auth, err := c.Authenticate(chal)
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

func checkErr(t *testing.T, err error) {
	var e *ntlm.Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

// FuzzNegotiate feeds arbitrary NEGOTIATE_MESSAGEs to Challenge: no panic,
// only *ntlm.Error, and a CHALLENGE that always offers Unicode and NTLM.
func FuzzNegotiate(f *testing.F) {
	for _, c := range []*ntlmtest.Client{{}, {Flags: ntlm.NTLMSSP_NEGOTIATE_UNICODE}, {Flags: 0xffffffff}} {
		n := c.Negotiate()
		f.Add(n)
		f.Add(n[:16])
	}
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00\x01\x00\x00\x00\x04\x00\x04\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		a := ntlm.NewAcceptor(&ntlm.Config{})
		chal, err := a.Challenge(msg)
		checkErr(t, err)
		if err == nil {
			if !ntlm.IsNTLMSSP(chal) || len(chal) > 1024 || chal[20]&1 == 0 || chal[21]&2 == 0 {
				t.Fatalf("challenge %x", chal)
			}
		}
	})
}

// FuzzAuthenticate feeds arbitrary AUTHENTICATE_MESSAGEs to an Acceptor
// whose CHALLENGE is fixed, seeded with valid messages (MIC and KEY_EXCH,
// no MIC, anonymous, NTLMv1) for that CHALLENGE: no panic, only
// *ntlm.Error, and a success only for a user the Lookup knows.
func FuzzAuthenticate(f *testing.F) {
	for _, c := range []*ntlmtest.Client{
		{User: "alice", Domain: "WORKGROUP", Password: "correct horse", Workstation: "W"},
		{User: "alice", Password: "correct horse", NoMIC: true, Flags: ntlmtest.DefaultFlags &^ ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH},
		{Anonymous: true},
		{User: "alice", Password: "correct horse", NTLMv1: true},
	} {
		f.Add(detAuthenticate(f, c))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		a, _, _ := detAcceptor(t)
		r, err := a.Authenticate(msg)
		checkErr(t, err)
		if err == nil && !r.Anonymous {
			if _, ok := lookup(r.User, r.Domain); !ok {
				t.Fatalf("accepted unknown user %q", r.User)
			}
		}
	})
}

// TestFuzzSeedsValid: the seeds of FuzzAuthenticate are accepted (except
// the NTLMv1 one), so the fuzzer starts from the deep end of the parser.
func TestFuzzSeedsValid(t *testing.T) {
	for _, c := range []*ntlmtest.Client{
		{User: "alice", Domain: "WORKGROUP", Password: "correct horse"},
		{Anonymous: true},
	} {
		a, _, _ := detAcceptor(t)
		if r, err := a.Authenticate(detAuthenticate(t, c)); err != nil || (c.Anonymous != r.Anonymous) || (!c.Anonymous && !r.MIC) {
			t.Fatalf("seed refused: %v", err)
		}
	}
}

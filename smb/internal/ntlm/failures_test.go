package ntlm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/dittofs/dittofs/smb/internal/ntlm"
	"github.com/dittofs/dittofs/smb/internal/ntlm/ntlmtest"
)

// field indexes of the AUTHENTICATE_MESSAGE payload fields (MS-NLMP 2.2.1.3).
const (
	fLM = iota
	fNT
	fDomain
	fUser
	fWorkstation
	fEncKey
)

func getField(msg []byte, i int) (n, off int) {
	at := 12 + 8*i
	return int(binary.LittleEndian.Uint16(msg[at:])), int(binary.LittleEndian.Uint32(msg[at+4:]))
}

func setField(msg []byte, i, n, off int) {
	at := 12 + 8*i
	binary.LittleEndian.PutUint16(msg[at:], uint16(n))
	binary.LittleEndian.PutUint16(msg[at+2:], uint16(n))
	binary.LittleEndian.PutUint32(msg[at+4:], uint32(off))
}

// fresh returns an Acceptor that has sent its CHALLENGE and the client's
// AUTHENTICATE for it.
func fresh(t *testing.T, c *ntlmtest.Client) (*ntlm.Acceptor, []byte, *fakeClock) {
	cfg, clk := newConfig()
	a := ntlm.NewAcceptor(cfg)
	return a, handshake(t, a, c), clk
}

// TestAuthenticateFailures covers each way MS-NLMP 3.2.5.1.2 and 3.3.2
// refuse an AUTHENTICATE_MESSAGE, and the bounds on its fields.
func TestAuthenticateFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client ntlmtest.Client
		spoil  func(msg []byte) []byte
		want   error
	}{
		{"wrong password", ntlmtest.Client{User: "alice", Password: "wrong"}, nil, ntlm.ErrWrongPassword},
		{"unknown user", ntlmtest.Client{User: "mallory", Password: "correct horse"}, nil, ntlm.ErrUnknownUser},
		{"NTLMv1 response", ntlmtest.Client{User: "alice", Password: "correct horse", NTLMv1: true}, nil, ntlm.ErrNTLMv1},
		{"LM response only", *alice(), func(m []byte) []byte {
			setField(m, fNT, 0, 0)
			return m
		}, ntlm.ErrNTLMv1},
		{"no response from a named user", *alice(), func(m []byte) []byte {
			setField(m, fNT, 0, 0)
			setField(m, fLM, 0, 0)
			return m
		}, ntlm.ErrMalformed},
		{"bad MIC", *alice(), func(m []byte) []byte { m[80] ^= 1; return m }, ntlm.ErrBadMIC},
		{"workstation changed in flight (caught by the MIC)", *alice(), func(m []byte) []byte {
			_, off := getField(m, fWorkstation)
			m[off] ^= 0x20
			return m
		}, ntlm.ErrBadMIC},
		{"flags changed in flight (caught by the MIC)", *alice(), func(m []byte) []byte { m[60] &^= byte(ntlm.NTLMSSP_NEGOTIATE_SEAL); return m }, ntlm.ErrBadMIC},
		{"NTProofStr changed", *alice(), func(m []byte) []byte {
			_, off := getField(m, fNT)
			m[off] ^= 1
			return m
		}, ntlm.ErrWrongPassword},
		{"client challenge changed", *alice(), func(m []byte) []byte {
			_, off := getField(m, fNT)
			m[off+16+16] ^= 1
			return m
		}, ntlm.ErrWrongPassword},
		{"KEY_EXCH without a key", *alice(), func(m []byte) []byte { setField(m, fEncKey, 0, 0); return m }, ntlm.ErrMalformed},
		{"RespType 2", *alice(), func(m []byte) []byte {
			_, off := getField(m, fNT)
			m[off+16] = 2
			return m
		}, ntlm.ErrMalformed},
		{"MIC announced, payload at 72", *alice(), func(m []byte) []byte {
			// Move the domain to offset 72, over the MIC.
			n, _ := getField(m, fDomain)
			setField(m, fDomain, n, 72)
			return m
		}, ntlm.ErrMalformed},
		{"truncated payload", *alice(), func(m []byte) []byte { return m[:len(m)-1] }, ntlm.ErrMalformed},
		{"offset past the end", *alice(), func(m []byte) []byte { setField(m, fUser, 10, len(m)+100); return m }, ntlm.ErrMalformed},
		{"offset near 2^32", *alice(), func(m []byte) []byte { setField(m, fUser, 10, 0xfffffffa); return m }, ntlm.ErrMalformed},
		{"offset inside the header", ntlmtest.Client{User: "alice", Password: "correct horse", NoMIC: true}, func(m []byte) []byte { setField(m, fUser, 10, 8); return m }, ntlm.ErrMalformed},
		{"overlapping fields", *alice(), func(m []byte) []byte {
			_, off := getField(m, fDomain)
			setField(m, fUser, 4, off)
			return m
		}, ntlm.ErrMalformed},
		{"odd-length user name", *alice(), func(m []byte) []byte {
			n, off := getField(m, fUser)
			setField(m, fUser, n-1, off)
			return m
		}, ntlm.ErrMalformed},
		{"unpaired surrogate", *alice(), func(m []byte) []byte {
			_, off := getField(m, fUser)
			m[off], m[off+1] = 0x00, 0xd8
			return m
		}, ntlm.ErrMalformed},
		{"oversized user name", *alice(), func(m []byte) []byte {
			setField(m, fUser, ntlm.MaxNameBytes+2, len(m))
			return append(m, make([]byte, ntlm.MaxNameBytes+2)...)
		}, ntlm.ErrTooLarge},
		{"oversized NT response", *alice(), func(m []byte) []byte {
			setField(m, fNT, ntlm.MaxNTResponse+1, len(m))
			return append(m, make([]byte, ntlm.MaxNTResponse+1)...)
		}, ntlm.ErrTooLarge},
		{"oversized message", *alice(), func(m []byte) []byte { return append(m, make([]byte, ntlm.MaxMessageSize)...) }, ntlm.ErrTooLarge},
		{"LM response of 7 bytes", *alice(), func(m []byte) []byte {
			_, off := getField(m, fLM)
			setField(m, fLM, 7, off)
			return m
		}, ntlm.ErrMalformed},
		{"short NT response", *alice(), func(m []byte) []byte {
			_, off := getField(m, fNT)
			setField(m, fNT, 40, off)
			return m
		}, ntlm.ErrMalformed},
		{"AV_PAIR past the end", *alice(), func(m []byte) []byte {
			// The first AV_PAIR of the blob claims 0xffff bytes.
			_, off := getField(m, fNT)
			binary.LittleEndian.PutUint16(m[off+16+28+2:], 0xffff)
			return m
		}, ntlm.ErrMalformed},
		{"no MsvAvEOL", *alice(), func(m []byte) []byte {
			_, off := getField(m, fNT)
			// Cut the blob right after its first AV_PAIR.
			first := int(binary.LittleEndian.Uint16(m[off+16+28+2:]))
			setField(m, fNT, 16+28+4+first, off)
			return m
		}, ntlm.ErrMalformed},
		{"not an AUTHENTICATE", *alice(), func(m []byte) []byte { m[8] = 1; return m }, ntlm.ErrMalformed},
		{"bad signature", *alice(), func(m []byte) []byte { m[0] = 'n'; return m }, ntlm.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.client
			a, msg, _ := fresh(t, &c)
			if tc.spoil != nil {
				msg = tc.spoil(msg)
			}
			r, err := a.Authenticate(msg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var e *ntlm.Error
			if !errors.As(err, &e) || r != nil || a.Result() != nil || a.SessionKey() != nil {
				t.Errorf("err %T, result %v", err, r)
			}
			// An Acceptor is used once: a retry is refused.
			if _, err := a.Authenticate(msg); !errors.Is(err, ntlm.ErrState) {
				t.Errorf("second Authenticate: %v", err)
			}
		})
	}
}

// TestTamperedTargetInfo: a man in the middle who edits the CHALLENGE's
// TargetInfo (here the computer name, or MsvAvTimestamp hidden so the
// client sends no MIC) is caught because the client's blob, covered by
// NTProofStr, must echo every AV_PAIR unchanged (Samba
// ntlmssp_server_preauth; MS-NLMP 3.1.5.2.1 copies TargetInfo into temp).
func TestTamperedTargetInfo(t *testing.T) {
	renumber := func(from uint16) func(ti []byte) {
		return func(ti []byte) {
			for p := ti; len(p) >= 4; {
				id, n := binary.LittleEndian.Uint16(p), int(binary.LittleEndian.Uint16(p[2:]))
				if id == from {
					binary.LittleEndian.PutUint16(p, 0x7f)
				}
				p = p[4+n:]
			}
		}
	}
	for _, tc := range []struct {
		name     string
		emptyDNS bool
		tamper   func(ti []byte)
	}{
		{"computer name", false, func(ti []byte) {
			i := bytes.Index(ti, []byte("F\x00I\x00L\x00E\x00R\x00"))
			ti[i] = 'X'
		}},
		{"timestamp hidden", false, renumber(ntlm.MsvAvTimestamp)},
		{"empty DNS domain dropped", true, renumber(ntlm.MsvAvDnsDomainName)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := newConfig()
			if tc.emptyDNS {
				cfg.DNSDomain = ""
			}
			a := ntlm.NewAcceptor(cfg)
			c := alice()
			chal, err := a.Challenge(c.Negotiate())
			if err != nil {
				t.Fatal(err)
			}
			chal = append([]byte(nil), chal...)
			off := binary.LittleEndian.Uint32(chal[44:])
			tc.tamper(chal[off:])
			auth, err := c.Authenticate(chal)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Authenticate(auth); !errors.Is(err, ntlm.ErrTargetInfoMismatch) {
				t.Fatalf("err = %v, want ErrTargetInfoMismatch", err)
			}
		})
	}
}

// TestReplay: an AUTHENTICATE recorded from one exchange is refused by
// another (a new challenge and timestamp).
func TestReplay(t *testing.T) {
	_, msg, _ := fresh(t, alice())
	a2, _, _ := fresh(t, alice())
	if _, err := a2.Authenticate(msg); !errors.Is(err, ntlm.ErrTargetInfoMismatch) && !errors.Is(err, ntlm.ErrWrongPassword) {
		t.Fatalf("replayed AUTHENTICATE: %v", err)
	}
}

// TestChallengeLifetime: the AUTHENTICATE is accepted up to
// ChallengeLifetime after the CHALLENGE (default 30 minutes, as Samba) and
// refused after.
func TestChallengeLifetime(t *testing.T) {
	for _, tc := range []struct {
		lifetime, wait time.Duration
		want           error
	}{
		{0, 30 * time.Minute, nil},
		{0, 30*time.Minute + time.Second, ntlm.ErrChallengeExpired},
		{time.Minute, 61 * time.Second, ntlm.ErrChallengeExpired},
		{time.Hour, 59 * time.Minute, nil},
	} {
		cfg, clk := newConfig()
		cfg.ChallengeLifetime = tc.lifetime
		a := ntlm.NewAcceptor(cfg)
		msg := handshake(t, a, alice())
		clk.t = clk.t.Add(tc.wait)
		if _, err := a.Authenticate(msg); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("lifetime %v, after %v: err = %v, want %v", tc.lifetime, tc.wait, err, tc.want)
		}
	}
}

// TestNegotiateFailures: NEGOTIATE_MESSAGE bounds (MS-NLMP 2.2.1.1) and the
// refusal of OEM-only clients.
func TestNegotiateFailures(t *testing.T) {
	good := (&ntlmtest.Client{}).Negotiate()
	for _, tc := range []struct {
		name  string
		spoil func(m []byte) []byte
		want  error
	}{
		{"15 bytes", func(m []byte) []byte { return m[:15] }, ntlm.ErrMalformed},
		{"wrong type", func(m []byte) []byte { m[8] = 3; return m }, ntlm.ErrMalformed},
		{"OEM only", func(m []byte) []byte {
			binary.LittleEndian.PutUint32(m[12:], uint32(ntlm.NTLM_NEGOTIATE_OEM|ntlm.NTLMSSP_NEGOTIATE_NTLM))
			return m
		}, ntlm.ErrUnsupported},
		{"domain past the end", func(m []byte) []byte {
			binary.LittleEndian.PutUint16(m[16:], 4)
			binary.LittleEndian.PutUint32(m[20:], 38)
			return m
		}, ntlm.ErrMalformed},
		{"workstation inside the header", func(m []byte) []byte {
			binary.LittleEndian.PutUint16(m[24:], 4)
			binary.LittleEndian.PutUint32(m[28:], 4)
			return m
		}, ntlm.ErrMalformed},
		{"oversized", func(m []byte) []byte { return append(m, make([]byte, ntlm.MaxMessageSize)...) }, ntlm.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := newConfig()
			a := ntlm.NewAcceptor(cfg)
			if _, err := a.Challenge(tc.spoil(append([]byte(nil), good...))); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// The 16-byte form (signature, type, flags) is accepted, as Samba does.
	cfg, _ := newConfig()
	if _, err := ntlm.NewAcceptor(cfg).Challenge(good[:16]); err != nil {
		t.Errorf("16-byte NEGOTIATE: %v", err)
	}
}

// TestOrder: messages out of order are refused with ErrState.
func TestOrder(t *testing.T) {
	cfg, _ := newConfig()
	a := ntlm.NewAcceptor(cfg)
	if _, err := a.Authenticate(nil); !errors.Is(err, ntlm.ErrState) {
		t.Errorf("AUTHENTICATE first: %v", err)
	}
	c := alice()
	msg := handshake(t, a, c)
	if _, err := a.Challenge(c.NegotiateMsg); !errors.Is(err, ntlm.ErrState) {
		t.Errorf("second NEGOTIATE: %v", err)
	}
	if _, done, err := a.Accept(msg); err != nil || !done {
		t.Fatalf("Accept(AUTHENTICATE) = %v, %v", done, err)
	}
	if _, _, err := a.Accept(msg); !errors.Is(err, ntlm.ErrState) {
		t.Errorf("token after the end: %v", err)
	}
}

// TestTruncations: every prefix of a valid NEGOTIATE and AUTHENTICATE is
// refused with an *ntlm.Error, never a panic.
func TestTruncations(t *testing.T) {
	_, msg, _ := fresh(t, alice())
	for n := 0; n < len(msg); n++ {
		cfg, _ := newConfig()
		a := ntlm.NewAcceptor(cfg)
		c := alice()
		full := handshake(t, a, c)
		var e *ntlm.Error
		if _, err := a.Authenticate(full[:n]); !errors.As(err, &e) {
			t.Fatalf("AUTHENTICATE cut to %d bytes: %v", n, err)
		}
	}
	neg := (&ntlmtest.Client{}).Negotiate()
	for n := 0; n < 16; n++ {
		cfg, _ := newConfig()
		var e *ntlm.Error
		if _, err := ntlm.NewAcceptor(cfg).Challenge(neg[:n]); !errors.As(err, &e) {
			t.Fatalf("NEGOTIATE cut to %d bytes: %v", n, err)
		}
	}
}

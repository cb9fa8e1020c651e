package ntlm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/smb/internal/ntlm"
	"github.com/dittofs/dittofs/smb/internal/ntlm/ntlmtest"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time                                  { return c.t }
func (c *fakeClock) AfterFunc(d time.Duration, f func()) clock.Timer { return time.AfterFunc(d, f) }

var users = map[string][16]byte{
	"alice": ntlm.NTHash("correct horse"),
	"bob":   ntlm.NTHash(""),
}

func lookup(user, domain string) ([16]byte, bool) {
	h, ok := users[strings.ToLower(user)]
	return h, ok
}

func newConfig() (*ntlm.Config, *fakeClock) {
	clk := &fakeClock{time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	return &ntlm.Config{
		NetBIOSComputer: "FILER",
		NetBIOSDomain:   "WORKGROUP",
		DNSComputer:     "filer.example.org",
		DNSDomain:       "example.org",
		Lookup:          lookup,
		Clock:           clk,
	}, clk
}

// handshake runs NEGOTIATE and CHALLENGE and returns the client's
// AUTHENTICATE, for the test to send (or spoil) itself.
func handshake(t *testing.T, a *ntlm.Acceptor, c *ntlmtest.Client) []byte {
	t.Helper()
	chal, err := a.Challenge(c.Negotiate())
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	auth, err := c.Authenticate(chal)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return auth
}

func alice() *ntlmtest.Client {
	return &ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "correct horse", Workstation: "LAPTOP"}
}

// TestHandshake is a full exchange as Windows runs it: NTLMv2 with
// MsvAvTimestamp, the MIC and KEY_EXCH (MS-NLMP 3.1.5.2.1, 3.2.5.1.2), then
// the SPNEGO mechListMIC signatures in both directions (MS-NLMP 3.4.4.2).
func TestHandshake(t *testing.T) {
	cfg, _ := newConfig()
	a := ntlm.NewAcceptor(cfg)
	c := alice()
	r, err := a.Authenticate(handshake(t, a, c))
	if err != nil {
		t.Fatal(err)
	}
	if r.User != "alice" || r.Domain != "WORKGROUP" || r.Workstation != "LAPTOP" || r.Anonymous || !r.MIC {
		t.Errorf("result %+v", r)
	}
	if r.SessionKey != c.SessionKey {
		t.Errorf("session key %x, client has %x", r.SessionKey, c.SessionKey)
	}
	if !bytes.Equal(a.SessionKey(), c.SessionKey[:]) {
		t.Error("SessionKey() differs from Result.SessionKey")
	}
	want := ntlm.NTLMSSP_NEGOTIATE_UNICODE | ntlm.NTLMSSP_NEGOTIATE_SIGN | ntlm.NTLMSSP_NEGOTIATE_SEAL |
		ntlm.NTLMSSP_NEGOTIATE_NTLM | ntlm.NTLMSSP_NEGOTIATE_ALWAYS_SIGN | ntlm.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
		ntlm.NTLMSSP_NEGOTIATE_VERSION | ntlm.NTLMSSP_NEGOTIATE_128 | ntlm.NTLMSSP_NEGOTIATE_56 | ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH
	if r.Flags&want != want || r.Flags&ntlm.NTLMSSP_NEGOTIATE_LM_KEY != 0 {
		t.Errorf("flags %#x, want at least %#x and no LM_KEY", r.Flags, want)
	}
	if !a.Integrity() || !a.MICRequired() {
		t.Error("established session cannot sign or does not require the mechListMIC")
	}

	send, recv, err := c.Sealers()
	if err != nil {
		t.Fatal(err)
	}
	mechList := []byte("mechTypes DER")
	if err := a.VerifyMIC(mechList, send.Sign(mechList)); err != nil {
		t.Errorf("server rejects the client's MIC: %v", err)
	}
	mic, err := a.MIC(mechList)
	if err != nil {
		t.Fatal(err)
	}
	if err := recv.Verify(mechList, mic); err != nil {
		t.Errorf("client rejects the server's MIC: %v", err)
	}
	// A signature from the wrong direction does not verify.
	a2 := ntlm.NewAcceptor(cfg)
	c2 := alice()
	if _, err := a2.Authenticate(handshake(t, a2, c2)); err != nil {
		t.Fatal(err)
	}
	_, recv2, _ := c2.Sealers()
	if err := a2.VerifyMIC(mechList, recv2.Sign(mechList)); !errors.Is(err, ntlm.ErrBadSignature) {
		t.Errorf("server-to-client signature accepted as the client's: %v", err)
	}
}

// TestHandshakeVariants: without KEY_EXCH the ExportedSessionKey is the
// SessionBaseKey; without a MIC the exchange still succeeds; NTOWFv2 with
// the empty or upper-cased domain is accepted (as Samba's
// ntlm_password_check tries them); the empty password works.
func TestHandshakeVariants(t *testing.T) {
	empty, upper := "", "WORKGROUP"
	for _, tc := range []struct {
		name   string
		client ntlmtest.Client
		mic    bool
	}{
		{"no KEY_EXCH", ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "correct horse",
			Flags: ntlmtest.DefaultFlags &^ ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH}, true},
		{"no MIC", ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "correct horse", NoMIC: true}, false},
		{"key with empty domain", ntlmtest.Client{User: "alice", Domain: "WORKGROUP", Password: "correct horse", KeyDomain: &empty}, true},
		{"key with upper-cased domain", ntlmtest.Client{User: "alice", Domain: "workgroup", Password: "correct horse", KeyDomain: &upper}, true},
		{"key with domain as sent", ntlmtest.Client{User: "ALICE", Domain: "workgroup", Password: "correct horse"}, true},
		{"empty password", ntlmtest.Client{User: "bob", Domain: "", Password: ""}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := newConfig()
			a := ntlm.NewAcceptor(cfg)
			c := tc.client
			r, err := a.Authenticate(handshake(t, a, &c))
			if err != nil {
				t.Fatal(err)
			}
			if r.SessionKey != c.SessionKey || r.MIC != tc.mic {
				t.Errorf("key %x (client %x), MIC %v", r.SessionKey, c.SessionKey, r.MIC)
			}
		})
	}
}

// TestAnonymous: an empty user with empty responses (MS-NLMP 3.2.5.1.2) is
// reported as anonymous, with no session key and no signing.
func TestAnonymous(t *testing.T) {
	cfg, _ := newConfig()
	a := ntlm.NewAcceptor(cfg)
	r, err := a.Authenticate(handshake(t, a, &ntlmtest.Client{Anonymous: true}))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Anonymous || r.SessionKey != [16]byte{} || a.SessionKey() != nil || a.Integrity() || a.MICRequired() {
		t.Errorf("anonymous result %+v", r)
	}
	if r.Flags&(ntlm.NTLMSSP_NEGOTIATE_SIGN|ntlm.NTLMSSP_NEGOTIATE_SEAL) != 0 {
		t.Errorf("anonymous session keeps SIGN/SEAL: %#x", r.Flags)
	}
	if _, err := a.MIC(nil); !errors.Is(err, ntlm.ErrState) {
		t.Errorf("MIC on an anonymous session: %v", err)
	}
}

// TestChallengeMessage checks the CHALLENGE against MS-NLMP 2.2.1.2 and
// 3.2.5.1.1: flags chosen from the client's, TargetName, the AV_PAIRs from
// the Config, the timestamp from the clock, and the Version.
func TestChallengeMessage(t *testing.T) {
	cfg, clk := newConfig()
	for _, tc := range []struct {
		name    string
		client  ntlm.Flags
		want    ntlm.Flags
		notWant ntlm.Flags
	}{
		{"windows", ntlmtest.DefaultFlags | ntlm.NTLMSSP_NEGOTIATE_LM_KEY | ntlm.NTLMSSP_NEGOTIATE_DATAGRAM,
			ntlmtest.DefaultFlags&^ntlm.NTLM_NEGOTIATE_OEM | ntlm.NTLMSSP_NEGOTIATE_TARGET_INFO | ntlm.NTLMSSP_TARGET_TYPE_SERVER,
			ntlm.NTLM_NEGOTIATE_OEM | ntlm.NTLMSSP_NEGOTIATE_LM_KEY | ntlm.NTLMSSP_NEGOTIATE_DATAGRAM},
		{"minimal", ntlm.NTLMSSP_NEGOTIATE_UNICODE,
			ntlm.NTLMSSP_NEGOTIATE_UNICODE | ntlm.NTLMSSP_NEGOTIATE_NTLM | ntlm.NTLMSSP_NEGOTIATE_TARGET_INFO,
			ntlm.NTLMSSP_REQUEST_TARGET | ntlm.NTLMSSP_TARGET_TYPE_SERVER | ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH |
				ntlm.NTLMSSP_NEGOTIATE_SIGN | ntlm.NTLMSSP_NEGOTIATE_VERSION | ntlm.NTLMSSP_NEGOTIATE_128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ntlm.NewAcceptor(cfg)
			chal, err := a.Challenge((&ntlmtest.Client{Flags: tc.client}).Negotiate())
			if err != nil {
				t.Fatal(err)
			}
			flags := ntlm.Flags(binary.LittleEndian.Uint32(chal[20:]))
			if flags&tc.want != tc.want || flags&tc.notWant != 0 {
				t.Errorf("flags %#x, want %#x set and %#x clear", flags, tc.want, tc.notWant)
			}
			tnLen, tnOff := binary.LittleEndian.Uint16(chal[12:]), binary.LittleEndian.Uint32(chal[16:])
			tn := string(chal[tnOff : tnOff+uint32(tnLen)])
			if flags&ntlm.NTLMSSP_REQUEST_TARGET != 0 && tn != "F\x00I\x00L\x00E\x00R\x00" || flags&ntlm.NTLMSSP_REQUEST_TARGET == 0 && tn != "" {
				t.Errorf("TargetName %q", tn)
			}
			version := chal[48:56]
			if flags&ntlm.NTLMSSP_NEGOTIATE_VERSION != 0 && !bytes.Equal(version, []byte{6, 1, 0xb0, 0x1d, 0, 0, 0, 15}) ||
				flags&ntlm.NTLMSSP_NEGOTIATE_VERSION == 0 && !bytes.Equal(version, make([]byte, 8)) {
				t.Errorf("Version %x", version)
			}
			tiLen, tiOff := binary.LittleEndian.Uint16(chal[40:]), binary.LittleEndian.Uint32(chal[44:])
			ti := chal[tiOff : tiOff+uint32(tiLen)]
			got := map[uint16]string{}
			var order []uint16
			for len(ti) >= 4 {
				id, n := binary.LittleEndian.Uint16(ti), binary.LittleEndian.Uint16(ti[2:])
				got[id] = string(ti[4 : 4+n])
				order = append(order, id)
				ti = ti[4+n:]
			}
			u := func(s string) string {
				var b []byte
				for _, r := range s {
					b = append(b, byte(r), 0)
				}
				return string(b)
			}
			ts := make([]byte, 8)
			binary.LittleEndian.PutUint64(ts, uint64(clk.t.UnixNano()/100+116444736000000000))
			want := map[uint16]string{2: u("WORKGROUP"), 1: u("FILER"), 4: u("example.org"), 3: u("filer.example.org"), 7: string(ts), 0: ""}
			if len(got) != len(want) || order[len(order)-1] != 0 {
				t.Errorf("AV_PAIR ids %v", order)
			}
			for id, v := range want {
				if got[id] != v {
					t.Errorf("AV_PAIR %d = %x, want %x", id, got[id], v)
				}
			}
		})
	}
	// Two challenges differ (8 random bytes each).
	c1, _ := ntlm.NewAcceptor(cfg).Challenge((&ntlmtest.Client{}).Negotiate())
	c2, _ := ntlm.NewAcceptor(cfg).Challenge((&ntlmtest.Client{}).Negotiate())
	if bytes.Equal(c1[24:32], c2[24:32]) {
		t.Error("two server challenges are equal")
	}
}

// TestDefaults: the zero Config names the server DITTOFS.
func TestDefaults(t *testing.T) {
	chal, err := ntlm.NewAcceptor(&ntlm.Config{}).Challenge((&ntlmtest.Client{}).Negotiate())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(chal, []byte("D\x00I\x00T\x00T\x00O\x00F\x00S\x00")) || !bytes.Contains(chal, []byte("d\x00i\x00t\x00t\x00o\x00f\x00s\x00")) {
		t.Errorf("default names missing from %x", chal)
	}
}

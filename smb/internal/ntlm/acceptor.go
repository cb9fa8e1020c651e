package ntlm

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
)

// Config is what an Acceptor needs from the server. One Config serves every
// session; the zero value works (every user is unknown until Lookup is set).
type Config struct {
	// NetBIOSComputer is MsvAvNbComputerName and the TargetName; default
	// "DITTOFS". NetBIOSDomain is MsvAvNbDomainName; default
	// NetBIOSComputer (a standalone server is its own domain, as in Samba).
	NetBIOSComputer, NetBIOSDomain string
	// DNSComputer and DNSDomain are MsvAvDnsComputerName and
	// MsvAvDnsDomainName; DNSComputer defaults to NetBIOSComputer in lower
	// case, DNSDomain to empty.
	DNSComputer, DNSDomain string
	// Version is sent when the client asks for it; zero means DefaultVersion.
	Version Version

	// Lookup returns the NT hash (NTHash) of user's password. It is called
	// with the user and domain names as the client sent them; ok false
	// means no such user.
	Lookup func(user, domain string) (ntHash [16]byte, ok bool)

	// ChallengeLifetime is how long after the CHALLENGE_MESSAGE the
	// AUTHENTICATE_MESSAGE is accepted; default 30 minutes. Like Samba, the
	// server measures its own time and does not trust the client's
	// timestamp: the client must echo the server's MsvAvTimestamp unchanged.
	ChallengeLifetime time.Duration
	// Clock is the time source; nil is the system clock.
	Clock clock.Clock
	// Rand is the source of server challenges; nil is crypto/rand.
	Rand io.Reader
}

// DefaultChallengeLifetime is Samba's hard limit between the CHALLENGE and
// the AUTHENTICATE (auth/ntlmssp/ntlmssp_server.c: "We use a hard timeout
// of 30 Minutes").
const DefaultChallengeLifetime = 30 * time.Minute

func (c *Config) names() (nbComputer, nbDomain, dnsComputer, dnsDomain string) {
	nbComputer = c.NetBIOSComputer
	if nbComputer == "" {
		nbComputer = "DITTOFS"
	}
	nbDomain = c.NetBIOSDomain
	if nbDomain == "" {
		nbDomain = nbComputer
	}
	dnsComputer = c.DNSComputer
	if dnsComputer == "" {
		dnsComputer = strings.ToLower(nbComputer)
	}
	return nbComputer, nbDomain, dnsComputer, c.DNSDomain
}

// Result is an established NTLMv2 authentication.
type Result struct {
	User, Domain, Workstation string // as the client sent them
	// Anonymous is an anonymous logon (MS-NLMP 3.2.5.1.2: empty user, empty
	// NtChallengeResponse, empty or Z(1) LmChallengeResponse). It carries
	// no session key and cannot sign; the caller refuses it or maps it to
	// guest.
	Anonymous bool
	// SessionKey is the ExportedSessionKey (the RandomSessionKey under
	// NTLMSSP_NEGOTIATE_KEY_EXCH, else the SessionBaseKey), from which SMB
	// derives its signing and encryption keys. Zero when Anonymous.
	SessionKey [16]byte
	// Flags are the negotiated flags: the CHALLENGE's and the
	// AUTHENTICATE's in common.
	Flags Flags
	// MIC reports that the AUTHENTICATE_MESSAGE carried a MIC, which was
	// verified. SPNEGO then requires the mechListMIC exchange (MS-SPNG
	// 3.3.5.1, Samba's "new_spnego").
	MIC bool
}

// Acceptor is the server side of one NTLMSSP exchange: NEGOTIATE in,
// CHALLENGE out, AUTHENTICATE in. It is used for one authentication and
// is not safe for concurrent use.
type Acceptor struct {
	cfg   *Config
	state int

	negotiate, challenge []byte // the messages, for the MIC
	serverChallenge      [8]byte
	flags                Flags    // as sent in the CHALLENGE
	avPairs              []avPair // as sent in TargetInfo, without MsvAvEOL
	issued               time.Time

	result         *Result
	client, server *Sealer // mechListMIC: client-to-server and server-to-client
}

const (
	stateNew = iota
	stateChallenged
	stateDone
	stateFailed
)

// NewAcceptor returns an Acceptor using cfg, which must not change while
// the Acceptor is in use.
func NewAcceptor(cfg *Config) *Acceptor {
	return &Acceptor{cfg: cfg}
}

// Challenge parses the client's NEGOTIATE_MESSAGE and returns the
// CHALLENGE_MESSAGE (MS-NLMP 3.2.5.1.1).
func (a *Acceptor) Challenge(negotiate []byte) ([]byte, error) {
	if a.state != stateNew {
		return nil, errorf(CodeState, "NEGOTIATE after the CHALLENGE")
	}
	a.state = stateFailed
	neg, err := parseNegotiate(negotiate)
	if err != nil {
		return nil, err
	}
	if neg.flags&NTLMSSP_NEGOTIATE_UNICODE == 0 {
		return nil, errorf(CodeUnsupported, "client does not offer NTLMSSP_NEGOTIATE_UNICODE (OEM strings are refused)")
	}
	r := a.cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, a.serverChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlm: server challenge: %w", err)
	}
	now := clock.Or(a.cfg.Clock).Now()

	// The flags: what the client asked for among those we support, plus
	// NTLM, UNICODE and TargetInfo (NTLMv2 needs it). LM_KEY is never
	// granted; DATAGRAM and IDENTIFY are not supported.
	const echoed = NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
		NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_VERSION |
		NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56 | NTLMSSP_NEGOTIATE_KEY_EXCH
	flags := neg.flags&echoed | NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_TARGET_INFO
	nbComputer, nbDomain, dnsComputer, dnsDomain := a.cfg.names()
	var targetName []byte
	if neg.flags&NTLMSSP_REQUEST_TARGET != 0 {
		flags |= NTLMSSP_REQUEST_TARGET | NTLMSSP_TARGET_TYPE_SERVER
		targetName = utf16le(nbComputer)
	}
	var ts [8]byte
	binary.LittleEndian.PutUint64(ts[:], fileTime(now))
	pairs := []avPair{
		{MsvAvNbDomainName, utf16le(nbDomain)},
		{MsvAvNbComputerName, utf16le(nbComputer)},
		{MsvAvDnsDomainName, utf16le(dnsDomain)},
		{MsvAvDnsComputerName, utf16le(dnsComputer)},
		{MsvAvTimestamp, ts[:]},
	}
	v := a.cfg.Version
	if v == (Version{}) {
		v = DefaultVersion
	}
	a.challenge = encodeChallenge(flags, a.serverChallenge, targetName, encodeAVPairs(pairs), v)
	a.negotiate = append([]byte(nil), negotiate...)
	a.flags, a.avPairs, a.issued = flags, pairs, now
	a.state = stateChallenged
	return append([]byte(nil), a.challenge...), nil // a.challenge must stay intact for the MIC
}

// fileTime is t as a FILETIME: 100 ns intervals since 1601-01-01 UTC.
func fileTime(t time.Time) uint64 {
	const epochDelta = 116444736000000000 // 1601 to 1970 in 100 ns
	return uint64(t.UnixNano()/100 + epochDelta)
}

// Authenticate verifies the client's AUTHENTICATE_MESSAGE (MS-NLMP
// 3.2.5.1.2, 3.3.2). Only NTLMv2 responses are accepted.
func (a *Acceptor) Authenticate(msg []byte) (*Result, error) {
	if a.state != stateChallenged {
		return nil, errorf(CodeState, "AUTHENTICATE without a CHALLENGE")
	}
	a.state = stateFailed
	r, err := a.verify(msg)
	if err != nil {
		return nil, err
	}
	if !r.Anonymous && r.Flags&NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY != 0 {
		a.client, _ = NewSealer(r.SessionKey, r.Flags, ClientToServer)
		a.server, _ = NewSealer(r.SessionKey, r.Flags, ServerToClient)
	}
	a.result = r
	a.state = stateDone
	return r, nil
}

func (a *Acceptor) verify(msg []byte) (*Result, error) {
	if now := clock.Or(a.cfg.Clock).Now(); now.Sub(a.issued) > a.lifetime() {
		return nil, errorf(CodeChallengeExpired, fmt.Sprintf("challenge issued %v ago", now.Sub(a.issued).Round(time.Second)))
	}
	m, err := parseAuthenticate(msg)
	if err != nil {
		return nil, err
	}
	r := &Result{Flags: a.flags & m.flags}
	if r.User, err = fromUTF16LE(m.user, "UserName"); err != nil {
		return nil, err
	}
	if r.Domain, err = fromUTF16LE(m.domain, "DomainName"); err != nil {
		return nil, err
	}
	if r.Workstation, err = fromUTF16LE(m.workstation, "Workstation"); err != nil {
		return nil, err
	}

	// Anonymous (MS-NLMP 3.2.5.1.2). Like Samba, an anonymous session
	// neither signs nor seals and its MIC is not checked.
	if r.User == "" && len(m.nt) == 0 && (len(m.lm) == 0 || len(m.lm) == 1 && m.lm[0] == 0) {
		r.Anonymous = true
		r.Flags &^= NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_KEY_EXCH
		return r, nil
	}
	switch n := len(m.nt); {
	case n == 24 || n == 0 && len(m.lm) == 24:
		return nil, errorf(CodeNTLMv1, fmt.Sprintf("user %q sent an NTLMv1 or LM response", r.User))
	case n == 0:
		return nil, errorf(CodeMalformed, "no NtChallengeResponse")
	case n < 16+28+4:
		return nil, errorf(CodeMalformed, fmt.Sprintf("NtChallengeResponse of %d bytes", n))
	}

	// NTLMv2_RESPONSE (MS-NLMP 2.2.2.8): NTProofStr, then temp, the
	// NTLMv2_CLIENT_CHALLENGE: RespType, HiRespType, Reserved1 (2),
	// Reserved2 (4), TimeStamp (8), ChallengeFromClient (8), Reserved3 (4),
	// AvPairs.
	proof, temp := m.nt[:16], m.nt[16:]
	if temp[0] != 1 || temp[1] != 1 {
		return nil, errorf(CodeMalformed, fmt.Sprintf("NTLMv2_CLIENT_CHALLENGE RespType %d HiRespType %d", temp[0], temp[1]))
	}
	pairs, err := parseAVPairs(temp[28:])
	if err != nil {
		return nil, err
	}
	// Every AV_PAIR of the CHALLENGE must come back unchanged (Samba
	// ntlmssp_server_preauth): a man in the middle who edited TargetInfo,
	// e.g. to drop MsvAvTimestamp and with it the MIC, is caught here,
	// since TargetInfo reaches the client unprotected but temp is covered
	// by NTProofStr.
	for _, sp := range a.avPairs {
		cv, ok := findAV(pairs, sp.id)
		if !ok {
			return nil, errorf(CodeTargetInfoMismatch, fmt.Sprintf("AV_PAIR %d missing", sp.id))
		}
		if !hmac.Equal(cv, sp.value) {
			return nil, errorf(CodeTargetInfoMismatch, fmt.Sprintf("AV_PAIR %d changed", sp.id))
		}
	}
	var avFlags uint32
	if v, ok := findAV(pairs, MsvAvFlags); ok && len(v) == 4 {
		avFlags = binary.LittleEndian.Uint32(v)
	}
	r.MIC = avFlags&msvAvFlagMICPresent != 0
	if r.MIC && (len(msg) < micEnd || m.payloadStart < micEnd) {
		return nil, errorf(CodeMalformed, "MsvAvFlags announces a MIC but the message has no room for it")
	}

	var ntHash [16]byte
	known := false
	if a.cfg.Lookup != nil {
		ntHash, known = a.cfg.Lookup(r.User, r.Domain)
	}
	// Like Samba's ntlm_password_check: the domain as sent, upper-cased,
	// then empty (clients differ in which they use for NTOWFv2). An
	// unknown user costs the same HMACs as a wrong password.
	var key [16]byte
	matched := false
	for i, dom := range []string{r.Domain, strings.ToUpper(r.Domain), ""} {
		if i == 1 && dom == r.Domain || i == 2 && r.Domain == "" {
			continue
		}
		k := NTOWFv2(ntHash, r.User, dom)
		p := ntProofStr(k, a.serverChallenge, temp)
		if hmac.Equal(p[:], proof) && !matched {
			key, matched = k, true
		}
	}
	if !known {
		return nil, errorf(CodeUnknownUser, fmt.Sprintf("%q domain %q", r.User, r.Domain))
	}
	if !matched {
		return nil, errorf(CodeWrongPassword, fmt.Sprintf("user %q domain %q", r.User, r.Domain))
	}

	// MS-NLMP 3.3.2 and 3.4.5.1: SessionBaseKey = HMAC_MD5(ResponseKeyNT,
	// NTProofStr); with NTLMv2 KeyExchangeKey = SessionBaseKey; under
	// KEY_EXCH the ExportedSessionKey is RC4(KeyExchangeKey,
	// EncryptedRandomSessionKey).
	sessionBaseKey := hmacMD5(key[:], proof)
	r.SessionKey = sessionBaseKey
	if r.Flags&NTLMSSP_NEGOTIATE_KEY_EXCH != 0 {
		if len(m.encKey) != 16 {
			return nil, errorf(CodeMalformed, "NTLMSSP_NEGOTIATE_KEY_EXCH without an EncryptedRandomSessionKey")
		}
		copy(r.SessionKey[:], rc4Apply(sessionBaseKey, m.encKey))
	}

	// The MIC (MS-NLMP 3.2.5.1.2): HMAC_MD5(ExportedSessionKey,
	// NEGOTIATE || CHALLENGE || AUTHENTICATE with the MIC zeroed).
	if r.MIC {
		var zero [16]byte
		want := hmacMD5(r.SessionKey[:], a.negotiate, a.challenge, msg[:micOffset], zero[:], msg[micEnd:])
		if !hmac.Equal(want[:], msg[micOffset:micEnd]) {
			return nil, errorf(CodeBadMIC, fmt.Sprintf("user %q", r.User))
		}
	}
	return r, nil
}

func (a *Acceptor) lifetime() time.Duration {
	if a.cfg.ChallengeLifetime > 0 {
		return a.cfg.ChallengeLifetime
	}
	return DefaultChallengeLifetime
}

// Accept runs the exchange one token at a time, as SPNEGO drives a
// mechanism: the NEGOTIATE returns the CHALLENGE, the AUTHENTICATE returns
// done. It implements spnego.Acceptor.
func (a *Acceptor) Accept(in []byte) (out []byte, done bool, err error) {
	switch a.state {
	case stateNew:
		out, err = a.Challenge(in)
		return out, false, err
	case stateChallenged:
		_, err = a.Authenticate(in)
		return nil, err == nil, err
	default:
		return nil, false, errorf(CodeState, "token after the exchange ended")
	}
}

// Result returns the authentication once Authenticate has succeeded, else nil.
func (a *Acceptor) Result() *Result { return a.result }

// Integrity reports whether the established session can sign: not
// anonymous, with NTLMSSP_NEGOTIATE_SIGN and extended session security.
func (a *Acceptor) Integrity() bool {
	return a.client != nil && a.result.Flags&NTLMSSP_NEGOTIATE_SIGN != 0
}

// MICRequired reports whether SPNEGO must exchange mechListMICs: the
// AUTHENTICATE_MESSAGE carried a MIC.
func (a *Acceptor) MICRequired() bool { return a.result != nil && a.result.MIC }

// VerifyMIC checks the client's signature of msg, the next in the
// client-to-server direction (the SPNEGO mechListMIC, sequence number 0).
func (a *Acceptor) VerifyMIC(msg, mic []byte) error {
	if !a.Integrity() {
		return errorf(CodeState, "no signing key")
	}
	return a.client.Verify(msg, mic)
}

// MIC signs msg in the server-to-client direction.
func (a *Acceptor) MIC(msg []byte) ([]byte, error) {
	if !a.Integrity() {
		return nil, errorf(CodeState, "no signing key")
	}
	return a.server.Sign(msg), nil
}

// SessionKey returns the ExportedSessionKey, or nil before success and for
// an anonymous logon.
func (a *Acceptor) SessionKey() []byte {
	if a.result == nil || a.result.Anonymous {
		return nil
	}
	return append([]byte(nil), a.result.SessionKey[:]...)
}

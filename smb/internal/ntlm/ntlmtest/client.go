// Package ntlmtest is an NTLMv2 initiator (client) written from MS-NLMP
// for tests of the server: it builds the NEGOTIATE and AUTHENTICATE
// messages, the MIC and the KEY_EXCH session key as Windows does, with
// knobs to send what a broken or hostile client would.
package ntlmtest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"io"
	"unicode/utf16"

	"github.com/dittofs/dittofs/smb/internal/ntlm"
)

// DefaultFlags are the flags Windows 10 sends in its NEGOTIATE_MESSAGE.
const DefaultFlags = ntlm.NTLMSSP_NEGOTIATE_UNICODE | ntlm.NTLM_NEGOTIATE_OEM | ntlm.NTLMSSP_REQUEST_TARGET |
	ntlm.NTLMSSP_NEGOTIATE_SIGN | ntlm.NTLMSSP_NEGOTIATE_SEAL | ntlm.NTLMSSP_NEGOTIATE_NTLM |
	ntlm.NTLMSSP_NEGOTIATE_ALWAYS_SIGN | ntlm.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
	ntlm.NTLMSSP_NEGOTIATE_VERSION | ntlm.NTLMSSP_NEGOTIATE_128 | ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH |
	ntlm.NTLMSSP_NEGOTIATE_56

// Client is one NTLMSSP initiator exchange.
type Client struct {
	User, Domain, Password, Workstation string
	Flags                               ntlm.Flags // 0 means DefaultFlags
	Anonymous                           bool       // send an anonymous AUTHENTICATE
	NoMIC                               bool       // omit MsvAvFlags and the MIC
	NTLMv1                              bool       // send a 24-byte NtChallengeResponse
	KeyDomain                           *string    // the domain for NTOWFv2 if not Domain
	Rand                                io.Reader  // nil: crypto/rand

	NegotiateMsg, ChallengeMsg, AuthenticateMsg []byte
	Negotiated                                  ntlm.Flags
	SessionKey                                  [16]byte // the ExportedSessionKey
}

// Negotiate returns the NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1): no domain or
// workstation, a Version.
func (c *Client) Negotiate() []byte {
	f := c.Flags
	if f == 0 {
		f = DefaultFlags
	}
	b := make([]byte, 40)
	copy(b, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(b[8:], 1)
	binary.LittleEndian.PutUint32(b[12:], uint32(f))
	binary.LittleEndian.PutUint32(b[20:], 40)
	binary.LittleEndian.PutUint32(b[28:], 40)
	copy(b[32:], []byte{10, 0, 0x61, 0x4a, 0, 0, 0, 15}) // 10.0.19041
	c.NegotiateMsg = b
	return b
}

func u16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return b
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// Authenticate parses the CHALLENGE_MESSAGE and returns the
// AUTHENTICATE_MESSAGE (MS-NLMP 3.1.5.2.1, 3.3.2).
func (c *Client) Authenticate(challenge []byte) ([]byte, error) {
	c.ChallengeMsg = challenge
	if len(challenge) < 56 || string(challenge[:8]) != "NTLMSSP\x00" || binary.LittleEndian.Uint32(challenge[8:]) != 2 {
		return nil, errors.New("ntlmtest: not a CHALLENGE_MESSAGE")
	}
	flags := ntlm.Flags(binary.LittleEndian.Uint32(challenge[20:]))
	if c.Flags != 0 {
		flags &= c.Flags
	}
	c.Negotiated = flags
	serverChallenge := challenge[24:32]
	tiLen := int(binary.LittleEndian.Uint16(challenge[40:]))
	tiOff := int(binary.LittleEndian.Uint32(challenge[44:]))
	if tiOff+tiLen > len(challenge) {
		return nil, errors.New("ntlmtest: TargetInfo past the end")
	}
	ti := challenge[tiOff : tiOff+tiLen]

	// Copy the AV_PAIRs up to MsvAvEOL, note MsvAvTimestamp, and add
	// MsvAvFlags (MIC present) when the server sent a timestamp.
	var pairs []byte
	var timestamp []byte
	for len(ti) >= 4 {
		id, n := binary.LittleEndian.Uint16(ti), int(binary.LittleEndian.Uint16(ti[2:]))
		if id == 0 || 4+n > len(ti) {
			break
		}
		if id == 7 && n == 8 {
			timestamp = ti[4:12]
		}
		pairs = append(pairs, ti[:4+n]...)
		ti = ti[4+n:]
	}
	mic := timestamp != nil && !c.NoMIC && !c.Anonymous
	if mic {
		pairs = append(pairs, 6, 0, 4, 0, 2, 0, 0, 0)
	}
	pairs = append(pairs, 0, 0, 0, 0)
	if timestamp == nil {
		timestamp = make([]byte, 8)
	}

	r := c.Rand
	if r == nil {
		r = rand.Reader
	}
	var clientChallenge [8]byte
	var randomKey [16]byte
	if _, err := io.ReadFull(r, clientChallenge[:]); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, randomKey[:]); err != nil {
		return nil, err
	}

	var lm, nt, encKey []byte
	user, domain := c.User, c.Domain
	switch {
	case c.Anonymous:
		user, domain = "", ""
		lm = []byte{0}
	default:
		keyDomain := c.Domain
		if c.KeyDomain != nil {
			keyDomain = *c.KeyDomain
		}
		key := ntlm.NTOWFv2(ntlm.NTHash(c.Password), c.User, keyDomain)
		// temp = RespType, HiRespType, Z(6), Time, ClientChallenge, Z(4), ServerName, Z(4)
		temp := []byte{1, 1, 0, 0, 0, 0, 0, 0}
		temp = append(temp, timestamp...)
		temp = append(temp, clientChallenge[:]...)
		temp = append(temp, 0, 0, 0, 0)
		temp = append(temp, pairs...)
		temp = append(temp, 0, 0, 0, 0)
		proof := hmacMD5(key[:], serverChallenge, temp)
		nt = append(proof, temp...)
		if c.NTLMv1 {
			nt = hmacMD5(key[:], serverChallenge)
			nt = append(nt, nt[:8]...)
		}
		lm = make([]byte, 24) // Z(24) when MsvAvTimestamp is present
		baseKey := hmacMD5(key[:], proof)
		copy(c.SessionKey[:], baseKey)
		if flags&ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH != 0 {
			rc, _ := rc4.NewCipher(baseKey)
			encKey = make([]byte, 16)
			rc.XORKeyStream(encKey, randomKey[:])
			c.SessionKey = randomKey
		}
	}

	fields := [][]byte{lm, nt, u16(domain), u16(user), u16(c.Workstation), encKey}
	const header = 88
	msg := make([]byte, header)
	copy(msg, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(msg[8:], 3)
	for i, f := range fields {
		at := 12 + 8*i
		binary.LittleEndian.PutUint16(msg[at:], uint16(len(f)))
		binary.LittleEndian.PutUint16(msg[at+2:], uint16(len(f)))
		binary.LittleEndian.PutUint32(msg[at+4:], uint32(len(msg)))
		msg = append(msg, f...)
	}
	binary.LittleEndian.PutUint32(msg[60:], uint32(flags))
	copy(msg[64:], []byte{10, 0, 0x61, 0x4a, 0, 0, 0, 15})
	if mic {
		copy(msg[72:88], hmacMD5(c.SessionKey[:], c.NegotiateMsg, challenge, msg))
	}
	c.AuthenticateMsg = msg
	return msg, nil
}

// Sealers return the client's Sealers: the one it signs with
// (client-to-server) and the one it verifies the server with.
func (c *Client) Sealers() (send, recv *ntlm.Sealer, err error) {
	if send, err = ntlm.NewSealer(c.SessionKey, c.Negotiated, ntlm.ClientToServer); err != nil {
		return nil, nil, err
	}
	recv, err = ntlm.NewSealer(c.SessionKey, c.Negotiated, ntlm.ServerToClient)
	return send, recv, err
}

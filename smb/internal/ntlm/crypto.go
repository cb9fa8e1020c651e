package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"strings"
)

// NTHash returns the NT hash of a password, MD4 of its UTF-16LE form
// (MS-NLMP 3.3.1, NTOWFv1). It is what a user table stores.
func NTHash(password string) [16]byte {
	return md4(utf16le(password))
}

func hmacMD5(key []byte, parts ...[]byte) [16]byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	var sum [16]byte
	h.Sum(sum[:0])
	return sum
}

// NTOWFv2 is the NTLMv2 response key (MS-NLMP 3.3.2):
// HMAC_MD5(NT hash, UNICODE(ConcatenationOf(Uppercase(User), UserDom))).
func NTOWFv2(ntHash [16]byte, user, domain string) [16]byte {
	return hmacMD5(ntHash[:], utf16le(strings.ToUpper(user)+domain))
}

// ntProofStr is HMAC_MD5(ResponseKeyNT, ConcatenationOf(ServerChallenge,
// temp)) (MS-NLMP 3.3.2).
func ntProofStr(key [16]byte, serverChallenge [8]byte, temp []byte) [16]byte {
	return hmacMD5(key[:], serverChallenge[:], temp)
}

// rc4Apply returns RC4(key, data) with a fresh key schedule.
func rc4Apply(key [16]byte, data []byte) []byte {
	c, _ := rc4.NewCipher(key[:]) // a 16-byte key never fails
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// Direction says which side sends the messages a Sealer protects.
type Direction int

const (
	ClientToServer Direction = iota
	ServerToClient
)

var (
	signMagic = [2]string{
		"session key to client-to-server signing key magic constant\x00",
		"session key to server-to-client signing key magic constant\x00",
	}
	sealMagic = [2]string{
		"session key to client-to-server sealing key magic constant\x00",
		"session key to server-to-client sealing key magic constant\x00",
	}
)

// SignKey is SIGNKEY with extended session security (MS-NLMP 3.4.5.2).
func SignKey(sessionKey [16]byte, d Direction) [16]byte {
	return md5.Sum(append(sessionKey[:], signMagic[d]...))
}

// SealKey is SEALKEY with extended session security (MS-NLMP 3.4.5.3): the
// whole key with NTLMSSP_NEGOTIATE_128, 7 bytes of it with
// NTLMSSP_NEGOTIATE_56, 5 bytes otherwise.
func SealKey(sessionKey [16]byte, flags Flags, d Direction) [16]byte {
	k := sessionKey[:5]
	switch {
	case flags&NTLMSSP_NEGOTIATE_128 != 0:
		k = sessionKey[:]
	case flags&NTLMSSP_NEGOTIATE_56 != 0:
		k = sessionKey[:7]
	}
	return md5.Sum(append(k[:len(k):len(k)], sealMagic[d]...))
}

// SignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE.
const SignatureSize = 16

// A Sealer signs, seals, verifies and unseals the messages of one direction
// with extended session security (MS-NLMP 3.4.3, 3.4.4.2). It keeps the
// RC4 handle and the sequence number, which start at 0; the side sending
// in its direction calls Sign or Seal, the receiving side Verify or Unseal.
// Within SPNEGO only the first signature of each direction is used, for the
// mechListMIC. A Sealer is not safe for concurrent use.
type Sealer struct {
	signKey [16]byte
	rc4     *rc4.Cipher
	seq     uint32
	keyExch bool
}

// NewSealer returns the Sealer of direction d for an established session.
// Signing without extended session security (MS-NLMP 3.4.4.1, the NTLMv1
// CRC32 scheme) is refused with ErrUnsupported.
func NewSealer(sessionKey [16]byte, flags Flags, d Direction) (*Sealer, error) {
	if flags&NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY == 0 {
		return nil, errorf(CodeUnsupported, "signing without extended session security")
	}
	sk := SealKey(sessionKey, flags, d)
	c, _ := rc4.NewCipher(sk[:]) // a 16-byte key never fails
	return &Sealer{
		signKey: SignKey(sessionKey, d),
		rc4:     c,
		keyExch: flags&NTLMSSP_NEGOTIATE_KEY_EXCH != 0,
	}, nil
}

// mac is MAC() of MS-NLMP 3.4.4.2: Version 1, the first 8 bytes of
// HMAC_MD5(SigningKey, SeqNum || Message), RC4-encrypted with the sealing
// handle under NTLMSSP_NEGOTIATE_KEY_EXCH, then SeqNum.
func (s *Sealer) mac(msg []byte) [SignatureSize]byte {
	var seq [4]byte
	binary.LittleEndian.PutUint32(seq[:], s.seq)
	sum := hmacMD5(s.signKey[:], seq[:], msg)
	var sig [SignatureSize]byte
	sig[0] = 1
	copy(sig[4:12], sum[:8])
	if s.keyExch {
		s.rc4.XORKeyStream(sig[4:12], sig[4:12])
	}
	copy(sig[12:], seq[:])
	s.seq++
	return sig
}

// Sign returns the signature of msg (GSS_GetMIC).
func (s *Sealer) Sign(msg []byte) []byte {
	sig := s.mac(msg)
	return sig[:]
}

// Verify checks the signature of msg (GSS_VerifyMIC), including its
// sequence number.
func (s *Sealer) Verify(msg, sig []byte) error {
	want := s.mac(msg)
	if len(sig) != SignatureSize || subtle.ConstantTimeCompare(want[:], sig) != 1 {
		return errorf(CodeBadSignature, "")
	}
	return nil
}

// Seal encrypts msg and signs the plaintext (GSS_WrapEx, MS-NLMP 3.4.3).
func (s *Sealer) Seal(msg []byte) (sealed, sig []byte) {
	sealed = make([]byte, len(msg))
	s.rc4.XORKeyStream(sealed, msg)
	return sealed, s.Sign(msg)
}

// Unseal decrypts sealed and verifies the signature of the plaintext
// (GSS_UnwrapEx).
func (s *Sealer) Unseal(sealed, sig []byte) ([]byte, error) {
	msg := make([]byte, len(sealed))
	s.rc4.XORKeyStream(msg, sealed)
	if err := s.Verify(msg, sig); err != nil {
		return nil, err
	}
	return msg, nil
}

package smbcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// SigningAlgorithm is a signing algorithm id of SMB2_SIGNING_CAPABILITIES
// (MS-SMB2 2.2.3.1.7).
type SigningAlgorithm uint16

// The signing algorithms of MS-SMB2 2.2.3.1.7.
const (
	SigningHMACSHA256 SigningAlgorithm = 0x0000
	SigningAESCMAC    SigningAlgorithm = 0x0001
	SigningAESGMAC    SigningAlgorithm = 0x0002
)

func (a SigningAlgorithm) String() string {
	switch a {
	case SigningHMACSHA256:
		return "HMAC-SHA256"
	case SigningAESCMAC:
		return "AES-128-CMAC"
	case SigningAESGMAC:
		return "AES-128-GMAC"
	}
	return fmt.Sprintf("signing(%#04x)", uint16(a))
}

// DefaultSigningAlgorithm is the algorithm of a dialect when no
// SMB2_SIGNING_CAPABILITIES context chose one (MS-SMB2 3.1.4.1):
// HMAC-SHA256 for 2.0.2 and 2.1, AES-128-CMAC for 3.x.
func DefaultSigningAlgorithm(d Dialect) SigningAlgorithm {
	if d.Is3x() {
		return SigningAESCMAC
	}
	return SigningHMACSHA256
}

// The SMB2 header (MS-SMB2 2.2.1) fields the signer reads or writes.
const (
	hdrSize          = 64
	hdrCommand       = 12
	hdrStatus        = 8
	hdrFlags         = 16
	hdrMessageID     = 24
	hdrSignature     = 48
	flagServerToRedi = 0x00000001 // SMB2_FLAGS_SERVER_TO_REDIR: a response
	flagAsync        = 0x00000002 // SMB2_FLAGS_ASYNC_COMMAND
	flagSigned       = 0x00000008 // SMB2_FLAGS_SIGNED
	commandCancel    = 0x000C
	statusPending    = 0x00000103 // STATUS_PENDING
)

// Errors of Signer.
var (
	ErrShortMessage = errors.New("smbcrypto: message shorter than an SMB2 header")
	ErrNotSMB2      = errors.New("smbcrypto: not an SMB2 message (ProtocolId is not 0xFE 'SMB')")
	ErrBadSignature = errors.New("smbcrypto: bad signature")
	// ErrSignInterim: an interim response (STATUS_PENDING) is never signed
	// (MS-SMB2 3.3.4.1.1), and with AES-GMAC signing it would share its
	// nonce (MessageId, role) with the final response.
	ErrSignInterim = errors.New("smbcrypto: interim responses are not signed")
	// ErrSignMessageID: MessageId 0xFFFFFFFFFFFFFFFF (unsolicited oplock
	// breaks) is never signed, and under AES-GMAC neither is MessageId 0
	// (only NEGOTIATE uses it); both would repeat a GMAC nonce.
	ErrSignMessageID = errors.New("smbcrypto: this MessageId is not signed")
)

var smb2ProtocolID = [4]byte{0xFE, 'S', 'M', 'B'}

// A Signer signs and verifies SMB2 messages with one key and algorithm
// (MS-SMB2 3.1.4.1, 3.1.5.1). It keeps no state between messages and is
// safe for concurrent use (by concurrent requests of a session).
type Signer struct {
	alg  SigningAlgorithm
	key  []byte      // HMAC-SHA256
	cmac *cmac       // AES-128-CMAC
	gcm  cipher.AEAD // AES-128-GMAC: GCM with no plaintext (RFC 4543)
}

// NewSigner makes a Signer for the algorithm with a 16-byte key: the
// SigningKey of SessionKeys, or a channel's signing key.
func NewSigner(alg SigningAlgorithm, key []byte) (*Signer, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("smbcrypto: signing key is %d bytes, want 16", len(key))
	}
	s := &Signer{alg: alg}
	switch alg {
	case SigningHMACSHA256:
		s.key = append([]byte(nil), key...)
	case SigningAESCMAC, SigningAESGMAC:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		if alg == SigningAESCMAC {
			s.cmac = newCMAC(b)
		} else if s.gcm, err = cipher.NewGCM(b); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("smbcrypto: unknown signing algorithm %v", alg)
	}
	return s, nil
}

// Algorithm is the Signer's algorithm.
func (s *Signer) Algorithm() SigningAlgorithm { return s.alg }

// gmacNonce is the AES-GMAC nonce of MS-SMB2 3.1.4.1: the MessageId (8
// bytes, little-endian like the header), then a 32-bit little-endian word
// whose least significant bit is 1 when the sender is the server (the
// message is a response, SMB2_FLAGS_SERVER_TO_REDIR) and whose next bit is
// 1 for an SMB2 CANCEL request; the other 30 bits are zero.
func gmacNonce(msg []byte) [12]byte {
	var n [12]byte
	copy(n[:8], msg[hdrMessageID:hdrMessageID+8])
	var role uint32
	if binary.LittleEndian.Uint32(msg[hdrFlags:])&flagServerToRedi != 0 {
		role |= 1
	}
	if binary.LittleEndian.Uint16(msg[hdrCommand:]) == commandCancel {
		role |= 2
	}
	binary.LittleEndian.PutUint32(n[8:], role)
	return n
}

// mac computes the signature of msg, whose signature field is zero.
func (s *Signer) mac(msg []byte) [16]byte {
	var sig [16]byte
	switch s.alg {
	case SigningHMACSHA256:
		h := hmac.New(sha256.New, s.key)
		h.Write(msg)
		var sum [sha256.Size]byte
		copy(sig[:], h.Sum(sum[:0]))
	case SigningAESCMAC:
		sig = s.cmac.sum(msg)
	case SigningAESGMAC:
		nonce := gmacNonce(msg)
		s.gcm.Seal(sig[:0], nonce[:], nil, msg)
	}
	return sig
}

func checkHeader(msg []byte) error {
	if len(msg) < hdrSize {
		return ErrShortMessage
	}
	if [4]byte(msg[:4]) != smb2ProtocolID {
		return ErrNotSMB2
	}
	return nil
}

// Sign signs one SMB2 message in place (MS-SMB2 3.1.4.1): it sets
// SMB2_FLAGS_SIGNED, zeroes the Signature field, computes the signature over
// the whole of msg and writes it into the field. In a compound, msg is one
// message of the chain up to the next one's header, padding included. It
// refuses interim (STATUS_PENDING) responses, MessageId 0xFFFFFFFFFFFFFFFF,
// and MessageId 0 under AES-GMAC, which must never be signed.
func (s *Signer) Sign(msg []byte) error {
	if err := checkHeader(msg); err != nil {
		return err
	}
	flags := binary.LittleEndian.Uint32(msg[hdrFlags:])
	if flags&flagServerToRedi != 0 && binary.LittleEndian.Uint32(msg[hdrStatus:]) == statusPending {
		return ErrSignInterim
	}
	switch mid := binary.LittleEndian.Uint64(msg[hdrMessageID:]); {
	case mid == math.MaxUint64, mid == 0 && s.alg == SigningAESGMAC:
		return ErrSignMessageID
	}
	binary.LittleEndian.PutUint32(msg[hdrFlags:], flags|flagSigned)
	field := msg[hdrSignature : hdrSignature+16]
	clear(field)
	sig := s.mac(msg)
	copy(field, sig[:])
	return nil
}

// Verify checks the signature of one SMB2 message (MS-SMB2 3.1.5.1). It
// zeroes the Signature field while it computes and puts it back before it
// returns, so msg must not be read concurrently; it compares in constant
// time and returns ErrBadSignature on a mismatch.
func (s *Signer) Verify(msg []byte) error {
	if err := checkHeader(msg); err != nil {
		return err
	}
	field := msg[hdrSignature : hdrSignature+16]
	got := [16]byte(field)
	clear(field)
	want := s.mac(msg)
	copy(field, got[:])
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrBadSignature
	}
	return nil
}

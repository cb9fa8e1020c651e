package smbcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
)

// TransformHeaderSize is the size of an SMB2 TRANSFORM_HEADER (MS-SMB2
// 2.2.41).
const TransformHeaderSize = 52

// The TRANSFORM_HEADER's fields (MS-SMB2 2.2.41). The additional
// authenticated data of the AEAD is the header from Nonce on (32 bytes).
const (
	tfSignature = 4
	tfNonce     = 20
	tfOrigSize  = 36
	tfFlags     = 42
	tfSessionID = 44
	tfTagSize   = 16
)

// TransformFlagEncrypted is the only valid Flags/EncryptionAlgorithm
// value: Flags = Encrypted for 3.1.1, EncryptionAlgorithm =
// SMB2_ENCRYPTION_AES128_CCM for 3.0 and 3.0.2; both are 0x0001.
const TransformFlagEncrypted = 0x0001

// MaxMessageSize bounds OriginalMessageSize: a transformed message and its
// header fit one Direct TCP frame, whose length field is 24 bits
// (MS-SMB2 2.1).
const MaxMessageSize = 1<<24 - 1 - TransformHeaderSize

// minMessageSize is the smallest message worth encrypting: one SMB2 header.
const minMessageSize = hdrSize

var transformProtocolID = [4]byte{0xFD, 'S', 'M', 'B'}

// Errors of ParseTransformHeader, Encryptor and Decryptor. A server that
// gets any of them on a message from the network disconnects (MS-SMB2
// 3.3.5.2.1.1).
var (
	ErrShortTransform  = errors.New("smbcrypto: message shorter than a TRANSFORM_HEADER")
	ErrNotTransform    = errors.New("smbcrypto: not a TRANSFORM_HEADER (ProtocolId is not 0xFD 'SMB')")
	ErrTransformFlags  = errors.New("smbcrypto: TRANSFORM_HEADER Flags/EncryptionAlgorithm is not 0x0001")
	ErrMessageSize     = errors.New("smbcrypto: OriginalMessageSize out of bounds or not the size of the encrypted message")
	ErrSessionMismatch = errors.New("smbcrypto: TRANSFORM_HEADER SessionId is not this session's")
	ErrDecrypt         = errors.New("smbcrypto: decryption failed (wrong key, or the message or its header was altered)")
	ErrNonceExhausted  = errors.New("smbcrypto: the session's nonces are used up; the session must end")
)

// TransformHeader is an SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41).
type TransformHeader struct {
	// Signature is the AEAD tag.
	Signature [16]byte
	// Nonce is the whole 16-byte field: CCM uses the first 11 bytes, GCM
	// the first 12; the rest is zero when we send, and whatever the peer
	// put there is authenticated as it is when we receive.
	Nonce               [16]byte
	OriginalMessageSize uint32
	// Flags is Flags (3.1.1) or EncryptionAlgorithm (3.0, 3.0.2); 0x0001.
	Flags     uint16
	SessionID uint64
}

// ParseTransformHeader decodes the TRANSFORM_HEADER at the start of b
// and checks what does not need the key: ProtocolId, Flags = 0x0001, and
// 64 <= OriginalMessageSize <= MaxMessageSize, so that a reader may size a
// buffer from it. It does not check that the message follows in b
// (Decrypt does).
func ParseTransformHeader(b []byte) (TransformHeader, error) {
	var h TransformHeader
	if len(b) < TransformHeaderSize {
		return h, ErrShortTransform
	}
	if [4]byte(b[:4]) != transformProtocolID {
		return h, ErrNotTransform
	}
	h.Signature = [16]byte(b[tfSignature:])
	h.Nonce = [16]byte(b[tfNonce:])
	h.OriginalMessageSize = binary.LittleEndian.Uint32(b[tfOrigSize:])
	h.Flags = binary.LittleEndian.Uint16(b[tfFlags:])
	h.SessionID = binary.LittleEndian.Uint64(b[tfSessionID:])
	if h.Flags != TransformFlagEncrypted {
		return h, ErrTransformFlags
	}
	if h.OriginalMessageSize < minMessageSize || h.OriginalMessageSize > MaxMessageSize {
		return h, ErrMessageSize
	}
	return h, nil
}

// put writes the header into b[:TransformHeaderSize] (Reserved zero).
func (h *TransformHeader) put(b []byte) {
	_ = b[TransformHeaderSize-1]
	copy(b, transformProtocolID[:])
	copy(b[tfSignature:], h.Signature[:])
	copy(b[tfNonce:], h.Nonce[:])
	binary.LittleEndian.PutUint32(b[tfOrigSize:], h.OriginalMessageSize)
	b[tfFlags-2], b[tfFlags-1] = 0, 0
	binary.LittleEndian.PutUint16(b[tfFlags:], h.Flags)
	binary.LittleEndian.PutUint64(b[tfSessionID:], h.SessionID)
}

// AppendTo appends the encoded header to b.
func (h *TransformHeader) AppendTo(b []byte) []byte {
	b, out := sliceForAppend(b, TransformHeaderSize)
	h.put(out)
	return b
}

// newAEAD makes the cipher.AEAD of an SMB cipher: 11-byte nonce and
// 16-byte tag for CCM, 12 and 16 for GCM.
func newAEAD(c Cipher, key []byte) (cipher.AEAD, error) {
	if c.KeySize() == 0 {
		return nil, fmt.Errorf("%w: %v", ErrCipher, c)
	}
	if len(key) != c.KeySize() {
		return nil, fmt.Errorf("smbcrypto: %v key is %d bytes, want %d", c, len(key), c.KeySize())
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if c.NonceSize() == 11 {
		return newCCM(b, 11, tfTagSize)
	}
	return cipher.NewGCM(b)
}

// seal encrypts msg under h (whose Nonce, SessionID are set; the rest is
// filled in) and appends header || ciphertext to dst (MS-SMB2 3.1.4.3).
func seal(aead cipher.AEAD, dst []byte, h *TransformHeader, msg []byte) []byte {
	h.OriginalMessageSize = uint32(len(msg))
	h.Flags = TransformFlagEncrypted
	h.Signature = [16]byte{}
	ret, out := sliceForAppend(dst, TransformHeaderSize+len(msg)+tfTagSize)
	h.put(out)
	aad := [TransformHeaderSize - tfNonce]byte(out[tfNonce:TransformHeaderSize])
	ct := aead.Seal(out[TransformHeaderSize:TransformHeaderSize], h.Nonce[:aead.NonceSize()], msg, aad[:])
	// Seal appended ciphertext || tag; the tag goes into Signature.
	copy(h.Signature[:], ct[len(msg):])
	copy(out[tfSignature:], h.Signature[:])
	return ret[:len(ret)-tfTagSize]
}

// An Encryptor encrypts what the server sends on one session (MS-SMB2
// 3.1.4.3) with Session.EncryptionKey. Give each session one Encryptor for
// its whole life, shared by all its channels (the key is the session's, so
// the nonces must be unique across channels): it is safe for concurrent
// use.
//
// Nonces: the first 8 bytes are a 64-bit counter, little-endian, that
// starts at a random value and advances by one per message (atomically);
// the rest of the cipher's nonce (3 bytes for CCM, 4 for GCM) is random,
// fixed for the Encryptor; the 16-byte field's remaining bytes are zero.
// One Encryptor thus never repeats a nonce, and two Encryptors that were
// (wrongly) made for the same key collide only with probability about
// 2^-88 (CCM) or 2^-96 (GCM) per pair of messages. After 2^64-1 messages
// the counter would come back to its start: Encrypt refuses with
// ErrNonceExhausted instead (there is no re-keying in SMB; the session must
// end). At a million messages a second that takes half a million years.
type Encryptor struct {
	aead      cipher.AEAD
	c         Cipher
	sessionID uint64
	start     uint64
	salt      [4]byte
	used      atomic.Uint64 // messages encrypted so far
}

// NewEncryptor makes the Encryptor of a session for the negotiated cipher
// and the session's EncryptionKey.
func NewEncryptor(c Cipher, key []byte, sessionID uint64) (*Encryptor, error) {
	aead, err := newAEAD(c, key)
	if err != nil {
		return nil, err
	}
	e := &Encryptor{aead: aead, c: c, sessionID: sessionID}
	var r [12]byte
	rand.Read(r[:])
	e.start = binary.LittleEndian.Uint64(r[:8])
	e.salt = [4]byte(r[8:])
	return e, nil
}

// Cipher is the Encryptor's cipher.
func (e *Encryptor) Cipher() Cipher { return e.c }

// nextNonce takes the next nonce, or fails once 2^64-1 have been used.
func (e *Encryptor) nextNonce() ([16]byte, error) {
	var n [16]byte
	for {
		k := e.used.Load()
		if k == math.MaxUint64 {
			return n, ErrNonceExhausted
		}
		if e.used.CompareAndSwap(k, k+1) {
			binary.LittleEndian.PutUint64(n[:8], e.start+k)
			copy(n[8:e.aead.NonceSize()], e.salt[:])
			return n, nil
		}
	}
}

// Encrypt encrypts msg, a whole SMB2 message or compound chain, and
// appends TRANSFORM_HEADER || ciphertext to dst, ready to be framed. msg
// must be 64 to MaxMessageSize bytes; dst must not overlap msg.
func (e *Encryptor) Encrypt(dst, msg []byte) ([]byte, error) {
	if len(msg) < minMessageSize || len(msg) > MaxMessageSize {
		return nil, ErrMessageSize
	}
	nonce, err := e.nextNonce()
	if err != nil {
		return nil, err
	}
	h := TransformHeader{Nonce: nonce, SessionID: e.sessionID}
	return seal(e.aead, dst, &h, msg), nil
}

// A Decryptor decrypts what a client sends on one session (MS-SMB2
// 3.3.5.2.1.1) with Session.DecryptionKey. It is safe for concurrent use.
type Decryptor struct {
	aead      cipher.AEAD
	c         Cipher
	sessionID uint64
}

// NewDecryptor makes the Decryptor of a session for the negotiated cipher
// and the session's DecryptionKey.
func NewDecryptor(c Cipher, key []byte, sessionID uint64) (*Decryptor, error) {
	aead, err := newAEAD(c, key)
	if err != nil {
		return nil, err
	}
	return &Decryptor{aead: aead, c: c, sessionID: sessionID}, nil
}

// Cipher is the Decryptor's cipher.
func (d *Decryptor) Cipher() Cipher { return d.c }

// Decrypt checks and decrypts msg, one whole transformed message (the
// TRANSFORM_HEADER and the encrypted message, without the Direct TCP
// framing), and appends the SMB2 message in clear to dst, which must not
// overlap msg. It checks the
// header as ParseTransformHeader does, that SessionId is this session's
// and that exactly OriginalMessageSize bytes follow the header, before it
// allocates; then it authenticates the header from Nonce on and the
// ciphertext with the tag in Signature. The Nonce field's bytes past the
// cipher's nonce are authenticated as sent (Windows 8 sent non-zero ones).
// On any error it returns nil (and zeroes what it wrote past len(dst));
// the caller disconnects.
//
// Checking that the SMB2 headers inside carry the same SessionId is the
// caller's, after decryption.
func (d *Decryptor) Decrypt(dst, msg []byte) ([]byte, error) {
	h, err := ParseTransformHeader(msg)
	if err != nil {
		return nil, err
	}
	if h.SessionID != d.sessionID {
		return nil, ErrSessionMismatch
	}
	n := len(msg) - TransformHeaderSize
	if uint64(n) != uint64(h.OriginalMessageSize) {
		return nil, ErrMessageSize
	}
	aad := [TransformHeaderSize - tfNonce]byte(msg[tfNonce:TransformHeaderSize])
	// The AEADs want ciphertext || tag; SMB puts the tag in the header.
	ret, buf := sliceForAppend(dst, n+tfTagSize)
	copy(buf, msg[TransformHeaderSize:])
	copy(buf[n:], h.Signature[:])
	if _, err := d.aead.Open(buf[:0], h.Nonce[:d.aead.NonceSize()], buf, aad[:]); err != nil {
		clear(buf)
		return nil, ErrDecrypt
	}
	clear(buf[n:])
	return ret[:len(dst)+n], nil
}

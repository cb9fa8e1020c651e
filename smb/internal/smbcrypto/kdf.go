package smbcrypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Dialect is an SMB2 dialect revision as it appears on the wire
// (MS-SMB2 2.2.3, DialectRevision).
type Dialect uint16

// The dialects whose keys this package derives.
const (
	Dialect202 Dialect = 0x0202
	Dialect210 Dialect = 0x0210
	Dialect300 Dialect = 0x0300
	Dialect302 Dialect = 0x0302
	Dialect311 Dialect = 0x0311
)

// Is3x reports whether d belongs to the SMB 3.x dialect family, whose keys
// are derived with the SP800-108 KDF (MS-SMB2 3.1.4.2).
func (d Dialect) Is3x() bool { return d == Dialect300 || d == Dialect302 || d == Dialect311 }

func (d Dialect) known() bool { return d == Dialect202 || d == Dialect210 || d.Is3x() }

func (d Dialect) String() string {
	switch d {
	case Dialect202:
		return "2.0.2"
	case Dialect210:
		return "2.1"
	case Dialect300:
		return "3.0"
	case Dialect302:
		return "3.0.2"
	case Dialect311:
		return "3.1.1"
	}
	return fmt.Sprintf("dialect(%#04x)", uint16(d))
}

// Cipher is an encryption algorithm id of SMB2_ENCRYPTION_CAPABILITIES
// (MS-SMB2 2.2.3.1.2). CipherNone means no encryption was negotiated.
type Cipher uint16

// The ciphers of MS-SMB2 2.2.3.1.2. 3.0 and 3.0.2 only know AES-128-CCM.
const (
	CipherNone      Cipher = 0x0000
	CipherAES128CCM Cipher = 0x0001
	CipherAES128GCM Cipher = 0x0002
	CipherAES256CCM Cipher = 0x0003
	CipherAES256GCM Cipher = 0x0004
)

// KeySize is the length of the cipher's key in bytes (0 for CipherNone
// and unknown ids).
func (c Cipher) KeySize() int {
	switch c {
	case CipherAES128CCM, CipherAES128GCM:
		return 16
	case CipherAES256CCM, CipherAES256GCM:
		return 32
	}
	return 0
}

// NonceSize is the number of bytes of the TRANSFORM_HEADER Nonce the
// cipher uses: 11 for CCM, 12 for GCM (MS-SMB2 2.2.41).
func (c Cipher) NonceSize() int {
	switch c {
	case CipherAES128CCM, CipherAES256CCM:
		return 11
	case CipherAES128GCM, CipherAES256GCM:
		return 12
	}
	return 0
}

func (c Cipher) String() string {
	switch c {
	case CipherNone:
		return "none"
	case CipherAES128CCM:
		return "AES-128-CCM"
	case CipherAES128GCM:
		return "AES-128-GCM"
	case CipherAES256CCM:
		return "AES-256-CCM"
	case CipherAES256GCM:
		return "AES-256-GCM"
	}
	return fmt.Sprintf("cipher(%#04x)", uint16(c))
}

// KDF is the key derivation function of MS-SMB2 3.1.4.2: SP800-108 section
// 5.1, counter mode, PRF HMAC-SHA256, r = 32. Each PRF input is
//
//	[i]_32 || label || 0x00 || context || [L]_32
//
// (both integers big-endian), and the output is the first L bits of
// K(1) || K(2) || .... label and context are used as given: the SMB labels
// and the 3.0 contexts include their terminating NUL ("SMB2AESCMAC\x00",
// length 12), so the PRF input has two zero bytes after the label text.
// bits must be a positive multiple of 8; SMB uses 128 and 256.
func KDF(key, label, context []byte, bits int) []byte {
	if bits <= 0 || bits%8 != 0 {
		panic("smbcrypto: KDF output length must be a positive multiple of 8 bits")
	}
	n := (bits + 255) / 256
	out := make([]byte, 0, n*sha256.Size)
	mac := hmac.New(sha256.New, key)
	var u [4]byte
	for i := 1; i <= n; i++ {
		mac.Reset()
		binary.BigEndian.PutUint32(u[:], uint32(i))
		mac.Write(u[:])
		mac.Write(label)
		mac.Write([]byte{0})
		mac.Write(context)
		binary.BigEndian.PutUint32(u[:], uint32(bits))
		mac.Write(u[:])
		out = mac.Sum(out)
	}
	return out[:bits/8]
}

// The labels and contexts of MS-SMB2 3.3.5.5.3 (server) / 3.2.5.3.1
// (client), NUL included. The names say who encrypts: a server encrypts
// with the "ServerOut" / "S2C" key and decrypts with "ServerIn " / "C2S".
var (
	label30Sign    = []byte("SMB2AESCMAC\x00")
	context30Sign  = []byte("SmbSign\x00")
	label30Cipher  = []byte("SMB2AESCCM\x00")
	context30In    = []byte("ServerIn \x00")
	context30Out   = []byte("ServerOut\x00")
	label30App     = []byte("SMB2APP\x00")
	context30App   = []byte("SmbRpc\x00")
	label311Sign   = []byte("SMBSigningKey\x00")
	label311C2S    = []byte("SMBC2SCipherKey\x00")
	label311S2C    = []byte("SMBS2CCipherKey\x00")
	label311App    = []byte("SMBAppKey\x00")
	errNoPreauth   = errors.New("smbcrypto: dialect 3.1.1 needs the session's preauth integrity hash")
	errSessionKey0 = errors.New("smbcrypto: empty session key")
)

// Errors of DeriveKeys and SigningKey.
var (
	ErrDialect = errors.New("smbcrypto: unknown dialect")
	ErrCipher  = errors.New("smbcrypto: cipher not valid for the dialect")
)

// SessionKeys are the keys of one session as the server sees them
// (MS-SMB2 3.3.1.8, Session.*Key).
type SessionKeys struct {
	// SessionKey is the first 16 bytes of the GSS session key, right-padded
	// with zeros when shorter (Session.SessionKey).
	SessionKey [16]byte
	// SigningKey (16 bytes) signs and verifies the session's messages: the
	// SessionKey itself for 2.0.2 and 2.1, derived for 3.x.
	SigningKey []byte
	// EncryptionKey encrypts what the server sends (the client's
	// decryption key): "ServerOut" for 3.0/3.0.2, "SMBS2CCipherKey" for
	// 3.1.1. DecryptionKey decrypts what the client sends ("ServerIn ",
	// "SMBC2SCipherKey"). Both are nil when the cipher is CipherNone, and
	// Cipher.KeySize() bytes long otherwise.
	EncryptionKey []byte
	DecryptionKey []byte
	// ApplicationKey (16 bytes) is what the session exposes to
	// applications such as DCE/RPC over named pipes; the SessionKey itself
	// for 2.0.2 and 2.1.
	ApplicationKey []byte
}

// sessionKey16 is Session.SessionKey: the first 16 bytes of the GSS key,
// right-padded with zeros (MS-SMB2 3.3.1.8).
func sessionKey16(gss []byte) [16]byte {
	var k [16]byte
	copy(k[:], gss)
	return k
}

// DeriveKeys gives all keys of a session (MS-SMB2 3.3.5.5.3, the server's
// side of 3.2.5.3.1) from the negotiated dialect, the GSS session key
// (NTLM's ExportedSessionKey or the Kerberos subkey, any length), the
// session's preauth integrity hash (3.1.1 only; ignored otherwise; it must
// be the value after the last SESSION_SETUP request and before the final
// response) and the negotiated cipher.
//
// The signing and application keys are derived from Session.SessionKey
// with L = 128. The cipher keys use L = 128 from Session.SessionKey for the
// AES-128 ciphers, and L = 256 from the whole GSS key
// (Session.FullSessionKey) for the AES-256 ones, as Windows and Samba do.
// 3.0 and 3.0.2 accept only CipherNone and CipherAES128CCM; 2.0.2 and 2.1
// only CipherNone.
func DeriveKeys(d Dialect, gssKey []byte, preauth *PreauthHash, c Cipher) (SessionKeys, error) {
	var k SessionKeys
	if !d.known() {
		return k, ErrDialect
	}
	if len(gssKey) == 0 {
		return k, errSessionKey0
	}
	if c != CipherNone && c.KeySize() == 0 {
		return k, ErrCipher
	}
	k.SessionKey = sessionKey16(gssKey)
	sk := k.SessionKey[:]
	switch d {
	case Dialect202, Dialect210:
		if c != CipherNone {
			return k, ErrCipher
		}
		k.SigningKey = append([]byte(nil), sk...)
		k.ApplicationKey = append([]byte(nil), sk...)
		return k, nil
	case Dialect300, Dialect302:
		if c != CipherNone && c != CipherAES128CCM {
			return k, ErrCipher
		}
		k.SigningKey = KDF(sk, label30Sign, context30Sign, 128)
		k.ApplicationKey = KDF(sk, label30App, context30App, 128)
		if c != CipherNone {
			k.EncryptionKey = KDF(sk, label30Cipher, context30Out, 128)
			k.DecryptionKey = KDF(sk, label30Cipher, context30In, 128)
		}
		return k, nil
	}
	// 3.1.1
	if preauth == nil {
		return k, errNoPreauth
	}
	ctx := preauth[:]
	k.SigningKey = KDF(sk, label311Sign, ctx, 128)
	k.ApplicationKey = KDF(sk, label311App, ctx, 128)
	switch c.KeySize() {
	case 16:
		k.EncryptionKey = KDF(sk, label311S2C, ctx, 128)
		k.DecryptionKey = KDF(sk, label311C2S, ctx, 128)
	case 32:
		k.EncryptionKey = KDF(gssKey, label311S2C, ctx, 256)
		k.DecryptionKey = KDF(gssKey, label311C2S, ctx, 256)
	}
	return k, nil
}

// SigningKey derives only a signing key: Channel.SigningKey of a channel
// bound to an existing session (MS-SMB2 3.3.5.5.3; for 3.1.1 preauth is
// the binding's own PreauthSession hash, not the session's). For 2.0.2 and
// 2.1 it is Session.SessionKey.
func SigningKey(d Dialect, gssKey []byte, preauth *PreauthHash) ([]byte, error) {
	k, err := DeriveKeys(d, gssKey, preauth, CipherNone)
	return k.SigningKey, err
}

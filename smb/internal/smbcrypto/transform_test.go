package smbcrypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"testing"
)

var allCiphers = []Cipher{CipherAES128CCM, CipherAES128GCM, CipherAES256CCM, CipherAES256GCM}

const testSessionID = 0x0000100000000025

// pair makes the server's Encryptor and the Decryptor a client would use
// for what the server sends (same key), for the cipher.
func pair(t testing.TB, c Cipher) (*Encryptor, *Decryptor) {
	t.Helper()
	key := bytes.Repeat([]byte{0x5A}, c.KeySize())
	key[0] = byte(c)
	e, err := NewEncryptor(c, key, testSessionID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecryptor(c, key, testSessionID)
	if err != nil {
		t.Fatal(err)
	}
	return e, d
}

// MS-SMB2 3.1.4.3 and 2.2.41: the transformed message is the 52-byte
// header and the ciphertext of the message's length; the header carries
// ProtocolId 0xFD 'SMB', the tag, the cipher's nonce followed by zeros,
// OriginalMessageSize, Flags 1 and SessionId; the peer decrypts it.
func TestEncryptDecryptRoundTrip(t *testing.T) {
	for _, c := range allCiphers {
		t.Run(c.String(), func(t *testing.T) {
			e, d := pair(t, c)
			for _, n := range []int{64, 65, 80, 1000, 70000} {
				msg := testMessage(0x0008, flagServerToRedi, 0, uint64(n), n-hdrSize)
				prefix := []byte("framing")
				out, err := e.Encrypt(bytes.Clone(prefix), msg)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out[:len(prefix)], prefix) {
					t.Fatal("Encrypt changed dst")
				}
				tf := out[len(prefix):]
				if len(tf) != TransformHeaderSize+n {
					t.Fatalf("transformed size %d, want %d", len(tf), TransformHeaderSize+n)
				}
				h, err := ParseTransformHeader(tf)
				if err != nil {
					t.Fatal(err)
				}
				if h.OriginalMessageSize != uint32(n) || h.Flags != 1 || h.SessionID != testSessionID {
					t.Errorf("header %+v", h)
				}
				if [4]byte(tf[:4]) != transformProtocolID {
					t.Errorf("ProtocolId %x", tf[:4])
				}
				if binary.LittleEndian.Uint16(tf[tfFlags-2:]) != 0 {
					t.Error("Reserved is not zero")
				}
				if !bytes.Equal(h.Nonce[c.NonceSize():], make([]byte, 16-c.NonceSize())) {
					t.Errorf("nonce padding %x is not zero", h.Nonce)
				}
				if n-hdrSize >= 16 && bytes.Contains(tf, msg[hdrSize:]) {
					t.Error("the body is in clear in the transformed message")
				}
				got, err := d.Decrypt([]byte("x"), tf)
				if err != nil {
					t.Fatal(err)
				}
				if got[0] != 'x' || !bytes.Equal(got[1:], msg) {
					t.Fatal("Decrypt did not give the message back after dst")
				}
			}
		})
	}
}

// MS-SMB2 3.3.5.2.1.1: a message whose ciphertext, authenticated header
// (Nonce, OriginalMessageSize, Flags, SessionId) or tag was altered, or that
// was encrypted under another key or cipher, does not decrypt.
func TestDecryptRejectsTampering(t *testing.T) {
	for _, c := range allCiphers {
		t.Run(c.String(), func(t *testing.T) {
			e, d := pair(t, c)
			msg := testMessage(0x0008, flagServerToRedi, 0, 1, 100)
			tf, err := e.Encrypt(nil, msg)
			if err != nil {
				t.Fatal(err)
			}
			for i := 4; i < len(tf); i++ {
				bad := bytes.Clone(tf)
				bad[i] ^= 0x01
				got, err := d.Decrypt(nil, bad)
				if err == nil {
					t.Fatalf("byte %d altered: decrypted to %x", i, got)
				}
				// The header fields checked before decryption give their
				// own errors; everything else is an authentication failure.
				switch {
				case i >= tfOrigSize && i < tfOrigSize+4:
					if err != ErrMessageSize {
						t.Errorf("byte %d (OriginalMessageSize): %v", i, err)
					}
				case i >= tfFlags && i < tfFlags+2:
					if err != ErrTransformFlags {
						t.Errorf("byte %d (Flags): %v", i, err)
					}
				case i >= tfSessionID && i < tfSessionID+8:
					if err != ErrSessionMismatch {
						t.Errorf("byte %d (SessionId): %v", i, err)
					}
				default:
					if err != ErrDecrypt {
						t.Errorf("byte %d: %v, want ErrDecrypt", i, err)
					}
				}
			}
			// A SessionId altered in the header AND known to a Decryptor
			// of that session: still refused, the SessionId is
			// authenticated.
			bad := bytes.Clone(tf)
			binary.LittleEndian.PutUint64(bad[tfSessionID:], 77)
			key := bytes.Repeat([]byte{0x5A}, c.KeySize())
			key[0] = byte(c)
			d77, _ := NewDecryptor(c, key, 77)
			if _, err := d77.Decrypt(nil, bad); err != ErrDecrypt {
				t.Errorf("SessionId rewritten: %v, want ErrDecrypt", err)
			}
			// Reserved is authenticated too.
			bad = bytes.Clone(tf)
			bad[tfFlags-1] = 1
			if _, err := d.Decrypt(nil, bad); err != ErrDecrypt {
				t.Errorf("Reserved altered: %v, want ErrDecrypt", err)
			}
			// Wrong key.
			wrong := bytes.Repeat([]byte{0xA5}, c.KeySize())
			dw, _ := NewDecryptor(c, wrong, testSessionID)
			if _, err := dw.Decrypt(nil, tf); err != ErrDecrypt {
				t.Errorf("wrong key: %v, want ErrDecrypt", err)
			}
			// The same key under another cipher of the same key size.
			for _, c2 := range allCiphers {
				if c2 == c || c2.KeySize() != c.KeySize() {
					continue
				}
				k := bytes.Repeat([]byte{0x5A}, c.KeySize())
				k[0] = byte(c)
				d2, _ := NewDecryptor(c2, k, testSessionID)
				if _, err := d2.Decrypt(nil, tf); err != ErrDecrypt {
					t.Errorf("decrypted with %v: %v, want ErrDecrypt", c2, err)
				}
			}
			// The untouched message still decrypts (nothing above
			// changed it).
			if got, err := d.Decrypt(nil, tf); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("original: %v", err)
			}
		})
	}
}

// MS-SMB2 3.3.5.2.1.1: a message no longer than the header, a wrong
// ProtocolId or Flags, or an OriginalMessageSize below an SMB2 header,
// above MaxMessageSize, or not the size of what follows, is refused
// before anything is allocated, without a panic.
func TestTransformHeaderBounds(t *testing.T) {
	e, d := pair(t, CipherAES128GCM)
	tf, err := e.Encrypt(nil, testMessage(0x0008, flagServerToRedi, 0, 1, 36))
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation.
	for n := range len(tf) {
		_, err := d.Decrypt(nil, tf[:n])
		want := ErrMessageSize
		if n < TransformHeaderSize {
			want = ErrShortTransform
		}
		if err != want {
			t.Fatalf("%d of %d bytes: %v, want %v", n, len(tf), err, want)
		}
	}
	// Trailing bytes past OriginalMessageSize.
	if _, err := d.Decrypt(nil, append(bytes.Clone(tf), 0)); err != ErrMessageSize {
		t.Errorf("one byte too many: %v", err)
	}
	set := func(size uint32) []byte {
		b := bytes.Clone(tf)
		binary.LittleEndian.PutUint32(b[tfOrigSize:], size)
		return b
	}
	for _, size := range []uint32{0, 63, MaxMessageSize + 1, math.MaxUint32} {
		if _, err := ParseTransformHeader(set(size)); err != ErrMessageSize {
			t.Errorf("OriginalMessageSize %d: ParseTransformHeader %v", size, err)
		}
		if _, err := d.Decrypt(nil, set(size)); err != ErrMessageSize {
			t.Errorf("OriginalMessageSize %d: Decrypt %v", size, err)
		}
	}
	if _, err := ParseTransformHeader(set(64)); err != nil {
		t.Errorf("OriginalMessageSize 64: %v", err)
	}
	if _, err := ParseTransformHeader(set(MaxMessageSize)); err != nil {
		t.Errorf("OriginalMessageSize MaxMessageSize: %v", err)
	}
	for _, flags := range []uint16{0, 2, 0x0101, 0xFFFF} {
		b := bytes.Clone(tf)
		binary.LittleEndian.PutUint16(b[tfFlags:], flags)
		if _, err := d.Decrypt(nil, b); err != ErrTransformFlags {
			t.Errorf("Flags %#x: %v", flags, err)
		}
	}
	for _, id := range [][4]byte{{0xFE, 'S', 'M', 'B'}, {0xFC, 'S', 'M', 'B'}, {0xFD, 'S', 'M', 'b'}} {
		b := bytes.Clone(tf)
		copy(b, id[:])
		if _, err := d.Decrypt(nil, b); err != ErrNotTransform {
			t.Errorf("ProtocolId %x: %v", id, err)
		}
	}
	// Encrypt's own bounds.
	for _, n := range []int{0, 63, MaxMessageSize + 1} {
		if _, err := e.Encrypt(nil, make([]byte, n)); err != ErrMessageSize {
			t.Errorf("Encrypt of %d bytes: %v", n, err)
		}
	}
}

func TestTransformHeaderAppendParse(t *testing.T) {
	h := TransformHeader{
		Signature:           [16]byte{1, 2, 3},
		Nonce:               [16]byte{4, 5, 6},
		OriginalMessageSize: 1234,
		Flags:               TransformFlagEncrypted,
		SessionID:           0x8e40014000011,
	}
	b := h.AppendTo([]byte("pre"))
	if string(b[:3]) != "pre" || len(b) != 3+TransformHeaderSize {
		t.Fatalf("AppendTo gave %d bytes", len(b))
	}
	got, err := ParseTransformHeader(b[3:])
	if err != nil || got != h {
		t.Fatalf("ParseTransformHeader = %+v, %v; want %+v", got, err, h)
	}
}

// Nonces are unique per Encryptor (MS-SMB2 2.2.41: "MUST NOT be reused"):
// across many messages from concurrent senders (the channels of a
// session), and a second Encryptor for the same key starts elsewhere.
func TestNoncesUnique(t *testing.T) {
	for _, c := range []Cipher{CipherAES128CCM, CipherAES128GCM} {
		e, _ := pair(t, c)
		msg := testMessage(0x0008, flagServerToRedi, 0, 1, 0)
		var mu sync.Mutex
		seen := map[[16]byte]bool{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2000 {
					tf, err := e.Encrypt(nil, msg)
					if err != nil {
						t.Error(err)
						return
					}
					n := [16]byte(tf[tfNonce:])
					mu.Lock()
					if seen[n] {
						t.Errorf("%v: nonce %x used twice", c, n)
					}
					seen[n] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		// A second Encryptor of the same key does not start at the same
		// nonce (random start and salt).
		e2, _ := pair(t, c)
		tf, _ := e2.Encrypt(nil, msg)
		if seen[[16]byte(tf[tfNonce:])] {
			t.Errorf("%v: a new Encryptor repeated a nonce", c)
		}
	}
}

// The nonce counter never wraps: after 2^64-1 messages Encrypt refuses,
// and keeps refusing.
func TestNonceExhaustion(t *testing.T) {
	e, d := pair(t, CipherAES256GCM)
	e.used.Store(math.MaxUint64 - 2)
	msg := testMessage(0x0008, flagServerToRedi, 0, 1, 10)
	var last [16]byte
	for i := range 2 {
		tf, err := e.Encrypt(nil, msg)
		if err != nil {
			t.Fatalf("message %d before the end: %v", i, err)
		}
		if _, err := d.Decrypt(nil, tf); err != nil {
			t.Fatal(err)
		}
		last = [16]byte(tf[tfNonce:])
	}
	if got := binary.LittleEndian.Uint64(last[:8]); got != e.start+math.MaxUint64-1 {
		t.Errorf("last counter %#x, want start-2", got)
	}
	for range 3 {
		if _, err := e.Encrypt(nil, msg); !errors.Is(err, ErrNonceExhausted) {
			t.Fatalf("after 2^64-1 messages: %v, want ErrNonceExhausted", err)
		}
	}
}

func TestNewEncryptorErrors(t *testing.T) {
	for _, c := range allCiphers {
		if _, err := NewEncryptor(c, make([]byte, 24), 1); err == nil {
			t.Errorf("%v accepted a 24-byte key", c)
		}
		if _, err := NewDecryptor(c, make([]byte, c.KeySize()+1), 1); err == nil {
			t.Errorf("%v Decryptor accepted a %d-byte key", c, c.KeySize()+1)
		}
	}
	for _, c := range []Cipher{CipherNone, Cipher(5)} {
		if _, err := NewEncryptor(c, make([]byte, 16), 1); !errors.Is(err, ErrCipher) {
			t.Errorf("cipher %v: %v", c, err)
		}
	}
}

// With the keys of one session, what the server encrypts the client
// decrypts with its decryption key (our EncryptionKey) and what the client
// encrypts the server decrypts (our DecryptionKey); the two directions
// cannot be confused.
func TestSessionDirections(t *testing.T) {
	var preauth PreauthHash
	preauth.Update([]byte("a negotiate"))
	for _, c := range allCiphers {
		k, err := DeriveKeys(Dialect311, []byte("0123456789abcdef"), &preauth, c)
		if err != nil {
			t.Fatal(err)
		}
		serverOut, _ := NewEncryptor(c, k.EncryptionKey, 9)
		serverIn, _ := NewDecryptor(c, k.DecryptionKey, 9)
		clientOut, _ := NewEncryptor(c, k.DecryptionKey, 9)
		clientIn, _ := NewDecryptor(c, k.EncryptionKey, 9)
		msg := testMessage(0x0009, 0, 0, 3, 500)
		fromClient, _ := clientOut.Encrypt(nil, msg)
		if got, err := serverIn.Decrypt(nil, fromClient); err != nil || !bytes.Equal(got, msg) {
			t.Errorf("%v: server decrypting the client: %v", c, err)
		}
		if _, err := clientIn.Decrypt(nil, fromClient); err != ErrDecrypt {
			t.Errorf("%v: a client message reflected back decrypted: %v", c, err)
		}
		fromServer, _ := serverOut.Encrypt(nil, msg)
		if got, err := clientIn.Decrypt(nil, fromServer); err != nil || !bytes.Equal(got, msg) {
			t.Errorf("%v: client decrypting the server: %v", c, err)
		}
		if _, err := serverIn.Decrypt(nil, fromServer); err != ErrDecrypt {
			t.Errorf("%v: a server message reflected back decrypted: %v", c, err)
		}
	}
}

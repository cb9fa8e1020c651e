package smbcrypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"
)

// refKDF is SP800-108 5.1 written out for the test (SELF-GENERATED
// reference, independent of KDF's code): K(i) = HMAC(key, [i]_32 || label
// || 0x00 || context || [L]_32), output the first L bits of K(1) || K(2) ...
func refKDF(key, label, context []byte, bits int) []byte {
	var out []byte
	for i := byte(1); len(out) < bits/8; i++ {
		in := append([]byte{0, 0, 0, i}, label...)
		in = append(in, 0)
		in = append(in, context...)
		in = append(in, byte(bits>>24), byte(bits>>16), byte(bits>>8), byte(bits))
		h := hmac.New(sha256.New, key)
		h.Write(in)
		out = h.Sum(out)
	}
	return out[:bits/8]
}

// MS-SMB2 3.1.4.2: counter mode, r = 32, HMAC-SHA256, any L (SMB uses
// 128 and 256; 384 and 520 take several PRF blocks).
func TestKDFCounterMode(t *testing.T) {
	key := []byte("a session key of some length")
	for _, bits := range []int{8, 128, 256, 384, 520} {
		got := KDF(key, []byte("Label\x00"), []byte("Context"), bits)
		if want := refKDF(key, []byte("Label\x00"), []byte("Context"), bits); !bytes.Equal(got, want) {
			t.Errorf("L=%d: %x, want %x", bits, got, want)
		}
	}
	for _, bits := range []int{0, -8, 12} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("KDF accepted L=%d", bits)
				}
			}()
			KDF(key, nil, nil, bits)
		}()
	}
}

// MS-SMB2 3.3.5.5.3 (and 3.3.1.8, Session.SessionKey): 2.0.2 and 2.1 sign
// with the session key itself, padded or cut to 16 bytes.
func TestDeriveKeysSMB2x(t *testing.T) {
	for _, d := range []Dialect{Dialect202, Dialect210} {
		for _, gss := range [][]byte{
			[]byte("0123456789abcdef"),                 // NTLM: 16 bytes
			[]byte("short"),                            // padded with zeros
			[]byte("0123456789abcdef-and-then-longer"), // cut to 16
		} {
			k, err := DeriveKeys(d, gss, nil, CipherNone)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, 16)
			copy(want, gss)
			if !bytes.Equal(k.SessionKey[:], want) || !bytes.Equal(k.SigningKey, want) || !bytes.Equal(k.ApplicationKey, want) {
				t.Errorf("%v %q: keys %x %x %x, want %x", d, gss, k.SessionKey, k.SigningKey, k.ApplicationKey, want)
			}
			if k.EncryptionKey != nil || k.DecryptionKey != nil {
				t.Errorf("%v: cipher keys without a cipher", d)
			}
		}
		if _, err := DeriveKeys(d, []byte("0123456789abcdef"), nil, CipherAES128CCM); !errors.Is(err, ErrCipher) {
			t.Errorf("%v with AES-128-CCM: %v, want ErrCipher", d, err)
		}
	}
}

// MS-SMB2 3.3.5.5.3 for 3.0/3.0.2: keys from the labels of section 3.1.4.2
// with L = 128; only AES-128-CCM exists in these dialects; the
// application key is "SMB2APP"/"SmbRpc" (SELF-GENERATED check against
// refKDF: no external vector for the application key).
func TestDeriveKeysSMB30(t *testing.T) {
	gss := []byte("0123456789abcdef")
	k, err := DeriveKeys(Dialect302, gss, nil, CipherNone)
	if err != nil {
		t.Fatal(err)
	}
	if k.EncryptionKey != nil || k.DecryptionKey != nil {
		t.Error("cipher keys without a cipher")
	}
	if want := refKDF(gss, []byte("SMB2APP\x00"), []byte("SmbRpc\x00"), 128); !bytes.Equal(k.ApplicationKey, want) {
		t.Errorf("ApplicationKey %x, want %x", k.ApplicationKey, want)
	}
	for _, c := range []Cipher{CipherAES128GCM, CipherAES256CCM, CipherAES256GCM, Cipher(9)} {
		if _, err := DeriveKeys(Dialect300, gss, nil, c); !errors.Is(err, ErrCipher) {
			t.Errorf("3.0 with %v: %v, want ErrCipher", c, err)
		}
	}
}

// MS-SMB2 3.3.5.5.3 for 3.1.1: the preauth hash is the context; the AES-256
// ciphers take 32-byte keys derived with L = 256 from the whole GSS key
// (Session.FullSessionKey, e.g. a Kerberos AES-256 subkey), while signing
// and application keys stay 16 bytes from the first 16 (SELF-GENERATED
// check against refKDF; Microsoft's 3.1.1 vector covers AES-128 only).
func TestDeriveKeysSMB311(t *testing.T) {
	var preauth PreauthHash
	preauth.Update([]byte("negotiate"))
	full := []byte("0123456789abcdefFEDCBA9876543210") // 32 bytes
	for _, c := range []Cipher{CipherNone, CipherAES128CCM, CipherAES128GCM, CipherAES256CCM, CipherAES256GCM} {
		k, err := DeriveKeys(Dialect311, full, &preauth, c)
		if err != nil {
			t.Fatal(err)
		}
		sk := full[:16]
		if want := refKDF(sk, []byte("SMBSigningKey\x00"), preauth[:], 128); !bytes.Equal(k.SigningKey, want) {
			t.Errorf("%v: SigningKey %x, want %x", c, k.SigningKey, want)
		}
		if want := refKDF(sk, []byte("SMBAppKey\x00"), preauth[:], 128); !bytes.Equal(k.ApplicationKey, want) {
			t.Errorf("%v: ApplicationKey %x, want %x", c, k.ApplicationKey, want)
		}
		var wantEnc, wantDec []byte
		switch c.KeySize() {
		case 16:
			wantEnc = refKDF(sk, []byte("SMBS2CCipherKey\x00"), preauth[:], 128)
			wantDec = refKDF(sk, []byte("SMBC2SCipherKey\x00"), preauth[:], 128)
		case 32:
			wantEnc = refKDF(full, []byte("SMBS2CCipherKey\x00"), preauth[:], 256)
			wantDec = refKDF(full, []byte("SMBC2SCipherKey\x00"), preauth[:], 256)
		}
		if !bytes.Equal(k.EncryptionKey, wantEnc) || !bytes.Equal(k.DecryptionKey, wantDec) {
			t.Errorf("%v: EncryptionKey %x DecryptionKey %x, want %x %x", c, k.EncryptionKey, k.DecryptionKey, wantEnc, wantDec)
		}
		if len(k.EncryptionKey) != c.KeySize() {
			t.Errorf("%v: %d-byte key", c, len(k.EncryptionKey))
		}
	}
	// A different preauth hash gives different keys.
	other := preauth
	other.Update([]byte("x"))
	a, _ := DeriveKeys(Dialect311, full, &preauth, CipherAES128GCM)
	b, _ := DeriveKeys(Dialect311, full, &other, CipherAES128GCM)
	if bytes.Equal(a.SigningKey, b.SigningKey) || bytes.Equal(a.EncryptionKey, b.EncryptionKey) {
		t.Error("the preauth hash does not enter the keys")
	}
	if _, err := DeriveKeys(Dialect311, full, nil, CipherNone); err == nil {
		t.Error("3.1.1 without a preauth hash accepted")
	}
}

func TestDeriveKeysErrors(t *testing.T) {
	if _, err := DeriveKeys(Dialect(0x02FF), []byte("k"), nil, CipherNone); !errors.Is(err, ErrDialect) {
		t.Errorf("dialect 0x02FF: %v", err)
	}
	if _, err := DeriveKeys(Dialect300, nil, nil, CipherNone); err == nil {
		t.Error("empty session key accepted")
	}
	if _, err := SigningKey(Dialect311, []byte("k"), nil); err == nil {
		t.Error("SigningKey 3.1.1 without preauth accepted")
	}
}

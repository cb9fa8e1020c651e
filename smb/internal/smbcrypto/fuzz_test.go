package smbcrypto

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzParseTransformHeader: any bytes parse without a panic; what parses
// has the bounds of MS-SMB2 2.2.41 / 3.3.5.2.1.1 and encodes back to the
// same bytes (Reserved aside, which AppendTo writes as zero).
func FuzzParseTransformHeader(f *testing.F) {
	e, _ := pair(f, CipherAES128CCM)
	tf, _ := e.Encrypt(nil, testMessage(0x0008, flagServerToRedi, 0, 1, 20))
	f.Add(tf)
	f.Add(tf[:TransformHeaderSize])
	f.Add(tf[:TransformHeaderSize-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseTransformHeader(b)
		if err != nil {
			return
		}
		if len(b) < TransformHeaderSize || h.Flags != TransformFlagEncrypted ||
			h.OriginalMessageSize < 64 || h.OriginalMessageSize > MaxMessageSize {
			t.Fatalf("accepted %+v from %d bytes", h, len(b))
		}
		enc := h.AppendTo(nil)
		want := bytes.Clone(b[:TransformHeaderSize])
		want[40], want[41] = 0, 0
		if !bytes.Equal(enc, want) {
			t.Fatalf("re-encoded %x, want %x", enc, want)
		}
	})
}

// fuzzSessions are deterministic (fixed nonce start and salt) so that
// every fuzz worker process makes the same valid messages.
func fuzzSessions(f *testing.F) (map[Cipher]*Decryptor, map[string]bool) {
	decs := map[Cipher]*Decryptor{}
	valid := map[string]bool{}
	for i, c := range allCiphers {
		e, d := pair(f, c)
		e.start, e.salt = uint64(i)<<40, [4]byte{byte(i), 1, 2, 3}
		decs[c] = d
		for _, n := range []int{0, 1, 100} {
			tf, err := e.Encrypt(nil, testMessage(0x0008, flagServerToRedi, 0, uint64(n+1), n))
			if err != nil {
				f.Fatal(err)
			}
			valid[string(tf)] = true
			f.Add(tf)
		}
	}
	return decs, valid
}

// FuzzDecrypt: any bytes given to every cipher's Decryptor return an
// error or a message without a panic; a message decrypts only if it is
// one the Encryptor made (a forgery found by the fuzzer is a bug); a
// failed Decrypt returns nil, and the input is never modified.
func FuzzDecrypt(f *testing.F) {
	decs, valid := fuzzSessions(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		for c, d := range decs {
			out, err := d.Decrypt(nil, b)
			if !bytes.Equal(b, orig) {
				t.Fatalf("%v: Decrypt modified its input", c)
			}
			if err != nil {
				if out != nil {
					t.Fatalf("%v: error %v with output", c, err)
				}
				continue
			}
			if !valid[string(b)] {
				t.Fatalf("%v: decrypted a message it never sent: %x", c, b)
			}
			if len(out) != len(b)-TransformHeaderSize || binary.LittleEndian.Uint64(out[hdrMessageID:]) == 0 {
				t.Fatalf("%v: decrypted to %x", c, out)
			}
		}
	})
}

// FuzzVerify: any bytes verify or not without a panic and are left as
// they were; only the messages signed here verify.
func FuzzVerify(f *testing.F) {
	valid := map[string]bool{}
	var signers []*Signer
	for _, alg := range allSigning {
		s, _ := NewSigner(alg, testSigningKey)
		signers = append(signers, s)
		m := testMessage(0x0008, flagServerToRedi, 0, 5, 30)
		if err := s.Sign(m); err != nil {
			f.Fatal(err)
		}
		valid[string(m)] = true
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		for _, s := range signers {
			err := s.Verify(b)
			if !bytes.Equal(b, orig) {
				t.Fatalf("%v: Verify modified its input", s.Algorithm())
			}
			if err == nil && !valid[string(b)] {
				t.Fatalf("%v: verified a message never signed: %x", s.Algorithm(), b)
			}
		}
	})
}

package smbcrypto

import (
	"fmt"
	"testing"
)

var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"1MiB", 1 << 20}}

func BenchmarkSign(b *testing.B)   { benchSigner(b, false) }
func BenchmarkVerify(b *testing.B) { benchSigner(b, true) }

func benchSigner(b *testing.B, verify bool) {
	for _, alg := range allSigning {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%v/%s", alg, sz.name), func(b *testing.B) {
				s, _ := NewSigner(alg, testSigningKey)
				msg := testMessage(0x0008, flagServerToRedi, 0, 1, sz.n-hdrSize)
				op := s.Sign
				if verify {
					if err := s.Sign(msg); err != nil {
						b.Fatal(err)
					}
					op = s.Verify
				}
				b.SetBytes(int64(sz.n))
				b.ReportAllocs()
				for b.Loop() {
					if err := op(msg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkEncrypt(b *testing.B) {
	for _, c := range allCiphers {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%v/%s", c, sz.name), func(b *testing.B) {
				e, _ := pair(b, c)
				msg := testMessage(0x0008, flagServerToRedi, 0, 1, sz.n-hdrSize)
				out := make([]byte, 0, TransformHeaderSize+sz.n+16)
				b.SetBytes(int64(sz.n))
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if out, err = e.Encrypt(out[:0], msg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	for _, c := range allCiphers {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%v/%s", c, sz.name), func(b *testing.B) {
				e, d := pair(b, c)
				tf, err := e.Encrypt(nil, testMessage(0x0008, flagServerToRedi, 0, 1, sz.n-hdrSize))
				if err != nil {
					b.Fatal(err)
				}
				out := make([]byte, 0, sz.n+16)
				b.SetBytes(int64(sz.n))
				b.ReportAllocs()
				for b.Loop() {
					if out, err = d.Decrypt(out[:0], tf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

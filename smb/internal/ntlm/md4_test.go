package ntlm

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestMD4 checks the test suite of RFC 1320 appendix A.5, plus inputs
// around the 56-byte padding boundary (one and two final blocks).
func TestMD4(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
		{"a", "bde52cb31de33e46245e05fbdbd6fb24"},
		{"abc", "a448017aaf21d8525fc10ae87aa6729d"},
		{"message digest", "d9130a8164549fe818874806e1c7014b"},
		{"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"},
		{"12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536"},
	} {
		got := md4([]byte(tc.in))
		if hex.EncodeToString(got[:]) != tc.want {
			t.Errorf("MD4(%q) = %x, want %s", tc.in, got, tc.want)
		}
	}
	// Lengths 55, 56, 63, 64 and 65 cross the padding boundary; each must
	// differ from its neighbours (a padding bug collapses them).
	seen := map[[16]byte]int{}
	for _, n := range []int{55, 56, 63, 64, 65} {
		d := md4([]byte(strings.Repeat("x", n)))
		if m, ok := seen[d]; ok {
			t.Errorf("MD4 of %d and %d bytes collide", m, n)
		}
		seen[d] = n
	}
}

// TestNTHash checks the NT hash of MS-NLMP 4.2.1 / 4.2.2.1.2 ("Password"
// as UTF-16LE, MD4) and of the empty password.
func TestNTHash(t *testing.T) {
	h := NTHash("Password")
	if got := hex.EncodeToString(h[:]); got != "a4f49c406510bdcab6824ee7c30fd852" {
		t.Errorf("NTHash(Password) = %s", got)
	}
	h = NTHash("")
	if got := hex.EncodeToString(h[:]); got != "31d6cfe0d16ae931b73c59d7e0c089c0" {
		t.Errorf("NTHash(\"\") = %s", got)
	}
}

package ntlm

import (
	"encoding/binary"
	"math/bits"
)

// md4 returns the MD4 digest of msg (RFC 1320). NTLM needs it for the NT
// hash only (MS-NLMP 3.3.1, NTOWFv1), and the standard library has none.
func md4(msg []byte) [16]byte {
	a, b, c, d := uint32(0x67452301), uint32(0xefcdab89), uint32(0x98badcfe), uint32(0x10325476)

	// Step 1 and 2 (RFC 1320 3.1, 3.2): a 0x80 byte, zeros up to 56 mod 64,
	// then the message length in bits, little-endian.
	n := len(msg)
	padded := make([]byte, (n+8)/64*64+64)
	copy(padded, msg)
	padded[n] = 0x80
	binary.LittleEndian.PutUint64(padded[len(padded)-8:], uint64(n)<<3)

	var x [16]uint32
	for off := 0; off < len(padded); off += 64 {
		for i := range x {
			x[i] = binary.LittleEndian.Uint32(padded[off+4*i:])
		}
		aa, bb, cc, dd := a, b, c, d
		// Round 1: F(X,Y,Z) = XY v not(X) Z; [abcd k s] a = (a + F(b,c,d) + X[k]) <<< s.
		for i := 0; i < 16; i += 4 {
			a = bits.RotateLeft32(a+(b&c|^b&d)+x[i], 3)
			d = bits.RotateLeft32(d+(a&b|^a&c)+x[i+1], 7)
			c = bits.RotateLeft32(c+(d&a|^d&b)+x[i+2], 11)
			b = bits.RotateLeft32(b+(c&d|^c&a)+x[i+3], 19)
		}
		// Round 2: G(X,Y,Z) = XY v XZ v YZ; + 0x5A827999; k = 0,4,8,12, 1,5,9,13, ...
		for i := 0; i < 4; i++ {
			a = bits.RotateLeft32(a+(b&c|b&d|c&d)+x[i]+0x5a827999, 3)
			d = bits.RotateLeft32(d+(a&b|a&c|b&c)+x[i+4]+0x5a827999, 5)
			c = bits.RotateLeft32(c+(d&a|d&b|a&b)+x[i+8]+0x5a827999, 9)
			b = bits.RotateLeft32(b+(c&d|c&a|d&a)+x[i+12]+0x5a827999, 13)
		}
		// Round 3: H(X,Y,Z) = X xor Y xor Z; + 0x6ED9EBA1; k = 0,8,4,12, 2,10,6,14, 1,9,5,13, 3,11,7,15.
		for _, i := range [4]int{0, 2, 1, 3} {
			a = bits.RotateLeft32(a+(b^c^d)+x[i]+0x6ed9eba1, 3)
			d = bits.RotateLeft32(d+(a^b^c)+x[i+8]+0x6ed9eba1, 9)
			c = bits.RotateLeft32(c+(d^a^b)+x[i+4]+0x6ed9eba1, 11)
			b = bits.RotateLeft32(b+(c^d^a)+x[i+12]+0x6ed9eba1, 15)
		}
		a, b, c, d = a+aa, b+bb, c+cc, d+dd
	}
	var sum [16]byte
	binary.LittleEndian.PutUint32(sum[0:], a)
	binary.LittleEndian.PutUint32(sum[4:], b)
	binary.LittleEndian.PutUint32(sum[8:], c)
	binary.LittleEndian.PutUint32(sum[12:], d)
	return sum
}

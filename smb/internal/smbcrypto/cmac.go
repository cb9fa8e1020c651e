package smbcrypto

import (
	"crypto/cipher"
	"encoding/binary"
)

const blockSize = 16

// cbcMAC is a CBC-MAC in progress over a 16-byte block cipher with a zero
// IV: x is the chaining value after every whole block absorbed so far, and
// buf holds the bytes of a block not yet whole. CCM (SP800-38C A.2) and
// CMAC (SP800-38B 6.2, RFC 4493 2.4) both run on it.
type cbcMAC struct {
	b   cipher.Block
	x   [blockSize]byte
	buf [blockSize]byte
	n   int // bytes in buf
}

// xorBlock sets dst ^= src for 16-byte blocks.
func xorBlock(dst *[blockSize]byte, src []byte) {
	_ = src[blockSize-1]
	binary.LittleEndian.PutUint64(dst[0:], binary.LittleEndian.Uint64(dst[0:])^binary.LittleEndian.Uint64(src[0:]))
	binary.LittleEndian.PutUint64(dst[8:], binary.LittleEndian.Uint64(dst[8:])^binary.LittleEndian.Uint64(src[8:]))
}

// write absorbs p.
func (m *cbcMAC) write(p []byte) {
	if m.n > 0 {
		c := copy(m.buf[m.n:], p)
		m.n += c
		p = p[c:]
		if m.n < blockSize {
			return
		}
		xorBlock(&m.x, m.buf[:])
		m.b.Encrypt(m.x[:], m.x[:])
		m.n = 0
	}
	for len(p) >= blockSize {
		xorBlock(&m.x, p)
		m.b.Encrypt(m.x[:], m.x[:])
		p = p[blockSize:]
	}
	m.n = copy(m.buf[:], p)
}

// pad completes a partial block with zeros (SP800-38C A.2.2, A.2.3).
func (m *cbcMAC) pad() {
	if m.n == 0 {
		return
	}
	clear(m.buf[m.n:])
	xorBlock(&m.x, m.buf[:])
	m.b.Encrypt(m.x[:], m.x[:])
	m.n = 0
}

// cmac is AES-CMAC (RFC 4493, NIST SP800-38B) under one key: the cipher and
// its two subkeys. It keeps no state between messages and is safe for
// concurrent use.
type cmac struct {
	b      cipher.Block
	k1, k2 [blockSize]byte
}

// dbl is the doubling of RFC 4493 2.3: a one-bit left shift of the 128-bit
// string, XORed with const_Rb = 0x87 when the bit shifted out is one.
func dbl(dst, src *[blockSize]byte) {
	hi := binary.BigEndian.Uint64(src[0:])
	lo := binary.BigEndian.Uint64(src[8:])
	carry := hi >> 63
	hi = hi<<1 | lo>>63
	lo = lo<<1 ^ (0x87 & -carry) // constant time in the key
	binary.BigEndian.PutUint64(dst[0:], hi)
	binary.BigEndian.PutUint64(dst[8:], lo)
}

// newCMAC derives the subkeys K1 and K2 (RFC 4493 2.3): L = AES(K, 0^128),
// K1 = dbl(L), K2 = dbl(K1).
func newCMAC(b cipher.Block) *cmac {
	c := &cmac{b: b}
	var l [blockSize]byte
	b.Encrypt(l[:], l[:])
	dbl(&c.k1, &l)
	dbl(&c.k2, &c.k1)
	return c
}

// sum is the MAC generation of RFC 4493 2.4: CBC-MAC over all blocks but
// the last, then the last block XORed with K1 when whole, or padded with
// 10^i and XORed with K2 when partial (or when the message is empty).
func (c *cmac) sum(msg []byte) [blockSize]byte {
	m := cbcMAC{b: c.b}
	// Every block but the last goes through the plain CBC-MAC.
	last := len(msg) - blockSize
	if r := len(msg) % blockSize; r != 0 {
		last = len(msg) - r
	}
	if last < 0 {
		last = 0
	}
	m.write(msg[:last])
	var final [blockSize]byte
	rest := msg[last:]
	if len(rest) == blockSize {
		copy(final[:], rest)
		xorBlock(&final, c.k1[:])
	} else {
		copy(final[:], rest)
		final[len(rest)] = 0x80
		xorBlock(&final, c.k2[:])
	}
	xorBlock(&m.x, final[:])
	c.b.Encrypt(m.x[:], m.x[:])
	return m.x
}

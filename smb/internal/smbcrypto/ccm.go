package smbcrypto

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// ccm is CCM mode (NIST SP800-38C, RFC 3610) over a 128-bit block cipher,
// as a cipher.AEAD: Seal appends ciphertext || tag, Open takes the same.
// nonceSize n is 7..13 bytes, which leaves q = 15-n bytes for the payload
// length; tagSize t is 4, 6, ..., 16. SMB uses n = 11, t = 16 (MS-SMB2
// 2.2.41, 3.1.4.3). It keeps no state between messages and is safe for
// concurrent use.
type ccm struct {
	b         cipher.Block
	nonceSize int
	tagSize   int
}

var errOpen = errors.New("smbcrypto: message authentication failed")

func newCCM(b cipher.Block, nonceSize, tagSize int) (*ccm, error) {
	if b.BlockSize() != blockSize {
		return nil, errors.New("smbcrypto: CCM needs a 128-bit block cipher")
	}
	if nonceSize < 7 || nonceSize > 13 {
		return nil, errors.New("smbcrypto: CCM nonce must be 7 to 13 bytes")
	}
	if tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, errors.New("smbcrypto: CCM tag must be 4, 6, ..., 16 bytes")
	}
	return &ccm{b: b, nonceSize: nonceSize, tagSize: tagSize}, nil
}

func (c *ccm) NonceSize() int { return c.nonceSize }
func (c *ccm) Overhead() int  { return c.tagSize }

// maxPayload is the largest payload the q-byte length field of B0 holds:
// 2^(8q) - 1.
func (c *ccm) maxPayload() uint64 {
	q := 15 - c.nonceSize
	if q >= 8 {
		return 1<<63 - 1
	}
	return 1<<(8*q) - 1
}

// counter returns the counter block Ctr_j (SP800-38C A.3): flags (q-1),
// the nonce, and j in the last q bytes.
func (c *ccm) counter(nonce []byte, j uint64) [blockSize]byte {
	var ctr [blockSize]byte
	ctr[0] = byte(14 - c.nonceSize) // q-1
	copy(ctr[1:], nonce)
	var jb [8]byte
	binary.BigEndian.PutUint64(jb[:], j)
	q := 15 - c.nonceSize
	if q > 8 {
		q = 8
	}
	copy(ctr[blockSize-q:], jb[8-q:])
	return ctr
}

// mac computes T, the unencrypted tag (SP800-38C 6.1 steps 1-4): the
// CBC-MAC of B0, the encoded associated data and the payload, each padded
// to whole blocks.
func (c *ccm) mac(nonce, p, ad []byte) [blockSize]byte {
	q := 15 - c.nonceSize
	var b0 [blockSize]byte
	b0[0] = byte((c.tagSize-2)/2<<3 | (q - 1))
	if len(ad) > 0 {
		b0[0] |= 0x40
	}
	copy(b0[1:], nonce)
	var lb [8]byte
	binary.BigEndian.PutUint64(lb[:], uint64(len(p)))
	if q > 8 {
		copy(b0[blockSize-8:], lb[:])
	} else {
		copy(b0[blockSize-q:], lb[8-q:])
	}
	m := cbcMAC{b: c.b}
	m.write(b0[:])
	if len(ad) > 0 {
		// The length of the associated data (SP800-38C A.2.2).
		var enc [10]byte
		var n int
		switch a := uint64(len(ad)); {
		case a < 1<<16-1<<8:
			binary.BigEndian.PutUint16(enc[:], uint16(a))
			n = 2
		case a < 1<<32:
			enc[0], enc[1] = 0xff, 0xfe
			binary.BigEndian.PutUint32(enc[2:], uint32(a))
			n = 6
		default:
			enc[0], enc[1] = 0xff, 0xff
			binary.BigEndian.PutUint64(enc[2:], a)
			n = 10
		}
		m.write(enc[:n])
		m.write(ad)
		m.pad()
	}
	m.write(p)
	m.pad()
	return m.x
}

// ctr runs CTR mode from Ctr_1 (SP800-38C 6.1 steps 5-8): dst = src XOR
// S_1 || S_2 || .... The stdlib CTR increments the whole block big-endian;
// that equals incrementing the q-byte field because the payload length is
// below 2^(8q) bytes, so the field never carries into the nonce.
func (c *ccm) ctr(dst, src, nonce []byte) {
	ctr1 := c.counter(nonce, 1)
	cipher.NewCTR(c.b, ctr1[:]).XORKeyStream(dst, src)
}

// tagMask is S_0 = E(Ctr_0), which masks the tag.
func (c *ccm) tagMask(nonce []byte) [blockSize]byte {
	s0 := c.counter(nonce, 0)
	c.b.Encrypt(s0[:], s0[:])
	return s0
}

// sliceForAppend extends in by n bytes, reusing its capacity when it can;
// head is the whole slice and tail the n new bytes.
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}

// Seal appends the encryption of plaintext and the tag to dst. It panics,
// like the stdlib AEADs, on a nonce of the wrong size or a payload too
// long for the length field (2^32-1 bytes with SMB's 11-byte nonce).
func (c *ccm) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != c.nonceSize {
		panic("smbcrypto: CCM nonce of the wrong size")
	}
	if uint64(len(plaintext)) > c.maxPayload() {
		panic("smbcrypto: CCM payload too long for the nonce size")
	}
	t := c.mac(nonce, plaintext, additionalData) // before out may overwrite plaintext
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagSize)
	c.ctr(out[:len(plaintext)], plaintext, nonce)
	s0 := c.tagMask(nonce)
	xorBlock(&t, s0[:])
	copy(out[len(plaintext):], t[:c.tagSize])
	return ret
}

// Open authenticates and decrypts ciphertext (which ends with the tag) and
// appends the plaintext to dst. On failure the bytes it wrote are zeroed
// and it returns an error.
func (c *ccm) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != c.nonceSize {
		panic("smbcrypto: CCM nonce of the wrong size")
	}
	if len(ciphertext) < c.tagSize {
		return nil, errOpen
	}
	n := len(ciphertext) - c.tagSize
	if uint64(n) > c.maxPayload() {
		return nil, errOpen
	}
	var tag [blockSize]byte
	copy(tag[:], ciphertext[n:]) // before out may overwrite it
	ret, out := sliceForAppend(dst, n)
	c.ctr(out, ciphertext[:n], nonce)
	t := c.mac(nonce, out, additionalData)
	s0 := c.tagMask(nonce)
	xorBlock(&t, s0[:])
	if subtle.ConstantTimeCompare(t[:c.tagSize], tag[:c.tagSize]) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

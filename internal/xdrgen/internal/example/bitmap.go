package example

import "github.com/dittofs/dittofs/rpc/xdr"

// Bitmap is a bitmap4-style bit set (RFC 7530 §3.3.15) whose methods are
// written by hand; generated code uses it as a field type. On the wire it
// is uint32<3>: a count of words, then the words; trailing zero words are
// not sent.
type Bitmap uint64

// MarshalXDR encodes b as at most two words (the third is always zero).
func (b *Bitmap) MarshalXDR(e *xdr.Encoder) {
	n := b.words()
	e.Uint32(uint32(n))
	for i := range n {
		e.Uint32(uint32(*b >> (32 * i)))
	}
}

// SizeXDR returns the encoded size of b.
func (b *Bitmap) SizeXDR() int { return 4 + 4*b.words() }

// UnmarshalXDR decodes b; a set bit beyond 63 is xdr.ErrBadValue. Trailing
// zero words are accepted, so the encoding of a decoded Bitmap may be
// shorter than its input.
func (b *Bitmap) UnmarshalXDR(d *xdr.Decoder) {
	n := d.ArrayLen(3, 4)
	var v Bitmap
	for i := range n {
		w := d.Uint32()
		if i >= 2 && w != 0 {
			d.SetErr(xdr.ErrBadValue)
			return
		}
		if i < 2 {
			v |= Bitmap(w) << (32 * i)
		}
	}
	*b = v
}

func (b *Bitmap) words() int { return b.wordsOf(*b) }

func (*Bitmap) wordsOf(v Bitmap) int {
	switch {
	case v>>32 != 0:
		return 2
	case v != 0:
		return 1
	}
	return 0
}

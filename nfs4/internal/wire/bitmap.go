package wire

// IsSet reports whether bit n is set in b; bits beyond the words sent are
// clear (RFC 3530 §2.2: trailing zero words may be omitted).
func (b Bitmap4) IsSet(n uint32) bool {
	w := n / 32
	return w < uint32(len(b)) && b[w]&(1<<(n%32)) != 0
}

// Set returns b with bit n set, growing it to n/32+1 words as needed; n
// is meant to be a known attribute or flag number, not a peer's value.
func (b Bitmap4) Set(n uint32) Bitmap4 {
	w := int(n / 32)
	for len(b) <= w {
		b = append(b, 0)
	}
	b[w] |= 1 << (n % 32)
	return b
}

// Clear clears bit n of b, if b has it.
func (b Bitmap4) Clear(n uint32) {
	if w := n / 32; w < uint32(len(b)) {
		b[w] &^= 1 << (n % 32)
	}
}

// Trim returns b without its trailing zero words, the shortest encoding of
// the same set.
func (b Bitmap4) Trim() Bitmap4 {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// Next returns the smallest set bit greater than or equal to n and true,
// or false if there is none: `for n, ok := b.Next(0); ok; n, ok =
// b.Next(n + 1)` visits the set bits in the order fattr4 values are
// encoded.
func (b Bitmap4) Next(n uint32) (uint32, bool) {
	for w := n / 32; w < uint32(len(b)); w++ {
		word := b[w]
		if w == n/32 {
			word &^= 1<<(n%32) - 1
		}
		if word != 0 {
			for i := uint32(0); i < 32; i++ {
				if word&(1<<i) != 0 {
					return w*32 + i, true
				}
			}
		}
	}
	return 0, false
}

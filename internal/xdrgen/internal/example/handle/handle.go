// Package handle is a stand-in for a type shared between wire packages
// (such as a file handle) that implements xdr.Marshaler and
// xdr.Unmarshaler by hand. The xdrgen example uses it as a field type
// from another package.
package handle

import "github.com/dittofs/dittofs/rpc/xdr"

// Size is the length of a Handle on the wire, without its length word.
const Size = 16

// Handle is a fixed 16-byte identifier encoded as opaque<16> whose length
// must be exactly Size.
type Handle struct {
	ID [Size]byte
}

// MarshalXDR encodes h as opaque<16>.
func (h *Handle) MarshalXDR(e *xdr.Encoder) { e.Opaque(h.ID[:]) }

// SizeXDR returns the encoded size of h.
func (h *Handle) SizeXDR() int { return xdr.SizeOpaque(Size) }

// UnmarshalXDR decodes h; a length other than Size is xdr.ErrBadValue.
func (h *Handle) UnmarshalXDR(d *xdr.Decoder) {
	b := d.Opaque(Size)
	if d.Err() == nil && len(b) != Size {
		d.SetErr(xdr.ErrBadValue)
		return
	}
	copy(h.ID[:], b)
}

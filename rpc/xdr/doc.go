// Package xdr implements XDR, the External Data Representation of RFC 4506,
// for the ONC RPC programs DittoFS serves.
//
// Decoding works over a byte slice by offset with a sticky error, in the
// style of miekg/dns's message helpers: after the first failure every method
// returns a zero value and Err reports the failure. Every length read from
// the wire is checked against both the field's declared maximum and the bytes
// left in the record before anything is allocated, so a hostile length such
// as 0xFFFFFFFF costs nothing. Opaque data is returned as a sub-slice of the
// record (no copy); it stays valid only as long as the record buffer does,
// which for an RPC server is until the handler returns.
//
// Encoding appends to a growable byte slice and never fails.
//
//	var e xdr.Encoder
//	e.Uint32(7)
//	e.String("hello")
//	d := xdr.NewDecoder(e.Bytes())
//	n, s := d.Uint32(), d.String(255)
//	if err := d.Err(); err != nil { … }
//
// Protocol packages declare their wire types as Go structs with `xdr` tags
// and generate MarshalXDR, UnmarshalXDR and SizeXDR methods for them with
// internal/xdrgen; see that package for the tag syntax.
package xdr

// Package xdrtest holds test helpers for XDR codecs: the round-trip fuzz
// body that internal/xdrgen's generated fuzz targets call, usable for
// hand-written codecs too.
package xdrtest

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// Fuzz fuzzes the codec of T: decoding arbitrary input never panics, a
// decoded value re-encodes to exactly SizeXDR bytes, and decoding that
// encoding consumes it all and gives an equal value that encodes to the same
// bytes. Seeds: empty input, the zero value's encoding, and runs of small
// words (which select the first arms of unions and short lengths).
//
//	func FuzzUnmarshalREAD3args(f *testing.F) { xdrtest.Fuzz[READ3args](f) }
func Fuzz[T any, P interface {
	*T
	xdr.Marshaler
	xdr.Unmarshaler
}](f *testing.F) {
	f.Add([]byte{})
	f.Add(xdr.Marshal(P(new(T))))
	f.Add(bytes.Repeat([]byte{0, 0, 0, 1}, 64))
	f.Add(bytes.Repeat([]byte{0, 0, 0, 2}, 64))
	f.Fuzz(func(t *testing.T, b []byte) { RoundTrip[T, P](t, b) })
}

// RoundTrip checks one input the way Fuzz does; inputs that do not decode
// pass.
func RoundTrip[T any, P interface {
	*T
	xdr.Marshaler
	xdr.Unmarshaler
}](t testing.TB, b []byte) {
	t.Helper()
	v := P(new(T))
	d := xdr.NewDecoder(b)
	v.UnmarshalXDR(d)
	if d.Err() != nil {
		return
	}
	enc := xdr.Marshal(v)
	if len(enc) != v.SizeXDR() {
		t.Fatalf("SizeXDR = %d, encoding has %d bytes", v.SizeXDR(), len(enc))
	}
	w := P(new(T))
	d2 := xdr.NewDecoder(enc)
	w.UnmarshalXDR(d2)
	if err := d2.Err(); err != nil {
		t.Fatalf("re-decoding: %v", err)
	}
	if d2.Remaining() != 0 {
		t.Fatalf("re-decoding left %d bytes", d2.Remaining())
	}
	if !reflect.DeepEqual(v, w) {
		t.Fatalf("decode → encode → decode differs:\n%+v\n%+v", v, w)
	}
	if enc2 := xdr.Marshal(w); !bytes.Equal(enc, enc2) {
		t.Fatalf("re-encoding differs:\n%x\n%x", enc, enc2)
	}
}

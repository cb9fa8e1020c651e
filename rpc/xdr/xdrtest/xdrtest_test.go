package xdrtest

import (
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// sized is a codec whose SizeXDR lies, to show RoundTrip catches it.
type sized struct{ v uint32 }

func (s *sized) MarshalXDR(e *xdr.Encoder)   { e.Uint32(s.v) }
func (s *sized) SizeXDR() int                { return 8 }
func (s *sized) UnmarshalXDR(d *xdr.Decoder) { s.v = d.Uint32() }

// lossy drops the high bit when decoding, so decode → encode → decode
// differs from the input's value only for some inputs.
type lossy struct{ v uint32 }

func (s *lossy) MarshalXDR(e *xdr.Encoder)   { e.Uint32(s.v | 1) }
func (s *lossy) SizeXDR() int                { return 4 }
func (s *lossy) UnmarshalXDR(d *xdr.Decoder) { s.v = d.Uint32() }

type good struct{ v uint32 }

func (s *good) MarshalXDR(e *xdr.Encoder)   { e.Uint32(s.v) }
func (s *good) SizeXDR() int                { return 4 }
func (s *good) UnmarshalXDR(d *xdr.Decoder) { s.v = d.Uint32() }

// recorder is a testing.TB that records a failure instead of stopping the
// test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	panic(r)
}

func fails(t *testing.T, f func(tb testing.TB)) bool {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != r {
				panic(p)
			}
		}()
		f(r)
	}()
	return r.failed
}

func TestRoundTripCatchesBrokenCodecs(t *testing.T) {
	in := []byte{0, 0, 0, 2}
	if !fails(t, func(tb testing.TB) { RoundTrip[sized](tb, in) }) {
		t.Error("a wrong SizeXDR passed")
	}
	if !fails(t, func(tb testing.TB) { RoundTrip[lossy](tb, in) }) {
		t.Error("a lossy codec passed")
	}
	if fails(t, func(tb testing.TB) { RoundTrip[good](tb, in) }) {
		t.Error("a correct codec failed")
	}
	if fails(t, func(tb testing.TB) { RoundTrip[good](tb, []byte{1}) }) {
		t.Error("undecodable input failed")
	}
}

func FuzzGood(f *testing.F) { Fuzz[good](f) }

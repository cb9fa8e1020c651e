package xdr

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTripPrimitives(t *testing.T) {
	var e Encoder
	e.Uint32(0xdeadbeef)
	e.Int32(-2)
	e.Uint64(1 << 40)
	e.Int64(-1)
	e.Bool(true)
	e.Bool(false)
	e.FixedOpaque([]byte{1, 2, 3})
	e.Opaque([]byte("hello"))
	e.String("")
	e.String("abcd")
	e.Optional(true)

	want := []byte{
		0xde, 0xad, 0xbe, 0xef,
		0xff, 0xff, 0xff, 0xfe,
		0, 0, 1, 0, 0, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0, 0, 0, 1,
		0, 0, 0, 0,
		1, 2, 3, 0,
		0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0,
		0, 0, 0, 0,
		0, 0, 0, 4, 'a', 'b', 'c', 'd',
		0, 0, 0, 1,
	}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("encoding:\n got %x\nwant %x", e.Bytes(), want)
	}

	d := NewDecoder(e.Bytes())
	if v := d.Uint32(); v != 0xdeadbeef {
		t.Errorf("Uint32 = %#x", v)
	}
	if v := d.Int32(); v != -2 {
		t.Errorf("Int32 = %d", v)
	}
	if v := d.Uint64(); v != 1<<40 {
		t.Errorf("Uint64 = %d", v)
	}
	if v := d.Int64(); v != -1 {
		t.Errorf("Int64 = %d", v)
	}
	if !d.Bool() || d.Bool() {
		t.Error("Bool mismatch")
	}
	if v := d.FixedOpaque(3); !bytes.Equal(v, []byte{1, 2, 3}) {
		t.Errorf("FixedOpaque = %x", v)
	}
	if v := d.Opaque(5); string(v) != "hello" {
		t.Errorf("Opaque = %q", v)
	}
	if v := d.String(10); v != "" {
		t.Errorf("String = %q", v)
	}
	if v := d.String(4); v != "abcd" {
		t.Errorf("String = %q", v)
	}
	if !d.Optional() {
		t.Error("Optional = false")
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if d.Remaining() != 0 {
		t.Fatalf("%d bytes left", d.Remaining())
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		dec  func(d *Decoder)
		want error
	}{
		{"short uint32", []byte{0, 0, 1}, func(d *Decoder) { d.Uint32() }, ErrShortBuffer},
		{"short uint64", []byte{0, 0, 0, 0, 1}, func(d *Decoder) { d.Uint64() }, ErrShortBuffer},
		{"bad bool", []byte{0, 0, 0, 2}, func(d *Decoder) { d.Bool() }, ErrBadBool},
		{"opaque over max", []byte{0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0}, func(d *Decoder) { d.Opaque(8) }, ErrTooLong},
		{"opaque huge length", []byte{0xff, 0xff, 0xff, 0xff}, func(d *Decoder) { d.Opaque(Unlimited) }, ErrShortBuffer},
		{"opaque missing padding", []byte{0, 0, 0, 1, 7}, func(d *Decoder) { d.Opaque(Unlimited) }, ErrShortBuffer},
		{"string huge length", []byte{0x7f, 0xff, 0xff, 0xff, 'a'}, func(d *Decoder) { d.String(Unlimited) }, ErrShortBuffer},
		{"array over max", []byte{0, 0, 0, 17}, func(d *Decoder) { d.ArrayLen(16, 4) }, ErrTooLong},
		{"array count exceeds bytes", []byte{0, 0, 0, 2, 0, 0, 0, 1}, func(d *Decoder) { d.ArrayLen(16, 4) }, ErrShortBuffer},
		{"negative fixed", nil, func(d *Decoder) { d.FixedOpaque(-1) }, ErrShortBuffer},
		{"skip past end", []byte{1}, func(d *Decoder) { d.Skip(2) }, ErrShortBuffer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(tt.in)
			tt.dec(d)
			if !errors.Is(d.Err(), tt.want) {
				t.Fatalf("err = %v, want %v", d.Err(), tt.want)
			}
			// The error is sticky: later reads return zero values.
			if v := d.Uint32(); v != 0 {
				t.Fatalf("read after error = %d", v)
			}
			if !errors.Is(d.Err(), tt.want) {
				t.Fatalf("error changed to %v", d.Err())
			}
		})
	}
}

func TestHugeLengthDoesNotAllocate(t *testing.T) {
	in := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}
	allocs := testing.AllocsPerRun(100, func() {
		d := Decoder{buf: in}
		_ = d.String(Unlimited)
		_ = d.OpaqueCopy(Unlimited)
		_ = d.ArrayLen(Unlimited, 4)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations for a hostile length", allocs)
	}
}

func TestOpaqueAliases(t *testing.T) {
	in := []byte{0, 0, 0, 2, 'h', 'i', 0, 0}
	b := NewDecoder(in).Opaque(2)
	in[4] = 'H'
	if string(b) != "Hi" {
		t.Fatalf("Opaque copied instead of aliasing: %q", b)
	}
	if cap(b) != 2 {
		t.Fatalf("aliased slice can grow into the record: cap %d", cap(b))
	}
}

func TestPutUint32At(t *testing.T) {
	var e Encoder
	e.Uint32(0)
	e.Uint32(5)
	e.PutUint32At(0, 9)
	d := NewDecoder(e.Bytes())
	if a, b := d.Uint32(), d.Uint32(); a != 9 || b != 5 {
		t.Fatalf("got %d %d", a, b)
	}
}

func TestSetErrKeepsFirst(t *testing.T) {
	d := NewDecoder([]byte{0, 0, 0, 1})
	d.SetErr(ErrBadUnion)
	d.SetErr(ErrBadValue)
	if !errors.Is(d.Err(), ErrBadUnion) {
		t.Fatalf("err = %v", d.Err())
	}
	if d.Remaining() != 0 {
		t.Fatal("SetErr did not stop decoding")
	}
}

// FuzzDecoder drives every decoder method over arbitrary input in an order
// chosen by the input itself; it must never panic, and every value decoded
// without error must encode back to the same bytes.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 3, 'a', 'b', 'c', 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		ops, data := in[0], in[1:]
		d := NewDecoder(data)
		var e Encoder
		for i := 0; i < 8 && d.Err() == nil && d.Remaining() > 0; i++ {
			start := d.Offset()
			switch (ops >> (i % 4 * 2)) & 3 {
			case 0:
				e.Uint32(d.Uint32())
			case 1:
				e.Uint64(d.Uint64())
			case 2:
				e.Opaque(d.Opaque(64))
			case 3:
				v := d.Bool()
				if d.Err() == nil {
					e.Bool(v)
				}
			}
			if d.Err() != nil {
				e.Truncate(start)
				break
			}
		}
		// Padding bytes need not be zero on input; compare decoded values by
		// re-decoding what we encoded only when no opaque was involved.
		if d.Err() == nil && ops&0xAA == 0 && !bytes.Equal(e.Bytes(), data[:d.Offset()]) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", e.Bytes(), data[:d.Offset()])
		}
	})
}

// getattrReply is the shape of an NFSv3 GETATTR reply body: a status and
// fattr3 (21 words).
func encodeGetattr(e *Encoder) {
	e.Uint32(0) // NFS3_OK
	e.Uint32(1) // type
	e.Uint32(0o644)
	e.Uint32(1)
	e.Uint32(1000)
	e.Uint32(1000)
	e.Uint64(4096)
	e.Uint64(4096)
	e.Uint32(0)
	e.Uint32(0)
	e.Uint64(1)
	e.Uint64(42)
	for i := 0; i < 3; i++ {
		e.Uint32(1700000000)
		e.Uint32(0)
	}
}

func BenchmarkEncodeGetattr(b *testing.B) {
	b.ReportAllocs()
	e := NewEncoder(make([]byte, 0, 256))
	for b.Loop() {
		e.Reset(e.Bytes())
		encodeGetattr(e)
	}
}

func BenchmarkDecodeGetattr(b *testing.B) {
	var e Encoder
	encodeGetattr(&e)
	buf := e.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	var d Decoder
	for b.Loop() {
		d.Reset(buf)
		d.Uint32()
		for i := 0; i < 5; i++ {
			d.Uint32()
		}
		d.Uint64()
		d.Uint64()
		d.Uint32()
		d.Uint32()
		d.Uint64()
		d.Uint64()
		for i := 0; i < 6; i++ {
			d.Uint32()
		}
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
}

// BenchmarkEncodeRead1MiB encodes the header of a 1 MiB READ reply; the
// payload itself is never copied by the encoder (rpc.ReplyWriter.Data sends
// it as its own buffer).
func BenchmarkEncodeRead1MiB(b *testing.B) {
	payload := make([]byte, 1<<20)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	e := NewEncoder(make([]byte, 0, 256))
	for b.Loop() {
		e.Reset(e.Bytes())
		encodeGetattr(e)
		e.Uint32(uint32(len(payload))) // count
		e.Bool(true)                   // eof
		e.Uint32(uint32(len(payload))) // data length; the data follows as its own buffer
	}
}

func BenchmarkDecodeWrite1MiB(b *testing.B) {
	var e Encoder
	e.Opaque(make([]byte, 64)) // file handle
	e.Uint64(0)
	e.Uint32(1 << 20)
	e.Uint32(2)
	e.Opaque(make([]byte, 1<<20))
	buf := e.Bytes()
	b.ReportAllocs()
	b.SetBytes(1 << 20)
	var d Decoder
	for b.Loop() {
		d.Reset(buf)
		d.Opaque(64)
		d.Uint64()
		d.Uint32()
		d.Uint32()
		if p := d.Opaque(Unlimited); len(p) != 1<<20 {
			b.Fatal("short")
		}
	}
}

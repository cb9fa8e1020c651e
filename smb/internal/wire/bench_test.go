package wire

import (
	"bytes"
	"testing"
)

func BenchmarkHeaderDecode(b *testing.B) {
	m := readReq()
	var h Header
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Decode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitCompound(b *testing.B) {
	frame := compound(createReq(), readReq(), queryInfoReq(), closeReq())
	msgs := make([]Message, 0, 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		var err error
		if msgs, err = Split(frame, msgs); err != nil || len(msgs) != 4 {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadDecode(b *testing.B) {
	m := readReq()
	var r ReadRequest
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Decode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadEncode encodes a READ response header and fixed part; the
// data itself goes out with WriteFrame without being copied.
func BenchmarkReadEncode(b *testing.B) {
	var e Encoder
	e.Reset(make([]byte, 0, 256))
	h := Header{Command: SMB2_READ, Flags: SMB2_FLAGS_SERVER_TO_REDIR, Credits: 32, MessageID: 9, TreeID: 1, SessionID: 2}
	r := ReadResponse{}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(e.Bytes())
		e.BeginMessage(&h)
		r.EncodeFixed(&e, 1<<20)
	}
}

func BenchmarkWriteDecode(b *testing.B) {
	m := writeReq(bytes.Repeat([]byte{1}, 64<<10))
	var w WriteRequest
	b.ReportAllocs()
	b.SetBytes(64 << 10)
	for b.Loop() {
		if err := w.Decode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteEncode(b *testing.B) {
	var e Encoder
	e.Reset(make([]byte, 0, 256))
	h := Header{Command: SMB2_WRITE, Flags: SMB2_FLAGS_SERVER_TO_REDIR, Credits: 32, MessageID: 9, TreeID: 1, SessionID: 2}
	r := WriteResponse{Count: 64 << 10}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(e.Bytes())
		e.BeginMessage(&h)
		r.Encode(&e)
	}
}

package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestHeaderSync decodes the sync header of §2.2.1.2 field by field.
func TestHeaderSync(t *testing.T) {
	b := lay([]byte{0xFE, 'S', 'M', 'B'}, uint16(64), uint16(3), uint32(0x00010002), uint16(SMB2_WRITE), uint16(10),
		uint32(SMB2_FLAGS_SIGNED|SMB2_FLAGS_RELATED_OPERATIONS|0x30|SMB2_FLAGS_REPLAY_OPERATION), uint32(0), uint64(42),
		uint32(0xFEFF), uint32(9), uint64(0xABCDEF), []byte("0123456789ABCDEF"))
	var h Header
	if err := h.Decode(b); err != nil {
		t.Fatal(err)
	}
	if h.CreditCharge != 3 || h.ChannelSequence() != 2 || h.Command != SMB2_WRITE || h.Credits != 10 || h.MessageID != 42 ||
		h.TreeID != 9 || h.Reserved != 0xFEFF || h.SessionID != 0xABCDEF || string(h.Signature[:]) != "0123456789ABCDEF" {
		t.Errorf("%+v", h)
	}
	if !h.IsSigned() || !h.IsRelated() || h.IsAsync() || h.IsResponse() || h.Flags.Priority() != 3 || h.Flags&SMB2_FLAGS_REPLAY_OPERATION == 0 {
		t.Errorf("flags %#x", h.Flags)
	}
	if got := h.Append(nil); !bytes.Equal(got, b) {
		t.Errorf("re-encoding\n got % x\nwant % x", got, b)
	}
}

// TestHeaderAsync decodes the async form (§2.2.1.1): AsyncId replaces
// Reserved and TreeId.
func TestHeaderAsync(t *testing.T) {
	b := lay([]byte{0xFE, 'S', 'M', 'B'}, uint16(64), uint16(0), uint32(STATUS_PENDING), uint16(SMB2_CHANGE_NOTIFY), uint16(1),
		uint32(SMB2_FLAGS_SERVER_TO_REDIR|SMB2_FLAGS_ASYNC_COMMAND), uint32(0), uint64(5),
		uint64(0x0102030405060708), uint64(77), make([]byte, 16))
	var h Header
	if err := h.Decode(b); err != nil {
		t.Fatal(err)
	}
	if !h.IsAsync() || !h.IsResponse() || h.AsyncID != 0x0102030405060708 || h.TreeID != 0 || h.Status != STATUS_PENDING || h.SessionID != 77 {
		t.Errorf("%+v", h)
	}
	if got := h.Append(nil); !bytes.Equal(got, b) {
		t.Errorf("re-encoding\n got % x\nwant % x", got, b)
	}
}

func TestHeaderRejects(t *testing.T) {
	var h Header
	b := hdr(SMB2_ECHO)
	wantErr(t, "short", h.Decode(b[:63]), ErrShortBuffer)
	b[0] = 0xFF
	wantErr(t, "SMB1 id", h.Decode(b), ErrProtocol)
	b = hdr(SMB2_ECHO)
	b[4] = 65
	wantErr(t, "StructureSize", h.Decode(b), ErrStructureSize)
}

// compound joins messages into a chain, padding each but the last to 8
// bytes and setting NextCommand (§3.2.4.1.4).
func compound(msgs ...[]byte) []byte {
	var out []byte
	for i, m := range msgs {
		m = bytes.Clone(m)
		if i < len(msgs)-1 {
			for len(m)%8 != 0 {
				m = append(m, 0)
			}
			copy(m[20:], lay(uint32(len(m))))
		}
		out = append(out, m...)
	}
	return out
}

// TestSplit splits a related CREATE + WRITE + CLOSE compound and checks
// that each message's Raw covers its bytes and padding up to the next
// header (the bytes a signature covers, §3.1.5.1) and decodes.
func TestSplit(t *testing.T) {
	c, w, cl := createReq(), writeReq([]byte("abc")), closeReq()
	frame := compound(c, w, cl)
	msgs, err := Split(frame, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].Header.Command != SMB2_CREATE || msgs[1].Header.Command != SMB2_WRITE || msgs[2].Header.Command != SMB2_CLOSE {
		t.Fatalf("%d messages", len(msgs))
	}
	pad := func(n int) int { return (n + 7) &^ 7 }
	if len(msgs[0].Raw) != pad(len(c)) || len(msgs[1].Raw) != pad(len(w)) || len(msgs[2].Raw) != len(cl) {
		t.Errorf("raw lengths %d %d %d", len(msgs[0].Raw), len(msgs[1].Raw), len(msgs[2].Raw))
	}
	if &msgs[1].Raw[0] != &frame[pad(len(c))] {
		t.Error("Raw does not alias the frame")
	}
	var wr WriteRequest
	if err := wr.Decode(msgs[1].Raw); err != nil || string(wr.Data) != "abc" {
		t.Errorf("WRITE in compound: %v %q", err, wr.Data)
	}
	if len(msgs[0].Body()) != len(msgs[0].Raw)-64 {
		t.Error("Body")
	}
	// Reusing dst does not allocate.
	if n := testing.AllocsPerRun(100, func() { msgs, _ = Split(frame, msgs) }); n != 0 {
		t.Errorf("Split allocates %v times with a reused slice", n)
	}
}

// TestSplitRejects covers the NextCommand rules (§2.2.1.2: the offset of
// the next header, 8-byte aligned; 0 in the last).
func TestSplitRejects(t *testing.T) {
	two := compound(closeReq(), flushReq())
	set := func(off int, v uint32) []byte {
		b := bytes.Clone(two)
		copy(b[off:], lay(v))
		return b
	}
	first := 20
	cases := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"misaligned", set(first, 92), ErrCompound},
		{"zero-length step", set(first, 8), ErrCompound},
		{"backwards into header", set(first, 0xFFFFFFF8), ErrCompound},
		{"past end", set(first, 4096), ErrCompound},
		{"no room for next header", set(first, uint32(len(two)-56)), ErrCompound},
		{"next header bad protocol", set(len(closeReq())+8-8, 0), ErrProtocol},
		{"truncated frame", two[:40], ErrShortBuffer},
	}
	for _, c := range cases {
		_, err := Split(c.frame, nil)
		wantErr(t, c.name, err, c.want)
	}

	// A chain longer than MaxCompound.
	e := msg(SMB2_ECHO, uint16(4), uint16(0))
	var parts [][]byte
	for i := 0; i <= MaxCompound; i++ {
		parts = append(parts, e)
	}
	if _, err := Split(compound(parts...), nil); !errors.Is(err, ErrTooMany) {
		t.Errorf("long chain: %v", err)
	}
}

// TestBuildCompound builds a compound response with BeginMessage and checks
// padding, NextCommand (§3.3.4.1.3) and MessageAt, then splits it back.
func TestBuildCompound(t *testing.T) {
	var e Encoder
	e.BeginMessage(&Header{Command: SMB2_CREATE, Flags: SMB2_FLAGS_SERVER_TO_REDIR, MessageID: 1, NextCmd: 999})
	(&CreateResponse{FileID: FileID{1, 2}}).Encode(&e)
	e.BeginMessage(&Header{Command: SMB2_READ, Flags: SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_RELATED_OPERATIONS, MessageID: 2})
	(&ReadResponse{Data: []byte("xyz")}).Encode(&e)
	e.BeginMessage(&Header{Command: SMB2_CLOSE, Flags: SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_RELATED_OPERATIONS, MessageID: 3})
	(&CloseResponse{}).Encode(&e)
	b := e.Bytes()
	if e.NumMessages() != 3 {
		t.Fatal(e.NumMessages())
	}
	n0 := le32(b, 20)
	if n0 != 152 || le32(b, int(n0)+20) != 88 || le32(b, e.MessageStart(2)+20) != 0 {
		t.Errorf("NextCommand %d %d %d", n0, le32(b, int(n0)+20), le32(b, e.MessageStart(2)+20))
	}
	if string(b[n0+80:n0+83]) != "xyz" || !bytes.Equal(b[n0+83:n0+88], make([]byte, 5)) {
		t.Errorf("READ data/padding % x", b[n0+64:n0+88])
	}
	if len(e.MessageAt(1)) != 88 || len(e.MessageAt(2)) != 64+60 {
		t.Errorf("MessageAt lengths %d %d", len(e.MessageAt(1)), len(e.MessageAt(2)))
	}
	msgs, err := Split(b, nil)
	if err != nil || len(msgs) != 3 || msgs[2].Header.MessageID != 3 || !msgs[1].Header.IsRelated() {
		t.Fatalf("split back: %v", err)
	}
	e.Reset(b)
	if e.Len() != 0 || e.NumMessages() != 0 {
		t.Error("Reset")
	}
}

// TestFrameReader checks Direct TCP framing (§2.1): a zero byte and a
// 24-bit length, the maximum checked before the body is allocated or read.
func TestFrameReader(t *testing.T) {
	body := []byte("0123456789")
	var out bytes.Buffer
	if err := WriteFrame(&out, body[:4], body[4:]); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(&out, body); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes()[:4], []byte{0, 0, 0, 10}) {
		t.Errorf("frame header % x", out.Bytes()[:4])
	}
	fr := FrameReader{R: &out, Max: 10}
	buf := make([]byte, 0, 64)
	for i := 0; i < 2; i++ {
		got, err := fr.Next(buf)
		if err != nil || string(got) != string(body) || &got[0] != &buf[:1][0] {
			t.Fatalf("frame %d: %v %q (buffer reused: %v)", i, err, got, err == nil && &got[0] == &buf[:1][0])
		}
	}
	if _, err := fr.Next(buf); err != io.EOF {
		t.Errorf("at boundary: %v, want io.EOF", err)
	}

	// An announced length over Max fails on the header: nothing of the
	// body is read (the reader would fail the test if it were).
	big := io.MultiReader(bytes.NewReader([]byte{0, 0x10, 0, 1}), iotest.ErrReader(errors.New("body read")))
	fr = FrameReader{R: big, Max: 1 << 20}
	if _, err := fr.Next(nil); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("too large: %v", err)
	}
	fr = FrameReader{R: bytes.NewReader([]byte{0x81, 0, 0, 4})}
	if _, err := fr.Next(nil); !errors.Is(err, ErrFrameHeader) {
		t.Errorf("NetBIOS session request: %v", err)
	}
	fr = FrameReader{R: bytes.NewReader([]byte{0, 0, 0, 9, 1, 2})}
	if _, err := fr.Next(nil); err != io.ErrUnexpectedEOF {
		t.Errorf("short body: %v", err)
	}
	fr = FrameReader{R: bytes.NewReader([]byte{0, 0})}
	if _, err := fr.Next(nil); err != io.ErrUnexpectedEOF {
		t.Errorf("short header: %v", err)
	}

	// A frame over 64 KiB is read in two steps (see
	// TestFrameReaderStageMemory) and arrives whole.
	large := bytes.Repeat([]byte{7}, 200000)
	out.Reset()
	if err := WriteFrame(&out, large); err != nil {
		t.Fatal(err)
	}
	fr = FrameReader{R: &out}
	got, err := fr.Next(nil)
	if err != nil || !bytes.Equal(got, large) {
		t.Fatalf("large frame: %v", err)
	}

	if err := WriteFrame(io.Discard, make([]byte, MaxFrameLength+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("writing an oversize frame: %v", err)
	}
}

// TestFrameReaderStageMemory checks that a peer announcing a 16 MiB frame
// and sending less than 64 KiB never makes the reader size a buffer (or a
// read) for the whole frame.
func TestFrameReaderStageMemory(t *testing.T) {
	r := &countingReader{r: io.MultiReader(bytes.NewReader(append([]byte{0, 0xFF, 0xFF, 0xFF}, make([]byte, 1000)...)), strings.NewReader(""))}
	fr := FrameReader{R: r}
	n, err := fr.ReadHeader()
	if err != nil || n != MaxFrameLength {
		t.Fatal(n, err)
	}
	_, err = fr.ReadBody(nil, n)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v", err)
	}
	if r.largest > frameStage {
		t.Errorf("a read of %d bytes was issued before %d bytes had arrived", r.largest, frameStage)
	}
	if r.largest != frameStage {
		t.Errorf("first step read %d bytes, want %d", r.largest, frameStage)
	}
}

type countingReader struct {
	r       io.Reader
	largest int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.largest = max(c.largest, len(p))
	return c.r.Read(p)
}

func TestUTF16(t *testing.T) {
	cases := []struct {
		in   []byte
		want string
		err  error
	}{
		{utf16le("plain.txt"), "plain.txt", nil},
		{lay(uint16('h'), uint16(0xE9), uint16('!')), "hé!", nil},
		{lay(uint16(0x65E5), uint16(0x672C)), "日本", nil},
		{lay(uint16(0xD83D), uint16(0xDE00)), "😀", nil},
		{nil, "", nil},
		{[]byte{'a', 0, 'b'}, "", ErrOddLength},
		{lay(uint16(0xD83D)), "", ErrBadString},
		{lay(uint16(0xD83D), uint16('a')), "", ErrBadString},
		{lay(uint16(0xDE00), uint16(0xD83D)), "", ErrBadString},
	}
	for _, c := range cases {
		got, err := DecodeUTF16(c.in)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("DecodeUTF16(% x) = %q, %v; want %q, %v", c.in, got, err, c.want, c.err)
		}
		if c.err == nil {
			if enc := AppendUTF16(nil, c.want); !bytes.Equal(enc, c.in) || UTF16Len(c.want) != len(c.in) {
				t.Errorf("AppendUTF16(%q) = % x (len %d)", c.want, enc, UTF16Len(c.want))
			}
		}
	}
	var e Encoder
	e.UTF16("ab")
	if !bytes.Equal(e.Bytes(), utf16le("ab")) {
		t.Error("Encoder.UTF16")
	}
	if got := AppendUTF16(nil, "a\xffb"); !bytes.Equal(got, lay(uint16('a'), uint16(0xFFFD), uint16('b'))) {
		t.Errorf("invalid UTF-8: % x", got)
	}
}

func TestNames(t *testing.T) {
	if STATUS_OBJECT_NAME_NOT_FOUND.String() != "STATUS_OBJECT_NAME_NOT_FOUND" || Status(0xC0FFEE00).String() != "NTSTATUS(0xc0ffee00)" {
		t.Error("Status.String")
	}
	if !STATUS_ACCESS_DENIED.IsError() || STATUS_BUFFER_OVERFLOW.IsError() || !STATUS_NO_MORE_FILES.IsWarning() || STATUS_PENDING.IsError() {
		t.Error("severity")
	}
	if SMB2_QUERY_DIRECTORY.String() != "QUERY_DIRECTORY" || Command(0x99).String() != "Command(153)" {
		t.Error("Command.String")
	}
}

// TestDecoder covers the sticky error of the decoder.
func TestDecoder(t *testing.T) {
	d := NewDecoder([]byte{1, 2, 3})
	if d.Uint16() != 0x0201 || d.Uint32() != 0 || d.Err() != ErrShortBuffer || d.Uint8() != 0 || d.Remaining() != 0 {
		t.Error("sticky error")
	}
	d.Reset([]byte{1, 2, 3, 4})
	d.Seek(5)
	if d.Err() != ErrShortBuffer {
		t.Error("Seek past end")
	}
	d.Reset(make([]byte, 8))
	if d.Bytes(-1) != nil || d.Err() == nil {
		t.Error("negative Bytes")
	}
}

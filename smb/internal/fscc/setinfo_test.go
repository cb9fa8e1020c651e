package fscc

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

func TestBasicDecode(t *testing.T) {
	full := lay(int64(1), int64(-1), int64(-2), int64(0), uint32(wire.FILE_ATTRIBUTE_HIDDEN), uint32(0))
	var b BasicInfo
	if err := b.Decode(full); err != nil || b != (BasicInfo{1, TimeStopUpdates, TimeResumeUpdates, TimeNoChange, 2}) {
		t.Errorf("%v %+v", err, b)
	}
	if err := b.Decode(full[:36]); err != nil {
		t.Errorf("36 bytes: %v", err)
	}
	if err := b.Decode(full[:35]); !errors.Is(err, ErrInfoLength) {
		t.Errorf("35 bytes: %v", err)
	}
}

// TestRenameDecode checks FILE_RENAME_INFORMATION_TYPE_2 (MS-FSCC
// §2.4.42.2): ReplaceIfExists, 7 reserved bytes, a 64-bit RootDirectory,
// FileNameLength and the name; FileLinkInformation has the same layout
// (§2.4.27.2).
func TestRenameDecode(t *testing.T) {
	name := u16(`dir\new.txt`)
	buf := lay(uint8(1), make([]byte, 7), uint64(0), uint32(len(name)), name)
	var r RenameInfo
	if err := r.Decode(buf); err != nil || !r.ReplaceIfExists || r.RootDirectory != 0 {
		t.Fatalf("%v %+v", err, r)
	}
	if s, _ := wire.DecodeUTF16(r.FileName); s != `dir\new.txt` {
		t.Errorf("name %q", s)
	}
	if got := enc(r.Encode); !bytes.Equal(got, buf) {
		t.Errorf("re-encoding % x", got)
	}
	cases := []struct {
		name string
		buf  []byte
		want error
	}{
		{"short", buf[:19], ErrInfoLength},
		{"name past end", lay(uint8(0), make([]byte, 7), uint64(0), uint32(100), name), ErrInfoLength},
		{"huge name", lay(uint8(0), make([]byte, 7), uint64(0), uint32(0xFFFFFFFF)), ErrInfoLength},
		{"odd name", lay(uint8(0), make([]byte, 7), uint64(0), uint32(3), "abc"), wire.ErrOddLength},
	}
	for _, c := range cases {
		if err := r.Decode(c.buf); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestSmallSetInfoDecoders(t *testing.T) {
	if d, err := DecodeDisposition([]byte{1}); err != nil || !d {
		t.Error("disposition")
	}
	if _, err := DecodeDisposition(nil); !errors.Is(err, ErrInfoLength) {
		t.Error("empty disposition")
	}
	if f, err := DecodeDispositionEx(lay(uint32(FILE_DISPOSITION_DELETE | FILE_DISPOSITION_POSIX_SEMANTICS))); err != nil || f != 3 {
		t.Error("disposition ex")
	}
	if _, err := DecodeDispositionEx([]byte{1, 0, 0}); !errors.Is(err, ErrInfoLength) {
		t.Error("short disposition ex")
	}
	if v, err := DecodeInt64(lay(int64(-5))); err != nil || v != -5 {
		t.Error("int64")
	}
	if _, err := DecodeInt64(make([]byte, 7)); !errors.Is(err, ErrInfoLength) {
		t.Error("short int64")
	}
}

// eaEntry lays out one FILE_FULL_EA_INFORMATION entry (MS-FSCC §2.4.15).
func eaEntry(next uint32, flags uint8, name, value string) []byte {
	return lay(next, flags, uint8(len(name)), uint16(len(value)), name, uint8(0), value)
}

func TestFullEa(t *testing.T) {
	first := eaEntry(20, FILE_NEED_EA, "user.a", "xy") // 8+6+1+2 = 17, padded to 20
	buf := append(append(first, 0, 0, 0), eaEntry(0, 0, "b", "")...)
	eas, err := DecodeFullEa(buf, nil)
	if err != nil || len(eas) != 2 || string(eas[0].Name) != "user.a" || string(eas[0].Value) != "xy" || eas[0].Flags != FILE_NEED_EA ||
		string(eas[1].Name) != "b" || len(eas[1].Value) != 0 {
		t.Fatalf("%v %q", err, eas)
	}
	if got := enc(func(e *wire.Encoder) { EncodeFullEa(e, eas) }); !bytes.Equal(got, buf) || FullEaSize(eas) != len(buf) {
		t.Errorf("re-encoding (size %d)\n got % x\nwant % x", FullEaSize(eas), got, buf)
	}
	if n := testing.AllocsPerRun(100, func() { eas, _ = DecodeFullEa(buf, eas) }); n != 0 {
		t.Errorf("re-decode allocates %v times", n)
	}
	cases := []struct {
		name string
		buf  []byte
	}{
		{"short", buf[:7]},
		{"next misaligned", append(eaEntry(18, 0, "user.a", "xy"), make([]byte, 20)...)},
		{"next inside entry", append(eaEntry(16, 0, "user.a", "xy"), make([]byte, 20)...)},
		{"next past end", eaEntry(40, 0, "user.a", "xy")},
		{"no NUL", lay(uint32(0), uint8(0), uint8(2), uint16(0), "ab", uint8('c'))},
		{"empty name", eaEntry(0, 0, "", "v")},
		{"value past end", eaEntry(0, 0, "a", "xyz")[:12]},
		{"NUL inside name", eaEntry(0, 0, "a\x00b", "")},
	}
	for _, c := range cases {
		if _, err := DecodeFullEa(c.buf, nil); !errors.Is(err, ErrEAList) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	var long []byte
	for i := 0; i <= MaxEAs; i++ {
		next := uint32(12)
		if i == MaxEAs {
			next = 0
		}
		long = append(long, eaEntry(next, 0, "a", "")...)
		long = append(long, 0, 0)
	}
	if _, err := DecodeFullEa(long, nil); !errors.Is(err, wire.ErrTooMany) {
		t.Errorf("long list: %v", err)
	}
}

// FuzzSetInfo feeds SET_INFO buffers to every decoder; the first byte
// picks the decoder. Nothing may panic, decoded slices must lie inside the
// buffer, and a decoded EA list must encode back to a list that decodes to
// the same entries.
func FuzzSetInfo(f *testing.F) {
	name := u16(`a\b`)
	f.Add(append([]byte{0}, lay(int64(1), int64(2), int64(3), int64(4), uint32(1), uint32(0))...))
	f.Add(append([]byte{1}, lay(uint8(1), make([]byte, 7), uint64(0), uint32(len(name)), name)...))
	f.Add(append([]byte{2}, append(append(eaEntry(16, 0, "user.a", ""), 0), eaEntry(0, 0x80, "b", "val")...)...))
	f.Add([]byte{3, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		buf := in[1:]
		switch in[0] % 4 {
		case 0:
			var b BasicInfo
			_ = b.Decode(buf)
		case 1:
			var r RenameInfo
			if r.Decode(buf) == nil && (len(r.FileName)%2 != 0 || len(r.FileName)+renameFixed > len(buf)) {
				t.Fatal("rename name out of bounds")
			}
		case 2:
			eas, err := DecodeFullEa(buf, nil)
			if err != nil {
				return
			}
			var e wire.Encoder
			EncodeFullEa(&e, eas)
			again, err := DecodeFullEa(e.Bytes(), nil)
			if err != nil || len(again) != len(eas) || FullEaSize(eas) != e.Len() {
				t.Fatalf("EA round trip: %v", err)
			}
			for i := range eas {
				if !bytes.Equal(again[i].Name, eas[i].Name) || !bytes.Equal(again[i].Value, eas[i].Value) || again[i].Flags != eas[i].Flags {
					t.Fatalf("EA %d changed", i)
				}
			}
		case 3:
			_, _ = DecodeDisposition(buf)
			_, _ = DecodeDispositionEx(buf)
			_, _ = DecodeInt64(buf)
		}
	})
}

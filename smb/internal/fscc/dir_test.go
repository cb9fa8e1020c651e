package fscc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

var entry = DirEntry{
	FileIndex: 0, CreationTime: 1, LastAccessTime: 2, LastWriteTime: 3, ChangeTime: 4, EndOfFile: 5, AllocationSize: 4096,
	FileAttributes: wire.FILE_ATTRIBUTE_ARCHIVE, EaSize: 6, ReparseTag: 7, FileID: 0x0102030405060708,
	ShortName: "FILE~1.TXT", Name: "file name.txt",
}

// common is the prefix the directory classes share (MS-FSCC §2.4.10):
// NextEntryOffset through FileNameLength.
func common(next uint32) []byte {
	return lay(next, uint32(0), uint64(1), uint64(2), uint64(3), uint64(4), uint64(5), uint64(4096), uint32(0x20), uint32(26))
}

// TestDirEntryLayouts checks one entry of each class against its MS-FSCC
// table.
func TestDirEntryLayouts(t *testing.T) {
	name := u16("file name.txt")
	short := u16("FILE~1.TXT")
	shortField := append(bytes.Clone(short), make([]byte, 24-len(short))...)
	cases := []struct {
		class uint8
		want  []byte
	}{
		{wire.FileDirectoryInformation, lay(common(0), name)},                                           // §2.4.10
		{wire.FileFullDirectoryInformation, lay(common(0), uint32(6), name)},                            // §2.4.14
		{wire.FileIdFullDirectoryInformation, lay(common(0), uint32(6), uint32(0), entry.FileID, name)}, // §2.4.18
		{wire.FileBothDirectoryInformation, lay(common(0), uint32(6), uint8(20), uint8(0), shortField, name)},
		{wire.FileIdBothDirectoryInformation, lay(common(0), uint32(6), uint8(20), uint8(0), shortField, uint16(0), entry.FileID, name)},
		{wire.FileIdExtdDirectoryInformation, lay(common(0), uint32(6), uint32(7), entry.FileID, uint64(0), name)}, // §2.4.22
		{wire.FileNamesInformation, lay(uint32(0), uint32(0), uint32(26), name)},                                   // §2.4.33
	}
	for _, c := range cases {
		var e wire.Encoder
		w, err := NewDirWriter(&e, c.class, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		if !w.Add(&entry) || w.Count() != 1 {
			t.Fatalf("class %d: Add failed", c.class)
		}
		if !bytes.Equal(e.Bytes(), c.want) {
			t.Errorf("class %d:\n got % x\nwant % x", c.class, e.Bytes(), c.want)
		}
		if DirFixedSize(c.class) != len(c.want)-len(name) || w.Len() != len(c.want) {
			t.Errorf("class %d: fixed size %d, entry %d", c.class, DirFixedSize(c.class), len(c.want))
		}
	}
	var e wire.Encoder
	if _, err := NewDirWriter(&e, wire.FileBasicInformation, 100); !errors.Is(err, ErrInvalidClass) {
		t.Errorf("unsupported class: %v", err)
	}
}

// TestDirWriterChain checks the list rules of MS-FSCC §2.4 for directory
// classes: each entry 8-byte aligned, NextEntryOffset to the next, the
// last 0, no padding after the last; and that the writer stops cleanly at
// the output limit, appending nothing of an entry that does not fit.
func TestDirWriterChain(t *testing.T) {
	names := []string{"a", "bbb", "cc"}
	var e wire.Encoder
	e.Write([]byte("HDR")) // the list may start anywhere in the encoder
	start := e.Len()
	w, _ := NewDirWriter(&e, wire.FileIdBothDirectoryInformation, 1<<16)
	for _, n := range names {
		d := entry
		d.Name, d.ShortName = n, ""
		w.Add(&d)
	}
	b := e.Bytes()[start:]
	offs := []int{0, 112, 224}
	for i, off := range offs {
		next := binary.LittleEndian.Uint32(b[off:])
		if i < 2 && int(next) != offs[i+1]-off {
			t.Errorf("entry %d NextEntryOffset %d", i, next)
		}
		if i == 2 && next != 0 {
			t.Errorf("last NextEntryOffset %d", next)
		}
	}
	if len(b) != 224+104+4 || w.Len() != len(b) {
		t.Errorf("list length %d (Len %d), want no trailing padding", len(b), w.Len())
	}
	if !bytes.Equal(b[104+2:112], make([]byte, 6)) {
		t.Error("padding not zero")
	}

	// A limit that fits two entries (their padding included) but not the
	// third: the third is refused and nothing of it written.
	for _, max := range []int{224 + 104 + 3, 224 + 104 + 4} {
		e.Reset(nil)
		w, _ := NewDirWriter(&e, wire.FileIdBothDirectoryInformation, max)
		added := 0
		for _, n := range names {
			d := entry
			d.Name, d.ShortName = n, ""
			if !w.Add(&d) {
				break
			}
			added++
		}
		want := 3
		if max < 224+104+4 {
			want = 2
		}
		if added != want || w.Count() != want {
			t.Errorf("max %d: added %d, want %d", max, added, want)
		}
		if want == 2 && (e.Len() != 112+104+6 || binary.LittleEndian.Uint32(e.Bytes()[112:]) != 0) {
			t.Errorf("max %d: %d bytes, last NextEntryOffset %d", max, e.Len(), binary.LittleEndian.Uint32(e.Bytes()[112:]))
		}
	}
	// Not even the first entry fits.
	e.Reset(nil)
	w, _ = NewDirWriter(&e, wire.FileNamesInformation, 12+1)
	if d := (DirEntry{Name: "ab"}); w.Add(&d) || e.Len() != 0 || w.Count() != 0 {
		t.Error("an entry larger than the buffer was added")
	}
}

// TestShortName checks the 24-byte ShortName field is never overrun.
func TestShortName(t *testing.T) {
	if got := shortName("ABCDEFGHIJKLMNOP"); len(got) != 24 {
		t.Errorf("long short name: %d bytes", len(got))
	}
	if got := shortName("ABCDEFGHIJK\U0001F600"); len(got) != 22 {
		t.Errorf("surrogate pair at the boundary: %d bytes", len(got))
	}
}

// BenchmarkDirWriter measures encoding FileIdBothDirectoryInformation
// entries into a reused encoder.
func BenchmarkDirWriter(b *testing.B) {
	var e wire.Encoder
	e.Reset(make([]byte, 0, 1<<16))
	var w DirWriter
	d := entry
	d.ShortName = ""
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(e.Bytes())
		_ = w.Reset(&e, wire.FileIdBothDirectoryInformation, 1<<16)
		for range 100 {
			w.Add(&d)
		}
	}
}

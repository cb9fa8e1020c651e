package fscc

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

var (
	lay = wiretest.Lay
	u16 = wiretest.UTF16LE
)

func enc(f func(e *wire.Encoder)) []byte {
	var e wire.Encoder
	f(&e)
	return e.Bytes()
}

func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// TestFiletime checks MS-DTYP §2.3.3: 100 ns intervals since 1601-01-01.
func TestFiletime(t *testing.T) {
	cases := []struct {
		t  time.Time
		ft uint64
	}{
		{time.Unix(0, 0), 116444736000000000},
		{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 125911584000000000},
		{time.Date(1601, 1, 1, 0, 0, 0, 100, time.UTC), 1},
		{time.Unix(1700000000, 123456700), 116444736000000000 + 17000000001234567},
	}
	for _, c := range cases {
		if got := Filetime(c.t); got != c.ft {
			t.Errorf("Filetime(%v) = %d, want %d", c.t, got, c.ft)
		}
		if got := Time(c.ft); !got.Equal(c.t) {
			t.Errorf("Time(%d) = %v, want %v", c.ft, got, c.t)
		}
	}
	if Filetime(time.Time{}) != 0 || !Time(0).IsZero() {
		t.Error("zero time")
	}
	if Filetime(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)) != 0 {
		t.Error("before 1601")
	}
	if Filetime(time.Unix(0, 99)) != 116444736000000000 {
		t.Error("sub-100ns must truncate")
	}
	if Filetime(time.Date(40000, 1, 1, 0, 0, 0, 0, time.UTC)) != 1<<63-1 {
		t.Error("far future must clamp")
	}
}

// TestFileInfoLayouts checks each file information encoder against the
// MS-FSCC §2.4 table and its fixed size.
func TestFileInfoLayouts(t *testing.T) {
	basic := BasicInfo{1, 2, 3, 4, wire.FILE_ATTRIBUTE_DIRECTORY}
	std := StandardInfo{AllocationSize: 4096, EndOfFile: 10, NumberOfLinks: 2, DeletePending: true, Directory: false}
	cases := []struct {
		name string
		got  []byte
		want []byte
		size int
	}{
		{"Basic", enc(basic.Encode), lay(uint64(1), uint64(2), uint64(3), uint64(4), uint32(0x10), uint32(0)), BasicInfoSize},
		{"Standard", enc(std.Encode), lay(uint64(4096), uint64(10), uint32(2), uint8(1), uint8(0), uint16(0)), StandardInfoSize},
		{"Internal", enc(func(e *wire.Encoder) { EncodeInternal(e, 77) }), lay(uint64(77)), InternalInfoSize},
		{"Ea", enc(func(e *wire.Encoder) { EncodeEa(e, 5) }), lay(uint32(5)), EaInfoSize},
		{"Access", enc(func(e *wire.Encoder) { EncodeAccess(e, wire.FILE_ALL_ACCESS) }), lay(uint32(wire.FILE_ALL_ACCESS)), AccessInfoSize},
		{"Position", enc(func(e *wire.Encoder) { EncodePosition(e, 9) }), lay(uint64(9)), PositionInfoSize},
		{"Mode", enc(func(e *wire.Encoder) { EncodeMode(e, wire.FILE_SYNCHRONOUS_IO_NONALERT) }), lay(uint32(0x20)), ModeInfoSize},
		{"Alignment", enc(func(e *wire.Encoder) { EncodeAlignment(e, FILE_BYTE_ALIGNMENT) }), lay(uint32(0)), AlignmentInfoSize},
		{"Name", enc(func(e *wire.Encoder) { EncodeName(e, `\a\b`) }), lay(uint32(8), u16(`\a\b`)), NameInfoFixedSize + 8},
		{"Compression", enc((&CompressionInfo{CompressedFileSize: 100, CompressionUnitShift: 16, ChunkShift: 12, ClusterShift: 12}).Encode),
			lay(uint64(100), uint16(0), uint8(16), uint8(12), uint8(12), []byte{0, 0, 0}), CompressionInfoSize},
		{"NetworkOpen", enc(func(e *wire.Encoder) {
			EncodeNetworkOpen(e, &wire.FileAttrs{CreationTime: 1, LastAccessTime: 2, LastWriteTime: 3, ChangeTime: 4, AllocationSize: 5, EndOfFile: 6, FileAttributes: 7})
		}), lay(uint64(1), uint64(2), uint64(3), uint64(4), uint64(5), uint64(6), uint32(7), uint32(0)), NetworkOpenInfoSize},
		{"AttributeTag", enc(func(e *wire.Encoder) { EncodeAttributeTag(e, 0x20, 0) }), lay(uint32(0x20), uint32(0)), AttributeTagSize},
	}
	for _, c := range cases {
		if !bytes.Equal(c.got, c.want) || len(c.got) != c.size {
			t.Errorf("%s:\n got % x\nwant % x (size %d)", c.name, c.got, c.want, c.size)
		}
	}
}

// TestAllInfo checks FILE_ALL_INFORMATION (§2.4.2): the eight fixed
// structures in order, FileNameLength at offset 96 and the name at 100.
func TestAllInfo(t *testing.T) {
	a := AllInfo{
		Basic: BasicInfo{1, 2, 3, 4, 0x20}, Standard: StandardInfo{4096, 10, 1, false, false},
		IndexNumber: 0xABC, EaSize: 0, AccessFlags: 0x12019F, CurrentByteOffset: 5, Mode: 0x20, AlignmentRequirement: 0,
		Name: `\dir\file`,
	}
	b := enc(a.Encode)
	if len(b) != AllInfoFixedSize+18 {
		t.Fatalf("length %d", len(b))
	}
	if !bytes.Equal(b[:40], enc(a.Basic.Encode)) || !bytes.Equal(b[40:64], enc(a.Standard.Encode)) {
		t.Error("basic/standard")
	}
	if binary.LittleEndian.Uint64(b[64:]) != 0xABC || le32(b, 76) != 0x12019F || binary.LittleEndian.Uint64(b[80:]) != 5 || le32(b, 88) != 0x20 {
		t.Errorf("internal/ea/access/position/mode % x", b[64:96])
	}
	if le32(b, 96) != 18 || !bytes.Equal(b[100:], u16(`\dir\file`)) {
		t.Errorf("name % x", b[96:])
	}
}

// TestStreams checks FILE_STREAM_INFORMATION (§2.4.43): 8-byte aligned
// entries chained by NextEntryOffset, the last 0, no trailing padding.
func TestStreams(t *testing.T) {
	b := enc(func(e *wire.Encoder) {
		EncodeStreams(e, []StreamEntry{{"::$DATA", 10, 4096}, {":x:$DATA", 3, 8}})
	})
	first := lay(uint32(40), uint32(14), uint64(10), uint64(4096), u16("::$DATA"), []byte{0, 0})
	second := lay(uint32(0), uint32(16), uint64(3), uint64(8), u16(":x:$DATA"))
	if !bytes.Equal(b, append(first, second...)) {
		t.Errorf("streams\n got % x\nwant % x", b, append(first, second...))
	}
	if len(enc(func(e *wire.Encoder) { EncodeStreams(e, nil) })) != 0 {
		t.Error("empty stream list")
	}
}

// TestFsInfoLayouts checks the file system information encoders against
// MS-FSCC §2.5.
func TestFsInfoLayouts(t *testing.T) {
	cases := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"Volume", enc((&FsVolumeInfo{VolumeCreationTime: 5, VolumeSerialNumber: 0xBEEF, SupportsObjects: false, VolumeLabel: "ditto"}).Encode),
			lay(uint64(5), uint32(0xBEEF), uint32(10), uint8(0), uint8(0), u16("ditto"))},
		{"Size", enc((&FsSizeInfo{100, 50, 8, 512}).Encode), lay(uint64(100), uint64(50), uint32(8), uint32(512))},
		{"FullSize", enc((&FsFullSizeInfo{100, 40, 50, 8, 512}).Encode), lay(uint64(100), uint64(40), uint64(50), uint32(8), uint32(512))},
		{"Device", enc(func(e *wire.Encoder) { EncodeFsDevice(e, FILE_DEVICE_DISK, FILE_REMOTE_DEVICE) }), lay(uint32(7), uint32(0x10))},
		{"Attribute", enc((&FsAttributeInfo{FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK, 255, "NTFS"}).Encode),
			lay(uint32(6), uint32(255), uint32(8), u16("NTFS"))},
		{"SectorSize", enc((&FsSectorSizeInfo{512, 4096, 4096, 4096, SSINFO_FLAGS_ALIGNED_DEVICE, 0, 0}).Encode),
			lay(uint32(512), uint32(4096), uint32(4096), uint32(4096), uint32(1), uint32(0), uint32(0))},
		{"ObjectId", enc((&FsObjectIDInfo{ObjectID: wire.GUID{1}}).Encode), append([]byte{1}, make([]byte, 63)...)},
	}
	for _, c := range cases {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s:\n got % x\nwant % x", c.name, c.got, c.want)
		}
	}
	sizes := map[string]int{"Size": FsSizeInfoSize, "FullSize": FsFullSizeInfoSize, "Device": FsDeviceInfoSize, "SectorSize": FsSectorSizeInfoSize, "ObjectId": FsObjectIDInfoSize}
	for _, c := range cases {
		if n, ok := sizes[c.name]; ok && len(c.got) != n {
			t.Errorf("%s is %d bytes, want %d", c.name, len(c.got), n)
		}
	}
	if v := enc((&FsVolumeInfo{}).Encode); len(v) != FsVolumeInfoFixedSize {
		t.Errorf("volume fixed part %d", len(v))
	}
	if a := enc((&FsAttributeInfo{}).Encode); len(a) != FsAttributeInfoFixedSize {
		t.Errorf("attribute fixed part %d", len(a))
	}
}

// TestNotify checks FILE_NOTIFY_INFORMATION (§2.7.1): 4-byte aligned
// entries chained by NextEntryOffset, and the max bound.
func TestNotify(t *testing.T) {
	changes := []Notify{{FILE_ACTION_ADDED, "a.txt"}, {FILE_ACTION_RENAMED_OLD_NAME, "bb"}}
	var e wire.Encoder
	if n := EncodeNotify(&e, changes, 1000); n != 2 {
		t.Fatalf("encoded %d", n)
	}
	want := lay(uint32(24), uint32(1), uint32(10), u16("a.txt"), []byte{0, 0}, uint32(0), uint32(4), uint32(4), u16("bb"))
	if !bytes.Equal(e.Bytes(), want) {
		t.Errorf("\n got % x\nwant % x", e.Bytes(), want)
	}
	e.Reset(nil)
	if n := EncodeNotify(&e, changes, 39); n != 1 || e.Len() != 22 || le32(e.Bytes(), 0) != 0 {
		t.Errorf("bounded: %d entries, %d bytes", n, e.Len())
	}
}

package fscc

import "github.com/dittofs/dittofs/smb/internal/wire"

// Fixed sizes of the file information structures (MS-FSCC §2.4). A server
// answers STATUS_INFO_LENGTH_MISMATCH when a QUERY_INFO's
// OutputBufferLength is below the size of a fixed-size class.
const (
	BasicInfoSize       = 40
	StandardInfoSize    = 24
	InternalInfoSize    = 8
	EaInfoSize          = 4
	AccessInfoSize      = 4
	PositionInfoSize    = 8
	ModeInfoSize        = 4
	AlignmentInfoSize   = 4
	CompressionInfoSize = 16
	NetworkOpenInfoSize = 56
	AttributeTagSize    = 8
	// AllInfoFixedSize is FileAllInformation up to its FileName.
	AllInfoFixedSize = 100
	// NameInfoFixedSize is FileNameInformation (and AlternateName,
	// NormalizedName) up to its FileName.
	NameInfoFixedSize = 4
)

// BasicInfo is FILE_BASIC_INFORMATION (MS-FSCC §2.4.7). Times are
// FILETIMEs, signed because SET_INFO gives 0, -1 and -2 special meanings
// (TimeNoChange, TimeStopUpdates, TimeResumeUpdates).
type BasicInfo struct {
	CreationTime   int64
	LastAccessTime int64
	LastWriteTime  int64
	ChangeTime     int64
	FileAttributes uint32
}

// Encode appends the structure.
func (b *BasicInfo) Encode(e *wire.Encoder) {
	e.Int64(b.CreationTime)
	e.Int64(b.LastAccessTime)
	e.Int64(b.LastWriteTime)
	e.Int64(b.ChangeTime)
	e.Uint32(b.FileAttributes)
	e.Uint32(0)
}

// Decode decodes a SET_INFO buffer. It must hold at least the 36 bytes up
// to and including FileAttributes; the trailing Reserved field may be
// absent, as some clients omit it (smbd accepts 36 bytes too).
func (b *BasicInfo) Decode(buf []byte) error {
	if len(buf) < BasicInfoSize-4 {
		return ErrInfoLength
	}
	d := wire.NewDecoder(buf)
	b.CreationTime = d.Int64()
	b.LastAccessTime = d.Int64()
	b.LastWriteTime = d.Int64()
	b.ChangeTime = d.Int64()
	b.FileAttributes = d.Uint32()
	return d.Err()
}

// StandardInfo is FILE_STANDARD_INFORMATION (MS-FSCC §2.4.41).
type StandardInfo struct {
	AllocationSize uint64
	EndOfFile      uint64
	NumberOfLinks  uint32
	DeletePending  bool
	Directory      bool
}

// Encode appends the structure.
func (s *StandardInfo) Encode(e *wire.Encoder) {
	e.Uint64(s.AllocationSize)
	e.Uint64(s.EndOfFile)
	e.Uint32(s.NumberOfLinks)
	e.Uint8(b2u(s.DeletePending))
	e.Uint8(b2u(s.Directory))
	e.Uint16(0)
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// EncodeInternal appends FILE_INTERNAL_INFORMATION (MS-FSCC §2.4.22): the
// file's 64-bit IndexNumber (its inode number, as smbd sends).
func EncodeInternal(e *wire.Encoder, indexNumber uint64) { e.Uint64(indexNumber) }

// EncodeEa appends FILE_EA_INFORMATION (MS-FSCC §2.4.13): the size a
// FILE_FULL_EA_INFORMATION list of the file's EAs would take.
func EncodeEa(e *wire.Encoder, eaSize uint32) { e.Uint32(eaSize) }

// EncodeAccess appends FILE_ACCESS_INFORMATION (MS-FSCC §2.4.1): the
// open's granted access mask.
func EncodeAccess(e *wire.Encoder, accessFlags uint32) { e.Uint32(accessFlags) }

// EncodePosition appends FILE_POSITION_INFORMATION (MS-FSCC §2.4.35).
func EncodePosition(e *wire.Encoder, currentByteOffset uint64) { e.Uint64(currentByteOffset) }

// EncodeMode appends FILE_MODE_INFORMATION (MS-FSCC §2.4.26): the open's
// FILE_WRITE_THROUGH, FILE_SEQUENTIAL_ONLY, FILE_NO_INTERMEDIATE_BUFFERING,
// FILE_SYNCHRONOUS_IO_* and FILE_DELETE_ON_CLOSE options.
func EncodeMode(e *wire.Encoder, mode uint32) { e.Uint32(mode) }

// EncodeAlignment appends FILE_ALIGNMENT_INFORMATION (MS-FSCC §2.4.3).
func EncodeAlignment(e *wire.Encoder, alignmentRequirement uint32) { e.Uint32(alignmentRequirement) }

// FILE_ALIGNMENT_INFORMATION values (MS-FSCC §2.4.3).
const (
	FILE_BYTE_ALIGNMENT = 0x00000000
	FILE_WORD_ALIGNMENT = 0x00000001
	FILE_LONG_ALIGNMENT = 0x00000003
)

// EncodeName appends FILE_NAME_INFORMATION (MS-FSCC §2.4.28), whose layout
// FileAlternateNameInformation (§2.4.5) and FileNormalizedNameInformation
// (§2.4.30) share: a 32-bit byte length and the UTF-16LE name.
func EncodeName(e *wire.Encoder, name string) {
	e.Uint32(uint32(wire.UTF16Len(name)))
	e.UTF16(name)
}

// AllInfo is FILE_ALL_INFORMATION (MS-FSCC §2.4.2). Name is the path of
// the file from the share root, with a leading backslash.
type AllInfo struct {
	Basic                BasicInfo
	Standard             StandardInfo
	IndexNumber          uint64
	EaSize               uint32
	AccessFlags          uint32
	CurrentByteOffset    uint64
	Mode                 uint32
	AlignmentRequirement uint32
	Name                 string
}

// Encode appends the structure.
func (a *AllInfo) Encode(e *wire.Encoder) {
	a.Basic.Encode(e)
	a.Standard.Encode(e)
	EncodeInternal(e, a.IndexNumber)
	EncodeEa(e, a.EaSize)
	EncodeAccess(e, a.AccessFlags)
	EncodePosition(e, a.CurrentByteOffset)
	EncodeMode(e, a.Mode)
	EncodeAlignment(e, a.AlignmentRequirement)
	EncodeName(e, a.Name)
}

// StreamEntry is one FILE_STREAM_INFORMATION entry (MS-FSCC §2.4.43).
// Name is the stream name as Windows shows it: "::$DATA" for the default
// stream, ":name:$DATA" for an alternate one.
type StreamEntry struct {
	Name           string
	Size           uint64
	AllocationSize uint64
}

// EncodeStreams appends a FILE_STREAM_INFORMATION list: entries 8-byte
// aligned relative to the list's start, each NextEntryOffset pointing at
// the next and the last 0. An empty list appends nothing (a directory
// without streams, §2.4.43).
func EncodeStreams(e *wire.Encoder, streams []StreamEntry) {
	l := list{e: e, start: e.Len(), last: -1}
	for _, s := range streams {
		l.begin(8)
		e.Uint32(0)
		e.Uint32(uint32(wire.UTF16Len(s.Name)))
		e.Uint64(s.Size)
		e.Uint64(s.AllocationSize)
		e.UTF16(s.Name)
	}
}

// list builds a chained list of entries whose first field is a 32-bit
// NextEntryOffset, each entry aligned relative to the list's start.
type list struct {
	e     *wire.Encoder
	start int
	last  int // position of the previous entry, or -1
}

// begin pads to the alignment and links the previous entry to the new one,
// returning the new entry's position.
func (l *list) begin(align int) int {
	if l.last >= 0 {
		l.e.Zero(-(l.e.Len() - l.start) & (align - 1))
		l.e.PutUint32At(l.last, uint32(l.e.Len()-l.last))
	}
	l.last = l.e.Len()
	return l.last
}

// CompressionInfo is FILE_COMPRESSION_INFORMATION (MS-FSCC §2.4.9).
type CompressionInfo struct {
	CompressedFileSize   uint64
	CompressionFormat    uint16 // COMPRESSION_FORMAT_NONE (0) for an uncompressed file
	CompressionUnitShift uint8
	ChunkShift           uint8
	ClusterShift         uint8
}

// Encode appends the structure.
func (c *CompressionInfo) Encode(e *wire.Encoder) {
	e.Uint64(c.CompressedFileSize)
	e.Uint16(c.CompressionFormat)
	e.Uint8(c.CompressionUnitShift)
	e.Uint8(c.ChunkShift)
	e.Uint8(c.ClusterShift)
	e.Zero(3)
}

// EncodeNetworkOpen appends FILE_NETWORK_OPEN_INFORMATION (MS-FSCC
// §2.4.29): the attribute block of the CREATE and CLOSE responses and a
// reserved field.
func EncodeNetworkOpen(e *wire.Encoder, a *wire.FileAttrs) {
	a.Encode(e)
	e.Uint32(0)
}

// EncodeAttributeTag appends FILE_ATTRIBUTE_TAG_INFORMATION (MS-FSCC
// §2.4.6).
func EncodeAttributeTag(e *wire.Encoder, fileAttributes, reparseTag uint32) {
	e.Uint32(fileAttributes)
	e.Uint32(reparseTag)
}

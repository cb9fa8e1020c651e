package wire

import (
	"errors"
	"net/netip"
)

// FSCTL codes the server answers beyond those of consts.go (MS-FSCC §2.3).
const (
	FSCTL_DUPLICATE_EXTENTS_TO_FILE_EX = 0x000983E8
)

// Server-side copy limits (MS-SMB2 §3.3.3: ServerSideCopyMaxNumberofChunks,
// ServerSideCopyMaxChunkSize, ServerSideCopyMaxDataSize), Windows' values.
const (
	CopychunkMaxChunks    = 256
	CopychunkMaxChunkSize = 1 << 20
	CopychunkMaxDataSize  = 16 << 20
)

// Sizes of the fixed FSCTL structures.
const (
	ResumeKeySize            = 24
	ResumeKeyResponseSize    = 32 // ResumeKey, ContextLength, 4 bytes of Context (MS-SMB2 §3.3.5.15.5: OutputCount 32)
	CopychunkResponseSize    = 12 // MS-SMB2 §2.2.32.1
	AllocatedRangeSize       = 16 // FILE_ALLOCATED_RANGE_BUFFER, MS-FSCC §2.3.33
	NetworkInterfaceInfoSize = 152
)

// ErrShortInput is a FSCTL input buffer shorter than its structure.
var ErrShortInput = errors.New("smb: FSCTL input too short")

// Chunk is SRV_COPYCHUNK (MS-SMB2 §2.2.31.1.1).
type Chunk struct {
	SourceOffset uint64
	TargetOffset uint64
	Length       uint32
}

// CopychunkCopy is SRV_COPYCHUNK_COPY (MS-SMB2 §2.2.31.1), the input of
// FSCTL_SRV_COPYCHUNK and FSCTL_SRV_COPYCHUNK_WRITE.
type CopychunkCopy struct {
	SourceKey  [ResumeKeySize]byte
	ChunkCount uint32
	Chunks     []Chunk
}

// DecodeKey decodes only the SourceKey, which the server looks up before
// it validates the rest (MS-SMB2 §3.3.5.15.6).
func (c *CopychunkCopy) DecodeKey(b []byte) error {
	if len(b) < ResumeKeySize {
		return ErrShortInput
	}
	copy(c.SourceKey[:], b)
	return nil
}

// Decode decodes the whole structure. More than max chunks, or fewer
// bytes than ChunkCount chunks take, is an error; Chunks reuses its
// backing array.
func (c *CopychunkCopy) Decode(b []byte, max int) error {
	if len(b) < ResumeKeySize+8 {
		return ErrShortInput
	}
	d := NewDecoder(b)
	copy(c.SourceKey[:], d.Bytes(ResumeKeySize))
	c.ChunkCount = d.Uint32()
	d.Skip(4)
	if c.ChunkCount > uint32(max) {
		return errors.New("smb: too many chunks")
	}
	if d.Remaining() < int(c.ChunkCount)*24 {
		return ErrShortInput
	}
	c.Chunks = c.Chunks[:0]
	for range c.ChunkCount {
		ch := Chunk{SourceOffset: d.Uint64(), TargetOffset: d.Uint64(), Length: d.Uint32()}
		d.Skip(4)
		c.Chunks = append(c.Chunks, ch)
	}
	return d.Err()
}

// EncodeCopychunkResponse appends SRV_COPYCHUNK_RESPONSE (MS-SMB2 §2.2.32.1).
func EncodeCopychunkResponse(e *Encoder, chunks, chunkBytes, total uint32) {
	e.Uint32(chunks)
	e.Uint32(chunkBytes)
	e.Uint32(total)
}

// Range is an (offset, length) pair of signed 64-bit fields:
// FILE_ALLOCATED_RANGE_BUFFER (MS-FSCC §2.3.33), FILE_ZERO_DATA_INFORMATION
// (§2.3.85, Length holding BeyondFinalZero), FILE_LEVEL_TRIM_RANGE
// (§2.3.15).
type Range struct {
	Off, Len int64
}

// DecodeRange decodes the first 16 bytes of b; more are ignored, as
// Windows ignores them.
func DecodeRange(b []byte) (Range, error) {
	if len(b) < 16 {
		return Range{}, ErrShortInput
	}
	d := NewDecoder(b)
	return Range{Off: d.Int64(), Len: d.Int64()}, nil
}

// DuplicateExtents is DUPLICATE_EXTENTS_DATA (MS-FSCC §2.3.8).
type DuplicateExtents struct {
	Source       FileID
	SourceOffset int64
	TargetOffset int64
	ByteCount    int64
}

// Decode decodes the structure from b.
func (x *DuplicateExtents) Decode(b []byte) error {
	if len(b) < 40 {
		return ErrShortInput
	}
	d := NewDecoder(b)
	x.Source = d.FileID()
	x.SourceOffset, x.TargetOffset, x.ByteCount = d.Int64(), d.Int64(), d.Int64()
	return d.Err()
}

// DecodeEx decodes SMB2_DUPLICATE_EXTENTS_DATA_EX (MS-FSCC §2.3.9.2):
// StructureSize (0x30), the same fields, then Flags and a reserved word.
func (x *DuplicateExtents) DecodeEx(b []byte) (flags uint32, err error) {
	if len(b) < 56 {
		return 0, ErrShortInput
	}
	d := NewDecoder(b)
	if d.Uint64() != 0x30 {
		return 0, errors.New("smb: bad DUPLICATE_EXTENTS_DATA_EX size")
	}
	if err := x.Decode(b[8:]); err != nil {
		return 0, err
	}
	d.Skip(40)
	return d.Uint32(), d.Err()
}

// FileLevelTrim is FILE_LEVEL_TRIM (MS-FSCC §2.3.14); Ranges reuses its
// backing array.
type FileLevelTrim struct {
	Key    uint32
	Ranges []Range
}

// Decode decodes the structure: the ranges NumRanges says must all be
// there.
func (t *FileLevelTrim) Decode(b []byte) error {
	if len(b) < 8 {
		return ErrShortInput
	}
	d := NewDecoder(b)
	t.Key = d.Uint32()
	n := d.Uint32()
	if uint64(n)*16 > uint64(d.Remaining()) {
		return ErrShortInput
	}
	t.Ranges = t.Ranges[:0]
	for range n {
		t.Ranges = append(t.Ranges, Range{Off: d.Int64(), Len: d.Int64()})
	}
	return d.Err()
}

// NetworkInterface is one NETWORK_INTERFACE_INFO (MS-SMB2 §2.2.32.5).
type NetworkInterface struct {
	IfIndex    uint32
	Capability uint32 // RSS_CAPABLE 1, RDMA_CAPABLE 2
	LinkSpeed  uint64 // bits per second
	Addr       netip.Addr
}

// EncodeNetworkInterfaces appends the NETWORK_INTERFACE_INFO list, each
// entry 152 bytes, Next linking them and 0 in the last.
func EncodeNetworkInterfaces(e *Encoder, ifs []NetworkInterface) {
	for i, ni := range ifs {
		next := uint32(NetworkInterfaceInfoSize)
		if i == len(ifs)-1 {
			next = 0
		}
		e.Uint32(next)
		e.Uint32(ni.IfIndex)
		e.Uint32(ni.Capability)
		e.Uint32(0)
		e.Uint64(ni.LinkSpeed)
		start := e.Len()
		// SOCKADDR_STORAGE (MS-SMB2 §2.2.32.5.1): Family, then
		// SOCKADDR_IN (port 0, address, 8 reserved) or SOCKADDR_IN6
		// (port 0, flow info 0, address, scope id 0), zero-padded to 128.
		a := ni.Addr.Unmap()
		if a.Is4() {
			e.Uint16(0x0002)
			e.Uint16(0)
			b := a.As4()
			e.Write(b[:])
		} else {
			e.Uint16(0x0017)
			e.Uint16(0)
			e.Uint32(0)
			b := a.As16()
			e.Write(b[:])
		}
		e.Zero(128 - (e.Len() - start))
	}
}

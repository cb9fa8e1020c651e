package fscc

import "github.com/dittofs/dittofs/smb/internal/wire"

// Fixed sizes of the file system information structures (MS-FSCC §2.5).
const (
	FsVolumeInfoFixedSize    = 18
	FsSizeInfoSize           = 24
	FsFullSizeInfoSize       = 32
	FsDeviceInfoSize         = 8
	FsAttributeInfoFixedSize = 12
	FsSectorSizeInfoSize     = 28
	FsObjectIDInfoSize       = 64
)

// FsVolumeInfo is FILE_FS_VOLUME_INFORMATION (MS-FSCC §2.5.9).
type FsVolumeInfo struct {
	VolumeCreationTime uint64
	VolumeSerialNumber uint32
	SupportsObjects    bool
	VolumeLabel        string
}

// Encode appends the structure.
func (v *FsVolumeInfo) Encode(e *wire.Encoder) {
	e.Uint64(v.VolumeCreationTime)
	e.Uint32(v.VolumeSerialNumber)
	e.Uint32(uint32(wire.UTF16Len(v.VolumeLabel)))
	e.Uint8(b2u(v.SupportsObjects))
	e.Uint8(0)
	e.UTF16(v.VolumeLabel)
}

// FsSizeInfo is FILE_FS_SIZE_INFORMATION (MS-FSCC §2.5.8).
type FsSizeInfo struct {
	TotalAllocationUnits     uint64
	AvailableAllocationUnits uint64
	SectorsPerAllocationUnit uint32
	BytesPerSector           uint32
}

// Encode appends the structure.
func (s *FsSizeInfo) Encode(e *wire.Encoder) {
	e.Uint64(s.TotalAllocationUnits)
	e.Uint64(s.AvailableAllocationUnits)
	e.Uint32(s.SectorsPerAllocationUnit)
	e.Uint32(s.BytesPerSector)
}

// FsFullSizeInfo is FILE_FS_FULL_SIZE_INFORMATION (MS-FSCC §2.5.4).
type FsFullSizeInfo struct {
	TotalAllocationUnits           uint64
	CallerAvailableAllocationUnits uint64
	ActualAvailableAllocationUnits uint64
	SectorsPerAllocationUnit       uint32
	BytesPerSector                 uint32
}

// Encode appends the structure.
func (s *FsFullSizeInfo) Encode(e *wire.Encoder) {
	e.Uint64(s.TotalAllocationUnits)
	e.Uint64(s.CallerAvailableAllocationUnits)
	e.Uint64(s.ActualAvailableAllocationUnits)
	e.Uint32(s.SectorsPerAllocationUnit)
	e.Uint32(s.BytesPerSector)
}

// Device types and characteristics of FILE_FS_DEVICE_INFORMATION (MS-FSCC
// §2.5.10).
const (
	FILE_DEVICE_CD_ROM = 0x00000002
	FILE_DEVICE_DISK   = 0x00000007

	FILE_REMOVABLE_MEDIA    = 0x00000001
	FILE_READ_ONLY_DEVICE   = 0x00000002
	FILE_FLOPPY_DISKETTE    = 0x00000004
	FILE_WRITE_ONCE_MEDIA   = 0x00000008
	FILE_REMOTE_DEVICE      = 0x00000010
	FILE_DEVICE_IS_MOUNTED  = 0x00000020
	FILE_VIRTUAL_VOLUME     = 0x00000040
	FILE_DEVICE_SECURE_OPEN = 0x00000100
)

// EncodeFsDevice appends FILE_FS_DEVICE_INFORMATION (MS-FSCC §2.5.10).
func EncodeFsDevice(e *wire.Encoder, deviceType, characteristics uint32) {
	e.Uint32(deviceType)
	e.Uint32(characteristics)
}

// File system attribute flags of FILE_FS_ATTRIBUTE_INFORMATION (MS-FSCC
// §2.5.1).
const (
	FILE_CASE_SENSITIVE_SEARCH        = 0x00000001
	FILE_CASE_PRESERVED_NAMES         = 0x00000002
	FILE_UNICODE_ON_DISK              = 0x00000004
	FILE_PERSISTENT_ACLS              = 0x00000008
	FILE_FILE_COMPRESSION             = 0x00000010
	FILE_VOLUME_QUOTAS                = 0x00000020
	FILE_SUPPORTS_SPARSE_FILES        = 0x00000040
	FILE_SUPPORTS_REPARSE_POINTS      = 0x00000080
	FILE_SUPPORTS_REMOTE_STORAGE      = 0x00000100
	FILE_VOLUME_IS_COMPRESSED         = 0x00008000
	FILE_SUPPORTS_OBJECT_IDS          = 0x00010000
	FILE_SUPPORTS_ENCRYPTION          = 0x00020000
	FILE_NAMED_STREAMS                = 0x00040000
	FILE_READ_ONLY_VOLUME             = 0x00080000
	FILE_SEQUENTIAL_WRITE_ONCE        = 0x00100000
	FILE_SUPPORTS_TRANSACTIONS        = 0x00200000
	FILE_SUPPORTS_HARD_LINKS          = 0x00400000
	FILE_SUPPORTS_EXTENDED_ATTRIBUTES = 0x00800000
	FILE_SUPPORTS_OPEN_BY_FILE_ID     = 0x01000000
	FILE_SUPPORTS_USN_JOURNAL         = 0x02000000
	FILE_SUPPORTS_INTEGRITY_STREAMS   = 0x04000000
	FILE_SUPPORTS_BLOCK_REFCOUNTING   = 0x08000000
	FILE_SUPPORTS_SPARSE_VDL          = 0x10000000
)

// FsAttributeInfo is FILE_FS_ATTRIBUTE_INFORMATION (MS-FSCC §2.5.1).
type FsAttributeInfo struct {
	FileSystemAttributes       uint32
	MaximumComponentNameLength uint32
	FileSystemName             string // "NTFS" is what clients expect
}

// Encode appends the structure.
func (a *FsAttributeInfo) Encode(e *wire.Encoder) {
	e.Uint32(a.FileSystemAttributes)
	e.Uint32(a.MaximumComponentNameLength)
	e.Uint32(uint32(wire.UTF16Len(a.FileSystemName)))
	e.UTF16(a.FileSystemName)
}

// FsSectorSizeInfo is FILE_FS_SECTOR_SIZE_INFORMATION (MS-FSCC §2.5.7).
type FsSectorSizeInfo struct {
	LogicalBytesPerSector                                 uint32
	PhysicalBytesPerSectorForAtomicity                    uint32
	PhysicalBytesPerSectorForPerformance                  uint32
	FileSystemEffectivePhysicalBytesPerSectorForAtomicity uint32
	Flags                                                 uint32
	ByteOffsetForSectorAlignment                          uint32
	ByteOffsetForPartitionAlignment                       uint32
}

// FILE_FS_SECTOR_SIZE_INFORMATION flags (MS-FSCC §2.5.7).
const (
	SSINFO_FLAGS_ALIGNED_DEVICE              = 0x00000001
	SSINFO_FLAGS_PARTITION_ALIGNED_ON_DEVICE = 0x00000002
	SSINFO_FLAGS_NO_SEEK_PENALTY             = 0x00000004
	SSINFO_FLAGS_TRIM_ENABLED                = 0x00000008
)

// Encode appends the structure.
func (s *FsSectorSizeInfo) Encode(e *wire.Encoder) {
	e.Uint32(s.LogicalBytesPerSector)
	e.Uint32(s.PhysicalBytesPerSectorForAtomicity)
	e.Uint32(s.PhysicalBytesPerSectorForPerformance)
	e.Uint32(s.FileSystemEffectivePhysicalBytesPerSectorForAtomicity)
	e.Uint32(s.Flags)
	e.Uint32(s.ByteOffsetForSectorAlignment)
	e.Uint32(s.ByteOffsetForPartitionAlignment)
}

// FsObjectIDInfo is FILE_FS_OBJECTID_INFORMATION (MS-FSCC §2.5.6).
type FsObjectIDInfo struct {
	ObjectID     wire.GUID
	ExtendedInfo [48]byte
}

// Encode appends the structure.
func (o *FsObjectIDInfo) Encode(e *wire.Encoder) {
	e.Write(o.ObjectID[:])
	e.Write(o.ExtendedInfo[:])
}

package fscc

import "github.com/dittofs/dittofs/smb/internal/wire"

// FsControlInfoSize is the size of FILE_FS_CONTROL_INFORMATION.
const FsControlInfoSize = 48

// EncodeFsControlNoQuota appends FILE_FS_CONTROL_INFORMATION (MS-FSCC
// §2.5.2) of a volume without quotas: no free-space filtering, the default
// quota threshold and limit -1 (no limit, as Windows reports them), no
// FileSystemControlFlags (quotas neither tracked nor enforced).
func EncodeFsControlNoQuota(e *wire.Encoder) {
	e.Zero(24)  // FreeSpaceStartFiltering, FreeSpaceThreshold, FreeSpaceStopFiltering
	e.Int64(-1) // DefaultQuotaThreshold
	e.Int64(-1) // DefaultQuotaLimit
	e.Uint32(0) // FileSystemControlFlags
	e.Uint32(0) // Padding
}

// EncodeFsObjectID appends FILE_FS_OBJECTID_INFORMATION (MS-FSCC §2.5.6):
// the volume's object id and 48 bytes of ExtendedInfo, zero here.
func EncodeFsObjectID(e *wire.Encoder, id [16]byte) {
	e.Write(id[:])
	e.Zero(48)
}

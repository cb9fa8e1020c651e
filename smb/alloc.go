package smb

import (
	"encoding/binary"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// createAlloc reads the AlSi create context (MS-SMB2 §2.2.13.2.6): the
// allocation size a created or overwritten file should start with; any
// length but 8 is STATUS_INVALID_PARAMETER. The store allocates only by
// growing a file (fallocate mode 0), so the size is kept by the open as a
// hint, as smbd keeps its initial_allocation_size: the open reports it as
// the AllocationSize while the file's own is smaller.
func createAlloc(req *wire.CreateRequest) (uint64, wire.Status) {
	b, ok := req.Context(wire.SMB2_CREATE_ALLOCATION_SIZE)
	if !ok {
		return 0, wire.STATUS_SUCCESS
	}
	if len(b) != 8 {
		return 0, wire.STATUS_INVALID_PARAMETER
	}
	return binary.LittleEndian.Uint64(b), wire.STATUS_SUCCESS
}

// applyAllocHint raises AllocationSize to the open's AlSi hint, in
// allocation units.
func (o *open) applyAllocHint(fa *wire.FileAttrs) {
	if o.allocHint > fa.AllocationSize && o.stream == "" {
		fa.AllocationSize = (o.allocHint + allocUnit - 1) / allocUnit * allocUnit
	}
}

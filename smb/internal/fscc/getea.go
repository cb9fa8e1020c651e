package fscc

import (
	"bytes"
	"encoding/binary"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// DecodeGetEa decodes a FILE_GET_EA_INFORMATION list (MS-FSCC §2.4.15.1),
// the EA names a QUERY_INFO of FileFullEaInformation may carry as its
// input buffer, appending the names to dst[:0]. Each entry's
// NextEntryOffset must be 0 (the last) or cover the entry and lie within
// the buffer; the name must be non-empty, NUL-free and followed by its NUL
// terminator. Violations are ErrEAList (STATUS_EA_LIST_INCONSISTENT); more
// than MaxEAs names wire.ErrTooMany. Names alias the buffer.
func DecodeGetEa(buf []byte, dst [][]byte) ([][]byte, error) {
	dst = dst[:0]
	for {
		if len(dst) == MaxEAs {
			return dst, wire.ErrTooMany
		}
		if len(buf) < 6 {
			return dst, ErrEAList
		}
		next := binary.LittleEndian.Uint32(buf)
		nameLen := int(buf[4])
		size := 5 + nameLen + 1
		if nameLen == 0 || size > len(buf) || buf[5+nameLen] != 0 {
			return dst, ErrEAList
		}
		if next != 0 && (int64(next) < int64(size) || int64(next) >= int64(len(buf))) {
			return dst, ErrEAList
		}
		name := buf[5 : 5+nameLen : 5+nameLen]
		if bytes.IndexByte(name, 0) >= 0 {
			return dst, ErrEAList
		}
		dst = append(dst, name)
		if next == 0 {
			return dst, nil
		}
		buf = buf[next:]
	}
}

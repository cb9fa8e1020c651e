package fscc

import (
	"bytes"
	"encoding/binary"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// RenameInfo is FILE_RENAME_INFORMATION_TYPE_2 (MS-FSCC §2.4.42.2), the
// SMB2 form of FileRenameInformation, whose layout FileLinkInformation
// shares (FILE_LINK_INFORMATION_TYPE_2, §2.4.27.2).
type RenameInfo struct {
	ReplaceIfExists bool
	// RootDirectory must be 0 over SMB2 (MS-SMB2 §2.2.39).
	RootDirectory uint64
	// FileName is the UTF-16LE target path from the share root; it
	// aliases the buffer and has an even length.
	FileName []byte
}

// renameFixed is the size of RenameInfo up to FileName.
const renameFixed = 20

// Decode decodes a SET_INFO buffer of FileRenameInformation or
// FileLinkInformation.
func (r *RenameInfo) Decode(buf []byte) error {
	if len(buf) < renameFixed {
		return ErrInfoLength
	}
	d := wire.NewDecoder(buf)
	r.ReplaceIfExists = d.Uint8() != 0
	d.Skip(7)
	r.RootDirectory = d.Uint64()
	n := d.Uint32()
	if uint64(n) > uint64(d.Remaining()) {
		return ErrInfoLength
	}
	if n%2 != 0 {
		return wire.ErrOddLength
	}
	r.FileName = d.Bytes(int(n))
	return d.Err()
}

// Encode appends the structure (for tests and clients).
func (r *RenameInfo) Encode(e *wire.Encoder) {
	e.Uint8(b2u(r.ReplaceIfExists))
	e.Zero(7)
	e.Uint64(r.RootDirectory)
	e.Uint32(uint32(len(r.FileName)))
	e.Write(r.FileName)
}

// DecodeDisposition decodes FILE_DISPOSITION_INFORMATION (MS-FSCC
// §2.4.11): one byte, DeletePending.
func DecodeDisposition(buf []byte) (deletePending bool, err error) {
	if len(buf) < 1 {
		return false, ErrInfoLength
	}
	return buf[0] != 0, nil
}

// FILE_DISPOSITION_INFORMATION_EX flags (MS-FSCC §2.4.12).
const (
	FILE_DISPOSITION_DO_NOT_DELETE             = 0x00000000
	FILE_DISPOSITION_DELETE                    = 0x00000001
	FILE_DISPOSITION_POSIX_SEMANTICS           = 0x00000002
	FILE_DISPOSITION_FORCE_IMAGE_SECTION_CHECK = 0x00000004
	FILE_DISPOSITION_ON_CLOSE                  = 0x00000008
	FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE = 0x00000010
)

// DecodeDispositionEx decodes FILE_DISPOSITION_INFORMATION_EX (MS-FSCC
// §2.4.12): a 32-bit Flags field.
func DecodeDispositionEx(buf []byte) (flags uint32, err error) {
	if len(buf) < 4 {
		return 0, ErrInfoLength
	}
	return binary.LittleEndian.Uint32(buf), nil
}

// DecodeInt64 decodes the single signed 64-bit field of
// FILE_END_OF_FILE_INFORMATION (EndOfFile, MS-FSCC §2.4.14),
// FILE_ALLOCATION_INFORMATION (AllocationSize, §2.4.4) and
// FILE_POSITION_INFORMATION (CurrentByteOffset, §2.4.35). A negative
// value is the caller's to refuse (STATUS_INVALID_PARAMETER).
func DecodeInt64(buf []byte) (int64, error) {
	if len(buf) < 8 {
		return 0, ErrInfoLength
	}
	return int64(binary.LittleEndian.Uint64(buf)), nil
}

// EA is one extended attribute of a FILE_FULL_EA_INFORMATION list
// (MS-FSCC §2.4.15). Decoded names and values alias the buffer.
type EA struct {
	Flags uint8 // FILE_NEED_EA
	Name  []byte
	Value []byte
}

// FILE_NEED_EA marks an EA the file cannot be understood without.
const FILE_NEED_EA = 0x80

// MaxEAs bounds the entries of one EA list.
const MaxEAs = 4096

// DecodeFullEa decodes a FILE_FULL_EA_INFORMATION list, appending the
// entries to dst[:0]. Each entry's NextEntryOffset must be 0 (the last) or
// a multiple of 4 (§2.4.15) covering the entry and within the buffer; the
// name must be non-empty and followed by its NUL terminator; name and
// value must lie within the entry. Violations are ErrEAList
// (STATUS_EA_LIST_INCONSISTENT).
func DecodeFullEa(buf []byte, dst []EA) ([]EA, error) {
	dst = dst[:0]
	for {
		if len(dst) == MaxEAs {
			return dst, wire.ErrTooMany
		}
		if len(buf) < 8 {
			return dst, ErrEAList
		}
		next := binary.LittleEndian.Uint32(buf)
		flags := buf[4]
		nameLen := int(buf[5])
		valueLen := int(binary.LittleEndian.Uint16(buf[6:]))
		size := 8 + nameLen + 1 + valueLen
		if nameLen == 0 || size > len(buf) || buf[8+nameLen] != 0 {
			return dst, ErrEAList
		}
		if next != 0 && (next%4 != 0 || int64(next) < int64(size) || int64(next) >= int64(len(buf))) {
			return dst, ErrEAList
		}
		name := buf[8 : 8+nameLen : 8+nameLen]
		if bytes.IndexByte(name, 0) >= 0 {
			return dst, ErrEAList
		}
		vs := 8 + nameLen + 1
		dst = append(dst, EA{Flags: flags, Name: name, Value: buf[vs : vs+valueLen : vs+valueLen]})
		if next == 0 {
			return dst, nil
		}
		buf = buf[next:]
	}
}

// EncodeFullEa appends a FILE_FULL_EA_INFORMATION list, each entry 4-byte
// aligned relative to the list's start, names NUL-terminated. Names must
// be 1-255 bytes and values at most 65535: the caller enforces it (an
// over-long value is truncated to its length field here).
func EncodeFullEa(e *wire.Encoder, eas []EA) {
	l := list{e: e, start: e.Len(), last: -1}
	for _, ea := range eas {
		l.begin(4)
		name := ea.Name[:min(len(ea.Name), 255)]
		value := ea.Value[:min(len(ea.Value), 65535)]
		e.Uint32(0)
		e.Uint8(ea.Flags)
		e.Uint8(uint8(len(name)))
		e.Uint16(uint16(len(value)))
		e.Write(name)
		e.Uint8(0)
		e.Write(value)
	}
}

// FullEaSize returns the size of EncodeFullEa's output for eas, the value
// FILE_EA_INFORMATION reports.
func FullEaSize(eas []EA) int {
	n := 0
	for i, ea := range eas {
		if i > 0 {
			n = (n + 3) &^ 3
		}
		n += 8 + min(len(ea.Name), 255) + 1 + min(len(ea.Value), 65535)
	}
	return n
}

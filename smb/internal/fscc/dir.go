package fscc

import (
	"errors"

	"github.com/dittofs/dittofs/smb/internal/wire"
)

// ErrInvalidClass means a QUERY_DIRECTORY asked for an information class
// DirWriter does not produce; a server answers STATUS_INVALID_INFO_CLASS
// (MS-SMB2 §3.3.5.18).
var ErrInvalidClass = errors.New("fscc: unsupported directory information class")

// DirEntry is what a directory enumeration knows of one entry; each
// information class sends part of it. Times are FILETIMEs.
type DirEntry struct {
	FileIndex      uint32
	CreationTime   uint64
	LastAccessTime uint64
	LastWriteTime  uint64
	ChangeTime     uint64
	EndOfFile      uint64
	AllocationSize uint64
	FileAttributes uint32
	// EaSize is the EA list size, or the reparse tag when FileAttributes
	// has FILE_ATTRIBUTE_REPARSE_POINT (MS-FSCC §2.4.8).
	EaSize     uint32
	ReparseTag uint32 // FileIdExtdDirectoryInformation only
	// FileID is the 64-bit file ID (the inode number); the 128-bit ID of
	// FileIdExtdDirectoryInformation is this value zero-extended.
	FileID uint64
	// ShortName is the 8.3 name of the Both classes, at most 12
	// characters; usually empty.
	ShortName string
	Name      string
}

// dirFixed gives each supported class's size up to its FileName.
func dirFixed(class uint8) int {
	switch class {
	case wire.FileDirectoryInformation:
		return 64 // §2.4.10
	case wire.FileFullDirectoryInformation:
		return 68 // §2.4.14
	case wire.FileBothDirectoryInformation:
		return 94 // §2.4.8
	case wire.FileIdBothDirectoryInformation:
		return 104 // §2.4.17
	case wire.FileIdFullDirectoryInformation:
		return 80 // §2.4.18
	case wire.FileNamesInformation:
		return 12 // §2.4.33
	case wire.FileIdExtdDirectoryInformation:
		return 88 // §2.4.22
	}
	return 0
}

// DirFixedSize returns the size of class's entry up to its FileName, or 0
// for a class DirWriter does not produce. A QUERY_DIRECTORY whose
// OutputBufferLength is below it is STATUS_INFO_LENGTH_MISMATCH (MS-FSA
// §2.1.5.6.3).
func DirFixedSize(class uint8) int { return dirFixed(class) }

// DirWriter appends QUERY_DIRECTORY entries of one information class to an
// Encoder (directly into the response, after OutputResponse.EncodeFixed):
// each entry 8-byte aligned relative to the first, each NextEntryOffset
// pointing at the next and the last 0, and never more than Max bytes in
// all (MS-FSCC §2.4: "No padding is required following the last data
// element").
type DirWriter struct {
	e     *wire.Encoder
	class uint8
	fixed int
	max   int
	l     list
	n     int
}

// NewDirWriter returns a DirWriter appending entries of class to e, at
// most max bytes of them (the request's OutputBufferLength, bounded by the
// server's MaxTransactSize).
func NewDirWriter(e *wire.Encoder, class uint8, max int) (*DirWriter, error) {
	w := &DirWriter{}
	return w, w.Reset(e, class, max)
}

// Reset makes w append a new list to e, as NewDirWriter.
func (w *DirWriter) Reset(e *wire.Encoder, class uint8, max int) error {
	fixed := dirFixed(class)
	if fixed == 0 {
		return ErrInvalidClass
	}
	*w = DirWriter{e: e, class: class, fixed: fixed, max: max, l: list{e: e, start: e.Len(), last: -1}}
	return nil
}

// Len returns the bytes appended so far: the response's OutputBufferLength.
func (w *DirWriter) Len() int { return w.e.Len() - w.l.start }

// Count returns the number of entries appended.
func (w *DirWriter) Count() int { return w.n }

// Add appends d if it fits in what is left of max bytes, padding included,
// and reports whether it did; when it does not fit nothing is appended,
// and the server keeps d for the next QUERY_DIRECTORY. If the very first
// entry does not fit, the server answers STATUS_BUFFER_OVERFLOW (MS-FSA
// §2.1.5.6.3).
func (w *DirWriter) Add(d *DirEntry) bool {
	nameLen := wire.UTF16Len(d.Name)
	pad := 0
	if w.n > 0 {
		pad = -w.Len() & 7
	}
	if w.Len()+pad+w.fixed+nameLen > w.max {
		return false
	}
	w.l.begin(8)
	w.n++
	e := w.e
	e.Uint32(0) // NextEntryOffset, set by the next entry
	e.Uint32(d.FileIndex)
	if w.class == wire.FileNamesInformation {
		e.Uint32(uint32(nameLen))
		e.UTF16(d.Name)
		return true
	}
	e.Uint64(d.CreationTime)
	e.Uint64(d.LastAccessTime)
	e.Uint64(d.LastWriteTime)
	e.Uint64(d.ChangeTime)
	e.Uint64(d.EndOfFile)
	e.Uint64(d.AllocationSize)
	e.Uint32(d.FileAttributes)
	e.Uint32(uint32(nameLen))
	switch w.class {
	case wire.FileFullDirectoryInformation:
		e.Uint32(d.EaSize)
	case wire.FileIdFullDirectoryInformation:
		e.Uint32(d.EaSize)
		e.Uint32(0)
		e.Uint64(d.FileID)
	case wire.FileBothDirectoryInformation, wire.FileIdBothDirectoryInformation:
		e.Uint32(d.EaSize)
		short := shortName(d.ShortName)
		e.Uint8(uint8(len(short)))
		e.Uint8(0)
		e.Write(short)
		e.Zero(24 - len(short))
		if w.class == wire.FileIdBothDirectoryInformation {
			e.Uint16(0)
			e.Uint64(d.FileID)
		}
	case wire.FileIdExtdDirectoryInformation:
		e.Uint32(d.EaSize)
		e.Uint32(d.ReparseTag)
		e.Uint64(d.FileID)
		e.Uint64(0)
	}
	e.UTF16(d.Name)
	return true
}

// shortName returns s as UTF-16LE, cut to the 24 bytes of the ShortName
// field (12 characters) at a character boundary.
func shortName(s string) []byte {
	if s == "" {
		return nil
	}
	var buf [24]byte
	b := buf[:0]
	for _, r := range s {
		n := len(b)
		b = wire.AppendUTF16(b, string(r))
		if len(b) > 24 {
			return append([]byte(nil), b[:n]...)
		}
	}
	return append([]byte(nil), b...)
}

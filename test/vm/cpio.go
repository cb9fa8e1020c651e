package vm

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// CPIOWriter writes a "newc" (SVR4, no CRC) cpio archive, the format the Linux
// kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/
// buffer-format.rst). Every entry is owned by root, with mtime 0, so that the
// same inputs give the same bytes. The zero value is not usable; use
// NewCPIOWriter.
type CPIOWriter struct {
	w     io.Writer
	n     int64 // bytes written so far
	ino   uint32
	err   error
	close bool
}

// NewCPIOWriter returns a writer that appends entries to w.
func NewCPIOWriter(w io.Writer) *CPIOWriter {
	return &CPIOWriter{w: w, ino: 1}
}

// Cpio mode bits (the S_IF* values the format stores).
const (
	cpioDir     = 0o040000
	cpioRegular = 0o100000
	cpioSymlink = 0o120000
)

// Dir adds a directory entry with the given permission bits.
func (cw *CPIOWriter) Dir(name string, perm fs.FileMode) error {
	return cw.entry(name, cpioDir|uint32(perm.Perm())|stickyBits(perm), nil)
}

// File adds a regular file with the given permission bits and content.
func (cw *CPIOWriter) File(name string, perm fs.FileMode, data []byte) error {
	return cw.entry(name, cpioRegular|uint32(perm.Perm())|stickyBits(perm), data)
}

// Symlink adds a symbolic link name that points to target.
func (cw *CPIOWriter) Symlink(name, target string) error {
	return cw.entry(name, cpioSymlink|0o777, []byte(target))
}

// Close writes the trailer entry and pads the archive to a multiple of 4 bytes,
// so that another archive can be appended (the kernel unpacks a concatenation,
// and later entries replace earlier ones). It does not close the underlying
// writer.
func (cw *CPIOWriter) Close() error {
	if cw.close {
		return cw.err
	}
	cw.close = true
	cw.ino = 0
	return cw.entryRaw("TRAILER!!!", 0, 0, nil)
}

func stickyBits(perm fs.FileMode) uint32 {
	var m uint32
	if perm&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if perm&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if perm&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}

func (cw *CPIOWriter) entry(name string, mode uint32, data []byte) error {
	if cw.close {
		return errors.New("cpio: write after close")
	}
	name = strings.TrimPrefix(name, "/")
	if name == "" || name == "TRAILER!!!" || strings.Contains(name, "\x00") {
		return fmt.Errorf("cpio: invalid entry name %q", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("cpio: invalid entry name %q", name)
		}
	}
	if int64(len(data)) > 0xFFFFFFFF {
		return fmt.Errorf("cpio: %s is too large for newc", name)
	}
	cw.ino++
	nlink := uint32(1)
	if mode&0o170000 == cpioDir {
		nlink = 2
	}
	return cw.entryRaw(name, mode, nlink, data)
}

func (cw *CPIOWriter) entryRaw(name string, mode, nlink uint32, data []byte) error {
	if cw.err != nil {
		return cw.err
	}
	// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
	// rdevmajor, rdevminor, namesize, check: 6 bytes and 13 fields of 8 hex digits.
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		cw.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	cw.write([]byte(hdr))
	cw.write([]byte(name))
	cw.write([]byte{0})
	cw.pad()
	cw.write(data)
	cw.pad()
	return cw.err
}

func (cw *CPIOWriter) write(b []byte) {
	if cw.err != nil {
		return
	}
	n, err := cw.w.Write(b)
	cw.n += int64(n)
	cw.err = err
}

func (cw *CPIOWriter) pad() {
	if r := cw.n % 4; r != 0 {
		cw.write(make([]byte, 4-r))
	}
}

package vm

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
)

// xenElfnotePhys32Entry is XEN_ELFNOTE_PHYS32_ENTRY, the ELF note by which a
// kernel built with CONFIG_PVH announces its 32-bit PVH entry point.
const xenElfnotePhys32Entry = 0x12

// hasPVHNote reports whether the ELF image has a "Xen" note of type
// XEN_ELFNOTE_PHYS32_ENTRY in one of its PT_NOTE segments.
func hasPVHNote(image []byte) (bool, error) {
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE || p.Filesz > 1<<20 {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p.Open(), int64(p.Filesz)))
		if err != nil {
			return false, err
		}
		if notesHave(data, f.ByteOrder, "Xen", xenElfnotePhys32Entry) {
			return true, nil
		}
	}
	return false, nil
}

// notesHave walks ELF note records (namesz, descsz, type, name, desc; name
// and desc padded to 4 bytes) and reports whether one has the given name and
// type. Truncated records end the walk.
func notesHave(data []byte, bo binary.ByteOrder, name string, typ uint32) bool {
	pad := func(n uint64) uint64 { return (n + 3) &^ 3 }
	for len(data) >= 12 {
		namesz := uint64(bo.Uint32(data[0:]))
		descsz := uint64(bo.Uint32(data[4:]))
		t := bo.Uint32(data[8:])
		rest := uint64(len(data) - 12)
		if pad(namesz) > rest || pad(descsz) > rest-pad(namesz) {
			return false
		}
		n := data[12 : 12+namesz]
		if t == typ && string(bytes.TrimRight(n, "\x00")) == name {
			return true
		}
		data = data[12+pad(namesz)+pad(descsz):]
	}
	return false
}

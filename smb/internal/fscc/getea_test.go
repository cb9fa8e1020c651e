package fscc

import (
	"errors"
	"testing"
)

func getEaEntry(next uint32, name string) []byte {
	return append(lay(next, uint8(len(name))), append([]byte(name), 0)...)
}

// TestDecodeGetEa: FILE_GET_EA_INFORMATION (MS-FSCC §2.4.15.1), a chain
// of NextEntryOffset/EaNameLength/EaName entries; every malformation is
// ErrEAList.
func TestDecodeGetEa(t *testing.T) {
	buf := append(append(getEaEntry(12, "EA1"), 0, 0, 0), getEaEntry(0, "second")...)
	names, err := DecodeGetEa(buf, nil)
	if err != nil || len(names) != 2 || string(names[0]) != "EA1" || string(names[1]) != "second" {
		t.Fatalf("%q %v", names, err)
	}
	for name, b := range map[string][]byte{
		"empty":            nil,
		"short":            {0, 0, 0, 0, 1},
		"zero name":        getEaEntry(0, ""),
		"no terminator":    append(lay(uint32(0), uint8(3)), "abcd"...),
		"name past end":    append(lay(uint32(0), uint8(9)), "ab\x00"...),
		"next inside":      append(getEaEntry(4, "abc"), getEaEntry(0, "d")...),
		"next past end":    getEaEntry(64, "abc"),
		"NUL in name":      getEaEntry(0, "a\x00b"),
		"next to the end":  getEaEntry(9, "abc"),
		"bad second entry": append(getEaEntry(9, "abc"), 0, 0, 0, 0),
	} {
		if _, err := DecodeGetEa(b, nil); !errors.Is(err, ErrEAList) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeGetEa(f *testing.F) {
	f.Add(append(append(getEaEntry(12, "EA1"), 0, 0, 0), getEaEntry(0, "second")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		names, err := DecodeGetEa(b, nil)
		if err != nil {
			return
		}
		for _, n := range names {
			if len(n) == 0 || len(n) > 255 {
				t.Fatalf("name %q", n)
			}
		}
	})
}

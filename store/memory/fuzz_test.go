package memory

import (
	"bytes"
	"maps"
	"slices"
	"testing"
)

// FuzzTree runs a program of puts, deletes and snapshots, read from the
// fuzzer's bytes, against the tree and a map.
func FuzzTree(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(bytes.Repeat([]byte{0, 7, 1, 7, 2, 9}, 200))
	f.Add(bytes.Repeat([]byte{3, 0xff, 0, 0x80, 1, 0x80}, 300))
	f.Fuzz(func(t *testing.T, prog []byte) {
		var tr tree
		want := map[string]string{}
		c := new(cow)
		var snap tree
		var snapWant map[string]string
		for i := 0; i+1 < len(prog); i += 2 {
			// Keys of 1 to 19 bytes sharing prefixes, around the
			// 16-byte abbreviation.
			lens := [...]int{0, 1, 14, 15, 16, 17, 18, 5}
			k := "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"[:lens[prog[i+1]>>5]] + string(rune(prog[i+1]&0x1f))
			if prog[i]&0x80 != 0 {
				k = "abcdefghijklmnopqr"[:lens[prog[i+1]>>5]] + string(rune(prog[i+1]&0x1f))
			}
			switch prog[i] % 4 {
			case 0, 1:
				tr.put(c, newItem([]byte(k), []byte{prog[i]}))
				want[k] = string([]byte{prog[i]})
			case 2:
				tr.delete(c, []byte(k))
				delete(want, k)
			case 3:
				snap, snapWant = tr, maps.Clone(want)
				c = new(cow)
			}
		}
		checkTree(t, &tr, want)
		if snapWant != nil {
			checkTree(t, &snap, snapWant)
		}
		var got []string
		tr.ascend(nil, nil, func(k, v []byte) bool { got = append(got, string(k)); return true })
		if !slices.IsSorted(got) {
			t.Fatalf("ascend out of order")
		}
	})
}

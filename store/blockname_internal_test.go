package store

import (
	"bytes"
	"testing"
)

func testNamer(t *testing.T, key byte) blockNamer {
	t.Helper()
	bn, err := newBlockNamer(bytes.Repeat([]byte{key}, blockKeyLen))
	if err != nil {
		t.Fatal(err)
	}
	return bn
}

// A block name is a function of the key and the content alone; another
// key, another content or another length gives another name; every name
// carries its length and the mark.
func TestBlockNames(t *testing.T) {
	a, b := testNamer(t, 1), testNamer(t, 2)
	p := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	if a.name(p) != a.name(bytes.Clone(p)) {
		t.Fatal("one content, one key, two names")
	}
	if a.name(p) == b.name(p) {
		t.Fatal("two keys gave one name")
	}
	q := bytes.Clone(p)
	q[len(q)-1] ^= 1
	if a.name(p) == a.name(q) {
		t.Fatal("contents differing in one bit share a name")
	}
	// GHASH pads to 16 bytes: a content and the same with zero bytes
	// appended must still differ (the length block and the name's length).
	z := append(bytes.Clone(p[:100]), 0, 0, 0)
	if a.name(p[:100]) == a.name(z) {
		t.Fatal("zero padding shares a name")
	}
	seen := map[BlockID]int{}
	for n := range 200 {
		id := a.name(p[:n])
		if m, dup := seen[id]; dup {
			t.Fatalf("prefixes of %d and %d bytes share a name", m, n)
		}
		seen[id] = n
		if got := be.Uint64(id[16:]); got != uint64(n) {
			t.Fatalf("name of %d bytes records length %d", n, got)
		}
		if string(id[24:]) != blockNameMark {
			t.Fatalf("name %x lacks the mark", id)
		}
	}
	if _, err := newBlockNamer(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was taken")
	}
}

func BenchmarkBlockName(b *testing.B) {
	bn, err := newBlockNamer(make([]byte, blockKeyLen))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{4 << 10, 1 << 20} {
		p := bytes.Repeat([]byte{7}, n)
		b.Run(byteSize(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				bn.name(p)
			}
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return string(rune('0'+n>>20)) + "MiB"
	}
	return string(rune('0'+n>>10)) + "KiB"
}

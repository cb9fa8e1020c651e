package memory

import (
	"encoding/binary"
	"testing"
)

func BenchmarkTreeGet(b *testing.B) {
	var tr tree
	c := new(cow)
	key := func(i int) []byte {
		return binary.BigEndian.AppendUint64([]byte("bench/k/"), uint64(i))
	}
	for i := range 10000 {
		tr.put(c, newItem(key(i), make([]byte, 100)))
	}
	keys := make([][]byte, 10000)
	for i := range keys {
		keys[i] = key(i * 7919 % 10000)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := tr.get(keys[i%len(keys)]); !ok {
			b.Fatal("missing")
		}
		i++
	}
}

package badger

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/dittofs/dittofs/store"
)

// A stored value is the caller's value behind a 4-byte big-endian CRC-32C
// of the prefixed key and the value. Badger verifies its own checksums on
// most paths, but when it cannot read a value from the value log it logs
// the failure and returns an empty value without an error; the checksum
// turns that, and any other damage, into an error.
const sumLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errCorrupt = errors.New("stored value fails its checksum")

func checksum(pkey, val []byte) uint32 {
	return crc32.Update(crc32.Checksum(pkey, castagnoli), castagnoli, val)
}

// seal returns the stored form of val under the prefixed key pkey.
func seal(pkey, val []byte) []byte {
	out := make([]byte, sumLen+len(val))
	copy(out[sumLen:], val)
	binary.BigEndian.PutUint32(out, checksum(pkey, val))
	return out
}

// unseal returns the caller's value inside stored, a slice of it.
func unseal(op string, pkey, stored []byte) ([]byte, error) {
	if len(stored) < sumLen {
		return nil, store.NewError(store.CodeIO, op, "", errCorrupt)
	}
	val := stored[sumLen:]
	if binary.BigEndian.Uint32(stored) != checksum(pkey, val) {
		return nil, store.NewError(store.CodeIO, op, "", errCorrupt)
	}
	return val, nil
}

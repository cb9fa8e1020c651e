package locking

import "encoding/binary"

// encodeRecord encodes a version 1 file record, the layout of earlier
// versions that Open still reads.
func encodeRecord(locks []heldLock, shares []share) []byte {
	b := []byte{recordV1}
	b = binary.AppendUvarint(b, uint64(len(locks)))
	for _, l := range locks {
		b = appendOwner(b, l.owner)
		b = binary.BigEndian.AppendUint64(b, l.first)
		b = binary.BigEndian.AppendUint64(b, l.last)
		if l.excl {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(shares)))
	for _, s := range shares {
		b = appendOwner(b, s.owner)
		b = append(b, byte(s.access), byte(s.deny))
	}
	return b
}

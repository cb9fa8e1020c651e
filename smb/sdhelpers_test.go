package smb

import (
	"encoding/binary"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// Request builders for security descriptors, EAs and streams (MS-SMB2
// §2.2.13, §2.2.37, §2.2.39), laid out by hand like client_test.go's.

type testCtx struct {
	name string
	data []byte
}

// createCtxBody is a CREATE request with create contexts (§2.2.13.2),
// each 8-byte aligned, with its data 8-byte aligned after its name.
func createCtxBody(name string, access, disp, opts, share uint32, ctxs ...testCtx) []byte {
	n := UTF16LE(name)
	var chain []byte
	for i, c := range ctxs {
		dataOff := (16 + len(c.name) + 7) &^ 7
		e := Lay(uint32(0), uint16(16), uint16(len(c.name)), uint16(0), uint16(dataOff), uint32(len(c.data)), c.name)
		e = append(e, make([]byte, dataOff-len(e))...)
		e = append(e, c.data...)
		if i < len(ctxs)-1 {
			e = append(e, make([]byte, -len(e)&7)...)
			binary.LittleEndian.PutUint32(e, uint32(len(e)))
		}
		chain = append(chain, e...)
	}
	ctxOff := 0
	if len(ctxs) > 0 {
		ctxOff = (120 + len(n) + 7) &^ 7
	}
	b := Lay(uint16(57), uint8(0), uint8(0), uint32(wire.SMB2_IMPERSONATION_IMPERSONATION), uint64(0), uint64(0),
		access, uint32(0), share, disp, opts, uint16(120), uint16(len(n)), uint32(ctxOff), uint32(len(chain)))
	if len(n) == 0 {
		n = []byte{0}
	}
	b = append(b, n...)
	if len(ctxs) > 0 {
		b = append(b, make([]byte, ctxOff-64-len(b))...)
		b = append(b, chain...)
	}
	return b
}

const shareAll = wire.FILE_SHARE_READ | wire.FILE_SHARE_WRITE | wire.FILE_SHARE_DELETE

// createFID returns the FileId of a CREATE response.
func createFID(r reply) wire.FileID {
	return wire.FileID{Persistent: binary.LittleEndian.Uint64(r.body[64:]), Volatile: binary.LittleEndian.Uint64(r.body[72:])}
}

// queryInfoFull is a QUERY_INFO request with every field (§2.2.37).
func queryInfoFull(f wire.FileID, typ, class uint8, outLen, addInfo, flags uint32, input []byte) []byte {
	off := uint16(0)
	if len(input) > 0 {
		off = 104
	}
	b := Lay(uint16(41), typ, class, outLen, off, uint16(0), uint32(len(input)), addInfo, flags, fid(f))
	if len(input) == 0 {
		return append(b, 0)
	}
	return append(b, input...)
}

// setInfoFull is a SET_INFO request of any type (§2.2.39).
func setInfoFull(f wire.FileID, typ, class uint8, addInfo uint32, buf []byte) []byte {
	return append(Lay(uint16(33), typ, class, uint32(len(buf)), uint16(96), uint16(0), addInfo, fid(f)), buf...)
}

// errorData is the ErrorData of an ERROR response: for 3.1.1 the data of
// its first error context (§2.2.2.1).
func errorData(r reply, d wire.Dialect) []byte {
	count := r.body[2]
	n := binary.LittleEndian.Uint32(r.body[4:])
	data := r.body[8 : 8+n]
	if d == wire.SMB2_DIALECT_311 && count > 0 {
		l := binary.LittleEndian.Uint32(data)
		return data[8 : 8+l]
	}
	return data
}

package smb

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// ioctlBody is an IOCTL request (MS-SMB2 §2.2.31) of an FSCTL.
func ioctlBody(code uint32, f wire.FileID, in []byte, maxOut uint32) []byte {
	return append(Lay(uint16(57), uint16(0), code, fid(f), uint32(120), uint32(len(in)),
		uint32(0), uint32(0), uint32(0), maxOut, uint32(wire.SMB2_0_IOCTL_IS_FSCTL), uint32(0)), in...)
}

func (c *client) fsctl(code uint32, f wire.FileID, in []byte, maxOut uint32) reply {
	c.t.Helper()
	return c.callCharge(wire.SMB2_IOCTL, ioctlBody(code, f, in, maxOut), charge(int(max(uint32(len(in)), maxOut))))
}

// ioctlOut is the output of an IOCTL response, nil for an ERROR response.
func ioctlOut(r reply) []byte {
	if len(r.body) < 48 || binary.LittleEndian.Uint16(r.body) != 49 {
		return nil
	}
	return ioctlOutput(r)
}

// attrs is FileAttributes of FileBasicInformation.
func (c *client) attrs(f wire.FileID) uint32 {
	c.t.Helper()
	r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileBasicInformation, 40))
	if r.status() != wire.STATUS_SUCCESS {
		c.t.Fatalf("QUERY_INFO basic: %v", r.status())
	}
	return binary.LittleEndian.Uint32(output(r)[32:])
}

func (c *client) size(f wire.FileID) uint64 {
	c.t.Helper()
	r := c.call(wire.SMB2_QUERY_INFO, queryInfoBody(f, wire.SMB2_0_INFO_FILE, wire.FileStandardInformation, 24))
	if r.status() != wire.STATUS_SUCCESS {
		c.t.Fatalf("QUERY_INFO standard: %v", r.status())
	}
	return binary.LittleEndian.Uint64(output(r)[8:])
}

// pattern is n bytes counting from seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

const rw = wire.FILE_READ_DATA | wire.FILE_WRITE_DATA | wire.FILE_READ_ATTRIBUTES

// TestIoctlRequestChecks: MS-SMB2 §3.3.5.15: a request without
// SMB2_0_IOCTL_IS_FSCTL is STATUS_NOT_SUPPORTED; buffers over
// MaxTransactSize or a CreditCharge too small for them
// STATUS_INVALID_PARAMETER; a file FSCTL on an unknown handle
// STATUS_FILE_CLOSED, on a pipe STATUS_INVALID_DEVICE_REQUEST; an FSCTL
// the server does not know STATUS_INVALID_DEVICE_REQUEST.
func TestIoctlRequestChecks(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("f", rw, wire.FILE_OPEN_IF, 0)
	body := ioctlBody(wire.FSCTL_GET_COMPRESSION, f, nil, 2)
	binary.LittleEndian.PutUint32(body[48:], 0) // Flags
	if st := c.call(wire.SMB2_IOCTL, body).status(); st != wire.STATUS_NOT_SUPPORTED {
		t.Errorf("no IS_FSCTL: %v", st)
	}
	if st := c.fsctl(wire.FSCTL_GET_COMPRESSION, f, nil, 2<<20).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("MaxOutputResponse over MaxTransactSize: %v", st)
	}
	if st := c.callCharge(wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_GET_COMPRESSION, f, nil, 128<<10), 1).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("128 KiB output charged 1 credit: %v", st)
	}
	if st := c.fsctl(wire.FSCTL_GET_COMPRESSION, wire.FileID{Persistent: 99, Volatile: 99}, nil, 2).status(); st != wire.STATUS_FILE_CLOSED {
		t.Errorf("unknown handle: %v", st)
	}
	if st := c.fsctl(wire.FSCTL_GET_OBJECT_ID, f, nil, 64).status(); st != wire.STATUS_INVALID_DEVICE_REQUEST {
		t.Errorf("unknown FSCTL: %v", st)
	}
	if st := c.fsctl(wire.FSCTL_SRV_ENUMERATE_SNAPSHOTS, f, nil, 16).status(); st != wire.STATUS_INVALID_DEVICE_REQUEST {
		t.Errorf("snapshots: %v", st)
	}
	// §3.3.5.15.8: a private FSCTL (here device type 0x8384) is
	// STATUS_NOT_SUPPORTED; the open is looked up first.
	if st := c.fsctl(0x83840004, f, nil, 16).status(); st != wire.STATUS_NOT_SUPPORTED {
		t.Errorf("private FSCTL: %v", st)
	}
	if st := c.fsctl(wire.FSCTL_GET_OBJECT_ID, wire.FileID{Persistent: 99, Volatile: 99}, nil, 64).status(); st != wire.STATUS_FILE_CLOSED {
		t.Errorf("unknown FSCTL on an unknown handle: %v", st)
	}
	// The FSCTLs that name no file want a FileId of all ones.
	for _, code := range []uint32{wire.FSCTL_DFS_GET_REFERRALS, wire.FSCTL_DFS_GET_REFERRALS_EX, wire.FSCTL_PIPE_WAIT,
		wire.FSCTL_VALIDATE_NEGOTIATE_INFO, wire.FSCTL_QUERY_NETWORK_INTERFACE_INFO} {
		if st := c.fsctl(code, f, nil, 1024).status(); st != wire.STATUS_INVALID_PARAMETER {
			t.Errorf("%#x on a file: %v", code, st)
		}
	}
	if st := c.fsctl(wire.FSCTL_DFS_GET_REFERRALS, allOnesFileID, nil, 1024).status(); st != wire.STATUS_NOT_FOUND {
		t.Errorf("DFS referral: %v", st)
	}
	if st := c.fsctl(wire.FSCTL_PIPE_WAIT, allOnesFileID, nil, 1024).status(); st != wire.STATUS_NOT_SUPPORTED {
		t.Errorf("PIPE_WAIT: %v", st)
	}
	if st := c.treeConnect("IPC$"); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	p, st := c.create("srvsvc", rw, wire.FILE_OPEN, 0)
	if st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := c.fsctl(wire.FSCTL_SET_SPARSE, p, nil, 0).status(); st != wire.STATUS_INVALID_DEVICE_REQUEST {
		t.Errorf("SET_SPARSE on a pipe: %v", st)
	}
}

// TestSetSparse: FSCTL_SET_SPARSE (MS-FSA §2.1.5.9.37, MS-FSCC
// §2.3.64): no buffer or a non-zero byte sets
// FILE_ATTRIBUTE_SPARSE_FILE, 0 clears it, a longer buffer is accepted;
// it is kept with the file; a directory is STATUS_INVALID_PARAMETER; it
// needs FILE_WRITE_DATA, FILE_APPEND_DATA or FILE_WRITE_ATTRIBUTES.
func TestSetSparse(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("s", rw, wire.FILE_OPEN_IF, 0)
	sparse := func() bool { return c.attrs(f)&wire.FILE_ATTRIBUTE_SPARSE_FILE != 0 }
	set := func(in []byte) wire.Status { return c.fsctl(wire.FSCTL_SET_SPARSE, f, in, 0).status() }
	if sparse() {
		t.Fatal("sparse before SET_SPARSE")
	}
	for _, step := range []struct {
		in   []byte
		want bool
	}{{nil, true}, {nil, true}, {[]byte{0}, false}, {[]byte{0xFF}, true}, {make([]byte, 100), false}, {append([]byte{1}, make([]byte, 99)...), true}} {
		if st := set(step.in); st != wire.STATUS_SUCCESS {
			t.Fatalf("SET_SPARSE %v: %v", step.in, st)
		}
		if sparse() != step.want {
			t.Fatalf("after SET_SPARSE %v: sparse %v", step.in, !step.want)
		}
	}
	c.close(f)
	f, _ = c.create("s", wire.FILE_READ_ATTRIBUTES, wire.FILE_OPEN, 0)
	if !sparse() {
		t.Error("sparse attribute not kept")
	}
	c.close(f)

	d, _ := c.create("d", rw, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE)
	if st := c.fsctl(wire.FSCTL_SET_SPARSE, d, nil, 0).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("SET_SPARSE on a directory: %v", st)
	}
	for _, acc := range []uint32{wire.FILE_WRITE_ATTRIBUTES, wire.FILE_WRITE_DATA, wire.FILE_APPEND_DATA} {
		g, _ := c.create("s", acc, wire.FILE_OPEN, 0)
		if st := c.fsctl(wire.FSCTL_SET_SPARSE, g, nil, 0).status(); st != wire.STATUS_SUCCESS {
			t.Errorf("SET_SPARSE with access %#x: %v", acc, st)
		}
		c.close(g)
	}
	g, _ := c.create("s", wire.FILE_WRITE_EA|wire.FILE_READ_DATA, wire.FILE_OPEN, 0)
	if st := c.fsctl(wire.FSCTL_SET_SPARSE, g, nil, 0).status(); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("SET_SPARSE with FILE_WRITE_EA only: %v", st)
	}
}

// qar is FSCTL_QUERY_ALLOCATED_RANGES (MS-FSCC §2.3.33): the status and
// the ranges returned.
func (c *client) qar(f wire.FileID, off, n int64, maxOut uint32) (wire.Status, []wire.Range) {
	c.t.Helper()
	r := c.fsctl(wire.FSCTL_QUERY_ALLOCATED_RANGES, f, Lay(off, n), maxOut)
	out := ioctlOut(r)
	if len(out)%16 != 0 {
		c.t.Fatalf("QUERY_ALLOCATED_RANGES output of %d bytes", len(out))
	}
	var rs []wire.Range
	for ; len(out) > 0; out = out[16:] {
		rg, _ := wire.DecodeRange(out)
		rs = append(rs, rg)
	}
	return r.status(), rs
}

func rangesEqual(a []wire.Range, b ...wire.Range) bool { return slices.Equal(a, b) }

// TestZeroDataAndAllocatedRanges: FSCTL_SET_ZERO_DATA (MS-FSA
// §2.1.5.9.38) zeroes a range, clipped to the size; a sparse file's
// range is deallocated, which FSCTL_QUERY_ALLOCATED_RANGES (MS-FSA
// §2.1.5.9.22) shows; a file that is not sparse is allocated throughout;
// clearing the sparse flag allocates the holes. The errors of both.
func TestZeroDataAndAllocatedRanges(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("z", rw, wire.FILE_OPEN_IF, 0)
	data := pattern(3*65536, 1)
	for off := 0; off < len(data); off += 65536 {
		c.write(f, uint64(off), data[off:off+65536])
	}
	zero := func(off, end int64) wire.Status {
		return c.fsctl(wire.FSCTL_SET_ZERO_DATA, f, Lay(off, end), 0).status()
	}
	const k = 65536
	if st, rs := c.qar(f, 0, 3*k, 1024); st != wire.STATUS_SUCCESS || !rangesEqual(rs, wire.Range{Off: 0, Len: 3 * k}) {
		t.Fatalf("QAR of a written file: %v %v", st, rs)
	}
	if st := zero(0, k); st != wire.STATUS_SUCCESS {
		t.Fatalf("ZERO_DATA: %v", st)
	}
	if st, rs := c.qar(f, 0, 3*k, 1024); st != wire.STATUS_SUCCESS || !rangesEqual(rs, wire.Range{Off: 0, Len: 3 * k}) {
		t.Errorf("QAR after zeroing a non-sparse file: %v %v", st, rs)
	}
	if b, _ := c.read(f, 0, 2*k); !bytes.Equal(b[:k], make([]byte, k)) || !bytes.Equal(b[k:], data[k:2*k]) {
		t.Error("zeroed range does not read as zeroes, or the rest changed")
	}
	if st := c.fsctl(wire.FSCTL_SET_SPARSE, f, nil, 0).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := zero(0, k); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := zero(2*k, 3*k); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st, rs := c.qar(f, 0, 3*k, 1024); st != wire.STATUS_SUCCESS || !rangesEqual(rs, wire.Range{Off: k, Len: k}) {
		t.Errorf("QAR of a sparse file with two holes: %v %v", st, rs)
	}
	if st, rs := c.qar(f, 1, k, 1024); st != wire.STATUS_SUCCESS || !rangesEqual(rs, wire.Range{Off: k, Len: 1}) {
		t.Errorf("QAR clipped to the query: %v %v", st, rs)
	}
	if st, rs := c.qar(f, 3*k, k, 1024); st != wire.STATUS_SUCCESS || len(rs) != 0 {
		t.Errorf("QAR past the end: %v %v", st, rs)
	}
	if st, rs := c.qar(f, 0, 0, 1024); st != wire.STATUS_SUCCESS || len(rs) != 0 {
		t.Errorf("QAR of 0 bytes: %v %v", st, rs)
	}
	// Two ranges, room for one: STATUS_BUFFER_OVERFLOW and the first
	// (MS-FSA §2.1.5.9.22); room for none: STATUS_BUFFER_TOO_SMALL.
	c.write(f, 2*k+100, []byte("x"))
	if st, rs := c.qar(f, 0, 3*k, 16); st != wire.STATUS_BUFFER_OVERFLOW || !rangesEqual(rs, wire.Range{Off: k, Len: k}) {
		t.Errorf("QAR cut: %v %v", st, rs)
	}
	if st, _ := c.qar(f, 0, 3*k, 15); st != wire.STATUS_BUFFER_TOO_SMALL {
		t.Errorf("QAR with no room: %v", st)
	}
	if st, _ := c.qar(f, 0, k, 0); st != wire.STATUS_SUCCESS {
		t.Errorf("QAR of a hole with no room: %v", st)
	}
	// Clearing the flag allocates the holes.
	if st := c.fsctl(wire.FSCTL_SET_SPARSE, f, []byte{0}, 0).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	c.fsctl(wire.FSCTL_SET_SPARSE, f, nil, 0)
	if st, rs := c.qar(f, 0, 3*k, 1024); st != wire.STATUS_SUCCESS || !rangesEqual(rs, wire.Range{Off: 0, Len: 3 * k}) {
		t.Errorf("QAR after clearing and setting sparse again: %v %v", st, rs)
	}
	// Zeroing past the end never changes the size.
	if st := zero(3*k, 4*k); st != wire.STATUS_SUCCESS || c.size(f) != 3*k {
		t.Errorf("ZERO_DATA past EOF: %v, size %d", st, c.size(f))
	}
	if st := zero(5, 5); st != wire.STATUS_SUCCESS {
		t.Errorf("empty ZERO_DATA: %v", st)
	}

	for _, tc := range []struct {
		name string
		code uint32
		in   []byte
	}{
		{"ZERO_DATA offset past BeyondFinalZero", wire.FSCTL_SET_ZERO_DATA, Lay(int64(10), int64(9))},
		{"ZERO_DATA negative offset", wire.FSCTL_SET_ZERO_DATA, Lay(int64(-1), int64(9))},
		{"ZERO_DATA short", wire.FSCTL_SET_ZERO_DATA, Lay(int64(0))},
		{"QAR short", wire.FSCTL_QUERY_ALLOCATED_RANGES, nil},
		{"QAR negative length", wire.FSCTL_QUERY_ALLOCATED_RANGES, Lay(int64(0), int64(-1))},
		{"QAR range past 2^63-1", wire.FSCTL_QUERY_ALLOCATED_RANGES, Lay(int64(512), int64(-1)>>1)},
	} {
		if st := c.fsctl(tc.code, f, tc.in, 1024).status(); st != wire.STATUS_INVALID_PARAMETER {
			t.Errorf("%s: %v", tc.name, st)
		}
	}
	d, _ := c.create("d", rw, wire.FILE_CREATE, wire.FILE_DIRECTORY_FILE)
	if st, _ := c.qar(d, 0, 10, 1024); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("QAR of a directory: %v", st)
	}

	// Access: QAR needs FILE_READ_DATA, ZERO_DATA FILE_WRITE_DATA.
	ro, _ := c.create("z", wire.FILE_READ_ATTRIBUTES|wire.FILE_WRITE_DATA, wire.FILE_OPEN, 0)
	if st, _ := c.qar(ro, 0, 10, 1024); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("QAR without FILE_READ_DATA: %v", st)
	}
	ap, _ := c.create("z", wire.FILE_APPEND_DATA|wire.FILE_READ_DATA, wire.FILE_OPEN, 0)
	if st := c.fsctl(wire.FSCTL_SET_ZERO_DATA, ap, Lay(int64(0), int64(10)), 0).status(); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("ZERO_DATA without FILE_WRITE_DATA: %v", st)
	}

	// Another open's byte-range lock over the range:
	// STATUS_FILE_LOCK_CONFLICT (MS-FSA §2.1.4.10); QAR is not blocked.
	g, _ := c.create("z", rw, wire.FILE_OPEN, 0)
	if st := c.call(wire.SMB2_LOCK, lockBody(g, [3]uint64{0, k, wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK | wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY})).status(); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st := zero(100, 200); st != wire.STATUS_FILE_LOCK_CONFLICT {
		t.Errorf("ZERO_DATA under a lock: %v", st)
	}
	if st := zero(k, k+10); st != wire.STATUS_SUCCESS {
		t.Errorf("ZERO_DATA next to a lock: %v", st)
	}
	if st, _ := c.qar(f, 0, 10, 1024); st != wire.STATUS_SUCCESS {
		t.Errorf("QAR under a lock: %v", st)
	}
}

// TestCompression: FSCTL_GET_COMPRESSION is COMPRESSION_FORMAT_NONE with
// any access; FSCTL_SET_COMPRESSION of NONE succeeds, of another format
// is STATUS_NOT_SUPPORTED (no FILE_FILE_COMPRESSION), of an unknown one
// or with a short buffer STATUS_INVALID_PARAMETER, without
// FILE_WRITE_DATA STATUS_ACCESS_DENIED (MS-FSA §2.1.5.9.7, §2.1.5.9.33,
// MS-FSCC §2.3.12, §2.3.67).
func TestCompression(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("c", rw, wire.FILE_OPEN_IF, 0)
	syncOnly, _ := c.create("c", wire.SYNCHRONIZE, wire.FILE_OPEN, 0)
	if r := c.fsctl(wire.FSCTL_GET_COMPRESSION, syncOnly, nil, 2); r.status() != wire.STATUS_SUCCESS || !bytes.Equal(ioctlOut(r), []byte{0, 0}) {
		t.Errorf("GET_COMPRESSION: %v %x", r.status(), ioctlOut(r))
	}
	if st := c.fsctl(wire.FSCTL_GET_COMPRESSION, f, nil, 1).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("GET_COMPRESSION with 1 byte of output: %v", st)
	}
	for _, tc := range []struct {
		f    wire.FileID
		in   []byte
		want wire.Status
	}{
		{f, Lay(uint16(0)), wire.STATUS_SUCCESS},
		{f, Lay(uint16(1)), wire.STATUS_NOT_SUPPORTED},
		{f, Lay(uint16(2)), wire.STATUS_NOT_SUPPORTED},
		{f, Lay(uint16(0x42)), wire.STATUS_INVALID_PARAMETER},
		{f, []byte{0}, wire.STATUS_INVALID_PARAMETER},
		{syncOnly, Lay(uint16(0)), wire.STATUS_ACCESS_DENIED},
	} {
		if st := c.fsctl(wire.FSCTL_SET_COMPRESSION, tc.f, tc.in, 0).status(); st != tc.want {
			t.Errorf("SET_COMPRESSION %x: %v, want %v", tc.in, st, tc.want)
		}
	}
}

// resumeKey is FSCTL_SRV_REQUEST_RESUME_KEY's key.
func (c *client) resumeKey(f wire.FileID) []byte {
	c.t.Helper()
	r := c.fsctl(wire.FSCTL_SRV_REQUEST_RESUME_KEY, f, nil, 32)
	if out := ioctlOut(r); r.status() != wire.STATUS_SUCCESS || len(out) != 32 {
		c.t.Fatalf("REQUEST_RESUME_KEY: %v, %d bytes", r.status(), len(out))
	}
	return bytes.Clone(ioctlOut(r)[:24])
}

// copychunkIn is SRV_COPYCHUNK_COPY (MS-SMB2 §2.2.31.1); a chunk is
// source offset, target offset, length.
func copychunkIn(key []byte, chunks ...[3]uint64) []byte {
	b := Lay(key, uint32(len(chunks)), uint32(0))
	for _, ch := range chunks {
		b = append(b, Lay(ch[0], ch[1], uint32(ch[2]), uint32(0))...)
	}
	return b
}

// copychunk returns the status and SRV_COPYCHUNK_RESPONSE.
func (c *client) copychunk(code uint32, dst wire.FileID, in []byte) (wire.Status, [3]uint32) {
	c.t.Helper()
	r := c.fsctl(code, dst, in, 12)
	out := ioctlOut(r)
	var res [3]uint32
	if len(out) == 12 {
		for i := range res {
			res[i] = binary.LittleEndian.Uint32(out[4*i:])
		}
	} else if out != nil {
		c.t.Fatalf("copychunk response of %d bytes", len(out))
	}
	return r.status(), res
}

// TestCopychunk: server-side copy (MS-SMB2 §3.3.5.15.5, §3.3.5.15.6).
func TestCopychunk(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	data := pattern(8192, 3)
	src, _ := c.create("src", rw, wire.FILE_OPEN_IF, 0)
	c.write(src, 0, data)
	dst, _ := c.create("dst", rw, wire.FILE_OPEN_IF, 0)

	// The key: 24 bytes, the same each time for one open, another for
	// another open; an output buffer under 32 bytes is
	// STATUS_INVALID_PARAMETER.
	key := c.resumeKey(src)
	if !bytes.Equal(c.resumeKey(src), key) || bytes.Equal(c.resumeKey(dst), key) {
		t.Error("resume keys: not stable per open or not unique")
	}
	if st := c.fsctl(wire.FSCTL_SRV_REQUEST_RESUME_KEY, src, nil, 31).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("REQUEST_RESUME_KEY with 31 bytes of output: %v", st)
	}

	cc := uint32(wire.FSCTL_SRV_COPYCHUNK)
	st, res := c.copychunk(cc, dst, copychunkIn(key, [3]uint64{0, 0, 4096}, [3]uint64{4096, 4096, 50}, [3]uint64{0, 10000, 4096}))
	if st != wire.STATUS_SUCCESS || res != [3]uint32{3, 0, 8242} {
		t.Fatalf("copy: %v %v", st, res)
	}
	got, _ := c.read(dst, 0, 20000)
	want := append(append(append(bytes.Clone(data[:4096]), data[4096:4146]...), make([]byte, 10000-4146)...), data[:4096]...)
	if !bytes.Equal(got, want) {
		t.Error("copied data differs")
	}

	// Limits (§3.3.5.15.6.2): STATUS_INVALID_PARAMETER and the limits.
	limits := [3]uint32{wire.CopychunkMaxChunks, wire.CopychunkMaxChunkSize, wire.CopychunkMaxDataSize}
	many := make([][3]uint64, 257)
	for i := range many {
		many[i] = [3]uint64{0, 0, 1}
	}
	big := make([][3]uint64, 17)
	for i := range big {
		big[i] = [3]uint64{0, 0, 1 << 20}
	}
	for name, in := range map[string][]byte{
		"zero-length chunk":   copychunkIn(key, [3]uint64{0, 0, 0}),
		"chunk over 1 MiB":    copychunkIn(key, [3]uint64{0, 0, 1<<20 + 1}),
		"257 chunks":          copychunkIn(key, many...),
		"17 MiB":              copychunkIn(key, big...),
		"chunks missing":      copychunkIn(key, [3]uint64{0, 0, 1})[:40],
		"ChunkCount past end": Lay(key, uint32(2), uint32(0), uint64(0), uint64(0), uint32(1), uint32(0)),
	} {
		if st, res := c.copychunk(cc, dst, in); st != wire.STATUS_INVALID_PARAMETER || res != limits {
			t.Errorf("%s: %v %v", name, st, res)
		}
	}
	if st := c.fsctl(cc, dst, copychunkIn(key, [3]uint64{0, 0, 1}), 11).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("MaxOutputResponse 11: %v", st)
	}
	bogus := bytes.Repeat([]byte{0xde}, 24)
	if st, _ := c.copychunk(cc, dst, copychunkIn(bogus, [3]uint64{0, 0, 1})); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("unknown key: %v", st)
	}
	if st, _ := c.copychunk(cc, dst, key[:20]); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("short key: %v", st)
	}

	// A source range past the source's end: STATUS_INVALID_VIEW_SIZE,
	// with the chunks done before it counted.
	if st, res := c.copychunk(cc, dst, copychunkIn(key, [3]uint64{0, 0, 4096}, [3]uint64{4096, 0, 8192})); st != wire.STATUS_INVALID_VIEW_SIZE || res != [3]uint32{1, 0, 4096} {
		t.Errorf("past the source's end: %v %v", st, res)
	}

	// Another open's lock: STATUS_FILE_LOCK_CONFLICT, nothing copied.
	src2, _ := c.create("src", rw, wire.FILE_OPEN, 0)
	lock := func(f wire.FileID, flags uint64) {
		if st := c.call(wire.SMB2_LOCK, lockBody(f, [3]uint64{0, 4096, flags})).status(); st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
	}
	lock(src2, wire.SMB2_LOCKFLAG_EXCLUSIVE_LOCK|wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY)
	if st, res := c.copychunk(cc, dst, copychunkIn(key, [3]uint64{0, 0, 4096})); st != wire.STATUS_FILE_LOCK_CONFLICT || res != [3]uint32{} {
		t.Errorf("source locked: %v %v", st, res)
	}
	lock(src2, wire.SMB2_LOCKFLAG_UNLOCK)
	dst2, _ := c.create("dst", rw, wire.FILE_OPEN, 0)
	lock(dst2, wire.SMB2_LOCKFLAG_SHARED_LOCK|wire.SMB2_LOCKFLAG_FAIL_IMMEDIATELY)
	if st, _ := c.copychunk(cc, dst, copychunkIn(key, [3]uint64{0, 0, 4096})); st != wire.STATUS_FILE_LOCK_CONFLICT {
		t.Errorf("destination locked: %v", st)
	}
	lock(dst2, wire.SMB2_LOCKFLAG_UNLOCK)

	// Overlapping ranges of one file: the source's bytes as they were.
	self := c.resumeKey(dst)
	before, _ := c.read(dst, 0, 8192)
	if st, res := c.copychunk(cc, dst, copychunkIn(self, [3]uint64{0, 100, 4000})); st != wire.STATUS_SUCCESS || res != [3]uint32{1, 0, 4000} {
		t.Fatalf("overlapping copy: %v %v", st, res)
	}
	after, _ := c.read(dst, 0, 8192)
	if !bytes.Equal(after[100:4100], before[:4000]) || !bytes.Equal(after[:100], before[:100]) {
		t.Error("overlapping copy: wrong data")
	}

	// Access: the source needs FILE_READ_DATA or FILE_EXECUTE, the
	// destination FILE_WRITE_DATA or FILE_APPEND_DATA and, for
	// FSCTL_SRV_COPYCHUNK only, FILE_READ_DATA.
	open := func(name string, acc uint32) wire.FileID {
		f, st := c.create(name, acc, wire.FILE_OPEN, 0)
		if st != wire.STATUS_SUCCESS {
			t.Fatal(st)
		}
		return f
	}
	for _, tc := range []struct {
		code     uint32
		src, dst uint32
		want     wire.Status
	}{
		{cc, wire.FILE_READ_DATA, rw, wire.STATUS_SUCCESS},
		{cc, wire.FILE_EXECUTE, rw, wire.STATUS_SUCCESS},
		{cc, wire.FILE_READ_ATTRIBUTES, rw, wire.STATUS_ACCESS_DENIED},
		{cc, rw, wire.FILE_READ_DATA, wire.STATUS_ACCESS_DENIED},
		{cc, rw, wire.FILE_APPEND_DATA | wire.FILE_READ_DATA, wire.STATUS_SUCCESS},
		{cc, rw, wire.FILE_WRITE_DATA, wire.STATUS_ACCESS_DENIED},
		{wire.FSCTL_SRV_COPYCHUNK_WRITE, rw, wire.FILE_WRITE_DATA, wire.STATUS_SUCCESS},
	} {
		s, d := open("src", tc.src), open("dst", tc.dst)
		k := c.resumeKey(s)
		if st, _ := c.copychunk(tc.code, d, copychunkIn(k, [3]uint64{0, 0, 10})); st != tc.want {
			t.Errorf("%#x from %#x to %#x: %v, want %v", tc.code, tc.src, tc.dst, st, tc.want)
		}
		c.close(s)
		c.close(d)
	}

	// Keys name opens of the session that asked, on any of its trees,
	// and only while the open lasts.
	if st := c.treeConnect("export"); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	other, _ := c.create("dst", rw, wire.FILE_OPEN, 0)
	if st, _ := c.copychunk(cc, other, copychunkIn(key, [3]uint64{0, 0, 10})); st != wire.STATUS_SUCCESS {
		t.Errorf("key of another tree of the session: %v", st)
	}
	c2 := ts.connect(wire.SMB2_DIALECT_311)
	d2, _ := c2.create("dst", rw, wire.FILE_OPEN, 0)
	if st, _ := c2.copychunk(cc, d2, copychunkIn(key, [3]uint64{0, 0, 10})); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("key of another session: %v", st)
	}
	s3, _ := c.create("src", rw, wire.FILE_OPEN, 0)
	k3 := c.resumeKey(s3)
	if st := c.close(s3); st != wire.STATUS_SUCCESS {
		t.Fatal(st)
	}
	if st, _ := c.copychunk(cc, other, copychunkIn(k3, [3]uint64{0, 0, 10})); st != wire.STATUS_OBJECT_NAME_NOT_FOUND {
		t.Errorf("key of a closed open: %v", st)
	}
}

// dupIn is SMB2_DUPLICATE_EXTENTS_DATA (MS-FSCC §2.3.7.2).
func dupIn(src wire.FileID, so, do, n int64) []byte { return Lay(fid(src), so, do, n) }

// TestDuplicateExtents: FSCTL_DUPLICATE_EXTENTS_TO_FILE (MS-FSCC §2.3.7,
// §2.3.8) and its _EX form (§2.3.9) clone ranges; the errors of §2.3.8.
func TestDuplicateExtents(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	data := pattern(32768, 5)
	src, _ := c.create("src", rw, wire.FILE_OPEN_IF, 0)
	c.write(src, 0, data)
	dst, _ := c.create("dst", rw, wire.FILE_OPEN_IF, 0)
	c.write(dst, 0, make([]byte, 16384))
	dup := func(code uint32, in []byte) wire.Status { return c.fsctl(code, dst, in, 0).status() }
	const de = wire.FSCTL_DUPLICATE_EXTENTS_TO_FILE
	if st := dup(de, dupIn(src, 4096, 0, 8192)); st != wire.STATUS_SUCCESS {
		t.Fatalf("DUPLICATE_EXTENTS: %v", st)
	}
	ex := Lay(uint64(0x30), fid(src), int64(0), int64(8192), int64(8192), uint32(1), uint32(0))
	if st := dup(wire.FSCTL_DUPLICATE_EXTENTS_TO_FILE_EX, ex); st != wire.STATUS_SUCCESS {
		t.Fatalf("DUPLICATE_EXTENTS_EX: %v", st)
	}
	got, _ := c.read(dst, 0, 16384)
	if !bytes.Equal(got[:8192], data[4096:12288]) || !bytes.Equal(got[8192:], data[:8192]) || c.size(dst) != 16384 {
		t.Error("cloned data or size wrong")
	}
	// The source's unaligned end may be cloned.
	c.write(src, 32768, []byte("tail"))
	if st := dup(de, dupIn(src, 32768, 12288, 4)); st != wire.STATUS_SUCCESS {
		t.Errorf("clone of the unaligned end: %v", st)
	}
	self := func(so, do, n int64) wire.Status { return c.fsctl(de, src, dupIn(src, so, do, n), 0).status() }
	if st := self(0, 16384, 8192); st != wire.STATUS_SUCCESS {
		t.Errorf("within one file: %v", st)
	}
	for _, tc := range []struct {
		name string
		st   wire.Status
		want wire.Status
	}{
		{"count 0", dup(de, dupIn(src, 0, 0, 0)), wire.STATUS_SUCCESS},
		{"source range past its end", dup(de, dupIn(src, 32768, 0, 8192)), wire.STATUS_NOT_SUPPORTED},
		{"target range past its end", dup(de, dupIn(src, 0, 12288, 8192)), wire.STATUS_NOT_SUPPORTED},
		{"overlap in one file", self(0, 4096, 8192), wire.STATUS_NOT_SUPPORTED},
		{"misaligned offset", dup(de, dupIn(src, 100, 0, 4096)), wire.STATUS_INVALID_PARAMETER},
		{"misaligned count", dup(de, dupIn(src, 0, 0, 100)), wire.STATUS_INVALID_PARAMETER},
		{"negative offset", dup(de, dupIn(src, -4096, 0, 4096)), wire.STATUS_INVALID_PARAMETER},
		{"range past 2^63-1", dup(de, dupIn(src, 0, 1<<62, 1<<62)), wire.STATUS_INVALID_PARAMETER},
		{"short input", dup(de, dupIn(src, 0, 0, 4096)[:39]), wire.STATUS_INVALID_PARAMETER},
		{"bad EX size", dup(wire.FSCTL_DUPLICATE_EXTENTS_TO_FILE_EX, append(Lay(uint64(0x28)), ex[8:]...)), wire.STATUS_INVALID_PARAMETER},
		{"unknown source", dup(de, dupIn(wire.FileID{Persistent: 77, Volatile: 77}, 0, 0, 4096)), wire.STATUS_INVALID_HANDLE},
	} {
		if tc.st != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.st, tc.want)
		}
	}
	// A sparse source into a target that is not: STATUS_NOT_SUPPORTED;
	// into a sparse target, which may then grow: success.
	c.fsctl(wire.FSCTL_SET_SPARSE, src, nil, 0)
	if st := dup(de, dupIn(src, 0, 0, 4096)); st != wire.STATUS_NOT_SUPPORTED {
		t.Errorf("sparse source, target not sparse: %v", st)
	}
	c.fsctl(wire.FSCTL_SET_SPARSE, dst, nil, 0)
	if st := dup(de, dupIn(src, 0, 16384, 8192)); st != wire.STATUS_SUCCESS || c.size(dst) != 24576 {
		t.Errorf("sparse into sparse past the end: %v, size %d", st, c.size(dst))
	}
	// Access: FILE_READ_DATA on the source, FILE_WRITE_DATA on the target.
	ro, _ := c.create("src", wire.FILE_READ_ATTRIBUTES, wire.FILE_OPEN, 0)
	if st := dup(de, dupIn(ro, 0, 0, 4096)); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("source without FILE_READ_DATA: %v", st)
	}
	ap, _ := c.create("dst", wire.FILE_APPEND_DATA, wire.FILE_OPEN, 0)
	if st := c.fsctl(de, ap, dupIn(src, 0, 0, 4096), 0).status(); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("target without FILE_WRITE_DATA: %v", st)
	}
}

// TestFileLevelTrim: FSCTL_FILE_LEVEL_TRIM (MS-FSCC §2.3.14, §2.3.16)
// zeroes its ranges and answers the number processed; a range that is
// not all in the buffer is STATUS_INVALID_PARAMETER.
func TestFileLevelTrim(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_311)
	f, _ := c.create("t", rw, wire.FILE_OPEN_IF, 0)
	data := pattern(8192, 9)
	c.write(f, 0, data)
	r := c.fsctl(wire.FSCTL_FILE_LEVEL_TRIM, f, Lay(uint32(0), uint32(1), int64(0), int64(4096)), 4)
	if r.status() != wire.STATUS_SUCCESS || !bytes.Equal(ioctlOut(r), Lay(uint32(1))) {
		t.Fatalf("TRIM: %v %x", r.status(), ioctlOut(r))
	}
	if got, _ := c.read(f, 0, 8192); !bytes.Equal(got[4096:], data[4096:]) {
		t.Error("untrimmed range changed")
	}
	if st := c.fsctl(wire.FSCTL_FILE_LEVEL_TRIM, f, Lay(uint32(0), uint32(2), int64(0), int64(4096)), 4).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("TRIM with a range missing: %v", st)
	}
	ro, _ := c.create("t", wire.FILE_READ_DATA, wire.FILE_OPEN, 0)
	if st := c.fsctl(wire.FSCTL_FILE_LEVEL_TRIM, ro, Lay(uint32(0), uint32(0)), 4).status(); st != wire.STATUS_ACCESS_DENIED {
		t.Errorf("TRIM without FILE_WRITE_DATA: %v", st)
	}
}

// TestNetworkInterfaceInfo: FSCTL_QUERY_NETWORK_INTERFACE_INFO (MS-SMB2
// §3.3.5.15.11, §2.2.32.5) lists the connection's local address on 3.x:
// one 152-byte NETWORK_INTERFACE_INFO, IPv4 127.0.0.1, neither RSS nor
// RDMA; a FileId other than all ones is STATUS_INVALID_PARAMETER, an
// output buffer too small STATUS_BUFFER_TOO_SMALL; 2.1 is
// STATUS_NOT_SUPPORTED.
func TestNetworkInterfaceInfo(t *testing.T) {
	ts := startServer(t)
	c := ts.connect(wire.SMB2_DIALECT_300)
	r := c.fsctl(wire.FSCTL_QUERY_NETWORK_INTERFACE_INFO, allOnesFileID, nil, 65536)
	out := ioctlOut(r)
	if r.status() != wire.STATUS_SUCCESS || len(out) != wire.NetworkInterfaceInfoSize {
		t.Fatalf("QUERY_NETWORK_INTERFACE_INFO: %v, %d bytes", r.status(), len(out))
	}
	d := wire.NewDecoder(out)
	next, idx, capab, _, speed, fam, _ := d.Uint32(), d.Uint32(), d.Uint32(), d.Uint32(), d.Uint64(), d.Uint16(), d.Uint16()
	if next != 0 || idx == 0 || capab != 0 || speed == 0 || fam != 2 || !bytes.Equal(d.Bytes(4), []byte{127, 0, 0, 1}) {
		t.Errorf("interface: next %d index %d caps %d speed %d family %d", next, idx, capab, speed, fam)
	}
	if st := c.fsctl(wire.FSCTL_QUERY_NETWORK_INTERFACE_INFO, allOnesFileID, nil, 1).status(); st != wire.STATUS_BUFFER_TOO_SMALL {
		t.Errorf("1 byte of output: %v", st)
	}
	f := wire.FileID{Persistent: 1<<63 - 1, Volatile: 1<<63 - 1}
	if st := c.fsctl(wire.FSCTL_QUERY_NETWORK_INTERFACE_INFO, f, nil, 1).status(); st != wire.STATUS_INVALID_PARAMETER {
		t.Errorf("FileId not all ones: %v", st)
	}
	c21 := ts.connect(wire.SMB2_DIALECT_210)
	if st := c21.fsctl(wire.FSCTL_QUERY_NETWORK_INTERFACE_INFO, allOnesFileID, nil, 65536).status(); st != wire.STATUS_NOT_SUPPORTED {
		t.Errorf("2.1: %v", st)
	}
}

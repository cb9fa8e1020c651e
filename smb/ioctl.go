package smb

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// ioctl is SMB2 IOCTL (MS-SMB2 §3.3.5.15). Only FSCTLs exist: a request
// without SMB2_0_IOCTL_IS_FSCTL is STATUS_NOT_SUPPORTED, and one whose
// buffers exceed MaxTransactSize, or whose CreditCharge does not cover
// them, STATUS_INVALID_PARAMETER. FSCTL_VALIDATE_NEGOTIATE_INFO,
// FSCTL_QUERY_NETWORK_INTERFACE_INFO, the DFS referrals
// (STATUS_NOT_FOUND: not a DFS server) and FSCTL_PIPE_WAIT
// (STATUS_NOT_SUPPORTED) name no file: their FileId must be all ones
// (STATUS_INVALID_PARAMETER otherwise). Every other FSCTL names an open
// of the session and tree (STATUS_FILE_CLOSED otherwise): the pipe
// FSCTLs are in pipe.go; the file FSCTLs below (sparse files,
// compression, server-side copy, duplicate extents, trim) on a pipe are
// STATUS_INVALID_DEVICE_REQUEST. Another FSCTL of the file system,
// pipe, DFS or network file system device types is
// STATUS_INVALID_DEVICE_REQUEST, what NTFS answers for one it does not
// know; of any other device type (a private FSCTL, MS-SMB2 §3.3.5.15.8)
// STATUS_NOT_SUPPORTED.
func (c *conn) ioctl(r *request) wire.Status {
	var req wire.IoctlRequest
	if err := req.Decode(r.msg); err != nil {
		return r.malformed(err)
	}
	if req.Flags != wire.SMB2_0_IOCTL_IS_FSCTL {
		return wire.STATUS_NOT_SUPPORTED
	}
	// MS-SMB2 §3.3.5.15: InputCount + OutputCount and MaxInputResponse +
	// MaxOutputResponse within MaxTransactSize; §3.3.5.2.5: the
	// CreditCharge covers the larger of the two.
	in := uint64(len(req.Input)) + uint64(len(req.Output))
	out := uint64(req.MaxInputResponse) + uint64(req.MaxOutputResponse)
	if in > uint64(c.maxSize) || out > uint64(c.maxSize) || !r.checkCharge(uint32(max(in, out))) {
		return wire.STATUS_INVALID_PARAMETER
	}
	switch req.CtlCode {
	case wire.FSCTL_VALIDATE_NEGOTIATE_INFO, wire.FSCTL_QUERY_NETWORK_INTERFACE_INFO,
		wire.FSCTL_DFS_GET_REFERRALS, wire.FSCTL_DFS_GET_REFERRALS_EX, wire.FSCTL_PIPE_WAIT:
		if req.FileID != allOnesFileID {
			return wire.STATUS_INVALID_PARAMETER
		}
		switch req.CtlCode {
		case wire.FSCTL_VALIDATE_NEGOTIATE_INFO:
			return c.validateNegotiate(r, &req)
		case wire.FSCTL_QUERY_NETWORK_INTERFACE_INFO:
			return c.networkInterfaces(r, &req)
		case wire.FSCTL_PIPE_WAIT:
			return wire.STATUS_NOT_SUPPORTED
		}
		return wire.STATUS_NOT_FOUND
	}
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	var h func(*request, *open, *wire.IoctlRequest) wire.Status
	switch req.CtlCode {
	case wire.FSCTL_PIPE_TRANSCEIVE:
		return c.transceive(r, &req)
	case wire.FSCTL_PIPE_PEEK:
		return wire.STATUS_NOT_SUPPORTED
	case wire.FSCTL_SET_SPARSE:
		h = c.setSparse
	case wire.FSCTL_SET_ZERO_DATA:
		h = c.setZeroData
	case wire.FSCTL_QUERY_ALLOCATED_RANGES:
		h = c.queryAllocatedRanges
	case wire.FSCTL_GET_COMPRESSION:
		h = c.getCompression
	case wire.FSCTL_SET_COMPRESSION:
		h = c.setCompression
	case wire.FSCTL_SRV_REQUEST_RESUME_KEY:
		h = c.requestResumeKey
	case wire.FSCTL_SRV_COPYCHUNK, wire.FSCTL_SRV_COPYCHUNK_WRITE:
		h = c.copychunk
	case wire.FSCTL_DUPLICATE_EXTENTS_TO_FILE, wire.FSCTL_DUPLICATE_EXTENTS_TO_FILE_EX:
		h = c.duplicateExtents
	case wire.FSCTL_FILE_LEVEL_TRIM:
		h = c.fileLevelTrim
	default:
		switch req.CtlCode >> 16 { // the device type
		case fileDeviceDFS, fileDeviceFileSystem, fileDeviceNamedPipe, fileDeviceNetworkFileSystem:
			return wire.STATUS_INVALID_DEVICE_REQUEST
		}
		return wire.STATUS_NOT_SUPPORTED
	}
	if o.pipe != nil {
		return wire.STATUS_INVALID_DEVICE_REQUEST
	}
	return h(r, o, &req)
}

// Device types of the FSCTL codes MS-FSCC §2.3 and MS-SMB2 §2.2.31
// define (the high 16 bits of a CtlCode).
const (
	fileDeviceDFS               = 0x0006
	fileDeviceFileSystem        = 0x0009
	fileDeviceNamedPipe         = 0x0011
	fileDeviceNetworkFileSystem = 0x0014
)

// ioctlReply encodes a successful IOCTL response carrying out.
func (c *conn) ioctlReply(req *wire.IoctlRequest, out []byte) {
	(&wire.IoctlResponse{CtlCode: req.CtlCode, FileID: req.FileID, Output: out}).Encode(&c.enc)
}

// validateNegotiate is FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2
// §3.3.5.15.12): the client's view of NEGOTIATE must match ours, or the
// connection ends (a man in the middle downgraded it).
func (c *conn) validateNegotiate(r *request, req *wire.IoctlRequest) wire.Status {
	d := wire.NewDecoder(req.Input)
	caps := d.Uint32()
	guid := d.GUID()
	secMode := d.Uint16()
	n := int(d.Uint16())
	if d.Err() != nil || n == 0 || d.Remaining() < 2*n {
		c.drop = true
		return wire.STATUS_INVALID_PARAMETER
	}
	dialects := make([]wire.Dialect, n)
	for i := range dialects {
		dialects[i] = wire.Dialect(d.Uint16())
	}
	if caps != c.clientCaps || guid != c.clientGUID || secMode != c.clientSecMode || !slices.Equal(dialects, c.clientDialects) {
		c.logf("VALIDATE_NEGOTIATE_INFO mismatch: disconnecting")
		c.drop = true
		return wire.STATUS_ACCESS_DENIED
	}
	var o wire.Encoder
	o.Uint32(c.serverCaps)
	o.Write(c.s.guid[:])
	o.Uint16(c.serverSecMode)
	o.Uint16(uint16(c.dialect))
	c.ioctlReply(req, o.Bytes())
	return wire.STATUS_SUCCESS
}

// linkSpeed is the LinkSpeed reported for every interface: 1 Gbit/s, the
// value Samba reports when it cannot learn the real one.
const linkSpeed = 1_000_000_000

// networkInterfaces is FSCTL_QUERY_NETWORK_INTERFACE_INFO (MS-SMB2
// §3.3.5.15.11), for the 3.x dialects only (2.x: STATUS_NOT_SUPPORTED, as
// the section allows): the interface of the address the connection came
// in on, neither RSS nor RDMA capable. The list must fit in
// MaxOutputResponse (STATUS_BUFFER_TOO_SMALL otherwise), as Windows and
// Samba answer (smbtorture smb2.ioctl.bug14788.NETWORK_INTERFACE).
func (c *conn) networkInterfaces(r *request, req *wire.IoctlRequest) wire.Status {
	if c.dialect < wire.SMB2_DIALECT_300 {
		return wire.STATUS_NOT_SUPPORTED
	}
	var local netip.Addr
	if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
		local = a.AddrPort().Addr().Unmap()
	}
	ni := wire.NetworkInterface{IfIndex: ifIndex(local), LinkSpeed: linkSpeed, Addr: local}
	var e wire.Encoder
	wire.EncodeNetworkInterfaces(&e, []wire.NetworkInterface{ni})
	if len(e.Bytes()) > int(req.MaxOutputResponse) {
		return wire.STATUS_BUFFER_TOO_SMALL
	}
	c.ioctlReply(req, e.Bytes())
	return wire.STATUS_SUCCESS
}

// ifIndex is the index of the interface holding addr, 1 when none is
// found (MS-SMB2 §3.3.5.15.11 forbids index 0).
func ifIndex(addr netip.Addr) uint32 {
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		as, _ := ifc.Addrs()
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == addr && ifc.Index > 0 {
					return uint32(ifc.Index)
				}
			}
		}
	}
	return 1
}

func (c *conn) isSparse(o *open) bool {
	return !o.dir && c.keptAttrs(o.tree, o.h, false)&wire.FILE_ATTRIBUTE_SPARSE_FILE != 0
}

// setSparse is FSCTL_SET_SPARSE (MS-FSA §2.1.5.9.37): no input buffer,
// or a first byte other than 0, sets FILE_ATTRIBUTE_SPARSE_FILE; 0
// clears it, and the file's holes are allocated again (a file that is
// not sparse is fully allocated, as on NTFS). It needs FILE_WRITE_DATA,
// FILE_APPEND_DATA or FILE_WRITE_ATTRIBUTES; a directory is
// STATUS_INVALID_PARAMETER.
func (c *conn) setSparse(r *request, o *open, req *wire.IoctlRequest) wire.Status {
	if o.dir {
		return wire.STATUS_INVALID_PARAMETER
	}
	if o.access&(wire.FILE_WRITE_DATA|wire.FILE_APPEND_DATA|wire.FILE_WRITE_ATTRIBUTES) == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	set := len(req.Input) == 0 || req.Input[0] != 0
	t := o.tree
	kept := c.keptAttrs(t, o.h, false)
	was := kept&wire.FILE_ATTRIBUTE_SPARSE_FILE != 0
	if set != was {
		if !set {
			a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
			if err != nil {
				return storeStatus(err)
			}
			if a.Size > 0 {
				if _, err := t.exp.FS.Allocate(c.ctx, &t.cred, o.h, 0, int64(a.Size)); err != nil {
					return storeStatus(err)
				}
			}
		}
		if err := c.setKeptAttrs(t, o.h, false, kept^wire.FILE_ATTRIBUTE_SPARSE_FILE); err != nil {
			return storeStatus(err)
		}
	}
	c.ioctlReply(req, nil)
	return wire.STATUS_SUCCESS
}

// zeroRange makes [off, end) of o read as zeroes, clipped to the file's
// size (zeroing never changes it): its blocks are released, and
// allocated again as zeroes unless the file is sparse.
func (c *conn) zeroRange(o *open, off, end int64) wire.Status {
	t := o.tree
	a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
	if err != nil {
		return storeStatus(err)
	}
	end = min(end, int64(a.Size))
	if off >= end {
		return wire.STATUS_SUCCESS
	}
	if _, err := t.exp.FS.Deallocate(c.ctx, &t.cred, o.h, off, end-off); err != nil {
		return storeStatus(err)
	}
	if !c.isSparse(o) {
		if _, err := t.exp.FS.Allocate(c.ctx, &t.cred, o.h, off, end-off); err != nil {
			return storeStatus(err)
		}
	}
	return wire.STATUS_SUCCESS
}

// setZeroData is FSCTL_SET_ZERO_DATA (MS-FSA §2.1.5.9.38,
// FILE_ZERO_DATA_INFORMATION MS-FSCC §2.3.85): [FileOffset,
// BeyondFinalZero) reads as zeroes; a sparse file's range is deallocated.
// A short input, a negative offset or FileOffset past BeyondFinalZero is
// STATUS_INVALID_PARAMETER; it needs FILE_WRITE_DATA; another open's
// byte-range lock over the range is STATUS_FILE_LOCK_CONFLICT.
func (c *conn) setZeroData(r *request, o *open, req *wire.IoctlRequest) wire.Status {
	z, err := wire.DecodeRange(req.Input)
	if err != nil || o.dir || z.Off < 0 || z.Len < 0 || z.Off > z.Len {
		return wire.STATUS_INVALID_PARAMETER
	}
	if o.access&wire.FILE_WRITE_DATA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if st := c.checkLocks(r.sess, o, uint64(z.Off), int(z.Len-z.Off), true); st != wire.STATUS_SUCCESS {
		return st
	}
	if st := c.zeroRange(o, z.Off, z.Len); st != wire.STATUS_SUCCESS {
		return st
	}
	c.ioctlReply(req, nil)
	return wire.STATUS_SUCCESS
}

// queryAllocatedRanges is FSCTL_QUERY_ALLOCATED_RANGES (MS-FSA
// §2.1.5.9.22): the allocated ranges of [FileOffset, FileOffset+Length)
// clipped to the file's size. A file that is not sparse is allocated
// throughout; a sparse file's ranges are its data between holes (store
// Seek). Ranges that do not fit in MaxOutputResponse are left out with
// STATUS_BUFFER_OVERFLOW, or STATUS_BUFFER_TOO_SMALL when not even one
// fits. A short input, a negative offset or length or a range past
// 2^63-1 is STATUS_INVALID_PARAMETER; it needs FILE_READ_DATA.
func (c *conn) queryAllocatedRanges(r *request, o *open, req *wire.IoctlRequest) wire.Status {
	q, err := wire.DecodeRange(req.Input)
	if err != nil || o.dir || q.Off < 0 || q.Len < 0 || q.Off > 1<<63-1-q.Len {
		return wire.STATUS_INVALID_PARAMETER
	}
	if o.access&wire.FILE_READ_DATA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	t := o.tree
	a, err := t.exp.FS.GetAttr(c.ctx, &t.cred, o.h)
	if err != nil {
		return storeStatus(err)
	}
	end := min(q.Off+q.Len, int64(a.Size))
	// At most one range past what fits is looked for: it only decides
	// between STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW.
	fit := int(req.MaxOutputResponse) / wire.AllocatedRangeSize
	var ranges []wire.Range
	if q.Off < end {
		if !c.isSparse(o) {
			ranges = append(ranges, wire.Range{Off: q.Off, Len: end - q.Off})
		} else {
			for pos := q.Off; pos < end && len(ranges) <= fit; {
				d, err := t.exp.FS.Seek(c.ctx, &t.cred, o.h, pos, store.SeekData)
				if store.CodeOf(err) == store.CodeNXIO || err == nil && d >= end {
					break
				}
				if err != nil {
					return storeStatus(err)
				}
				hole, err := t.exp.FS.Seek(c.ctx, &t.cred, o.h, d, store.SeekHole)
				if err != nil {
					return storeStatus(err)
				}
				hole = min(hole, end)
				ranges = append(ranges, wire.Range{Off: d, Len: hole - d})
				pos = hole
			}
		}
	}
	status := wire.STATUS_SUCCESS
	if len(ranges) > fit {
		if fit == 0 {
			return wire.STATUS_BUFFER_TOO_SMALL
		}
		ranges, status = ranges[:fit], wire.STATUS_BUFFER_OVERFLOW
	}
	var e wire.Encoder
	for _, rg := range ranges {
		e.Int64(rg.Off)
		e.Int64(rg.Len)
	}
	c.ioctlReply(req, e.Bytes())
	return status
}

// Compression formats (MS-FSCC §2.3.67).
const (
	compressionNone    = 0
	compressionDefault = 1
	compressionLZNT1   = 2
)

// getCompression is FSCTL_GET_COMPRESSION (MS-FSA §2.1.5.9.7): files are
// never compressed, so COMPRESSION_FORMAT_NONE, with any access, as
// Windows Server 2016 and Samba answer on volumes without compression;
// an output buffer shorter than the USHORT is STATUS_INVALID_PARAMETER.
func (c *conn) getCompression(r *request, o *open, req *wire.IoctlRequest) wire.Status {
	if req.MaxOutputResponse < 2 {
		return wire.STATUS_INVALID_PARAMETER
	}
	c.ioctlReply(req, []byte{compressionNone, 0})
	return wire.STATUS_SUCCESS
}

// setCompression is FSCTL_SET_COMPRESSION (MS-FSA §2.1.5.9.33): a short
// input or an unknown format is STATUS_INVALID_PARAMETER, an open
// without FILE_WRITE_DATA STATUS_ACCESS_DENIED; COMPRESSION_FORMAT_NONE
// succeeds (nothing is compressed) and the others are
// STATUS_NOT_SUPPORTED: the volume does not advertise
// FILE_FILE_COMPRESSION (smbtorture smb2.ioctl.compress_notsup_set).
func (c *conn) setCompression(r *request, o *open, req *wire.IoctlRequest) wire.Status {
	if len(req.Input) < 2 {
		return wire.STATUS_INVALID_PARAMETER
	}
	f := binary.LittleEndian.Uint16(req.Input)
	if f > compressionLZNT1 {
		return wire.STATUS_INVALID_PARAMETER
	}
	if o.access&wire.FILE_WRITE_DATA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if f != compressionNone {
		return wire.STATUS_NOT_SUPPORTED
	}
	c.ioctlReply(req, nil)
	return wire.STATUS_SUCCESS
}

// requestResumeKey is FSCTL_SRV_REQUEST_RESUME_KEY (MS-SMB2 §3.3.5.15.5):
// the open's resume key, 24 random bytes made on the first request and
// kept for the open's life, then a zero ContextLength. An output buffer
// shorter than the 32-byte response is STATUS_INVALID_PARAMETER.
func (c *conn) requestResumeKey(r *request, o *open, req *wire.IoctlRequest) wire.Status {
	if req.MaxOutputResponse < wire.ResumeKeyResponseSize {
		// MS-SMB2 §3.3.5.15.5; the response is 32 bytes: ResumeKey,
		// ContextLength 0 and 4 bytes of (unused) Context, as Windows
		// sends it.
		return wire.STATUS_INVALID_PARAMETER
	}
	if o.resumeKey == nil {
		o.resumeKey = new([wire.ResumeKeySize]byte)
		rand.Read(o.resumeKey[:])
	}
	out := make([]byte, wire.ResumeKeyResponseSize)
	copy(out, o.resumeKey[:])
	c.ioctlReply(req, out)
	return wire.STATUS_SUCCESS
}

// resumeOpen finds the open of a resume key among the session's opens:
// a key names an open only to the session it was given to.
func (sess *session) resumeOpen(key []byte) *open {
	for _, o := range sess.opens {
		if o.resumeKey != nil && bytes.Equal(o.resumeKey[:], key) {
			return o
		}
	}
	return nil
}

// copychunk is FSCTL_SRV_COPYCHUNK and FSCTL_SRV_COPYCHUNK_WRITE (MS-SMB2
// §3.3.5.15.6) on the destination open:
//   - a SourceKey naming no open of the session: STATUS_OBJECT_NAME_NOT_FOUND;
//   - MaxOutputResponse below 12: STATUS_INVALID_PARAMETER;
//   - a short input, more than 256 chunks, a chunk of 0 bytes or more
//     than 1 MiB, more than 16 MiB in all: STATUS_INVALID_PARAMETER with
//     those three limits in the response (§3.3.5.15.6.2);
//   - a source with neither FILE_READ_DATA nor FILE_EXECUTE (executing is
//     reading, as for READ), a destination with neither FILE_WRITE_DATA
//     nor FILE_APPEND_DATA, or for FSCTL_SRV_COPYCHUNK without
//     FILE_READ_DATA: STATUS_ACCESS_DENIED (what Windows and smbd answer,
//     smbtorture smb2.ioctl.copy_chunk_bad_access); a directory:
//     STATUS_INVALID_PARAMETER.
//
// The chunks are then copied in order through the store's Copy (which
// shares blocks) or, for overlapping ranges of one file, through a
// buffer; the first that fails ends the request: a source range past
// the end of the source is STATUS_INVALID_VIEW_SIZE, a byte-range lock
// of another open over either range STATUS_FILE_LOCK_CONFLICT. The
// response counts the chunks and bytes written before it, whatever the
// status (ChunkBytesWritten is 0: a chunk is copied whole or not at all).
func (c *conn) copychunk(r *request, dst *open, req *wire.IoctlRequest) wire.Status {
	var cc wire.CopychunkCopy
	if cc.DecodeKey(req.Input) != nil {
		return wire.STATUS_INVALID_PARAMETER
	}
	src := r.sess.resumeOpen(cc.SourceKey[:])
	if src == nil {
		return wire.STATUS_OBJECT_NAME_NOT_FOUND
	}
	if req.MaxOutputResponse < wire.CopychunkResponseSize {
		return wire.STATUS_INVALID_PARAMETER
	}
	reply := func(chunks, total uint32, status wire.Status) wire.Status {
		var e wire.Encoder
		wire.EncodeCopychunkResponse(&e, chunks, 0, total)
		c.ioctlReply(req, e.Bytes())
		r.keepBody = true
		return status
	}
	valid := cc.Decode(req.Input, wire.CopychunkMaxChunks) == nil
	var total uint64
	for _, ch := range cc.Chunks {
		valid = valid && ch.Length > 0 && ch.Length <= wire.CopychunkMaxChunkSize
		total += uint64(ch.Length)
	}
	if !valid || total > wire.CopychunkMaxDataSize {
		var e wire.Encoder
		wire.EncodeCopychunkResponse(&e, wire.CopychunkMaxChunks, wire.CopychunkMaxChunkSize, wire.CopychunkMaxDataSize)
		c.ioctlReply(req, e.Bytes())
		r.keepBody = true
		return wire.STATUS_INVALID_PARAMETER
	}
	if src.access&(wire.FILE_READ_DATA|wire.FILE_EXECUTE) == 0 || dst.access&(wire.FILE_WRITE_DATA|wire.FILE_APPEND_DATA) == 0 ||
		req.CtlCode == wire.FSCTL_SRV_COPYCHUNK && dst.access&wire.FILE_READ_DATA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if src.dir || dst.dir || src.pipe != nil {
		return wire.STATUS_INVALID_PARAMETER
	}
	var done, written uint32
	for _, ch := range cc.Chunks {
		st := c.copyOne(r.sess, src, dst, ch)
		if st != wire.STATUS_SUCCESS {
			return reply(done, written, st)
		}
		done++
		written += ch.Length
	}
	return reply(done, written, wire.STATUS_SUCCESS)
}

// copyOne copies one chunk from src to dst (copychunk).
func (c *conn) copyOne(sess *session, src, dst *open, ch wire.Chunk) wire.Status {
	st, dt := src.tree, dst.tree
	a, err := st.exp.FS.GetAttr(c.ctx, &st.cred, src.h)
	if err != nil {
		return storeStatus(err)
	}
	n := uint64(ch.Length)
	if ch.SourceOffset > a.Size || a.Size-ch.SourceOffset < n {
		return wire.STATUS_INVALID_VIEW_SIZE
	}
	if ch.TargetOffset > 1<<63-1-n {
		return wire.STATUS_INVALID_PARAMETER
	}
	if s := c.checkLocks(sess, src, ch.SourceOffset, int(n), false); s != wire.STATUS_SUCCESS {
		return s
	}
	if s := c.checkLocks(sess, dst, ch.TargetOffset, int(n), true); s != wire.STATUS_SUCCESS {
		return s
	}
	so, do := ch.SourceOffset, ch.TargetOffset
	// The store refuses an overlapping copy within one file, and two
	// exports are two stores: then the chunk (at most 1 MiB) is read
	// whole and written, so an overlap copies the source's bytes as they
	// were.
	if st.exp != dt.exp || src.h.ID == dst.h.ID && so < do+n && do < so+n {
		buf := make([]byte, n)
		m, _, _, err := st.exp.FS.ReadAt(c.ctx, &st.cred, src.h, buf, int64(so))
		if err != nil {
			return storeStatus(err)
		}
		if _, _, err := dt.exp.FS.WriteAt(c.ctx, &dt.cred, dst.h, buf[:m], int64(do), store.Unstable); err != nil {
			return storeStatus(err)
		}
		return wire.STATUS_SUCCESS
	}
	if _, _, err := dt.exp.FS.Copy(c.ctx, &dt.cred, src.h, int64(so), dst.h, int64(do), int64(n)); err != nil {
		return storeStatus(err)
	}
	return wire.STATUS_SUCCESS
}

// duplicateExtents is FSCTL_DUPLICATE_EXTENTS_TO_FILE (MS-FSCC §2.3.7,
// §2.3.8) and FSCTL_DUPLICATE_EXTENTS_TO_FILE_EX (§2.3.9: the same with a
// StructureSize of 0x30 and flags; a clone is atomic, so
// DUPLICATE_EXTENTS_DATA_EX_SOURCE_ATOMIC holds): the store's Clone of
// ByteCount bytes of the source open (SourceFileID, of the same session
// and share) into the target open. Unlike copychunk it ignores
// byte-range locks. A short input, a negative or misaligned (4 KiB
// clusters) offset or count — a count may end unaligned at the source's
// end — or a directory is STATUS_INVALID_PARAMETER; an unknown source
// handle STATUS_INVALID_HANDLE; a source without FILE_READ_DATA or a
// target without FILE_WRITE_DATA STATUS_ACCESS_DENIED. STATUS_NOT_SUPPORTED,
// as §2.3.8 lists: a source range past the source's end, overlapping
// ranges of one file, a sparse source into a target that is not; and a
// target range past the end of a target that is not sparse (a sparse
// target grows), which is what smbtorture's dup_extents_len_beyond_dest
// and dup_extents_sparse_dest check of Windows. A count of 0 succeeds.
func (c *conn) duplicateExtents(r *request, dst *open, req *wire.IoctlRequest) wire.Status {
	var x wire.DuplicateExtents
	var err error
	if req.CtlCode == wire.FSCTL_DUPLICATE_EXTENTS_TO_FILE_EX {
		_, err = x.DecodeEx(req.Input)
	} else {
		err = x.Decode(req.Input)
	}
	if err != nil || dst.dir || x.SourceOffset < 0 || x.TargetOffset < 0 || x.ByteCount < 0 ||
		x.SourceOffset > 1<<63-1-x.ByteCount || x.TargetOffset > 1<<63-1-x.ByteCount {
		return wire.STATUS_INVALID_PARAMETER
	}
	src, _ := r.fileOpen(x.Source)
	if src == nil {
		return wire.STATUS_INVALID_HANDLE
	}
	if src.dir {
		return wire.STATUS_INVALID_PARAMETER
	}
	if src.access&wire.FILE_READ_DATA == 0 || dst.access&wire.FILE_WRITE_DATA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	if x.ByteCount == 0 {
		c.ioctlReply(req, nil)
		return wire.STATUS_SUCCESS
	}
	t := dst.tree
	sa, err := t.exp.FS.GetAttr(c.ctx, &t.cred, src.h)
	if err != nil {
		return storeStatus(err)
	}
	da, err := t.exp.FS.GetAttr(c.ctx, &t.cred, dst.h)
	if err != nil {
		return storeStatus(err)
	}
	so, do, n := x.SourceOffset, x.TargetOffset, x.ByteCount
	if so%allocUnit != 0 || do%allocUnit != 0 || n%allocUnit != 0 && uint64(so)+uint64(n) != sa.Size {
		return wire.STATUS_INVALID_PARAMETER
	}
	switch {
	case uint64(so) > sa.Size || uint64(n) > sa.Size-uint64(so),
		src.h.ID == dst.h.ID && so < do+n && do < so+n:
		return wire.STATUS_NOT_SUPPORTED
	}
	srcSparse, dstSparse := c.isSparse(src), c.isSparse(dst)
	if srcSparse && !dstSparse || !dstSparse && (uint64(do) > da.Size || uint64(n) > da.Size-uint64(do)) {
		return wire.STATUS_NOT_SUPPORTED
	}
	if _, err := t.exp.FS.Clone(c.ctx, &t.cred, src.h, so, dst.h, do, n); err != nil {
		return storeStatus(err)
	}
	c.ioctlReply(req, nil)
	return wire.STATUS_SUCCESS
}

// fileLevelTrim is FSCTL_FILE_LEVEL_TRIM (MS-FSCC §2.3.14, MS-FSA
// §2.1.5.9.10): the ranges' data is no longer needed, so each is zeroed
// as by FSCTL_SET_ZERO_DATA (clipped to the file's size, deallocated in a
// sparse file). A short input, a range that is not all there or has a
// negative offset or length, or a directory is STATUS_INVALID_PARAMETER;
// it needs FILE_WRITE_DATA. The output, when MaxOutputResponse has room,
// is FILE_LEVEL_TRIM_OUTPUT: the number of ranges processed.
func (c *conn) fileLevelTrim(r *request, o *open, req *wire.IoctlRequest) wire.Status {
	var tr wire.FileLevelTrim
	if tr.Decode(req.Input) != nil || o.dir {
		return wire.STATUS_INVALID_PARAMETER
	}
	for _, rg := range tr.Ranges {
		if rg.Off < 0 || rg.Len < 0 || rg.Off > 1<<63-1-rg.Len {
			return wire.STATUS_INVALID_PARAMETER
		}
	}
	if o.access&wire.FILE_WRITE_DATA == 0 {
		return wire.STATUS_ACCESS_DENIED
	}
	for _, rg := range tr.Ranges {
		if st := c.zeroRange(o, rg.Off, rg.Off+rg.Len); st != wire.STATUS_SUCCESS {
			return st
		}
	}
	var out []byte
	if req.MaxOutputResponse >= 4 {
		out = binary.LittleEndian.AppendUint32(nil, uint32(len(tr.Ranges)))
	}
	c.ioctlReply(req, out)
	return wire.STATUS_SUCCESS
}

//go:build soak

package hostile

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// Calls of the soak encoded by hand: the wire types of nfs3, nfs4 and
// nlm are internal to them.

// NFSv3 procedures (RFC 1813 §3.3) the soak calls besides those of
// harness_test.go, and the parts of their arguments it needs.
const (
	soakProcAccess      = 4
	soakProcWrite       = 7
	soakProcCreate      = 8
	soakProcRemove      = 12
	soakProcReaddirplus = 17
	soakProcCommit      = 21

	soakUnstable = 0 // stable_how UNSTABLE
	soakFileSync = 2 // stable_how FILE_SYNC
)

// soakFattr3 is the size of fattr3 (RFC 1813 §2.6): type, mode, nlink,
// uid, gid, size, used, rdev, fsid, fileid, atime, mtime, ctime.
const soakFattr3 = 5*4 + 2*8 + 8 + 2*8 + 3*8

// soakSkipPostOpAttr skips a post_op_attr (RFC 1813 §2.6).
func soakSkipPostOpAttr(d *xdr.Decoder) {
	if d.Bool() {
		d.Skip(soakFattr3)
	}
}

// soakSkipWcc skips a wcc_data: pre_op_attr (size, mtime, ctime) and
// post_op_attr.
func soakSkipWcc(d *xdr.Decoder) {
	if d.Bool() {
		d.Skip(8 + 8 + 8)
	}
	soakSkipPostOpAttr(d)
}

// soakFH encodes a file handle followed by the given words: the
// arguments of GETATTR (none), ACCESS (access), and so on.
func soakFH(fh []byte, words ...uint32) []byte {
	var e xdr.Encoder
	e.Opaque(fh)
	for _, w := range words {
		e.Uint32(w)
	}
	return e.Bytes()
}

// soakDirop is diropargs3: directory handle and name.
func soakDirop(dir []byte, name string) []byte {
	var e xdr.Encoder
	e.Opaque(dir)
	e.String(name)
	return e.Bytes()
}

// soakCreateArgs is CREATE3args (RFC 1813 §3.3.8), UNCHECKED, mode 0644,
// other attributes left to the server.
func soakCreateArgs(dir []byte, name string) []byte {
	var e xdr.Encoder
	e.Opaque(dir)
	e.String(name)
	e.Uint32(0)     // createmode3 UNCHECKED
	e.Bool(true)    // set_mode3
	e.Uint32(0o644) //
	e.Bool(false)   // set_uid3
	e.Bool(false)   // set_gid3
	e.Bool(false)   // set_size3
	e.Uint32(0)     // set_atime DONT_CHANGE
	e.Uint32(0)     // set_mtime DONT_CHANGE
	return e.Bytes()
}

// soakWriteArgs is WRITE3args (RFC 1813 §3.3.7).
func soakWriteArgs(fh []byte, off uint64, stable uint32, data []byte) []byte {
	var e xdr.Encoder
	e.Opaque(fh)
	e.Uint64(off)
	e.Uint32(uint32(len(data)))
	e.Uint32(stable)
	e.Opaque(data)
	return e.Bytes()
}

// soakCommitArgs is COMMIT3args (RFC 1813 §3.3.21): the whole file.
func soakCommitArgs(fh []byte) []byte {
	var e xdr.Encoder
	e.Opaque(fh)
	e.Uint64(0)
	e.Uint32(0)
	return e.Bytes()
}

// soakReaddirplusArgs is READDIRPLUS3args (RFC 1813 §3.3.17) from the
// start of dir.
func soakReaddirplusArgs(dir []byte) []byte {
	var e xdr.Encoder
	e.Opaque(dir)
	e.Uint64(0)                    // cookie
	e.FixedOpaque(make([]byte, 8)) // cookieverf
	e.Uint32(8 << 10)              // dircount
	e.Uint32(64 << 10)             // maxcount
	return e.Bytes()
}

// soakNFS3 calls NFSv3 procedure proc and returns a decoder positioned
// after the status, which must be NFS3_OK.
func soakNFS3(ctx context.Context, c *rpc.Client, proc uint32, args []byte) (*xdr.Decoder, error) {
	var res raw
	if err := c.Call(ctx, progNFS, 3, proc, raw(args), &res); err != nil {
		return nil, err
	}
	d := xdr.NewDecoder(res)
	if st := d.Uint32(); st != 0 {
		return nil, fmt.Errorf("NFSv3 procedure %d: status %d", proc, st)
	}
	return d, d.Err()
}

// soakCreateFile creates name in dir with size bytes of fill, written
// FILE_SYNC, and returns its handle.
func soakCreateFile(ctx context.Context, c *rpc.Client, dir []byte, name string, size int, fill byte) ([]byte, error) {
	d, err := soakNFS3(ctx, c, soakProcCreate, soakCreateArgs(dir, name))
	if err != nil {
		return nil, err
	}
	if !d.Bool() {
		return nil, fmt.Errorf("CREATE %s: no handle in the reply", name)
	}
	fh := d.OpaqueCopy(64)
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = fill
	}
	for off := 0; off < size; off += len(chunk) {
		if _, err := soakNFS3(ctx, c, soakProcWrite, soakWriteArgs(fh, uint64(off), soakFileSync, chunk[:min(len(chunk), size-off)])); err != nil {
			return nil, err
		}
	}
	return fh, d.Err()
}

// soakMount returns the root handle of the export (MOUNT v3 MNT, RFC 1813
// Appendix I).
func soakMount(ctx context.Context, c *rpc.Client) ([]byte, error) {
	var e xdr.Encoder
	e.String(exportPath)
	var res raw
	if err := c.Call(ctx, progMount, 3, procMountMnt, raw(e.Bytes()), &res); err != nil {
		return nil, err
	}
	d := xdr.NewDecoder(res)
	if st := d.Uint32(); st != 0 {
		return nil, fmt.Errorf("MNT: status %d", st)
	}
	return d.OpaqueCopy(64), d.Err()
}

// NFSv4.0 COMPOUND (RFC 7530 §16.2) pieces: the operations the soak
// sends (nfs_opnum4) and the statuses it tells apart.
const (
	soakV4Compound        = 1
	soakOpGetfh           = 10
	soakOpLookup          = 15
	soakOpOpen            = 18
	soakOpOpenConfirm     = 20
	soakOpPutfh           = 22
	soakOpPutrootfh       = 24
	soakOpRenew           = 30
	soakOpSetclientid     = 35
	soakOpSetclientidConf = 36

	soakOpen4ResultConfirm = 0x2 // OPEN4_RESULT_CONFIRM
)

// soakV4Op is one encoded nfs_argop4.
type soakV4Op []byte

func soakV4(op uint32, fill func(e *xdr.Encoder)) soakV4Op {
	var e xdr.Encoder
	e.Uint32(op)
	if fill != nil {
		fill(&e)
	}
	return e.Bytes()
}

func soakPutrootfh() soakV4Op { return soakV4(soakOpPutrootfh, nil) }
func soakGetfh() soakV4Op     { return soakV4(soakOpGetfh, nil) }
func soakLookup4(name string) soakV4Op {
	return soakV4(soakOpLookup, func(e *xdr.Encoder) { e.String(name) })
}
func soakPutfh(fh []byte) soakV4Op { return soakV4(soakOpPutfh, func(e *xdr.Encoder) { e.Opaque(fh) }) }
func soakRenew(clientid uint64) soakV4Op {
	return soakV4(soakOpRenew, func(e *xdr.Encoder) { e.Uint64(clientid) })
}

// soakSetclientid is SETCLIENTID4args (RFC 7530 §16.33) with no callback
// address (0.0.0.0, port 0: what Linux sends when it has none).
func soakSetclientid(verifier uint64, name string) soakV4Op {
	return soakV4(soakOpSetclientid, func(e *xdr.Encoder) {
		e.Uint64(verifier)
		e.String(name)
		e.Uint32(0x40000000) // cb_program
		e.String("tcp")
		e.String("0.0.0.0.0.0")
		e.Uint32(1) // callback_ident
	})
}

func soakSetclientidConfirm(clientid uint64, confirm []byte) soakV4Op {
	return soakV4(soakOpSetclientidConf, func(e *xdr.Encoder) {
		e.Uint64(clientid)
		e.FixedOpaque(confirm)
	})
}

// soakOpen4 is OPEN4args (RFC 7530 §16.16): seqid 0, share access READ,
// deny NONE, a new open-owner, OPEN4_NOCREATE, CLAIM_NULL of name.
func soakOpen4(clientid uint64, owner, name string) soakV4Op {
	return soakV4(soakOpOpen, func(e *xdr.Encoder) {
		e.Uint32(0) // seqid
		e.Uint32(1) // OPEN4_SHARE_ACCESS_READ
		e.Uint32(0) // OPEN4_SHARE_DENY_NONE
		e.Uint64(clientid)
		e.String(owner)
		e.Uint32(0) // OPEN4_NOCREATE
		e.Uint32(0) // CLAIM_NULL
		e.String(name)
	})
}

// soakOpenConfirm is OPEN_CONFIRM4args (RFC 7530 §16.18).
func soakOpenConfirm(stateid []byte, seqid uint32) soakV4Op {
	return soakV4(soakOpOpenConfirm, func(e *xdr.Encoder) {
		e.FixedOpaque(stateid)
		e.Uint32(seqid)
	})
}

// soakV4Args is COMPOUND4args, minor version 0.
type soakV4Args []soakV4Op

func (a soakV4Args) MarshalXDR(e *xdr.Encoder) {
	e.String("soak")
	e.Uint32(0)
	e.Uint32(uint32(len(a)))
	for _, op := range a {
		e.FixedOpaque(op)
	}
}

func (a soakV4Args) SizeXDR() int {
	n := xdr.SizeOpaque(len("soak")) + 8
	for _, op := range a {
		n += len(op)
	}
	return n
}

// soakV4Res is what the soak reads of a COMPOUND4res: the status, the
// operation that failed, and the results of the operations it decodes.
type soakV4Res struct {
	status   uint32
	failedOp uint32
	fh       []byte
	clientid uint64
	confirm  []byte
	stateid  []byte
	rflags   uint32
}

func (r *soakV4Res) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	d.String(1024)
	n := d.ArrayLen(64, 8)
	for range n {
		op, st := d.Uint32(), d.Uint32()
		if d.Err() != nil {
			return
		}
		if st != 0 {
			r.failedOp = op
			return
		}
		switch op {
		case soakOpGetfh:
			r.fh = d.OpaqueCopy(128)
		case soakOpSetclientid:
			r.clientid = d.Uint64()
			r.confirm = append([]byte(nil), d.FixedOpaque(8)...)
		case soakOpOpen:
			r.stateid = append([]byte(nil), d.FixedOpaque(16)...)
			d.Skip(4 + 8 + 8) // change_info4
			r.rflags = d.Uint32()
			return // attrset and delegation are not needed
		case soakOpOpenConfirm:
			r.stateid = append([]byte(nil), d.FixedOpaque(16)...)
		case soakOpPutrootfh, soakOpPutfh, soakOpLookup, soakOpRenew, soakOpSetclientidConf:
		default:
			d.SetErr(fmt.Errorf("unexpected result of op %d", op))
			return
		}
	}
}

// soakCompound sends one COMPOUND.
func soakCompound(ctx context.Context, c *rpc.Client, ops ...soakV4Op) (soakV4Res, error) {
	var res soakV4Res
	err := c.Call(ctx, progNFS, 4, soakV4Compound, soakV4Args(ops), &res)
	return res, err
}

// soakNewClient4 sets up and confirms an NFSv4.0 client named name
// (SETCLIENTID, SETCLIENTID_CONFIRM); it returns the clientid, or the
// status of the operation that failed.
func soakNewClient4(ctx context.Context, c *rpc.Client, name string, verifier uint64) (uint64, uint32, error) {
	res, err := soakCompound(ctx, c, soakSetclientid(verifier, name))
	if err != nil || res.status != 0 {
		return 0, res.status, err
	}
	id := res.clientid
	res, err = soakCompound(ctx, c, soakSetclientidConfirm(id, res.confirm))
	if err != nil || res.status != 0 {
		return 0, res.status, err
	}
	return id, 0, nil
}

// NLM version 4 (RFC 1813 §6, over the X/Open XNFS protocol): program,
// LOCK procedure and the nlm4_stats the soak counts.
const (
	soakProgNLM  = 100021
	soakProcLock = 2
)

// soakNLMStats names nlm4_stats values.
var soakNLMStats = []string{"NLM4_GRANTED", "NLM4_DENIED", "NLM4_DENIED_NOLOCKS", "NLM4_BLOCKED",
	"NLM4_DENIED_GRACE_PERIOD", "NLM4_DEADLCK", "NLM4_ROFS", "NLM4_STALE_FH", "NLM4_FBIG", "NLM4_FAILED"}

// soakLockArgs is nlm4_lockargs: a non-blocking shared lock of byte 0 of
// fh by owner oh (svid svid) of host caller.
func soakLockArgs(cookie uint64, caller string, fh []byte, oh string, svid int32) []byte {
	var e xdr.Encoder
	var ck [8]byte
	for i := range ck {
		ck[i] = byte(cookie >> (8 * i))
	}
	e.Opaque(ck[:])
	e.Bool(false) // block
	e.Bool(false) // exclusive
	e.String(caller)
	e.Opaque(fh)
	e.String(oh)
	e.Int32(svid)
	e.Uint64(0) // l_offset
	e.Uint64(1) // l_len
	e.Bool(false)
	e.Int32(1) // state
	return e.Bytes()
}

// soakCountConn counts the bytes written to a connection.
type soakCountConn struct {
	net.Conn
	n *atomic.Int64
}

func (c soakCountConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

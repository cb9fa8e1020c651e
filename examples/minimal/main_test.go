package main

import (
	"context"
	"testing"

	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// Wire values used below (RFC 7530 §16; the XNFS NLM specification).
const (
	opPutfh, opPutrootfh, opGetfh, opOpen, opOpenConfirm, opLock = 22, 24, 10, 18, 20, 12
	opSetclientid, opSetclientidConfirm                          = 35, 36
	nfs4ErrDenied                                                = 10010
	nlmprocLock, nlmprocUnlock                                   = 2, 4
	nlm4Granted, nlm4Denied                                      = 0, 1
)

// raw is XDR the test encoded itself; rawRes takes a reply whole.
type raw []byte

func (r raw) MarshalXDR(e *xdr.Encoder) { e.FixedOpaque(r) }
func (r raw) SizeXDR() int              { return len(r) }

type rawRes struct{ b []byte }

func (r *rawRes) UnmarshalXDR(d *xdr.Decoder) {
	r.b = append([]byte(nil), d.Rest()...)
	d.Skip(d.Remaining())
}

// v4 is an NFSv4.0 client: one confirmed client id.
type v4 struct {
	t        *testing.T
	c        *rpc.Client
	clientid uint64
}

// compound sends an NFSv4.0 COMPOUND of n operations encoded by ops and
// returns a decoder at the first result; each op result starts with its
// number and status, read by res.
func (v *v4) compound(n uint32, ops func(e *xdr.Encoder)) *xdr.Decoder {
	v.t.Helper()
	e := xdr.NewEncoder(nil)
	e.String("")
	e.Uint32(0) // minor version
	e.Uint32(n)
	ops(e)
	var res rawRes
	if err := v.c.Call(context.Background(), nfs4.NFSProgram, nfs4.NFSVersion, 1, raw(e.Bytes()), &res); err != nil {
		v.t.Fatal(err)
	}
	d := xdr.NewDecoder(res.b)
	d.Uint32() // compound status: the last op's
	d.String(1024)
	d.Uint32()
	return d
}

// res reads the op number and status of the next result.
func res(d *xdr.Decoder) uint32 { d.Uint32(); return d.Uint32() }

func stateid(e *xdr.Encoder, seqid uint32, other []byte) { e.Uint32(seqid); e.FixedOpaque(other) }

func newV4(t *testing.T, c *rpc.Client) *v4 {
	v := &v4{t: t, c: c}
	d := v.compound(1, func(e *xdr.Encoder) {
		e.Uint32(opSetclientid)
		e.FixedOpaque([]byte("verifier"))
		e.Opaque([]byte("minimal test client"))
		e.Uint32(0x40000000)
		e.String("tcp")
		e.String("127.0.0.1.0.1") // no callback listens there
		e.Uint32(1)
	})
	if st := res(d); st != 0 {
		t.Fatalf("SETCLIENTID: %d", st)
	}
	v.clientid = d.Uint64()
	confirm := d.FixedOpaque(8)
	d = v.compound(1, func(e *xdr.Encoder) {
		e.Uint32(opSetclientidConfirm)
		e.Uint64(v.clientid)
		e.FixedOpaque(confirm)
	})
	if st := res(d); st != 0 {
		t.Fatalf("SETCLIENTID_CONFIRM: %d", st)
	}
	return v
}

// open creates name in the root for reading and writing with a new
// open-owner, confirms the open, and returns the file handle and the
// open stateid (seqid and other).
func (v *v4) open(name string) (fh []byte, seqid uint32, other []byte) {
	v.t.Helper()
	d := v.compound(3, func(e *xdr.Encoder) {
		e.Uint32(opPutrootfh)
		e.Uint32(opOpen)
		e.Uint32(1)          // seqid
		e.Uint32(3)          // OPEN4_SHARE_ACCESS_BOTH
		e.Uint32(0)          // OPEN4_SHARE_DENY_NONE
		e.Uint64(v.clientid) // open_owner4
		e.Opaque([]byte("oo-" + name))
		e.Uint32(1)   // OPEN4_CREATE
		e.Uint32(0)   // UNCHECKED4
		e.Uint32(0)   // empty attribute bitmap
		e.Opaque(nil) // and values
		e.Uint32(0)   // CLAIM_NULL
		e.String(name)
		e.Uint32(opGetfh)
	})
	if st := res(d); st != 0 {
		v.t.Fatalf("PUTROOTFH: %d", st)
	}
	if st := res(d); st != 0 {
		v.t.Fatalf("OPEN %s: %d", name, st)
	}
	seqid, other = d.Uint32(), d.FixedOpaque(12)
	d.Bool()
	d.Uint64()
	d.Uint64()
	d.Uint32() // rflags
	for n := d.ArrayLen(8, 4); n > 0; n-- {
		d.Uint32()
	}
	d.Uint32() // OPEN_DELEGATE_NONE
	if st := res(d); st != 0 {
		v.t.Fatalf("GETFH: %d", st)
	}
	fh = d.OpaqueCopy(128)
	d = v.compound(2, func(e *xdr.Encoder) {
		e.Uint32(opPutfh)
		e.Opaque(fh)
		e.Uint32(opOpenConfirm)
		stateid(e, seqid, other)
		e.Uint32(2)
	})
	if res(d) != 0 || res(d) != 0 {
		v.t.Fatalf("OPEN_CONFIRM %s failed", name)
	}
	return fh, d.Uint32(), d.FixedOpaque(12)
}

// lock asks for a write lock of [off, off+n) with a new lock-owner and
// returns the status of LOCK.
func (v *v4) lock(fh []byte, seqid uint32, other []byte, off, n uint64) uint32 {
	v.t.Helper()
	d := v.compound(2, func(e *xdr.Encoder) {
		e.Uint32(opPutfh)
		e.Opaque(fh)
		e.Uint32(opLock)
		e.Uint32(2) // WRITE_LT
		e.Bool(false)
		e.Uint64(off)
		e.Uint64(n)
		e.Bool(true) // new lock-owner
		e.Uint32(3)  // open seqid
		stateid(e, seqid, other)
		e.Uint32(0) // lock seqid
		e.Uint64(v.clientid)
		e.Opaque([]byte("lock owner"))
	})
	if st := res(d); st != 0 {
		v.t.Fatalf("PUTFH: %d", st)
	}
	return res(d)
}

// nlmLock sends an NLM LOCK (proc nlmprocLock) or UNLOCK of a write lock
// of [off, off+n) by host on the file of NFS handle fh, and returns the
// status.
func nlmCall(t *testing.T, c *rpc.Client, proc uint32, fh []byte, off, n uint64) uint32 {
	t.Helper()
	e := xdr.NewEncoder(nil)
	e.Opaque([]byte("cookie"))
	if proc == nlmprocLock {
		e.Bool(false) // block
		e.Bool(true)  // exclusive
	}
	e.String("nlmhost")
	e.Opaque(fh)
	e.Opaque([]byte("nlm owner"))
	e.Int32(1) // svid
	e.Uint64(off)
	e.Uint64(n)
	if proc == nlmprocLock {
		e.Bool(false) // reclaim
		e.Int32(0)    // state
	}
	var r rawRes
	if err := c.Call(context.Background(), nlm.NLMProgram, nlm.NLMVersion, proc, raw(e.Bytes()), &r); err != nil {
		t.Fatal(err)
	}
	d := xdr.NewDecoder(r.b)
	d.Opaque(1024)
	return d.Uint32()
}

// TestLocksConflictAcrossProtocols serves the example's wiring and shows
// that NLM and NFSv4 share one lock manager and one handle format: an
// NLM lock makes an overlapping NFSv4 LOCK NFS4ERR_DENIED (RFC 7530
// §16.10.5), an NFSv4 lock makes an overlapping NLM LOCK NLM4_DENIED
// (XNFS NLM), and a lock released over NLM frees the range for NFSv4.
// The NLM calls use the handles NFSv4 GETFH returned.
func TestLocksConflictAcrossProtocols(t *testing.T) {
	mux, err := newMux(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := rpctest.Dial(t, rpc.TCP, rpctest.Start(t, &rpc.Server{Handler: mux}))
	c.Cred = rpc.EncodeAuthSys(1, "test", 1000, 1000, nil)
	v := newV4(t, c)

	fhA, seqA, otherA := v.open("a")
	if st := nlmCall(t, c, nlmprocLock, fhA, 0, 100); st != nlm4Granted {
		t.Fatalf("NLM LOCK of a: %d", st)
	}
	if st := v.lock(fhA, seqA, otherA, 50, 10); st != nfs4ErrDenied {
		t.Fatalf("NFSv4 LOCK over an NLM lock: %d, want NFS4ERR_DENIED", st)
	}
	if st := nlmCall(t, c, nlmprocUnlock, fhA, 0, 100); st != nlm4Granted {
		t.Fatalf("NLM UNLOCK of a: %d", st)
	}

	fhB, seqB, otherB := v.open("b")
	if st := v.lock(fhB, seqB, otherB, 0, 100); st != 0 {
		t.Fatalf("NFSv4 LOCK of b: %d", st)
	}
	if st := nlmCall(t, c, nlmprocLock, fhB, 99, 1); st != nlm4Denied {
		t.Fatalf("NLM LOCK over an NFSv4 lock: %d, want NLM4_DENIED", st)
	}
	if st := nlmCall(t, c, nlmprocLock, fhB, 100, 1); st != nlm4Granted {
		t.Fatalf("NLM LOCK next to an NFSv4 lock: %d", st)
	}
}

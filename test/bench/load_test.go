package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// NFSv3 procedure numbers (RFC 1813 §3.3) and MOUNT v3's MNT (Appendix I).
const (
	procGETATTR = 1
	procLOOKUP  = 3
	procREAD    = 6
	procWRITE   = 7
	procCREATE  = 8
	procREMOVE  = 12
	mountMNT    = 1

	unstable  = 0 // stable_how UNSTABLE
	unchecked = 0 // createmode3 UNCHECKED
)

// fhArgs is GETATTR3args: one nfs_fh3.
type fhArgs []byte

func (a fhArgs) MarshalXDR(e *xdr.Encoder) { e.Opaque(a) }
func (a fhArgs) SizeXDR() int              { return xdr.SizeOpaque(len(a)) }

// dirOpArgs is diropargs3 (LOOKUP3args, REMOVE3args).
type dirOpArgs struct {
	dir  []byte
	name string
}

func (a dirOpArgs) MarshalXDR(e *xdr.Encoder) { e.Opaque(a.dir); e.String(a.name) }
func (a dirOpArgs) SizeXDR() int              { return xdr.SizeOpaque(len(a.dir)) + xdr.SizeOpaque(len(a.name)) }

// createArgs is CREATE3args with mode UNCHECKED and an empty sattr3 (six
// "don't set" discriminants).
type createArgs dirOpArgs

func (a createArgs) MarshalXDR(e *xdr.Encoder) {
	dirOpArgs(a).MarshalXDR(e)
	e.Uint32(unchecked)
	for range 6 {
		e.Uint32(0)
	}
}
func (a createArgs) SizeXDR() int { return dirOpArgs(a).SizeXDR() + 7*4 }

// readArgs is READ3args.
type readArgs struct {
	fh     []byte
	offset uint64
	count  uint32
}

func (a readArgs) MarshalXDR(e *xdr.Encoder) { e.Opaque(a.fh); e.Uint64(a.offset); e.Uint32(a.count) }
func (a readArgs) SizeXDR() int              { return xdr.SizeOpaque(len(a.fh)) + 12 }

// writeArgs is WRITE3args.
type writeArgs struct {
	fh     []byte
	offset uint64
	stable uint32
	data   []byte
}

func (a writeArgs) MarshalXDR(e *xdr.Encoder) {
	e.Opaque(a.fh)
	e.Uint64(a.offset)
	e.Uint32(uint32(len(a.data)))
	e.Uint32(a.stable)
	e.Opaque(a.data)
}
func (a writeArgs) SizeXDR() int { return xdr.SizeOpaque(len(a.fh)) + 16 + xdr.SizeOpaque(len(a.data)) }

// pathArgs is MOUNT's dirpath.
type pathArgs string

func (a pathArgs) MarshalXDR(e *xdr.Encoder) { e.String(string(a)) }
func (a pathArgs) SizeXDR() int              { return xdr.SizeOpaque(len(a)) }

// statusRes decodes only the nfsstat3 that starts every result.
type statusRes struct{ status uint32 }

func (r *statusRes) UnmarshalXDR(d *xdr.Decoder) { r.status = d.Uint32() }

// fhRes decodes the status and the handle that starts MNT's and LOOKUP's
// success results, or CREATE's post_op_fh3.
type fhRes struct {
	status   uint32
	optional bool
	fh       []byte
}

func (r *fhRes) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	if r.status != 0 {
		return
	}
	if r.optional && !d.Bool() {
		return
	}
	r.fh = d.OpaqueCopy(64)
}

// loadClient is one connection to the server under load.
type loadClient struct {
	c    *rpc.Client
	root []byte
}

func dialLoad(ctx context.Context, addr string) (*loadClient, error) {
	c, err := rpc.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c.Cred = rpc.EncodeAuthSys(1, "bench", 0, 0, nil)
	res := fhRes{}
	if err := c.Call(ctx, nfs3.MountProgram, nfs3.MountVersion, mountMNT, pathArgs("/"), &res); err != nil {
		c.Close()
		return nil, err
	}
	if res.status != 0 || res.fh == nil {
		c.Close()
		return nil, fmt.Errorf("MNT: status %d", res.status)
	}
	return &loadClient{c: c, root: res.fh}, nil
}

func (l *loadClient) call(ctx context.Context, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	return l.c.Call(ctx, nfs3.NFSProgram, nfs3.NFSVersion, proc, args, res)
}

// status calls proc and fails unless it returns NFS3_OK.
func (l *loadClient) status(ctx context.Context, proc uint32, args xdr.Marshaler) error {
	var r statusRes
	if err := l.call(ctx, proc, args, &r); err != nil {
		return err
	}
	if r.status != 0 {
		return fmt.Errorf("procedure %d: nfsstat3 %d", proc, r.status)
	}
	return nil
}

// create makes name in dir and returns its handle.
func (l *loadClient) create(ctx context.Context, dir []byte, name string) ([]byte, error) {
	r := fhRes{optional: true}
	if err := l.call(ctx, procCREATE, createArgs{dir, name}, &r); err != nil {
		return nil, err
	}
	if r.status != 0 || r.fh == nil {
		return nil, fmt.Errorf("CREATE %s: nfsstat3 %d", name, r.status)
	}
	return r.fh, nil
}

// clientsPerBenchmark is the number of connections; b.SetParallelism
// spreads the goroutines of RunParallel over them.
const clientsPerBenchmark = 4

// BenchmarkLoad drives our NFSv3 server over loopback with many concurrent
// rpc.Client calls (clientsPerBenchmark connections, 8 goroutines per
// GOMAXPROCS), without the VM's cap. It reports the ops/s and, for READ
// and WRITE, MB/s.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	addr := startInProcess(b)
	clients := make([]*loadClient, clientsPerBenchmark)
	for i := range clients {
		c, err := dialLoad(ctx, addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.c.Close() })
		clients[i] = c
	}
	setup := clients[0]
	const mib = 1 << 20
	const fileSize = 64 * mib
	data, err := setup.create(ctx, setup.root, "data")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, mib)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for off := uint64(0); off < fileSize; off += mib {
		if err := setup.status(ctx, procWRITE, writeArgs{data, off, 2, buf}); err != nil { // FILE_SYNC
			b.Fatal(err)
		}
	}
	var next atomic.Uint64
	pick := func() *loadClient { return clients[next.Add(1)%clientsPerBenchmark] }

	run := func(b *testing.B, bytesPerOp int64, op func(c *loadClient, i uint64) error) {
		b.ReportAllocs()
		if bytesPerOp > 0 {
			b.SetBytes(bytesPerOp)
		}
		b.SetParallelism(8)
		var failed atomic.Pointer[error]
		b.RunParallel(func(pb *testing.PB) {
			c := pick()
			for pb.Next() {
				if err := op(c, next.Add(1)); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
		if e := failed.Load(); e != nil {
			b.Fatal(*e)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	}
	b.Run("GETATTR", func(b *testing.B) {
		run(b, 0, func(c *loadClient, _ uint64) error { return c.status(ctx, procGETATTR, fhArgs(data)) })
	})
	b.Run("LOOKUP", func(b *testing.B) {
		run(b, 0, func(c *loadClient, _ uint64) error { return c.status(ctx, procLOOKUP, dirOpArgs{setup.root, "data"}) })
	})
	b.Run("READ1M", func(b *testing.B) {
		run(b, mib, func(c *loadClient, i uint64) error {
			return c.status(ctx, procREAD, readArgs{data, i % (fileSize / mib) * mib, mib})
		})
	})
	b.Run("WRITE1M", func(b *testing.B) {
		run(b, mib, func(c *loadClient, i uint64) error {
			return c.status(ctx, procWRITE, writeArgs{data, i % (fileSize / mib) * mib, unstable, buf})
		})
	})
	b.Run("CREATE_REMOVE", func(b *testing.B) {
		run(b, 0, func(c *loadClient, i uint64) error {
			name := fmt.Sprintf("f%d", i)
			if _, err := c.create(ctx, c.root, name); err != nil {
				return err
			}
			return c.status(ctx, procREMOVE, dirOpArgs{c.root, name})
		})
	})
}

// TestLoadProcedures checks that every call BenchmarkLoad makes succeeds
// and has the effect it claims, so the benchmark cannot measure failures.
func TestLoadProcedures(t *testing.T) {
	ctx := t.Context()
	c, err := dialLoad(ctx, startInProcess(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.Close()
	fh, err := c.create(ctx, c.root, "f")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello, world")
	if err := c.status(ctx, procWRITE, writeArgs{fh, 0, unstable, data}); err != nil {
		t.Fatal(err)
	}
	var lk fhRes
	if err := c.call(ctx, procLOOKUP, dirOpArgs{c.root, "f"}, &lk); err != nil || lk.status != 0 || string(lk.fh) != string(fh) {
		t.Fatalf("LOOKUP: %v, status %d, handle %x, want %x", err, lk.status, lk.fh, fh)
	}
	var rd readRes
	if err := c.call(ctx, procREAD, readArgs{fh, 0, 1 << 20}, &rd); err != nil || rd.status != 0 {
		t.Fatalf("READ: %v, status %d", err, rd.status)
	}
	if string(rd.data) != string(data) || !rd.eof {
		t.Fatalf("READ returned %q (eof %v), want %q", rd.data, rd.eof, data)
	}
	if err := c.status(ctx, procGETATTR, fhArgs(fh)); err != nil {
		t.Fatal(err)
	}
	if err := c.status(ctx, procREMOVE, dirOpArgs{c.root, "f"}); err != nil {
		t.Fatal(err)
	}
	err = c.status(ctx, procGETATTR, fhArgs(fh))
	if err == nil {
		t.Fatal("GETATTR of a removed file succeeded")
	}
	var r statusRes
	if err := c.call(ctx, procLOOKUP, dirOpArgs{c.root, "f"}, &r); err != nil || r.status != 2 { // NFS3ERR_NOENT
		t.Fatalf("LOOKUP after REMOVE: %v, status %d, want 2", err, r.status)
	}
}

// readRes decodes READ3resok: post_op_attr, count, eof, data.
type readRes struct {
	status uint32
	eof    bool
	data   []byte
}

func (r *readRes) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	if r.status != 0 {
		return
	}
	if d.Bool() { // post_op_attr: fattr3 is 84 bytes (RFC 1813 §2.6)
		d.Skip(84)
	}
	d.Uint32()
	r.eof = d.Bool()
	r.data = d.OpaqueCopy(1 << 20)
}

package nfs3

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
)

// The benchmarks run over a real rpc.Server and rpc.Client on 127.0.0.1,
// so they include the RPC layer and the loopback; allocations are those
// of both sides.

func benchSetup(b *testing.B) (*client, []byte, []byte) {
	ts := startServer(b, newFS(b), exportsLine)
	c := ts.dial(1000, 1000)
	root := c.mount("/export")
	f := c.mustCreate(root, "file")
	return c, root, f
}

func BenchmarkGETATTR(b *testing.B) {
	c, _, f := benchSetup(b)
	args := &wire.GETATTR3args{Object: fh(f)}
	var res wire.GETATTR3res
	b.ReportAllocs()
	for b.Loop() {
		if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_GETATTR, args, &res); err != nil || res.Status != wire.NFS3_OK {
			b.Fatal(err, res.Status)
		}
	}
}

func BenchmarkLOOKUP(b *testing.B) {
	c, root, _ := benchSetup(b)
	args := &wire.LOOKUP3args{What: wire.DiropArgs3{Dir: fh(root), Name: "file"}}
	var res wire.LOOKUP3res
	b.ReportAllocs()
	for b.Loop() {
		if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_LOOKUP, args, &res); err != nil || res.Status != wire.NFS3_OK {
			b.Fatal(err, res.Status)
		}
	}
}

func benchRead(b *testing.B, size int) {
	c, _, f := benchSetup(b)
	for off := 0; off < 4<<20; off += 1 << 20 {
		if w := c.write(f, uint64(off), bytes.Repeat([]byte("r"), 1<<20), wire.FILE_SYNC); w.Status != wire.NFS3_OK {
			b.Fatal(w.Status)
		}
	}
	var res wire.READ3res
	args := &wire.READ3args{File: fh(f), Count: wire.Count3(size)}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	off := 0
	for b.Loop() {
		args.Offset = wire.Offset3(off)
		if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_READ, args, &res); err != nil || res.Status != wire.NFS3_OK || len(res.Resok.Data) != size {
			b.Fatal(err, res.Status)
		}
		off = (off + size) % (4 << 20)
	}
}

func BenchmarkREAD4K(b *testing.B) { benchRead(b, 4<<10) }
func BenchmarkREAD1M(b *testing.B) { benchRead(b, 1<<20) }

func benchWrite(b *testing.B, size int, how wire.StableHow) {
	c, _, f := benchSetup(b)
	args := &wire.WRITE3args{File: fh(f), Count: wire.Count3(size), Stable: how, Data: bytes.Repeat([]byte("w"), size)}
	var res wire.WRITE3res
	b.SetBytes(int64(size))
	b.ReportAllocs()
	off := 0
	for b.Loop() {
		args.Offset = wire.Offset3(off)
		if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, wire.NFSPROC3_WRITE, args, &res); err != nil || res.Status != wire.NFS3_OK {
			b.Fatal(err, res.Status)
		}
		off = (off + size) % (64 << 20)
	}
}

func BenchmarkWRITE4K(b *testing.B)         { benchWrite(b, 4<<10, wire.UNSTABLE) }
func BenchmarkWRITE1M(b *testing.B)         { benchWrite(b, 1<<20, wire.UNSTABLE) }
func BenchmarkWRITE4KFileSync(b *testing.B) { benchWrite(b, 4<<10, wire.FILE_SYNC) }

package nfs4

import (
	"bytes"
	"context"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// The benchmarks run over a real rpc.Server and rpc.Client on 127.0.0.1,
// as nfs3's do, so they include the RPC layer and the loopback; the
// requests are encoded once, and the client decodes only the status.

// statusOnly decodes the COMPOUND status and skips the rest.
type statusOnly struct{ status wire.Nfsstat4 }

func (s *statusOnly) UnmarshalXDR(d *xdr.Decoder) {
	s.status = wire.Nfsstat4(d.Uint32())
	d.Skip(d.Remaining())
}

// linuxGetattr is the attribute mask the Linux client sends with most
// operations (nfs4_fattr_bitmap).
var linuxGetattr = []uint32{wire.FATTR4_TYPE, wire.FATTR4_CHANGE, wire.FATTR4_SIZE, wire.FATTR4_FSID,
	wire.FATTR4_FILEID, wire.FATTR4_MODE, wire.FATTR4_NUMLINKS, wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP,
	wire.FATTR4_RAWDEV, wire.FATTR4_SPACE_USED, wire.FATTR4_TIME_ACCESS, wire.FATTR4_TIME_METADATA,
	wire.FATTR4_TIME_MODIFY, wire.FATTR4_MOUNTED_ON_FILEID}

func benchSetup(b *testing.B, size int) (*client, []byte) {
	fsys := newFS(b)
	ts := startServer(b, fsys, exportsLine)
	cred := &store.Cred{UID: 1000, GID: 1000}
	h, _, err := fsys.Create(context.Background(), cred, fsys.Root(), "file", store.CreateGuarded, nil, store.Verifier{})
	if err != nil {
		b.Fatal(err)
	}
	for off := 0; off < size; off += 1 << 20 {
		if _, _, err := fsys.WriteAt(context.Background(), cred, h, bytes.Repeat([]byte("r"), 1<<20), int64(off), store.FileSync); err != nil {
			b.Fatal(err)
		}
	}
	c := ts.dial(1000, 1000)
	r := c.compound(putfh(c.exportFH()), lookup("file"), getfh()).mustOK(b)
	return c, append([]byte(nil), r.last().Getfh.Resok4.Object...)
}

func benchCompound(b *testing.B, c *client, bytesPer int64, ops ...wire.NfsArgop4) {
	args := &rawArgs{n: uint32(len(ops)), ops: opsBytes(ops...)}
	var res statusOnly
	if bytesPer > 0 {
		b.SetBytes(bytesPer)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.c.Call(context.Background(), Program, Version, 1, args, &res); err != nil || res.status != wire.NFS4_OK {
			b.Fatal(err, res.status)
		}
	}
}

// BenchmarkCompoundGetattr is PUTFH + GETATTR of the Linux client's mask.
func BenchmarkCompoundGetattr(b *testing.B) {
	c, f := benchSetup(b, 0)
	benchCompound(b, c, 0, putfh(f), getattr(linuxGetattr...))
}

// BenchmarkCompoundLookup is PUTFH + LOOKUP + GETFH + GETATTR, what a
// Linux lookup sends.
func BenchmarkCompoundLookup(b *testing.B) {
	c, _ := benchSetup(b, 0)
	benchCompound(b, c, 0, putfh(c.exportFH()), lookup("file"), getfh(), getattr(linuxGetattr...))
}

// BenchmarkCompoundRead1M is PUTFH + READ of 1 MiB.
func BenchmarkCompoundRead1M(b *testing.B) {
	c, f := benchSetup(b, 1<<20)
	benchCompound(b, c, 1<<20, putfh(f), read(0, 1<<20))
}

// BenchmarkCompoundRead4K is PUTFH + READ of 4 KiB.
func BenchmarkCompoundRead4K(b *testing.B) {
	c, f := benchSetup(b, 1<<20)
	benchCompound(b, c, 4<<10, putfh(f), read(8192, 4<<10))
}

// BenchmarkCompoundWrite4K is PUTFH + WRITE of 4 KiB, unstable.
func BenchmarkCompoundWrite4K(b *testing.B) {
	c, f := benchSetup(b, 0)
	w := write(0, bytes.Repeat([]byte("w"), 4<<10))
	w.Write.Stable = wire.UNSTABLE4
	benchCompound(b, c, 4<<10, putfh(f), w)
}

package nfs4

import (
	"bytes"
	"context"
	"encoding/binary"
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
	h, _, _, err := fsys.Create(context.Background(), cred, fsys.Root(), "file", store.CreateGuarded, nil, store.Verifier{})
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
		if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, args, &res); err != nil || res.status != wire.NFS4_OK {
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

// BenchmarkSmallFile41 is the small-file path of a 4.1 client, each
// iteration one compound over one session slot that uses the current
// stateid (so the stateid needs no decoding): what the state table, the
// share reservations of the lock manager and the store do for every
// file a program opens.
//
//   - read:        SEQUENCE PUTFH OPEN(read) READ(4 KiB) CLOSE
//   - create:      SEQUENCE PUTFH OPEN(create) CLOSE PUTFH REMOVE
//   - write:       SEQUENCE PUTFH OPEN(create) WRITE(4 KiB, FILE_SYNC) CLOSE PUTFH REMOVE
func BenchmarkSmallFile41(b *testing.B) {
	current := wire.Stateid4{Seqid: 1}
	closeOp := wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{OpenStateid: current}}
	for _, tc := range []struct {
		name  string
		bytes int64
		ops   func(dir []byte, cid wire.Clientid4) []wire.NfsArgop4
	}{
		{"read", 4 << 10, func(dir []byte, cid wire.Clientid4) []wire.NfsArgop4 {
			return []wire.NfsArgop4{putfh(dir), open41(cid, "file", false, wire.OPEN4_SHARE_ACCESS_READ),
				readSid(current, 0, 4<<10), closeOp}
		}},
		{"create", 0, func(dir []byte, cid wire.Clientid4) []wire.NfsArgop4 {
			return []wire.NfsArgop4{putfh(dir), open41(cid, "new", true, wire.OPEN4_SHARE_ACCESS_BOTH),
				closeOp, putfh(dir), remove("new")}
		}},
		{"write", 4 << 10, func(dir []byte, cid wire.Clientid4) []wire.NfsArgop4 {
			w := writeSid(current, 0, bytes.Repeat([]byte("w"), 4<<10))
			w.Write.Stable = wire.FILE_SYNC4
			return []wire.NfsArgop4{putfh(dir), open41(cid, "new", true, wire.OPEN4_SHARE_ACCESS_BOTH),
				w, closeOp, putfh(dir), remove("new")}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, _ := benchSetup(b, 1<<20)
			c.ts.srv.maxMinor = 1
			c.minor = 1
			sid, cid := c.newSession("bench-small")
			dir := c.exportRoot41(sid)
			ops := tc.ops(dir, cid)
			seqOp := opsBytes(sequence(sid, 0, 2, false))
			args := &rawArgs{minor: 1, n: uint32(1 + len(ops)), ops: append(seqOp, opsBytes(ops...)...)}
			var res statusOnly
			if tc.bytes > 0 {
				b.SetBytes(tc.bytes)
			}
			b.ReportAllocs()
			seq := uint32(2)
			for b.Loop() {
				// The sequence id is the word after the opcode and the
				// 16-byte session id.
				binary.BigEndian.PutUint32(args.ops[4+16:], seq)
				seq++
				if err := c.c.Call(context.Background(), NFSProgram, NFSVersion, 1, args, &res); err != nil || res.status != wire.NFS4_OK {
					b.Fatal(err, res.status)
				}
			}
			if st := c.ts.srv.State.Stats(); st.States != 0 {
				b.Errorf("%d clients hold %d states after the loop, want none", st.Clients, st.States)
			}
		})
	}
}

// open41 is a 4.1 OPEN of name by open-owner "bench" of client cid.
func open41(cid wire.Clientid4, name string, create bool, access uint32) wire.NfsArgop4 {
	a := wire.OPEN4args{ShareAccess: access, Owner: wire.StateOwner4{Clientid: cid, Owner: []byte("bench")},
		Claim: wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: wire.Component4(name)}}
	if create {
		a.Openhow = wire.Openflag4{Opentype: wire.OPEN4_CREATE, How: wire.Createhow4{Mode: wire.UNCHECKED4}}
	}
	return wire.NfsArgop4{Argop: wire.OP_OPEN, Open: a}
}

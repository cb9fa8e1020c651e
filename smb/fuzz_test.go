package smb

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/smb/internal/smbcrypto"
	"github.com/dittofs/dittofs/smb/internal/wire"
	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// fuzzFrames splits a fuzz input into frames, each prefixed with its
// 2-byte little-endian length.
func fuzzFrames(data []byte) [][]byte {
	var frames [][]byte
	for len(data) >= 2 {
		n := int(binary.LittleEndian.Uint16(data))
		data = data[2:]
		n = min(n, len(data))
		frames = append(frames, data[:n])
		data = data[n:]
	}
	return frames
}

func fuzzInput(frames ...[]byte) []byte {
	var b []byte
	for _, f := range frames {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

// seedMessage is one request of the pre-made session 1 on tree 1.
func seedMessage(id uint64, cmd wire.Command, body []byte) []byte {
	h := wire.Header{Command: cmd, Credits: 8, MessageID: id, TreeID: 1, SessionID: 1}
	return append(h.Append(nil), body...)
}

// FuzzConn feeds random frames to one connection that has negotiated 2.1
// and holds an authenticated, unsigned session 1 with tree 1 on /export
// (so the fuzzer reaches the file operations without forging a logon):
// no input may panic, and the heap stays bounded.
func FuzzConn(f *testing.F) {
	fid := wire.FileID{Persistent: 1, Volatile: 1}
	f.Add(fuzzInput(negotiateBody(1, 0, allDialects, []uint16{1, 2}, []uint16{0, 1, 2})))
	f.Add(fuzzInput(
		seedMessage(0, wire.SMB2_CREATE, createBody(`a\b`, wire.GENERIC_ALL, wire.FILE_OPEN_IF, 0)),
		seedMessage(1, wire.SMB2_CREATE, createBody("f", wire.GENERIC_ALL, wire.FILE_OPEN_IF, 0)),
		seedMessage(2, wire.SMB2_WRITE, writeBody(fid, 0, []byte("hello"))),
		seedMessage(3, wire.SMB2_READ, readBody(fid, 0, 5)),
		seedMessage(4, wire.SMB2_QUERY_INFO, queryInfoBody(fid, wire.SMB2_0_INFO_FILE, wire.FileAllInformation, 200)),
		seedMessage(5, wire.SMB2_SET_INFO, setInfoBody(fid, wire.FileRenameInformation, renameBuf("g", true))),
		seedMessage(6, wire.SMB2_CLOSE, closeBody(fid)),
	))
	f.Add(fuzzInput(
		seedMessage(0, wire.SMB2_CREATE, createBody("", wire.GENERIC_READ, wire.FILE_OPEN, wire.FILE_DIRECTORY_FILE)),
		seedMessage(1, wire.SMB2_QUERY_DIRECTORY, queryDirBody(fid, wire.FileIdBothDirectoryInformation, 0, "*", 100)),
		seedMessage(2, wire.SMB2_TREE_CONNECT, treeConnectBody(`\\x\IPC$`)),
		seedMessage(3, wire.SMB2_LOGOFF, []byte{4, 0, 0, 0}),
	))
	f.Add(fuzzInput(
		seedMessage(0, wire.SMB2_CREATE, createBody("f", wire.GENERIC_ALL, wire.FILE_OPEN_IF, 0)),
		seedMessage(1, wire.SMB2_WRITE, writeBody(fid, 0, make([]byte, 8192))),
		seedMessage(2, wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_SET_SPARSE, fid, nil, 0)),
		seedMessage(3, wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_SET_ZERO_DATA, fid, Lay(int64(0), int64(4096)), 0)),
		seedMessage(4, wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_QUERY_ALLOCATED_RANGES, fid, Lay(int64(0), int64(8192)), 64)),
		seedMessage(5, wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_SRV_REQUEST_RESUME_KEY, fid, nil, 32)),
		seedMessage(6, wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_SRV_COPYCHUNK, fid, copychunkIn(make([]byte, 24), [3]uint64{0, 4096, 4096}), 12)),
		seedMessage(7, wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_DUPLICATE_EXTENTS_TO_FILE, fid, dupIn(fid, 0, 4096, 4096), 0)),
		seedMessage(8, wire.SMB2_IOCTL, ioctlBody(wire.FSCTL_FILE_LEVEL_TRIM, fid, Lay(uint32(0), uint32(1), int64(0), int64(10)), 4)),
	))
	// Create contexts: a lease, durable requests and reconnects, an
	// SD, EAs, a stream (lease.go, durable.go, secdesc.go, ea.go).
	f.Add(fuzzInput(
		seedMessage(0, wire.SMB2_CREATE, createReq{name: "l", access: oplockRW, share: shareAll, disp: wire.FILE_OPEN_IF,
			level: wire.SMB2_OPLOCK_LEVEL_LEASE, lease: leaseV2(1, lR|lH, 0)}.body()),
		seedMessage(1, wire.SMB2_CREATE, createCtxBody("d", wire.GENERIC_ALL, wire.FILE_OPEN_IF, 0, shareAll,
			testCtx{"DHnQ", make([]byte, 16)}, testCtx{"DH2Q", make([]byte, 32)}, testCtx{"MxAc", nil})),
		seedMessage(2, wire.SMB2_CREATE, createCtxBody("d", wire.GENERIC_ALL, wire.FILE_OPEN, 0, shareAll,
			testCtx{"DHnC", make([]byte, 16)}, testCtx{"DH2C", make([]byte, 36)})),
		seedMessage(3, wire.SMB2_CREATE, createCtxBody("s:str", wire.GENERIC_ALL, wire.FILE_OPEN_IF, 0, shareAll,
			testCtx{"ExtA", Lay(uint32(0), uint8(0), uint8(1), uint16(1), []byte("a\x00b"))}, testCtx{"SecD", make([]byte, 20)})),
		seedMessage(4, wire.SMB2_OPLOCK_BREAK, oplockAckBody(fid, wire.SMB2_OPLOCK_LEVEL_II)),
	))
	ts := startServer(f, func(s *Server) { s.Logger = nil })
	var n int
	f.Fuzz(func(t *testing.T, data []byte) {
		// Short break and durable timeouts: an input that leaves a
		// break unacknowledged or a durable open behind must not hold
		// the fuzzer for 35 or 60 s.
		srv := &Server{Exports: ts.tab, Users: ts.srv.Users, AllowUnsigned: true, MaxMessageSize: 64 << 10, MaxCredits: 64,
			OplockBreakTimeout: 100 * time.Millisecond, DurableTimeout: 100 * time.Millisecond,
			onPanic: func(p any) { panic(fmt.Sprint("panic serving: ", p)) }}
		srv.init()
		a, b := net.Pipe()
		c := srv.newConn(a)
		c.negotiated, c.dialect, c.maxSize, c.serverCaps = true, wire.SMB2_DIALECT_210, 64<<10, wire.SMB2_GLOBAL_CAP_LARGE_MTU
		c.seqLow, c.seqHigh = 0, 64
		e := srv.findExport("export")
		signer, _ := smbcrypto.NewSigner(smbcrypto.SigningHMACSHA256, make([]byte, 16))
		c.sessions[1] = &session{id: 1, valid: true, user: User{UID: 1000, GID: 1000}, signer: signer,
			trees: map[uint32]*tree{1: {id: 1, exp: e, cred: e.Rule(c.remote.Addr()).Squash(export.SecSys, export.Identity{UID: 1000, GID: 1000})}},
			opens: map[uint64]*open{}}
		done := make(chan struct{})
		go func() { c.serve(); close(done) }()
		go io.Copy(io.Discard, b)
		for _, fr := range fuzzFrames(data) {
			if wire.WriteFrame(b, fr) != nil {
				break
			}
		}
		b.Close()
		<-done
		srv.Close()
		if n++; n%256 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > 512<<20 {
				t.Fatalf("heap %d MiB after %d inputs", ms.HeapAlloc>>20, n)
			}
		}
	})
}

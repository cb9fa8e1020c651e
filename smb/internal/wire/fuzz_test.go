package wire

import (
	"os"
	"testing"
	"unsafe"
)

// within reports whether b is empty or lies inside m.
func within(m, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(m)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p+uintptr(len(b)) <= lo+uintptr(len(m))
}

// FuzzRequest feeds a frame to Split and every message to the decoder of
// its command (or an SMB1 frame to the SMB1 negotiate decoder). Nothing
// may panic, and whatever a decoder returns must lie inside the message,
// past the header.
func FuzzRequest(f *testing.F) {
	for _, d := range decoders() {
		f.Add(d.msg)
	}
	f.Add(compound(createReq(), writeReq([]byte("abc")), closeReq()))
	for _, p := range []string{"testdata/smbclient-negotiate-smb3.bin", "testdata/smbclient-negotiate-smb2.bin", "testdata/smbclient-negotiate-smb1.bin"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b[FrameHeaderSize:])
		}
	}
	var msgs []Message
	f.Fuzz(func(t *testing.T, frame []byte) {
		if IsSMB1(frame) {
			var n SMB1Negotiate
			if n.Decode(frame) == nil {
				for _, d := range n.Dialects {
					if !within(frame, d) {
						t.Fatal("SMB1 dialect outside the frame")
					}
				}
			}
			return
		}
		msgs, _ = Split(frame, msgs)
		for _, m := range msgs {
			if !within(frame, m.Raw) || len(m.Raw) < HeaderSize {
				t.Fatal("Raw outside the frame")
			}
			checkDecode(t, m.Header.Command, m.Raw)
		}
	})
}

func checkDecode(t *testing.T, cmd Command, m []byte) {
	in := func(bs ...[]byte) {
		for _, b := range bs {
			if !within(m[HeaderSize:], b) {
				t.Fatalf("%v: decoded slice outside the message body", cmd)
			}
		}
	}
	switch cmd {
	case SMB2_NEGOTIATE:
		var r NegotiateRequest
		if r.Decode(m) == nil {
			if len(r.Dialects) == 0 {
				t.Fatal("NEGOTIATE without dialects accepted")
			}
			for _, c := range r.Contexts {
				in(c.Data)
			}
		}
	case SMB2_SESSION_SETUP:
		var r SessionSetupRequest
		if r.Decode(m) == nil {
			in(r.SecurityBuffer)
		}
	case SMB2_LOGOFF, SMB2_TREE_DISCONNECT, SMB2_ECHO, SMB2_CANCEL:
		_ = DecodeEmptyRequest(m)
	case SMB2_TREE_CONNECT:
		var r TreeConnectRequest
		if r.Decode(m) == nil {
			in(r.Path)
			if len(r.Path)%2 != 0 {
				t.Fatal("odd path accepted")
			}
		}
	case SMB2_CREATE:
		var r CreateRequest
		if r.Decode(m) == nil {
			in(r.Name)
			for _, c := range r.Contexts {
				in(c.Name, c.Data)
				if len(c.Name) < 4 {
					t.Fatal("short context name accepted")
				}
			}
		}
	case SMB2_CLOSE:
		var r CloseRequest
		_ = r.Decode(m)
	case SMB2_FLUSH:
		var r FlushRequest
		_ = r.Decode(m)
	case SMB2_READ:
		var r ReadRequest
		if r.Decode(m) == nil {
			in(r.ChannelInfo)
		}
	case SMB2_WRITE:
		var r WriteRequest
		if r.Decode(m) == nil {
			in(r.Data, r.ChannelInfo)
		}
	case SMB2_LOCK:
		var r LockRequest
		if r.Decode(m) == nil && (len(r.Locks) == 0 || HeaderSize+24+24*len(r.Locks) > len(m)) {
			t.Fatal("lock count not checked")
		}
	case SMB2_IOCTL:
		var r IoctlRequest
		if r.Decode(m) == nil {
			in(r.Input, r.Output)
		}
	case SMB2_QUERY_DIRECTORY:
		var r QueryDirectoryRequest
		if r.Decode(m) == nil {
			in(r.FileName)
		}
	case SMB2_CHANGE_NOTIFY:
		var r ChangeNotifyRequest
		_ = r.Decode(m)
	case SMB2_QUERY_INFO:
		var r QueryInfoRequest
		if r.Decode(m) == nil {
			in(r.Input)
		}
	case SMB2_SET_INFO:
		var r SetInfoRequest
		if r.Decode(m) == nil {
			in(r.Buffer)
		}
	case SMB2_OPLOCK_BREAK:
		var r OplockBreakRequest
		_ = r.Decode(m)
	default:
		// Unknown commands: every decoder must still survive the bytes.
		for c := SMB2_NEGOTIATE; c <= SMB2_OPLOCK_BREAK; c++ {
			checkDecode(t, c, m)
		}
	}
}

// FuzzFSCTL feeds FSCTL input buffers to their decoders (fsctl.go):
// nothing may panic, and what decodes must fit in the input.
func FuzzFSCTL(f *testing.F) {
	cc := make([]byte, 32+24)
	cc[24] = 1
	f.Add(cc)
	f.Add(make([]byte, 40))
	f.Add([]byte{0, 0, 0, 0, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c CopychunkCopy
		if c.DecodeKey(b) == nil && len(b) < ResumeKeySize {
			t.Fatal("short key accepted")
		}
		if c.Decode(b, CopychunkMaxChunks) == nil {
			if len(c.Chunks) != int(c.ChunkCount) || len(c.Chunks) > CopychunkMaxChunks || 32+24*len(c.Chunks) > len(b) {
				t.Fatalf("%d chunks decoded from %d bytes", len(c.Chunks), len(b))
			}
		}
		if _, err := DecodeRange(b); err == nil && len(b) < 16 {
			t.Fatal("short range accepted")
		}
		var x DuplicateExtents
		if x.Decode(b) == nil && len(b) < 40 {
			t.Fatal("short DUPLICATE_EXTENTS_DATA accepted")
		}
		if _, err := x.DecodeEx(b); err == nil && len(b) < 56 {
			t.Fatal("short DUPLICATE_EXTENTS_DATA_EX accepted")
		}
		var tr FileLevelTrim
		if tr.Decode(b) == nil && 8+16*len(tr.Ranges) > len(b) {
			t.Fatalf("%d trim ranges decoded from %d bytes", len(tr.Ranges), len(b))
		}
	})
}

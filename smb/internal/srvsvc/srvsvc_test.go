package srvsvc

import (
	"bytes"
	"testing"

	. "github.com/dittofs/dittofs/smb/internal/wire/wiretest"
)

// nstr is a conformant varying wchar_t string with its NUL (C706
// §14.3.4), padded so that the next field starts 4-aligned (the strings
// here start 4-aligned).
func nstr(s string) []byte {
	n := uint32(len(s) + 1)
	b := append(Lay(n, uint32(0), n, UTF16LE(s)), 0, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// ref is the n-th referent id: the server numbers them as Samba does,
// 0x00020000 + 4n (any non-zero value is valid NDR).
func ref(n uint32) uint32 { return 0x00020000 + 4*n }

// enumStub is a NetrShareEnum request (MS-SRVS §3.1.4.8) as smbclient
// sends it: a server name, the level with an empty container, the
// largest preferred length, and a resume handle of 0 when resume.
func enumStub(level uint32, resume bool) []byte {
	b := Lay(uint32(0x00020000), nstr(`\\127.0.0.1`), level, level, uint32(0x00020004), uint32(0), uint32(0), uint32(0xFFFFFFFF))
	if resume {
		return append(b, Lay(uint32(0x00020008), uint32(0))...)
	}
	return append(b, Lay(uint32(0))...)
}

// getInfoStub is a NetrShareGetInfo request (MS-SRVS §3.1.4.10) with no
// server name.
func getInfoStub(name string, level uint32) []byte {
	return Lay(uint32(0), nstr(name), level)
}

func call(t *testing.T, op uint16, stub []byte) []byte {
	t.Helper()
	p := bound(t, 4280, 4280)
	return responseStub(t, roundTrip(t, p, request(2, 3, 0, op, stub)), 2, 4280)
}

// TestShareEnum: NetrShareEnum levels 0, 1, 2, 501 and 502 list every
// share, with the layouts of SHARE_INFO_0/1/2/501/502_CONTAINER (MS-SRVS
// §2.2.4.32-2.2.4.36): EntriesRead, a pointer to a conformant array of
// fixed parts, then each entry's strings in order; TotalEntries, the
// resume handle (0: nothing more) and the WERROR.
func TestShareEnum(t *testing.T) {
	sh := testShares()
	for _, c := range []struct {
		level  uint32
		resume bool
		fixed  func(i uint32, s Share) []byte
		deferr func(s Share) []byte
	}{
		{0, false, func(i uint32, s Share) []byte { return Lay(ref(3 + i)) },
			func(s Share) []byte { return nstr(s.Name) }},
		{1, true, func(i uint32, s Share) []byte { return Lay(ref(3+2*i), s.Type, ref(4+2*i)) },
			func(s Share) []byte { return append(nstr(s.Name), nstr(s.Comment)...) }},
		{2, false, func(i uint32, s Share) []byte {
			return Lay(ref(3+3*i), s.Type, ref(4+3*i), uint32(0), uint32(0xFFFFFFFF), uint32(0), ref(5+3*i), uint32(0))
		}, func(s Share) []byte { return bytes.Join([][]byte{nstr(s.Name), nstr(s.Comment), nstr(s.Path)}, nil) }},
		{501, false, func(i uint32, s Share) []byte { return Lay(ref(3+2*i), s.Type, ref(4+2*i), s.Flags) },
			func(s Share) []byte { return append(nstr(s.Name), nstr(s.Comment)...) }},
		{502, false, func(i uint32, s Share) []byte {
			return Lay(ref(3+3*i), s.Type, ref(4+3*i), uint32(0), uint32(0xFFFFFFFF), uint32(0), ref(5+3*i), uint32(0), uint32(0), uint32(0))
		}, func(s Share) []byte { return bytes.Join([][]byte{nstr(s.Name), nstr(s.Comment), nstr(s.Path)}, nil) }},
	} {
		want := Lay(c.level, c.level, ref(1), uint32(3), ref(2), uint32(3))
		for i, s := range sh {
			want = append(want, c.fixed(uint32(i), s)...)
		}
		for _, s := range sh {
			want = append(want, c.deferr(s)...)
		}
		want = append(want, Lay(uint32(3))...)
		if c.resume {
			want = append(want, Lay(ref(9), uint32(0))...) // after the 8 referents above
		} else {
			want = append(want, Lay(uint32(0))...)
		}
		want = append(want, Lay(uint32(0))...)
		if got := call(t, opNetrShareEnum, enumStub(c.level, c.resume)); !bytes.Equal(got, want) {
			t.Errorf("level %d\n got %x\nwant %x", c.level, got, want)
		}
	}
	// A level with no container (1005 and unknown ones) is
	// ERROR_INVALID_LEVEL with a null container and no entries.
	for _, level := range []uint32{1005, 7} {
		want := Lay(level, level, uint32(0), uint32(0), uint32(0), uint32(124))
		if got := call(t, opNetrShareEnum, enumStub(level, false)); !bytes.Equal(got, want) {
			t.Errorf("level %d: %x, want %x", level, got, want)
		}
	}
	// A resume handle of 2 starts at the third share.
	stub := enumStub(0, true)
	stub[len(stub)-4] = 2
	want := Lay(uint32(0), uint32(0), ref(1), uint32(1), ref(2), uint32(1), ref(3), nstr("IPC$"), uint32(3), ref(4), uint32(0), uint32(0))
	if got := call(t, opNetrShareEnum, stub); !bytes.Equal(got, want) {
		t.Errorf("resumed\n got %x\nwant %x", got, want)
	}
}

// TestShareGetInfo: NetrShareGetInfo at levels 0, 1, 2, 501, 502 and
// 1005 (MS-SRVS §2.2.4.22-2.2.4.29, §2.2.4.41), names without regard to
// case; an unknown share is NERR_NetNameNotFound and an unknown level
// ERROR_INVALID_LEVEL, each with a null InfoStruct.
func TestShareGetInfo(t *testing.T) {
	ro := testShares()[1]
	for _, c := range []struct {
		name  string
		level uint32
		want  []byte
	}{
		{"ro", 0, Lay(uint32(0), ref(1), ref(2), nstr("ro"), uint32(0))},
		{"RO", 1, Lay(uint32(1), ref(1), ref(2), ro.Type, ref(3), nstr("ro"), nstr("read-only"), uint32(0))},
		{"ro", 2, Lay(uint32(2), ref(1), ref(2), ro.Type, ref(3), uint32(0), uint32(0xFFFFFFFF), uint32(0), ref(4), uint32(0),
			nstr("ro"), nstr("read-only"), nstr(`C:\ro`), uint32(0))},
		{"ro", 501, Lay(uint32(501), ref(1), ref(2), ro.Type, ref(3), uint32(0x8000), nstr("ro"), nstr("read-only"), uint32(0))},
		{"ro", 502, Lay(uint32(502), ref(1), ref(2), ro.Type, ref(3), uint32(0), uint32(0xFFFFFFFF), uint32(0), ref(4), uint32(0),
			uint32(0), uint32(0), nstr("ro"), nstr("read-only"), nstr(`C:\ro`), uint32(0))},
		{"ro", 1005, Lay(uint32(1005), ref(1), uint32(0x8000), uint32(0))},
		{"ipc$", 1, Lay(uint32(1), ref(1), ref(2), uint32(0x80000003), ref(3), nstr("IPC$"), nstr("IPC Service"), uint32(0))},
		{"nope", 1, Lay(uint32(1), uint32(0), uint32(2310))},
		{"ro", 3, Lay(uint32(3), uint32(0), uint32(124))},
	} {
		if got := call(t, opNetrShareGetInfo, getInfoStub(c.name, c.level)); !bytes.Equal(got, c.want) {
			t.Errorf("%s level %d\n got %x\nwant %x", c.name, c.level, got, c.want)
		}
	}
}

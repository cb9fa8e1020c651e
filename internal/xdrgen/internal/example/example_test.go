package example

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/internal/xdrgen/internal/example/handle"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// w is a big-endian XDR word, to write golden encodings readably.
func w(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// sampleFattr3 and fattr3Golden are the same fattr3, as a value and as
// the 84 bytes RFC 1813 §2.6 lays out: type, mode, nlink, uid, gid (one
// word each), size and used (hypers), rdev (two words), fsid and fileid
// (hypers), atime, mtime, ctime (two words each).
var sampleFattr3 = Fattr3{
	Type: NF3REG, Mode: 0o644, Nlink: 1, UID: 1000, GID: 100,
	Size: 4096, Used: 8192, Rdev: Specdata3{7, 9}, FSID: 0x0102030405060708, Fileid: 42,
	Atime: NFSTime3{0x5f5e1000, 1}, Mtime: NFSTime3{2, 3}, Ctime: NFSTime3{4, 5},
}

var fattr3Golden = cat(
	w(1),          // type NF3REG
	w(0o644),      // mode
	w(1),          // nlink
	w(1000),       // uid
	w(100),        // gid
	w(0), w(4096), // size
	w(0), w(8192), // used
	w(7), w(9), // rdev
	w(0x01020304), w(0x05060708), // fsid
	w(0), w(42), // fileid
	w(0x5f5e1000), w(1), // atime
	w(2), w(3), // mtime
	w(4), w(5), // ctime
)

func sampleReaddir(n int) READDIR3res {
	res := READDIR3res{Status: NFS3_OK}
	res.Resok.DirAttributes = PostOpAttr{AttributesFollow: true, Attributes: sampleFattr3}
	res.Resok.Cookieverf = Cookieverf3{1, 2, 3, 4, 5, 6, 7, 8}
	for i := range n {
		res.Resok.Reply.Entries = append(res.Resok.Reply.Entries, Entry3{
			Fileid: Fileid3(1000 + i), Name: Filename3("file-" + strings.Repeat("x", i%7)), Cookie: Cookie3(i + 1),
		})
	}
	res.Resok.Reply.EOF = true
	return res
}

type roundTrip interface {
	xdr.Marshaler
	xdr.Unmarshaler
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		v      roundTrip
		golden []byte
	}{
		{"GETATTR3res NFS3_OK", &GETATTR3res{Status: NFS3_OK, Resok: GETATTR3resok{sampleFattr3}}, cat(w(0), fattr3Golden)},
		{"GETATTR3res void default arm", &GETATTR3res{Status: NFS3ERR_STALE}, w(70)},
		{"post_op_attr FALSE", &PostOpAttr{}, w(0)},
		{"post_op_attr TRUE", &PostOpAttr{AttributesFollow: true, Attributes: sampleFattr3}, cat(w(1), fattr3Golden)},
		{"READDIR3args", &READDIR3args{
			Dir: NFSFH3{Data: []byte{0xde, 0xad, 0xbe}}, Cookie: 0x1122334455667788,
			Cookieverf: Cookieverf3{9, 8, 7, 6, 5, 4, 3, 2}, Count: 4096,
		}, cat(
			w(3), []byte{0xde, 0xad, 0xbe, 0}, // nfs_fh3: length, data, one byte of padding
			w(0x11223344), w(0x55667788), // cookie
			[]byte{9, 8, 7, 6, 5, 4, 3, 2}, // cookieverf3: fixed opaque, no length
			w(4096),                        // count
		)},
		{"READDIR3res NFS3_OK with two entries", &READDIR3res{Status: NFS3_OK, Resok: READDIR3resok{
			Cookieverf: Cookieverf3{1, 2, 3, 4, 5, 6, 7, 8},
			Reply: Dirlist3{Entries: []Entry3{
				{Fileid: 10, Name: ".", Cookie: 1},
				{Fileid: 11, Name: "file", Cookie: 2},
			}, EOF: true},
		}}, cat(
			w(0),                                                // status NFS3_OK
			w(0),                                                // dir_attributes: attributes_follow FALSE
			[]byte{1, 2, 3, 4, 5, 6, 7, 8},                      // cookieverf
			w(1),                                                // entries: value follows
			w(0), w(10), w(1), []byte{'.', 0, 0, 0}, w(0), w(1), // fileid, name ".", cookie
			w(1), // nextentry: value follows
			w(0), w(11), w(4), []byte("file"), w(0), w(2),
			w(0), // nextentry: no value
			w(1), // eof TRUE
		)},
		{"READDIR3res empty directory", &READDIR3res{Status: NFS3_OK, Resok: READDIR3resok{Reply: Dirlist3{EOF: true}}},
			cat(w(0), w(0), make([]byte, 8), w(0), w(1))},
		{"READDIR3res failure arm", &READDIR3res{Status: NFS3ERR_NOTDIR, Resfail: READDIR3resfail{
			DirAttributes: PostOpAttr{AttributesFollow: true, Attributes: sampleFattr3}}},
			cat(w(20), w(1), fattr3Golden)},
		{"Shape void case", &Shape{Kind: KIND_NONE}, w(0xffffffff)},
		{"Shape small", &Shape{Kind: KIND_SMALL, Small: Point{X: -5, Y: -6}}, cat(w(0), w(0xfffffffb), w(0xffffffff), w(0xfffffffa))},
		{"Shape default arm", &Shape{Kind: 77, Other: "hello"}, cat(w(77), w(5), []byte("hello\x00\x00\x00"))},
		{"Code empty array arm", &Code{Value: 3}, cat(w(3), w(0))},
		{"Mirror", &Mirror{X: 1, Y: 2}, cat(w(1), w(0), w(2))},
		{"SharedHandle", &SharedHandle{Handle: handle.Handle{ID: [16]byte{15: 0xff}}, Gen: 3},
			cat(w(16), make([]byte, 15), []byte{0xff}, w(3))},
		{"Features", sampleFeatures(), featuresGolden},
		{"Tagged", &Tagged{Kind: 16, Raw: []byte{1, 2, 3, 4, 5}}, cat(w(16), w(5), []byte{1, 2, 3, 4, 5, 0, 0, 0})},
		{"Tagged void", &Tagged{}, w(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := xdr.Marshal(tc.v)
			if !bytes.Equal(got, tc.golden) {
				t.Fatalf("encoding:\n got %x\nwant %x", got, tc.golden)
			}
			if n := tc.v.SizeXDR(); n != len(tc.golden) {
				t.Fatalf("SizeXDR = %d, want %d", n, len(tc.golden))
			}
			back := reflect.New(reflect.TypeOf(tc.v).Elem()).Interface().(roundTrip)
			d := xdr.NewDecoder(tc.golden)
			back.UnmarshalXDR(d)
			if err := d.Err(); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d.Remaining() != 0 {
				t.Fatalf("decode left %d bytes", d.Remaining())
			}
			want := tc.v
			if f, ok := want.(*Features); ok {
				c := *f
				c.Local = "" // xdr:"-" fields do not travel
				want = &c
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", back, want)
			}
			// Every shorter prefix is a short buffer, never a panic.
			for n := range len(tc.golden) {
				v := reflect.New(reflect.TypeOf(tc.v).Elem()).Interface().(roundTrip)
				if err := xdr.Unmarshal(tc.golden[:n], v); !errors.Is(err, xdr.ErrShortBuffer) {
					t.Fatalf("prefix of %d bytes: err = %v, want ErrShortBuffer", n, err)
				}
			}
		})
	}
}

func sampleFeatures() *Features {
	return &Features{
		I32: -2, I64: -3, U64: 1 << 40, Flag: true, Checked: NFS3ERR_IO,
		Fixed:  [5]byte{1, 2, 3, 4, 5},
		Opaque: []byte{9},
		Str:    "hi",
		Label:  "L",
		Points: []Point{{X: -1, Y: 2}},
		Grid:   [2][3]uint32{{1, 2, 3}, {4, 5, 6}},
		Names:  [2]Filename3{"a", "bc"},
		Groups: Groups{7},
		Opt:    &Point{X: 3, Y: 4},
		Chain:  []Label{"x", "y"},
		Shape:  Shape{Kind: KIND_HUGE, Big: []byte{0xaa}},
		Codes:  []Code{{Value: 0}, {Value: 1, One: 9}},
		Mirror: Mirror{X: 5, Y: 6},
		Bits:   1<<33 | 1,
		Handle: handle.Handle{ID: [16]byte{0: 0x11, 15: 0x22}},
		Local:  "not on the wire",
		Verf:   Cookieverf3{0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0x11},
	}
}

// featuresGolden is sampleFeatures encoded by hand from RFC 4506.
var featuresGolden = cat(
	w(0xfffffffe),                // I32 -2 (§4.1)
	w(0xffffffff), w(0xfffffffd), // I64 -3 (§4.5)
	w(0x100), w(0), // U64 1<<40
	w(1),                           // Flag TRUE (§4.4)
	w(5),                           // Checked NFS3ERR_IO
	[]byte{1, 2, 3, 4, 5, 0, 0, 0}, // Fixed: opaque[5] with 3 bytes of padding (§4.9)
	w(1), []byte{9, 0, 0, 0},       // Opaque<12> (§4.10)
	w(0),                         // Blob: empty opaque<>
	w(2), []byte{'h', 'i', 0, 0}, // Str (§4.11)
	w(1), []byte{'L', 0, 0, 0}, // Label
	w(1), w(0xffffffff), w(0), w(2), // Points: count 1, {X -1, Y 2} (§4.13)
	w(1), w(2), w(3), w(4), w(5), w(6), // Grid: fixed arrays, no counts (§4.12)
	w(1), []byte{'a', 0, 0, 0}, w(2), []byte{'b', 'c', 0, 0}, // Names
	w(1), w(7), // Groups
	w(1), w(3), w(0), w(4), // Opt: present, {3, 4} (§4.19)
	w(0),                                                                     // OptList: absent
	w(1), w(1), []byte{'x', 0, 0, 0}, w(1), w(1), []byte{'y', 0, 0, 0}, w(0), // Chain as an optional-data list
	w(2), w(1), []byte{0xaa, 0, 0, 0}, // Shape: KIND_HUGE, Big (§4.15)
	w(2), w(0), w(1), w(0), w(9), // Codes: count 2, {void 0}, {1, One 9}
	w(5), w(0), w(6), // Mirror
	w(2), w(1), w(2), // Bits: two words, low first
	w(16), []byte{0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22}, // Handle
	w(0), // Handles: count 0
	[]byte{0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0x11}, // Verf
)

func TestDecodeErrors(t *testing.T) {
	// Offsets into featuresGolden.
	const (
		offChecked = 24
		offPoints  = 64
	)
	patch := func(off int, v uint32) []byte {
		b := bytes.Clone(featuresGolden)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		v    xdr.Unmarshaler
		in   []byte
		want error
	}{
		{"nfs_fh3 longer than NFS3_FHSIZE", &READDIR3args{}, cat(w(65), make([]byte, 100)), xdr.ErrTooLong},
		{"nfs_fh3 length past the record", &READDIR3args{}, cat(w(64), make([]byte, 10)), xdr.ErrShortBuffer},
		{"filename3 longer than MAXNAMLEN", &Entry3{}, cat(w(0), w(1), w(256), make([]byte, 300)), xdr.ErrTooLong},
		{"ftype3 outside its enum", &Fattr3{}, cat(w(0), fattr3Golden[4:]), xdr.ErrBadValue},
		{"nfsstat3 tagged enum", &Features{}, patch(offChecked, 9999), xdr.ErrBadValue},
		{"array count over max", &Features{}, patch(offPoints, MaxItems+1), xdr.ErrTooLong},
		{"array count past the record", &Features{}, patch(offPoints, MaxItems)[:offPoints+4+90], xdr.ErrShortBuffer},
		{"bool discriminant 2", &PostOpAttr{}, cat(w(2), fattr3Golden), xdr.ErrBadBool},
		{"undeclared discriminant, no default", &Code{}, cat(w(7), w(0), w(0)), xdr.ErrBadUnion},
		{"list longer than max", &Features{}, func() []byte {
			f := sampleFeatures()
			f.Chain = []Label{"a", "b", "c", "d", "e"}
			return xdr.Marshal(f)
		}(), xdr.ErrTooLong},
		{"list flag not a bool", &Dirlist3{}, cat(w(3)), xdr.ErrBadBool},
		{"list ends inside an entry", &Dirlist3{}, bytes.Repeat(w(1), 1000), xdr.ErrShortBuffer},
		{"hand-written field error", &SharedHandle{}, cat(w(15), make([]byte, 16), w(0)), xdr.ErrBadValue},
		{"bound from another package", &Tagged{}, cat(w(16), w(17), make([]byte, 20)), xdr.ErrTooLong},
		{"unbounded array past the record", &Table{}, cat(w(0xffffffff), make([]byte, 24)), xdr.ErrShortBuffer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := xdr.Unmarshal(tc.in, tc.v); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestHostileCountsDoNotAllocate feeds maximal lengths and counts: every
// one is refused before anything is allocated.
func TestHostileCountsDoNotAllocate(t *testing.T) {
	tests := []struct {
		name string
		v    xdr.Unmarshaler
		in   []byte
	}{
		{"array count 2^32-1", &Table{}, cat(w(0xffffffff), make([]byte, 64))},
		{"opaque length 2^32-1", &Features{}, func() []byte {
			b := bytes.Clone(featuresGolden[:48]) // up to Blob
			return cat(b, w(0xffffffff), make([]byte, 64))
		}()},
		{"list flag with no room for an entry", &Dirlist3{}, cat(w(1), make([]byte, 16))},
		{"union array arm count", &Code{}, cat(w(2), w(0xfffffff0))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := xdr.NewDecoder(nil)
			allocs := testing.AllocsPerRun(100, func() {
				d.Reset(tc.in)
				tc.v.UnmarshalXDR(d)
				if d.Err() == nil {
					t.Fatal("hostile input decoded")
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per decode, want 0", allocs)
			}
		})
	}
}

// TestNoSliceNoAlloc checks that decoding and encoding types without
// slices allocate nothing, and that opaque data aliases the record.
func TestNoSliceNoAlloc(t *testing.T) {
	getattr := cat(w(0), fattr3Golden)
	var res GETATTR3res
	if a := testing.AllocsPerRun(100, func() {
		if err := xdr.Unmarshal(getattr, &res); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("GETATTR3res decode: %v allocations", a)
	}
	args := xdr.Marshal(&READDIR3args{Dir: NFSFH3{Data: []byte{1, 2, 3, 4}}})
	var ra READDIR3args
	if a := testing.AllocsPerRun(100, func() {
		if err := xdr.Unmarshal(args, &ra); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("READDIR3args decode: %v allocations", a)
	}
	if &ra.Dir.Data[0] != &args[4] {
		t.Error("nfs_fh3 data does not alias the record")
	}
	e := xdr.NewEncoder(make([]byte, 0, 4096))
	big := sampleReaddir(20)
	if a := testing.AllocsPerRun(100, func() {
		e.Reset(e.Bytes())
		big.MarshalXDR(e)
	}); a != 0 {
		t.Errorf("READDIR3res encode into a sized buffer: %v allocations", a)
	}
}

// TestLongList decodes a 100,000-entry entry3 chain: the list decoder is
// a loop, so this neither recurses nor grows the stack.
func TestLongList(t *testing.T) {
	res := sampleReaddir(100_000)
	b := xdr.Marshal(&res)
	var back READDIR3res
	if err := xdr.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if n := len(back.Resok.Reply.Entries); n != 100_000 {
		t.Fatalf("%d entries", n)
	}
	if !reflect.DeepEqual(back, res) {
		t.Fatal("round trip differs")
	}
}

// TestUnionArmsReset checks that decoding a union clears the arms the
// discriminant did not select, so a reused value carries nothing stale.
func TestUnionArmsReset(t *testing.T) {
	s := Shape{Kind: KIND_SMALL, Small: Point{1, 2}, Big: []byte{1}, Other: "stale"}
	if err := xdr.Unmarshal(cat(w(uint32(KIND_BIG)), w(1), []byte{7, 0, 0, 0}), &s); err != nil {
		t.Fatal(err)
	}
	if want := (Shape{Kind: KIND_BIG, Big: []byte{7}}); !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v, want %+v", s, want)
	}
}

func BenchmarkGETATTR3resEncode(b *testing.B) {
	res := GETATTR3res{Status: NFS3_OK, Resok: GETATTR3resok{sampleFattr3}}
	e := xdr.NewEncoder(make([]byte, 0, 256))
	b.ReportAllocs()
	b.SetBytes(int64(res.SizeXDR()))
	for b.Loop() {
		e.Reset(e.Bytes())
		res.MarshalXDR(e)
	}
}

func BenchmarkGETATTR3resDecode(b *testing.B) {
	in := xdr.Marshal(&GETATTR3res{Status: NFS3_OK, Resok: GETATTR3resok{sampleFattr3}})
	var res GETATTR3res
	var d xdr.Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		d.Reset(in)
		res.UnmarshalXDR(&d)
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
}

func BenchmarkREADDIR3resEncode100(b *testing.B) {
	res := sampleReaddir(100)
	e := xdr.NewEncoder(make([]byte, 0, 8192))
	b.ReportAllocs()
	b.SetBytes(int64(res.SizeXDR()))
	for b.Loop() {
		e.Reset(e.Bytes())
		e.Grow(res.SizeXDR())
		res.MarshalXDR(e)
	}
}

func BenchmarkREADDIR3resDecode100(b *testing.B) {
	res := sampleReaddir(100)
	in := xdr.Marshal(&res)
	var back READDIR3res
	var d xdr.Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		d.Reset(in)
		back.UnmarshalXDR(&d)
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
}

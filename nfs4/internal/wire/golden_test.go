package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// w is a big-endian XDR word, h a hyper, to write golden encodings readably.
func w(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func h(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// str is variable-length opaque data or a string: length, bytes, padding.
func str(s string) []byte {
	b := append(w(uint32(len(s))), s...)
	return append(b, make([]byte, xdr.Pad(len(s)))...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func seq(n int, first byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

// The filehandle and session used by the messages below.
var (
	goldenFH      = seq(12, 0xa0)
	goldenSession = Sessionid4(seq(16, 1))
)

// linuxGetattrMask is the attribute request the Linux client sends after
// LOOKUP (type, change, size, fsid, fileid; mode, numlinks, owner,
// owner_group, rawdev, space_used, time_access, time_metadata,
// time_modify, mounted_on_fileid).
var linuxGetattrMask = []uint32{
	FATTR4_TYPE, FATTR4_CHANGE, FATTR4_SIZE, FATTR4_FSID, FATTR4_FILEID,
	FATTR4_MODE, FATTR4_NUMLINKS, FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_RAWDEV,
	FATTR4_SPACE_USED, FATTR4_TIME_ACCESS, FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY,
	FATTR4_MOUNTED_ON_FILEID,
}

// putfhGetattrGolden is COMPOUND4args (RFC 3530 §14.2) with an empty tag,
// minor version 0, and two operations: PUTFH (22) with a 12-byte handle,
// and GETATTR (9) with a two-word bitmap4.
var putfhGetattrGolden = cat(
	w(0),                         // tag: empty utf8str_cs
	w(0),                         // minorversion
	w(2),                         // argarray count
	w(22), str(string(goldenFH)), // OP_PUTFH, nfs_fh4
	w(9), w(2), w(0x0010011a), w(0x00b0a23a), // OP_GETATTR, bitmap4<2>
)

func TestLinuxGetattrMask(t *testing.T) {
	var b Bitmap4
	for _, a := range linuxGetattrMask {
		b = b.Set(a)
	}
	if !slicesEqual(b, Bitmap4{0x0010011a, 0x00b0a23a}) {
		t.Fatalf("mask = %#x", []uint32(b))
	}
}

func slicesEqual(a, b Bitmap4) bool { return reflect.DeepEqual([]uint32(a), []uint32(b)) }

// decodeOp is the server's loop body in miniature: read the operation
// number, then decode only that operation's arguments.
func decodeOp(t *testing.T, d *xdr.Decoder) (NfsOpnum4, any) {
	t.Helper()
	op := NfsOpnum4(d.Uint32())
	var args interface {
		xdr.Unmarshaler
	}
	switch op {
	case OP_PUTFH:
		args = new(PUTFH4args)
	case OP_GETATTR:
		args = new(GETATTR4args)
	case OP_SEQUENCE:
		args = new(SEQUENCE4args)
	case OP_GETFH:
		return op, nil
	default:
		t.Fatalf("unexpected op %v", op)
	}
	args.UnmarshalXDR(d)
	return op, args
}

func TestCompoundPutfhGetattrOpByOp(t *testing.T) {
	d := xdr.NewDecoder(putfhGetattrGolden)
	var head COMPOUND4argsHead
	head.UnmarshalXDR(d)
	if d.Err() != nil || head != (COMPOUND4argsHead{Tag: "", Minorversion: 0, NumOps: 2}) {
		t.Fatalf("head = %+v, %v", head, d.Err())
	}
	op, args := decodeOp(t, d)
	if op != OP_PUTFH || !bytes.Equal(args.(*PUTFH4args).Object, goldenFH) {
		t.Fatalf("op 1 = %v %+v", op, args)
	}
	// The first operation's result does not depend on the second being
	// decodable: only 24 bytes of the record have been read.
	if d.Offset() != 12+4+4+12 {
		t.Fatalf("offset after PUTFH = %d", d.Offset())
	}
	op, args = decodeOp(t, d)
	if op != OP_GETATTR || !slicesEqual(args.(*GETATTR4args).AttrRequest, Bitmap4{0x0010011a, 0x00b0a23a}) {
		t.Fatalf("op 2 = %v %+v", op, args)
	}
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("err %v, %d bytes left", d.Err(), d.Remaining())
	}

	// The same record through the generic nfs_argop4 union, and back.
	d = xdr.NewDecoder(putfhGetattrGolden)
	head.UnmarshalXDR(d)
	enc := xdr.Marshal(&head)
	for range head.NumOps {
		var a NfsArgop4
		a.UnmarshalXDR(d)
		enc = append(enc, xdr.Marshal(&a)...)
	}
	if d.Err() != nil || !bytes.Equal(enc, putfhGetattrGolden) {
		t.Fatalf("re-encoding: %v\n%x\n%x", d.Err(), enc, putfhGetattrGolden)
	}
}

// sequenceGolden is SEQUENCE4args (RFC 5661 §18.46.1): the 16-byte
// session id, sequence id 7, slot 3, highest slot 15, cachethis TRUE.
var sequenceGolden = cat(seq(16, 1), w(7), w(3), w(15), w(1))

var sequenceValue = SEQUENCE4args{
	Sessionid: goldenSession, Sequenceid: 7, Slotid: 3, HighestSlotid: 15, Cachethis: true,
}

// openGolden is OPEN4args (RFC 5661 §18.16.1): seqid 0, share access
// WRITE with WANT_NO_DELEG, deny NONE, the open owner (client id and a
// 7-byte owner, padded), OPEN4_CREATE with createhow4 EXCLUSIVE4_1
// (verifier and a fattr4 setting mode 0644), and CLAIM_NULL with the name.
var openGolden = cat(
	w(0),                                  // seqid
	w(0x00000402),                         // share_access: WRITE | WANT_NO_DELEG
	w(0),                                  // share_deny
	h(0x5f3c1a2b00000001), str("owner-7"), // open_owner4
	w(1),               // opentype OPEN4_CREATE
	w(3),               // createmode EXCLUSIVE4_1
	seq(8, 0x41),       // cva_verf
	w(2), w(0), w(0x2), // cva_attrs.attrmask: bit 33 (mode)
	w(4), w(0o644), // cva_attrs.attr_vals: mode4
	w(0), str("report.txt"), // CLAIM_NULL, component4
)

var openValue = OPEN4args{
	ShareAccess: OPEN4_SHARE_ACCESS_WRITE | OPEN4_SHARE_ACCESS_WANT_NO_DELEG,
	ShareDeny:   OPEN4_SHARE_DENY_NONE,
	Owner:       StateOwner4{Clientid: 0x5f3c1a2b00000001, Owner: []byte("owner-7")},
	Openhow: Openflag4{Opentype: OPEN4_CREATE, How: Createhow4{
		Mode: EXCLUSIVE4_1,
		ChCreateboth: Creatverfattr{
			Verf:  Verifier4(seq(8, 0x41)),
			Attrs: Fattr4{Attrmask: Bitmap4{0, 0x2}, AttrVals: w(0o644)},
		},
	}},
	Claim: OpenClaim4{Claim: CLAIM_NULL, File: "report.txt"},
}

// readdirGolden is READDIR4resok (RFC 3530 §14.2.24): the cookie verifier,
// two entry4s (cookie, name, fattr4 with fileid) linked by value_follows
// words, and eof.
var readdirGolden = cat(
	seq(8, 0x10),                                              // cookieverf
	w(1), h(3), str("a"), w(1), w(1<<20), str(string(h(101))), // entry: fileid 101
	w(1), h(4), str("bb.txt"), w(1), w(1<<20), str(string(h(102))), // entry: fileid 102
	w(0), // no more entries
	w(1), // eof
)

var readdirValue = READDIR4resok{
	Cookieverf: Verifier4(seq(8, 0x10)),
	Reply: Dirlist4{
		Entries: []Entry4{
			{Cookie: 3, Name: "a", Attrs: Fattr4{Attrmask: Bitmap4{1 << FATTR4_FILEID}, AttrVals: h(101)}},
			{Cookie: 4, Name: "bb.txt", Attrs: Fattr4{Attrmask: Bitmap4{1 << FATTR4_FILEID}, AttrVals: h(102)}},
		},
		EOF: true,
	},
}

// cbGolden is CB_COMPOUND4args (RFC 5661 §20.9, §20.2) as a 4.1 server
// sends it: CB_SEQUENCE on slot 0 without referring calls, then CB_RECALL
// of a delegation stateid.
var cbGolden = cat(
	w(0), w(1), w(0), w(2), // tag, minorversion 1, callback_ident, 2 ops
	w(11), seq(16, 1), w(1), w(0), w(0), w(0), w(0), // OP_CB_SEQUENCE
	w(4), w(1), seq(12, 0xc0), w(0), str(string(goldenFH)), // OP_CB_RECALL
)

// exchangeIDGolden is EXCHANGE_ID4args (RFC 5661 §18.35.1) as the Linux
// client sends it: verifier, owner string, SUPP_MOVED_REFER |
// BIND_PRINC_STATEID, SP4_NONE, and one nfs_impl_id4.
var exchangeIDGolden = cat(
	seq(8, 0x61), str("Linux NFSv4.1 client1"), // client_owner4
	w(0x00000101),                                                                  // eia_flags
	w(0),                                                                           // SP4_NONE
	w(1), str("kernel.org"), str("Linux 6.1.0-28-amd64 #1 SMP x86_64"), h(0), w(0), // impl id<1>
)

var exchangeIDValue = EXCHANGE_ID4args{
	Clientowner:  ClientOwner4{Verifier: Verifier4(seq(8, 0x61)), Ownerid: []byte("Linux NFSv4.1 client1")},
	Flags:        EXCHGID4_FLAG_SUPP_MOVED_REFER | EXCHGID4_FLAG_BIND_PRINC_STATEID,
	StateProtect: StateProtect4A{How: SP4_NONE},
	ClientImplID: []NfsImplId4{{Domain: "kernel.org", Name: "Linux 6.1.0-28-amd64 #1 SMP x86_64"}},
}

// createSessionGolden is CREATE_SESSION4args (RFC 5661 §18.36.1): client
// id, sequence 1, PERSIST | CONN_BACK_CHAN, fore and back channel
// attributes without RDMA, the callback program and one AUTH_SYS
// callback credential.
var createSessionGolden = cat(
	h(0x5f3c1a2b00000001), w(1), w(0x3),
	w(0), w(1049620), w(1049480), w(7584), w(8), w(64), w(0), // fore channel
	w(0), w(4096), w(4096), w(0), w(2), w(16), w(0), // back channel
	w(0x40000000),                                      // cb_program
	w(1), w(1), w(0), str("client1"), w(0), w(0), w(0), // AUTH_SYS parms
)

var createSessionValue = CREATE_SESSION4args{
	Clientid: 0x5f3c1a2b00000001, Sequence: 1,
	Flags:         CREATE_SESSION4_FLAG_PERSIST | CREATE_SESSION4_FLAG_CONN_BACK_CHAN,
	ForeChanAttrs: ChannelAttrs4{Maxrequestsize: 1049620, Maxresponsesize: 1049480, MaxresponsesizeCached: 7584, Maxoperations: 8, Maxrequests: 64},
	BackChanAttrs: ChannelAttrs4{Maxrequestsize: 4096, Maxresponsesize: 4096, Maxoperations: 2, Maxrequests: 16},
	CbProgram:     NFS4_CALLBACK,
	SecParms:      []CallbackSecParms4{{CbSecflavor: AUTH_SYS, SysCred: AuthsysParms{Machinename: "client1"}}},
}

type codec interface {
	xdr.Marshaler
	xdr.Unmarshaler
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		golden []byte
		value  codec
		fresh  func() codec
	}{
		{"SEQUENCE4args", sequenceGolden, &sequenceValue, func() codec { return new(SEQUENCE4args) }},
		{"OPEN4args", openGolden, &openValue, func() codec { return new(OPEN4args) }},
		{"READDIR4resok", readdirGolden, &readdirValue, func() codec { return new(READDIR4resok) }},
		{"EXCHANGE_ID4args", exchangeIDGolden, &exchangeIDValue, func() codec { return new(EXCHANGE_ID4args) }},
		{"CREATE_SESSION4args", createSessionGolden, &createSessionValue, func() codec { return new(CREATE_SESSION4args) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if enc := xdr.Marshal(tc.value); !bytes.Equal(enc, tc.golden) {
				t.Fatalf("encoding:\n%x\nwant\n%x", enc, tc.golden)
			}
			if tc.value.SizeXDR() != len(tc.golden) {
				t.Fatalf("SizeXDR = %d, want %d", tc.value.SizeXDR(), len(tc.golden))
			}
			got := tc.fresh()
			d := xdr.NewDecoder(tc.golden)
			got.UnmarshalXDR(d)
			if d.Err() != nil || d.Remaining() != 0 {
				t.Fatalf("decoding: %v, %d left", d.Err(), d.Remaining())
			}
			if !reflect.DeepEqual(got, tc.value) {
				t.Fatalf("decoded %+v\nwant %+v", got, tc.value)
			}
			// Every truncation is a short buffer, never a panic.
			for n := range len(tc.golden) {
				err := xdr.Unmarshal(tc.golden[:n], tc.fresh())
				if !errors.Is(err, xdr.ErrShortBuffer) {
					t.Fatalf("prefix of %d bytes: %v", n, err)
				}
			}
		})
	}
}

func TestCBCompound(t *testing.T) {
	d := xdr.NewDecoder(cbGolden)
	var head CB_COMPOUND4argsHead
	head.UnmarshalXDR(d)
	if head != (CB_COMPOUND4argsHead{Minorversion: 1, NumOps: 2}) {
		t.Fatalf("head = %+v", head)
	}
	var ops []NfsCbArgop4
	for range head.NumOps {
		var a NfsCbArgop4
		a.UnmarshalXDR(d)
		ops = append(ops, a)
	}
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("err %v, %d left", d.Err(), d.Remaining())
	}
	wantSeq := CB_SEQUENCE4args{Sessionid: goldenSession, Sequenceid: 1}
	if ops[0].Argop != OP_CB_SEQUENCE || !reflect.DeepEqual(ops[0].Sequence, wantSeq) {
		t.Fatalf("op 1 = %+v", ops[0])
	}
	wantRecall := CB_RECALL4args{Stateid: Stateid4{Seqid: 1, Other: [12]byte(seq(12, 0xc0))}, Fh: goldenFH}
	if ops[1].Argop != OP_CB_RECALL || !reflect.DeepEqual(ops[1].Recall, wantRecall) {
		t.Fatalf("op 2 = %+v", ops[1])
	}
	// The server builds the same bytes.
	e := new(xdr.Encoder)
	head.MarshalXDR(e)
	for i := range ops {
		ops[i].MarshalXDR(e)
	}
	if !bytes.Equal(e.Bytes(), cbGolden) {
		t.Fatalf("encoding:\n%x\nwant\n%x", e.Bytes(), cbGolden)
	}
}

// TestCompoundReplyPatch builds a COMPOUND4res the way a server does:
// head first, results appended as operations run, head patched at the end.
func TestCompoundReplyPatch(t *testing.T) {
	for _, tc := range []struct {
		tag    string
		status Nfsstat4
	}{{"", NFS4_OK}, {"abcde", NFS4ERR_STALE}} {
		e := xdr.NewEncoder(make([]byte, 0, 256))
		e.Uint32(0xdeadbeef) // the RPC reply header before it
		off := e.Len()
		head := COMPOUND4resHead{Status: NFS4_OK, Tag: Utf8strCs(tc.tag)}
		head.MarshalXDR(e)
		e.Uint32(uint32(OP_PUTFH))
		(&PUTFH4res{Status: NFS4_OK}).MarshalXDR(e)
		head.NumResults++
		e.Uint32(uint32(OP_GETATTR))
		(&GETATTR4res{Status: tc.status}).MarshalXDR(e)
		head.NumResults++
		head.Status = tc.status
		head.Patch(e, off)

		want := cat(w(0xdeadbeef), w(uint32(tc.status)), str(tc.tag), w(2),
			w(22), w(0), w(9), w(uint32(tc.status)))
		if tc.status == NFS4_OK {
			want = append(want, cat(w(0), w(0))...) // empty fattr4
		}
		if !bytes.Equal(e.Bytes(), want) {
			t.Fatalf("reply:\n%x\nwant\n%x", e.Bytes(), want)
		}
		var got COMPOUND4resHead
		d := xdr.NewDecoder(e.Bytes()[off:])
		got.UnmarshalXDR(d)
		if got != head {
			t.Fatalf("head = %+v, want %+v", got, head)
		}
		var r NfsResop4
		r.UnmarshalXDR(d)
		r.UnmarshalXDR(d)
		if d.Err() != nil || r.Resop != OP_GETATTR || r.Getattr.Status != tc.status {
			t.Fatalf("second result = %+v, %v", r, d.Err())
		}
	}
	var cb CB_COMPOUND4resHead
	e := new(xdr.Encoder)
	cb.Tag = "t"
	cb.MarshalXDR(e)
	cb.Status, cb.NumResults = NFS4ERR_DELAY, 1
	cb.Patch(e, 0)
	if want := cat(w(uint32(NFS4ERR_DELAY)), str("t"), w(1)); !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("CB head %x, want %x", e.Bytes(), want)
	}
}

func TestUnions(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		v    codec
		err  error
	}{
		// An operation number nfs_argop4 does not know: the server
		// answers OP_ILLEGAL itself, the union cannot decode it.
		{"unknown op", w(76), new(NfsArgop4), xdr.ErrBadUnion},
		{"void op GETFH", w(10), new(NfsArgop4), nil},
		{"OP_ILLEGAL", w(10044), new(NfsArgop4), nil},
		{"unknown createmode", w(4), new(Createhow4), xdr.ErrBadUnion},
		{"unknown claim", w(7), new(OpenClaim4), xdr.ErrBadUnion},
		{"CLAIM_FH is void", w(4), new(OpenClaim4), nil},
		{"createtype NF4REG is void", w(1), new(Createtype4), nil},
		{"secinfo AUTH_SYS is void", w(1), new(Secinfo4), nil},
		{"callback flavor unknown", w(3), new(CallbackSecParms4), xdr.ErrBadUnion},
		{"locker bool 2", w(2), new(Locker4), xdr.ErrBadBool},
		{"offload_info default arm", cat(w(uint32(NFS4ERR_IO)), h(77)), new(OffloadInfo4), nil},
		{"LOCK4res denied", cat(w(uint32(NFS4ERR_DENIED)), h(0), h(10), w(2), h(9), str("lo")), new(LOCK4res), nil},
		{"SETCLIENTID4res CLID_INUSE", cat(w(uint32(NFS4ERR_CLID_INUSE)), str("tcp"), str("127.0.0.1.8.1")), new(SETCLIENTID4res), nil},
		{"GETDEVICEINFO4res TOOSMALL", cat(w(uint32(NFS4ERR_TOOSMALL)), w(4096)), new(GETDEVICEINFO4res), nil},
	} {
		d := xdr.NewDecoder(tc.b)
		tc.v.UnmarshalXDR(d)
		if !errors.Is(d.Err(), tc.err) {
			t.Errorf("%s: err %v, want %v", tc.name, d.Err(), tc.err)
			continue
		}
		if tc.err == nil {
			if d.Remaining() != 0 {
				t.Errorf("%s: %d bytes left", tc.name, d.Remaining())
			}
			if enc := xdr.Marshal(tc.v); !bytes.Equal(enc, tc.b) {
				t.Errorf("%s: re-encoding %x, want %x", tc.name, enc, tc.b)
			}
		}
	}
}

// TestRealisticValues decodes values at the sizes real clients send,
// which the bounds must not reject.
func TestRealisticValues(t *testing.T) {
	owner := "4294967294@a-rather-long-nfsv4-id-mapping-domain.example.com"
	acl := Fattr4Acl{
		{Type: ACE4_ACCESS_ALLOWED_ACE_TYPE, AccessMask: ACE4_GENERIC_READ, Who: "OWNER@"},
		{Type: ACE4_ACCESS_DENIED_ACE_TYPE, Flag: ACE4_IDENTIFIER_GROUP, AccessMask: ACE4_WRITE_DATA, Who: Utf8strMixed(owner)},
	}
	var got Fattr4Acl
	if err := xdr.Unmarshal(xdr.Marshal(&acl), &got); err != nil || !reflect.DeepEqual(got, acl) {
		t.Fatalf("acl: %v %+v", err, got)
	}

	write := WRITE4args{Stable: UNSTABLE4, Offset: 1 << 40, Data: bytes.Repeat([]byte{7}, 1<<20)}
	enc := xdr.Marshal(&write)
	var gw WRITE4args
	if err := xdr.Unmarshal(enc, &gw); err != nil || len(gw.Data) != 1<<20 {
		t.Fatalf("1 MiB WRITE: %v, %d bytes", err, len(gw.Data))
	}
	if &gw.Data[0] != &enc[len(enc)-1<<20] {
		t.Fatal("WRITE data does not alias the record")
	}

	// A name longer than any store allows still decodes, so the server can
	// answer NFS4ERR_NAMETOOLONG.
	long := LOOKUP4args{Objname: Component4(bytes.Repeat([]byte("n"), 300))}
	var gl LOOKUP4args
	if err := xdr.Unmarshal(xdr.Marshal(&long), &gl); err != nil || gl != long {
		t.Fatalf("300-byte name: %v", err)
	}

	// Invalid UTF-8 is the server's to judge (NFS4ERR_INVAL/BADCHAR).
	bad := cat(str("\xff\xfe"))
	var gb LOOKUP4args
	if err := xdr.Unmarshal(bad, &gb); err != nil || gb.Objname != "\xff\xfe" {
		t.Fatalf("non-UTF-8 name: %v", err)
	}

	sec := SECINFO4res{Status: NFS4_OK, Resok4: SECINFO4resok{
		{Flavor: RPCSEC_GSS, FlavorInfo: RpcsecGssInfo{Oid: []byte("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"), Service: RPC_GSS_SVC_PRIVACY}},
		{Flavor: RPCSEC_GSS, FlavorInfo: RpcsecGssInfo{Oid: []byte("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"), Service: RPC_GSS_SVC_INTEGRITY}},
		{Flavor: AUTH_SYS},
	}}
	var gs SECINFO4res
	if err := xdr.Unmarshal(xdr.Marshal(&sec), &gs); err != nil || !reflect.DeepEqual(gs, sec) {
		t.Fatalf("secinfo: %v %+v", err, gs)
	}
}

func TestBitmap(t *testing.T) {
	var b Bitmap4
	if b.IsSet(0) || b.IsSet(1000) {
		t.Fatal("empty bitmap has bits")
	}
	b = b.Set(FATTR4_SIZE).Set(FATTR4_MODE).Set(FATTR4_XATTR_SUPPORT)
	if len(b) != 3 || !b.IsSet(FATTR4_SIZE) || !b.IsSet(FATTR4_MODE) || !b.IsSet(82) || b.IsSet(81) {
		t.Fatalf("bitmap %#x", []uint32(b))
	}
	var got []uint32
	for n, ok := b.Next(0); ok; n, ok = b.Next(n + 1) {
		got = append(got, n)
	}
	if !reflect.DeepEqual(got, []uint32{4, 33, 82}) {
		t.Fatalf("Next visits %v", got)
	}
	if n, ok := b.Next(83); ok {
		t.Fatalf("Next(83) = %d", n)
	}
	b.Clear(FATTR4_XATTR_SUPPORT)
	b.Clear(5000)
	if b = b.Trim(); len(b) != 2 {
		t.Fatalf("Trim left %d words", len(b))
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		s    interface{ String() string }
		want string
	}{
		{NFS4ERR_STALE, "NFS4ERR_STALE"},
		{NFS4_OK, "NFS4_OK"},
		{NFS4ERR_XATTR2BIG, "NFS4ERR_XATTR2BIG"},
		{Nfsstat4(10073), "Nfsstat4(10073)"},
		{OP_READ, "OP_READ"},
		{OP_ILLEGAL, "OP_ILLEGAL"},
		{NfsOpnum4(2), "NfsOpnum4(2)"},
		{OP_CB_SEQUENCE, "OP_CB_SEQUENCE"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestSpecialStateids(t *testing.T) {
	var ones [NFS4_OTHER_SIZE]byte
	for i := range ones {
		ones[i] = 0xff
	}
	// Each row: reserved, anonymous, bypass, current, invalid.
	for _, tc := range []struct {
		s    Stateid4
		want [5]bool
	}{
		{Stateid4{}, [5]bool{true, true, false, false, false}},
		{Stateid4{Seqid: NFS4_UINT32_MAX, Other: ones}, [5]bool{true, false, true, false, false}},
		{Stateid4{Seqid: 1}, [5]bool{true, false, false, true, false}},
		{Stateid4{Seqid: NFS4_UINT32_MAX}, [5]bool{true, false, false, false, true}},
		{Stateid4{Seqid: 2}, [5]bool{true, false, false, false, false}},
		{Stateid4{Seqid: 0, Other: ones}, [5]bool{true, false, false, false, false}},
		{Stateid4{Seqid: 0, Other: [12]byte{11: 1}}, [5]bool{}},
		{Stateid4{Seqid: 1, Other: [12]byte(seq(12, 0xc0))}, [5]bool{}},
	} {
		got := [5]bool{tc.s.IsReserved(), tc.s.IsAnonymous(), tc.s.IsReadBypass(), tc.s.IsCurrent(), tc.s.IsInvalid()}
		if got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.s, got, tc.want)
		}
	}
}

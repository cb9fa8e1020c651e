package nfs4

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// kindClient runs compounds of one minor version: in 4.1 each is sent
// after a SEQUENCE of its session (whose result is dropped, so results
// are numbered as in 4.0).
type kindClient struct {
	*client
	sid wire.Sessionid4
	cid wire.Clientid4
	seq uint32
}

func newKindClient(t *testing.T, ts *testServer, minor uint32) *kindClient {
	k := &kindClient{client: ts.dial(0, 0)}
	if minor == 0 {
		k.cid = k.connect("kinds40").id
		return k
	}
	k.minor = 1
	k.sid, k.cid = k.newSession("kinds41")
	return k
}

func (k *kindClient) do(ops ...wire.NfsArgop4) *compoundRes {
	k.t.Helper()
	if k.minor == 0 {
		return k.compound(ops...)
	}
	k.seq++
	r := k.compound(append([]wire.NfsArgop4{sequence(k.sid, 0, k.seq, false)}, ops...)...)
	if len(r.Res) == 0 || r.Res[0].Sequence.Status != wire.NFS4_OK {
		k.t.Fatalf("SEQUENCE: %v", r.Status)
	}
	r.Res = r.Res[1:]
	return r
}

// kindObjects makes an object of every type in the export's root as
// root: a regular file, a directory, a symbolic link, a FIFO, a socket,
// a block and a character device.
func kindObjects(t *testing.T, fs *store.FS) {
	t.Helper()
	ctx, root, r := context.Background(), &store.Cred{}, fs.Root()
	if _, _, _, err := fs.Create(ctx, root, r, "reg", store.CreateGuarded, nil, store.Verifier{}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := fs.Mkdir(ctx, root, r, "dir", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := fs.Symlink(ctx, root, r, "lnk", "reg", nil); err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]store.FileType{"fifo": store.TypeFIFO, "sock": store.TypeSocket,
		"blk": store.TypeBlock, "chr": store.TypeChar} {
		if _, _, _, err := fs.Mknod(ctx, root, r, name, typ, store.Dev{Major: 1, Minor: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// wrongKind is the status of an operation that needs a regular file on
// an object of another type (RFC 8881 §15.1.2.9, §18.3.4, §18.10.3,
// §18.11.3): NFS4ERR_ISDIR for a directory, NFS4ERR_SYMLINK for a
// symbolic link, and for the rest NFS4ERR_WRONG_TYPE in 4.1 and, as
// "in NFSv4.0, such situations generally resulted in the less-specific
// error NFS4ERR_INVAL" (§15.1.2.9), NFS4ERR_INVAL in 4.0. This is what
// Linux knfsd answers since 6.12 (nfsd_mode_check, nfsd4_map_status).
func wrongKind(name string, minor uint32) wire.Nfsstat4 {
	switch name {
	case "reg":
		return wire.NFS4_OK
	case "dir":
		return wire.NFS4ERR_ISDIR
	case "lnk":
		return wire.NFS4ERR_SYMLINK
	}
	if minor == 0 {
		return wire.NFS4ERR_INVAL
	}
	return wire.NFS4ERR_WRONG_TYPE
}

var kindNames = []string{"reg", "dir", "lnk", "fifo", "sock", "blk", "chr"}

// TestWrongKindCommitLockt: COMMIT (RFC 7530 §16.3, RFC 8881 §18.3) and
// LOCKT (RFC 7530 §16.11, RFC 8881 §18.11) on every type of object, in
// both minor versions.
func TestWrongKindCommitLockt(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	for _, minor := range []uint32{0, 1} {
		k := newKindClient(t, ts, minor)
		commit := wire.NfsArgop4{Argop: wire.OP_COMMIT}
		lockt := wire.NfsArgop4{Argop: wire.OP_LOCKT, Lockt: wire.LOCKT4args{Locktype: wire.WRITE_LT, Length: 1,
			Owner: wire.StateOwner4{Clientid: k.cid, Owner: []byte("lo")}}}
		for _, name := range kindNames {
			want := wrongKind(name, minor)
			for _, op := range []wire.NfsArgop4{commit, lockt} {
				if r := k.do(putrootfh(), lookup("export"), lookup(name), op); r.Status != want {
					t.Errorf("4.%d %v on %s: %v, want %v", minor, op.Argop, name, r.Status, want)
				}
			}
		}
	}
}

// TestWrongKindOpen opens every type of object by name (CLAIM_NULL) and,
// in 4.1, by filehandle (CLAIM_FH). RFC 7530 §16.16.5: "If the component
// provided to OPEN resolves to something other than a regular file (or
// a named attribute), an error will be returned to the client. If it is
// a directory, NFS4ERR_ISDIR is returned; otherwise, NFS4ERR_SYMLINK is
// returned. Note that NFS4ERR_SYMLINK is returned for both symlinks and
// for special files of other types; NFS4ERR_INVAL would be
// inappropriate" (Linux knfsd nfsd_check_obj_isreg does the same). RFC
// 8881 §18.16.3: a symbolic link is NFS4ERR_SYMLINK, a directory
// NFS4ERR_ISDIR, any other type NFS4ERR_WRONG_TYPE.
func TestWrongKindOpen(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	want := func(name string, minor uint32) wire.Nfsstat4 {
		switch name {
		case "reg", "dir", "lnk":
			return wrongKind(name, minor)
		}
		if minor == 0 {
			return wire.NFS4ERR_SYMLINK
		}
		return wire.NFS4ERR_WRONG_TYPE
	}
	v := ts.dial(0, 0).connect("open40")
	root := v.exportRoot()
	for _, name := range kindNames {
		for _, access := range []uint32{wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_ACCESS_BOTH} {
			sid, fh, st := v.open(root, name, false, access, 0)
			if st != want(name, 0) {
				t.Errorf("4.0 OPEN of %s: %v, want %v", name, st, want(name, 0))
			}
			if st == wire.NFS4_OK {
				v.close(fh, sid)
			}
		}
	}
	k := newKindClient(t, ts, 1)
	for _, name := range kindNames {
		byName := wire.NfsArgop4{Argop: wire.OP_OPEN, Open: wire.OPEN4args{ShareAccess: wire.OPEN4_SHARE_ACCESS_READ,
			Owner: wire.StateOwner4{Owner: []byte("oo")}, Claim: wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: wire.Component4(name)}}}
		byFH := byName
		byFH.Open.Claim = wire.OpenClaim4{Claim: wire.CLAIM_FH}
		// A successful OPEN is closed in the same compound, through the
		// current stateid.
		closeOp := wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{OpenStateid: wire.Stateid4{Seqid: 1}}}
		if r := k.do(putfh(root), byName, closeOp); r.Status != want(name, 1) {
			t.Errorf("4.1 OPEN of %s: %v, want %v", name, r.Status, want(name, 1))
		}
		if r := k.do(putfh(root), lookup(name), byFH, closeOp); r.Status != want(name, 1) {
			t.Errorf("4.1 OPEN CLAIM_FH of %s: %v, want %v", name, r.Status, want(name, 1))
		}
	}
}

// TestLinkDirectory: LINK whose source (the saved filehandle) is a
// directory is NFS4ERR_ISDIR (RFC 7530 §16.9.5: the error list of LINK;
// RFC 8881 §18.9.3, as Linux knfsd answers).
func TestLinkDirectory(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	for _, minor := range []uint32{0, 1} {
		k := newKindClient(t, ts, minor)
		link := wire.NfsArgop4{Argop: wire.OP_LINK, Link: wire.LINK4args{Newname: "hard"}}
		if r := k.do(putrootfh(), lookup("export"), lookup("dir"), savefh(), lookupp(), link); r.Status != wire.NFS4ERR_ISDIR {
			t.Errorf("4.%d LINK of a directory: %v, want NFS4ERR_ISDIR", minor, r.Status)
		}
	}
}

// TestNameTooLong: a component longer than the file system's maxname
// (255) is NFS4ERR_NAMETOOLONG, not NFS4ERR_NOENT, in every operation
// that takes one (RFC 7530 §12.7 and the error lists of LOOKUP §16.15,
// CREATE §16.4, OPEN §16.16, REMOVE §16.27, RENAME §16.28, LINK §16.9,
// SECINFO §16.31), in an export and in the pseudo-filesystem alike
// (Linux knfsd check_filename: longer than NFS4_MAXNAMLEN).
func TestNameTooLong(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	long := strings.Repeat("n", 256)
	v := ts.dial(0, 0).connect("long")
	ex := v.exportRoot()
	link := wire.NfsArgop4{Argop: wire.OP_LINK, Link: wire.LINK4args{Newname: wire.Component4(long)}}
	secinfo := wire.NfsArgop4{Argop: wire.OP_SECINFO, Secinfo: wire.SECINFO4args{Name: wire.Component4(long)}}
	for _, tc := range []struct {
		name string
		ops  []wire.NfsArgop4
	}{
		{"LOOKUP", []wire.NfsArgop4{putfh(ex), lookup(long)}},
		{"LOOKUP in the pseudo root", []wire.NfsArgop4{putrootfh(), lookup(long)}},
		{"CREATE", []wire.NfsArgop4{putfh(ex), mkdir(long)}},
		{"CREATE in the pseudo root", []wire.NfsArgop4{putrootfh(), mkdir(long)}},
		{"REMOVE", []wire.NfsArgop4{putfh(ex), remove(long)}},
		{"RENAME old name", []wire.NfsArgop4{putfh(ex), savefh(), rename(long, "x")}},
		{"RENAME new name", []wire.NfsArgop4{putfh(ex), savefh(), rename("reg", long)}},
		{"LINK", []wire.NfsArgop4{putfh(ex), lookup("reg"), savefh(), putfh(ex), link}},
		{"SECINFO", []wire.NfsArgop4{putfh(ex), secinfo}},
		{"SECINFO in the pseudo root", []wire.NfsArgop4{putrootfh(), secinfo}},
	} {
		if r := v.compound(tc.ops...); r.Status != wire.NFS4ERR_NAMETOOLONG {
			t.Errorf("%s: %v, want NFS4ERR_NAMETOOLONG", tc.name, r.Status)
		}
	}
	for _, create := range []bool{false, true} {
		if _, _, st := v.open(ex, long, create, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_NAMETOOLONG {
			t.Errorf("OPEN (create %v): %v, want NFS4ERR_NAMETOOLONG", create, st)
		}
		if _, _, st := v.open(v.compound(putrootfh(), getfh()).mustOK(t).last().Getfh.Resok4.Object, long, create,
			wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_NAMETOOLONG {
			t.Errorf("OPEN in the pseudo root (create %v): %v, want NFS4ERR_NAMETOOLONG", create, st)
		}
	}
	// 255 bytes is allowed.
	if r := v.compound(putfh(ex), mkdir(long[:255])); r.Status != wire.NFS4_OK {
		t.Errorf("CREATE of a 255-byte name: %v", r.Status)
	}
}

// TestWriteOnlyAttrs: GETATTR and READDIR asking for time_access_set or
// time_modify_set, which are write-only ("W means write-only (SETATTR
// may set, GETATTR may not retrieve)", RFC 8881 §5.6; RFC 7530 §5.6),
// are NFS4ERR_INVAL, as VERIFY and NVERIFY are (RFC 7530 §16.35.4,
// §16.19.4) and as Linux knfsd answers (nfsd4_getattr, nfsd4_readdir:
// NFSD_WRITEONLY_ATTRS_WORD1).
func TestWriteOnlyAttrs(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	for _, minor := range []uint32{0, 1} {
		k := newKindClient(t, ts, minor)
		for _, bit := range []uint32{wire.FATTR4_TIME_ACCESS_SET, wire.FATTR4_TIME_MODIFY_SET} {
			for _, tc := range []struct {
				what string
				ops  []wire.NfsArgop4
			}{
				{"GETATTR", []wire.NfsArgop4{putrootfh(), lookup("export"), getattr(wire.FATTR4_SIZE, bit)}},
				{"GETATTR in the pseudo root", []wire.NfsArgop4{putrootfh(), getattr(bit)}},
				{"READDIR", []wire.NfsArgop4{putrootfh(), lookup("export"), readdir(0, 8192, wire.FATTR4_FILEID, bit)}},
				{"READDIR of the pseudo root", []wire.NfsArgop4{putrootfh(), readdir(0, 8192, bit)}},
			} {
				if r := k.do(tc.ops...); r.Status != wire.NFS4ERR_INVAL {
					t.Errorf("4.%d %s of attribute %d: %v, want NFS4ERR_INVAL", minor, tc.what, bit, r.Status)
				}
			}
		}
	}
}

// TestReaddirTooSmall: a READDIR whose maxcount cannot hold the
// READDIR4resok of even an empty directory (the cookie verifier, the
// end of the list and eof: 16 bytes) is NFS4ERR_TOOSMALL (RFC 7530
// §16.24.4: maxcount is the size of READDIR4resok; RFC 8881 §18.23.3:
// "If the client specifies a maxcount that is too small to hold even one
// entry, NFS4ERR_TOOSMALL"; Linux knfsd nfsd4_encode_readdir: maxcount
// below 16 is NFS4ERR_TOOSMALL), as is one that holds the verifier and
// eof but no entry of a directory that has one.
func TestReaddirTooSmall(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	if _, _, _, err := ts.fs.Mkdir(context.Background(), &store.Cred{}, ts.fs.Root(), "empty", nil); err != nil {
		t.Fatal(err)
	}
	for _, minor := range []uint32{0, 1} {
		k := newKindClient(t, ts, minor)
		for _, tc := range []struct {
			dir      string
			maxcount uint32
			want     wire.Nfsstat4
		}{
			{"empty", 0, wire.NFS4ERR_TOOSMALL},
			{"empty", 15, wire.NFS4ERR_TOOSMALL},
			{"empty", 16, wire.NFS4_OK},
			{"", 15, wire.NFS4ERR_TOOSMALL},
			{"", 16, wire.NFS4ERR_TOOSMALL},
			{"", 64, wire.NFS4_OK},
		} {
			ops := []wire.NfsArgop4{putrootfh(), lookup("export")}
			if tc.dir != "" {
				ops = append(ops, lookup(tc.dir))
			}
			if r := k.do(append(ops, readdir(0, tc.maxcount))...); r.Status != tc.want {
				t.Errorf("4.%d READDIR of %q, maxcount %d: %v, want %v", minor, tc.dir, tc.maxcount, r.Status, tc.want)
			}
		}
		// The pseudo-filesystem's directories, past their last entry
		// too (an empty reply with eof): the same.
		for _, cookie := range []uint64{0, 1 << 40} {
			if r := k.do(putrootfh(), readdir(cookie, 8)); r.Status != wire.NFS4ERR_TOOSMALL {
				t.Errorf("4.%d READDIR of the pseudo root from cookie %d, maxcount 8: %v, want NFS4ERR_TOOSMALL", minor, cookie, r.Status)
			}
		}
	}
}

// ownerAttrs is a fattr4 of owner or owner_group set to s.
func ownerAttrs(bit uint32, s string) wire.Fattr4 {
	var e xdr.Encoder
	e.String(s)
	return wire.Fattr4{Attrmask: wire.Bitmap4(nil).Set(bit), AttrVals: e.Bytes()}
}

// TestEmptyOwner: an owner or owner_group of zero length is
// NFS4ERR_INVAL in SETATTR and in the createattrs of CREATE and OPEN;
// NFS4ERR_BADOWNER is for a string that has no translation (RFC 8881
// §5.9, §15.1.15.2; RFC 7530 §5.9). Linux knfsd: nfsd_map_name_to_uid
// and nfsd_map_name_to_gid answer a zero length with nfserr_inval.
func TestEmptyOwner(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	for _, minor := range []uint32{0, 1} {
		k := newKindClient(t, ts, minor)
		for _, bit := range []uint32{wire.FATTR4_OWNER, wire.FATTR4_OWNER_GROUP} {
			for _, tc := range []struct {
				val  string
				want wire.Nfsstat4
			}{{"", wire.NFS4ERR_INVAL}, {"nobody-known@nowhere", wire.NFS4ERR_BADOWNER}, {"0", wire.NFS4_OK}} {
				fa := ownerAttrs(bit, tc.val)
				setattr := wire.NfsArgop4{Argop: wire.OP_SETATTR, Setattr: wire.SETATTR4args{ObjAttributes: fa}}
				if r := k.do(putrootfh(), lookup("export"), lookup("reg"), setattr); r.Status != tc.want {
					t.Errorf("4.%d SETATTR %d=%q: %v, want %v", minor, bit, tc.val, r.Status, tc.want)
				}
				name := fmt.Sprintf("c%d-%d-%d", minor, bit, len(tc.val))
				create := mkdir(name)
				create.Create.Createattrs = fa
				if r := k.do(putrootfh(), lookup("export"), create); r.Status != tc.want {
					t.Errorf("4.%d CREATE with %d=%q: %v, want %v", minor, bit, tc.val, r.Status, tc.want)
				}
				open := wire.NfsArgop4{Argop: wire.OP_OPEN, Open: wire.OPEN4args{ShareAccess: wire.OPEN4_SHARE_ACCESS_READ,
					Owner:   wire.StateOwner4{Clientid: k.cid, Owner: []byte("oo")},
					Openhow: wire.Openflag4{Opentype: wire.OPEN4_CREATE, How: wire.Createhow4{Mode: wire.GUARDED4, Createattrs: fa}},
					Claim:   wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: wire.Component4("o" + name)}}}
				if minor == 0 {
					// One OPEN per owner: a fresh open-owner needs no seqid.
					open.Open.Owner.Owner = []byte("oo" + name)
				}
				if r := k.do(putrootfh(), lookup("export"), open); r.Status != tc.want {
					t.Errorf("4.%d OPEN with %d=%q: %v, want %v", minor, bit, tc.val, r.Status, tc.want)
				}
			}
		}
	}
}

// TestWrongKindReadWrite: READ and WRITE (anonymous stateid) on every type
// of object, in both minor versions. RFC 8881 §18.22.3 and §18.32.3: a
// directory is NFS4ERR_ISDIR, a symbolic link NFS4ERR_SYMLINK, any other
// type NFS4ERR_WRONG_TYPE. RFC 7530 §16.23.5 and §16.36.5 say
// NFS4ERR_INVAL for what is neither a regular file nor a directory; Linux
// knfsd answers NFS4ERR_SYMLINK for a symbolic link there too
// (nfsd_mode_check), as for COMMIT, and so do we.
func TestWrongKindReadWrite(t *testing.T) {
	ts := start41(t)
	kindObjects(t, ts.fs)
	for _, minor := range []uint32{0, 1} {
		k := newKindClient(t, ts, minor)
		for _, name := range kindNames {
			want := wrongKind(name, minor)
			for _, op := range []wire.NfsArgop4{read(0, 16), write(0, []byte("x"))} {
				if r := k.do(putrootfh(), lookup("export"), lookup(name), op); r.Status != want {
					t.Errorf("4.%d %v on %s: %v, want %v", minor, op.Argop, name, r.Status, want)
				}
			}
		}
	}
}

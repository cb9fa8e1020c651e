package nfs4

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// Tests of NFSv4.0 open state: share reservations, I/O against deny
// modes, the open-owner and lock-owner replay cache, stateid errors,
// OPEN_DOWNGRADE, SETCLIENTID and RENEW. Sections are of RFC 7530, with
// the RFC 3530 section (the text in specs/) in brackets.

func bypassStateid() wire.Stateid4 {
	s := wire.Stateid4{Seqid: wire.NFS4_UINT32_MAX}
	for i := range s.Other {
		s.Other[i] = 0xff
	}
	return s
}

func closeArgs(seqid uint32, sid wire.Stateid4) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{Seqid: wire.Seqid4(seqid), OpenStateid: sid}}
}

func confirmArgs(seqid uint32, sid wire.Stateid4) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_OPEN_CONFIRM, OpenConfirm: wire.OPEN_CONFIRM4args{Seqid: wire.Seqid4(seqid), OpenStateid: sid}}
}

func downgradeArgs(seqid uint32, sid wire.Stateid4, access, deny uint32) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_OPEN_DOWNGRADE, OpenDowngrade: wire.OPEN_DOWNGRADE4args{
		Seqid: wire.Seqid4(seqid), OpenStateid: sid, ShareAccess: access, ShareDeny: deny}}
}

func lockuArgs(seqid uint32, sid wire.Stateid4, off, n uint64) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_LOCKU, Locku: wire.LOCKU4args{Locktype: wire.WRITE_LT,
		Seqid: wire.Seqid4(seqid), LockStateid: sid, Offset: wire.Offset4(off), Length: wire.Length4(n)}}
}

func setattrSize(sid wire.Stateid4, n uint64) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_SETATTR, Setattr: wire.SETATTR4args{Stateid: sid,
		ObjAttributes: wire.Fattr4{Attrmask: wire.Bitmap4{}.Set(wire.FATTR4_SIZE), AttrVals: binary.BigEndian.AppendUint64(nil, n)}}}
}

// startServerLocks serves with one lock manager for every export, which
// the test also uses directly (another protocol's locks, delegations as
// recallable grants); opts adjust the server further.
func startServerLocks(t *testing.T, opts ...func(*Server)) (*testServer, *locking.Manager) {
	t.Helper()
	mgr, err := locking.Open(context.Background(), locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	return startServerMgr(t, newFS(t), exportsLine, mgr, opts...), mgr
}

// owner returns another open-owner of v's client, with its own seqids.
func (v *v40) owner(name string) *v40 {
	return &v40{client: v.client, id: v.id, name: v.name, openOwner: []byte(name)}
}

// An OPEN is checked against the share reservations of the file with no
// exception for the open-owner's own earlier OPEN (RFC 7530 §9.9, §16.16
// [RFC 3530 §8.9: "This checking of share reservations on OPEN is done
// with no exception for an existing OPEN for the same open_owner"]).
// Linux knfsd does the same (nfs4_file_get_access, nfs4_file_check_deny).
func TestShareDenyOwnOpens(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	a := ts.dial(0, 0).connect("client-a")
	root := a.exportRoot()
	sid, fh, st := a.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_WRITE, wire.OPEN4_SHARE_DENY_READ)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if _, _, st := a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_SHARE_DENIED {
		t.Errorf("OPEN for read by the owner that denies read: %v, want NFS4ERR_SHARE_DENIED", st)
	}
	if _, _, st := a.owner("other owner").open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_SHARE_DENIED {
		t.Errorf("OPEN for read by another owner of the client: %v, want NFS4ERR_SHARE_DENIED", st)
	}
	// The denied upgrade left the open as it was: still write-only.
	if r := a.compound(putfh(fh), writeSid(sid, 0, []byte("x"))); r.Status != wire.NFS4_OK {
		t.Errorf("WRITE after the denied upgrade: %v", r.Status)
	}
	if st := a.close(fh, sid); st != wire.NFS4_OK {
		t.Fatal(st)
	}

	// Deny WRITE, then the same owner asks for write access.
	if _, _, st := a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_DENY_WRITE); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if _, _, st := a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_BOTH, 0); st != wire.NFS4ERR_SHARE_DENIED {
		t.Errorf("OPEN for write by the owner that denies write: %v, want NFS4ERR_SHARE_DENIED", st)
	}
	// And the other way round: the owner reads, then asks to deny read.
	if _, _, st := a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_DENY_READ); st != wire.NFS4ERR_SHARE_DENIED {
		t.Errorf("OPEN denying read by the owner that reads: %v, want NFS4ERR_SHARE_DENIED", st)
	}
	// A compatible second OPEN of the owner is granted.
	if _, _, st := a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4_OK {
		t.Errorf("compatible second OPEN of the owner: %v", st)
	}
}

// READ and WRITE are refused with NFS4ERR_LOCKED when a share reservation
// of another open denies them, whatever the stateid: the anonymous one,
// the all-ones one for WRITE (which "MUST NOT bypass locking checks and
// [is] treated exactly the same as if a stateid of all bits 0 were
// used"), or another owner's stateid whose open lacks the access (RFC
// 7530 §9.1.4.4 [RFC 3530 §8.1.4]). The all-ones READ may bypass the
// check, as Linux knfsd lets it (check_special_stateids).
func TestIODenyReservations(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	a := ts.dial(0, 0).connect("client-a")
	b := ts.dial(0, 0).connect("client-b")
	root := a.exportRoot()
	// b writes (write-only open), then a reads and denies read.
	bsid, fh, st := b.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_WRITE, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	b.compound(putfh(fh), writeSid(bsid, 0, []byte("hello"))).mustOK(t)
	// Before any deny, every special stateid does I/O; a WRITE with the
	// all-ones stateid is an anonymous WRITE.
	for name, sid := range map[string]wire.Stateid4{"anonymous": {}, "all-ones": bypassStateid()} {
		if r := a.compound(putfh(fh), writeSid(sid, 0, []byte("H"))); r.Status != wire.NFS4_OK {
			t.Errorf("WRITE with the %s stateid and no deny: %v", name, r.Status)
		}
		if r := a.compound(putfh(fh), readSid(sid, 0, 5)); r.Status != wire.NFS4_OK {
			t.Errorf("READ with the %s stateid and no deny: %v", name, r.Status)
		}
	}
	asid, _, st := a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_DENY_READ)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	cases := []struct {
		name  string
		op    wire.NfsArgop4
		wantA wire.Nfsstat4
	}{
		{"anonymous READ", readSid(wire.Stateid4{}, 0, 5), wire.NFS4ERR_LOCKED},
		{"all-ones READ (bypass)", readSid(bypassStateid(), 0, 5), wire.NFS4_OK},
		{"anonymous WRITE", writeSid(wire.Stateid4{}, 0, []byte("x")), wire.NFS4_OK},
		{"READ with the other owner's write-only stateid", readSid(bsid, 0, 5), wire.NFS4ERR_LOCKED},
		{"WRITE with the other owner's stateid", writeSid(bsid, 0, []byte("x")), wire.NFS4_OK},
		{"READ with the denying owner's stateid", readSid(asid, 0, 5), wire.NFS4_OK},
	}
	for _, tc := range cases {
		if r := b.compound(putfh(fh), tc.op); r.Status != tc.wantA {
			t.Errorf("deny READ: %s: %v, want %v", tc.name, r.Status, tc.wantA)
		}
	}
	// a also denies write now (b's write access is in the way, so a
	// closes, b closes, and a opens again denying both).
	if st := a.close(fh, asid); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if st := b.close(fh, bsid); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	asid, _, st = a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_DENY_BOTH)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	for _, tc := range []struct {
		name string
		op   wire.NfsArgop4
		want wire.Nfsstat4
	}{
		{"anonymous WRITE", writeSid(wire.Stateid4{}, 0, []byte("x")), wire.NFS4ERR_LOCKED},
		{"all-ones WRITE", writeSid(bypassStateid(), 0, []byte("x")), wire.NFS4ERR_LOCKED},
		{"anonymous SETATTR size", setattrSize(wire.Stateid4{}, 1), wire.NFS4ERR_LOCKED},
		{"anonymous READ", readSid(wire.Stateid4{}, 0, 5), wire.NFS4ERR_LOCKED},
	} {
		if r := b.compound(putfh(fh), tc.op); r.Status != tc.want {
			t.Errorf("deny BOTH: %s: %v, want %v", tc.name, r.Status, tc.want)
		}
	}
	// The owner of the reservation is not kept out by it.
	if r := a.compound(putfh(fh), readSid(asid, 0, 5)); r.Status != wire.NFS4_OK {
		t.Errorf("READ by the denying owner: %v", r.Status)
	}
}

// fattrSizeMode encodes createattrs with size and mode.
func fattrSizeMode(size uint64, mode uint32) wire.Fattr4 {
	v := binary.BigEndian.AppendUint64(nil, size)
	v = binary.BigEndian.AppendUint32(v, mode)
	return wire.Fattr4{Attrmask: wire.Bitmap4{}.Set(wire.FATTR4_SIZE).Set(wire.FATTR4_MODE), AttrVals: v}
}

// OPEN with UNCHECKED4 of an existing file: "the attributes specified by
// createattrs are not used, except that when a size of zero is
// specified, the existing file is truncated" (RFC 7530 §16.16 [RFC 3530
// §14.2.16]). So a size other than zero is ignored like the mode, and
// attrsset names only a size that was applied. Linux knfsd does the same
// (nfsd4_create_file: op_truncate only for a size of 0, applied by
// nfsd4_truncate once the open is granted).
func TestOpenUncheckedExisting(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	v := ts.dial(0, 0).connect("client-a")
	root := v.exportRoot()
	sid, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	v.compound(putfh(fh), writeSid(sid, 0, []byte("0123456789"))).mustOK(t)
	v.close(fh, sid)
	attrs := func() (uint64, uint32) {
		h, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.fs.Root(), "f")
		if err != nil {
			t.Fatal(err)
		}
		at, err := ts.fs.GetAttr(context.Background(), nil, h)
		if err != nil {
			t.Fatal(err)
		}
		return at.Size, at.Mode & 0o7777
	}
	_, mode0 := attrs()
	unchecked := func(size uint64) *compoundRes {
		op := openArgs(v, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
		op.Open.Openhow.How.Createattrs = fattrSizeMode(size, 0o600)
		r := v.compound(putfh(root), op).mustOK(t)
		v.openSeq++
		return r
	}
	r := unchecked(5)
	if size, mode := attrs(); size != 10 || mode != mode0 {
		t.Errorf("UNCHECKED4 with size 5 and mode 0600 over an existing file: size %d mode %o, want 10 and %o", size, mode, mode0)
	}
	if set := r.Res[1].Open.Resok4.Attrset; len(set) != 0 && (set.IsSet(wire.FATTR4_SIZE) || set.IsSet(wire.FATTR4_MODE)) {
		t.Errorf("attrsset %v names attributes that were not applied", set)
	}
	r = unchecked(0)
	if size, mode := attrs(); size != 0 || mode != mode0 {
		t.Errorf("UNCHECKED4 with size 0 over an existing file: size %d mode %o, want 0 and %o", size, mode, mode0)
	}
	if set := r.Res[1].Open.Resok4.Attrset; !set.IsSet(wire.FATTR4_SIZE) || set.IsSet(wire.FATTR4_MODE) {
		t.Errorf("attrsset after truncation: %v, want size only", set)
	}
}

// The replay cache of open-owners and lock-owners (RFC 7530 §9.1.7,
// §16.18 [RFC 3530 §8.1.5, §14.2.18]).
func TestSeqidReplay40(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	v := ts.dial(0, 0).connect("client-a")
	root := v.exportRoot()
	twice := func(name string, ops ...wire.NfsArgop4) *compoundRes {
		t.Helper()
		first := v.compound(ops...)
		second := v.compound(ops...)
		if first.Status != wire.NFS4_OK || second.Status != wire.NFS4_OK {
			t.Errorf("%s: %v, retransmission %v; want both NFS4_OK", name, first.Status, second.Status)
			return first
		}
		if a, b := xdr.Marshal(&first.Res[len(first.Res)-1]), xdr.Marshal(&second.Res[len(second.Res)-1]); !bytes.Equal(a, b) {
			t.Errorf("%s: the retransmission's reply differs", name)
		}
		return first
	}

	// OPEN of a new owner, then OPEN_CONFIRM sent twice.
	r := v.compound(putfh(root), openArgs(v, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0), getfh()).mustOK(t)
	v.openSeq++
	fh := r.Res[2].Getfh.Resok4.Object
	twice("OPEN_CONFIRM", putfh(fh), confirmArgs(v.openSeq, r.Res[1].Open.Resok4.Stateid))
	v.openSeq++

	// An upgrade, then OPEN_DOWNGRADE twice.
	sid2, _, st := v.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	twice("OPEN_DOWNGRADE", putfh(fh), downgradeArgs(v.openSeq, sid2, wire.OPEN4_SHARE_ACCESS_READ, 0))
	v.openSeq++
	// Back to read-write for the locks.
	sid, _, st := v.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}

	// LOCK of a new lock-owner twice, LOCK of the existing one twice,
	// LOCKU twice.
	r = twice("LOCK (new lock-owner)", putfh(fh), lockNew(v, wire.WRITE_LT, 0, 10, sid, "lo"))
	v.openSeq++
	v.lockSeq++
	lsid := r.Res[1].Lock.Resok4.LockStateid
	r = twice("LOCK (existing lock-owner)", putfh(fh), lockExist(v, wire.WRITE_LT, 20, 10, lsid))
	v.lockSeq++
	lsid = r.Res[1].Lock.Resok4.LockStateid
	r = twice("LOCKU", putfh(fh), lockuArgs(v.lockSeq, lsid, 0, 10))
	v.lockSeq++
	lsid = r.Res[1].Locku.LockStateid

	// A seqid that is neither the last nor the next.
	for _, tc := range []struct {
		name string
		op   wire.NfsArgop4
	}{
		{"OPEN_DOWNGRADE", downgradeArgs(v.openSeq+3, sid, wire.OPEN4_SHARE_ACCESS_READ, 0)},
		{"CLOSE", closeArgs(v.openSeq-2, sid)},
		{"LOCKU", lockuArgs(v.lockSeq+7, lsid, 20, 10)},
		{"LOCK", func() wire.NfsArgop4 {
			l := lockExist(v, wire.WRITE_LT, 40, 1, lsid)
			l.Lock.Locker.LockOwner.LockSeqid += 2
			return l
		}()},
	} {
		if r := v.compound(putfh(fh), tc.op); r.Status != wire.NFS4ERR_BAD_SEQID {
			t.Errorf("%s with a seqid out of sequence: %v, want NFS4ERR_BAD_SEQID", tc.name, r.Status)
		}
	}

	// CLOSE twice: the retransmission gets the first reply although
	// the stateid it closed is gone.
	r = twice("CLOSE", putfh(fh), closeArgs(v.openSeq, sid))
	v.openSeq++
	// The seqid after it is checked as usual, and the stateid is gone.
	if r := v.compound(putfh(fh), closeArgs(v.openSeq, sid)); r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("CLOSE of the closed stateid with the next seqid: %v, want NFS4ERR_BAD_STATEID", r.Status)
	}

	// OPEN_CONFIRM with a seqid out of sequence is NFS4ERR_BAD_SEQID,
	// and the unconfirmed OPEN is given up: it cannot be confirmed
	// afterwards (§16.18 [§14.2.18]).
	n := v.owner("new owner")
	r = n.compound(putfh(root), openArgs(n, "f", false, wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_DENY_WRITE)).mustOK(t)
	n.openSeq++
	usid := r.Res[1].Open.Resok4.Stateid
	if r.Res[1].Open.Resok4.Rflags&wire.OPEN4_RESULT_CONFIRM == 0 {
		t.Fatal("OPEN of a new open-owner did not ask for OPEN_CONFIRM")
	}
	// An operation other than OPEN_CONFIRM on the unconfirmed open is
	// NFS4ERR_BAD_STATEID, even with the right seqid.
	for _, op := range []wire.NfsArgop4{
		closeArgs(n.openSeq, usid),
		downgradeArgs(n.openSeq, usid, wire.OPEN4_SHARE_ACCESS_READ, 0),
		lockNew(n, wire.READ_LT, 0, 1, usid, "nlo"),
		readSid(usid, 0, 1),
	} {
		if r := n.compound(putfh(fh), op); r.Status != wire.NFS4ERR_BAD_STATEID {
			t.Errorf("%v on an unconfirmed open: %v, want NFS4ERR_BAD_STATEID", op.Argop, r.Status)
		}
	}
	if r := n.compound(putfh(fh), confirmArgs(n.openSeq+5, usid)); r.Status != wire.NFS4ERR_BAD_SEQID {
		t.Errorf("OPEN_CONFIRM with a seqid out of sequence: %v, want NFS4ERR_BAD_SEQID", r.Status)
	}
	if r := n.compound(putfh(fh), confirmArgs(n.openSeq, usid)); r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("OPEN_CONFIRM after a bad seqid gave the open up: %v, want NFS4ERR_BAD_STATEID", r.Status)
	}
	// Its deny-write reservation went with it.
	if _, _, st := v.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_WRITE, 0); st != wire.NFS4_OK {
		t.Errorf("OPEN for write after the unconfirmed deny-write open was given up: %v", st)
	}
	// A new OPEN of the owner out of sequence starts over: the earlier
	// unconfirmed OPEN is cancelled (§16.18 [§14.2.18]).
	n.openSeq = 100
	r = n.compound(putfh(root), openArgs(n, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0)).mustOK(t)
	n.openSeq++
	first := r.Res[1].Open.Resok4.Stateid
	n.openSeq = 200
	r = n.compound(putfh(root), openArgs(n, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0)).mustOK(t)
	n.openSeq++
	second := r.Res[1].Open.Resok4.Stateid
	if r := n.compound(putfh(fh), confirmArgs(n.openSeq, first)); r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("OPEN_CONFIRM of a cancelled OPEN: %v, want NFS4ERR_BAD_STATEID", r.Status)
	}
	if r := n.compound(putfh(fh), confirmArgs(n.openSeq, second)); r.Status != wire.NFS4_OK {
		t.Errorf("OPEN_CONFIRM of the OPEN that replaced it: %v", r.Status)
	}
}

// rawCall sends a COMPOUND as an RPC call with xid on nc (record marking
// done here, so that a retransmission carries the same xid, as a client's
// does) and returns the reply record.
func rawCall(t *testing.T, nc net.Conn, xid uint32, cred rpc.OpaqueAuth, args *compoundArgs) []byte {
	t.Helper()
	var e xdr.Encoder
	e.Uint32(0) // record mark
	e.Uint32(xid)
	e.Uint32(0) // CALL
	e.Uint32(2)
	e.Uint32(NFSProgram)
	e.Uint32(NFSVersion)
	e.Uint32(1) // COMPOUND
	e.Uint32(uint32(cred.Flavor))
	e.Opaque(cred.Body)
	e.Uint32(0) // AUTH_NONE verifier
	e.Uint32(0)
	args.MarshalXDR(&e)
	b := e.Bytes()
	binary.BigEndian.PutUint32(b, 1<<31|uint32(len(b)-4))
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	var rec []byte
	for {
		var h [4]byte
		if _, err := io.ReadFull(nc, h[:]); err != nil {
			t.Fatal(err)
		}
		n := binary.BigEndian.Uint32(h[:])
		frag := make([]byte, n&^(1<<31))
		if _, err := io.ReadFull(nc, frag); err != nil {
			t.Fatal(err)
		}
		rec = append(rec, frag...)
		if n&(1<<31) != 0 {
			return rec
		}
	}
}

// compoundOf decodes the COMPOUND4res of a reply record (AUTH_NONE or
// AUTH_SYS server verifier, accepted).
func compoundOf(t *testing.T, rec []byte) *compoundRes {
	t.Helper()
	d := xdr.NewDecoder(rec)
	d.Uint32() // xid
	if d.Uint32() != 1 || d.Uint32() != 0 {
		t.Fatalf("not an accepted reply: %x", rec)
	}
	d.Uint32()
	d.Opaque(400)
	if st := d.Uint32(); st != 0 {
		t.Fatalf("accept_stat %d", st)
	}
	var res compoundRes
	res.UnmarshalXDR(d)
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	return &res
}

// A 4.0 COMPOUND with a non-idempotent operation without a seqid (CREATE,
// REMOVE, RENAME, LINK) retransmitted with the same xid over TCP (a
// client retries after its connection broke, RFC 7530 §3.1.1 [RFC 3530
// §3.1.1]) is answered from the duplicate request cache, not run twice,
// which would answer NFS4ERR_EXIST or NFS4ERR_NOENT (§16.33 [§14.2.33]
// assumes such a cache). 4.1 compounds are not cached by it: SEQUENCE
// gives exactly-once semantics (RFC 8881 §2.10.6).
func TestCompoundDRC40(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	mux := rpc.NewServeMux()
	ts.srv.Register(mux)
	dc := &rpc.DuplicateCache{}
	srv := &rpc.Server{Handler: mux, DuplicateCache: dc}
	addr := rpctest.Start(t, srv).String()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	cred := rpc.EncodeAuthSys(1, "test", 0, 0, nil)
	root := ts.dial(0, 0).exportRoot()
	xid := uint32(1000)
	twice := func(name string, ops ...wire.NfsArgop4) {
		t.Helper()
		xid++
		args := &compoundArgs{tag: name, ops: ops}
		first := rawCall(t, nc, xid, cred, args)
		second := rawCall(t, nc, xid, cred, args)
		if st := compoundOf(t, first).Status; st != wire.NFS4_OK {
			t.Fatalf("%s: %v", name, st)
		}
		if st := compoundOf(t, second).Status; st != wire.NFS4_OK || !bytes.Equal(first, second) {
			t.Errorf("%s retransmitted with the same xid: %v, want the first reply again", name, st)
		}
		// And on a new connection, as after a reconnect.
		nc2, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc2.Close()
		if third := rawCall(t, nc2, xid, cred, args); !bytes.Equal(first, third) {
			t.Errorf("%s retransmitted with the same xid on a new connection: %v, want the first reply again", name, compoundOf(t, third).Status)
		}
	}
	twice("CREATE", putfh(root), mkdir("d"))
	twice("RENAME", putfh(root), savefh(), rename("d", "e"))
	twice("REMOVE", putfh(root), remove("e"))
	// LINK of a regular file.
	v := ts.dial(0, 0).connect("client-a")
	sid, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	v.close(fh, sid)
	twice("LINK", putfh(fh), savefh(), putfh(root), wire.NfsArgop4{Argop: wire.OP_LINK, Link: wire.LINK4args{Newname: "g"}})
	if entries, _, hits, _ := dc.Stats(); entries == 0 || hits < 8 {
		t.Errorf("duplicate cache: %d entries, %d hits", entries, hits)
	}
	// A read-only 4.0 compound, and any 4.1 compound, are not cached.
	p := program{ts.srv}
	call := func(minor uint32, ops ...wire.NfsArgop4) *rpc.Call {
		b := xdr.Marshal(&compoundArgs{tag: "t", minor: minor, ops: ops})
		return &rpc.Call{Prog: NFSProgram, Vers: NFSVersion, Proc: 1, Args: xdr.NewDecoder(b)}
	}
	for _, tc := range []struct {
		name string
		c    *rpc.Call
		want bool
	}{
		{"4.0 REMOVE", call(0, putfh(root), remove("x")), true},
		{"4.0 CREATE", call(0, putfh(root), mkdir("x")), true},
		{"4.0 RENAME", call(0, putfh(root), savefh(), rename("x", "y")), true},
		{"4.0 LOOKUP GETATTR", call(0, putfh(root), lookup("x"), getattr(wire.FATTR4_SIZE)), false},
		{"4.0 READ", call(0, putfh(root), read(0, 10)), false},
		{"4.1 SEQUENCE REMOVE", call(1, wire.NfsArgop4{Argop: wire.OP_SEQUENCE}, putfh(root), remove("x")), false},
		{"NULL", &rpc.Call{Prog: NFSProgram, Vers: NFSVersion, Proc: 0, Args: xdr.NewDecoder(nil)}, false},
		{"garbage", &rpc.Call{Prog: NFSProgram, Vers: NFSVersion, Proc: 1, Args: xdr.NewDecoder([]byte{0, 0, 0, 9})}, false},
	} {
		if got := p.NonIdempotentCall(tc.c); got != tc.want {
			t.Errorf("%s: NonIdempotentCall %v, want %v", tc.name, got, tc.want)
		}
		if tc.c.Args.Offset() != 0 {
			t.Errorf("%s: the classification consumed the arguments", tc.name)
		}
	}
}

// Stateid errors (RFC 7530 §9.1.3 [RFC 3530 §8.1.3]): a stateid of this
// server instance that it no longer knows, or that never existed, is
// NFS4ERR_BAD_STATEID, and so is a special stateid where none is
// allowed; NFS4ERR_STALE_STATEID is only for a stateid of an earlier
// instance. After a client's reboot is confirmed (SETCLIENTID_CONFIRM
// with a new verifier), the old incarnation's stateids are
// NFS4ERR_EXPIRED: its lease and state were given up (§16.34 [§14.2.34];
// Linux knfsd answers EXPIRED for a stateid of a client it dropped).
func TestStateidErrors40(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	c := ts.dial(0, 0)
	v := c.connect("client-a")
	root := v.exportRoot()
	// A live open and lock of another file, so that the client and its
	// owners exist.
	live, lfh, st := v.open(root, "live", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	v.compound(putfh(lfh), lockNew(v, wire.WRITE_LT, 0, 1, live, "lo")).mustOK(t)
	v.openSeq++
	v.lockSeq++
	closed, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if st := v.close(fh, closed); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	closed.Seqid++
	epoch := binary.BigEndian.Uint32(live.Other[0:]) // the boot epoch, in every stateid
	withOther := func(epoch, client, idx uint32) wire.Stateid4 {
		s := wire.Stateid4{Seqid: 1}
		binary.BigEndian.PutUint32(s.Other[0:], epoch)
		binary.BigEndian.PutUint32(s.Other[4:], client)
		binary.BigEndian.PutUint32(s.Other[8:], idx)
		return s
	}
	clientIdx := binary.BigEndian.Uint32(live.Other[4:])
	stateids := []struct {
		name string
		sid  wire.Stateid4
		want wire.Nfsstat4
	}{
		{"closed", closed, wire.NFS4ERR_BAD_STATEID},
		{"never issued, known client", withOther(epoch, clientIdx, 0x7fff0000), wire.NFS4ERR_BAD_STATEID},
		{"never issued, unknown client", withOther(epoch, clientIdx^0x5a5a, 3), wire.NFS4ERR_BAD_STATEID},
		{"earlier instance", withOther(epoch-1, clientIdx, 3), wire.NFS4ERR_STALE_STATEID},
	}
	ops := func(sid wire.Stateid4) []struct {
		name    string
		op      wire.NfsArgop4
		special bool // the special stateids are allowed
	} {
		return []struct {
			name    string
			op      wire.NfsArgop4
			special bool
		}{
			{"CLOSE", closeArgs(v.openSeq, sid), false},
			{"OPEN_CONFIRM", confirmArgs(v.openSeq, sid), false},
			{"OPEN_DOWNGRADE", downgradeArgs(v.openSeq, sid, wire.OPEN4_SHARE_ACCESS_READ, 0), false},
			{"LOCK (new lock-owner)", lockNew(v, wire.READ_LT, 0, 1, sid, "lo2"), false},
			{"LOCK (existing lock-owner)", lockExist(v, wire.READ_LT, 0, 1, sid), false},
			{"LOCKU", lockuArgs(v.lockSeq, sid, 0, 1), false},
			{"READ", readSid(sid, 0, 1), true},
			{"WRITE", writeSid(sid, 0, []byte("x")), true},
			{"SETATTR", setattrSize(sid, 1), true},
		}
	}
	for _, s := range stateids {
		for _, op := range ops(s.sid) {
			if r := v.compound(putfh(fh), op.op); r.Status != s.want {
				t.Errorf("%s with a %s stateid: %v, want %v", op.name, s.name, r.Status, s.want)
			}
		}
	}
	for name, sid := range map[string]wire.Stateid4{"anonymous": {}, "all-ones": bypassStateid()} {
		for _, op := range ops(sid) {
			if r := v.compound(putfh(fh), op.op); !op.special && r.Status != wire.NFS4ERR_BAD_STATEID {
				t.Errorf("%s with the %s stateid: %v, want NFS4ERR_BAD_STATEID", op.name, name, r.Status)
			}
		}
	}
	// The client reboots: once the new incarnation is confirmed, the
	// old one's stateids are expired.
	r := c.compound(setclientid("client-a", 2, "127.0.0.1.0.1")).mustOK(t)
	ok := r.Res[0].Setclientid.Resok4
	c.compound(setclientidConfirm(ok.Clientid, ok.SetclientidConfirm)).mustOK(t)
	for _, op := range ops(live) {
		if r := v.compound(putfh(lfh), op.op); r.Status != wire.NFS4ERR_EXPIRED {
			t.Errorf("%s with a stateid of the rebooted client: %v, want NFS4ERR_EXPIRED", op.name, r.Status)
		}
	}
}

// OPEN_DOWNGRADE must name a union of the access and deny modes of some of
// the owner's OPENs of the file; else NFS4ERR_INVAL (RFC 7530 §16.19
// [RFC 3530 §14.2.19]).
func TestOpenDowngradeModes(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	v := ts.dial(0, 0).connect("client-a")
	root := v.exportRoot()
	down := func(v *v40, fh []byte, sid *wire.Stateid4, access, deny uint32) wire.Nfsstat4 {
		r := v.compound(putfh(fh), downgradeArgs(v.openSeq, *sid, access, deny))
		v.openSeq++
		if r.Status == wire.NFS4_OK {
			*sid = r.Res[1].OpenDowngrade.Resok4.OpenStateid
		}
		return r.Status
	}
	// One OPEN for read-write: read alone was never asked for.
	sid, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if st := down(v, fh, &sid, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_INVAL {
		t.Errorf("downgrade of a read-write open to read: %v, want NFS4ERR_INVAL", st)
	}
	if st := down(v, fh, &sid, wire.OPEN4_SHARE_ACCESS_BOTH, wire.OPEN4_SHARE_DENY_READ); st != wire.NFS4ERR_INVAL {
		t.Errorf("downgrade to a deny mode never asked for: %v, want NFS4ERR_INVAL", st)
	}
	if st := down(v, fh, &sid, wire.OPEN4_SHARE_ACCESS_BOTH, 0); st != wire.NFS4_OK {
		t.Errorf("downgrade to the modes of the OPEN: %v", st)
	}

	// OPENs for read and for write: both, and each, are unions of them.
	w := v.owner("owner 2")
	sid, gfh, st := w.open(root, "g", true, wire.OPEN4_SHARE_ACCESS_READ, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if sid, _, st = w.open(root, "g", false, wire.OPEN4_SHARE_ACCESS_WRITE, 0); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if st := down(w, gfh, &sid, wire.OPEN4_SHARE_ACCESS_BOTH, 0); st != wire.NFS4_OK {
		t.Errorf("downgrade to the union of read and write: %v", st)
	}
	if st := down(w, gfh, &sid, wire.OPEN4_SHARE_ACCESS_WRITE, 0); st != wire.NFS4_OK {
		t.Errorf("downgrade to write: %v", st)
	}
	// Read was given up by the downgrade.
	if st := down(w, gfh, &sid, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_INVAL {
		t.Errorf("downgrade to read after giving it up: %v, want NFS4ERR_INVAL", st)
	}

	// Read with deny none and read with deny write.
	x := v.owner("owner 3")
	sid, hfh, st := x.open(root, "h", true, wire.OPEN4_SHARE_ACCESS_READ, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if sid, _, st = x.open(root, "h", false, wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_DENY_WRITE); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if st := down(x, hfh, &sid, wire.OPEN4_SHARE_ACCESS_READ, wire.OPEN4_SHARE_DENY_READ); st != wire.NFS4ERR_INVAL {
		t.Errorf("downgrade to deny read: %v, want NFS4ERR_INVAL", st)
	}
	if st := down(x, hfh, &sid, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4_OK {
		t.Errorf("downgrade to deny none: %v", st)
	}
}

// SETCLIENTID by the principal of the confirmed record is never
// NFS4ERR_CLID_INUSE, whatever its callback or verifier; another
// principal is, while the record's lease lives (RFC 7530 §16.33 [RFC
// 3530 §14.2.33]).
func TestSetclientidSamePrincipal(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	c := ts.dial(0, 0)
	v := c.connect("x")
	root := v.exportRoot()
	if _, _, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	for _, tc := range []struct {
		name string
		verf byte
		cb   string
	}{
		{"same verifier, other callback", 1, "127.0.0.1.0.9"},
		{"other verifier, same callback", 2, "127.0.0.1.0.1"},
		{"other verifier, other callback", 3, "127.0.0.1.0.8"},
		{"first verifier again", 1, "127.0.0.1.0.7"},
	} {
		// Another connection of the same principal (uid 0, gid 0),
		// with other supplementary groups.
		o := ts.dial(0, 0, 5, 6)
		if r := o.compound(setclientid("x", tc.verf, tc.cb)); r.Status != wire.NFS4_OK {
			t.Errorf("SETCLIENTID, %s: %v, want NFS4_OK", tc.name, r.Status)
		}
	}
	if r := ts.dial(1000, 1000).compound(setclientid("x", 1, "127.0.0.1.0.1")); r.Status != wire.NFS4ERR_CLID_INUSE {
		t.Errorf("SETCLIENTID by another principal: %v, want NFS4ERR_CLID_INUSE", r.Status)
	}
}

// RENEW answers NFS4ERR_CB_PATH_DOWN only to a client that holds
// delegations while its callback path is down (RFC 7530 §16.28 [RFC
// 3530 §14.2.28 IMPLEMENTATION: "When the client holds delegations, it
// needs to use RENEW to detect when the server has determined that the
// callback path is down"]); a client without delegations needs no
// callback path and gets NFS4_OK, as from Linux knfsd (nfsd4_renew).
func TestRenewCallbackPath(t *testing.T) {
	ts, mgr := startServerLocks(t, func(s *Server) { s.NoCallbacks = true }) // the path is down
	v := ts.dial(0, 0).connect("client-a")
	renew := wire.NfsArgop4{Argop: wire.OP_RENEW, Renew: wire.RENEW4args{Clientid: v.id}}
	if r := v.compound(renew); r.Status != wire.NFS4_OK {
		t.Errorf("RENEW without delegations, callback path down: %v, want NFS4_OK", r.Status)
	}
	// A delegation of the client (a recallable grant in the lock
	// manager): now the path matters.
	root := v.exportRoot()
	sid, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_READ, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	h, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.fs.Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	id, err := mgr.Grant(context.Background(), h.ID, locking.Owner{Proto: locking.ProtoNFS4, Client: "client-a"}, locking.GrantRead, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := v.compound(renew); r.Status != wire.NFS4ERR_CB_PATH_DOWN {
		t.Errorf("RENEW with a delegation, callback path down: %v, want NFS4ERR_CB_PATH_DOWN", r.Status)
	}
	if err := mgr.Return(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if r := v.compound(renew); r.Status != wire.NFS4_OK {
		t.Errorf("RENEW after the delegation was returned: %v, want NFS4_OK", r.Status)
	}
	v.close(fh, sid)
}

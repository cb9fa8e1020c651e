package nfs4

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
)

// A 4.0 client session in tests: its clientid and the seqids of its
// open-owner and lock-owner.
type v40 struct {
	*client
	id        wire.Clientid4
	name      string
	openSeq   uint32
	lockSeq   uint32
	openOwner []byte
}

func setclientid(name string, verf byte, cbAddr string) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_SETCLIENTID, Setclientid: wire.SETCLIENTID4args{
		Client:   wire.NfsClientId4{Verifier: wire.Verifier4{verf}, ID: []byte(name)},
		Callback: wire.CbClient4{CbProgram: 0x40000000, CbLocation: wire.Netaddr4{RNetid: "tcp", RAddr: cbAddr}}}}
}

func setclientidConfirm(id wire.Clientid4, v wire.Verifier4) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_SETCLIENTID_CONFIRM, SetclientidConfirm: wire.SETCLIENTID_CONFIRM4args{Clientid: id, SetclientidConfirm: v}}
}

// connect makes a confirmed 4.0 client named name.
func (c *client) connect(name string) *v40 {
	c.t.Helper()
	r := c.compound(setclientid(name, 1, "127.0.0.1.0.1")).mustOK(c.t)
	ok := r.Res[0].Setclientid.Resok4
	c.compound(setclientidConfirm(ok.Clientid, ok.SetclientidConfirm)).mustOK(c.t)
	return &v40{client: c, id: ok.Clientid, name: name, openOwner: []byte("open-owner " + name)}
}

func openArgs(v *v40, name string, create bool, access, deny uint32) wire.NfsArgop4 {
	a := wire.OPEN4args{Seqid: wire.Seqid4(v.openSeq), ShareAccess: access, ShareDeny: deny,
		Owner: wire.StateOwner4{Clientid: v.id, Owner: v.openOwner},
		Claim: wire.OpenClaim4{Claim: wire.CLAIM_NULL, File: wire.Component4(name)}}
	if create {
		a.Openhow = wire.Openflag4{Opentype: wire.OPEN4_CREATE, How: wire.Createhow4{Mode: wire.UNCHECKED4}}
	}
	return wire.NfsArgop4{Argop: wire.OP_OPEN, Open: a}
}

// open opens name in directory dir and confirms the owner when asked; it
// returns the open stateid and the file's handle.
func (v *v40) open(dir []byte, name string, create bool, access, deny uint32) (wire.Stateid4, []byte, wire.Nfsstat4) {
	v.t.Helper()
	r := v.compound(putfh(dir), openArgs(v, name, create, access, deny), getfh())
	if len(r.Res) >= 2 && seqidBumps(r.Res[1].Open.Status) {
		v.openSeq++
	}
	if r.Status != wire.NFS4_OK {
		return wire.Stateid4{}, nil, r.Status
	}
	ok := r.Res[1].Open.Resok4
	fh := r.Res[2].Getfh.Resok4.Object
	sid := ok.Stateid
	if ok.Rflags&wire.OPEN4_RESULT_CONFIRM != 0 {
		c := v.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_OPEN_CONFIRM,
			OpenConfirm: wire.OPEN_CONFIRM4args{OpenStateid: sid, Seqid: wire.Seqid4(v.openSeq)}}).mustOK(v.t)
		v.openSeq++
		sid = c.Res[1].OpenConfirm.Resok4.OpenStateid
	}
	return sid, fh, wire.NFS4_OK
}

func (v *v40) close(fh []byte, sid wire.Stateid4) wire.Nfsstat4 {
	r := v.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_CLOSE, Close: wire.CLOSE4args{Seqid: wire.Seqid4(v.openSeq), OpenStateid: sid}})
	v.openSeq++
	return r.Status
}

func lockNew(v *v40, typ wire.NfsLockType4, off, n uint64, open wire.Stateid4, owner string) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_LOCK, Lock: wire.LOCK4args{Locktype: typ, Offset: wire.Offset4(off), Length: wire.Length4(n),
		Locker: wire.Locker4{NewLockOwner: true, OpenOwner: wire.OpenToLockOwner4{OpenSeqid: wire.Seqid4(v.openSeq), OpenStateid: open,
			LockSeqid: wire.Seqid4(v.lockSeq), LockOwner: wire.StateOwner4{Clientid: v.id, Owner: []byte(owner)}}}}}
}

func lockExist(v *v40, typ wire.NfsLockType4, off, n uint64, lsid wire.Stateid4) wire.NfsArgop4 {
	return wire.NfsArgop4{Argop: wire.OP_LOCK, Lock: wire.LOCK4args{Locktype: typ, Offset: wire.Offset4(off), Length: wire.Length4(n),
		Locker: wire.Locker4{LockOwner: wire.ExistLockOwner4{LockStateid: lsid, LockSeqid: wire.Seqid4(v.lockSeq)}}}}
}

func writeSid(sid wire.Stateid4, off uint64, p []byte) wire.NfsArgop4 {
	w := write(off, p)
	w.Write.Stateid = sid
	return w
}

func readSid(sid wire.Stateid4, off uint64, n uint32) wire.NfsArgop4 {
	r := read(off, n)
	r.Read.Stateid = sid
	return r
}

// exportRoot returns the handle of /export.
func (c *client) exportRoot() []byte {
	c.t.Helper()
	r := c.compound(putrootfh(), lookup("export"), getfh()).mustOK(c.t)
	return r.last().Getfh.Resok4.Object
}

func TestOpenWriteReadClose(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	v := ts.dial(0, 0).connect("client-a")
	root := v.exportRoot()
	sid, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, wire.OPEN4_SHARE_DENY_NONE)
	if st != wire.NFS4_OK {
		t.Fatalf("OPEN: %v", st)
	}
	if sid.Seqid != 2 {
		t.Errorf("stateid generation after OPEN_CONFIRM = %d, want 2", sid.Seqid)
	}
	v.compound(putfh(fh), writeSid(sid, 0, []byte("hello"))).mustOK(t)
	r := v.compound(putfh(fh), readSid(sid, 0, 100)).mustOK(t)
	if got := r.Res[1].Read.Resok4.Data; string(got) != "hello" {
		t.Errorf("READ = %q", got)
	}
	// An old generation of the stateid.
	old := sid
	old.Seqid = 1
	if r := v.compound(putfh(fh), readSid(old, 0, 1)); r.Status != wire.NFS4ERR_OLD_STATEID {
		t.Errorf("READ with an old stateid: %v, want NFS4ERR_OLD_STATEID", r.Status)
	}
	future := sid
	future.Seqid = 9
	if r := v.compound(putfh(fh), readSid(future, 0, 1)); r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("READ with a future stateid: %v, want NFS4ERR_BAD_STATEID", r.Status)
	}
	// The stateid belongs to f, not to the directory.
	if r := v.compound(putfh(root), readSid(sid, 0, 1)); r.Status != wire.NFS4ERR_ISDIR && r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("READ of another file with the stateid: %v", r.Status)
	}
	if st := v.close(fh, sid); st != wire.NFS4_OK {
		t.Fatalf("CLOSE: %v", st)
	}
	if r := v.compound(putfh(fh), readSid(sid, 0, 1)); r.Status != wire.NFS4ERR_BAD_STATEID && r.Status != wire.NFS4ERR_OLD_STATEID {
		t.Errorf("READ after CLOSE: %v, want a bad stateid", r.Status)
	}
	// Reading with the anonymous stateid still works.
	if r := v.compound(putfh(fh), read(0, 5)).mustOK(t); string(r.Res[1].Read.Resok4.Data) != "hello" {
		t.Errorf("anonymous READ = %q", r.Res[1].Read.Resok4.Data)
	}
}

func TestOpenErrors(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	c := ts.dial(0, 0)
	v := c.connect("client-a")
	root := v.exportRoot()
	c.compound(putfh(root), mkdir("d")).mustOK(t)
	cases := []struct {
		name   string
		file   string
		create bool
		access uint32
		want   wire.Nfsstat4
	}{
		{"missing", "nope", false, wire.OPEN4_SHARE_ACCESS_READ, wire.NFS4ERR_NOENT},
		{"directory", "d", false, wire.OPEN4_SHARE_ACCESS_READ, wire.NFS4ERR_ISDIR},
		{"dot", ".", true, wire.OPEN4_SHARE_ACCESS_READ, wire.NFS4ERR_BADNAME},
		{"slash", "a/b", true, wire.OPEN4_SHARE_ACCESS_READ, wire.NFS4ERR_BADCHAR},
		{"empty", "", true, wire.OPEN4_SHARE_ACCESS_READ, wire.NFS4ERR_INVAL},
		{"no access", "x", true, 0, wire.NFS4ERR_INVAL},
		{"bad access", "x", true, 7, wire.NFS4ERR_INVAL},
	}
	for _, tc := range cases {
		_, _, st := v.open(root, tc.file, tc.create, tc.access, 0)
		if st != tc.want {
			t.Errorf("%s: OPEN = %v, want %v", tc.name, st, tc.want)
		}
	}
	// An unknown clientid.
	bad := *v
	bad.id = v.id ^ 0xffff
	if _, _, st := bad.open(root, "x", true, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_STALE_CLIENTID {
		t.Errorf("OPEN with an unknown clientid: %v", st)
	}
	// A wrong seqid of a confirmed owner.
	if _, _, st := v.open(root, "y", true, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4_OK {
		t.Fatalf("OPEN: %v", st)
	}
	v.openSeq += 5
	if _, _, st := v.open(root, "y", false, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_BAD_SEQID {
		t.Errorf("OPEN with a wrong seqid: %v, want NFS4ERR_BAD_SEQID", st)
	}
}

func TestSeqidReplay(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	v := ts.dial(0, 0).connect("client-a")
	root := v.exportRoot()
	_, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	// The same OPEN twice with one seqid: the second is a retransmission
	// and gets the first reply bit for bit, with the file as current
	// filehandle.
	args := []wire.NfsArgop4{putfh(root), openArgs(v, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0), getfh()}
	first := v.compound(args...).mustOK(t)
	second := v.compound(args...).mustOK(t)
	v.openSeq++
	if first.Res[1].Open.Resok4.Stateid != second.Res[1].Open.Resok4.Stateid {
		t.Errorf("replayed OPEN stateid %v, first %v", second.Res[1].Open.Resok4.Stateid, first.Res[1].Open.Resok4.Stateid)
	}
	if !bytes.Equal(second.Res[2].Getfh.Resok4.Object, fh) {
		t.Errorf("replayed OPEN left the current filehandle elsewhere")
	}
	// The next seqid goes on from there: the upgrade stateid is newer.
	sid, _, st := v.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0)
	if st != wire.NFS4_OK || sid.Seqid <= first.Res[1].Open.Resok4.Stateid.Seqid {
		t.Errorf("OPEN after the replay: %v, stateid %v", st, sid)
	}
}

func TestShareDeny(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	a := ts.dial(0, 0).connect("client-a")
	b := ts.dial(0, 0).connect("client-b")
	root := a.exportRoot()
	// An OPEN for read, then one for both denying write: the downgrade
	// below goes back to the first (RFC 7530 §16.19).
	if _, _, st := a.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	sid, fh, st := a.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_BOTH, wire.OPEN4_SHARE_DENY_WRITE)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	if _, _, st := b.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_WRITE, 0); st != wire.NFS4ERR_SHARE_DENIED {
		t.Errorf("OPEN for write against DENY_WRITE: %v, want NFS4ERR_SHARE_DENIED", st)
	}
	if _, _, st := b.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4_OK {
		t.Errorf("OPEN for read against DENY_WRITE: %v", st)
	}
	// OPEN_DOWNGRADE to read only with no deny lets b write.
	r := a.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_OPEN_DOWNGRADE, OpenDowngrade: wire.OPEN_DOWNGRADE4args{
		OpenStateid: sid, Seqid: wire.Seqid4(a.openSeq), ShareAccess: wire.OPEN4_SHARE_ACCESS_READ}}).mustOK(t)
	a.openSeq++
	sid = r.Res[1].OpenDowngrade.Resok4.OpenStateid
	if r := a.compound(putfh(fh), writeSid(sid, 0, []byte("x"))); r.Status != wire.NFS4ERR_OPENMODE {
		t.Errorf("WRITE with a read-only open: %v, want NFS4ERR_OPENMODE", r.Status)
	}
	if _, _, st := b.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_WRITE, 0); st != wire.NFS4_OK {
		t.Errorf("OPEN for write after the downgrade: %v", st)
	}
	// A downgrade to more than the open has is INVAL.
	r = a.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_OPEN_DOWNGRADE, OpenDowngrade: wire.OPEN_DOWNGRADE4args{
		OpenStateid: sid, Seqid: wire.Seqid4(a.openSeq), ShareAccess: wire.OPEN4_SHARE_ACCESS_BOTH}})
	a.openSeq++
	if r.Status != wire.NFS4ERR_INVAL {
		t.Errorf("OPEN_DOWNGRADE upwards: %v, want NFS4ERR_INVAL", r.Status)
	}
}

func TestLocks(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	a := ts.dial(0, 0).connect("client-a")
	b := ts.dial(0, 0).connect("client-b")
	root := a.exportRoot()
	asid, fh, st := a.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	bsid, _, st := b.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	r := a.compound(putfh(fh), lockNew(a, wire.WRITE_LT, 0, 100, asid, "pid 1")).mustOK(t)
	a.openSeq++
	a.lockSeq++
	alock := r.Res[1].Lock.Resok4.LockStateid
	// b is denied, and told who holds the range.
	r = b.compound(putfh(fh), lockNew(b, wire.WRITE_LT, 50, 10, bsid, "pid 2"))
	b.openSeq++
	if r.Status != wire.NFS4ERR_DENIED {
		t.Fatalf("conflicting LOCK: %v, want NFS4ERR_DENIED", r.Status)
	}
	d := r.Res[1].Lock.Denied
	if d.Offset != 0 || d.Length != 100 || d.Locktype != wire.WRITE_LT || d.Owner.Clientid != a.id || string(d.Owner.Owner) != "pid 1" {
		t.Errorf("LOCK4denied = %+v", d)
	}
	lockt := func(v *v40, typ wire.NfsLockType4, off, n uint64) wire.Nfsstat4 {
		return v.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_LOCKT, Lockt: wire.LOCKT4args{Locktype: typ,
			Offset: wire.Offset4(off), Length: wire.Length4(n), Owner: wire.StateOwner4{Clientid: v.id, Owner: []byte("pid 2")}}}).Status
	}
	if st := lockt(b, wire.READ_LT, 99, 1); st != wire.NFS4ERR_DENIED {
		t.Errorf("LOCKT in the range: %v", st)
	}
	if st := lockt(b, wire.WRITE_LT, 100, ^uint64(0)); st != wire.NFS4_OK {
		t.Errorf("LOCKT past the range: %v", st)
	}
	// Bad ranges.
	if st := lockt(b, wire.READ_LT, 10, 0); st != wire.NFS4ERR_INVAL {
		t.Errorf("LOCKT of length 0: %v", st)
	}
	if st := lockt(b, wire.READ_LT, 10, ^uint64(0)-5); st != wire.NFS4ERR_INVAL {
		t.Errorf("LOCKT past 2^64: %v", st)
	}
	// a unlocks part: b gets that part.
	r = a.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_LOCKU, Locku: wire.LOCKU4args{Locktype: wire.WRITE_LT,
		Seqid: wire.Seqid4(a.lockSeq), LockStateid: alock, Offset: 50, Length: 50}}).mustOK(t)
	a.lockSeq++
	alock = r.Res[1].Locku.LockStateid
	r = b.compound(putfh(fh), lockNew(b, wire.WRITE_LT, 50, 10, bsid, "pid 2")).mustOK(t)
	b.openSeq++
	b.lockSeq++
	// RELEASE_LOCKOWNER with locks held fails.
	rel := a.compound(wire.NfsArgop4{Argop: wire.OP_RELEASE_LOCKOWNER, ReleaseLockowner: wire.RELEASE_LOCKOWNER4args{
		LockOwner: wire.StateOwner4{Clientid: a.id, Owner: []byte("pid 1")}}})
	if rel.Status != wire.NFS4ERR_LOCKS_HELD {
		t.Errorf("RELEASE_LOCKOWNER with locks: %v", rel.Status)
	}
	// A second lock through the existing lock-owner, then a write lock
	// on a read-only... a's open is read-write; lock more of the file.
	r = a.compound(putfh(fh), lockExist(a, wire.READ_LT, 200, 10, alock)).mustOK(t)
	a.lockSeq++
	alock = r.Res[1].Lock.Resok4.LockStateid
	// CLOSE releases a's locks: b can lock 0-50 now.
	if st := a.close(fh, asid); st != wire.NFS4_OK {
		t.Fatalf("CLOSE: %v", st)
	}
	if st := lockt(b, wire.WRITE_LT, 0, ^uint64(0)); st != wire.NFS4_OK {
		t.Errorf("LOCKT after the holder's CLOSE: %v", st)
	}
	if r := a.compound(putfh(fh), lockExist(a, wire.READ_LT, 300, 1, alock)); r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("LOCK with the lock stateid of a closed open: %v", r.Status)
	}
	rel = a.compound(wire.NfsArgop4{Argop: wire.OP_RELEASE_LOCKOWNER, ReleaseLockowner: wire.RELEASE_LOCKOWNER4args{
		LockOwner: wire.StateOwner4{Clientid: a.id, Owner: []byte("pid 1")}}})
	if rel.Status != wire.NFS4_OK {
		t.Errorf("RELEASE_LOCKOWNER without locks: %v", rel.Status)
	}
}

// An NFSv4 lock conflicts with a lock of another protocol on the same
// manager, and the denial names that holder.
func TestLockAcrossProtocols(t *testing.T) {
	ts, mgr := startServerLocks(t, func(s *Server) { s.NoCallbacks = true })
	a := ts.dial(0, 0).connect("client-a")
	root := a.exportRoot()
	asid, fh, st := a.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	h, _, err := ts.fs.Lookup(context.Background(), &store.Cred{}, ts.fs.Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	nlm := locking.Owner{Proto: locking.ProtoNLM, Client: "guest-b", Key: "svid 7"}
	if err := mgr.Lock(context.Background(), h.ID, locking.Request{Owner: nlm, Range: locking.Range{Off: 10, Len: 10}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	r := a.compound(putfh(fh), lockNew(a, wire.READ_LT, 0, 100, asid, "pid 1"))
	a.openSeq++
	if r.Status != wire.NFS4ERR_DENIED {
		t.Fatalf("LOCK over an NLM lock: %v", r.Status)
	}
	if d := r.Res[1].Lock.Denied; d.Offset != 10 || d.Length != 10 || d.Owner.Clientid != 0 || !bytes.Contains(d.Owner.Owner, []byte("guest-b")) {
		t.Errorf("LOCK4denied = %+v", d)
	}
	// And the other way round: an NLM test sees the NFSv4 holder.
	if err := mgr.Unlock(context.Background(), h.ID, nlm, locking.Range{}); err != nil {
		t.Fatal(err)
	}
	a.compound(putfh(fh), lockNew(a, wire.WRITE_LT, 0, 100, asid, "pid 1")).mustOK(t)
	l, err := mgr.Test(context.Background(), h.ID, nlm, locking.Range{Off: 50, Len: 1}, false)
	if err != nil || l == nil || l.Owner.Proto != locking.ProtoNFS4 || l.Owner.Client != "client-a" {
		t.Errorf("NLM test over the NFSv4 lock: %+v, %v", l, err)
	}
}

func TestSetclientidCases(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	c := ts.dial(0, 0)
	// Unconfirmed, then a confirm with the wrong verifier.
	r := c.compound(setclientid("x", 1, "127.0.0.1.0.1")).mustOK(t)
	ok := r.Res[0].Setclientid.Resok4
	if r := c.compound(setclientidConfirm(ok.Clientid, wire.Verifier4{9})); r.Status != wire.NFS4ERR_STALE_CLIENTID {
		t.Errorf("confirm with a wrong verifier: %v", r.Status)
	}
	c.compound(setclientidConfirm(ok.Clientid, ok.SetclientidConfirm)).mustOK(t)
	// A retransmitted confirm is fine.
	c.compound(setclientidConfirm(ok.Clientid, ok.SetclientidConfirm)).mustOK(t)
	// Another principal while the lease lives: CLID_INUSE with the
	// address in use.
	other := ts.dial(1000, 1000)
	r = other.compound(setclientid("x", 1, "127.0.0.1.0.2"))
	if r.Status != wire.NFS4ERR_CLID_INUSE || r.Res[0].Setclientid.ClientUsing.RAddr != "127.0.0.1.0.1" {
		t.Errorf("SETCLIENTID by another principal: %v %+v", r.Status, r.Res[0].Setclientid.ClientUsing)
	}
	// Callback update: same verifier, same clientid.
	r = c.compound(setclientid("x", 1, "127.0.0.1.0.3")).mustOK(t)
	up := r.Res[0].Setclientid.Resok4
	if up.Clientid != ok.Clientid || up.SetclientidConfirm == ok.SetclientidConfirm {
		t.Errorf("callback update: clientid %x (was %x), confirm %x", up.Clientid, ok.Clientid, up.SetclientidConfirm)
	}
	c.compound(setclientidConfirm(up.Clientid, up.SetclientidConfirm)).mustOK(t)
	// A reboot: a new verifier gives a new clientid; the old one is
	// valid until the new is confirmed, then its state is gone.
	v := &v40{client: c, id: ok.Clientid, openOwner: []byte("oo")}
	root := c.exportRoot()
	if _, _, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, wire.OPEN4_SHARE_DENY_BOTH); st != wire.NFS4_OK {
		t.Fatal(st)
	}
	r = c.compound(setclientid("x", 2, "127.0.0.1.0.3")).mustOK(t)
	nw := r.Res[0].Setclientid.Resok4
	if nw.Clientid == ok.Clientid {
		t.Fatalf("new verifier kept the clientid")
	}
	if r := c.compound(wire.NfsArgop4{Argop: wire.OP_RENEW, Renew: wire.RENEW4args{Clientid: ok.Clientid}}); r.Status != wire.NFS4_OK {
		t.Errorf("RENEW of the old incarnation before the confirm: %v, want NFS4_OK (valid, no delegations)", r.Status)
	}
	c.compound(setclientidConfirm(nw.Clientid, nw.SetclientidConfirm)).mustOK(t)
	// The old incarnation's lease and state are gone: NFS4ERR_EXPIRED,
	// as Linux knfsd answers for a client it dropped.
	if r := c.compound(wire.NfsArgop4{Argop: wire.OP_RENEW, Renew: wire.RENEW4args{Clientid: ok.Clientid}}); r.Status != wire.NFS4ERR_EXPIRED {
		t.Errorf("RENEW of the old incarnation after the confirm: %v, want NFS4ERR_EXPIRED", r.Status)
	}
	// The deny-both open of the old incarnation is gone.
	v2 := &v40{client: c, id: nw.Clientid, openOwner: []byte("oo2")}
	if _, _, st := v2.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_BOTH, 0); st != wire.NFS4_OK {
		t.Errorf("OPEN after the reboot's confirm: %v", st)
	}
	// The callback path is down (no callbacks here), but the client
	// holds no delegation: RENEW is fine (TestRenewCallbackPath).
	if r := c.compound(wire.NfsArgop4{Argop: wire.OP_RENEW, Renew: wire.RENEW4args{Clientid: nw.Clientid}}); r.Status != wire.NFS4_OK {
		t.Errorf("RENEW: %v", r.Status)
	}
}

// The CB_NULL probe after SETCLIENTID_CONFIRM reaches the client's
// callback program; RENEW says NFS4ERR_CB_PATH_DOWN when nothing answers
// (to a client that holds a delegation: the clients here are given a
// recallable grant in the lock manager, which is what a delegation is).
func TestCallbackProbe(t *testing.T) {
	delegate := func(mgr *locking.Manager, client string) {
		t.Helper()
		if _, err := mgr.Grant(context.Background(), 1, locking.Owner{Proto: locking.ProtoNFS4, Client: client}, locking.GrantRead, nil); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan uint32, 1)
	mux := rpc.NewServeMux()
	mux.Handle(0x40000000, 1, rpc.HandlerFunc(func(_ context.Context, _ *rpc.ReplyWriter, c *rpc.Call) {
		select {
		case got <- c.Proc:
		default:
		}
	}))
	port := rpctest.Serve(t, mux).Port()
	ts, mgr := startServerLocks(t)
	c := ts.dial(0, 0)
	delegate(mgr, "cb")
	delegate(mgr, "cb-dead")
	r := c.compound(setclientid("cb", 1, fmt.Sprintf("127.0.0.1.%d.%d", port>>8, port&0xff))).mustOK(t)
	ok := r.Res[0].Setclientid.Resok4
	c.compound(setclientidConfirm(ok.Clientid, ok.SetclientidConfirm)).mustOK(t)
	select {
	case p := <-got:
		if p != 0 {
			t.Errorf("callback procedure %d, want CB_NULL", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no CB_NULL")
	}
	renew := wire.NfsArgop4{Argop: wire.OP_RENEW, Renew: wire.RENEW4args{Clientid: ok.Clientid}}
	waitStatus(t, c, renew, wire.NFS4_OK)

	// A client whose callback port is closed.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	dport := dead.Addr().(*net.TCPAddr).Port
	dead.Close()
	r = c.compound(setclientid("cb-dead", 1, fmt.Sprintf("127.0.0.1.%d.%d", dport>>8, dport&0xff))).mustOK(t)
	ok = r.Res[0].Setclientid.Resok4
	c.compound(setclientidConfirm(ok.Clientid, ok.SetclientidConfirm)).mustOK(t)
	waitStatus(t, c, wire.NfsArgop4{Argop: wire.OP_RENEW, Renew: wire.RENEW4args{Clientid: ok.Clientid}}, wire.NFS4ERR_CB_PATH_DOWN)
}

// waitStatus repeats op until it gets want (the probe runs in the
// background), for at most 10 s.
func waitStatus(t *testing.T, c *client, op wire.NfsArgop4, want wire.Nfsstat4) {
	t.Helper()
	var st wire.Nfsstat4
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if st = c.compound(op).Status; st == want {
			return
		}
	}
	t.Errorf("%v: %v, want %v", op.Argop, st, want)
}

// After a restart (a new State over the same store), stateids and
// clientids of the old boot are stale, and the client reclaims its open
// and lock in the grace period; another client gets NFS4ERR_GRACE.
func TestRestartReclaim(t *testing.T) {
	ctx := context.Background()
	boot := restartable(t, nil, 0)
	ts1, _ := boot()
	a := ts1.dial(0, 0).connect("client-a")
	root := a.exportRoot()
	asid, fh, st := a.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	a.compound(putfh(fh), lockNew(a, wire.WRITE_LT, 0, 10, asid, "pid 1")).mustOK(t)
	ts1.rpc.Close()

	ts2, mgr2 := boot()
	if !mgr2.InGrace(ctx) {
		t.Fatal("no grace period after a restart with locks held")
	}
	a2 := ts2.dial(0, 0)
	if r := a2.compound(putfh(fh), readSid(asid, 0, 1)); r.Status != wire.NFS4ERR_STALE_STATEID {
		t.Errorf("READ with a stateid of the last boot: %v", r.Status)
	}
	if r := a2.compound(wire.NfsArgop4{Argop: wire.OP_RENEW, Renew: wire.RENEW4args{Clientid: a.id}}); r.Status != wire.NFS4ERR_STALE_CLIENTID {
		t.Errorf("RENEW with a clientid of the last boot: %v", r.Status)
	}
	// A client the server never knew may not reclaim, nor open in grace.
	z := ts2.dial(0, 0).connect("client-z")
	if _, _, st := z.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_GRACE {
		t.Errorf("OPEN in grace: %v, want NFS4ERR_GRACE", st)
	}
	reclaim := func(v *v40) *compoundRes {
		op := wire.NfsArgop4{Argop: wire.OP_OPEN, Open: wire.OPEN4args{Seqid: wire.Seqid4(v.openSeq), ShareAccess: wire.OPEN4_SHARE_ACCESS_BOTH,
			Owner: wire.StateOwner4{Clientid: v.id, Owner: v.openOwner}, Claim: wire.OpenClaim4{Claim: wire.CLAIM_PREVIOUS}}}
		r := v.compound(putfh(fh), op)
		v.openSeq++
		return r
	}
	if r := reclaim(z); r.Status != wire.NFS4ERR_NO_GRACE {
		t.Errorf("reclaim by an unknown client: %v, want NFS4ERR_NO_GRACE", r.Status)
	}
	b := a2.connect("client-a")
	r := reclaim(b).mustOK(t)
	sid := r.Res[1].Open.Resok4.Stateid
	if r.Res[1].Open.Resok4.Rflags&wire.OPEN4_RESULT_CONFIRM != 0 {
		t.Errorf("a reclaim OPEN asks for OPEN_CONFIRM")
	}
	lk := lockNew(b, wire.WRITE_LT, 0, 10, sid, "pid 1")
	lk.Lock.Reclaim = true
	b.compound(putfh(fh), lk).mustOK(t)
	b.openSeq++
	// z is refused the lock while a holds it, also once grace ends.
	zt := wire.NfsArgop4{Argop: wire.OP_LOCKT, Lockt: wire.LOCKT4args{Locktype: wire.WRITE_LT, Offset: 0, Length: 10,
		Owner: wire.StateOwner4{Clientid: z.id, Owner: []byte("z")}}}
	if r := z.compound(putfh(fh), zt); r.Status != wire.NFS4ERR_GRACE {
		t.Errorf("LOCKT in grace: %v", r.Status)
	}
	// a's first request that is not a reclaim ends its reclaim; it was
	// the only client of the last boot, so the grace period ends.
	if _, _, st := b.open(root, "g", true, wire.OPEN4_SHARE_ACCESS_READ, 0); st != wire.NFS4ERR_GRACE {
		t.Errorf("first OPEN that is no reclaim: %v, want NFS4ERR_GRACE", st)
	}
	if mgr2.InGrace(ctx) {
		t.Errorf("grace period still on after the only client finished reclaiming")
	}
	if r := z.compound(putfh(fh), zt); r.Status != wire.NFS4ERR_DENIED {
		t.Errorf("LOCKT over the reclaimed lock: %v, want NFS4ERR_DENIED", r.Status)
	}
}

// Every error of package state maps to a status.
func TestStateErrorsMapped(t *testing.T) {
	for _, err := range []error{state.ErrStaleClientID, state.ErrExpired, state.ErrClientInUse, state.ErrBadStateid,
		state.ErrOldStateid, state.ErrStaleStateid, state.ErrBadSeqid, state.ErrLocksHeld, state.ErrResource,
		state.ErrInval, state.ErrNoGrace, &state.InUseError{}} {
		if st, ok := stateStatus(err); !ok || st == wire.NFS4ERR_SERVERFAULT {
			t.Errorf("%v: %v %v", err, st, ok)
		}
	}
}

func TestOpenExclusiveAndPseudo(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	v := ts.dial(0, 0).connect("client-a")
	root := v.exportRoot()
	excl := func(verf byte) wire.Nfsstat4 {
		op := openArgs(v, "x", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
		op.Open.Openhow.How = wire.Createhow4{Mode: wire.EXCLUSIVE4, Createverf: wire.Verifier4{verf}}
		r := v.compound(putfh(root), op)
		if len(r.Res) == 2 && seqidBumps(r.Res[1].Open.Status) {
			v.openSeq++
		}
		if r.Status == wire.NFS4_OK && r.Res[1].Open.Resok4.Rflags&wire.OPEN4_RESULT_CONFIRM != 0 {
			c := v.compound(putfh(root), lookup("x"), wire.NfsArgop4{Argop: wire.OP_OPEN_CONFIRM,
				OpenConfirm: wire.OPEN_CONFIRM4args{OpenStateid: r.Res[1].Open.Resok4.Stateid, Seqid: wire.Seqid4(v.openSeq)}}).mustOK(t)
			_ = c
			v.openSeq++
		}
		return r.Status
	}
	if st := excl(7); st != wire.NFS4_OK {
		t.Fatalf("EXCLUSIVE4 create: %v", st)
	}
	if st := excl(7); st != wire.NFS4_OK {
		t.Errorf("EXCLUSIVE4 retransmission with the same verifier: %v", st)
	}
	if st := excl(8); st != wire.NFS4ERR_EXIST {
		t.Errorf("EXCLUSIVE4 with another verifier: %v, want NFS4ERR_EXIST", st)
	}
	// GUARDED over an existing file.
	op := openArgs(v, "x", true, wire.OPEN4_SHARE_ACCESS_READ, 0)
	op.Open.Openhow.How.Mode = wire.GUARDED4
	if r := v.compound(putfh(root), op); r.Status != wire.NFS4ERR_EXIST {
		t.Errorf("GUARDED4 over an existing file: %v", r.Status)
	}
	v.openSeq++
	// In the pseudo-filesystem: its entries are directories, and it is
	// read-only.
	r := v.compound(putrootfh(), openArgs(v, "export", false, wire.OPEN4_SHARE_ACCESS_READ, 0))
	v.openSeq++
	if r.Status != wire.NFS4ERR_ISDIR {
		t.Errorf("OPEN of a pseudo-filesystem entry: %v", r.Status)
	}
	r = v.compound(putrootfh(), openArgs(v, "new", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0))
	v.openSeq++
	if r.Status != wire.NFS4ERR_ROFS {
		t.Errorf("OPEN create in the pseudo-filesystem: %v", r.Status)
	}
	// Without a current filehandle.
	if r := v.compound(openArgs(v, "x", false, wire.OPEN4_SHARE_ACCESS_READ, 0)); r.Status != wire.NFS4ERR_NOFILEHANDLE {
		t.Errorf("OPEN without a filehandle: %v", r.Status)
	}
}

func TestStateidModes(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	v := ts.dial(0, 0).connect("client-a")
	root := v.exportRoot()
	rw, fh, st := v.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	w := ts.dial(0, 0).connect("client-b")
	ro, _, st := w.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_READ, 0)
	if st != wire.NFS4_OK {
		t.Fatal(st)
	}
	size := func(sid wire.Stateid4, n uint64) wire.NfsArgop4 {
		var b [8]byte
		for i := range 8 {
			b[i] = byte(n >> (56 - 8*i))
		}
		return wire.NfsArgop4{Argop: wire.OP_SETATTR, Setattr: wire.SETATTR4args{Stateid: sid,
			ObjAttributes: wire.Fattr4{Attrmask: wire.Bitmap4{}.Set(wire.FATTR4_SIZE), AttrVals: b[:]}}}
	}
	if r := v.compound(putfh(fh), size(rw, 100)); r.Status != wire.NFS4_OK {
		t.Errorf("SETATTR size with a read-write open: %v", r.Status)
	}
	if r := w.compound(putfh(fh), size(ro, 10)); r.Status != wire.NFS4ERR_OPENMODE {
		t.Errorf("SETATTR size with a read-only open: %v, want NFS4ERR_OPENMODE", r.Status)
	}
	if r := w.compound(putfh(fh), writeSid(ro, 0, []byte("x"))); r.Status != wire.NFS4ERR_OPENMODE {
		t.Errorf("WRITE with a read-only open: %v", r.Status)
	}
	if r := w.compound(putfh(fh), lockNew(w, wire.WRITE_LT, 0, 1, ro, "l")); r.Status != wire.NFS4ERR_OPENMODE {
		t.Errorf("write LOCK with a read-only open: %v", r.Status)
	}
	w.openSeq++
	// A READ-bypass stateid reads but does not write.
	bypass := wire.Stateid4{Seqid: 0xffffffff, Other: [12]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	if r := w.compound(putfh(fh), readSid(bypass, 0, 1)); r.Status != wire.NFS4_OK {
		t.Errorf("READ with the bypass stateid: %v", r.Status)
	}
	// A WRITE with it is an anonymous WRITE (RFC 7530 §9.1.4.4).
	if r := w.compound(putfh(fh), writeSid(bypass, 0, []byte("x"))); r.Status != wire.NFS4_OK {
		t.Errorf("WRITE with the bypass stateid: %v", r.Status)
	}
	// Delegation operations of a server that grants none.
	if r := v.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_DELEGRETURN, Delegreturn: wire.DELEGRETURN4args{DelegStateid: rw}}); r.Status != wire.NFS4ERR_BAD_STATEID {
		t.Errorf("DELEGRETURN of an open stateid: %v", r.Status)
	}
	if r := v.compound(wire.NfsArgop4{Argop: wire.OP_DELEGPURGE, Delegpurge: wire.DELEGPURGE4args{Clientid: v.id}}); r.Status != wire.NFS4ERR_NOTSUPP {
		t.Errorf("DELEGPURGE: %v", r.Status)
	}
}

// Linux advances a lock-owner's seqid after a denied LOCK and sends the
// next one as a new lock-owner again, with the advanced lock_seqid: the
// LOCKU after it must be in sequence.
func TestDeniedNewLockOwnerRetry(t *testing.T) {
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) { s.NoCallbacks = true })
	a := ts.dial(0, 0).connect("client-a")
	b := ts.dial(0, 0).connect("client-b")
	root := a.exportRoot()
	asid, fh, _ := a.open(root, "f", true, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	bsid, _, _ := b.open(root, "f", false, wire.OPEN4_SHARE_ACCESS_BOTH, 0)
	r := a.compound(putfh(fh), lockNew(a, wire.WRITE_LT, 0, 10, asid, "a")).mustOK(t)
	a.openSeq++
	alock := r.Res[1].Lock.Resok4.LockStateid
	if r := b.compound(putfh(fh), lockNew(b, wire.WRITE_LT, 0, 10, bsid, "b")); r.Status != wire.NFS4ERR_DENIED {
		t.Fatalf("LOCK: %v", r.Status)
	}
	b.openSeq++
	b.lockSeq++ // what Linux does
	a.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_LOCKU, Locku: wire.LOCKU4args{Locktype: wire.WRITE_LT,
		Seqid: 1, LockStateid: alock, Offset: 0, Length: 10}}).mustOK(t)
	r = b.compound(putfh(fh), lockNew(b, wire.WRITE_LT, 0, 10, bsid, "b")).mustOK(t)
	b.openSeq++
	b.lockSeq++
	if r := b.compound(putfh(fh), wire.NfsArgop4{Argop: wire.OP_LOCKU, Locku: wire.LOCKU4args{Locktype: wire.WRITE_LT,
		Seqid: wire.Seqid4(b.lockSeq), LockStateid: r.Res[1].Lock.Resok4.LockStateid, Offset: 0, Length: 10}}); r.Status != wire.NFS4_OK {
		t.Errorf("LOCKU after a retried new lock-owner: %v", r.Status)
	}
}

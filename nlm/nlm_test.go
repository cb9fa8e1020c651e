package nlm

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nlm/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap"
	"github.com/dittofs/dittofs/rpc/rpctest"
)

func wantStat(t *testing.T, what string, got, want wire.NLM4Stats) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d", what, got, want)
	}
}

func TestLockTestUnlock(t *testing.T) {
	e := newEnv(t)
	e.call(NLMPROC4_NULL, nil, nil)
	a := e.alock("hostA", 100, 1, 0, 10)
	b := e.alock("hostB", 200, 1, 5, 10)
	wantStat(t, "A lock", e.lock(a, true, false, false), wire.NLM4_GRANTED)
	res := e.test(b, false)
	wantStat(t, "B test", res.TestStat.Stat, wire.NLM4_DENIED)
	h := res.TestStat.Holder
	if !h.Exclusive || h.Svid != 100 || string(h.OH.Data) != "oh-hostA" || h.LOffset != 0 || h.LLen != 10 {
		t.Fatalf("holder %+v", h)
	}
	if string(res.Cookie.Data) != "t" {
		t.Fatalf("test cookie %q", res.Cookie.Data)
	}
	wantStat(t, "B lock", e.lock(b, false, false, false), wire.NLM4_DENIED)
	wantStat(t, "A test own", e.test(a, true).TestStat.Stat, wire.NLM4_GRANTED)
	// Another svid of host A is another process: it conflicts.
	wantStat(t, "A svid 2", e.lock(e.alock("hostA", 101, 1, 9, 1), false, false, false), wire.NLM4_DENIED)
	wantStat(t, "A unlock", e.unlock(a), wire.NLM4_GRANTED)
	wantStat(t, "B lock after unlock", e.lock(b, false, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B test free range", e.test(e.alock("hostA", 1, 1, 20, 0), true).TestStat.Stat, wire.NLM4_GRANTED)
	// NM_LOCK: the same lock without monitoring, never blocking.
	var nm wire.NLM4Res
	e.call(NLMPROC4_NM_LOCK, &wire.NLM4LockArgs{Block: true, Exclusive: true, Alock: e.alock("hostC", 1, 1, 0, 0)}, &nm)
	wantStat(t, "NM_LOCK conflicting", nm.Stat, wire.NLM4_DENIED)
	e.call(NLMPROC4_NM_LOCK, &wire.NLM4LockArgs{Exclusive: true, Alock: e.alock("hostC", 1, 2, 0, 0)}, &nm)
	wantStat(t, "NM_LOCK", nm.Stat, wire.NLM4_GRANTED)
	if _, ok := e.nsm.Hosts()["hostC"]; ok {
		t.Fatal("NM_LOCK monitored its host")
	}
	if a, ok := e.nsm.Hosts()["hostA"]; !ok || a != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("hostA not monitored: %v", e.nsm.Hosts())
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	wantStat(t, "stale handle", e.lock(e.alock("h", 1, staleID, 0, 0), true, false, false), wire.NLM4_STALE_FH)
	l := e.alock("h", 1, 1, 0, 0)
	l.FH.Data = []byte("short")
	wantStat(t, "bad handle", e.lock(l, true, false, false), wire.NLM4_STALE_FH)
	wantStat(t, "stale test", e.test(e.alock("h", 1, staleID, 0, 0), true).TestStat.Stat, wire.NLM4_STALE_FH)
	// Truncated arguments are GARBAGE_ARGS.
	err := e.rpc.Call(context.Background(), NLMProgram, NLMVersion, NLMPROC4_LOCK, rawArgs{0, 0, 0, 1}, nil)
	var re *rpc.ReplyError
	if !errors.As(err, &re) || re.Accept != rpc.GARBAGE_ARGS {
		t.Fatalf("truncated LOCK: %v", err)
	}
	// Procedures 16-19 do not exist.
	err = e.rpc.Call(context.Background(), NLMProgram, NLMVersion, 17, nil, nil)
	if !errors.As(err, &re) || re.Accept != rpc.PROC_UNAVAIL {
		t.Fatalf("proc 17: %v", err)
	}
	// This server has no blocked requests of its own to be granted.
	var res wire.NLM4Res
	e.call(NLMPROC4_GRANTED, &wire.NLM4TestArgs{Alock: l}, &res)
	wantStat(t, "GRANTED to the server", res.Stat, wire.NLM4_DENIED)
}

func TestBlockedLockGrantedByCallback(t *testing.T) {
	e := newEnv(t)
	e.client.answer.Store(uint32(wire.NLM4_GRANTED))
	a := e.alock("hostA", 1, 1, 0, 0)
	b := e.alock("hostB", 2, 1, 100, 50)
	wantStat(t, "A lock", e.lock(a, true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B blocking lock", e.lock(b, true, true, false), wire.NLM4_BLOCKED)
	// A retransmission is still blocked, not queued twice.
	wantStat(t, "B again", e.lock(b, true, true, false), wire.NLM4_BLOCKED)
	wantStat(t, "A unlock", e.unlock(a), wire.NLM4_GRANTED)
	g := <-e.client.granted
	if g.Alock.CallerName != "hostB" || g.Alock.Svid != 2 || g.Alock.LOffset != 100 || g.Alock.LLen != 50 ||
		!g.Exclusive || string(g.Alock.FH.Data) != string(e.fh(1).Data) || string(g.Cookie.Data) != "c1" {
		t.Fatalf("GRANTED args %+v", g)
	}
	e.srv.Close() // waits for the callback to finish
	ls := e.locks.Load().Locks(e.id(1))
	if len(ls) != 1 || ls[0].Owner != owner("hostB", 2, []byte("oh-hostB")) || ls[0].Range != (locking.Range{Off: 100, Len: 50}) {
		t.Fatalf("locks after GRANTED: %+v", ls)
	}
	select {
	case g := <-e.client.granted:
		t.Fatalf("second GRANTED %+v", g)
	default:
	}
}

func TestRefusedGrantIsReleased(t *testing.T) {
	e := newEnv(t)
	e.client.answer.Store(uint32(wire.NLM4_DENIED))
	a := e.alock("hostA", 1, 1, 0, 0)
	b := e.alock("hostB", 2, 1, 0, 0)
	wantStat(t, "A lock", e.lock(a, true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B blocking lock", e.lock(b, false, true, false), wire.NLM4_BLOCKED)
	wantStat(t, "A unlock", e.unlock(a), wire.NLM4_GRANTED)
	<-e.client.granted
	if msg := <-e.logs; msg != "nlm: GRANTED callback failed; lock released" {
		t.Fatalf("log %q", msg)
	}
	if ls := e.locks.Load().Locks(e.id(1)); len(ls) != 0 {
		t.Fatalf("refused lock kept: %+v", ls)
	}
}

func TestUnreachableClientRetriesThenReleases(t *testing.T) {
	e := newEnv(t)
	e.pm.set(NLMProgram, NLMVersion, portmap.IPPROTO_TCP, 0) // hostB's NLM is not registered
	a := e.alock("hostA", 1, 1, 0, 0)
	b := e.alock("hostB", 2, 1, 0, 0)
	wantStat(t, "A lock", e.lock(a, true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B blocking lock", e.lock(b, true, true, false), wire.NLM4_BLOCKED)
	wantStat(t, "A unlock", e.unlock(a), wire.NLM4_GRANTED)
	for range DefaultCallbackRetries - 1 {
		<-e.clock.armed // a failed attempt waits for the retry timer
		e.clock.fire()
	}
	if msg := <-e.logs; msg != "nlm: GRANTED callback failed; lock released" {
		t.Fatalf("log %q", msg)
	}
	if ls := e.locks.Load().Locks(e.id(1)); len(ls) != 0 {
		t.Fatalf("undeliverable lock kept: %+v", ls)
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	a := e.alock("hostA", 1, 1, 0, 0)
	b := e.alock("hostB", 2, 1, 0, 10)
	wantStat(t, "A lock", e.lock(a, true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B blocking lock", e.lock(b, true, true, false), wire.NLM4_BLOCKED)
	var res wire.NLM4Res
	e.call(NLMPROC4_CANCEL, &wire.NLM4CancArgs{Cookie: wire.Netobj{Data: []byte("x")}, Block: true, Exclusive: true, Alock: b}, &res)
	wantStat(t, "cancel", res.Stat, wire.NLM4_GRANTED)
	wantStat(t, "A unlock", e.unlock(a), wire.NLM4_GRANTED)
	e.srv.Close()
	select {
	case g := <-e.client.granted:
		t.Fatalf("canceled request granted: %+v", g)
	default:
	}
	if ls := e.locks.Load().Locks(e.id(1)); len(ls) != 0 {
		t.Fatalf("locks %+v", ls)
	}
}

func TestDeadlock(t *testing.T) {
	e := newEnv(t)
	wantStat(t, "A f1", e.lock(e.alock("hostA", 1, 1, 0, 0), true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B f2", e.lock(e.alock("hostB", 1, 2, 0, 0), true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "A waits f2", e.lock(e.alock("hostA", 1, 2, 0, 0), true, true, false), wire.NLM4_BLOCKED)
	wantStat(t, "B waits f1", e.lock(e.alock("hostB", 1, 1, 0, 0), true, true, false), wire.NLM4_DEADLCK)
}

func TestGraceAndReclaim(t *testing.T) {
	e := newEnv(t)
	a := e.alock("hostA", 1, 1, 0, 100)
	wantStat(t, "A lock", e.lock(a, true, false, false), wire.NLM4_GRANTED)
	e.restartLocks(0) // restart with the default grace period
	e.srv.Close()
	e.startServer()
	wantStat(t, "new lock in grace", e.lock(e.alock("hostB", 1, 1, 0, 1), false, false, false), wire.NLM4_DENIED_GRACE_PERIOD)
	wantStat(t, "test in grace", e.test(e.alock("hostB", 1, 1, 0, 1), false).TestStat.Stat, wire.NLM4_DENIED_GRACE_PERIOD)
	wantStat(t, "reclaim", e.lock(a, true, false, true), wire.NLM4_GRANTED)
	wantStat(t, "conflicting reclaim", e.lock(e.alock("hostB", 1, 1, 50, 1), true, false, true), wire.NLM4_DENIED)
	var sres wire.NLM4ShareRes
	e.call(NLMPROC4_SHARE, &wire.NLM4ShareArgs{Share: wire.NLM4Share{CallerName: "hostB", FH: e.fh(3), OH: wire.Netobj{Data: []byte("o")}, Access: 1}}, &sres)
	wantStat(t, "share in grace", sres.Stat, wire.NLM4_DENIED_GRACE_PERIOD)
	if ls := e.locks.Load().Locks(e.id(1)); len(ls) != 1 || ls[0].Owner.Client != "hostA" {
		t.Fatalf("locks after reclaim %+v", ls)
	}
}

func TestShare(t *testing.T) {
	e := newEnv(t)
	share := func(host string, access wire.FSH4Access, mode wire.FSH4Mode, unshare bool) wire.NLM4Stats {
		var res wire.NLM4ShareRes
		proc := uint32(NLMPROC4_SHARE)
		if unshare {
			proc = NLMPROC4_UNSHARE
		}
		e.call(proc, &wire.NLM4ShareArgs{Cookie: wire.Netobj{Data: []byte("s")}, Share: wire.NLM4Share{
			CallerName: host, FH: e.fh(5), OH: wire.Netobj{Data: []byte("oh")}, Mode: mode, Access: access}}, &res)
		return res.Stat
	}
	wantStat(t, "A read deny write", share("hostA", 1, 2, false), wire.NLM4_GRANTED)
	wantStat(t, "B write", share("hostB", 2, 0, false), wire.NLM4_DENIED)
	wantStat(t, "B read", share("hostB", 1, 0, false), wire.NLM4_GRANTED)
	wantStat(t, "A unshare", share("hostA", 0, 0, true), wire.NLM4_GRANTED)
	wantStat(t, "B read-write now", share("hostB", 3, 0, false), wire.NLM4_GRANTED)
	wantStat(t, "bad mode", share("hostC", 7, 0, false), wire.NLM4_FAILED)
}

func TestFreeAllAndClientReboot(t *testing.T) {
	e := newEnv(t)
	wantStat(t, "A lock", e.lock(e.alock("hostA", 1, 1, 0, 10), true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "A lock f2", e.lock(e.alock("hostA", 2, 2, 0, 10), true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B lock", e.lock(e.alock("hostB", 1, 1, 20, 10), true, false, false), wire.NLM4_GRANTED)
	e.call(NLMPROC4_FREE_ALL, &wire.NLM4Notify{Name: "hostA", State: 3}, nil)
	m := e.locks.Load()
	if len(m.Locks(e.id(1))) != 1 || len(m.Locks(e.id(2))) != 0 {
		t.Fatalf("after FREE_ALL: %+v %+v", m.Locks(e.id(1)), m.Locks(e.id(2)))
	}
	// hostB's statd tells ours that hostB rebooted.
	if err := e.rpc.Call(context.Background(), NSMProgram, NSMVersion, SM_NOTIFY, &wire.StatChge{MonName: "hostB", State: 5}, nil); err != nil {
		t.Fatal(err)
	}
	if ls := m.Locks(e.id(1)); len(ls) != 0 {
		t.Fatalf("after SM_NOTIFY: %+v", ls)
	}
}

func TestLockMsgSendsRes(t *testing.T) {
	e := newEnv(t)
	e.call(NLMPROC4_LOCK_MSG, &wire.NLM4LockArgs{Cookie: wire.Netobj{Data: []byte("m1")}, Exclusive: true, Alock: e.alock("hostA", 1, 1, 0, 0)}, nil)
	r := <-e.client.res
	if string(r.Cookie.Data) != "m1" || r.Stat != wire.NLM4_GRANTED {
		t.Fatalf("LOCK_RES %+v", r)
	}
	e.call(NLMPROC4_UNLOCK_MSG, &wire.NLM4UnlockArgs{Cookie: wire.Netobj{Data: []byte("m2")}, Alock: e.alock("hostA", 1, 1, 0, 0)}, nil)
	r = <-e.client.res
	if string(r.Cookie.Data) != "m2" || r.Stat != wire.NLM4_GRANTED {
		t.Fatalf("UNLOCK_RES %+v", r)
	}
	if ls := e.locks.Load().Locks(e.id(1)); len(ls) != 0 {
		t.Fatalf("locks %+v", ls)
	}
}

func TestLocateReplacesPortmapper(t *testing.T) {
	e := newEnv(t)
	e.client.answer.Store(uint32(wire.NLM4_GRANTED))
	clientPort := e.pm.ports[[3]uint32{NLMProgram, NLMVersion, portmap.IPPROTO_TCP}]
	e.pm.set(NLMProgram, NLMVersion, portmap.IPPROTO_TCP, 0) // the portmapper cannot help
	located := make(chan string, 4)
	e.srv.Close()
	e.srv = &Server{
		Exports: e.srv.Exports,
		Locate: func(ctx context.Context, name string, addr netip.Addr, prog, vers uint32, network string) (netip.AddrPort, error) {
			located <- name
			return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(clientPort)), nil
		},
	}
	mux := rpc.NewServeMux()
	e.srv.Register(mux)
	defer e.srv.Close()
	cl, err := rpc.Dial(context.Background(), "tcp", rpctest.Serve(t, mux).String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	e.rpc = cl
	wantStat(t, "A lock", e.lock(e.alock("guest1", 1, 1, 0, 0), true, false, false), wire.NLM4_GRANTED)
	wantStat(t, "B blocking lock", e.lock(e.alock("guest2", 1, 1, 0, 0), true, true, false), wire.NLM4_BLOCKED)
	wantStat(t, "A unlock", e.unlock(e.alock("guest1", 1, 1, 0, 0)), wire.NLM4_GRANTED)
	if g := <-e.client.granted; g.Alock.CallerName != "guest2" {
		t.Fatalf("GRANTED for %q", g.Alock.CallerName)
	}
	if n := <-located; n != "guest2" {
		t.Fatalf("located %q", n)
	}
}

func TestOverUDP(t *testing.T) {
	e := newEnv(t)
	e.client.answer.Store(uint32(wire.NLM4_GRANTED))
	cl, err := rpc.Dial(context.Background(), "udp", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(e.udp)).String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tcp := e.rpc
	wantStat(t, "A lock over TCP", e.lock(e.alock("hostA", 1, 1, 0, 0), true, false, false), wire.NLM4_GRANTED)
	e.rpc = cl
	wantStat(t, "B blocking lock over UDP", e.lock(e.alock("hostB", 1, 1, 0, 0), false, true, false), wire.NLM4_BLOCKED)
	e.rpc = tcp
	wantStat(t, "A unlock", e.unlock(e.alock("hostA", 1, 1, 0, 0)), wire.NLM4_GRANTED)
	if g := <-e.client.granted; g.Alock.CallerName != "hostB" || g.Exclusive {
		t.Fatalf("GRANTED %+v", g)
	}
}

func TestHolderOfAnotherProtocol(t *testing.T) {
	e := newEnv(t)
	v4 := locking.Owner{Proto: locking.ProtoNFS4, Client: "v4client", Key: "lock-owner"}
	if err := e.locks.Load().Lock(context.Background(), e.id(1), locking.Request{Owner: v4, Range: locking.Range{Off: 10, Len: 0}}); err != nil {
		t.Fatal(err)
	}
	res := e.test(e.alock("hostA", 1, 1, 0, 20), true)
	h := res.TestStat.Holder
	if res.TestStat.Stat != wire.NLM4_DENIED || h.Exclusive || h.Svid != 0 || len(h.OH.Data) != 0 || h.LOffset != 10 || h.LLen != 0 {
		t.Fatalf("TEST vs NFSv4 lock: %+v", res)
	}
	wantStat(t, "shared NLM lock next to an NFSv4 reader", e.lock(e.alock("hostA", 1, 1, 0, 20), false, false, false), wire.NLM4_GRANTED)
	wantStat(t, "exclusive NLM lock vs NFSv4 reader", e.lock(e.alock("hostB", 1, 1, 15, 1), true, false, false), wire.NLM4_DENIED)
}

func TestNonIdempotent(t *testing.T) {
	mux := rpc.NewServeMux()
	(&Server{}).Register(mux)
	for proc, want := range map[uint32]bool{
		NLMPROC4_NULL: false, NLMPROC4_TEST: false, NLMPROC4_LOCK: true, NLMPROC4_CANCEL: true,
		NLMPROC4_UNLOCK: true, NLMPROC4_LOCK_MSG: true, NLMPROC4_GRANTED: false, NLMPROC4_SHARE: true,
		NLMPROC4_UNSHARE: true, NLMPROC4_NM_LOCK: true, NLMPROC4_FREE_ALL: true, NLMPROC4_LOCK_RES: false,
	} {
		if got := mux.NonIdempotent(NLMProgram, NLMVersion, proc); got != want {
			t.Errorf("proc %d: NonIdempotent %v, want %v", proc, got, want)
		}
	}
}

// TestPrograms: Programs lists what Register serves with a status
// monitor, for portmapper registration.
func TestPrograms(t *testing.T) {
	mux := rpc.NewServeMux()
	(&Server{NSM: &Monitor{}}).Register(mux)
	want := Programs()
	rpctest.Sort(want)
	if got := rpctest.Registered(mux); !slices.Equal(got, want) {
		t.Fatalf("registered %v, Programs() %v", got, want)
	}
}

package nlm

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/dittofs/dittofs/nlm/internal/wire"
	"github.com/dittofs/dittofs/rpc/portmap"
)

func TestNotifyAfterRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if s := e.nsm.State(); s != 1 {
		t.Fatalf("first state %d", s)
	}
	var st wire.SMStatRes
	if err := e.rpc.Call(ctx, NSMProgram, NSMVersion, SM_STAT, &wire.SMName{MonName: "x"}, &st); err != nil || st.ResStat != wire.STAT_SUCC || st.State != 1 {
		t.Fatalf("SM_STAT %+v %v", st, err)
	}
	// A lock monitors hostA (at 127.0.0.1).
	wantStat(t, "A lock", e.lock(e.alock("hostA", 1, 1, 0, 0), true, false, false), wire.NLM4_GRANTED)
	e.nsm.Close()

	// Restart. hostA's statd is not reachable at first: the notification
	// is retried until it is.
	clock := newFakeClock()
	nsm := &Monitor{Persist: e.meta, Name: "server1", PortmapPort: e.pm.port, Clock: clock}
	if err := nsm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer nsm.Close()
	if s := nsm.State(); s != 3 {
		t.Fatalf("state after restart %d, want 3", s)
	}
	<-clock.armed
	e.pm.set(NSMProgram, NSMVersion, portmap.IPPROTO_UDP, e.statd.port)
	clock.fire()
	n := <-e.statd.notify
	if n.MonName != "server1" || n.State != 3 {
		t.Fatalf("SM_NOTIFY %+v", n)
	}
	if h := nsm.Hosts(); h["hostA"] != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("hosts %v", h)
	}
}

func TestMonCallback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.pm.set(200000, 1, portmap.IPPROTO_UDP, e.statd.port)
	priv := [16]byte{1, 2, 3}
	id := wire.MyID{MyName: "localhost", MyProg: 200000, MyVers: 1, MyProc: 1}
	var st wire.SMStatRes
	if err := e.rpc.Call(ctx, NSMProgram, NSMVersion, SM_MON, &wire.Mon{MonID: wire.MonID{MonName: "peer1", MyID: id}, Priv: priv}, &st); err != nil || st.ResStat != wire.STAT_SUCC || st.State != 1 {
		t.Fatalf("SM_MON %+v %v", st, err)
	}
	if err := e.rpc.Call(ctx, NSMProgram, NSMVersion, SM_NOTIFY, &wire.StatChge{MonName: "peer1", State: 7}, nil); err != nil {
		t.Fatal(err)
	}
	s := <-e.statd.status
	if s.MonName != "peer1" || s.State != 7 || s.Priv != priv {
		t.Fatalf("status callback %+v", s)
	}
	var us wire.SMStat
	if err := e.rpc.Call(ctx, NSMProgram, NSMVersion, SM_UNMON_ALL, &id, &us); err != nil || us.State != 1 {
		t.Fatalf("SM_UNMON_ALL %+v %v", us, err)
	}
	// SIMU_CRASH moves the state to the next odd number.
	if err := e.rpc.Call(ctx, NSMProgram, NSMVersion, SM_SIMU_CRASH, nil, nil); err != nil {
		t.Fatal(err)
	}
	if s := e.nsm.State(); s != 3 {
		t.Fatalf("state after SIMU_CRASH %d", s)
	}
	if err := e.rpc.Call(ctx, NSMProgram, NSMVersion, SM_NOTIFY, &wire.StatChge{MonName: "peer1", State: 9}, nil); err != nil {
		t.Fatal(err)
	}
	e.nsm.Close() // waits for callbacks
	select {
	case s := <-e.statd.status:
		t.Fatalf("callback after SM_UNMON_ALL: %+v", s)
	default:
	}
}

// TestServerRestartReclaim restarts everything over the same store while a
// lock is held: the monitor notifies the client, and its reclaim is
// granted in grace while others are held off.
func TestServerRestartReclaim(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.pm.set(NSMProgram, NSMVersion, portmap.IPPROTO_UDP, e.statd.port)
	a := e.alock("hostA", 7, 1, 0, 4096)
	wantStat(t, "A lock", e.lock(a, true, false, false), wire.NLM4_GRANTED)

	// Restart: lock manager, monitor and server.
	e.srv.Close()
	e.nsm.Close()
	e.restartLocks(0)
	e.nsm = &Monitor{Persist: e.meta, Name: "server1", PortmapPort: e.pm.port, Clock: e.clock}
	if err := e.nsm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.nsm.Close()
	e.startServer()

	n := <-e.statd.notify
	if n.MonName != "server1" || n.State != 3 {
		t.Fatalf("SM_NOTIFY %+v", n)
	}
	wantStat(t, "B lock in grace", e.lock(e.alock("hostB", 1, 1, 0, 1), false, false, false), wire.NLM4_DENIED_GRACE_PERIOD)
	wantStat(t, "A reclaim", e.lock(a, true, false, true), wire.NLM4_GRANTED)
	ls := e.locks.Load().Locks(e.id(1))
	if len(ls) != 1 || ls[0].Owner != owner("hostA", 7, []byte("oh-hostA")) || ls[0].Range.Len != 4096 || !ls[0].Exclusive {
		t.Fatalf("locks after reclaim %+v", ls)
	}
}

// TestSimuCrashFlood: every SM_SIMU_CRASH moves the state number on and
// notifies every watched host; a notification that cannot be delivered is
// retried for a long time. A local caller sending SM_SIMU_CRASH in a loop
// (the whole-server fuzz target found it) used to start one retrying
// goroutine per call and host, without bound; a newer state number now
// supersedes the notification in flight, so one goroutine per host runs.
func TestSimuCrashFlood(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A lock monitors hostA, whose statd is not reachable: the
	// notification is retried on the fake clock, which never fires. Its
	// armed channel is drained for the rest of the test binary's life,
	// so that AfterFunc never blocks (also while Close waits).
	go func() {
		for range e.clock.armed {
		}
	}()
	wantStat(t, "A lock", e.lock(e.alock("hostA", 1, 1, 0, 0), true, false, false), wire.NLM4_GRANTED)
	before := e.nsm.bg.started.Load()
	for range 200 {
		if err := e.rpc.Call(ctx, NSMProgram, NSMVersion, SM_SIMU_CRASH, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The notifier of a host still in flight sends the newest state
	// number itself: no goroutine per call and host, not even one that
	// ends at once (10,000 of those, each waiting for the monitor's lock
	// to end, stalled the whole-server fuzz target's server).
	if n := e.nsm.bg.started.Load() - before; n > int64(len(e.nsm.Hosts())) {
		t.Errorf("200 SM_SIMU_CRASH started %d notification goroutines for %d watched hosts", n, len(e.nsm.Hosts()))
	}
	// Superseded notifications end as soon as they are cancelled; wait
	// for that (bounded), then at most one per watched host is left.
	hosts := int64(len(e.nsm.Hosts()))
	deadline := time.Now().Add(10 * time.Second)
	for e.nsm.bg.running.Load() > hosts && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.nsm.bg.running.Load(); n > hosts {
		t.Fatalf("%d notification goroutines for %d watched hosts after 200 SM_SIMU_CRASH", n, hosts)
	}
}

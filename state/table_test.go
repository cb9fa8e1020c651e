package state

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store/memory"
)

const lease = 10 * time.Second

func newTable(t *testing.T, o Options) *Table {
	t.Helper()
	if o.Lease == 0 {
		o.Lease = lease
	}
	tb, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

// confirmed makes a confirmed client.
func confirmed(t *testing.T, tb *Table, name string, verf byte, principal string) *Client {
	t.Helper()
	id, conf, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte(name), [8]byte{verf}, principal, Callback{Addr: name})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tb.ConfirmClientID(context.Background(), id, conf, principal)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSetClientIDCases(t *testing.T) {
	ctx := context.Background()
	tb := newTable(t, Options{})
	// New client: unconfirmed until confirmed; a wrong verifier or
	// another principal does not confirm it.
	id, conf, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte("x"), [8]byte{1}, "p", Callback{Addr: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Client(id); !errors.Is(err, ErrStaleClientID) {
		t.Errorf("unconfirmed client in use: %v", err)
	}
	if _, err := tb.ConfirmClientID(ctx, id, [8]byte{9}, "p"); !errors.Is(err, ErrStaleClientID) {
		t.Errorf("confirm with a wrong verifier: %v", err)
	}
	if _, err := tb.ConfirmClientID(ctx, id, conf, "q"); !errors.Is(err, ErrClientInUse) {
		t.Errorf("confirm by another principal: %v", err)
	}
	c, err := tb.ConfirmClientID(ctx, id, conf, "p")
	if err != nil || c.ID != id {
		t.Fatalf("confirm: %v", err)
	}
	if _, err := tb.ConfirmClientID(ctx, id, conf, "p"); err != nil {
		t.Errorf("retransmitted confirm: %v", err)
	}
	// Another principal while the lease runs.
	_, _, err = tb.SetClientID(context.Background(), netip.Addr{}, []byte("x"), [8]byte{1}, "q", Callback{Addr: "a2"})
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.Callback.Addr != "a1" {
		t.Errorf("SETCLIENTID by another principal: %v", err)
	}
	// Callback update: same clientid, new verifier to confirm, the
	// confirmed record keeps working and its state stays.
	o, _ := tb.Owner(c, []byte("oo"), false, true)
	id2, conf2, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte("x"), [8]byte{1}, "p", Callback{Addr: "a3"})
	if err != nil || id2 != id || conf2 == conf {
		t.Fatalf("callback update: %x %x %v", id2, conf2, err)
	}
	if _, err := tb.Client(id); err != nil {
		t.Errorf("client during the callback update: %v", err)
	}
	if c2, err := tb.ConfirmClientID(ctx, id, conf2, "p"); err != nil || c2 != c || c.Callback(tb).Addr != "a3" {
		t.Errorf("callback update confirm: %v, callback %+v", err, c.Callback(tb))
	}
	if o2, _ := tb.Owner(c, []byte("oo"), false, false); o2 != o {
		t.Errorf("the callback update lost the client's owners")
	}
	// Reboot: a new verifier gives a new clientid; the old one works
	// until the new one is confirmed, then is gone with its state.
	id3, conf3, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte("x"), [8]byte{2}, "p", Callback{})
	if err != nil || id3 == id {
		t.Fatalf("reboot: %x %v", id3, err)
	}
	if _, err := tb.Client(id); err != nil {
		t.Errorf("old incarnation before the confirm: %v", err)
	}
	// An unconfirmed record replaced by another SETCLIENTID.
	id4, conf4, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte("x"), [8]byte{3}, "p", Callback{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.ConfirmClientID(ctx, id3, conf3, "p"); !errors.Is(err, ErrStaleClientID) {
		t.Errorf("confirm of a replaced unconfirmed record: %v", err)
	}
	if _, err := tb.ConfirmClientID(ctx, id4, conf4, "p"); err != nil {
		t.Fatal(err)
	}
	// The old incarnation's record stays, released: its clientid (and
	// stateids) are expired, as Linux knfsd answers.
	if _, err := tb.Client(id); !errors.Is(err, ErrExpired) {
		t.Errorf("old incarnation after the reboot's confirm: %v", err)
	}
	if _, err := tb.Owner(c, []byte("oo"), false, false); !errors.Is(err, ErrExpired) {
		t.Errorf("owner of the old incarnation: %v", err)
	}
	// A clientid of another boot.
	if _, err := tb.Client(id4 ^ 1<<40); !errors.Is(err, ErrStaleClientID) {
		t.Errorf("clientid of another epoch: %v", err)
	}
	if _, _, err := tb.SetClientID(context.Background(), netip.Addr{}, nil, [8]byte{}, "p", Callback{}); !errors.Is(err, ErrInval) {
		t.Errorf("empty name: %v", err)
	}
}

func TestOwnerSeqid(t *testing.T) {
	ctx := context.Background()
	tb := newTable(t, Options{})
	c := confirmed(t, tb, "x", 1, "p")
	o, err := tb.Owner(c, []byte("oo"), false, true)
	if err != nil {
		t.Fatal(err)
	}
	o.Lock()
	defer o.Unlock()
	if r, err := o.Check(77); r != nil || err != nil {
		t.Fatalf("first seqid: %v %v", r, err)
	}
	o.Done(77, true, []byte("reply77"))
	// Unconfirmed open-owner: another seqid is out of sequence; the
	// owner is started over (an OPEN out of sequence, RFC 7530
	// §16.18), then any seqid goes.
	if _, err := o.Check(5); !errors.Is(err, ErrBadSeqid) {
		t.Errorf("unconfirmed owner, other seqid: %v", err)
	}
	if !tb.CancelUnconfirmed(ctx, o) {
		t.Errorf("CancelUnconfirmed of an unconfirmed owner did nothing")
	}
	if _, err := o.Check(5); err != nil {
		t.Errorf("unconfirmed owner started over, other seqid: %v", err)
	}
	o.Done(77, true, []byte("reply77"))
	o.Confirm()
	if tb.CancelUnconfirmed(ctx, o) {
		t.Errorf("CancelUnconfirmed of a confirmed owner")
	}
	cases := []struct {
		seqid  uint32
		replay string
		err    error
	}{
		{77, "reply77", nil},
		{78, "", nil},
		{79, "", ErrBadSeqid},
		{76, "", ErrBadSeqid},
	}
	for _, tc := range cases {
		r, err := o.Check(tc.seqid)
		if string(r) != tc.replay || !errors.Is(err, tc.err) {
			t.Errorf("Check(%d) = %q, %v; want %q, %v", tc.seqid, r, err, tc.replay, tc.err)
		}
	}
	// A status that does not bump leaves the seqid.
	o.Done(78, false, []byte("x"))
	if r, _ := o.Check(77); string(r) != "reply77" {
		t.Errorf("after a non-bumping error the replay is %q", r)
	}
	// Wrap around.
	o.Done(0xffffffff, true, []byte("last"))
	if _, err := o.Check(0); err != nil {
		t.Errorf("seqid after 2^32-1: %v", err)
	}
}

func TestLeaseCourtesyAndExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		mgr, _ := locking.Open(ctx, locking.Options{Grace: -1})
		tb := newTable(t, Options{Courtesy: time.Hour})
		a := confirmed(t, tb, "a", 1, "p")
		b := confirmed(t, tb, "b", 1, "p")
		f := File{Mgr: mgr, ID: 42}
		ao, _ := tb.Owner(a, []byte("oo"), false, true)
		ao.Lock()
		as, sid, err := tb.Open(ctx, ao, f, locking.ModeBoth, locking.ModeWrite, false)
		ao.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		// b keeps its lease, a does not.
		for range 3 {
			time.Sleep(lease / 2)
			if _, err := tb.Client(b.ID); err != nil {
				t.Fatal(err)
			}
		}
		if !tb.isCourtesy(a) {
			t.Fatal("a's lease did not expire")
		}
		// A courtesy client keeps its state while nobody conflicts...
		if s, err := tb.Find(sid, false); err != nil || s != as {
			t.Errorf("courtesy client's stateid: %v", err)
		}
		// ...and came back, which renewed it. Let it expire again.
		time.Sleep(2 * lease)
		bo, _ := tb.Owner(b, []byte("oo"), false, true)
		bo.Lock()
		_, _, err = tb.Open(ctx, bo, f, locking.ModeWrite, 0, false)
		bo.Unlock()
		if err != nil {
			t.Fatalf("open over a courtesy client's deny: %v", err)
		}
		if _, err := tb.Find(sid, false); !errors.Is(err, ErrExpired) {
			t.Errorf("purged client's stateid: %v, want ErrExpired", err)
		}
		if _, err := tb.Client(a.ID); !errors.Is(err, ErrExpired) {
			t.Errorf("purged client: %v, want ErrExpired", err)
		}
		// A client that never comes back is released after the courtesy
		// time by the sweep.
		c := confirmed(t, tb, "c", 1, "p")
		co, _ := tb.Owner(c, []byte("oo"), false, true)
		co.Lock()
		_, _, err = tb.Open(ctx, co, File{Mgr: mgr, ID: 43}, locking.ModeRead, locking.ModeBoth, false)
		co.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(lease + time.Hour + lease)
		synctest.Wait()
		if _, err := tb.Client(c.ID); !errors.Is(err, ErrExpired) {
			t.Errorf("client past its courtesy time: %v", err)
		}
		if err := mgr.Share(ctx, 43, locking.ShareRequest{Owner: locking.Owner{Proto: locking.ProtoLocal, Client: "z"}, Access: locking.ModeRead}); err != nil {
			t.Errorf("share reservation of the expired client still held: %v", err)
		}
		tb.Close()
		mgr.Close()
	})
}

func TestLockCourtesyConflict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		mgr, _ := locking.Open(ctx, locking.Options{Grace: -1})
		tb := newTable(t, Options{})
		a := confirmed(t, tb, "a", 1, "p")
		b := confirmed(t, tb, "b", 1, "p")
		f := File{Mgr: mgr, ID: 7}
		open := func(c *Client) *State {
			o, _ := tb.Owner(c, []byte("oo"), false, true)
			o.Lock()
			defer o.Unlock()
			s, _, err := tb.Open(ctx, o, f, locking.ModeBoth, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		lock := func(c *Client, s *State) error {
			lo, _ := tb.Owner(c, []byte("lo"), true, true)
			lo.Lock()
			defer lo.Unlock()
			_, _, err := tb.Lock(ctx, lo, s, locking.Range{Off: 0, Len: 10}, true, false)
			return err
		}
		as, bs := open(a), open(b)
		if err := lock(a, as); err != nil {
			t.Fatal(err)
		}
		var ce *locking.ConflictError
		if err := lock(b, bs); !errors.As(err, &ce) || tb.Holder(ce.Holder.Owner) != a.ID {
			t.Fatalf("conflicting lock of a live client: %v", err)
		}
		time.Sleep(2 * lease)
		if _, err := tb.Client(b.ID); err != nil {
			t.Fatal(err)
		}
		if err := lock(b, bs); err != nil {
			t.Errorf("lock over an expired client's lock: %v", err)
		}
		tb.Close()
		mgr.Close()
	})
}

func TestPersistedClients(t *testing.T) {
	ctx := context.Background()
	meta := memory.NewMetadata()
	tb1 := newTable(t, Options{Persist: meta})
	x := confirmed(t, tb1, "x", 1, "p")
	tb1.Close()
	tb2 := newTable(t, Options{Persist: meta})
	if tb2.epoch == tb1.epoch {
		t.Fatal("the epoch did not change")
	}
	if _, err := tb2.Client(x.ID); !errors.Is(err, ErrStaleClientID) {
		t.Errorf("clientid of the last boot: %v", err)
	}
	x2 := confirmed(t, tb2, "x", 1, "p")
	y := confirmed(t, tb2, "y", 1, "p")
	if !tb2.MayReclaim(x2) || tb2.MayReclaim(y) {
		t.Errorf("MayReclaim: x %v y %v", tb2.MayReclaim(x2), tb2.MayReclaim(y))
	}
	if !tb2.ReclaimDone(x2) || tb2.ReclaimDone(x2) || tb2.MayReclaim(x2) {
		t.Errorf("ReclaimDone")
	}
	s1 := Stateid{Seqid: 1}
	copy(s1.Other[:], []byte{0, 0, 0, 1})
	if _, err := tb2.Find(s1, false); !errors.Is(err, ErrStaleStateid) {
		t.Errorf("stateid of another epoch: %v", err)
	}
	_ = ctx
}

// TestEndGrace: when the grace period ends (RFC 7530 §9.6.2), the
// records of previous-boot clients that did not come back are forgotten,
// so they cannot reclaim after the next restart either; the clients that
// came back keep theirs.
func TestEndGrace(t *testing.T) {
	ctx := context.Background()
	meta := memory.NewMetadata()
	tb1 := newTable(t, Options{Persist: meta})
	confirmed(t, tb1, "back", 1, "p")
	confirmed(t, tb1, "gone", 1, "p")
	tb1.Close()
	tb2 := newTable(t, Options{Persist: meta})
	confirmed(t, tb2, "back", 1, "p")
	tb2.EndGrace(ctx)
	tb2.EndGrace(ctx)
	tb2.Close()
	tb3 := newTable(t, Options{Persist: meta})
	back, gone := confirmed(t, tb3, "back", 1, "p"), confirmed(t, tb3, "gone", 1, "p")
	if !tb3.MayReclaim(back) || tb3.MayReclaim(gone) {
		t.Errorf("after EndGrace: MayReclaim back %v (want true), gone %v (want false)", tb3.MayReclaim(back), tb3.MayReclaim(gone))
	}
}

func TestBounds(t *testing.T) {
	tb := newTable(t, Options{MaxClients: 2, MaxStates: 3})
	a := confirmed(t, tb, "a", 1, "p")
	confirmed(t, tb, "b", 1, "p")
	if _, _, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte("c"), [8]byte{1}, "p", Callback{}); !errors.Is(err, ErrResource) {
		t.Errorf("client past MaxClients: %v", err)
	}
	for i := range 3 {
		if _, err := tb.Owner(a, []byte{byte(i)}, false, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tb.Owner(a, []byte("more"), false, true); !errors.Is(err, ErrResource) {
		t.Errorf("owner past MaxStates: %v", err)
	}
	if _, err := tb.Owner(a, make([]byte, MaxOwnerName+1), false, true); !errors.Is(err, ErrInval) {
		t.Errorf("owner name too long: %v", err)
	}
}

// Clients opening, locking and closing one file while one of them is
// purged: the lock manager calls run without the table's lock, and when
// everyone is done nothing is left in the lock manager.
func TestConcurrentOpenLockClose(t *testing.T) {
	ctx := context.Background()
	mgr, _ := locking.Open(ctx, locking.Options{Grace: -1})
	defer mgr.Close()
	tb := newTable(t, Options{})
	f := File{Mgr: mgr, ID: 9}
	var wg sync.WaitGroup
	clients := make([]*Client, 8)
	for i := range clients {
		if i%2 == 0 {
			clients[i] = confirmed(t, tb, fmt.Sprintf("c%d", i), 1, "p")
		} else {
			// 4.1 clients, whose idle owners come and go meanwhile.
			clients[i] = newClient41(t, tb, fmt.Sprintf("c%d", i))
		}
	}
	for i, c := range clients {
		wg.Go(func() {
			for n := range 50 {
				// As the server does: an owner per operation, given back
				// when it is done.
				o, err := tb.Owner(c, []byte("oo"), false, true)
				if err != nil {
					return
				}
				o.Lock()
				s, _, err := tb.Open(ctx, o, f, locking.ModeBoth, 0, false)
				o.Unlock()
				tb.PutOwner(o)
				if err != nil {
					continue
				}
				lo, err := tb.Owner(c, []byte("lo"), true, true)
				if err != nil {
					return
				}
				lo.Lock()
				_, _, _ = tb.Lock(ctx, lo, s, locking.Range{Off: uint64(i * 10), Len: 10}, n%2 == 0, false)
				lo.Unlock()
				tb.PutOwner(lo)
				o.Lock()
				_, _ = tb.CloseOpen(ctx, s)
				o.Unlock()
			}
		})
	}
	wg.Go(func() { tb.purge(ctx, clients[3], "test") })
	wg.Wait()
	if l := mgr.Locks(9); len(l) != 0 {
		t.Errorf("locks left: %+v", l)
	}
	if err := mgr.Share(ctx, 9, locking.ShareRequest{Owner: locking.Owner{Proto: locking.ProtoLocal, Client: "z"},
		Access: locking.ModeBoth, Deny: locking.ModeBoth}); err != nil {
		t.Errorf("share reservations left: %v", err)
	}
	// What stays: the open- and lock-owner of each 4.0 client.
	if _, states := tb.counts(); states != 2*4 {
		t.Errorf("%d owners and stateids left, want the 8 owners of the 4.0 clients", states)
	}
}

// newClient41 makes a confirmed NFSv4.1 client named name.
func newClient41(t *testing.T, tb *Table, name string) *Client {
	t.Helper()
	x, err := tb.ExchangeID(context.Background(), netip.Addr{}, []byte(name), [8]byte{1}, "p", false)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := tb.BeginCreateSession(x.ID, x.Seq, "p")
	if err != nil {
		t.Fatal(err)
	}
	tb.EndCreateSession(context.Background(), c, true, nil)
	return c
}

// The Linux 4.1 client makes a lock-owner per process and frees its lock
// stateids (FREE_STATEID, CLOSE) but never the owner: a 4.1 owner that
// holds nothing and that nobody uses is forgotten, so a long-lived mount
// whose processes each lock a file does not fill the table (MaxStates 4
// here). A 4.0 client's owners stay for seqid replay.
func TestIdleOwnersForgotten41(t *testing.T) {
	ctx := context.Background()
	mgr, _ := locking.Open(ctx, locking.Options{Grace: -1})
	tb := newTable(t, Options{MaxStates: 4})
	c := newClient41(t, tb, "linux")
	f := File{Mgr: mgr, ID: 9}
	for i := range 100 {
		oo, err := tb.Owner(c, []byte("open-owner"), false, true)
		if err != nil {
			t.Fatalf("process %d: open-owner: %v", i, err)
		}
		oo.Lock()
		open, _, err := tb.Open(ctx, oo, f, locking.ModeBoth, 0, false)
		oo.Unlock()
		if err != nil {
			t.Fatalf("process %d: open: %v", i, err)
		}
		lo, err := tb.Owner(c, fmt.Appendf(nil, "process %d", i), true, true)
		if err != nil {
			t.Fatalf("process %d: lock-owner: %v", i, err)
		}
		lo.Lock()
		ls, _, err := tb.Lock(ctx, lo, open, locking.Range{Len: 1}, true, false)
		if err == nil {
			_, err = tb.Unlock(ctx, ls, locking.Range{Len: 1})
		}
		lo.Unlock()
		tb.PutOwner(lo)
		if err != nil {
			t.Fatalf("process %d: lock and unlock: %v", i, err)
		}
		if i%2 == 0 {
			// FREE_STATEID after the unlock, as Linux does; else CLOSE
			// drops the lock state with the open.
			if err := tb.Free(ctx, ls); err != nil {
				t.Fatalf("process %d: free: %v", i, err)
			}
		}
		oo.Lock()
		_, err = tb.CloseOpen(ctx, open)
		oo.Unlock()
		tb.PutOwner(oo)
		if err != nil {
			t.Fatalf("process %d: close: %v", i, err)
		}
	}
	if _, states := tb.counts(); states != 0 {
		t.Errorf("%d owners and stateids left after every process closed, want 0", states)
	}

	// An owner in use is not forgotten when its last state goes.
	oo, _ := tb.Owner(c, []byte("open-owner"), false, true)
	oo.Lock()
	open, _, err := tb.Open(ctx, oo, f, locking.ModeRead, 0, false)
	if err == nil {
		_, err = tb.CloseOpen(ctx, open)
	}
	oo.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := tb.Owner(c, []byte("open-owner"), false, false); again != oo {
		t.Errorf("an owner in use was forgotten")
	} else {
		tb.PutOwner(again)
	}
	tb.PutOwner(oo)
	if again, _ := tb.Owner(c, []byte("open-owner"), false, false); again != nil {
		t.Errorf("an idle 4.1 owner was kept")
	}

	// 4.0: the owner keeps its seqid after its last close.
	v40 := confirmed(t, tb, "v40", 1, "p")
	o40, _ := tb.Owner(v40, []byte("oo"), false, true)
	o40.Lock()
	open, _, err = tb.Open(ctx, o40, f, locking.ModeRead, 0, false)
	if err == nil {
		_, err = tb.CloseOpen(ctx, open)
	}
	o40.Unlock()
	tb.PutOwner(o40)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := tb.Owner(v40, []byte("oo"), false, false); again != o40 {
		t.Errorf("a 4.0 open-owner was forgotten after its last close")
	}
}

// TestCloseStopsSweep: Close is the table's lifecycle end, as for every
// other Go type: it stops the lease sweep (an unconfirmed record is then
// no longer forgotten by the timer), releases no state, and a second
// Close does nothing and returns nil.
func TestCloseStopsSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := newTable(t, Options{})
		id, _, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte("u"), [8]byte{1}, "p", Callback{})
		if err != nil {
			t.Fatal(err)
		}
		// Sweeps ran at half a lease and at a lease, too early to forget
		// the record; the next would at a lease and a half.
		time.Sleep(lease + lease/5)
		synctest.Wait()
		if err := tb.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := tb.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		time.Sleep(3 * lease)
		synctest.Wait()
		tb.mu.Lock()
		_, kept := tb.clients[uint32(id)]
		tb.mu.Unlock()
		if !kept {
			t.Error("the sweep ran after Close: the unconfirmed record was forgotten")
		}
	})
}

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
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// confirmedFrom makes a confirmed 4.0 client named name from address from.
func confirmedFrom(t *testing.T, tb *Table, from, name string) (*Client, error) {
	t.Helper()
	id, conf, err := tb.SetClientID(context.Background(), netip.MustParseAddr(from), []byte(name), [8]byte{1}, "p", Callback{})
	if err != nil {
		return nil, err
	}
	return tb.ConfirmClientID(context.Background(), id, conf, "p")
}

// openAndLock gives c an open denying writes and a write lock on file f.
func openAndLock(t *testing.T, tb *Table, c *Client, f File) {
	t.Helper()
	ctx := context.Background()
	o, err := tb.Owner(c, []byte("oo"), false, true)
	if err != nil {
		t.Fatal(err)
	}
	o.Lock()
	s, _, err := tb.Open(ctx, o, f, locking.ModeBoth, locking.ModeWrite, false)
	o.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	lo, err := tb.Owner(c, []byte("lo"), true, true)
	if err != nil {
		t.Fatal(err)
	}
	lo.Lock()
	_, _, err = tb.Lock(ctx, lo, s, locking.Range{Off: 0, Len: 10}, true, false)
	lo.Unlock()
	if err != nil {
		t.Fatal(err)
	}
}

// A table full of courtesy clients takes a new client: the courtesy
// client idle longest is released (its locks and share reservations in
// the lock manager, its persisted name, its 4.1 sessions) and forgotten, as RFC 8881 §8.4.3 allows for a client whose
// lease expired. A live client is never evicted, however old, and a
// table full of live clients refuses the new one (ErrResource).
func TestCourtesyEvictedForNewClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		meta := memory.NewMetadata()
		mgr, _ := locking.Open(ctx, locking.Options{Grace: -1})
		tb := newTable(t, Options{MaxClients: 4, Courtesy: time.Hour, Persist: meta})
		// live is the oldest client but keeps its lease; a, b and c
		// follow a second apart and let theirs expire.
		live := confirmed(t, tb, "live", 1, "p")
		var cs []*Client
		for i, name := range []string{"a", "b", "c"} {
			time.Sleep(time.Second)
			c := confirmed(t, tb, name, 1, "p")
			openAndLock(t, tb, c, File{Mgr: mgr, ID: uint64(100 + i)})
			if _, err := tb.CreateSession(c.ID, testChannel); err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
		a, b, c := cs[0], cs[1], cs[2]
		for range 3 {
			time.Sleep(lease / 2)
			if _, err := tb.Client(live.ID); err != nil {
				t.Fatal(err)
			}
		}
		if !tb.isCourtesy(a) || !tb.isCourtesy(b) || !tb.isCourtesy(c) || tb.isCourtesy(live) {
			t.Fatal("a, b and c should be courtesy clients, live not")
		}
		// A new client: a, the courtesy client idle longest, makes room.
		d := confirmed(t, tb, "d", 1, "p")
		if _, err := tb.Client(a.ID); !errors.Is(err, ErrStaleClientID) {
			t.Errorf("evicted courtesy client: %v, want ErrStaleClientID", err)
		}
		if tb.clientByName("a") != nil {
			t.Errorf("evicted courtesy client still known by name")
		}
		if got := mgr.Locks(100); len(got) != 0 {
			t.Errorf("evicted client's locks still held: %v", got)
		}
		if err := mgr.Share(ctx, 100, locking.ShareRequest{Owner: locking.Owner{Proto: locking.ProtoLocal, Client: "z"}, Access: locking.ModeWrite}); err != nil {
			t.Errorf("evicted client's share reservation still held: %v", err)
		}
		if err := meta.View(ctx, func(tx store.Tx) error { _, err := tx.Get(tb.nameKey("a")); return err }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("evicted client's persisted name: %v, want ErrNotFound", err)
		}
		if n := tb.sessionsOf(a.ID); n != 0 {
			t.Errorf("evicted client keeps %d sessions", n)
		}
		if n := tb.sessionsOf(b.ID); n != 1 {
			t.Errorf("courtesy client not in the way has %d sessions, want 1", n)
		}
		// b and c keep their state until a new client needs their room.
		if tb.clientByName("b") != b || tb.clientByName("c") != c || len(mgr.Locks(101)) != 1 {
			t.Errorf("courtesy clients not in the way were released")
		}
		if st := tb.Stats(); st.EvictedCourtesy != 1 || st.Clients != 4 {
			t.Errorf("stats %+v, want 1 courtesy client evicted, 4 clients", st)
		}
		// Two more evict b, then c; then every record is a live client
		// (live renews its lease) and the next one is refused.
		confirmed(t, tb, "e", 1, "p")
		confirmed(t, tb, "f", 1, "p")
		if tb.clientByName("b") != nil || tb.clientByName("c") != nil {
			t.Errorf("b and c not evicted")
		}
		if _, _, err := tb.SetClientID(context.Background(), netip.Addr{}, []byte("g"), [8]byte{1}, "p", Callback{}); !errors.Is(err, ErrResource) {
			t.Errorf("new client in a table of live clients: %v, want ErrResource", err)
		}
		for _, c := range []*Client{live, d} {
			if _, err := tb.Client(c.ID); err != nil {
				t.Errorf("live client %s: %v", c.Name, err)
			}
		}
		if st := tb.Stats(); st.EvictedCourtesy != 3 || st.RefusedFull != 1 {
			t.Errorf("stats %+v, want 3 evicted, 1 refused", st)
		}
		tb.Close()
		mgr.Close()
	})
}

// One address cannot take the table: past MaxClientsPerAddr live
// records its new clients are refused, while other addresses still get
// in; an IPv6 /64 counts as one address. Past MaxUnconfirmedPerAddr the
// address's own oldest unconfirmed record is dropped, and at its cap its
// own unconfirmed records, then its own courtesy clients, make room
// before it is refused, never another address's.
func TestPerAddressCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tb := newTable(t, Options{MaxClientsPerAddr: 3, MaxUnconfirmedPerAddr: 2, Courtesy: time.Hour})
		for i, name := range []string{"a1", "a2", "a3"} {
			if i > 0 {
				time.Sleep(time.Second)
			}
			if _, err := confirmedFrom(t, tb, "192.0.2.1", name); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := confirmedFrom(t, tb, "192.0.2.1", "a4"); !errors.Is(err, ErrResource) {
			t.Errorf("client past the address's cap: %v, want ErrResource", err)
		}
		if _, err := confirmedFrom(t, tb, "::ffff:192.0.2.1", "a4"); !errors.Is(err, ErrResource) {
			t.Errorf("client past the cap from the IPv4-mapped address: %v, want ErrResource", err)
		}
		if _, err := confirmedFrom(t, tb, "192.0.2.2", "b1"); err != nil {
			t.Errorf("client of another address: %v", err)
		}
		if st := tb.Stats(); st.RefusedAddr != 2 || st.RefusedFull != 0 {
			t.Errorf("stats %+v, want 2 refused by address", st)
		}
		// IPv6: one /64 is one source.
		for _, a := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3"} {
			if _, err := confirmedFrom(t, tb, a, "v6 "+a); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := confirmedFrom(t, tb, "2001:db8::ffff:4", "v6 4"); !errors.Is(err, ErrResource) {
			t.Errorf("fourth client of one /64: %v, want ErrResource", err)
		}
		if _, err := confirmedFrom(t, tb, "2001:db8:0:1::1", "v6 other"); err != nil {
			t.Errorf("client of another /64: %v", err)
		}
		// Unconfirmed records: the third drops the address's first.
		from := netip.MustParseAddr("192.0.2.3")
		var ids [3]uint64
		var confs [3][8]byte
		for i := range ids {
			time.Sleep(time.Millisecond)
			var err error
			ids[i], confs[i], err = tb.SetClientID(ctx, from, []byte{'u', byte(i)}, [8]byte{1}, "p", Callback{})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tb.ConfirmClientID(ctx, ids[0], confs[0], "p"); !errors.Is(err, ErrStaleClientID) {
			t.Errorf("confirm of the dropped unconfirmed record: %v, want ErrStaleClientID", err)
		}
		for i := 1; i < 3; i++ {
			if _, err := tb.ConfirmClientID(ctx, ids[i], confs[i], "p"); err != nil {
				t.Errorf("confirm of unconfirmed record %d: %v", i, err)
			}
		}
		if st := tb.Stats(); st.EvictedUnconfirmed != 1 {
			t.Errorf("stats %+v, want 1 unconfirmed record evicted", st)
		}
		// At its cap (two confirmed, one unconfirmed) the address's own
		// unconfirmed record makes room.
		idU, confU, err := tb.SetClientID(ctx, from, []byte("u3"), [8]byte{1}, "p", Callback{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := confirmedFrom(t, tb, "192.0.2.3", "u4"); err != nil {
			t.Errorf("client of an address at its cap with an unconfirmed record: %v", err)
		}
		if _, err := tb.ConfirmClientID(ctx, idU, confU, "p"); !errors.Is(err, ErrStaleClientID) {
			t.Errorf("confirm of the record that made room: %v, want ErrStaleClientID", err)
		}
		// Once the leases of 192.0.2.1's clients expire, its new client
		// takes the place of its own longest-idle courtesy client (a1),
		// not of 192.0.2.2's, which is idle too.
		time.Sleep(2 * lease)
		a1, b1 := tb.clientByName("a1"), tb.clientByName("b1")
		if _, err := confirmedFrom(t, tb, "192.0.2.1", "a4"); err != nil {
			t.Fatalf("client of an address whose clients expired: %v", err)
		}
		if _, err := tb.Client(a1.ID); !errors.Is(err, ErrStaleClientID) {
			t.Errorf("the address's oldest courtesy client: %v, want evicted", err)
		}
		if tb.clientByName("a2") == nil || tb.clientByName("a3") == nil || tb.clientByName("b1") != b1 {
			t.Errorf("a client other than the address's oldest courtesy client was evicted")
		}
		if st := tb.Stats(); st.EvictedCourtesy != 1 {
			t.Errorf("stats %+v, want 1 courtesy client evicted", st)
		}
		tb.Close()
	})
}

// The caps hold for NFSv4.1 clients (EXCHANGE_ID) too, and a courtesy
// 4.1 client evicted for a new one is released with its sessions.
func TestPerAddressCaps41(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tb := newTable(t, Options{MaxClientsPerAddr: 2})
		from := netip.MustParseAddr("198.51.100.7")
		exchange := func(from netip.Addr, name string) (*Client, error) {
			x, err := tb.ExchangeID(ctx, from, []byte(name), [8]byte{1}, "p", false)
			if err != nil {
				return nil, err
			}
			c, _, err := tb.BeginCreateSession(x.ID, x.Seq, "p")
			if err != nil {
				t.Fatal(err)
			}
			tb.EndCreateSession(ctx, c, true, nil)
			return c, nil
		}
		first, err := exchange(from, "x1")
		if err != nil {
			t.Fatal(err)
		}
		ss, err := tb.CreateSession(first.ID, testChannel)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if _, err := exchange(from, "x2"); err != nil {
			t.Fatal(err)
		}
		if _, err := exchange(from, "x3"); !errors.Is(err, ErrResource) {
			t.Errorf("4.1 client past the address's cap: %v, want ErrResource", err)
		}
		// An existing client's EXCHANGE_ID (a new mount) makes no record
		// and is not refused.
		if x, err := tb.ExchangeID(ctx, from, []byte("x2"), [8]byte{1}, "p", false); err != nil || !x.Confirmed {
			t.Errorf("EXCHANGE_ID of a confirmed client at the cap: %+v %v", x, err)
		}
		if _, err := exchange(netip.MustParseAddr("198.51.100.8"), "y"); err != nil {
			t.Errorf("4.1 client of another address: %v", err)
		}
		time.Sleep(2 * lease)
		if _, err := exchange(from, "x3"); err != nil {
			t.Fatalf("4.1 client after the address's clients expired: %v", err)
		}
		if tb.Session(ss.ID()) != nil || tb.sessionsOf(first.ID) != 0 {
			t.Errorf("evicted 4.1 client's session not destroyed")
		}
		tb.Close()
	})
}

// A courtesy client evicted while a callback update of it waits for its
// SETCLIENTID_CONFIRM takes that record along (it shares the client's
// index and could never be confirmed): nothing of the name stays, and
// nothing stays charged to its address.
func TestEvictedCallbackUpdateForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tb := newTable(t, Options{MaxClients: 2, Courtesy: time.Hour})
		x := netip.MustParseAddr("192.0.2.9")
		if _, err := confirmedFrom(t, tb, x.String(), "a"); err != nil {
			t.Fatal(err)
		}
		id, conf, err := tb.SetClientID(ctx, x, []byte("a"), [8]byte{1}, "p", Callback{Addr: "new"})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if _, err := confirmedFrom(t, tb, "192.0.2.11", "c"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * lease)
		if _, err := confirmedFrom(t, tb, "192.0.2.10", "b"); err != nil {
			t.Fatalf("new client in a table of courtesy clients: %v", err)
		}
		if _, err := tb.ConfirmClientID(ctx, id, conf, "p"); !errors.Is(err, ErrStaleClientID) {
			t.Errorf("confirm of the evicted client's callback update: %v, want ErrStaleClientID", err)
		}
		tb.mu.Lock()
		n, charged := tb.byName["a"], len(tb.sources[sourceOf(x)])
		tb.mu.Unlock()
		if n != nil || charged != 0 {
			t.Errorf("after the eviction: name record %+v, %d records charged to its address", n, charged)
		}
		tb.Close()
	})
}

// New clients from several addresses at once, over a table of courtesy
// clients: the lock-manager work of evictions runs outside the table's
// lock, and the bounds hold throughout.
func TestAdmissionConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		mgr, _ := locking.Open(ctx, locking.Options{Grace: -1})
		const maxClients, perAddr = 32, 8
		tb := newTable(t, Options{MaxClients: maxClients, MaxClientsPerAddr: perAddr, MaxUnconfirmedPerAddr: 2, Courtesy: time.Hour})
		for i := range maxClients {
			c, err := confirmedFrom(t, tb, fmt.Sprintf("192.0.2.%d", i%4), fmt.Sprintf("old %d", i))
			if err != nil {
				t.Fatal(err)
			}
			openAndLock(t, tb, c, File{Mgr: mgr, ID: uint64(i)})
		}
		time.Sleep(2 * lease)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 20 {
					_, err := confirmedFrom(t, tb, fmt.Sprintf("198.51.100.%d", g), fmt.Sprintf("new %d %d", g, i))
					if err != nil && !errors.Is(err, ErrResource) && !errors.Is(err, ErrStaleClientID) {
						t.Errorf("new client: %v", err)
					}
				}
			})
		}
		wg.Wait()
		tb.mu.Lock()
		n := len(tb.clients)
		for src, recs := range tb.sources {
			if len(recs) > perAddr {
				t.Errorf("%v holds %d records, cap %d", src, len(recs), perAddr)
			}
		}
		tb.mu.Unlock()
		if st := tb.Stats(); n > maxClients || st.EvictedCourtesy != maxClients {
			t.Errorf("%d records, stats %+v: want at most %d and every courtesy client evicted", n, st, maxClients)
		}
		for i := range maxClients {
			if got := mgr.Locks(uint64(i)); len(got) != 0 {
				t.Errorf("file %d: evicted client's locks still held: %v", i, got)
			}
		}
		tb.Close()
		mgr.Close()
	})
}

// A negative MaxClientsPerAddr or MaxUnconfirmedPerAddr turns that cap
// off: 300 unconfirmed records of one address, past both defaults.
func TestPerAddressCapsOff(t *testing.T) {
	tb := newTable(t, Options{MaxClients: 300, MaxClientsPerAddr: -1, MaxUnconfirmedPerAddr: -1})
	ctx := context.Background()
	from := netip.MustParseAddr("192.0.2.1")
	for i := range 300 {
		if _, _, err := tb.SetClientID(ctx, from, []byte(fmt.Sprint("u", i)), [8]byte{1}, "p", Callback{}); err != nil {
			t.Fatalf("unconfirmed record %d with the caps off: %v", i, err)
		}
	}
	if st := tb.Stats(); st.Clients != 300 || st.EvictedUnconfirmed != 0 {
		t.Errorf("stats %+v, want 300 records and nothing evicted", st)
	}
}

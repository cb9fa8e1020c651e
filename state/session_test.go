package state

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// CREATE_SESSION lowers the fore channel to the server's bounds (RFC 8881
// §18.36.3) and gives fewer slots when the reply cache budget is short,
// none past it (ErrNoSpace); a destroyed session gives its part back.
func TestSessionBudget(t *testing.T) {
	tb := newTable(t, Options{MaxReplyCache: 3 * 4096})
	asked := Channel{MaxRequestSize: 1 << 20, MaxResponseSize: 1 << 20, MaxResponseSizeCached: 1 << 20, MaxOperations: 999, MaxRequests: 1000}
	s1, err := tb.CreateSession(1, asked)
	if err != nil {
		t.Fatal(err)
	}
	want := Channel{MaxRequestSize: 1 << 20, MaxResponseSize: 1 << 20, MaxResponseSizeCached: maxCachedReply, MaxOperations: maxSessionOps, MaxRequests: 1}
	if s1.Fore() != want {
		t.Fatalf("negotiated %+v, want %+v", s1.Fore(), want)
	}
	tb.DestroySession(s1)
	asked.MaxResponseSizeCached = 4096
	s1, err = tb.CreateSession(1, asked)
	if err != nil || s1.Fore().MaxRequests != 3 || s1.slots.size() != 3 {
		t.Fatalf("first session: %v, %+v", err, s1.Fore())
	}
	if _, err := tb.CreateSession(1, asked); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("past the budget: %v", err)
	}
	if st := tb.Stats(); st.Sessions != 1 || st.ReplyCache != 3*4096 {
		t.Errorf("stats %+v, want 1 session holding 12 KiB", st)
	}
	tb.DestroySession(s1)
	tb.DestroySession(s1) // twice: nothing more is given back
	if st := tb.Stats(); st.Sessions != 0 || st.ReplyCache != 0 {
		t.Errorf("stats after destroy %+v", st)
	}
	s2, err := tb.CreateSession(2, asked)
	if err != nil {
		t.Fatalf("after destroy: %v", err)
	}
	if tb.Session(s2.ID()) != s2 || tb.Session(s1.ID()) != nil {
		t.Error("Session finds a destroyed session or misses a live one")
	}
}

// A client has at most maxSessionsPerClient sessions (NFS4ERR_NOSPC past
// them, as RFC 8881 has no status of its own for it), and
// DESTROY_CLIENTID is ErrClientBusy (NFS4ERR_CLIENTID_BUSY, RFC 8881
// §18.50.3) while the client has any.
func TestSessionsPerClient(t *testing.T) {
	ctx := context.Background()
	tb := newTable(t, Options{})
	x, err := tb.ExchangeID(context.Background(), netip.Addr{}, []byte("c"), [8]byte{1}, "p", false)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := tb.BeginCreateSession(x.ID, x.Seq, "p")
	if err != nil {
		t.Fatal(err)
	}
	tb.EndCreateSession(ctx, c, true, nil)
	ch := testChannel
	var all []*Session
	for range maxSessionsPerClient {
		ss, err := tb.CreateSession(c.ID, ch)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ss)
	}
	if _, err := tb.CreateSession(c.ID, ch); !errors.Is(err, ErrNoSpace) {
		t.Errorf("session past the client's bound: %v, want ErrNoSpace", err)
	}
	if err := tb.DestroyClient(ctx, c.ID); !errors.Is(err, ErrClientBusy) {
		t.Errorf("DESTROY_CLIENTID with sessions: %v, want ErrClientBusy", err)
	}
	for _, ss := range all {
		tb.DestroySession(ss)
	}
	if err := tb.DestroyClient(ctx, c.ID); err != nil {
		t.Errorf("DESTROY_CLIENTID without sessions: %v", err)
	}
}

// testChannel is a small fore channel for tests.
var testChannel = Channel{MaxRequestSize: 4096, MaxResponseSize: 4096, MaxResponseSizeCached: 512, MaxOperations: 8, MaxRequests: 2}

package locking

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type breakRec struct {
	mu      sync.Mutex
	breaks  []GrantKind
	revoked []GrantID
}

func (b *breakRec) Break(id GrantID, to GrantKind) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.breaks = append(b.breaks, to)
}

func (b *breakRec) Revoked(id GrantID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.revoked = append(b.revoked, id)
}

func TestGrantBreakAndReturn(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	var br breakRec
	id, err := m.Grant(ctx, 1, v4C, GrantRead, &br)
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasGrants(v4C.Proto, v4C.Client) || m.HasGrants(smbD.Proto, smbD.Client) {
		t.Fatal("HasGrants after one grant to C")
	}
	// A second read grant to another client and reads are fine.
	if _, err := m.Grant(ctx, 1, smbD, GrantRead, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Access(ctx, 1, nlmA, false); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 1}}); err != nil {
		t.Fatalf("shared lock vs read grant: %v", err)
	}
	if err := m.Unlock(ctx, 1, nlmA, Range{}); err != nil {
		t.Fatal(err)
	}
	// The holder's own lock owners do not break it.
	if err := m.Lock(ctx, 1, Request{Owner: Owner{Proto: ProtoNFS4, Client: "client-c", Key: "lo2"}, Exclusive: true}); !errors.Is(err, ErrBreaking) {
		// smbD's read grant conflicts with C's write lock.
		t.Fatalf("C's exclusive lock vs D's grant: %v", err)
	}
	br.mu.Lock()
	if len(br.breaks) != 0 {
		t.Fatal("C's own grant was broken by C")
	}
	br.mu.Unlock()
	// A blocking exclusive lock by another client breaks the read grants and waits.
	g := make(recorder, 1)
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Exclusive: true, Block: true, Granted: g.granted}); err != ErrBlocked {
		t.Fatalf("blocking lock vs grant: %v", err)
	}
	br.mu.Lock()
	if len(br.breaks) != 1 || br.breaks[0] != GrantNone {
		t.Fatalf("breaks %v", br.breaks)
	}
	br.mu.Unlock()
	if _, err := m.Grant(ctx, 1, Owner{Proto: ProtoNFS4, Client: "x"}, GrantRead, nil); err != ErrDenied {
		t.Fatalf("grant during a break: %v", err)
	}
	if k, breaking, _ := m.GrantOf(id); k != GrantRead || !breaking {
		t.Fatalf("GrantOf = %v %v", k, breaking)
	}
	if err := m.Return(ctx, id); err != nil {
		t.Fatal(err)
	}
	if m.HasGrants(v4C.Proto, v4C.Client) || !m.HasGrants(smbD.Proto, smbD.Client) {
		t.Fatal("HasGrants after C returned its grant")
	}
	g.none(t) // D's grant still holds it up
	for gid := range m.grants {
		if err := m.Return(ctx, gid); err != nil {
			t.Fatal(err)
		}
	}
	g.want(t, nil)
	if err := m.Return(ctx, id); err != ErrNoGrant {
		t.Fatalf("second return: %v", err)
	}
}

func TestWriteGrantConflicts(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	if err := m.Share(ctx, 1, ShareRequest{Owner: nlmA, Access: ModeRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Grant(ctx, 1, v4C, GrantWrite, nil); err != ErrDenied {
		t.Fatalf("write grant with another client's open: %v", err)
	}
	if _, err := m.Grant(ctx, 1, v4C, GrantRead, nil); err != nil {
		t.Fatalf("read grant with another client's read open: %v", err)
	}
	var br breakRec
	id, err := m.Grant(ctx, 2, v4C, GrantWrite, &br)
	if err != nil {
		t.Fatal(err)
	}
	// A read by another client breaks a write grant to read.
	if err := m.Access(ctx, 2, smbD, false); err != ErrBreaking {
		t.Fatalf("read vs write grant: %v", err)
	}
	if err := m.Downgrade(ctx, id, GrantRead); err != nil {
		t.Fatal(err)
	}
	if k, breaking, _ := m.GrantOf(id); k != GrantRead || breaking {
		t.Fatalf("after downgrade: %v %v", k, breaking)
	}
	if err := m.Access(ctx, 2, smbD, false); err != nil {
		t.Fatalf("read vs read grant: %v", err)
	}
	if err := m.Share(ctx, 2, ShareRequest{Owner: smbD, Access: ModeWrite}); err != ErrBreaking {
		t.Fatalf("write open vs read grant: %v", err)
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.breaks) != 2 || br.breaks[0] != GrantRead || br.breaks[1] != GrantNone {
		t.Fatalf("breaks %v", br.breaks)
	}
}

func TestGrantRevokedAfterTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		m, err := Open(ctx, Options{Grace: -1, RecallTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		var br breakRec
		id, err := m.Grant(ctx, 1, v4C, GrantWrite, &br)
		if err != nil {
			t.Fatal(err)
		}
		g := make(recorder, 1)
		if err := m.Lock(ctx, 1, Request{Owner: nlmA, Block: true, Granted: g.granted}); err != ErrBlocked {
			t.Fatal(err)
		}
		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		g.none(t)
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		g.want(t, nil)
		br.mu.Lock()
		defer br.mu.Unlock()
		if len(br.revoked) != 1 || br.revoked[0] != id {
			t.Fatalf("revoked %v", br.revoked)
		}
		if _, _, err := m.GrantOf(id); err != ErrNoGrant {
			t.Fatalf("grant still there: %v", err)
		}
	})
}

// TestGrantLocal: a protocol-local grant (SMB's oplocks and leases, whose
// conflicts between SMB opens SMB decides) is given over the same
// protocol's share reservations and is not broken by them, but other
// protocols' shares, locks and accesses break it as any grant.
func TestGrantLocal(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Options{})
	smbE := Owner{Proto: ProtoSMB, Client: "client-e", Key: "open1"}
	smbCache := Owner{Proto: ProtoSMB, Client: "cache"}
	if err := m.Share(ctx, 1, ShareRequest{Owner: smbE, Access: ModeBoth}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Grant(ctx, 1, smbCache, GrantWrite, nil); !errors.Is(err, ErrDenied) {
		t.Fatalf("plain grant over another client's write share: %v", err)
	}
	var br breakRec
	id, err := m.GrantLocal(ctx, 1, smbCache, GrantWrite, &br)
	if err != nil {
		t.Fatalf("local grant over the protocol's own share: %v", err)
	}
	// Another SMB client's reservation and access do not break it.
	if err := m.Share(ctx, 1, ShareRequest{Owner: smbD, Access: ModeBoth}); err != nil {
		t.Fatalf("SMB share vs local grant: %v", err)
	}
	if err := m.Access(ctx, 1, smbD, true); err != nil {
		t.Fatalf("SMB write vs local grant: %v", err)
	}
	// An NFSv4 read breaks it to read, an NLM lock to none.
	if err := m.Access(ctx, 1, v4C, false); !errors.Is(err, ErrBreaking) {
		t.Fatalf("NFSv4 read vs local write grant: %v", err)
	}
	if err := m.Downgrade(ctx, id, GrantRead); err != nil {
		t.Fatal(err)
	}
	if err := m.Access(ctx, 1, v4C, false); err != nil {
		t.Fatalf("NFSv4 read after the downgrade: %v", err)
	}
	if err := m.Lock(ctx, 1, Request{Owner: nlmA, Range: Range{0, 1}, Exclusive: true}); !errors.Is(err, ErrBreaking) {
		t.Fatalf("NLM lock vs local read grant: %v", err)
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.breaks) != 2 || br.breaks[0] != GrantRead || br.breaks[1] != GrantNone {
		t.Fatalf("breaks %v, want read then none", br.breaks)
	}
}

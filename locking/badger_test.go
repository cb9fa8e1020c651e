package locking

import (
	"context"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/store/badger"
)

// TestRestartOverBadger persists locks in a Badger store, closes the store
// and the manager as a server shutdown does, and reopens both from disk.
func TestRestartOverBadger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() (*badger.Metadata, *Manager) {
		meta, err := badger.Open(dir, badger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := Open(ctx, Options{Persist: meta})
		if err != nil {
			t.Fatal(err)
		}
		return meta, m
	}
	meta, m := open()
	if m.InGrace(ctx) {
		t.Fatal("empty store in grace")
	}
	if err := m.Lock(ctx, 42, Request{Owner: nlmA, Range: Range{0, 10}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Share(ctx, 43, ShareRequest{Owner: v4C, Access: ModeBoth, Deny: ModeWrite}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if err := meta.Close(); err != nil {
		t.Fatal(err)
	}

	meta, m = open()
	defer meta.Close()
	defer m.Close()
	if !m.InGrace(ctx) {
		t.Fatal("restart from disk not in grace")
	}
	if err := m.Lock(ctx, 42, Request{Owner: nlmB, Range: Range{5, 1}}); err != ErrGrace {
		t.Fatalf("non-reclaim in grace: %v", err)
	}
	if err := m.Lock(ctx, 42, Request{Owner: nlmA, Range: Range{0, 10}, Exclusive: true, Reclaim: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Share(ctx, 43, ShareRequest{Owner: v4C, Access: ModeBoth, Deny: ModeWrite, Reclaim: true}); err != nil {
		t.Fatal(err)
	}
	m.ReclaimComplete(ctx, ProtoNLM, "hostA")
	m.ReclaimComplete(ctx, ProtoNFS4, "client-c")
	if m.InGrace(ctx) {
		t.Fatal("grace did not end after every client completed")
	}
	if err := m.Lock(ctx, 42, Request{Owner: nlmB, Range: Range{5, 1}}); !errors.Is(err, ErrDenied) {
		t.Fatalf("reclaimed lock does not conflict: %v", err)
	}
	if err := m.Share(ctx, 43, ShareRequest{Owner: smbD, Access: ModeWrite}); err != ErrDenied {
		t.Fatalf("reclaimed share does not deny: %v", err)
	}
}

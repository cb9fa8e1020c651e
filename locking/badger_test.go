package locking

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
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

// TestLegacyRecordsRead: a store written by an older version (keys under
// "\xffLK", one version 1 record per file) is moved into the "locking"
// namespace at Open, its holders get the grace period to reclaim (RFC 7530
// §9.6.2), and the old records go away when the grace period ends.
func TestLegacyRecordsRead(t *testing.T) {
	ctx := context.Background()
	meta, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	rec := encodeRecord([]heldLock{{owner: nlmA, first: 0, last: 9, excl: true}}, []share{{owner: v4C, access: ModeBoth, deny: ModeWrite}})
	if err := meta.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("\xffLKb"), binary.BigEndian.AppendUint64(nil, 3)); err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte("\xffLKf"), 3), 42)
		return tx.Put(k, rec)
	}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(ctx, Options{Persist: meta, Grace: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.InGrace(ctx) {
		t.Fatal("legacy records did not start the grace period")
	}
	if err := m.Lock(ctx, 42, Request{Owner: nlmA, Range: Range{0, 10}, Exclusive: true, Reclaim: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Share(ctx, 42, ShareRequest{Owner: v4C, Access: ModeBoth, Deny: ModeWrite, Reclaim: true}); err != nil {
		t.Fatal(err)
	}
	m.ReclaimComplete(ctx, ProtoNLM, "hostA")
	m.ReclaimComplete(ctx, ProtoNFS4, "client-c")
	if m.InGrace(ctx) {
		t.Fatal("grace did not end")
	}
	var keys []string
	if err := meta.View(ctx, func(tx store.Tx) error {
		return tx.Scan([]byte{0xff}, nil, func(k, _ []byte) bool {
			keys = append(keys, string(k))
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	// The epoch, the reclaimed lock and the reclaimed share, in the
	// namespace; nothing under the old prefix, no version 1 record.
	if len(keys) != 3 {
		t.Fatalf("keys %q", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, string(KeyPrefix)) || k[len(KeyPrefix)] == keyFile {
			t.Errorf("key %q", k)
		}
	}
}

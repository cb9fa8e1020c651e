// Package storetest is the conformance suite for store.Metadata and
// store.Blocks backends, and the model-based test of store.FS over a pair
// of them. Every backend in this module passes it, and an embedder who
// brings their own backend runs it in a few lines:
//
//	func TestConformance(t *testing.T) {
//		storetest.Metadata(t, func(t *testing.T) store.Metadata {
//			m := mydb.Open(t.TempDir())
//			t.Cleanup(func() { m.Close() })
//			return m
//		})
//	}
//
//	func TestFS(t *testing.T) {
//		storetest.FS(t, func(t *testing.T) (store.Metadata, store.Blocks) {
//			return newMeta(t), newBlocks(t)
//		})
//	}
//
// Each subtest asks the factory for a fresh, empty backend. The factory
// should register its own cleanup; the suite closes backends itself in
// the tests of Close, so Close must be idempotent.
//
// The suite assumes exactly what the documentation of store.Metadata,
// store.Tx, store.Blocks, store.Persistence and store.Syncer says; the
// properties beyond the method contracts (a View never waits for an
// Update, a done context fails View and Update, a Tx used after its
// transaction errors, Close is idempotent, Scan sees the transaction as
// of the call, the sizes a backend must take) are listed in
// store.Metadata's documentation.
//
// A backend must declare its persistence (store.Persistence): the
// Persistence subtest fails one that does not, which is what a wrapper
// that embeds the store interface and so hides its backend's optional
// interfaces looks like. A persistent backend must implement store.Syncer,
// and the suite must be given a Reopen function (MetadataOptions.Reopen,
// BlocksOptions.Reopen) to check that data survives a restart.
//
// A failing backend fails the suite, never hangs it: every subtest runs
// under a watchdog that fails it when neither the test nor the backend
// makes progress for DefaultTimeout (or the Timeout option), naming the
// calls in progress ("View: waiting to run its function for 10s; Update:
// in its function for 10s"), and then cancels the contexts it passed so
// that the goroutines of the test can leave. A panic in the backend fails
// the subtest it happens in.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
)

// MetadataOptions configures Metadata. The zero value runs every test that
// needs no persistence.
type MetadataOptions struct {
	// Reopen closes m and returns a backend over the same storage, as a
	// process restart would. The returned backend's cleanup is Reopen's
	// job. When nil, the persistence tests are skipped.
	Reopen func(t *testing.T, m store.Metadata) store.Metadata
	// Timeout is how long a subtest may make no progress before it fails
	// (zero: DefaultTimeout). Raise it for a backend whose single calls
	// can take longer, such as one across a slow network.
	Timeout time.Duration
}

// BlocksOptions configures Blocks. The zero value runs every test that
// needs no persistence.
type BlocksOptions struct {
	// Reopen closes b (when it has a Close method) and returns a backend
	// over the same storage. When nil, the persistence tests are skipped.
	Reopen func(t *testing.T, b store.Blocks) store.Blocks
	// Timeout is as in MetadataOptions.
	Timeout time.Duration
}

// testRand returns a deterministic random source for a test, so that a
// failure reproduces.
func testRand(t interface{ Name() string }) *rand.Rand {
	h := sha256.Sum256([]byte(t.Name()))
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16])))
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// short describes a byte slice for an error message without printing
// megabytes.
func short(b []byte) string {
	if len(b) <= 40 {
		return fmt.Sprintf("%q", b)
	}
	h := sha256.Sum256(b)
	return fmt.Sprintf("%q...(%d bytes, sha256 %x)", b[:16], len(b), h[:4])
}

// testPersistence checks what the backend declares (store.Persistence,
// store.Syncer) against what the suite was told (a Reopen function):
// the optional interfaces a wrapper hides make it fail here instead of
// silently in production. write stores something for Sync to flush.
func testPersistence(t *tt, hasReopen bool, write func()) {
	b := t.backend
	p, declared := b.(store.Persistence)
	s, syncer := b.(store.Syncer)
	switch {
	case declared:
	case syncer:
		t.Errorf("%T implements store.Syncer but not store.Persistence: declare Persistent() (a Syncer without it is taken as persistent)", b)
	default:
		t.Fatalf("%T declares no persistence: implement store.Persistence (Persistent() false for a backend that keeps nothing across a restart). "+
			"A wrapper that embeds the store interface hides its backend's Persistence and Syncer: forward both", b)
	}
	persistent := !declared || p.Persistent()
	switch {
	case persistent && !syncer:
		t.Fatalf("%T is persistent but does not implement store.Syncer: store.FS could not make NFS COMMIT durable (store.NewFS refuses it). "+
			"A wrapper must forward Sync", b)
	case persistent && !hasReopen:
		t.Errorf("%T is persistent: pass a Reopen function in the options so that the suite checks that its data survives a restart", b)
	case !persistent && hasReopen:
		t.Errorf("%T declares Persistent() false, yet the suite was given a Reopen function: a backend whose data survives a restart declares Persistent() true", b)
	}
	if syncer {
		write()
		if err := s.Sync(t.ctx); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		ctx, cancel := context.WithCancel(t.ctx)
		cancel()
		if err := s.Sync(ctx); !errors.Is(err, context.Canceled) && err != nil {
			t.Errorf("Sync with a canceled context: %v, want nil or context.Canceled", err)
		}
	}
}

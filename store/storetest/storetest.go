// Package storetest is the conformance suite for store.Metadata and
// store.Blocks backends. Every backend in this module passes it, and an
// embedder who brings their own backend runs it in one line:
//
//	func TestConformance(t *testing.T) {
//		storetest.Metadata(t, func(t *testing.T) store.Metadata {
//			m := mydb.Open(t.TempDir())
//			t.Cleanup(func() { m.Close() })
//			return m
//		})
//	}
//
// Each subtest asks newBackend for a fresh, empty backend. The factory
// should register its own cleanup; the suite closes backends itself in the
// tests of Close, so Close must tolerate being called twice (the second
// call may return an error, which the cleanup should ignore).
//
// Persistence (close and reopen) is tested only when the options carry a
// Reopen function.
//
// The suite assumes what the contracts in package store say, plus these
// properties, which every backend here has and which store.FS relies on:
//
//   - a View never waits for a running Update (reads run on a snapshot);
//   - Scan sees the transaction's state as of the call, and fn may Put and
//     Delete, also keys in the range being scanned;
//   - View and Update return the context's error when ctx is already done,
//     without running fn;
//   - using a Tx after its transaction ended returns an error, never panics;
//   - ReadAt fills p exactly to the end of a block with a nil error, and
//     returns io.EOF only when the block ends before p is full.
package storetest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// MetadataOptions configures Metadata. The zero value runs every test that
// needs no persistence.
type MetadataOptions struct {
	// Reopen closes m and returns a backend over the same storage, as a
	// process restart would. The returned backend's cleanup is Reopen's
	// job. When nil, the persistence tests are skipped.
	Reopen func(t *testing.T, m store.Metadata) store.Metadata
}

// BlocksOptions configures Blocks. The zero value runs every test that
// needs no persistence.
type BlocksOptions struct {
	// Reopen closes b (when it has a Close method) and returns a backend
	// over the same storage. When nil, the persistence tests are skipped.
	Reopen func(t *testing.T, b store.Blocks) store.Blocks
}

// testRand returns a deterministic random source for a test, so that a
// failure reproduces.
func testRand(t *testing.T) *rand.Rand {
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

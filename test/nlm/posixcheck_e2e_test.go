//go:build e2e

package nlm_test

import (
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
)

// posixcheckLocked is what posixcheck must report over an NFSv3 mount
// with locking on: lock.fcntl and lock.flock go through NLM.
var posixcheckLocked = nfstest.PosixcheckLocked()

// TestPosixcheck runs all of posixcheck over a vers=3 mount without
// nolock (the guest's lockd talking NLM to the server) and fails on any
// outcome that differs from posixcheckLocked.
func TestPosixcheck(t *testing.T) {
	if n := len(posixcheckLocked); n != 40 {
		t.Fatalf("the expected list has %d checks, want 40", n)
	}
	e := nfstest.NewEnv(t)
	cfg := e.Guest(t, "guest-a", "true")
	cfg.Options = nil // the harness's defaults, as test/nfs3's run
	cfg.Timeout = 4 * time.Minute
	nfstest.RunPosixcheck(t, cfg, posixcheckLocked)
	// lock.fcntl and lock.flock went to the server: local_lock=none, and
	// the server's NLM was called (the guest settles the conflict between
	// its two processes itself, but takes every lock from the server).
	if n := e.Count("nlm call"); n == 0 {
		t.Errorf("the server's NLM was never called")
	}
	e.NoWarnings(t)
}

//go:build e2e

package nfs4_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
)

// TestPosixcheck40 runs all of posixcheck over a vers=4.0 mount and fails
// on any outcome that differs from nfstest.PosixcheckLocked: every check
// passes, the locks going to the server as NFSv4 LOCK, LOCKT and LOCKU;
// only xattr.user is skipped (extended attributes are NFSv4.2's, RFC
// 8276).
func TestPosixcheck40(t *testing.T) {
	timed(t)
	want := nfstest.PosixcheckLocked()
	e := newEnv(t)
	cfg := e.Guest4(t, "guest-a", "true")
	cfg.Options = nil // the harness's defaults, as test/nfs3's run
	cfg.Timeout = 5 * time.Minute
	rep := nfstest.RunPosixcheck(t, cfg, want)
	// The locks go to the server: the client keeps no local-only locks
	// (local_lock=none). Between two processes of one guest the Linux
	// client settles a conflict itself before it asks the server
	// (_nfs4_proc_setlk's FL_ACCESS pass), so the server's side of a
	// conflict is proved by TestCrossProtocol.
	if !slices.ContainsFunc(rep.Comments, func(c string) bool { return strings.Contains(c, "local_lock=none") }) {
		t.Errorf("the mount's options do not say local_lock=none:\n%s", strings.Join(rep.Comments, "\n"))
	}
	checkServer(t, e)
}

// nfsstat4 values the tests count (RFC 7530 §13).
const nfs4errGrace = 10013

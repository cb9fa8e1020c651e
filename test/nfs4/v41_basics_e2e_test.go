//go:build e2e

package nfs4_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/internal/nfstest"
	"github.com/dittofs/dittofs/test/vm"
)

// v41Guest is Guest4 at vers=4.1: no callback forward, since NFSv4.1
// calls back over the client's own connection (RFC 8881 §2.10.3.1).
func v41Guest(t *testing.T, e *nfstest.Env, name, script string) vm.Config {
	cfg := e.Guest4(t, name, script)
	cfg.Vers, cfg.Callback = "4.1", false
	return cfg
}

// TestV41Basics mounts vers=4.1 and runs the everyday operations (those
// of TestMountBasics), checks that /proc/mounts says vers=4.1, and that
// the client used a session (SEQUENCE) and, on umount, ended its client
// record (DESTROY_CLIENTID).
func TestV41Basics(t *testing.T) {
	timed(t)
	e := newEnv(t)
	w := e.Srv.WatchSessions()
	script := "set -e\necho \"= $(grep -o 'vers=[0-9.]*' /proc/mounts)\"\n" + basicsScript
	res := nfstest.Run(t, v41Guest(t, e, "guest-a", script))
	checkBasics(t, e, res, append([]string{"vers=4.1"}, basicsWant...))
	if s := w.Conns(); len(s) != 1 {
		t.Errorf("sessions used: %v, want one", s)
	}
	if n := w.Count(opReclaimComplete, false, 0); n != 1 {
		t.Errorf("RECLAIM_COMPLETE answered NFS4_OK %d times, want 1 (after the mount)", n)
	}
	if n := w.Count(opDestroyClientID, false, 0); n != 1 {
		t.Errorf("DESTROY_CLIENTID answered NFS4_OK %d times, want 1 (at umount)", n)
	}
	e.NoWarnings(t)
}

// NFSv4.1 operations the tests count (RFC 8881 §18).
const (
	opReclaimComplete = nfstest.OpReclaimComplete
	opDestroyClientID = 57
)

// TestV41Posixcheck runs all of posixcheck over a vers=4.1 mount against
// nfstest.PosixcheckLocked: every check passes (locks as NFSv4 LOCK,
// LOCKT and LOCKU in the session), xattr.user is skipped (NFSv4.2).
func TestV41Posixcheck(t *testing.T) {
	timed(t)
	e := newEnv(t)
	cfg := v41Guest(t, e, "guest-a", "true")
	cfg.Options = nil
	cfg.Timeout = 5 * time.Minute
	rep := nfstest.RunPosixcheck(t, cfg, nfstest.PosixcheckLocked())
	if !slices.ContainsFunc(rep.Comments, func(c string) bool { return strings.Contains(c, "vers=4.1") }) {
		t.Errorf("the mount's options do not say vers=4.1:\n%s", strings.Join(rep.Comments, "\n"))
	}
	e.NoWarnings(t)
}

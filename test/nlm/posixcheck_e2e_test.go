//go:build e2e

package nlm_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/conformance"
	"github.com/dittofs/dittofs/test/internal/nfstest"
)

// posixcheckLocked is what posixcheck (test/conformance) must report over
// an NFSv3 mount with locking on: every check passes except xattr.user,
// which does not apply before NFSv4.2. On a nolock mount lock.fcntl and
// lock.flock are skipped (test/nfs3's list); here they go through NLM.
var posixcheckLocked = func() map[string]conformance.Outcome {
	m := map[string]conformance.Outcome{}
	for _, n := range []string{
		"chmod.modes", "chown.root", "dir.setgid_inherit", "fsync.server_data",
		"integrity.random_overwrite", "integrity.two_writers", "io.large_sparse", "io.pwrite_pread",
		"link.count", "link.dir_refused", "lock.fcntl", "lock.flock", "mkdir.nlink", "mkdir.rmdir",
		"mmap.shared", "name.max", "open.append", "open.creat_excl", "open.create_umask",
		"open.eisdir_enoent", "open.trunc", "perm.chmod_chown_owner", "perm.dir_search",
		"perm.unprivileged", "readdir.10000", "readdir.while_adding", "rename.across_dirs",
		"rename.dir", "rename.dir_over_nonempty", "rename.file", "rename.into_own_subtree",
		"rename.over_existing", "rename.same_inode", "sticky.dir", "symlink.readlink",
		"truncate.shrink_extend", "unlink.open_file", "utimes.file", "utimes.symlink",
	} {
		m[n] = conformance.Pass
	}
	m["xattr.user"] = conformance.Skip
	return m
}()

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
	rep, res, err := conformance.Run(t.Context(), cfg)
	t.Logf("posixcheck ran for %v", res.Elapsed.Round(time.Second))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s\nconsole:\n%s", err, res.Output, res.Console)
	}
	for _, c := range rep.Comments {
		t.Log(c)
	}
	for _, d := range conformance.Compare(rep, posixcheckLocked) {
		t.Error(d)
	}
	if got := slices.Sorted(maps.Keys(rep.Outcomes())); len(got) != len(posixcheckLocked) {
		t.Errorf("posixcheck reported %d checks, want %d", len(got), len(posixcheckLocked))
	}
	// lock.fcntl and lock.flock went to the server: local_lock=none, and
	// the server's NLM was called (the guest settles the conflict between
	// its two processes itself, but takes every lock from the server).
	if n := e.Count("nlm call"); n == 0 {
		t.Errorf("the server's NLM was never called")
	}
	e.NoWarnings(t)
}

package nfstest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/dittofs/dittofs/test/conformance"
	"github.com/dittofs/dittofs/test/vm"
)

// PosixcheckLocked is what posixcheck (test/conformance) must report over
// a mount whose locks go to the server (NFSv3 with NLM, or NFSv4.0 and
// 4.1): every check passes except xattr.user, which does not apply before
// NFSv4.2. On an NFSv3 nolock mount lock.fcntl and lock.flock are skipped
// instead (test/nfs3's list).
func PosixcheckLocked() map[string]conformance.Outcome {
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
}

// RunPosixcheck runs all of posixcheck in a guest configured by cfg and
// fails the test on any outcome that differs from want, or on a check
// that want does not list. It returns the report.
func RunPosixcheck(t testing.TB, cfg vm.Config, want map[string]conformance.Outcome) conformance.Report {
	t.Helper()
	rep, res, err := conformance.Run(t.Context(), cfg)
	t.Logf("posixcheck ran for %v", res.Elapsed.Round(time.Second))
	if err != nil {
		t.Fatalf("%v\noutput:\n%s\nconsole:\n%s", err, res.Output, res.Console)
	}
	for _, c := range rep.Comments {
		t.Log(c)
	}
	for _, d := range conformance.Compare(rep, want) {
		t.Error(d)
	}
	if got := slices.Sorted(maps.Keys(rep.Outcomes())); len(got) != len(want) {
		t.Errorf("posixcheck reported %d checks, want %d", len(got), len(want))
	}
	return rep
}

package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unsafe"
)

// allChecks lists every check in the order they run. Names are stable: the
// reference lists (reference-ganesha.md) and callers' expected lists key on
// them.
func allChecks() []check {
	return []check{
		{"open.creat_excl", "POSIX open(): O_CREAT|O_EXCL creates a new file and fails with EEXIST if the name exists", checkCreatExcl},
		{"open.trunc", "POSIX open(): O_TRUNC on an existing regular file opened for writing truncates it to length 0", checkTrunc},
		{"open.append", "POSIX write(): with O_APPEND the offset is set to the end of file before each write", checkAppend},
		{"open.eisdir_enoent", "POSIX open(): EISDIR when opening a directory for writing, ENOENT for a missing name without O_CREAT", checkOpenErrors},
		{"open.create_umask", "POSIX open(): the new file's permission bits are the mode argument less the process umask", checkCreateUmask},
		{"io.pwrite_pread", "POSIX pwrite()/pread(): I/O at explicit offsets; bytes never written read as zero", checkPwritePread},
		{"io.large_sparse", "POSIX lseek()/write(): a write past 4 GiB extends the file; the gap reads as zeros (RFC 1813/RFC 7530 64-bit offsets)", checkLargeSparse},
		{"truncate.shrink_extend", "POSIX ftruncate()/truncate(): shrinking discards data; extending reads back as zeros", checkTruncate},
		{"rename.file", "POSIX rename(): the file is reachable under the new name only", checkRenameFile},
		{"rename.over_existing", "POSIX rename(): an existing new name is atomically replaced", checkRenameOver},
		{"rename.dir", "POSIX rename(): a directory moves with its contents", checkRenameDir},
		{"rename.across_dirs", "POSIX rename(): moving between directories updates both", checkRenameAcross},
		{"rename.into_own_subtree", "POSIX rename(): EINVAL when the new path names a descendant of the old directory", checkRenameSubtree},
		{"rename.dir_over_nonempty", "POSIX rename(): EEXIST or ENOTEMPTY when the new name is a non-empty directory", checkRenameDirNonEmpty},
		{"rename.same_inode", "POSIX rename(): if old and new are links to the same file, rename succeeds and does nothing", checkRenameSameInode},
		{"link.count", "POSIX link()/unlink(): st_nlink counts the names; the data stays until the last one goes", checkLinkCount},
		{"link.dir_refused", "POSIX link(): EPERM when the existing path is a directory (Linux)", checkLinkDir},
		{"unlink.open_file", "POSIX unlink(): an open file stays readable through its descriptor after its last name is removed", checkUnlinkOpen},
		{"symlink.readlink", "POSIX symlink()/readlink(): the link holds the target text exactly; stat follows, lstat does not", checkSymlink},
		{"mkdir.rmdir", "POSIX mkdir()/rmdir(): EEXIST for an existing name, ENOTEMPTY or EEXIST for a non-empty directory", checkMkdirRmdir},
		{"mkdir.nlink", "Linux/knfsd convention: a directory's st_nlink is 2 plus its subdirectories", checkDirNlink},
		{"name.max", "POSIX NAME_MAX: a 255-byte name works; 256 bytes fail with ENAMETOOLONG", checkNameMax},
		{"chmod.modes", "POSIX chmod(): the mode bits, including setuid, setgid and sticky, read back from stat", checkChmod},
		{"chown.root", "POSIX chown(): root may give a file any owner and group (no_root_squash export)", checkChownRoot},
		{"perm.unprivileged", "POSIX access rules: a non-owner without the permission bit gets EACCES for read and write", checkPermUnprivileged},
		{"perm.dir_search", "POSIX path resolution: EACCES without search (x) permission on a directory in the path", checkPermDirSearch},
		{"perm.chmod_chown_owner", "POSIX chmod()/chown(): EPERM for chmod by a non-owner, for giving a file away as non-root, and for any chown by a non-owner (even to the current owner and group) on every file type, through symlinks and with lchown", checkPermOwner},
		{"dir.setgid_inherit", "POSIX/BSD semantics: a file created in a setgid directory takes the directory's group", checkSetgidInherit},
		{"sticky.dir", "POSIX S_ISVTX: in a sticky directory only the file's owner (or the directory's, or root) may remove or rename it", checkSticky},
		{"utimes.file", "POSIX utimensat(): atime and mtime are set to the given times, with nanoseconds where the protocol carries them", checkUtimesFile},
		{"utimes.symlink", "POSIX utimensat(AT_SYMLINK_NOFOLLOW): the link's own times change, not its target's", checkUtimesSymlink},
		{"readdir.10000", "POSIX readdir(): every entry of a 10,000-entry directory is returned exactly once", checkReaddirLarge},
		{"readdir.while_adding", "POSIX readdir(): entries present before opendir are returned exactly once even while others are added", checkReaddirWhileAdding},
		{"fsync.server_data", "POSIX fsync(): after fsync the data is on the server (read back with O_DIRECT, bypassing the client cache)", checkFsync},
		{"mmap.shared", "POSIX mmap(MAP_SHARED)/msync(): stores through the mapping reach the file; file data shows in a mapping", checkMmap},
		{"lock.fcntl", "POSIX fcntl() F_SETLK/F_GETLK: a write lock blocks overlapping locks of another process, not disjoint ones", checkFcntlLock},
		{"lock.flock", "flock(2) (emulated with whole-file locks on NFS): LOCK_EX excludes another open file description", checkFlock},
		{"xattr.user", "RFC 8276 (NFSv4.2 extended attributes): user.* xattrs can be set, read, listed and removed", checkXattr},
		{"integrity.two_writers", "POSIX write(): two processes writing disjoint blocks leave exactly their data (checked by SHA-256)", checkTwoWriters},
		{"integrity.random_overwrite", "POSIX write(): random overlapping writes read back as the last write at every byte", checkRandomOverwrite},
	}
}

func expectErrno(op string, err error, want ...syscall.Errno) error {
	for _, w := range want {
		if errors.Is(err, w) {
			return nil
		}
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = errnoName(w)
	}
	if err == nil {
		return fmt.Errorf("%s succeeded, want %s", op, strings.Join(names, " or "))
	}
	return fmt.Errorf("%s: got %v, want %s", op, err, strings.Join(names, " or "))
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EEXIST:
		return "EEXIST"
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.EACCES:
		return "EACCES"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.ENOTEMPTY:
		return "ENOTEMPTY"
	case syscall.EISDIR:
		return "EISDIR"
	case syscall.ENAMETOOLONG:
		return "ENAMETOOLONG"
	case syscall.EAGAIN:
		return "EAGAIN"
	case syscall.ENODATA:
		return "ENODATA"
	}
	return fmt.Sprintf("errno %d", int(e))
}

func lstat(p string) (syscall.Stat_t, error) {
	var st syscall.Stat_t
	err := syscall.Lstat(p, &st)
	return st, err
}

func stat(p string) (syscall.Stat_t, error) {
	var st syscall.Stat_t
	err := syscall.Stat(p, &st)
	return st, err
}

func writeFile(p string, data []byte) error { return os.WriteFile(p, data, 0o644) }

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}

func wantContent(p, want string) error {
	got, err := readFile(p)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s holds %q, want %q", filepath.Base(p), short(got), short(want))
	}
	return nil
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func mustNotExist(p string) error {
	if _, err := lstat(p); !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%s: lstat gave %v, want ENOENT", filepath.Base(p), err)
	}
	return nil
}

func checkCreatExcl(e *env) error {
	d, err := e.dir("creat_excl")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	fd, err := syscall.Open(p, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("first O_CREAT|O_EXCL: %w", err)
	}
	syscall.Close(fd)
	_, err = syscall.Open(p, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
	if err := expectErrno("second O_CREAT|O_EXCL", err, syscall.EEXIST); err != nil {
		return err
	}
	if e.mount.smb {
		return nil // no symlinks (smbNoSymlinks)
	}
	// Also through a dangling symlink: O_EXCL must not follow it.
	if err := os.Symlink("target", filepath.Join(d, "l")); err != nil {
		return err
	}
	_, err = syscall.Open(filepath.Join(d, "l"), syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
	if err := expectErrno("O_CREAT|O_EXCL on a dangling symlink", err, syscall.EEXIST); err != nil {
		return err
	}
	return mustNotExist(filepath.Join(d, "target"))
}

func checkTrunc(e *env) error {
	d, err := e.dir("trunc")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, bytes.Repeat([]byte("x"), 10000)); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	f.Close()
	st, err := stat(p)
	if err != nil {
		return err
	}
	if st.Size != 0 {
		return fmt.Errorf("size %d after O_TRUNC, want 0", st.Size)
	}
	return wantContent(p, "")
}

func checkAppend(e *env) error {
	d, err := e.dir("append")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, []byte("start\n")); err != nil {
		return err
	}
	a, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer b.Close()
	var want strings.Builder
	want.WriteString("start\n")
	for i := range 20 {
		w := a
		if i%2 == 1 {
			w = b
		}
		line := fmt.Sprintf("line %d from %c\n", i, "ab"[i%2])
		if _, err := w.WriteString(line); err != nil {
			return err
		}
		want.WriteString(line)
	}
	return wantContent(p, want.String())
}

func checkOpenErrors(e *env) error {
	d, err := e.dir("open_errors")
	if err != nil {
		return err
	}
	_, err = syscall.Open(d, syscall.O_WRONLY, 0)
	if err := expectErrno("open(dir, O_WRONLY)", err, syscall.EISDIR); err != nil {
		return err
	}
	_, err = syscall.Open(filepath.Join(d, "missing"), syscall.O_RDONLY, 0)
	return expectErrno("open(missing)", err, syscall.ENOENT)
}

func checkCreateUmask(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("umask")
	if err != nil {
		return err
	}
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	p := filepath.Join(d, "f")
	fd, err := syscall.Open(p, syscall.O_CREAT|syscall.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	syscall.Close(fd)
	if err := syscall.Mkdir(filepath.Join(d, "sub"), 0o777); err != nil {
		return err
	}
	for name, want := range map[string]uint32{"f": 0o640, "sub": 0o750} {
		st, err := stat(filepath.Join(d, name))
		if err != nil {
			return err
		}
		if got := st.Mode & 0o7777; got != want {
			return fmt.Errorf("%s has mode %04o under umask 027, want %04o", name, got, want)
		}
	}
	return nil
}

func checkPwritePread(e *env) error {
	d, err := e.dir("pwrite")
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(d, "f"))
	if err != nil {
		return err
	}
	defer f.Close()
	writes := map[int64]string{0: "head", 1000: "middle", 65536 + 3: "unaligned", 1<<20 - 2: "straddles-1MiB"}
	for off, s := range writes {
		if _, err := f.WriteAt([]byte(s), off); err != nil {
			return err
		}
	}
	for off, s := range writes {
		buf := make([]byte, len(s))
		if _, err := f.ReadAt(buf, off); err != nil {
			return fmt.Errorf("pread at %d: %w", off, err)
		}
		if string(buf) != s {
			return fmt.Errorf("pread at %d: %q, want %q", off, buf, s)
		}
	}
	hole := make([]byte, 100)
	if _, err := f.ReadAt(hole, 2000); err != nil {
		return err
	}
	if !allZero(hole) {
		return errors.New("bytes never written read as non-zero")
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if want := int64(1<<20 - 2 + len("straddles-1MiB")); st.Size() != want {
		return fmt.Errorf("size %d, want %d", st.Size(), want)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func checkLargeSparse(e *env) error {
	d, err := e.dir("large")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	const off = 5<<30 + 12345
	if _, err := f.WriteAt([]byte("beyond-4GiB"), off); err != nil {
		return fmt.Errorf("write at 5 GiB: %w", err)
	}
	if _, err := f.WriteAt([]byte("at-4GiB"), 4<<30); err != nil {
		return fmt.Errorf("write at 4 GiB: %w", err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	f.Close()
	st, err := stat(p)
	if err != nil {
		return err
	}
	if want := int64(off + len("beyond-4GiB")); st.Size != want {
		return fmt.Errorf("size %d, want %d", st.Size, want)
	}
	if used := st.Blocks * 512; used > 64<<20 {
		return fmt.Errorf("the 5 GiB file with 18 bytes written uses %d bytes: not sparse", used)
	}
	g, err := os.Open(p)
	if err != nil {
		return err
	}
	defer g.Close()
	for at, want := range map[int64]string{off: "beyond-4GiB", 4 << 30: "at-4GiB"} {
		buf := make([]byte, len(want))
		if _, err := g.ReadAt(buf, at); err != nil {
			return fmt.Errorf("read at %d: %w", at, err)
		}
		if string(buf) != want {
			return fmt.Errorf("read at %d: %q, want %q", at, buf, want)
		}
	}
	buf := make([]byte, 4096)
	if _, err := g.ReadAt(buf, 3<<30); err != nil {
		return err
	}
	if !allZero(buf) {
		return errors.New("the hole at 3 GiB reads as non-zero")
	}
	// Reading at the end of file gives EOF, not an error or data.
	n, err := g.ReadAt(buf, off+int64(len("beyond-4GiB")))
	if n != 0 || err != io.EOF {
		return fmt.Errorf("read at EOF: %d bytes, %v", n, err)
	}
	return nil
}

func checkTruncate(e *env) error {
	d, err := e.dir("truncate")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, []byte("0123456789abcdef")); err != nil {
		return err
	}
	if err := os.Truncate(p, 4); err != nil {
		return err
	}
	if err := wantContent(p, "0123"); err != nil {
		return fmt.Errorf("after shrink: %w", err)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(10); err != nil {
		return err
	}
	if err := wantContent(p, "0123\x00\x00\x00\x00\x00\x00"); err != nil {
		return fmt.Errorf("after extend: %w", err)
	}
	// Shrink then extend must not resurrect the old bytes.
	if err := f.Truncate(0); err != nil {
		return err
	}
	if err := f.Truncate(8); err != nil {
		return err
	}
	if err := wantContent(p, strings.Repeat("\x00", 8)); err != nil {
		return fmt.Errorf("after truncate to 0 and extend: %w", err)
	}
	return nil
}

func checkRenameFile(e *env) error {
	d, err := e.dir("rename_file")
	if err != nil {
		return err
	}
	a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
	if err := writeFile(a, []byte("content")); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		return err
	}
	if err := mustNotExist(a); err != nil {
		return err
	}
	return wantContent(b, "content")
}

func checkRenameOver(e *env) error {
	d, err := e.dir("rename_over")
	if err != nil {
		return err
	}
	a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
	if err := writeFile(a, []byte("new")); err != nil {
		return err
	}
	if err := writeFile(b, []byte("old")); err != nil {
		return err
	}
	sa, err := stat(a)
	if err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		return err
	}
	if err := mustNotExist(a); err != nil {
		return err
	}
	sb, err := stat(b)
	if err != nil {
		return err
	}
	if sb.Ino != sa.Ino {
		return fmt.Errorf("b has inode %d, want the renamed file's %d", sb.Ino, sa.Ino)
	}
	if err := wantContent(b, "new"); err != nil {
		return err
	}
	names, err := dirNames(d)
	if err != nil {
		return err
	}
	if !slices.Equal(names, []string{"b"}) {
		return fmt.Errorf("directory holds %v, want [b]", names)
	}
	return nil
}

func dirNames(d string) ([]string, error) {
	f, err := os.Open(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

func checkRenameDir(e *env) error {
	d, err := e.dir("rename_dir")
	if err != nil {
		return err
	}
	src := filepath.Join(d, "src")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(src, "sub", "f"), []byte("deep")); err != nil {
		return err
	}
	dst := filepath.Join(d, "dst")
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	if err := mustNotExist(src); err != nil {
		return err
	}
	if err := wantContent(filepath.Join(dst, "sub", "f"), "deep"); err != nil {
		return err
	}
	// The moved directory's ".." must be right: create through it.
	if err := writeFile(filepath.Join(dst, "sub", "..", "g"), []byte("up")); err != nil {
		return err
	}
	return wantContent(filepath.Join(dst, "g"), "up")
}

func checkRenameAcross(e *env) error {
	d, err := e.dir("rename_across")
	if err != nil {
		return err
	}
	d1, d2 := filepath.Join(d, "d1"), filepath.Join(d, "d2")
	for _, x := range []string{d1, d2} {
		if err := os.Mkdir(x, 0o755); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(d1, "f"), []byte("moving")); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(d1, "sd"), 0o755); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(d1, "f"), filepath.Join(d2, "g")); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(d1, "sd"), filepath.Join(d2, "sd")); err != nil {
		return err
	}
	n1, err := dirNames(d1)
	if err != nil {
		return err
	}
	n2, err := dirNames(d2)
	if err != nil {
		return err
	}
	if len(n1) != 0 || !slices.Equal(n2, []string{"g", "sd"}) {
		return fmt.Errorf("d1 holds %v, d2 holds %v; want [] and [g sd]", n1, n2)
	}
	if e.mount.smb {
		return nil // no directory link counts (smbNoDirNlink)
	}
	s1, err := stat(d1)
	if err != nil {
		return err
	}
	s2, err := stat(d2)
	if err != nil {
		return err
	}
	if s1.Nlink != 2 || s2.Nlink != 3 {
		return fmt.Errorf("after moving a subdirectory: nlink d1=%d d2=%d, want 2 and 3", s1.Nlink, s2.Nlink)
	}
	return wantContent(filepath.Join(d2, "g"), "moving")
}

func checkRenameSubtree(e *env) error {
	d, err := e.dir("rename_subtree")
	if err != nil {
		return err
	}
	a := filepath.Join(d, "a")
	if err := os.MkdirAll(filepath.Join(a, "b", "c"), 0o755); err != nil {
		return err
	}
	err = syscall.Rename(a, filepath.Join(a, "b", "c", "a"))
	if err := expectErrno("rename(a, a/b/c/a)", err, syscall.EINVAL); err != nil {
		return err
	}
	_, err = stat(filepath.Join(a, "b", "c"))
	return err
}

func checkRenameDirNonEmpty(e *env) error {
	d, err := e.dir("rename_nonempty")
	if err != nil {
		return err
	}
	a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
	for _, x := range []string{a, b} {
		if err := os.Mkdir(x, 0o755); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(b, "keep"), nil); err != nil {
		return err
	}
	err = syscall.Rename(a, b)
	if err := expectErrno("rename(dir, non-empty dir)", err, syscall.EEXIST, syscall.ENOTEMPTY); err != nil {
		return err
	}
	// Over an empty directory it works.
	c := filepath.Join(d, "c")
	if err := os.Mkdir(c, 0o755); err != nil {
		return err
	}
	if err := syscall.Rename(a, c); err != nil {
		return fmt.Errorf("rename(dir, empty dir): %w", err)
	}
	return mustNotExist(a)
}

func checkRenameSameInode(e *env) error {
	d, err := e.dir("rename_same")
	if err != nil {
		return err
	}
	a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
	if err := writeFile(a, []byte("x")); err != nil {
		return err
	}
	if err := os.Link(a, b); err != nil {
		return err
	}
	if err := syscall.Rename(a, b); err != nil {
		return fmt.Errorf("rename of two links to one file: %w", err)
	}
	names, err := dirNames(d)
	if err != nil {
		return err
	}
	if !slices.Equal(names, []string{"a", "b"}) {
		return fmt.Errorf("directory holds %v, want [a b] (rename must do nothing)", names)
	}
	return nil
}

func checkLinkCount(e *env) error {
	d, err := e.dir("link")
	if err != nil {
		return err
	}
	a, b, c := filepath.Join(d, "a"), filepath.Join(d, "b"), filepath.Join(d, "c")
	if err := writeFile(a, []byte("shared")); err != nil {
		return err
	}
	nlink := func(p string, want uint64) error {
		st, err := stat(p)
		if err != nil {
			return err
		}
		if st.Nlink != want {
			return fmt.Errorf("%s: nlink %d, want %d", filepath.Base(p), st.Nlink, want)
		}
		return nil
	}
	if err := nlink(a, 1); err != nil {
		return err
	}
	if err := os.Link(a, b); err != nil {
		return err
	}
	if err := os.Link(b, c); err != nil {
		return err
	}
	for _, p := range []string{a, b, c} {
		if err := nlink(p, 3); err != nil {
			return err
		}
	}
	sa, _ := stat(a)
	sc, _ := stat(c)
	if sa.Ino != sc.Ino {
		return errors.New("links have different inode numbers")
	}
	if err := os.Link(a, b); !errors.Is(err, syscall.EEXIST) {
		return expectErrno("link over an existing name", err, syscall.EEXIST)
	}
	if err := os.Remove(a); err != nil {
		return err
	}
	if err := nlink(b, 2); err != nil {
		return err
	}
	if err := os.Remove(b); err != nil {
		return err
	}
	if err := nlink(c, 1); err != nil {
		return err
	}
	return wantContent(c, "shared")
}

func checkLinkDir(e *env) error {
	d, err := e.dir("link_dir")
	if err != nil {
		return err
	}
	err = syscall.Link(d, filepath.Join(d, "x"))
	return expectErrno("link(dir)", err, syscall.EPERM)
}

func checkUnlinkOpen(e *env) error {
	d, err := e.dir("unlink_open")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, []byte("still here")); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		f.Close()
		return err
	}
	if err := mustNotExist(p); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteAt([]byte("STILL"), 0); err != nil {
		f.Close()
		return fmt.Errorf("write after unlink: %w", err)
	}
	buf := make([]byte, 10)
	_, err = f.ReadAt(buf, 0)
	f.Close()
	if err != nil {
		return fmt.Errorf("read after unlink: %w", err)
	}
	if string(buf) != "STILL here" {
		return fmt.Errorf("read after unlink: %q", buf)
	}
	// After the last close nothing is left behind (no .nfs silly-rename file).
	names, err := dirNames(d)
	if err != nil {
		return err
	}
	if len(names) != 0 {
		return fmt.Errorf("directory holds %v after the last close, want nothing", names)
	}
	return nil
}

func checkSymlink(e *env) error {
	if err := e.skipSMB(smbNoSymlinks); err != nil {
		return err
	}
	d, err := e.dir("symlink")
	if err != nil {
		return err
	}
	target := "sub/../data with spaces"
	l := filepath.Join(d, "link")
	if err := os.Mkdir(filepath.Join(d, "sub"), 0o755); err != nil {
		return err
	}
	if err := os.Symlink(target, l); err != nil {
		return err
	}
	got, err := os.Readlink(l)
	if err != nil {
		return err
	}
	if got != target {
		return fmt.Errorf("readlink %q, want %q", got, target)
	}
	st, err := lstat(l)
	if err != nil {
		return err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFLNK || st.Size != int64(len(target)) {
		return fmt.Errorf("lstat: mode %o size %d, want a symlink of size %d", st.Mode, st.Size, len(target))
	}
	if _, err := stat(l); !errors.Is(err, syscall.ENOENT) {
		return expectErrno("stat of a dangling symlink", err, syscall.ENOENT)
	}
	if err := writeFile(filepath.Join(d, "data with spaces"), []byte("via link")); err != nil {
		return err
	}
	if err := wantContent(l, "via link"); err != nil {
		return err
	}
	long := strings.Repeat("x/", 1000) + "end"
	if err := os.Symlink(long, filepath.Join(d, "long")); err != nil {
		return fmt.Errorf("symlink with a 2003-byte target: %w", err)
	}
	if got, err := os.Readlink(filepath.Join(d, "long")); err != nil || got != long {
		return fmt.Errorf("readlink of the long target: %d bytes, %v", len(got), err)
	}
	return nil
}

func checkMkdirRmdir(e *env) error {
	d, err := e.dir("mkdir")
	if err != nil {
		return err
	}
	sub := filepath.Join(d, "sub")
	if err := syscall.Mkdir(sub, 0o755); err != nil {
		return err
	}
	if err := expectErrno("mkdir of an existing name", syscall.Mkdir(sub, 0o755), syscall.EEXIST); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(sub, "f"), nil); err != nil {
		return err
	}
	if err := expectErrno("rmdir of a non-empty directory", syscall.Rmdir(sub), syscall.ENOTEMPTY, syscall.EEXIST); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(sub, "f")); err != nil {
		return err
	}
	if err := syscall.Rmdir(sub); err != nil {
		return fmt.Errorf("rmdir of the emptied directory: %w", err)
	}
	if err := writeFile(filepath.Join(d, "file"), nil); err != nil {
		return err
	}
	return expectErrno("rmdir of a file", syscall.Rmdir(filepath.Join(d, "file")), syscall.ENOTDIR)
}

func checkDirNlink(e *env) error {
	if err := e.skipSMB(smbNoDirNlink); err != nil {
		return err
	}
	d, err := e.dir("dir_nlink")
	if err != nil {
		return err
	}
	for i := range 3 {
		if err := os.Mkdir(filepath.Join(d, fmt.Sprint("s", i)), 0o755); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(d, "file"), nil); err != nil {
		return err
	}
	st, err := stat(d)
	if err != nil {
		return err
	}
	if st.Nlink != 5 {
		return fmt.Errorf("nlink %d with 3 subdirectories, want 5", st.Nlink)
	}
	return nil
}

func checkNameMax(e *env) error {
	d, err := e.dir("name_max")
	if err != nil {
		return err
	}
	ok := strings.Repeat("n", 255)
	if err := writeFile(filepath.Join(d, ok), []byte("x")); err != nil {
		return fmt.Errorf("255-byte name: %w", err)
	}
	if err := wantContent(filepath.Join(d, ok), "x"); err != nil {
		return err
	}
	_, err = syscall.Open(filepath.Join(d, ok+"n"), syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	return expectErrno("256-byte name", err, syscall.ENAMETOOLONG)
}

func checkChmod(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("chmod")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, nil); err != nil {
		return err
	}
	for _, m := range []uint32{0o000, 0o640, 0o755, 0o4755, 0o2750, 0o1777, 0o7777, 0o644} {
		if err := syscall.Chmod(p, m); err != nil {
			return fmt.Errorf("chmod %04o: %w", m, err)
		}
		st, err := stat(p)
		if err != nil {
			return err
		}
		if got := st.Mode & 0o7777; got != m {
			return fmt.Errorf("chmod %04o reads back %04o", m, got)
		}
	}
	return nil
}

func checkChownRoot(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("chown")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, nil); err != nil {
		return err
	}
	for _, id := range [][2]int{{uidAlice, uidAlice}, {uidBob, gidStaff}, {0, 0}} {
		if err := os.Chown(p, id[0], id[1]); err != nil {
			return fmt.Errorf("chown %d:%d: %w", id[0], id[1], err)
		}
		st, err := stat(p)
		if err != nil {
			return err
		}
		if int(st.Uid) != id[0] || int(st.Gid) != id[1] {
			return fmt.Errorf("chown %d:%d reads back %d:%d", id[0], id[1], st.Uid, st.Gid)
		}
	}
	// Changing the owner of a setuid file clears setuid (POSIX chown: "may";
	// Linux always does for non-directories).
	if err := syscall.Chmod(p, 0o4755); err != nil {
		return err
	}
	if err := os.Chown(p, uidAlice, uidAlice); err != nil {
		return err
	}
	l := filepath.Join(d, "l")
	if err := os.Symlink("f", l); err != nil {
		return err
	}
	if err := os.Lchown(l, uidBob, uidBob); err != nil {
		return fmt.Errorf("lchown: %w", err)
	}
	ls, err := lstat(l)
	if err != nil {
		return err
	}
	fs, err := stat(p)
	if err != nil {
		return err
	}
	if ls.Uid != uidBob || fs.Uid != uidAlice {
		return fmt.Errorf("lchown changed the wrong file: link uid %d, target uid %d", ls.Uid, fs.Uid)
	}
	return nil
}

func checkPermUnprivileged(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("perm")
	if err != nil {
		return err
	}
	secret, public := filepath.Join(d, "secret"), filepath.Join(d, "public")
	if err := writeFile(secret, []byte("root only")); err != nil {
		return err
	}
	if err := os.Chmod(secret, 0o600); err != nil {
		return err
	}
	if err := writeFile(public, []byte("everyone reads")); err != nil {
		return err
	}
	if err := os.Chmod(public, 0o644); err != nil {
		return err
	}
	if err := expectErrno("read of a 0600 root file as uid 1000", e.asUser(uidAlice, "read", secret), syscall.EACCES); err != nil {
		return err
	}
	if err := e.asUser(uidAlice, "read", public); err != nil {
		return fmt.Errorf("read of a 0644 file as uid 1000: %w", err)
	}
	if err := expectErrno("write to a 0644 root file as uid 1000", e.asUser(uidAlice, "write", public), syscall.EACCES); err != nil {
		return err
	}
	// Group permission: a 0060 file of group staff is writable by a member.
	if err := os.Chown(secret, 0, gidStaff); err != nil {
		return err
	}
	if err := os.Chmod(secret, 0o060); err != nil {
		return err
	}
	if err := e.asUser(uidAlice, "write", secret); err != nil {
		return fmt.Errorf("write to a 0060 group-staff file as a member: %w", err)
	}
	// Creating in a root 0755 directory is refused.
	if err := expectErrno("create in a root 0755 directory as uid 1000", e.asUser(uidAlice, "create", filepath.Join(d, "new")), syscall.EACCES); err != nil {
		return err
	}
	// Owner bits win over group and other bits: owner with 0077 cannot read.
	if err := os.Chown(public, uidAlice, uidAlice); err != nil {
		return err
	}
	if err := os.Chmod(public, 0o077); err != nil {
		return err
	}
	return expectErrno("owner read of a 0077 file", e.asUser(uidAlice, "read", public), syscall.EACCES)
}

func checkPermDirSearch(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("dir_search")
	if err != nil {
		return err
	}
	priv := filepath.Join(d, "private")
	if err := os.Mkdir(priv, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(priv, "f"), nil); err != nil {
		return err
	}
	if err := e.asUser(uidAlice, "stat", filepath.Join(priv, "f")); err != nil {
		return fmt.Errorf("stat through a 0755 directory: %w", err)
	}
	if err := os.Chmod(priv, 0o700); err != nil {
		return err
	}
	return expectErrno("stat through a 0700 root directory as uid 1000", e.asUser(uidAlice, "stat", filepath.Join(priv, "f")), syscall.EACCES)
}

func checkPermOwner(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("perm_owner")
	if err != nil {
		return err
	}
	if err := os.Chmod(d, 0o777); err != nil {
		return err
	}
	rootFile := filepath.Join(d, "rootfile")
	if err := writeFile(rootFile, nil); err != nil {
		return err
	}
	if err := expectErrno("chmod of root's file as uid 1000", e.asUser(uidAlice, "chmod", rootFile, "777"), syscall.EPERM); err != nil {
		return err
	}
	own := filepath.Join(d, "own")
	if err := e.asUser(uidAlice, "create", own); err != nil {
		return fmt.Errorf("create in a 0777 directory as uid 1000: %w", err)
	}
	st, err := stat(own)
	if err != nil {
		return err
	}
	if st.Uid != uidAlice || st.Gid != uidAlice {
		return fmt.Errorf("file created by uid 1000 gid 1000 is owned by %d:%d", st.Uid, st.Gid)
	}
	if err := e.asUser(uidAlice, "chmod", own, "600"); err != nil {
		return fmt.Errorf("chmod of own file: %w", err)
	}
	if err := expectErrno("chown of own file to uid 1001 as uid 1000", e.asUser(uidAlice, "chown", own, "1001", "-1"), syscall.EPERM); err != nil {
		return err
	}
	// The owner may change the group to one it belongs to.
	if err := e.asUser(uidAlice, "chown", own, "-1", fmt.Sprint(gidStaff)); err != nil {
		return fmt.Errorf("chgrp of own file to a member group: %w", err)
	}
	st, err = stat(own)
	if err != nil {
		return err
	}
	if st.Gid != gidStaff {
		return fmt.Errorf("after chgrp the group is %d, want %d", st.Gid, gidStaff)
	}
	return checkChownNonOwner(e, d)
}

// checkChownNonOwner: a caller that does not own a file gets EPERM for any
// chown or chgrp of it, even to the owner and group it already has (POSIX
// chown(); Linux chown_ok/chgrp_ok), on every file type, through a symlink
// and with lchown, and the refused call leaves the setuid and setgid bits
// alone. Bob is in the files' group, so only ownership can refuse him.
func checkChownNonOwner(e *env, d string) error {
	objs := map[string]uint32{
		"reg": syscall.S_IFREG, "dir": syscall.S_IFDIR, "fifo": syscall.S_IFIFO,
		"sock": syscall.S_IFSOCK, "chr": syscall.S_IFCHR, "blk": syscall.S_IFBLK,
	}
	for name, typ := range objs {
		p := filepath.Join(d, "nonowner-"+name)
		var err error
		switch typ {
		case syscall.S_IFDIR:
			err = os.Mkdir(p, 0o755)
		case syscall.S_IFCHR:
			err = syscall.Mknod(p, typ|0o644, 1<<8|3)
		case syscall.S_IFBLK:
			err = syscall.Mknod(p, typ|0o644, 8<<8)
		default:
			err = syscall.Mknod(p, typ|0o644, 0)
		}
		if err != nil {
			return fmt.Errorf("make %s: %w", name, err)
		}
		if err := os.Chown(p, uidAlice, gidStaff); err != nil {
			return err
		}
		if err := syscall.Chmod(p, 0o6755); err != nil {
			return err
		}
		l := p + ".link"
		if err := os.Symlink(filepath.Base(p), l); err != nil {
			return err
		}
		if err := os.Lchown(l, uidAlice, gidStaff); err != nil {
			return err
		}
		before, err := lstat(p)
		if err != nil {
			return err
		}
		for _, try := range []struct {
			op, path, uid, gid string
		}{
			{"chown", p, "1000", "50"},
			{"chown", p, "1000", "-1"},
			{"chown", p, "-1", "50"},
			{"chown", l, "1000", "50"}, // through the symlink
			{"chown", l, "-1", "50"},
			{"lchown", l, "1000", "50"}, // the symlink itself
			{"lchown", l, "-1", "50"},
		} {
			what := fmt.Sprintf("%s %s:%s of alice's %s as bob", try.op, try.uid, try.gid, filepath.Base(try.path))
			if err := expectErrno(what, e.asUser(uidBob, try.op, try.path, try.uid, try.gid), syscall.EPERM); err != nil {
				return err
			}
		}
		after, err := lstat(p)
		if err != nil {
			return err
		}
		if after.Mode != before.Mode || after.Uid != uidAlice || after.Gid != gidStaff {
			return fmt.Errorf("refused chowns of %s changed it: mode %o -> %o, owner %d:%d", name, before.Mode, after.Mode, after.Uid, after.Gid)
		}
		ls, err := lstat(l)
		if err != nil {
			return err
		}
		if ls.Uid != uidAlice || ls.Gid != gidStaff {
			return fmt.Errorf("refused lchown changed the symlink's owner to %d:%d", ls.Uid, ls.Gid)
		}
	}
	return nil
}

func checkSetgidInherit(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("setgid")
	if err != nil {
		return err
	}
	sg := filepath.Join(d, "sg")
	if err := os.Mkdir(sg, 0o755); err != nil {
		return err
	}
	if err := os.Chown(sg, 0, gidStaff); err != nil {
		return err
	}
	if err := syscall.Chmod(sg, 0o2777); err != nil {
		return err
	}
	f := filepath.Join(sg, "f")
	if err := e.asUser(uidAlice, "create", f); err != nil {
		return err
	}
	st, err := stat(f)
	if err != nil {
		return err
	}
	if st.Gid != gidStaff {
		return fmt.Errorf("file in a setgid directory of group %d has group %d", gidStaff, st.Gid)
	}
	sub := filepath.Join(sg, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		return err
	}
	st, err = stat(sub)
	if err != nil {
		return err
	}
	if st.Gid != gidStaff || st.Mode&syscall.S_ISGID == 0 {
		return fmt.Errorf("subdirectory of a setgid directory: group %d, mode %o; want group %d and setgid", st.Gid, st.Mode&0o7777, gidStaff)
	}
	return nil
}

func checkSticky(e *env) error {
	if err := e.skipSMB(smbNoUnixModes); err != nil {
		return err
	}
	d, err := e.dir("sticky")
	if err != nil {
		return err
	}
	if err := syscall.Chmod(d, 0o1777); err != nil {
		return err
	}
	st, err := stat(d)
	if err != nil {
		return err
	}
	if st.Mode&0o7777 != 0o1777 {
		return fmt.Errorf("sticky directory reads back mode %04o", st.Mode&0o7777)
	}
	f := filepath.Join(d, "alices")
	if err := e.asUser(uidAlice, "create", f); err != nil {
		return err
	}
	if err := expectErrno("unlink of alice's file by bob", e.asUser(uidBob, "unlink", f), syscall.EPERM, syscall.EACCES); err != nil {
		return err
	}
	if err := expectErrno("rename of alice's file by bob", e.asUser(uidBob, "rename", f, filepath.Join(d, "stolen")), syscall.EPERM, syscall.EACCES); err != nil {
		return err
	}
	// Without the sticky bit bob could remove it.
	if err := e.asUser(uidAlice, "rename", f, filepath.Join(d, "renamed")); err != nil {
		return fmt.Errorf("rename of own file in a sticky directory: %w", err)
	}
	if err := e.asUser(uidAlice, "unlink", filepath.Join(d, "renamed")); err != nil {
		return fmt.Errorf("unlink of own file in a sticky directory: %w", err)
	}
	return nil
}

// utimensat calls utimensat(2) on path relative to the working directory.
func utimensat(path string, ts [2]syscall.Timespec, flags int) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	atFdcwd := -100
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(atFdcwd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&ts[0])), uintptr(flags), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

const atSymlinkNofollow = 0x100

func checkUtimesFile(e *env) error {
	d, err := e.dir("utimes")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, nil); err != nil {
		return err
	}
	atime := syscall.Timespec{Sec: 1_000_000_000, Nsec: 123_456_789}
	mtime := syscall.Timespec{Sec: 1_500_000_000, Nsec: 987_654_321}
	if err := utimensat(p, [2]syscall.Timespec{atime, mtime}, 0); err != nil {
		return err
	}
	st, err := stat(p)
	if err != nil {
		return err
	}
	if e.mount.smb {
		// SMB times are FILETIMEs, counts of 100 ns ([MS-DTYP] 2.3.3):
		// the client truncates to that.
		atime.Nsec -= atime.Nsec % 100
		mtime.Nsec -= mtime.Nsec % 100
	}
	if st.Atim != atime || st.Mtim != mtime {
		return fmt.Errorf("times read back atime %d.%09d mtime %d.%09d, want %d.%09d and %d.%09d",
			st.Atim.Sec, st.Atim.Nsec, st.Mtim.Sec, st.Mtim.Nsec, atime.Sec, atime.Nsec, mtime.Sec, mtime.Nsec)
	}
	// Times before 1970 and after 2038 survive too (nfstime4 is 64-bit seconds;
	// nfstime3 is unsigned 32-bit, so v3 cannot carry them).
	if e.mount.vers != "3" {
		old := syscall.Timespec{Sec: -86400, Nsec: 0}
		future := syscall.Timespec{Sec: 4_102_444_800, Nsec: 5}
		if e.mount.smb {
			future.Nsec = 0 // FILETIME: 100 ns
		}
		if err := utimensat(p, [2]syscall.Timespec{old, future}, 0); err != nil {
			return fmt.Errorf("utimensat 1969/2100: %w", err)
		}
		st, err := stat(p)
		if err != nil {
			return err
		}
		if st.Atim != old || st.Mtim != future {
			return fmt.Errorf("1969/2100 times read back atime %d mtime %d", st.Atim.Sec, st.Mtim.Sec)
		}
	}
	return nil
}

func checkUtimesSymlink(e *env) error {
	if err := e.skipSMB(smbNoSymlinks); err != nil {
		return err
	}
	d, err := e.dir("utimes_symlink")
	if err != nil {
		return err
	}
	t := filepath.Join(d, "target")
	if err := writeFile(t, nil); err != nil {
		return err
	}
	if err := utimensat(t, [2]syscall.Timespec{{Sec: 1_200_000_000}, {Sec: 1_200_000_000}}, 0); err != nil {
		return err
	}
	l := filepath.Join(d, "link")
	if err := os.Symlink("target", l); err != nil {
		return err
	}
	mt := syscall.Timespec{Sec: 1_300_000_000, Nsec: 500}
	if err := utimensat(l, [2]syscall.Timespec{mt, mt}, atSymlinkNofollow); err != nil {
		return fmt.Errorf("utimensat(AT_SYMLINK_NOFOLLOW): %w", err)
	}
	ls, err := lstat(l)
	if err != nil {
		return err
	}
	ts, err := stat(t)
	if err != nil {
		return err
	}
	if ts.Mtim.Sec != 1_200_000_000 {
		return fmt.Errorf("the target's mtime changed to %d", ts.Mtim.Sec)
	}
	if ls.Mtim != mt {
		return fmt.Errorf("the link's mtime reads back %d.%09d, want %d.%09d", ls.Mtim.Sec, ls.Mtim.Nsec, mt.Sec, mt.Nsec)
	}
	return nil
}

// makeEntry makes one entry of the big directory: a symlink, or on SMB
// (no symlinks) an empty regular file.
func makeEntry(e *env, p string) error {
	if !e.mount.smb {
		return syscall.Symlink("target", p)
	}
	fd, err := syscall.Open(p, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return syscall.Close(fd)
}

// bigDir makes (once) the shared 10,000-entry directory.
func (e *env) bigDir() (string, []string, error) {
	if v, ok := e.cache["bigdir"].([2]any); ok {
		return v[0].(string), v[1].([]string), nil
	}
	d, err := e.dir("readdir")
	if err != nil {
		return "", nil, err
	}
	names := make([]string, 10000)
	for i := range names {
		names[i] = fmt.Sprintf("entry-%05d-%s", i, strings.Repeat("x", i%50))
	}
	// Eight creators at once keep the client's RPC slots busy.
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			for i := w; i < len(names); i += 8 {
				// Symlinks cost one RPC each (no OPEN and CLOSE), and
				// readdir treats every type of entry alike.
				if err := makeEntry(e, filepath.Join(d, names[i])); err != nil {
					errs <- fmt.Errorf("create %s: %w", names[i], err)
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range 8 {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return "", nil, first
	}
	e.cache["bigdir"] = [2]any{d, names}
	return d, names, nil
}

// compareListing checks that got holds every name of want exactly once, and
// that nothing else appears except names accepted by extra.
func compareListing(got, want []string, extra func(string) bool) error {
	seen := make(map[string]int, len(got))
	for _, n := range got {
		seen[n]++
	}
	var dups, missing, unknown []string
	for n, c := range seen {
		if c > 1 {
			dups = append(dups, n)
		}
	}
	wantSet := make(map[string]bool, len(want))
	for _, n := range want {
		wantSet[n] = true
		if seen[n] == 0 {
			missing = append(missing, n)
		}
	}
	for n := range seen {
		if !wantSet[n] && (extra == nil || !extra(n)) {
			unknown = append(unknown, n)
		}
	}
	if len(dups)+len(missing)+len(unknown) == 0 {
		return nil
	}
	slices.Sort(dups)
	slices.Sort(missing)
	slices.Sort(unknown)
	return fmt.Errorf("%d entries read: %d duplicated %v, %d missing %v, %d unexpected %v", len(got),
		len(dups), head(dups), len(missing), head(missing), len(unknown), head(unknown))
}

func head(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func checkReaddirLarge(e *env) error {
	d, names, err := e.bigDir()
	if err != nil {
		return err
	}
	f, err := os.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	got, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	return compareListing(got, names, nil)
}

func checkReaddirWhileAdding(e *env) error {
	d, names, err := e.bigDir()
	if err != nil {
		return err
	}
	f, err := os.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	var got []string
	added := 0
	for {
		chunk, err := f.Readdirnames(128)
		got = append(got, chunk...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		// Between getdents calls, add entries: some sort before, some after
		// the names already returned.
		for range 3 {
			name := fmt.Sprintf("added-%05d", added)
			if added%2 == 1 {
				name = fmt.Sprintf("zz-added-%05d", added)
			}
			if err := writeFile(filepath.Join(d, name), nil); err != nil {
				return err
			}
			added++
		}
	}
	if added == 0 {
		return errors.New("the directory was read in one chunk; nothing was added meanwhile")
	}
	isAdded := func(n string) bool { return strings.HasPrefix(n, "added-") || strings.HasPrefix(n, "zz-added-") }
	if err := compareListing(got, names, isAdded); err != nil {
		return fmt.Errorf("with %d entries added during the listing: %w", added, err)
	}
	return nil
}

// alignedBuf returns a page-aligned buffer for O_DIRECT, and its release.
func alignedBuf(n int) ([]byte, func(), error) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return b, func() { _ = syscall.Munmap(b) }, nil
}

// readDirect reads n bytes at off with O_DIRECT, which on NFS goes to the
// server rather than the page cache.
func readDirect(p string, off int64, n int) ([]byte, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		return nil, fmt.Errorf("open O_DIRECT: %w", err)
	}
	defer syscall.Close(fd)
	buf, release, err := alignedBuf(n)
	if err != nil {
		return nil, err
	}
	defer release()
	total := 0
	for total < n {
		m, err := syscall.Pread(fd, buf[total:], off+int64(total))
		if err != nil {
			return nil, fmt.Errorf("O_DIRECT pread: %w", err)
		}
		if m == 0 {
			break
		}
		total += m
	}
	return bytes.Clone(buf[:total]), nil
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func checkFsync(e *env) error {
	d, err := e.dir("fsync")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	data := randomBytes(rand.New(rand.NewPCG(1, 2)), 1<<20)
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := syscall.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("fdatasync: %w", err)
	}
	dirf, err := os.Open(d)
	if err != nil {
		return err
	}
	err = dirf.Sync()
	dirf.Close()
	if err != nil {
		return fmt.Errorf("fsync of a directory: %w", err)
	}
	got, err := readDirect(p, 0, len(data))
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("after fsync the server holds %d bytes that differ from the %d written", len(got), len(data))
	}
	return nil
}

func checkMmap(e *env) error {
	d, err := e.dir("mmap")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	const size = 256 << 10
	initial := randomBytes(rand.New(rand.NewPCG(3, 4)), size)
	if err := writeFile(p, initial); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap: %w", err)
	}
	if !bytes.Equal(m, initial) {
		syscall.Munmap(m)
		return errors.New("the mapping does not show the file's data")
	}
	want := bytes.Clone(initial)
	for i := 0; i < size; i += 4096 + 17 {
		m[i] = ^m[i]
		want[i] = ^want[i]
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(&m[0])), size, syscall.MS_SYNC)
	syscall.Munmap(m)
	if errno != 0 {
		return fmt.Errorf("msync: %w", errno)
	}
	got, err := readDirect(p, 0, size)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return errors.New("after msync(MS_SYNC) the server's data lacks the stores made through the mapping")
	}
	// write() after the mapping is made shows in a new mapping.
	if _, err := f.WriteAt([]byte("written"), 100); err != nil {
		return err
	}
	m2, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	defer syscall.Munmap(m2)
	if string(m2[100:107]) != "written" {
		return errors.New("data written with write() does not show in the mapping")
	}
	return nil
}

func checkFcntlLock(e *env) error {
	if !e.mount.locksOnServer() {
		return skipf("the mount uses nolock (NFSv3 without NLM): locks are local to this client")
	}
	d, err := e.dir("fcntl")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, make([]byte, 1000)); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 100, Len: 100}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		return fmt.Errorf("F_SETLK write lock: %w", err)
	}
	if err := expectErrno("overlapping F_SETLK from another process", e.child(nil, "try", "fcntl-wrlck", p, "150", "10"), syscall.EAGAIN, syscall.EACCES); err != nil {
		return err
	}
	if err := e.child(nil, "try", "fcntl-getlk", p, "150", "10"); err != nil {
		return fmt.Errorf("F_GETLK from another process did not report the write lock: %w", err)
	}
	if err := e.child(nil, "try", "fcntl-wrlck", p, "300", "10"); err != nil {
		return fmt.Errorf("disjoint F_SETLK from another process: %w", err)
	}
	lk.Type = syscall.F_UNLCK
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	if err := e.child(nil, "try", "fcntl-wrlck", p, "150", "10"); err != nil {
		return fmt.Errorf("F_SETLK after the unlock: %w", err)
	}
	return nil
}

func checkFlock(e *env) error {
	if !e.mount.locksOnServer() {
		return skipf("the mount uses nolock (NFSv3 without NLM): locks are local to this client")
	}
	d, err := e.dir("flock")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, nil); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("flock LOCK_EX: %w", err)
	}
	if err := expectErrno("LOCK_EX|LOCK_NB from another process", e.child(nil, "try", "flock-ex", p), syscall.EWOULDBLOCK); err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err != nil {
		return err
	}
	if err := e.child(nil, "try", "flock-ex", p); err != nil {
		return fmt.Errorf("LOCK_EX after the unlock: %w", err)
	}
	return nil
}

func checkXattr(e *env) error {
	if !e.mount.smb && e.mount.vers != "4.2" {
		return skipf("NFSv%s has no extended attribute operations (RFC 8276 extends NFSv4.2 only)", e.mount.vers)
	}
	d, err := e.dir("xattr")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := writeFile(p, nil); err != nil {
		return err
	}
	val := []byte("value\x00with binary\xff")
	if err := syscall.Setxattr(p, "user.dittofs", val, 0); err != nil {
		return fmt.Errorf("setxattr: %w", err)
	}
	buf := make([]byte, 256)
	n, err := syscall.Getxattr(p, "user.dittofs", buf)
	if err != nil {
		return fmt.Errorf("getxattr: %w", err)
	}
	if !bytes.Equal(buf[:n], val) {
		return fmt.Errorf("getxattr %q, want %q", buf[:n], val)
	}
	n, err = syscall.Listxattr(p, buf)
	if err != nil {
		return fmt.Errorf("listxattr: %w", err)
	}
	if !slices.Contains(strings.Split(string(buf[:n]), "\x00"), "user.dittofs") {
		return fmt.Errorf("listxattr %q lacks user.dittofs", buf[:n])
	}
	if err := syscall.Setxattr(p, "user.dittofs", val, 1 /* XATTR_CREATE */); !errors.Is(err, syscall.EEXIST) {
		return expectErrno("setxattr XATTR_CREATE of an existing name", err, syscall.EEXIST)
	}
	if err := syscall.Removexattr(p, "user.dittofs"); err != nil {
		return fmt.Errorf("removexattr: %w", err)
	}
	_, err = syscall.Getxattr(p, "user.dittofs", buf)
	return expectErrno("getxattr after removexattr", err, syscall.ENODATA)
}

func checkTwoWriters(e *env) error {
	d, err := e.dir("integrity")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	if err := os.WriteFile(p, nil, 0o666); err != nil {
		return err
	}
	seed := rand.Uint64()
	errs := make(chan error, 2)
	for i := range 2 {
		go func() { errs <- e.child(nil, "writer", p, fmt.Sprint(i), "2", fmt.Sprint(seed)) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			return fmt.Errorf("writer: %w", err)
		}
	}
	want := integrityExpected(seed)
	data, err := readDirect(p, 0, integrityBlocks*integrityBlock)
	if err != nil {
		return err
	}
	if got := sha256.Sum256(data); got != want || len(data) != integrityBlocks*integrityBlock {
		bad := -1
		for b := range integrityBlocks {
			if (b+1)*integrityBlock > len(data) || !bytes.Equal(data[b*integrityBlock:(b+1)*integrityBlock], integrityBlockData(seed, b)) {
				bad = b
				break
			}
		}
		return fmt.Errorf("the file (%d bytes) does not match the writers' data (seed %d); first bad block %d", len(data), seed, bad)
	}
	return nil
}

func checkRandomOverwrite(e *env) error {
	d, err := e.dir("overwrite")
	if err != nil {
		return err
	}
	p := filepath.Join(d, "f")
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	const size = 8 << 20
	shadow := make([]byte, size)
	r := rand.New(rand.NewPCG(5, 6))
	end := 0
	for range 600 {
		off := r.IntN(size)
		n := min(1+r.IntN(32<<10), size-off)
		chunk := randomBytes(r, n)
		if _, err := f.WriteAt(chunk, int64(off)); err != nil {
			return err
		}
		copy(shadow[off:], chunk)
		end = max(end, off+n)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	got, err := readDirect(p, 0, int(st.Size()))
	if err != nil {
		return err
	}
	if len(got) != end || !bytes.Equal(got, shadow[:end]) {
		first := -1
		for i := range min(len(got), end) {
			if got[i] != shadow[i] {
				first = i
				break
			}
		}
		return fmt.Errorf("file of %d bytes differs from the expected %d (first difference at %d)", len(got), end, first)
	}
	return nil
}

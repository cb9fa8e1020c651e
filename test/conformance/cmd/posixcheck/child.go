package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Unprivileged identities; the VM's /etc/passwd names them alice and bob.
const (
	uidAlice = 1000
	uidBob   = 1001
	gidStaff = 50
)

// asUser runs one file operation in a child process with the given uid (and
// gid = uid, supplementary group staff) and returns its result: nil, or the
// syscall.Errno it failed with.
func (e *env) asUser(uid int, op string, args ...string) error {
	return e.child(&syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{gidStaff}},
		append([]string{"try", op}, args...)...)
}

// child runs "posixcheck -child ARGS..." with the credential (nil: as root)
// and turns its one-line answer into an error.
func (e *env) child(cred *syscall.Credential, args ...string) error {
	cmd := exec.Command(e.self, append([]string{"-child"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	runErr := cmd.Run()
	ans := strings.TrimSpace(out.String())
	if ans == "ok" {
		return nil
	}
	if n, ok := strings.CutPrefix(ans, "errno "); ok {
		v, err := strconv.Atoi(n)
		if err == nil {
			return syscall.Errno(v)
		}
	}
	return fmt.Errorf("child %v: %v: %q %s", args, runErr, ans, strings.TrimSpace(stderr.String()))
}

// childMain is the child side: "try OP ARGS" performs one operation and
// prints "ok" or "errno N"; "writer" is one of the integrity writers.
func childMain(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "no child command")
		return 2
	}
	var err error
	switch args[0] {
	case "try":
		err = tryOp(args[1:])
	case "writer":
		err = integrityWriter(args[1:])
	default:
		fmt.Fprintln(os.Stderr, "unknown child command", args[0])
		return 2
	}
	var errno syscall.Errno
	switch {
	case err == nil:
		fmt.Println("ok")
	case errors.As(err, &errno):
		fmt.Printf("errno %d\n", int(errno))
	default:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func tryOp(a []string) error {
	need := func(n int) error {
		if len(a) != n+1 {
			return fmt.Errorf("%s wants %d arguments", a[0], n)
		}
		return nil
	}
	if len(a) == 0 {
		return errors.New("no operation")
	}
	switch a[0] {
	case "read":
		if err := need(1); err != nil {
			return err
		}
		fd, err := syscall.Open(a[1], syscall.O_RDONLY, 0)
		if err != nil {
			return err
		}
		return syscall.Close(fd)
	case "write":
		if err := need(1); err != nil {
			return err
		}
		fd, err := syscall.Open(a[1], syscall.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = syscall.Write(fd, []byte("x"))
		syscall.Close(fd)
		return err
	case "create":
		if err := need(1); err != nil {
			return err
		}
		fd, err := syscall.Open(a[1], syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		return syscall.Close(fd)
	case "unlink":
		if err := need(1); err != nil {
			return err
		}
		return syscall.Unlink(a[1])
	case "rename":
		if err := need(2); err != nil {
			return err
		}
		return syscall.Rename(a[1], a[2])
	case "stat":
		if err := need(1); err != nil {
			return err
		}
		var st syscall.Stat_t
		return syscall.Stat(a[1], &st)
	case "chmod":
		if err := need(2); err != nil {
			return err
		}
		m, err := strconv.ParseUint(a[2], 8, 32)
		if err != nil {
			return err
		}
		return syscall.Chmod(a[1], uint32(m))
	case "chown", "lchown":
		// chown PATH UID GID follows a symlink; lchown changes the link.
		if err := need(3); err != nil {
			return err
		}
		u, err1 := strconv.Atoi(a[2])
		g, err2 := strconv.Atoi(a[3])
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if a[0] == "lchown" {
			return syscall.Lchown(a[1], u, g)
		}
		return syscall.Chown(a[1], u, g)
	case "fcntl-wrlck":
		// fcntl-wrlck PATH START LEN: try a write lock without waiting.
		if err := need(3); err != nil {
			return err
		}
		start, err1 := strconv.ParseInt(a[2], 10, 64)
		n, err2 := strconv.ParseInt(a[3], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		fd, err := syscall.Open(a[1], syscall.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer syscall.Close(fd)
		return syscall.FcntlFlock(uintptr(fd), syscall.F_SETLK, &syscall.Flock_t{
			Type: syscall.F_WRLCK, Whence: 0, Start: start, Len: n})
	case "fcntl-getlk":
		// fcntl-getlk PATH START LEN: ok when F_GETLK sees a conflicting
		// write lock, EAGAIN when it sees none.
		if err := need(3); err != nil {
			return err
		}
		start, err1 := strconv.ParseInt(a[2], 10, 64)
		n, err2 := strconv.ParseInt(a[3], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		fd, err := syscall.Open(a[1], syscall.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer syscall.Close(fd)
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: start, Len: n}
		if err := syscall.FcntlFlock(uintptr(fd), syscall.F_GETLK, &lk); err != nil {
			return err
		}
		if lk.Type == syscall.F_UNLCK {
			return syscall.EAGAIN
		}
		return nil
	case "flock-ex":
		if err := need(1); err != nil {
			return err
		}
		fd, err := syscall.Open(a[1], syscall.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer syscall.Close(fd)
		return syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
	}
	return fmt.Errorf("unknown operation %q", a[0])
}

// Integrity file geometry: writers own interleaved blocks.
const (
	integrityBlock  = 4096
	integrityBlocks = 1024
)

// integrityBlockData is the content writer w puts in block b for seed.
func integrityBlockData(seed uint64, b int) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(b)))
	buf := make([]byte, integrityBlock)
	for i := 0; i < len(buf); i += 8 {
		binary.LittleEndian.PutUint64(buf[i:], r.Uint64())
	}
	return buf
}

// integrityWriter is "writer PATH INDEX COUNT SEED": it writes the blocks b
// with b%COUNT == INDEX, in a random order, with pwrite on its own file
// descriptor, then fsyncs.
func integrityWriter(a []string) error {
	if len(a) != 4 {
		return errors.New("writer PATH INDEX COUNT SEED")
	}
	idx, err1 := strconv.Atoi(a[1])
	count, err2 := strconv.Atoi(a[2])
	seed, err3 := strconv.ParseUint(a[3], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || count <= 0 {
		return fmt.Errorf("writer arguments: %v", err)
	}
	f, err := os.OpenFile(a[0], os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var mine []int
	for b := range integrityBlocks {
		if b%count == idx {
			mine = append(mine, b)
		}
	}
	r := rand.New(rand.NewPCG(seed, uint64(idx)+1000))
	r.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
	for _, b := range mine {
		if _, err := f.WriteAt(integrityBlockData(seed, b), int64(b)*integrityBlock); err != nil {
			return err
		}
	}
	return f.Sync()
}

// integrityExpected is the SHA-256 of the file all writers together make.
func integrityExpected(seed uint64) [32]byte {
	h := sha256.New()
	for b := range integrityBlocks {
		h.Write(integrityBlockData(seed, b))
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

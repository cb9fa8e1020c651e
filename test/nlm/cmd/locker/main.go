// Command locker takes and tests file locks for the NLM tests in the VM. It
// is built static (CGO_ENABLED=0) and copied into the guest. Each command
// prints one machine-readable line:
//
//	locker try FILE w|r START LEN     F_SETLK:  "try ok" or "try conflict"
//	locker get FILE w|r START LEN     F_GETLK:  "get unlocked" or "get w|r START LEN PID"
//	locker flock FILE ex|sh           LOCK_NB:  "flock ok" or "flock conflict"
//	locker hold FILE w|r|ex|sh READY RELEASE TIMEOUT [TEXT]
//	    takes the lock (F_SETLKW or flock, blocking), prints "hold locked",
//	    creates READY, waits (at most TIMEOUT) until RELEASE exists, appends
//	    TEXT (when given) to FILE through the descriptor that holds the
//	    lock, unlocks and prints "hold released"
//	locker waitfile PATH TIMEOUT      waits until PATH exists: "waitfile ok"
//
// A lock "try" takes is released at once (the process exits). Any other
// failure prints "error: ..." and exits 2; a timeout exits 3.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: locker try|get|flock|hold|waitfile ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "try":
		need(args, 4)
		f := open(args[0])
		err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, lockOf(args[1], args[2], args[3]))
		report("try", err)
	case "get":
		need(args, 4)
		f := open(args[0])
		lk := lockOf(args[1], args[2], args[3])
		if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, lk); err != nil {
			fail("F_GETLK: " + err.Error())
		}
		if lk.Type == syscall.F_UNLCK {
			fmt.Println("get unlocked")
			return
		}
		fmt.Printf("get %s %d %d %d\n", typeName(lk.Type), lk.Start, lk.Len, lk.Pid)
	case "flock":
		need(args, 2)
		f := open(args[0])
		err := syscall.Flock(int(f.Fd()), flockOf(args[1])|syscall.LOCK_NB)
		report("flock", err)
	case "hold":
		if len(args) != 6 {
			need(args, 5)
		}
		f := open(args[0])
		timeout := duration(args[4])
		var err error
		switch args[1] {
		case "ex", "sh":
			err = syscall.Flock(int(f.Fd()), flockOf(args[1]))
		default:
			err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, lockOf(args[1], "0", "0"))
		}
		if err != nil {
			fail("lock: " + err.Error())
		}
		fmt.Println("hold locked")
		if err := os.WriteFile(args[2], []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			fail(err.Error())
		}
		waitFile(args[3], timeout)
		if len(args) == 6 {
			if _, err := f.Seek(0, io.SeekEnd); err != nil {
				fail("seek: " + err.Error())
			}
			if _, err := f.WriteString(args[5] + "\n"); err != nil {
				fail("write: " + err.Error())
			}
		}
		switch args[1] {
		case "ex", "sh":
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		default:
			lk := lockOf("w", "0", "0")
			lk.Type = syscall.F_UNLCK
			err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, lk)
		}
		if err != nil {
			fail("unlock: " + err.Error())
		}
		fmt.Println("hold released")
	case "waitfile":
		need(args, 2)
		waitFile(args[0], duration(args[1]))
		fmt.Println("waitfile ok")
	default:
		fail("unknown command " + os.Args[1])
	}
}

func report(what string, err error) {
	switch {
	case err == nil:
		fmt.Println(what + " ok")
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EWOULDBLOCK):
		fmt.Println(what + " conflict")
	default:
		fail(what + ": " + err.Error())
	}
}

// waitFile polls for path (another process or guest creates it), at most
// timeout. Over NFS no notification exists for a name appearing.
func waitFile(path string, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			fmt.Printf("timeout waiting for %s\n", path)
			os.Exit(3)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func open(path string) *os.File {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		fail(err.Error())
	}
	return f
}

func lockOf(typ, start, length string) *syscall.Flock_t {
	lk := &syscall.Flock_t{Whence: 0, Start: number(start), Len: number(length)}
	switch typ {
	case "w":
		lk.Type = syscall.F_WRLCK
	case "r":
		lk.Type = syscall.F_RDLCK
	default:
		fail("lock type " + typ + ": want w or r")
	}
	return lk
}

func flockOf(typ string) int {
	switch typ {
	case "ex":
		return syscall.LOCK_EX
	case "sh":
		return syscall.LOCK_SH
	}
	fail("flock type " + typ + ": want ex or sh")
	return 0
}

func typeName(t int16) string {
	if t == syscall.F_WRLCK {
		return "w"
	}
	return "r"
}

func number(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		fail("bad number " + s)
	}
	return n
}

func duration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > 30*time.Minute {
		fail("bad timeout " + s)
	}
	return d
}

func need(args []string, n int) {
	if len(args) != n {
		fail(fmt.Sprintf("want %d arguments, got %d", n, len(args)))
	}
}

func fail(msg string) {
	fmt.Println("error: " + msg)
	os.Exit(2)
}

package bench

import (
	"os"
	"testing"
)

// startInProcess serves NFSv3 and MOUNT v3 on one port of 127.0.0.1 over a
// memory store, exporting "/", and returns the address.
func startInProcess(tb testing.TB) string { return StartInProcess(tb, "/", false) }

func selfPID() int { return os.Getpid() }

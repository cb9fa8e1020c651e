//go:build e2e

package vm_test

import (
	"testing"

	"github.com/dittofs/dittofs/test/vm"
)

func TestScratch(t *testing.T) {
	srv := startGanesha(t)
	cfg := ganeshaConfig(srv, "4.1", "cat /proc/uptime; dmesg | tail -5")
	res, err := vm.Run(t.Context(), cfg)
	t.Logf("err=%v elapsed=%v\nout=%s\nconsole=%s\nstatus=%s", err, res.Elapsed, res.Output, res.Console, res.Status)
}

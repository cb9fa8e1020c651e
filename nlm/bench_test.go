package nlm

import (
	"testing"

	"github.com/dittofs/dittofs/nlm/internal/wire"
)

// BenchmarkLockUnlockRPC is an NLM LOCK and UNLOCK pair over TCP on
// 127.0.0.1: the cost of a client's uncontended fcntl lock and unlock.
func BenchmarkLockUnlockRPC(b *testing.B) {
	e := newEnv(b)
	l := e.alock("hostA", 1, 1, 0, 100)
	b.ReportAllocs()
	for b.Loop() {
		var res wire.NLM4Res
		e.call(NLMPROC4_LOCK, &wire.NLM4LockArgs{Exclusive: true, Alock: l}, &res)
		if res.Stat != wire.NLM4_GRANTED {
			b.Fatal(res.Stat)
		}
		e.call(NLMPROC4_UNLOCK, &wire.NLM4UnlockArgs{Alock: l}, &res)
		if res.Stat != wire.NLM4_GRANTED {
			b.Fatal(res.Stat)
		}
	}
}

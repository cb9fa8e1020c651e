package nfs4

import (
	"slices"
	"sync"
	"testing"
)

// TestOpDone: OpDone hears of every operation a COMPOUND ran, by name and
// status, including the one that failed and stopped it (RFC 7530 §15.2:
// the operations after it are not run).
func TestOpDone(t *testing.T) {
	var mu sync.Mutex
	var got []string
	ts := startServer(t, newFS(t), exportsLine, func(s *Server) {
		s.OpDone = func(op, status string) {
			mu.Lock()
			got = append(got, op+" "+status)
			mu.Unlock()
		}
	})
	c := ts.dial(1000, 1000)
	c.compound(putrootfh(), lookup("nothere"), getfh())
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"PUTROOTFH NFS4_OK", "LOOKUP NFS4ERR_NOENT"}; !slices.Equal(got, want) {
		t.Fatalf("OpDone heard %q, want %q", got, want)
	}
}

package nfs3

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/internal/logtest"
	"github.com/dittofs/dittofs/nfs3/internal/wire"
)

// TestRefusalLogged: a MNT the export rules refuse (RFC 1813 Appendix I,
// MNT3ERR_ACCES for an address no rule admits, MNT3ERR_PERM for an
// unprivileged port on a secure export) and an NFS call on a refused
// export's handle are logged with the client's address and the rule.
func TestRefusalLogged(t *testing.T) {
	var logs logtest.Buffer
	fsys := newFS(t)
	var mu sync.Mutex
	now := time.Unix(1e9, 0)
	advance := func() { mu.Lock(); now = now.Add(time.Hour); mu.Unlock() }
	ts := startServer(t, fsys, "/none 10.9.9.9(rw)\n/secure *(rw)\n", func(s *Server) {
		s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		s.logs.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	c := ts.dial(1000, 1000)
	var mres wire.Mountres3
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/none"}, &mres)
	wantStatus(t, "MNT /none", wire.NFSStat3(mres.Status), wire.NFSStat3(wire.MNT3ERR_ACCES))
	if out := logs.String(); !strings.Contains(out, `msg="mount: refused by the export rules" client=127.0.0.1:`) ||
		!strings.Contains(out, "export=/none rule=none") {
		t.Fatalf("MNT refusal log:\n%s", out)
	}
	// Rate-limited: a second refusal within the second is counted, not
	// logged; the next line after it says how many were left out.
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/none"}, &mres)
	if n := strings.Count(logs.String(), "mount: refused"); n != 1 {
		t.Fatalf("%d lines for two refusals in one second", n)
	}
	advance()
	c.c.Call(context.Background(), MountProgram, MountVersion, wire.MOUNTPROC3_MNT, &wire.MNTArgs{Dirpath: "/secure"}, &mres)
	wantStatus(t, "MNT /secure", wire.NFSStat3(mres.Status), wire.NFSStat3(wire.MNT3ERR_PERM))
	if out := logs.String(); !strings.Contains(out, `export=/secure rule="*(rw,root_squash,sec=sys,secure)"`) || !strings.Contains(out, "suppressed=1") {
		t.Fatalf("MNT refusal log (secure):\n%s", out)
	}
	var buf [handleSize]byte
	noneRoot := ts.nfs.encodeHandle(&buf, ts.tab.Lookup("/none").ID, fsys.Root())
	if _, st := c.getattr(noneRoot); st != wire.NFS3ERR_ACCES {
		t.Fatalf("GETATTR: %d", st)
	}
	if out := logs.String(); !strings.Contains(out, `msg="nfs3: client refused by the export rules" client=127.0.0.1:`) {
		t.Fatalf("NFS refusal log:\n%s", out)
	}
}

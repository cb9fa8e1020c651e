package nlm

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// TestLegacyKeysMigrated: the state number and watched hosts an older
// version kept under "\xffNSM" are moved into the "nsm" namespace and
// read by Start, which moves to the next odd state number (XNFS NSM).
func TestLegacyKeysMigrated(t *testing.T) {
	ctx := context.Background()
	meta := memory.NewMetadata()
	if err := meta.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put([]byte("\xffNSMs"), []byte{0, 0, 0, 5}); err != nil {
			return err
		}
		return tx.Put([]byte("\xffNSMhhostA"), []byte("127.0.0.1"))
	}); err != nil {
		t.Fatal(err)
	}
	m := &Monitor{Persist: meta, Name: "server1", Clock: newFakeClock(),
		Locate: func(context.Context, string, netip.Addr, uint32, uint32, string) (netip.AddrPort, error) {
			return netip.AddrPort{}, errors.New("unreachable")
		}}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if s := m.State(); s != 7 {
		t.Fatalf("state %d, want 7 after the legacy 5", s)
	}
	if h := m.Hosts(); h["hostA"] != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("hosts %v", h)
	}
	if err := meta.View(ctx, func(tx store.Tx) error {
		return tx.Scan([]byte("\xffNSM"), []byte("\xffNSN"), func(k, _ []byte) bool {
			t.Errorf("legacy key %q left", k)
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
}

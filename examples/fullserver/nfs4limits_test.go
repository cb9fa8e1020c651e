package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/state"
	"github.com/prometheus/client_golang/prometheus"
)

// The NFSv4 client-record bounds come from the config file and the
// flags (which win), reach the state table, and their refusals are
// exported as metrics.
func TestNFS4ClientLimits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("nfs4_max_clients: 100\nnfs4_max_clients_per_addr: 10\nnfs4_max_unconfirmed_per_addr: 5\n"), 0o600)
	cfg, err := parseConfig([]string{"--config", file, "--nfs4-max-clients-per-addr", "1", "--memory"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NFS4MaxClients != 100 || cfg.NFS4MaxClientsPerAddr != 1 || cfg.NFS4MaxUnconfirmedPerAddr != 5 {
		t.Fatalf("config %+v", cfg)
	}
	if _, err := parseConfig([]string{"--nfs4-max-clients", "-1"}, io.Discard); err == nil {
		t.Errorf("negative nfs4-max-clients accepted")
	}
	ctx := context.Background()
	st, err := openStores(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	lm, err := openLocking(ctx, cfg, slog.New(slog.DiscardHandler), st)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.close(slog.New(slog.DiscardHandler))
	exports, err := export.NewTable(ctx, export.Options{}, defaultExport(cfg, st.fs, lm.locks))
	if err != nil {
		t.Fatal(err)
	}
	v4, err := openNFS4(ctx, cfg, slog.New(slog.DiscardHandler), st, exports, rpc.NewServeMux())
	if err != nil {
		t.Fatal(err)
	}
	defer v4.stop()
	reg := prometheus.NewRegistry()
	v4.registerMetrics(reg)
	from := netip.MustParseAddr("192.0.2.1")
	id, conf, err := v4.state.SetClientID(ctx, from, []byte("a"), [8]byte{1}, "p", state.Callback{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v4.state.ConfirmClientID(ctx, id, conf, "p"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v4.state.SetClientID(ctx, from, []byte("b"), [8]byte{1}, "p", state.Callback{}); err != state.ErrResource {
		t.Errorf("second client of an address with --nfs4-max-clients-per-addr 1: %v", err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			got[name] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"dittofs_nfs4_clients": 1, "dittofs_nfs4_clients_refused_total/addr": 1, "dittofs_nfs4_clients_refused_total/table": 0,
		"dittofs_nfs4_clients_evicted_total/courtesy": 0, "dittofs_nfs4_clients_evicted_total/unconfirmed": 0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("metric %s = %v (present %v), want %v", name, v, ok, want)
		}
	}
}

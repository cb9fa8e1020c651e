package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
	"github.com/prometheus/client_golang/prometheus"
)

// nfs4Service is the NFSv4 server and its state table, or nothing when
// --nfs4 is off.
type nfs4Service struct {
	state *state.Table
	ops   *nfs4OpMetrics // registered by registerMetrics
}

// openNFS4 registers NFS version 4 (program 100003 v4) on mux, the same
// mux and port as NFSv3, over the exports, whose lock manager NLM uses
// too, so that NFSv4 opens and locks conflict with NLM's. With a data
// directory the names of confirmed clients are kept in the default
// export's metadata store, so that they may reclaim their opens and locks
// in the grace period after a restart; with --memory nothing survives.
func openNFS4(ctx context.Context, cfg Config, log *slog.Logger, st *stores, exports *export.Table, mux *rpc.ServeMux) (*nfs4Service, error) {
	if !cfg.NFS4 {
		return &nfs4Service{}, nil
	}
	var persist store.Metadata
	if !cfg.Memory {
		persist = st.meta
	}
	tbl, err := state.New(ctx, state.Options{Lease: cfg.Lease, Persist: persist, Logger: log,
		MaxClients: cfg.NFS4MaxClients, MaxClientsPerAddr: cfg.NFS4MaxClientsPerAddr,
		MaxUnconfirmedPerAddr: cfg.NFS4MaxUnconfirmedPerAddr})
	if err != nil {
		return nil, fmt.Errorf("nfsv4 state: %w", err)
	}
	srv := &nfs4.Server{
		Exports:  exports,
		State:    tbl,
		IDMapper: idMapper(cfg.IDMapDomain),
		Logger:   log,
	}
	ops := newNFS4OpMetrics()
	srv.OpDone = ops.opDone
	srv.Register(mux)
	return &nfs4Service{state: tbl, ops: ops}, nil
}

// idMapper maps owners numerically without a domain (what Linux clients
// send with AUTH_SYS), else as "name@domain" for this machine's users and
// groups.
func idMapper(domain string) nfs4.IDMapper {
	if domain == "" {
		return nfs4.NumericMapper()
	}
	return nfs4.DomainMapper(domain, nfs4.SystemUsers(), nfs4.SystemGroups())
}

// registerMetrics exports the state table's figures: client records
// held, new clients refused by a bound (limit "table": every record a
// live client; "addr": the address's own records all live), and records
// evicted to make room (kind "courtesy": a client whose lease had
// expired, released; "unconfirmed"). SETCLIENTID and EXCHANGE_ID refused
// for AUTH_NONE are dittofs_rpc_errors_total{status="AUTH_TOOWEAK"}.
func (s *nfs4Service) registerMetrics(reg prometheus.Registerer) {
	tbl := s.state
	if tbl == nil {
		return
	}
	reg.MustRegister(s.ops.ops, s.ops.errors)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dittofs_nfs4_clients", Help: "NFSv4 client records held (confirmed, unconfirmed and released).",
	}, func() float64 { return float64(tbl.Stats().Clients) }))
	type counter = func(state.Stats) uint64
	for _, m := range []struct {
		name, help, label string
		values            map[string]counter
	}{
		{"dittofs_nfs4_clients_refused_total", "New NFSv4 clients refused by a bound on client records, by bound.", "limit",
			map[string]counter{
				"table": func(s state.Stats) uint64 { return s.RefusedFull },
				"addr":  func(s state.Stats) uint64 { return s.RefusedAddr },
			}},
		{"dittofs_nfs4_clients_evicted_total", "NFSv4 client records evicted to make room for a new client, by kind.", "kind",
			map[string]counter{
				"courtesy":    func(s state.Stats) uint64 { return s.EvictedCourtesy },
				"unconfirmed": func(s state.Stats) uint64 { return s.EvictedUnconfirmed },
			}},
	} {
		for v, f := range m.values {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: m.name, Help: m.help, ConstLabels: prometheus.Labels{m.label: v},
			}, func() float64 { return float64(f(tbl.Stats())) }))
		}
	}
}

// stop ends the state table's lease timers.
func (s *nfs4Service) stop() {
	if s.state != nil {
		s.state.Close()
	}
}

// logMount4 logs how to mount the default export over NFSv4 (4.0 and
// 4.1 are served; Linux picks 4.1 without vers=). NFSv4
// needs neither MOUNT nor the portmapper: only the port.
func (s *nfs4Service) logMount4(log *slog.Logger, cfg Config, nfsAddr net.Addr) {
	if s.state == nil {
		return
	}
	host, _, _ := net.SplitHostPort(nfsAddr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "SERVER"
	}
	opts := "vers=4.1"
	if port := portOf(nfsAddr); port != 2049 {
		opts += fmt.Sprintf(",port=%d", port)
	}
	log.Info("serving NFSv4.0 and 4.1", "export", cfg.Export, "lease", cfg.Lease, "grace", cfg.Grace,
		"idmap_domain", cfg.IDMapDomain,
		"linux", fmt.Sprintf("mount -t nfs -o %s %s:%s /mnt", opts, host, cfg.Export))
}

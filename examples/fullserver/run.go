package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
)

// listener describes one bound listener, for the log and for tests.
type listener struct {
	Name    string // "nfs", "portmap", "metrics"
	Network string // "tcp" or "udp"
	Addr    net.Addr
}

// shutdownTimeout bounds how long calls in flight may take to finish.
const shutdownTimeout = 10 * time.Second

// run serves until ctx ends, then shuts down cleanly. ready, when not nil,
// receives the bound listeners once everything serves.
func run(ctx context.Context, cfg Config, log *slog.Logger, ready func([]listener)) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	st, err := openStores(cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.close(); cerr != nil {
			log.Error("closing the stores", "err", cerr)
		}
	}()
	lm, err := openLocking(ctx, cfg, log, st)
	if err != nil {
		return err
	}
	defer lm.close(log)
	registerLockMetrics(reg, lm.locks)
	exports, err := export.NewTable(ctx, export.Options{HandleKey: st.handleKey}, defaultExport(cfg, st.fs, lm.locks))
	if err != nil {
		return err
	}
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: exports, Logger: log}).Register(mux)
	lm.registerNLM(cfg, log, st, exports, mux)
	v4, err := openNFS4(ctx, cfg, log, st, exports, mux)
	if err != nil {
		return err
	}
	defer v4.stop()
	v4.registerMetrics(reg)

	nfsd := &rpc.Server{
		Handler:        mux,
		DuplicateCache: &rpc.DuplicateCache{},
		Logger:         log,
		Metrics:        newRPCMetrics(reg, "nfs"),
	}
	cfg.limit(nfsd)
	registerLimitMetrics(reg, "nfs", nfsd)
	nfsTCP, nfsUDP, err := listenBoth(cfg.NFSAddr)
	if err != nil {
		return fmt.Errorf("nfs: %w", err)
	}
	var bound []listener
	bound = append(bound, listener{"nfs", "tcp", nfsTCP.Addr()}, listener{"nfs", "udp", nfsUDP.LocalAddr()})

	pm, pmListeners, err := startPortmap(cfg, log, reg, mux, nfsTCP.Addr())
	if err != nil {
		nfsTCP.Close()
		nfsUDP.Close()
		return err
	}
	bound = append(bound, pmListeners...)

	var metricsSrv *http.Server
	var metricsL net.Listener
	if cfg.MetricsAddr != "" {
		metricsL, err = net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			nfsTCP.Close()
			nfsUDP.Close()
			pm.close()
			return fmt.Errorf("metrics: %w", err)
		}
		hm := http.NewServeMux()
		hm.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		hm.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		metricsSrv = &http.Server{Handler: hm, ReadHeaderTimeout: 10 * time.Second}
		bound = append(bound, listener{"metrics", "tcp", metricsL.Addr()})
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serveErr(nfsd.Serve(nfsTCP)) })
	g.Go(func() error { return serveErr(nfsd.ServePacket(nfsUDP)) })
	pm.serve(g)
	if metricsSrv != nil {
		g.Go(func() error {
			if err := metricsSrv.Serve(metricsL); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	for _, l := range bound {
		log.Info("listening", "service", l.Name, "network", l.Network, "addr", l.Addr.String())
	}
	if err := lm.notify(ctx); err != nil {
		nfsTCP.Close()
		nfsUDP.Close()
		pm.close()
		if metricsL != nil {
			metricsL.Close()
		}
		if ctx.Err() != nil {
			// Stopped (SIGTERM) while the status monitor was starting:
			// a clean stop, not a failure; its store transaction was
			// rolled back.
			log.Info("stopped during start-up", "err", err)
			return nil
		}
		return err
	}
	logMount(log, cfg, nfsTCP.Addr(), pm, cfg.NLM)
	v4.logMount4(log, cfg, nfsTCP.Addr())
	if ready != nil {
		ready(bound)
	}

	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		errs := []error{nfsd.Shutdown(sctx), pm.shutdown(sctx)}
		if metricsSrv != nil {
			errs = append(errs, metricsSrv.Shutdown(sctx))
		}
		return errors.Join(errs...)
	})
	err = g.Wait()
	if ctx.Err() != nil && err == nil {
		log.Info("stopped")
	}
	return err
}

// serveErr turns the clean end of a server into nil.
func serveErr(err error) error {
	if errors.Is(err, rpc.ErrServerClosed) {
		return nil
	}
	return err
}

// defaultExport is the export the server serves with embedded defaults:
// the whole store as cfg.Export, with the store's lock manager,
// read-write for every AUTH_SYS client, from any source port (macOS
// mounts from unprivileged ports), root squashed unless cfg.NoRootSquash.
func defaultExport(cfg Config, fsys *store.FS, locks *locking.Manager) *export.Export {
	return &export.Export{
		Name:  cfg.Export,
		FS:    fsys,
		Locks: locks,
		Rules: []export.Rule{{
			Client:       "*",
			NoRootSquash: cfg.NoRootSquash,
			Insecure:     true,
			Sec:          []export.Sec{export.SecSys},
		}},
	}
}

// logMount logs how to mount the default export from Linux and macOS.
func logMount(log *slog.Logger, cfg Config, nfsAddr net.Addr, pm *portmapper, locks bool) {
	host, _, _ := net.SplitHostPort(nfsAddr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "SERVER"
	}
	port := portOf(nfsAddr)
	opts, macOpts := "vers=3,tcp", "vers=3,tcp"
	if !locks || !pm.wellKnown() {
		// Without NLM, or without a portmapper where clients look for it,
		// locks can only be local to each client.
		opts, macOpts = opts+",nolock", macOpts+",nolocks"
	}
	if port != 2049 || !pm.wellKnown() {
		opts += fmt.Sprintf(",port=%d,mountport=%d", port, port)
	}
	log.Info("serving NFSv3", "export", cfg.Export, "root_squash", !cfg.NoRootSquash,
		"linux", fmt.Sprintf("mount -t nfs -o %s %s:%s /mnt", opts, host, cfg.Export),
		"macos", fmt.Sprintf("mount -t nfs -o %s,port=%d,mountport=%d %s:%s /Volumes/dittofs", macOpts, port, port, host, cfg.Export))
}

// listenBoth listens on addr over TCP and on the same port over UDP.
func listenBoth(addr string) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		udpAddr := net.JoinHostPort(host, strconv.Itoa(portOf(l.Addr())))
		pc, err := net.ListenPacket("udp", udpAddr)
		if err == nil {
			return l, pc, nil
		}
		l.Close()
		// With port 0 the kernel chose a TCP port whose UDP twin is busy:
		// try another.
		if port != "0" || attempt >= 10 {
			return nil, nil, err
		}
	}
}

func portOf(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	return 0
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
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

// hooks are what main and tests attach to a running server.
type hooks struct {
	// ready, when not nil, receives the bound listeners once everything
	// serves.
	ready func([]listener)
	// Each value from reload (SIGHUP) re-reads the configuration with
	// config and applies its exports (reloadExports); reloaded, when not
	// nil, is told the outcome. A bad configuration is logged and the
	// exports in force are kept.
	reload   <-chan os.Signal
	config   func() (Config, error)
	reloaded func(error)
}

// run serves until ctx ends, then shuts down cleanly. ready, when not nil,
// receives the bound listeners once everything serves.
func run(ctx context.Context, cfg Config, log *slog.Logger, ready func([]listener)) error {
	return runWith(ctx, cfg, log, hooks{ready: ready})
}

// runWith is run with hooks.
func runWith(ctx context.Context, cfg Config, log *slog.Logger, h hooks) error {
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
	registerStoreMetrics(reg, &st.counts, st.fs)
	registerCacheMetrics(reg, st.blocks)
	lm, err := openLocking(ctx, cfg, log, st)
	if err != nil {
		return err
	}
	defer lm.close(log)
	registerLockMetrics(reg, lm.locks)
	exps, err := servedExports(cfg, st.fs, lm.locks)
	if err != nil {
		return err
	}
	exports, err := export.NewTable(ctx, export.Options{HandleKey: st.handleKey}, exps...)
	if err != nil {
		return err
	}
	warnOpen(log, cfg, exports)
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
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
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
		if cfg.Pprof {
			hm.HandleFunc("/debug/pprof/", pprof.Index)
			hm.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
			hm.HandleFunc("/debug/pprof/profile", pprof.Profile)
			hm.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			hm.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
		metricsSrv = &http.Server{Handler: hm, ReadHeaderTimeout: 10 * time.Second}
		bound = append(bound, listener{"metrics", "tcp", metricsL.Addr()})
	}

	smbd, smbL, err := startSMB(cfg, log, exports, os.Getenv)
	if err != nil {
		nfsTCP.Close()
		nfsUDP.Close()
		pm.close()
		if metricsL != nil {
			metricsL.Close()
		}
		return err
	}
	if smbL != nil {
		bound = append(bound, listener{"smb", "tcp", smbL.Addr()})
		smbd.CommandDone = newSMBMetrics(reg).commandDone
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serveErr(nfsd.Serve(nfsTCP)) })
	if smbd != nil {
		g.Go(func() error { return smbServeErr(smbd.Serve(smbL)) })
	}
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
		if smbd != nil {
			smbd.Close()
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
	// The mount commands name the first export.
	mcfg := cfg
	if first := exports.All()[0]; first.Name != cfg.Export {
		mcfg.Export = first.Name
		mcfg.NoRootSquash = len(first.Rules) > 0 && first.Rules[0].NoRootSquash
	}
	logMount(log, mcfg, nfsTCP.Addr(), pm, cfg.NLM)
	v4.logMount4(log, mcfg, nfsTCP.Addr())
	if h.ready != nil {
		h.ready(bound)
	}
	if h.reload != nil {
		g.Go(func() error {
			for {
				select {
				case <-gctx.Done():
					return nil
				case <-h.reload:
				}
				err := errors.New("no configuration to reload")
				if h.config != nil {
					var ncfg Config
					if ncfg, err = h.config(); err == nil {
						err = reloadExports(log, ncfg, exports)
					}
				}
				if err != nil {
					log.Error("reloading the exports: keeping the rules in force", "err", err)
				}
				if h.reloaded != nil {
					h.reloaded(err)
				}
			}
		})
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
		if smbd != nil {
			errs = append(errs, smbd.Close())
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

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/dittofs/dittofs/nfs4"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// portmapper is the embedded portmapper, or nothing when it is off.
type portmapper struct {
	srv   *rpc.Server
	tcp   net.Listener
	udp   net.PacketConn
	table *portmap.Server
}

// startPortmap binds the portmapper and fills its table with the programs
// of mux at the NFS port. When the configured address is the default (:111)
// and cannot be bound (no privilege, or a system rpcbind holds it), it falls
// back to a port the kernel chooses and says so. With "off" it serves no
// portmapper and, best effort, registers the programs with a system rpcbind.
func startPortmap(cfg Config, log *slog.Logger, reg prometheus.Registerer, mux *rpc.ServeMux, nfsAddr net.Addr) (*portmapper, []listener, error) {
	nfsPort := portOf(nfsAddr)
	if cfg.PortmapAddr == "off" {
		registerSystem(log, mux, nfsPort)
		return &portmapper{}, nil, nil
	}
	tcp, udp, err := listenBoth(cfg.PortmapAddr)
	if err != nil && cfg.PortmapAddr == defaultPortmapAddr {
		host, _, _ := net.SplitHostPort(cfg.PortmapAddr)
		tcp, udp, err = listenBoth(net.JoinHostPort(host, "0"))
		if err == nil {
			log.Warn("portmapper: cannot bind port 111; serving it on a high port instead. Clients must be given the ports: mount -o port=N,mountport=N",
				"port", portOf(tcp.Addr()), "nfs_port", nfsPort)
			registerSystem(log, mux, nfsPort)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("portmapper: %w", err)
	}
	table := &portmap.Server{Logger: log}
	pmux := rpc.NewServeMux()
	table.Register(pmux)
	err = errors.Join(
		table.Advertise(mux, nfsPort, portmap.TCP, portmap.UDP),
		table.Advertise(pmux, portOf(tcp.Addr()), portmap.TCP, portmap.UDP),
	)
	if err != nil {
		tcp.Close()
		udp.Close()
		return nil, nil, fmt.Errorf("portmapper: %w", err)
	}
	// NFSv4 is for TCP only (RFC 7530 §3.1).
	table.Unset(nfs4.NFSProgram, nfs4.NFSVersion, portmap.UDP)
	srv := &rpc.Server{Handler: pmux, Logger: log, Metrics: newRPCMetrics(reg, "portmap")}
	cfg.limit(srv)
	registerLimitMetrics(reg, "portmap", srv)
	pm := &portmapper{
		srv:   srv,
		tcp:   tcp,
		udp:   udp,
		table: table,
	}
	return pm, []listener{{"portmap", "tcp", tcp.Addr()}, {"portmap", "udp", udp.LocalAddr()}}, nil
}

// registerSystem registers the programs of mux at port with a system
// rpcbind, if one runs on this host (best effort: it logs the outcome).
func registerSystem(log *slog.Logger, mux *rpc.ServeMux, port int) {
	var tmp portmap.Server
	if err := tmp.Advertise(mux, port, portmap.TCP, portmap.UDP); err != nil {
		log.Warn("portmapper: cannot build the mappings", "err", err)
		return
	}
	tmp.Unset(nfs4.NFSProgram, nfs4.NFSVersion, portmap.UDP)
	ms := tmp.Mappings()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := portmap.RegisterSystem(ctx, "", ms...); err != nil {
		log.Info("portmapper: not registered with a system rpcbind", "err", err)
		return
	}
	log.Info("portmapper: registered with the system rpcbind", "mappings", len(ms), "port", port)
}

// wellKnown reports whether clients find the portmapper on port 111.
func (pm *portmapper) wellKnown() bool {
	return pm.srv != nil && portOf(pm.tcp.Addr()) == 111
}

func (pm *portmapper) serve(g *errgroup.Group) {
	if pm.srv == nil {
		return
	}
	g.Go(func() error { return serveErr(pm.srv.Serve(pm.tcp)) })
	g.Go(func() error { return serveErr(pm.srv.ServePacket(pm.udp)) })
}

func (pm *portmapper) shutdown(ctx context.Context) error {
	if pm.srv == nil {
		return nil
	}
	return pm.srv.Shutdown(ctx)
}

// close releases the listeners of a portmapper that never served.
func (pm *portmapper) close() {
	if pm.srv == nil {
		return
	}
	pm.tcp.Close()
	pm.udp.Close()
}

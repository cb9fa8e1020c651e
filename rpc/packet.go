package rpc

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// maxDatagram is the largest UDP payload (RFC 768 over IPv4).
const maxDatagram = 65507

// ListenAndServeUDP listens on addr over UDP and serves calls until
// Shutdown.
func (srv *Server) ListenAndServeUDP(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return srv.ServePacket(pc)
}

// ServePacket serves calls arriving as datagrams on pc, one call per
// datagram (RFC 5531 §11 does not apply: UDP has no record marking). It
// returns ErrServerClosed after Shutdown or Close, and closes pc.
func (srv *Server) ServePacket(pc net.PacketConn) error {
	srv.init()
	if !srv.track(nil, pc, true) {
		pc.Close()
		return ErrServerClosed
	}
	defer func() {
		srv.track(nil, pc, false)
		pc.Close()
	}()
	udp, _ := pc.(*net.UDPConn)
	for {
		bp := srv.bufs.get(maxDatagram + 1)
		var (
			n    int
			from netip.AddrPort
			addr net.Addr
			err  error
		)
		if udp != nil {
			n, from, err = udp.ReadFromUDPAddrPort(*bp)
		} else {
			n, addr, err = pc.ReadFrom(*bp)
			if ua, ok := addr.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
		}
		if err != nil {
			srv.bufs.put(bp)
			if srv.closed.Load() {
				srv.wg.Wait()
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if n > maxDatagram || n < 8 || be32((*bp)[4:]) != CALL {
			// Not a call (replies to a server are garbage too): no
			// answer, and no log line either, only the count.
			srv.counters.malformed.Add(1)
			srv.bufs.put(bp)
			continue
		}
		*bp = (*bp)[:n]
		if !srv.acquire() {
			srv.bufs.put(bp)
			srv.wg.Wait()
			return ErrServerClosed
		}
		r := srv.getRequest()
		r.start = time.Now()
		r.buf = bp
		r.pc, r.from = pc, from
		r.call.Network = UDP
		if addr == nil {
			addr = net.UDPAddrFromAddrPort(from)
		}
		r.call.Remote = addr
		srv.wg.Add(1)
		go srv.runPacket(r)
	}
}

func (srv *Server) runPacket(r *request) {
	defer srv.wg.Done()
	var rec []byte
	if srv.handle(srv.ctx, r, r.from.Addr()) {
		rec = r.w.flatten()[4:] // no record mark on UDP
		if len(rec) > maxDatagram {
			srv.logs.Warn(srv.log, "rpc: reply too large for UDP; dropped", "prog", r.call.Prog, "proc", r.call.Proc, "len", len(rec))
			r.w.dropped = true
			rec = nil
		}
	}
	// Observed before the reply leaves, as on TCP.
	srv.observe(r, UDP)
	if rec != nil {
		if _, err := r.pc.WriteTo(rec, r.call.Remote); err != nil {
			srv.logs.Info(srv.log, "rpc: UDP reply failed", "remote", addrString(r.call.Remote), "err", err)
		}
	}
	srv.putRequest(r)
	srv.release()
}

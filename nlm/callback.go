package nlm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nlm/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// errNotRegistered is a program the peer's portmapper does not know.
var errNotRegistered = errors.New("nlm: program not registered with the peer's portmapper")

// peer is a client host as seen by the server.
type peer struct {
	name    string // caller_name or mon_name, when known
	addr    netip.Addr
	network string
}

// LocateFunc finds the address of program (prog, vers) over network on
// host name, last seen at addr. It replaces the portmapper lookup, for
// set-ups where a client's ports are forwarded (virtual machines behind
// user-mode networking, NAT).
type LocateFunc func(ctx context.Context, name string, addr netip.Addr, prog, vers uint32, network string) (netip.AddrPort, error)

// peerCaller calls procedures of programs on peers, finding their ports
// through the peer's portmapper or locate.
type peerCaller struct {
	portmapPort int
	timeout     time.Duration
	locate      LocateFunc
}

// getPort asks the portmapper of addr for the port of (prog, vers) over
// network (PMAPPROC_GETPORT, RFC 1833 §3.2).
func (pc peerCaller) getPort(ctx context.Context, addr netip.Addr, prog, vers uint32, network string) (uint16, error) {
	prot := uint32(portmap.IPPROTO_TCP)
	if network == rpc.UDP {
		prot = portmap.IPPROTO_UDP
	}
	cl, err := portmap.Dial(ctx, rpc.TCP, net.JoinHostPort(addr.String(), strconv.Itoa(pc.portmapPort)))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	port, err := cl.GetPort(ctx, prog, vers, prot)
	if err != nil {
		return 0, err
	}
	if port <= 0 || port > 65535 {
		return 0, fmt.Errorf("%w: program %d version %d over %s on %v", errNotRegistered, prog, vers, network, addr)
	}
	return uint16(port), nil
}

// call calls proc of (prog, vers) on the peer, within the call timeout.
func (pc peerCaller) call(ctx context.Context, p peer, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	ctx, cancel := context.WithTimeout(ctx, pc.timeout)
	defer cancel()
	if !p.addr.IsValid() && pc.locate == nil {
		return errors.New("nlm: peer has no address")
	}
	var ap netip.AddrPort
	if pc.locate != nil {
		a, err := pc.locate(ctx, p.name, p.addr, prog, vers, p.network)
		if err != nil {
			return err
		}
		ap = a
	} else {
		port, err := pc.getPort(ctx, p.addr, prog, vers, p.network)
		if err != nil {
			return err
		}
		ap = netip.AddrPortFrom(p.addr, port)
	}
	cl, err := rpc.Dial(ctx, p.network, ap.String())
	if err != nil {
		return err
	}
	defer cl.Close()
	return cl.Call(ctx, prog, vers, proc, args, res)
}

// wait waits d on the clock, or until ctx ends.
func wait(ctx context.Context, c clock.Clock, d time.Duration) error {
	ch := make(chan struct{})
	t := c.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

// msgGrantAccepted is logged (at debug level) for each GRANTED callback
// the client answered NLM4_GRANTED.
const msgGrantAccepted = "nlm: GRANTED callback accepted"

// sendGranted tells the client that its blocked lock is granted
// (NLMPROC4_GRANTED), retrying CallbackRetries times. When the client
// refuses it (it no longer waits) or cannot be reached, the lock is
// released so that it does not stay held by nobody.
func (s *Server) sendGranted(m *locking.Manager, id uint64, o locking.Owner, r locking.Range, p peer, args *wire.NLM4TestArgs) {
	ctx := s.bg.ctx
	var err error
retry:
	for attempt := range s.CallbackRetries {
		if attempt > 0 {
			if wait(ctx, s.clock, s.CallbackInterval<<min(attempt-1, 4)) != nil {
				return // shutting down; the lock stays for the next start
			}
		}
		var res wire.NLM4Res
		err = s.peers.call(ctx, p, NLMProgram, NLMVersion, NLMPROC4_GRANTED, args, &res)
		if err != nil {
			continue
		}
		switch res.Stat {
		case wire.NLM4_GRANTED:
			s.log.Debug(msgGrantAccepted, "host", o.Client, "addr", p.addr, "attempt", attempt+1)
			return
		case wire.NLM4_DENIED_GRACE_PERIOD:
			err = errors.New("client in grace period")
			continue
		}
		err = fmt.Errorf("client refused the lock with status %d", res.Stat)
		break retry
	}
	if ctx.Err() != nil {
		return // shutting down; the lock stays for the next start
	}
	uerr := m.Unlock(ctx, id, o, r)
	s.logs.Warn(s.log, "nlm: GRANTED callback failed; lock released", "host", o.Client, "addr", p.addr, "err", err, "unlock", uerr)
}

// sendRes sends the result of a _MSG call to the caller's _RES
// procedure, once, in the background: the client retransmits its _MSG if
// the result is lost.
func (s *Server) sendRes(c *rpc.Call, name string, proc uint32, res xdr.Marshaler) {
	p := peerOf(c)
	p.name = name
	// res aliases the request buffer (the cookie); encode it now.
	raw := rawArgs(xdr.Marshal(res))
	s.bg.start(func() {
		if err := s.peers.call(s.bg.ctx, p, NLMProgram, NLMVersion, proc, raw, nil); err != nil {
			s.log.Debug("nlm: sending a _RES message", "proc", proc, "addr", p.addr, "err", err)
		}
	})
}

// rawArgs is arguments already encoded.
type rawArgs []byte

func (r rawArgs) MarshalXDR(e *xdr.Encoder) { e.FixedOpaque(r) }
func (r rawArgs) SizeXDR() int              { return len(r) }

package portmap

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap/internal/wire"
)

// DefaultAddr is where the system rpcbind listens.
const DefaultAddr = "127.0.0.1:111"

// ErrNoRPCBind means no portmapper answered at the address.
var ErrNoRPCBind = errors.New("portmap: no portmapper running")

// Client calls a portmapper or rpcbind: the system's, to register
// programs with it, or any other. It is safe for concurrent use.
type Client struct {
	rc *rpc.Client
}

// Dial connects to the portmapper at addr over network ("tcp" or "udp").
// A refused connection is reported as an error wrapping ErrNoRPCBind.
func Dial(ctx context.Context, network, addr string) (*Client, error) {
	rc, err := rpc.Dial(ctx, network, addr)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("%w at %s: %w", ErrNoRPCBind, addr, err)
	}
	if err != nil {
		return nil, err
	}
	return &Client{rc: rc}, nil
}

// NewClient returns a Client over an established RPC client.
func NewClient(rc *rpc.Client) *Client { return &Client{rc: rc} }

// Close closes the connection.
func (c *Client) Close() error { return c.rc.Close() }

// Set registers m with rpcbind version 4 SET (RFC 1833 §2.2.1). It
// reports false when (prog, vers, netid) is registered already.
func (c *Client) Set(ctx context.Context, m Mapping) (bool, error) {
	var ok wire.Bool
	arg := wire.Rpcb{Prog: m.Prog, Vers: m.Vers, Netid: m.Netid, Addr: m.Addr, Owner: m.Owner}
	err := c.rc.Call(ctx, PortmapProgram, PortmapVersion4, wire.RPCBPROC_SET, &arg, &ok)
	return bool(ok), err
}

// Unset removes the registrations of (prog, vers) on netid, or on every
// transport when netid is empty (rpcbind version 4 UNSET).
func (c *Client) Unset(ctx context.Context, prog, vers uint32, netid string) (bool, error) {
	var ok wire.Bool
	arg := wire.Rpcb{Prog: prog, Vers: vers, Netid: netid}
	err := c.rc.Call(ctx, PortmapProgram, PortmapVersion4, wire.RPCBPROC_UNSET, &arg, &ok)
	return bool(ok), err
}

// GetAddr returns the universal address of (prog, vers) on the transport
// of this client (rpcbind version 4 GETVERSADDR when exact, GETADDR
// otherwise, which may answer with another version); "" when none.
func (c *Client) GetAddr(ctx context.Context, prog, vers uint32, exact bool) (string, error) {
	var addr wire.String
	proc := uint32(wire.RPCBPROC_GETADDR)
	if exact {
		proc = wire.RPCBPROC_GETVERSADDR
	}
	arg := wire.Rpcb{Prog: prog, Vers: vers}
	err := c.rc.Call(ctx, PortmapProgram, PortmapVersion4, proc, &arg, &addr)
	return string(addr), err
}

// Dump returns every registration (rpcbind version 4 DUMP).
func (c *Client) Dump(ctx context.Context) ([]Mapping, error) {
	var l wire.RpcbList
	if err := c.rc.Call(ctx, PortmapProgram, PortmapVersion4, wire.RPCBPROC_DUMP, nil, &l); err != nil {
		return nil, err
	}
	out := make([]Mapping, len(l.Maps))
	for i, m := range l.Maps {
		out[i] = Mapping{Prog: m.Prog, Vers: m.Vers, Netid: m.Netid, Addr: m.Addr, Owner: m.Owner}
	}
	return out, nil
}

// GetTime returns the server's clock (rpcbind version 4 GETTIME), to the
// second.
func (c *Client) GetTime(ctx context.Context) (time.Time, error) {
	var t wire.Uint32
	err := c.rc.Call(ctx, PortmapProgram, PortmapVersion4, wire.RPCBPROC_GETTIME, nil, &t)
	return time.Unix(int64(t), 0), err
}

// SetPort registers (prog, vers) on protocol prot (6 for TCP, 17 for UDP)
// at port with portmapper version 2 SET (RFC 1833 §3.2).
func (c *Client) SetPort(ctx context.Context, prog, vers, prot uint32, port int) (bool, error) {
	var ok wire.Bool
	arg := wire.Mapping{Prog: prog, Vers: vers, Prot: prot, Port: uint32(port)}
	err := c.rc.Call(ctx, PortmapProgram, PortmapVersion2, wire.PMAPPROC_SET, &arg, &ok)
	return bool(ok), err
}

// UnsetPort removes (prog, vers) from the TCP and UDP transports with
// portmapper version 2 UNSET.
func (c *Client) UnsetPort(ctx context.Context, prog, vers uint32) (bool, error) {
	var ok wire.Bool
	arg := wire.Mapping{Prog: prog, Vers: vers}
	err := c.rc.Call(ctx, PortmapProgram, PortmapVersion2, wire.PMAPPROC_UNSET, &arg, &ok)
	return bool(ok), err
}

// GetPort returns the port of (prog, vers) on protocol prot with
// portmapper version 2 GETPORT; 0 when it is not registered.
func (c *Client) GetPort(ctx context.Context, prog, vers, prot uint32) (int, error) {
	var port wire.Uint32
	arg := wire.Mapping{Prog: prog, Vers: vers, Prot: prot}
	err := c.rc.Call(ctx, PortmapProgram, PortmapVersion2, wire.PMAPPROC_GETPORT, &arg, &port)
	return int(port), err
}

// PortMapping is a portmapper version 2 registration.
type PortMapping struct {
	Prog, Vers, Prot, Port uint32
}

// DumpPorts returns the registrations portmapper version 2 DUMP reports.
func (c *Client) DumpPorts(ctx context.Context) ([]PortMapping, error) {
	var l wire.Pmaplist
	if err := c.rc.Call(ctx, PortmapProgram, PortmapVersion2, wire.PMAPPROC_DUMP, nil, &l); err != nil {
		return nil, err
	}
	out := make([]PortMapping, len(l.Maps))
	for i, m := range l.Maps {
		out[i] = PortMapping(m)
	}
	return out, nil
}

// RegisterSystem registers each mapping with the portmapper at addr
// (DefaultAddr when empty), replacing what it had for the same (prog,
// vers, netid): how a server announces itself to the host's rpcbind. It
// speaks rpcbind version 4 and falls back to portmapper version 2 (TCP and
// UDP mappings only) for a portmapper without it. When nothing listens at
// addr the error wraps ErrNoRPCBind, and a caller may serve a portmapper
// of its own instead.
func RegisterSystem(ctx context.Context, addr string, ms ...Mapping) error {
	if addr == "" {
		addr = DefaultAddr
	}
	c, err := Dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	v2 := false
	unset := map[[2]uint32]bool{} // (prog, vers) pairs already unset over version 2
	for _, m := range ms {
		if !v2 {
			_, err := c.Unset(ctx, m.Prog, m.Vers, m.Netid)
			if err == nil {
				ok, err := c.Set(ctx, m)
				if err == nil && !ok {
					err = errRefused
				}
				if err != nil {
					return fmt.Errorf("portmap: registering %d v%d on %s: %w", m.Prog, m.Vers, m.Netid, err)
				}
				continue
			}
			if !isMismatch(err) {
				return fmt.Errorf("portmap: registering %d v%d on %s: %w", m.Prog, m.Vers, m.Netid, err)
			}
			v2 = true // a portmapper that only speaks version 2
		}
		if err := c.registerV2(ctx, m, unset); err != nil {
			return fmt.Errorf("portmap: registering %d v%d on %s: %w", m.Prog, m.Vers, m.Netid, err)
		}
	}
	return nil
}

var errRefused = errors.New("portmapper refused the registration")

// registerV2 registers m with portmapper version 2, whose UNSET removes
// every protocol of (prog, vers): so it unsets each pair only once.
func (c *Client) registerV2(ctx context.Context, m Mapping, unset map[[2]uint32]bool) error {
	ap, err := ParseUaddr(m.Addr)
	info, known := lookupNetid(m.Netid)
	if err != nil || !known || info.prot == 0 {
		return fmt.Errorf("%w: version 2 portmapper cannot register netid %q", ErrBadMapping, m.Netid)
	}
	if key := [2]uint32{m.Prog, m.Vers}; !unset[key] {
		if _, err := c.UnsetPort(ctx, m.Prog, m.Vers); err != nil {
			return err
		}
		unset[key] = true
	}
	ok, err := c.SetPort(ctx, m.Prog, m.Vers, info.prot, int(ap.Port()))
	if err == nil && !ok {
		err = errRefused
	}
	return err
}

// UnregisterSystem removes (prog, vers) on each netid from the portmapper
// at addr (DefaultAddr when empty), as a server does when it stops.
func UnregisterSystem(ctx context.Context, addr string, ms ...Mapping) error {
	if addr == "" {
		addr = DefaultAddr
	}
	c, err := Dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	var errs []error
	for _, m := range ms {
		if _, err := c.Unset(ctx, m.Prog, m.Vers, m.Netid); isMismatch(err) {
			_, err = c.UnsetPort(ctx, m.Prog, m.Vers)
			errs = append(errs, err)
		} else {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PortMappings returns the mappings that announce (prog, vers) on each
// netid at port of every local address, for RegisterSystem.
func PortMappings(prog, vers uint32, port int, netids ...string) []Mapping {
	out := make([]Mapping, 0, len(netids))
	for _, n := range netids {
		host := netip.IPv4Unspecified()
		if n == TCP6 || n == UDP6 {
			host = netip.IPv6Unspecified()
		}
		out = append(out, Mapping{Prog: prog, Vers: vers, Netid: n, Addr: FormatUaddr(netip.AddrPortFrom(host, uint16(port))), Owner: SuperUser})
	}
	return out
}

func isMismatch(err error) bool {
	var re *rpc.ReplyError
	return errors.As(err, &re) && re.Accepted && (re.Accept == rpc.PROG_MISMATCH || re.Accept == rpc.PROG_UNAVAIL)
}

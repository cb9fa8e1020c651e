package export

import (
	"net"
	"net/netip"

	"github.com/dittofs/dittofs/rpc"
)

// AddrPort returns the address and port of a connection's peer (the zero
// AddrPort when there is none).
func AddrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	if a == nil {
		return netip.AddrPort{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// SecOf returns the security flavor of an ONC RPC credential, 0 (which
// no rule allows) for one that is none of Sec's.
func SecOf(c *rpc.Cred) Sec {
	switch c.Flavor {
	case rpc.AUTH_NONE:
		return SecNone
	case rpc.AUTH_SYS:
		return SecSys
	case rpc.RPCSEC_GSS:
		// rpc_gss_service_t (RFC 2203 §5): none 1, integrity 2, privacy 3.
		switch c.Service {
		case 1:
			return SecKrb5
		case 2:
			return SecKrb5i
		case 3:
			return SecKrb5p
		}
	}
	return 0
}

// IdentityOf returns the identity an ONC RPC credential claims.
func IdentityOf(c *rpc.Cred) Identity {
	return Identity{UID: c.UID, GID: c.GID, Groups: c.GIDs}
}

// CheckCall is Check for an ONC RPC call: its peer address, credential
// flavor and identity.
func (e *Export) CheckCall(c *rpc.Call) (Access, error) {
	return e.Check(AddrPort(c.Remote), SecOf(&c.Cred), IdentityOf(&c.Cred))
}

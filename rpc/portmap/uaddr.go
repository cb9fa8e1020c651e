package portmap

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dittofs/dittofs/rpc/portmap/internal/wire"
)

// Netids of the transports a Mapping can name (RFC 1833 §2.1, RFC 5665
// §5.2.3).
const (
	TCP  = "tcp"
	UDP  = "udp"
	TCP6 = "tcp6"
	UDP6 = "udp6"
)

// ErrBadUaddr is returned for a string that is not a universal address of
// an IP transport.
var ErrBadUaddr = errors.New("portmap: malformed universal address")

// FormatUaddr returns the universal address of ap (RFC 5665 §5.2.3.3 and
// §5.2.3.4): the address in its usual text form, then the port as two
// decimal octets, "127.0.0.1.8.1" for 127.0.0.1:2049.
func FormatUaddr(ap netip.AddrPort) string {
	p := ap.Port()
	return ap.Addr().String() + "." + strconv.Itoa(int(p>>8)) + "." + strconv.Itoa(int(p&0xff))
}

// ParseUaddr parses the universal address of an IPv4 or IPv6 transport.
func ParseUaddr(s string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return netip.AddrPort{}, ErrBadUaddr
	}
	j := strings.LastIndexByte(s[:i], '.')
	if j < 0 {
		return netip.AddrPort{}, ErrBadUaddr
	}
	hi, err1 := octet(s[j+1 : i])
	lo, err2 := octet(s[i+1:])
	addr, err3 := netip.ParseAddr(s[:j])
	if err1 != nil || err2 != nil || err3 != nil {
		return netip.AddrPort{}, ErrBadUaddr
	}
	return netip.AddrPortFrom(addr, uint16(hi)<<8|uint16(lo)), nil
}

func octet(s string) (uint8, error) {
	if s == "" || len(s) > 3 {
		return 0, ErrBadUaddr
	}
	n, err := strconv.ParseUint(s, 10, 8)
	return uint8(n), err
}

// Address families of the sockaddr layouts TADDR2UADDR and UADDR2TADDR
// use (Linux values; RFC 1833 §2.2 leaves the netbuf layout to the host).
const (
	afInet  = 2
	afInet6 = 10
)

// sockaddr returns the host's struct sockaddr_in or sockaddr_in6 for ap,
// as a TI-RPC netbuf carries it: sa_family in host byte order, the port
// and address in network byte order.
func sockaddr(ap netip.AddrPort) []byte {
	a := ap.Addr()
	if a.Is4() || a.Is4In6() {
		b := make([]byte, 16)
		binary.NativeEndian.PutUint16(b, afInet)
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		v4 := a.Unmap().As4()
		copy(b[4:], v4[:])
		return b
	}
	b := make([]byte, 28)
	binary.NativeEndian.PutUint16(b, afInet6)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	v6 := a.As16()
	copy(b[8:], v6[:])
	return b
}

// parseSockaddr is the inverse of sockaddr.
func parseSockaddr(b []byte) (netip.AddrPort, bool) {
	if len(b) < 2 {
		return netip.AddrPort{}, false
	}
	switch binary.NativeEndian.Uint16(b) {
	case afInet:
		if len(b) < 8 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:])), true
	case afInet6:
		if len(b) < 24 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), binary.BigEndian.Uint16(b[2:])), true
	}
	return netip.AddrPort{}, false
}

// netidInfo describes the IP netids: their protocol number for portmapper
// version 2 (0 for none), semantics, protocol family and protocol as
// rpcb_entry spells them (RFC 1833 §2.1).
type netidInfo struct {
	prot      uint32
	semantics uint32
	family    string
	proto     string
}

func lookupNetid(netid string) (netidInfo, bool) {
	switch netid {
	case TCP:
		return netidInfo{wire.IPPROTO_TCP, wire.NC_TPI_COTS_ORD, "inet", "tcp"}, true
	case UDP:
		return netidInfo{wire.IPPROTO_UDP, wire.NC_TPI_CLTS, "inet", "udp"}, true
	case TCP6:
		return netidInfo{0, wire.NC_TPI_COTS_ORD, "inet6", "tcp"}, true
	case UDP6:
		return netidInfo{0, wire.NC_TPI_CLTS, "inet6", "udp"}, true
	}
	return netidInfo{}, false
}

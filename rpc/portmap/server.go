package portmap

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dittofs/dittofs/internal/clock"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// Program, versions and well-known port (RFC 1833 §3 and §2.2). Each
// protocol package names its programs <Name>Program and <Name>Version.
const (
	PortmapProgram  = wire.PMAP_PROG
	PortmapVersion2 = wire.PMAP_VERS // portmapper
	PortmapVersion3 = wire.RPCBVERS  // rpcbind
	PortmapVersion4 = wire.RPCBVERS4 // rpcbind
	Port            = wire.PMAP_PORT
	SuperUser       = "superuser"
)

// The transport protocols of portmapper v2 mappings (PortMapping.Prot,
// GetPort, SetPort; RFC 1833 §3.1).
const (
	IPPROTO_TCP = wire.IPPROTO_TCP
	IPPROTO_UDP = wire.IPPROTO_UDP
)

// Programs returns the (program, version) pairs Register serves:
// portmapper v2 and rpcbind v3 and v4.
func Programs() []rpc.Program {
	return []rpc.Program{{Prog: PortmapProgram, Vers: PortmapVersion2}, {Prog: PortmapProgram, Vers: PortmapVersion3}, {Prog: PortmapProgram, Vers: PortmapVersion4}}
}

// DefaultMaxMappings bounds the registration table of a Server whose
// MaxMappings is zero.
const DefaultMaxMappings = 1024

// Errors of the registration helpers.
var (
	// ErrExists means (prog, vers, netid) is registered already.
	ErrExists = errors.New("portmap: program version already registered on this transport")
	// ErrFull means the table holds MaxMappings registrations.
	ErrFull = errors.New("portmap: registration table full")
	// ErrBadMapping means a mapping has an empty or over-long netid,
	// address or owner, or an address that does not parse for an IP netid.
	ErrBadMapping = errors.New("portmap: malformed mapping")
)

// Mapping is one registration (RFC 1833 struct rpcb): program prog,
// version vers is served on transport netid at universal address addr.
type Mapping struct {
	Prog, Vers uint32
	Netid      string // TCP, UDP, TCP6, UDP6 or another netid such as "local"
	Addr       string // universal address, e.g. "0.0.0.0.8.1"
	Owner      string // who registered it; informational
}

// Server is a portmapper (version 2) and rpcbind (versions 3 and 4)
// holding a registration table (RFC 1833). It is an rpc.Handler for
// program 100000; Register adds it to a ServeMux. The zero value is ready
// to use and it is safe for concurrent use.
//
// SET and UNSET are honoured only from loopback (or Unix-socket) callers,
// as rpcbind does without -i; from elsewhere they are denied with
// AUTH_ERROR / AUTH_TOOWEAK, rpcbind's answer. Ownership
// is recorded but not enforced between local callers. Remote calls
// (PMAPPROC_CALLIT, RPCBPROC_CALLIT/BCAST, RPCBPROC_INDIRECT) are not
// supported: they are refused with PROC_UNAVAIL over TCP, and CALLIT and
// BCAST over UDP get no reply, which is how RFC 1833 has a host that
// cannot run the call answer a broadcast. Forwarding calls would make the
// server a reflector for spoofed UDP traffic.
type Server struct {
	// Clock gives the time of RPCBPROC_GETTIME; nil is the system clock.
	// Any value with the methods Now() time.Time and
	// AfterFunc(time.Duration, func()) interface{ Stop() bool } is one.
	Clock clock.Clock
	// MaxMappings bounds the table (DefaultMaxMappings when zero).
	MaxMappings int
	// Logger receives a line for each registration change; nil discards.
	Logger *slog.Logger

	mu    sync.RWMutex
	maps  []Mapping
	stats [3]versStats // versions 2, 3 and 4
}

// versStats are the counters RPCBPROC_GETSTAT reports for one version.
type versStats struct {
	info             [wire.RPCBSTAT_HIGHPROC]int32
	setinfo, unsetin int32
	addr             []wire.RpcbsAddr
}

// maxAddrStats bounds the lookup statistics kept per version.
const maxAddrStats = 64

func (s *Server) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) now() time.Time { return clock.Or(s.Clock).Now() }

// Register makes s the handler of program 100000 versions 2, 3 and 4 on
// mux. It does not add mappings for them; Advertise does.
func (s *Server) Register(mux *rpc.ServeMux) {
	for _, v := range []uint32{PortmapVersion2, PortmapVersion3, PortmapVersion4} {
		mux.Handle(PortmapProgram, v, s)
	}
}

// Set registers m, failing with ErrExists if (m.Prog, m.Vers, m.Netid)
// is registered (RFC 1833 RPCBPROC_SET).
func (s *Server) Set(m Mapping) error {
	if err := checkMapping(m); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setLocked(m, false)
}

func (s *Server) setLocked(m Mapping, replace bool) error {
	i := slices.IndexFunc(s.maps, func(x Mapping) bool {
		return x.Prog == m.Prog && x.Vers == m.Vers && x.Netid == m.Netid
	})
	switch {
	case i >= 0 && !replace:
		return ErrExists
	case i >= 0:
		s.maps[i] = m
	case len(s.maps) >= cmp.Or(s.MaxMappings, DefaultMaxMappings):
		return ErrFull
	default:
		s.maps = append(s.maps, m)
	}
	s.log().Debug("portmap: registered", "prog", m.Prog, "vers", m.Vers, "netid", m.Netid, "addr", m.Addr, "owner", m.Owner)
	return nil
}

func checkMapping(m Mapping) error {
	if m.Netid == "" || len(m.Netid) > 64 || m.Addr == "" || len(m.Addr) > 255 || len(m.Owner) > 255 {
		return ErrBadMapping
	}
	if _, ok := lookupNetid(m.Netid); ok {
		if _, err := ParseUaddr(m.Addr); err != nil {
			return ErrBadMapping
		}
	}
	return nil
}

// SetPort registers (prog, vers) on an IP netid (TCP, UDP, TCP6, UDP6) at
// port of every local address, replacing an earlier registration of the
// same transport: the helper for programs served in the same process.
func (s *Server) SetPort(prog, vers uint32, netid string, port int) error {
	if port < 0 || port > 65535 {
		return ErrBadMapping
	}
	var wild netip.Addr
	switch netid {
	case TCP, UDP:
		wild = netip.IPv4Unspecified()
	case TCP6, UDP6:
		wild = netip.IPv6Unspecified()
	default:
		return ErrBadMapping
	}
	m := Mapping{Prog: prog, Vers: vers, Netid: netid, Addr: FormatUaddr(netip.AddrPortFrom(wild, uint16(port))), Owner: SuperUser}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setLocked(m, true)
}

// Advertise registers every (prog, vers) served by mux, including the
// portmapper itself once Register has run, on each netid at port.
func (s *Server) Advertise(mux *rpc.ServeMux, port int, netids ...string) error {
	var errs []error
	mux.Programs(func(prog, vers uint32) {
		for _, n := range netids {
			errs = append(errs, s.SetPort(prog, vers, n, port))
		}
	})
	return errors.Join(errs...)
}

// Unset removes the registrations of (prog, vers) on netid, or on every
// transport when netid is empty, and reports whether there were any.
func (s *Server) Unset(prog, vers uint32, netid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unsetLocked(prog, vers, func(n string) bool { return netid == "" || n == netid })
}

func (s *Server) unsetLocked(prog, vers uint32, netid func(string) bool) bool {
	n := len(s.maps)
	s.maps = slices.DeleteFunc(s.maps, func(x Mapping) bool {
		return x.Prog == prog && x.Vers == vers && netid(x.Netid)
	})
	if len(s.maps) == n {
		return false
	}
	s.log().Debug("portmap: unregistered", "prog", prog, "vers", vers)
	return true
}

// Mappings returns a copy of the table, in registration order.
func (s *Server) Mappings() []Mapping {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.maps)
}

// Lookup returns the registration of (prog, vers) on netid. With anyVers,
// when vers is not registered it returns another version of prog on that
// transport, as GETPORT and GETADDR do so that the client learns the
// supported range from the program's PROG_MISMATCH.
func (s *Server) Lookup(prog, vers uint32, netid string, anyVers bool) (Mapping, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookupLocked(prog, vers, netid, anyVers)
}

func (s *Server) lookupLocked(prog, vers uint32, netid string, anyVers bool) (Mapping, bool) {
	var hit Mapping
	found := false
	for _, m := range s.maps {
		if m.Prog != prog || m.Netid != netid {
			continue
		}
		if m.Vers == vers {
			return m, true
		}
		if anyVers && !found {
			hit, found = m, true
		}
	}
	return hit, found
}

// ServeRPC answers a portmapper or rpcbind call.
func (s *Server) ServeRPC(_ context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	ci := callInfoOf(c)
	switch s.serve(c.Vers, c.Proc, c.Args, w.Encoder(), &ci) {
	case resGarbage:
		w.Fail(rpc.GARBAGE_ARGS)
	case resNoProc:
		w.Fail(rpc.PROC_UNAVAIL)
	case resMismatch:
		w.FailMismatch(PortmapVersion2, PortmapVersion4)
	case resDrop:
		w.Drop()
	case resTooWeak:
		w.Deny(rpc.AUTH_TOOWEAK)
	}
}

// NonIdempotent reports SET and UNSET, so that an rpc.Server with a
// DuplicateCache answers a retransmitted SET with its first reply (TRUE)
// rather than running it again (FALSE).
func (s *Server) NonIdempotent(prog, vers, proc uint32) bool {
	return prog == PortmapProgram && vers >= PortmapVersion2 && vers <= PortmapVersion4 &&
		(proc == wire.PMAPPROC_SET || proc == wire.PMAPPROC_UNSET)
}

// callInfo is what the procedures need to know about the transport.
type callInfo struct {
	udp    bool
	remote netip.Addr // invalid for non-IP transports
	local  netip.Addr // the server's address on the connection, when known
	isLoop bool       // the caller is on this host
	owner  string     // for version 2 SET: the caller's AUTH_SYS uid
}

func callInfoOf(c *rpc.Call) callInfo {
	ci := callInfo{udp: c.Network == rpc.UDP, owner: "unknown"}
	if c.Cred.Flavor == rpc.AUTH_SYS {
		ci.owner = strconv.FormatUint(uint64(c.Cred.UID), 10)
		if c.Cred.UID == 0 {
			ci.owner = SuperUser
		}
	}
	switch a := c.Remote.(type) {
	case *net.TCPAddr:
		ci.remote = a.AddrPort().Addr().Unmap()
	case *net.UDPAddr:
		ci.remote = a.AddrPort().Addr().Unmap()
	case *net.UnixAddr:
		ci.isLoop = true
	}
	if ci.remote.IsValid() {
		ci.isLoop = ci.remote.IsLoopback()
	}
	if c.Conn != nil {
		if ta, ok := c.Conn.LocalAddr().(*net.TCPAddr); ok {
			ci.local = ta.AddrPort().Addr().Unmap()
		}
	} else if ci.isLoop && ci.remote.IsValid() {
		ci.local = ci.remote // a loopback datagram came to a loopback address
	}
	return ci
}

// netid returns the netid of the transport of the call.
func (ci *callInfo) netid() string {
	v6 := ci.remote.IsValid() && !ci.remote.Is4()
	switch {
	case ci.udp && v6:
		return UDP6
	case ci.udp:
		return UDP
	case v6:
		return TCP6
	}
	return TCP
}

// result is how serve asks ServeRPC to answer.
type result int

const (
	resOK       result = iota // the results are encoded
	resGarbage                // GARBAGE_ARGS
	resNoProc                 // PROC_UNAVAIL
	resMismatch               // PROG_MISMATCH 2-4
	resDrop                   // no reply
	resTooWeak                // AUTH_ERROR / AUTH_TOOWEAK
)

// serve runs procedure proc of version vers with arguments from d and
// encodes its results into e.
func (s *Server) serve(vers, proc uint32, d *xdr.Decoder, e *xdr.Encoder, ci *callInfo) result {
	if vers < PortmapVersion2 || vers > PortmapVersion4 {
		return resMismatch
	}
	var r result
	if vers == PortmapVersion2 {
		r = s.serveV2(proc, d, e, ci)
	} else {
		r = s.serveRpcb(vers, proc, d, e, ci)
	}
	if r == resOK && proc < wire.RPCBSTAT_HIGHPROC {
		s.mu.Lock()
		s.stats[vers-PortmapVersion2].info[proc]++
		s.mu.Unlock()
	}
	return r
}

func decoded(d *xdr.Decoder) bool { return d.Err() == nil }

// serveV2 implements portmapper version 2 (RFC 1833 §3.2).
func (s *Server) serveV2(proc uint32, d *xdr.Decoder, e *xdr.Encoder, ci *callInfo) result {
	switch proc {
	case wire.PMAPPROC_NULL:
		return resOK
	case wire.PMAPPROC_SET, wire.PMAPPROC_UNSET:
		var m wire.Mapping
		if m.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		if !ci.isLoop {
			return resTooWeak
		}
		var ok bool
		s.mu.Lock()
		if proc == wire.PMAPPROC_SET {
			ok = s.setV2Locked(m, ci.owner)
		} else {
			// The protocol and port are ignored: every transport of
			// (prog, vers) that version 2 can see goes.
			ok = s.unsetLocked(m.Prog, m.Vers, func(n string) bool { return n == TCP || n == UDP })
			if ok {
				s.stats[0].unsetin++
			}
		}
		s.mu.Unlock()
		res := wire.Bool(ok)
		res.MarshalXDR(e)
	case wire.PMAPPROC_GETPORT:
		var m wire.Mapping
		if m.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		var port wire.Uint32
		netid := protNetid(m.Prot)
		s.mu.Lock()
		if hit, ok := s.lookupLocked(m.Prog, m.Vers, netid, true); ok && netid != "" {
			if ap, err := ParseUaddr(hit.Addr); err == nil {
				port = wire.Uint32(ap.Port())
			}
		}
		s.countLookupLocked(0, m.Prog, m.Vers, netid, port != 0)
		s.mu.Unlock()
		port.MarshalXDR(e)
	case wire.PMAPPROC_DUMP:
		var l wire.Pmaplist
		s.mu.RLock()
		for _, m := range s.maps {
			info, ok := lookupNetid(m.Netid)
			if !ok || info.prot == 0 {
				continue
			}
			if ap, err := ParseUaddr(m.Addr); err == nil {
				l.Maps = append(l.Maps, wire.Mapping{Prog: m.Prog, Vers: m.Vers, Prot: info.prot, Port: uint32(ap.Port())})
			}
		}
		s.mu.RUnlock()
		e.Grow(l.SizeXDR())
		l.MarshalXDR(e)
	case wire.PMAPPROC_CALLIT:
		return s.refuseCallit(d, ci)
	default:
		return resNoProc
	}
	return resOK
}

// setV2Locked is PMAPPROC_SET: the mapping becomes a registration on the
// tcp or udp netid at the wildcard IPv4 address.
func (s *Server) setV2Locked(m wire.Mapping, owner string) bool {
	netid := protNetid(m.Prot)
	if netid == "" || m.Port > 65535 {
		return false
	}
	addr := FormatUaddr(netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(m.Port)))
	if s.setLocked(Mapping{Prog: m.Prog, Vers: m.Vers, Netid: netid, Addr: addr, Owner: owner}, false) != nil {
		return false
	}
	s.stats[0].setinfo++
	return true
}

// refuseCallit answers a remote call we do not forward: silence over UDP
// (RFC 1833: CALLIT replies only when the call ran), PROC_UNAVAIL over
// TCP, where silence would leave the caller waiting.
func (s *Server) refuseCallit(d *xdr.Decoder, ci *callInfo) result {
	var a wire.CallArgs
	if a.UnmarshalXDR(d); !decoded(d) {
		if ci.udp {
			return resDrop
		}
		return resGarbage
	}
	if ci.udp {
		return resDrop
	}
	return resNoProc
}

// serveRpcb implements rpcbind versions 3 and 4 (RFC 1833 §2.2).
func (s *Server) serveRpcb(vers, proc uint32, d *xdr.Decoder, e *xdr.Encoder, ci *callInfo) result {
	si := vers - PortmapVersion2
	switch proc {
	case wire.RPCBPROC_NULL:
		return resOK
	case wire.RPCBPROC_SET, wire.RPCBPROC_UNSET:
		var r wire.Rpcb
		if r.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		if !ci.isLoop {
			return resTooWeak
		}
		var ok bool
		s.mu.Lock()
		if proc == wire.RPCBPROC_SET {
			m := Mapping{Prog: r.Prog, Vers: r.Vers, Netid: r.Netid, Addr: r.Addr, Owner: r.Owner}
			ok = checkMapping(m) == nil && s.setLocked(m, false) == nil
			if ok {
				s.stats[si].setinfo++
			}
		} else {
			ok = s.unsetLocked(r.Prog, r.Vers, func(n string) bool { return r.Netid == "" || n == r.Netid })
			if ok {
				s.stats[si].unsetin++
			}
		}
		s.mu.Unlock()
		res := wire.Bool(ok)
		res.MarshalXDR(e)
	case wire.RPCBPROC_GETADDR, wire.RPCBPROC_GETVERSADDR:
		if proc == wire.RPCBPROC_GETVERSADDR && vers < PortmapVersion4 {
			return resNoProc
		}
		var r wire.Rpcb
		if r.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		// RFC 1833 §2.2.1: the r_netid of the argument is ignored; the
		// netid is that of the transport the call came on.
		netid := ci.netid()
		var addr wire.String
		s.mu.Lock()
		if hit, ok := s.lookupLocked(r.Prog, r.Vers, netid, proc == wire.RPCBPROC_GETADDR); ok {
			addr = wire.String(ci.merge(hit.Addr))
		}
		s.countLookupLocked(si, r.Prog, r.Vers, netid, addr != "")
		s.mu.Unlock()
		addr.MarshalXDR(e)
	case wire.RPCBPROC_DUMP:
		var l wire.RpcbList
		s.mu.RLock()
		for _, m := range s.maps {
			l.Maps = append(l.Maps, wire.Rpcb{Prog: m.Prog, Vers: m.Vers, Netid: m.Netid, Addr: m.Addr, Owner: m.Owner})
		}
		s.mu.RUnlock()
		e.Grow(l.SizeXDR())
		l.MarshalXDR(e)
	case wire.RPCBPROC_CALLIT:
		var a wire.RmtCallArgs
		if a.UnmarshalXDR(d); !decoded(d) && !ci.udp {
			return resGarbage
		}
		if ci.udp {
			return resDrop
		}
		return resNoProc
	case wire.RPCBPROC_GETTIME:
		t := wire.Uint32(uint32(s.now().Unix()))
		t.MarshalXDR(e)
	case wire.RPCBPROC_UADDR2TADDR:
		var u wire.String
		if u.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		var nb wire.Netbuf
		if ap, err := ParseUaddr(string(u)); err == nil {
			nb.Buf = sockaddr(ap)
			nb.Maxlen = uint32(len(nb.Buf))
		}
		nb.MarshalXDR(e)
	case wire.RPCBPROC_TADDR2UADDR:
		var nb wire.Netbuf
		if nb.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		var u wire.String
		if ap, ok := parseSockaddr(nb.Buf); ok {
			u = wire.String(FormatUaddr(ap))
		}
		u.MarshalXDR(e)
	case wire.RPCBPROC_INDIRECT:
		if vers < PortmapVersion4 {
			return resNoProc
		}
		var a wire.RmtCallArgs
		if a.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		return resNoProc
	case wire.RPCBPROC_GETADDRLIST:
		if vers < PortmapVersion4 {
			return resNoProc
		}
		var r wire.Rpcb
		if r.UnmarshalXDR(d); !decoded(d) {
			return resGarbage
		}
		s.getAddrList(r, e, ci)
	case wire.RPCBPROC_GETSTAT:
		if vers < PortmapVersion4 {
			return resNoProc
		}
		var st wire.RpcbStatByvers
		s.mu.RLock()
		for i, v := range s.stats {
			st.Vers[i] = wire.RpcbStat{Info: v.info, Setinfo: v.setinfo, Unsetinfo: v.unsetin, Addrinfo: slices.Clone(v.addr)}
		}
		s.mu.RUnlock()
		// This call is counted once it has been answered, as rpcbind does.
		st.Vers[2].Info[wire.RPCBPROC_GETSTAT]++
		st.MarshalXDR(e)
	default:
		return resNoProc
	}
	return resOK
}

// getAddrList is RPCBPROC_GETADDRLIST: the addresses of (prog, vers) on
// every IP transport of the caller's protocol family.
func (s *Server) getAddrList(r wire.Rpcb, e *xdr.Encoder, ci *callInfo) {
	family := "inet"
	if ci.remote.IsValid() && !ci.remote.Is4() {
		family = "inet6"
	}
	var l wire.RpcbEntryList
	s.mu.Lock()
	for _, m := range s.maps {
		info, ok := lookupNetid(m.Netid)
		if m.Prog != r.Prog || m.Vers != r.Vers || !ok || info.family != family {
			continue
		}
		l.Entries = append(l.Entries, wire.RpcbEntry{
			Maddr: ci.merge(m.Addr), NcNetid: m.Netid, NcSemantics: info.semantics,
			NcProtofmly: info.family, NcProto: info.proto,
		})
	}
	s.countLookupLocked(2, r.Prog, r.Vers, ci.netid(), len(l.Entries) > 0)
	s.mu.Unlock()
	l.MarshalXDR(e)
}

// merge returns addr with a wildcard host replaced by the server's address
// as the caller reached it, when known, so that the caller gets an address
// it can connect to (rpcbind's mergeaddr).
func (ci *callInfo) merge(addr string) string {
	ap, err := ParseUaddr(addr)
	if err != nil || !ap.Addr().IsUnspecified() || !ci.local.IsValid() || ap.Addr().Is4() != ci.local.Is4() {
		return addr
	}
	return FormatUaddr(netip.AddrPortFrom(ci.local, ap.Port()))
}

// countLookupLocked records a GETPORT, GETADDR or GETADDRLIST for
// RPCBPROC_GETSTAT, keeping at most maxAddrStats entries per version.
func (s *Server) countLookupLocked(si, prog, vers uint32, netid string, ok bool) {
	st := &s.stats[si]
	i := slices.IndexFunc(st.addr, func(a wire.RpcbsAddr) bool {
		return a.Prog == prog && a.Vers == vers && a.Netid == netid
	})
	if i < 0 {
		if len(st.addr) >= maxAddrStats {
			return
		}
		st.addr = append(st.addr, wire.RpcbsAddr{Prog: prog, Vers: vers, Netid: netid})
		i = len(st.addr) - 1
	}
	if ok {
		st.addr[i].Success++
	} else {
		st.addr[i].Failure++
	}
}

// protNetid returns the netid of a portmapper protocol number, or "".
func protNetid(prot uint32) string {
	switch prot {
	case wire.IPPROTO_TCP:
		return TCP
	case wire.IPPROTO_UDP:
		return UDP
	}
	return ""
}

package nfs4

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/state"
)

// principalOf is the identity SETCLIENTID compares (RFC 7530 §16.33.5):
// the GSS principal, or the AUTH_SYS uid and gid.
func principalOf(cr *rpc.Cred) string {
	switch cr.Flavor {
	case rpc.RPCSEC_GSS:
		return "gss:" + cr.Principal
	case rpc.AUTH_SYS:
		return "sys:" + strconv.FormatUint(uint64(cr.UID), 10) + ":" + strconv.FormatUint(uint64(cr.GID), 10)
	}
	return "none"
}

// SETCLIENTID (RFC 7530 §16.33). AUTH_NONE callers are refused unless an
// export allows them (clientIDFlavorOK); a new client past the state
// table's bounds gets NFS4ERR_RESOURCE.
func opSetclientid(c *compound) wire.Nfsstat4 {
	var a wire.SETCLIENTID4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if !c.clientIDFlavorOK("SETCLIENTID") {
		return wire.NFS4ERR_PERM // not sent: the call is denied AUTH_TOOWEAK
	}
	cb := state.Callback{Program: a.Callback.CbProgram, Netid: a.Callback.CbLocation.RNetid,
		Addr: a.Callback.CbLocation.RAddr, Ident: a.CallbackIdent}
	var res wire.SETCLIENTID4res
	id, confirm, err := c.table().SetClientID(c.ctx, export.AddrPort(c.call.Remote).Addr(),
		a.Client.ID, [8]byte(a.Client.Verifier), principalOf(&c.call.Cred), cb)
	var inUse *state.InUseError
	switch {
	case err == nil:
		res.Status = wire.NFS4_OK
		res.Resok4 = wire.SETCLIENTID4resok{Clientid: wire.Clientid4(id), SetclientidConfirm: wire.Verifier4(confirm)}
	case errors.As(err, &inUse):
		res.Status = wire.NFS4ERR_CLID_INUSE
		res.ClientUsing = wire.Netaddr4{RNetid: inUse.Callback.Netid, RAddr: inUse.Callback.Addr}
	default:
		res.Status = statusOf(err)
	}
	res.MarshalXDR(c.e)
	return res.Status
}

// SETCLIENTID_CONFIRM (RFC 7530 §16.34). A confirmed client's callback
// path is probed with CB_NULL in the background; RENEW reports the result.
func opSetclientidConfirm(c *compound) wire.Nfsstat4 {
	var a wire.SETCLIENTID_CONFIRM4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	cl, err := c.table().ConfirmClientID(c.ctx, uint64(a.Clientid), [8]byte(a.SetclientidConfirm), principalOf(&c.call.Cred))
	if err != nil {
		return c.status(statusOf(err))
	}
	go c.s.probe(cl, cl.Callback(c.table()))
	return c.status(wire.NFS4_OK)
}

// RENEW (RFC 7530 §16.28): renews the lease; NFS4ERR_CB_PATH_DOWN (with
// the lease renewed) when the client holds delegations and its callback
// path did not answer: the RFC has RENEW report the path to "the client
// [that] holds delegations", and a client without any needs no callback
// path (Linux knfsd's nfsd4_renew answers the same way).
func opRenew(c *compound) wire.Nfsstat4 {
	var a wire.RENEW4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	cl, err := c.table().Client(uint64(a.Clientid))
	if err != nil {
		return c.status(statusOf(err))
	}
	if cl.CallbackDown() && c.s.holdsDelegations(cl) {
		return c.status(wire.NFS4ERR_CB_PATH_DOWN)
	}
	return c.status(wire.NFS4_OK)
}

// holdsDelegations reports whether cl holds a delegation: a recallable
// grant in the lock manager of an export.
func (s *Server) holdsDelegations(cl *state.Client) bool {
	for _, m := range s.Exports.LockManagers() {
		if m.HasGrants(locking.ProtoNFS4, cl.Name) {
			return true
		}
	}
	return false
}

// callbackProbeTimeout bounds a CB_NULL probe.
const callbackProbeTimeout = 10 * time.Second

// probe calls CB_NULL on a 4.0 client's callback address (RFC 7530 §3.3.3,
// §16.34.4) and records whether it answered.
func (s *Server) probe(cl *state.Client, cb state.Callback) {
	if s.NoCallbacks {
		cl.SetCallbackDown(true)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callbackProbeTimeout)
	defer cancel()
	err := s.callNull(ctx, cb)
	cl.SetCallbackDown(err != nil)
	if err != nil {
		s.logs.Debug(s.log, "nfs4: callback path down", "clientid", fmt.Sprintf("%016x", cl.ID),
			"netid", cb.Netid, "addr", cb.Addr, "err", err)
		return
	}
	s.log.Debug("nfs4: callback path up", "clientid", fmt.Sprintf("%016x", cl.ID), "addr", cb.Addr)
}

// callNull sends CB_NULL to cb.
func (s *Server) callNull(ctx context.Context, cb state.Callback) error {
	network := "tcp"
	switch cb.Netid {
	case "tcp":
		network = "tcp4"
	case "tcp6":
		network = "tcp6"
	default:
		return fmt.Errorf("callback netid %q not supported", cb.Netid)
	}
	ap, err := parseUaddr(cb.Addr)
	if err != nil {
		return err
	}
	if ap.Addr().IsUnspecified() || ap.Port() == 0 {
		// Linux announces 0.0.0.0 when it has no callback address.
		return fmt.Errorf("the client announced no callback address (%s)", cb.Addr)
	}
	dial := s.CallbackDial
	if dial == nil {
		dial = rpc.Dial
	}
	cl, err := dial(ctx, network, ap.String())
	if err != nil {
		return err
	}
	defer cl.Close()
	return cl.Call(ctx, cb.Program, 1, wire.CB_NULL, nil, nil)
}

// parseUaddr parses a universal address (RFC 5665 §5.2.3.3): an IPv4 or
// IPv6 address, then the port's high and low bytes, dot-separated.
func parseUaddr(s string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("bad universal address %q", s)
	}
	j := strings.LastIndexByte(s[:i], '.')
	if j < 0 {
		return netip.AddrPort{}, fmt.Errorf("bad universal address %q", s)
	}
	hi, err1 := strconv.ParseUint(s[j+1:i], 10, 8)
	lo, err2 := strconv.ParseUint(s[i+1:], 10, 8)
	addr, err3 := netip.ParseAddr(s[:j])
	if err1 != nil || err2 != nil || err3 != nil {
		return netip.AddrPort{}, fmt.Errorf("bad universal address %q", s)
	}
	return netip.AddrPortFrom(addr, uint16(hi<<8|lo)), nil
}

package nfs4

import (
	"net/netip"
	"slices"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/rpc"
)

// clientIDFlavorOK reports whether the caller's credential may make a
// client record (SETCLIENTID, EXCHANGE_ID). AUTH_NONE may only where an
// export allows AUTH_NONE to the caller's address (sec=none): anyone can
// send it, it names no one, and a client record is server memory and a
// lease. Otherwise the call is denied with AUTH_ERROR / AUTH_TOOWEAK
// ("rejected for security reasons", RFC 5531 §9; RFC 2623 §2.4 lets a
// server reject a flavor an export is not bound to with "an RPC level
// authentication error"), the COMPOUND stops, and false is returned.
//
// No nfsstat4 fits: NFS4ERR_WRONGSEC is for filehandle operations only
// (RFC 8881 §2.6.3.1.1.7 forbids it for EXCHANGE_ID; SETCLIENTID does not
// list it, RFC 7530 §16.33), and NFS4ERR_PERM means another principal
// owns the record (RFC 8881 §18.35.4 case 9). Linux clients never send
// either operation with AUTH_NONE (they use krb5i or AUTH_SYS) and
// report AUTH_TOOWEAK as "server requires stronger authentication".
// Linux knfsd itself accepts any flavor here.
func (c *compound) clientIDFlavorOK(op string) bool {
	if c.call.Cred.Flavor != rpc.AUTH_NONE {
		return true
	}
	addr := export.AddrPort(c.call.Remote).Addr()
	if c.s.allowsNone(addr) {
		return true
	}
	c.w.Deny(rpc.AUTH_TOOWEAK)
	c.authDenied = true
	c.s.logs.Info(c.s.log, "nfs4: AUTH_NONE client record refused: no export allows sec=none to the caller",
		"op", op, "remote", addr.String())
	return false
}

// allowsNone reports whether an export's rule for address a allows
// AUTH_NONE.
func (s *Server) allowsNone(a netip.Addr) bool {
	for _, e := range s.Exports.All() {
		if r := e.Rule(a); r != nil && slices.Contains(r.Flavors(), export.SecNone) {
			return true
		}
	}
	return false
}

package rpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// Cred is the authenticated identity of a call. For AUTH_SYS it carries
// the client's claimed uid, gid and supplementary groups; for RPCSEC_GSS,
// the principal and the identity it maps to. Protocols apply squashing and
// ID mapping to it before building a store credential.
type Cred struct {
	Flavor    uint32
	UID, GID  uint32
	GIDs      []uint32 // valid until the handler returns
	Machine   string   // AUTH_SYS machinename
	Stamp     uint32   // AUTH_SYS stamp
	Principal string   // RPCSEC_GSS client principal
	Service   uint32   // RPCSEC_GSS service (none, integrity, privacy)
}

// AuthSysMaxGroups is the largest number of supplementary groups AUTH_SYS
// carries (RFC 5531 Appendix A: gid_t gids<16>).
const AuthSysMaxGroups = 16

// AuthSysMaxMachine is the longest AUTH_SYS machine name (string
// machinename<255>).
const AuthSysMaxMachine = 255

// AuthError is returned by a Flavor to reject a call; the server answers
// MSG_DENIED / AUTH_ERROR with Stat.
type AuthError struct {
	Stat AuthStat
	Err  error // the cause, for the log line
}

func (e *AuthError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("rpc: %v: %v", e.Stat, e.Err)
	}
	return "rpc: " + e.Stat.String()
}

func (e *AuthError) Unwrap() error { return e.Err }

// ErrHandled is returned by a Flavor that has answered or dropped the call
// itself (RPCSEC_GSS context creation, a call outside the sequence window);
// the server then does not dispatch it to the program.
var ErrHandled = errors.New("rpc: call handled by its auth flavor")

// A Flavor authenticates calls of one authentication flavor (RFC 5531 §8).
// Accept checks c.RawCred and c.RawVerf, fills c.Cred, and may replace
// c.Args (RPCSEC_GSS unwraps integrity- and privacy-protected arguments).
// It may set the reply verifier and a result wrapper on w. It returns nil to
// let the call proceed, an *AuthError to reject it, or ErrHandled.
type Flavor interface {
	Number() uint32
	Accept(ctx context.Context, c *Call, w *ReplyWriter) error
}

// AuthNone accepts AUTH_NONE calls (RFC 5531 §8.2.1), whose credential and
// verifier bodies must be empty.
type AuthNone struct{}

// Number returns AUTH_NONE.
func (AuthNone) Number() uint32 { return AUTH_NONE }

// Accept checks that the AUTH_NONE credential is empty.
func (AuthNone) Accept(_ context.Context, c *Call, _ *ReplyWriter) error {
	if len(c.RawCred.Body) != 0 {
		return &AuthError{Stat: AUTH_BADCRED, Err: errors.New("AUTH_NONE credential with a body")}
	}
	c.Cred.Flavor = AUTH_NONE
	return nil
}

// AuthSys accepts AUTH_SYS calls (RFC 5531 Appendix A): the client's
// claimed uid, gid and groups, trusted as given. The verifier must be
// AUTH_NONE.
type AuthSys struct{}

// Number returns AUTH_SYS.
func (AuthSys) Number() uint32 { return AUTH_SYS }

// Accept decodes the authsys_parms credential.
func (AuthSys) Accept(_ context.Context, c *Call, _ *ReplyWriter) error {
	if err := c.decodeAuthSys(); err != nil {
		return &AuthError{Stat: AUTH_BADCRED, Err: err}
	}
	if c.RawVerf.Flavor != AUTH_NONE {
		return &AuthError{Stat: AUTH_BADVERF, Err: errors.New("AUTH_SYS call with a non-AUTH_NONE verifier")}
	}
	return nil
}

var errAuthSysTrailing = errors.New("AUTH_SYS credential has trailing bytes")

// decodeAuthSys parses an authsys_parms body into c.Cred without
// allocating in the common case: the groups go into the call's own array
// and the machine name reuses the connection's last one when equal.
func (c *Call) decodeAuthSys() error {
	var d xdr.Decoder
	d.Reset(c.RawCred.Body)
	c.Cred.Flavor = AUTH_SYS
	c.Cred.Stamp = d.Uint32()
	name := d.Opaque(AuthSysMaxMachine)
	c.Cred.UID = d.Uint32()
	c.Cred.GID = d.Uint32()
	n := d.ArrayLen(AuthSysMaxGroups, 4)
	for i := 0; i < n; i++ {
		c.gids[i] = d.Uint32()
	}
	if err := d.Err(); err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return errAuthSysTrailing
	}
	c.Cred.GIDs = c.gids[:n:n]
	if c.conn != nil {
		if p := c.conn.machine.Load(); p != nil && *p == string(name) {
			c.Cred.Machine = *p
			return nil
		}
	}
	c.Cred.Machine = string(name)
	if c.conn != nil {
		m := c.Cred.Machine
		c.conn.machine.Store(&m)
	}
	return nil
}

// EncodeAuthSys returns the body of an AUTH_SYS credential, for clients.
func EncodeAuthSys(stamp uint32, machine string, uid, gid uint32, gids []uint32) OpaqueAuth {
	var e xdr.Encoder
	e.Uint32(stamp)
	e.String(machine)
	e.Uint32(uid)
	e.Uint32(gid)
	e.Uint32(uint32(len(gids)))
	for _, g := range gids {
		e.Uint32(g)
	}
	return OpaqueAuth{Flavor: AUTH_SYS, Body: e.Bytes()}
}

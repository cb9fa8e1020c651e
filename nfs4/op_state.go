package nfs4

// Placeholders of the stateful operations, replaced by the state work in
// progress: until then they are NFS4ERR_NOTSUPP, never a fake success.

import "github.com/dittofs/dittofs/nfs4/internal/wire"

func notYet(c *compound) wire.Nfsstat4 {
	// The arguments are not decoded, so the compound cannot go on.
	return c.status(wire.NFS4ERR_NOTSUPP)
}

var (
	opClose              = notYet
	opDelegpurge         = notYet
	opDelegreturn        = notYet
	opLock               = notYet
	opLockt              = notYet
	opLocku              = notYet
	opOpen               = notYet
	opOpenConfirm        = notYet
	opOpenDowngrade      = notYet
	opRenew              = notYet
	opSetclientid        = notYet
	opSetclientidConfirm = notYet
	opReleaseLockowner   = notYet
)

// stateStatus maps errors of package state; ok is false for other errors.
func stateStatus(err error) (wire.Nfsstat4, bool) { return 0, false }

// checkStateid checks the stateid of a READ, WRITE or SETATTR of the
// current file.
func (c *compound) checkStateid(sid *wire.Stateid4, write bool) wire.Nfsstat4 {
	if sid.IsAnonymous() || sid.IsReadBypass() {
		return wire.NFS4_OK
	}
	return wire.NFS4ERR_BAD_STATEID
}

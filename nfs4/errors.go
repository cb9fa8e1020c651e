package nfs4

import (
	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// statusOf maps an error of the store (or of state, through stateStatus)
// to its nfsstat4 (RFC 7530 §13). It is the one table of the package;
// TestStatusTableTotal checks that it covers every store.Code.
func statusOf(err error) wire.Nfsstat4 {
	if err == nil {
		return wire.NFS4_OK
	}
	if st, ok := stateStatus(err); ok {
		return st
	}
	return codeStatus(store.CodeOf(err))
}

func codeStatus(c store.Code) wire.Nfsstat4 {
	switch c {
	case store.CodeOK:
		return wire.NFS4_OK
	case store.CodeNotExist:
		return wire.NFS4ERR_NOENT
	case store.CodeExist:
		return wire.NFS4ERR_EXIST
	case store.CodeNotDir:
		return wire.NFS4ERR_NOTDIR
	case store.CodeIsDir:
		return wire.NFS4ERR_ISDIR
	case store.CodeNotEmpty:
		return wire.NFS4ERR_NOTEMPTY
	case store.CodePermission:
		return wire.NFS4ERR_PERM
	case store.CodeAccess:
		return wire.NFS4ERR_ACCESS
	case store.CodeNameTooLong:
		return wire.NFS4ERR_NAMETOOLONG
	case store.CodeStale:
		return wire.NFS4ERR_STALE
	case store.CodeNoSpace:
		return wire.NFS4ERR_NOSPC
	case store.CodeInvalid:
		return wire.NFS4ERR_INVAL
	case store.CodeNotSupported:
		return wire.NFS4ERR_NOTSUPP
	case store.CodeTooBig:
		return wire.NFS4ERR_FBIG
	case store.CodeReadOnly:
		return wire.NFS4ERR_ROFS
	case store.CodeCrossDevice:
		return wire.NFS4ERR_XDEV
	case store.CodeLoop:
		return wire.NFS4ERR_SYMLINK
	case store.CodeConflict:
		// The store's transaction retries ran out: ask the client to
		// retry later.
		return wire.NFS4ERR_DELAY
	case store.CodeNotFound:
		// A backend key or block is missing: the store is damaged.
		return wire.NFS4ERR_IO
	case store.CodeBadHandle:
		return wire.NFS4ERR_BADHANDLE
	case store.CodeBadCookie:
		return wire.NFS4ERR_BAD_COOKIE
	case store.CodeNotSync:
		return wire.NFS4ERR_NOT_SAME
	case store.CodeIO:
		return wire.NFS4ERR_IO
	case store.CodeQuota:
		return wire.NFS4ERR_DQUOT
	case store.CodeNoXattr:
		return wire.NFS4ERR_NOXATTR
	case store.CodeTooManyLinks:
		return wire.NFS4ERR_MLINK
	case store.CodeNXIO:
		return wire.NFS4ERR_NXIO
	}
	return wire.NFS4ERR_SERVERFAULT
}

// fail maps err for operation op, logging failures that are the
// server's, not the client's.
func (c *compound) fail(op string, err error) wire.Nfsstat4 {
	st := statusOf(err)
	switch st {
	case wire.NFS4ERR_IO, wire.NFS4ERR_SERVERFAULT:
		if c.ctx.Err() == nil {
			name := ""
			if c.cur.exp != nil {
				name = c.cur.exp.Name
			}
			c.s.logs.Error(c.s.log, "nfs4: store failure", "op", op, "export", name, "err", err)
		}
	}
	return st
}

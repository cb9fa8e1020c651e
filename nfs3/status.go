package nfs3

import (
	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// statusOf maps a store error to its nfsstat3 (RFC 1813 §2.6). It is the
// one table of the package; TestStatusTableTotal checks that it covers
// every store.Code.
func statusOf(err error) wire.NFSStat3 {
	return codeStatus(store.CodeOf(err))
}

func codeStatus(c store.Code) wire.NFSStat3 {
	switch c {
	case store.CodeOK:
		return wire.NFS3_OK
	case store.CodeNotExist:
		return wire.NFS3ERR_NOENT
	case store.CodeExist:
		return wire.NFS3ERR_EXIST
	case store.CodeNotDir:
		return wire.NFS3ERR_NOTDIR
	case store.CodeIsDir:
		return wire.NFS3ERR_ISDIR
	case store.CodeNotEmpty:
		return wire.NFS3ERR_NOTEMPTY
	case store.CodePermission:
		return wire.NFS3ERR_PERM
	case store.CodeAccess:
		return wire.NFS3ERR_ACCES
	case store.CodeNameTooLong:
		return wire.NFS3ERR_NAMETOOLONG
	case store.CodeStale:
		return wire.NFS3ERR_STALE
	case store.CodeNoSpace:
		return wire.NFS3ERR_NOSPC
	case store.CodeInvalid:
		return wire.NFS3ERR_INVAL
	case store.CodeNotSupported:
		return wire.NFS3ERR_NOTSUPP
	case store.CodeTooBig:
		return wire.NFS3ERR_FBIG
	case store.CodeReadOnly:
		return wire.NFS3ERR_ROFS
	case store.CodeCrossDevice:
		return wire.NFS3ERR_XDEV
	case store.CodeLoop:
		// NFSv3 has no ELOOP; the Linux server answers a symlink loop
		// with NFS3ERR_INVAL too.
		return wire.NFS3ERR_INVAL
	case store.CodeConflict:
		// Retries of the transaction ran out: ask the client to retry
		// later (RFC 1813 §2.6, NFS3ERR_JUKEBOX).
		return wire.NFS3ERR_JUKEBOX
	case store.CodeNotFound:
		// A backend key or block is missing: the store is damaged.
		return wire.NFS3ERR_IO
	case store.CodeBadHandle:
		return wire.NFS3ERR_BADHANDLE
	case store.CodeBadCookie:
		return wire.NFS3ERR_BAD_COOKIE
	case store.CodeNotSync:
		return wire.NFS3ERR_NOT_SYNC
	case store.CodeIO:
		return wire.NFS3ERR_IO
	case store.CodeQuota:
		return wire.NFS3ERR_DQUOT
	case store.CodeNoXattr:
		// NFSv3 has no extended attributes; treat a missing one as
		// absent.
		return wire.NFS3ERR_NOENT
	case store.CodeTooManyLinks:
		return wire.NFS3ERR_MLINK
	case store.CodeNXIO:
		return wire.NFS3ERR_NXIO
	}
	return wire.NFS3ERR_SERVERFAULT
}

var ftypes = [...]wire.Ftype3{
	store.TypeRegular: wire.NF3REG,
	store.TypeDir:     wire.NF3DIR,
	store.TypeSymlink: wire.NF3LNK,
	store.TypeBlock:   wire.NF3BLK,
	store.TypeChar:    wire.NF3CHR,
	store.TypeSocket:  wire.NF3SOCK,
	store.TypeFIFO:    wire.NF3FIFO,
}

func nfsTime(ns int64) wire.NFSTime3 {
	s, n := ns/1e9, ns%1e9
	if n < 0 {
		s--
		n += 1e9
	}
	return wire.NFSTime3{Seconds: uint32(s), Nseconds: uint32(n)}
}

func timeNS(t wire.NFSTime3) int64 { return int64(t.Seconds)*1e9 + int64(t.Nseconds) }

// fattr converts store attributes to fattr3 (RFC 1813 §2.6) of export fsid.
func fattr(a *store.Attr, fsid uint32, out *wire.Fattr3) {
	var t wire.Ftype3
	if int(a.Type) < len(ftypes) {
		t = ftypes[a.Type]
	}
	*out = wire.Fattr3{
		Type:   t,
		Mode:   wire.Mode3(a.Mode & store.ModeMask),
		Nlink:  a.Nlink,
		UID:    wire.Uid3(a.UID),
		GID:    wire.Gid3(a.GID),
		Size:   wire.Size3(a.Size),
		Used:   wire.Size3(a.Used),
		Rdev:   wire.Specdata3{Specdata1: a.Rdev.Major, Specdata2: a.Rdev.Minor},
		FSID:   uint64(fsid),
		Fileid: wire.Fileid3(a.ID),
		Atime:  nfsTime(a.Atime),
		Mtime:  nfsTime(a.Mtime),
		Ctime:  nfsTime(a.Ctime),
	}
}

// sattr converts sattr3 (RFC 1813 §2.6) to a store.SetAttr.
func sattr(in *wire.Sattr3) store.SetAttr {
	var sa store.SetAttr
	if in.Mode.SetIt {
		sa.Mask |= store.SetMode
		sa.Mode = uint32(in.Mode.Mode) & store.ModeMask
	}
	if in.UID.SetIt {
		sa.Mask |= store.SetUID
		sa.UID = uint32(in.UID.UID)
	}
	if in.GID.SetIt {
		sa.Mask |= store.SetGID
		sa.GID = uint32(in.GID.GID)
	}
	if in.Size.SetIt {
		sa.Mask |= store.SetSize
		sa.Size = uint64(in.Size.Size)
	}
	switch in.Atime.SetIt {
	case wire.SET_TO_SERVER_TIME:
		sa.Mask |= store.SetAtimeNow
	case wire.SET_TO_CLIENT_TIME:
		sa.Mask |= store.SetAtime
		sa.Atime = timeNS(in.Atime.Atime)
	}
	switch in.Mtime.SetIt {
	case wire.SET_TO_SERVER_TIME:
		sa.Mask |= store.SetMtimeNow
	case wire.SET_TO_CLIENT_TIME:
		sa.Mask |= store.SetMtime
		sa.Mtime = timeNS(in.Mtime.Mtime)
	}
	return sa
}

package example

import "github.com/dittofs/dittofs/internal/xdrgen/internal/example/handle"

// Sizes from RFC 1813 §2.4.
const (
	NFS3_FHSIZE         = 64
	NFS3_COOKIEVERFSIZE = 8
	// MAXNAMLEN bounds filename3 in this example; RFC 1813 leaves
	// filename3 unbounded (string<>).
	MAXNAMLEN = 255
)

// NFSStat3 is nfsstat3 (RFC 1813 §2.6). It decodes without a range check:
// a new status must not make a reply undecodable.
type NFSStat3 uint32

// Some nfsstat3 values (RFC 1813 §2.6).
const (
	NFS3_OK             NFSStat3 = 0
	NFS3ERR_PERM        NFSStat3 = 1
	NFS3ERR_NOENT       NFSStat3 = 2
	NFS3ERR_IO          NFSStat3 = 5
	NFS3ERR_ACCES       NFSStat3 = 13
	NFS3ERR_NOTDIR      NFSStat3 = 20
	NFS3ERR_STALE       NFSStat3 = 70
	NFS3ERR_BAD_COOKIE  NFSStat3 = 10003
	NFS3ERR_NOTSUPP     NFSStat3 = 10004
	NFS3ERR_SERVERFAULT NFSStat3 = 10006
)

// Ftype3 is ftype3 (RFC 1813 §2.6). The //xdr:enum directive makes every
// decode check the value against the constants below.
//
//xdr:enum
type Ftype3 uint32

// The ftype3 values (RFC 1813 §2.6).
const (
	NF3REG Ftype3 = iota + 1
	NF3DIR
	NF3BLK
	NF3CHR
	NF3LNK
	NF3SOCK
	NF3FIFO
)

// Scalar typedefs of RFC 1813 §2.5.
type (
	Uint64  uint64
	Uint32  uint32
	Fileid3 uint64
	Cookie3 uint64
	Uid3    uint32
	Gid3    uint32
	Size3   uint64
	Mode3   uint32
	Count3  uint32
)

// Filename3 is filename3 (RFC 1813 §2.5), bounded here by MAXNAMLEN.
//
//xdr:max=MAXNAMLEN
type Filename3 string

// Cookieverf3 is cookieverf3 (RFC 1813 §2.5): opaque[NFS3_COOKIEVERFSIZE].
type Cookieverf3 [NFS3_COOKIEVERFSIZE]byte

// NFSFH3 is nfs_fh3 (RFC 1813 §2.5): opaque data<NFS3_FHSIZE>.
type NFSFH3 struct {
	Data []byte `xdr:"max=NFS3_FHSIZE"`
}

// Specdata3 is specdata3 (RFC 1813 §2.5).
type Specdata3 struct {
	Specdata1 Uint32
	Specdata2 Uint32
}

// NFSTime3 is nfstime3 (RFC 1813 §2.5).
type NFSTime3 struct {
	Seconds  Uint32
	Nseconds Uint32
}

// Fattr3 is fattr3 (RFC 1813 §2.5): 84 bytes on the wire.
type Fattr3 struct {
	Type   Ftype3
	Mode   Mode3
	Nlink  Uint32
	UID    Uid3
	GID    Gid3
	Size   Size3
	Used   Size3
	Rdev   Specdata3
	FSID   Uint64
	Fileid Fileid3
	Atime  NFSTime3
	Mtime  NFSTime3
	Ctime  NFSTime3
}

// PostOpAttr is post_op_attr (RFC 1813 §2.6), a union on a bool.
type PostOpAttr struct {
	AttributesFollow bool   `xdr:"switch,void=false"`
	Attributes       Fattr3 `xdr:"case=true"`
}

// GETATTR3args is GETATTR3args (RFC 1813 §3.3.1).
type GETATTR3args struct {
	Object NFSFH3
}

// GETATTR3resok is GETATTR3resok (RFC 1813 §3.3.1).
type GETATTR3resok struct {
	ObjAttributes Fattr3
}

// GETATTR3res is GETATTR3res (RFC 1813 §3.3.1): a union whose default arm
// is void.
type GETATTR3res struct {
	Status NFSStat3      `xdr:"switch,void=default"`
	Resok  GETATTR3resok `xdr:"case=NFS3_OK"`
}

// READDIR3args is READDIR3args (RFC 1813 §3.3.16).
type READDIR3args struct {
	Dir        NFSFH3
	Cookie     Cookie3
	Cookieverf Cookieverf3
	Count      Count3
}

// Entry3 is entry3 (RFC 1813 §3.3.16) without its nextentry pointer: the
// chain is the Entries list of Dirlist3.
type Entry3 struct {
	Fileid Fileid3
	Name   Filename3
	Cookie Cookie3
}

// Dirlist3 is dirlist3 (RFC 1813 §3.3.16). Entries is the entry3 *entries
// linked list, decoded iteratively into a slice.
type Dirlist3 struct {
	Entries []Entry3 `xdr:"list"`
	EOF     bool
}

// READDIR3resok is READDIR3resok (RFC 1813 §3.3.16).
type READDIR3resok struct {
	DirAttributes PostOpAttr
	Cookieverf    Cookieverf3
	Reply         Dirlist3
}

// READDIR3resfail is READDIR3resfail (RFC 1813 §3.3.16).
type READDIR3resfail struct {
	DirAttributes PostOpAttr
}

// READDIR3res is READDIR3res (RFC 1813 §3.3.16).
type READDIR3res struct {
	Status  NFSStat3        `xdr:"switch"`
	Resok   READDIR3resok   `xdr:"case=NFS3_OK"`
	Resfail READDIR3resfail `xdr:"default"`
}

// SharedHandle carries a handle.Handle, a type of another package with
// hand-written methods.
type SharedHandle struct {
	Handle handle.Handle
	Gen    uint32
}

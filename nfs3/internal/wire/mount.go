package wire

// MOUNT v3 sizes (RFC 1813 Appendix I).
const (
	MNTPATHLEN = 1024
	MNTNAMLEN  = 255
	FHSIZE3    = 64
	// MaxAuthFlavors bounds the auth_flavors list of a MNT reply.
	MaxAuthFlavors = 16
)

// MOUNT procedure numbers (RFC 1813 Appendix I).
const (
	MOUNTPROC3_NULL    = 0
	MOUNTPROC3_MNT     = 1
	MOUNTPROC3_DUMP    = 2
	MOUNTPROC3_UMNT    = 3
	MOUNTPROC3_UMNTALL = 4
	MOUNTPROC3_EXPORT  = 5
)

// Mountstat3 is mountstat3 (RFC 1813 Appendix I).
type Mountstat3 uint32

// The mountstat3 values.
const (
	MNT3_OK             Mountstat3 = 0
	MNT3ERR_PERM        Mountstat3 = 1
	MNT3ERR_NOENT       Mountstat3 = 2
	MNT3ERR_IO          Mountstat3 = 5
	MNT3ERR_ACCES       Mountstat3 = 13
	MNT3ERR_NOTDIR      Mountstat3 = 20
	MNT3ERR_INVAL       Mountstat3 = 22
	MNT3ERR_NAMETOOLONG Mountstat3 = 63
	MNT3ERR_NOTSUPP     Mountstat3 = 10004
	MNT3ERR_SERVERFAULT Mountstat3 = 10006
)

// Dirpath is dirpath (RFC 1813 Appendix I): string<MNTPATHLEN>.
//
//xdr:max=MNTPATHLEN
type Dirpath string

// Name is name (RFC 1813 Appendix I): string<MNTNAMLEN>.
//
//xdr:max=MNTNAMLEN
type Name string

// MNTArgs is the argument of MNT and UMNT: a dirpath.
type MNTArgs struct {
	Dirpath Dirpath
}

// Mountres3ok is mountres3_ok.
type Mountres3ok struct {
	FHandle     []byte   `xdr:"max=FHSIZE3"`
	AuthFlavors []uint32 `xdr:"max=MaxAuthFlavors"`
}

// Mountres3 is mountres3 (RFC 1813 Appendix I).
type Mountres3 struct {
	Status Mountstat3  `xdr:"switch,void=default"`
	OK     Mountres3ok `xdr:"case=MNT3_OK"`
}

// Mountbody is mountbody without its ml_next pointer.
type Mountbody struct {
	Hostname  Name
	Directory Dirpath
}

// Mountlist is the result of DUMP: the mountlist linked list.
type Mountlist struct {
	Mounts []Mountbody `xdr:"list"`
}

// Groupnode is groupnode without its gr_next pointer.
type Groupnode struct {
	Name Name
}

// Exportnode is exportnode without its ex_next pointer.
type Exportnode struct {
	Dir    Dirpath
	Groups []Groupnode `xdr:"list"`
}

// Exports is the result of EXPORT: the exports linked list.
type Exports struct {
	Exports []Exportnode `xdr:"list"`
}

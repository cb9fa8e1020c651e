package wire

// Program numbers and versions (RFC 1813 §3, Appendix I).
const (
	NFS_PROGRAM   = 100003
	NFS_V3        = 3
	MOUNT_PROGRAM = 100005
	MOUNT_V3      = 3
)

// Sizes of RFC 1813 §2.4, and the bounds this package puts on strings the
// RFC leaves unbounded.
const (
	NFS3_FHSIZE         = 64
	NFS3_COOKIEVERFSIZE = 8
	NFS3_CREATEVERFSIZE = 8
	NFS3_WRITEVERFSIZE  = 8
	// MaxWireName bounds filename3 on the wire; names beyond the store's
	// MaxName (255) decode and are refused with NFS3ERR_NAMETOOLONG.
	MaxWireName = 1024
	// MaxWirePath bounds nfspath3 (a symlink target) on the wire.
	MaxWirePath = 8192
)

// NFS procedure numbers (RFC 1813 §3).
const (
	NFSPROC3_NULL        = 0
	NFSPROC3_GETATTR     = 1
	NFSPROC3_SETATTR     = 2
	NFSPROC3_LOOKUP      = 3
	NFSPROC3_ACCESS      = 4
	NFSPROC3_READLINK    = 5
	NFSPROC3_READ        = 6
	NFSPROC3_WRITE       = 7
	NFSPROC3_CREATE      = 8
	NFSPROC3_MKDIR       = 9
	NFSPROC3_SYMLINK     = 10
	NFSPROC3_MKNOD       = 11
	NFSPROC3_REMOVE      = 12
	NFSPROC3_RMDIR       = 13
	NFSPROC3_RENAME      = 14
	NFSPROC3_LINK        = 15
	NFSPROC3_READDIR     = 16
	NFSPROC3_READDIRPLUS = 17
	NFSPROC3_FSSTAT      = 18
	NFSPROC3_FSINFO      = 19
	NFSPROC3_PATHCONF    = 20
	NFSPROC3_COMMIT      = 21
)

// NFSStat3 is nfsstat3 (RFC 1813 §2.6). It is not range-checked.
type NFSStat3 uint32

// The nfsstat3 values (RFC 1813 §2.6).
const (
	NFS3_OK             NFSStat3 = 0
	NFS3ERR_PERM        NFSStat3 = 1
	NFS3ERR_NOENT       NFSStat3 = 2
	NFS3ERR_IO          NFSStat3 = 5
	NFS3ERR_NXIO        NFSStat3 = 6
	NFS3ERR_ACCES       NFSStat3 = 13
	NFS3ERR_EXIST       NFSStat3 = 17
	NFS3ERR_XDEV        NFSStat3 = 18
	NFS3ERR_NODEV       NFSStat3 = 19
	NFS3ERR_NOTDIR      NFSStat3 = 20
	NFS3ERR_ISDIR       NFSStat3 = 21
	NFS3ERR_INVAL       NFSStat3 = 22
	NFS3ERR_FBIG        NFSStat3 = 27
	NFS3ERR_NOSPC       NFSStat3 = 28
	NFS3ERR_ROFS        NFSStat3 = 30
	NFS3ERR_MLINK       NFSStat3 = 31
	NFS3ERR_NAMETOOLONG NFSStat3 = 63
	NFS3ERR_NOTEMPTY    NFSStat3 = 66
	NFS3ERR_DQUOT       NFSStat3 = 69
	NFS3ERR_STALE       NFSStat3 = 70
	NFS3ERR_REMOTE      NFSStat3 = 71
	NFS3ERR_BADHANDLE   NFSStat3 = 10001
	NFS3ERR_NOT_SYNC    NFSStat3 = 10002
	NFS3ERR_BAD_COOKIE  NFSStat3 = 10003
	NFS3ERR_NOTSUPP     NFSStat3 = 10004
	NFS3ERR_TOOSMALL    NFSStat3 = 10005
	NFS3ERR_SERVERFAULT NFSStat3 = 10006
	NFS3ERR_BADTYPE     NFSStat3 = 10007
	NFS3ERR_JUKEBOX     NFSStat3 = 10008
)

// Ftype3 is ftype3 (RFC 1813 §2.6).
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
	Fileid3     uint64
	Cookie3     uint64
	Uid3        uint32
	Gid3        uint32
	Size3       uint64
	Offset3     uint64
	Mode3       uint32
	Count3      uint32
	Cookieverf3 [NFS3_COOKIEVERFSIZE]byte
	Createverf3 [NFS3_CREATEVERFSIZE]byte
	Writeverf3  [NFS3_WRITEVERFSIZE]byte
)

// Filename3 is filename3 (RFC 1813 §2.5), bounded by MaxWireName.
//
//xdr:max=MaxWireName
type Filename3 string

// NFSPath3 is nfspath3 (RFC 1813 §2.5), bounded by MaxWirePath.
//
//xdr:max=MaxWirePath
type NFSPath3 string

// NFSFH3 is nfs_fh3 (RFC 1813 §2.5): opaque data<NFS3_FHSIZE>. Data
// aliases the call record.
type NFSFH3 struct {
	Data []byte `xdr:"max=NFS3_FHSIZE"`
}

// Specdata3 is specdata3 (RFC 1813 §2.5).
type Specdata3 struct {
	Specdata1 uint32
	Specdata2 uint32
}

// NFSTime3 is nfstime3 (RFC 1813 §2.5).
type NFSTime3 struct {
	Seconds  uint32
	Nseconds uint32
}

// Fattr3 is fattr3 (RFC 1813 §2.6).
type Fattr3 struct {
	Type   Ftype3
	Mode   Mode3
	Nlink  uint32
	UID    Uid3
	GID    Gid3
	Size   Size3
	Used   Size3
	Rdev   Specdata3
	FSID   uint64
	Fileid Fileid3
	Atime  NFSTime3
	Mtime  NFSTime3
	Ctime  NFSTime3
}

// PostOpAttr is post_op_attr (RFC 1813 §2.6).
type PostOpAttr struct {
	AttributesFollow bool   `xdr:"switch,void=false"`
	Attributes       Fattr3 `xdr:"case=true"`
}

// WccAttr is wcc_attr (RFC 1813 §2.6).
type WccAttr struct {
	Size  Size3
	Mtime NFSTime3
	Ctime NFSTime3
}

// PreOpAttr is pre_op_attr (RFC 1813 §2.6).
type PreOpAttr struct {
	AttributesFollow bool    `xdr:"switch,void=false"`
	Attributes       WccAttr `xdr:"case=true"`
}

// WccData is wcc_data (RFC 1813 §2.6).
type WccData struct {
	Before PreOpAttr
	After  PostOpAttr
}

// PostOpFH3 is post_op_fh3 (RFC 1813 §2.6).
type PostOpFH3 struct {
	HandleFollows bool   `xdr:"switch,void=false"`
	Handle        NFSFH3 `xdr:"case=true"`
}

// TimeHow is time_how (RFC 1813 §2.6).
type TimeHow uint32

// The time_how values.
const (
	DONT_CHANGE        TimeHow = 0
	SET_TO_SERVER_TIME TimeHow = 1
	SET_TO_CLIENT_TIME TimeHow = 2
)

// SetMode3 is set_mode3 (RFC 1813 §2.6).
type SetMode3 struct {
	SetIt bool  `xdr:"switch,void=false"`
	Mode  Mode3 `xdr:"case=true"`
}

// SetUID3 is set_uid3.
type SetUID3 struct {
	SetIt bool `xdr:"switch,void=false"`
	UID   Uid3 `xdr:"case=true"`
}

// SetGID3 is set_gid3.
type SetGID3 struct {
	SetIt bool `xdr:"switch,void=false"`
	GID   Gid3 `xdr:"case=true"`
}

// SetSize3 is set_size3.
type SetSize3 struct {
	SetIt bool  `xdr:"switch,void=false"`
	Size  Size3 `xdr:"case=true"`
}

// SetAtime is set_atime: a time only with SET_TO_CLIENT_TIME.
type SetAtime struct {
	SetIt TimeHow  `xdr:"switch,void=DONT_CHANGE,SET_TO_SERVER_TIME"`
	Atime NFSTime3 `xdr:"case=SET_TO_CLIENT_TIME"`
}

// SetMtime is set_mtime.
type SetMtime struct {
	SetIt TimeHow  `xdr:"switch,void=DONT_CHANGE,SET_TO_SERVER_TIME"`
	Mtime NFSTime3 `xdr:"case=SET_TO_CLIENT_TIME"`
}

// Sattr3 is sattr3 (RFC 1813 §2.6).
type Sattr3 struct {
	Mode  SetMode3
	UID   SetUID3
	GID   SetGID3
	Size  SetSize3
	Atime SetAtime
	Mtime SetMtime
}

// DiropArgs3 is diropargs3 (RFC 1813 §2.6).
type DiropArgs3 struct {
	Dir  NFSFH3
	Name Filename3
}

// GETATTR3args is GETATTR3args (RFC 1813 §3.3.1).
type GETATTR3args struct {
	Object NFSFH3
}

// GETATTR3res is GETATTR3res (RFC 1813 §3.3.1).
type GETATTR3res struct {
	Status        NFSStat3 `xdr:"switch,void=default"`
	ObjAttributes Fattr3   `xdr:"case=NFS3_OK"`
}

// SattrGuard3 is sattrguard3 (RFC 1813 §3.3.2).
type SattrGuard3 struct {
	Check    bool     `xdr:"switch,void=false"`
	ObjCtime NFSTime3 `xdr:"case=true"`
}

// SETATTR3args is SETATTR3args (RFC 1813 §3.3.2).
type SETATTR3args struct {
	Object        NFSFH3
	NewAttributes Sattr3
	Guard         SattrGuard3
}

// SETATTR3res is SETATTR3res (RFC 1813 §3.3.2): wcc_data in both arms.
type SETATTR3res struct {
	Status NFSStat3
	ObjWcc WccData
}

// LOOKUP3args is LOOKUP3args (RFC 1813 §3.3.3).
type LOOKUP3args struct {
	What DiropArgs3
}

// LOOKUP3resok is LOOKUP3resok.
type LOOKUP3resok struct {
	Object        NFSFH3
	ObjAttributes PostOpAttr
	DirAttributes PostOpAttr
}

// LOOKUP3res is LOOKUP3res (RFC 1813 §3.3.3).
type LOOKUP3res struct {
	Status  NFSStat3     `xdr:"switch"`
	Resok   LOOKUP3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr   `xdr:"default"`
}

// ACCESS3 bits (RFC 1813 §3.3.4).
const (
	ACCESS3_READ    = 0x0001
	ACCESS3_LOOKUP  = 0x0002
	ACCESS3_MODIFY  = 0x0004
	ACCESS3_EXTEND  = 0x0008
	ACCESS3_DELETE  = 0x0010
	ACCESS3_EXECUTE = 0x0020
)

// ACCESS3args is ACCESS3args (RFC 1813 §3.3.4).
type ACCESS3args struct {
	Object NFSFH3
	Access uint32
}

// ACCESS3resok is ACCESS3resok.
type ACCESS3resok struct {
	ObjAttributes PostOpAttr
	Access        uint32
}

// ACCESS3res is ACCESS3res (RFC 1813 §3.3.4).
type ACCESS3res struct {
	Status  NFSStat3     `xdr:"switch"`
	Resok   ACCESS3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr   `xdr:"default"`
}

// READLINK3args is READLINK3args (RFC 1813 §3.3.5).
type READLINK3args struct {
	Symlink NFSFH3
}

// READLINK3resok is READLINK3resok.
type READLINK3resok struct {
	SymlinkAttributes PostOpAttr
	Data              NFSPath3
}

// READLINK3res is READLINK3res (RFC 1813 §3.3.5).
type READLINK3res struct {
	Status  NFSStat3       `xdr:"switch"`
	Resok   READLINK3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr     `xdr:"default"`
}

// READ3args is READ3args (RFC 1813 §3.3.6).
type READ3args struct {
	File   NFSFH3
	Offset Offset3
	Count  Count3
}

// READ3resok is READ3resok. The server encodes it by hand (zero-copy
// data); the type is the client's decoder and the fuzz target.
type READ3resok struct {
	FileAttributes PostOpAttr
	Count          Count3
	EOF            bool
	Data           []byte
}

// READ3res is READ3res (RFC 1813 §3.3.6).
type READ3res struct {
	Status  NFSStat3   `xdr:"switch"`
	Resok   READ3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr `xdr:"default"`
}

// StableHow is stable_how (RFC 1813 §3.3.7).
type StableHow uint32

// The stable_how values.
const (
	UNSTABLE  StableHow = 0
	DATA_SYNC StableHow = 1
	FILE_SYNC StableHow = 2
)

// WRITE3args is WRITE3args (RFC 1813 §3.3.7). Data aliases the call
// record.
type WRITE3args struct {
	File   NFSFH3
	Offset Offset3
	Count  Count3
	Stable StableHow
	Data   []byte
}

// WRITE3resok is WRITE3resok.
type WRITE3resok struct {
	FileWcc   WccData
	Count     Count3
	Committed StableHow
	Verf      Writeverf3
}

// WRITE3res is WRITE3res (RFC 1813 §3.3.7).
type WRITE3res struct {
	Status  NFSStat3    `xdr:"switch"`
	Resok   WRITE3resok `xdr:"case=NFS3_OK"`
	Resfail WccData     `xdr:"default"`
}

// Createmode3 is createmode3 (RFC 1813 §3.3.8).
type Createmode3 uint32

// The createmode3 values.
const (
	UNCHECKED Createmode3 = 0
	GUARDED   Createmode3 = 1
	EXCLUSIVE Createmode3 = 2
)

// Createhow3 is createhow3 (RFC 1813 §3.3.8).
type Createhow3 struct {
	Mode          Createmode3 `xdr:"switch"`
	ObjAttributes Sattr3      `xdr:"case=UNCHECKED,GUARDED"`
	Verf          Createverf3 `xdr:"case=EXCLUSIVE"`
}

// CREATE3args is CREATE3args (RFC 1813 §3.3.8).
type CREATE3args struct {
	Where DiropArgs3
	How   Createhow3
}

// CREATE3resok is the resok of CREATE, MKDIR, SYMLINK and MKNOD
// (RFC 1813 §3.3.8-3.3.11).
type CREATE3resok struct {
	Obj           PostOpFH3
	ObjAttributes PostOpAttr
	DirWcc        WccData
}

// CREATE3res is CREATE3res (RFC 1813 §3.3.8); MKDIR3res, SYMLINK3res and
// MKNOD3res have the same shape.
type CREATE3res struct {
	Status  NFSStat3     `xdr:"switch"`
	Resok   CREATE3resok `xdr:"case=NFS3_OK"`
	Resfail WccData      `xdr:"default"`
}

// MKDIR3args is MKDIR3args (RFC 1813 §3.3.9).
type MKDIR3args struct {
	Where      DiropArgs3
	Attributes Sattr3
}

// Symlinkdata3 is symlinkdata3 (RFC 1813 §3.3.10).
type Symlinkdata3 struct {
	SymlinkAttributes Sattr3
	SymlinkData       NFSPath3
}

// SYMLINK3args is SYMLINK3args (RFC 1813 §3.3.10).
type SYMLINK3args struct {
	Where   DiropArgs3
	Symlink Symlinkdata3
}

// Devicedata3 is devicedata3 (RFC 1813 §3.3.11).
type Devicedata3 struct {
	DevAttributes Sattr3
	Spec          Specdata3
}

// Mknoddata3 is mknoddata3 (RFC 1813 §3.3.11).
type Mknoddata3 struct {
	Type           Ftype3      `xdr:"switch,void=default"`
	Device         Devicedata3 `xdr:"case=NF3CHR,NF3BLK"`
	PipeAttributes Sattr3      `xdr:"case=NF3SOCK,NF3FIFO"`
}

// MKNOD3args is MKNOD3args (RFC 1813 §3.3.11).
type MKNOD3args struct {
	Where DiropArgs3
	What  Mknoddata3
}

// REMOVE3args is REMOVE3args (RFC 1813 §3.3.12); RMDIR3args is the same.
type REMOVE3args struct {
	Object DiropArgs3
}

// WccRes is the result of REMOVE and RMDIR (RFC 1813 §3.3.12-13): wcc_data
// in both arms.
type WccRes struct {
	Status NFSStat3
	DirWcc WccData
}

// RENAME3args is RENAME3args (RFC 1813 §3.3.14).
type RENAME3args struct {
	From DiropArgs3
	To   DiropArgs3
}

// RENAME3res is RENAME3res (RFC 1813 §3.3.14).
type RENAME3res struct {
	Status     NFSStat3
	FromdirWcc WccData
	TodirWcc   WccData
}

// LINK3args is LINK3args (RFC 1813 §3.3.15).
type LINK3args struct {
	File NFSFH3
	Link DiropArgs3
}

// LINK3res is LINK3res (RFC 1813 §3.3.15).
type LINK3res struct {
	Status         NFSStat3
	FileAttributes PostOpAttr
	LinkdirWcc     WccData
}

// READDIR3args is READDIR3args (RFC 1813 §3.3.16).
type READDIR3args struct {
	Dir        NFSFH3
	Cookie     Cookie3
	Cookieverf Cookieverf3
	Count      Count3
}

// Entry3 is entry3 (RFC 1813 §3.3.16) without its nextentry pointer.
type Entry3 struct {
	Fileid Fileid3
	Name   Filename3
	Cookie Cookie3
}

// Dirlist3 is dirlist3 (RFC 1813 §3.3.16).
type Dirlist3 struct {
	Entries []Entry3 `xdr:"list"`
	EOF     bool
}

// READDIR3resok is READDIR3resok.
type READDIR3resok struct {
	DirAttributes PostOpAttr
	Cookieverf    Cookieverf3
	Reply         Dirlist3
}

// READDIR3res is READDIR3res (RFC 1813 §3.3.16).
type READDIR3res struct {
	Status  NFSStat3      `xdr:"switch"`
	Resok   READDIR3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr    `xdr:"default"`
}

// READDIRPLUS3args is READDIRPLUS3args (RFC 1813 §3.3.17).
type READDIRPLUS3args struct {
	Dir        NFSFH3
	Cookie     Cookie3
	Cookieverf Cookieverf3
	Dircount   Count3
	Maxcount   Count3
}

// Entryplus3 is entryplus3 (RFC 1813 §3.3.17) without its nextentry.
type Entryplus3 struct {
	Fileid         Fileid3
	Name           Filename3
	Cookie         Cookie3
	NameAttributes PostOpAttr
	NameHandle     PostOpFH3
}

// Dirlistplus3 is dirlistplus3 (RFC 1813 §3.3.17).
type Dirlistplus3 struct {
	Entries []Entryplus3 `xdr:"list"`
	EOF     bool
}

// READDIRPLUS3resok is READDIRPLUS3resok.
type READDIRPLUS3resok struct {
	DirAttributes PostOpAttr
	Cookieverf    Cookieverf3
	Reply         Dirlistplus3
}

// READDIRPLUS3res is READDIRPLUS3res (RFC 1813 §3.3.17).
type READDIRPLUS3res struct {
	Status  NFSStat3          `xdr:"switch"`
	Resok   READDIRPLUS3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr        `xdr:"default"`
}

// FSSTAT3args is FSSTAT3args (RFC 1813 §3.3.18); FSINFO3args and
// PATHCONF3args are the same.
type FSSTAT3args struct {
	FSRoot NFSFH3
}

// FSSTAT3resok is FSSTAT3resok.
type FSSTAT3resok struct {
	ObjAttributes PostOpAttr
	Tbytes        Size3
	Fbytes        Size3
	Abytes        Size3
	Tfiles        Size3
	Ffiles        Size3
	Afiles        Size3
	Invarsec      uint32
}

// FSSTAT3res is FSSTAT3res (RFC 1813 §3.3.18).
type FSSTAT3res struct {
	Status  NFSStat3     `xdr:"switch"`
	Resok   FSSTAT3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr   `xdr:"default"`
}

// FSINFO3 properties bits (RFC 1813 §3.3.19).
const (
	FSF3_LINK        = 0x0001
	FSF3_SYMLINK     = 0x0002
	FSF3_HOMOGENEOUS = 0x0008
	FSF3_CANSETTIME  = 0x0010
)

// FSINFO3resok is FSINFO3resok.
type FSINFO3resok struct {
	ObjAttributes PostOpAttr
	Rtmax         uint32
	Rtpref        uint32
	Rtmult        uint32
	Wtmax         uint32
	Wtpref        uint32
	Wtmult        uint32
	Dtpref        uint32
	Maxfilesize   Size3
	TimeDelta     NFSTime3
	Properties    uint32
}

// FSINFO3res is FSINFO3res (RFC 1813 §3.3.19).
type FSINFO3res struct {
	Status  NFSStat3     `xdr:"switch"`
	Resok   FSINFO3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr   `xdr:"default"`
}

// PATHCONF3resok is PATHCONF3resok.
type PATHCONF3resok struct {
	ObjAttributes   PostOpAttr
	Linkmax         uint32
	NameMax         uint32
	NoTrunc         bool
	ChownRestricted bool
	CaseInsensitive bool
	CasePreserving  bool
}

// PATHCONF3res is PATHCONF3res (RFC 1813 §3.3.20).
type PATHCONF3res struct {
	Status  NFSStat3       `xdr:"switch"`
	Resok   PATHCONF3resok `xdr:"case=NFS3_OK"`
	Resfail PostOpAttr     `xdr:"default"`
}

// COMMIT3args is COMMIT3args (RFC 1813 §3.3.21).
type COMMIT3args struct {
	File   NFSFH3
	Offset Offset3
	Count  Count3
}

// COMMIT3resok is COMMIT3resok.
type COMMIT3resok struct {
	FileWcc WccData
	Verf    Writeverf3
}

// COMMIT3res is COMMIT3res (RFC 1813 §3.3.21).
type COMMIT3res struct {
	Status  NFSStat3     `xdr:"switch"`
	Resok   COMMIT3resok `xdr:"case=NFS3_OK"`
	Resfail WccData      `xdr:"default"`
}

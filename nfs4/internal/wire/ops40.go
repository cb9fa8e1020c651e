package wire

// The arguments and results of the NFSv4.0 operations (RFC 3530 §14.2; the
// 4.1 additions to them are from RFC 5661 §18). An operation whose
// arguments are void (GETFH, LOOKUPP, PUTPUBFH, PUTROOTFH, READLINK,
// RESTOREFH, SAVEFH) has no args type.

// ACCESS4args is ACCESS4args (RFC 3530 §14.2.1).
type ACCESS4args struct {
	Access uint32
}

// ACCESS4resok is ACCESS4resok (RFC 3530 §14.2.1).
type ACCESS4resok struct {
	Supported uint32
	Access    uint32
}

// ACCESS4res is ACCESS4res (RFC 3530 §14.2.1).
type ACCESS4res struct {
	Status Nfsstat4     `xdr:"switch,void=default"`
	Resok4 ACCESS4resok `xdr:"case=NFS4_OK"`
}

// CLOSE4args is CLOSE4args (RFC 3530 §14.2.2).
type CLOSE4args struct {
	Seqid       Seqid4
	OpenStateid Stateid4
}

// CLOSE4res is CLOSE4res (RFC 3530 §14.2.2).
type CLOSE4res struct {
	Status      Nfsstat4 `xdr:"switch,void=default"`
	OpenStateid Stateid4 `xdr:"case=NFS4_OK"`
}

// COMMIT4args is COMMIT4args (RFC 3530 §14.2.3).
type COMMIT4args struct {
	Offset Offset4
	Count  Count4
}

// COMMIT4resok is COMMIT4resok (RFC 3530 §14.2.3).
type COMMIT4resok struct {
	Writeverf Verifier4
}

// COMMIT4res is COMMIT4res (RFC 3530 §14.2.3).
type COMMIT4res struct {
	Status Nfsstat4     `xdr:"switch,void=default"`
	Resok4 COMMIT4resok `xdr:"case=NFS4_OK"`
}

// Createtype4 is createtype4 (RFC 3530 §14.2.4). Types other than NF4LNK,
// NF4BLK and NF4CHR have no data; the server answers NFS4ERR_BADTYPE for
// the ones CREATE does not make.
type Createtype4 struct {
	Type     NfsFtype4 `xdr:"switch,void=default"`
	Linkdata Linktext4 `xdr:"case=NF4LNK"`
	Devdata  Specdata4 `xdr:"case=NF4BLK,NF4CHR"`
}

// CREATE4args is CREATE4args (RFC 3530 §14.2.4).
type CREATE4args struct {
	Objtype     Createtype4
	Objname     Component4
	Createattrs Fattr4
}

// CREATE4resok is CREATE4resok (RFC 3530 §14.2.4).
type CREATE4resok struct {
	Cinfo   ChangeInfo4
	Attrset Bitmap4
}

// CREATE4res is CREATE4res (RFC 3530 §14.2.4).
type CREATE4res struct {
	Status Nfsstat4     `xdr:"switch,void=default"`
	Resok4 CREATE4resok `xdr:"case=NFS4_OK"`
}

// DELEGPURGE4args is DELEGPURGE4args (RFC 3530 §14.2.5).
type DELEGPURGE4args struct {
	Clientid Clientid4
}

// DELEGPURGE4res is DELEGPURGE4res (RFC 3530 §14.2.5).
type DELEGPURGE4res struct {
	Status Nfsstat4
}

// DELEGRETURN4args is DELEGRETURN4args (RFC 3530 §14.2.6).
type DELEGRETURN4args struct {
	DelegStateid Stateid4
}

// DELEGRETURN4res is DELEGRETURN4res (RFC 3530 §14.2.6).
type DELEGRETURN4res struct {
	Status Nfsstat4
}

// GETATTR4args is GETATTR4args (RFC 3530 §14.2.7).
type GETATTR4args struct {
	AttrRequest Bitmap4
}

// GETATTR4resok is GETATTR4resok (RFC 3530 §14.2.7).
type GETATTR4resok struct {
	ObjAttributes Fattr4
}

// GETATTR4res is GETATTR4res (RFC 3530 §14.2.7).
type GETATTR4res struct {
	Status Nfsstat4      `xdr:"switch,void=default"`
	Resok4 GETATTR4resok `xdr:"case=NFS4_OK"`
}

// GETFH4resok is GETFH4resok (RFC 3530 §14.2.8).
type GETFH4resok struct {
	Object NfsFh4
}

// GETFH4res is GETFH4res (RFC 3530 §14.2.8).
type GETFH4res struct {
	Status Nfsstat4    `xdr:"switch,void=default"`
	Resok4 GETFH4resok `xdr:"case=NFS4_OK"`
}

// LINK4args is LINK4args (RFC 3530 §14.2.9).
type LINK4args struct {
	Newname Component4
}

// LINK4resok is LINK4resok (RFC 3530 §14.2.9).
type LINK4resok struct {
	Cinfo ChangeInfo4
}

// LINK4res is LINK4res (RFC 3530 §14.2.9).
type LINK4res struct {
	Status Nfsstat4   `xdr:"switch,void=default"`
	Resok4 LINK4resok `xdr:"case=NFS4_OK"`
}

// OpenToLockOwner4 is open_to_lock_owner4 (RFC 3530 §14.2.10).
type OpenToLockOwner4 struct {
	OpenSeqid   Seqid4
	OpenStateid Stateid4
	LockSeqid   Seqid4
	LockOwner   StateOwner4
}

// ExistLockOwner4 is exist_lock_owner4 (RFC 3530 §14.2.10).
type ExistLockOwner4 struct {
	LockStateid Stateid4
	LockSeqid   Seqid4
}

// Locker4 is locker4 (RFC 3530 §14.2.10).
type Locker4 struct {
	NewLockOwner bool             `xdr:"switch"`
	OpenOwner    OpenToLockOwner4 `xdr:"case=true"`
	LockOwner    ExistLockOwner4  `xdr:"case=false"`
}

// LOCK4args is LOCK4args (RFC 3530 §14.2.10).
type LOCK4args struct {
	Locktype NfsLockType4
	Reclaim  bool
	Offset   Offset4
	Length   Length4
	Locker   Locker4
}

// LOCK4denied is LOCK4denied (RFC 3530 §14.2.10).
type LOCK4denied struct {
	Offset   Offset4
	Length   Length4
	Locktype NfsLockType4
	Owner    StateOwner4
}

// LOCK4resok is LOCK4resok (RFC 3530 §14.2.10).
type LOCK4resok struct {
	LockStateid Stateid4
}

// LOCK4res is LOCK4res (RFC 3530 §14.2.10).
type LOCK4res struct {
	Status Nfsstat4    `xdr:"switch,void=default"`
	Resok4 LOCK4resok  `xdr:"case=NFS4_OK"`
	Denied LOCK4denied `xdr:"case=NFS4ERR_DENIED"`
}

// LOCKT4args is LOCKT4args (RFC 3530 §14.2.11).
type LOCKT4args struct {
	Locktype NfsLockType4
	Offset   Offset4
	Length   Length4
	Owner    StateOwner4
}

// LOCKT4res is LOCKT4res (RFC 3530 §14.2.11).
type LOCKT4res struct {
	Status Nfsstat4    `xdr:"switch,void=default"`
	Denied LOCK4denied `xdr:"case=NFS4ERR_DENIED"`
}

// LOCKU4args is LOCKU4args (RFC 3530 §14.2.12).
type LOCKU4args struct {
	Locktype    NfsLockType4
	Seqid       Seqid4
	LockStateid Stateid4
	Offset      Offset4
	Length      Length4
}

// LOCKU4res is LOCKU4res (RFC 3530 §14.2.12).
type LOCKU4res struct {
	Status      Nfsstat4 `xdr:"switch,void=default"`
	LockStateid Stateid4 `xdr:"case=NFS4_OK"`
}

// LOOKUP4args is LOOKUP4args (RFC 3530 §14.2.13).
type LOOKUP4args struct {
	Objname Component4
}

// LOOKUP4res is LOOKUP4res (RFC 3530 §14.2.13).
type LOOKUP4res struct {
	Status Nfsstat4
}

// LOOKUPP4res is LOOKUPP4res (RFC 3530 §14.2.14).
type LOOKUPP4res struct {
	Status Nfsstat4
}

// NVERIFY4args is NVERIFY4args (RFC 3530 §14.2.15).
type NVERIFY4args struct {
	ObjAttributes Fattr4
}

// NVERIFY4res is NVERIFY4res (RFC 3530 §14.2.15).
type NVERIFY4res struct {
	Status Nfsstat4
}

// Createmode4 is createmode4 (RFC 3530 §14.2.16, RFC 5661 §18.16).
type Createmode4 uint32

// The createmode4 values; EXCLUSIVE4_1 is NFSv4.1.
const (
	UNCHECKED4   Createmode4 = 0
	GUARDED4     Createmode4 = 1
	EXCLUSIVE4   Createmode4 = 2
	EXCLUSIVE4_1 Createmode4 = 3
)

// Creatverfattr is creatverfattr (RFC 5661 §18.16).
type Creatverfattr struct {
	Verf  Verifier4
	Attrs Fattr4
}

// Createhow4 is createhow4 (RFC 3530 §14.2.16, RFC 5661 §18.16).
type Createhow4 struct {
	Mode         Createmode4   `xdr:"switch"`
	Createattrs  Fattr4        `xdr:"case=UNCHECKED4,GUARDED4"`
	Createverf   Verifier4     `xdr:"case=EXCLUSIVE4"`
	ChCreateboth Creatverfattr `xdr:"case=EXCLUSIVE4_1"`
}

// Opentype4 is opentype4 (RFC 3530 §14.2.16).
type Opentype4 uint32

// The opentype4 values.
const (
	OPEN4_NOCREATE Opentype4 = 0
	OPEN4_CREATE   Opentype4 = 1
)

// Openflag4 is openflag4 (RFC 3530 §14.2.16).
type Openflag4 struct {
	Opentype Opentype4  `xdr:"switch,void=default"`
	How      Createhow4 `xdr:"case=OPEN4_CREATE"`
}

// LimitBy4 is limit_by4 (RFC 3530 §14.2.16).
type LimitBy4 uint32

// The limit_by4 values.
const (
	NFS_LIMIT_SIZE   LimitBy4 = 1
	NFS_LIMIT_BLOCKS LimitBy4 = 2
)

// NfsModifiedLimit4 is nfs_modified_limit4 (RFC 3530 §14.2.16).
type NfsModifiedLimit4 struct {
	NumBlocks     uint32
	BytesPerBlock uint32
}

// NfsSpaceLimit4 is nfs_space_limit4 (RFC 3530 §14.2.16).
type NfsSpaceLimit4 struct {
	Limitby   LimitBy4          `xdr:"switch"`
	Filesize  uint64            `xdr:"case=NFS_LIMIT_SIZE"`
	ModBlocks NfsModifiedLimit4 `xdr:"case=NFS_LIMIT_BLOCKS"`
}

// OpenDelegationType4 is open_delegation_type4 (RFC 3530 §14.2.16, RFC 5661
// §18.16, RFC 9754).
type OpenDelegationType4 uint32

// The open_delegation_type4 values.
const (
	OPEN_DELEGATE_NONE              OpenDelegationType4 = 0
	OPEN_DELEGATE_READ              OpenDelegationType4 = 1
	OPEN_DELEGATE_WRITE             OpenDelegationType4 = 2
	OPEN_DELEGATE_NONE_EXT          OpenDelegationType4 = 3
	OPEN_DELEGATE_READ_ATTRS_DELEG  OpenDelegationType4 = 4
	OPEN_DELEGATE_WRITE_ATTRS_DELEG OpenDelegationType4 = 5
)

// OpenClaimType4 is open_claim_type4 (RFC 3530 §14.2.16, RFC 5661 §18.16).
type OpenClaimType4 uint32

// The open_claim_type4 values; CLAIM_FH, CLAIM_DELEG_CUR_FH and
// CLAIM_DELEG_PREV_FH are NFSv4.1.
const (
	CLAIM_NULL          OpenClaimType4 = 0
	CLAIM_PREVIOUS      OpenClaimType4 = 1
	CLAIM_DELEGATE_CUR  OpenClaimType4 = 2
	CLAIM_DELEGATE_PREV OpenClaimType4 = 3
	CLAIM_FH            OpenClaimType4 = 4
	CLAIM_DELEG_CUR_FH  OpenClaimType4 = 5
	CLAIM_DELEG_PREV_FH OpenClaimType4 = 6
)

// OpenClaimDelegateCur4 is open_claim_delegate_cur4 (RFC 3530 §14.2.16).
type OpenClaimDelegateCur4 struct {
	DelegateStateid Stateid4
	File            Component4
}

// OpenClaim4 is open_claim4 (RFC 3530 §14.2.16, RFC 5661 §18.16).
type OpenClaim4 struct {
	Claim            OpenClaimType4        `xdr:"switch,void=CLAIM_FH,CLAIM_DELEG_PREV_FH"`
	File             Component4            `xdr:"case=CLAIM_NULL"`
	DelegateType     OpenDelegationType4   `xdr:"case=CLAIM_PREVIOUS"`
	DelegateCurInfo  OpenClaimDelegateCur4 `xdr:"case=CLAIM_DELEGATE_CUR"`
	FileDelegatePrev Component4            `xdr:"case=CLAIM_DELEGATE_PREV"`
	DelegateStateid  Stateid4              `xdr:"case=CLAIM_DELEG_CUR_FH"`
}

// OPEN4args is OPEN4args (RFC 3530 §14.2.16, RFC 5661 §18.16).
type OPEN4args struct {
	Seqid       Seqid4
	ShareAccess uint32
	ShareDeny   uint32
	Owner       StateOwner4
	Openhow     Openflag4
	Claim       OpenClaim4
}

// OpenReadDelegation4 is open_read_delegation4 (RFC 3530 §14.2.16).
type OpenReadDelegation4 struct {
	Stateid     Stateid4
	Recall      bool
	Permissions Nfsace4
}

// OpenWriteDelegation4 is open_write_delegation4 (RFC 3530 §14.2.16).
type OpenWriteDelegation4 struct {
	Stateid     Stateid4
	Recall      bool
	SpaceLimit  NfsSpaceLimit4
	Permissions Nfsace4
}

// WhyNoDelegation4 is why_no_delegation4 (RFC 5661 §18.16).
type WhyNoDelegation4 uint32

// The why_no_delegation4 values.
const (
	WND4_NOT_WANTED                 WhyNoDelegation4 = 0
	WND4_CONTENTION                 WhyNoDelegation4 = 1
	WND4_RESOURCE                   WhyNoDelegation4 = 2
	WND4_NOT_SUPP_FTYPE             WhyNoDelegation4 = 3
	WND4_WRITE_DELEG_NOT_SUPP_FTYPE WhyNoDelegation4 = 4
	WND4_NOT_SUPP_UPGRADE           WhyNoDelegation4 = 5
	WND4_NOT_SUPP_DOWNGRADE         WhyNoDelegation4 = 6
	WND4_CANCELLED                  WhyNoDelegation4 = 7
	WND4_IS_DIR                     WhyNoDelegation4 = 8
)

// OpenNoneDelegation4 is open_none_delegation4 (RFC 5661 §18.16).
type OpenNoneDelegation4 struct {
	Why                   WhyNoDelegation4 `xdr:"switch,void=default"`
	ServerWillPushDeleg   bool             `xdr:"case=WND4_CONTENTION"`
	ServerWillSignalAvail bool             `xdr:"case=WND4_RESOURCE"`
}

// OpenDelegation4 is open_delegation4 (RFC 3530 §14.2.16, RFC 5661 §18.16).
type OpenDelegation4 struct {
	DelegationType OpenDelegationType4  `xdr:"switch,void=OPEN_DELEGATE_NONE"`
	Read           OpenReadDelegation4  `xdr:"case=OPEN_DELEGATE_READ,OPEN_DELEGATE_READ_ATTRS_DELEG"`
	Write          OpenWriteDelegation4 `xdr:"case=OPEN_DELEGATE_WRITE,OPEN_DELEGATE_WRITE_ATTRS_DELEG"`
	Whynone        OpenNoneDelegation4  `xdr:"case=OPEN_DELEGATE_NONE_EXT"`
}

// OPEN4resok is OPEN4resok (RFC 3530 §14.2.16).
type OPEN4resok struct {
	Stateid    Stateid4
	Cinfo      ChangeInfo4
	Rflags     uint32
	Attrset    Bitmap4
	Delegation OpenDelegation4
}

// OPEN4res is OPEN4res (RFC 3530 §14.2.16).
type OPEN4res struct {
	Status Nfsstat4   `xdr:"switch,void=default"`
	Resok4 OPEN4resok `xdr:"case=NFS4_OK"`
}

// OPENATTR4args is OPENATTR4args (RFC 3530 §14.2.17).
type OPENATTR4args struct {
	Createdir bool
}

// OPENATTR4res is OPENATTR4res (RFC 3530 §14.2.17).
type OPENATTR4res struct {
	Status Nfsstat4
}

// OPEN_CONFIRM4args is OPEN_CONFIRM4args (RFC 3530 §14.2.18); NFSv4.0 only.
type OPEN_CONFIRM4args struct {
	OpenStateid Stateid4
	Seqid       Seqid4
}

// OPEN_CONFIRM4resok is OPEN_CONFIRM4resok (RFC 3530 §14.2.18).
type OPEN_CONFIRM4resok struct {
	OpenStateid Stateid4
}

// OPEN_CONFIRM4res is OPEN_CONFIRM4res (RFC 3530 §14.2.18).
type OPEN_CONFIRM4res struct {
	Status Nfsstat4           `xdr:"switch,void=default"`
	Resok4 OPEN_CONFIRM4resok `xdr:"case=NFS4_OK"`
}

// OPEN_DOWNGRADE4args is OPEN_DOWNGRADE4args (RFC 3530 §14.2.19).
type OPEN_DOWNGRADE4args struct {
	OpenStateid Stateid4
	Seqid       Seqid4
	ShareAccess uint32
	ShareDeny   uint32
}

// OPEN_DOWNGRADE4resok is OPEN_DOWNGRADE4resok (RFC 3530 §14.2.19).
type OPEN_DOWNGRADE4resok struct {
	OpenStateid Stateid4
}

// OPEN_DOWNGRADE4res is OPEN_DOWNGRADE4res (RFC 3530 §14.2.19).
type OPEN_DOWNGRADE4res struct {
	Status Nfsstat4             `xdr:"switch,void=default"`
	Resok4 OPEN_DOWNGRADE4resok `xdr:"case=NFS4_OK"`
}

// PUTFH4args is PUTFH4args (RFC 3530 §14.2.20).
type PUTFH4args struct {
	Object NfsFh4
}

// PUTFH4res is PUTFH4res (RFC 3530 §14.2.20).
type PUTFH4res struct {
	Status Nfsstat4
}

// PUTPUBFH4res is PUTPUBFH4res (RFC 3530 §14.2.21).
type PUTPUBFH4res struct {
	Status Nfsstat4
}

// PUTROOTFH4res is PUTROOTFH4res (RFC 3530 §14.2.22).
type PUTROOTFH4res struct {
	Status Nfsstat4
}

// READ4args is READ4args (RFC 3530 §14.2.23).
type READ4args struct {
	Stateid Stateid4
	Offset  Offset4
	Count   Count4
}

// READ4resok is READ4resok (RFC 3530 §14.2.23). Data aliases the record when
// decoded; the server may instead send it from its own buffer.
type READ4resok struct {
	EOF  bool
	Data []byte `xdr:"max=MaxData"`
}

// READ4res is READ4res (RFC 3530 §14.2.23).
type READ4res struct {
	Status Nfsstat4   `xdr:"switch,void=default"`
	Resok4 READ4resok `xdr:"case=NFS4_OK"`
}

// READDIR4args is READDIR4args (RFC 3530 §14.2.24).
type READDIR4args struct {
	Cookie      NfsCookie4
	Cookieverf  Verifier4
	Dircount    Count4
	Maxcount    Count4
	AttrRequest Bitmap4
}

// Entry4 is entry4 (RFC 3530 §14.2.24) without its nextentry link: Dirlist4
// holds the entries as a slice.
type Entry4 struct {
	Cookie NfsCookie4
	Name   Component4
	Attrs  Fattr4
}

// Dirlist4 is dirlist4 (RFC 3530 §14.2.24).
type Dirlist4 struct {
	Entries []Entry4 `xdr:"list,max=MaxDirEntries"`
	EOF     bool
}

// READDIR4resok is READDIR4resok (RFC 3530 §14.2.24).
type READDIR4resok struct {
	Cookieverf Verifier4
	Reply      Dirlist4
}

// READDIR4res is READDIR4res (RFC 3530 §14.2.24).
type READDIR4res struct {
	Status Nfsstat4      `xdr:"switch,void=default"`
	Resok4 READDIR4resok `xdr:"case=NFS4_OK"`
}

// READLINK4resok is READLINK4resok (RFC 3530 §14.2.25).
type READLINK4resok struct {
	Link Linktext4
}

// READLINK4res is READLINK4res (RFC 3530 §14.2.25).
type READLINK4res struct {
	Status Nfsstat4       `xdr:"switch,void=default"`
	Resok4 READLINK4resok `xdr:"case=NFS4_OK"`
}

// REMOVE4args is REMOVE4args (RFC 3530 §14.2.26).
type REMOVE4args struct {
	Target Component4
}

// REMOVE4resok is REMOVE4resok (RFC 3530 §14.2.26).
type REMOVE4resok struct {
	Cinfo ChangeInfo4
}

// REMOVE4res is REMOVE4res (RFC 3530 §14.2.26).
type REMOVE4res struct {
	Status Nfsstat4     `xdr:"switch,void=default"`
	Resok4 REMOVE4resok `xdr:"case=NFS4_OK"`
}

// RENAME4args is RENAME4args (RFC 3530 §14.2.27).
type RENAME4args struct {
	Oldname Component4
	Newname Component4
}

// RENAME4resok is RENAME4resok (RFC 3530 §14.2.27).
type RENAME4resok struct {
	SourceCinfo ChangeInfo4
	TargetCinfo ChangeInfo4
}

// RENAME4res is RENAME4res (RFC 3530 §14.2.27).
type RENAME4res struct {
	Status Nfsstat4     `xdr:"switch,void=default"`
	Resok4 RENAME4resok `xdr:"case=NFS4_OK"`
}

// RENEW4args is RENEW4args (RFC 3530 §14.2.28); NFSv4.0 only.
type RENEW4args struct {
	Clientid Clientid4
}

// RENEW4res is RENEW4res (RFC 3530 §14.2.28).
type RENEW4res struct {
	Status Nfsstat4
}

// RESTOREFH4res is RESTOREFH4res (RFC 3530 §14.2.29).
type RESTOREFH4res struct {
	Status Nfsstat4
}

// SAVEFH4res is SAVEFH4res (RFC 3530 §14.2.30).
type SAVEFH4res struct {
	Status Nfsstat4
}

// SECINFO4args is SECINFO4args (RFC 3530 §14.2.31).
type SECINFO4args struct {
	Name Component4
}

// RpcsecGssInfo is rpcsec_gss_info (RFC 3530 §14.2.31).
type RpcsecGssInfo struct {
	Oid     SecOid4
	Qop     Qop4
	Service RpcGssSvcT
}

// Secinfo4 is secinfo4 (RFC 3530 §14.2.31): flavors other than RPCSEC_GSS
// carry no information.
type Secinfo4 struct {
	Flavor     uint32        `xdr:"switch,void=default"`
	FlavorInfo RpcsecGssInfo `xdr:"case=RPCSEC_GSS"`
}

// SECINFO4resok is SECINFO4resok, secinfo4<> (RFC 3530 §14.2.31).
//
//xdr:max=MaxSecinfo
type SECINFO4resok []Secinfo4

// SECINFO4res is SECINFO4res (RFC 3530 §14.2.31).
type SECINFO4res struct {
	Status Nfsstat4      `xdr:"switch,void=default"`
	Resok4 SECINFO4resok `xdr:"case=NFS4_OK"`
}

// SETATTR4args is SETATTR4args (RFC 3530 §14.2.32).
type SETATTR4args struct {
	Stateid       Stateid4
	ObjAttributes Fattr4
}

// SETATTR4res is SETATTR4res (RFC 3530 §14.2.32): attrsset is sent whatever
// the status.
type SETATTR4res struct {
	Status   Nfsstat4
	Attrsset Bitmap4
}

// SETCLIENTID4args is SETCLIENTID4args (RFC 3530 §14.2.33); NFSv4.0 only.
type SETCLIENTID4args struct {
	Client        NfsClientId4
	Callback      CbClient4
	CallbackIdent uint32
}

// SETCLIENTID4resok is SETCLIENTID4resok (RFC 3530 §14.2.33).
type SETCLIENTID4resok struct {
	Clientid           Clientid4
	SetclientidConfirm Verifier4
}

// SETCLIENTID4res is SETCLIENTID4res (RFC 3530 §14.2.33).
type SETCLIENTID4res struct {
	Status      Nfsstat4          `xdr:"switch,void=default"`
	Resok4      SETCLIENTID4resok `xdr:"case=NFS4_OK"`
	ClientUsing Netaddr4          `xdr:"case=NFS4ERR_CLID_INUSE"`
}

// SETCLIENTID_CONFIRM4args is SETCLIENTID_CONFIRM4args (RFC 3530 §14.2.34);
// NFSv4.0 only.
type SETCLIENTID_CONFIRM4args struct {
	Clientid           Clientid4
	SetclientidConfirm Verifier4
}

// SETCLIENTID_CONFIRM4res is SETCLIENTID_CONFIRM4res (RFC 3530 §14.2.34).
type SETCLIENTID_CONFIRM4res struct {
	Status Nfsstat4
}

// VERIFY4args is VERIFY4args (RFC 3530 §14.2.35).
type VERIFY4args struct {
	ObjAttributes Fattr4
}

// VERIFY4res is VERIFY4res (RFC 3530 §14.2.35).
type VERIFY4res struct {
	Status Nfsstat4
}

// WRITE4args is WRITE4args (RFC 3530 §14.2.36). Data aliases the record.
type WRITE4args struct {
	Stateid Stateid4
	Offset  Offset4
	Stable  StableHow4
	Data    []byte `xdr:"max=MaxData"`
}

// WRITE4resok is WRITE4resok (RFC 3530 §14.2.36).
type WRITE4resok struct {
	Count     Count4
	Committed StableHow4
	Writeverf Verifier4
}

// WRITE4res is WRITE4res (RFC 3530 §14.2.36).
type WRITE4res struct {
	Status Nfsstat4    `xdr:"switch,void=default"`
	Resok4 WRITE4resok `xdr:"case=NFS4_OK"`
}

// RELEASE_LOCKOWNER4args is RELEASE_LOCKOWNER4args (RFC 3530 §14.2.37);
// NFSv4.0 only.
type RELEASE_LOCKOWNER4args struct {
	LockOwner StateOwner4
}

// RELEASE_LOCKOWNER4res is RELEASE_LOCKOWNER4res (RFC 3530 §14.2.37).
type RELEASE_LOCKOWNER4res struct {
	Status Nfsstat4
}

// ILLEGAL4res is ILLEGAL4res (RFC 3530 §14.2.38), the result of an unknown
// operation number, sent with OP_ILLEGAL.
type ILLEGAL4res struct {
	Status Nfsstat4
}

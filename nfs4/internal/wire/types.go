package wire

// Scalar typedefs (RFC 3530 §2.1, RFC 5661 §3.1).
type (
	Changeid4   uint64
	Clientid4   uint64
	Count4      uint32
	Length4     uint64
	Mode4       uint32
	NfsCookie4  uint64
	Offset4     uint64
	Qop4        uint32
	Sequenceid4 uint32
	Seqid4      uint32
	Slotid4     uint32
	NfsLease4   uint32
	Acetype4    uint32
	Aceflag4    uint32
	Acemask4    uint32
	Aclflag4    uint32
	Policy4     uint32
)

// Fixed-size opaques (RFC 3530 §2.1, RFC 5661 §3.1, §3.3.14).
type (
	Verifier4  [NFS4_VERIFIER_SIZE]byte
	Sessionid4 [NFS4_SESSIONID_SIZE]byte
	Deviceid4  [NFS4_DEVICEID4_SIZE]byte
)

// NfsFtype4 is nfs_ftype4 (RFC 3530 §2.2).
type NfsFtype4 uint32

// The nfs_ftype4 values.
const (
	NF4REG       NfsFtype4 = 1
	NF4DIR       NfsFtype4 = 2
	NF4BLK       NfsFtype4 = 3
	NF4CHR       NfsFtype4 = 4
	NF4LNK       NfsFtype4 = 5
	NF4SOCK      NfsFtype4 = 6
	NF4FIFO      NfsFtype4 = 7
	NF4ATTRDIR   NfsFtype4 = 8
	NF4NAMEDATTR NfsFtype4 = 9
)

// Bitmap4 is bitmap4 (RFC 3530 §2.2): bit n of word n/32 stands for
// attribute (or notification, hint…) n. Helpers are in bitmap.go.
//
//xdr:max=MaxBitmapWords
type Bitmap4 []uint32

// Attrlist4 is attrlist4 (RFC 3530 §2.2), the encoded attribute values of
// a fattr4, in bit order. It aliases the record.
//
//xdr:max=MaxAttrList
type Attrlist4 []byte

// NfsFh4 is nfs_fh4 (RFC 3530 §2.2), opaque<NFS4_FHSIZE>.
//
//xdr:max=NFS4_FHSIZE
type NfsFh4 []byte

// SecOid4 is sec_oid4 (RFC 3530 §2.2), a GSS mechanism OID in DER.
//
//xdr:max=NFS4_OPAQUE_LIMIT
type SecOid4 []byte

// Utf8string is utf8string (RFC 3530 §2.2, §12), and also stands for
// ascii_REQUIRED4. On the wire it is opaque<>: the decoder does not check
// UTF-8, so that the server can answer NFS4ERR_INVAL or NFS4ERR_BADCHAR.
//
//xdr:max=MaxUTF8
type Utf8string string

// Utf8strCis is utf8str_cis, a case-insensitive UTF-8 string (RFC 3530 §2.2).
//
//xdr:max=MaxUTF8
type Utf8strCis string

// Utf8strCs is utf8str_cs, a case-sensitive UTF-8 string (RFC 3530 §2.2).
//
//xdr:max=MaxUTF8
type Utf8strCs string

// Utf8strMixed is utf8str_mixed (RFC 3530 §2.2): a prefix compared
// case-sensitively and a domain compared case-insensitively, as in owner
// strings "user@domain".
//
//xdr:max=MaxUTF8
type Utf8strMixed string

// Component4 is component4 (RFC 3530 §2.2), one pathname component. The
// bound is above any server's maxname so that a long name is answered
// NFS4ERR_NAMETOOLONG.
//
//xdr:max=MaxComponent
type Component4 string

// Pathname4 is pathname4 (RFC 3530 §2.2).
//
//xdr:max=MaxPathComponents
type Pathname4 []Component4

// Linktext4 is linktext4 (RFC 5661 §3.2), a symbolic link's content.
//
//xdr:max=MaxLinktext
type Linktext4 []byte

// Nfstime4 is nfstime4 (RFC 3530 §2.2).
type Nfstime4 struct {
	Seconds  int64
	Nseconds uint32
}

// TimeHow4 is time_how4 (RFC 3530 §2.2).
type TimeHow4 uint32

// The time_how4 values.
const (
	SET_TO_SERVER_TIME4 TimeHow4 = 0
	SET_TO_CLIENT_TIME4 TimeHow4 = 1
)

// Settime4 is settime4 (RFC 3530 §2.2), the value of time_access_set and
// time_modify_set.
type Settime4 struct {
	SetIt TimeHow4 `xdr:"switch,void=default"`
	Time  Nfstime4 `xdr:"case=SET_TO_CLIENT_TIME4"`
}

// Fsid4 is fsid4 (RFC 3530 §2.2).
type Fsid4 struct {
	Major uint64
	Minor uint64
}

// ChangePolicy4 is change_policy4 (RFC 5661 §3.3.15).
type ChangePolicy4 struct {
	Major uint64
	Minor uint64
}

// FsLocation4 is fs_location4 (RFC 3530 §2.2).
type FsLocation4 struct {
	Server   []Utf8strCis `xdr:"max=MaxList"`
	Rootpath Pathname4
}

// FsLocations4 is fs_locations4 (RFC 3530 §2.2), the value of
// fs_locations.
type FsLocations4 struct {
	FsRoot    Pathname4
	Locations []FsLocation4 `xdr:"max=MaxList"`
}

// Nfsace4 is nfsace4 (RFC 3530 §5.11).
type Nfsace4 struct {
	Type       Acetype4
	Flag       Aceflag4
	AccessMask Acemask4
	Who        Utf8strMixed
}

// Fattr4Acl is fattr4_acl, nfsace4<> (RFC 3530 §5.11).
//
//xdr:max=MaxACEs
type Fattr4Acl []Nfsace4

// Nfsacl41 is nfsacl41 (RFC 5661 §6.2.3), the value of dacl and sacl.
type Nfsacl41 struct {
	Flag Aclflag4
	Aces []Nfsace4 `xdr:"max=MaxACEs"`
}

// ModeMasked4 is mode_masked4 (RFC 5661 §6.2.5), the value of
// mode_set_masked.
type ModeMasked4 struct {
	ValueToSet Mode4
	MaskBits   Mode4
}

// Specdata4 is specdata4 (RFC 3530 §2.2), the value of rawdev.
type Specdata4 struct {
	Specdata1 uint32
	Specdata2 uint32
}

// Netaddr4 is netaddr4 (RFC 5661 §3.3.9), an RPCBIND netid and universal
// address; clientaddr4 is the same type.
type Netaddr4 struct {
	RNetid string `xdr:"max=MaxNetString"`
	RAddr  string `xdr:"max=MaxNetString"`
}

// NfsImplId4 is nfs_impl_id4 (RFC 5661 §3.3.21).
type NfsImplId4 struct {
	Domain Utf8strCis
	Name   Utf8strCs
	Date   Nfstime4
}

// Stateid4 is stateid4 (RFC 3530 §8.1.3, RFC 5661 §8.2).
type Stateid4 struct {
	Seqid uint32
	Other [NFS4_OTHER_SIZE]byte
}

// Layouttype4 is layouttype4 (RFC 5661 §3.3.13).
type Layouttype4 uint32

// The layouttype4 values.
const (
	LAYOUT4_NFSV4_1_FILES Layouttype4 = 0x1
	LAYOUT4_OSD2_OBJECTS  Layouttype4 = 0x2
	LAYOUT4_BLOCK_VOLUME  Layouttype4 = 0x3
	LAYOUT4_FLEX_FILES    Layouttype4 = 0x4
)

// LayoutContent4 is layout_content4 (RFC 5661 §3.3.13).
type LayoutContent4 struct {
	Type Layouttype4
	Body []byte `xdr:"max=MaxBody"`
}

// Layouthint4 is layouthint4 (RFC 5661 §3.3.19), the value of layout_hint.
type Layouthint4 struct {
	Type Layouttype4
	Body []byte `xdr:"max=MaxBody"`
}

// Layoutiomode4 is layoutiomode4 (RFC 5661 §3.3.20).
type Layoutiomode4 uint32

// The layoutiomode4 values.
const (
	LAYOUTIOMODE4_READ Layoutiomode4 = 1
	LAYOUTIOMODE4_RW   Layoutiomode4 = 2
	LAYOUTIOMODE4_ANY  Layoutiomode4 = 3
)

// Layout4 is layout4 (RFC 5661 §3.3.17).
type Layout4 struct {
	Offset  Offset4
	Length  Length4
	Iomode  Layoutiomode4
	Content LayoutContent4
}

// DeviceAddr4 is device_addr4 (RFC 5661 §3.3.14).
type DeviceAddr4 struct {
	LayoutType Layouttype4
	AddrBody   []byte `xdr:"max=MaxBody"`
}

// Layoutupdate4 is layoutupdate4 (RFC 5661 §3.3.18).
type Layoutupdate4 struct {
	Type Layouttype4
	Body []byte `xdr:"max=MaxBody"`
}

// LayoutreturnType4 is layoutreturn_type4 (RFC 5661 §18.44).
type LayoutreturnType4 uint32

// The layoutreturn_type4 values.
const (
	LAYOUTRETURN4_FILE LayoutreturnType4 = LAYOUT4_RET_REC_FILE
	LAYOUTRETURN4_FSID LayoutreturnType4 = LAYOUT4_RET_REC_FSID
	LAYOUTRETURN4_ALL  LayoutreturnType4 = LAYOUT4_RET_REC_ALL
)

// LayoutreturnFile4 is layoutreturn_file4 (RFC 5661 §18.44).
type LayoutreturnFile4 struct {
	Offset  Offset4
	Length  Length4
	Stateid Stateid4
	Body    []byte `xdr:"max=MaxBody"`
}

// Layoutreturn4 is layoutreturn4 (RFC 5661 §18.44).
type Layoutreturn4 struct {
	Returntype LayoutreturnType4 `xdr:"switch,void=default"`
	Layout     LayoutreturnFile4 `xdr:"case=LAYOUTRETURN4_FILE"`
}

// Fs4StatusType is fs4_status_type (RFC 5661 §11.11).
type Fs4StatusType uint32

// The fs4_status_type values.
const (
	STATUS4_FIXED     Fs4StatusType = 1
	STATUS4_UPDATED   Fs4StatusType = 2
	STATUS4_VERSIONED Fs4StatusType = 3
	STATUS4_WRITABLE  Fs4StatusType = 4
	STATUS4_REFERRAL  Fs4StatusType = 5
)

// Fs4Status is fs4_status (RFC 5661 §11.11), the value of fs_status.
type Fs4Status struct {
	Absent  bool
	Type    Fs4StatusType
	Source  Utf8strCs
	Current Utf8strCs
	Age     int32
	Version Nfstime4
}

// ThresholdItem4 is threshold_item4 (RFC 5661 §5.12.12).
type ThresholdItem4 struct {
	LayoutType Layouttype4
	Hintset    Bitmap4
	Hintlist   []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
}

// Mdsthreshold4 is mdsthreshold4 (RFC 5661 §5.12.12), the value of
// mdsthreshold.
type Mdsthreshold4 struct {
	Hints []ThresholdItem4 `xdr:"max=MaxList"`
}

// RetentionGet4 is retention_get4 (RFC 5661 §5.13), the value of
// retention_get and retentevt_get.
type RetentionGet4 struct {
	Duration  uint64
	BeginTime []Nfstime4 `xdr:"max=1"`
}

// RetentionSet4 is retention_set4 (RFC 5661 §5.13), the value of
// retention_set and retentevt_set.
type RetentionSet4 struct {
	Enable   bool
	Duration []uint64 `xdr:"max=1"`
}

// FsLocationsServer4 is fs_locations_server4 (RFC 5661 §11.10.1).
type FsLocationsServer4 struct {
	Currency int32
	Info     []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
	Server   Utf8strCis
}

// FsLocationsItem4 is fs_locations_item4 (RFC 5661 §11.10.1).
type FsLocationsItem4 struct {
	Entries  []FsLocationsServer4 `xdr:"max=MaxList"`
	Rootpath Pathname4
}

// FsLocationsInfo4 is fs_locations_info4 (RFC 5661 §11.10.1), the value
// of fs_locations_info.
type FsLocationsInfo4 struct {
	Flags    uint32
	ValidFor int32
	FsRoot   Pathname4
	Items    []FsLocationsItem4 `xdr:"max=MaxList"`
}

// Fattr4FsLayoutTypes is layouttype4<>, the value of fs_layout_types and
// layout_types (RFC 5661 §5.12.2, §5.12.4).
//
//xdr:max=MaxList
type Fattr4FsLayoutTypes []Layouttype4

// NetlocType4 is netloc_type4 (RFC 7862).
type NetlocType4 uint32

// The netloc_type4 values.
const (
	NL4_NAME    NetlocType4 = 1
	NL4_URL     NetlocType4 = 2
	NL4_NETADDR NetlocType4 = 3
)

// Netloc4 is netloc4 (RFC 7862).
type Netloc4 struct {
	Type NetlocType4 `xdr:"switch"`
	Name Utf8strCis  `xdr:"case=NL4_NAME"`
	URL  Utf8strCis  `xdr:"case=NL4_URL"`
	Addr Netaddr4    `xdr:"case=NL4_NETADDR"`
}

// ChangeAttrType4 is change_attr_type4 (RFC 7862), the value of
// change_attr_type.
type ChangeAttrType4 uint32

// The change_attr_type4 values.
const (
	NFS4_CHANGE_TYPE_IS_MONOTONIC_INCR         ChangeAttrType4 = 0
	NFS4_CHANGE_TYPE_IS_VERSION_COUNTER        ChangeAttrType4 = 1
	NFS4_CHANGE_TYPE_IS_VERSION_COUNTER_NOPNFS ChangeAttrType4 = 2
	NFS4_CHANGE_TYPE_IS_TIME_METADATA          ChangeAttrType4 = 3
	NFS4_CHANGE_TYPE_IS_UNDEFINED              ChangeAttrType4 = 4
)

// LabelformatSpec4 is labelformat_spec4 (RFC 7862).
type LabelformatSpec4 struct {
	Lfs Policy4
	Pi  Policy4
}

// SecLabel4 is sec_label4 (RFC 7862), the value of sec_label.
type SecLabel4 struct {
	Lfs  LabelformatSpec4
	Data []byte `xdr:"max=MaxLabel"`
}

// OpenArguments4 is open_arguments4 (RFC 9754), the value of
// open_arguments.
type OpenArguments4 struct {
	ShareAccess     Bitmap4
	ShareDeny       Bitmap4
	ShareAccessWant Bitmap4
	OpenClaim       Bitmap4
	CreateMode      Bitmap4
}

// Fattr4 is fattr4 (RFC 3530 §2.2): the mask of attributes present and
// their values, encoded in bit order. The mask↔values codec is written by
// hand in package nfs4 over the value types of this package.
type Fattr4 struct {
	Attrmask Bitmap4
	AttrVals Attrlist4
}

// ChangeInfo4 is change_info4 (RFC 3530 §2.2).
type ChangeInfo4 struct {
	Atomic bool
	Before Changeid4
	After  Changeid4
}

// CbClient4 is cb_client4 (RFC 3530 §2.2), the 4.0 callback address.
type CbClient4 struct {
	CbProgram  uint32
	CbLocation Netaddr4
}

// NfsClientId4 is nfs_client_id4 (RFC 3530 §2.2).
type NfsClientId4 struct {
	Verifier Verifier4
	ID       []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
}

// ClientOwner4 is client_owner4 (RFC 5661 §2.4).
type ClientOwner4 struct {
	Verifier Verifier4
	Ownerid  []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
}

// ServerOwner4 is server_owner4 (RFC 5661 §2.5).
type ServerOwner4 struct {
	MinorID uint64
	MajorID []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
}

// StateOwner4 is state_owner4 (RFC 3530 §2.2); open_owner4 and
// lock_owner4 are the same type.
type StateOwner4 struct {
	Clientid Clientid4
	Owner    []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
}

// NfsLockType4 is nfs_lock_type4 (RFC 3530 §2.2).
type NfsLockType4 uint32

// The nfs_lock_type4 values.
const (
	READ_LT   NfsLockType4 = 1
	WRITE_LT  NfsLockType4 = 2
	READW_LT  NfsLockType4 = 3
	WRITEW_LT NfsLockType4 = 4
)

// StableHow4 is stable_how4 (RFC 3530 §14.2.36).
type StableHow4 uint32

// The stable_how4 values.
const (
	UNSTABLE4  StableHow4 = 0
	DATA_SYNC4 StableHow4 = 1
	FILE_SYNC4 StableHow4 = 2
)

// RpcGssSvcT is rpc_gss_svc_t (RFC 2203 §5).
type RpcGssSvcT uint32

// The rpc_gss_svc_t values.
const (
	RPC_GSS_SVC_NONE      RpcGssSvcT = 1
	RPC_GSS_SVC_INTEGRITY RpcGssSvcT = 2
	RPC_GSS_SVC_PRIVACY   RpcGssSvcT = 3
)

// AuthsysParms is authsys_parms (RFC 5531 Appendix A), as carried in
// callback_sec_parms4.
type AuthsysParms struct {
	Stamp       uint32
	Machinename string `xdr:"max=255"`
	UID         uint32
	GID         uint32
	Gids        []uint32 `xdr:"max=16"`
}

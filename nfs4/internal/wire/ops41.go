package wire

// The arguments and results of the operations added by NFSv4.1 (RFC 5661
// §18.33-18.51), including the pNFS ones, so that the server can decode
// them and answer NFS4ERR_NOTSUPP.

// Gsshandle4T is gsshandle4_t (RFC 5661 §18.33).
//
//xdr:max=NFS4_OPAQUE_LIMIT
type Gsshandle4T []byte

// GssCbHandles4 is gss_cb_handles4 (RFC 5661 §18.33).
type GssCbHandles4 struct {
	Service          RpcGssSvcT
	HandleFromServer Gsshandle4T
	HandleFromClient Gsshandle4T
}

// CallbackSecParms4 is callback_sec_parms4 (RFC 5661 §18.33).
type CallbackSecParms4 struct {
	CbSecflavor uint32        `xdr:"switch,void=AUTH_NONE"`
	SysCred     AuthsysParms  `xdr:"case=AUTH_SYS"`
	GssHandles  GssCbHandles4 `xdr:"case=RPCSEC_GSS"`
}

// BACKCHANNEL_CTL4args is BACKCHANNEL_CTL4args (RFC 5661 §18.33).
type BACKCHANNEL_CTL4args struct {
	CbProgram uint32
	SecParms  []CallbackSecParms4 `xdr:"max=MaxList"`
}

// BACKCHANNEL_CTL4res is BACKCHANNEL_CTL4res (RFC 5661 §18.33).
type BACKCHANNEL_CTL4res struct {
	Status Nfsstat4
}

// ChannelDirFromClient4 is channel_dir_from_client4 (RFC 5661 §18.34).
type ChannelDirFromClient4 uint32

// The channel_dir_from_client4 values.
const (
	CDFC4_FORE         ChannelDirFromClient4 = 0x1
	CDFC4_BACK         ChannelDirFromClient4 = 0x2
	CDFC4_FORE_OR_BOTH ChannelDirFromClient4 = 0x3
	CDFC4_BACK_OR_BOTH ChannelDirFromClient4 = 0x7
)

// BIND_CONN_TO_SESSION4args is BIND_CONN_TO_SESSION4args (RFC 5661 §18.34).
type BIND_CONN_TO_SESSION4args struct {
	Sessid            Sessionid4
	Dir               ChannelDirFromClient4
	UseConnInRdmaMode bool
}

// ChannelDirFromServer4 is channel_dir_from_server4 (RFC 5661 §18.34).
type ChannelDirFromServer4 uint32

// The channel_dir_from_server4 values.
const (
	CDFS4_FORE ChannelDirFromServer4 = 0x1
	CDFS4_BACK ChannelDirFromServer4 = 0x2
	CDFS4_BOTH ChannelDirFromServer4 = 0x3
)

// BIND_CONN_TO_SESSION4resok is BIND_CONN_TO_SESSION4resok (RFC 5661 §18.34).
type BIND_CONN_TO_SESSION4resok struct {
	Sessid            Sessionid4
	Dir               ChannelDirFromServer4
	UseConnInRdmaMode bool
}

// BIND_CONN_TO_SESSION4res is BIND_CONN_TO_SESSION4res (RFC 5661 §18.34).
type BIND_CONN_TO_SESSION4res struct {
	Status Nfsstat4                   `xdr:"switch,void=default"`
	Resok4 BIND_CONN_TO_SESSION4resok `xdr:"case=NFS4_OK"`
}

// StateProtectOps4 is state_protect_ops4 (RFC 5661 §18.35).
type StateProtectOps4 struct {
	MustEnforce Bitmap4
	MustAllow   Bitmap4
}

// SsvSpParms4 is ssv_sp_parms4 (RFC 5661 §18.35).
type SsvSpParms4 struct {
	Ops           StateProtectOps4
	HashAlgs      []SecOid4 `xdr:"max=MaxList"`
	EncrAlgs      []SecOid4 `xdr:"max=MaxList"`
	Window        uint32
	NumGssHandles uint32
}

// StateProtectHow4 is state_protect_how4 (RFC 5661 §18.35).
type StateProtectHow4 uint32

// The state_protect_how4 values.
const (
	SP4_NONE      StateProtectHow4 = 0
	SP4_MACH_CRED StateProtectHow4 = 1
	SP4_SSV       StateProtectHow4 = 2
)

// StateProtect4A is state_protect4_a (RFC 5661 §18.35).
type StateProtect4A struct {
	How      StateProtectHow4 `xdr:"switch,void=SP4_NONE"`
	MachOps  StateProtectOps4 `xdr:"case=SP4_MACH_CRED"`
	SsvParms SsvSpParms4      `xdr:"case=SP4_SSV"`
}

// EXCHANGE_ID4args is EXCHANGE_ID4args (RFC 5661 §18.35).
type EXCHANGE_ID4args struct {
	Clientowner  ClientOwner4
	Flags        uint32
	StateProtect StateProtect4A
	ClientImplID []NfsImplId4 `xdr:"max=1"`
}

// SsvProtInfo4 is ssv_prot_info4 (RFC 5661 §18.35).
type SsvProtInfo4 struct {
	Ops     StateProtectOps4
	HashAlg uint32
	EncrAlg uint32
	SsvLen  uint32
	Window  uint32
	Handles []Gsshandle4T `xdr:"max=MaxList"`
}

// StateProtect4R is state_protect4_r (RFC 5661 §18.35).
type StateProtect4R struct {
	How     StateProtectHow4 `xdr:"switch,void=SP4_NONE"`
	MachOps StateProtectOps4 `xdr:"case=SP4_MACH_CRED"`
	SsvInfo SsvProtInfo4     `xdr:"case=SP4_SSV"`
}

// EXCHANGE_ID4resok is EXCHANGE_ID4resok (RFC 5661 §18.35).
type EXCHANGE_ID4resok struct {
	Clientid     Clientid4
	Sequenceid   Sequenceid4
	Flags        uint32
	StateProtect StateProtect4R
	ServerOwner  ServerOwner4
	ServerScope  []byte       `xdr:"max=NFS4_OPAQUE_LIMIT"`
	ServerImplID []NfsImplId4 `xdr:"max=1"`
}

// EXCHANGE_ID4res is EXCHANGE_ID4res (RFC 5661 §18.35).
type EXCHANGE_ID4res struct {
	Status Nfsstat4          `xdr:"switch,void=default"`
	Resok4 EXCHANGE_ID4resok `xdr:"case=NFS4_OK"`
}

// ChannelAttrs4 is channel_attrs4 (RFC 5661 §18.36).
type ChannelAttrs4 struct {
	Headerpadsize         Count4
	Maxrequestsize        Count4
	Maxresponsesize       Count4
	MaxresponsesizeCached Count4
	Maxoperations         Count4
	Maxrequests           Count4
	RdmaIrd               []uint32 `xdr:"max=1"`
}

// CREATE_SESSION4args is CREATE_SESSION4args (RFC 5661 §18.36).
type CREATE_SESSION4args struct {
	Clientid      Clientid4
	Sequence      Sequenceid4
	Flags         uint32
	ForeChanAttrs ChannelAttrs4
	BackChanAttrs ChannelAttrs4
	CbProgram     uint32
	SecParms      []CallbackSecParms4 `xdr:"max=MaxList"`
}

// CREATE_SESSION4resok is CREATE_SESSION4resok (RFC 5661 §18.36).
type CREATE_SESSION4resok struct {
	Sessionid     Sessionid4
	Sequence      Sequenceid4
	Flags         uint32
	ForeChanAttrs ChannelAttrs4
	BackChanAttrs ChannelAttrs4
}

// CREATE_SESSION4res is CREATE_SESSION4res (RFC 5661 §18.36).
type CREATE_SESSION4res struct {
	Status Nfsstat4             `xdr:"switch,void=default"`
	Resok4 CREATE_SESSION4resok `xdr:"case=NFS4_OK"`
}

// DESTROY_SESSION4args is DESTROY_SESSION4args (RFC 5661 §18.37).
type DESTROY_SESSION4args struct {
	Sessionid Sessionid4
}

// DESTROY_SESSION4res is DESTROY_SESSION4res (RFC 5661 §18.37).
type DESTROY_SESSION4res struct {
	Status Nfsstat4
}

// FREE_STATEID4args is FREE_STATEID4args (RFC 5661 §18.38).
type FREE_STATEID4args struct {
	Stateid Stateid4
}

// FREE_STATEID4res is FREE_STATEID4res (RFC 5661 §18.38).
type FREE_STATEID4res struct {
	Status Nfsstat4
}

// GET_DIR_DELEGATION4args is GET_DIR_DELEGATION4args (RFC 5661 §18.39);
// attr_notice4 is nfstime4.
type GET_DIR_DELEGATION4args struct {
	SignalDelegAvail  bool
	NotificationTypes Bitmap4
	ChildAttrDelay    Nfstime4
	DirAttrDelay      Nfstime4
	ChildAttributes   Bitmap4
	DirAttributes     Bitmap4
}

// GET_DIR_DELEGATION4resok is GET_DIR_DELEGATION4resok (RFC 5661 §18.39).
type GET_DIR_DELEGATION4resok struct {
	Cookieverf      Verifier4
	Stateid         Stateid4
	Notification    Bitmap4
	ChildAttributes Bitmap4
	DirAttributes   Bitmap4
}

// Gddrnf4Status is gddrnf4_status (RFC 5661 §18.39).
type Gddrnf4Status uint32

// The gddrnf4_status values.
const (
	GDD4_OK      Gddrnf4Status = 0
	GDD4_UNAVAIL Gddrnf4Status = 1
)

// GET_DIR_DELEGATION4res_non_fatal is GET_DIR_DELEGATION4res_non_fatal
// (RFC 5661 §18.39).
type GET_DIR_DELEGATION4res_non_fatal struct {
	Status               Gddrnf4Status            `xdr:"switch"`
	Resok4               GET_DIR_DELEGATION4resok `xdr:"case=GDD4_OK"`
	WillSignalDelegAvail bool                     `xdr:"case=GDD4_UNAVAIL"`
}

// GET_DIR_DELEGATION4res is GET_DIR_DELEGATION4res (RFC 5661 §18.39).
type GET_DIR_DELEGATION4res struct {
	Status       Nfsstat4                         `xdr:"switch,void=default"`
	ResNonFatal4 GET_DIR_DELEGATION4res_non_fatal `xdr:"case=NFS4_OK"`
}

// GETDEVICEINFO4args is GETDEVICEINFO4args (RFC 5661 §18.40).
type GETDEVICEINFO4args struct {
	DeviceID    Deviceid4
	LayoutType  Layouttype4
	Maxcount    Count4
	NotifyTypes Bitmap4
}

// GETDEVICEINFO4resok is GETDEVICEINFO4resok (RFC 5661 §18.40).
type GETDEVICEINFO4resok struct {
	DeviceAddr   DeviceAddr4
	Notification Bitmap4
}

// GETDEVICEINFO4res is GETDEVICEINFO4res (RFC 5661 §18.40).
type GETDEVICEINFO4res struct {
	Status   Nfsstat4            `xdr:"switch,void=default"`
	Resok4   GETDEVICEINFO4resok `xdr:"case=NFS4_OK"`
	Mincount Count4              `xdr:"case=NFS4ERR_TOOSMALL"`
}

// GETDEVICELIST4args is GETDEVICELIST4args (RFC 5661 §18.41).
type GETDEVICELIST4args struct {
	LayoutType Layouttype4
	Maxdevices Count4
	Cookie     NfsCookie4
	Cookieverf Verifier4
}

// GETDEVICELIST4resok is GETDEVICELIST4resok (RFC 5661 §18.41).
type GETDEVICELIST4resok struct {
	Cookie       NfsCookie4
	Cookieverf   Verifier4
	DeviceidList []Deviceid4 `xdr:"max=MaxList"`
	EOF          bool
}

// GETDEVICELIST4res is GETDEVICELIST4res (RFC 5661 §18.41).
type GETDEVICELIST4res struct {
	Status Nfsstat4            `xdr:"switch,void=default"`
	Resok4 GETDEVICELIST4resok `xdr:"case=NFS4_OK"`
}

// Newtime4 is newtime4 (RFC 5661 §18.42).
type Newtime4 struct {
	Timechanged bool     `xdr:"switch,void=false"`
	Time        Nfstime4 `xdr:"case=true"`
}

// Newoffset4 is newoffset4 (RFC 5661 §18.42).
type Newoffset4 struct {
	Newoffset bool    `xdr:"switch,void=false"`
	Offset    Offset4 `xdr:"case=true"`
}

// LAYOUTCOMMIT4args is LAYOUTCOMMIT4args (RFC 5661 §18.42).
type LAYOUTCOMMIT4args struct {
	Offset          Offset4
	Length          Length4
	Reclaim         bool
	Stateid         Stateid4
	LastWriteOffset Newoffset4
	TimeModify      Newtime4
	Layoutupdate    Layoutupdate4
}

// Newsize4 is newsize4 (RFC 5661 §18.42).
type Newsize4 struct {
	Sizechanged bool    `xdr:"switch,void=false"`
	Size        Length4 `xdr:"case=true"`
}

// LAYOUTCOMMIT4resok is LAYOUTCOMMIT4resok (RFC 5661 §18.42).
type LAYOUTCOMMIT4resok struct {
	Newsize Newsize4
}

// LAYOUTCOMMIT4res is LAYOUTCOMMIT4res (RFC 5661 §18.42).
type LAYOUTCOMMIT4res struct {
	Status Nfsstat4           `xdr:"switch,void=default"`
	Resok4 LAYOUTCOMMIT4resok `xdr:"case=NFS4_OK"`
}

// LAYOUTGET4args is LAYOUTGET4args (RFC 5661 §18.43).
type LAYOUTGET4args struct {
	SignalLayoutAvail bool
	LayoutType        Layouttype4
	Iomode            Layoutiomode4
	Offset            Offset4
	Length            Length4
	Minlength         Length4
	Stateid           Stateid4
	Maxcount          Count4
}

// LAYOUTGET4resok is LAYOUTGET4resok (RFC 5661 §18.43).
type LAYOUTGET4resok struct {
	ReturnOnClose bool
	Stateid       Stateid4
	Layout        []Layout4 `xdr:"max=MaxList"`
}

// LAYOUTGET4res is LAYOUTGET4res (RFC 5661 §18.43).
type LAYOUTGET4res struct {
	Status                Nfsstat4        `xdr:"switch,void=default"`
	Resok4                LAYOUTGET4resok `xdr:"case=NFS4_OK"`
	WillSignalLayoutAvail bool            `xdr:"case=NFS4ERR_LAYOUTTRYLATER"`
}

// LAYOUTRETURN4args is LAYOUTRETURN4args (RFC 5661 §18.44).
type LAYOUTRETURN4args struct {
	Reclaim      bool
	LayoutType   Layouttype4
	Iomode       Layoutiomode4
	Layoutreturn Layoutreturn4
}

// LayoutreturnStateid is layoutreturn_stateid (RFC 5661 §18.44).
type LayoutreturnStateid struct {
	Present bool     `xdr:"switch,void=false"`
	Stateid Stateid4 `xdr:"case=true"`
}

// LAYOUTRETURN4res is LAYOUTRETURN4res (RFC 5661 §18.44).
type LAYOUTRETURN4res struct {
	Status  Nfsstat4            `xdr:"switch,void=default"`
	Stateid LayoutreturnStateid `xdr:"case=NFS4_OK"`
}

// SecinfoStyle4 is secinfo_style4 (RFC 5661 §18.45).
type SecinfoStyle4 uint32

// The secinfo_style4 values.
const (
	SECINFO_STYLE4_CURRENT_FH SecinfoStyle4 = 0
	SECINFO_STYLE4_PARENT     SecinfoStyle4 = 1
)

// SECINFO_NO_NAME4args is SECINFO_NO_NAME4args, a secinfo_style4 (RFC
// 5661 §18.45).
type SECINFO_NO_NAME4args struct {
	Style SecinfoStyle4
}

// SECINFO_NO_NAME4res is SECINFO_NO_NAME4res, the same as SECINFO4res
// (RFC 5661 §18.45).
type SECINFO_NO_NAME4res SECINFO4res

// SEQUENCE4args is SEQUENCE4args (RFC 5661 §18.46).
type SEQUENCE4args struct {
	Sessionid     Sessionid4
	Sequenceid    Sequenceid4
	Slotid        Slotid4
	HighestSlotid Slotid4
	Cachethis     bool
}

// SEQUENCE4resok is SEQUENCE4resok (RFC 5661 §18.46).
type SEQUENCE4resok struct {
	Sessionid           Sessionid4
	Sequenceid          Sequenceid4
	Slotid              Slotid4
	HighestSlotid       Slotid4
	TargetHighestSlotid Slotid4
	StatusFlags         uint32
}

// SEQUENCE4res is SEQUENCE4res (RFC 5661 §18.46).
type SEQUENCE4res struct {
	Status Nfsstat4       `xdr:"switch,void=default"`
	Resok4 SEQUENCE4resok `xdr:"case=NFS4_OK"`
}

// SET_SSV4args is SET_SSV4args (RFC 5661 §18.47).
type SET_SSV4args struct {
	Ssv    []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
	Digest []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
}

// SET_SSV4resok is SET_SSV4resok (RFC 5661 §18.47).
type SET_SSV4resok struct {
	Digest []byte `xdr:"max=NFS4_OPAQUE_LIMIT"`
}

// SET_SSV4res is SET_SSV4res (RFC 5661 §18.47).
type SET_SSV4res struct {
	Status Nfsstat4      `xdr:"switch,void=default"`
	Resok4 SET_SSV4resok `xdr:"case=NFS4_OK"`
}

// TEST_STATEID4args is TEST_STATEID4args (RFC 5661 §18.48).
type TEST_STATEID4args struct {
	Stateids []Stateid4 `xdr:"max=MaxList"`
}

// TEST_STATEID4resok is TEST_STATEID4resok (RFC 5661 §18.48).
type TEST_STATEID4resok struct {
	StatusCodes []Nfsstat4 `xdr:"max=MaxList"`
}

// TEST_STATEID4res is TEST_STATEID4res (RFC 5661 §18.48).
type TEST_STATEID4res struct {
	Status Nfsstat4           `xdr:"switch,void=default"`
	Resok4 TEST_STATEID4resok `xdr:"case=NFS4_OK"`
}

// DelegClaim4 is deleg_claim4 (RFC 5661 §18.49).
type DelegClaim4 struct {
	Claim        OpenClaimType4      `xdr:"switch,void=CLAIM_FH,CLAIM_DELEG_PREV_FH"`
	DelegateType OpenDelegationType4 `xdr:"case=CLAIM_PREVIOUS"`
}

// WANT_DELEGATION4args is WANT_DELEGATION4args (RFC 5661 §18.49).
type WANT_DELEGATION4args struct {
	Want  uint32
	Claim DelegClaim4
}

// WANT_DELEGATION4res is WANT_DELEGATION4res (RFC 5661 §18.49).
type WANT_DELEGATION4res struct {
	Status Nfsstat4        `xdr:"switch,void=default"`
	Resok4 OpenDelegation4 `xdr:"case=NFS4_OK"`
}

// DESTROY_CLIENTID4args is DESTROY_CLIENTID4args (RFC 5661 §18.50).
type DESTROY_CLIENTID4args struct {
	Clientid Clientid4
}

// DESTROY_CLIENTID4res is DESTROY_CLIENTID4res (RFC 5661 §18.50).
type DESTROY_CLIENTID4res struct {
	Status Nfsstat4
}

// RECLAIM_COMPLETE4args is RECLAIM_COMPLETE4args (RFC 5661 §18.51).
type RECLAIM_COMPLETE4args struct {
	OneFs bool
}

// RECLAIM_COMPLETE4res is RECLAIM_COMPLETE4res (RFC 5661 §18.51).
type RECLAIM_COMPLETE4res struct {
	Status Nfsstat4
}

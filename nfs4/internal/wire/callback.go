package wire

// The arguments and results of the callback operations of CB_COMPOUND
// (RFC 3530 §15.2, RFC 5661 §20, RFC 7862), which the server sends and
// whose results it decodes.

// CB_GETATTR4args is CB_GETATTR4args (RFC 3530 §15.2.1, RFC 5661 §20.1).
type CB_GETATTR4args struct {
	Fh          NfsFh4
	AttrRequest Bitmap4
}

// CB_GETATTR4resok is CB_GETATTR4resok (RFC 3530 §15.2.1).
type CB_GETATTR4resok struct {
	ObjAttributes Fattr4
}

// CB_GETATTR4res is CB_GETATTR4res (RFC 3530 §15.2.1).
type CB_GETATTR4res struct {
	Status Nfsstat4         `xdr:"switch,void=default"`
	Resok4 CB_GETATTR4resok `xdr:"case=NFS4_OK"`
}

// CB_RECALL4args is CB_RECALL4args (RFC 3530 §15.2.2, RFC 5661 §20.2).
type CB_RECALL4args struct {
	Stateid  Stateid4
	Truncate bool
	Fh       NfsFh4
}

// CB_RECALL4res is CB_RECALL4res (RFC 3530 §15.2.2).
type CB_RECALL4res struct {
	Status Nfsstat4
}

// CB_ILLEGAL4res is CB_ILLEGAL4res (RFC 3530 §15.2.3, RFC 5661 §20.13).
type CB_ILLEGAL4res struct {
	Status Nfsstat4
}

// LayoutrecallType4 is layoutrecall_type4 (RFC 5661 §20.3).
type LayoutrecallType4 uint32

// The layoutrecall_type4 values.
const (
	LAYOUTRECALL4_FILE LayoutrecallType4 = LAYOUT4_RET_REC_FILE
	LAYOUTRECALL4_FSID LayoutrecallType4 = LAYOUT4_RET_REC_FSID
	LAYOUTRECALL4_ALL  LayoutrecallType4 = LAYOUT4_RET_REC_ALL
)

// LayoutrecallFile4 is layoutrecall_file4 (RFC 5661 §20.3).
type LayoutrecallFile4 struct {
	Fh      NfsFh4
	Offset  Offset4
	Length  Length4
	Stateid Stateid4
}

// Layoutrecall4 is layoutrecall4 (RFC 5661 §20.3).
type Layoutrecall4 struct {
	Recalltype LayoutrecallType4 `xdr:"switch,void=LAYOUTRECALL4_ALL"`
	Layout     LayoutrecallFile4 `xdr:"case=LAYOUTRECALL4_FILE"`
	Fsid       Fsid4             `xdr:"case=LAYOUTRECALL4_FSID"`
}

// CB_LAYOUTRECALL4args is CB_LAYOUTRECALL4args (RFC 5661 §20.3).
type CB_LAYOUTRECALL4args struct {
	Type    Layouttype4
	Iomode  Layoutiomode4
	Changed bool
	Recall  Layoutrecall4
}

// CB_LAYOUTRECALL4res is CB_LAYOUTRECALL4res (RFC 5661 §20.3).
type CB_LAYOUTRECALL4res struct {
	Status Nfsstat4
}

// NotifyType4 is notify_type4 (RFC 5661 §20.4), the bit numbers of
// notify4's mask for directory notifications.
type NotifyType4 uint32

// The notify_type4 values.
const (
	NOTIFY4_CHANGE_CHILD_ATTRS     NotifyType4 = 0
	NOTIFY4_CHANGE_DIR_ATTRS       NotifyType4 = 1
	NOTIFY4_REMOVE_ENTRY           NotifyType4 = 2
	NOTIFY4_ADD_ENTRY              NotifyType4 = 3
	NOTIFY4_RENAME_ENTRY           NotifyType4 = 4
	NOTIFY4_CHANGE_COOKIE_VERIFIER NotifyType4 = 5
)

// NotifyEntry4 is notify_entry4 (RFC 5661 §20.4).
type NotifyEntry4 struct {
	File  Component4
	Attrs Fattr4
}

// PrevEntry4 is prev_entry4 (RFC 5661 §20.4).
type PrevEntry4 struct {
	PrevEntry       NotifyEntry4
	PrevEntryCookie NfsCookie4
}

// NotifyRemove4 is notify_remove4 (RFC 5661 §20.4).
type NotifyRemove4 struct {
	OldEntry       NotifyEntry4
	OldEntryCookie NfsCookie4
}

// NotifyAdd4 is notify_add4 (RFC 5661 §20.4).
type NotifyAdd4 struct {
	OldEntry       []NotifyRemove4 `xdr:"max=1"`
	NewEntry       NotifyEntry4
	NewEntryCookie []NfsCookie4 `xdr:"max=1"`
	PrevEntry      []PrevEntry4 `xdr:"max=1"`
	LastEntry      bool
}

// NotifyAttr4 is notify_attr4 (RFC 5661 §20.4).
type NotifyAttr4 struct {
	ChangedEntry NotifyEntry4
}

// NotifyRename4 is notify_rename4 (RFC 5661 §20.4).
type NotifyRename4 struct {
	OldEntry NotifyRemove4
	NewEntry NotifyAdd4
}

// NotifyVerifier4 is notify_verifier4 (RFC 5661 §20.4).
type NotifyVerifier4 struct {
	OldCookieverf Verifier4
	NewCookieverf Verifier4
}

// Notify4 is notify4 (RFC 5661 §20.4): a mask of notify_type4 (or
// notify_deviceid_type4) bits and the values of those notifications, each
// encoded as its notify_* type, in bit order.
type Notify4 struct {
	NotifyMask Bitmap4
	NotifyVals []byte `xdr:"max=MaxAttrList"`
}

// CB_NOTIFY4args is CB_NOTIFY4args (RFC 5661 §20.4).
type CB_NOTIFY4args struct {
	Stateid Stateid4
	Fh      NfsFh4
	Changes []Notify4 `xdr:"max=MaxList"`
}

// CB_NOTIFY4res is CB_NOTIFY4res (RFC 5661 §20.4).
type CB_NOTIFY4res struct {
	Status Nfsstat4
}

// CB_PUSH_DELEG4args is CB_PUSH_DELEG4args (RFC 5661 §20.5).
type CB_PUSH_DELEG4args struct {
	Fh         NfsFh4
	Delegation OpenDelegation4
}

// CB_PUSH_DELEG4res is CB_PUSH_DELEG4res (RFC 5661 §20.5).
type CB_PUSH_DELEG4res struct {
	Status Nfsstat4
}

// CB_RECALL_ANY4args is CB_RECALL_ANY4args (RFC 5661 §20.6).
type CB_RECALL_ANY4args struct {
	ObjectsToKeep uint32
	TypeMask      Bitmap4
}

// CB_RECALL_ANY4res is CB_RECALL_ANY4res (RFC 5661 §20.6).
type CB_RECALL_ANY4res struct {
	Status Nfsstat4
}

// CB_RECALLABLE_OBJ_AVAIL4args is CB_RECALLABLE_OBJ_AVAIL4args, the same
// as CB_RECALL_ANY4args (RFC 5661 §20.7).
type CB_RECALLABLE_OBJ_AVAIL4args CB_RECALL_ANY4args

// CB_RECALLABLE_OBJ_AVAIL4res is CB_RECALLABLE_OBJ_AVAIL4res (RFC 5661 §20.7).
type CB_RECALLABLE_OBJ_AVAIL4res struct {
	Status Nfsstat4
}

// CB_RECALL_SLOT4args is CB_RECALL_SLOT4args (RFC 5661 §20.8).
type CB_RECALL_SLOT4args struct {
	TargetHighestSlotid Slotid4
}

// CB_RECALL_SLOT4res is CB_RECALL_SLOT4res (RFC 5661 §20.8).
type CB_RECALL_SLOT4res struct {
	Status Nfsstat4
}

// ReferringCall4 is referring_call4 (RFC 5661 §20.9).
type ReferringCall4 struct {
	Sequenceid Sequenceid4
	Slotid     Slotid4
}

// ReferringCallList4 is referring_call_list4 (RFC 5661 §20.9).
type ReferringCallList4 struct {
	Sessionid      Sessionid4
	ReferringCalls []ReferringCall4 `xdr:"max=MaxList"`
}

// CB_SEQUENCE4args is CB_SEQUENCE4args (RFC 5661 §20.9).
type CB_SEQUENCE4args struct {
	Sessionid          Sessionid4
	Sequenceid         Sequenceid4
	Slotid             Slotid4
	HighestSlotid      Slotid4
	Cachethis          bool
	ReferringCallLists []ReferringCallList4 `xdr:"max=MaxList"`
}

// CB_SEQUENCE4resok is CB_SEQUENCE4resok (RFC 5661 §20.9).
type CB_SEQUENCE4resok struct {
	Sessionid           Sessionid4
	Sequenceid          Sequenceid4
	Slotid              Slotid4
	HighestSlotid       Slotid4
	TargetHighestSlotid Slotid4
}

// CB_SEQUENCE4res is CB_SEQUENCE4res (RFC 5661 §20.9).
type CB_SEQUENCE4res struct {
	Status Nfsstat4          `xdr:"switch,void=default"`
	Resok4 CB_SEQUENCE4resok `xdr:"case=NFS4_OK"`
}

// CB_WANTS_CANCELLED4args is CB_WANTS_CANCELLED4args (RFC 5661 §20.10).
type CB_WANTS_CANCELLED4args struct {
	ContendedWantsCancelled bool
	ResourcedWantsCancelled bool
}

// CB_WANTS_CANCELLED4res is CB_WANTS_CANCELLED4res (RFC 5661 §20.10).
type CB_WANTS_CANCELLED4res struct {
	Status Nfsstat4
}

// CB_NOTIFY_LOCK4args is CB_NOTIFY_LOCK4args (RFC 5661 §20.11).
type CB_NOTIFY_LOCK4args struct {
	Fh        NfsFh4
	LockOwner StateOwner4
}

// CB_NOTIFY_LOCK4res is CB_NOTIFY_LOCK4res (RFC 5661 §20.11).
type CB_NOTIFY_LOCK4res struct {
	Status Nfsstat4
}

// NotifyDeviceidType4 is notify_deviceid_type4 (RFC 5661 §20.12).
type NotifyDeviceidType4 uint32

// The notify_deviceid_type4 values.
const (
	NOTIFY_DEVICEID4_CHANGE NotifyDeviceidType4 = 1
	NOTIFY_DEVICEID4_DELETE NotifyDeviceidType4 = 2
)

// NotifyDeviceidDelete4 is notify_deviceid_delete4 (RFC 5661 §20.12).
type NotifyDeviceidDelete4 struct {
	Layouttype Layouttype4
	Deviceid   Deviceid4
}

// NotifyDeviceidChange4 is notify_deviceid_change4 (RFC 5661 §20.12).
type NotifyDeviceidChange4 struct {
	Layouttype Layouttype4
	Deviceid   Deviceid4
	Immediate  bool
}

// CB_NOTIFY_DEVICEID4args is CB_NOTIFY_DEVICEID4args (RFC 5661 §20.12).
type CB_NOTIFY_DEVICEID4args struct {
	Changes []Notify4 `xdr:"max=MaxList"`
}

// CB_NOTIFY_DEVICEID4res is CB_NOTIFY_DEVICEID4res (RFC 5661 §20.12).
type CB_NOTIFY_DEVICEID4res struct {
	Status Nfsstat4
}

// OffloadInfo4 is offload_info4 (RFC 7862): the write response on
// success, else the bytes copied.
type OffloadInfo4 struct {
	Status      Nfsstat4       `xdr:"switch"`
	Resok4      WriteResponse4 `xdr:"case=NFS4_OK"`
	BytesCopied Length4        `xdr:"default"`
}

// CB_OFFLOAD4args is CB_OFFLOAD4args (RFC 7862).
type CB_OFFLOAD4args struct {
	Fh          NfsFh4
	Stateid     Stateid4
	OffloadInfo OffloadInfo4
}

// CB_OFFLOAD4res is CB_OFFLOAD4res (RFC 7862).
type CB_OFFLOAD4res struct {
	Status Nfsstat4
}

package wire

// The arguments and results of the operations added by NFSv4.2 (RFC 7862)
// and by the extended attribute extension (RFC 8276).

// DataContent4 is data_content4 (RFC 7862).
type DataContent4 uint32

// The data_content4 values.
const (
	NFS4_CONTENT_DATA DataContent4 = 0
	NFS4_CONTENT_HOLE DataContent4 = 1
)

// WriteResponse4 is write_response4 (RFC 7862).
type WriteResponse4 struct {
	CallbackID []Stateid4 `xdr:"max=1"`
	Count      Length4
	Committed  StableHow4
	Writeverf  Verifier4
}

// ALLOCATE4args is ALLOCATE4args (RFC 7862).
type ALLOCATE4args struct {
	Stateid Stateid4
	Offset  Offset4
	Length  Length4
}

// ALLOCATE4res is ALLOCATE4res (RFC 7862).
type ALLOCATE4res struct {
	Status Nfsstat4
}

// COPY4args is COPY4args (RFC 7862).
type COPY4args struct {
	SrcStateid   Stateid4
	DstStateid   Stateid4
	SrcOffset    Offset4
	DstOffset    Offset4
	Count        Length4
	Consecutive  bool
	Synchronous  bool
	SourceServer []Netloc4 `xdr:"max=MaxList"`
}

// CopyRequirements4 is copy_requirements4 (RFC 7862).
type CopyRequirements4 struct {
	Consecutive bool
	Synchronous bool
}

// COPY4resok is COPY4resok (RFC 7862).
type COPY4resok struct {
	Response     WriteResponse4
	Requirements CopyRequirements4
}

// COPY4res is COPY4res (RFC 7862).
type COPY4res struct {
	Status       Nfsstat4          `xdr:"switch,void=default"`
	Resok4       COPY4resok        `xdr:"case=NFS4_OK"`
	Requirements CopyRequirements4 `xdr:"case=NFS4ERR_OFFLOAD_NO_REQS"`
}

// COPY_NOTIFY4args is COPY_NOTIFY4args (RFC 7862).
type COPY_NOTIFY4args struct {
	SrcStateid        Stateid4
	DestinationServer Netloc4
}

// COPY_NOTIFY4resok is COPY_NOTIFY4resok (RFC 7862).
type COPY_NOTIFY4resok struct {
	LeaseTime    Nfstime4
	Stateid      Stateid4
	SourceServer []Netloc4 `xdr:"max=MaxList"`
}

// COPY_NOTIFY4res is COPY_NOTIFY4res (RFC 7862).
type COPY_NOTIFY4res struct {
	Status Nfsstat4          `xdr:"switch,void=default"`
	Resok4 COPY_NOTIFY4resok `xdr:"case=NFS4_OK"`
}

// OFFLOAD_CANCEL4args is OFFLOAD_CANCEL4args (RFC 7862).
type OFFLOAD_CANCEL4args struct {
	Stateid Stateid4
}

// OFFLOAD_CANCEL4res is OFFLOAD_CANCEL4res (RFC 7862).
type OFFLOAD_CANCEL4res struct {
	Status Nfsstat4
}

// OFFLOAD_STATUS4args is OFFLOAD_STATUS4args (RFC 7862).
type OFFLOAD_STATUS4args struct {
	Stateid Stateid4
}

// OFFLOAD_STATUS4resok is OFFLOAD_STATUS4resok (RFC 7862).
type OFFLOAD_STATUS4resok struct {
	Count    Length4
	Complete []Nfsstat4 `xdr:"max=1"`
}

// OFFLOAD_STATUS4res is OFFLOAD_STATUS4res (RFC 7862).
type OFFLOAD_STATUS4res struct {
	Status Nfsstat4             `xdr:"switch,void=default"`
	Resok4 OFFLOAD_STATUS4resok `xdr:"case=NFS4_OK"`
}

// DEALLOCATE4args is DEALLOCATE4args (RFC 7862).
type DEALLOCATE4args struct {
	Stateid Stateid4
	Offset  Offset4
	Length  Length4
}

// DEALLOCATE4res is DEALLOCATE4res (RFC 7862).
type DEALLOCATE4res struct {
	Status Nfsstat4
}

// IO_ADVISE_type4 is IO_ADVISE_type4 (RFC 7862), the bit numbers of the
// hints bitmap.
type IO_ADVISE_type4 uint32

// The IO_ADVISE_type4 values.
const (
	IO_ADVISE4_NORMAL                 IO_ADVISE_type4 = 0
	IO_ADVISE4_SEQUENTIAL             IO_ADVISE_type4 = 1
	IO_ADVISE4_SEQUENTIAL_BACKWARDS   IO_ADVISE_type4 = 2
	IO_ADVISE4_RANDOM                 IO_ADVISE_type4 = 3
	IO_ADVISE4_WILLNEED               IO_ADVISE_type4 = 4
	IO_ADVISE4_WILLNEED_OPPORTUNISTIC IO_ADVISE_type4 = 5
	IO_ADVISE4_DONTNEED               IO_ADVISE_type4 = 6
	IO_ADVISE4_NOREUSE                IO_ADVISE_type4 = 7
	IO_ADVISE4_READ                   IO_ADVISE_type4 = 8
	IO_ADVISE4_WRITE                  IO_ADVISE_type4 = 9
	IO_ADVISE4_INIT_PROXIMITY         IO_ADVISE_type4 = 10
)

// IO_ADVISE4args is IO_ADVISE4args (RFC 7862).
type IO_ADVISE4args struct {
	Stateid Stateid4
	Offset  Offset4
	Count   Length4
	Hints   Bitmap4
}

// IO_ADVISE4resok is IO_ADVISE4resok (RFC 7862).
type IO_ADVISE4resok struct {
	Hints Bitmap4
}

// IO_ADVISE4res is IO_ADVISE4res (RFC 7862).
type IO_ADVISE4res struct {
	Status Nfsstat4        `xdr:"switch,void=default"`
	Resok4 IO_ADVISE4resok `xdr:"case=NFS4_OK"`
}

// DeviceError4 is device_error4 (RFC 7862).
type DeviceError4 struct {
	DeviceID Deviceid4
	Status   Nfsstat4
	Opnum    NfsOpnum4
}

// LAYOUTERROR4args is LAYOUTERROR4args (RFC 7862).
type LAYOUTERROR4args struct {
	Offset  Offset4
	Length  Length4
	Stateid Stateid4
	Errors  []DeviceError4 `xdr:"max=MaxList"`
}

// LAYOUTERROR4res is LAYOUTERROR4res (RFC 7862).
type LAYOUTERROR4res struct {
	Status Nfsstat4
}

// IoInfo4 is io_info4 (RFC 7862).
type IoInfo4 struct {
	Count uint64
	Bytes uint64
}

// LAYOUTSTATS4args is LAYOUTSTATS4args (RFC 7862).
type LAYOUTSTATS4args struct {
	Offset       Offset4
	Length       Length4
	Stateid      Stateid4
	Read         IoInfo4
	Write        IoInfo4
	DeviceID     Deviceid4
	Layoutupdate Layoutupdate4
}

// LAYOUTSTATS4res is LAYOUTSTATS4res (RFC 7862).
type LAYOUTSTATS4res struct {
	Status Nfsstat4
}

// READ_PLUS4args is READ_PLUS4args (RFC 7862).
type READ_PLUS4args struct {
	Stateid Stateid4
	Offset  Offset4
	Count   Count4
}

// Data4 is data4 (RFC 7862).
type Data4 struct {
	Offset Offset4
	Data   []byte `xdr:"max=MaxData"`
}

// DataInfo4 is data_info4 (RFC 7862).
type DataInfo4 struct {
	Offset Offset4
	Length Length4
}

// ReadPlusContent is read_plus_content (RFC 7862).
type ReadPlusContent struct {
	Content DataContent4 `xdr:"switch,void=default"`
	Data    Data4        `xdr:"case=NFS4_CONTENT_DATA"`
	Hole    DataInfo4    `xdr:"case=NFS4_CONTENT_HOLE"`
}

// ReadPlusRes4 is read_plus_res4 (RFC 7862).
type ReadPlusRes4 struct {
	EOF      bool
	Contents []ReadPlusContent `xdr:"max=MaxSegments"`
}

// READ_PLUS4res is READ_PLUS4res (RFC 7862).
type READ_PLUS4res struct {
	Status Nfsstat4     `xdr:"switch,void=default"`
	Resok4 ReadPlusRes4 `xdr:"case=NFS4_OK"`
}

// SEEK4args is SEEK4args (RFC 7862).
type SEEK4args struct {
	Stateid Stateid4
	Offset  Offset4
	What    DataContent4
}

// SeekRes4 is seek_res4 (RFC 7862).
type SeekRes4 struct {
	EOF    bool
	Offset Offset4
}

// SEEK4res is SEEK4res (RFC 7862).
type SEEK4res struct {
	Status Nfsstat4 `xdr:"switch,void=default"`
	Resok4 SeekRes4 `xdr:"case=NFS4_OK"`
}

// AppDataBlock4 is app_data_block4 (RFC 7862).
type AppDataBlock4 struct {
	Offset         Offset4
	BlockSize      Length4
	BlockCount     Length4
	ReloffBlocknum Length4
	BlockNum       Count4
	ReloffPattern  Length4
	Pattern        []byte `xdr:"max=MaxData"`
}

// WRITE_SAME4args is WRITE_SAME4args (RFC 7862).
type WRITE_SAME4args struct {
	Stateid Stateid4
	Stable  StableHow4
	Adb     AppDataBlock4
}

// WRITE_SAME4res is WRITE_SAME4res (RFC 7862).
type WRITE_SAME4res struct {
	Status Nfsstat4       `xdr:"switch,void=default"`
	Resok4 WriteResponse4 `xdr:"case=NFS4_OK"`
}

// CLONE4args is CLONE4args (RFC 7862).
type CLONE4args struct {
	SrcStateid Stateid4
	DstStateid Stateid4
	SrcOffset  Offset4
	DstOffset  Offset4
	Count      Length4
}

// CLONE4res is CLONE4res (RFC 7862).
type CLONE4res struct {
	Status Nfsstat4
}

// Xattrkey4 is xattrkey4, a component4 (RFC 8276).
//
//xdr:max=MaxComponent
type Xattrkey4 string

// Xattrvalue4 is xattrvalue4 (RFC 8276). It aliases the record.
//
//xdr:max=MaxData
type Xattrvalue4 []byte

// GETXATTR4args is GETXATTR4args (RFC 8276).
type GETXATTR4args struct {
	Name Xattrkey4
}

// GETXATTR4res is GETXATTR4res (RFC 8276).
type GETXATTR4res struct {
	Status Nfsstat4    `xdr:"switch,void=default"`
	Value  Xattrvalue4 `xdr:"case=NFS4_OK"`
}

// SetxattrOption4 is setxattr_option4 (RFC 8276).
type SetxattrOption4 uint32

// The setxattr_option4 values.
const (
	SETXATTR4_EITHER  SetxattrOption4 = 0
	SETXATTR4_CREATE  SetxattrOption4 = 1
	SETXATTR4_REPLACE SetxattrOption4 = 2
)

// SETXATTR4args is SETXATTR4args (RFC 8276).
type SETXATTR4args struct {
	Option SetxattrOption4
	Key    Xattrkey4
	Value  Xattrvalue4
}

// SETXATTR4res is SETXATTR4res (RFC 8276).
type SETXATTR4res struct {
	Status Nfsstat4    `xdr:"switch,void=default"`
	Info   ChangeInfo4 `xdr:"case=NFS4_OK"`
}

// LISTXATTRS4args is LISTXATTRS4args (RFC 8276).
type LISTXATTRS4args struct {
	Cookie   NfsCookie4
	Maxcount Count4
}

// LISTXATTRS4resok is LISTXATTRS4resok (RFC 8276).
type LISTXATTRS4resok struct {
	Cookie NfsCookie4
	Names  []Xattrkey4 `xdr:"max=MaxXattrNames"`
	EOF    bool
}

// LISTXATTRS4res is LISTXATTRS4res (RFC 8276).
type LISTXATTRS4res struct {
	Status Nfsstat4         `xdr:"switch,void=default"`
	Value  LISTXATTRS4resok `xdr:"case=NFS4_OK"`
}

// REMOVEXATTR4args is REMOVEXATTR4args (RFC 8276).
type REMOVEXATTR4args struct {
	Name Xattrkey4
}

// REMOVEXATTR4res is REMOVEXATTR4res (RFC 8276).
type REMOVEXATTR4res struct {
	Status Nfsstat4    `xdr:"switch,void=default"`
	Info   ChangeInfo4 `xdr:"case=NFS4_OK"`
}

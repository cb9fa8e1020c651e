package wire

// Program, version and procedure numbers: NFSv4 (RFC 3530 §14.2, RFC 5661
// §16) and the callback program (RFC 3530 §15, RFC 5661 §19). The callback
// program number is chosen by the client (cb_program of SETCLIENTID or
// CREATE_SESSION); NFS4_CALLBACK is the conventional one.
const (
	NFS4_PROGRAM      = 100003
	NFS_V4            = 4
	NFSPROC4_NULL     = 0
	NFSPROC4_COMPOUND = 1

	NFS4_CALLBACK = 0x40000000
	NFS_CB        = 1
	CB_NULL       = 0
	CB_COMPOUND   = 1
)

// RPC authentication flavors used inside NFSv4 arguments (secinfo4,
// callback_sec_parms4; RFC 5531 §8.2, RFC 2203).
const (
	AUTH_NONE  = 0
	AUTH_SYS   = 1
	RPCSEC_GSS = 6
)

// Sizes fixed by the protocol (RFC 3530 §2.2, RFC 5661 §3.1).
const (
	NFS4_FHSIZE         = 128
	NFS4_VERIFIER_SIZE  = 8
	NFS4_OTHER_SIZE     = 12
	NFS4_OPAQUE_LIMIT   = 1024
	NFS4_SESSIONID_SIZE = 16
	NFS4_DEVICEID4_SIZE = 16

	NFS4_INT64_MAX  = 0x7fffffffffffffff
	NFS4_UINT64_MAX = 0xffffffffffffffff
	NFS4_INT32_MAX  = 0x7fffffff
	NFS4_UINT32_MAX = 0xffffffff

	NFS4_MAXFILELEN = 0xffffffffffffffff
	NFS4_MAXFILEOFF = 0xfffffffffffffffe
)

// Bounds this package puts on variable-length fields that the RFCs leave
// unbounded. Each is explained in the package documentation: they are
// large enough for any client seen in practice, so that an over-long value
// reaches the server and is answered with the RFC's error (NAMETOOLONG,
// INVAL, XATTR2BIG…) rather than BADXDR, and small enough that a hostile
// record cannot make the decoder allocate much more than the record.
const (
	// MaxComponent bounds component4 (a file, link or xattr name).
	MaxComponent = 1024
	// MaxUTF8 bounds the other UTF-8 strings: tags, owners, ACE whos,
	// server names, implementation ids, status strings.
	MaxUTF8 = 4096
	// MaxPathComponents bounds pathname4 (fs_locations roots).
	MaxPathComponents = 1024
	// MaxLinktext bounds linktext4, a symbolic link's target.
	MaxLinktext = 8192
	// MaxBitmapWords bounds bitmap4: 64 words are 2048 bits, beyond every
	// defined attribute, notification and hint number.
	MaxBitmapWords = 64
	// MaxAttrList bounds attrlist4, the encoded attribute values of one
	// fattr4 (an ACL of MaxACEs entries with long whos fits).
	MaxAttrList = 1 << 20
	// MaxData bounds READ, WRITE, READ_PLUS and WRITE_SAME payloads and
	// xattr values: above any read or write size a client negotiates.
	MaxData = 16 << 20
	// MaxACEs bounds an ACL (fattr4_acl, nfsacl41).
	MaxACEs = 4096
	// MaxSecinfo bounds the security flavor list of SECINFO.
	MaxSecinfo = 256
	// MaxList bounds the other arrays of small elements: fs_locations,
	// netlocs, stateids of TEST_STATEID, callback security parameters,
	// layouts, device errors, referring calls, notifications.
	MaxList = 1024
	// MaxDirEntries bounds the entries of one READDIR reply.
	MaxDirEntries = 1 << 17
	// MaxXattrNames bounds the names of one LISTXATTRS reply.
	MaxXattrNames = 1 << 16
	// MaxSegments bounds the data and hole segments of one READ_PLUS reply.
	MaxSegments = 1 << 16
	// MaxNetString bounds netaddr4's netid and universal address.
	MaxNetString = 256
	// MaxLabel bounds sec_label4 data (NFSv4.2 security labels).
	MaxLabel = 4096
	// MaxBody bounds the layout-type-specific bodies of pNFS structures.
	MaxBody = 1 << 20
)

// Nfsstat4 is nfsstat4 (RFC 3530 §12, RFC 5661 §15, RFC 7862, RFC
// 8276). It is not range-checked: the status of a reply may be one
// this package does not know.
type Nfsstat4 uint32

// The nfsstat4 values.
const (
	NFS4_OK                           Nfsstat4 = 0
	NFS4ERR_PERM                      Nfsstat4 = 1
	NFS4ERR_NOENT                     Nfsstat4 = 2
	NFS4ERR_IO                        Nfsstat4 = 5
	NFS4ERR_NXIO                      Nfsstat4 = 6
	NFS4ERR_ACCESS                    Nfsstat4 = 13
	NFS4ERR_EXIST                     Nfsstat4 = 17
	NFS4ERR_XDEV                      Nfsstat4 = 18
	NFS4ERR_NOTDIR                    Nfsstat4 = 20
	NFS4ERR_ISDIR                     Nfsstat4 = 21
	NFS4ERR_INVAL                     Nfsstat4 = 22
	NFS4ERR_FBIG                      Nfsstat4 = 27
	NFS4ERR_NOSPC                     Nfsstat4 = 28
	NFS4ERR_ROFS                      Nfsstat4 = 30
	NFS4ERR_MLINK                     Nfsstat4 = 31
	NFS4ERR_NAMETOOLONG               Nfsstat4 = 63
	NFS4ERR_NOTEMPTY                  Nfsstat4 = 66
	NFS4ERR_DQUOT                     Nfsstat4 = 69
	NFS4ERR_STALE                     Nfsstat4 = 70
	NFS4ERR_BADHANDLE                 Nfsstat4 = 10001
	NFS4ERR_BAD_COOKIE                Nfsstat4 = 10003
	NFS4ERR_NOTSUPP                   Nfsstat4 = 10004
	NFS4ERR_TOOSMALL                  Nfsstat4 = 10005
	NFS4ERR_SERVERFAULT               Nfsstat4 = 10006
	NFS4ERR_BADTYPE                   Nfsstat4 = 10007
	NFS4ERR_DELAY                     Nfsstat4 = 10008
	NFS4ERR_SAME                      Nfsstat4 = 10009
	NFS4ERR_DENIED                    Nfsstat4 = 10010
	NFS4ERR_EXPIRED                   Nfsstat4 = 10011
	NFS4ERR_LOCKED                    Nfsstat4 = 10012
	NFS4ERR_GRACE                     Nfsstat4 = 10013
	NFS4ERR_FHEXPIRED                 Nfsstat4 = 10014
	NFS4ERR_SHARE_DENIED              Nfsstat4 = 10015
	NFS4ERR_WRONGSEC                  Nfsstat4 = 10016
	NFS4ERR_CLID_INUSE                Nfsstat4 = 10017
	NFS4ERR_RESOURCE                  Nfsstat4 = 10018
	NFS4ERR_MOVED                     Nfsstat4 = 10019
	NFS4ERR_NOFILEHANDLE              Nfsstat4 = 10020
	NFS4ERR_MINOR_VERS_MISMATCH       Nfsstat4 = 10021
	NFS4ERR_STALE_CLIENTID            Nfsstat4 = 10022
	NFS4ERR_STALE_STATEID             Nfsstat4 = 10023
	NFS4ERR_OLD_STATEID               Nfsstat4 = 10024
	NFS4ERR_BAD_STATEID               Nfsstat4 = 10025
	NFS4ERR_BAD_SEQID                 Nfsstat4 = 10026
	NFS4ERR_NOT_SAME                  Nfsstat4 = 10027
	NFS4ERR_LOCK_RANGE                Nfsstat4 = 10028
	NFS4ERR_SYMLINK                   Nfsstat4 = 10029
	NFS4ERR_RESTOREFH                 Nfsstat4 = 10030
	NFS4ERR_LEASE_MOVED               Nfsstat4 = 10031
	NFS4ERR_ATTRNOTSUPP               Nfsstat4 = 10032
	NFS4ERR_NO_GRACE                  Nfsstat4 = 10033
	NFS4ERR_RECLAIM_BAD               Nfsstat4 = 10034
	NFS4ERR_RECLAIM_CONFLICT          Nfsstat4 = 10035
	NFS4ERR_BADXDR                    Nfsstat4 = 10036
	NFS4ERR_LOCKS_HELD                Nfsstat4 = 10037
	NFS4ERR_OPENMODE                  Nfsstat4 = 10038
	NFS4ERR_BADOWNER                  Nfsstat4 = 10039
	NFS4ERR_BADCHAR                   Nfsstat4 = 10040
	NFS4ERR_BADNAME                   Nfsstat4 = 10041
	NFS4ERR_BAD_RANGE                 Nfsstat4 = 10042
	NFS4ERR_LOCK_NOTSUPP              Nfsstat4 = 10043
	NFS4ERR_OP_ILLEGAL                Nfsstat4 = 10044
	NFS4ERR_DEADLOCK                  Nfsstat4 = 10045
	NFS4ERR_FILE_OPEN                 Nfsstat4 = 10046
	NFS4ERR_ADMIN_REVOKED             Nfsstat4 = 10047
	NFS4ERR_CB_PATH_DOWN              Nfsstat4 = 10048
	NFS4ERR_BADIOMODE                 Nfsstat4 = 10049
	NFS4ERR_BADLAYOUT                 Nfsstat4 = 10050
	NFS4ERR_BAD_SESSION_DIGEST        Nfsstat4 = 10051
	NFS4ERR_BADSESSION                Nfsstat4 = 10052
	NFS4ERR_BADSLOT                   Nfsstat4 = 10053
	NFS4ERR_COMPLETE_ALREADY          Nfsstat4 = 10054
	NFS4ERR_CONN_NOT_BOUND_TO_SESSION Nfsstat4 = 10055
	NFS4ERR_DELEG_ALREADY_WANTED      Nfsstat4 = 10056
	NFS4ERR_BACK_CHAN_BUSY            Nfsstat4 = 10057
	NFS4ERR_LAYOUTTRYLATER            Nfsstat4 = 10058
	NFS4ERR_LAYOUTUNAVAILABLE         Nfsstat4 = 10059
	NFS4ERR_NOMATCHING_LAYOUT         Nfsstat4 = 10060
	NFS4ERR_RECALLCONFLICT            Nfsstat4 = 10061
	NFS4ERR_UNKNOWN_LAYOUTTYPE        Nfsstat4 = 10062
	NFS4ERR_SEQ_MISORDERED            Nfsstat4 = 10063
	NFS4ERR_SEQUENCE_POS              Nfsstat4 = 10064
	NFS4ERR_REQ_TOO_BIG               Nfsstat4 = 10065
	NFS4ERR_REP_TOO_BIG               Nfsstat4 = 10066
	NFS4ERR_REP_TOO_BIG_TO_CACHE      Nfsstat4 = 10067
	NFS4ERR_RETRY_UNCACHED_REP        Nfsstat4 = 10068
	NFS4ERR_UNSAFE_COMPOUND           Nfsstat4 = 10069
	NFS4ERR_TOO_MANY_OPS              Nfsstat4 = 10070
	NFS4ERR_OP_NOT_IN_SESSION         Nfsstat4 = 10071
	NFS4ERR_HASH_ALG_UNSUPP           Nfsstat4 = 10072
	NFS4ERR_CLIENTID_BUSY             Nfsstat4 = 10074
	NFS4ERR_PNFS_IO_HOLE              Nfsstat4 = 10075
	NFS4ERR_SEQ_FALSE_RETRY           Nfsstat4 = 10076
	NFS4ERR_BAD_HIGH_SLOT             Nfsstat4 = 10077
	NFS4ERR_DEADSESSION               Nfsstat4 = 10078
	NFS4ERR_ENCR_ALG_UNSUPP           Nfsstat4 = 10079
	NFS4ERR_PNFS_NO_LAYOUT            Nfsstat4 = 10080
	NFS4ERR_NOT_ONLY_OP               Nfsstat4 = 10081
	NFS4ERR_WRONG_CRED                Nfsstat4 = 10082
	NFS4ERR_WRONG_TYPE                Nfsstat4 = 10083
	NFS4ERR_DIRDELEG_UNAVAIL          Nfsstat4 = 10084
	NFS4ERR_REJECT_DELEG              Nfsstat4 = 10085
	NFS4ERR_RETURNCONFLICT            Nfsstat4 = 10086
	NFS4ERR_DELEG_REVOKED             Nfsstat4 = 10087
	NFS4ERR_PARTNER_NOTSUPP           Nfsstat4 = 10088
	NFS4ERR_PARTNER_NO_AUTH           Nfsstat4 = 10089
	NFS4ERR_UNION_NOTSUPP             Nfsstat4 = 10090
	NFS4ERR_OFFLOAD_DENIED            Nfsstat4 = 10091
	NFS4ERR_WRONG_LFS                 Nfsstat4 = 10092
	NFS4ERR_BADLABEL                  Nfsstat4 = 10093
	NFS4ERR_OFFLOAD_NO_REQS           Nfsstat4 = 10094
	NFS4ERR_NOXATTR                   Nfsstat4 = 10095
	NFS4ERR_XATTR2BIG                 Nfsstat4 = 10096
)

// NfsOpnum4 is nfs_opnum4, the operation numbers of COMPOUND (RFC 3530
// §14.2, RFC 5661 §16.2, RFC 7862, RFC 8276).
type NfsOpnum4 uint32

// The nfs_opnum4 values. OP_ACCESS … OP_RELEASE_LOCKOWNER are NFSv4.0;
// OP_BACKCHANNEL_CTL … OP_RECLAIM_COMPLETE were added by NFSv4.1;
// OP_ALLOCATE … OP_CLONE by NFSv4.2 and OP_GETXATTR … OP_REMOVEXATTR by
// RFC 8276.
const (
	OP_ACCESS               NfsOpnum4 = 3
	OP_CLOSE                NfsOpnum4 = 4
	OP_COMMIT               NfsOpnum4 = 5
	OP_CREATE               NfsOpnum4 = 6
	OP_DELEGPURGE           NfsOpnum4 = 7
	OP_DELEGRETURN          NfsOpnum4 = 8
	OP_GETATTR              NfsOpnum4 = 9
	OP_GETFH                NfsOpnum4 = 10
	OP_LINK                 NfsOpnum4 = 11
	OP_LOCK                 NfsOpnum4 = 12
	OP_LOCKT                NfsOpnum4 = 13
	OP_LOCKU                NfsOpnum4 = 14
	OP_LOOKUP               NfsOpnum4 = 15
	OP_LOOKUPP              NfsOpnum4 = 16
	OP_NVERIFY              NfsOpnum4 = 17
	OP_OPEN                 NfsOpnum4 = 18
	OP_OPENATTR             NfsOpnum4 = 19
	OP_OPEN_CONFIRM         NfsOpnum4 = 20
	OP_OPEN_DOWNGRADE       NfsOpnum4 = 21
	OP_PUTFH                NfsOpnum4 = 22
	OP_PUTPUBFH             NfsOpnum4 = 23
	OP_PUTROOTFH            NfsOpnum4 = 24
	OP_READ                 NfsOpnum4 = 25
	OP_READDIR              NfsOpnum4 = 26
	OP_READLINK             NfsOpnum4 = 27
	OP_REMOVE               NfsOpnum4 = 28
	OP_RENAME               NfsOpnum4 = 29
	OP_RENEW                NfsOpnum4 = 30
	OP_RESTOREFH            NfsOpnum4 = 31
	OP_SAVEFH               NfsOpnum4 = 32
	OP_SECINFO              NfsOpnum4 = 33
	OP_SETATTR              NfsOpnum4 = 34
	OP_SETCLIENTID          NfsOpnum4 = 35
	OP_SETCLIENTID_CONFIRM  NfsOpnum4 = 36
	OP_VERIFY               NfsOpnum4 = 37
	OP_WRITE                NfsOpnum4 = 38
	OP_RELEASE_LOCKOWNER    NfsOpnum4 = 39
	OP_BACKCHANNEL_CTL      NfsOpnum4 = 40
	OP_BIND_CONN_TO_SESSION NfsOpnum4 = 41
	OP_EXCHANGE_ID          NfsOpnum4 = 42
	OP_CREATE_SESSION       NfsOpnum4 = 43
	OP_DESTROY_SESSION      NfsOpnum4 = 44
	OP_FREE_STATEID         NfsOpnum4 = 45
	OP_GET_DIR_DELEGATION   NfsOpnum4 = 46
	OP_GETDEVICEINFO        NfsOpnum4 = 47
	OP_GETDEVICELIST        NfsOpnum4 = 48
	OP_LAYOUTCOMMIT         NfsOpnum4 = 49
	OP_LAYOUTGET            NfsOpnum4 = 50
	OP_LAYOUTRETURN         NfsOpnum4 = 51
	OP_SECINFO_NO_NAME      NfsOpnum4 = 52
	OP_SEQUENCE             NfsOpnum4 = 53
	OP_SET_SSV              NfsOpnum4 = 54
	OP_TEST_STATEID         NfsOpnum4 = 55
	OP_WANT_DELEGATION      NfsOpnum4 = 56
	OP_DESTROY_CLIENTID     NfsOpnum4 = 57
	OP_RECLAIM_COMPLETE     NfsOpnum4 = 58
	OP_ALLOCATE             NfsOpnum4 = 59
	OP_COPY                 NfsOpnum4 = 60
	OP_COPY_NOTIFY          NfsOpnum4 = 61
	OP_DEALLOCATE           NfsOpnum4 = 62
	OP_IO_ADVISE            NfsOpnum4 = 63
	OP_LAYOUTERROR          NfsOpnum4 = 64
	OP_LAYOUTSTATS          NfsOpnum4 = 65
	OP_OFFLOAD_CANCEL       NfsOpnum4 = 66
	OP_OFFLOAD_STATUS       NfsOpnum4 = 67
	OP_READ_PLUS            NfsOpnum4 = 68
	OP_SEEK                 NfsOpnum4 = 69
	OP_WRITE_SAME           NfsOpnum4 = 70
	OP_CLONE                NfsOpnum4 = 71
	OP_GETXATTR             NfsOpnum4 = 72
	OP_SETXATTR             NfsOpnum4 = 73
	OP_LISTXATTRS           NfsOpnum4 = 74
	OP_REMOVEXATTR          NfsOpnum4 = 75
	OP_ILLEGAL              NfsOpnum4 = 10044
)

// NfsCbOpnum4 is nfs_cb_opnum4, the operation numbers of CB_COMPOUND (RFC
// 3530 §15.2, RFC 5661 §20, RFC 7862).
type NfsCbOpnum4 uint32

// The nfs_cb_opnum4 values. OP_CB_GETATTR and OP_CB_RECALL are NFSv4.0;
// OP_CB_OFFLOAD is NFSv4.2; the others were added by NFSv4.1.
const (
	OP_CB_GETATTR              NfsCbOpnum4 = 3
	OP_CB_RECALL               NfsCbOpnum4 = 4
	OP_CB_LAYOUTRECALL         NfsCbOpnum4 = 5
	OP_CB_NOTIFY               NfsCbOpnum4 = 6
	OP_CB_PUSH_DELEG           NfsCbOpnum4 = 7
	OP_CB_RECALL_ANY           NfsCbOpnum4 = 8
	OP_CB_RECALLABLE_OBJ_AVAIL NfsCbOpnum4 = 9
	OP_CB_RECALL_SLOT          NfsCbOpnum4 = 10
	OP_CB_SEQUENCE             NfsCbOpnum4 = 11
	OP_CB_WANTS_CANCELLED      NfsCbOpnum4 = 12
	OP_CB_NOTIFY_LOCK          NfsCbOpnum4 = 13
	OP_CB_NOTIFY_DEVICEID      NfsCbOpnum4 = 14
	OP_CB_OFFLOAD              NfsCbOpnum4 = 15
	OP_CB_ILLEGAL              NfsCbOpnum4 = 10044
)

// Attribute numbers, the bit positions of bitmap4 in fattr4 (RFC 3530
// §5.5-5.6, RFC 5661 §5.6-5.7, RFC 7862, RFC 8276, and the
// delegation-timestamp and open-arguments attributes of RFC 9754). The
// package documentation lists the Go type of each value.
const (
	// REQUIRED attributes.
	FATTR4_SUPPORTED_ATTRS    = 0
	FATTR4_TYPE               = 1
	FATTR4_FH_EXPIRE_TYPE     = 2
	FATTR4_CHANGE             = 3
	FATTR4_SIZE               = 4
	FATTR4_LINK_SUPPORT       = 5
	FATTR4_SYMLINK_SUPPORT    = 6
	FATTR4_NAMED_ATTR         = 7
	FATTR4_FSID               = 8
	FATTR4_UNIQUE_HANDLES     = 9
	FATTR4_LEASE_TIME         = 10
	FATTR4_RDATTR_ERROR       = 11
	FATTR4_FILEHANDLE         = 19
	FATTR4_SUPPATTR_EXCLCREAT = 75

	// RECOMMENDED attributes.
	FATTR4_ACL               = 12
	FATTR4_ACLSUPPORT        = 13
	FATTR4_ARCHIVE           = 14
	FATTR4_CANSETTIME        = 15
	FATTR4_CASE_INSENSITIVE  = 16
	FATTR4_CASE_PRESERVING   = 17
	FATTR4_CHOWN_RESTRICTED  = 18
	FATTR4_FILEID            = 20
	FATTR4_FILES_AVAIL       = 21
	FATTR4_FILES_FREE        = 22
	FATTR4_FILES_TOTAL       = 23
	FATTR4_FS_LOCATIONS      = 24
	FATTR4_HIDDEN            = 25
	FATTR4_HOMOGENEOUS       = 26
	FATTR4_MAXFILESIZE       = 27
	FATTR4_MAXLINK           = 28
	FATTR4_MAXNAME           = 29
	FATTR4_MAXREAD           = 30
	FATTR4_MAXWRITE          = 31
	FATTR4_MIMETYPE          = 32
	FATTR4_MODE              = 33
	FATTR4_NO_TRUNC          = 34
	FATTR4_NUMLINKS          = 35
	FATTR4_OWNER             = 36
	FATTR4_OWNER_GROUP       = 37
	FATTR4_QUOTA_AVAIL_HARD  = 38
	FATTR4_QUOTA_AVAIL_SOFT  = 39
	FATTR4_QUOTA_USED        = 40
	FATTR4_RAWDEV            = 41
	FATTR4_SPACE_AVAIL       = 42
	FATTR4_SPACE_FREE        = 43
	FATTR4_SPACE_TOTAL       = 44
	FATTR4_SPACE_USED        = 45
	FATTR4_SYSTEM            = 46
	FATTR4_TIME_ACCESS       = 47
	FATTR4_TIME_ACCESS_SET   = 48
	FATTR4_TIME_BACKUP       = 49
	FATTR4_TIME_CREATE       = 50
	FATTR4_TIME_DELTA        = 51
	FATTR4_TIME_METADATA     = 52
	FATTR4_TIME_MODIFY       = 53
	FATTR4_TIME_MODIFY_SET   = 54
	FATTR4_MOUNTED_ON_FILEID = 55

	// RECOMMENDED attributes new in NFSv4.1.
	FATTR4_DIR_NOTIF_DELAY    = 56
	FATTR4_DIRENT_NOTIF_DELAY = 57
	FATTR4_DACL               = 58
	FATTR4_SACL               = 59
	FATTR4_CHANGE_POLICY      = 60
	FATTR4_FS_STATUS          = 61
	FATTR4_FS_LAYOUT_TYPES    = 62
	FATTR4_LAYOUT_HINT        = 63
	FATTR4_LAYOUT_TYPES       = 64
	FATTR4_LAYOUT_BLKSIZE     = 65
	FATTR4_LAYOUT_ALIGNMENT   = 66
	FATTR4_FS_LOCATIONS_INFO  = 67
	FATTR4_MDSTHRESHOLD       = 68
	FATTR4_RETENTION_GET      = 69
	FATTR4_RETENTION_SET      = 70
	FATTR4_RETENTEVT_GET      = 71
	FATTR4_RETENTEVT_SET      = 72
	FATTR4_RETENTION_HOLD     = 73
	FATTR4_MODE_SET_MASKED    = 74
	FATTR4_FS_CHARSET_CAP     = 76

	// RECOMMENDED attributes new in NFSv4.2 and its extensions.
	FATTR4_CLONE_BLKSIZE     = 77
	FATTR4_SPACE_FREED       = 78
	FATTR4_CHANGE_ATTR_TYPE  = 79
	FATTR4_SEC_LABEL         = 80
	FATTR4_XATTR_SUPPORT     = 82
	FATTR4_OFFLINE           = 83
	FATTR4_TIME_DELEG_ACCESS = 84
	FATTR4_TIME_DELEG_MODIFY = 85
	FATTR4_OPEN_ARGUMENTS    = 86
)

// ACCESS bits (RFC 3530 §14.2.1, RFC 5661 §18.1; xattr bits RFC 8276).
const (
	ACCESS4_READ    = 0x00000001
	ACCESS4_LOOKUP  = 0x00000002
	ACCESS4_MODIFY  = 0x00000004
	ACCESS4_EXTEND  = 0x00000008
	ACCESS4_DELETE  = 0x00000010
	ACCESS4_EXECUTE = 0x00000020
	ACCESS4_XAREAD  = 0x00000040
	ACCESS4_XAWRITE = 0x00000080
	ACCESS4_XALIST  = 0x00000100
)

// aclsupport bits (RFC 3530 §5.11.1).
const (
	ACL4_SUPPORT_ALLOW_ACL = 0x00000001
	ACL4_SUPPORT_DENY_ACL  = 0x00000002
	ACL4_SUPPORT_AUDIT_ACL = 0x00000004
	ACL4_SUPPORT_ALARM_ACL = 0x00000008
)

// acetype4 values (RFC 3530 §5.11.1).
const (
	ACE4_ACCESS_ALLOWED_ACE_TYPE = 0x00000000
	ACE4_ACCESS_DENIED_ACE_TYPE  = 0x00000001
	ACE4_SYSTEM_AUDIT_ACE_TYPE   = 0x00000002
	ACE4_SYSTEM_ALARM_ACE_TYPE   = 0x00000003
)

// aceflag4 values (RFC 3530 §5.11.3, RFC 5661 §6.2.1.4).
const (
	ACE4_FILE_INHERIT_ACE           = 0x00000001
	ACE4_DIRECTORY_INHERIT_ACE      = 0x00000002
	ACE4_NO_PROPAGATE_INHERIT_ACE   = 0x00000004
	ACE4_INHERIT_ONLY_ACE           = 0x00000008
	ACE4_SUCCESSFUL_ACCESS_ACE_FLAG = 0x00000010
	ACE4_FAILED_ACCESS_ACE_FLAG     = 0x00000020
	ACE4_IDENTIFIER_GROUP           = 0x00000040
	ACE4_INHERITED_ACE              = 0x00000080
)

// acemask4 values (RFC 3530 §5.11.2, RFC 5661 §6.2.1.3).
const (
	ACE4_READ_DATA            = 0x00000001
	ACE4_LIST_DIRECTORY       = 0x00000001
	ACE4_WRITE_DATA           = 0x00000002
	ACE4_ADD_FILE             = 0x00000002
	ACE4_APPEND_DATA          = 0x00000004
	ACE4_ADD_SUBDIRECTORY     = 0x00000004
	ACE4_READ_NAMED_ATTRS     = 0x00000008
	ACE4_WRITE_NAMED_ATTRS    = 0x00000010
	ACE4_EXECUTE              = 0x00000020
	ACE4_DELETE_CHILD         = 0x00000040
	ACE4_READ_ATTRIBUTES      = 0x00000080
	ACE4_WRITE_ATTRIBUTES     = 0x00000100
	ACE4_WRITE_RETENTION      = 0x00000200
	ACE4_WRITE_RETENTION_HOLD = 0x00000400
	ACE4_DELETE               = 0x00010000
	ACE4_READ_ACL             = 0x00020000
	ACE4_WRITE_ACL            = 0x00040000
	ACE4_WRITE_OWNER          = 0x00080000
	ACE4_SYNCHRONIZE          = 0x00100000

	// ACE4_GENERIC_READ is READ_ACL | READ_DATA | READ_ATTRIBUTES | SYNCHRONIZE.
	ACE4_GENERIC_READ = 0x00120081
	// ACE4_GENERIC_WRITE is READ_ACL | WRITE_DATA | WRITE_ATTRIBUTES |
	// WRITE_ACL | APPEND_DATA | SYNCHRONIZE.
	ACE4_GENERIC_WRITE = 0x00160106
	// ACE4_GENERIC_EXECUTE is READ_ACL | READ_ATTRIBUTES | EXECUTE | SYNCHRONIZE.
	ACE4_GENERIC_EXECUTE = 0x001200A0
)

// aclflag4 values (RFC 5661 §6.4.3.2).
const (
	ACL4_AUTO_INHERIT = 0x00000001
	ACL4_PROTECTED    = 0x00000002
	ACL4_DEFAULTED    = 0x00000004
)

// mode4 bits (RFC 3530 §5.11.5).
const (
	MODE4_SUID = 0x800
	MODE4_SGID = 0x400
	MODE4_SVTX = 0x200
	MODE4_RUSR = 0x100
	MODE4_WUSR = 0x080
	MODE4_XUSR = 0x040
	MODE4_RGRP = 0x020
	MODE4_WGRP = 0x010
	MODE4_XGRP = 0x008
	MODE4_ROTH = 0x004
	MODE4_WOTH = 0x002
	MODE4_XOTH = 0x001
)

// fh_expire_type values (RFC 3530 §4.2.1).
const (
	FH4_PERSISTENT         = 0x00000000
	FH4_NOEXPIRE_WITH_OPEN = 0x00000001
	FH4_VOLATILE_ANY       = 0x00000002
	FH4_VOL_MIGRATION      = 0x00000004
	FH4_VOL_RENAME         = 0x00000008
)

// Layout return and recall scopes (RFC 5661 §18.44, §20.3).
const (
	LAYOUT4_RET_REC_FILE = 1
	LAYOUT4_RET_REC_FSID = 2
	LAYOUT4_RET_REC_ALL  = 3
)

// Threshold hint numbers of threshold_item4 (RFC 5661 §5.12.12).
const (
	TH4_READ_SIZE    = 0
	TH4_WRITE_SIZE   = 1
	TH4_READ_IOSIZE  = 2
	TH4_WRITE_IOSIZE = 3
)

// RET4_DURATION_INFINITE is the infinite retention duration (RFC 5661 §5.13).
const RET4_DURATION_INFINITE = 0xffffffffffffffff

// fs_charset_cap4 bits (RFC 5661 §14.4).
const (
	FSCHARSET_CAP4_CONTAINS_NON_UTF8 = 0x1
	FSCHARSET_CAP4_ALLOWS_ONLY_UTF8  = 0x2
)

// fs_locations_info byte indices and flags (RFC 5661 §11.10.1).
const (
	FSLI4BX_GFLAGS     = 0
	FSLI4BX_TFLAGS     = 1
	FSLI4BX_CLSIMUL    = 2
	FSLI4BX_CLHANDLE   = 3
	FSLI4BX_CLFILEID   = 4
	FSLI4BX_CLWRITEVER = 5
	FSLI4BX_CLCHANGE   = 6
	FSLI4BX_CLREADDIR  = 7
	FSLI4BX_READRANK   = 8
	FSLI4BX_WRITERANK  = 9
	FSLI4BX_READORDER  = 10
	FSLI4BX_WRITEORDER = 11

	FSLI4GF_WRITABLE = 0x01
	FSLI4GF_CUR_REQ  = 0x02
	FSLI4GF_ABSENT   = 0x04
	FSLI4GF_GOING    = 0x08
	FSLI4GF_SPLIT    = 0x10

	FSLI4TF_RDMA = 0x01

	FSLI4IF_VAR_SUB = 0x00000001
)

// OPEN share_access and share_deny values and the want flags of
// share_access (RFC 3530 §14.2.16, RFC 5661 §18.16.3, RFC 9754).
const (
	OPEN4_SHARE_ACCESS_READ  = 0x00000001
	OPEN4_SHARE_ACCESS_WRITE = 0x00000002
	OPEN4_SHARE_ACCESS_BOTH  = 0x00000003

	OPEN4_SHARE_DENY_NONE  = 0x00000000
	OPEN4_SHARE_DENY_READ  = 0x00000001
	OPEN4_SHARE_DENY_WRITE = 0x00000002
	OPEN4_SHARE_DENY_BOTH  = 0x00000003

	OPEN4_SHARE_ACCESS_WANT_DELEG_MASK                    = 0xFF00
	OPEN4_SHARE_ACCESS_WANT_NO_PREFERENCE                 = 0x0000
	OPEN4_SHARE_ACCESS_WANT_READ_DELEG                    = 0x0100
	OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG                   = 0x0200
	OPEN4_SHARE_ACCESS_WANT_ANY_DELEG                     = 0x0300
	OPEN4_SHARE_ACCESS_WANT_NO_DELEG                      = 0x0400
	OPEN4_SHARE_ACCESS_WANT_CANCEL                        = 0x0500
	OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL = 0x10000
	OPEN4_SHARE_ACCESS_WANT_PUSH_DELEG_WHEN_UNCONTENDED   = 0x20000
	OPEN4_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS              = 0x100000
	OPEN4_SHARE_ACCESS_WANT_OPEN_XOR_DELEGATION           = 0x200000
)

// OPEN result flags (RFC 3530 §14.2.16, RFC 5661 §18.16.4, RFC 9754).
const (
	OPEN4_RESULT_CONFIRM           = 0x00000002
	OPEN4_RESULT_LOCKTYPE_POSIX    = 0x00000004
	OPEN4_RESULT_PRESERVE_UNLINKED = 0x00000008
	OPEN4_RESULT_NO_OPEN_STATEID   = 0x00000010
	OPEN4_RESULT_MAY_NOTIFY_LOCK   = 0x00000020
)

// EXCHANGE_ID flags (RFC 5661 §18.35).
const (
	EXCHGID4_FLAG_SUPP_MOVED_REFER    = 0x00000001
	EXCHGID4_FLAG_SUPP_MOVED_MIGR     = 0x00000002
	EXCHGID4_FLAG_SUPP_FENCE_OPS      = 0x00000004
	EXCHGID4_FLAG_BIND_PRINC_STATEID  = 0x00000100
	EXCHGID4_FLAG_USE_NON_PNFS        = 0x00010000
	EXCHGID4_FLAG_USE_PNFS_MDS        = 0x00020000
	EXCHGID4_FLAG_USE_PNFS_DS         = 0x00040000
	EXCHGID4_FLAG_MASK_PNFS           = 0x00070000
	EXCHGID4_FLAG_UPD_CONFIRMED_REC_A = 0x40000000
	EXCHGID4_FLAG_CONFIRMED_R         = 0x80000000
)

// CREATE_SESSION flags (RFC 5661 §18.36).
const (
	CREATE_SESSION4_FLAG_PERSIST        = 0x00000001
	CREATE_SESSION4_FLAG_CONN_BACK_CHAN = 0x00000002
	CREATE_SESSION4_FLAG_CONN_RDMA      = 0x00000004
)

// SEQUENCE sr_status_flags bits (RFC 5661 §18.46.3).
const (
	SEQ4_STATUS_CB_PATH_DOWN               = 0x00000001
	SEQ4_STATUS_CB_GSS_CONTEXTS_EXPIRING   = 0x00000002
	SEQ4_STATUS_CB_GSS_CONTEXTS_EXPIRED    = 0x00000004
	SEQ4_STATUS_EXPIRED_ALL_STATE_REVOKED  = 0x00000008
	SEQ4_STATUS_EXPIRED_SOME_STATE_REVOKED = 0x00000010
	SEQ4_STATUS_ADMIN_STATE_REVOKED        = 0x00000020
	SEQ4_STATUS_RECALLABLE_STATE_REVOKED   = 0x00000040
	SEQ4_STATUS_LEASE_MOVED                = 0x00000080
	SEQ4_STATUS_RESTART_RECLAIM_NEEDED     = 0x00000100
	SEQ4_STATUS_CB_PATH_DOWN_SESSION       = 0x00000200
	SEQ4_STATUS_BACKCHANNEL_FAULT          = 0x00000400
	SEQ4_STATUS_DEVID_CHANGED              = 0x00000800
	SEQ4_STATUS_DEVID_DELETED              = 0x00001000
)

// CB_RECALL_ANY type mask bits (RFC 5661 §20.6).
const (
	RCA4_TYPE_MASK_RDATA_DLG        = 0
	RCA4_TYPE_MASK_WDATA_DLG        = 1
	RCA4_TYPE_MASK_DIR_DLG          = 2
	RCA4_TYPE_MASK_FILE_LAYOUT      = 3
	RCA4_TYPE_MASK_BLK_LAYOUT       = 4
	RCA4_TYPE_MASK_OBJ_LAYOUT_MIN   = 8
	RCA4_TYPE_MASK_OBJ_LAYOUT_MAX   = 9
	RCA4_TYPE_MASK_OTHER_LAYOUT_MIN = 12
	RCA4_TYPE_MASK_OTHER_LAYOUT_MAX = 15
)

// Bit numbers of the open_arguments attribute's bitmaps (RFC 9754): which
// share access, deny and want values, claim types and create modes OPEN
// supports.
const (
	OPEN_ARGS_SHARE_ACCESS_READ  = 1
	OPEN_ARGS_SHARE_ACCESS_WRITE = 2
	OPEN_ARGS_SHARE_ACCESS_BOTH  = 3

	OPEN_ARGS_SHARE_DENY_NONE  = 0
	OPEN_ARGS_SHARE_DENY_READ  = 1
	OPEN_ARGS_SHARE_DENY_WRITE = 2
	OPEN_ARGS_SHARE_DENY_BOTH  = 3

	OPEN_ARGS_SHARE_ACCESS_WANT_ANY_DELEG                     = 3
	OPEN_ARGS_SHARE_ACCESS_WANT_NO_DELEG                      = 4
	OPEN_ARGS_SHARE_ACCESS_WANT_CANCEL                        = 5
	OPEN_ARGS_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL = 17
	OPEN_ARGS_SHARE_ACCESS_WANT_PUSH_DELEG_WHEN_UNCONTENDED   = 18
	OPEN_ARGS_SHARE_ACCESS_WANT_DELEG_TIMESTAMPS              = 20
	OPEN_ARGS_SHARE_ACCESS_WANT_OPEN_XOR_DELEGATION           = 21

	OPEN_ARGS_OPEN_CLAIM_NULL          = 0
	OPEN_ARGS_OPEN_CLAIM_PREVIOUS      = 1
	OPEN_ARGS_OPEN_CLAIM_DELEGATE_CUR  = 2
	OPEN_ARGS_OPEN_CLAIM_DELEGATE_PREV = 3
	OPEN_ARGS_OPEN_CLAIM_FH            = 4
	OPEN_ARGS_OPEN_CLAIM_DELEG_CUR_FH  = 5
	OPEN_ARGS_OPEN_CLAIM_DELEG_PREV_FH = 6

	OPEN_ARGS_CREATEMODE_UNCHECKED4    = 0
	OPEN_ARGS_CREATE_MODE_GUARDED      = 1
	OPEN_ARGS_CREATEMODE_EXCLUSIVE4    = 2
	OPEN_ARGS_CREATE_MODE_EXCLUSIVE4_1 = 3
)

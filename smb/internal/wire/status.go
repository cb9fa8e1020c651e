package wire

import "strconv"

// Status is an NTSTATUS value (MS-ERREF §2.3). The SMB2 header of a
// response carries it; see Header.Status.
type Status uint32

// NTSTATUS values a file server returns (MS-ERREF §2.3.1).
const (
	STATUS_SUCCESS                               Status = 0x00000000
	STATUS_PENDING                               Status = 0x00000103
	STATUS_REPARSE                               Status = 0x00000104
	STATUS_NOTIFY_CLEANUP                        Status = 0x0000010B
	STATUS_NOTIFY_ENUM_DIR                       Status = 0x0000010C
	STATUS_BUFFER_OVERFLOW                       Status = 0x80000005
	STATUS_NO_MORE_FILES                         Status = 0x80000006
	STATUS_NO_MORE_EAS                           Status = 0x80000012
	STATUS_INVALID_EA_NAME                       Status = 0x80000013
	STATUS_EA_LIST_INCONSISTENT                  Status = 0x80000014
	STATUS_INVALID_EA_FLAG                       Status = 0x80000015
	STATUS_NO_MORE_ENTRIES                       Status = 0x8000001A
	STATUS_STOPPED_ON_SYMLINK                    Status = 0x8000002D
	STATUS_UNSUCCESSFUL                          Status = 0xC0000001
	STATUS_NOT_IMPLEMENTED                       Status = 0xC0000002
	STATUS_INVALID_INFO_CLASS                    Status = 0xC0000003
	STATUS_INFO_LENGTH_MISMATCH                  Status = 0xC0000004
	STATUS_INVALID_HANDLE                        Status = 0xC0000008
	STATUS_INVALID_PARAMETER                     Status = 0xC000000D
	STATUS_NO_SUCH_DEVICE                        Status = 0xC000000E
	STATUS_NO_SUCH_FILE                          Status = 0xC000000F
	STATUS_INVALID_DEVICE_REQUEST                Status = 0xC0000010
	STATUS_END_OF_FILE                           Status = 0xC0000011
	STATUS_INVALID_VIEW_SIZE                     Status = 0xC000001F
	STATUS_MORE_PROCESSING_REQUIRED              Status = 0xC0000016
	STATUS_NO_MEMORY                             Status = 0xC0000017
	STATUS_ACCESS_DENIED                         Status = 0xC0000022
	STATUS_BUFFER_TOO_SMALL                      Status = 0xC0000023
	STATUS_OBJECT_TYPE_MISMATCH                  Status = 0xC0000024
	STATUS_OBJECT_NAME_INVALID                   Status = 0xC0000033
	STATUS_OBJECT_NAME_NOT_FOUND                 Status = 0xC0000034
	STATUS_OBJECT_NAME_COLLISION                 Status = 0xC0000035
	STATUS_OBJECT_PATH_INVALID                   Status = 0xC0000039
	STATUS_OBJECT_PATH_NOT_FOUND                 Status = 0xC000003A
	STATUS_OBJECT_PATH_SYNTAX_BAD                Status = 0xC000003B
	STATUS_SHARING_VIOLATION                     Status = 0xC0000043
	STATUS_QUOTA_EXCEEDED                        Status = 0xC0000044
	STATUS_EAS_NOT_SUPPORTED                     Status = 0xC000004F
	STATUS_EA_TOO_LARGE                          Status = 0xC0000050
	STATUS_NONEXISTENT_EA_ENTRY                  Status = 0xC0000051
	STATUS_NO_EAS_ON_FILE                        Status = 0xC0000052
	STATUS_EA_CORRUPT_ERROR                      Status = 0xC0000053
	STATUS_FILE_LOCK_CONFLICT                    Status = 0xC0000054
	STATUS_LOCK_NOT_GRANTED                      Status = 0xC0000055
	STATUS_DELETE_PENDING                        Status = 0xC0000056
	STATUS_PRIVILEGE_NOT_HELD                    Status = 0xC0000061
	STATUS_NO_SUCH_USER                          Status = 0xC0000064
	STATUS_WRONG_PASSWORD                        Status = 0xC000006A
	STATUS_LOGON_FAILURE                         Status = 0xC000006D
	STATUS_ACCOUNT_RESTRICTION                   Status = 0xC000006E
	STATUS_PASSWORD_EXPIRED                      Status = 0xC0000071
	STATUS_ACCOUNT_DISABLED                      Status = 0xC0000072
	STATUS_NONE_MAPPED                           Status = 0xC0000073
	STATUS_INVALID_SID                           Status = 0xC0000078
	STATUS_INVALID_SECURITY_DESCR                Status = 0xC0000079
	STATUS_INVALID_OWNER                         Status = 0xC000005A
	STATUS_INVALID_PRIMARY_GROUP                 Status = 0xC000005B
	STATUS_INVALID_ACL                           Status = 0xC0000077
	STATUS_RANGE_NOT_LOCKED                      Status = 0xC000007E
	STATUS_DISK_FULL                             Status = 0xC000007F
	STATUS_INSUFFICIENT_RESOURCES                Status = 0xC000009A
	STATUS_PIPE_DISCONNECTED                     Status = 0xC00000B0
	STATUS_PIPE_EMPTY                            Status = 0xC00000D9
	STATUS_FILE_INVALID                          Status = 0xC0000098
	STATUS_MEDIA_WRITE_PROTECTED                 Status = 0xC00000A2
	STATUS_BAD_IMPERSONATION_LEVEL               Status = 0xC00000A5
	STATUS_IO_TIMEOUT                            Status = 0xC00000B5
	STATUS_FILE_IS_A_DIRECTORY                   Status = 0xC00000BA
	STATUS_NOT_SUPPORTED                         Status = 0xC00000BB
	STATUS_BAD_NETWORK_PATH                      Status = 0xC00000BE
	STATUS_NETWORK_BUSY                          Status = 0xC00000BF
	STATUS_INVALID_NETWORK_RESPONSE              Status = 0xC00000C3
	STATUS_UNEXPECTED_NETWORK_ERROR              Status = 0xC00000C4
	STATUS_NETWORK_NAME_DELETED                  Status = 0xC00000C9
	STATUS_NETWORK_ACCESS_DENIED                 Status = 0xC00000CA
	STATUS_BAD_DEVICE_TYPE                       Status = 0xC00000CB
	STATUS_BAD_NETWORK_NAME                      Status = 0xC00000CC
	STATUS_REQUEST_NOT_ACCEPTED                  Status = 0xC00000D0
	STATUS_NOT_SAME_DEVICE                       Status = 0xC00000D4
	STATUS_FILE_RENAMED                          Status = 0xC00000D5
	STATUS_OPLOCK_NOT_GRANTED                    Status = 0xC00000E2
	STATUS_INVALID_OPLOCK_PROTOCOL               Status = 0xC00000E3
	STATUS_INTERNAL_ERROR                        Status = 0xC00000E5
	STATUS_DIRECTORY_NOT_EMPTY                   Status = 0xC0000101
	STATUS_NOT_A_DIRECTORY                       Status = 0xC0000103
	STATUS_NAME_TOO_LONG                         Status = 0xC0000106
	STATUS_TOO_MANY_OPENED_FILES                 Status = 0xC000011F
	STATUS_CANCELLED                             Status = 0xC0000120
	STATUS_CANNOT_DELETE                         Status = 0xC0000121
	STATUS_FILE_DELETED                          Status = 0xC0000123
	STATUS_FILE_CLOSED                           Status = 0xC0000128
	STATUS_INVALID_LEVEL                         Status = 0xC0000148
	STATUS_INVALID_DEVICE_STATE                  Status = 0xC0000184
	STATUS_INVALID_LOCK_RANGE                    Status = 0xC00001A1
	STATUS_IO_DEVICE_ERROR                       Status = 0xC0000185
	STATUS_USER_SESSION_DELETED                  Status = 0xC0000203
	STATUS_INSUFF_SERVER_RESOURCES               Status = 0xC0000205
	STATUS_NOT_FOUND                             Status = 0xC0000225
	STATUS_PATH_NOT_COVERED                      Status = 0xC0000257
	STATUS_TOO_MANY_LINKS                        Status = 0xC0000265
	STATUS_NOT_A_REPARSE_POINT                   Status = 0xC0000275
	STATUS_IO_REPARSE_TAG_NOT_HANDLED            Status = 0xC0000279
	STATUS_DIRECTORY_IS_A_REPARSE_POINT          Status = 0xC0000281
	STATUS_OBJECTID_NOT_FOUND                    Status = 0xC00002F0
	STATUS_NETWORK_SESSION_EXPIRED               Status = 0xC000035C
	STATUS_FILE_SYSTEM_LIMITATION                Status = 0xC0000427
	STATUS_DEVICE_FEATURE_NOT_SUPPORTED          Status = 0xC0000463
	STATUS_SERVER_UNAVAILABLE                    Status = 0xC0000466
	STATUS_FILE_NOT_AVAILABLE                    Status = 0xC0000467
	STATUS_DISK_QUOTA_EXCEEDED                   Status = 0xC0000802
	STATUS_FILE_TOO_LARGE                        Status = 0xC0000904
	STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP Status = 0xC05D0000
	STATUS_SMB_BAD_CLUSTER_DIALECT               Status = 0xC05D0001
)

var statusNames = map[Status]string{
	STATUS_SUCCESS:                               "STATUS_SUCCESS",
	STATUS_PENDING:                               "STATUS_PENDING",
	STATUS_REPARSE:                               "STATUS_REPARSE",
	STATUS_NOTIFY_CLEANUP:                        "STATUS_NOTIFY_CLEANUP",
	STATUS_NOTIFY_ENUM_DIR:                       "STATUS_NOTIFY_ENUM_DIR",
	STATUS_BUFFER_OVERFLOW:                       "STATUS_BUFFER_OVERFLOW",
	STATUS_NO_MORE_FILES:                         "STATUS_NO_MORE_FILES",
	STATUS_NO_MORE_EAS:                           "STATUS_NO_MORE_EAS",
	STATUS_INVALID_EA_NAME:                       "STATUS_INVALID_EA_NAME",
	STATUS_EA_LIST_INCONSISTENT:                  "STATUS_EA_LIST_INCONSISTENT",
	STATUS_INVALID_EA_FLAG:                       "STATUS_INVALID_EA_FLAG",
	STATUS_NO_MORE_ENTRIES:                       "STATUS_NO_MORE_ENTRIES",
	STATUS_STOPPED_ON_SYMLINK:                    "STATUS_STOPPED_ON_SYMLINK",
	STATUS_UNSUCCESSFUL:                          "STATUS_UNSUCCESSFUL",
	STATUS_NOT_IMPLEMENTED:                       "STATUS_NOT_IMPLEMENTED",
	STATUS_INVALID_INFO_CLASS:                    "STATUS_INVALID_INFO_CLASS",
	STATUS_INFO_LENGTH_MISMATCH:                  "STATUS_INFO_LENGTH_MISMATCH",
	STATUS_INVALID_HANDLE:                        "STATUS_INVALID_HANDLE",
	STATUS_INVALID_PARAMETER:                     "STATUS_INVALID_PARAMETER",
	STATUS_NO_SUCH_DEVICE:                        "STATUS_NO_SUCH_DEVICE",
	STATUS_NO_SUCH_FILE:                          "STATUS_NO_SUCH_FILE",
	STATUS_INVALID_DEVICE_REQUEST:                "STATUS_INVALID_DEVICE_REQUEST",
	STATUS_END_OF_FILE:                           "STATUS_END_OF_FILE",
	STATUS_INVALID_VIEW_SIZE:                     "STATUS_INVALID_VIEW_SIZE",
	STATUS_MORE_PROCESSING_REQUIRED:              "STATUS_MORE_PROCESSING_REQUIRED",
	STATUS_NO_MEMORY:                             "STATUS_NO_MEMORY",
	STATUS_ACCESS_DENIED:                         "STATUS_ACCESS_DENIED",
	STATUS_BUFFER_TOO_SMALL:                      "STATUS_BUFFER_TOO_SMALL",
	STATUS_OBJECT_TYPE_MISMATCH:                  "STATUS_OBJECT_TYPE_MISMATCH",
	STATUS_OBJECT_NAME_INVALID:                   "STATUS_OBJECT_NAME_INVALID",
	STATUS_OBJECT_NAME_NOT_FOUND:                 "STATUS_OBJECT_NAME_NOT_FOUND",
	STATUS_OBJECT_NAME_COLLISION:                 "STATUS_OBJECT_NAME_COLLISION",
	STATUS_OBJECT_PATH_INVALID:                   "STATUS_OBJECT_PATH_INVALID",
	STATUS_OBJECT_PATH_NOT_FOUND:                 "STATUS_OBJECT_PATH_NOT_FOUND",
	STATUS_OBJECT_PATH_SYNTAX_BAD:                "STATUS_OBJECT_PATH_SYNTAX_BAD",
	STATUS_SHARING_VIOLATION:                     "STATUS_SHARING_VIOLATION",
	STATUS_QUOTA_EXCEEDED:                        "STATUS_QUOTA_EXCEEDED",
	STATUS_EAS_NOT_SUPPORTED:                     "STATUS_EAS_NOT_SUPPORTED",
	STATUS_EA_TOO_LARGE:                          "STATUS_EA_TOO_LARGE",
	STATUS_NONEXISTENT_EA_ENTRY:                  "STATUS_NONEXISTENT_EA_ENTRY",
	STATUS_NO_EAS_ON_FILE:                        "STATUS_NO_EAS_ON_FILE",
	STATUS_EA_CORRUPT_ERROR:                      "STATUS_EA_CORRUPT_ERROR",
	STATUS_FILE_LOCK_CONFLICT:                    "STATUS_FILE_LOCK_CONFLICT",
	STATUS_LOCK_NOT_GRANTED:                      "STATUS_LOCK_NOT_GRANTED",
	STATUS_DELETE_PENDING:                        "STATUS_DELETE_PENDING",
	STATUS_PRIVILEGE_NOT_HELD:                    "STATUS_PRIVILEGE_NOT_HELD",
	STATUS_NO_SUCH_USER:                          "STATUS_NO_SUCH_USER",
	STATUS_WRONG_PASSWORD:                        "STATUS_WRONG_PASSWORD",
	STATUS_LOGON_FAILURE:                         "STATUS_LOGON_FAILURE",
	STATUS_ACCOUNT_RESTRICTION:                   "STATUS_ACCOUNT_RESTRICTION",
	STATUS_PASSWORD_EXPIRED:                      "STATUS_PASSWORD_EXPIRED",
	STATUS_ACCOUNT_DISABLED:                      "STATUS_ACCOUNT_DISABLED",
	STATUS_NONE_MAPPED:                           "STATUS_NONE_MAPPED",
	STATUS_INVALID_SID:                           "STATUS_INVALID_SID",
	STATUS_INVALID_SECURITY_DESCR:                "STATUS_INVALID_SECURITY_DESCR",
	STATUS_INVALID_OWNER:                         "STATUS_INVALID_OWNER",
	STATUS_INVALID_PRIMARY_GROUP:                 "STATUS_INVALID_PRIMARY_GROUP",
	STATUS_INVALID_ACL:                           "STATUS_INVALID_ACL",
	STATUS_RANGE_NOT_LOCKED:                      "STATUS_RANGE_NOT_LOCKED",
	STATUS_DISK_FULL:                             "STATUS_DISK_FULL",
	STATUS_INSUFFICIENT_RESOURCES:                "STATUS_INSUFFICIENT_RESOURCES",
	STATUS_PIPE_DISCONNECTED:                     "STATUS_PIPE_DISCONNECTED",
	STATUS_PIPE_EMPTY:                            "STATUS_PIPE_EMPTY",
	STATUS_FILE_INVALID:                          "STATUS_FILE_INVALID",
	STATUS_MEDIA_WRITE_PROTECTED:                 "STATUS_MEDIA_WRITE_PROTECTED",
	STATUS_BAD_IMPERSONATION_LEVEL:               "STATUS_BAD_IMPERSONATION_LEVEL",
	STATUS_IO_TIMEOUT:                            "STATUS_IO_TIMEOUT",
	STATUS_FILE_IS_A_DIRECTORY:                   "STATUS_FILE_IS_A_DIRECTORY",
	STATUS_NOT_SUPPORTED:                         "STATUS_NOT_SUPPORTED",
	STATUS_BAD_NETWORK_PATH:                      "STATUS_BAD_NETWORK_PATH",
	STATUS_NETWORK_BUSY:                          "STATUS_NETWORK_BUSY",
	STATUS_INVALID_NETWORK_RESPONSE:              "STATUS_INVALID_NETWORK_RESPONSE",
	STATUS_UNEXPECTED_NETWORK_ERROR:              "STATUS_UNEXPECTED_NETWORK_ERROR",
	STATUS_NETWORK_NAME_DELETED:                  "STATUS_NETWORK_NAME_DELETED",
	STATUS_NETWORK_ACCESS_DENIED:                 "STATUS_NETWORK_ACCESS_DENIED",
	STATUS_BAD_DEVICE_TYPE:                       "STATUS_BAD_DEVICE_TYPE",
	STATUS_BAD_NETWORK_NAME:                      "STATUS_BAD_NETWORK_NAME",
	STATUS_REQUEST_NOT_ACCEPTED:                  "STATUS_REQUEST_NOT_ACCEPTED",
	STATUS_NOT_SAME_DEVICE:                       "STATUS_NOT_SAME_DEVICE",
	STATUS_FILE_RENAMED:                          "STATUS_FILE_RENAMED",
	STATUS_OPLOCK_NOT_GRANTED:                    "STATUS_OPLOCK_NOT_GRANTED",
	STATUS_INVALID_OPLOCK_PROTOCOL:               "STATUS_INVALID_OPLOCK_PROTOCOL",
	STATUS_INTERNAL_ERROR:                        "STATUS_INTERNAL_ERROR",
	STATUS_DIRECTORY_NOT_EMPTY:                   "STATUS_DIRECTORY_NOT_EMPTY",
	STATUS_NOT_A_DIRECTORY:                       "STATUS_NOT_A_DIRECTORY",
	STATUS_NAME_TOO_LONG:                         "STATUS_NAME_TOO_LONG",
	STATUS_TOO_MANY_OPENED_FILES:                 "STATUS_TOO_MANY_OPENED_FILES",
	STATUS_CANCELLED:                             "STATUS_CANCELLED",
	STATUS_CANNOT_DELETE:                         "STATUS_CANNOT_DELETE",
	STATUS_FILE_DELETED:                          "STATUS_FILE_DELETED",
	STATUS_FILE_CLOSED:                           "STATUS_FILE_CLOSED",
	STATUS_INVALID_LEVEL:                         "STATUS_INVALID_LEVEL",
	STATUS_INVALID_DEVICE_STATE:                  "STATUS_INVALID_DEVICE_STATE",
	STATUS_INVALID_LOCK_RANGE:                    "STATUS_INVALID_LOCK_RANGE",
	STATUS_IO_DEVICE_ERROR:                       "STATUS_IO_DEVICE_ERROR",
	STATUS_USER_SESSION_DELETED:                  "STATUS_USER_SESSION_DELETED",
	STATUS_INSUFF_SERVER_RESOURCES:               "STATUS_INSUFF_SERVER_RESOURCES",
	STATUS_NOT_FOUND:                             "STATUS_NOT_FOUND",
	STATUS_PATH_NOT_COVERED:                      "STATUS_PATH_NOT_COVERED",
	STATUS_TOO_MANY_LINKS:                        "STATUS_TOO_MANY_LINKS",
	STATUS_NOT_A_REPARSE_POINT:                   "STATUS_NOT_A_REPARSE_POINT",
	STATUS_IO_REPARSE_TAG_NOT_HANDLED:            "STATUS_IO_REPARSE_TAG_NOT_HANDLED",
	STATUS_DIRECTORY_IS_A_REPARSE_POINT:          "STATUS_DIRECTORY_IS_A_REPARSE_POINT",
	STATUS_OBJECTID_NOT_FOUND:                    "STATUS_OBJECTID_NOT_FOUND",
	STATUS_NETWORK_SESSION_EXPIRED:               "STATUS_NETWORK_SESSION_EXPIRED",
	STATUS_FILE_SYSTEM_LIMITATION:                "STATUS_FILE_SYSTEM_LIMITATION",
	STATUS_DEVICE_FEATURE_NOT_SUPPORTED:          "STATUS_DEVICE_FEATURE_NOT_SUPPORTED",
	STATUS_SERVER_UNAVAILABLE:                    "STATUS_SERVER_UNAVAILABLE",
	STATUS_FILE_NOT_AVAILABLE:                    "STATUS_FILE_NOT_AVAILABLE",
	STATUS_DISK_QUOTA_EXCEEDED:                   "STATUS_DISK_QUOTA_EXCEEDED",
	STATUS_FILE_TOO_LARGE:                        "STATUS_FILE_TOO_LARGE",
	STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP: "STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP",
	STATUS_SMB_BAD_CLUSTER_DIALECT:               "STATUS_SMB_BAD_CLUSTER_DIALECT",
}

// String returns the status's MS-ERREF name, or its value in hex.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "NTSTATUS(0x" + strconv.FormatUint(uint64(s), 16) + ")"
}

// IsError reports whether s has severity STATUS_SEVERITY_ERROR (the top two
// bits set, MS-ERREF §2.3): a response with such a status carries an
// SMB2 ERROR Response body, except where MS-SMB2 says otherwise.
func (s Status) IsError() bool { return s>>30 == 3 }

// IsWarning reports whether s has severity STATUS_SEVERITY_WARNING
// (STATUS_BUFFER_OVERFLOW, STATUS_NO_MORE_FILES, ...).
func (s Status) IsWarning() bool { return s>>30 == 2 }

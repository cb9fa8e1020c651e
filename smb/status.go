package smb

import (
	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// codeStatus is the NTSTATUS of each store error code: the one table
// from the store's typed errors to SMB (TestCodeStatusTotal checks it
// covers every code). Choices follow what Samba's smbd answers for the
// matching errno (map_nt_error_from_unix).
var codeStatus = map[store.Code]wire.Status{
	store.CodeOK:           wire.STATUS_SUCCESS,
	store.CodeNotExist:     wire.STATUS_OBJECT_NAME_NOT_FOUND,
	store.CodeExist:        wire.STATUS_OBJECT_NAME_COLLISION,
	store.CodeNotDir:       wire.STATUS_NOT_A_DIRECTORY,
	store.CodeIsDir:        wire.STATUS_FILE_IS_A_DIRECTORY,
	store.CodeNotEmpty:     wire.STATUS_DIRECTORY_NOT_EMPTY,
	store.CodePermission:   wire.STATUS_ACCESS_DENIED,
	store.CodeAccess:       wire.STATUS_ACCESS_DENIED,
	store.CodeNameTooLong:  wire.STATUS_OBJECT_NAME_INVALID,
	store.CodeStale:        wire.STATUS_FILE_CLOSED,
	store.CodeNoSpace:      wire.STATUS_DISK_FULL,
	store.CodeInvalid:      wire.STATUS_INVALID_PARAMETER,
	store.CodeNotSupported: wire.STATUS_NOT_SUPPORTED,
	store.CodeTooBig:       wire.STATUS_DISK_FULL,
	store.CodeReadOnly:     wire.STATUS_MEDIA_WRITE_PROTECTED,
	store.CodeCrossDevice:  wire.STATUS_NOT_SAME_DEVICE,
	store.CodeLoop:         wire.STATUS_OBJECT_PATH_NOT_FOUND,
	store.CodeConflict:     wire.STATUS_SHARING_VIOLATION,
	store.CodeNotFound:     wire.STATUS_OBJECT_NAME_NOT_FOUND,
	store.CodeBadHandle:    wire.STATUS_INVALID_HANDLE,
	store.CodeBadCookie:    wire.STATUS_INVALID_PARAMETER,
	store.CodeNotSync:      wire.STATUS_FILE_RENAMED,
	store.CodeIO:           wire.STATUS_IO_DEVICE_ERROR,
	store.CodeQuota:        wire.STATUS_QUOTA_EXCEEDED,
	store.CodeNoXattr:      wire.STATUS_NONEXISTENT_EA_ENTRY,
	store.CodeTooManyLinks: wire.STATUS_TOO_MANY_LINKS,
	store.CodeNXIO:         wire.STATUS_END_OF_FILE,
}

// storeStatus maps a store error to its NTSTATUS; an error of no known
// code is STATUS_INTERNAL_ERROR.
func storeStatus(err error) wire.Status {
	if err == nil {
		return wire.STATUS_SUCCESS
	}
	if st, ok := codeStatus[store.CodeOf(err)]; ok {
		return st
	}
	return wire.STATUS_INTERNAL_ERROR
}

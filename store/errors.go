package store

import (
	"errors"
	"io/fs"
)

// Code classifies a store error. Every protocol maps Codes to its own status
// values in one table (nfs3, nfs4 and smb each have one, with a test that it
// covers every Code).
type Code uint8

// The error codes of the store. CodeOK is the zero value and never appears in
// an error.
const (
	CodeOK Code = iota
	CodeNotExist
	CodeExist
	CodeNotDir
	CodeIsDir
	CodeNotEmpty
	CodePermission // EPERM: the operation is not permitted to this caller
	CodeAccess     // EACCES: the mode bits or ACL deny access
	CodeNameTooLong
	CodeStale
	CodeNoSpace
	CodeInvalid
	CodeNotSupported
	CodeTooBig
	CodeReadOnly
	CodeCrossDevice
	CodeLoop
	CodeConflict
	CodeNotFound // a key or block is absent from a backend
	CodeBadHandle
	CodeBadCookie
	CodeNotSync // a guard (e.g. NFSv3's ctime guard) did not match
	CodeIO
	CodeQuota
	CodeNoXattr      // the extended attribute does not exist (ENODATA, NFS4ERR_NOXATTR)
	CodeTooManyLinks // the node has the maximum number of links (EMLINK)
	CodeNXIO         // no data or hole past the offset, or the offset is past EOF (ENXIO)
	codeCount
)

var codeNames = [...]string{
	CodeOK:           "ok",
	CodeNotExist:     "no such file or directory",
	CodeExist:        "file exists",
	CodeNotDir:       "not a directory",
	CodeIsDir:        "is a directory",
	CodeNotEmpty:     "directory not empty",
	CodePermission:   "operation not permitted",
	CodeAccess:       "permission denied",
	CodeNameTooLong:  "file name too long",
	CodeStale:        "stale file handle",
	CodeNoSpace:      "no space left on device",
	CodeInvalid:      "invalid argument",
	CodeNotSupported: "operation not supported",
	CodeTooBig:       "file too large",
	CodeReadOnly:     "read-only file system",
	CodeCrossDevice:  "cross-device link",
	CodeLoop:         "too many levels of symbolic links",
	CodeConflict:     "transaction conflict",
	CodeNotFound:     "not found",
	CodeBadHandle:    "bad file handle",
	CodeBadCookie:    "bad directory cookie",
	CodeNotSync:      "guard mismatch",
	CodeIO:           "input/output error",
	CodeQuota:        "quota exceeded",
	CodeNoXattr:      "no such attribute",
	CodeTooManyLinks: "too many links",
	CodeNXIO:         "no such device or address",
}

// Codes returns every error code, for tests that check a protocol's status
// table is total.
func Codes() []Code {
	c := make([]Code, 0, codeCount-1)
	for i := CodeOK + 1; i < codeCount; i++ {
		c = append(c, i)
	}
	return c
}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "unknown error"
}

// Error is the error type of the store. Op and Path, when set, say what
// failed; Err, when set, is the underlying cause. Errors compare with
// errors.Is against the Err* sentinels by Code, and against io/fs's
// ErrNotExist, ErrExist and ErrPermission.
type Error struct {
	Code Code
	Op   string // e.g. "rename"
	Path string // a name or key, if useful
	Err  error
}

func (e *Error) Error() string {
	s := "store: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	s += e.Code.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a store error of the same Code, or the io/fs
// error of the same meaning.
func (e *Error) Is(target error) bool {
	if t, ok := target.(*Error); ok {
		return t.Code == e.Code && t.Op == "" && t.Path == "" && t.Err == nil
	}
	switch target {
	case fs.ErrNotExist:
		return e.Code == CodeNotExist || e.Code == CodeNotFound || e.Code == CodeStale
	case fs.ErrExist:
		return e.Code == CodeExist
	case fs.ErrPermission:
		return e.Code == CodePermission || e.Code == CodeAccess
	case fs.ErrInvalid:
		return e.Code == CodeInvalid
	}
	return false
}

// Sentinel errors, one per Code; match them with errors.Is.
var (
	ErrNotExist     error = &Error{Code: CodeNotExist}
	ErrExist        error = &Error{Code: CodeExist}
	ErrNotDir       error = &Error{Code: CodeNotDir}
	ErrIsDir        error = &Error{Code: CodeIsDir}
	ErrNotEmpty     error = &Error{Code: CodeNotEmpty}
	ErrPermission   error = &Error{Code: CodePermission}
	ErrAccess       error = &Error{Code: CodeAccess}
	ErrNameTooLong  error = &Error{Code: CodeNameTooLong}
	ErrStale        error = &Error{Code: CodeStale}
	ErrNoSpace      error = &Error{Code: CodeNoSpace}
	ErrInvalid      error = &Error{Code: CodeInvalid}
	ErrNotSupported error = &Error{Code: CodeNotSupported}
	ErrTooBig       error = &Error{Code: CodeTooBig}
	ErrReadOnly     error = &Error{Code: CodeReadOnly}
	ErrCrossDevice  error = &Error{Code: CodeCrossDevice}
	ErrLoop         error = &Error{Code: CodeLoop}
	ErrConflict     error = &Error{Code: CodeConflict}
	ErrNotFound     error = &Error{Code: CodeNotFound}
	ErrBadHandle    error = &Error{Code: CodeBadHandle}
	ErrBadCookie    error = &Error{Code: CodeBadCookie}
	ErrNotSync      error = &Error{Code: CodeNotSync}
	ErrIO           error = &Error{Code: CodeIO}
	ErrQuota        error = &Error{Code: CodeQuota}
	ErrNoXattr      error = &Error{Code: CodeNoXattr}
	ErrTooManyLinks error = &Error{Code: CodeTooManyLinks}
	ErrNXIO         error = &Error{Code: CodeNXIO}
)

// CodeOf returns the Code of err: CodeOK for nil, the Code of the first
// *Error in err's chain, the matching Code for io/fs's ErrNotExist, ErrExist
// and ErrPermission, and CodeIO for anything else.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return CodeNotExist
	case errors.Is(err, fs.ErrExist):
		return CodeExist
	case errors.Is(err, fs.ErrPermission):
		return CodePermission
	case errors.Is(err, fs.ErrInvalid):
		return CodeInvalid
	}
	return CodeIO
}

// NewError returns an *Error with the given code, operation and path, wrapping
// cause (which may be nil).
func NewError(code Code, op, path string, cause error) error {
	return &Error{Code: code, Op: op, Path: path, Err: cause}
}

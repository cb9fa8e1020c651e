//go:build unix

package localfs

import (
	"errors"
	"syscall"

	"github.com/dittofs/dittofs/store"
)

// errCode classifies a filesystem error: a full disk, an exhausted quota
// and a read-only filesystem have codes of their own.
func errCode(err error) store.Code {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return store.CodeNoSpace
	case errors.Is(err, syscall.EDQUOT):
		return store.CodeQuota
	case errors.Is(err, syscall.EROFS):
		return store.CodeReadOnly
	}
	return store.CodeIO
}

//go:build !unix

package localfs

import "github.com/dittofs/dittofs/store"

// errCode classifies a filesystem error; outside Unix every one is an
// I/O error.
func errCode(err error) store.Code { return store.CodeIO }

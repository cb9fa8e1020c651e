package state

import (
	"fmt"

	"github.com/dittofs/dittofs/store"
)

// KeyPrefix is the default Options.KeyPrefix: the prefix of the store
// namespace "nfs4-state", under which the Table keeps its boot epoch
// ('e') and the names of confirmed clients ('c' name). Versions before
// store namespaces kept them under "\xffNS" 'e' and "\xffNS" 'c'; New
// moves them.
var KeyPrefix = store.RegisterNamespace("nfs4-state")

func init() {
	store.RegisterLegacyPrefix("nfs4-state", []byte("\xffNSe"), []byte("e"))
	store.RegisterLegacyPrefix("nfs4-state", []byte("\xffNSc"), []byte("c"))
	store.RegisterNamespaceChecker("nfs4-state", checkKey)
}

// checkKey is the store.NamespaceChecker of "nfs4-state": the epoch is 4
// bytes, a client record has a name.
func checkKey(k, v []byte, _ func(uint64) bool) error {
	switch {
	case len(k) == 1 && k[0] == 'e':
		if len(v) != 4 {
			return fmt.Errorf("boot epoch of %d bytes", len(v))
		}
	case len(k) >= 1 && k[0] == 'c':
	default:
		return fmt.Errorf("unknown record")
	}
	return nil
}

package nlm

import (
	"fmt"
	"net/netip"

	"github.com/dittofs/dittofs/store"
)

// KeyPrefix is the default Monitor.KeyPrefix: the prefix of the store
// namespace "nsm", under which the Monitor keeps its state number ('s')
// and the hosts it watches ('h' name). Versions before store namespaces
// kept them under "\xffNSM"; Start moves them.
var KeyPrefix = store.RegisterNamespace("nsm")

func init() {
	store.RegisterLegacyPrefix("nsm", []byte("\xffNSM"), nil)
	store.RegisterNamespaceChecker("nsm", checkKey)
}

// checkKey is the store.NamespaceChecker of "nsm": the state number is 4
// bytes, a watched host has a name and an address (or none).
func checkKey(k, v []byte, _ func(uint64) bool) error {
	switch {
	case len(k) == 1 && k[0] == 's':
		if len(v) != 4 {
			return fmt.Errorf("state number of %d bytes", len(v))
		}
	case len(k) >= 1 && k[0] == 'h':
		var a netip.Addr
		if len(v) > 0 && a.UnmarshalText(v) != nil {
			return fmt.Errorf("host %q: address %q", k[1:], v)
		}
	default:
		return fmt.Errorf("unknown record")
	}
	return nil
}

package nlm

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"

	"github.com/dittofs/dittofs/store"
)

// KeyPrefix is the default Monitor.KeyPrefix: the prefix of the store
// namespace "nsm", under which the Monitor keeps its state number ('s')
// and the hosts it watches ('h' name).
var KeyPrefix = store.RegisterNamespace("nsm")

// legacyPrefix is where versions before store namespaces kept the same
// records; Start moves them under KeyPrefix.
var legacyPrefix = []byte("\xffNSM")

func init() {
	store.RegisterLegacyPrefix("nsm", legacyPrefix)
	store.RegisterNamespaceChecker("nsm", checkKey)
}

// migrateKeys moves the records of the legacy prefix into the namespace.
func migrateKeys(ctx context.Context, m store.Metadata) error {
	if _, err := store.MovePrefix(ctx, m, legacyPrefix, KeyPrefix); err != nil {
		return fmt.Errorf("nlm: moving NSM records to the nsm namespace: %w", err)
	}
	return nil
}

// checkKey is the store.NamespaceChecker of "nsm": the state number is 4
// bytes, a watched host has a name and an address (or none).
func checkKey(k, v []byte, _ func(uint64) bool) error {
	var rest []byte
	switch {
	case bytes.HasPrefix(k, KeyPrefix):
		rest = k[len(KeyPrefix):]
	case bytes.HasPrefix(k, legacyPrefix):
		rest = k[len(legacyPrefix):]
	}
	switch {
	case len(rest) == 1 && rest[0] == 's':
		if len(v) != 4 {
			return fmt.Errorf("state number of %d bytes", len(v))
		}
	case len(rest) >= 1 && rest[0] == 'h':
		var a netip.Addr
		if len(v) > 0 && a.UnmarshalText(v) != nil {
			return fmt.Errorf("host %q: address %q", rest[1:], v)
		}
	default:
		return fmt.Errorf("unknown record")
	}
	return nil
}

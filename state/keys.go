package state

import (
	"bytes"
	"context"
	"fmt"

	"github.com/dittofs/dittofs/store"
)

// KeyPrefix is the default Options.KeyPrefix: the prefix of the store
// namespace "nfs4-state", under which the Table keeps its boot epoch
// ('e') and the names of confirmed clients ('c' name).
var KeyPrefix = store.RegisterNamespace("nfs4-state")

// legacyKeys are where versions before store namespaces kept the epoch
// and the client names ("\xffNS" 'e' and "\xffNS" 'c' name); New moves
// them under KeyPrefix.
var legacyKeys = [][]byte{[]byte("\xffNSe"), []byte("\xffNSc")}

func init() {
	for _, p := range legacyKeys {
		store.RegisterLegacyPrefix("nfs4-state", p)
	}
	store.RegisterNamespaceChecker("nfs4-state", checkKey)
}

// migrateKeys moves the records of the legacy prefix into the namespace.
func migrateKeys(ctx context.Context, m store.Metadata) error {
	for _, p := range legacyKeys {
		to := append(bytes.Clone(KeyPrefix), p[len(p)-1])
		if _, err := store.MovePrefix(ctx, m, p, to); err != nil {
			return fmt.Errorf("state: moving client records to the nfs4-state namespace: %w", err)
		}
	}
	return nil
}

// checkKey is the store.NamespaceChecker of "nfs4-state": the epoch is 4
// bytes, a client record has a name.
func checkKey(k, v []byte, _ func(uint64) bool) error {
	var rest []byte
	switch {
	case bytes.HasPrefix(k, KeyPrefix):
		rest = k[len(KeyPrefix):]
	case bytes.HasPrefix(k, legacyKeys[0][:3]):
		rest = k[3:]
	}
	switch {
	case len(rest) == 1 && rest[0] == 'e':
		if len(v) != 4 {
			return fmt.Errorf("boot epoch of %d bytes", len(v))
		}
	case len(rest) >= 1 && rest[0] == 'c':
	default:
		return fmt.Errorf("unknown record")
	}
	return nil
}

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
)

// Key namespaces.
//
// Components other than FS keep their own records in the metadata store
// of a share: the lock manager its locks and share reservations, the NSM
// monitor its watched hosts, the NFSv4 state table its client names. Each
// registers a namespace at init with RegisterNamespace and keeps every key
// under the prefix it returns. The prefix is 0xff, the name, and a 0x00
// terminator: FS keys never start with 0xff, a name never holds 0x00, so
// no namespace's prefix is a prefix of another's, and Check knows whose
// every key is.

// ErrStaleRecord marks a namespace record that is no damage but refers to
// what no longer exists (the lock state of a file removed while it was
// locked). A NamespaceChecker returns it wrapped; Check lists such
// records as notes and Repair removes them.
var ErrStaleRecord = errors.New("store: stale record")

// A NamespaceChecker validates one record of its namespace for Check: key
// is the key after the namespace's prefix (a key under a legacy prefix is
// given as it will be once moved), node reports whether a node id is a
// live node. It
// returns nil for a sound record, an error wrapping ErrStaleRecord for a
// stale one, and any other error for damage. Repair deletes every record
// a checker does not accept.
type NamespaceChecker func(key, val []byte, node func(id uint64) bool) error

type keyspace struct {
	name   string
	prefix []byte
	check  NamespaceChecker
	legacy []prefixOwner
}

// namespaces is the process-wide registry, filled at init by the
// components; its mutex only guards against registrations from tests
// running in parallel.
var namespaces struct {
	mu       sync.RWMutex
	byName   map[string]*keyspace
	prefixes []prefixOwner // every registered and legacy prefix
}

// prefixOwner is a registered prefix: its keys belong to ns, and their
// rest follows under within the namespace (under is nil for the
// namespace's own prefix).
type prefixOwner struct {
	prefix []byte
	ns     *keyspace
	under  []byte
}

// maxNamespaceName bounds a namespace's name.
const maxNamespaceName = 64

// RegisterNamespace reserves the key namespace name and returns its
// prefix (0xff, name, 0x00). Names are 1 to 64 bytes of a-z, 0-9, '.',
// '-' and '_'. It panics when name is invalid or already registered:
// call it once, from a package-level variable or init.
func RegisterNamespace(name string) []byte {
	if !validNamespace(name) {
		panic(fmt.Sprintf("store: invalid namespace name %q", name))
	}
	namespaces.mu.Lock()
	defer namespaces.mu.Unlock()
	if namespaces.byName == nil {
		namespaces.byName = map[string]*keyspace{}
	}
	if namespaces.byName[name] != nil {
		panic(fmt.Sprintf("store: namespace %q registered twice", name))
	}
	ns := &keyspace{name: name, prefix: append(append([]byte{0xff}, name...), 0)}
	addPrefix(prefixOwner{prefix: ns.prefix, ns: ns})
	namespaces.byName[name] = ns
	return bytes.Clone(ns.prefix)
}

// RegisterNamespaceChecker makes Check validate the records of the
// registered namespace name with c. Without a checker every record of a
// namespace is accepted.
func RegisterNamespaceChecker(name string, c NamespaceChecker) {
	namespaces.mu.Lock()
	defer namespaces.mu.Unlock()
	ns := namespaces.byName[name]
	if ns == nil {
		panic(fmt.Sprintf("store: checker of unregistered namespace %q", name))
	}
	ns.check = c
}

// RegisterLegacyPrefix attributes keys under prefix, which a component
// wrote before it had a namespace, to its namespace name: a key legacy+rest
// belongs at namespace-prefix+under+rest. Check accepts a store not yet
// migrated (the checker sees each key where it belongs), and
// MigrateNamespace moves the keys there. Legacy prefixes start with 0xff
// and an upper-case letter, which no namespace's does; it panics when
// prefix overlaps another registered prefix.
func RegisterLegacyPrefix(name string, prefix, under []byte) {
	if len(prefix) < 2 || prefix[0] != 0xff || prefix[1] < 'A' || prefix[1] > 'Z' {
		panic(fmt.Sprintf("store: legacy prefix %q: want 0xff and an upper-case letter", prefix))
	}
	namespaces.mu.Lock()
	defer namespaces.mu.Unlock()
	ns := namespaces.byName[name]
	if ns == nil {
		panic(fmt.Sprintf("store: legacy prefix of unregistered namespace %q", name))
	}
	po := prefixOwner{prefix: bytes.Clone(prefix), ns: ns, under: bytes.Clone(under)}
	addPrefix(po)
	ns.legacy = append(ns.legacy, po)
}

// MigrateNamespace moves the keys under the legacy prefixes of the
// namespace name to where they belong in it (MovePrefix), and returns how
// many it moved.
func MigrateNamespace(ctx context.Context, m Metadata, name string) (int, error) {
	namespaces.mu.RLock()
	ns := namespaces.byName[name]
	namespaces.mu.RUnlock()
	if ns == nil {
		return 0, fmt.Errorf("store: namespace %q not registered", name)
	}
	moved := 0
	for _, l := range ns.legacy {
		n, err := MovePrefix(ctx, m, l.prefix, append(bytes.Clone(ns.prefix), l.under...))
		moved += n
		if err != nil {
			return moved, fmt.Errorf("store: moving %q into namespace %q: %w", l.prefix, name, err)
		}
	}
	return moved, nil
}

// addPrefix records a prefix, panicking when it and another prefix would
// both match some key.
func addPrefix(p prefixOwner) {
	for _, o := range namespaces.prefixes {
		if bytes.HasPrefix(p.prefix, o.prefix) || bytes.HasPrefix(o.prefix, p.prefix) {
			panic(fmt.Sprintf("store: prefix %q of namespace %q overlaps %q of %q", p.prefix, p.ns.name, o.prefix, o.ns.name))
		}
	}
	namespaces.prefixes = append(namespaces.prefixes, p)
}

func validNamespace(name string) bool {
	if name == "" || len(name) > maxNamespaceName {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// namespaceOf returns the namespace a key belongs to, or nil, and the key
// within the namespace (after its prefix, where a legacy key belongs).
func namespaceOf(k []byte) (*keyspace, []byte) {
	namespaces.mu.RLock()
	defer namespaces.mu.RUnlock()
	for _, o := range namespaces.prefixes {
		if bytes.HasPrefix(k, o.prefix) {
			if o.under == nil {
				return o.ns, k[len(o.prefix):]
			}
			return o.ns, append(bytes.Clone(o.under), k[len(o.prefix):]...)
		}
	}
	return nil, nil
}

// movePrefixBatch bounds the keys MovePrefix moves in one transaction.
const movePrefixBatch = 512

// MovePrefix moves every key under from to the same key under to, with
// its value, a batch of keys per transaction, so that a component that
// changes its key prefix keeps reading what an older version stored. A
// crash in between leaves some keys moved and the rest still under from;
// calling MovePrefix again finishes the move. It returns the number of
// keys moved.
func MovePrefix(ctx context.Context, m Metadata, from, to []byte) (int, error) {
	moved := 0
	end := prefixEnd(from)
	for {
		n := 0
		err := retryConflicts(func() error {
			return m.Update(ctx, func(tx Tx) error {
				n = 0
				var kvs [][2][]byte
				if err := tx.Scan(from, end, func(k, v []byte) bool {
					kvs = append(kvs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
					return len(kvs) < movePrefixBatch
				}); err != nil {
					return err
				}
				for _, kv := range kvs {
					nk := append(bytes.Clone(to), kv[0][len(from):]...)
					if err := tx.Put(nk, kv[1]); err != nil {
						return err
					}
					if err := tx.Delete(kv[0]); err != nil {
						return err
					}
				}
				n = len(kvs)
				return nil
			})
		})
		if err != nil {
			return moved, err
		}
		moved += n
		if n < movePrefixBatch {
			return moved, nil
		}
	}
}

// retryConflicts runs fn again while it fails with ErrConflict, a few
// times.
func retryConflicts(fn func() error) error {
	var err error
	for range 16 {
		if err = fn(); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return err
}

// prefixEnd returns the first key after every key under p (nil when there
// is none).
func prefixEnd(p []byte) []byte {
	e := bytes.Clone(p)
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] < 0xff {
			e[i]++
			return e[:i+1]
		}
	}
	return nil
}

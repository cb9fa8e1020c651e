package locking

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dittofs/dittofs/store"
)

// Keys under the prefix P (Options.KeyPrefix, by default the store
// namespace "locking"), integers big-endian, owner = proto(1)
// uvarint(len) client uvarint(len) key:
//
//	P 'b'                                  -> boot epoch (8 bytes)
//	P 'l' epoch(8) file(8) owner first(8)  -> one lock: last(8) excl(1)
//	P 's' epoch(8) file(8) owner           -> one share reservation: access(1) deny(1)
//	P 'f' epoch(8) file(8)                 -> a whole file's locks and shares (record, version 1)
//
// Each lock and each share reservation has its own key, so a change
// writes what it changes whatever else the file holds. The 'f' records
// are the layout of earlier versions, one record per file rewritten on
// every change; Open still reads them (and moves keys of the older
// prefix "\xffLK" into the namespace), and they go away with the rest of
// the previous boot's state when the grace period ends. Each Open starts
// a new epoch; records of older epochs are the state held before the
// restart.
const (
	keyEpoch  = 'b'
	keyFile   = 'f'
	keyLock   = 'l'
	keyShare  = 's'
	recordV1  = 1
	maxRetry  = 16
	maxString = 1 << 16
	// writeBatch bounds the keys written in one transaction when many
	// change at once (a client's release).
	writeBatch = 1024
)

// KeyPrefix is the default Options.KeyPrefix: the prefix of the store
// namespace "locking". Versions before store namespaces kept the same
// keys under "\xffLK"; Open moves them.
var KeyPrefix = store.RegisterNamespace("locking")

func init() {
	store.RegisterLegacyPrefix("locking", []byte("\xffLK"), nil)
	store.RegisterNamespaceChecker("locking", checkKey)
}

var errCorrupt = errors.New("locking: corrupt lock record")

func (m *Manager) key(kind byte, parts ...uint64) []byte {
	k := append(append(make([]byte, 0, len(m.prefix)+17), m.prefix...), kind)
	for _, p := range parts {
		k = binary.BigEndian.AppendUint64(k, p)
	}
	return k
}

// ownerKey returns os's key of kind: P kind epoch file owner.
func (m *Manager) ownerKey(os *ownerState, kind byte, extra int) []byte {
	if os.enc == nil {
		os.enc = appendOwner(nil, os.owner)
	}
	k := make([]byte, 0, len(m.prefix)+17+len(os.enc)+extra)
	k = append(append(k, m.prefix...), kind)
	k = binary.BigEndian.AppendUint64(k, m.epoch)
	k = binary.BigEndian.AppendUint64(k, os.file.id)
	return append(k, os.enc...)
}

func (m *Manager) lockKey(os *ownerState, first uint64) []byte {
	return binary.BigEndian.AppendUint64(m.ownerKey(os, keyLock, 8), first)
}

func lockValue(n *lockNode) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 9), n.last)
	if n.excl {
		return append(v, 1)
	}
	return append(v, 0)
}

// update runs fn in an Update, retrying on conflicts.
func (m *Manager) update(ctx context.Context, fn func(store.Tx) error) error {
	var err error
	for range maxRetry {
		err = m.opts.Persist.Update(ctx, fn)
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return err
}

// write deletes dels and puts puts, in one transaction unless there are
// more than writeBatch of them.
func (m *Manager) write(ctx context.Context, dels [][]byte, puts [][2][]byte) error {
	if m.opts.Persist == nil || len(dels)+len(puts) == 0 {
		return nil
	}
	for len(dels)+len(puts) > 0 {
		nd := min(len(dels), writeBatch)
		np := min(len(puts), writeBatch-nd)
		d, p := dels[:nd], puts[:np]
		err := m.update(ctx, func(tx store.Tx) error {
			for _, k := range d {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			for _, kv := range p {
				if err := tx.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		dels, puts = dels[nd:], puts[np:]
	}
	return nil
}

// saveLocks persists a planned change of an owner's locks: the keys of
// the locks it removes and adds, nothing else.
func (m *Manager) saveLocks(ctx context.Context, c *lockChange) error {
	if m.opts.Persist == nil || c.empty() {
		return nil
	}
	dels := make([][]byte, 0, len(c.removed))
	for _, n := range c.removed {
		dels = append(dels, m.lockKey(c.os, n.first))
	}
	puts := make([][2][]byte, 0, len(c.added))
	for _, n := range c.added {
		puts = append(puts, [2][]byte{m.lockKey(c.os, n.first), lockValue(n)})
	}
	return m.write(ctx, dels, puts)
}

// saveShare persists os's share reservation s, or its removal when s is
// nil.
func (m *Manager) saveShare(ctx context.Context, os *ownerState, s *share) error {
	if m.opts.Persist == nil {
		return nil
	}
	k := m.ownerKey(os, keyShare, 0)
	if s == nil {
		return m.write(ctx, [][]byte{k}, nil)
	}
	return m.write(ctx, nil, [][2][]byte{{k, []byte{byte(s.access), byte(s.deny)}}})
}

// saveOwnerRelease persists the removal of an owner's locks and, when sh
// is not nil, its share reservation.
func (m *Manager) saveOwnerRelease(ctx context.Context, c *lockChange, sh *share) error {
	if m.opts.Persist == nil {
		return nil
	}
	dels := make([][]byte, 0, len(c.removed)+1)
	for _, n := range c.removed {
		dels = append(dels, m.lockKey(c.os, n.first))
	}
	if sh != nil {
		dels = append(dels, m.ownerKey(c.os, keyShare, 0))
	}
	return m.write(ctx, dels, nil)
}

type record struct {
	locks  []heldLock
	shares []share
}

// load reads the records of earlier epochs, returning the clients that
// held state, and starts a new epoch.
func (m *Manager) load(ctx context.Context) (map[clientKey]bool, error) {
	var clients map[clientKey]bool
	err := m.update(ctx, func(tx store.Tx) error {
		clients = map[clientKey]bool{}
		var epoch uint64
		switch v, err := tx.Get(m.key(keyEpoch)); {
		case err == nil && len(v) == 8:
			epoch = binary.BigEndian.Uint64(v)
		case err == nil:
			return errCorrupt
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		for _, kind := range []byte{keyFile, keyLock, keyShare} {
			var derr error
			err := tx.Scan(m.key(kind), m.key(kind+1), func(k, v []byte) bool {
				r, err := decodeKey(k[len(m.prefix):], v)
				if err != nil {
					derr = fmt.Errorf("%w: key %x", err, k)
					return false
				}
				for _, l := range r.locks {
					clients[l.owner.client()] = true
				}
				for _, s := range r.shares {
					clients[s.owner.client()] = true
				}
				return true
			})
			if err != nil {
				return err
			}
			if derr != nil {
				return derr
			}
		}
		m.epoch = epoch + 1
		return tx.Put(m.key(keyEpoch), binary.BigEndian.AppendUint64(nil, m.epoch))
	})
	return clients, err
}

// cleanup removes the records of earlier epochs, a batch of keys per
// transaction.
func (m *Manager) cleanup(ctx context.Context) error {
	for _, kind := range []byte{keyFile, keyLock, keyShare} {
		start, end := m.key(kind), m.key(kind, m.epoch)
		for {
			var n int
			err := m.update(ctx, func(tx store.Tx) error {
				var keys [][]byte
				if err := tx.Scan(start, end, func(k, _ []byte) bool {
					keys = append(keys, append([]byte(nil), k...))
					return len(keys) < writeBatch
				}); err != nil {
					return err
				}
				for _, k := range keys {
					if err := tx.Delete(k); err != nil {
						return err
					}
				}
				n = len(keys)
				return nil
			})
			if err != nil {
				return err
			}
			if n < writeBatch {
				break
			}
		}
	}
	return nil
}

// decodeKey decodes the record of key k (without the prefix) and value v:
// a version 1 file record, one lock or one share reservation. The file
// and epoch of k are returned in r's owner-independent fields.
func decodeKey(k, v []byte) (record, error) {
	var r record
	if len(k) < 17 {
		return r, errCorrupt
	}
	kind := k[0]
	d := &recordDecoder{b: k[17:]}
	switch kind {
	case keyFile:
		if len(k) != 17 {
			return r, errCorrupt
		}
		return decodeRecord(v)
	case keyLock:
		o := d.owner()
		first := d.u64()
		if d.err != nil || len(d.b) != 0 || len(v) != 9 || v[8] > 1 {
			return r, errCorrupt
		}
		last := binary.BigEndian.Uint64(v)
		if last < first {
			return r, errCorrupt
		}
		r.locks = []heldLock{{owner: o, first: first, last: last, excl: v[8] == 1}}
	case keyShare:
		o := d.owner()
		if d.err != nil || len(d.b) != 0 || len(v) != 2 || v[0] > byte(ModeBoth) || v[1] > byte(ModeBoth) {
			return r, errCorrupt
		}
		r.shares = []share{{owner: o, access: Mode(v[0]), deny: Mode(v[1])}}
	default:
		return r, errCorrupt
	}
	return r, nil
}

// checkKey is the store.NamespaceChecker of the namespace "locking": every
// record decodes, and the file it is about is a live node (else it is
// stale: the file was removed while locked or open).
func checkKey(k, v []byte, node func(uint64) bool) error {
	if len(k) == 1 && k[0] == keyEpoch {
		if len(v) != 8 {
			return fmt.Errorf("boot epoch of %d bytes", len(v))
		}
		return nil
	}
	if _, err := decodeKey(k, v); err != nil {
		return err
	}
	if file := binary.BigEndian.Uint64(k[9:17]); !node(file) {
		return fmt.Errorf("%w: state of file %d, which does not exist", store.ErrStaleRecord, file)
	}
	return nil
}

func appendOwner(b []byte, o Owner) []byte {
	b = append(b, byte(o.Proto))
	b = binary.AppendUvarint(b, uint64(len(o.Client)))
	b = append(b, o.Client...)
	b = binary.AppendUvarint(b, uint64(len(o.Key)))
	return append(b, o.Key...)
}

// recordDecoder reads a record with a sticky error; every length is
// checked against the bytes left.
type recordDecoder struct {
	b   []byte
	err error
}

func (d *recordDecoder) fail() { d.err, d.b = errCorrupt, nil }

func (d *recordDecoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *recordDecoder) uvarint(limit uint64) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) u64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *recordDecoder) string() string {
	n := d.uvarint(min(uint64(len(d.b)), maxString))
	if d.err != nil || uint64(len(d.b)) < n {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *recordDecoder) owner() Owner {
	p := Proto(d.byte())
	c := d.string()
	k := d.string()
	return Owner{Proto: p, Client: c, Key: k}
}

// decodeRecord decodes a file's record. Its minimum sizes bound the
// counts, so a corrupt count allocates nothing.
func decodeRecord(b []byte) (record, error) {
	d := &recordDecoder{b: b}
	var r record
	if d.byte() != recordV1 {
		return r, errCorrupt
	}
	const minLock, minShare = 1 + 1 + 1 + 17, 1 + 1 + 1 + 2
	n := d.uvarint(uint64(len(d.b) / minLock))
	if n > 0 {
		r.locks = make([]heldLock, 0, n)
	}
	for range n {
		l := heldLock{owner: d.owner(), first: d.u64(), last: d.u64()}
		switch d.byte() {
		case 0:
		case 1:
			l.excl = true
		default:
			d.fail()
		}
		if d.err != nil {
			return record{}, d.err
		}
		if l.first > l.last {
			return record{}, errCorrupt
		}
		r.locks = append(r.locks, l)
	}
	n = d.uvarint(uint64(len(d.b) / minShare))
	if n > 0 {
		r.shares = make([]share, 0, n)
	}
	for range n {
		s := share{owner: d.owner(), access: Mode(d.byte()), deny: Mode(d.byte())}
		if d.err != nil {
			return record{}, d.err
		}
		r.shares = append(r.shares, s)
	}
	if d.err != nil {
		return record{}, d.err
	}
	if len(d.b) != 0 {
		return record{}, errCorrupt
	}
	return r, nil
}

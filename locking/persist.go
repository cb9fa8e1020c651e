package locking

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dittofs/dittofs/store"
)

// Keys under the prefix P (Options.KeyPrefix), integers big-endian:
//
//	P 'b'                     -> boot epoch (8 bytes)
//	P 'f' epoch(8) file(8)    -> the file's locks and shares (record)
//
// Each Open starts a new epoch; records of older epochs are the state held
// before the restart, removed when the grace period ends.
const (
	keyEpoch  = 'b'
	keyFile   = 'f'
	recordV1  = 1
	maxRetry  = 16
	maxString = 1 << 16
)

var errCorrupt = errors.New("locking: corrupt lock record")

func (m *Manager) key(kind byte, parts ...uint64) []byte {
	k := append(append(make([]byte, 0, len(m.prefix)+17), m.prefix...), kind)
	for _, p := range parts {
		k = binary.BigEndian.AppendUint64(k, p)
	}
	return k
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

type record struct {
	locks  []heldLock
	shares []share
}

// load reads the records of earlier epochs and starts a new epoch.
func (m *Manager) load(ctx context.Context) ([]record, error) {
	var recs []record
	err := m.update(ctx, func(tx store.Tx) error {
		recs = recs[:0]
		var epoch uint64
		switch v, err := tx.Get(m.key(keyEpoch)); {
		case err == nil && len(v) == 8:
			epoch = binary.BigEndian.Uint64(v)
		case err == nil:
			return errCorrupt
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		start := m.key(keyFile)
		end := m.key(keyFile + 1)
		var derr error
		err := tx.Scan(start, end, func(k, v []byte) bool {
			r, err := decodeRecord(v)
			if err != nil {
				derr = fmt.Errorf("%w: key %x", err, k)
				return false
			}
			recs = append(recs, r)
			return true
		})
		if err != nil {
			return err
		}
		if derr != nil {
			return derr
		}
		m.epoch = epoch + 1
		return tx.Put(m.key(keyEpoch), binary.BigEndian.AppendUint64(nil, m.epoch))
	})
	return recs, err
}

// save writes the state of one file in the current epoch.
func (m *Manager) save(ctx context.Context, fileID uint64, locks []heldLock, shares []share) error {
	if m.opts.Persist == nil {
		return nil
	}
	k := m.key(keyFile, m.epoch, fileID)
	var v []byte
	if len(locks) > 0 || len(shares) > 0 {
		v = encodeRecord(locks, shares)
	}
	return m.update(ctx, func(tx store.Tx) error {
		if v == nil {
			return tx.Delete(k)
		}
		return tx.Put(k, v)
	})
}

// cleanup removes the records of earlier epochs.
func (m *Manager) cleanup(ctx context.Context) error {
	start, end := m.key(keyFile), m.key(keyFile, m.epoch)
	return m.update(ctx, func(tx store.Tx) error {
		var keys [][]byte
		if err := tx.Scan(start, end, func(k, _ []byte) bool {
			keys = append(keys, append([]byte(nil), k...))
			return true
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func appendOwner(b []byte, o Owner) []byte {
	b = append(b, byte(o.Proto))
	b = binary.AppendUvarint(b, uint64(len(o.Client)))
	b = append(b, o.Client...)
	b = binary.AppendUvarint(b, uint64(len(o.Key)))
	return append(b, o.Key...)
}

func encodeRecord(locks []heldLock, shares []share) []byte {
	b := []byte{recordV1}
	b = binary.AppendUvarint(b, uint64(len(locks)))
	for _, l := range locks {
		b = appendOwner(b, l.owner)
		b = binary.BigEndian.AppendUint64(b, l.first)
		b = binary.BigEndian.AppendUint64(b, l.last)
		if l.excl {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(shares)))
	for _, s := range shares {
		b = appendOwner(b, s.owner)
		b = append(b, byte(s.access), byte(s.deny))
	}
	return b
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

package badger

import (
	"bytes"
	"errors"
	"fmt"

	bdg "github.com/dgraph-io/badger/v4"

	"github.com/dittofs/dittofs/store"
)

// txn is a store.Tx over a Badger transaction.
type txn struct {
	btx      *bdg.Txn
	writable bool
	done     bool
	scratch  []byte     // the prefixed key of the last Get
	writes   [][]byte   // prefixed keys written, for the range oracle
	scans    []keyRange // prefixed ranges scanned, for the range oracle
	// vlogMin is the value size from which Badger puts a value in the
	// value log; vlog is set when a Put did.
	vlogMin int
	vlog    bool
}

func (tx *txn) end() { tx.done = true }

var errTxDone = errors.New("transaction has ended")

func (tx *txn) check(op string, write bool) error {
	if tx.done {
		return store.NewError(store.CodeInvalid, op, "", errTxDone)
	}
	if write && !tx.writable {
		return store.NewError(store.CodeReadOnly, op, "", nil)
	}
	return nil
}

// prefixed returns keyPrefix+key in a new slice.
func prefixed(key []byte) []byte {
	k := make([]byte, len(key)+1)
	k[0] = keyPrefix
	copy(k[1:], key)
	return k
}

func checkKey(op string, key []byte) error {
	if len(key) > maxKeyLen {
		return store.NewError(store.CodeInvalid, op, "", fmt.Errorf("key of %d bytes is longer than %d", len(key), maxKeyLen))
	}
	return nil
}

// recovered turns a panic inside Badger into an error matching
// store.ErrIO.
func recovered(op string, err *error) {
	if r := recover(); r != nil {
		*err = store.NewError(store.CodeIO, op, "", fmt.Errorf("badger panicked: %v", r))
	}
}

func (tx *txn) Get(key []byte) (val []byte, err error) {
	if err := tx.check("get", false); err != nil {
		return nil, err
	}
	if len(key) > maxKeyLen {
		return nil, store.ErrNotFound
	}
	defer recovered("get", &err)
	tx.scratch = append(append(tx.scratch[:0], keyPrefix), key...)
	// Badger does not keep the key it is given to Get.
	item, err := tx.btx.Get(tx.scratch)
	if err != nil {
		return nil, mapErr("get", err)
	}
	stored, err := item.ValueCopy(nil)
	if err != nil {
		return nil, mapErr("get", err)
	}
	return unseal("get", tx.scratch, stored)
}

func (tx *txn) Put(key, val []byte) error {
	if err := tx.check("put", true); err != nil {
		return err
	}
	if err := checkKey("put", key); err != nil {
		return err
	}
	k := prefixed(key)
	v := seal(k, val)
	if len(v) >= tx.vlogMin {
		tx.vlog = true
	}
	if err := tx.btx.Set(k, v); err != nil {
		return mapErr("put", err)
	}
	tx.writes = append(tx.writes, k)
	return nil
}

func (tx *txn) Delete(key []byte) error {
	if err := tx.check("delete", true); err != nil {
		return err
	}
	if len(key) > maxKeyLen {
		return nil // never stored
	}
	k := prefixed(key)
	if err := tx.btx.Delete(k); err != nil {
		return mapErr("delete", err)
	}
	tx.writes = append(tx.writes, k)
	return nil
}

// Scan iterates over a Badger iterator, which sees the transaction's
// writes made before the call; fn may write, and those writes are not seen
// by the running Scan.
func (tx *txn) Scan(start, end []byte, fn func(k, v []byte) bool) (err error) {
	if err := tx.check("scan", false); err != nil {
		return err
	}
	if end != nil && bytes.Compare(start, end) >= 0 {
		return nil
	}
	if len(start) > maxKeyLen {
		start = start[:maxKeyLen+1] // no stored key lies between the two
	}
	pstart := prefixed(start)
	var pend []byte
	if end != nil {
		pend = prefixed(end)
	} else {
		pend = []byte{keyPrefix + 1}
	}
	if tx.writable {
		tx.scans = append(tx.scans, keyRange{pstart, pend})
	}
	// A panic in fn must reach the caller unchanged; one inside Badger
	// becomes an error.
	inFn := false
	defer func() {
		if r := recover(); r != nil {
			if inFn {
				panic(r)
			}
			err = store.NewError(store.CodeIO, "scan", "", fmt.Errorf("badger panicked: %v", r))
		}
	}()
	// Every key in [pstart, pend) starts with their common prefix; as the
	// iterator's prefix it lets Badger skip tables outside the range.
	prefix := commonPrefix(pstart, pend)
	if len(prefix) == 0 {
		prefix = pstart[:1] // pend is the end of the keyPrefix space
	}
	it := tx.btx.NewIterator(bdg.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Seek(pstart); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if bytes.Compare(k, pend) >= 0 {
			return nil
		}
		cont := true
		if err := item.Value(func(stored []byte) error {
			v, err := unseal("scan", k, stored)
			if err != nil {
				return err
			}
			inFn = true
			cont = fn(k[1:], v)
			inFn = false
			return nil
		}); err != nil {
			var se *store.Error
			if errors.As(err, &se) {
				return err
			}
			return mapErr("scan", err)
		}
		if !cont {
			return nil
		}
	}
	return nil
}

// commonPrefix returns the longest common prefix of a and b.
func commonPrefix(a, b []byte) []byte {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n:n]
}

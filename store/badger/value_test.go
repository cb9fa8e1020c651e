package badger

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/store"
)

func FuzzUnseal(f *testing.F) {
	f.Add([]byte("\x01key"), []byte{})
	f.Add([]byte("\x01key"), []byte{0, 0, 0})
	f.Add([]byte("\x01"), seal([]byte("\x01"), []byte("value")))
	f.Add([]byte("\x01k"), seal([]byte("\x01other"), []byte("value")))
	f.Fuzz(func(t *testing.T, pkey, stored []byte) {
		val, err := unseal("get", pkey, stored)
		if err != nil {
			if !errors.Is(err, store.ErrIO) {
				t.Fatalf("unseal error %v does not match ErrIO", err)
			}
			return
		}
		// Whatever unseals must be what seal makes of it.
		if !bytes.Equal(seal(pkey, val), stored) {
			t.Fatalf("unseal accepted %x, which seal does not produce", stored)
		}
	})
}

func TestSealRoundTrip(t *testing.T) {
	for _, v := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("y"), 5000)} {
		k := []byte("\x01key")
		got, err := unseal("get", k, seal(k, v))
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("round trip of %d bytes: %d bytes, %v", len(v), len(got), err)
		}
		s := seal(k, v)
		s[len(s)-1] ^= 1
		if len(v) > 0 {
			if _, err := unseal("get", k, s); !errors.Is(err, store.ErrIO) {
				t.Fatalf("flipped bit: %v, want ErrIO", err)
			}
		}
		if _, err := unseal("get", []byte("\x01kez"), seal(k, v)); !errors.Is(err, store.ErrIO) {
			t.Fatalf("value under another key: %v, want ErrIO", err)
		}
	}
}

package export

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/store"
)

// TestHandleEncoding pins the bytes of file handles, so that the handles
// clients hold stay valid across versions (NFSv4 FH4_PERSISTENT, RFC 7530
// §4.2.3; NFSv3 handles of the same layout, version byte 1). The
// expected check bytes were computed independently (Python hashlib).
func TestHandleEncoding(t *testing.T) {
	tab, err := NewTable(context.Background(), Options{HandleKey: []byte("test key")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		h    FileHandle
		want string
	}{
		{FileHandle{Kind: KindNode, ID: 7, Node: store.Handle{ID: 42, Gen: 0x0102030405060708}},
			"0100000000000007000000000000002a01020304050607084b6bab079cd30122"},
		{FileHandle{Kind: KindPseudo, ID: 9},
			"0200000000000009000000000000000000000000000000009dbcce9bb02034f4"},
	} {
		var buf [HandleSize]byte
		b := tab.EncodeHandle(&buf, c.h)
		if hex.EncodeToString(b) != c.want {
			t.Errorf("%+v: %x, want %s", c.h, b, c.want)
		}
		if got, ok := tab.DecodeHandle(b); !ok || got != c.h {
			t.Errorf("decode %x = %+v %v", b, got, ok)
		}
	}
}

// TestDecodeHandleRejects: bytes that are not a handle of the table are a
// bad handle (NFS3ERR_BADHANDLE, RFC 1813 §2.6; NFS4ERR_BADHANDLE, RFC
// 7530 §13.1.2.1): any byte changed, the wrong length, another key, an
// unknown kind, a node handle without a node, a pseudo handle with one.
func TestDecodeHandleRejects(t *testing.T) {
	tab, _ := NewTable(context.Background(), Options{HandleKey: []byte("key one")})
	other, _ := NewTable(context.Background(), Options{HandleKey: []byte("key two")})
	var buf [HandleSize]byte
	good := bytes.Clone(tab.EncodeHandle(&buf, FileHandle{Kind: KindNode, ID: 3, Node: store.Handle{ID: 5, Gen: 6}}))
	for i := range HandleSize {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		if _, ok := tab.DecodeHandle(b); ok {
			t.Errorf("byte %d changed: accepted", i)
		}
	}
	for _, b := range [][]byte{nil, good[:31], append(bytes.Clone(good), 0), make([]byte, HandleSize)} {
		if _, ok := tab.DecodeHandle(b); ok {
			t.Errorf("%x: accepted", b)
		}
	}
	if _, ok := other.DecodeHandle(good); ok {
		t.Error("a handle of another key was accepted")
	}
	for _, h := range []FileHandle{
		{Kind: 3, ID: 3, Node: store.Handle{ID: 5}},
		{Kind: KindNode, ID: 3},
		{Kind: KindPseudo, ID: 3, Node: store.Handle{ID: 5}},
	} {
		if _, ok := tab.DecodeHandle(tab.EncodeHandle(&buf, h)); ok {
			t.Errorf("%+v: accepted", h)
		}
	}
}

// TestResolveHandle: what NLM answers NLM4_STALE_FH for (store.ErrStale,
// store.ErrBadHandle) and the export and node of a good handle.
func TestResolveHandle(t *testing.T) {
	ctx := context.Background()
	fsys := newFS(t)
	e := &Export{Name: "/x", FS: fsys, Locks: newLocks(t), Rules: []Rule{{Client: "*"}}}
	tab, err := NewTable(ctx, Options{HandleKey: []byte("key")}, e)
	if err != nil {
		t.Fatal(err)
	}
	root := &store.Cred{}
	h, _, _, err := fsys.Create(ctx, root, fsys.Root(), "f", store.CreateUnchecked, &store.SetAttr{}, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	var buf [HandleSize]byte
	fh := bytes.Clone(tab.EncodeHandle(&buf, NodeHandle(e, h)))
	got, node, err := tab.ResolveHandle(ctx, fh)
	if err != nil || got != e || node != h {
		t.Fatalf("ResolveHandle = %v %v %v", got, node, err)
	}
	forged := bytes.Clone(fh)
	forged[9] ^= 1
	if _, _, err := tab.ResolveHandle(ctx, forged); !errors.Is(err, store.ErrBadHandle) {
		t.Fatalf("forged handle: %v", err)
	}
	if _, _, err := tab.ResolveHandle(ctx, fh[:10]); !errors.Is(err, store.ErrBadHandle) {
		t.Fatalf("short handle: %v", err)
	}
	pseudo := tab.EncodeHandle(&buf, FileHandle{Kind: KindPseudo, ID: 1})
	if _, _, err := tab.ResolveHandle(ctx, pseudo); !errors.Is(err, store.ErrBadHandle) {
		t.Fatalf("pseudo handle: %v", err)
	}
	unknown := tab.EncodeHandle(&buf, FileHandle{Kind: KindNode, ID: e.ID + 1, Node: h})
	if _, _, err := tab.ResolveHandle(ctx, unknown); !errors.Is(err, store.ErrStale) {
		t.Fatalf("unknown export: %v", err)
	}
	if _, err := fsys.Remove(ctx, root, fsys.Root(), "f"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.ResolveHandle(ctx, fh); !errors.Is(err, store.ErrStale) {
		t.Fatalf("deleted file: %v", err)
	}
}

// TestNewTableRefusesUnsharedLocks: an export without a lock manager, or
// two exports of one store with different ones, would let an NLM lock
// and an NFSv4 (or SMB) lock on the same range both be granted; the
// table, and so the server, refuses to start instead.
func TestNewTableRefusesUnsharedLocks(t *testing.T) {
	ctx := context.Background()
	fsys := newFS(t)
	_, err := NewTable(ctx, Options{}, &Export{Name: "/x", FS: fsys})
	if !errors.Is(err, ErrNoLocks) {
		t.Fatalf("no Locks: %v", err)
	}
	t.Log(err)
	_, err = NewTable(ctx, Options{},
		&Export{Name: "/x", FS: fsys, Locks: newLocks(t)},
		&Export{Name: "/y", FS: fsys, Locks: newLocks(t)})
	if !errors.Is(err, ErrSplitLocks) {
		t.Fatalf("two managers for one store: %v", err)
	}
	t.Log(err)
	// Two stores may have a manager each.
	a, b := &Export{Name: "/x", FS: fsys, Locks: newLocks(t)}, &Export{Name: "/y", FS: newFS(t), Locks: newLocks(t)}
	tab, err := NewTable(ctx, Options{}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.LockManagers(); len(got) != 2 || got[0] != a.Locks || got[1] != b.Locks {
		t.Fatalf("LockManagers = %v", got)
	}
}

// FuzzDecodeHandle checks the file handle decoder, which reads bytes from
// the network for NFSv3, NLM and NFSv4: it never panics, and what it
// accepts re-encodes to the same bytes.
func FuzzDecodeHandle(f *testing.F) {
	tab, _ := NewTable(context.Background(), Options{HandleKey: []byte("k")})
	var buf [HandleSize]byte
	f.Add([]byte{})
	f.Add(bytes.Clone(tab.EncodeHandle(&buf, FileHandle{Kind: KindNode, ID: 7, Node: store.Handle{ID: 1, Gen: 2}})))
	f.Add(bytes.Clone(tab.EncodeHandle(&buf, FileHandle{Kind: KindPseudo, ID: 9})))
	f.Add(make([]byte, HandleSize))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := tab.DecodeHandle(b)
		if !ok {
			return
		}
		var out [HandleSize]byte
		if got := tab.EncodeHandle(&out, h); !bytes.Equal(got, b) {
			t.Fatalf("decode/encode of %x gave %x", b, got)
		}
	})
}

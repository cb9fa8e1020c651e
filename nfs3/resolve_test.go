package nfs3

import (
	"context"
	"errors"
	"testing"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

func TestResolveHandle(t *testing.T) {
	ctx := context.Background()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &export.Export{Name: "/x", FS: fsys, Rules: []export.Rule{{Client: "*"}}}
	tbl, err := export.NewTable(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Exports: tbl, HandleKey: []byte("key")}
	root := &store.Cred{}
	h, _, _, err := fsys.Create(ctx, root, fsys.Root(), "f", store.CreateUnchecked, &store.SetAttr{}, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	var buf [handleSize]byte
	fh := s.encodeHandle(buf[:], e.ID, h)
	got, node, err := s.ResolveHandle(ctx, fh)
	if err != nil || got != e || node != h {
		t.Fatalf("ResolveHandle = %v %v %v", got, node, err)
	}
	forged := append([]byte(nil), fh...)
	forged[9] ^= 1
	if _, _, err := s.ResolveHandle(ctx, forged); !errors.Is(err, store.ErrBadHandle) {
		t.Fatalf("forged handle: %v", err)
	}
	if _, _, err := s.ResolveHandle(ctx, fh[:10]); !errors.Is(err, store.ErrBadHandle) {
		t.Fatalf("short handle: %v", err)
	}
	other := s.encodeHandle(buf[:], e.ID+1, h)
	if _, _, err := s.ResolveHandle(ctx, other); !errors.Is(err, store.ErrStale) {
		t.Fatalf("unknown export: %v", err)
	}
	if _, err := fsys.Remove(ctx, root, fsys.Root(), "f"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ResolveHandle(ctx, fh); !errors.Is(err, store.ErrStale) {
		t.Fatalf("deleted file: %v", err)
	}
}

package nfs3

import (
	"context"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/store"
)

// ResolveHandle checks an NFSv3 file handle (nfs_fh3 data) as the NFS
// procedures do and returns the export it belongs to and the file's store
// handle, for services that name files by NFSv3 handles (NLM). A handle of
// the wrong size, version or check bytes is store.ErrBadHandle; one of an
// unknown export or a deleted file is store.ErrStale.
func (s *Server) ResolveHandle(ctx context.Context, fh []byte) (*export.Export, store.Handle, error) {
	h, ok := s.decodeHandle(fh)
	if !ok {
		return nil, store.Handle{}, store.ErrBadHandle
	}
	var e *export.Export
	if s.Exports != nil {
		e = s.Exports.ByID(h.export)
	}
	if e == nil {
		return nil, store.Handle{}, store.ErrStale
	}
	if _, err := e.FS.Resolve(ctx, h.node.ID, h.node.Gen); err != nil {
		return nil, store.Handle{}, err
	}
	return e, h.node, nil
}

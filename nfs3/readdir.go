package nfs3

import (
	"context"
	"encoding/binary"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// maxDirReply bounds the size of a READDIR or READDIRPLUS reply whatever
// count the client asks for.
const maxDirReply = 1 << 20

// Encoded sizes used to fit READDIR and READDIRPLUS replies in the
// client's counts (RFC 1813 §3.3.16-17).
const (
	postOpSize = 4 + 84
	postFHSize = 4 + 4 + handleSize
)

// readdir is READDIR (RFC 1813 §3.3.16) and, with plus, READDIRPLUS
// (§3.3.17). The reply is encoded as the store lists the directory. "."
// and ".." come first with cookies 1 and 2; the store's entries follow
// with the store's stable cookies, so a listing resumes correctly while
// the directory changes. A cookie the directory never handed out, or one
// with another directory's verifier, is NFS3ERR_BAD_COOKIE; counts too
// small for one entry are NFS3ERR_TOOSMALL.
func (s *Server) readdir(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call, plus bool) {
	var fhb []byte
	var cookie uint64
	var cverf store.Verifier
	var dircount, maxcount uint32
	if plus {
		var args wire.READDIRPLUS3args
		if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
			garbage(w)
			return
		}
		fhb, cookie, cverf = args.Dir.Data, uint64(args.Cookie), store.Verifier(args.Cookieverf)
		dircount, maxcount = uint32(args.Dircount), uint32(args.Maxcount)
	} else {
		var args wire.READDIR3args
		if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
			garbage(w)
			return
		}
		fhb, cookie, cverf = args.Dir.Data, uint64(args.Cookie), store.Verifier(args.Cookieverf)
		maxcount = uint32(args.Count)
		dircount = maxcount
	}
	proc := "READDIR"
	if plus {
		proc = "READDIRPLUS"
	}
	r, fh, st, err := s.begin(w, c, fhb)
	if err != nil {
		return
	}
	e := w.Encoder()
	if st != wire.NFS3_OK {
		w.SetStatus(uint32(st))
		e.Uint32(uint32(st))
		e.Bool(false)
		return
	}
	dirAttr, err := r.fs.GetAttr(ctx, &r.cred, fh.node)
	if err != nil {
		st = r.fail(ctx, proc, err)
		w.SetStatus(uint32(st))
		e.Uint32(uint32(st))
		e.Bool(false)
		return
	}
	dirPost := r.post(&dirAttr)
	failWith := func(st wire.NFSStat3, start int) {
		e.Truncate(start)
		w.SetStatus(uint32(st))
		e.Uint32(uint32(st))
		dirPost.MarshalXDR(e)
	}
	start := e.Len()
	if dirAttr.Type != store.TypeDir {
		failWith(wire.NFS3ERR_NOTDIR, start)
		return
	}
	maxcount = min(maxcount, maxIO(c, maxDirReply))
	dircount = min(dircount, maxIO(c, maxDirReply))

	e.Uint32(uint32(wire.NFS3_OK))
	dirPost.MarshalXDR(e)
	verfOff := e.Len()
	e.Uint64(0)
	used := uint32(e.Len()-start) + 8 // and the end of the list, eof
	var dirUsed uint32
	n, full := 0, false
	var hbuf [handleSize]byte
	emit := func(name string, ck uint64, h store.Handle, a *store.Attr) bool {
		if full {
			return false
		}
		ns := uint32(xdr.SizeOpaque(len(name)))
		sz, dsz := 4+8+ns+8, 8+ns+8
		if plus {
			sz += postOpSize + postFHSize
		}
		if used+sz > maxcount || dirUsed+dsz > dircount {
			full = true
			return false
		}
		used += sz
		dirUsed += dsz
		n++
		e.Bool(true)
		e.Uint64(h.ID)
		e.String(name)
		e.Uint64(ck)
		if plus {
			p := r.post(a)
			p.MarshalXDR(e)
			e.Bool(true)
			e.Opaque(r.s.encodeHandle(&hbuf, r.exp.ID, h))
		}
		return true
	}
	if cookie == 0 {
		emit(".", 1, fh.node, &dirAttr)
	}
	if cookie <= 1 {
		ph, pa := fh.node, dirAttr
		if fh.node != r.exp.Root() {
			if h, a, err := r.fs.Lookup(ctx, &r.cred, fh.node, ".."); err == nil {
				ph, pa = h, a
			}
		}
		emit("..", 2, ph, &pa)
	}
	verf, eof, err := r.fs.ReadDir(ctx, &r.cred, fh.node, cookie, cverf, plus, func(de *store.DirEntry) bool {
		return emit(de.Name, de.Cookie, de.Handle, &de.Attr)
	})
	if err != nil {
		failWith(r.fail(ctx, proc, err), start)
		return
	}
	if full {
		eof = false
		if n == 0 {
			failWith(wire.NFS3ERR_TOOSMALL, start)
			return
		}
	}
	e.PutUint32At(verfOff, binary.BigEndian.Uint32(verf[:4]))
	e.PutUint32At(verfOff+4, binary.BigEndian.Uint32(verf[4:]))
	e.Bool(false)
	e.Bool(eof)
	w.SetStatus(uint32(wire.NFS3_OK))
}

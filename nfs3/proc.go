package nfs3

import (
	"context"

	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
)

// getattr is GETATTR (RFC 1813 §3.3.1).
func (s *Server) getattr(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.GETATTR3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.GETATTR3res
	r, fh, st, err := s.begin(w, c, args.Object.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		a, err := r.fs.GetAttr(ctx, &r.cred, fh.node)
		if err != nil {
			st = r.fail(ctx, "GETATTR", err)
		} else {
			fattr(&a, r.exp.ID, &res.ObjAttributes)
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// setattr is SETATTR (RFC 1813 §3.3.2), with the ctime guard.
func (s *Server) setattr(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.SETATTR3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.SETATTR3res
	r, fh, st, err := s.begin(w, c, args.Object.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		sa := sattr(&args.NewAttributes)
		if args.Guard.Check {
			sa.Mask |= store.SetCtimeGuard
			sa.Guard = timeNS(args.Guard.ObjCtime)
		}
		// The store reads the attributes around the change in its
		// transaction: one call, and exact wcc_data (RFC 1813 §2.6).
		var ow store.Wcc
		var err error
		if r.ro {
			st = wire.NFS3ERR_ROFS
		} else if ow, err = r.fs.SetAttr(ctx, &r.cred, fh.node, &sa); err != nil {
			st = r.fail(ctx, "SETATTR", err)
		}
		res.ObjWcc = r.dirWcc(ctx, st, &ow, fh.node)
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// lookup is LOOKUP (RFC 1813 §3.3.3). ".." of the export's root is the
// root itself, so that a client cannot walk out of the export.
func (s *Server) lookup(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.LOOKUP3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.LOOKUP3res
	var buf [handleSize]byte
	r, fh, st, err := s.begin(w, c, args.What.Dir.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		name := string(args.What.Name)
		if name == ".." && fh.node == r.exp.Root() {
			name = "."
		}
		h, a, err := r.fs.Lookup(ctx, &r.cred, fh.node, name)
		if err != nil {
			st = r.fail(ctx, "LOOKUP", err)
			res.Resfail = r.postOp(ctx, fh.node)
		} else {
			res.Resok.Object = r.fh(&buf, h)
			res.Resok.ObjAttributes = r.post(&a)
			res.Resok.DirAttributes = r.postOp(ctx, fh.node)
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// access is ACCESS (RFC 1813 §3.3.4).
func (s *Server) access(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.ACCESS3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.ACCESS3res
	r, fh, st, err := s.begin(w, c, args.Object.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		g, a, err := r.fs.Access(ctx, &r.cred, fh.node, store.AccessRead|store.AccessWrite|store.AccessExec)
		if err != nil {
			st = r.fail(ctx, "ACCESS", err)
			res.Resfail = r.postOp(ctx, fh.node)
		} else {
			res.Resok.ObjAttributes = r.post(&a)
			res.Resok.Access = args.Access & accessBits(g, a.Type, r.ro)
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// accessBits converts granted store access to ACCESS3 bits for a node of
// type t (RFC 1813 §3.3.4).
func accessBits(g uint32, t store.FileType, ro bool) uint32 {
	var b uint32
	if g&store.AccessRead != 0 {
		b |= wire.ACCESS3_READ
	}
	if g&store.AccessWrite != 0 && !ro {
		b |= wire.ACCESS3_MODIFY | wire.ACCESS3_EXTEND
		if t == store.TypeDir {
			b |= wire.ACCESS3_DELETE
		}
	}
	if g&store.AccessExec != 0 {
		if t == store.TypeDir {
			b |= wire.ACCESS3_LOOKUP
		} else {
			b |= wire.ACCESS3_EXECUTE
		}
	}
	return b
}

// readlink is READLINK (RFC 1813 §3.3.5).
func (s *Server) readlink(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.READLINK3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.READLINK3res
	r, fh, st, err := s.begin(w, c, args.Symlink.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		t, err := r.fs.Readlink(ctx, &r.cred, fh.node)
		if err != nil {
			st = r.fail(ctx, "READLINK", err)
			res.Resfail = r.postOp(ctx, fh.node)
		} else {
			res.Resok.SymlinkAttributes = r.postOp(ctx, fh.node)
			res.Resok.Data = wire.NFSPath3(t)
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// read is READ (RFC 1813 §3.3.6). A count beyond the server's rtmax is
// cut to rtmax (a short read, which the RFC allows). The data is read into
// a buffer of the reply writer and sent from there, without a copy.
func (s *Server) read(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.READ3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	r, fh, st, err := s.begin(w, c, args.File.Data)
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
	n := min(args.Count, wire.Count3(maxIO(c, r.fs.FsInfo().MaxRead)))
	var buf []byte
	if n > 0 {
		buf = w.Buffer(int(n))[:n]
	}
	if args.Offset > 1<<63-1 {
		args.Offset = 1<<63 - 1
	}
	got, eof, a, err := r.fs.ReadAt(ctx, &r.cred, fh.node, buf, int64(args.Offset))
	if err != nil {
		post := r.postOp(ctx, fh.node)
		st = r.fail(ctx, "READ", err)
		w.SetStatus(uint32(st))
		e.Uint32(uint32(st))
		post.MarshalXDR(e)
		return
	}
	post := r.post(&a) // as of the read, from the read's transaction
	if n == 0 {
		eof = uint64(args.Offset) >= a.Size
	}
	w.SetStatus(uint32(wire.NFS3_OK))
	e.Uint32(uint32(wire.NFS3_OK))
	post.MarshalXDR(e)
	e.Uint32(uint32(got))
	e.Bool(eof)
	e.Uint32(uint32(got))
	w.Data(buf[:got])
}

// write is WRITE (RFC 1813 §3.3.7). The data aliases the call record and
// is copied once, by the store. More than wtmax bytes are cut to wtmax (a
// short write the client completes); a count larger than the data sent is
// NFS3ERR_INVAL. DATA_SYNC and FILE_SYNC writes are durable, data and
// metadata, when answered, so both are answered FILE_SYNC.
func (s *Server) write(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.WRITE3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.WRITE3res
	r, fh, st, err := s.begin(w, c, args.File.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		data := args.Data
		var how store.Stability
		switch args.Stable {
		case wire.UNSTABLE:
			how = store.Unstable
		case wire.DATA_SYNC:
			how = store.DataSync
		default:
			how = store.FileSync
		}
		switch {
		case r.ro:
			st = wire.NFS3ERR_ROFS
		case int64(args.Count) > int64(len(data)) || args.Stable > wire.FILE_SYNC:
			st = wire.NFS3ERR_INVAL
		case args.Offset > 1<<63-1:
			st = wire.NFS3ERR_FBIG
		}
		if st != wire.NFS3_OK {
			res.Resfail = r.dirWcc(ctx, st, nil, fh.node)
		} else {
			data = data[:args.Count]
			if m := maxIO(c, r.fs.FsInfo().MaxWrite); uint32(len(data)) > m {
				data = data[:m]
			}
			// One call: the store returns the attributes around the
			// write, read in its one transaction (exact wcc_data).
			n, fw, err := r.fs.WriteAt(ctx, &r.cred, fh.node, data, int64(args.Offset), how)
			if err != nil {
				st = r.fail(ctx, "WRITE", err)
				res.Resfail = r.dirWcc(ctx, st, nil, fh.node)
			} else {
				res.Resok.FileWcc = r.dirWcc(ctx, st, &fw, fh.node)
				res.Resok.Count = wire.Count3(n)
				res.Resok.Committed = wire.FILE_SYNC
				if how == store.Unstable {
					res.Resok.Committed = wire.UNSTABLE
				}
				res.Resok.Verf = wire.Writeverf3(r.fs.WriteVerifier())
			}
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// maxUDPIO bounds READ and WRITE data and READDIR replies on UDP, where a
// reply must fit in one datagram (as the Linux server does).
const maxUDPIO = 32 << 10

// maxIO returns n, or at most maxUDPIO for a call over UDP.
func maxIO(c *rpc.Call, n uint32) uint32 {
	if c.Network == rpc.UDP {
		return min(n, maxUDPIO)
	}
	return n
}

// created fills the result of CREATE, MKDIR, SYMLINK and MKNOD.
func (r *req) created(ctx context.Context, res *wire.CREATE3res, buf *[handleSize]byte, dir store.Handle, w *store.Wcc, h store.Handle, a *store.Attr, err error, proc string) wire.NFSStat3 {
	if err != nil {
		st := r.fail(ctx, proc, err)
		res.Resfail = r.dirWcc(ctx, st, w, dir)
		return st
	}
	res.Resok.DirWcc = r.dirWcc(ctx, wire.NFS3_OK, w, dir)
	res.Resok.Obj = wire.PostOpFH3{HandleFollows: true, Handle: r.fh(buf, h)}
	res.Resok.ObjAttributes = r.post(a)
	return wire.NFS3_OK
}

// create is CREATE (RFC 1813 §3.3.8): UNCHECKED, GUARDED, and EXCLUSIVE
// with the verifier stored by the store, so that a retransmitted
// exclusive create succeeds and any other one fails with NFS3ERR_EXIST.
func (s *Server) create(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.CREATE3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.CREATE3res
	var buf [handleSize]byte
	r, fh, st, err := s.begin(w, c, args.Where.Dir.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		if r.ro {
			st = wire.NFS3ERR_ROFS
			res.Resfail = r.dirWcc(ctx, st, nil, fh.node)
		} else {
			var how store.CreateMode
			var sa store.SetAttr
			var verf store.Verifier
			switch args.How.Mode {
			case wire.UNCHECKED:
				how, sa = store.CreateUnchecked, sattr(&args.How.ObjAttributes)
			case wire.GUARDED:
				how, sa = store.CreateGuarded, sattr(&args.How.ObjAttributes)
			default:
				how, verf = store.CreateExclusive, store.Verifier(args.How.Verf)
			}
			h, a, dw, err := r.fs.Create(ctx, &r.cred, fh.node, string(args.Where.Name), how, &sa, verf)
			st = r.created(ctx, &res, &buf, fh.node, &dw, h, &a, err, "CREATE")
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// mkdir is MKDIR (RFC 1813 §3.3.9).
func (s *Server) mkdir(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.MKDIR3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.CREATE3res
	var buf [handleSize]byte
	r, fh, st, err := s.begin(w, c, args.Where.Dir.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		if r.ro {
			st = wire.NFS3ERR_ROFS
			res.Resfail = r.dirWcc(ctx, st, nil, fh.node)
		} else {
			sa := sattr(&args.Attributes)
			sa.Mask &^= store.SetSize
			h, a, dw, err := r.fs.Mkdir(ctx, &r.cred, fh.node, string(args.Where.Name), &sa)
			st = r.created(ctx, &res, &buf, fh.node, &dw, h, &a, err, "MKDIR")
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// symlink is SYMLINK (RFC 1813 §3.3.10).
func (s *Server) symlink(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.SYMLINK3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.CREATE3res
	var buf [handleSize]byte
	r, fh, st, err := s.begin(w, c, args.Where.Dir.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		if r.ro {
			st = wire.NFS3ERR_ROFS
			res.Resfail = r.dirWcc(ctx, st, nil, fh.node)
		} else {
			sa := sattr(&args.Symlink.SymlinkAttributes)
			sa.Mask &^= store.SetSize | store.SetMode
			h, a, dw, err := r.fs.Symlink(ctx, &r.cred, fh.node, string(args.Where.Name), string(args.Symlink.SymlinkData), &sa)
			st = r.created(ctx, &res, &buf, fh.node, &dw, h, &a, err, "SYMLINK")
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// mknod is MKNOD (RFC 1813 §3.3.11): character and block devices,
// sockets and FIFOs; other types are NFS3ERR_BADTYPE.
func (s *Server) mknod(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.MKNOD3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.CREATE3res
	var buf [handleSize]byte
	r, fh, st, err := s.begin(w, c, args.Where.Dir.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		var typ store.FileType
		var sa store.SetAttr
		var dev store.Dev
		switch args.What.Type {
		case wire.NF3CHR, wire.NF3BLK:
			typ = store.TypeChar
			if args.What.Type == wire.NF3BLK {
				typ = store.TypeBlock
			}
			sa = sattr(&args.What.Device.DevAttributes)
			dev = store.Dev{Major: args.What.Device.Spec.Specdata1, Minor: args.What.Device.Spec.Specdata2}
		case wire.NF3SOCK, wire.NF3FIFO:
			typ = store.TypeSocket
			if args.What.Type == wire.NF3FIFO {
				typ = store.TypeFIFO
			}
			sa = sattr(&args.What.PipeAttributes)
		}
		sa.Mask &^= store.SetSize
		switch {
		case typ == 0:
			st = wire.NFS3ERR_BADTYPE
			res.Resfail = r.dirWcc(ctx, st, nil, fh.node)
		case r.ro:
			st = wire.NFS3ERR_ROFS
			res.Resfail = r.dirWcc(ctx, st, nil, fh.node)
		default:
			h, a, dw, err := r.fs.Mknod(ctx, &r.cred, fh.node, string(args.Where.Name), typ, dev, &sa)
			st = r.created(ctx, &res, &buf, fh.node, &dw, h, &a, err, "MKNOD")
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// remove is REMOVE (RFC 1813 §3.3.12) and, with dir, RMDIR (§3.3.13).
func (s *Server) remove(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call, dir bool) {
	var args wire.REMOVE3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.WccRes
	r, fh, st, err := s.begin(w, c, args.Object.Dir.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		name := string(args.Object.Name)
		var dw store.Wcc
		var err error
		switch {
		case r.ro:
			st = wire.NFS3ERR_ROFS
		case dir:
			if dw, err = r.fs.Rmdir(ctx, &r.cred, fh.node, name); err != nil {
				st = r.fail(ctx, "RMDIR", err)
			}
		default:
			if dw, err = r.fs.Remove(ctx, &r.cred, fh.node, name); err != nil {
				st = r.fail(ctx, "REMOVE", err)
			}
		}
		res.DirWcc = r.dirWcc(ctx, st, &dw, fh.node)
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// rename is RENAME (RFC 1813 §3.3.14). Both directories must be in the
// same export (NFS3ERR_XDEV otherwise).
func (s *Server) rename(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.RENAME3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.RENAME3res
	r, from, st, err := s.begin(w, c, args.From.Dir.Data)
	if err != nil {
		return
	}
	var to fileHandle
	if st == wire.NFS3_OK {
		var ok bool
		if to, ok = s.decodeHandle(args.To.Dir.Data); !ok {
			st = wire.NFS3ERR_BADHANDLE
		} else if to.export != from.export {
			st = wire.NFS3ERR_XDEV
		}
	}
	if st == wire.NFS3_OK {
		var fw, tw store.Wcc
		var err error
		if r.ro {
			st = wire.NFS3ERR_ROFS
		} else if fw, tw, err = r.fs.Rename(ctx, &r.cred, from.node, string(args.From.Name), to.node, string(args.To.Name)); err != nil {
			st = r.fail(ctx, "RENAME", err)
		}
		res.FromdirWcc, res.TodirWcc = r.dirWcc(ctx, st, &fw, from.node), r.dirWcc(ctx, st, &tw, to.node)
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// link is LINK (RFC 1813 §3.3.15).
func (s *Server) link(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.LINK3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.LINK3res
	r, file, st, err := s.begin(w, c, args.File.Data)
	if err != nil {
		return
	}
	var dir fileHandle
	if st == wire.NFS3_OK {
		var ok bool
		if dir, ok = s.decodeHandle(args.Link.Dir.Data); !ok {
			st = wire.NFS3ERR_BADHANDLE
		} else if dir.export != file.export {
			st = wire.NFS3ERR_XDEV
		}
	}
	if st == wire.NFS3_OK {
		var dw store.Wcc
		var a store.Attr
		var err error
		if r.ro {
			st = wire.NFS3ERR_ROFS
			res.FileAttributes = r.postOp(ctx, file.node)
		} else if a, dw, err = r.fs.Link(ctx, &r.cred, file.node, dir.node, string(args.Link.Name)); err != nil {
			st = r.fail(ctx, "LINK", err)
			res.FileAttributes = r.postOp(ctx, file.node)
		} else {
			res.FileAttributes = r.post(&a)
		}
		res.LinkdirWcc = r.dirWcc(ctx, st, &dw, dir.node)
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// fsstat is FSSTAT (RFC 1813 §3.3.18).
func (s *Server) fsstat(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.FSSTAT3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.FSSTAT3res
	r, fh, st, err := s.begin(w, c, args.FSRoot.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		a, err := r.fs.GetAttr(ctx, &r.cred, fh.node)
		if err != nil {
			st = r.fail(ctx, "FSSTAT", err)
		} else {
			f := r.fs.FsStat(ctx)
			res.Resok = wire.FSSTAT3resok{ObjAttributes: r.post(&a),
				Tbytes: wire.Size3(f.TotalBytes), Fbytes: wire.Size3(f.FreeBytes), Abytes: wire.Size3(f.AvailBytes),
				Tfiles: wire.Size3(f.TotalFiles), Ffiles: wire.Size3(f.FreeFiles), Afiles: wire.Size3(f.AvailFiles)}
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// fsinfo is FSINFO (RFC 1813 §3.3.19).
func (s *Server) fsinfo(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.FSSTAT3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.FSINFO3res
	r, fh, st, err := s.begin(w, c, args.FSRoot.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		a, err := r.fs.GetAttr(ctx, &r.cred, fh.node)
		if err != nil {
			st = r.fail(ctx, "FSINFO", err)
		} else {
			f := r.fs.FsInfo()
			td := f.TimeDelta.Nanoseconds()
			res.Resok = wire.FSINFO3resok{ObjAttributes: r.post(&a),
				Rtmax: maxIO(c, f.MaxRead), Rtpref: maxIO(c, f.PrefRead), Rtmult: 4096,
				Wtmax: maxIO(c, f.MaxWrite), Wtpref: maxIO(c, f.PrefWrite), Wtmult: 4096,
				Dtpref:      maxIO(c, f.PrefReadDir),
				Maxfilesize: wire.Size3(f.MaxFileSize),
				TimeDelta:   wire.NFSTime3{Seconds: uint32(td / 1e9), Nseconds: uint32(td % 1e9)},
				Properties:  wire.FSF3_LINK | wire.FSF3_SYMLINK | wire.FSF3_HOMOGENEOUS | wire.FSF3_CANSETTIME}
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// pathconf is PATHCONF (RFC 1813 §3.3.20).
func (s *Server) pathconf(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.FSSTAT3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.PATHCONF3res
	r, fh, st, err := s.begin(w, c, args.FSRoot.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		a, err := r.fs.GetAttr(ctx, &r.cred, fh.node)
		if err != nil {
			st = r.fail(ctx, "PATHCONF", err)
		} else {
			f := r.fs.FsInfo()
			res.Resok = wire.PATHCONF3resok{ObjAttributes: r.post(&a), Linkmax: f.MaxLink, NameMax: f.MaxName,
				NoTrunc: f.NoTrunc, ChownRestricted: f.ChownRestricted,
				CaseInsensitive: f.CaseInsensitive, CasePreserving: f.CasePreserving}
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

// commit is COMMIT (RFC 1813 §3.3.21). The store commits the whole file
// whatever the range; the verifier lets the client see a restart.
func (s *Server) commit(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.COMMIT3args
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.COMMIT3res
	r, fh, st, err := s.begin(w, c, args.File.Data)
	if err != nil {
		return
	}
	if st == wire.NFS3_OK {
		// One read gives the type check and the pre-operation
		// attributes; only Commit runs between it and the post-op read.
		a, err := r.fs.GetAttr(ctx, &r.cred, fh.node)
		if err == nil {
			res.Resfail.Before = pre(&a)
		}
		switch {
		case err != nil:
			st = r.fail(ctx, "COMMIT", err)
		case a.Type == store.TypeDir:
			st = wire.NFS3ERR_ISDIR
		case a.Type != store.TypeRegular:
			st = wire.NFS3ERR_INVAL
		}
		if st == wire.NFS3_OK {
			v, err := r.fs.Commit(ctx, &r.cred, fh.node)
			if err != nil {
				st = r.fail(ctx, "COMMIT", err)
			} else {
				res.Resok.Verf = wire.Writeverf3(v)
			}
		}
		after := r.postOp(ctx, fh.node)
		if st == wire.NFS3_OK {
			res.Resok.FileWcc = wire.WccData{Before: res.Resfail.Before, After: after}
		} else {
			res.Resfail.After = after
		}
	}
	res.Status = st
	w.SetStatus(uint32(st))
	res.MarshalXDR(w.Encoder())
}

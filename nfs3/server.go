package nfs3

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
)

// Program and version numbers served by this package (each protocol
// package names its programs <Name>Program and <Name>Version).
const (
	NFSProgram   = wire.NFS_PROGRAM   // 100003
	NFSVersion   = wire.NFS_V3        // 3
	MountProgram = wire.MOUNT_PROGRAM // 100005
	MountVersion = wire.MOUNT_V3      // 3
)

// Programs returns the (program, version) pairs Register serves: NFS v3
// and MOUNT v3.
func Programs() []rpc.Program {
	return []rpc.Program{{Prog: NFSProgram, Vers: NFSVersion}, {Prog: MountProgram, Vers: MountVersion}}
}

// Server serves NFS version 3 (RFC 1813 §3) and MOUNT version 3 (RFC 1813
// Appendix I) over the exports of Exports. Every NFS call is checked
// against the rules of the export its file handle belongs to (client
// address, security flavor, source port, read-only), and the caller's
// credential is squashed by the rule before it reaches the store.
//
// The zero value with Exports set is ready to use. Fields must not change
// after Register.
type Server struct {
	// Exports is the table of exports and the codec of their file
	// handles, which NLM and NFSv4 given the same table share; nil
	// serves nothing (every MNT is refused and every handle is bad).
	Exports *export.Table
	// Logger receives server faults (one line each); nil discards.
	Logger *slog.Logger
	// MaxMounts bounds the MOUNT list DUMP reports (default 4096); past it
	// the oldest entries are forgotten.
	MaxMounts int

	once   sync.Once
	log    *slog.Logger
	logs   ratelog.Limiter // per-request error lines
	mu     sync.Mutex
	mounts []mountEntry
}

func (s *Server) init() {
	s.once.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if s.MaxMounts <= 0 {
			s.MaxMounts = 4096
		}
	})
}

// Register registers NFS v3 and MOUNT v3 on mux.
func (s *Server) Register(mux *rpc.ServeMux) {
	s.init()
	mux.Handle(NFSProgram, NFSVersion, nfsProgram{s})
	s.RegisterMount(mux)
}

// RegisterMount registers only MOUNT v3 on mux, for a MOUNT service on a
// port of its own.
func (s *Server) RegisterMount(mux *rpc.ServeMux) {
	s.init()
	mux.Handle(MountProgram, MountVersion, mountProgram{s})
}

// nfsProgram is the rpc.Handler of NFS v3.
type nfsProgram struct{ s *Server }

// NonIdempotent reports the procedures a retransmission must not run
// twice (RFC 1813 §4.1): those that create, remove or rename, and SETATTR.
func (nfsProgram) NonIdempotent(prog, vers, proc uint32) bool {
	switch proc {
	case wire.NFSPROC3_SETATTR, wire.NFSPROC3_CREATE, wire.NFSPROC3_MKDIR, wire.NFSPROC3_SYMLINK,
		wire.NFSPROC3_MKNOD, wire.NFSPROC3_REMOVE, wire.NFSPROC3_RMDIR, wire.NFSPROC3_RENAME,
		wire.NFSPROC3_LINK:
		return true
	}
	return false
}

// ServeRPC dispatches an NFS v3 call by procedure number.
func (p nfsProgram) ServeRPC(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	s := p.s
	switch c.Proc {
	case wire.NFSPROC3_NULL:
	case wire.NFSPROC3_GETATTR:
		s.getattr(ctx, w, c)
	case wire.NFSPROC3_SETATTR:
		s.setattr(ctx, w, c)
	case wire.NFSPROC3_LOOKUP:
		s.lookup(ctx, w, c)
	case wire.NFSPROC3_ACCESS:
		s.access(ctx, w, c)
	case wire.NFSPROC3_READLINK:
		s.readlink(ctx, w, c)
	case wire.NFSPROC3_READ:
		s.read(ctx, w, c)
	case wire.NFSPROC3_WRITE:
		s.write(ctx, w, c)
	case wire.NFSPROC3_CREATE:
		s.create(ctx, w, c)
	case wire.NFSPROC3_MKDIR:
		s.mkdir(ctx, w, c)
	case wire.NFSPROC3_SYMLINK:
		s.symlink(ctx, w, c)
	case wire.NFSPROC3_MKNOD:
		s.mknod(ctx, w, c)
	case wire.NFSPROC3_REMOVE:
		s.remove(ctx, w, c, false)
	case wire.NFSPROC3_RMDIR:
		s.remove(ctx, w, c, true)
	case wire.NFSPROC3_RENAME:
		s.rename(ctx, w, c)
	case wire.NFSPROC3_LINK:
		s.link(ctx, w, c)
	case wire.NFSPROC3_READDIR:
		s.readdir(ctx, w, c, false)
	case wire.NFSPROC3_READDIRPLUS:
		s.readdir(ctx, w, c, true)
	case wire.NFSPROC3_FSSTAT:
		s.fsstat(ctx, w, c)
	case wire.NFSPROC3_FSINFO:
		s.fsinfo(ctx, w, c)
	case wire.NFSPROC3_PATHCONF:
		s.pathconf(ctx, w, c)
	case wire.NFSPROC3_COMMIT:
		s.commit(ctx, w, c)
	default:
		w.Fail(rpc.PROC_UNAVAIL)
	}
}

// req is the context of one NFS call on one export: the store, the
// squashed credential and whether the export is read-only for the caller.
type req struct {
	s    *Server
	exp  *export.Export
	fs   *store.FS
	cred store.Cred
	ro   bool
}

// errDenied marks a call answered at the RPC level (AUTH_TOOWEAK).
var errDenied = errors.New("nfs3: call denied")

// begin checks handle bytes and the export rules for the call. It returns
// the request, the decoded handle and the status to answer on failure; for
// a client refused for its flavor or port it has already denied the call
// (AUTH_TOOWEAK, as the Linux server does) and returns errDenied.
func (s *Server) begin(w *rpc.ReplyWriter, c *rpc.Call, fhb []byte) (req, fileHandle, wire.NFSStat3, error) {
	fh, ok := s.decodeHandle(fhb)
	if !ok {
		return req{}, fh, wire.NFS3ERR_BADHANDLE, nil
	}
	e := s.Exports.ByID(fh.export)
	if e == nil {
		return req{}, fh, wire.NFS3ERR_STALE, nil
	}
	r, st, err := s.check(w, c, e)
	return r, fh, st, err
}

// check applies the rules of export e to the call.
func (s *Server) check(w *rpc.ReplyWriter, c *rpc.Call, e *export.Export) (req, wire.NFSStat3, error) {
	ap := export.AddrPort(c.Remote)
	acc, err := e.Check(ap, export.SecOf(&c.Cred), export.IdentityOf(&c.Cred))
	if err != nil {
		s.logs.Warn(s.log, "nfs3: client refused by the export rules", export.RefusalAttrs(e, ap, acc.Rule, err)...)
	}
	switch {
	case err == nil:
		return req{s: s, exp: e, fs: e.FS, cred: acc.Cred, ro: acc.ReadOnly}, wire.NFS3_OK, nil
	case errors.Is(err, export.ErrClientDenied):
		return req{}, wire.NFS3ERR_ACCES, nil
	default:
		w.Deny(rpc.AUTH_TOOWEAK)
		return req{}, wire.NFS3ERR_ACCES, errDenied
	}
}

// postOp returns the post-operation attributes of h, or none when they
// cannot be read.
func (r *req) postOp(ctx context.Context, h store.Handle) wire.PostOpAttr {
	a, err := r.fs.GetAttr(ctx, &r.cred, h)
	if err != nil {
		return wire.PostOpAttr{}
	}
	return r.post(&a)
}

func (r *req) post(a *store.Attr) wire.PostOpAttr {
	p := wire.PostOpAttr{AttributesFollow: true}
	fattr(a, r.exp.ID, &p.Attributes)
	return p
}

// preOp returns the pre-operation attributes of h (RFC 1813 §2.6 wcc_attr).
func (r *req) preOp(ctx context.Context, h store.Handle) wire.PreOpAttr {
	a, err := r.fs.GetAttr(ctx, &r.cred, h)
	if err != nil {
		return wire.PreOpAttr{}
	}
	return pre(&a)
}

func pre(a *store.Attr) wire.PreOpAttr {
	return wire.PreOpAttr{AttributesFollow: true, Attributes: wire.WccAttr{
		Size: wire.Size3(a.Size), Mtime: nfsTime(a.Mtime), Ctime: nfsTime(a.Ctime)}}
}

// dirWcc is the weak cache consistency data of directory h after a
// change that ended with st. On success it is w, the attributes the store
// read inside the change: exact, as RFC 1813 §2.6 wants, and no extra
// reads. A failed change leaves the store as it was, so h's attributes
// now are both the pre- and the post-operation attributes.
func (r *req) dirWcc(ctx context.Context, st wire.NFSStat3, w *store.Wcc, h store.Handle) wire.WccData {
	if st == wire.NFS3_OK {
		return wire.WccData{Before: pre(&w.Before), After: r.post(&w.After)}
	}
	a, err := r.fs.GetAttr(ctx, &r.cred, h)
	if err != nil {
		return wire.WccData{}
	}
	return wire.WccData{Before: pre(&a), After: r.post(&a)}
}

// wcc returns the weak cache consistency data of h after a change.
func (r *req) wcc(ctx context.Context, h store.Handle, before wire.PreOpAttr) wire.WccData {
	return wire.WccData{Before: before, After: r.postOp(ctx, h)}
}

// fh returns the handle bytes of node h of the request's export in buf.
func (r *req) fh(buf *[handleSize]byte, h store.Handle) wire.NFSFH3 {
	return wire.NFSFH3{Data: r.s.encodeHandle(buf, r.exp.ID, h)}
}

// fail records and logs a store error and returns its status.
func (r *req) fail(ctx context.Context, proc string, err error) wire.NFSStat3 {
	st := statusOf(err)
	switch st {
	case wire.NFS3ERR_IO, wire.NFS3ERR_SERVERFAULT:
		if ctx.Err() == nil {
			r.s.logs.Error(r.s.log, "nfs3: store failure", "proc", proc, "export", r.exp.Name, "err", err)
		}
	}
	return st
}

// garbage answers a call whose arguments do not decode.
func garbage(w *rpc.ReplyWriter) { w.Fail(rpc.GARBAGE_ARGS) }

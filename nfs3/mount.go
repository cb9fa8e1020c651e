package nfs3

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/nfs3/internal/wire"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/store"
)

// mountEntry is one entry of the MOUNT list (RFC 1813 Appendix I, DUMP).
type mountEntry struct {
	host, dir string
}

// mountProgram is the rpc.Handler of MOUNT v3.
type mountProgram struct{ s *Server }

// NonIdempotent reports none: MNT and UMNT may safely run twice.
func (mountProgram) NonIdempotent(prog, vers, proc uint32) bool { return false }

// ServeRPC dispatches a MOUNT v3 call.
func (p mountProgram) ServeRPC(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	s := p.s
	switch c.Proc {
	case wire.MOUNTPROC3_NULL:
	case wire.MOUNTPROC3_MNT:
		s.mnt(ctx, w, c)
	case wire.MOUNTPROC3_DUMP:
		s.dump(w)
	case wire.MOUNTPROC3_UMNT:
		s.umnt(w, c)
	case wire.MOUNTPROC3_UMNTALL:
		s.umntall(c)
	case wire.MOUNTPROC3_EXPORT:
		s.exportList(w)
	default:
		w.Fail(rpc.PROC_UNAVAIL)
	}
}

func mountStatus(err error) wire.Mountstat3 {
	switch store.CodeOf(err) {
	case store.CodeNotExist, store.CodeStale:
		return wire.MNT3ERR_NOENT
	case store.CodeNotDir:
		return wire.MNT3ERR_NOTDIR
	case store.CodeAccess, store.CodePermission:
		return wire.MNT3ERR_ACCES
	case store.CodeNameTooLong:
		return wire.MNT3ERR_NAMETOOLONG
	case store.CodeInvalid:
		return wire.MNT3ERR_INVAL
	}
	return wire.MNT3ERR_IO
}

// mnt is MOUNTPROC3_MNT: it finds the export whose name is the longest
// prefix of the path, checks the client's address and source port
// against its rules, walks to a directory below the export's root if the
// path names one, and returns its handle and the flavors the rule allows.
func (s *Server) mnt(ctx context.Context, w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.MNTArgs
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	var res wire.Mountres3
	var buf [handleSize]byte
	res.Status = s.mount(ctx, c, string(args.Dirpath), &res.OK, &buf)
	w.SetStatus(uint32(res.Status))
	res.MarshalXDR(w.Encoder())
}

func (s *Server) mount(ctx context.Context, c *rpc.Call, dir string, ok *wire.Mountres3ok, buf *[handleSize]byte) wire.Mountstat3 {
	if dir == "" {
		// libnfs asks for "" when a URL names a file of the "/" export.
		dir = "/"
	}
	e, rest := s.Exports.Find(dir)
	if e == nil {
		return wire.MNT3ERR_NOENT
	}
	ap := export.AddrPort(c.Remote)
	rule := e.Rule(ap.Addr())
	if rule == nil {
		s.logs.Warn(s.log, "mount: refused by the export rules", export.RefusalAttrs(e, ap, nil, export.ErrClientDenied)...)
		return wire.MNT3ERR_ACCES
	}
	if !rule.Insecure && ap.Port() >= 1024 {
		s.logs.Warn(s.log, "mount: refused by the export rules", export.RefusalAttrs(e, ap, rule, export.ErrInsecurePort)...)
		return wire.MNT3ERR_PERM
	}
	cred := rule.Squash(export.SecOf(&c.Cred), export.IdentityOf(&c.Cred))
	h := e.Root()
	for _, name := range strings.Split(rest, "/") {
		if name == "" {
			continue
		}
		nh, a, err := e.FS.Lookup(ctx, &cred, h, name)
		if err != nil {
			return mountStatus(err)
		}
		if a.Type != store.TypeDir {
			return wire.MNT3ERR_NOTDIR
		}
		h = nh
	}
	ok.FHandle = s.encodeHandle(buf, e.ID, h)
	for _, f := range rule.Flavors() {
		ok.AuthFlavors = append(ok.AuthFlavors, f.Flavor())
	}
	s.addMount(mountEntry{host: ap.Addr().String(), dir: path.Clean(dir)})
	return wire.MNT3_OK
}

func (s *Server) addMount(m mountEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.mounts, m) {
		return
	}
	if len(s.mounts) >= s.MaxMounts {
		s.mounts = slices.Delete(s.mounts, 0, 1)
	}
	s.mounts = append(s.mounts, m)
}

// dump is MOUNTPROC3_DUMP: the mounts the server has recorded since it
// started (the list is not persistent; RFC 1813 calls it advisory).
func (s *Server) dump(w *rpc.ReplyWriter) {
	var res wire.Mountlist
	s.mu.Lock()
	for _, m := range s.mounts {
		res.Mounts = append(res.Mounts, wire.Mountbody{Hostname: wire.Name(m.host), Directory: wire.Dirpath(m.dir)})
	}
	s.mu.Unlock()
	res.MarshalXDR(w.Encoder())
}

// umnt is MOUNTPROC3_UMNT.
func (s *Server) umnt(w *rpc.ReplyWriter, c *rpc.Call) {
	var args wire.MNTArgs
	if args.UnmarshalXDR(c.Args); c.Args.Err() != nil {
		garbage(w)
		return
	}
	m := mountEntry{host: export.AddrPort(c.Remote).Addr().String(), dir: path.Clean(string(args.Dirpath))}
	s.mu.Lock()
	s.mounts = slices.DeleteFunc(s.mounts, func(x mountEntry) bool { return x == m })
	s.mu.Unlock()
}

// umntall is MOUNTPROC3_UMNTALL.
func (s *Server) umntall(c *rpc.Call) {
	host := export.AddrPort(c.Remote).Addr().String()
	s.mu.Lock()
	s.mounts = slices.DeleteFunc(s.mounts, func(x mountEntry) bool { return x.host == host })
	s.mu.Unlock()
}

// exportList is MOUNTPROC3_EXPORT: every export with the clients of its
// rules.
func (s *Server) exportList(w *rpc.ReplyWriter) {
	var res wire.Exports
	for _, e := range s.Exports.All() {
		n := wire.Exportnode{Dir: wire.Dirpath(e.Name)}
		for _, r := range e.CurrentRules() {
			cl := r.Client
			if cl == "" {
				cl = "*"
			}
			n.Groups = append(n.Groups, wire.Groupnode{Name: wire.Name(cl)})
		}
		res.Exports = append(res.Exports, n)
	}
	res.MarshalXDR(w.Encoder())
}

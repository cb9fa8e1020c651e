package smb

import (
	"net/netip"
	"strings"

	"github.com/dittofs/dittofs/smb/internal/srvsvc"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// maxPipesPerSession bounds the named pipes one session holds open; each
// buffers at most a fragment in and srvsvc.MaxPending bytes out.
const maxPipesPerSession = 16

// FILE_ATTRIBUTE_NORMAL, the attributes of a pipe (MS-FSCC §2.6).
const fileAttributeNormal = 0x80

// createPipe is CREATE on IPC$ (MS-SMB2 §3.3.5.9: a named pipe): the
// pipe "srvsvc" (case-insensitive, with or without a \PIPE\ prefix) opens
// a DCE/RPC association serving share listings (package srvsvc); any
// other name is STATUS_OBJECT_NAME_NOT_FOUND.
func (c *conn) createPipe(r *request, req *wire.CreateRequest) wire.Status {
	name, err := wire.DecodeUTF16(req.Name)
	if err != nil {
		return wire.STATUS_OBJECT_NAME_INVALID
	}
	name = strings.TrimPrefix(name, `\`)
	if len(name) > 5 && strings.EqualFold(name[:5], `PIPE\`) {
		name = name[5:]
	}
	if !strings.EqualFold(name, "srvsvc") {
		return wire.STATUS_OBJECT_NAME_NOT_FOUND
	}
	sess := r.sess
	if len(sess.opens) >= c.s.MaxOpensPerSession {
		return wire.STATUS_TOO_MANY_OPENED_FILES
	}
	if sess.pipes >= maxPipesPerSession {
		return wire.STATUS_INSUFFICIENT_RESOURCES
	}
	sess.nextOpen++
	sess.pipes++
	o := &open{id: sess.nextOpen, tree: r.tree, name: name, path: name,
		access: wire.FILE_READ_DATA | wire.FILE_WRITE_DATA | wire.FILE_READ_ATTRIBUTES | wire.SYNCHRONIZE | wire.READ_CONTROL}
	remote := c.remote.Addr()
	o.pipe = srvsvc.NewPipe(uint32(o.id), func() []srvsvc.Share { return c.s.shares(remote) })
	sess.opens[o.id] = o
	r.rel.fileID = o.fileID()
	resp := wire.CreateResponse{CreateAction: wire.FILE_OPENED, FileID: o.fileID()}
	resp.Attrs.FileAttributes = fileAttributeNormal
	resp.Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// pipeError maps a broken pipe to its status, logging why.
func (c *conn) pipeError(o *open, err error) wire.Status {
	c.s.logs.Info(c.s.log, "smb: named pipe", "remote", c.remote.String(), "pipe", o.name, "err", err)
	if err == srvsvc.ErrBusy {
		return wire.STATUS_INSUFFICIENT_RESOURCES
	}
	return wire.STATUS_PIPE_DISCONNECTED
}

// writePipe is SMB2 WRITE to a pipe: DCE/RPC fragments in.
func (c *conn) writePipe(o *open, req *wire.WriteRequest) wire.Status {
	if err := o.pipe.Write(req.Data); err != nil {
		return c.pipeError(o, err)
	}
	(&wire.WriteResponse{Count: uint32(len(req.Data))}).Encode(&c.enc)
	return wire.STATUS_SUCCESS
}

// readPipe is SMB2 READ of a pipe: the next reply message, or as much of
// it as fits with STATUS_BUFFER_OVERFLOW (a message-mode pipe, MS-SMB2
// §3.3.5.12); nothing to read is STATUS_PIPE_EMPTY, since no call is
// ever left running.
func (c *conn) readPipe(o *open, req *wire.ReadRequest) wire.Status {
	b, more := o.pipe.Read(int(req.Length))
	if b == nil && !more {
		return wire.STATUS_PIPE_EMPTY
	}
	(&wire.ReadResponse{}).EncodeFixed(&c.enc, len(b))
	c.enc.Write(b)
	if more {
		return wire.STATUS_BUFFER_OVERFLOW
	}
	return wire.STATUS_SUCCESS
}

// transceive is FSCTL_PIPE_TRANSCEIVE (MS-SMB2 §3.3.5.15.1): the input
// is written to the pipe and the next reply message read back, at most
// MaxOutputResponse bytes of it (STATUS_BUFFER_OVERFLOW when cut; the
// client reads the rest).
func (c *conn) transceive(r *request, req *wire.IoctlRequest) wire.Status {
	o := r.lookupOpen(req.FileID)
	if o == nil {
		return wire.STATUS_FILE_CLOSED
	}
	if o.pipe == nil {
		return wire.STATUS_INVALID_DEVICE_REQUEST
	}
	if len(req.Input) > c.maxSize || req.MaxOutputResponse > uint32(c.maxSize) {
		return wire.STATUS_INVALID_PARAMETER
	}
	if err := o.pipe.Write(req.Input); err != nil {
		return c.pipeError(o, err)
	}
	b, more := o.pipe.Read(int(req.MaxOutputResponse))
	(&wire.IoctlResponse{CtlCode: req.CtlCode, FileID: req.FileID, Output: b}).Encode(&c.enc)
	if more {
		return wire.STATUS_BUFFER_OVERFLOW
	}
	return wire.STATUS_SUCCESS
}

// shares lists what srvsvc shows a client at addr: the exports reachable
// over SMB (a one-component name) whose rules admit the address, then
// IPC$.
func (s *Server) shares(addr netip.Addr) []srvsvc.Share {
	var out []srvsvc.Share
	if s.Exports != nil {
		for _, e := range s.Exports.All() {
			name := strings.TrimPrefix(e.Name, "/")
			if name == "" || strings.Contains(name, "/") || e.Rule(addr) == nil {
				continue
			}
			sh := srvsvc.Share{Name: name, Type: srvsvc.STYPE_DISKTREE, Path: `C:` + strings.ReplaceAll(e.Name, "/", `\`)}
			if s.EncryptData || s.shareEncrypted(name) {
				sh.Flags |= srvsvc.SHI1005_FLAGS_ENCRYPT_DATA
			}
			out = append(out, sh)
		}
	}
	return append(out, srvsvc.Share{Name: "IPC$", Type: srvsvc.STYPE_IPC | srvsvc.STYPE_SPECIAL, Comment: "IPC Service"})
}

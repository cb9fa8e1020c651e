package main

import (
	"context"
	"fmt"

	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// msg is call arguments encoded by a function; size is a capacity hint.
type msg struct {
	size int
	enc  func(e *xdr.Encoder)
}

func (m msg) MarshalXDR(e *xdr.Encoder) { m.enc(e) }
func (m msg) SizeXDR() int              { return m.size }

// decFunc decodes results.
type decFunc func(d *xdr.Decoder)

func (f decFunc) UnmarshalXDR(d *xdr.Decoder) { f(d) }

// NFSv3 procedures (RFC 1813 §3.3) and MOUNT v3's MNT (Appendix I).
const (
	proc3GETATTR = 1
	proc3READ    = 6
	proc3WRITE   = 7
	proc3CREATE  = 8
	proc3REMOVE  = 12
	proc3COMMIT  = 21
	mountMNT     = 1

	fattr3Size    = 84 // RFC 1813 §2.6
	wccAttrSize   = 24 // size, mtime, ctime
	maxHandleSize = 128
)

// nfs3Client speaks NFSv3 to the export's root over one or more
// connections.
type nfs3Client struct {
	cs   []*rpc.Client
	root []byte
}

func dial3(ctx context.Context, t target, conns int) (*nfs3Client, error) {
	mc, err := dialRPC(ctx, t, t.mountAddr, 1)
	if err != nil {
		return nil, fmt.Errorf("MOUNT: %w", err)
	}
	var status uint32
	var root []byte
	err = mc[0].Call(ctx, nfs3.MountProgram, nfs3.MountVersion, mountMNT,
		msg{xdr.SizeOpaque(len(t.export)), func(e *xdr.Encoder) { e.String(t.export) }},
		decFunc(func(d *xdr.Decoder) {
			if status = d.Uint32(); status == 0 {
				root = d.OpaqueCopy(64)
			}
		}))
	closeAll(mc)
	if err != nil {
		return nil, fmt.Errorf("MNT %s: %w", t.export, err)
	}
	if status != 0 {
		return nil, fmt.Errorf("MNT %s: mountstat3 %d", t.export, status)
	}
	cs, err := dialRPC(ctx, t, t.addr, conns)
	if err != nil {
		return nil, err
	}
	return &nfs3Client{cs: cs, root: root}, nil
}

func (c *nfs3Client) conn(w int) *rpc.Client { return c.cs[w%len(c.cs)] }

// call calls proc and returns its nfsstat3 as an error; dec, when not nil,
// decodes the rest of a successful result.
func (c *nfs3Client) call(ctx context.Context, w int, proc uint32, args msg, dec func(d *xdr.Decoder)) error {
	var status uint32
	err := c.conn(w).Call(ctx, nfs3.NFSProgram, nfs3.NFSVersion, proc, args, decFunc(func(d *xdr.Decoder) {
		if status = d.Uint32(); status == 0 && dec != nil {
			dec(d)
		}
	}))
	if err != nil {
		return fmt.Errorf("NFSv3 procedure %d: %w", proc, err)
	}
	if status != 0 {
		return fmt.Errorf("NFSv3 procedure %d: nfsstat3 %d", proc, status)
	}
	return nil
}

func skipPostOpAttr(d *xdr.Decoder) {
	if d.Bool() {
		d.Skip(fattr3Size)
	}
}

func skipWcc(d *xdr.Decoder) {
	if d.Bool() {
		d.Skip(wccAttrSize)
	}
	skipPostOpAttr(d)
}

func diropSize(name string) int { return xdr.SizeOpaque(maxHandleSize) + xdr.SizeOpaque(len(name)) }

func (c *nfs3Client) create(ctx context.Context, w int, name string) (*file, error) {
	// CREATE3args: UNCHECKED with mode 0644 set, nothing else (RFC 1813
	// §3.3.8, sattr3 §2.6).
	args := msg{diropSize(name) + 32, func(e *xdr.Encoder) {
		e.Opaque(c.root)
		e.String(name)
		e.Uint32(0) // UNCHECKED
		e.Bool(true)
		e.Uint32(0o644)
		for range 5 { // uid, gid, size, atime, mtime: don't set
			e.Uint32(0)
		}
	}}
	var fh []byte
	err := c.call(ctx, w, proc3CREATE, args, func(d *xdr.Decoder) {
		if d.Bool() {
			fh = d.OpaqueCopy(maxHandleSize)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("CREATE %s: %w", name, err)
	}
	if fh == nil {
		return nil, fmt.Errorf("CREATE %s: no handle in the reply", name)
	}
	return &file{fh: fh}, nil
}

func (c *nfs3Client) close(context.Context, int, *file) error { return nil }

func (c *nfs3Client) write(ctx context.Context, w int, f *file, off uint64, data []byte, how stableHow) error {
	for len(data) > 0 {
		var count, committed uint32
		p := data
		err := c.call(ctx, w, proc3WRITE, msg{xdr.SizeOpaque(len(f.fh)) + 16 + xdr.SizeOpaque(len(p)), func(e *xdr.Encoder) {
			e.Opaque(f.fh)
			e.Uint64(off)
			e.Uint32(uint32(len(p)))
			e.Uint32(uint32(how))
			e.Opaque(p)
		}}, func(d *xdr.Decoder) {
			skipWcc(d)
			count, committed = d.Uint32(), d.Uint32()
		})
		if err != nil {
			return fmt.Errorf("WRITE at %d: %w", off, err)
		}
		if err := checkWrite(count, len(p), uint32(committed), how); err != nil {
			return fmt.Errorf("WRITE at %d: %w", off, err)
		}
		data, off = data[count:], off+uint64(count)
	}
	return nil
}

// checkWrite checks a WRITE reply: some progress, no more than asked, and
// at least the stability asked for (RFC 1813 §3.3.7).
func checkWrite(count uint32, asked int, committed uint32, how stableHow) error {
	if count == 0 || int(count) > asked {
		return fmt.Errorf("server wrote %d of %d bytes", count, asked)
	}
	if committed < uint32(how) {
		return fmt.Errorf("asked for stable_how %d, got %d", how, committed)
	}
	return nil
}

func (c *nfs3Client) commit(ctx context.Context, w int, f *file) error {
	err := c.call(ctx, w, proc3COMMIT, msg{xdr.SizeOpaque(len(f.fh)) + 12, func(e *xdr.Encoder) {
		e.Opaque(f.fh)
		e.Uint64(0)
		e.Uint32(0) // to the end of the file
	}}, nil)
	if err != nil {
		return fmt.Errorf("COMMIT: %w", err)
	}
	return nil
}

func (c *nfs3Client) read(ctx context.Context, w int, f *file, off uint64, n uint32) ([]byte, bool, error) {
	return c.readAnon(ctx, w, f.fh, off, n)
}

func (c *nfs3Client) readAnon(ctx context.Context, w int, fh []byte, off uint64, n uint32) ([]byte, bool, error) {
	var data []byte
	var eof bool
	err := c.call(ctx, w, proc3READ, msg{xdr.SizeOpaque(len(fh)) + 12, func(e *xdr.Encoder) {
		e.Opaque(fh)
		e.Uint64(off)
		e.Uint32(n)
	}}, func(d *xdr.Decoder) {
		skipPostOpAttr(d)
		d.Uint32() // count, repeated by the opaque's length
		eof = d.Bool()
		data = d.Opaque(n)
	})
	if err != nil {
		return nil, false, fmt.Errorf("READ at %d: %w", off, err)
	}
	return data, eof, nil
}

func (c *nfs3Client) getattr(ctx context.Context, w int, f *file) error {
	err := c.call(ctx, w, proc3GETATTR, msg{xdr.SizeOpaque(len(f.fh)), func(e *xdr.Encoder) { e.Opaque(f.fh) }}, nil)
	if err != nil {
		return fmt.Errorf("GETATTR: %w", err)
	}
	return nil
}

func (c *nfs3Client) remove(ctx context.Context, w int, name string) error {
	err := c.call(ctx, w, proc3REMOVE, msg{diropSize(name), func(e *xdr.Encoder) {
		e.Opaque(c.root)
		e.String(name)
	}}, nil)
	if err != nil {
		return fmt.Errorf("REMOVE %s: %w", name, err)
	}
	return nil
}

func (c *nfs3Client) shutdown(context.Context) error { return closeAll(c.cs) }

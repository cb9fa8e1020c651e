package store

import (
	"context"
	"encoding/binary"
)

// CookieVerifier returns the cookie verifier of a directory node: cookies are
// stable for the life of a directory, so the verifier is fixed by the
// directory's identity and changes only if the handle is reused (which ids
// never are) or the store is reformatted.
func cookieVerifier(n *inode) Verifier {
	var v Verifier
	binary.LittleEndian.PutUint64(v[:], n.Gen^uint64(n.Btime)^0x444952) // "DIR"
	if v == (Verifier{}) {
		v[0] = 1
	}
	return v
}

// ReadDir lists directory h in cookie order, starting after cookie (0, 1
// and 2 all start at the beginning: ReadDir never returns "." and "..",
// and leaves cookies 1 and 2 to protocols that synthesize them). It calls
// fn for each entry; fn returns false to stop, and the entry it refused is
// not taken as returned. With plus set, each entry carries its attributes.
// The DirEntry passed to fn is reused between calls.
//
// Every entry gets a cookie from a per-directory sequence when it is
// linked, so a listing resumed from any cookie returns every entry that
// existed throughout exactly once, never repeats one, and may or may not
// include entries linked or unlinked meanwhile (a renamed entry gets a new
// cookie). A cookie other than 0, 1 or 2 must come with the directory's
// verifier (the zero verifier is also accepted) and must have been handed
// out, or ReadDir fails with ErrBadCookie.
//
// ReadDir returns the directory's cookie verifier and whether the listing
// reached the end. It needs read permission on h.
func (f *FS) ReadDir(ctx context.Context, c *Cred, h Handle, cookie uint64, verf Verifier, plus bool, fn func(*DirEntry) bool) (Verifier, bool, error) {
	if err := checkCred(c); err != nil {
		return Verifier{}, false, err
	}
	if fn == nil {
		return Verifier{}, false, ErrInvalid
	}
	o := f.getOp(ctx)
	defer f.putOp(o)
	var cv Verifier
	eof := false
	err := f.view(ctx, o, func(o *op) error {
		eof = false
		var d inode
		if err := o.node(h, &d); err != nil {
			return err
		}
		if d.Type != TypeDir {
			return ErrNotDir
		}
		if err := f.may(c, &d, AccessRead); err != nil {
			return err
		}
		cv = cookieVerifier(&d)
		if cookie < firstCookie {
			cookie = firstCookie - 1
		} else {
			if verf != cv && verf != (Verifier{}) {
				return ErrBadCookie
			}
			if cookie >= d.NextCookie {
				return ErrBadCookie
			}
		}
		var de DirEntry
		var derr error
		stopped := false
		err := o.tx.Scan(o.key2(pfxCookie, d.ID, cookie+1), o.key(pfxCookie, d.ID+1), func(k, v []byte) bool {
			child, t, name, err := decodeCookieVal(v)
			if err != nil || len(k) != 17 {
				derr = corrupt("cookie entry")
				return false
			}
			de = DirEntry{Name: string(name), Cookie: be.Uint64(k[9:]), Type: t}
			var n inode
			v2, err := o.tx.Get(o.key(pfxNode, child))
			if err != nil {
				derr = danglingErr(ioErr("readdir", err))
				if isNotFound(err) {
					derr = danglingErr(ErrStale)
				}
				return false
			}
			if plus {
				if derr = decodeInode(v2, &n); derr != nil {
					return false
				}
				n.ID = child
				n.attr(&de.Attr)
				de.Handle = Handle{ID: child, Gen: n.Gen}
			} else {
				gen, err := inodeGen(v2)
				if err != nil {
					derr = err
					return false
				}
				de.Handle = Handle{ID: child, Gen: gen}
			}
			if !fn(&de) {
				stopped = true
				return false
			}
			return true
		})
		if derr != nil {
			return derr
		}
		if err != nil {
			return err
		}
		eof = !stopped
		return nil
	})
	return cv, eof, err
}

// inodeGen reads only the generation of an encoded inode.
func inodeGen(b []byte) (uint64, error) {
	if len(b) < inodeFixed || b[0] != inodeVersion {
		return 0, corrupt("inode")
	}
	return le.Uint64(b[84:]), nil
}

package smb

import (
	"strings"

	"github.com/dittofs/dittofs/store"
)

// lookup finds name in directory dir of the tree's share and returns the
// entry's name as stored. On a case-insensitive share
// (Server.CaseInsensitiveShares) a name with no exact entry matches the
// first entry, in the directory's order, equal to it under Unicode
// simple case folding; an exact entry always wins, so names NFS clients
// made that differ only in case stay reachable by their exact spelling.
func (c *conn) lookup(t *tree, dir store.Handle, name string) (store.Handle, store.Attr, string, error) {
	fsys, cred := t.exp.FS, &t.cred
	h, a, err := fsys.Lookup(c.ctx, cred, dir, name)
	if err == nil || !t.caseless || store.CodeOf(err) != store.CodeNotExist {
		return h, a, name, err
	}
	found := ""
	if _, _, rerr := fsys.ReadDir(c.ctx, cred, dir, 0, store.Verifier{}, false, func(e *store.DirEntry) bool {
		if strings.EqualFold(e.Name, name) {
			found = e.Name
			return false
		}
		return true
	}); rerr != nil {
		return h, a, name, rerr
	}
	if found == "" {
		return h, a, name, err
	}
	h, a, err = fsys.Lookup(c.ctx, cred, dir, found)
	return h, a, found, err
}

package nfs4

import (
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/store"
)

// The pseudo-filesystem (RFC 7530 §7.3) is a read-only tree of
// directories built from the export names: "/export" and "/data/projects"
// make a root with entries "export" (the root of that export) and "data"
// (a pseudo directory with the entry "projects"). A client sees only the
// paths that lead to exports whose rules admit its address.
//
// An export named "/" is the root itself; then no other export is
// reachable through NFSv4 unless it lies inside that export's tree.
// Exports nested inside another export's name (/data and /data/projects)
// are reached through the outer one only.
type pseudoFS struct {
	root *pseudoDir
	byID map[uint32]*pseudoDir
	// up is the pseudo directory an export's root is mounted on.
	up map[*export.Export]*pseudoDir
	// rootExport is the export named "/", if any.
	rootExport *export.Export
	started    int64
}

// pseudoDir is one directory of the pseudo-filesystem.
type pseudoDir struct {
	id     uint32 // export.NameID of its path; in handles
	path   string
	parent *pseudoDir
	// entries in name order: each a pseudo directory or an export root.
	entries []pseudoEntry
}

type pseudoEntry struct {
	name string
	dir  *pseudoDir
	exp  *export.Export
}

// pseudoFileID is the fileid of the pseudo directory (or junction) at p:
// the top bit keeps it apart from the stores' node IDs.
func pseudoFileID(p string) uint64 { return 1<<63 | uint64(export.NameID(p)) }

func newPseudoFS(t *export.Table) *pseudoFS {
	ps := &pseudoFS{byID: map[uint32]*pseudoDir{}, up: map[*export.Export]*pseudoDir{}, started: time.Now().UnixNano()}
	ps.root = &pseudoDir{id: export.NameID("/"), path: "/"}
	ps.byID[ps.root.id] = ps.root
	exps := t.All()
	slices.SortFunc(exps, func(a, b *export.Export) int { return strings.Compare(a.Name, b.Name) })
	for _, e := range exps {
		if e.Name == "/" {
			ps.rootExport = e
			continue
		}
		d := ps.root
		parts := strings.Split(strings.TrimPrefix(e.Name, "/"), "/")
		nested := false
		for _, name := range parts[:len(parts)-1] {
			ent := d.find(name)
			if ent == nil {
				nd := &pseudoDir{id: export.NameID(path.Join(d.path, name)), path: path.Join(d.path, name), parent: d}
				ps.byID[nd.id] = nd
				d.add(pseudoEntry{name: name, dir: nd})
				d = nd
				continue
			}
			if ent.exp != nil {
				nested = true
				break
			}
			d = ent.dir
		}
		last := parts[len(parts)-1]
		if nested || d.find(last) != nil {
			continue
		}
		d.add(pseudoEntry{name: last, exp: e})
		ps.up[e] = d
	}
	return ps
}

func (d *pseudoDir) find(name string) *pseudoEntry {
	i, ok := slices.BinarySearchFunc(d.entries, name, func(e pseudoEntry, n string) int { return strings.Compare(e.name, n) })
	if !ok {
		return nil
	}
	return &d.entries[i]
}

func (d *pseudoDir) add(e pseudoEntry) {
	i, _ := slices.BinarySearchFunc(d.entries, e.name, func(e pseudoEntry, n string) int { return strings.Compare(e.name, n) })
	d.entries = slices.Insert(d.entries, i, e)
}

// visible reports whether an entry leads to an export the client at a
// may use.
func (e *pseudoEntry) visible(a netip.Addr) bool {
	if e.exp != nil {
		return e.exp.Rule(a) != nil
	}
	for i := range e.dir.entries {
		if e.dir.entries[i].visible(a) {
			return true
		}
	}
	return false
}

// firstExport returns the export of e, or the first one below it.
func (e *pseudoEntry) firstExport() *export.Export {
	if e.exp != nil {
		return e.exp
	}
	for i := range e.dir.entries {
		if x := e.dir.entries[i].firstExport(); x != nil {
			return x
		}
	}
	return nil
}

// attr returns the attributes of a pseudo directory.
func (ps *pseudoFS) attr(d *pseudoDir) store.Attr {
	n := uint32(2)
	for _, e := range d.entries {
		if e.dir != nil {
			n++
		}
	}
	return store.Attr{Type: store.TypeDir, Mode: 0o555, Nlink: n, Size: 4096, ID: pseudoFileID(d.path),
		Atime: ps.started, Mtime: ps.started, Ctime: ps.started, Btime: ps.started, Change: uint64(ps.started)}
}

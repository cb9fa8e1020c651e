package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// Space is implemented by block backends whose room is bounded by a
// device, such as store/localfs: Space returns the size of the file
// system the blocks are kept on, and the bytes of it still free to the
// server (statfs f_blocks and f_bavail).
type Space interface {
	Space() (total, free uint64, err error)
}

// FsStat returns the file system's usage figures. The bytes are those of
// Options.Capacity, and of the device of a Blocks that implements Space
// (the lesser free room of the two); with neither they are nominal (1
// PiB). Without Options.MaxFiles the files are nominal (1<<40).
func (f *FS) FsStat(ctx context.Context) FsStat {
	used := uint64(max(f.bytes.Load(), 0))
	files := uint64(max(f.files.Load(), 0))
	total := f.opts.Capacity
	free := total - min(total, used)
	if sp, ok := f.blocks.(Space); ok {
		if dt, df, err := sp.Space(); err == nil {
			if total == 0 {
				total, free = dt, df
			}
			free = min(free, df)
		}
	}
	if total == 0 {
		total = 1 << 50
		free = total - min(total, used)
	}
	tfiles := f.opts.MaxFiles
	if tfiles == 0 {
		tfiles = 1 << 40
	}
	ffree := tfiles - min(tfiles, files)
	return FsStat{TotalBytes: total, FreeBytes: free, AvailBytes: free,
		TotalFiles: tfiles, FreeFiles: ffree, AvailFiles: ffree, UsedBytes: used, Files: files}
}

// FsInfo returns the file system's static figures.
func (f *FS) FsInfo() FsInfo {
	return FsInfo{MaxRead: f.opts.MaxIO, PrefRead: f.opts.MaxIO, MaxWrite: f.opts.MaxIO,
		PrefWrite: f.opts.MaxIO, PrefReadDir: 64 << 10, MaxFileSize: f.opts.MaxFileSize,
		MaxName: uint32(f.opts.MaxName), MaxLink: f.opts.MaxLinks, MaxSymlink: uint32(f.opts.MaxSymlink),
		MaxXattrSize: uint32(f.opts.MaxXattrSize), TimeDelta: time.Nanosecond, BlockSize: uint32(f.opts.BlockSize),
		CasePreserving: true, NoTrunc: true, ChownRestricted: true}
}

// Report is the result of Check.
type Report struct {
	Nodes, Dirs, Entries, Extents, Blocks, Xattrs int
	// Records counts the records of each registered key namespace.
	Records  map[string]int
	Problems []string // empty when the store is consistent
	// Notes are findings that are no damage: stale records of a
	// namespace (see ErrStaleRecord), which Repair removes.
	Notes []string
	// Repaired lists what Repair changed, one line a fix.
	Repaired []string
}

// maxReport bounds each list of a Report.
const maxReport = 1000

func (r *Report) addf(format string, a ...any) {
	if len(r.Problems) < maxReport {
		r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
	}
}

// fix is a repair of one finding of Check.
type fix struct {
	what  string
	apply func(tx Tx) error
}

// checker collects a Check's findings and the fixes of those Repair can
// make.
type checker struct {
	rep   Report
	fixes []fix
}

// problem reports damage; apply, when not nil, repairs it.
func (c *checker) problem(apply func(Tx) error, format string, a ...any) {
	c.rep.addf(format, a...)
	if apply != nil {
		c.fixes = append(c.fixes, fix{fmt.Sprintf(format, a...), apply})
	}
}

// deleteKey returns a fix that deletes k.
func deleteKey(k []byte) func(Tx) error {
	k = bytes.Clone(k)
	return func(tx Tx) error { return tx.Delete(k) }
}

// nsRecord is a record of a registered namespace, kept for its checker.
type nsRecord struct {
	ns     *keyspace
	k, rel []byte // the key, and within the namespace
	v      []byte
}

// Check verifies the store (fsck): every record decodes; every entry points
// at a node and is indexed by its cookie; every node is reachable from the
// root; link counts, directory parents and entry counts are right; extents
// of a file do not overlap, lie within its size and sum to its Used; block
// reference counts equal the extents that reference the blocks; every
// referenced block exists in the Blocks backend; the usage counters and the
// id allocator are right. It seals open blocks first. Problems go in the
// report; the error is for a check that could not run. The metadata is read
// in one snapshot but the blocks are listed after it, so run Check on a
// quiescent FS: a block released meanwhile would be reported missing.
func (f *FS) Check(ctx context.Context) (Report, error) {
	c, err := f.check(ctx)
	return c.rep, err
}

// repairBatch bounds the fixes Repair applies in one transaction.
const repairBatch = 256

// Repair runs Check and repairs what it can: it deletes records of
// registered namespaces that their checker rejects (damaged or stale),
// extended attributes of missing nodes, cookies without their entry and
// orphan records of live nodes, and rewrites the usage counters from what
// the store holds. It does not remove unknown keys (they may be another
// program's) nor change nodes, entries, extents or blocks. It returns
// the report of a second Check after the repairs, with Repaired listing
// what was changed. Run it on a quiescent FS, with a backup.
func (f *FS) Repair(ctx context.Context) (Report, error) {
	c, err := f.check(ctx)
	if err != nil {
		return c.rep, err
	}
	var done []string
	for i := 0; i < len(c.fixes); i += repairBatch {
		batch := c.fixes[i:min(i+repairBatch, len(c.fixes))]
		o := f.getOp(ctx)
		err := f.update(ctx, o, func(o *op) error {
			for _, x := range batch {
				if err := x.apply(o.tx); err != nil {
					return err
				}
			}
			return nil
		})
		f.putOp(o)
		if err != nil {
			return c.rep, ioErr("repair", err)
		}
		for _, x := range batch {
			if len(done) < maxReport {
				done = append(done, x.what)
			}
		}
	}
	if len(c.fixes) > 0 {
		if err := f.loadUsage(ctx); err != nil {
			return c.rep, err
		}
	}
	after, err := f.check(ctx)
	after.rep.Repaired = done
	return after.rep, err
}

func (f *FS) check(ctx context.Context) (*checker, error) {
	c := &checker{}
	rep := &c.rep
	if err := f.flushAll(ctx); err != nil {
		rep.addf("sealing open blocks: %v", err)
	}
	type nodeInfo struct {
		n        inode
		links    uint32
		subdirs  uint32
		entries  uint64
		parentOK bool
		used     uint64
		maxEnd   uint64
	}
	nodes := map[uint64]*nodeInfo{}
	refs := map[BlockID]uint64{}
	recs := map[BlockID]blockRec{}
	type dent struct {
		dir, child uint64
		cookie     uint64
		typ        FileType
		name       string
	}
	var dents []dent
	type idExtent struct {
		id uint64
		x  extent
	}
	var exts []idExtent
	orphans := map[uint64]bool{}
	var intents [][]byte
	cookies := map[[2]uint64]dent{}
	var nsRecs []nsRecord
	var sb super
	var use usage
	haveSuper := false
	o := f.getOp(ctx)
	defer f.putOp(o)
	err := f.view(ctx, o, func(o *op) error {
		return o.tx.Scan(nil, nil, func(k, v []byte) bool {
			if len(k) == 0 {
				rep.addf("empty key")
				return true
			}
			switch k[0] {
			case pfxSuper:
				s, err := decodeSuper(v)
				if err != nil || len(k) != 1 {
					rep.addf("superblock: %v", err)
					return true
				}
				sb, haveSuper = s, true
			case pfxBlockKey:
				if len(k) != 1 || len(v) != blockKeyLen {
					rep.addf("block key: bad record")
				}
			case pfxUsage:
				u, err := decodeUsage(v)
				if err != nil || len(k) != 2 {
					rep.addf("usage %x: bad record", k)
					return true
				}
				use.Files += u.Files
				use.Bytes += u.Bytes
			case pfxNode:
				if len(k) != 9 {
					rep.addf("node key %x", k)
					return true
				}
				id := be.Uint64(k[1:])
				ni := &nodeInfo{}
				if err := decodeInode(v, &ni.n); err != nil {
					rep.addf("node %d: %v", id, err)
					return true
				}
				ni.n.ID = id
				ni.n.Target = nil
				nodes[id] = ni
				rep.Nodes++
				if ni.n.Type == TypeDir {
					rep.Dirs++
				}
			case pfxEntry:
				e, err := decodeEntry(v)
				if err != nil || len(k) < 10 {
					rep.addf("entry %q: bad record", k)
					return true
				}
				dents = append(dents, dent{be.Uint64(k[1:]), e.Child, e.Cookie, e.Type, string(k[9:])})
				rep.Entries++
			case pfxCookie:
				child, t, name, err := decodeCookieVal(v)
				if err != nil || len(k) != 17 {
					rep.addf("cookie %x: bad record", k)
					return true
				}
				dir, ck := be.Uint64(k[1:]), be.Uint64(k[9:])
				cookies[[2]uint64{dir, ck}] = dent{dir, child, ck, t, string(name)}
			case pfxExtent:
				var x extent
				if err := decodeExtent(k, v, &x); err != nil {
					rep.addf("extent %x: %v", k, err)
					return true
				}
				rep.Extents++
				exts = append(exts, idExtent{be.Uint64(k[1:]), x})
			case pfxXattr:
				rep.Xattrs++
				if len(k) < 10 || nodes[be.Uint64(k[1:])] == nil {
					c.problem(deleteKey(k), "xattr %q of missing node", k)
				}
			case pfxIntent:
				if _, _, err := decodeIntent(v); err != nil || len(k) != 17 {
					rep.addf("intent %x: bad record", k)
					return true
				}
				intents = append(intents, bytes.Clone(k))
			case pfxOrphan:
				if len(k) != 9 || len(v) != 0 {
					rep.addf("orphan record %x: bad", k)
					return true
				}
				orphans[be.Uint64(k[1:])] = true
			case pfxBlock:
				r, err := decodeBlockRec(v)
				if err != nil || len(k) != 33 {
					rep.addf("block record %x: bad", k)
					return true
				}
				var id BlockID
				copy(id[:], k[1:])
				recs[id] = r
				rep.Blocks++
			default:
				ns, rel := namespaceOf(k)
				if ns == nil {
					rep.addf("unknown key %q", k)
					return true
				}
				if rep.Records == nil {
					rep.Records = map[string]int{}
				}
				rep.Records[ns.name]++
				if ns.check != nil {
					nsRecs = append(nsRecs, nsRecord{ns, bytes.Clone(k), bytes.Clone(rel), bytes.Clone(v)})
				}
			}
			return true
		})
	})
	if err != nil {
		return c, err
	}
	node := func(id uint64) bool { return nodes[id] != nil }
	for _, r := range nsRecs {
		err := r.ns.check(r.rel, r.v, node)
		switch {
		case err == nil:
		case errors.Is(err, ErrStaleRecord):
			if len(rep.Notes) < maxReport {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s record %q: %v", r.ns.name, r.k, err))
			}
			c.fixes = append(c.fixes, fix{fmt.Sprintf("%s record %q: %v", r.ns.name, r.k, err), deleteKey(r.k)})
		default:
			c.problem(deleteKey(r.k), "%s record %q: %v", r.ns.name, r.k, err)
		}
	}
	if !haveSuper {
		rep.addf("no superblock")
	}
	for _, k := range intents {
		// Check sealed every open block first, so intents left are of
		// writes made since; those of a missing file are garbage.
		if ni := nodes[be.Uint64(k[1:])]; ni == nil || ni.n.Type != TypeRegular {
			c.problem(deleteKey(k), "intent %x of a missing file", k)
		}
	}
	for id := range orphans {
		if nodes[id] != nil {
			c.problem(deleteKey(append([]byte{pfxOrphan}, be.AppendUint64(nil, id)...)), "orphan record of live node %d", id)
		}
	}
	for _, ie := range exts {
		id, x := ie.id, ie.x
		ni := nodes[id]
		if ni == nil {
			if !orphans[id] {
				rep.addf("extent of missing node %d", id)
			} else if x.Flags&extZero == 0 {
				refs[x.Block]++ // a freed file being reaped still holds its blocks
			}
			continue
		}
		if x.Start < ni.maxEnd {
			rep.addf("node %d: overlapping extents at %d", id, x.Start)
		}
		ni.maxEnd = x.End
		ni.used += x.len()
		if x.Flags&extZero == 0 {
			refs[x.Block]++
		}
	}
	var maxID uint64
	for id := range nodes {
		maxID = max(maxID, id)
	}
	if haveSuper && maxID >= sb.NextID {
		rep.addf("node %d at or past the allocator's next id %d", maxID, sb.NextID)
	}
	for _, d := range dents {
		c, ok := cookies[[2]uint64{d.dir, d.cookie}]
		if !ok || c.child != d.child || c.name != d.name || c.typ != d.typ {
			rep.addf("entry %d/%q: cookie %d not indexed", d.dir, d.name, d.cookie)
		}
		delete(cookies, [2]uint64{d.dir, d.cookie})
		dir, child := nodes[d.dir], nodes[d.child]
		if dir == nil || dir.n.Type != TypeDir {
			rep.addf("entry %q in missing or non-directory %d", d.name, d.dir)
			continue
		}
		if d.cookie >= dir.n.NextCookie {
			rep.addf("entry %d/%q: cookie %d not below the next cookie", d.dir, d.name, d.cookie)
		}
		dir.entries++
		if child == nil {
			rep.addf("entry %d/%q points at missing node %d", d.dir, d.name, d.child)
			continue
		}
		if child.n.Type != d.typ {
			rep.addf("entry %d/%q: type %v, node is %v", d.dir, d.name, d.typ, child.n.Type)
		}
		child.links++
		if child.n.Type == TypeDir {
			dir.subdirs++
			if child.n.Parent == d.dir {
				child.parentOK = true
			}
		}
	}
	for _, ck := range cookies {
		k := append(append([]byte{pfxCookie}, be.AppendUint64(nil, ck.dir)...), be.AppendUint64(nil, ck.cookie)...)
		c.problem(deleteKey(k), "cookie %d of %d/%q has no entry", ck.cookie, ck.dir, ck.name)
	}
	// reachability
	rootInfo := nodes[f.root.ID]
	if rootInfo == nil {
		rep.addf("no root")
	} else {
		adj := map[uint64][]uint64{}
		for _, d := range dents {
			adj[d.dir] = append(adj[d.dir], d.child)
		}
		seen := map[uint64]bool{f.root.ID: true}
		queue := []uint64{f.root.ID}
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			for _, c := range adj[id] {
				if !seen[c] {
					seen[c] = true
					queue = append(queue, c)
				}
			}
		}
		for id := range nodes {
			if !seen[id] {
				rep.addf("node %d is not reachable from the root", id)
			}
		}
	}
	for id, ni := range nodes {
		n := &ni.n
		switch n.Type {
		case TypeDir:
			want := 2 + ni.subdirs
			if n.Nlink != want {
				rep.addf("dir %d: nlink %d, want %d", id, n.Nlink, want)
			}
			if n.Entries != ni.entries {
				rep.addf("dir %d: %d entries recorded, %d found", id, n.Entries, ni.entries)
			}
			if id == f.root.ID {
				if n.Parent != id {
					rep.addf("root's parent is %d", n.Parent)
				}
			} else {
				if ni.links != 1 {
					rep.addf("dir %d has %d names", id, ni.links)
				}
				if !ni.parentOK {
					rep.addf("dir %d: parent %d does not name it", id, n.Parent)
				}
			}
		default:
			if n.Nlink != ni.links {
				rep.addf("node %d: nlink %d, %d names", id, n.Nlink, ni.links)
			}
		}
		if n.Type != TypeRegular && ni.used > 0 {
			rep.addf("node %d of type %v has extents", id, n.Type)
		}
		if ni.maxEnd > n.Size && n.Type == TypeRegular {
			rep.addf("file %d: extent past size %d", id, n.Size)
		}
		if n.Used != ni.used {
			rep.addf("file %d: used %d, extents map %d", id, n.Used, ni.used)
		}
	}
	var blockBytes int64
	for id, r := range recs {
		if refs[id] != r.Refs {
			rep.addf("block %v: refcount %d, %d extents", id, r.Refs, refs[id])
		}
		blockBytes += int64(r.Size)
	}
	for id := range refs {
		if _, ok := recs[id]; !ok {
			rep.addf("block %v referenced but has no record", id)
		}
	}
	if use.Files != int64(len(nodes)) || use.Bytes != blockBytes {
		found := usage{Files: int64(len(nodes)), Bytes: blockBytes}
		c.problem(func(tx Tx) error {
			for i := range usageShard {
				if err := tx.Delete([]byte{pfxUsage, byte(i)}); err != nil {
					return err
				}
			}
			return tx.Put([]byte{pfxUsage, 0}, found.encode(nil))
		}, "usage counters: %d files %d bytes, found %d files %d bytes", use.Files, use.Bytes, len(nodes), blockBytes)
	}
	stored := map[BlockID]bool{}
	if err := f.blocks.Walk(ctx, func(id BlockID) error { stored[id] = true; return nil }); err != nil {
		return c, ioErr("check walk", err)
	}
	for id, r := range recs {
		if !stored[id] {
			rep.addf("block %v is referenced but missing", id)
			continue
		}
		// the block must be as long as its record says
		var b [1]byte
		if n, err := f.blocks.ReadAt(ctx, id, b[:], int64(r.Size-1)); n != 1 {
			rep.addf("block %v shorter than %d bytes: %v", id, r.Size, err)
		}
	}
	return c, nil
}

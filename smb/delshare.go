package smb

import (
	"sync"

	"github.com/dittofs/dittofs/smb/internal/wire"
	"github.com/dittofs/dittofs/store"
)

// deleteShares enforces FILE_SHARE_DELETE among the SMB opens of the
// server (MS-FSA §2.1.5.1.2), which the lock manager's share reservations
// (read and write only, shared with NFSv4) do not hold: an open with
// DELETE access conflicts with an open that does not share delete, and
// the other way round, on the same stream; and an open of a file's data
// with DELETE access (which may delete the file and all its streams) with
// an open of any of its streams that does not share delete, and the other
// way round. Only opens with data or DELETE access take part (MS-FSA skips
// the sharing check for the others). NFS REMOVE does not consult it.
type deleteShares struct {
	mu    sync.Mutex
	nodes map[delNode][]delEntry
}

// delNode is a node of a store.
type delNode struct {
	fs *store.FS
	id uint64
}

type delEntry struct {
	o      *open
	stream uint64 // o.lockID(): the stream's key
	data   bool   // the file's own data, not a named stream
	access uint32
	share  uint32
}

const dataOrDelete = wire.FILE_READ_DATA | wire.FILE_WRITE_DATA | wire.FILE_APPEND_DATA | wire.FILE_EXECUTE | wire.DELETE

// take records an open, or fails with STATUS_SHARING_VIOLATION when it
// conflicts with one recorded.
func (d *deleteShares) take(o *open, share uint32) wire.Status {
	if o.access&dataOrDelete == 0 {
		return wire.STATUS_SUCCESS
	}
	n := delNode{o.tree.exp.FS, o.h.ID}
	e := delEntry{o: o, stream: o.lockID(), data: o.stream == "", access: o.access, share: share}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, x := range d.nodes[n] {
		if conflictDelete(&e, &x) || conflictDelete(&x, &e) {
			return wire.STATUS_SHARING_VIOLATION
		}
	}
	if d.nodes == nil {
		d.nodes = map[delNode][]delEntry{}
	}
	d.nodes[n] = append(d.nodes[n], e)
	return wire.STATUS_SUCCESS
}

// conflictDelete reports whether a's DELETE access is denied by b's share.
func conflictDelete(a, b *delEntry) bool {
	return a.access&wire.DELETE != 0 && b.share&wire.FILE_SHARE_DELETE == 0 && (a.stream == b.stream || a.data)
}

// drop forgets an open.
func (d *deleteShares) drop(o *open) {
	n := delNode{o.tree.exp.FS, o.h.ID}
	d.mu.Lock()
	defer d.mu.Unlock()
	es := d.nodes[n]
	for i := range es {
		if es[i].o == o {
			es = append(es[:i], es[i+1:]...)
			break
		}
	}
	if len(es) == 0 {
		delete(d.nodes, n)
	} else {
		d.nodes[n] = es
	}
}

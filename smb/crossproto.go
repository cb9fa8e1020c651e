package smb

import (
	"context"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// Oplocks and leases towards the other protocols. The SMB caching of a
// file (every oplock and lease of its opens) is one recallable grant in
// the export's lock manager (locking.GrantLocal, owner cacheOwner): a
// write grant while an SMB open may cache writes, a read grant while
// one may cache reads. Between SMB opens the rules of oplock.go and
// lease.go apply and the manager stays out of it (a local grant conflicts
// only with other protocols' owners); an NFSv4 OPEN, an NLM lock or an
// Access of another protocol that conflicts breaks it: grantBreaker
// breaks the SMB oplocks and leases of the file (write caching for a
// read, everything for a write), waits for their acknowledgments and
// downgrades or returns the grant. Handle caching (batch oplocks, H
// leases) has no meaning to the other protocols and stays SMB's.
//
// The grant is taken at the CREATE that asks for an oplock or lease,
// before it is granted: when the manager refuses a write grant (another
// protocol holds a conflicting share reservation, lock or delegation) the
// open gets at most read caching, when it refuses both, nothing. It is
// kept while the file has SMB opens (a stronger one replaces it) and
// returned with the last: a grant left stronger than what the opens
// still cache is downgraded at once when another protocol asks. In the
// manager's grace period no grant is taken (as no share reservation is,
// locks.go) and SMB grants without one.

// cacheOwner owns the SMB caching grants of an export's lock manager.
var cacheOwner = locking.Owner{Proto: locking.ProtoSMB, Client: "\x00smb-caching"}

// grantBreaker recalls the SMB caching of one file.
type grantBreaker struct {
	s *Server
	k fileKey
}

// Break is called by the lock manager; it must not block.
func (b grantBreaker) Break(id locking.GrantID, to locking.GrantKind) {
	go b.s.recall(b.k, id, to)
}

// recall breaks the SMB caching of file k down to what grant kind to
// allows, waits for the breaks and downgrades the grant.
func (s *Server) recall(k fileKey, id locking.GrantID, to locking.GrantKind) {
	drop := uint32(cacheW)
	if to == locking.GrantNone {
		drop = cacheR | cacheW | cacheH
	}
	for _, w := range s.dropOthers(k, nil, drop, nil) {
		select {
		case <-w.done:
		case <-s.ctx.Done():
			return
		}
	}
	s.cache.mu.Lock()
	f := s.cache.files[k]
	if f == nil || f.grant != id {
		s.cache.mu.Unlock()
		return // returned meanwhile
	}
	m := f.m
	f.kind = min(f.kind, to)
	if to == locking.GrantNone {
		f.grant = 0
	}
	s.cache.mu.Unlock()
	m.Downgrade(s.ctx, id, to)
}

// neededGrant is the grant kind an oplock or lease request needs.
func neededGrant(req *wire.CreateRequest, lr *leaseReq) locking.GrantKind {
	var bits uint32
	if lr != nil {
		bits = grantableLease(lr.state)
	} else {
		bits = oplockBits(req.RequestedOplockLevel)
	}
	switch {
	case bits&cacheW != 0:
		return locking.GrantWrite
	case bits&cacheR != 0:
		return locking.GrantRead
	}
	return locking.GrantNone
}

// crossGrant makes sure file k holds a grant of kind need in the lock
// manager and returns the kind it holds (less when the manager refuses).
func (c *conn) crossGrant(o *open, k fileKey, need locking.GrantKind) locking.GrantKind {
	m := o.tree.exp.Locks
	if need == locking.GrantNone || m == nil || m.InGrace(c.ctx) {
		return need
	}
	s := c.s
	s.cache.mu.Lock()
	f := s.cachingFile(k)
	held := f.kind
	s.cache.mu.Unlock()
	if held >= need {
		return need
	}
	b := grantBreaker{s, k}
	id, err := m.GrantLocal(c.ctx, k.node, cacheOwner, need, b)
	if err != nil && need == locking.GrantWrite && held < locking.GrantRead {
		need = locking.GrantRead
		id, err = m.GrantLocal(c.ctx, k.node, cacheOwner, need, b)
	}
	if err != nil {
		return held
	}
	s.cache.mu.Lock()
	f = s.cachingFile(k)
	old := f.grant
	f.grant, f.kind, f.m = id, need, m
	s.cache.mu.Unlock()
	if old != 0 {
		m.Return(c.ctx, old)
	}
	return need
}

// returnGrantLocked gives back the grant of a file that has no SMB open
// left.
func (f *cfile) returnGrantLocked() {
	if f.grant != 0 {
		f.m.Return(context.Background(), f.grant)
		f.grant, f.kind = 0, locking.GrantNone
	}
}

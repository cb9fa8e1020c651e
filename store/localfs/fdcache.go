package localfs

import (
	"container/list"
	"os"
	"sync"

	"github.com/dittofs/dittofs/store"
)

// fdCache keeps recently read block files open, so that a read costs a
// pread instead of an open, a pread and a close: on 4 KiB random reads
// the open and close were a tenth of the server's CPU. It holds at most
// max files, least recently used first out.
//
// A cached file must never serve bytes older than a Put or Delete that
// returned: both evict the block after changing its file and bump the
// generation of the block's shard (its first byte), and a file opened on
// a miss is cached only if that generation did not move while it was
// being opened (it might otherwise be the replaced file).
type fdCache struct {
	mu  sync.Mutex
	max int
	gen [256]uint64
	m   map[store.BlockID]*list.Element // of *cachedFile
	lru list.List                       // front: most recently used
}

type cachedFile struct {
	id      store.BlockID
	f       *os.File
	refs    int  // reads using f
	evicted bool // out of the cache: close when refs reaches 0
}

func newFDCache(max int) *fdCache {
	return &fdCache{max: max, m: map[store.BlockID]*list.Element{}}
}

// get returns the cached file of id, or nil and the generation to pass to
// put.
func (c *fdCache) get(id store.BlockID) (*cachedFile, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil {
		c.lru.MoveToFront(e)
		cf := e.Value.(*cachedFile)
		cf.refs++
		return cf, 0
	}
	return nil, c.gen[id[0]]
}

// put caches f, opened at generation gen, and returns it in use; when the
// generation moved or id is cached already, f is returned uncached, to be
// closed by release.
func (c *fdCache) put(id store.BlockID, f *os.File, gen uint64) *cachedFile {
	cf := &cachedFile{id: id, f: f, refs: 1}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max <= 0 || gen != c.gen[id[0]] || c.m[id] != nil {
		cf.evicted = true
		return cf
	}
	c.m[id] = c.lru.PushFront(cf)
	for c.lru.Len() > c.max {
		c.evictLocked(c.lru.Back().Value.(*cachedFile))
	}
	return cf
}

// release ends a read's use of cf.
func (c *fdCache) release(cf *cachedFile) {
	c.mu.Lock()
	cf.refs--
	closeIt := cf.evicted && cf.refs == 0
	c.mu.Unlock()
	if closeIt {
		cf.f.Close()
	}
}

// evict drops id from the cache after its file changed.
func (c *fdCache) evict(id store.BlockID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[id[0]]++
	if e := c.m[id]; e != nil {
		c.evictLocked(e.Value.(*cachedFile))
	}
}

// evictLocked removes cf from the cache and closes it unless in use.
func (c *fdCache) evictLocked(cf *cachedFile) {
	c.lru.Remove(c.m[cf.id])
	delete(c.m, cf.id)
	cf.evicted = true
	if cf.refs == 0 {
		cf.f.Close()
	}
}

// closeAll empties the cache (Close).
func (c *fdCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.gen {
		c.gen[i]++
	}
	for c.lru.Len() > 0 {
		c.evictLocked(c.lru.Back().Value.(*cachedFile))
	}
}

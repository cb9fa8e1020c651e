package memory

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
)

// The metadata store is a copy-on-write B-tree in the style of
// github.com/google/btree: every node records the owner (a cow token) that
// may mutate it in place; a writer with another token copies the node first.
// A committed tree is never mutated again, so readers walk it without locks.

const (
	degree   = 16
	maxItems = 2*degree - 1
	minItems = degree - 1
)

// cow is an ownership token. It is not zero-sized, so that every new(cow)
// has a distinct address.
type cow struct{ _ byte }

// item is one key and value, sharing one allocation: kv[:klen] is the key
// and kv[klen:] the value. abbr holds the key's first 16 bytes, so that
// most comparisons during a search stay inside the node instead of
// following kv to another cache line.
type item struct {
	kv   []byte
	klen int
	abbr abbrev
}

func newItem(key, val []byte) item {
	kv := make([]byte, len(key)+len(val))
	copy(kv, key)
	copy(kv[len(key):], val)
	return item{kv: kv, klen: len(key), abbr: abbreviate(key)}
}

// abbrev is the first 16 bytes of a key, zero-padded, as two big-endian
// integers: comparing abbrevs orders keys as bytes.Compare does, except
// that keys equal in their abbrevs need a full comparison unless both are
// at most 16 bytes long (then the shorter is smaller).
type abbrev struct{ hi, lo uint64 }

func abbreviate(k []byte) abbrev {
	var b [16]byte
	copy(b[:], k)
	return abbrev{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// probe is a key being searched for, with its abbrev.
type probe struct {
	key  []byte
	abbr abbrev
}

func newProbe(key []byte) *probe { return &probe{key: key, abbr: abbreviate(key)} }

// compare returns bytes.Compare(it.key(), p.key).
func (it *item) compare(p *probe) int {
	if it.abbr.hi != p.abbr.hi {
		return cmp.Compare(it.abbr.hi, p.abbr.hi)
	}
	if it.abbr.lo != p.abbr.lo {
		return cmp.Compare(it.abbr.lo, p.abbr.lo)
	}
	if it.klen <= 16 && len(p.key) <= 16 {
		return cmp.Compare(it.klen, len(p.key))
	}
	return bytes.Compare(it.key(), p.key)
}

func (it *item) key() []byte { return it.kv[:it.klen:it.klen] }
func (it *item) val() []byte { return it.kv[it.klen:] }

type node struct {
	items    []item
	children []*node
	owner    *cow
}

// tree is one version of the B-tree. The zero value is an empty tree.
type tree struct {
	root  *node
	count int
}

// find returns the index of the first item whose key is not less than
// p's, and whether that item's key equals p's.
func (n *node) find(p *probe) (int, bool) {
	lo, hi := 0, len(n.items)
	found := false
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := n.items[m].compare(p); {
		case c < 0:
			lo = m + 1
		case c == 0:
			found = true
			hi = m
		default:
			hi = m
		}
	}
	return lo, found
}

// mutableFor returns n itself when c owns it, or a copy owned by c.
func (n *node) mutableFor(c *cow) *node {
	if n.owner == c {
		return n
	}
	// One spare slot takes the insert that usually follows.
	out := &node{owner: c}
	out.items = make([]item, len(n.items), min(len(n.items)+1, maxItems))
	copy(out.items, n.items)
	if len(n.children) > 0 {
		out.children = make([]*node, len(n.children), min(len(n.children)+1, maxItems+1))
		copy(out.children, n.children)
	}
	return out
}

func (n *node) mutableChild(i int) *node {
	c := n.children[i].mutableFor(n.owner)
	n.children[i] = c
	return c
}

// split moves the items after i (and their children) to a new node and
// returns the item at i and the new node. n must be mutable.
func (n *node) split(i int) (item, *node) {
	it := n.items[i]
	next := &node{owner: n.owner}
	next.items = append(make([]item, 0, len(n.items)-i), n.items[i+1:]...)
	clear(n.items[i:])
	n.items = n.items[:i]
	if len(n.children) > 0 {
		next.children = append(make([]*node, 0, len(n.children)-i), n.children[i+1:]...)
		clear(n.children[i+1:])
		n.children = n.children[:i+1]
	}
	return it, next
}

func (n *node) maybeSplitChild(i int) bool {
	if len(n.children[i].items) < maxItems {
		return false
	}
	first := n.mutableChild(i)
	it, second := first.split(maxItems / 2)
	n.items = slices.Insert(n.items, i, it)
	n.children = slices.Insert(n.children, i+1, second)
	return true
}

// insert puts it into the subtree of n, replacing an item of the same key,
// and reports whether it replaced one. n must be mutable and not full.
func (n *node) insert(it item, p *probe) bool {
	i, found := n.find(p)
	if found {
		n.items[i] = it
		return true
	}
	if len(n.children) == 0 {
		n.items = slices.Insert(n.items, i, it)
		return false
	}
	if n.maybeSplitChild(i) {
		switch c := n.items[i].compare(p); {
		case c < 0:
			i++
		case c == 0:
			n.items[i] = it
			return true
		}
	}
	return n.mutableChild(i).insert(it, p)
}

// remove deletes key (or, when max is set, the largest item) from the
// subtree of n and returns the removed item. n must be mutable.
func (n *node) remove(p *probe, max bool) (item, bool) {
	var i int
	var found bool
	if max {
		if len(n.children) == 0 {
			if len(n.items) == 0 {
				return item{}, false
			}
			it := n.items[len(n.items)-1]
			n.items[len(n.items)-1] = item{}
			n.items = n.items[:len(n.items)-1]
			return it, true
		}
		i = len(n.items)
	} else {
		i, found = n.find(p)
		if len(n.children) == 0 {
			if !found {
				return item{}, false
			}
			it := n.items[i]
			n.items = slices.Delete(n.items, i, i+1)
			return it, true
		}
	}
	if len(n.children[i].items) <= minItems {
		return n.growChildAndRemove(i, p, max)
	}
	child := n.mutableChild(i)
	if found {
		out := n.items[i]
		pred, _ := child.remove(nil, true)
		n.items[i] = pred
		return out, true
	}
	return child.remove(p, max)
}

// growChildAndRemove gives child i more than minItems items, by stealing
// from a sibling or merging with one, and then retries the removal.
func (n *node) growChildAndRemove(i int, p *probe, max bool) (item, bool) {
	switch {
	case i > 0 && len(n.children[i-1].items) > minItems:
		child := n.mutableChild(i)
		from := n.mutableChild(i - 1)
		stolen := from.items[len(from.items)-1]
		from.items[len(from.items)-1] = item{}
		from.items = from.items[:len(from.items)-1]
		child.items = slices.Insert(child.items, 0, n.items[i-1])
		n.items[i-1] = stolen
		if len(from.children) > 0 {
			c := from.children[len(from.children)-1]
			from.children[len(from.children)-1] = nil
			from.children = from.children[:len(from.children)-1]
			child.children = slices.Insert(child.children, 0, c)
		}
	case i < len(n.items) && len(n.children[i+1].items) > minItems:
		child := n.mutableChild(i)
		from := n.mutableChild(i + 1)
		stolen := from.items[0]
		from.items = slices.Delete(from.items, 0, 1)
		child.items = append(child.items, n.items[i])
		n.items[i] = stolen
		if len(from.children) > 0 {
			c := from.children[0]
			from.children = slices.Delete(from.children, 0, 1)
			child.children = append(child.children, c)
		}
	default:
		if i >= len(n.items) {
			i--
		}
		child := n.mutableChild(i)
		merge := n.items[i]
		right := n.children[i+1]
		n.items = slices.Delete(n.items, i, i+1)
		n.children = slices.Delete(n.children, i+1, i+2)
		child.items = append(child.items, merge)
		child.items = append(child.items, right.items...)
		child.children = append(child.children, right.children...)
	}
	return n.remove(p, max)
}

// ascend calls fn for the items of n's subtree with keys in [start, end)
// in order; a nil start or end is unbounded. It returns false when the walk
// must stop (fn returned false or end was reached).
func (n *node) ascend(start, end *probe, fn func(k, v []byte) bool) bool {
	i := 0
	if start != nil {
		i, _ = n.find(start)
	}
	for ; i < len(n.items); i++ {
		if len(n.children) > 0 && !n.children[i].ascend(start, end, fn) {
			return false
		}
		it := &n.items[i]
		if end != nil && it.compare(end) >= 0 {
			return false
		}
		if !fn(it.key(), it.val()) {
			return false
		}
	}
	if len(n.children) > 0 {
		return n.children[len(n.children)-1].ascend(start, end, fn)
	}
	return true
}

func (t *tree) get(key []byte) ([]byte, bool) {
	return t.getProbe(newProbe(key))
}

func (t *tree) getProbe(p *probe) ([]byte, bool) {
	n := t.root
	for n != nil {
		i, found := n.find(p)
		if found {
			return n.items[i].val(), true
		}
		if len(n.children) == 0 {
			return nil, false
		}
		n = n.children[i]
	}
	return nil, false
}

// put inserts it into t, copying the nodes that c does not own.
func (t *tree) put(c *cow, it item) {
	if t.root == nil {
		t.root = &node{owner: c, items: make([]item, 0, maxItems)}
		t.root.items = append(t.root.items, it)
		t.count++
		return
	}
	t.root = t.root.mutableFor(c)
	if len(t.root.items) >= maxItems {
		mid, second := t.root.split(maxItems / 2)
		old := t.root
		t.root = &node{owner: c, items: make([]item, 0, maxItems), children: make([]*node, 0, maxItems+1)}
		t.root.items = append(t.root.items, mid)
		t.root.children = append(t.root.children, old, second)
	}
	if !t.root.insert(it, &probe{key: it.key(), abbr: it.abbr}) {
		t.count++
	}
}

// delete removes key from t, copying the nodes that c does not own.
func (t *tree) delete(c *cow, key []byte) bool {
	if t.root == nil || len(t.root.items) == 0 {
		return false
	}
	p := newProbe(key)
	if _, ok := t.getProbe(p); !ok {
		return false
	}
	t.root = t.root.mutableFor(c)
	_, ok := t.root.remove(p, false)
	if len(t.root.items) == 0 && len(t.root.children) > 0 {
		t.root = t.root.children[0]
	}
	if ok {
		t.count--
	}
	return ok
}

func (t *tree) ascend(start, end []byte, fn func(k, v []byte) bool) {
	if t.root == nil {
		return
	}
	if start != nil && end != nil && bytes.Compare(start, end) >= 0 {
		return
	}
	var ps, pe *probe
	if start != nil {
		ps = newProbe(start)
	}
	if end != nil {
		pe = newProbe(end)
	}
	t.root.ascend(ps, pe, fn)
}

package locking

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// overlaps reports whether l overlaps [first, last].
func (l heldLock) overlaps(first, last uint64) bool {
	return l.first <= last && first <= l.last
}

// touches reports whether l overlaps or is adjacent to [first, last].
func (l heldLock) touches(first, last uint64) bool {
	return (last == math.MaxUint64 || l.first <= last+1) && (l.last == math.MaxUint64 || first <= l.last+1)
}

// lockNode is a held lock in a file's index and in its owner's list.
type lockNode struct {
	heldLock
	seq         uint64 // orders locks that start at the same offset
	prio        uint64 // treap priority
	maxLast     uint64 // the largest last of the subtree
	left, right *lockNode
}

// lockTree is an interval treap of locks ordered by (first, seq), each
// node holding the largest last offset below it, so that finding a lock
// that overlaps a range costs O(log n) plus the overlapping locks passed
// over (an owner's own).
type lockTree struct {
	root *lockNode
}

func (n *lockNode) less(o *lockNode) bool {
	return n.first < o.first || (n.first == o.first && n.seq < o.seq)
}

func (n *lockNode) fix() {
	n.maxLast = n.last
	if n.left != nil {
		n.maxLast = max(n.maxLast, n.left.maxLast)
	}
	if n.right != nil {
		n.maxLast = max(n.maxLast, n.right.maxLast)
	}
}

// split divides t into the nodes before k and the rest.
func split(t, k *lockNode) (l, r *lockNode) {
	if t == nil {
		return nil, nil
	}
	if t.less(k) {
		t.right, r = split(t.right, k)
		t.fix()
		return t, r
	}
	l, t.left = split(t.left, k)
	t.fix()
	return l, t
}

// merge joins l and r, every node of l before every node of r.
func merge(l, r *lockNode) *lockNode {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	case l.prio > r.prio:
		l.right = merge(l.right, r)
		l.fix()
		return l
	default:
		r.left = merge(l, r.left)
		r.fix()
		return r
	}
}

func (t *lockTree) insert(n *lockNode) {
	n.prio = rand.Uint64()
	n.left, n.right = nil, nil
	n.fix()
	l, r := split(t.root, n)
	t.root = merge(merge(l, n), r)
}

func (t *lockTree) remove(n *lockNode) {
	t.root = remove(t.root, n)
}

func remove(t, n *lockNode) *lockNode {
	if t == nil {
		return nil
	}
	switch {
	case t == n:
		return merge(t.left, t.right)
	case n.less(t):
		t.left = remove(t.left, n)
	default:
		t.right = remove(t.right, n)
	}
	t.fix()
	return t
}

// find returns the first lock in order that overlaps [first, last] and
// satisfies ok, or nil.
func (n *lockNode) find(first, last uint64, ok func(*lockNode) bool) *lockNode {
	for n != nil && n.maxLast >= first {
		if r := n.left.find(first, last, ok); r != nil {
			return r
		}
		if n.first > last {
			return nil
		}
		if n.last >= first && ok(n) {
			return n
		}
		n = n.right
	}
	return nil
}

// each calls fn for every lock that overlaps [first, last], in order.
func (n *lockNode) each(first, last uint64, fn func(*lockNode)) {
	for n != nil && n.maxLast >= first {
		n.left.each(first, last, fn)
		if n.first > last {
			return
		}
		if n.last >= first {
			fn(n)
		}
		n = n.right
	}
}

// conflict returns the first lock of another owner that overlaps
// [first, last] when either it or the request is exclusive.
func (f *file) conflict(o Owner, first, last uint64, excl bool) *lockNode {
	other := func(n *lockNode) bool { return n.owner != o }
	c := f.excl.root.find(first, last, other)
	if excl {
		if s := f.shared.root.find(first, last, other); s != nil && (c == nil || s.less(c)) {
			c = s
		}
	}
	return c
}

// blockers appends to dst the owners of every lock that conflicts with the
// request.
func (f *file) blockers(o Owner, first, last uint64, excl bool, dst []Owner) []Owner {
	add := func(n *lockNode) {
		if n.owner != o {
			dst = append(dst, n.owner)
		}
	}
	f.excl.root.each(first, last, add)
	if excl {
		f.shared.root.each(first, last, add)
	}
	return dst
}

// lockChange is a planned change of one owner's locks on a file: the
// window locks[lo:hi] of its sorted list is replaced by window, which
// keeps some of the old locks; removed leave the file, added join it.
type lockChange struct {
	os      *ownerState
	lo, hi  int
	window  []*lockNode
	removed []*lockNode
	added   []*lockNode
}

func (c *lockChange) empty() bool { return len(c.removed) == 0 && len(c.added) == 0 }

// span returns the owner's locks that touch [first, last]: an owner's
// locks are disjoint, so sorted by first they are sorted by last too.
func (os *ownerState) span(first, last uint64) (lo, hi int) {
	lo = sort.Search(len(os.locks), func(i int) bool {
		l := os.locks[i].last
		return l == math.MaxUint64 || l+1 >= first
	})
	hi = lo + sort.Search(len(os.locks)-lo, func(i int) bool {
		return last != math.MaxUint64 && os.locks[lo+i].first > last+1
	})
	return lo, hi
}

// planSet plans o holding [first, last] with the given type: the owner's
// locks of the other type are cut back where they overlap (an upgrade or
// downgrade in place), and those of the same type that overlap or touch
// it are merged into it. An owner's locks stay disjoint, and same-type
// locks of one owner never touch.
func (os *ownerState) planSet(first, last uint64, excl bool) lockChange {
	c := lockChange{os: os}
	c.lo, c.hi = os.span(first, last)
	nf, nl := first, last
	for _, n := range os.locks[c.lo:c.hi] {
		switch {
		case n.excl == excl:
			nf, nl = min(nf, n.first), max(nl, n.last)
			c.removed = append(c.removed, n)
		case !n.overlaps(first, last):
			c.window = append(c.window, n)
		default:
			c.removed = append(c.removed, n)
			if n.first < first {
				c.added = append(c.added, os.newLock(n.first, first-1, n.excl))
			}
			if n.last > last {
				c.added = append(c.added, os.newLock(last+1, n.last, n.excl))
			}
		}
	}
	if len(c.removed) == 1 && len(c.added) == 0 && c.removed[0].excl == excl && c.removed[0].first == nf && c.removed[0].last == nl {
		return lockChange{os: os} // already held
	}
	c.added = append(c.added, os.newLock(nf, nl, excl))
	c.window = append(c.window, c.added...)
	slices.SortFunc(c.window, func(a, b *lockNode) int { return cmp.Compare(a.first, b.first) })
	return c
}

// planUnlock plans the release of the owner's locks over [first, last],
// splitting those that extend past it.
func (os *ownerState) planUnlock(first, last uint64) lockChange {
	c := lockChange{os: os}
	c.lo, c.hi = os.span(first, last)
	for _, n := range os.locks[c.lo:c.hi] {
		if !n.overlaps(first, last) {
			c.window = append(c.window, n)
			continue
		}
		c.removed = append(c.removed, n)
		if n.first < first {
			a := os.newLock(n.first, first-1, n.excl)
			c.added = append(c.added, a)
			c.window = append(c.window, a)
		}
		if n.last > last {
			a := os.newLock(last+1, n.last, n.excl)
			c.added = append(c.added, a)
			c.window = append(c.window, a)
		}
	}
	return c
}

// planRelease plans the release of every lock of the owner.
func (os *ownerState) planRelease() lockChange {
	return lockChange{os: os, lo: 0, hi: len(os.locks), removed: slices.Clone(os.locks)}
}

func (os *ownerState) newLock(first, last uint64, excl bool) *lockNode {
	return &lockNode{heldLock: heldLock{owner: os.owner, first: first, last: last, excl: excl}}
}

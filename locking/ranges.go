package locking

import "math"

// overlaps reports whether l overlaps [first, last].
func (l heldLock) overlaps(first, last uint64) bool {
	return l.first <= last && first <= l.last
}

// touches reports whether l overlaps or is adjacent to [first, last].
func (l heldLock) touches(first, last uint64) bool {
	return (last == math.MaxUint64 || l.first <= last+1) && (l.last == math.MaxUint64 || first <= l.last+1)
}

// conflict returns the first lock of another owner that overlaps
// [first, last] when either it or the request is exclusive.
func conflict(locks []heldLock, o Owner, first, last uint64, excl bool) *heldLock {
	for i := range locks {
		l := &locks[i]
		if l.owner != o && (excl || l.excl) && l.overlaps(first, last) {
			return l
		}
	}
	return nil
}

// blockers appends to dst the owners of every lock that conflicts with the
// request.
func blockers(locks []heldLock, o Owner, first, last uint64, excl bool, dst []Owner) []Owner {
	for _, l := range locks {
		if l.owner != o && (excl || l.excl) && l.overlaps(first, last) {
			dst = append(dst, l.owner)
		}
	}
	return dst
}

// setLock returns a new lock list in which o holds [first, last] with the
// given type: the owner's locks of the other type are cut back where they
// overlap (an upgrade or downgrade in place), and those of the same type
// that overlap or touch it are merged into it. An owner's locks are kept
// disjoint, and same-type locks of one owner never touch.
func setLock(locks []heldLock, o Owner, first, last uint64, excl bool) []heldLock {
	out := make([]heldLock, 0, len(locks)+2)
	nf, nl := first, last
	for _, l := range locks {
		switch {
		case l.owner != o:
			out = append(out, l)
		case l.excl == excl && l.touches(first, last):
			nf, nl = min(nf, l.first), max(nl, l.last)
		case !l.overlaps(first, last):
			out = append(out, l)
		default:
			if l.first < first {
				out = append(out, heldLock{owner: o, first: l.first, last: first - 1, excl: l.excl})
			}
			if l.last > last {
				out = append(out, heldLock{owner: o, first: last + 1, last: l.last, excl: l.excl})
			}
		}
	}
	return append(out, heldLock{owner: o, first: nf, last: nl, excl: excl})
}

// unlockRange returns a new lock list without o's locks over
// [first, last], splitting those that extend past it, and whether
// anything changed.
func unlockRange(locks []heldLock, o Owner, first, last uint64) ([]heldLock, bool) {
	changed := false
	out := make([]heldLock, 0, len(locks)+1)
	for _, l := range locks {
		if l.owner != o || !l.overlaps(first, last) {
			out = append(out, l)
			continue
		}
		changed = true
		if l.first < first {
			out = append(out, heldLock{owner: o, first: l.first, last: first - 1, excl: l.excl})
		}
		if l.last > last {
			out = append(out, heldLock{owner: o, first: last + 1, last: l.last, excl: l.excl})
		}
	}
	return out, changed
}

package memory

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// check verifies the B-tree invariants of n's subtree and returns its
// item count and depth.
func check(t *testing.T, n *node, lo, hi []byte, isRoot bool) (int, int) {
	t.Helper()
	if !isRoot && (len(n.items) < minItems || len(n.items) > maxItems) {
		t.Fatalf("node has %d items", len(n.items))
	}
	for i, it := range n.items {
		if lo != nil && bytes.Compare(it.key(), lo) <= 0 || hi != nil && bytes.Compare(it.key(), hi) >= 0 {
			t.Fatalf("item %q out of range (%q, %q)", it.key(), lo, hi)
		}
		if i > 0 && bytes.Compare(n.items[i-1].key(), it.key()) >= 0 {
			t.Fatalf("items out of order: %q, %q", n.items[i-1].key(), it.key())
		}
	}
	if len(n.children) == 0 {
		return len(n.items), 1
	}
	if len(n.children) != len(n.items)+1 {
		t.Fatalf("%d children for %d items", len(n.children), len(n.items))
	}
	count, depth := len(n.items), -1
	for i, c := range n.children {
		clo, chi := lo, hi
		if i > 0 {
			clo = n.items[i-1].key()
		}
		if i < len(n.items) {
			chi = n.items[i].key()
		}
		cn, cd := check(t, c, clo, chi, false)
		if depth >= 0 && cd != depth {
			t.Fatalf("unbalanced: depths %d and %d", depth, cd)
		}
		depth = cd
		count += cn
	}
	return count, depth + 1
}

func checkTree(t *testing.T, tr *tree, want map[string]string) {
	t.Helper()
	if tr.count != len(want) {
		t.Fatalf("count %d, want %d", tr.count, len(want))
	}
	if tr.root != nil {
		if n, _ := check(t, tr.root, nil, nil, true); n != len(want) {
			t.Fatalf("tree holds %d items, want %d", n, len(want))
		}
	}
	keys := slices.Sorted(maps.Keys(want))
	var got []string
	tr.ascend(nil, nil, func(k, v []byte) bool {
		if want[string(k)] != string(v) {
			t.Fatalf("key %q: value %q, want %q", k, v, want[string(k)])
		}
		got = append(got, string(k))
		return true
	})
	if !slices.Equal(got, keys) {
		t.Fatalf("ascend gave %d keys, want %d", len(got), len(keys))
	}
}

func TestTreeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tr tree
	want := map[string]string{}
	c := new(cow)
	var snaps []tree
	var snapWant []map[string]string
	for i := range 20000 {
		k := fmt.Sprintf("k%05d", r.IntN(3000))
		switch r.IntN(3) {
		case 0, 1:
			v := fmt.Sprint(i)
			tr.put(c, newItem([]byte(k), []byte(v)))
			want[k] = v
		case 2:
			_, had := want[k]
			if got := tr.delete(c, []byte(k)); got != had {
				t.Fatalf("delete(%q) = %v, want %v", k, got, had)
			}
			delete(want, k)
		}
		if i%1000 == 999 {
			checkTree(t, &tr, want)
			// Take a snapshot: later writes use a new owner.
			snaps = append(snaps, tr)
			snapWant = append(snapWant, maps.Clone(want))
			c = new(cow)
		}
	}
	for i := range snaps {
		checkTree(t, &snaps[i], snapWant[i])
	}
	// Delete everything.
	for k := range want {
		tr.delete(c, []byte(k))
	}
	checkTree(t, &tr, map[string]string{})
	for i := range snaps {
		checkTree(t, &snaps[i], snapWant[i])
	}
}

func TestTreeAscendRange(t *testing.T) {
	var tr tree
	c := new(cow)
	for i := range 1000 {
		tr.put(c, newItem(fmt.Appendf(nil, "%04d", i*2), nil))
	}
	for _, tc := range []struct {
		start, end string
		first      string
		n          int
	}{
		{"0000", "0010", "0000", 5},
		{"0001", "0010", "0002", 4},
		{"0001", "0011", "0002", 5},
		{"1998", "", "1998", 1},
		{"1999", "", "", 0},
		{"0500", "0500", "", 0},
		{"0600", "0500", "", 0},
		{"", "", "0000", 1000},
	} {
		var start, end []byte
		if tc.start != "" {
			start = []byte(tc.start)
		}
		if tc.end != "" {
			end = []byte(tc.end)
		}
		var got []string
		tr.ascend(start, end, func(k, v []byte) bool { got = append(got, string(k)); return true })
		if len(got) != tc.n || tc.n > 0 && got[0] != tc.first {
			t.Errorf("ascend(%q, %q): %d keys starting %v, want %d starting %q", tc.start, tc.end, len(got), got[:min(len(got), 1)], tc.n, tc.first)
		}
	}
}

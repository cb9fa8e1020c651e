package locking

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// The model of one owner's locks on a small file: one cell per byte of
// [0, modelTail) and a last cell for [modelTail, 2^64). Requests stay below
// modelTail or run to the end of the file, so the tail is uniform.
const (
	modelTail = 80
	modelSize = modelTail + 1
)

type cell uint8

const (
	cellNone cell = iota
	cellShared
	cellExcl
)

type model [modelSize]cell

func (md *model) set(r Range, c cell) {
	last := r.last()
	for i := r.Off; i < modelSize && i <= last; i++ {
		if i == modelTail && last != math.MaxUint64 {
			break
		}
		md[i] = c
	}
}

func modelOf(locks []Lock, o Owner) (model, error) {
	var md model
	for _, l := range locks {
		if l.Owner != o {
			continue
		}
		c := cellShared
		if l.Exclusive {
			c = cellExcl
		}
		last := l.Range.last()
		for i := l.Range.Off; i < modelSize && i <= min(last, modelTail); i++ {
			if md[i] != cellNone {
				return md, fmt.Errorf("owner %v has overlapping locks at %d: %+v", o, i, locks)
			}
			md[i] = c
		}
	}
	// Same-type locks of an owner are merged: no two touch.
	for _, a := range locks {
		for _, b := range locks {
			if a != b && a.Owner == o && b.Owner == o && a.Exclusive == b.Exclusive && a.Range.last() != math.MaxUint64 && a.Range.last()+1 == b.Range.Off {
				return md, fmt.Errorf("unmerged adjacent locks %+v %+v", a, b)
			}
		}
	}
	return md, nil
}

func checkNoConflicts(locks []Lock) error {
	for i, a := range locks {
		for _, b := range locks[i+1:] {
			if a.Owner != b.Owner && (a.Exclusive || b.Exclusive) && a.Range.Off <= b.Range.last() && b.Range.Off <= a.Range.last() {
				return fmt.Errorf("conflicting locks held: %+v and %+v", a, b)
			}
		}
	}
	return nil
}

// TestStressAgainstModel runs goroutines that lock, unlock, wait and
// cancel random ranges of a few files. Each goroutine is one owner and
// keeps a model of what it holds; after every operation its locks must
// equal its model, and no two owners may hold conflicting locks. Blocking
// requests use deadlock detection, so the test finishing at all checks
// that no waits-for cycle slipped through.
func TestStressAgainstModel(t *testing.T) {
	const (
		workers = 12
		files   = 3
	)
	ops := 1500
	if testing.Short() {
		ops = 300
	}
	ctx := context.Background()
	m := newManager(t, Options{})
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			o := Owner{Proto: Proto(1 + w%3), Client: fmt.Sprintf("c%d", w%5), Key: fmt.Sprint(w)}
			var models [files]model
			fail := func(err error) { errc <- err }
			// Leave nothing held on any return, so that others' waits end.
			defer func() {
				if err := m.ReleaseOwner(ctx, o); err != nil {
					fail(err)
				}
			}()
			for i := range ops {
				f := rng.IntN(files)
				r := Range{Off: uint64(rng.IntN(64)), Len: uint64(rng.IntN(16))}
				excl := rng.IntN(2) == 0
				c := cellShared
				if excl {
					c = cellExcl
				}
				switch op := rng.IntN(10); {
				case op < 4: // try
					err := m.Lock(ctx, uint64(f), Request{Owner: o, Range: r, Exclusive: excl})
					switch {
					case err == nil:
						models[f].set(r, c)
					case !errors.Is(err, ErrDenied):
						fail(fmt.Errorf("op %d: lock: %v", i, err))
						return
					}
				case op < 7: // block, then wait or cancel
					ch := make(chan error, 1)
					err := m.Lock(ctx, uint64(f), Request{Owner: o, Range: r, Exclusive: excl, Block: true, DetectDeadlock: true, Granted: func(err error) { ch <- err }})
					switch err {
					case nil:
						models[f].set(r, c)
					case ErrDeadlock:
					case ErrBlocked:
						if rng.IntN(3) == 0 && m.Cancel(uint64(f), o, r, excl) {
							break
						}
						if err := <-ch; err != nil {
							fail(fmt.Errorf("op %d: granted with %v", i, err))
							return
						}
						models[f].set(r, c)
					default:
						fail(fmt.Errorf("op %d: blocking lock: %v", i, err))
						return
					}
				case op < 9:
					if err := m.Unlock(ctx, uint64(f), o, r); err != nil {
						fail(err)
						return
					}
					models[f].set(r, cellNone)
				default:
					if err := m.ReleaseOwner(ctx, o); err != nil {
						fail(err)
						return
					}
					models = [files]model{}
				}
				for fi := range files {
					locks := m.Locks(uint64(fi))
					got, err := modelOf(locks, o)
					if err == nil && got != models[fi] {
						err = fmt.Errorf("op %d file %d: owner %v holds\n%v\nmodel\n%v", i, fi, o, got, models[fi])
					}
					if err == nil {
						err = checkNoConflicts(locks)
					}
					if err != nil {
						fail(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.files) != 0 || m.nlocks != 0 || m.nwait != 0 || len(m.waiting) != 0 {
		t.Fatalf("state left: files %d locks %d waiters %d", len(m.files), m.nlocks, m.nwait)
	}
}

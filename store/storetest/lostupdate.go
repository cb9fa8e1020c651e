package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/store"
)

// testLostUpdate forces the interleaving that loses an update under
// snapshot isolation without conflict detection, without relying on the
// scheduler: transaction A reads the counter and stops; B then increments
// it, on its own goroutine, while A is open. A backend that runs Updates
// concurrently lets B finish (A must then conflict, or see B's write); one
// that runs them one at a time blocks B until A ends. The test waits for
// B to finish or to block, and only then lets A go on, so either way both
// increments must count.
func testLostUpdate(t *tt, m store.Metadata) {
	key := []byte("counter")
	putAll(t, m, []kv{{key, binaryUint(0)}})
	increment := func(tx store.Tx, stop func()) error {
		n, err := getUint(tx, key)
		if err != nil {
			return err
		}
		stop()
		return tx.Put(key, binaryUint(n+1))
	}
	read := make(chan struct{})
	proceed := make(chan struct{})
	aDone := make(chan error, 1)
	go func() {
		once := sync.OnceFunc(func() { close(read) })
		defer once()
		_, err := update(t.ctx, m, func(tx store.Tx) error {
			return increment(tx, func() {
				once()
				select {
				case <-proceed:
				case <-t.abort:
				}
			})
		})
		aDone <- err
	}()
	t.wait(read)
	var bID atomic.Uint64
	bDone := make(chan error, 1)
	go func() {
		bID.Store(goroutineID())
		_, err := update(t.ctx, m, func(tx store.Tx) error { return increment(tx, func() {}) })
		bDone <- err
	}()
	var bErr error
	bFinished := false
wait:
	for {
		select {
		case bErr = <-bDone:
			bFinished = true
			break wait
		case <-t.abort:
			return
		default:
		}
		if id := bID.Load(); id != 0 && blocked(id) {
			break // B waits for A (or for something else): let A go on
		}
		time.Sleep(100 * time.Microsecond)
	}
	close(proceed)
	if err := <-aDone; err != nil {
		t.Fatalf("increment A: %v", err)
	}
	if !bFinished {
		bErr = <-bDone
	}
	if bErr != nil {
		t.Fatalf("increment B: %v", bErr)
	}
	v, err := get(t, m, key)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := parseUint(v); n != 2 {
		t.Fatalf("counter = %d after two increments, the second committed while the first was open: a lost update (an Update must fail with ErrConflict when a key it read changed since it began)", n)
	}
}

// goroutineID returns the id of the calling goroutine, from its stack
// header ("goroutine 42 [running]:").
func goroutineID() uint64 {
	var buf [64]byte
	s := strings.TrimPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	id, _ := strconv.ParseUint(s[:strings.IndexByte(s, ' ')], 10, 64)
	return id
}

// blocked reports whether goroutine id is parked on a channel, a lock, a
// condition or I/O (not running, runnable, in a system call or helping
// the garbage collector), from its stack header.
func blocked(id uint64) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	i := bytes.Index(buf, fmt.Appendf(nil, "goroutine %d [", id))
	if i < 0 {
		return false // not started or already gone
	}
	state := string(buf[i:])
	state = state[strings.IndexByte(state, '[')+1:]
	for _, p := range []string{"chan send", "chan receive", "select", "sync.", "semacquire", "IO wait", "sleep"} {
		if strings.HasPrefix(state, p) {
			return true
		}
	}
	return false
}

// testScanAhead changes keys further ahead in the range from inside a
// Scan callback: Scan sees the transaction as of the call, so a key
// deleted ahead is still visited with its old value, a key overwritten
// ahead with its old value, and a key inserted ahead is not visited;
// after the Scan, the transaction and then the store see the changes.
func testScanAhead(t *tt, m store.Metadata) {
	var pairs []kv
	for i := range 20 {
		pairs = append(pairs, kv{fmt.Appendf(nil, "k%02d", i), []byte("v")})
	}
	putAll(t, m, pairs)
	mustUpdate(t, m, func(tx store.Tx) error {
		// An uncommitted write in the range, which the callback then
		// deletes ahead of the Scan.
		if err := tx.Put([]byte("k15"), []byte("own")); err != nil {
			return err
		}
		var got []kv
		var ferr error
		err := tx.Scan([]byte("k"), []byte("l"), func(k, v []byte) bool {
			got = append(got, kv{bytes.Clone(k), bytes.Clone(v)})
			if len(got) > 2*len(pairs) {
				ferr = errors.New("Scan visits keys its callback inserts ahead and never ends")
				return false
			}
			if string(k) != "k00" {
				return true
			}
			for _, d := range []string{"k05", "k10", "k15"} {
				if err := tx.Delete([]byte(d)); err != nil {
					ferr = err
					return false
				}
			}
			for _, p := range [][2]string{{"k07", "new"}, {"k055", "inserted"}, {"k99", "inserted"}} {
				if err := tx.Put([]byte(p[0]), []byte(p[1])); err != nil {
					ferr = err
					return false
				}
			}
			return true
		})
		if err := errors.Join(err, ferr); err != nil {
			return err
		}
		want := sortedPairs(append(pairs[:15:15], append([]kv{{[]byte("k15"), []byte("own")}}, pairs[16:]...)...))
		wantPairs(t, "Scan whose callback changes keys ahead (it sees the transaction as of the call)", got, want)
		after := kvs("k00", "v", "k01", "v", "k02", "v", "k03", "v", "k04", "v", "k055", "inserted", "k06", "v", "k07", "new",
			"k08", "v", "k09", "v", "k11", "v", "k12", "v", "k13", "v", "k14", "v", "k16", "v", "k17", "v", "k18", "v", "k19", "v", "k99", "inserted")
		wantPairs(t, "Scan after that Scan, in the same Update", scan(t, tx, []byte("k"), []byte("l")), after)
		for _, d := range []string{"k05", "k10", "k15"} {
			if _, err := tx.Get([]byte(d)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(%s) after deleting it in a Scan callback: %v, want ErrNotFound", d, err)
			}
		}
		return nil
	})
	wantPairs(t, "after commit", scanView(t, m, []byte("k"), []byte("l")), kvs("k00", "v", "k01", "v", "k02", "v", "k03", "v", "k04", "v", "k055", "inserted", "k06", "v", "k07", "new",
		"k08", "v", "k09", "v", "k11", "v", "k12", "v", "k13", "v", "k14", "v", "k16", "v", "k17", "v", "k18", "v", "k19", "v", "k99", "inserted"))
}

package badger_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
)

// killValue is the value the kill test's child writes under key i: some
// inline, some large enough for the value log.
func killValue(i int) []byte {
	n := 10 + i%7*100
	if i%5 == 0 {
		n = 2<<20 + i
	}
	return bytes.Repeat([]byte{byte(i)}, n)
}

// TestKill kills a child process committing Updates without SyncWrites
// and checks that every acknowledged Update survived and no other did.
func TestKill(t *testing.T) {
	if dir := os.Getenv("DITTOFS_BADGER_KILL_DIR"); dir != "" {
		killChild(dir)
		return
	}
	const rounds = 5
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(5, 5))
	acked := -1
	for round := range rounds {
		// A watchdog bounds a round that hangs.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(rctx, os.Args[0], "-test.run=^TestKill$")
		cmd.Env = append(os.Environ(), "DITTOFS_BADGER_KILL_DIR="+dir, "DITTOFS_BADGER_KILL_START="+strconv.Itoa(acked+1))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		kill, n, killed := 5+r.IntN(60), 0, false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			i, err := strconv.Atoi(sc.Text())
			if err != nil {
				if killed {
					break
				}
				t.Fatalf("child said %q; stderr %s", sc.Text(), stderr.String())
			}
			acked = i
			if n++; n == kill {
				cmd.Process.Kill()
				killed = true
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child stopped after %d acknowledgements: %s", round, n, stderr.String())
		}
		m, err := badger.Open(dir, badger.Options{})
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		last := -1
		err = m.View(context.Background(), func(tx store.Tx) error {
			return tx.Scan(nil, nil, func(k, v []byte) bool {
				i, err := strconv.Atoi(string(k))
				if err != nil || i != last+1 || !bytes.Equal(v, killValue(i)) {
					t.Errorf("round %d: key %q (%d bytes) after %d", round, k, len(v), last)
					return false
				}
				last = i
				return true
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		// The Update in flight at the kill may have committed too.
		if last != acked && last != acked+1 {
			t.Fatalf("round %d: store holds keys up to %d, acknowledged up to %d", round, last, acked)
		}
		acked = last
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func killChild(dir string) {
	start, _ := strconv.Atoi(os.Getenv("DITTOFS_BADGER_KILL_START"))
	m, err := badger.Open(dir, badger.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := start; i < start+5000; i++ {
		err := m.Update(context.Background(), func(tx store.Tx) error {
			return tx.Put([]byte(fmt.Sprintf("%08d", i)), killValue(i))
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(w, i)
		w.Flush()
	}
	os.Exit(0)
}

package localfs_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/localfs"
)

func id(i int) store.BlockID { return sha256.Sum256(fmt.Append(nil, i)) }

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, localfs.Options{})
	bid := id(1)
	if err := b.Put(context.Background(), bid, []byte("data")); err != nil {
		t.Fatal(err)
	}
	h := bid.String()
	data, err := os.ReadFile(filepath.Join(dir, h[0:2], h[2:4], h))
	if err != nil || string(data) != "data" {
		t.Fatalf("block file: %q, %v", data, err)
	}
	if v, err := os.ReadFile(filepath.Join(dir, "VERSION")); err != nil || !strings.HasPrefix(string(v), "dittofs localfs") {
		t.Fatalf("VERSION: %q, %v", v, err)
	}
}

func TestCleansTempFiles(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, localfs.Options{})
	ctx := context.Background()
	bid := id(7)
	if err := b.Put(ctx, bid, []byte("keep")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	h := bid.String()
	leaf := filepath.Join(dir, h[0:2], h[2:4])
	stale := []string{filepath.Join(leaf, ".tmp-1234"), filepath.Join(dir, ".tmp-abcd")}
	for _, p := range stale {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b = open(t, dir, localfs.Options{})
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s survived Open: %v", p, err)
		}
	}
	var ids []store.BlockID
	if err := b.Walk(ctx, func(id store.BlockID) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != bid {
		t.Fatalf("Walk = %v, want [%s]", ids, bid)
	}
}

func TestWalkIgnoresForeignFiles(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, localfs.Options{})
	ctx := context.Background()
	bid := id(3)
	if err := b.Put(ctx, bid, []byte("x")); err != nil {
		t.Fatal(err)
	}
	h := bid.String()
	leaf := filepath.Join(dir, h[0:2], h[2:4])
	other := id(4).String() // a valid id in the wrong directory
	for _, name := range []string{"README", strings.ToUpper(h), other, h + ".bak", ".tmp-x"} {
		if err := os.WriteFile(filepath.Join(leaf, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "zz", "00"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zz", "00", h), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var ids []store.BlockID
	if err := b.Walk(ctx, func(id store.BlockID) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != bid {
		t.Fatalf("Walk = %v, want only [%s]", ids, bid)
	}
}

func TestOpenRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "important.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := localfs.Open(dir, localfs.Options{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Open of a foreign non-empty directory: %v, want ErrInvalid", err)
	}
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "VERSION"), []byte("something else 9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := localfs.Open(dir, localfs.Options{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Open with an unknown VERSION: %v, want ErrInvalid", err)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	b, err := localfs.Open(dir, localfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b2, err := localfs.Open(dir, localfs.Options{}); err == nil {
		b2.Close()
		t.Fatalf("second Open of a locked directory succeeded")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2, err := localfs.Open(dir, localfs.Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	b2.Close()
	if err := b.Put(context.Background(), id(1), nil); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Put after Close: %v, want fs.ErrClosed", err)
	}
	if err := b.Sync(context.Background()); err == nil {
		t.Fatalf("Sync after Close succeeded")
	}
}

// blockData is the content of block i in the crash test.
func blockData(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 1))
	data := make([]byte, 1+r.IntN(256<<10))
	for j := 0; j < len(data); j += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(data[j:], w[:])
	}
	return data
}

// TestCrash kills a child process that writes blocks (every block is
// overwritten with new content once) and checks, after each kill, that
// every acknowledged Put reads back and that no block is torn.
func TestCrash(t *testing.T) {
	if dir := os.Getenv("DITTOFS_LOCALFS_CRASH_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	const rounds = 5
	dir := t.TempDir()
	acked := map[int]int{} // block slot → version last acknowledged
	r := rand.New(rand.NewPCG(42, 0))
	start := 0
	for round := range rounds {
		// A watchdog bounds a round that hangs.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(rctx, os.Args[0], "-test.run=^TestCrash$")
		cmd.Env = append(os.Environ(), "DITTOFS_LOCALFS_CRASH_DIR="+dir, "DITTOFS_LOCALFS_CRASH_START="+strconv.Itoa(start))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		kill := 5 + r.IntN(40)
		sc := bufio.NewScanner(out)
		n := 0
		killed := false
		for sc.Scan() {
			var slot, version int
			if _, err := fmt.Sscanf(sc.Text(), "%d %d", &slot, &version); err != nil {
				// The last line may be cut short by the kill.
				if killed {
					break
				}
				t.Fatalf("child said %q", sc.Text())
			}
			acked[slot] = version
			start = version + 1
			if n++; n == kill {
				// Lines already in the pipe are acknowledged too.
				cmd.Process.Kill()
				killed = true
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child stopped after %d acknowledgements", round, n)
		}

		b, err := localfs.Open(dir, localfs.Options{})
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		ctx := context.Background()
		// The one Put in flight at the kill, of version start, may
		// have landed.
		inflight := start
		for slot, version := range acked {
			want := blockData(version)
			p := make([]byte, len(want)+(1<<20))
			n, err := b.ReadAt(ctx, id(slot), p, 0)
			switch {
			case err == io.EOF && bytes.Equal(p[:n], want):
			case slot == inflight%16 && err == io.EOF && bytes.Equal(p[:n], blockData(inflight)):
				acked[slot] = inflight
			default:
				t.Fatalf("round %d: slot %d: acknowledged version %d reads back as %d other bytes, %v", round, slot, version, n, err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// crashChild writes blocks to 16 slots until killed, printing "slot
// version" after each acknowledged Put.
func crashChild(dir string) {
	start, _ := strconv.Atoi(os.Getenv("DITTOFS_LOCALFS_CRASH_START"))
	b, err := localfs.Open(dir, localfs.Options{NoSync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for v := start; v < start+10000; v++ {
		if err := b.Put(context.Background(), id(v%16), blockData(v)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("%d %d\n", v%16, v)
	}
	os.Exit(0)
}

// TestNoSpace fills a tiny tmpfs when one can be mounted (as root) and
// checks that Put reports store.ErrNoSpace and leaves no temporary file.
func TestNoSpace(t *testing.T) {
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).Run(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	b := open(t, dir, localfs.Options{})
	ctx := context.Background()
	big := make([]byte, 600<<10)
	if err := b.Put(ctx, id(1), big); err != nil {
		t.Fatalf("first Put: %v", err)
	}
	err := b.Put(ctx, id(2), big)
	if !errors.Is(err, store.ErrNoSpace) {
		t.Fatalf("Put on a full disk: %v, want ErrNoSpace", err)
	}
	if _, err := b.ReadAt(ctx, id(2), make([]byte, 1), 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed Put left a block: %v", err)
	}
	h := id(2).String()
	names, _ := filepath.Glob(filepath.Join(dir, h[0:2], h[2:4], ".tmp-*"))
	if len(names) > 0 {
		t.Fatalf("failed Put left %q", names)
	}
}

// TestSpace: the block directory's file system's size and free room, as
// statfs gives them, for FSSTAT.
func TestSpace(t *testing.T) {
	b, err := localfs.Open(t.TempDir(), localfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	total, free, err := b.Space()
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("no statfs here")
	}
	if err != nil || total == 0 || free > total {
		t.Fatalf("Space() = %d, %d, %v", total, free, err)
	}
}

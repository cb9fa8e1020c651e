package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/state"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
)

// fsckRun runs --check or --repair and returns the exit status and the
// report.
func fsckRun(t *testing.T, data string, repair bool) (int, string) {
	t.Helper()
	args := []string{"--data", data, "--check"}
	if repair {
		args[2] = "--repair"
	}
	cfg, err := parseConfig(args, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := fsck(context.Background(), cfg, &out, slog.New(slog.DiscardHandler))
	return code, out.String()
}

// keysOf lists every key and value of the metadata store of data.
func keysOf(t *testing.T, data string) string {
	t.Helper()
	meta, err := badger.Open(filepath.Join(data, "meta"), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	var b strings.Builder
	if err := meta.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool {
			b.WriteString(string(k) + "=" + string(v) + "\n")
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// workload leaves in data's store what a server leaves: a file with a
// lock and a share reservation (locking), a watched NLM host (NSM), a
// confirmed NFSv4 client (state), and records an older version kept
// under the prefixes before namespaces.
func workload(t *testing.T, cfg Config) {
	t.Helper()
	ctx := context.Background()
	st, err := openStores(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cred := &store.Cred{UID: 1000, GID: 1000}
	h, _, _, err := st.fs.Create(ctx, cred, st.fs.Root(), "f", store.CreateGuarded, &store.SetAttr{Mask: store.SetMode, Mode: 0o644}, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	locks, err := locking.Open(ctx, locking.Options{Persist: st.meta, Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	o := locking.Owner{Proto: locking.ProtoNLM, Client: "hostA", Key: "1"}
	if err := locks.Lock(ctx, h.ID, locking.Request{Owner: o, Range: locking.Range{Off: 0, Len: 10}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	v4 := locking.Owner{Proto: locking.ProtoNFS4, Client: "c", Key: "open"}
	if err := locks.Share(ctx, h.ID, locking.ShareRequest{Owner: v4, Access: locking.ModeRead}); err != nil {
		t.Fatal(err)
	}
	locks.Close()
	nsm := &nlm.Monitor{Persist: st.meta, Name: "server", NotifyRetries: 1,
		Locate: func(context.Context, string, netip.Addr, uint32, uint32, string) (netip.AddrPort, error) {
			return netip.AddrPort{}, errors.New("unreachable")
		}}
	if err := nsm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := nsm.Watch(ctx, "hostA", netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	nsm.Close()
	tbl, err := state.New(ctx, state.Options{Persist: st.meta})
	if err != nil {
		t.Fatal(err)
	}
	id, conf, err := tbl.SetClientID(ctx, netip.Addr{}, []byte("linux-client"), [8]byte{1}, "p", state.Callback{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.ConfirmClientID(ctx, id, conf, "p"); err != nil {
		t.Fatal(err)
	}
	tbl.Close()
	if err := st.meta.Update(ctx, func(tx store.Tx) error {
		return tx.Put([]byte("\xffNSMhhostB"), []byte("127.0.0.2")) // a legacy NSM record
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckAndRepair runs --check on a fresh store and on one after a
// workload (no problems: every component's keys are known), then
// damages the store: --check reports it, exits 1 and changes nothing;
// --repair backs the data directory up, repairs, and --check is clean
// again while the backup still holds the damage.
func TestCheckAndRepair(t *testing.T) {
	cfg := defaultConfig()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	st, err := openStores(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	if code, out := fsckRun(t, cfg.Data, false); code != fsckClean || !strings.Contains(out, "no problems found") {
		t.Fatalf("fresh store: exit %d\n%s", code, out)
	}

	workload(t, cfg)
	code, out := fsckRun(t, cfg.Data, false)
	if code != fsckClean {
		t.Fatalf("store after a workload: exit %d\n%s", code, out)
	}
	for _, want := range []string{"records of locking: 3", "records of nsm: 3", "records of nfs4-state: 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	// Damage: a lock record that does not decode, and an extended
	// attribute of a node that does not exist.
	meta, err := badger.Open(filepath.Join(cfg.Data, "meta"), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	badLock := append(append(append([]byte{}, locking.KeyPrefix...), 'l'), 0, 1, 2)
	orphanXattr := binary.BigEndian.AppendUint64([]byte{'x'}, 1<<40)
	if err := meta.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.Put(badLock, []byte{9}); err != nil {
			return err
		}
		return tx.Put(append(orphanXattr, "user.x"...), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	meta.Close()
	before := keysOf(t, cfg.Data)
	code, out = fsckRun(t, cfg.Data, false)
	if code != fsckDamaged || !strings.Contains(out, "problem: locking record") || !strings.Contains(out, "problem: xattr") {
		t.Fatalf("damaged store: exit %d\n%s", code, out)
	}
	if after := keysOf(t, cfg.Data); after != before {
		t.Fatal("--check changed the store")
	}

	code, out = fsckRun(t, cfg.Data, true)
	if code != fsckClean || strings.Count(out, "repaired: ") != 2 {
		t.Fatalf("--repair: exit %d\n%s", code, out)
	}
	backups, _ := filepath.Glob(cfg.Data + ".backup-*")
	if len(backups) != 1 {
		t.Fatalf("backups %q", backups)
	}
	if code, out := fsckRun(t, cfg.Data, false); code != fsckClean {
		t.Fatalf("after --repair: exit %d\n%s", code, out)
	}
	if code, out := fsckRun(t, backups[0], false); code != fsckDamaged {
		t.Fatalf("the backup: exit %d\n%s", code, out)
	}
	// The repaired store still serves its locks: the server's lock
	// manager opens it and the lock is reclaimable.
	st, err = openStores(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	locks, err := locking.Open(context.Background(), locking.Options{Persist: st.meta})
	if err != nil {
		t.Fatalf("lock manager over the repaired store: %v", err)
	}
	defer locks.Close()
	if !locks.InGrace(context.Background()) {
		t.Fatal("the held lock was lost")
	}
}

func TestCheckFlags(t *testing.T) {
	for _, args := range [][]string{{"--check", "--repair"}, {"--check", "--memory"}, {"--max-locks-per-file", "0"}} {
		if _, err := parseConfig(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	cfg, err := parseConfig([]string{"--max-locks-per-file", "7", "--max-locks-per-client", "9"}, &bytes.Buffer{})
	if err != nil || cfg.MaxLocksPerFile != 7 || cfg.MaxLocksPerClient != 9 {
		t.Fatalf("%+v %v", cfg, err)
	}
	if code, out := fsckRun(t, filepath.Join(t.TempDir(), "none"), false); code != fsckFailed {
		t.Fatalf("no store: exit %d\n%s", code, out)
	}
}

// TestMaxLocksFlag: --max-locks reaches the lock manager: with a bound of
// 2, a third share reservation (of another file and client, so that only
// the total bound applies) is refused.
func TestMaxLocksFlag(t *testing.T) {
	cfg, err := parseConfig([]string{"--memory", "--max-locks", "2"}, &bytes.Buffer{})
	if err != nil || cfg.MaxLocks != 2 {
		t.Fatalf("%+v %v", cfg, err)
	}
	if _, err := parseConfig([]string{"--max-locks", "0"}, &bytes.Buffer{}); err == nil {
		t.Errorf("--max-locks 0 accepted")
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := openStores(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	lm, err := openLocking(ctx, cfg, log, st)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.close(log)
	for i := range 3 {
		err := lm.locks.Share(ctx, uint64(100+i), locking.ShareRequest{
			Owner: locking.Owner{Proto: locking.ProtoNFS4, Client: fmt.Sprint("c", i), Key: "o"}, Access: locking.ModeRead})
		if want := i == 2; (err != nil) != want || (want && !errors.Is(err, locking.ErrNoLocks)) {
			t.Errorf("share %d with --max-locks 2: %v", i, err)
		}
	}
}

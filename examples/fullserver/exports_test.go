package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/internal/logtest"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// startRunWith is startRun with a logger and hooks.
func startRunWith(t *testing.T, cfg Config, log *slog.Logger, h hooks) (map[string]net.Addr, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	readyc := make(chan []listener, 1)
	errc := make(chan error, 1)
	h.ready = func(l []listener) { readyc <- l }
	go func() { errc <- runWith(ctx, cfg, log, h) }()
	addrs := map[string]net.Addr{}
	select {
	case ls := <-readyc:
		for _, l := range ls {
			addrs[l.Name+"/"+l.Network] = l.Addr
		}
	case err := <-errc:
		cancel()
		t.Fatalf("run: %v", err)
	}
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-errc })
		return runErr
	}
	t.Cleanup(func() { stop() })
	return addrs, stop
}

// lookup4 is COMPOUND {PUTROOTFH, LOOKUP name} (RFC 7530 §16.22, §16.15).
type lookup4 string

func (n lookup4) MarshalXDR(e *xdr.Encoder) {
	e.String("fullserver test")
	e.Uint32(0)
	e.Uint32(2)
	e.Uint32(opPUTROOTFH)
	e.Uint32(opLOOKUP)
	e.String(string(n))
}

func (n lookup4) SizeXDR() int {
	return xdr.SizeOpaque(len("fullserver test")) + 20 + xdr.SizeOpaque(len(n))
}

// status4 reads a COMPOUND4res's status only.
type status4 struct{ status uint32 }

func (r *status4) UnmarshalXDR(d *xdr.Decoder) { r.status = d.Uint32() }

const (
	opLOOKUP          = 15
	nfs4ErrAccess     = 13 // NFS4ERR_ACCESS
	mnt3ErrAcces      = 13 // MNT3ERR_ACCES
	mnt3OK            = 0
	refusedMountLog   = `msg="mount: refused by the export rules"`
	refusedNFS4Log    = `msg="nfs4: client refused by the export rules"`
	exportsReloadedOK = `msg="exports reloaded"`
)

// mountAndLookup MNTs name over NFSv3 and LOOKUPs it over NFSv4 from
// 127.0.0.1, and returns the MOUNT and the COMPOUND statuses.
func mountAndLookup(t *testing.T, addr net.Addr, name string) (mnt, v4 uint32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, "tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Cred = rpc.EncodeAuthSys(1, "test", 1000, 1000, nil)
	var m mntRes
	if err := c.Call(ctx, progMount, 3, 1, xdrString(name), &m); err != nil {
		t.Fatalf("MNT %s: %v", name, err)
	}
	var r status4
	if err := c.Call(ctx, progNFS, 4, nfsproc4Compound, lookup4(strings.TrimPrefix(name, "/")), &r); err != nil {
		t.Fatalf("COMPOUND LOOKUP %s: %v", name, err)
	}
	return m.status, r.status
}

// TestExportsRefuse: an export of the configuration file restricted to
// another address refuses 127.0.0.1 over NFSv3 MOUNT (MNT3ERR_ACCES, RFC
// 1813 Appendix I) and over NFSv4 (NFS4ERR_ACCESS, RFC 7530 §16.15), and
// logs both with the client's address and the rule; an export open to
// the client in the same file is served.
func TestExportsRefuse(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("memory: true\nexports: |\n  /export 10.9.9.9(rw)\n  /open    127.0.0.1(rw,insecure)\n"), 0o600)
	cfg, err := parseConfig([]string{"--config", file, "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	addrs, _ := startRunWith(t, cfg, slog.New(slog.NewTextHandler(&logs, nil)), hooks{})
	mnt, v4 := mountAndLookup(t, addrs["nfs/tcp"], "/export")
	if mnt != mnt3ErrAcces || v4 != nfs4ErrAccess {
		t.Errorf("/export from 127.0.0.1: MNT %d, NFSv4 %d; want %d, %d", mnt, v4, mnt3ErrAcces, nfs4ErrAccess)
	}
	out := logs.String()
	for _, want := range []string{
		refusedMountLog + ` client=127.0.0.1:`,
		refusedNFS4Log + ` client=127.0.0.1:`,
		`export=/export rule=none reason="no rule of the export matches the client's address"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
	if mnt, v4 := mountAndLookup(t, addrs["nfs/tcp"], "/open"); mnt != mnt3OK || v4 != nfs4OK {
		t.Errorf("/open from 127.0.0.1: MNT %d, NFSv4 %d", mnt, v4)
	}
}

// TestExportsReload: SIGHUP re-reads --exports; new rules apply to new
// mounts and to every request; a bad file is logged and the rules in
// force kept; an export taken out of the file is refused to everyone.
func TestExportsReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "exports")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("/export 10.9.9.9(rw)\n/other 127.0.0.1(rw,insecure)\n")
	args := []string{"--memory", "--exports", file, "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off"}
	cfg, err := parseConfig(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	hup := make(chan os.Signal)
	done := make(chan error)
	var logs logtest.Buffer
	addrs, _ := startRunWith(t, cfg, slog.New(slog.NewTextHandler(&logs, nil)), hooks{
		reload:   hup,
		config:   func() (Config, error) { return parseConfig(args, io.Discard) },
		reloaded: func(err error) { done <- err },
	})
	reload := func() error { hup <- syscall.SIGHUP; return <-done }
	nfs := addrs["nfs/tcp"]

	// A handle of /other, for the access check of each request.
	ctx := context.Background()
	c, err := rpc.Dial(ctx, "tcp", nfs.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Cred = rpc.EncodeAuthSys(1, "test", 1000, 1000, nil)
	var m mntRes
	if err := c.Call(ctx, progMount, 3, 1, xdrString("/other"), &m); err != nil || m.status != mnt3OK {
		t.Fatalf("MNT /other: %d %v", m.status, err)
	}
	getattr := func() uint32 {
		var a getattrRes
		if err := c.Call(ctx, progNFS, 3, 1, xdrOpaque(m.fh), &a); err != nil {
			t.Fatal(err)
		}
		return a.status
	}
	if mnt, _ := mountAndLookup(t, nfs, "/export"); mnt != mnt3ErrAcces {
		t.Fatalf("before reload: MNT /export %d", mnt)
	}

	write("/export 127.0.0.0/8(rw,insecure)\n/new *(rw,insecure)\n")
	if err := reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if mnt, v4 := mountAndLookup(t, nfs, "/export"); mnt != mnt3OK || v4 != nfs4OK {
		t.Errorf("after reload: MNT /export %d, NFSv4 %d", mnt, v4)
	}
	// /other is gone from the file: refused, also for the handle held.
	if mnt, v4 := mountAndLookup(t, nfs, "/other"); mnt != mnt3ErrAcces || v4 != nfs4ErrAccess {
		t.Errorf("removed export: MNT %d, NFSv4 %d", mnt, v4)
	}
	if st := getattr(); st != 13 /* NFS3ERR_ACCES */ {
		t.Errorf("GETATTR on a removed export's handle: %d", st)
	}
	out := logs.String()
	for _, want := range []string{exportsReloadedOK, `"new export not served until restart" export=/new`, `"export no longer configured: refused to every client until restart" export=/other`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}

	// A file that does not parse, or that moves an export: the rules in
	// force stay.
	for _, bad := range []string{"/export 127.0.0.1(rw,bogus)\n", "/export 10.9.9.9(rw,path=/elsewhere)\n", "/export 10.9.9.9(rw,fsid=9)\n"} {
		write(bad)
		if err := reload(); err == nil {
			t.Errorf("reload of %q: no error", bad)
		}
		if mnt, v4 := mountAndLookup(t, nfs, "/export"); mnt != mnt3OK || v4 != nfs4OK {
			t.Errorf("after the bad reload %q: MNT /export %d, NFSv4 %d", bad, mnt, v4)
		}
	}
	if !strings.Contains(logs.String(), `msg="reloading the exports: keeping the rules in force"`) {
		t.Errorf("no log line for the bad reload:\n%s", logs.String())
	}
}

// TestWarnOpen: a read-write export for every client is warned of when
// the NFS port listens on every interface, and only then.
func TestWarnOpen(t *testing.T) {
	cfg := defaultConfig()
	st, err := openStores(Config{Memory: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	lm, err := openLocking(context.Background(), Config{Memory: true}, slog.New(slog.DiscardHandler), st)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.close(slog.New(slog.DiscardHandler))
	tab, err := export.NewTable(context.Background(), export.Options{}, defaultExport(cfg, st.fs, lm.locks))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr string
		warn bool
	}{{":2049", true}, {"0.0.0.0:2049", true}, {"[::]:2049", true}, {"127.0.0.1:2049", false}, {"192.168.1.5:2049", false}} {
		var b bytes.Buffer
		cfg.NFSAddr = c.addr
		warnOpen(slog.New(slog.NewTextHandler(&b, nil)), cfg, tab)
		if got := strings.Contains(b.String(), "read-write to every client on every interface"); got != c.warn {
			t.Errorf("%s: warned %v, want %v: %s", c.addr, got, c.warn, b.String())
		}
	}
	exps, _ := export.Parse(strings.NewReader("/ro *(ro)\n/lan 192.168.0.0/16(rw)\n"))
	for _, e := range exps {
		e.FS, e.Locks = st.fs, lm.locks
	}
	tab, err = export.NewTable(context.Background(), export.Options{}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	cfg.NFSAddr = ":2049"
	warnOpen(slog.New(slog.NewTextHandler(&b, nil)), cfg, tab)
	if b.Len() != 0 {
		t.Errorf("warned of restricted exports: %s", b.String())
	}
}

func TestExportsConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "exports")
	os.WriteFile(file, []byte("/a *(ro)\n"), 0o600)
	conf := filepath.Join(dir, "c.yaml")
	os.WriteFile(conf, []byte("exports: \"/b *(rw)\"\n"), 0o600)
	// The flag replaces the configuration file's exports.
	cfg, err := parseConfig([]string{"--config", conf, "--exports", file}, io.Discard)
	if err != nil || cfg.ExportsFile != file || cfg.Exports != "" {
		t.Fatalf("--exports over exports: %+v %v", cfg, err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("/a host.example(rw)\n"), 0o600)
	both := filepath.Join(dir, "both.yaml")
	os.WriteFile(both, []byte("exports: \"/b *(rw)\"\nexports_file: "+file+"\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing\n"), 0o600)
	for _, args := range [][]string{
		{"--exports", bad},
		{"--exports", filepath.Join(dir, "missing")},
		{"--exports", empty},
		{"--config", both},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// lookup3 is LOOKUP3args (RFC 1813 §3.3.3).
type lookup3 struct {
	dir  []byte
	name string
}

func (a lookup3) MarshalXDR(e *xdr.Encoder) { e.Opaque(a.dir); e.String(a.name) }
func (a lookup3) SizeXDR() int              { return xdr.SizeOpaque(len(a.dir)) + xdr.SizeOpaque(len(a.name)) }

// lookup3Res is the start of LOOKUP3res: status, object, obj_attributes'
// owner.
type lookup3Res struct {
	status   uint32
	fh       []byte
	uid, gid uint32
}

func (r *lookup3Res) UnmarshalXDR(d *xdr.Decoder) {
	if r.status = d.Uint32(); r.status != 0 {
		return
	}
	r.fh = d.OpaqueCopy(64)
	if d.Bool() { // post_op_attr: fattr3 type, mode, nlink, uid, gid
		d.Skip(12)
		r.uid, r.gid = d.Uint32(), d.Uint32()
	}
}

// read3 is READ3args (RFC 1813 §3.3.6).
type read3 struct {
	fh    []byte
	off   uint64
	count uint32
}

func (a read3) MarshalXDR(e *xdr.Encoder) { e.Opaque(a.fh); e.Uint64(a.off); e.Uint32(a.count) }
func (a read3) SizeXDR() int              { return xdr.SizeOpaque(len(a.fh)) + 12 }

type read3Res struct {
	status uint32
	eof    bool
	data   []byte
}

func (r *read3Res) UnmarshalXDR(d *xdr.Decoder) {
	if r.status = d.Uint32(); r.status != 0 {
		return
	}
	if d.Bool() {
		d.Skip(84) // fattr3
	}
	d.Uint32()
	r.eof = d.Bool()
	r.data = d.OpaqueCopy(1 << 20)
}

// TestSMBWriteNFSRead: a file written with smbclient to the fullserver's
// SMB port (--smb-addr, --smb-user with DITTOFS_SMB_PASSWORD, uid/gid
// from --smb-uid/--smb-gid) is read back over NFSv3 with the same bytes
// and owner: one store.FS behind both protocols.
func TestSMBWriteNFSRead(t *testing.T) {
	if _, err := exec.LookPath("smbclient"); err != nil {
		t.Skip("smbclient not installed")
	}
	t.Setenv("DITTOFS_SMB_PASSWORD", "s3cret pass")
	cfg := defaultConfig()
	cfg.Memory = true
	cfg.NFSAddr, cfg.PortmapAddr, cfg.SMBAddr, cfg.MetricsAddr = "127.0.0.1:0", "off", "127.0.0.1:0", "127.0.0.1:0"
	cfg.SMBUser, cfg.SMBUID, cfg.SMBGID = "alice", 1234, 5678
	addrs, _ := startRun(t, cfg)
	smbAddr := addrs["smb/tcp"]
	if smbAddr == nil {
		t.Fatalf("no smb listener: %v", addrs)
	}
	dir := t.TempDir()
	data := make([]byte, 3<<20+17)
	rand.Read(data)
	os.WriteFile(filepath.Join(dir, "f"), data, 0o644)
	_, port, _ := net.SplitHostPort(smbAddr.String())
	cmd := exec.Command("smbclient", "//127.0.0.1/export", "-p", port, "-U", "alice%s3cret pass", "-m", "SMB3", "-c", "put f cross")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smbclient: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, "tcp", addrs["nfs/tcp"].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Cred = rpc.EncodeAuthSys(1, "test", 1234, 5678, nil)
	var m mntRes
	if err := c.Call(ctx, progMount, 3, 1, xdrString("/export"), &m); err != nil || m.status != 0 {
		t.Fatalf("MNT: %d %v", m.status, err)
	}
	var l lookup3Res
	if err := c.Call(ctx, progNFS, 3, 3, lookup3{m.fh, "cross"}, &l); err != nil || l.status != 0 {
		t.Fatalf("LOOKUP: %d %v", l.status, err)
	}
	if l.uid != 1234 || l.gid != 5678 {
		t.Errorf("owner %d:%d, want the SMB user's 1234:5678", l.uid, l.gid)
	}
	got := nfs3Read(t, ctx, c, l.fh)
	if !bytes.Equal(got, data) {
		t.Fatalf("NFS read %d bytes, differing from the %d written over SMB", len(got), len(data))
	}

	// The SMB requests are counted per command.
	resp, err := http.Get("http://" + addrs["metrics/tcp"].String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`dittofs_smb_commands_total{command="NEGOTIATE"}`, `dittofs_smb_commands_total{command="SESSION_SETUP"}`,
		`dittofs_smb_commands_total{command="WRITE"}`, `dittofs_smb_command_duration_seconds_count{command="CREATE"}`} {
		if !strings.Contains(string(body), m) {
			t.Errorf("metrics lack %s:\n%s", m, grepLines(string(body), "dittofs_smb"))
		}
	}
}

// TestSMBUsersConfig: smb_users take NT hashes of 32 hex digits and
// nothing else; --smb-user adds a user whose hash is that of
// DITTOFS_SMB_PASSWORD.
func TestSMBUsersConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("smb_users:\n  - {name: bob, nt_hash: 8846f7eaee8fb117ad06bdd830b7586c, uid: 7, gid: 8}\n"), 0o600)
	t.Setenv("DITTOFS_SMB_PASSWORD", "password")
	cfg, err := parseConfig([]string{"--config", good, "--smb-user", "alice", "--smb-uid", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	users, err := cfg.smbUsers(os.Getenv)
	if err != nil || len(users) != 2 {
		t.Fatalf("%v %+v", err, users)
	}
	// MD4("password" in UTF-16LE) is 8846f7ea...: both users have it.
	if users[0].NTHash != users[1].NTHash || users[0].UID != 7 || users[1].UID != 3 || users[1].GID != 1000 {
		t.Fatalf("users %+v", users)
	}
	for _, bad := range []string{"nt_hash: password", "nt_hash: 8846f7ea", "password: x"} {
		f := filepath.Join(dir, "bad.yaml")
		os.WriteFile(f, []byte("smb_users:\n  - {name: bob, "+bad+"}\n"), 0o600)
		if _, err := parseConfig([]string{"--config", f}, io.Discard); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Without --smb-addr, SMB is off when there are no SMB users, and served
// on the default address when there are; when that address cannot be
// bound, on a high port of the same host, with a warning naming it.
func TestSMBDefaultAddr(t *testing.T) {
	t.Setenv("DITTOFS_SMB_PASSWORD", "pw")
	held, err := net.Listen("tcp", "127.0.0.1:0") // what 445 is, taken
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	old := defaultSMBAddr
	defer func() { defaultSMBAddr = old }()
	defaultSMBAddr = held.Addr().String()

	run := func(user string) (net.Addr, string) {
		t.Helper()
		cfg := defaultConfig()
		cfg.Memory = true
		cfg.NFSAddr, cfg.PortmapAddr = "127.0.0.1:0", "off"
		cfg.SMBUser = user
		var logs bytes.Buffer
		addrs, stop := startRunWith(t, cfg, slog.New(slog.NewTextHandler(&logs, nil)), hooks{})
		a := addrs["smb/tcp"]
		stop()
		return a, logs.String()
	}
	if a, logs := run(""); a != nil || !strings.Contains(logs, "smb: off") {
		t.Errorf("no users, no --smb-addr: SMB at %v; log:\n%s", a, logs)
	}
	a, logs := run("alice")
	if a == nil || a.String() == held.Addr().String() || !strings.HasPrefix(a.String(), "127.0.0.1:") {
		t.Fatalf("users, default address taken: SMB at %v, want a high port of 127.0.0.1", a)
	}
	if !strings.Contains(logs, "cannot bind port 445") || !strings.Contains(logs, fmt.Sprint(portOf(a))) {
		t.Errorf("no warning naming port %d:\n%s", portOf(a), logs)
	}
	held.Close()
	if a, _ := run("alice"); a == nil || a.String() != defaultSMBAddr {
		t.Errorf("users, default address free: SMB at %v, want %s", a, defaultSMBAddr)
	}
}

// TestSMBCaseInsensitiveConfig: smb_case_insensitive in the file, and
// --smb-case-insensitive over it, reach the SMB server.
func TestSMBCaseInsensitiveConfig(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	os.WriteFile(f, []byte("smb_case_insensitive: [export, other]\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--config", f}, []string{"export", "other"}},
		{[]string{"--config", f, "--smb-case-insensitive", "*"}, []string{"*"}},
		{[]string{"--smb-case-insensitive", "a,b"}, []string{"a", "b"}},
	} {
		cfg, err := parseConfig(tc.args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		cfg.SMBAddr = "127.0.0.1:0"
		srv, l, err := startSMB(cfg, slog.New(slog.DiscardHandler), nil, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if !slices.Equal(srv.CaseInsensitiveShares, tc.want) {
			t.Errorf("%q: CaseInsensitiveShares %q, want %q", tc.args, srv.CaseInsensitiveShares, tc.want)
		}
	}
}

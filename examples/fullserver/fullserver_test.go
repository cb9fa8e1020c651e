package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/nlm"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/portmap"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// RPC programs the tests call by number.
const (
	progNFS   = nfs3.NFSProgram
	progMount = nfs3.MountProgram
	progNLM   = nlm.NLMProgram
	progNSM   = nlm.NSMProgram
)

type xdrString string

func (s xdrString) MarshalXDR(e *xdr.Encoder) { e.String(string(s)) }
func (s xdrString) SizeXDR() int              { return xdr.SizeOpaque(len(s)) }

type xdrOpaque []byte

func (b xdrOpaque) MarshalXDR(e *xdr.Encoder) { e.Opaque(b) }
func (b xdrOpaque) SizeXDR() int              { return xdr.SizeOpaque(len(b)) }

// mntRes is the start of mountres3 (RFC 1813 Appendix I).
type mntRes struct {
	status uint32
	fh     []byte
}

func (r *mntRes) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	if r.status == 0 {
		r.fh = d.OpaqueCopy(64)
	}
}

// getattrRes is the start of GETATTR3res: status, then fattr3's type and
// mode.
type getattrRes struct{ status, ftype, mode uint32 }

func (r *getattrRes) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	if r.status == 0 {
		r.ftype, r.mode = d.Uint32(), d.Uint32()
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("nfs_addr: 127.0.0.1:3049\nlog_level: debug\ndata: /var/lib/x\n"), 0o600)
	cfg, err := parseConfig([]string{"--config", file, "-log-level", "warn", "--memory"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	want.NFSAddr, want.LogLevel, want.Data, want.Memory = "127.0.0.1:3049", "warn", "/var/lib/x", true
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}
	if cfg, _ := parseConfig([]string{"--nlm=false", "--no-root-squash", "-export", "/data"}, io.Discard); cfg.NLM || !cfg.NoRootSquash || cfg.Export != "/data" {
		t.Fatalf("flags: %+v", cfg)
	}
	if cfg, _ := parseConfig(nil, io.Discard); !reflect.DeepEqual(cfg, defaultConfig()) {
		t.Fatalf("defaults: %+v", cfg)
	}
	// The limits against hostile clients: file, then flags.
	os.WriteFile(file, []byte("max_conns: 100\nmax_conns_per_addr: 10\nmax_reply_bytes_per_conn: 1048576\nmax_reply_bytes: 8388608\nrecord_timeout: 5s\nwrite_timeout: 7s\n"), 0o600)
	cfg, err = parseConfig([]string{"--config", file, "--max-conns-per-addr", "20", "--write-timeout", "9s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var srv rpc.Server
	cfg.limit(&srv)
	if srv.MaxConns != 100 || srv.MaxConnsPerAddr != 20 || srv.MaxReplyBytesPerConn != 1<<20 || srv.MaxReplyBytes != 8<<20 ||
		srv.RecordTimeout != 5*time.Second || srv.WriteTimeout != 9*time.Second {
		t.Fatalf("limits: %+v", cfg)
	}
	def := defaultConfig()
	if def.MaxConnsPerAddr != rpc.DefaultMaxConnsPerAddr || def.MaxReplyBytes != rpc.DefaultMaxReplyBytes {
		t.Fatalf("default limits: %+v", def)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Setenv("DITTOFS_SMB_PASSWORD", "")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("nfs_adr: x\n"), 0o600)
	for _, args := range [][]string{
		{"--config", bad},                        // unknown key
		{"--config", filepath.Join(dir, "none")}, // missing file
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--smb-user", "alice"}, // no DITTOFS_SMB_PASSWORD in the environment
		{"--smb-uid", "x"},
		{"--nfs-addr", ""},
		{"extra"},
		{"--no-such-flag"},
		{"--max-conns-per-addr", "0"},
		{"--max-reply-bytes", "-1"},
		{"--max-conns", "10", "--max-conns-per-addr", "11"},
		{"--record-timeout", "10ms"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func startRun(t *testing.T, cfg Config) (map[string]net.Addr, func() error) {
	t.Helper()
	return startRunWith(t, cfg, slog.New(slog.DiscardHandler), hooks{})
}

func TestServesNullAndPortmap(t *testing.T) {
	cfg := defaultConfig()
	cfg.Memory = true
	cfg.NFSAddr, cfg.PortmapAddr, cfg.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	addrs, stop := startRun(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	nfs := addrs["nfs/tcp"].String()
	for _, network := range []string{"tcp", "udp"} {
		c, err := rpc.Dial(ctx, network, nfs)
		if err != nil {
			t.Fatal(err)
		}
		for _, pv := range [][2]uint32{{progNFS, 3}, {progMount, 3}, {progNLM, 4}, {progNSM, 1}} {
			if err := c.Call(ctx, pv[0], pv[1], 0, nil, nil); err != nil {
				t.Errorf("%s NULL %d v%d: %v", network, pv[0], pv[1], err)
			}
		}
		c.Close()
	}

	// MOUNT the default export and GETATTR its root.
	c, err := rpc.Dial(ctx, "tcp", nfs)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Cred = rpc.EncodeAuthSys(1, "test", 1000, 1000, nil)
	var mnt mntRes
	if err := c.Call(ctx, progMount, 3, 1, xdrString("/export"), &mnt); err != nil || mnt.status != 0 || len(mnt.fh) == 0 {
		t.Fatalf("MNT /export: status %d, %v", mnt.status, err)
	}
	// An unknown procedure is an RPC error, counted in the metrics.
	if err := c.Call(ctx, progNFS, 3, 99, nil, nil); !isAccept(err, rpc.PROC_UNAVAIL) {
		t.Errorf("NFSv3 procedure 99: %v, want PROC_UNAVAIL", err)
	}
	var attr getattrRes
	if err := c.Call(ctx, progNFS, 3, 1, xdrOpaque(mnt.fh), &attr); err != nil || attr.status != 0 || attr.ftype != 2 || attr.mode&0o777 != exportRootMode {
		t.Fatalf("GETATTR root: %+v, %v", attr, err)
	}

	// An NFSv4 COMPOUND, counted per operation.
	var res4 compound4Res
	if err := c.Call(ctx, progNFS, 4, nfsproc4Compound, compound4{ops: []uint32{opPUTROOTFH, opGETFH}}, &res4); err != nil || res4.status != nfs4OK {
		t.Fatalf("COMPOUND: %+v %v", res4, err)
	}

	pm, err := portmap.Dial(ctx, "tcp", addrs["portmap/tcp"].String())
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	port, err := pm.GetPort(ctx, progNFS, 3, portmap.IPPROTO_TCP)
	if err != nil || port != portOf(addrs["nfs/tcp"]) {
		t.Fatalf("GETPORT nfs v3 tcp = %d, %v; nfs listens on %v", port, err, nfs)
	}
	if port, err := pm.GetPort(ctx, progNLM, 4, portmap.IPPROTO_UDP); err != nil || port != portOf(addrs["nfs/tcp"]) {
		t.Fatalf("GETPORT nlm v4 udp = %d, %v", port, err)
	}
	port, err = pm.GetPort(ctx, progMount, 3, portmap.IPPROTO_UDP)
	if err != nil || port != portOf(addrs["nfs/tcp"]) {
		t.Fatalf("GETPORT mount v3 udp = %d, %v", port, err)
	}

	resp, err := http.Get("http://" + addrs["metrics/tcp"].String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `dittofs_rpc_calls_total{procedure="GETATTR",program="nfs",server="nfs",version="3"} 1`) ||
		!strings.Contains(string(body), `dittofs_rpc_calls_total{procedure="MNT",program="mount",server="nfs",version="3"} 1`) ||
		!strings.Contains(string(body), `dittofs_rpc_calls_total{procedure="COMPOUND",program="nfs",server="nfs",version="4"} 1`) ||
		!strings.Contains(string(body), `dittofs_rpc_errors_total{procedure="other",program="nfs",server="nfs",status="PROC_UNAVAIL",version="3"}`) {
		t.Errorf("metrics lack the calls just made:\n%s", grepLines(string(body), "dittofs_rpc"))
	}
	for _, m := range []string{`dittofs_nfs4_ops_total{op="PUTROOTFH"} 1`, `dittofs_nfs4_ops_total{op="GETFH"} 1`,
		`dittofs_store_metadata_transactions_total{kind="view"}`, `dittofs_store_metadata_transactions_total{kind="update"}`,
		`dittofs_store_block_bytes_read_total`, `dittofs_store_block_bytes_written_total`, `dittofs_store_open_block_bytes`,
		`dittofs_rpc_reply_bytes{server="nfs"}`, `dittofs_rpc_conns_rejected_per_addr_total{server="nfs"} 0`, `dittofs_rpc_write_timeouts_total{server="portmap"} 0`} {
		if !strings.Contains(string(body), m) {
			t.Errorf("metrics lack %s:\n%s", m, grepLines(string(body), "dittofs_rpc"))
		}
	}
	if resp, err := http.Get("http://" + addrs["metrics/tcp"].String() + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v", err)
	}
	if resp, err := http.Get("http://" + addrs["metrics/tcp"].String() + "/debug/pprof/cmdline"); err != nil || resp.StatusCode != 404 {
		t.Errorf("profiles served without --pprof: %v %v", resp, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", nfs); err == nil {
		t.Fatal("NFS port still open after shutdown")
	}
}

// With --pprof, Go's profiles are served beside the metrics.
func TestPprof(t *testing.T) {
	cfg := defaultConfig()
	cfg.Memory, cfg.Pprof = true, true
	cfg.NFSAddr, cfg.PortmapAddr, cfg.MetricsAddr = "127.0.0.1:0", "off", "127.0.0.1:0"
	addrs, stop := startRun(t, cfg)
	defer stop()
	for _, p := range []string{"/debug/pprof/cmdline", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		resp, err := http.Get("http://" + addrs["metrics/tcp"].String() + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %s, %d bytes", p, resp.Status, len(body))
		}
	}
}

func isAccept(err error, st rpc.AcceptStat) bool {
	re, ok := err.(*rpc.ReplyError)
	return ok && re.Accepted && re.Accept == st
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestBinary runs the real binary the way an operator's script does: free
// ports, addresses read back from the log, SIGTERM, exit status 0.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "fullserver")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--memory", "-nfs-addr", "127.0.0.1:0", "--portmap-addr", "127.0.0.1:0", "--log-format", "json")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	re := regexp.MustCompile(`"service":"nfs","network":"tcp","addr":"([^"]+)"`)
	sc := bufio.NewScanner(stderr)
	var addr string
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatalf("no nfs listener in the log:\n%s", strings.Join(lines, "\n"))
	}
	var rest bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&rest, stderr); close(copied) }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, progNFS, 3, 0, nil, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	<-copied
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; the log after the listeners:\n%s", err, rest.String())
	}
}

// NFSv4 COMPOUND pieces (RFC 7530 §16): the operations and status the
// test sends and expects.
const (
	nfsproc4Compound = 1
	opGETFH          = 10
	opPUTROOTFH      = 24
	nfs4OK           = 0
)

// compound4 is a COMPOUND4args of operations without arguments.
type compound4 struct {
	minor uint32
	ops   []uint32
}

func (a compound4) MarshalXDR(e *xdr.Encoder) {
	e.String("fullserver test") // tag
	e.Uint32(a.minor)
	e.Uint32(uint32(len(a.ops)))
	for _, op := range a.ops {
		e.Uint32(op)
	}
}

func (a compound4) SizeXDR() int { return xdr.SizeOpaque(len("fullserver test")) + 8 + 4*len(a.ops) }

// compound4Res is a COMPOUND4res whose results are PUTROOTFH's and
// GETFH's (the only ones the test decodes).
type compound4Res struct {
	status uint32
	ops    [][2]uint32 // opcode, status
	fh     []byte
}

func (r *compound4Res) UnmarshalXDR(d *xdr.Decoder) {
	r.status = d.Uint32()
	d.String(1024) // tag
	n := d.ArrayLen(16, 8)
	for range n {
		op, st := d.Uint32(), d.Uint32()
		if d.Err() != nil {
			return
		}
		r.ops = append(r.ops, [2]uint32{op, st})
		switch {
		case st != nfs4OK:
			return
		case op == opGETFH:
			r.fh = d.OpaqueCopy(128)
		case op != opPUTROOTFH:
			d.SetErr(fmt.Errorf("unexpected result of op %d", op))
			return
		}
	}
}

// TestServesNFSv4 checks NFS version 4 on the NFS port: NULL, and a
// COMPOUND {PUTROOTFH, GETFH} answered NFS4_OK with a handle, over TCP;
// the portmapper maps (100003, 4) on TCP only (DUMP); and --nfs4=false makes
// version 4 answer PROG_MISMATCH (versions 3 to 3), so that clients fall
// back to version 3.
func TestServesNFSv4(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("nfs4=%v", on), func(t *testing.T) {
			cfg := defaultConfig()
			// With NFSv4 on, over a data directory: the state table
			// keeps its clients in the badger store.
			cfg.Memory, cfg.NFS4, cfg.Data = !on, on, t.TempDir()
			cfg.NFSAddr, cfg.PortmapAddr = "127.0.0.1:0", "127.0.0.1:0"
			addrs, stop := startRun(t, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := rpc.Dial(ctx, "tcp", addrs["nfs/tcp"].String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Cred = rpc.EncodeAuthSys(1, "test", 1000, 1000, nil)
			err = c.Call(ctx, progNFS, 4, 0, nil, nil)
			var res compound4Res
			cerr := c.Call(ctx, progNFS, 4, nfsproc4Compound, compound4{ops: []uint32{opPUTROOTFH, opGETFH}}, &res)
			pm, perr := portmap.Dial(ctx, "tcp", addrs["portmap/tcp"].String())
			if perr != nil {
				t.Fatal(perr)
			}
			defer pm.Close()
			maps, perr := pm.DumpPorts(ctx)
			if perr != nil {
				t.Fatal(perr)
			}
			var tcpPort, udpPort uint32
			for _, m := range maps {
				if m.Prog == progNFS && m.Vers == 4 && m.Prot == portmap.IPPROTO_TCP {
					tcpPort = m.Port
				}
				if m.Prog == progNFS && m.Vers == 4 && m.Prot == portmap.IPPROTO_UDP {
					udpPort = m.Port
				}
			}
			if !on {
				for _, e := range []error{err, cerr} {
					if re, ok := e.(*rpc.ReplyError); !ok || !isAccept(e, rpc.PROG_MISMATCH) || re.Low != 3 || re.High != 3 {
						t.Errorf("NFSv4 call with --nfs4=false: %v, want PROG_MISMATCH 3-3", e)
					}
				}
				if tcpPort != 0 || udpPort != 0 {
					t.Errorf("portmapper maps NFSv4 with --nfs4=false: tcp %d, udp %d", tcpPort, udpPort)
				}
				return
			}
			if err != nil {
				t.Errorf("NFSv4 NULL: %v", err)
			}
			if cerr != nil || res.status != nfs4OK || len(res.ops) != 2 || res.ops[1] != [2]uint32{opGETFH, nfs4OK} || len(res.fh) == 0 {
				t.Errorf("COMPOUND {PUTROOTFH, GETFH}: %+v, %v", res, cerr)
			}
			if int(tcpPort) != portOf(addrs["nfs/tcp"]) || udpPort != 0 {
				t.Errorf("GETPORT NFSv4: tcp %d, udp %d; want tcp %d, udp 0", tcpPort, udpPort, portOf(addrs["nfs/tcp"]))
			}
			if err := stop(); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		})
	}
}

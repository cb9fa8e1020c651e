package hostile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/nfs3"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/rpctest"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// Programs and procedures the tests call (RFC 1813 §3, Appendix I).
const (
	progNFS      = 100003
	progMount    = 100005
	procNull     = 0
	procGetattr  = 1
	procLookup   = 3
	procRead     = 6
	procMountMnt = 1
)

// exportPath is the path of the test server's only export.
const exportPath = "/export"

// bigFile is a file of bigSize bytes in the export's root.
const (
	bigFile = "big"
	bigSize = 1 << 20
)

// server is an NFSv3 and MOUNT server on 127.0.0.1 (TCP and UDP) over a
// memory store, configured like examples/fullserver.
type server struct {
	t        testing.TB
	rpc      *rpc.Server
	fs       *store.FS
	tcp, udp string
	log      *logCounter
}

// start serves the test export; configure, when not nil, sets the
// rpc.Server's limits before it starts.
func start(t testing.TB, configure func(*rpc.Server)) *server {
	t.Helper()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	ctx := context.Background()
	root := &store.Cred{}
	fh, _, _, err := fsys.Create(ctx, root, fsys.Root(), bigFile, store.CreateUnchecked, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := fsys.WriteAt(ctx, root, fh, bytes.Repeat([]byte{0xa5}, bigSize), 0, store.FileSync); err != nil {
		t.Fatal(err)
	}
	exps, err := export.Parse(strings.NewReader(exportPath + " *(rw,insecure,no_root_squash)\n"))
	if err != nil {
		t.Fatal(err)
	}
	locks, err := locking.Open(ctx, locking.Options{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locks.Close() })
	for _, e := range exps {
		e.FS, e.Locks = fsys, locks
	}
	tab, err := export.NewTable(ctx, export.Options{HandleKey: []byte("hostile test key")}, exps...)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, fs: fsys, log: &logCounter{}}
	logger := slog.New(s.log)
	mux := rpc.NewServeMux()
	(&nfs3.Server{Exports: tab, Logger: logger}).Register(mux)
	s.rpc = &rpc.Server{Handler: mux, DuplicateCache: &rpc.DuplicateCache{}, Logger: logger}
	if configure != nil {
		configure(s.rpc)
	}
	s.tcp, s.udp = rpctest.Start(t, s.rpc).String(), rpctest.StartUDP(t, s.rpc).String()
	return s
}

// rootCred is the AUTH_SYS credential of the well-behaved clients.
var rootCred = rpc.EncodeAuthSys(1, "client", 0, 0, nil)

// dial returns a well-behaved client over TCP.
func (s *server) dial(t testing.TB) *rpc.Client {
	t.Helper()
	c, err := rpc.Dial(context.Background(), "tcp", s.tcp)
	if err != nil {
		t.Fatal(err)
	}
	c.Cred = rootCred
	t.Cleanup(func() { c.Close() })
	return c
}

// raw is an argument list or result encoded by hand (the wire types of
// nfs3 are internal to it).
type raw []byte

func (b raw) MarshalXDR(e *xdr.Encoder) { e.FixedOpaque(b) }
func (b raw) SizeXDR() int              { return len(b) }

func (b *raw) UnmarshalXDR(d *xdr.Decoder) { *b = append(raw(nil), d.Rest()...) }

// fileHandle mounts the export and looks up name in its root.
func fileHandle(t testing.TB, c *rpc.Client, name string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var e xdr.Encoder
	e.String(exportPath)
	var res raw
	if err := c.Call(ctx, progMount, 3, procMountMnt, raw(e.Bytes()), &res); err != nil {
		t.Fatal(err)
	}
	d := xdr.NewDecoder(res)
	if st := d.Uint32(); st != 0 {
		t.Fatalf("MNT: status %d", st)
	}
	root := d.OpaqueCopy(64)
	e.Reset(nil)
	e.Opaque(root)
	e.String(name)
	if err := c.Call(ctx, progNFS, 3, procLookup, raw(e.Bytes()), &res); err != nil {
		t.Fatal(err)
	}
	d = xdr.NewDecoder(res)
	if st := d.Uint32(); st != 0 {
		t.Fatalf("LOOKUP %s: status %d", name, st)
	}
	return d.OpaqueCopy(64)
}

// getattr calls GETATTR on fh and checks that it succeeds (RFC 1813
// §3.3.1).
func getattr(ctx context.Context, c *rpc.Client, fh []byte) error {
	var e xdr.Encoder
	e.Opaque(fh)
	var res raw
	if err := c.Call(ctx, progNFS, 3, procGetattr, raw(e.Bytes()), &res); err != nil {
		return err
	}
	if st := xdr.NewDecoder(res).Uint32(); st != 0 {
		return errors.New("GETATTR failed")
	}
	return nil
}

// callRecord is a whole call message (without record mark).
func callRecord(xid, prog, vers, proc uint32, cred rpc.OpaqueAuth, args []byte) []byte {
	var e xdr.Encoder
	e.Uint32(xid)
	e.Uint32(rpc.CALL)
	e.Uint32(rpc.RPCVersion)
	e.Uint32(prog)
	e.Uint32(vers)
	e.Uint32(proc)
	e.Uint32(cred.Flavor)
	e.Opaque(cred.Body)
	e.Uint32(rpc.AUTH_NONE)
	e.Opaque(nil)
	e.FixedOpaque(args)
	return e.Bytes()
}

// record frames msg as one record of one fragment (RFC 5531 §11).
func record(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))|1<<31), msg...)
}

// readRecord reads one record of one fragment from nc.
func readRecord(nc net.Conn) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n&(1<<31) == 0 {
		return nil, errors.New("multi-fragment reply")
	}
	b := make([]byte, n&^(1<<31))
	_, err := io.ReadFull(nc, b)
	return b, err
}

// waitClosed waits up to d for the server to close nc (EOF or a reset on
// read) and reports whether it did.
func waitClosed(nc net.Conn, d time.Duration) bool {
	nc.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
}

// logCounter is a slog.Handler at the default level (info) that counts
// the lines and the bytes it would write, by message.
type logCounter struct {
	mu    sync.Mutex
	lines map[string]int
	bytes int
	text  []string
}

func (l *logCounter) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}

func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	var buf bytes.Buffer
	slog.NewTextHandler(&buf, nil).Handle(context.Background(), r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines == nil {
		l.lines = make(map[string]int)
	}
	l.lines[r.Message]++
	l.bytes += buf.Len()
	if len(l.text) < 100 {
		l.text = append(l.text, strings.TrimSpace(buf.String()))
	}
	return nil
}

func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

// counts returns the number of lines by message, their total and the
// bytes written.
func (l *logCounter) counts() (map[string]int, int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]int, len(l.lines))
	total := 0
	for k, v := range l.lines {
		m[k] = v
		total += v
	}
	return m, total, l.bytes
}

// contains reports whether a line written so far contains s.
func (l *logCounter) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.text {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

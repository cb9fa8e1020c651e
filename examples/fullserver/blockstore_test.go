package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/cache"
	"github.com/dittofs/dittofs/store/s3/s3test"
)

// create3 is CREATE3args (RFC 1813 §3.3.8), UNCHECKED with mode 0644.
type create3 struct {
	dir  []byte
	name string
}

func (a create3) MarshalXDR(e *xdr.Encoder) {
	e.Opaque(a.dir)
	e.String(a.name)
	e.Uint32(0)     // UNCHECKED
	e.Bool(true)    // set_mode
	e.Uint32(0o644) //
	e.Bool(false)   // uid
	e.Bool(false)   // gid
	e.Bool(false)   // size
	e.Uint32(0)     // atime DONT_CHANGE
	e.Uint32(0)     // mtime DONT_CHANGE
}
func (a create3) SizeXDR() int { return xdr.SizeOpaque(len(a.dir)) + xdr.SizeOpaque(len(a.name)) + 36 }

// create3Res is the start of CREATE3res: status and post_op_fh3.
type create3Res struct {
	status uint32
	fh     []byte
}

func (r *create3Res) UnmarshalXDR(d *xdr.Decoder) {
	if r.status = d.Uint32(); r.status != 0 {
		return
	}
	if d.Bool() {
		r.fh = d.OpaqueCopy(64)
	}
}

// write3 is WRITE3args (RFC 1813 §3.3.7).
type write3 struct {
	fh     []byte
	off    uint64
	stable uint32 // 0 UNSTABLE, 1 DATA_SYNC, 2 FILE_SYNC
	data   []byte
}

func (a write3) MarshalXDR(e *xdr.Encoder) {
	e.Opaque(a.fh)
	e.Uint64(a.off)
	e.Uint32(uint32(len(a.data)))
	e.Uint32(a.stable)
	e.Opaque(a.data)
}
func (a write3) SizeXDR() int { return xdr.SizeOpaque(len(a.fh)) + 16 + xdr.SizeOpaque(len(a.data)) }

type status3 struct{ status uint32 }

func (r *status3) UnmarshalXDR(d *xdr.Decoder) { r.status = d.Uint32(); d.Skip(d.Remaining()) }

// nfs3Mount dials the server's NFS port and mounts /export.
func nfs3Mount(t *testing.T, ctx context.Context, addr string) (*rpc.Client, []byte) {
	t.Helper()
	c, err := rpc.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Cred = rpc.EncodeAuthSys(1, "test", 1000, 1000, nil)
	var m mntRes
	if err := c.Call(ctx, progMount, 3, 1, xdrString("/export"), &m); err != nil || m.status != 0 {
		t.Fatalf("MNT: %d %v", m.status, err)
	}
	return c, m.fh
}

// nfs3WriteFile creates name in dir and writes data in 1 MiB WRITEs of
// the given stability; UNSTABLE writes are COMMITted.
func nfs3WriteFile(t *testing.T, ctx context.Context, c *rpc.Client, dir []byte, name string, data []byte, stable uint32) []byte {
	t.Helper()
	var cr create3Res
	if err := c.Call(ctx, progNFS, 3, 8, create3{dir, name}, &cr); err != nil || cr.status != 0 || cr.fh == nil {
		t.Fatalf("CREATE %s: %d %v", name, cr.status, err)
	}
	for off := 0; off < len(data); off += 1 << 20 {
		var w status3
		if err := c.Call(ctx, progNFS, 3, 7, write3{cr.fh, uint64(off), stable, data[off:min(off+1<<20, len(data))]}, &w); err != nil || w.status != 0 {
			t.Fatalf("WRITE at %d: %d %v", off, w.status, err)
		}
	}
	if stable == 0 {
		var cm status3
		if err := c.Call(ctx, progNFS, 3, 21, read3{cr.fh, 0, 0}, &cm); err != nil || cm.status != 0 { // COMMIT3args: fh, offset, count
			t.Fatalf("COMMIT: %d %v", cm.status, err)
		}
	}
	return cr.fh
}

// nfs3ReadFile LOOKUPs name in dir and READs it whole.
func nfs3ReadFile(t *testing.T, ctx context.Context, c *rpc.Client, dir []byte, name string) []byte {
	t.Helper()
	var l lookup3Res
	if err := c.Call(ctx, progNFS, 3, 3, lookup3{dir, name}, &l); err != nil || l.status != 0 {
		t.Fatalf("LOOKUP %s: %d %v", name, l.status, err)
	}
	return nfs3Read(t, ctx, c, l.fh)
}

// nfs3Read READs the file fh whole, 1 MiB at a time.
func nfs3Read(t *testing.T, ctx context.Context, c *rpc.Client, fh []byte) []byte {
	t.Helper()
	var got []byte
	for {
		var r read3Res
		if err := c.Call(ctx, progNFS, 3, 6, read3{fh, uint64(len(got)), 1 << 20}, &r); err != nil || r.status != 0 {
			t.Fatalf("READ at %d: %d %v", len(got), r.status, err)
		}
		got = append(got, r.data...)
		if r.eof || len(r.data) == 0 {
			return got
		}
	}
}

// TestS3Blocks serves NFSv3 with BadgerDB metadata and the blocks in an
// S3 bucket (gofakes3 on loopback; credentials from the AWS environment
// variables, as the server takes them): a file written with stable and
// with unstable WRITEs + COMMIT reads back the same, its blocks are
// objects under the prefix, and after a restart of the server the file is
// read back from the bucket.
func TestS3Blocks(t *testing.T) { testS3Blocks(t, blocksS3) }

// TestS3CachedBlocks is TestS3Blocks through the write-back cache
// (--blocks s3-cached): the blocks reach the bucket in the background.
func TestS3CachedBlocks(t *testing.T) { testS3Blocks(t, blocksCached) }

func testS3Blocks(t *testing.T, kind string) {
	srv := s3test.Fake(t, nil)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	cfg := defaultConfig()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	cfg.NFSAddr, cfg.PortmapAddr, cfg.MetricsAddr = "127.0.0.1:0", "off", "127.0.0.1:0"
	cfg.Blocks, cfg.S3Endpoint, cfg.S3Bucket, cfg.S3Prefix, cfg.S3Region, cfg.S3PathStyle = kind, srv.Endpoint, srv.Bucket, "fs1/", "us-east-1", true
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	stable := make([]byte, 3<<20+123)
	unstable := make([]byte, 2<<20+7)
	rand.Read(stable)
	rand.Read(unstable)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addrs, stop := startRun(t, cfg)
	c, root := nfs3Mount(t, ctx, addrs["nfs/tcp"].String())
	nfs3WriteFile(t, ctx, c, root, "stable", stable, 2)
	nfs3WriteFile(t, ctx, c, root, "unstable", unstable, 0)
	if got := nfs3ReadFile(t, ctx, c, root, "stable"); !bytes.Equal(got, stable) {
		t.Fatalf("stable file read back %d bytes, not what was written", len(got))
	}
	keys := srv.Keys(t, "")
	for kind == blocksCached && len(keys) < 5 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond) // uploads run in the background
		keys = srv.Keys(t, "")
	}
	if len(keys) < 5 {
		t.Fatalf("bucket holds %d objects after 5 MiB were written: %q", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "fs1/") {
			t.Errorf("object %q outside the prefix", k)
		}
	}
	if kind == blocksCached {
		resp, err := http.Get("http://" + addrs["metrics/tcp"].String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, m := range []string{"dittofs_cache_dirty_bytes ", "dittofs_cache_hits_total ", "dittofs_cache_upload_queue ", "dittofs_cache_remote_seconds_total "} {
			if !bytes.Contains(body, []byte("\n"+m)) {
				t.Errorf("/metrics has no %s", m)
			}
		}
		if bytes.Contains(body, []byte("\ndittofs_cache_uploads_total 0\n")) {
			t.Errorf("/metrics counts no upload after the blocks reached the bucket")
		}
	}
	c.Close()
	if err := stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}

	addrs, _ = startRun(t, cfg)
	c, root = nfs3Mount(t, ctx, addrs["nfs/tcp"].String())
	if got := nfs3ReadFile(t, ctx, c, root, "stable"); !bytes.Equal(got, stable) {
		t.Fatalf("after a restart the stable file reads %d bytes, not what was written", len(got))
	}
	if got := nfs3ReadFile(t, ctx, c, root, "unstable"); !bytes.Equal(got, unstable) {
		t.Fatalf("after a restart the committed file reads %d bytes, not what was written", len(got))
	}
}

// TestBlockConfig: --blocks and the s3 flags reach the configuration, and
// combinations that cannot work are refused.
func TestBlockConfig(t *testing.T) {
	cfg, err := parseConfig([]string{"--data", "d", "--blocks", "s3", "--s3-bucket", "b", "--s3-endpoint", "http://127.0.0.1:9", "--s3-prefix", "p/", "--s3-region", "r", "--s3-path-style"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := BlockConfig{Blocks: "s3", S3Bucket: "b", S3Endpoint: "http://127.0.0.1:9", S3Prefix: "p/", S3Region: "r", S3PathStyle: true}
	if cfg.BlockConfig != want {
		t.Fatalf("block config %+v, want %+v", cfg.BlockConfig, want)
	}
	cfg, err = parseConfig([]string{"--data", "d", "--blocks", "s3-cached", "--s3-bucket", "b", "--cache-dir", "/c", "--cache-size", "2G", "--cache-uploads", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want = BlockConfig{Blocks: "s3-cached", S3Bucket: "b", CacheDir: "/c", CacheSize: 2 << 30, CacheUploads: 3}
	if cfg.BlockConfig != want {
		t.Fatalf("block config %+v, want %+v", cfg.BlockConfig, want)
	}
	for _, args := range [][]string{
		{"--data", "d", "--blocks", "s3"},                  // no bucket
		{"--memory", "--blocks", "s3", "--s3-bucket", "b"}, // volatile metadata over a bucket
		{"--memory", "--blocks", "fs"},
		{"--data", "d", "--blocks", "memory"},
		{"--data", "d", "--blocks", "tape"},
		{"--data", "d", "--blocks", "s3-cached"}, // no bucket
		{"--data", "d", "--blocks", "s3-cached", "--s3-bucket", "b", "--cache-uploads", "-1"},
	} {
		if _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// remove3 is REMOVE3args (RFC 1813 §3.3.12): diropargs3.
type remove3 struct {
	dir  []byte
	name string
}

func (a remove3) MarshalXDR(e *xdr.Encoder) { e.Opaque(a.dir); e.String(a.name) }
func (a remove3) SizeXDR() int              { return xdr.SizeOpaque(len(a.dir)) + xdr.SizeOpaque(len(a.name)) }

// TestS3CachedOutage: with --blocks s3-cached, S3 answering every request
// with 503 SlowDown changes nothing a client sees. A server started while
// S3 is down starts on the cache (a file written then is uploaded after a
// restart with S3 back). During an outage while serving, stable and
// committed writes are acknowledged, files read back, a REMOVE returns
// (its block deletes wait in the cache's journal); when S3 is back the
// blocks reach the bucket and the removed file's blocks leave it.
func TestS3CachedOutage(t *testing.T) {
	var down atomic.Bool
	var refused atomic.Int64
	srv := s3test.Fake(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				refused.Add(1)
				io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>down</Message></Error>`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	cfg := defaultConfig()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	cfg.NFSAddr, cfg.PortmapAddr, cfg.MetricsAddr = "127.0.0.1:0", "off", "127.0.0.1:0"
	cfg.Blocks, cfg.S3Endpoint, cfg.S3Bucket, cfg.S3Region, cfg.S3PathStyle = blocksCached, srv.Endpoint, srv.Bucket, "us-east-1", true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A server started while S3 is down starts on the cache.
	defer func(d time.Duration) { cachedCheckTimeout = d }(cachedCheckTimeout)
	cachedCheckTimeout = 100 * time.Millisecond
	down.Store(true)
	addrs, stop := startRun(t, cfg)
	c, root := nfs3Mount(t, ctx, addrs["nfs/tcp"].String())
	early := make([]byte, 100<<10)
	rand.Read(early)
	nfs3WriteFile(t, ctx, c, root, "early", early, 2)
	c.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	down.Store(false)
	addrs, _ = startRun(t, cfg)
	c, root = nfs3Mount(t, ctx, addrs["nfs/tcp"].String())
	if got := nfs3ReadFile(t, ctx, c, root, "early"); !bytes.Equal(got, early) {
		t.Fatal("a file written while S3 was down at start reads back wrong")
	}

	// Keys appear as uploads complete in the background.
	waitKeys := func(n int) []string {
		keys := srv.Keys(t, "")
		for len(keys) < n && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
			keys = srv.Keys(t, "")
		}
		return keys
	}
	before := waitKeys(1) // early's block
	gone := make([]byte, 2<<20)
	rand.Read(gone)
	nfs3WriteFile(t, ctx, c, root, "gone", gone, 2)
	var goneKeys []string
	for _, k := range waitKeys(len(before) + 2) {
		if !slices.Contains(before, k) {
			goneKeys = append(goneKeys, k)
		}
	}
	refused.Store(0)
	down.Store(true)
	files := map[string][]byte{}
	for i, stable := range []uint32{2, 0, 2} {
		data := make([]byte, 1<<20+i*4096+17)
		rand.Read(data)
		name := fmt.Sprint("during", i)
		nfs3WriteFile(t, ctx, c, root, name, data, stable)
		files[name] = data
	}
	for name, data := range files {
		if got := nfs3ReadFile(t, ctx, c, root, name); !bytes.Equal(got, data) {
			t.Fatalf("%s read back %d bytes during the outage, not what was written", name, len(got))
		}
	}
	var rm status3
	if err := c.Call(ctx, progNFS, 3, 12, remove3{root, "gone"}, &rm); err != nil || rm.status != 0 {
		t.Fatalf("REMOVE during the outage: %d %v", rm.status, err)
	}
	if refused.Load() == 0 {
		t.Fatal("S3 refused no request during the outage: the test did not test it")
	}
	down.Store(false)
	// The uploads and deletes drain: the bucket ends with the blocks of
	// the three files (at least one object each) and without gone's.
	metrics := func() string {
		resp, err := http.Get("http://" + addrs["metrics/tcp"].String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for ctx.Err() == nil {
		m := metrics()
		if strings.Contains(m, "\ndittofs_cache_dirty_bytes 0\n") && strings.Contains(m, "\ndittofs_cache_pending_deletes 0\n") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatalf("the cache did not drain after S3 came back:\n%s", metrics())
	}
	keys := srv.Keys(t, "")
	if len(keys) < 4 {
		t.Fatalf("bucket holds %d objects after the drain, want the blocks of 4 files", len(keys))
	}
	for _, k := range goneKeys {
		if slices.Contains(keys, k) {
			t.Errorf("the removed file's block %s is still in the bucket", k)
		}
	}
	for name, data := range files {
		if got := nfs3ReadFile(t, ctx, c, root, name); !bytes.Equal(got, data) {
			t.Fatalf("%s read back %d bytes after the outage", name, len(got))
		}
	}
}

// TestS3Check: --check reads the blocks from the configured store: clean
// after a file was written through the cache over S3, and a referenced
// block deleted from the bucket (and not cached) is reported missing.
func TestS3Check(t *testing.T) {
	srv := s3test.Fake(t, nil)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"--data", data, "--blocks", "s3-cached", "--s3-endpoint", srv.Endpoint, "--s3-bucket", srv.Bucket, "--s3-path-style", "--s3-region", "us-east-1"}
	cfg, err := parseConfig(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStores(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cred := &store.Cred{UID: 1000, GID: 1000}
	h, _, _, err := st.fs.Create(ctx, cred, st.fs.Root(), "f", store.CreateGuarded, &store.SetAttr{Mask: store.SetMode, Mode: 0o644}, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	content := make([]byte, 3<<20)
	rand.Read(content)
	if _, _, err := st.fs.WriteAt(ctx, cred, h, content, 0, store.FileSync); err != nil {
		t.Fatal(err)
	}
	if err := st.blocks.(*cache.Cache).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	check := func() (int, string) {
		cfg, err := parseConfig(append(args, "--check"), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		return fsck(ctx, cfg, &out, slog.New(slog.DiscardHandler)), out.String()
	}
	if code, out := check(); code != fsckClean {
		t.Fatalf("check after a write through the cache: exit %d\n%s", code, out)
	}
	// Lose one block: out of the cache's local tier and out of the bucket.
	if err := os.RemoveAll(filepath.Join(data, "cache")); err != nil {
		t.Fatal(err)
	}
	keys := srv.Keys(t, "")
	if _, err := srv.Client().DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(keys[0])}); err != nil {
		t.Fatal(err)
	}
	if code, out := check(); code == fsckClean || !strings.Contains(out, "missing") {
		t.Fatalf("check with a block gone from the bucket: exit %d\n%s", code, out)
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dittofs/dittofs/store/postgres/pgtest"
)

// NFSv3 procedures (RFC 1813 section 3.3).
const (
	procWrite  = 7
	procCreate = 8
)

// TestPostgresMetadata serves NFSv3 with the metadata in PostgreSQL and
// the blocks in the data directory: a file written through NFS reads back
// the same, also after the server restarts on the same database.
func TestPostgresMetadata(t *testing.T) {
	srv := pgtest.Start(t)
	cfg, err := parseConfig([]string{"--data", t.TempDir(), "--metadata", "postgres", "--postgres-dsn", srv.DSN(""),
		"--postgres-schema", "fs1", "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	content := make([]byte, 3<<20+123)
	for i := range content {
		content[i] = byte(i*7 + i>>12)
	}
	const chunk = 64 << 10
	addrs, stop := startRun(t, cfg)
	c, root := nfs3Mount(t, ctx, addrs["nfs/tcp"].String())
	var cr create3Res
	if err := c.Call(ctx, progNFS, 3, procCreate, create3{root, "file"}, &cr); err != nil || cr.status != 0 || cr.fh == nil {
		t.Fatalf("CREATE: status %d, %v", cr.status, err)
	}
	for off := 0; off < len(content); off += chunk {
		var res status3
		if err := c.Call(ctx, progNFS, 3, procWrite, write3{cr.fh, uint64(off), 2, content[off:min(off+chunk, len(content))]}, &res); err != nil || res.status != 0 {
			t.Fatalf("WRITE at %d: status %d, %v", off, res.status, err)
		}
	}
	if got := nfs3Read(t, ctx, c, cr.fh); !bytes.Equal(got, content) {
		t.Fatalf("read %d bytes (sha256 %x), wrote %d (sha256 %x)", len(got), sha256.Sum256(got), len(content), sha256.Sum256(content))
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// The metadata is in PostgreSQL, not in a Badger directory.
	var rows int
	pc, err := pgx.Connect(ctx, srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	if err := pc.QueryRow(ctx, "SELECT count(*) FROM fs1.kv").Scan(&rows); err != nil || rows == 0 {
		t.Fatalf("rows in fs1.kv: %d, %v", rows, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, "meta")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a Badger directory in the data directory: %v", err)
	}

	addrs, _ = startRun(t, cfg)
	c, _ = nfs3Mount(t, ctx, addrs["nfs/tcp"].String())
	if got := nfs3Read(t, ctx, c, cr.fh); !bytes.Equal(got, content) {
		t.Fatalf("after restart: read %d bytes, wrote %d", len(got), len(content))
	}
}

// TestMetadataConfig: the metadata selection is checked, and an error
// about the DSN never shows its password.
func TestMetadataConfig(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--metadata", "postgres"}, "needs postgres_dsn"},
		{[]string{"--metadata", "mysql"}, "want badger or postgres"},
		{[]string{"--postgres-dsn", "postgres://u@h/db"}, "metadata is not postgres"},
		{[]string{"--memory", "--metadata", "postgres", "--postgres-dsn", "postgres://u@h/db"}, "give one"},
		{[]string{"--check", "--metadata", "postgres", "--postgres-dsn", "postgres://u@h/db"}, "BadgerDB metadata only"},
		{[]string{"--metadata", "postgres", "--postgres-dsn", "postgres://u:s3cret@h:notaport/db"}, "postgres_dsn"},
	} {
		_, err := parseConfig(append([]string{"--data", t.TempDir()}, tc.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the password: %v", tc.args, err)
		}
	}
	cfg, err := parseConfig([]string{"--data", t.TempDir(), "--metadata", "postgres", "--postgres-dsn", "host=db user=dittofs dbname=fs"}, io.Discard)
	if err != nil || cfg.Metadata != metaPostgres || cfg.PostgresDSN != "host=db user=dittofs dbname=fs" {
		t.Fatalf("parseConfig: %+v, %v", cfg, err)
	}
	if d := describeDSN("postgres://alice:s3cret@db.example:6543/fs"); d != "alice@db.example:6543/fs" {
		t.Errorf("describeDSN = %q", d)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs/store"
)

func TestVersionAndUsage(t *testing.T) {
	if _, err := parseConfig([]string{"--version"}, io.Discard); !errors.Is(err, errVersion) {
		t.Fatalf("--version: %v", err)
	}
	if v := versionString(); !strings.HasPrefix(v, "dittofs fullserver ") || !strings.Contains(v, "go1.") {
		t.Errorf("version %q", v)
	}
	var b bytes.Buffer
	if _, err := parseConfig([]string{"-h"}, &b); !errors.Is(err, errHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"Usage: fullserver [flags]", "Examples:", "fullserver --memory", "--exports", "-version", "-metrics-addr"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("-h output lacks %q:\n%s", want, b.String())
		}
	}
}

// TestMetricsOff: --metrics-addr off is accepted like --portmap-addr off,
// and serves no metrics listener.
func TestMetricsOff(t *testing.T) {
	cfg, err := parseConfig([]string{"--memory", "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off", "--metrics-addr", "off"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	addrs, stop := startRun(t, cfg)
	if _, ok := addrs["metrics/tcp"]; ok {
		t.Errorf("metrics listening with --metrics-addr off: %v", addrs)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestJSONDurations: durations in the JSON log are strings such as
// "1m30s", not nanosecond counts.
func TestJSONDurations(t *testing.T) {
	cfg := defaultConfig()
	cfg.LogFormat = "json"
	var b bytes.Buffer
	cfg.logger(&b).Info("x", "lease", 90*time.Second, "n", 3)
	if !strings.Contains(b.String(), `"lease":"1m30s"`) || !strings.Contains(b.String(), `"n":3`) {
		t.Fatalf("JSON log: %s", b.String())
	}
}

// TestBadgerDemoted: Badger's INFO lines are logged at DEBUG; its
// warnings stay warnings.
func TestBadgerDemoted(t *testing.T) {
	for _, c := range []struct {
		level     slog.Level
		info      string // what becomes of an INFO line
		keepsWarn bool
	}{{slog.LevelInfo, "", true}, {slog.LevelDebug, "level=DEBUG msg=compaction", true}} {
		var b bytes.Buffer
		log := slog.New(demoteInfo{slog.NewTextHandler(&b, &slog.HandlerOptions{Level: c.level})}).With("component", "badger")
		log.Info("compaction")
		log.Warn("disk slow")
		out := b.String()
		if c.info == "" && strings.Contains(out, "compaction") || c.info != "" && !strings.Contains(out, c.info) {
			t.Errorf("level %v: INFO line: %s", c.level, out)
		}
		if !strings.Contains(out, "level=WARN msg=\"disk slow\" component=badger") {
			t.Errorf("level %v: WARN line lost: %s", c.level, out)
		}
	}
}

// TestStoreCounters: the file system's metadata transactions and block
// bytes are counted.
func TestStoreCounters(t *testing.T) {
	s, err := openStores(Config{Data: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ctx := context.Background()
	root := &store.Cred{}
	h, _, _, err := s.fs.Create(ctx, root, s.fs.Root(), "f", store.CreateUnchecked, nil, store.Verifier{})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("dittofs "), 1000)
	if _, _, err := s.fs.WriteAt(ctx, root, h, data, 0, store.FileSync); err != nil {
		t.Fatal(err)
	}
	// A small stable write is logged in the metadata store first; Sync
	// folds it into a block, which the read then reads.
	if err := s.fs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.fs.ReadAt(ctx, root, h, make([]byte, len(data)), 0); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	c := &s.counts
	if c.updates.Load() == 0 || c.views.Load() == 0 || c.bytesWrite.Load() < uint64(len(data)) || c.bytesRead.Load() == 0 {
		t.Fatalf("counters: views %d updates %d written %d read %d", c.views.Load(), c.updates.Load(), c.bytesWrite.Load(), c.bytesRead.Load())
	}
}

// TestFlagTable: every flag is in the flag table of docs/fullserver.md
// and every flag of the table exists, so that the documentation matches
// what is served.
func TestFlagTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/fullserver.md")
	if err != nil {
		t.Skip("docs not found:", err)
	}
	var b bytes.Buffer
	parseConfig([]string{"-h"}, &b)
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(b.String(), -1) {
		flags[m[1]] = true
	}
	inTable := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)").FindAllStringSubmatch(string(doc), -1) {
		inTable[m[1]] = true
		if !flags[m[1]] {
			t.Errorf("docs/fullserver.md lists --%s, which is not a flag", m[1])
		}
	}
	if len(flags) < 30 {
		t.Fatalf("only %d flags in -h", len(flags))
	}
	for f := range flags {
		if !inTable[f] {
			t.Errorf("--%s is not in the flag table of docs/fullserver.md", f)
		}
	}
}

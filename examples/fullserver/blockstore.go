package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/cache"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/store/memory"
	s3store "github.com/dittofs/dittofs/store/s3"
)

// The block stores --blocks selects.
const (
	blocksFS     = "fs"        // a block directory, DATA/blocks (the default with --data)
	blocksMemory = "memory"    // in memory (the default, and the only choice, with --memory)
	blocksS3     = "s3"        // an S3 bucket (docs/store-s3.md)
	blocksCached = "s3-cached" // the bucket behind the write-back cache in DATA/cache (docs/store-cache.md)
)

// defaultCacheSize bounds the local tier of s3-cached unless cache_size
// says otherwise.
const defaultCacheSize = 10 << 30

// BlockConfig selects the block store that holds file content, for the one
// store.FS behind every export. The metadata stays in BadgerDB in DATA/meta.
type BlockConfig struct {
	// Blocks is fs, memory, s3 or s3-cached (empty: fs with Data,
	// memory with Memory).
	Blocks string `yaml:"blocks"`
	// The S3 bucket of Blocks s3. Credentials come from the standard
	// AWS chain only (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
	// AWS_PROFILE with ~/.aws, web identity, ECS or EC2 roles), never
	// from the command line or this file. An empty endpoint is AWS; an
	// empty region takes AWS_REGION or the profile's (else us-east-1).
	S3Endpoint  string `yaml:"s3_endpoint"`
	S3Bucket    string `yaml:"s3_bucket"`
	S3Prefix    string `yaml:"s3_prefix"`
	S3Region    string `yaml:"s3_region"`
	S3PathStyle bool   `yaml:"s3_path_style"`
	// The write-back cache of Blocks s3-cached: its directory (default
	// DATA/cache), the bytes of blocks it keeps (default 10G) and the
	// uploads it runs at once (default 8).
	CacheDir     string `yaml:"cache_dir"`
	CacheSize    Size   `yaml:"cache_size"`
	CacheUploads int    `yaml:"cache_uploads"`
}

// blockFlags registers the flags of BlockConfig on fs, filling into b.
func blockFlags(fs *flag.FlagSet, b *BlockConfig) {
	fs.StringVar(&b.Blocks, "blocks", "", "block store of file content: fs (DATA/blocks), s3, s3-cached (s3 behind a write-back cache) or memory (default fs, memory with --memory)")
	fs.StringVar(&b.S3Endpoint, "s3-endpoint", "", "S3 endpoint `URL` for --blocks s3 (default AWS); credentials from the AWS environment or profile")
	fs.StringVar(&b.S3Bucket, "s3-bucket", "", "S3 `bucket` for --blocks s3")
	fs.StringVar(&b.S3Prefix, "s3-prefix", "", "key `prefix` of the blocks in the bucket, e.g. dittofs/")
	fs.StringVar(&b.S3Region, "s3-region", "", "S3 `region` (default AWS_REGION or the profile's, else us-east-1)")
	fs.BoolVar(&b.S3PathStyle, "s3-path-style", false, "address the bucket as ENDPOINT/BUCKET (most self-hosted S3 servers)")
	fs.StringVar(&b.CacheDir, "cache-dir", "", "`directory` of the write-back cache of --blocks s3-cached (default DATA/cache)")
	fs.Var(&b.CacheSize, "cache-size", "`bytes` of blocks the cache keeps locally, e.g. 20G (default 10G)")
	fs.IntVar(&b.CacheUploads, "cache-uploads", 0, "uploads the cache runs at once (default 8)")
}

// applyBlockFlag copies the flag named name from flags into cfg, reporting
// whether it is one of BlockConfig's.
func applyBlockFlag(name string, cfg, flags *BlockConfig) bool {
	switch name {
	case "blocks":
		cfg.Blocks = flags.Blocks
	case "s3-endpoint":
		cfg.S3Endpoint = flags.S3Endpoint
	case "s3-bucket":
		cfg.S3Bucket = flags.S3Bucket
	case "s3-prefix":
		cfg.S3Prefix = flags.S3Prefix
	case "s3-region":
		cfg.S3Region = flags.S3Region
	case "s3-path-style":
		cfg.S3PathStyle = flags.S3PathStyle
	case "cache-dir":
		cfg.CacheDir = flags.CacheDir
	case "cache-size":
		cfg.CacheSize = flags.CacheSize
	case "cache-uploads":
		cfg.CacheUploads = flags.CacheUploads
	default:
		return false
	}
	return true
}

// blockKind is the block store the configuration selects.
func (c *Config) blockKind() string {
	switch {
	case c.Blocks != "":
		return c.Blocks
	case c.Memory:
		return blocksMemory
	}
	return blocksFS
}

func (c *Config) validateBlocks() error {
	switch k := c.blockKind(); k {
	case blocksMemory:
		if !c.Memory {
			return errors.New("blocks memory: only with --memory (BadgerDB metadata over blocks in memory would lose every file's content at a restart)")
		}
	case blocksFS, blocksS3, blocksCached:
		if c.Memory {
			return fmt.Errorf("blocks %s with --memory: the metadata in memory would forget the blocks at a restart; give --data", k)
		}
		if k != blocksFS && c.S3Bucket == "" {
			return fmt.Errorf("blocks %s: give s3_bucket (--s3-bucket)", k)
		}
	default:
		return fmt.Errorf("blocks %q: want fs, s3, s3-cached or memory", k)
	}
	if c.CacheUploads < 0 {
		return fmt.Errorf("cache_uploads %d: want at least 1 (0: the default)", c.CacheUploads)
	}
	return nil
}

// openBlocks opens the block store the configuration selects.
func openBlocks(ctx context.Context, cfg Config, log *slog.Logger) (store.Blocks, error) {
	switch cfg.blockKind() {
	case blocksMemory:
		return memory.NewBlocks(), nil
	case blocksS3:
		return openS3(ctx, cfg, log, false)
	case blocksCached:
		// The cache serves and acknowledges without S3, so a server
		// whose S3 is away starts all the same (after a bounded check):
		// only an answer that S3 will not change by itself (denied
		// credentials, no such bucket) stops it.
		cctx, cancel := context.WithTimeout(ctx, cachedCheckTimeout)
		remote, err := openS3(cctx, cfg, log, false)
		cancel()
		if err != nil && store.CodeOf(err) != store.CodeAccess && store.CodeOf(err) != store.CodeNotFound {
			log.Warn("S3 does not answer; starting on the write-back cache, uploads will wait for it", "endpoint", cfg.S3Endpoint, "bucket", cfg.S3Bucket, "err", err)
			remote, err = openS3(ctx, cfg, log, true)
		}
		if err != nil {
			return nil, err
		}
		dir, size := cfg.CacheDir, int64(cfg.CacheSize)
		if dir == "" {
			dir = filepath.Join(cfg.Data, "cache")
		}
		if size == 0 {
			size = defaultCacheSize
		}
		c, err := cache.Open(remote, cache.Options{Dir: dir, Capacity: size, Uploads: cfg.CacheUploads, Logger: log.With("component", "cache")})
		if err != nil {
			remote.Close()
			return nil, err
		}
		return c, nil
	}
	return localfs.Open(filepath.Join(cfg.Data, "blocks"), localfs.Options{})
}

// cachedCheckTimeout bounds the check of the bucket when the blocks are
// behind the cache (a variable for tests).
var cachedCheckTimeout = 15 * time.Second

// openS3 opens the bucket of cfg; noCheck skips the check that the bucket
// answers.
func openS3(ctx context.Context, cfg Config, log *slog.Logger, noCheck bool) (*s3store.Blocks, error) {
	return s3store.Open(ctx, s3store.Options{
		NoCheck:   noCheck,
		Bucket:    cfg.S3Bucket,
		Prefix:    cfg.S3Prefix,
		Endpoint:  cfg.S3Endpoint,
		Region:    cfg.S3Region,
		PathStyle: cfg.S3PathStyle,
		Logger:    log.With("component", "s3"),
	})
}

// registerCacheMetrics exports the figures of the write-back cache when
// blocks is one.
func registerCacheMetrics(reg prometheus.Registerer, blocks store.Blocks) {
	c, ok := blocks.(*cache.Cache)
	if !ok {
		return
	}
	gauge := func(name, help string, f func(cache.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(c.Stats()) })
	}
	counter := func(name, help string, f func(cache.Stats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return f(c.Stats()) })
	}
	reg.MustRegister(
		counter("dittofs_cache_hits_total", "Block reads served by the local tier of the cache.", func(s cache.Stats) float64 { return float64(s.Hits) }),
		counter("dittofs_cache_misses_total", "Block reads that fetched the block from S3.", func(s cache.Stats) float64 { return float64(s.Misses) }),
		gauge("dittofs_cache_dirty_bytes", "Bytes of blocks acknowledged but not yet uploaded.", func(s cache.Stats) float64 { return float64(s.DirtyBytes) }),
		gauge("dittofs_cache_used_bytes", "Bytes of blocks in the local tier.", func(s cache.Stats) float64 { return float64(s.UsedBytes) }),
		gauge("dittofs_cache_upload_queue", "Blocks queued for upload or uploading.", func(s cache.Stats) float64 { return float64(s.UploadQueue + s.Uploading) }),
		gauge("dittofs_cache_pending_deletes", "Blocks deleted locally whose delete in S3 has not run yet.", func(s cache.Stats) float64 { return float64(s.PendingDeletes) }),
		counter("dittofs_cache_uploads_total", "Blocks uploaded.", func(s cache.Stats) float64 { return float64(s.Uploads) }),
		counter("dittofs_cache_upload_errors_total", "Failed upload attempts (retried).", func(s cache.Stats) float64 { return float64(s.UploadErrors) }),
		counter("dittofs_cache_evictions_total", "Clean blocks dropped from the local tier for room.", func(s cache.Stats) float64 { return float64(s.Evictions) }),
		counter("dittofs_cache_waits_total", "Writes that waited for an upload to free room.", func(s cache.Stats) float64 { return float64(s.Waits) }),
		counter("dittofs_cache_remote_requests_total", "Requests to S3 (uploads, fetches, deletes).", func(s cache.Stats) float64 { return float64(s.RemoteOps) }),
		counter("dittofs_cache_remote_seconds_total", "Time spent in requests to S3; divided by the requests, S3's mean latency.", func(s cache.Stats) float64 { return s.RemoteTime.Seconds() }),
	)
}

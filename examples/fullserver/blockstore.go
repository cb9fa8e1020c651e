package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/localfs"
	"github.com/dittofs/dittofs/store/memory"
	s3store "github.com/dittofs/dittofs/store/s3"
)

// The block stores --blocks selects.
const (
	blocksFS     = "fs"     // a block directory, DATA/blocks (the default with --data)
	blocksMemory = "memory" // in memory (the default, and the only choice, with --memory)
	blocksS3     = "s3"     // an S3 bucket (docs/store-s3.md)
)

// BlockConfig selects the block store that holds file content, for the one
// store.FS behind every export. The metadata stays in BadgerDB in DATA/meta.
type BlockConfig struct {
	// Blocks is fs, memory or s3 (empty: fs with Data, memory with
	// Memory).
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
}

// blockFlags registers the flags of BlockConfig on fs, filling into b.
func blockFlags(fs *flag.FlagSet, b *BlockConfig) {
	fs.StringVar(&b.Blocks, "blocks", "", "block store of file content: fs (DATA/blocks), s3 or memory (default fs, memory with --memory)")
	fs.StringVar(&b.S3Endpoint, "s3-endpoint", "", "S3 endpoint `URL` for --blocks s3 (default AWS); credentials from the AWS environment or profile")
	fs.StringVar(&b.S3Bucket, "s3-bucket", "", "S3 `bucket` for --blocks s3")
	fs.StringVar(&b.S3Prefix, "s3-prefix", "", "key `prefix` of the blocks in the bucket, e.g. dittofs/")
	fs.StringVar(&b.S3Region, "s3-region", "", "S3 `region` (default AWS_REGION or the profile's, else us-east-1)")
	fs.BoolVar(&b.S3PathStyle, "s3-path-style", false, "address the bucket as ENDPOINT/BUCKET (most self-hosted S3 servers)")
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
	case blocksFS, blocksS3:
		if c.Memory {
			return fmt.Errorf("blocks %s with --memory: the metadata in memory would forget the blocks at a restart; give --data", k)
		}
		if k == blocksS3 && c.S3Bucket == "" {
			return errors.New("blocks s3: give s3_bucket (--s3-bucket)")
		}
	default:
		return fmt.Errorf("blocks %q: want fs, s3 or memory", k)
	}
	return nil
}

// openBlocks opens the block store the configuration selects.
func openBlocks(ctx context.Context, cfg Config, log *slog.Logger) (store.Blocks, error) {
	switch cfg.blockKind() {
	case blocksMemory:
		return memory.NewBlocks(), nil
	case blocksS3:
		return openS3(ctx, cfg, log)
	}
	return localfs.Open(filepath.Join(cfg.Data, "blocks"), localfs.Options{})
}

func openS3(ctx context.Context, cfg Config, log *slog.Logger) (*s3store.Blocks, error) {
	return s3store.Open(ctx, s3store.Options{
		Bucket:    cfg.S3Bucket,
		Prefix:    cfg.S3Prefix,
		Endpoint:  cfg.S3Endpoint,
		Region:    cfg.S3Region,
		PathStyle: cfg.S3PathStyle,
		Logger:    log.With("component", "s3"),
	})
}

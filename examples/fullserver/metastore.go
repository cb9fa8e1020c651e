package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/badger"
	"github.com/dittofs/dittofs/store/postgres"
)

// The metadata stores fullserver can use (Config.Metadata).
const (
	metaBadger   = "badger"
	metaPostgres = "postgres"
)

// addMetadataFlags registers the flags of the metadata store selection.
func addMetadataFlags(fs *flag.FlagSet, flags *Config) {
	fs.StringVar(&flags.Metadata, "metadata", "", "metadata `store`: badger (in DATA/meta) or postgres (--postgres-dsn) (default badger)")
	fs.StringVar(&flags.PostgresDSN, "postgres-dsn", "", "PostgreSQL connection `string` for --metadata postgres, e.g. postgres://dittofs@db:5432/dittofs; give the password in PGPASSWORD or ~/.pgpass, not here")
	fs.StringVar(&flags.PostgresSchema, "postgres-schema", "", "PostgreSQL `schema` of the store's tables (default "+postgres.DefaultSchema+")")
}

// visitMetadataFlag copies the metadata flag name, when it is one, from
// flags to cfg.
func visitMetadataFlag(cfg, flags *Config, name string) {
	switch name {
	case "metadata":
		cfg.Metadata = flags.Metadata
	case "postgres-dsn":
		cfg.PostgresDSN = flags.PostgresDSN
	case "postgres-schema":
		cfg.PostgresSchema = flags.PostgresSchema
	}
}

// validateMetadata checks the metadata store selection. It never puts
// the DSN in an error: it may hold a password.
func (c *Config) validateMetadata() error {
	switch c.Metadata {
	case "", metaBadger:
		if c.PostgresDSN != "" {
			return errors.New("postgres_dsn is set but metadata is not postgres")
		}
	case metaPostgres:
		if c.Memory {
			return errors.New("metadata postgres and memory: the memory stores keep both metadata and blocks in memory; give one")
		}
		if c.PostgresDSN == "" {
			return errors.New("metadata postgres needs postgres_dsn (--postgres-dsn)")
		}
		if _, err := pgconn.ParseConfig(c.PostgresDSN); err != nil {
			// pgconn's message masks the password.
			return fmt.Errorf("postgres_dsn: %w", err)
		}
		if c.Check || c.Repair {
			return errors.New("--check and --repair work on BadgerDB metadata only, not on postgres")
		}
	default:
		return fmt.Errorf("metadata %q: want badger or postgres", c.Metadata)
	}
	return nil
}

// openMetadata opens the persistent metadata store of cfg.
func openMetadata(cfg Config, log *slog.Logger) (store.Metadata, error) {
	if cfg.Metadata != metaPostgres {
		return badger.Open(filepath.Join(cfg.Data, "meta"), badger.Options{Logger: slog.New(demoteInfo{log.Handler()}).With("component", "badger")})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	meta, err := postgres.Open(ctx, cfg.PostgresDSN, postgres.Options{
		Schema: cfg.PostgresSchema,
		Logger: log.With("component", "postgres"),
	})
	if err != nil {
		return nil, err
	}
	log.Info("metadata in PostgreSQL", "server", describeDSN(cfg.PostgresDSN), "schema", meta.Schema())
	return meta, nil
}

// describeDSN names the server and database of dsn for the log, without
// its password.
func describeDSN(dsn string) string {
	pc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%s@%s:%d/%s", pc.User, pc.Host, pc.Port, pc.Database)
}

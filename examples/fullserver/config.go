package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/state"
	"go.yaml.in/yaml/v3"
)

// Config is the server's configuration: embedded defaults, then the YAML
// file given with --config, then flags, each overriding the one before.
type Config struct {
	// Data is the directory of the persistent stores.
	Data string `yaml:"data"`
	// Memory keeps everything in memory; nothing is written to disk.
	Memory bool `yaml:"memory"`
	// Metadata selects the metadata store: "badger" (the default, in
	// Data/meta) or "postgres" (the database of PostgresDSN, in schema
	// PostgresSchema; docs/store-postgres.md). Blocks stay in
	// Data/blocks either way. Not with Memory.
	Metadata string `yaml:"metadata"`
	// PostgresDSN is the PostgreSQL connection string (URL or
	// key=value). It may hold a password, but PGPASSWORD or a
	// ~/.pgpass file (PGPASSFILE) is better; the server never logs it.
	PostgresDSN    string `yaml:"postgres_dsn"`
	PostgresSchema string `yaml:"postgres_schema"`
	// NFSAddr is where NFS, MOUNT, NLM and NSM are served (TCP and UDP).
	NFSAddr string `yaml:"nfs_addr"`
	// PortmapAddr is the portmapper's address; "off" disables it. When
	// the default port 111 cannot be bound, a high port is used instead.
	PortmapAddr string `yaml:"portmap_addr"`
	// SMBAddr is where SMB 2/3 is served; "off" disables it. Empty
	// serves it on port 445 when there are SMB users (a high port when
	// 445 cannot be bound), and not at all without users. Every export is
	// also the SMB share of its name without the leading slash.
	SMBAddr string `yaml:"smb_addr"`
	// SMBUser adds one SMB user of that name, whose password is read
	// from the environment variable DITTOFS_SMB_PASSWORD (never from the
	// command line or the file), with uid SMBUID and gid SMBGID (default
	// 1000 each).
	SMBUser string `yaml:"smb_user"`
	SMBUID  uint32 `yaml:"smb_uid"`
	SMBGID  uint32 `yaml:"smb_gid"`
	// SMBUsers are SMB users with the NT hash of their password (32 hex
	// digits, docs/smb-auth.md); plain passwords are never stored.
	SMBUsers []SMBUser `yaml:"smb_users"`
	// SMBCaseInsensitive names the shares ("*" for all) where SMB
	// names match regardless of case, as Windows and macOS clients
	// expect (smb.Server.CaseInsensitiveShares; NFS stays exact). Off
	// by default: a name with no exact entry costs a directory scan.
	SMBCaseInsensitive []string `yaml:"smb_case_insensitive"`
	// MetricsAddr serves /metrics (Prometheus) and /healthz (empty or
	// "off": off).
	MetricsAddr string `yaml:"metrics_addr"`
	// Pprof also serves Go's profiles (net/http/pprof) under
	// /debug/pprof/ on MetricsAddr. Off by default: profiles show
	// what the server is doing to anyone who can reach that address.
	Pprof bool `yaml:"pprof"`
	// Export is the path clients mount the default export as.
	Export string `yaml:"export"`
	// NoRootSquash lets clients' root act as root on the default export;
	// by default uid 0 is squashed to the anonymous uid (65534).
	NoRootSquash bool `yaml:"no_root_squash"`
	// Exports are the exports in the /etc/exports syntax of exports(5)
	// (export.Parse), one per line, e.g. "/export 10.0.0.0/8(rw)"; or
	// ExportsFile names a file of them (--exports). When either is set,
	// they are what is served, and Export and NoRootSquash (the default
	// export, read-write for every client) are not. Every export is a
	// directory of the one store: path=DIR picks it (default the root).
	// SIGHUP reloads them (see reloadExports).
	Exports     string `yaml:"exports"`
	ExportsFile string `yaml:"exports_file"`
	// NLM serves the lock manager (NLM v4) and the status monitor (NSM
	// v1); on by default.
	NLM bool `yaml:"nlm"`
	// NFS4 serves NFS version 4 on the NFS port; on by default.
	NFS4 bool `yaml:"nfs4"`
	// IDMapDomain is the NFSv4 ID mapping domain: owners are sent as
	// "name@domain" for the users and groups this machine knows, and as
	// numbers otherwise. Empty (the default) sends and accepts numbers
	// only, as Linux clients do with AUTH_SYS.
	IDMapDomain string `yaml:"idmap_domain"`
	// NFS4MaxClients bounds the NFSv4 client records; a new client finds
	// room by taking the place of a client whose lease expired, and is
	// refused only when all are live. NFS4MaxClientsPerAddr and
	// NFS4MaxUnconfirmedPerAddr bound the records, and the unconfirmed
	// ones, of one source address (an IPv4 address, an IPv6 /64). Zero
	// is the state table's default (state.DefaultMaxClients...).
	NFS4MaxClients            int `yaml:"nfs4_max_clients"`
	NFS4MaxClientsPerAddr     int `yaml:"nfs4_max_clients_per_addr"`
	NFS4MaxUnconfirmedPerAddr int `yaml:"nfs4_max_unconfirmed_per_addr"`
	// Lease is the NFSv4 lease time; Grace the grace period after a
	// restart, for NLM and NFSv4 reclaims alike.
	Lease time.Duration `yaml:"lease"`
	Grace time.Duration `yaml:"grace"`
	// MaxLocksPerFile bounds the locks and share reservations (opens)
	// of one file, MaxLocksPerClient those of one client; past them
	// requests fail (NFS4ERR_RESOURCE, NLM4_DENIED_NOLOCKS), counted in
	// dittofs_locking_refused_total.
	MaxLocksPerFile   int `yaml:"max_locks_per_file"`
	MaxLocksPerClient int `yaml:"max_locks_per_client"`
	// MaxLocks bounds them all together; each held lock or open costs
	// some 1 to 3.4 KiB of memory (docs/locking.md), so this is also the
	// lock manager's memory bound.
	MaxLocks int `yaml:"max_locks"`
	// LogFormat is "text" or "json"; LogLevel is debug, info, warn or error.
	LogFormat string `yaml:"log_format"`
	LogLevel  string `yaml:"log_level"`
	// The limits of the NFS port against misbehaving clients (see
	// rpc.Server and docs/rpc.md): open connections in all and from one
	// address, reply bytes held for one connection and for all, and the
	// time a record may take to arrive and a reply to be written.
	MaxConns             int           `yaml:"max_conns"`
	MaxConnsPerAddr      int           `yaml:"max_conns_per_addr"`
	MaxReplyBytesPerConn int           `yaml:"max_reply_bytes_per_conn"`
	MaxReplyBytes        int           `yaml:"max_reply_bytes"`
	RecordTimeout        time.Duration `yaml:"record_timeout"`
	WriteTimeout         time.Duration `yaml:"write_timeout"`
	// Capacity bounds the bytes of file content the store holds (after
	// dedup) and MaxFiles its files, directories and other nodes; past
	// them writes and creates fail with NFS3ERR_NOSPC / NFS4ERR_NOSPC,
	// and FSSTAT reports them. Sizes take a K, M, G or T suffix (powers
	// of 1024). Zero means unbounded, except with Memory, where the
	// defaults are a quarter of the machine's RAM for content and one
	// node per 4 KiB of that for files, so that no client can make the
	// server run out of memory by writing.
	Capacity Size   `yaml:"capacity"`
	MaxFiles uint64 `yaml:"max_files"`
	// BlockConfig selects the block store (blocks, s3_*; blockstore.go).
	BlockConfig `yaml:",inline"`

	// Check checks the stores of Data and exits (--check); Repair backs
	// Data up and repairs them (--repair). Flags only.
	Check  bool `yaml:"-"`
	Repair bool `yaml:"-"`
}

// errHelp is returned when -h or --help was asked for, errVersion when
// --version was.
var (
	errHelp    = flag.ErrHelp
	errVersion = errors.New("version printed")
)

// usageHeader opens the -h output.
const usageHeader = `fullserver: the DittoFS reference server (NFSv3 with MOUNT, NLM and NSM,
NFSv4.0 and 4.1, an embedded portmapper, and SMB 2/3 with --smb-addr) over a
BadgerDB (or PostgreSQL) metadata store and a block directory, or in memory.

Usage: fullserver [flags]

Examples:
  fullserver --memory                      # try it: everything in memory
  fullserver --data /var/lib/dittofs       # persistent, default export /export
  fullserver --data /srv/dfs --exports /etc/dittofs/exports
                                           # exports(5) file; SIGHUP reloads it
  fullserver --config /etc/dittofs/fullserver.yaml --metrics-addr 127.0.0.1:9100
  fullserver --check --data /var/lib/dittofs   # check the stores and exit
  PGPASSWORD=secret fullserver --data /srv/dfs --metadata postgres \
      --postgres-dsn postgres://dittofs@db.example:5432/dittofs
                                           # metadata in PostgreSQL, blocks in /srv/dfs
  DITTOFS_SMB_PASSWORD=secret fullserver --memory --smb-addr :4445 --smb-user alice
                                           # also SMB: smbclient //HOST/export -p 4445 -U alice

Configuration: embedded defaults, then the YAML file of --config (keys are
the flag names with _ for -, except exports_file for --exports; exports:
holds exports inline), then flags. Documentation: docs/fullserver.md.

Flags:
`

// defaultPortmapAddr is the portmapper's well-known address.
const defaultPortmapAddr = ":111"

func defaultConfig() Config {
	return Config{
		Data:        "./data",
		NFSAddr:     ":2049",
		PortmapAddr: defaultPortmapAddr,
		Export:      "/export",
		SMBUID:      1000,
		SMBGID:      1000,
		NLM:         true,
		NFS4:        true,
		Lease:       90 * time.Second,
		Grace:       90 * time.Second,
		LogFormat:   "text",

		MaxConns:             rpc.DefaultMaxConns,
		MaxConnsPerAddr:      rpc.DefaultMaxConnsPerAddr,
		MaxReplyBytesPerConn: rpc.DefaultMaxReplyBytesPerConn,
		MaxReplyBytes:        rpc.DefaultMaxReplyBytes,
		RecordTimeout:        rpc.DefaultRecordTimeout,
		WriteTimeout:         rpc.DefaultWriteTimeout,
		// The lock manager's defaults.
		MaxLocksPerFile:   locking.DefaultMaxPerFile,
		MaxLocksPerClient: locking.DefaultMaxPerClient,
		MaxLocks:          locking.DefaultMaxLocks,
		LogLevel:          "info",
	}
}

// parseConfig builds the configuration from the command line args (without
// the program name).
func parseConfig(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("fullserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	var flags Config
	showVersion := fs.Bool("version", false, "print the version and exit")
	configFile := fs.String("config", "", "YAML configuration `file`; flags override it")
	fs.StringVar(&flags.Data, "data", "", "`directory` of the persistent stores (default ./data)")
	fs.BoolVar(&flags.Memory, "memory", false, "keep everything in memory; write nothing to disk")
	addMetadataFlags(fs, &flags)
	fs.StringVar(&flags.NFSAddr, "nfs-addr", "", "`host:port` of NFS, MOUNT, NLM and NSM, TCP and UDP (default :2049)")
	fs.StringVar(&flags.PortmapAddr, "portmap-addr", "", "`host:port` of the portmapper, or off (default :111, else a high port)")
	fs.StringVar(&flags.SMBAddr, "smb-addr", "", "`host:port` of SMB 2/3, or off (default :445 when there are SMB users, else a high port; off without users)")
	fs.StringVar(&flags.SMBUser, "smb-user", "", "add the SMB user `name`, password from the environment variable "+smbPasswordEnv)
	fs.Func("smb-uid", "`uid` of the --smb-user user (default 1000)", func(v string) error { return parseID(v, &flags.SMBUID) })
	fs.Func("smb-gid", "`gid` of the --smb-user user (default 1000)", func(v string) error { return parseID(v, &flags.SMBGID) })
	fs.Func("smb-case-insensitive", "comma-separated `shares` (or *) where SMB names match regardless of case (default none)", func(v string) error {
		flags.SMBCaseInsensitive = strings.Split(v, ",")
		return nil
	})
	fs.StringVar(&flags.MetricsAddr, "metrics-addr", "", "`host:port` of /metrics and /healthz, or off (default off)")
	fs.BoolVar(&flags.Pprof, "pprof", false, "also serve Go's profiles under /debug/pprof/ on --metrics-addr")
	fs.StringVar(&flags.Export, "export", "", "`path` clients mount the default export as (default /export)")
	fs.BoolVar(&flags.NoRootSquash, "no-root-squash", false, "let clients' root act as root on the default export")
	fs.StringVar(&flags.ExportsFile, "exports", "", "exports `file` in the /etc/exports syntax, served instead of the default export; SIGHUP reloads it")
	fs.BoolVar(&flags.NLM, "nlm", true, "serve NLM v4 and NSM v1 (file locking for NFSv3); --nlm=false turns them off")
	fs.BoolVar(&flags.NFS4, "nfs4", true, "serve NFS version 4 on the NFS port; --nfs4=false turns it off")
	fs.StringVar(&flags.IDMapDomain, "idmap-domain", "", "NFSv4 ID mapping `domain` (default none: owners as numbers)")
	fs.IntVar(&flags.NFS4MaxClients, "nfs4-max-clients", 0, fmt.Sprintf("bound on NFSv4 client `records` (default %d)", state.DefaultMaxClients))
	fs.IntVar(&flags.NFS4MaxClientsPerAddr, "nfs4-max-clients-per-addr", 0, fmt.Sprintf("bound on the NFSv4 client `records` of one address or IPv6 /64 (default %d)", state.DefaultMaxClientsPerAddr))
	fs.IntVar(&flags.NFS4MaxUnconfirmedPerAddr, "nfs4-max-unconfirmed-per-addr", 0, fmt.Sprintf("bound on the unconfirmed NFSv4 client `records` of one address or IPv6 /64 (default %d)", state.DefaultMaxUnconfirmedPerAddr))
	fs.DurationVar(&flags.Lease, "lease", 0, "NFSv4 lease `time` (default 90s)")
	fs.DurationVar(&flags.Grace, "grace", 0, "grace period after a restart for lock reclaims, NLM and NFSv4 (default 90s)")
	fs.IntVar(&flags.MaxLocksPerFile, "max-locks-per-file", 0, fmt.Sprintf("bound on the locks and opens of one `file` (default %d)", locking.DefaultMaxPerFile))
	fs.IntVar(&flags.MaxLocksPerClient, "max-locks-per-client", 0, fmt.Sprintf("bound on the locks and opens of one `client` (default %d)", locking.DefaultMaxPerClient))
	fs.IntVar(&flags.MaxLocks, "max-locks", 0, fmt.Sprintf("bound on all locks and opens together, and so on the lock manager's memory (default %d)", locking.DefaultMaxLocks))
	fs.BoolVar(&flags.Check, "check", false, "check the stores of the data directory (read-only), report and exit: 0 no damage, 1 damage, 2 could not check")
	fs.BoolVar(&flags.Repair, "repair", false, "back up the data directory to DATA.backup-TIME, repair what --check finds where it can, report and exit as --check")
	fs.StringVar(&flags.LogFormat, "log-format", "", "log `format`: text or json (default text)")
	fs.StringVar(&flags.LogLevel, "log-level", "", "log `level`: debug, info, warn or error (default info)")
	fs.IntVar(&flags.MaxConns, "max-conns", 0, fmt.Sprintf("most open NFS connections (default %d)", rpc.DefaultMaxConns))
	fs.IntVar(&flags.MaxConnsPerAddr, "max-conns-per-addr", 0, fmt.Sprintf("most open NFS connections from one client address (default %d)", rpc.DefaultMaxConnsPerAddr))
	fs.IntVar(&flags.MaxReplyBytesPerConn, "max-reply-bytes-per-conn", 0, fmt.Sprintf("most reply `bytes` held for one connection before it is no longer read (default %d)", rpc.DefaultMaxReplyBytesPerConn))
	fs.IntVar(&flags.MaxReplyBytes, "max-reply-bytes", 0, fmt.Sprintf("most reply `bytes` held for all connections (default %d)", rpc.DefaultMaxReplyBytes))
	fs.DurationVar(&flags.RecordTimeout, "record-timeout", 0, "time a started call record may take to arrive (default 30s)")
	fs.Var(&flags.Capacity, "capacity", "bound on the `bytes` of file content, e.g. 100G (default unbounded; with --memory a quarter of RAM)")
	fs.Uint64Var(&flags.MaxFiles, "max-files", 0, "bound on the number of files and directories (default unbounded; with --memory one per 4 KiB of --capacity)")
	fs.DurationVar(&flags.WriteTimeout, "write-timeout", 0, "time a reply may take to be written before the connection is closed (default 30s)")
	blockFlags(fs, &flags.BlockConfig)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, errHelp
		}
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *showVersion {
		return Config{}, errVersion
	}

	cfg := defaultConfig()
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return Config{}, err
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("%s: %w", *configFile, err)
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data":
			cfg.Data = flags.Data
		case "memory":
			cfg.Memory = flags.Memory
		case "nfs-addr":
			cfg.NFSAddr = flags.NFSAddr
		case "portmap-addr":
			cfg.PortmapAddr = flags.PortmapAddr
		case "smb-addr":
			cfg.SMBAddr = flags.SMBAddr
		case "smb-user":
			cfg.SMBUser = flags.SMBUser
		case "smb-uid":
			cfg.SMBUID = flags.SMBUID
		case "smb-gid":
			cfg.SMBGID = flags.SMBGID
		case "smb-case-insensitive":
			cfg.SMBCaseInsensitive = flags.SMBCaseInsensitive
		case "metrics-addr":
			cfg.MetricsAddr = flags.MetricsAddr
		case "pprof":
			cfg.Pprof = flags.Pprof
		case "export":
			cfg.Export = flags.Export
		case "no-root-squash":
			cfg.NoRootSquash = flags.NoRootSquash
		case "exports":
			// The file replaces the configuration file's exports.
			cfg.ExportsFile, cfg.Exports = flags.ExportsFile, ""
		case "nlm":
			cfg.NLM = flags.NLM
		case "nfs4":
			cfg.NFS4 = flags.NFS4
		case "idmap-domain":
			cfg.IDMapDomain = flags.IDMapDomain
		case "nfs4-max-clients":
			cfg.NFS4MaxClients = flags.NFS4MaxClients
		case "nfs4-max-clients-per-addr":
			cfg.NFS4MaxClientsPerAddr = flags.NFS4MaxClientsPerAddr
		case "nfs4-max-unconfirmed-per-addr":
			cfg.NFS4MaxUnconfirmedPerAddr = flags.NFS4MaxUnconfirmedPerAddr
		case "lease":
			cfg.Lease = flags.Lease
		case "grace":
			cfg.Grace = flags.Grace
		case "max-locks-per-file":
			cfg.MaxLocksPerFile = flags.MaxLocksPerFile
		case "max-locks-per-client":
			cfg.MaxLocksPerClient = flags.MaxLocksPerClient
		case "max-locks":
			cfg.MaxLocks = flags.MaxLocks
		case "check":
			cfg.Check = flags.Check
		case "repair":
			cfg.Repair = flags.Repair
		case "log-format":
			cfg.LogFormat = flags.LogFormat
		case "log-level":
			cfg.LogLevel = flags.LogLevel
		case "max-conns":
			cfg.MaxConns = flags.MaxConns
		case "max-conns-per-addr":
			cfg.MaxConnsPerAddr = flags.MaxConnsPerAddr
		case "max-reply-bytes-per-conn":
			cfg.MaxReplyBytesPerConn = flags.MaxReplyBytesPerConn
		case "max-reply-bytes":
			cfg.MaxReplyBytes = flags.MaxReplyBytes
		case "capacity":
			cfg.Capacity = flags.Capacity
		case "max-files":
			cfg.MaxFiles = flags.MaxFiles
		case "record-timeout":
			cfg.RecordTimeout = flags.RecordTimeout
		case "write-timeout":
			cfg.WriteTimeout = flags.WriteTimeout
		default:
			visitMetadataFlag(&cfg, &flags, f.Name)
			applyBlockFlag(f.Name, &cfg.BlockConfig, &flags.BlockConfig)
		}
	})
	return cfg, cfg.validate()
}

func (c *Config) validate() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.Lease < 10*time.Second || c.Lease > time.Hour {
		return fmt.Errorf("lease %v: want 10s to 1h", c.Lease)
	}
	if c.Grace < time.Second || c.Grace > time.Hour {
		return fmt.Errorf("grace %v: want 1s to 1h", c.Grace)
	}
	if c.NFS4MaxClients < 0 || c.NFS4MaxClientsPerAddr < 0 || c.NFS4MaxUnconfirmedPerAddr < 0 {
		return fmt.Errorf("nfs4 max clients %d, per address %d, unconfirmed per address %d: want at least 1 (0: the default)",
			c.NFS4MaxClients, c.NFS4MaxClientsPerAddr, c.NFS4MaxUnconfirmedPerAddr)
	}
	if !strings.HasPrefix(c.Export, "/") {
		return fmt.Errorf("export %q: want an absolute path", c.Export)
	}
	if c.Exports != "" && c.ExportsFile != "" {
		return errors.New("exports and exports_file: give one")
	}
	if _, err := c.exportList(); err != nil {
		return err
	}
	if c.NFSAddr == "" {
		return errors.New("nfs address is empty")
	}
	if _, err := c.smbUsers(os.Getenv); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"max_conns", c.MaxConns}, {"max_conns_per_addr", c.MaxConnsPerAddr}, {"max_reply_bytes_per_conn", c.MaxReplyBytesPerConn}, {"max_reply_bytes", c.MaxReplyBytes}} {
		if l.v < 1 {
			return fmt.Errorf("%s %d: want at least 1", l.name, l.v)
		}
	}
	if c.MaxConnsPerAddr > c.MaxConns {
		return fmt.Errorf("max_conns_per_addr %d is over max_conns %d", c.MaxConnsPerAddr, c.MaxConns)
	}
	if c.RecordTimeout < time.Second || c.WriteTimeout < time.Second {
		return fmt.Errorf("record_timeout %v, write_timeout %v: want at least 1s", c.RecordTimeout, c.WriteTimeout)
	}
	if c.MaxLocksPerFile < 1 || c.MaxLocksPerClient < 1 || c.MaxLocks < 1 {
		return fmt.Errorf("max locks per file %d, per client %d, in all %d: want at least 1", c.MaxLocksPerFile, c.MaxLocksPerClient, c.MaxLocks)
	}
	if c.Check && c.Repair {
		return errors.New("--check and --repair: give one")
	}
	if (c.Check || c.Repair) && c.Memory {
		return errors.New("--check and --repair work on a data directory, not --memory")
	}
	if !c.Memory && c.Data == "" {
		return errors.New("data directory is empty; give --data DIR or --memory")
	}
	if err := c.validateMetadata(); err != nil {
		return err
	}
	return c.validateBlocks()
}

// limit sets the limits of srv against misbehaving clients.
func (c *Config) limit(srv *rpc.Server) {
	srv.MaxConns = c.MaxConns
	srv.MaxConnsPerAddr = c.MaxConnsPerAddr
	srv.MaxReplyBytesPerConn = c.MaxReplyBytesPerConn
	srv.MaxReplyBytes = c.MaxReplyBytes
	srv.RecordTimeout = c.RecordTimeout
	srv.WriteTimeout = c.WriteTimeout
}

func (c *Config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationString}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Size is a number of bytes, written with an optional K, M, G or T suffix
// (powers of 1024) in flags and in the configuration file.
type Size uint64

// Set parses s as a Size (flag.Value).
func (z *Size) Set(s string) error {
	t := strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B")
	shift := 0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		}
		if shift > 0 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil || v > math.MaxUint64>>shift {
		return fmt.Errorf("%q is not a size (a number of bytes with an optional K, M, G or T suffix)", s)
	}
	*z = Size(v << shift)
	return nil
}

// String formats z in bytes (flag.Value).
func (z *Size) String() string {
	if z == nil {
		return "0"
	}
	return strconv.FormatUint(uint64(*z), 10)
}

// UnmarshalYAML reads a Size written as a number or as a string with a
// suffix.
func (z *Size) UnmarshalYAML(n *yaml.Node) error {
	return z.Set(n.Value)
}

// durationString writes durations as Go duration strings ("1.5s"), not
// as nanosecond counts, in the JSON log (the text log already does).
func durationString(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

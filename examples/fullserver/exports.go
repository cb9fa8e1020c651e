package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"strings"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store"
)

// exportList parses the configured exports (Exports or ExportsFile), or
// returns nil when none are configured.
func (c *Config) exportList() ([]*export.Export, error) {
	text, name := c.Exports, "exports"
	if c.ExportsFile != "" {
		b, err := os.ReadFile(c.ExportsFile)
		if err != nil {
			return nil, err
		}
		text, name = string(b), c.ExportsFile
	}
	if strings.TrimSpace(text) == "" && c.ExportsFile == "" {
		return nil, nil
	}
	exps, err := export.Parse(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(exps) == 0 {
		return nil, fmt.Errorf("%s: no exports", name)
	}
	return exps, nil
}

// servedExports returns the exports to serve, all on fsys: the
// configured ones, else the default export.
func servedExports(cfg Config, fsys *store.FS, locks *locking.Manager) ([]*export.Export, error) {
	exps, err := cfg.exportList()
	if err != nil {
		return nil, err
	}
	if exps == nil {
		return []*export.Export{defaultExport(cfg, fsys, locks)}, nil
	}
	for _, e := range exps {
		e.FS, e.Locks = fsys, locks
	}
	return exps, nil
}

// defaultExport is the export the server serves with embedded defaults:
// the whole store as cfg.Export, with the store's lock manager, read-write for every AUTH_SYS client,
// from any source port (macOS mounts from unprivileged ports), root
// squashed unless cfg.NoRootSquash.
func defaultExport(cfg Config, fsys *store.FS, locks *locking.Manager) *export.Export {
	return &export.Export{
		Name:  cfg.Export,
		FS:    fsys,
		Locks: locks,
		Rules: []export.Rule{{
			Client:       "*",
			NoRootSquash: cfg.NoRootSquash,
			Insecure:     true,
			Sec:          []export.Sec{export.SecSys},
		}},
	}
}

// warnOpen warns of every export that is read-write to every client while
// the NFS port listens on every interface.
func warnOpen(log *slog.Logger, cfg Config, tab *export.Table) {
	host, _, err := net.SplitHostPort(cfg.NFSAddr)
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return
	}
	for _, e := range tab.All() {
		for _, r := range e.CurrentRules() {
			if !r.ReadOnly && everyone(r.Client) {
				log.Warn("export is read-write to every client on every interface",
					"export", e.Name, "rule", r.String(), "nfs_addr", cfg.NFSAddr,
					"hint", "restrict it with --exports FILE or exports: in the configuration (e.g. \""+e.Name+" 192.168.1.0/24(rw)\"), or listen on one address with --nfs-addr")
			}
		}
	}
}

// everyone reports whether a rule's client matches every address.
func everyone(client string) bool {
	switch client {
	case "", "*", "0.0.0.0/0", "::/0":
		return true
	}
	return false
}

// reloadExports applies the exports of the configuration cfg (re-read on
// SIGHUP) to the table being served: each export keeps its place and
// takes its new rules, which apply to new mounts and to the access check
// of every later request. An export no longer configured is refused to
// every client until the next restart; a new one is served only after a
// restart (both are logged). A configuration that does not parse, or
// that changes an export's path or fsid, changes nothing and is returned
// as an error.
func reloadExports(log *slog.Logger, cfg Config, tab *export.Table) error {
	exps, err := servedExports(cfg, nil, nil)
	if err != nil {
		return err
	}
	byName := map[string]*export.Export{}
	for _, n := range exps {
		n.Name = path.Clean(n.Name)
		if _, dup := byName[n.Name]; dup {
			return fmt.Errorf("export %q: exported twice", n.Name)
		}
		byName[n.Name] = n
		if e := tab.Lookup(n.Name); e != nil {
			if id := exportID(n); id != e.ID {
				return fmt.Errorf("export %q: fsid %d, served as %d: restart to change it", n.Name, id, e.ID)
			}
			if p := cleanPath(n.Path); p != cleanPath(e.Path) {
				return fmt.Errorf("export %q: path %q, served from %q: restart to change it", n.Name, p, cleanPath(e.Path))
			}
		}
	}
	var errs []error
	for _, e := range tab.All() {
		n := byName[e.Name]
		if n == nil {
			log.Warn("export no longer configured: refused to every client until restart", "export", e.Name)
			errs = append(errs, e.SetRules(nil))
			continue
		}
		errs = append(errs, e.SetRules(n.Rules))
		delete(byName, e.Name)
	}
	for name := range byName {
		log.Warn("new export not served until restart", "export", name)
	}
	if err := errors.Join(errs...); err != nil {
		// Parse checked every rule; SetRules cannot fail on them.
		return err
	}
	log.Info("exports reloaded", "exports", len(exps))
	warnOpen(log, cfg, tab)
	return nil
}

// exportID is the ID NewTable gives e.
func exportID(e *export.Export) uint32 {
	if e.ID != 0 {
		return e.ID
	}
	return export.NameID(path.Clean(e.Name))
}

func cleanPath(p string) string { return path.Clean("/" + p) }

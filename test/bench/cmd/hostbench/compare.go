package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/dittofs/dittofs/test/bench"
	"github.com/dittofs/dittofs/test/ganesha"
)

// Server names on the result lines and in the tables.
const (
	nameDittoFS = "DittoFS"
	nameGanesha = "Ganesha"
)

// server is one running server under comparison.
type server struct {
	name, store string
	target      target
	pid         int
	// err reports a server that died on its own.
	err  func() error
	stop func()
}

func (s *server) cpu() (time.Duration, error) { return bench.CPUTime(s.pid) }

// runCompare starts DittoFS and Ganesha for each store and runs every
// (version, depth) against each, alternating the servers, for the rounds.
func runCompare(ctx context.Context, cfg config, out io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("-compare needs root (Ganesha's namespaces and FSAL_VFS)")
	}
	dir, err := bench.NewWorkDir(cfg.workdir, "hostbench-", known(cfg.stores, bench.StoreDisk))
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := cfg.fullbin
	if bin == "" {
		bin = filepath.Join(dir, "fullserver")
		fmt.Fprintln(out, "building examples/fullserver")
		if err := bench.BuildFullserver(ctx, bin); err != nil {
			return err
		}
	}
	var servers [][2]*server // per store: DittoFS, Ganesha
	defer func() {
		for _, pair := range servers {
			for _, s := range pair {
				if s != nil {
					s.stop()
				}
			}
		}
	}()
	for _, store := range cfg.stores {
		d, err := startFullserver(ctx, bin, store, dir)
		if err != nil {
			return err
		}
		servers = append(servers, [2]*server{d, nil})
		g, err := startGanesha(ctx, store, dir)
		if err != nil {
			return err
		}
		servers[len(servers)-1][1] = g
		fmt.Fprintf(out, "store %s: DittoFS pid %d at %s, Ganesha pid %d at %s (in its namespace)\n",
			store, d.pid, d.target.addr, g.pid, g.target.addr)
	}
	fmt.Fprintf(out, "start: load average %s, GOMAXPROCS %d, %d CPUs\n", loadavg(), runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(out, "each workload: at most %v, %d ops (sequential: %d MiB through a %d MiB file, %d-byte I/O); %d connection(s)\n",
		cfg.duration, cfg.ops, cfg.seqMiB, cfg.fileMiB, cfg.ioSize, cfg.conns)
	res := map[cell]map[string]*summary{}
	var order []cell
	for round := range cfg.rounds {
		for _, vers := range cfg.versions {
			for _, depth := range cfg.depths {
				for si, store := range cfg.stores {
					for _, s := range servers[si] {
						if err := s.err(); err != nil {
							return fmt.Errorf("%s (%s store), round %d: %w", s.name, store, round+1, err)
						}
						rs, err := runCell(ctx, cfg, s.target, vers, depth, s.cpu)
						for _, r := range rs {
							fmt.Fprintln(out, resultLine(s.name, store, vers, depth, r))
							c := cell{vers, store, depth, r.workload}
							if res[c] == nil {
								res[c] = map[string]*summary{}
								order = append(order, c)
							}
							if res[c][s.name] == nil {
								res[c][s.name] = &summary{}
							}
							res[c][s.name].add(r)
						}
						err = errors.Join(err, s.err())
						if err != nil {
							return fmt.Errorf("%s (%s store), round %d: %w", s.name, store, round+1, err)
						}
					}
				}
			}
		}
		fmt.Fprintf(out, "after round %d: load average %s\n", round+1, loadavg())
	}
	// Group the rows by version and store, in the order they ran.
	var sorted []cell
	for _, vers := range cfg.versions {
		for _, store := range cfg.stores {
			for _, c := range order {
				if c.vers == vers && c.store == store {
					sorted = append(sorted, c)
				}
			}
		}
	}
	table := markdown(nameDittoFS, nameGanesha, sorted, res, cfg.rounds)
	fmt.Fprint(out, table)
	if cfg.out != "" {
		return os.WriteFile(cfg.out, []byte(strings.TrimLeft(table, "\n")), 0o644)
	}
	return nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// startFullserver runs examples/fullserver as bench.FullserverArgs says,
// with memory stores or a data directory under workDir.
func startFullserver(ctx context.Context, bin, store, workDir string) (*server, error) {
	f, err := bench.StartFullserver(ctx, bin, func(line string) { fmt.Fprintln(os.Stderr, "fullserver:", line) },
		bench.FullserverArgs(store, workDir)...)
	if err != nil {
		return nil, err
	}
	return &server{name: nameDittoFS, store: store, pid: f.PID,
		target: target{addr: f.Addr, mountAddr: f.Addr, export: "/export", dial: tcpDialer},
		err:    f.Err, stop: f.Stop}, nil
}

// startGanesha starts NFS-Ganesha (FSAL_VFS) on a tmpfs (store memory) or
// on a directory under workDir (store disk).
func startGanesha(ctx context.Context, store, workDir string) (*server, error) {
	srv, err := ganesha.Start(ctx, bench.GaneshaConfig(store, workDir))
	if err != nil {
		return nil, err
	}
	pid, err := bench.GaneshaPID(srv)
	if err != nil {
		srv.Stop()
		return nil, err
	}
	netns := srv.Netns
	dial := func(ctx context.Context, addr string) (net.Conn, error) { return bench.DialInNetns(ctx, netns, addr) }
	return &server{name: nameGanesha, store: store, pid: pid,
		target: target{addr: srv.Addr(), mountAddr: fmt.Sprintf("127.0.0.1:%d", srv.MountPort), export: srv.Export, dial: dial},
		err:    srv.Err, stop: srv.Stop}, nil
}

// Package pgtest starts a throwaway PostgreSQL server for tests: initdb
// into a new directory under the system temporary directory, then the
// postgres binary on 127.0.0.1 with a port the kernel chose, stopped and
// removed when the test ends. No system service and no configuration of
// the machine is used or changed.
//
// The binaries come from $PG_BIN when set, else from the newest
// /usr/lib/postgresql/*/bin (Debian's postgresql package). PostgreSQL
// refuses to run as root, so a test running as root starts it as the
// postgres user the Debian package creates (or $PG_USER).
//
// Without the binaries a test fails, unless it runs with -short, where it
// is skipped with a message that says what to install.
package pgtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Server is a running PostgreSQL server.
type Server struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Dir is the data directory.
	Dir string

	cmd  *exec.Cmd
	done chan struct{}
	log  *logBuffer
	seq  int
	mu   sync.Mutex
}

// Options configures Start. The zero value gives a fast server: fsync,
// synchronous_commit and full_page_writes off (data survives a crash of
// the client, not of the server's machine).
type Options struct {
	// Durable keeps PostgreSQL's defaults: fsync and synchronous_commit on.
	Durable bool
	// Settings are extra -c name=value settings of the server.
	Settings map[string]string
}

// Binaries returns the directory of initdb and postgres, or an error that
// says how to get them.
func Binaries() (string, error) {
	if dir := os.Getenv("PG_BIN"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err != nil {
			return "", fmt.Errorf("PG_BIN=%s: %w", dir, err)
		}
		return dir, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(matches) == 0 {
		return "", fmt.Errorf("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install the Debian package postgresql (apt-get install -y --no-install-recommends postgresql; scripts/install-deps.sh does) or set PG_BIN")
	}
	slices.SortFunc(matches, func(a, b string) int { return version(a) - version(b) })
	return filepath.Dir(matches[len(matches)-1]), nil
}

// version is the major version in /usr/lib/postgresql/N/bin/postgres.
func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// Start starts a server for the test and stops it in the test's cleanup.
// Without the binaries it skips the test under -short and fails it
// otherwise.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	bin := binaries(t)
	s, err := start(bin, o)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

// binaries returns Binaries, or skips the test under -short and fails
// it otherwise.
func binaries(t testing.TB) string {
	t.Helper()
	bin, err := Binaries()
	if err != nil {
		if testing.Short() {
			t.Skipf("pgtest: %v (skipped in -short mode only)", err)
		}
		t.Fatalf("pgtest: %v", err)
	}
	return bin
}

// cred returns the credential to run PostgreSQL with when running as
// root, and nil otherwise.
func cred() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name := os.Getenv("PG_USER")
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses root: no user %q to run it as (the postgresql package creates it; or set PG_USER): %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func start(bin string, o Options) (*Server, error) {
	c, err := cred()
	if err != nil {
		return nil, err
	}
	// Under the system temporary directory, which the unprivileged user
	// can reach (a test's TempDir sits in a directory only root enters).
	dir, err := os.MkdirTemp("", "pg-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if c != nil {
		if err := os.Chown(dir, int(c.Uid), int(c.Gid)); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v\n%s", err, out))
	}
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": "",
		"max_connections":         "100",
		"logging_collector":       "off",
	}
	if !o.Durable {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	for k, v := range o.Settings {
		settings[k] = v
	}
	// The kernel picks a free port; between closing it and the server
	// binding it another process may take it, so try a few.
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		s, err := run(bin, data, port, settings, c)
		if err == nil {
			s.Dir = dir
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "could not bind") && !strings.Contains(err.Error(), "could not create any TCP/IP sockets") {
			break
		}
	}
	return fail(lastErr)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts postgres and waits until its log says it accepts
// connections, or it exits.
func run(bin, data string, port int, settings map[string]string, c *syscall.Credential) (*Server, error) {
	args := []string{"-D", data, "-p", strconv.Itoa(port)}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+settings[k])
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	// The server dies with the test process, even when that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Dir = filepath.Dir(data)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Server{Port: port, cmd: cmd, done: make(chan struct{}), log: &logBuffer{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		once := sync.OnceFunc(func() { close(ready) })
		for sc.Scan() {
			line := sc.Text()
			s.log.add(line)
			if strings.Contains(line, "database system is ready to accept connections") {
				once()
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("postgres exited at start:\n%s", s.log.String())
	case <-time.After(60 * time.Second):
		s.kill()
		return nil, fmt.Errorf("postgres not ready after 60s:\n%s", s.log.String())
	}
}

// DSN returns a connection string for database db ("postgres" when
// empty) as the superuser postgres.
func (s *Server) DSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// CreateDatabase creates a new, empty database and returns its name.
func (s *Server) CreateDatabase(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.seq++
	name := fmt.Sprintf("test%d", s.seq)
	s.mu.Unlock()
	s.Exec(t, "", "CREATE DATABASE "+name+" TEMPLATE template0")
	return name
}

// Exec runs sql in database db on a connection of its own.
func (s *Server) Exec(t testing.TB, db, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgconn.Connect(ctx, s.DSN(db))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// Log returns what the server logged so far.
func (s *Server) Log() string { return s.log.String() }

// Kill stops the server at once, as a crash would (SIGKILL), and waits for
// it to exit. The data directory stays until Stop.
func (s *Server) Kill() {
	s.kill()
	<-s.done
}

func (s *Server) kill() {
	// The whole process group: postgres and the backends it forked.
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
}

// Stop shuts the server down (fast shutdown, then SIGKILL after 30s) and
// removes its directory. It is idempotent.
func (s *Server) Stop() error {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.Kill()
		}
	}
	if s.Dir == "" {
		return nil
	}
	err := os.RemoveAll(s.Dir)
	s.Dir = ""
	return err
}

// logBuffer keeps the server's log lines, bounded.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 1<<20 {
		return
	}
	l.buf.WriteString(line)
	l.buf.WriteByte('\n')
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// shared is the server of Shared.
var shared struct {
	once sync.Once
	s    *Server
	err  error
}

// Shared returns a server shared by all the tests of the test binary that
// call it, started by the first one (with the zero Options). Tests that
// share it keep apart with a database (CreateDatabase) or a schema of
// their own. The binary's TestMain must run through Main, which stops the
// server at the end. Without the binaries it skips under -short and
// fails otherwise, like Start.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := binaries(t)
	shared.once.Do(func() { shared.s, shared.err = start(bin, Options{}) })
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err)
	}
	return shared.s
}

// Main runs the tests of m and then stops the server of Shared, if one
// was started; use it as func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if shared.s != nil {
		if err := shared.s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
	return code
}

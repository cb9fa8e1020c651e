//go:build soak

package hostile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// The soak (issue 16, "Proof"): the reference server binary, eight
// well-behaved NFSv3 clients doing mixed I/O, and beside them one client
// from another address running every attack of this package in turn.
// Not part of `make test`: run it with `make soak`, or
//
//	go test -tags soak -count=1 -timeout 30m -run 'TestSoak$' -v ./test/hostile/ -soak.duration 10m
//
// docs/benchmarks.md ("Hostile-client soak") has the figures of a run.
var (
	soakDuration = flag.Duration("soak.duration", 10*time.Minute, "length of the soak (the attack slices; setup excluded)")
	soakRounds   = flag.Int("soak.rounds", 2, "times the attacks are run in turn")
	soakClients  = flag.Int("soak.clients", 8, "well-behaved clients")
	soakMaxRSS   = flag.Int("soak.maxrss", 1280, "bound on the server's peak RSS (VmHWM), MiB")
	soakReport   = flag.String("soak.report", "", "file to write the report (markdown) to, besides the test log")
	soakLogFile  = flag.String("soak.serverlog", "", "file to keep the server's log in (default: a temporary file)")
)

const (
	// soakCallTimeout bounds every call of the soak; a call that takes
	// longer is an error.
	soakCallTimeout = 10 * time.Second
	// soakHang is the longest a well-behaved call may take: a bound that
	// detects hangs, not a performance target.
	soakHang = 5 * time.Second
	// soakFileSize is the size of each well-behaved client's file and of
	// the attacker's READ target.
	soakFileSize = 1 << 20
	// soakWorkers is the number of concurrent callers of the attacks made
	// of RPC calls (NFSv4 clients, opens, NLM locks).
	soakWorkers = 8
)

// soakAttackIP is the attacker's source address; the well-behaved
// clients use 127.0.0.1.
var soakAttackIP = net.ParseIP("127.0.0.2")

// The operations of a well-behaved client.
const (
	soakGetattr = iota
	soakLookup
	soakAccess
	soakRead4K
	soakRead64K
	soakWrite
	soakCommit
	soakCreate
	soakRemove
	soakReaddirplus
	soakNumOps
)

var soakOpNames = [soakNumOps]string{"GETATTR", "LOOKUP", "ACCESS", "READ 4 KiB", "READ 64 KiB",
	"WRITE 4 KiB unstable", "COMMIT", "CREATE", "REMOVE", "READDIRPLUS"}

// soakAttack is one attack: run returns soon after ctx ends.
type soakAttack struct {
	name string
	run  func(ctx context.Context, a *soakAttacker, st *soakAttackStats)
}

// soakAttacks are the attacks in the order they run; the first, "none",
// is the baseline.
var soakAttacks = []soakAttack{
	{"none (baseline)", func(ctx context.Context, _ *soakAttacker, _ *soakAttackStats) { <-ctx.Done() }},
	{"unread 1 MiB READs (10 conns x 140)", soakUnread},
	{"log flood (bad UDP and TCP calls)", soakLogFlood},
	{"empty fragments (48 conns)", soakEmptyFragments},
	{"connection flood", soakConnFlood},
	{"oversized AUTH_SYS credentials", soakBigCreds},
	{"NFSv4 client-table flood", soakClientFlood},
	{"NFSv4 OPENs of one file", soakOpens},
	{"NLM lock flood on one file", soakLocks},
}

// TestSoak runs the soak and fails if a well-behaved client saw an error
// or a call longer than soakHang, or if the server's peak RSS passed
// -soak.maxrss.
func TestSoak(t *testing.T) {
	srv := soakStart(t)
	load0 := soakLoadavg()
	ctx := context.Background()

	att := soakSetupAttacker(t, srv)
	var kind atomic.Int32
	kind.Store(-1)
	clients := make([]*soakClient, *soakClients)
	for i := range clients {
		clients[i] = soakSetupClient(t, srv, i, &kind)
	}
	var rss soakRSS
	stopRSS := rss.sample(srv.cmd.Process.Pid, &kind)
	probe := &soakProbe{}
	runCtx, stopClients := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.run(runCtx) })
	}
	wg.Go(func() { probe.run(runCtx, srv, &kind) })

	nSlices := *soakRounds * len(soakAttacks)
	slice := *soakDuration / time.Duration(nSlices)
	t.Logf("soak: %d well-behaved clients, %d rounds of %d slices of %v; server log %s", len(clients), *soakRounds, len(soakAttacks), slice, srv.logPath)
	results := make([]soakResult, len(soakAttacks))
	t0 := time.Now()
	for round := range *soakRounds {
		for k, a := range soakAttacks {
			before, logBefore, net0 := srv.scrape(t), srv.logLines.Load(), soakNetCounters()
			st := &soakAttackStats{notes: map[string]int64{}}
			kind.Store(int32(k))
			sctx, cancel := context.WithTimeout(ctx, slice)
			done := make(chan struct{})
			go func() { defer close(done); a.run(sctx, att, st) }()
			<-sctx.Done()
			select {
			case <-done:
			case <-time.After(2 * soakCallTimeout):
				t.Errorf("attack %q did not stop within %v of its slice's end", a.name, 2*soakCallTimeout)
			}
			cancel()
			after := srv.scrape(t)
			results[k].add(st, before, after, srv.logLines.Load()-logBefore)
			net1 := soakNetCounters()
			results[k].retrans += net1[0] - net0[0]
			results[k].drops += net1[1] - net0[1]
			t.Logf("round %d, %s: %d ops, %d refused, %d bytes sent; server RSS %d MiB", round+1, a.name,
				st.ops.Load(), st.refused.Load(), st.bytes.Load(), soakStatus(srv.cmd.Process.Pid)["VmRSS"]>>10)
		}
	}
	kind.Store(-1)
	stopClients()
	wg.Wait()
	stopRSS()

	// The server still answers, and its memory is what it is now.
	c, err := rpc.Dial(ctx, "tcp", srv.tcp)
	if err != nil {
		t.Fatalf("server unreachable after the soak: %v", err)
	}
	nctx, cancel := context.WithTimeout(ctx, soakCallTimeout)
	if err := c.Call(nctx, progNFS, 3, procNull, nil, nil); err != nil {
		t.Errorf("NULL after the soak: %v", err)
	}
	cancel()
	c.Close()
	status := soakStatus(srv.cmd.Process.Pid)
	load1 := soakLoadavg()

	report := soakMakeReport(clients, results, &rss, status, probe, srv, load0, load1, slice, t0, srv.scrape(t))
	t.Log("\n" + report)
	if *soakReport != "" {
		if err := os.WriteFile(*soakReport, []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}

	var errs, slow int
	for _, c := range clients {
		for k := range c.errs {
			for op := range c.errs[k] {
				errs += c.errs[k][op]
				slow += c.slow[k][op]
			}
		}
		for _, e := range c.errSamples {
			t.Errorf("well-behaved client %d: %s", c.id, e)
		}
	}
	if errs > 0 {
		t.Errorf("well-behaved clients saw %d errors", errs)
	}
	if slow > 0 {
		t.Errorf("%d well-behaved calls took longer than %v", slow, soakHang)
	}
	if hwm := status["VmHWM"] >> 10; hwm > int64(*soakMaxRSS) {
		t.Errorf("server peak RSS (VmHWM) %d MiB, over the bound of %d MiB", hwm, *soakMaxRSS)
	}
}

// soakServer is the reference server running as a separate process.
type soakServer struct {
	cmd                *exec.Cmd
	tcp, udp, metrics  string
	logPath            string
	logLines, logBytes atomic.Int64
	mu                 sync.Mutex
	logMsgs            map[string]int64
	exited             chan struct{}
}

// soakStart builds examples/fullserver and starts it on ports chosen by
// the OS, in memory, with NFSv3, MOUNT, NLM and NFSv4 on one port; its
// log is copied to a file, line by line, and counted.
func soakStart(t *testing.T) *soakServer {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fullserver")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/dittofs/dittofs/examples/fullserver").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s := &soakServer{logPath: *soakLogFile, logMsgs: map[string]int64{}, exited: make(chan struct{})}
	if s.logPath == "" {
		s.logPath = filepath.Join(dir, "server.log")
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "--memory", "--nfs-addr", "127.0.0.1:0", "--portmap-addr", "off",
		"--metrics-addr", "127.0.0.1:0", "--no-root-squash", "--log-format", "json")
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan map[string]string, 1)
	go s.readLog(stderr, logf, ready)
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			t.Error("server not stopped 30 s after SIGTERM; killing it")
			s.cmd.Process.Kill()
			<-s.exited
		}
		logf.Close()
	})
	select {
	case addrs := <-ready:
		s.tcp, s.udp, s.metrics = addrs["nfs/tcp"], addrs["nfs/udp"], addrs["metrics/tcp"]
	case <-s.exited:
		t.Fatalf("server exited at start; log in %s", s.logPath)
	case <-time.After(60 * time.Second):
		t.Fatalf("server not listening after 60 s; log in %s", s.logPath)
	}
	return s
}

// readLog copies the server's log to w, counts its lines by message, and
// sends the listeners' addresses on ready once NFS (TCP and UDP) and the
// metrics are bound.
func (s *soakServer) readLog(r io.Reader, w io.Writer, ready chan<- map[string]string) {
	addrs := map[string]string{}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			w.Write(line)
			s.logLines.Add(1)
			s.logBytes.Add(int64(len(line)))
			var rec struct{ Msg, Service, Network, Addr string }
			json.Unmarshal(line, &rec)
			s.mu.Lock()
			s.logMsgs[rec.Msg]++
			s.mu.Unlock()
			if rec.Msg == "listening" && addrs != nil {
				addrs[rec.Service+"/"+rec.Network] = rec.Addr
				if addrs["nfs/tcp"] != "" && addrs["nfs/udp"] != "" && addrs["metrics/tcp"] != "" {
					ready <- addrs
					addrs = nil
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// scrape returns the server's counters and gauges of limits and errors
// (dittofs_rpc_* but the per-call ones, dittofs_locking_*), by name and
// the label that tells them apart (status or limit).
func (s *soakServer) scrape(t *testing.T) map[string]float64 {
	c := http.Client{Timeout: soakCallTimeout}
	resp, err := c.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		t.Errorf("metrics: %v", err)
		return nil
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "go_memstats_heap_inuse_bytes ") || strings.HasPrefix(line, "go_goroutines ") ||
			strings.HasPrefix(line, `go_gc_duration_seconds{quantile="1"} `) {
			name, val, _ := strings.Cut(line, " ")
			m[name], _ = strconv.ParseFloat(val, 64)
			continue
		}
		if !strings.HasPrefix(line, "dittofs_rpc_") && !strings.HasPrefix(line, "dittofs_locking_") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '{'); i >= 0 {
			name = line[:i]
			labels, val, _ := strings.Cut(line[i+1:], "} ")
			rest = val
			for _, l := range strings.Split(labels, ",") {
				k, v, _ := strings.Cut(l, "=")
				if k == "status" || k == "limit" {
					name += "{" + k + "=" + v + "}"
				}
			}
		}
		if strings.HasPrefix(name, "dittofs_rpc_calls_total") || strings.HasPrefix(name, "dittofs_rpc_call_duration") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err == nil {
			m[name] += v
		}
	}
	return m
}

// soakStatus returns the fields of /proc/PID/status that are sizes (kB)
// or counts.
func soakStatus(pid int) map[string]int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	m := map[string]int64{}
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			m[k] = n
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		m["fds"] = int64(len(ents))
	}
	return m
}

// soakNetCounters returns the TCP segments retransmitted (RetransSegs of
// /proc/net/snmp) and the packets dropped at the backlog queue (second
// column of /proc/net/softnet_stat) of this network namespace: a stall
// of well-behaved calls that lines up with them is TCP recovering a loss
// on loopback, not the server.
func soakNetCounters() [2]int64 {
	var c [2]int64
	if b, err := os.ReadFile("/proc/net/snmp"); err == nil {
		var names []string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || f[0] != "Tcp:" {
				continue
			}
			if names == nil {
				names = f
				continue
			}
			if i := slices.Index(names, "RetransSegs"); i > 0 && i < len(f) {
				c[0], _ = strconv.ParseInt(f[i], 10, 64)
			}
		}
	}
	if b, err := os.ReadFile("/proc/net/softnet_stat"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 {
				n, _ := strconv.ParseInt(f[1], 16, 64)
				c[1] += n
			}
		}
	}
	return c
}

// soakLoadavg returns the first three fields of /proc/loadavg.
func soakLoadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// soakRSS is the server's resident memory sampled every 250 ms, the
// peak for each kind of slice, and the peaks of threads and descriptors;
// with it, the server's CPU time and run-queue wait, and the gaps of a
// heartbeat in the test process, to tell a stall of the server from one
// of the whole machine.
type soakRSS struct {
	mu           sync.Mutex
	peakByKind   [16]int64 // kB
	fdsByKind    [16]int64
	peakThreads  int64
	peakFDs      int64
	peakSampled  int64
	peakSampleAt string
	series       []soakSample
	gaps         []soakGap
}

// soakSample is the server's CPU time and the time its threads waited
// for a CPU, both cumulative, at a time.
type soakSample struct {
	at          time.Time
	cpu, waited time.Duration
}

// soakGap is a heartbeat of the test process (every 10 ms) that came
// late: the clients' process was not running either.
type soakGap struct {
	at  time.Time
	gap time.Duration
}

func (r *soakRSS) sample(pid int, kind *atomic.Int32) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			st := soakStatus(pid)
			cpu, waited := soakSched(pid)
			k := kind.Load()
			r.mu.Lock()
			r.series = append(r.series, soakSample{time.Now(), cpu, waited})
			if k >= 0 {
				r.peakByKind[k] = max(r.peakByKind[k], st["VmRSS"])
				r.fdsByKind[k] = max(r.fdsByKind[k], st["fds"])
			}
			if st["VmRSS"] > r.peakSampled {
				r.peakSampled = st["VmRSS"]
				if k >= 0 {
					r.peakSampleAt = soakAttacks[k].name
				}
			}
			r.peakThreads = max(r.peakThreads, st["Threads"])
			r.peakFDs = max(r.peakFDs, st["fds"])
			r.mu.Unlock()
		}
	})
	wg.Go(func() {
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			now := time.Now()
			if gap := now.Sub(last); gap > 100*time.Millisecond {
				r.mu.Lock()
				if len(r.gaps) < 10000 {
					r.gaps = append(r.gaps, soakGap{last, gap})
				}
				r.mu.Unlock()
			}
			last = now
		}
	})
	return func() { close(done); wg.Wait() }
}

// soakSched returns the CPU time of process pid (utime + stime of
// /proc/PID/stat) and the time its threads waited on a run queue (the
// second field of /proc/PID/task/*/schedstat, summed).
func soakSched(pid int) (cpu, waited time.Duration) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(b, ')'); i >= 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				s, _ := strconv.ParseInt(f[12], 10, 64)
				cpu = time.Duration(u+s) * 10 * time.Millisecond // USER_HZ 100
			}
		}
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, task.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 1 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			waited += time.Duration(n)
		}
	}
	return cpu, waited
}

// during returns the server's CPU time and run-queue wait between the
// samples around [from, to], the span they cover, and the longest
// heartbeat gap of the test process overlapping [from, to].
func (r *soakRSS) during(from, to time.Time) (cpu, waited, span, gap time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := sort.Search(len(r.series), func(i int) bool { return r.series[i].at.After(from) }) - 1
	j := sort.Search(len(r.series), func(i int) bool { return !r.series[i].at.Before(to) })
	if i >= 0 && j < len(r.series) {
		a, b := r.series[i], r.series[j]
		cpu, waited, span = b.cpu-a.cpu, b.waited-a.waited, b.at.Sub(a.at)
	}
	for _, g := range r.gaps {
		if g.at.Before(to) && g.at.Add(g.gap).After(from) {
			gap = max(gap, g.gap)
		}
	}
	return cpu, waited, span, gap
}

// soakClient is a well-behaved NFSv3 client: its own connection from
// 127.0.0.1, its own 1 MiB file, and its latencies and errors by kind of
// slice and operation.
type soakClient struct {
	id         int
	c          *rpc.Client
	root, fh   []byte
	name       string
	fill       byte
	kind       *atomic.Int32
	lat        [][soakNumOps][]time.Duration
	errs, slow [][soakNumOps]int
	errSamples []string
	slowest    []soakSlowCall // calls over soakSlowLog
	calls      int
}

// soakSlowLog is the latency over which a well-behaved call is listed in
// the report, with its start time, to tell a server-wide stall (every
// client at once) from one slow call.
const soakSlowLog = 500 * time.Millisecond

// soakSlowCall is one call over soakSlowLog.
type soakSlowCall struct {
	start  time.Time
	took   time.Duration
	client int
	op     int
	kind   int32
}

func soakSetupClient(t *testing.T, srv *soakServer, id int, kind *atomic.Int32) *soakClient {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := rpc.Dial(ctx, "tcp", srv.tcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Cred = rootCred
	w := &soakClient{id: id, c: c, name: fmt.Sprintf("soak-%d", id), fill: byte(0x10 + id), kind: kind,
		lat:  make([][soakNumOps][]time.Duration, len(soakAttacks)),
		errs: make([][soakNumOps]int, len(soakAttacks)), slow: make([][soakNumOps]int, len(soakAttacks))}
	if w.root, err = soakMount(ctx, c); err != nil {
		t.Fatal(err)
	}
	if w.fh, err = soakCreateFile(ctx, c, w.root, w.name, soakFileSize, w.fill); err != nil {
		t.Fatalf("client %d: %v", id, err)
	}
	return w
}

// run loops over the mix of calls until ctx ends: GETATTR, LOOKUP,
// ACCESS, READ of 4 KiB and 64 KiB (checked against the file's
// contents), WRITE of 4 KiB UNSTABLE (COMMIT every 16), CREATE and
// REMOVE of a small file, READDIRPLUS of the root.
func (w *soakClient) run(ctx context.Context) {
	data := bytes.Repeat([]byte{w.fill}, 4096)
	rng := rand.New(rand.NewPCG(uint64(w.id), 1))
	for n := 1; ctx.Err() == nil; n++ {
		off := uint64(rng.IntN(soakFileSize/4096)) * 4096
		off64 := uint64(rng.IntN(soakFileSize/65536)) * 65536
		w.do(soakGetattr, procGetattr, soakFH(w.fh), nil)
		w.do(soakLookup, procLookup, soakDirop(w.root, w.name), func(d *xdr.Decoder) error {
			if fh := d.Opaque(64); !bytes.Equal(fh, w.fh) {
				return fmt.Errorf("LOOKUP returned handle %x, want %x", fh, w.fh)
			}
			return nil
		})
		w.do(soakAccess, soakProcAccess, soakFH(w.fh, 0x3f), nil)
		w.do(soakRead4K, procRead, readArgs(w.fh, off, 4096), w.checkRead(4096))
		w.do(soakRead64K, procRead, readArgs(w.fh, off64, 65536), w.checkRead(65536))
		w.do(soakWrite, soakProcWrite, soakWriteArgs(w.fh, off, soakUnstable, data), func(d *xdr.Decoder) error {
			soakSkipWcc(d)
			if got := d.Uint32(); got != 4096 {
				return fmt.Errorf("WRITE wrote %d bytes of 4096", got)
			}
			return nil
		})
		if n%16 == 0 {
			w.do(soakCommit, soakProcCommit, soakCommitArgs(w.fh), nil)
		}
		tmp := fmt.Sprintf("tmp-%d-%d", w.id, n)
		w.do(soakCreate, soakProcCreate, soakCreateArgs(w.root, tmp), nil)
		w.do(soakRemove, soakProcRemove, soakDirop(w.root, tmp), nil)
		w.do(soakReaddirplus, soakProcReaddirplus, soakReaddirplusArgs(w.root), nil)
	}
}

// checkRead checks a READ3resok of count bytes of the client's fill.
func (w *soakClient) checkRead(count int) func(d *xdr.Decoder) error {
	return func(d *xdr.Decoder) error {
		soakSkipPostOpAttr(d)
		n := d.Uint32()
		d.Bool() // eof
		data := d.Opaque(1 << 20)
		if d.Err() != nil || int(n) != count || len(data) != count {
			return fmt.Errorf("READ of %d bytes returned count %d, %d bytes (%v)", count, n, len(data), d.Err())
		}
		if i := slices.IndexFunc(data, func(b byte) bool { return b != w.fill }); i >= 0 {
			return fmt.Errorf("READ returned byte %#x at %d, want %#x", data[i], i, w.fill)
		}
		return nil
	}
}

// do makes one call, times it and counts it against the kind of slice
// it started in (none before the first slice and after the last).
func (w *soakClient) do(op int, proc uint32, args []byte, check func(d *xdr.Decoder) error) {
	k := w.kind.Load()
	ctx, cancel := context.WithTimeout(context.Background(), soakCallTimeout)
	start := time.Now()
	d, err := soakNFS3(ctx, w.c, proc, args)
	if err == nil && check != nil {
		err = check(d)
	}
	took := time.Since(start)
	cancel()
	if k < 0 {
		return
	}
	w.calls++
	w.lat[k][op] = append(w.lat[k][op], took)
	if took > soakHang {
		w.slow[k][op]++
	}
	if took > soakSlowLog && len(w.slowest) < 100 {
		w.slowest = append(w.slowest, soakSlowCall{start, took, w.id, op, k})
	}
	if err != nil {
		w.errs[k][op]++
		if len(w.errSamples) < 20 {
			w.errSamples = append(w.errSamples, fmt.Sprintf("%s during %q after %v: %v", soakOpNames[op], soakAttacks[k].name, took.Round(time.Millisecond), err))
		}
	}
}

// soakProbe is a newcomer NFSv4.0 client from 127.0.0.1 that sets up a
// client ID (SETCLIENTID, SETCLIENTID_CONFIRM) every 5 s: whether a new
// legitimate NFSv4 client can mount during each attack. Reported, not
// asserted.
type soakProbe struct {
	mu      sync.Mutex
	ok      [16]int
	failed  [16]map[string]int
	samples []string
}

func (p *soakProbe) run(ctx context.Context, srv *soakServer, kind *atomic.Int32) {
	c, err := rpc.Dial(ctx, "tcp", srv.tcp)
	if err != nil {
		p.samples = append(p.samples, err.Error())
		return
	}
	defer c.Close()
	c.Cred = rootCred
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		k := kind.Load()
		cctx, cancel := context.WithTimeout(ctx, soakCallTimeout)
		_, st, err := soakNewClient4(cctx, c, fmt.Sprintf("soak-probe-%d", n), uint64(n))
		cancel()
		if k < 0 || ctx.Err() != nil {
			continue
		}
		p.mu.Lock()
		switch {
		case err == nil && st == 0:
			p.ok[k]++
		default:
			why := fmt.Sprintf("status %d", st)
			if err != nil {
				why = err.Error()
			}
			if p.failed[k] == nil {
				p.failed[k] = map[string]int{}
			}
			p.failed[k][why]++
		}
		p.mu.Unlock()
	}
}

// soakAttacker is the hostile client's address book: the server's
// addresses, the files it attacks (created from 127.0.0.2 over NFSv3),
// and counters that keep names unique across slices.
type soakAttacker struct {
	tcp, udp       string
	bigFH, lockFH  []byte
	opensName      string
	opener         uint64 // NFSv4 client ID of soakOpens
	clients, owner atomic.Int64
}

// soakAttackStats counts what one attack did in a slice: operations sent
// (calls, connections, datagrams), refusals seen (connections closed at
// accept or by a timeout, AUTH_BADCRED, NFS4ERR_RESOURCE,
// NLM4_DENIED_NOLOCKS), bytes written, and other outcomes by name.
type soakAttackStats struct {
	ops, refused, bytes atomic.Int64
	mu                  sync.Mutex
	notes               map[string]int64
}

func (s *soakAttackStats) note(what string, n int64) {
	s.mu.Lock()
	s.notes[what] += n
	s.mu.Unlock()
}

// callErr notes a failed call, unless the slice ended.
func (s *soakAttackStats) callErr(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		s.note("call timed out", 1)
	} else {
		s.note("call failed", 1)
	}
}

func soakSetupAttacker(t *testing.T, srv *soakServer) *soakAttacker {
	a := &soakAttacker{tcp: srv.tcp, udp: srv.udp, opensName: "attack-opens"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, err := a.dial(ctx, "tcp")
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewClient(nc)
	defer c.Close()
	c.Cred = rootCred
	root, err := soakMount(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if a.bigFH, err = soakCreateFile(ctx, c, root, "attack-big", soakFileSize, 0xa5); err != nil {
		t.Fatal(err)
	}
	if _, err = soakCreateFile(ctx, c, root, a.opensName, 0, 0); err != nil {
		t.Fatal(err)
	}
	if a.lockFH, err = soakCreateFile(ctx, c, root, "attack-locks", 0, 0); err != nil {
		t.Fatal(err)
	}
	id, status, err := soakNewClient4(ctx, c, "soak-opener", 1)
	if err != nil || status != 0 {
		t.Fatalf("NFSv4 client ID of the attacker: status %d, %v", status, err)
	}
	a.opener = id
	return a
}

// dial connects to the server from the attacker's address.
func (a *soakAttacker) dial(ctx context.Context, network string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: soakAttackIP}}
	addr := a.tcp
	if network == "udp" {
		d.LocalAddr, addr = &net.UDPAddr{IP: soakAttackIP}, a.udp
	}
	return d.DialContext(ctx, network, addr)
}

// connect dials TCP from the attacker's address until it succeeds (every
// 100 ms) or ctx ends.
func (a *soakAttacker) connect(ctx context.Context, st *soakAttackStats) (net.Conn, bool) {
	for ctx.Err() == nil {
		nc, err := a.dial(ctx, "tcp")
		if err == nil {
			return nc, true
		}
		if ctx.Err() == nil {
			st.note("tcp dial failed", 1)
			soakWait(ctx, 100*time.Millisecond)
		}
	}
	return nil, false
}

// withUDP runs fn over a UDP socket from the attacker's address, whose
// writes through w count in st.
func (a *soakAttacker) withUDP(ctx context.Context, st *soakAttackStats, fn func(nc net.Conn, w io.Writer)) {
	nc, err := a.dial(ctx, "udp")
	if err != nil {
		st.note("udp dial failed", 1)
		return
	}
	defer nc.Close()
	fn(nc, soakCountConn{nc, &st.bytes})
}

// client returns an RPC client from the attacker's address, with the
// root credential, whose writes count in st.
func (a *soakAttacker) client(ctx context.Context, st *soakAttackStats) (*rpc.Client, error) {
	nc, err := a.dial(ctx, "tcp")
	if err != nil {
		return nil, err
	}
	c := rpc.NewClient(soakCountConn{nc, &st.bytes})
	c.Cred = rootCred
	return c, nil
}

// wait waits d or until ctx ends, and reports whether ctx is still on.
func soakWait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// soakUnread: waves of 10 connections that each pipeline 140 READs of
// 1 MiB and never read a byte of the replies, held up to 40 s (past the
// server's 30 s write timeout) or to the end of the slice.
func soakUnread(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	var batch []byte
	for i := range attackReads {
		batch = append(batch, record(callRecord(uint32(i+1), progNFS, 3, procRead, rootCred, readArgs(a.bigFH, 0, attackCount)))...)
	}
	for ctx.Err() == nil {
		var conns []net.Conn
		for range attackConns {
			nc, err := a.dial(ctx, "tcp")
			if err != nil {
				if ctx.Err() == nil {
					st.refused.Add(1)
					st.note("dial failed", 1)
				}
				continue
			}
			nc.(*net.TCPConn).SetReadBuffer(64 << 10)
			nc.SetWriteDeadline(time.Now().Add(soakCallTimeout))
			if _, err := (soakCountConn{nc, &st.bytes}).Write(batch); err != nil {
				st.note("batch not written", 1)
			}
			st.ops.Add(attackReads)
			conns = append(conns, nc)
		}
		st.note("waves", 1)
		soakWait(ctx, 40*time.Second)
		for _, nc := range conns {
			nc.Close()
		}
	}
}

// soakLogFlood: malformed calls over UDP and TCP as fast as two senders
// go (every kind of TestLogFlood), and records that are neither call nor
// reply, each of which closes its TCP connection.
func soakLogFlood(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	big := rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: make([]byte, 404)}
	wrongVers := callRecord(0, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)
	wrongVers[11] = 3 // rpcvers
	kinds := [][]byte{
		callRecord(0, progNFS, 3, procNull, rpc.OpaqueAuth{}, nil)[:16], // header cut short
		callRecord(0, progNFS, 3, procNull, big, nil),                   // credential over 400 bytes
		wrongVers, // RPC_MISMATCH
		callRecord(0, progNFS, 3, procNull, rpc.OpaqueAuth{Flavor: 390004}, nil),                      // unknown flavor
		callRecord(0, progNFS, 3, procNull, rpc.EncodeAuthSys(1, "m", 0, 0, make([]uint32, 17)), nil), // bad AUTH_SYS
		withVerifier(0, rootCred, rpc.AUTH_NONE, make([]byte, 404), nil),                              // verifier over 400 bytes
	}
	var tcpBatch []byte
	for range 16 {
		for _, k := range kinds {
			tcpBatch = append(tcpBatch, record(k)...)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { // UDP
		a.withUDP(ctx, st, func(nc net.Conn, w io.Writer) {
			for ctx.Err() == nil {
				for _, k := range kinds {
					w.Write(k)
				}
				w.Write([]byte{1, 2, 3, 4, 0, 0, 0, 1, 5, 6}) // a reply, to a server
				st.ops.Add(int64(len(kinds) + 1))
			}
		})
	})
	wg.Go(func() { // TCP, replies drained
		for ctx.Err() == nil {
			nc, ok := a.connect(ctx, st)
			if !ok {
				break
			}
			go io.Copy(io.Discard, nc)
			w := soakCountConn{nc, &st.bytes}
			for ctx.Err() == nil {
				nc.SetWriteDeadline(time.Now().Add(soakCallTimeout))
				if _, err := w.Write(tcpBatch); err != nil {
					st.note("tcp connection lost", 1)
					break
				}
				st.ops.Add(int64(16 * len(kinds)))
			}
			nc.Close()
		}
	})
	wg.Go(func() { // records neither call nor reply
		for i := 0; ctx.Err() == nil; i++ {
			nc, ok := a.connect(ctx, st)
			if !ok {
				break
			}
			(soakCountConn{nc, &st.bytes}).Write(record([]byte{0, 0, 0, byte(i), 0, 0, 0, 7}))
			st.ops.Add(1)
			if waitClosed(nc, time.Second) {
				st.note("closed for a record neither call nor reply", 1)
			}
			nc.Close()
		}
	})
	wg.Wait()
}

// soakEmptyFragments: 48 connections (under the 64 of one address) that
// send a zero-length, non-last fragment every 10 ms and never finish the
// record; each one the server closes (record timeout, 30 s) is opened
// again.
func soakEmptyFragments(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	var wg sync.WaitGroup
	for range 48 {
		wg.Go(func() {
			for ctx.Err() == nil {
				nc, ok := a.connect(ctx, st)
				if !ok {
					break
				}
				st.ops.Add(1)
				w := soakCountConn{nc, &st.bytes}
				for {
					nc.SetWriteDeadline(time.Now().Add(soakCallTimeout))
					if _, err := w.Write([]byte{0, 0, 0, 0}); err != nil {
						st.refused.Add(1)
						st.note("closed by the server", 1)
						break
					}
					if !soakWait(ctx, 10*time.Millisecond) {
						break
					}
				}
				nc.Close()
			}
		})
	}
	wg.Wait()
}

// soakConnFlood: connections from the attacker's address until refused,
// held; it keeps trying (every 50 ms once refused) to the end of the
// slice, then checks that the connections it holds are still served.
func soakConnFlood(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	var held []net.Conn
	defer func() {
		for _, nc := range held {
			nc.Close()
		}
	}()
	for i := uint32(1); ctx.Err() == nil; i++ {
		nc, err := a.dial(ctx, "tcp")
		if err != nil {
			if ctx.Err() == nil {
				st.note("dial failed", 1)
				soakWait(ctx, 50*time.Millisecond)
			}
			continue
		}
		st.bytes.Add(44)
		if nullOn(nc, i) {
			st.ops.Add(1)
			held = append(held, nc)
			continue
		}
		nc.Close()
		if ctx.Err() == nil {
			st.refused.Add(1)
			soakWait(ctx, 50*time.Millisecond)
		}
	}
	served := 0
	for i, nc := range held {
		if nullOn(nc, uint32(1<<30+i)) {
			served++
		}
	}
	st.note("held", int64(len(held)))
	st.note("held and still served at the end", int64(served))
}

// soakBigCreds: calls whose AUTH_SYS credential is 404 bytes (over
// MAX_AUTH_BYTES), pipelined 32 at a time over TCP, and over UDP; each
// must be refused AUTH_BADCRED.
func soakBigCreds(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	oversized := append(bytes.Clone(rootCred.Body), make([]byte, 404-len(rootCred.Body))...)
	cred := rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: oversized}
	check := func(rep []byte) {
		if r := decodeReply(rep); r.denied && r.stat == uint32(rpc.AUTH_BADCRED) {
			st.refused.Add(1)
		} else {
			st.note(fmt.Sprintf("unexpected reply %+v", r), 1)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			nc, ok := a.connect(ctx, st)
			if !ok {
				break
			}
			w := soakCountConn{nc, &st.bytes}
			for xid := uint32(0); ctx.Err() == nil; {
				var batch []byte
				for range 32 {
					xid++
					batch = append(batch, record(callRecord(xid, progNFS, 3, procGetattr, cred, soakFH(a.bigFH)))...)
				}
				nc.SetDeadline(time.Now().Add(soakCallTimeout))
				if _, err := w.Write(batch); err != nil {
					break
				}
				st.ops.Add(32)
				var err error
				for range 32 {
					var rep []byte
					if rep, err = readRecord(nc); err != nil {
						break
					}
					check(rep)
				}
				if err != nil {
					if ctx.Err() == nil {
						st.note("tcp reply not read: "+err.Error(), 1)
					}
					break
				}
			}
			nc.Close()
		}
	})
	wg.Go(func() {
		a.withUDP(ctx, st, func(nc net.Conn, w io.Writer) {
			buf := make([]byte, 1<<16)
			for xid := uint32(1 << 31); ctx.Err() == nil; xid++ {
				w.Write(callRecord(xid, progNFS, 3, procGetattr, cred, soakFH(a.bigFH)))
				st.ops.Add(1)
				nc.SetReadDeadline(time.Now().Add(time.Second))
				n, err := nc.Read(buf)
				if err != nil {
					st.note("udp reply lost", 1)
					continue
				}
				check(buf[:n])
			}
		})
	})
	wg.Wait()
}

// flood runs call soakWorkers at a time, over one connection from the
// attacker's address, until ctx ends; setup, when not nil, runs first on
// that connection and may call the attack off.
func (a *soakAttacker) flood(ctx context.Context, st *soakAttackStats, setup func(c *rpc.Client) bool, call func(c *rpc.Client)) {
	c, err := a.client(ctx, st)
	if err != nil {
		st.note("dial failed", 1)
		return
	}
	defer c.Close()
	if setup != nil && !setup(c) {
		return
	}
	var wg sync.WaitGroup
	for range soakWorkers {
		wg.Go(func() {
			for ctx.Err() == nil {
				call(c)
			}
		})
	}
	wg.Wait()
}

// soakClientFlood: SETCLIENTID and SETCLIENTID_CONFIRM with a new client
// name each time, soakWorkers at once over one connection.
func soakClientFlood(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	a.flood(ctx, st, nil, func(c *rpc.Client) {
		n := a.clients.Add(1)
		cctx, cancel := context.WithTimeout(ctx, soakCallTimeout)
		_, status, err := soakNewClient4(cctx, c, fmt.Sprintf("soak-flood-%d", n), uint64(n))
		cancel()
		st.ops.Add(1)
		switch {
		case err != nil:
			st.callErr(ctx, err)
		case status == 10018: // NFS4ERR_RESOURCE
			st.refused.Add(1)
		case status != 0:
			st.note(fmt.Sprintf("nfsstat4 %d", status), 1)
		default:
			st.note("clients confirmed", 1)
		}
	})
}

// soakOpens: OPENs of one file by a new open-owner each (PUTROOTFH,
// LOOKUP, OPEN CLAIM_NULL for READ, deny NONE), each confirmed with
// OPEN_CONFIRM when the server asks, by one client ID set up before the
// first slice (so that the client-table flood does not keep it out) and
// renewed every 20 s while it opens.
func soakOpens(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	id := a.opener
	component := strings.TrimPrefix(exportPath, "/")
	var fh []byte
	var renewed atomic.Int64 // time of the last RENEW, Unix ns
	renew := func(c *rpc.Client) {
		cctx, cancel := context.WithTimeout(ctx, soakCallTimeout)
		defer cancel()
		if res, err := soakCompound(cctx, c, soakRenew(id)); ctx.Err() == nil && (err != nil || !soakRenewed(res.status)) {
			st.note(fmt.Sprintf("RENEW: status %d, %v", res.status, err), 1)
		}
	}
	setup := func(c *rpc.Client) bool {
		renew(c)
		renewed.Store(time.Now().UnixNano())
		cctx, cancel := context.WithTimeout(ctx, soakCallTimeout)
		defer cancel()
		res, err := soakCompound(cctx, c, soakPutrootfh(), soakLookup4(component), soakLookup4(a.opensName), soakGetfh())
		if err != nil || res.status != 0 {
			st.note(fmt.Sprintf("no file handle: status %d at op %d, %v", res.status, res.failedOp, err), 1)
			return false
		}
		fh = res.fh
		return true
	}
	a.flood(ctx, st, setup, func(c *rpc.Client) {
		if last := renewed.Load(); time.Since(time.Unix(0, last)) > 20*time.Second && renewed.CompareAndSwap(last, time.Now().UnixNano()) {
			renew(c)
		}
		owner := fmt.Sprintf("soak-owner-%d", a.owner.Add(1))
		cctx, cancel := context.WithTimeout(ctx, soakCallTimeout)
		defer cancel()
		res, err := soakCompound(cctx, c, soakPutrootfh(), soakLookup4(component), soakOpen4(id, owner, a.opensName))
		st.ops.Add(1)
		switch {
		case err != nil:
			st.callErr(ctx, err)
		case res.status == 10018: // NFS4ERR_RESOURCE
			st.refused.Add(1)
		case res.status != 0:
			st.note(fmt.Sprintf("OPEN: nfsstat4 %d at op %d", res.status, res.failedOp), 1)
		case res.rflags&soakOpen4ResultConfirm != 0:
			cres, err := soakCompound(cctx, c, soakPutfh(fh), soakOpenConfirm(res.stateid, 1))
			switch {
			case err != nil:
				st.callErr(ctx, err)
			case cres.status != 0:
				st.note(fmt.Sprintf("OPEN_CONFIRM: nfsstat4 %d", cres.status), 1)
			default:
				st.note("opens confirmed", 1)
			}
		default:
			st.note("opens (no confirm asked)", 1)
		}
	})
}

// soakRenewed reports whether RENEW renewed the lease: NFS4_OK, or
// NFS4ERR_CB_PATH_DOWN (RFC 7530 §16.30.4: the lease is renewed; the
// attacker announces no callback address).
func soakRenewed(status uint32) bool { return status == 0 || status == 10048 }

// soakLocks: NLM LOCKs (non-blocking, shared, byte 0) of one file by a
// new owner each.
func soakLocks(ctx context.Context, a *soakAttacker, st *soakAttackStats) {
	a.flood(ctx, st, nil, func(c *rpc.Client) {
		n := a.owner.Add(1)
		cctx, cancel := context.WithTimeout(ctx, soakCallTimeout)
		var res raw
		err := c.Call(cctx, soakProgNLM, 4, soakProcLock, raw(soakLockArgs(uint64(n), "soak-attacker", a.lockFH, fmt.Sprintf("soak-oh-%d", n), int32(n))), &res)
		cancel()
		st.ops.Add(1)
		if err != nil {
			st.callErr(ctx, err)
			return
		}
		d := xdr.NewDecoder(res)
		d.Opaque(1024) // cookie
		stat := d.Uint32()
		switch {
		case d.Err() != nil:
			st.note("undecodable reply", 1)
		case stat == 2: // NLM4_DENIED_NOLOCKS
			st.refused.Add(1)
		case int(stat) < len(soakNLMStats):
			st.note(soakNLMStats[stat], 1)
		default:
			st.note(fmt.Sprintf("nlm4_stats %d", stat), 1)
		}
	})
}

// soakResult sums the slices of one attack.
type soakResult struct {
	ops, refused, bytes, logLines int64
	retrans, drops                int64 // soakNetCounters over the slices
	slices                        int
	notes                         map[string]int64
	metrics                       map[string]float64 // counter deltas, gauge values at the end
}

func (r *soakResult) add(st *soakAttackStats, before, after map[string]float64, logLines int64) {
	r.slices++
	r.ops += st.ops.Load()
	r.refused += st.refused.Load()
	r.bytes += st.bytes.Load()
	r.logLines += logLines
	if r.notes == nil {
		r.notes, r.metrics = map[string]int64{}, map[string]float64{}
	}
	for k, v := range st.notes {
		r.notes[k] += v
	}
	for k, v := range after {
		if strings.Contains(k, "_total") {
			r.metrics[k] += v - before[k]
		} else {
			r.metrics[k] = v
		}
	}
}

// soakQuantiles returns the p50, p99 and max of ds.
func soakQuantiles(ds []time.Duration) (p50, p99, top time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return at(0.50), at(0.99), s[len(s)-1]
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func soakMs(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// soakMakeReport formats the run as markdown.
func soakMakeReport(clients []*soakClient, results []soakResult, rss *soakRSS, status map[string]int64,
	probe *soakProbe, srv *soakServer, load0, load1 string, slice time.Duration, t0 time.Time, final map[string]float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Soak of %v: %d well-behaved clients, %d rounds of %d slices of %v. Load average %s at the start, %s at the end.\n\n",
		*soakDuration, len(clients), *soakRounds, len(soakAttacks), slice.Round(time.Millisecond), load0, load1)

	b.WriteString("Well-behaved clients, by operation (all slices):\n\n| operation | calls | p50 ms | p99 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|\n")
	var all []time.Duration
	totalErrs := 0
	for op := range soakNumOps {
		var ds []time.Duration
		errs := 0
		for _, c := range clients {
			for k := range c.lat {
				ds = append(ds, c.lat[k][op]...)
				errs += c.errs[k][op]
			}
		}
		all = append(all, ds...)
		totalErrs += errs
		p50, p99, top := soakQuantiles(ds)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d |\n", soakOpNames[op], len(ds), soakMs(p50), soakMs(p99), soakMs(top), errs)
	}
	p50, p99, top := soakQuantiles(all)
	fmt.Fprintf(&b, "| **all** | %d | %s | %s | %s | %d |\n\n", len(all), soakMs(p50), soakMs(p99), soakMs(top), totalErrs)

	b.WriteString("By slice (well-behaved calls of all operations while each attack ran; server RSS sampled every second):\n\n" +
		"| attack | well-behaved calls/s | p50 ms | p99 ms | max ms | errors | attack ops | refusals seen | attack MiB sent | server log lines | peak RSS MiB | peak fds | TCP retransmits, backlog drops |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for k, a := range soakAttacks {
		var ds []time.Duration
		errs := 0
		for _, c := range clients {
			for op := range soakNumOps {
				ds = append(ds, c.lat[k][op]...)
				errs += c.errs[k][op]
			}
		}
		r := results[k]
		secs := float64(r.slices) * slice.Seconds()
		p50, p99, top := soakQuantiles(ds)
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %d | %d | %d | %.1f | %d | %d | %d | %d, %d |\n", a.name, float64(len(ds))/secs,
			soakMs(p50), soakMs(p99), soakMs(top), errs, r.ops, r.refused, float64(r.bytes)/(1<<20), r.logLines, rss.peakByKind[k]>>10, rss.fdsByKind[k], r.retrans, r.drops)
	}

	b.WriteString("\nWhat each attack met (attacker's outcomes; server counters, deltas over the attack's slices; locks and opens held, heap and goroutines at the end of its last slice):\n\n")
	for k, a := range soakAttacks[1:] {
		r := results[k+1]
		fmt.Fprintf(&b, "- **%s**: ", a.name)
		var parts []string
		for _, n := range slices.Sorted(maps.Keys(r.notes)) {
			parts = append(parts, fmt.Sprintf("%s %d", n, r.notes[n]))
		}
		for _, n := range slices.Sorted(maps.Keys(r.metrics)) {
			if v := r.metrics[n]; v != 0 && (strings.Contains(n, "_total") || n == "dittofs_locking_held") {
				parts = append(parts, fmt.Sprintf("%s %.0f", strings.TrimPrefix(n, "dittofs_"), v))
			}
		}
		parts = append(parts, fmt.Sprintf("at the end: heap in use %.0f MiB, %.0f goroutines",
			r.metrics["go_memstats_heap_inuse_bytes"]/(1<<20), r.metrics["go_goroutines"]))
		b.WriteString(strings.Join(parts, "; ") + "\n")
	}

	var slow []soakSlowCall
	for _, c := range clients {
		slow = append(slow, c.slowest...)
	}
	slices.SortFunc(slow, func(a, b soakSlowCall) int { return a.start.Compare(b.start) })
	fmt.Fprintf(&b, "\nStalls: well-behaved calls over %v, grouped where they overlap (start relative to the first slice; the server's CPU time and run-queue wait, summed over its threads, between the samples around the stall; the longest late heartbeat of the test process, which runs the clients):\n\n", soakSlowLog)
	for i := 0; i < len(slow); {
		from, to := slow[i].start, slow[i].start.Add(slow[i].took)
		who := map[int]bool{}
		ops := map[string]bool{}
		j := i
		for ; j < len(slow) && !slow[j].start.After(to); j++ {
			to = later(to, slow[j].start.Add(slow[j].took))
			who[slow[j].client] = true
			ops[soakOpNames[slow[j].op]] = true
		}
		cpu, waited, span, gap := rss.during(from, to)
		fmt.Fprintf(&b, "- %.2f s, %.0f ms, during %q: %d clients (%s); server CPU %d ms and run-queue wait %d ms in %d ms; test-process heartbeat late by up to %d ms\n",
			from.Sub(t0).Seconds(), float64(to.Sub(from))/float64(time.Millisecond), soakAttacks[slow[i].kind].name, len(who),
			strings.Join(slices.Sorted(maps.Keys(ops)), ", "), cpu.Milliseconds(), waited.Milliseconds(), span.Milliseconds(), gap.Milliseconds())
		i = j
	}

	b.WriteString("\nNewcomer NFSv4.0 client (SETCLIENTID + CONFIRM from 127.0.0.1 every 5 s), by slice: ")
	var parts []string
	for k, a := range soakAttacks {
		s := fmt.Sprintf("%s: %d ok", a.name, probe.ok[k])
		for why, n := range probe.failed[k] {
			s += fmt.Sprintf(", %d failed (%s)", n, why)
		}
		parts = append(parts, s)
	}
	b.WriteString(strings.Join(parts, "; ") + "\n")

	srv.mu.Lock()
	msgs := maps.Clone(srv.logMsgs)
	srv.mu.Unlock()
	var sent int64
	for _, r := range results {
		sent += r.bytes
	}
	fmt.Fprintf(&b, "\nServer log: %d lines, %d bytes for %d bytes sent by the attacker (%.5f log bytes per attack byte). Lines by message:",
		srv.logLines.Load(), srv.logBytes.Load(), sent, float64(srv.logBytes.Load())/float64(max(sent, 1)))
	for _, m := range slices.Sorted(maps.Keys(msgs)) {
		fmt.Fprintf(&b, " %q %d;", m, msgs[m])
	}
	fmt.Fprintf(&b, "\n\nServer memory: peak RSS (VmHWM) %d MiB, RSS at the end %d MiB (bound %d MiB); highest sampled RSS %d MiB during %q; peak threads %d, peak open descriptors %d; heap in use at the end %.0f MiB; longest GC pause %.1f ms.\n",
		status["VmHWM"]>>10, status["VmRSS"]>>10, *soakMaxRSS, rss.peakSampled>>10, rss.peakSampleAt, rss.peakThreads, rss.peakFDs,
		final["go_memstats_heap_inuse_bytes"]/(1<<20), final[`go_gc_duration_seconds{quantile="1"}`]*1000)
	return b.String()
}

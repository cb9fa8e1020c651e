// Package bench measures whole NFS servers: the workloads of
// cmd/nfsbench run through the Linux kernel client in the QEMU guest of
// package vm, against examples/fullserver and against NFS-Ganesha in the
// same invocation, with each server's CPU time read around every workload.
// An in-process load generator (BenchmarkLoad) drives our NFSv3 server over
// loopback without the guest.
//
// The VM benchmark runs only with the bench build tag:
//
//	go test -tags bench -count=1 -timeout 60m -run TestNFSBench -v ./test/bench/
//
// This file holds the host-side pieces: parsing nfsbench's report, the
// marker listener that samples a server's CPU time at workload boundaries,
// and the results table.
package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is one workload's line of nfsbench's report.
type Result struct {
	// Name is the workload: seqwrite, seqread, randread, randwrite,
	// directwrite, create, stat, remove, smallwrite, smallread.
	Name string
	// Ops is the number of operations (I/O calls or files) done.
	Ops int
	// Bytes is the data moved.
	Bytes int64
	// Secs is the wall time in the guest.
	Secs float64
	// P50us and P99us are the median and 99th percentile latency of one
	// call in microseconds, for the workloads that time each call (the
	// random-I/O ones); 0 for the others.
	P50us, P99us float64
}

// Rate returns the workload's figure of merit: MiB/s for the sequential
// workloads, operations per second for the others.
func (r Result) Rate() float64 {
	if r.Secs <= 0 {
		return 0
	}
	if r.Name == "seqwrite" || r.Name == "seqread" {
		return float64(r.Bytes) / (1 << 20) / r.Secs
	}
	return float64(r.Ops) / r.Secs
}

// Unit returns the unit of Rate.
func (r Result) Unit() string {
	if r.Name == "seqwrite" || r.Name == "seqread" {
		return "MiB/s"
	}
	return "ops/s"
}

// maxResults bounds the lines ParseResults accepts.
const maxResults = 64

// ParseResults reads the RESULT lines of nfsbench's output, ignoring every
// other line. A malformed RESULT line is an error.
func ParseResults(out string) ([]Result, error) {
	var rs []Result
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "RESULT" {
			continue
		}
		if len(f) != 5 && len(f) != 7 {
			return nil, fmt.Errorf("bench: malformed result line %q", line)
		}
		r := Result{Name: f[1]}
		var err error
		seen := map[string]bool{}
		for _, kv := range f[2:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("bench: malformed field %q", kv)
			}
			switch k {
			case "ops":
				r.Ops, err = strconv.Atoi(v)
			case "bytes":
				r.Bytes, err = strconv.ParseInt(v, 10, 64)
			case "secs":
				r.Secs, err = strconv.ParseFloat(v, 64)
			case "p50_us":
				r.P50us, err = strconv.ParseFloat(v, 64)
			case "p99_us":
				r.P99us, err = strconv.ParseFloat(v, 64)
			default:
				err = fmt.Errorf("unknown field %q", k)
			}
			if err == nil && seen[k] {
				err = fmt.Errorf("field %q twice", k)
			}
			seen[k] = true
			if err != nil {
				return nil, fmt.Errorf("bench: result line %q: %w", line, err)
			}
		}
		if !seen["ops"] || !seen["bytes"] || !seen["secs"] || seen["p50_us"] != seen["p99_us"] {
			return nil, fmt.Errorf("bench: result line %q lacks a field", line)
		}
		if r.Ops < 0 || r.Bytes < 0 || !(r.Secs >= 0) || !(r.P50us >= 0) || !(r.P99us >= 0) {
			return nil, fmt.Errorf("bench: negative figure in %q", line)
		}
		if len(rs) == maxResults {
			return nil, errors.New("bench: too many result lines")
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// clockTick is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// CPUTime returns the user plus system CPU time process pid has used, from
// /proc/PID/stat (proc(5): fields 14 utime and 15 stime), with a
// resolution of 10 ms.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(string(b))
}

// parseStat extracts utime+stime from the text of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so the fields are
// counted from the last ')'.
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bench: malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("bench: short /proc stat")
	}
	u, err1 := strconv.ParseUint(f[11], 10, 63)
	st, err2 := strconv.ParseUint(f[12], 10, 63)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("bench: /proc stat: %w", err)
	}
	if u > 1<<36 || st > 1<<36 { // over 21 years of CPU: no real process
		return 0, errors.New("bench: implausible /proc stat times")
	}
	return time.Duration(u+st) * clockTick, nil
}

// ChildPID returns the only child of process pid, from
// /proc/PID/task/PID/children.
func ChildPID(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		return 0, fmt.Errorf("bench: process %d has %d children, want 1", pid, len(f))
	}
	return strconv.Atoi(f[0])
}

// Marker serves nfsbench's -marker protocol ("begin NAME" and "end NAME",
// each answered with "ok") and records the CPU time CPU reports between
// each workload's begin and end.
type Marker struct {
	// CPU returns the server's CPU time so far; CPUTime of its pid.
	CPU func() (time.Duration, error)

	mu    sync.Mutex
	spent map[string]time.Duration
	err   error
}

// maxMarkerLine bounds one marker line.
const maxMarkerLine = 256

// Serve accepts connections on l until it is closed.
func (m *Marker) Serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go m.serveConn(c)
	}
}

func (m *Marker) serveConn(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(io.LimitReader(c, 1<<20), maxMarkerLine)
	begun := map[string]time.Duration{}
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		word, name, ok := strings.Cut(strings.TrimSpace(string(line)), " ")
		if !ok || (word != "begin" && word != "end") {
			m.fail(fmt.Errorf("bench: bad marker line %q", line))
			return
		}
		now, err := m.CPU()
		if err != nil {
			m.fail(err)
			return
		}
		switch word {
		case "begin":
			begun[name] = now
		case "end":
			start, ok := begun[name]
			if !ok {
				m.fail(fmt.Errorf("bench: end of %q before its begin", name))
				return
			}
			m.mu.Lock()
			if m.spent == nil {
				m.spent = map[string]time.Duration{}
			}
			m.spent[name] += now - start
			m.mu.Unlock()
		}
		if _, err := io.WriteString(c, "ok\n"); err != nil {
			return
		}
	}
}

func (m *Marker) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil {
		m.err = err
	}
}

// Spent returns the CPU time recorded per workload, and the first protocol
// or /proc error.
func (m *Marker) Spent() (map[string]time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]time.Duration, len(m.spent))
	for k, v := range m.spent {
		out[k] = v
	}
	return out, m.err
}

// ListenInNetns listens on 127.0.0.1:0 inside the network namespace at path
// (/proc/PID/ns/net), so that a guest started in that namespace can reach
// it. It needs CAP_SYS_ADMIN. The socket stays in that namespace; the OS
// thread used to create it goes back to its own (see inNetns).
func ListenInNetns(path string) (net.Listener, error) {
	return inNetns(path, func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") })
}

// Row is one workload of the results table, medians over the rounds.
type Row struct {
	// Workload names the row (a Result name).
	Workload string
	// Unit is the unit of Ours and Ref.
	Unit string
	// Ours and Ref are the rates of our server and the reference.
	Ours, Ref float64
	// OursCPU and RefCPU are the servers' CPU seconds during the workload.
	OursCPU, RefCPU float64
	// OursP50, RefP50, OursP99 and RefP99 are the call latencies in
	// milliseconds, 0 where the workload does not time its calls.
	OursP50, RefP50, OursP99, RefP99 float64
	// Ops is the operation count (the same for both servers).
	Ops int
}

// Median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Markdown renders rows as a Markdown table: rates, their ratio (higher is
// better for us), CPU seconds and their ratio (lower is better for us),
// and each server's p50 / p99 call latency where measured.
func Markdown(oursName, refName string, rows []Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| workload | unit | %s | %s | ratio | %s CPU s | %s CPU s | CPU ratio | %s p50 / p99 ms | %s p50 / p99 ms |\n",
		oursName, refName, oursName, refName, oursName, refName)
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s (%d) | %s | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %s | %s |\n",
			r.Workload, r.Ops, r.Unit, r.Ours, r.Ref, ratio(r.Ours, r.Ref), r.OursCPU, r.RefCPU, ratio(r.OursCPU, r.RefCPU),
			latency(r.OursP50, r.OursP99), latency(r.RefP50, r.RefP99))
	}
	return b.String()
}

// latency renders a p50 / p99 pair in milliseconds, or "–" for none.
func latency(p50, p99 float64) string {
	if p99 == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f / %.2f", p50, p99)
}

package main

import (
	"fmt"
	"strings"
	"time"
)

// resultLine renders one result as a line of key=value fields.
func resultLine(server, store, vers string, depth int, r result) string {
	cpu := "cpu_s=-"
	if r.cpu >= 0 {
		cpu = fmt.Sprintf("cpu_s=%.2f cpu_s/GiB=%.2f cpu_s/kop=%.3f", r.cpu.Seconds(), r.cpuPerGiB(), r.cpuPerKop())
	}
	return fmt.Sprintf("RESULT server=%s store=%s vers=%s depth=%d workload=%s ops=%d secs=%.3f ops/s=%.1f MiB/s=%.1f p50_us=%d p99_us=%d %s",
		server, store, vers, depth, r.workload, r.ops, r.elapsed.Seconds(), r.opsPerSec(), r.mibPerSec(),
		r.p50.Microseconds(), r.p99.Microseconds(), cpu)
}

// cell names a (version, store, depth, workload) whose results are
// compared across servers.
type cell struct {
	vers, store string
	depth       int
	workload    string
}

// summary is the results of one server in one cell over the rounds.
type summary struct {
	rates       []float64
	p50, p99    []time.Duration
	ops, bytes  int64
	cpu         time.Duration
	cpuMeasured bool
}

func (s *summary) add(r result) {
	s.rates = append(s.rates, r.rate())
	s.p50 = append(s.p50, r.p50)
	s.p99 = append(s.p99, r.p99)
	s.ops += r.ops
	s.bytes += r.bytes
	if r.cpu >= 0 {
		s.cpu += r.cpu
		s.cpuMeasured = true
	}
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var t float64
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

func meanDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t / time.Duration(len(ds))
}

// cpuFigure returns the server's CPU efficiency in the cell's unit: CPU
// seconds per GiB for the workloads that move data in bulk, per 1,000
// operations for the others, over all rounds together.
func (s *summary) cpuFigure(workload string) float64 {
	if !s.cpuMeasured {
		return 0
	}
	if cpuPerGiBWorkload(workload) {
		if s.bytes == 0 {
			return 0
		}
		return s.cpu.Seconds() / (float64(s.bytes) / (1 << 30))
	}
	if s.ops == 0 {
		return 0
	}
	return s.cpu.Seconds() / (float64(s.ops) / 1000)
}

// cpuPerGiBWorkload reports whether a workload's CPU is given per GiB
// (the sequential ones) rather than per 1,000 operations.
func cpuPerGiBWorkload(w string) bool { return sequential(w) }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// markdown renders, per version and store, a table of the two servers'
// means over the rounds: rate and its ratio (above 1: DittoFS faster),
// latency, and CPU per unit of work and its ratio (below 1: DittoFS
// cheaper).
func markdown(ours, ref string, order []cell, res map[cell]map[string]*summary, rounds int) string {
	var b strings.Builder
	last := ""
	for _, c := range order {
		if key := c.vers + "/" + c.store; key != last {
			last = key
			storeDesc := map[string]string{
				"memory": "DittoFS memory stores, Ganesha FSAL_VFS on tmpfs",
				"disk":   "DittoFS badger + localfs, Ganesha FSAL_VFS, both on the same disk",
			}[c.store]
			fmt.Fprintf(&b, "\nNFSv%s, %s (means of %d rounds):\n\n", c.vers, storeDesc, rounds)
			fmt.Fprintf(&b, "| workload | depth | unit | %s | %s | ratio | p50 µs %s / %s | p99 µs %s / %s | CPU unit | %s CPU | %s CPU | CPU ratio |\n",
				ours, ref, ours, ref, ours, ref, ours, ref)
			b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n")
		}
		o, r := res[c][ours], res[c][ref]
		if o == nil || r == nil {
			continue
		}
		unit, cpuUnit := "ops/s", "s/kop"
		if sequential(c.workload) {
			unit = "MiB/s"
		}
		if cpuPerGiBWorkload(c.workload) {
			cpuUnit = "s/GiB"
		}
		oc, rc := o.cpuFigure(c.workload), r.cpuFigure(c.workload)
		fmt.Fprintf(&b, "| %s | %d | %s | %.1f | %.1f | %s | %d / %d | %d / %d | %s | %.3f | %.3f | %s |\n",
			c.workload, c.depth, unit, mean(o.rates), mean(r.rates), ratio(mean(o.rates), mean(r.rates)),
			meanDur(o.p50).Microseconds(), meanDur(r.p50).Microseconds(),
			meanDur(o.p99).Microseconds(), meanDur(r.p99).Microseconds(),
			cpuUnit, oc, rc, ratio(oc, rc))
	}
	return b.String()
}

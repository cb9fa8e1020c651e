package main

import (
	"strconv"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/rpc"
	"github.com/prometheus/client_golang/prometheus"
)

// programNames labels the RPC programs the server knows; any other
// program number is labelled "other" so that hostile calls cannot grow the
// metrics without bound.
var programNames = map[uint32]string{
	100000: "portmap",
	100003: "nfs",
	100005: "mount",
	100021: "nlm",
	100024: "nsm",
}

// maxProcLabel bounds the procedure label: larger numbers are "other".
const maxProcLabel = 64

// rpcMetrics exports rpc.Server observations to Prometheus.
type rpcMetrics struct {
	calls    *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	conns    prometheus.Gauge
}

func newRPCMetrics(reg prometheus.Registerer, server string) *rpcMetrics {
	labels := prometheus.Labels{"server": server}
	m := &rpcMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_rpc_calls_total", Help: "RPC calls answered, by program, version and procedure.", ConstLabels: labels,
		}, []string{"program", "version", "procedure"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_rpc_errors_total", Help: "RPC calls that failed at the RPC level (accept or auth status) or were dropped.", ConstLabels: labels,
		}, []string{"program", "version", "procedure", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dittofs_rpc_call_duration_seconds", Help: "Time from receiving an RPC call to sending its reply.", ConstLabels: labels,
			Buckets: prometheus.ExponentialBuckets(25e-6, 4, 10),
		}, []string{"program", "version", "procedure"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dittofs_rpc_connections", Help: "Open RPC connections.", ConstLabels: labels,
		}),
	}
	reg.MustRegister(m.calls, m.errors, m.duration, m.conns)
	return m
}

func callLabels(s rpc.CallStat) (prog, vers, proc string) {
	prog, ok := programNames[s.Prog]
	if !ok {
		return "other", "other", "other"
	}
	vers = "other"
	if s.Vers < 8 {
		vers = strconv.Itoa(int(s.Vers))
	}
	proc = "other"
	if s.Proc < maxProcLabel {
		proc = strconv.Itoa(int(s.Proc))
	}
	return prog, vers, proc
}

// CallDone implements rpc.Metrics.
func (m *rpcMetrics) CallDone(s rpc.CallStat) {
	prog, vers, proc := callLabels(s)
	m.calls.WithLabelValues(prog, vers, proc).Inc()
	m.duration.WithLabelValues(prog, vers, proc).Observe(s.Duration.Seconds())
	switch {
	case s.Dropped:
		m.errors.WithLabelValues(prog, vers, proc, "dropped").Inc()
	case s.Auth != rpc.AUTH_OK:
		m.errors.WithLabelValues(prog, vers, proc, s.Auth.String()).Inc()
	case s.Accept != rpc.SUCCESS:
		m.errors.WithLabelValues(prog, vers, proc, s.Accept.String()).Inc()
	}
}

// ConnChange implements rpc.Metrics.
func (m *rpcMetrics) ConnChange(delta int) { m.conns.Add(float64(delta)) }

// registerLockMetrics exports the lock manager's figures: the requests
// its bounds refused, by bound, and what it holds.
func registerLockMetrics(reg prometheus.Registerer, m *locking.Manager) {
	for _, l := range []locking.Limit{locking.LimitManager, locking.LimitFile, locking.LimitClient, locking.LimitWaiters} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "dittofs_locking_refused_total", Help: "Lock, share and wait requests refused by a bound of the lock manager, by bound.",
			ConstLabels: prometheus.Labels{"limit": l.String()},
		}, func() float64 { return float64(m.Stats().LimitHits[l]) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dittofs_locking_held", Help: "Byte-range locks and share reservations held.",
	}, func() float64 { s := m.Stats(); return float64(s.Locks + s.Shares) }))
}

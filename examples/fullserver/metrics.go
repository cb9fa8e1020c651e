package main

import (
	"strconv"
	"time"

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
	if names := procNames[[2]uint32{s.Prog, s.Vers}]; int(s.Proc) < len(names) {
		proc = names[s.Proc]
	} else if s.Proc < maxProcLabel {
		proc = strconv.Itoa(int(s.Proc))
	}
	return prog, vers, proc
}

// procNames label the procedures of the programs and versions served by
// their names in the specifications (RFC 1813 §3 and Appendix I, RFC
// 7530 §16, the XNFS NLM v4 and NSM, RFC 1833).
var procNames = map[[2]uint32][]string{
	{100003, 3}: {"NULL", "GETATTR", "SETATTR", "LOOKUP", "ACCESS", "READLINK", "READ", "WRITE", "CREATE", "MKDIR",
		"SYMLINK", "MKNOD", "REMOVE", "RMDIR", "RENAME", "LINK", "READDIR", "READDIRPLUS", "FSSTAT", "FSINFO", "PATHCONF", "COMMIT"},
	{100003, 4}: {"NULL", "COMPOUND"},
	{100005, 3}: {"NULL", "MNT", "DUMP", "UMNT", "UMNTALL", "EXPORT"},
	{100021, 4}: {"NULL", "TEST", "LOCK", "CANCEL", "UNLOCK", "GRANTED", "TEST_MSG", "LOCK_MSG", "CANCEL_MSG", "UNLOCK_MSG",
		"GRANTED_MSG", "TEST_RES", "LOCK_RES", "CANCEL_RES", "UNLOCK_RES", "GRANTED_RES", "16", "17", "18", "19",
		"SHARE", "UNSHARE", "NM_LOCK", "FREE_ALL"},
	{100024, 1}: {"NULL", "STAT", "MON", "UNMON", "UNMON_ALL", "SIMU_CRASH", "NOTIFY"},
	{100000, 2}: {"NULL", "SET", "UNSET", "GETPORT", "DUMP", "CALLIT"},
}

// nfs4OpMetrics counts NFSv4 operations by name, and their errors by
// status (nfs4.Server.OpDone).
type nfs4OpMetrics struct {
	ops    *prometheus.CounterVec
	errors *prometheus.CounterVec
}

func newNFS4OpMetrics() *nfs4OpMetrics {
	m := &nfs4OpMetrics{
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_nfs4_ops_total", Help: "NFSv4 operations run in COMPOUNDs, by operation.",
		}, []string{"op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_nfs4_op_errors_total", Help: "NFSv4 operations that failed, by operation and status.",
		}, []string{"op", "status"}),
	}
	return m
}

// opDone implements nfs4.Server.OpDone. The names are the server's own
// (a fixed set), so the labels are bounded.
func (m *nfs4OpMetrics) opDone(op, status string) {
	m.ops.WithLabelValues(op).Inc()
	if status != "NFS4_OK" {
		m.errors.WithLabelValues(op, status).Inc()
	}
}

// smbMetrics counts SMB requests by command, their errors by status, and
// their durations (smb.Server.CommandDone).
type smbMetrics struct {
	commands *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newSMBMetrics(reg prometheus.Registerer) *smbMetrics {
	m := &smbMetrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_smb_commands_total", Help: "SMB requests answered, by command.",
		}, []string{"command"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dittofs_smb_command_errors_total", Help: "SMB requests answered with an error status, by command and status.",
		}, []string{"command", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dittofs_smb_command_duration_seconds", Help: "Time from decoding an SMB request to encoding its reply.",
			Buckets: prometheus.ExponentialBuckets(25e-6, 4, 10),
		}, []string{"command"}),
	}
	reg.MustRegister(m.commands, m.errors, m.duration)
	return m
}

// commandDone implements smb.Server.CommandDone. The names and statuses
// are the server's own (bounded sets), so the labels are bounded.
func (m *smbMetrics) commandDone(command, status string, failed bool, d time.Duration) {
	m.commands.WithLabelValues(command).Inc()
	m.duration.WithLabelValues(command).Observe(d.Seconds())
	if failed {
		m.errors.WithLabelValues(command, status).Inc()
	}
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

// limitMetrics exports an rpc.Server's Stats: how often its limits
// against misbehaving clients were hit, and the reply bytes it holds.
type limitMetrics struct {
	srv  *rpc.Server
	desc map[string]*prometheus.Desc
}

// limitMetricNames are the metrics of limitMetrics and their help.
var limitMetricNames = map[string]string{
	"dittofs_rpc_reply_bytes":                   "Reply bytes held for TCP connections (payload buffers of running calls and unsent replies).",
	"dittofs_rpc_reply_bytes_peak":              "Highest value of dittofs_rpc_reply_bytes so far.",
	"dittofs_rpc_read_pauses_total":             "Times a connection stopped being read because its replies were not drained.",
	"dittofs_rpc_reply_waits_total":             "Calls that waited for room under the reply byte limits.",
	"dittofs_rpc_write_timeouts_total":          "Connections closed because a reply could not be written within the write timeout.",
	"dittofs_rpc_record_timeouts_total":         "Connections closed because a record did not arrive within the record timeout.",
	"dittofs_rpc_conns_rejected_total":          "Connections closed at accept because max_conns were open.",
	"dittofs_rpc_conns_rejected_per_addr_total": "Connections closed at accept because their address had max_conns_per_addr open.",
	"dittofs_rpc_malformed_calls_total":         "Calls dropped because they could not be decoded far enough to be answered.",
	"dittofs_rpc_auth_denied_total":             "Calls answered MSG_DENIED (bad credential or verifier, wrong RPC version).",
	"dittofs_rpc_log_suppressed_total":          "Log lines left out by the rate limiter (one line per kind per second).",
}

// registerLimitMetrics registers the Stats of srv, labelled server.
func registerLimitMetrics(reg prometheus.Registerer, server string, srv *rpc.Server) {
	m := &limitMetrics{srv: srv, desc: make(map[string]*prometheus.Desc, len(limitMetricNames))}
	for name, help := range limitMetricNames {
		m.desc[name] = prometheus.NewDesc(name, help, nil, prometheus.Labels{"server": server})
	}
	reg.MustRegister(m)
}

// Describe implements prometheus.Collector.
func (m *limitMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range m.desc {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *limitMetrics) Collect(ch chan<- prometheus.Metric) {
	st := m.srv.Stats()
	gauge := func(name string, v int64) {
		ch <- prometheus.MustNewConstMetric(m.desc[name], prometheus.GaugeValue, float64(v))
	}
	counter := func(name string, v uint64) {
		ch <- prometheus.MustNewConstMetric(m.desc[name], prometheus.CounterValue, float64(v))
	}
	gauge("dittofs_rpc_reply_bytes", st.ReplyBytes)
	gauge("dittofs_rpc_reply_bytes_peak", st.ReplyBytesPeak)
	counter("dittofs_rpc_read_pauses_total", st.ReadPauses)
	counter("dittofs_rpc_reply_waits_total", st.ReplyWaits)
	counter("dittofs_rpc_write_timeouts_total", st.WriteTimeouts)
	counter("dittofs_rpc_record_timeouts_total", st.RecordTimeouts)
	counter("dittofs_rpc_conns_rejected_total", st.ConnsRejected)
	counter("dittofs_rpc_conns_rejected_per_addr_total", st.ConnsRejectedPerAddr)
	counter("dittofs_rpc_malformed_calls_total", st.MalformedCalls)
	counter("dittofs_rpc_auth_denied_total", st.AuthDenied)
	counter("dittofs_rpc_log_suppressed_total", st.LogSuppressed)
}

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

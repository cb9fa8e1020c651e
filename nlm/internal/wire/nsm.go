package wire

// SM_MAXSTRLEN bounds the host names of NSM (XNFS).
const SM_MAXSTRLEN = 1024

// SMName is sm_name, the argument of SM_STAT.
type SMName struct {
	MonName string `xdr:"max=SM_MAXSTRLEN"`
}

// SMRes is res, the status of SM_STAT and SM_MON.
type SMRes uint32

// The res values.
const (
	STAT_SUCC SMRes = 0
	STAT_FAIL SMRes = 1
)

// SMStatRes is sm_stat_res, the result of SM_STAT and SM_MON.
type SMStatRes struct {
	ResStat SMRes
	State   int32
}

// SMStat is sm_stat, the result of SM_UNMON and SM_UNMON_ALL.
type SMStat struct {
	State int32
}

// MyID is my_id: the RPC procedure on my_name that the monitor calls when
// a monitored host's state changes.
type MyID struct {
	MyName string `xdr:"max=SM_MAXSTRLEN"`
	MyProg int32
	MyVers int32
	MyProc int32
}

// MonID is mon_id, the argument of SM_UNMON.
type MonID struct {
	MonName string `xdr:"max=SM_MAXSTRLEN"`
	MyID    MyID
}

// Mon is mon, the argument of SM_MON.
type Mon struct {
	MonID MonID
	Priv  [16]byte
}

// StatChge is stat_chge, the argument of SM_NOTIFY: host MonName now has
// state State.
type StatChge struct {
	MonName string `xdr:"max=SM_MAXSTRLEN"`
	State   int32
}

// Status is the argument of the callback a monitor makes to my_id when a
// monitored host's state changes (sm_inter's status).
type Status struct {
	MonName string `xdr:"max=SM_MAXSTRLEN"`
	State   int32
	Priv    [16]byte
}

// Mapping is the portmapper v2 mapping (RFC 1833 §3), the argument of
// PMAPPROC_GETPORT.
type Mapping struct {
	Prog uint32
	Vers uint32
	Prot uint32
	Port uint32
}

// Port is the result of PMAPPROC_GETPORT: 0 when the program is not
// registered.
type Port struct {
	Port uint32
}

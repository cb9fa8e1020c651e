package wire

// Program, versions and port (RFC 1833 §3 and §4).
const (
	PMAP_PORT = 111
	PMAP_PROG = 100000 // also RPCBPROG
	PMAP_VERS = 2
	RPCBVERS  = 3
	RPCBVERS4 = 4
)

// Protocol numbers of mapping.prot (RFC 1833 §3).
const (
	IPPROTO_TCP = 6
	IPPROTO_UDP = 17
)

// Portmapper version 2 procedures (RFC 1833 §3.2).
const (
	PMAPPROC_NULL    = 0
	PMAPPROC_SET     = 1
	PMAPPROC_UNSET   = 2
	PMAPPROC_GETPORT = 3
	PMAPPROC_DUMP    = 4
	PMAPPROC_CALLIT  = 5
)

// rpcbind version 3 and 4 procedures (RFC 1833 §2.2).
const (
	RPCBPROC_NULL        = 0
	RPCBPROC_SET         = 1
	RPCBPROC_UNSET       = 2
	RPCBPROC_GETADDR     = 3
	RPCBPROC_DUMP        = 4
	RPCBPROC_CALLIT      = 5 // RPCBPROC_BCAST in version 4
	RPCBPROC_GETTIME     = 6
	RPCBPROC_UADDR2TADDR = 7
	RPCBPROC_TADDR2UADDR = 8
	RPCBPROC_GETVERSADDR = 9  // version 4 only
	RPCBPROC_INDIRECT    = 10 // version 4 only
	RPCBPROC_GETADDRLIST = 11 // version 4 only
	RPCBPROC_GETSTAT     = 12 // version 4 only
	RPCBPROC_BCAST       = RPCBPROC_CALLIT
	RPCBSTAT_HIGHPROC    = 13
	RPCBVERS_STAT        = 3
	RPCBVERS_4_STAT      = 2
	RPCBVERS_3_STAT      = 1
	RPCBVERS_2_STAT      = 0
)

// Transport semantics of rpcb_entry.r_nc_semantics (RFC 1833 §2.1).
const (
	NC_TPI_CLTS     = 1
	NC_TPI_COTS     = 2
	NC_TPI_COTS_ORD = 3
	NC_TPI_RAW      = 4
)

// MaxString bounds the strings of rpcbind messages. RFC 1833 leaves them
// unbounded (string<>); netids, universal addresses and owners are short,
// and a bound keeps a hostile SET from storing large strings.
const MaxString = 1024

// Mapping is struct mapping (RFC 1833 §3.1), the argument of SET, UNSET
// and GETPORT.
type Mapping struct {
	Prog uint32
	Vers uint32
	Prot uint32
	Port uint32
}

// Pmaplist is the result of PMAPPROC_DUMP: struct pmaplist { mapping map;
// pmaplist *next; }, an optional-data list.
type Pmaplist struct {
	Maps []Mapping `xdr:"list"`
}

// CallArgs is struct call_args, the argument of PMAPPROC_CALLIT.
type CallArgs struct {
	Prog uint32
	Vers uint32
	Proc uint32
	Args []byte
}

// CallResult is struct call_result, the result of PMAPPROC_CALLIT.
type CallResult struct {
	Port uint32
	Res  []byte
}

// Rpcb is struct rpcb (RFC 1833 §2.1), the argument of the version 3 and
// 4 SET, UNSET, GETADDR and GETVERSADDR.
type Rpcb struct {
	Prog  uint32
	Vers  uint32
	Netid string `xdr:"max=MaxString"`
	Addr  string `xdr:"max=MaxString"`
	Owner string `xdr:"max=MaxString"`
}

// RpcbList is rpcblist_ptr, the result of RPCBPROC_DUMP: struct rp__list
// { rpcb rpcb_map; struct rp__list *rpcb_next; }.
type RpcbList struct {
	Maps []Rpcb `xdr:"list"`
}

// RmtCallArgs is struct rpcb_rmtcallargs, the argument of CALLIT, BCAST
// and INDIRECT.
type RmtCallArgs struct {
	Prog uint32
	Vers uint32
	Proc uint32
	Args []byte
}

// RmtCallRes is struct rpcb_rmtcallres.
type RmtCallRes struct {
	Addr    string `xdr:"max=MaxString"`
	Results []byte
}

// Netbuf is struct netbuf: a transport address in the host's sockaddr
// layout (RFC 1833 §2.1).
type Netbuf struct {
	Maxlen uint32
	Buf    []byte `xdr:"max=MaxString"`
}

// RpcbEntry is struct rpcb_entry, an element of the GETADDRLIST result.
type RpcbEntry struct {
	Maddr       string `xdr:"max=MaxString"`
	NcNetid     string `xdr:"max=MaxString"`
	NcSemantics uint32
	NcProtofmly string `xdr:"max=MaxString"`
	NcProto     string `xdr:"max=MaxString"`
}

// RpcbEntryList is rpcb_entry_list_ptr, the result of
// RPCBPROC_GETADDRLIST.
type RpcbEntryList struct {
	Entries []RpcbEntry `xdr:"list"`
}

// RpcbsAddr is an element of rpcbs_addrlist (RFC 1833 §2.1): lookups of
// one (prog, vers, netid).
type RpcbsAddr struct {
	Prog    uint32
	Vers    uint32
	Success int32
	Failure int32
	Netid   string `xdr:"max=MaxString"`
}

// RpcbsRmtcall is an element of rpcbs_rmtcalllist.
type RpcbsRmtcall struct {
	Prog     uint32
	Vers     uint32
	Proc     uint32
	Success  int32
	Failure  int32
	Indirect int32
	Netid    string `xdr:"max=MaxString"`
}

// RpcbStat is struct rpcb_stat, the statistics of one rpcbind version.
type RpcbStat struct {
	Info      [RPCBSTAT_HIGHPROC]int32
	Setinfo   int32
	Unsetinfo int32
	Addrinfo  []RpcbsAddr    `xdr:"list"`
	Rmtinfo   []RpcbsRmtcall `xdr:"list"`
}

// RpcbStatByvers is rpcb_stat_byvers, the result of RPCBPROC_GETSTAT:
// statistics of versions 2, 3 and 4, in that order.
type RpcbStatByvers struct {
	Vers [RPCBVERS_STAT]RpcbStat
}

// Bool is a bool result (SET, UNSET).
type Bool bool

// Uint32 is an unsigned int result (GETPORT, GETTIME).
type Uint32 uint32

// String is a string argument or result (universal addresses).
//
//xdr:max=MaxString
type String string

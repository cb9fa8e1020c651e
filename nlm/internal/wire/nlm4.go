package wire

// Sizes of NLM (XNFS NLM v3, kept by RFC 1813 Appendix II).
const (
	LM_MAXSTRLEN = 1024
	MAXNETOBJ_SZ = 1024
)

// Netobj is netobj: opaque<MAXNETOBJ_SZ>, the type of cookies, file
// handles and owner handles.
type Netobj struct {
	Data []byte `xdr:"max=MAXNETOBJ_SZ"`
}

// NLM4Stats is nlm4_stats (RFC 1813 §6.1.4).
type NLM4Stats uint32

// The nlm4_stats values (RFC 1813 §6.1.4).
const (
	NLM4_GRANTED             NLM4Stats = 0
	NLM4_DENIED              NLM4Stats = 1
	NLM4_DENIED_NOLOCKS      NLM4Stats = 2
	NLM4_BLOCKED             NLM4Stats = 3
	NLM4_DENIED_GRACE_PERIOD NLM4Stats = 4
	NLM4_DEADLCK             NLM4Stats = 5
	NLM4_ROFS                NLM4Stats = 6
	NLM4_STALE_FH            NLM4Stats = 7
	NLM4_FBIG                NLM4Stats = 8
	NLM4_FAILED              NLM4Stats = 9
)

// NLM4Holder is nlm4_holder (RFC 1813 §6.1.4).
type NLM4Holder struct {
	Exclusive bool
	Svid      int32
	OH        Netobj
	LOffset   uint64
	LLen      uint64
}

// NLM4Lock is nlm4_lock (RFC 1813 §6.1.4). FH is the NFSv3 file handle.
type NLM4Lock struct {
	CallerName string `xdr:"max=LM_MAXSTRLEN"`
	FH         Netobj
	OH         Netobj
	Svid       int32
	LOffset    uint64
	LLen       uint64
}

// FSH4Mode is fsh4_mode, the deny mode of a share (XNFS).
type FSH4Mode uint32

// The fsh4_mode values.
const (
	fsm_DN  FSH4Mode = 0
	fsm_DR  FSH4Mode = 1
	fsm_DW  FSH4Mode = 2
	fsm_DRW FSH4Mode = 3
)

// FSH4Access is fsh4_access, the access mode of a share (XNFS).
type FSH4Access uint32

// The fsh4_access values.
const (
	fsa_NONE FSH4Access = 0
	fsa_R    FSH4Access = 1
	fsa_W    FSH4Access = 2
	fsa_RW   FSH4Access = 3
)

// NLM4Share is nlm4_share (RFC 1813 §6.1.4).
type NLM4Share struct {
	CallerName string `xdr:"max=LM_MAXSTRLEN"`
	FH         Netobj
	OH         Netobj
	Mode       FSH4Mode
	Access     FSH4Access
}

// NLM4Res is nlm4_res: the result of LOCK, CANCEL, UNLOCK, GRANTED,
// NM_LOCK and the argument of the matching _RES procedures.
type NLM4Res struct {
	Cookie Netobj
	Stat   NLM4Stats
}

// NLM4TestRply is nlm4_testrply: the holder of the conflicting lock when
// the status is NLM4_DENIED.
type NLM4TestRply struct {
	Stat   NLM4Stats  `xdr:"switch,void=default"`
	Holder NLM4Holder `xdr:"case=NLM4_DENIED"`
}

// NLM4TestRes is nlm4_testres, the result of TEST.
type NLM4TestRes struct {
	Cookie   Netobj
	TestStat NLM4TestRply
}

// NLM4TestArgs is nlm4_testargs, the argument of TEST and GRANTED.
type NLM4TestArgs struct {
	Cookie    Netobj
	Exclusive bool
	Alock     NLM4Lock
}

// NLM4LockArgs is nlm4_lockargs, the argument of LOCK and NM_LOCK.
type NLM4LockArgs struct {
	Cookie    Netobj
	Block     bool
	Exclusive bool
	Alock     NLM4Lock
	Reclaim   bool
	State     int32
}

// NLM4CancArgs is nlm4_cancargs, the argument of CANCEL.
type NLM4CancArgs struct {
	Cookie    Netobj
	Block     bool
	Exclusive bool
	Alock     NLM4Lock
}

// NLM4UnlockArgs is nlm4_unlockargs, the argument of UNLOCK.
type NLM4UnlockArgs struct {
	Cookie Netobj
	Alock  NLM4Lock
}

// NLM4ShareArgs is nlm4_shareargs, the argument of SHARE and UNSHARE.
type NLM4ShareArgs struct {
	Cookie  Netobj
	Share   NLM4Share
	Reclaim bool
}

// NLM4ShareRes is nlm4_shareres, the result of SHARE and UNSHARE.
type NLM4ShareRes struct {
	Cookie   Netobj
	Stat     NLM4Stats
	Sequence int32
}

// NLM4Notify is nlm4_notify, the argument of FREE_ALL.
type NLM4Notify struct {
	Name  string `xdr:"max=LM_MAXSTRLEN"`
	State int32
}

package wire

// NfsArgop4 is nfs_argop4 (RFC 5661 §16.2): one operation of a COMPOUND
// request, its number and its arguments. Decoding it reads one operation,
// so a loop over COMPOUND4argsHead.NumOps of these decodes a request op by
// op; a server may rather switch on the number itself and decode only
// that operation's arguments type (see the package documentation). An
// unknown number is xdr.ErrBadUnion.
type NfsArgop4 struct {
	Argop              NfsOpnum4                 `xdr:"switch,void=OP_GETFH,OP_LOOKUPP,OP_PUTPUBFH,OP_PUTROOTFH,OP_READLINK,OP_RESTOREFH,OP_SAVEFH,OP_ILLEGAL"`
	Access             ACCESS4args               `xdr:"case=OP_ACCESS"`
	Close              CLOSE4args                `xdr:"case=OP_CLOSE"`
	Commit             COMMIT4args               `xdr:"case=OP_COMMIT"`
	Create             CREATE4args               `xdr:"case=OP_CREATE"`
	Delegpurge         DELEGPURGE4args           `xdr:"case=OP_DELEGPURGE"`
	Delegreturn        DELEGRETURN4args          `xdr:"case=OP_DELEGRETURN"`
	Getattr            GETATTR4args              `xdr:"case=OP_GETATTR"`
	Link               LINK4args                 `xdr:"case=OP_LINK"`
	Lock               LOCK4args                 `xdr:"case=OP_LOCK"`
	Lockt              LOCKT4args                `xdr:"case=OP_LOCKT"`
	Locku              LOCKU4args                `xdr:"case=OP_LOCKU"`
	Lookup             LOOKUP4args               `xdr:"case=OP_LOOKUP"`
	Nverify            NVERIFY4args              `xdr:"case=OP_NVERIFY"`
	Open               OPEN4args                 `xdr:"case=OP_OPEN"`
	Openattr           OPENATTR4args             `xdr:"case=OP_OPENATTR"`
	OpenConfirm        OPEN_CONFIRM4args         `xdr:"case=OP_OPEN_CONFIRM"`
	OpenDowngrade      OPEN_DOWNGRADE4args       `xdr:"case=OP_OPEN_DOWNGRADE"`
	Putfh              PUTFH4args                `xdr:"case=OP_PUTFH"`
	Read               READ4args                 `xdr:"case=OP_READ"`
	Readdir            READDIR4args              `xdr:"case=OP_READDIR"`
	Remove             REMOVE4args               `xdr:"case=OP_REMOVE"`
	Rename             RENAME4args               `xdr:"case=OP_RENAME"`
	Renew              RENEW4args                `xdr:"case=OP_RENEW"`
	Secinfo            SECINFO4args              `xdr:"case=OP_SECINFO"`
	Setattr            SETATTR4args              `xdr:"case=OP_SETATTR"`
	Setclientid        SETCLIENTID4args          `xdr:"case=OP_SETCLIENTID"`
	SetclientidConfirm SETCLIENTID_CONFIRM4args  `xdr:"case=OP_SETCLIENTID_CONFIRM"`
	Verify             VERIFY4args               `xdr:"case=OP_VERIFY"`
	Write              WRITE4args                `xdr:"case=OP_WRITE"`
	ReleaseLockowner   RELEASE_LOCKOWNER4args    `xdr:"case=OP_RELEASE_LOCKOWNER"`
	BackchannelCtl     BACKCHANNEL_CTL4args      `xdr:"case=OP_BACKCHANNEL_CTL"`
	BindConnToSession  BIND_CONN_TO_SESSION4args `xdr:"case=OP_BIND_CONN_TO_SESSION"`
	ExchangeId         EXCHANGE_ID4args          `xdr:"case=OP_EXCHANGE_ID"`
	CreateSession      CREATE_SESSION4args       `xdr:"case=OP_CREATE_SESSION"`
	DestroySession     DESTROY_SESSION4args      `xdr:"case=OP_DESTROY_SESSION"`
	FreeStateid        FREE_STATEID4args         `xdr:"case=OP_FREE_STATEID"`
	GetDirDelegation   GET_DIR_DELEGATION4args   `xdr:"case=OP_GET_DIR_DELEGATION"`
	Getdeviceinfo      GETDEVICEINFO4args        `xdr:"case=OP_GETDEVICEINFO"`
	Getdevicelist      GETDEVICELIST4args        `xdr:"case=OP_GETDEVICELIST"`
	Layoutcommit       LAYOUTCOMMIT4args         `xdr:"case=OP_LAYOUTCOMMIT"`
	Layoutget          LAYOUTGET4args            `xdr:"case=OP_LAYOUTGET"`
	Layoutreturn       LAYOUTRETURN4args         `xdr:"case=OP_LAYOUTRETURN"`
	SecinfoNoName      SECINFO_NO_NAME4args      `xdr:"case=OP_SECINFO_NO_NAME"`
	Sequence           SEQUENCE4args             `xdr:"case=OP_SEQUENCE"`
	SetSsv             SET_SSV4args              `xdr:"case=OP_SET_SSV"`
	TestStateid        TEST_STATEID4args         `xdr:"case=OP_TEST_STATEID"`
	WantDelegation     WANT_DELEGATION4args      `xdr:"case=OP_WANT_DELEGATION"`
	DestroyClientid    DESTROY_CLIENTID4args     `xdr:"case=OP_DESTROY_CLIENTID"`
	ReclaimComplete    RECLAIM_COMPLETE4args     `xdr:"case=OP_RECLAIM_COMPLETE"`
	Allocate           ALLOCATE4args             `xdr:"case=OP_ALLOCATE"`
	Copy               COPY4args                 `xdr:"case=OP_COPY"`
	CopyNotify         COPY_NOTIFY4args          `xdr:"case=OP_COPY_NOTIFY"`
	Deallocate         DEALLOCATE4args           `xdr:"case=OP_DEALLOCATE"`
	IoAdvise           IO_ADVISE4args            `xdr:"case=OP_IO_ADVISE"`
	Layouterror        LAYOUTERROR4args          `xdr:"case=OP_LAYOUTERROR"`
	Layoutstats        LAYOUTSTATS4args          `xdr:"case=OP_LAYOUTSTATS"`
	OffloadCancel      OFFLOAD_CANCEL4args       `xdr:"case=OP_OFFLOAD_CANCEL"`
	OffloadStatus      OFFLOAD_STATUS4args       `xdr:"case=OP_OFFLOAD_STATUS"`
	ReadPlus           READ_PLUS4args            `xdr:"case=OP_READ_PLUS"`
	Seek               SEEK4args                 `xdr:"case=OP_SEEK"`
	WriteSame          WRITE_SAME4args           `xdr:"case=OP_WRITE_SAME"`
	Clone              CLONE4args                `xdr:"case=OP_CLONE"`
	Getxattr           GETXATTR4args             `xdr:"case=OP_GETXATTR"`
	Setxattr           SETXATTR4args             `xdr:"case=OP_SETXATTR"`
	Listxattrs         LISTXATTRS4args           `xdr:"case=OP_LISTXATTRS"`
	Removexattr        REMOVEXATTR4args          `xdr:"case=OP_REMOVEXATTR"`
}

// NfsResop4 is nfs_resop4 (RFC 5661 §16.2): one operation's result in a
// COMPOUND reply.
type NfsResop4 struct {
	Resop              NfsOpnum4                `xdr:"switch"`
	Access             ACCESS4res               `xdr:"case=OP_ACCESS"`
	Close              CLOSE4res                `xdr:"case=OP_CLOSE"`
	Commit             COMMIT4res               `xdr:"case=OP_COMMIT"`
	Create             CREATE4res               `xdr:"case=OP_CREATE"`
	Delegpurge         DELEGPURGE4res           `xdr:"case=OP_DELEGPURGE"`
	Delegreturn        DELEGRETURN4res          `xdr:"case=OP_DELEGRETURN"`
	Getattr            GETATTR4res              `xdr:"case=OP_GETATTR"`
	Getfh              GETFH4res                `xdr:"case=OP_GETFH"`
	Link               LINK4res                 `xdr:"case=OP_LINK"`
	Lock               LOCK4res                 `xdr:"case=OP_LOCK"`
	Lockt              LOCKT4res                `xdr:"case=OP_LOCKT"`
	Locku              LOCKU4res                `xdr:"case=OP_LOCKU"`
	Lookup             LOOKUP4res               `xdr:"case=OP_LOOKUP"`
	Lookupp            LOOKUPP4res              `xdr:"case=OP_LOOKUPP"`
	Nverify            NVERIFY4res              `xdr:"case=OP_NVERIFY"`
	Open               OPEN4res                 `xdr:"case=OP_OPEN"`
	Openattr           OPENATTR4res             `xdr:"case=OP_OPENATTR"`
	OpenConfirm        OPEN_CONFIRM4res         `xdr:"case=OP_OPEN_CONFIRM"`
	OpenDowngrade      OPEN_DOWNGRADE4res       `xdr:"case=OP_OPEN_DOWNGRADE"`
	Putfh              PUTFH4res                `xdr:"case=OP_PUTFH"`
	Putpubfh           PUTPUBFH4res             `xdr:"case=OP_PUTPUBFH"`
	Putrootfh          PUTROOTFH4res            `xdr:"case=OP_PUTROOTFH"`
	Read               READ4res                 `xdr:"case=OP_READ"`
	Readdir            READDIR4res              `xdr:"case=OP_READDIR"`
	Readlink           READLINK4res             `xdr:"case=OP_READLINK"`
	Remove             REMOVE4res               `xdr:"case=OP_REMOVE"`
	Rename             RENAME4res               `xdr:"case=OP_RENAME"`
	Renew              RENEW4res                `xdr:"case=OP_RENEW"`
	Restorefh          RESTOREFH4res            `xdr:"case=OP_RESTOREFH"`
	Savefh             SAVEFH4res               `xdr:"case=OP_SAVEFH"`
	Secinfo            SECINFO4res              `xdr:"case=OP_SECINFO"`
	Setattr            SETATTR4res              `xdr:"case=OP_SETATTR"`
	Setclientid        SETCLIENTID4res          `xdr:"case=OP_SETCLIENTID"`
	SetclientidConfirm SETCLIENTID_CONFIRM4res  `xdr:"case=OP_SETCLIENTID_CONFIRM"`
	Verify             VERIFY4res               `xdr:"case=OP_VERIFY"`
	Write              WRITE4res                `xdr:"case=OP_WRITE"`
	ReleaseLockowner   RELEASE_LOCKOWNER4res    `xdr:"case=OP_RELEASE_LOCKOWNER"`
	BackchannelCtl     BACKCHANNEL_CTL4res      `xdr:"case=OP_BACKCHANNEL_CTL"`
	BindConnToSession  BIND_CONN_TO_SESSION4res `xdr:"case=OP_BIND_CONN_TO_SESSION"`
	ExchangeId         EXCHANGE_ID4res          `xdr:"case=OP_EXCHANGE_ID"`
	CreateSession      CREATE_SESSION4res       `xdr:"case=OP_CREATE_SESSION"`
	DestroySession     DESTROY_SESSION4res      `xdr:"case=OP_DESTROY_SESSION"`
	FreeStateid        FREE_STATEID4res         `xdr:"case=OP_FREE_STATEID"`
	GetDirDelegation   GET_DIR_DELEGATION4res   `xdr:"case=OP_GET_DIR_DELEGATION"`
	Getdeviceinfo      GETDEVICEINFO4res        `xdr:"case=OP_GETDEVICEINFO"`
	Getdevicelist      GETDEVICELIST4res        `xdr:"case=OP_GETDEVICELIST"`
	Layoutcommit       LAYOUTCOMMIT4res         `xdr:"case=OP_LAYOUTCOMMIT"`
	Layoutget          LAYOUTGET4res            `xdr:"case=OP_LAYOUTGET"`
	Layoutreturn       LAYOUTRETURN4res         `xdr:"case=OP_LAYOUTRETURN"`
	SecinfoNoName      SECINFO_NO_NAME4res      `xdr:"case=OP_SECINFO_NO_NAME"`
	Sequence           SEQUENCE4res             `xdr:"case=OP_SEQUENCE"`
	SetSsv             SET_SSV4res              `xdr:"case=OP_SET_SSV"`
	TestStateid        TEST_STATEID4res         `xdr:"case=OP_TEST_STATEID"`
	WantDelegation     WANT_DELEGATION4res      `xdr:"case=OP_WANT_DELEGATION"`
	DestroyClientid    DESTROY_CLIENTID4res     `xdr:"case=OP_DESTROY_CLIENTID"`
	ReclaimComplete    RECLAIM_COMPLETE4res     `xdr:"case=OP_RECLAIM_COMPLETE"`
	Allocate           ALLOCATE4res             `xdr:"case=OP_ALLOCATE"`
	Copy               COPY4res                 `xdr:"case=OP_COPY"`
	CopyNotify         COPY_NOTIFY4res          `xdr:"case=OP_COPY_NOTIFY"`
	Deallocate         DEALLOCATE4res           `xdr:"case=OP_DEALLOCATE"`
	IoAdvise           IO_ADVISE4res            `xdr:"case=OP_IO_ADVISE"`
	Layouterror        LAYOUTERROR4res          `xdr:"case=OP_LAYOUTERROR"`
	Layoutstats        LAYOUTSTATS4res          `xdr:"case=OP_LAYOUTSTATS"`
	OffloadCancel      OFFLOAD_CANCEL4res       `xdr:"case=OP_OFFLOAD_CANCEL"`
	OffloadStatus      OFFLOAD_STATUS4res       `xdr:"case=OP_OFFLOAD_STATUS"`
	ReadPlus           READ_PLUS4res            `xdr:"case=OP_READ_PLUS"`
	Seek               SEEK4res                 `xdr:"case=OP_SEEK"`
	WriteSame          WRITE_SAME4res           `xdr:"case=OP_WRITE_SAME"`
	Clone              CLONE4res                `xdr:"case=OP_CLONE"`
	Getxattr           GETXATTR4res             `xdr:"case=OP_GETXATTR"`
	Setxattr           SETXATTR4res             `xdr:"case=OP_SETXATTR"`
	Listxattrs         LISTXATTRS4res           `xdr:"case=OP_LISTXATTRS"`
	Removexattr        REMOVEXATTR4res          `xdr:"case=OP_REMOVEXATTR"`
	Illegal            ILLEGAL4res              `xdr:"case=OP_ILLEGAL"`
}

// NfsCbArgop4 is nfs_cb_argop4 (RFC 5661 §19.2, §20): one operation of a
// CB_COMPOUND request.
type NfsCbArgop4 struct {
	Argop              NfsCbOpnum4                  `xdr:"switch,void=OP_CB_ILLEGAL"`
	Getattr            CB_GETATTR4args              `xdr:"case=OP_CB_GETATTR"`
	Recall             CB_RECALL4args               `xdr:"case=OP_CB_RECALL"`
	Layoutrecall       CB_LAYOUTRECALL4args         `xdr:"case=OP_CB_LAYOUTRECALL"`
	Notify             CB_NOTIFY4args               `xdr:"case=OP_CB_NOTIFY"`
	PushDeleg          CB_PUSH_DELEG4args           `xdr:"case=OP_CB_PUSH_DELEG"`
	RecallAny          CB_RECALL_ANY4args           `xdr:"case=OP_CB_RECALL_ANY"`
	RecallableObjAvail CB_RECALLABLE_OBJ_AVAIL4args `xdr:"case=OP_CB_RECALLABLE_OBJ_AVAIL"`
	RecallSlot         CB_RECALL_SLOT4args          `xdr:"case=OP_CB_RECALL_SLOT"`
	Sequence           CB_SEQUENCE4args             `xdr:"case=OP_CB_SEQUENCE"`
	WantsCancelled     CB_WANTS_CANCELLED4args      `xdr:"case=OP_CB_WANTS_CANCELLED"`
	NotifyLock         CB_NOTIFY_LOCK4args          `xdr:"case=OP_CB_NOTIFY_LOCK"`
	NotifyDeviceid     CB_NOTIFY_DEVICEID4args      `xdr:"case=OP_CB_NOTIFY_DEVICEID"`
	Offload            CB_OFFLOAD4args              `xdr:"case=OP_CB_OFFLOAD"`
}

// NfsCbResop4 is nfs_cb_resop4 (RFC 5661 §19.2, §20): one operation's result in a
// CB_COMPOUND reply.
type NfsCbResop4 struct {
	Resop              NfsCbOpnum4                 `xdr:"switch"`
	Getattr            CB_GETATTR4res              `xdr:"case=OP_CB_GETATTR"`
	Recall             CB_RECALL4res               `xdr:"case=OP_CB_RECALL"`
	Layoutrecall       CB_LAYOUTRECALL4res         `xdr:"case=OP_CB_LAYOUTRECALL"`
	Notify             CB_NOTIFY4res               `xdr:"case=OP_CB_NOTIFY"`
	PushDeleg          CB_PUSH_DELEG4res           `xdr:"case=OP_CB_PUSH_DELEG"`
	RecallAny          CB_RECALL_ANY4res           `xdr:"case=OP_CB_RECALL_ANY"`
	RecallableObjAvail CB_RECALLABLE_OBJ_AVAIL4res `xdr:"case=OP_CB_RECALLABLE_OBJ_AVAIL"`
	RecallSlot         CB_RECALL_SLOT4res          `xdr:"case=OP_CB_RECALL_SLOT"`
	Sequence           CB_SEQUENCE4res             `xdr:"case=OP_CB_SEQUENCE"`
	WantsCancelled     CB_WANTS_CANCELLED4res      `xdr:"case=OP_CB_WANTS_CANCELLED"`
	NotifyLock         CB_NOTIFY_LOCK4res          `xdr:"case=OP_CB_NOTIFY_LOCK"`
	NotifyDeviceid     CB_NOTIFY_DEVICEID4res      `xdr:"case=OP_CB_NOTIFY_DEVICEID"`
	Offload            CB_OFFLOAD4res              `xdr:"case=OP_CB_OFFLOAD"`
	Illegal            CB_ILLEGAL4res              `xdr:"case=OP_CB_ILLEGAL"`
}

package nfs4

import "github.com/dittofs/dittofs/nfs4/internal/wire"

// opEntry is an operation of the op table: its function and the first
// minor version that has it.
type opEntry struct {
	fn       opFunc
	minMinor uint8
	// only40: NFSv4.1 removed the operation (NFS4ERR_NOTSUPP there).
	only40 bool
	// newFH: the operation sets the current filehandle and returns no
	// stateid, so it clears the current stateid (RFC 8881 §16.2.3.1.2).
	newFH bool
}

// opTable is every operation this server knows, indexed by nfs_opnum4.
// An operation with no entry, or one newer than the compound's minor
// version, is answered OP_ILLEGAL with NFS4ERR_OP_ILLEGAL (RFC 5661
// §16.2.3: an operation not defined in the minor version is illegal).
var opTable = [...]opEntry{
	wire.OP_ACCESS:              {fn: opAccess},
	wire.OP_CLOSE:               {fn: opClose},
	wire.OP_COMMIT:              {fn: opCommit},
	wire.OP_CREATE:              {fn: opCreate, newFH: true},
	wire.OP_DELEGPURGE:          {fn: opDelegpurge},
	wire.OP_DELEGRETURN:         {fn: opDelegreturn},
	wire.OP_GETATTR:             {fn: opGetattr},
	wire.OP_GETFH:               {fn: opGetfh},
	wire.OP_LINK:                {fn: opLink},
	wire.OP_LOCK:                {fn: opLock},
	wire.OP_LOCKT:               {fn: opLockt},
	wire.OP_LOCKU:               {fn: opLocku},
	wire.OP_LOOKUP:              {fn: opLookup, newFH: true},
	wire.OP_LOOKUPP:             {fn: opLookupp, newFH: true},
	wire.OP_NVERIFY:             {fn: opNverify},
	wire.OP_OPEN:                {fn: opOpen},
	wire.OP_OPENATTR:            {fn: opOpenattr, newFH: true},
	wire.OP_OPEN_CONFIRM:        {fn: opOpenConfirm, only40: true},
	wire.OP_OPEN_DOWNGRADE:      {fn: opOpenDowngrade},
	wire.OP_PUTFH:               {fn: opPutfh, newFH: true},
	wire.OP_PUTPUBFH:            {fn: opPutrootfh, newFH: true},
	wire.OP_PUTROOTFH:           {fn: opPutrootfh, newFH: true},
	wire.OP_READ:                {fn: opRead},
	wire.OP_READDIR:             {fn: opReaddir},
	wire.OP_READLINK:            {fn: opReadlink},
	wire.OP_REMOVE:              {fn: opRemove},
	wire.OP_RENAME:              {fn: opRename},
	wire.OP_RENEW:               {fn: opRenew, only40: true},
	wire.OP_RESTOREFH:           {fn: opRestorefh},
	wire.OP_SAVEFH:              {fn: opSavefh},
	wire.OP_SECINFO:             {fn: opSecinfo, newFH: true},
	wire.OP_SETATTR:             {fn: opSetattr},
	wire.OP_SETCLIENTID:         {fn: opSetclientid, only40: true},
	wire.OP_SETCLIENTID_CONFIRM: {fn: opSetclientidConfirm, only40: true},
	wire.OP_VERIFY:              {fn: opVerify},
	wire.OP_WRITE:               {fn: opWrite},
	wire.OP_RELEASE_LOCKOWNER:   {fn: opReleaseLockowner, only40: true},

	// NFSv4.1.
	wire.OP_BACKCHANNEL_CTL:      {fn: opBackchannelCtl, minMinor: 1},
	wire.OP_BIND_CONN_TO_SESSION: {fn: opBindConnToSession, minMinor: 1},
	wire.OP_DESTROY_SESSION:      {fn: opDestroySession, minMinor: 1},
	wire.OP_SEQUENCE:             {fn: opSequence, minMinor: 1},
	wire.OP_EXCHANGE_ID:          {fn: opExchangeID, minMinor: 1},
	wire.OP_CREATE_SESSION:       {fn: opCreateSession, minMinor: 1},
	wire.OP_DESTROY_CLIENTID:     {fn: opDestroyClientID, minMinor: 1},
	wire.OP_RECLAIM_COMPLETE:     {fn: opReclaimComplete, minMinor: 1},
	wire.OP_SECINFO_NO_NAME:      {fn: opSecinfoNoName, minMinor: 1, newFH: true},
	wire.OP_TEST_STATEID:         {fn: opTestStateid, minMinor: 1},
	wire.OP_FREE_STATEID:         {fn: opFreeStateid, minMinor: 1},
	wire.OP_WANT_DELEGATION:      {fn: opWantDelegation, minMinor: 1},
	wire.OP_GET_DIR_DELEGATION:   {fn: opGetDirDelegation, minMinor: 1},
	wire.OP_LAYOUTGET:            {fn: opLayoutget, minMinor: 1},
	wire.OP_LAYOUTCOMMIT:         {fn: opLayoutcommit, minMinor: 1},
	wire.OP_LAYOUTRETURN:         {fn: opLayoutreturn, minMinor: 1},
	wire.OP_GETDEVICEINFO:        {fn: opGetdeviceinfo, minMinor: 1},
	wire.OP_GETDEVICELIST:        {fn: opGetdevicelist, minMinor: 1},
	wire.OP_SET_SSV:              {fn: opSetSsv, minMinor: 1},

	wire.OP_REMOVEXATTR: {},
}

// opOpenattr: named attributes are not supported (named_attr is false),
// so OPENATTR is NFS4ERR_NOTSUPP (RFC 7530 §16.17.5).
func opOpenattr(c *compound) wire.Nfsstat4 {
	var a wire.OPENATTR4args
	a.UnmarshalXDR(c.d)
	if c.badArgs() {
		return wire.NFS4ERR_BADXDR
	}
	if st := c.needFile(); st != wire.NFS4_OK {
		return c.status(st)
	}
	return c.status(wire.NFS4ERR_NOTSUPP)
}

package smb

import "github.com/dittofs/dittofs/smb/internal/wire"

// leaseBreakAck is a lease break acknowledgment (MS-SMB2 §3.3.5.22.2).
func (c *conn) leaseBreakAck(r *request, ack *wire.LeaseBreakAck) wire.Status {
	return wire.STATUS_OBJECT_NAME_NOT_FOUND // no lease is granted
}

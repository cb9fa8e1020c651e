package wire

// OplockBreak is the SMB2 OPLOCK_BREAK Notification, Acknowledgment and
// Response for an oplock (MS-SMB2 §2.2.23.1, §2.2.24.1, §2.2.25.1), which
// share one 24-byte layout.
type OplockBreak struct {
	OplockLevel uint8
	FileID      FileID
}

// LeaseBreakAck is the SMB2 Lease Break Acknowledgment and Response
// (MS-SMB2 §2.2.24.2, §2.2.25.2), which share one 36-byte layout.
type LeaseBreakAck struct {
	Flags         uint32
	LeaseKey      GUID
	LeaseState    uint32
	LeaseDuration uint64
}

// OplockBreakRequest is an OPLOCK_BREAK request from a client: either an
// oplock break acknowledgment (StructureSize 24) or a lease break
// acknowledgment (StructureSize 36), told apart by StructureSize
// (MS-SMB2 §3.3.5.22).
type OplockBreakRequest struct {
	IsLease bool
	Oplock  OplockBreak   // when !IsLease
	Lease   LeaseBreakAck // when IsLease
}

// Decode decodes an OPLOCK_BREAK request from msg.
func (r *OplockBreakRequest) Decode(msg []byte) error {
	if len(msg) < HeaderSize+2 {
		return ErrShortBuffer
	}
	*r = OplockBreakRequest{}
	switch size := uint16(msg[HeaderSize]) | uint16(msg[HeaderSize+1])<<8; size {
	case 24:
		d, err := fixedBody(msg, 24)
		if err != nil {
			return err
		}
		r.Oplock.OplockLevel = d.Uint8()
		d.Skip(5)
		r.Oplock.FileID = d.FileID()
		return d.Err()
	case 36:
		d, err := fixedBody(msg, 36)
		if err != nil {
			return err
		}
		r.IsLease = true
		d.Skip(2)
		r.Lease.Flags = d.Uint32()
		r.Lease.LeaseKey = d.GUID()
		r.Lease.LeaseState = d.Uint32()
		r.Lease.LeaseDuration = d.Uint64()
		return d.Err()
	default:
		return ErrStructureSize
	}
}

// Encode appends an oplock break notification or response body to e.
func (r *OplockBreak) Encode(e *Encoder) {
	e.Uint16(24)
	e.Uint8(r.OplockLevel)
	e.Uint8(0)
	e.Uint32(0)
	e.FileID(r.FileID)
}

// Encode appends a lease break response body to e.
func (r *LeaseBreakAck) Encode(e *Encoder) {
	e.Uint16(36)
	e.Uint16(0)
	e.Uint32(r.Flags)
	e.Write(r.LeaseKey[:])
	e.Uint32(r.LeaseState)
	e.Uint64(r.LeaseDuration)
}

// LeaseBreakNotification is the SMB2 Lease Break Notification (MS-SMB2
// §2.2.23.2), sent by the server with MessageId 0xFFFFFFFFFFFFFFFF.
type LeaseBreakNotification struct {
	NewEpoch          uint16
	Flags             uint32 // SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED
	LeaseKey          GUID
	CurrentLeaseState uint32
	NewLeaseState     uint32
}

// Encode appends the notification body to e.
func (r *LeaseBreakNotification) Encode(e *Encoder) {
	e.Uint16(44)
	e.Uint16(r.NewEpoch)
	e.Uint32(r.Flags)
	e.Write(r.LeaseKey[:])
	e.Uint32(r.CurrentLeaseState)
	e.Uint32(r.NewLeaseState)
	e.Uint32(0) // BreakReason
	e.Uint32(0) // AccessMaskHint
	e.Uint32(0) // ShareMaskHint
}

// UnsolicitedMessageID is the MessageId of a server-initiated oplock or
// lease break notification (MS-SMB2 §2.2.23).
const UnsolicitedMessageID = ^uint64(0)

package locking

import (
	"errors"
	"fmt"
	"math"
)

// Proto is the protocol an owner belongs to.
type Proto uint8

// The protocols that take locks.
const (
	ProtoNLM Proto = iota + 1
	ProtoNFS4
	ProtoSMB
	ProtoLocal // a local process or a test
)

func (p Proto) String() string {
	switch p {
	case ProtoNLM:
		return "nlm"
	case ProtoNFS4:
		return "nfs4"
	case ProtoSMB:
		return "smb"
	case ProtoLocal:
		return "local"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// Owner identifies the holder of a lock in its protocol's own terms. It is
// comparable and usable as a map key. Client is the protocol's client
// identity (NLM caller_name, NFSv4 client id); Key names the owner within
// the client (NLM svid and oh, NFSv4 lock-owner or open-owner). Grants
// belong to a client: their owners' Key is ignored.
type Owner struct {
	Proto  Proto
	Client string
	Key    string
}

// client returns the owner's client.
func (o Owner) client() clientKey { return clientKey{o.Proto, o.Client} }

type clientKey struct {
	proto  Proto
	client string
}

// Range is a byte range: Len bytes from Off, where Len 0 means to the end
// of the file (and any range that would pass 2^64-1 ends there too).
type Range struct {
	Off, Len uint64
}

// last returns the offset of the range's last byte.
func (r Range) last() uint64 {
	if r.Len == 0 || r.Off+r.Len-1 < r.Off {
		return math.MaxUint64
	}
	return r.Off + r.Len - 1
}

// rangeOf returns the Range of [first, last].
func rangeOf(first, last uint64) Range {
	if last == math.MaxUint64 {
		return Range{Off: first}
	}
	return Range{Off: first, Len: last - first + 1}
}

// Lock is a held byte-range lock.
type Lock struct {
	Owner     Owner
	Range     Range
	Exclusive bool
}

// Mode is a set of share access or deny bits.
type Mode uint8

// The share modes (NFSv4 OPEN4_SHARE_ACCESS_READ/WRITE and
// OPEN4_SHARE_DENY_READ/WRITE, NLM fsa_R/fsa_W and fsm_DR/fsm_DW).
const (
	ModeRead  Mode = 1
	ModeWrite Mode = 2
	ModeBoth       = ModeRead | ModeWrite
)

// GrantKind is the strength of a recallable grant.
type GrantKind uint8

// The grant kinds. A read grant (NFSv4 read delegation, SMB read lease or
// level II oplock) conflicts with other clients' writes; a write grant
// (write delegation, SMB read-write lease or exclusive oplock) with any
// access by another client.
const (
	GrantNone GrantKind = iota
	GrantRead
	GrantWrite
)

// GrantID names a grant within a Manager.
type GrantID uint64

// Breaker is told to recall a grant: the holder should flush what it
// caches and return the grant or downgrade it to to (GrantNone means
// return). Break must not block; it queues the recall and returns.
type Breaker interface {
	Break(id GrantID, to GrantKind)
}

// Revoker is an optional interface of a Breaker: Revoked is called when a
// grant was revoked because its break was not answered in time.
type Revoker interface {
	Revoked(id GrantID)
}

// Errors of the Manager.
var (
	// ErrDenied is a lock, share or grant that conflicts with another
	// owner's state. For locks it comes as a *ConflictError.
	ErrDenied = errors.New("locking: conflicting lock")
	// ErrBlocked means the request was queued; Request.Granted is called
	// when it is granted or aborted.
	ErrBlocked = errors.New("locking: request blocked")
	// ErrDeadlock means waiting would deadlock.
	ErrDeadlock = errors.New("locking: deadlock")
	// ErrGrace means the share is in its grace period and the request is
	// not a reclaim.
	ErrGrace = errors.New("locking: in grace period")
	// ErrNoGrace is a reclaim outside the grace period.
	ErrNoGrace = errors.New("locking: reclaim outside grace period")
	// ErrBreaking means a recallable grant conflicts and is being broken;
	// retry later (NFS4ERR_DELAY).
	ErrBreaking = errors.New("locking: grant being recalled")
	// ErrCanceled is given to Request.Granted when a blocked request is
	// aborted (its client released or the Manager closed).
	ErrCanceled = errors.New("locking: request canceled")
	// ErrNoGrant is an unknown GrantID.
	ErrNoGrant = errors.New("locking: no such grant")
	// ErrClosed is any call after Close.
	ErrClosed = errors.New("locking: manager closed")
)

// ConflictError is ErrDenied with the lock that conflicts.
type ConflictError struct {
	Holder Lock
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("locking: conflicting lock held by %v/%s on [%d, +%d)", e.Holder.Owner.Proto, e.Holder.Owner.Client, e.Holder.Range.Off, e.Holder.Range.Len)
}

// Is makes a ConflictError match ErrDenied.
func (e *ConflictError) Is(target error) bool { return target == ErrDenied }

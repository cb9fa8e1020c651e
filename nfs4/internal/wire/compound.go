package wire

import "github.com/dittofs/dittofs/rpc/xdr"

// COMPOUND4argsHead is the fixed part of COMPOUND4args (RFC 5661 §16.2.1):
// the tag, the minor version and the number of operations in argarray.
// The operations follow it in the record, each an NfsOpnum4 and that
// operation's arguments; the server decodes them one at a time as it
// executes them. NumOps is the array count as sent: the caller bounds it
// (NFS4ERR_TOO_MANY_OPS, NFS4ERR_RESOURCE) and every operation's decoder
// is still bounded by the bytes left in the record.
type COMPOUND4argsHead struct {
	Tag          Utf8strCs
	Minorversion uint32
	NumOps       uint32
}

// COMPOUND4resHead is the fixed part of COMPOUND4res (RFC 5661 §16.2.2):
// the status of the last operation executed, the tag and the number of
// results in resarray, which follow it in the record, each an NfsOpnum4
// and that operation's result.
type COMPOUND4resHead struct {
	Status     Nfsstat4
	Tag        Utf8strCs
	NumResults uint32
}

// CB_COMPOUND4argsHead is the fixed part of CB_COMPOUND4args (RFC 5661
// §19.2, RFC 3530 §15.2), followed by NumOps callback operations.
type CB_COMPOUND4argsHead struct {
	Tag           Utf8strCs
	Minorversion  uint32
	CallbackIdent uint32
	NumOps        uint32
}

// CB_COMPOUND4resHead is the fixed part of CB_COMPOUND4res, followed by
// NumResults callback operation results.
type CB_COMPOUND4resHead struct {
	Status     Nfsstat4
	Tag        Utf8strCs
	NumResults uint32
}

// Patch rewrites the status and the result count of a COMPOUND4res head
// that was encoded at offset off of e, with h.Tag as then. A server
// encodes the head first, appends each result as its operation runs, and
// patches the head when the compound ends; the tag must not change in
// between.
func (h *COMPOUND4resHead) Patch(e *xdr.Encoder, off int) {
	e.PutUint32At(off, uint32(h.Status))
	e.PutUint32At(off+4+xdr.SizeOpaque(len(h.Tag)), h.NumResults)
}

// Patch rewrites the status and the result count of a CB_COMPOUND4res head
// encoded at offset off of e, like COMPOUND4resHead.Patch.
func (h *CB_COMPOUND4resHead) Patch(e *xdr.Encoder, off int) {
	e.PutUint32At(off, uint32(h.Status))
	e.PutUint32At(off+4+xdr.SizeOpaque(len(h.Tag)), h.NumResults)
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// NFSv4.1 operations (RFC 8881 §16.1, nfs_opnum4) and statuses.
const (
	op4CLOSE            = 4
	op4COMMIT           = 5
	op4GETATTR          = 9
	op4GETFH            = 10
	op4LOOKUP           = 15
	op4OPEN             = 18
	op4PUTFH            = 22
	op4PUTROOTFH        = 24
	op4READ             = 25
	op4REMOVE           = 28
	op4WRITE            = 38
	op4EXCHANGE_ID      = 42
	op4CREATE_SESSION   = 43
	op4DESTROY_SESSION  = 44
	op4SEQUENCE         = 53
	op4DESTROY_CLIENTID = 57
	op4RECLAIM_COMPLETE = 58

	nfs4ErrDelay = 10008
	nfs4ErrGrace = 10013

	proc4COMPOUND = 1
	nfs4Program   = 100003
	nfs4Version   = 4

	// retryFor bounds the retries of a compound answered NFS4ERR_DELAY
	// or NFS4ERR_GRACE.
	retryFor = 2 * time.Minute
)

// op4 is one operation of a COMPOUND: its arguments and the decoder of
// its result after the status (nil for none).
type op4 struct {
	code uint32
	size int
	enc  func(e *xdr.Encoder)
	dec  func(d *xdr.Decoder)
}

// status4Error is an operation's failure.
type status4Error struct {
	op, status uint32
}

func (e *status4Error) Error() string {
	return fmt.Sprintf("NFSv4.1 operation %d: nfsstat4 %d", e.op, e.status)
}

// compound4 sends ops as one COMPOUND (minor version 1) on rc and
// decodes the results of those that ran; the first failing operation is
// a *status4Error.
func compound4(ctx context.Context, rc *rpc.Client, ops []op4) error {
	size := 16
	for _, op := range ops {
		size += 4 + op.size
	}
	args := msg{size, func(e *xdr.Encoder) {
		e.String("") // tag
		e.Uint32(1)  // minorversion
		e.Uint32(uint32(len(ops)))
		for _, op := range ops {
			e.Uint32(op.code)
			if op.enc != nil {
				op.enc(e)
			}
		}
	}}
	var failed *status4Error
	var status uint32
	err := rc.Call(ctx, nfs4Program, nfs4Version, proc4COMPOUND, args, decFunc(func(d *xdr.Decoder) {
		status = d.Uint32()
		d.Opaque(1024) // tag
		n := d.ArrayLen(uint32(len(ops)), 8)
		for _, op := range ops[:n] {
			if code := d.Uint32(); code != op.code && d.Err() == nil {
				d.SetErr(fmt.Errorf("result of operation %d where %d was sent", code, op.code))
				return
			}
			if st := d.Uint32(); st != 0 {
				failed = &status4Error{op.code, st}
				return
			}
			if op.dec != nil {
				op.dec(d)
			}
		}
	}))
	switch {
	case err != nil:
		return err
	case failed != nil:
		return failed
	case status != 0:
		return &status4Error{0, status}
	}
	return nil
}

// session is an NFSv4.1 session and its slot table.
type session struct {
	rc   *rpc.Client
	id   [16]byte
	free chan uint32 // slots not in use
	mu   sync.Mutex
	seq  []uint32 // last sequence id sent per slot
}

// nfs41Client speaks NFSv4.1 to the export's root: one client ID, one
// session per connection.
type nfs41Client struct {
	clientid uint64
	owner    []byte // the open-owner of every OPEN
	sessions []*session
	root     []byte
}

// sessionSlots returns the slots each of conns sessions asks for so that
// depth calls may be in flight.
func sessionSlots(depth, conns int) int { return max(1, (depth+conns-1)/conns) }

func dial41(ctx context.Context, t target, conns, depth int) (*nfs41Client, error) {
	cs, err := dialRPC(ctx, t, t.addr, conns)
	if err != nil {
		return nil, err
	}
	c := &nfs41Client{owner: []byte("hostbench")}
	if err := c.setup(ctx, cs, t.export, sessionSlots(depth, conns)); err != nil {
		closeAll(cs)
		return nil, err
	}
	return c, nil
}

func (c *nfs41Client) setup(ctx context.Context, cs []*rpc.Client, export string, slots int) error {
	var verifier [8]byte
	rand.Read(verifier[:])
	ownerID := fmt.Sprintf("hostbench-%d-%x", os.Getpid(), verifier)
	var seq uint32
	// EXCHANGE_ID (RFC 8881 §18.35): SP4_NONE, no implementation id.
	err := compound4(ctx, cs[0], []op4{{code: op4EXCHANGE_ID, size: 64, enc: func(e *xdr.Encoder) {
		e.FixedOpaque(verifier[:])
		e.String(ownerID)
		e.Uint32(0) // flags
		e.Uint32(0) // SP4_NONE
		e.Uint32(0) // no client_impl_id
	}, dec: func(d *xdr.Decoder) {
		c.clientid, seq = d.Uint64(), d.Uint32()
	}}})
	if err != nil {
		return fmt.Errorf("EXCHANGE_ID: %w", err)
	}
	for i, rc := range cs {
		s, err := c.createSession(ctx, rc, seq, slots)
		if err != nil {
			return fmt.Errorf("CREATE_SESSION %d: %w", i, err)
		}
		seq++
		c.sessions = append(c.sessions, s)
	}
	// RECLAIM_COMPLETE (§18.51): nothing to reclaim, so that OPEN is
	// allowed at once.
	if err := c.compound(ctx, 0, op4{code: op4RECLAIM_COMPLETE, size: 4, enc: func(e *xdr.Encoder) { e.Bool(false) }}); err != nil {
		return fmt.Errorf("RECLAIM_COMPLETE: %w", err)
	}
	ops := []op4{{code: op4PUTROOTFH}}
	for name := range strings.SplitSeq(export, "/") {
		if name != "" {
			ops = append(ops, lookup4(name))
		}
	}
	ops = append(ops, op4{code: op4GETFH, dec: func(d *xdr.Decoder) { c.root = d.OpaqueCopy(maxHandleSize) }})
	if err := c.compound(ctx, 0, ops...); err != nil {
		return fmt.Errorf("the handle of %s: %w", export, err)
	}
	return nil
}

// maxIO is the largest READ or WRITE the sessions must carry.
const maxIO = 1 << 20

// createSession creates a session of slots slots on rc (§18.36) with no
// back channel use.
func (c *nfs41Client) createSession(ctx context.Context, rc *rpc.Client, seq uint32, slots int) (*session, error) {
	s := &session{rc: rc}
	var maxReq, got uint32
	err := compound4(ctx, rc, []op4{{code: op4CREATE_SESSION, size: 96, enc: func(e *xdr.Encoder) {
		e.Uint64(c.clientid)
		e.Uint32(seq)
		e.Uint32(0) // flags: not persistent, no back channel on this connection
		// Fore channel: header padding, request and response sizes, cached
		// response size, operations, requests, no RDMA.
		for _, v := range []uint32{0, maxIO + 64<<10, maxIO + 64<<10, 8 << 10, 16, uint32(slots), 0} {
			e.Uint32(v)
		}
		for _, v := range []uint32{0, 4096, 4096, 0, 2, 1, 0} { // back channel
			e.Uint32(v)
		}
		e.Uint32(0x40000000) // cb_program
		e.Uint32(1)          // one callback_sec_parms4: AUTH_NONE
		e.Uint32(0)
	}, dec: func(d *xdr.Decoder) {
		d.FixedOpaqueInto(s.id[:])
		d.Uint32() // sequence
		d.Uint32() // flags
		d.Uint32() // header padding
		maxReq = d.Uint32()
		d.Skip(12) // response size, cached size, operations
		got = d.Uint32()
	}}})
	if err != nil {
		return nil, err
	}
	if maxReq < maxIO+1024 {
		return nil, fmt.Errorf("the server's largest request is %d bytes, too small for %d-byte writes", maxReq, maxIO)
	}
	if got == 0 || got > 1024 {
		return nil, fmt.Errorf("the server granted %d slots", got)
	}
	if int(got) < slots {
		fmt.Fprintf(os.Stderr, "hostbench: the server granted %d of %d session slots\n", got, slots)
	}
	s.seq = make([]uint32, got)
	s.free = make(chan uint32, got)
	for i := range got {
		s.free <- i
	}
	return s, nil
}

// compound sends SEQUENCE and ops on worker w's session, retrying while
// the server answers NFS4ERR_DELAY or NFS4ERR_GRACE.
func (c *nfs41Client) compound(ctx context.Context, w int, ops ...op4) error {
	s := c.sessions[w%len(c.sessions)]
	deadline := time.Now().Add(retryFor)
	for {
		err := c.once(ctx, s, ops)
		var st *status4Error
		if !errors.As(err, &st) || (st.status != nfs4ErrDelay && st.status != nfs4ErrGrace) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// once sends one SEQUENCE + ops on a free slot of s (RFC 8881 §18.46):
// the slot's sequence id advances unless SEQUENCE itself failed.
func (c *nfs41Client) once(ctx context.Context, s *session, ops []op4) error {
	var slot uint32
	select {
	case slot = <-s.free:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { s.free <- slot }()
	s.mu.Lock()
	seq := s.seq[slot] + 1
	highest := uint32(len(s.seq) - 1)
	s.mu.Unlock()
	all := make([]op4, 0, 1+len(ops))
	all = append(all, op4{code: op4SEQUENCE, size: 32, enc: func(e *xdr.Encoder) {
		e.FixedOpaque(s.id[:])
		e.Uint32(seq)
		e.Uint32(slot)
		e.Uint32(highest)
		e.Bool(false) // cachethis
	}, dec: func(d *xdr.Decoder) { d.Skip(16 + 5*4) }})
	all = append(all, ops...)
	err := compound4(ctx, s.rc, all)
	var st *status4Error
	if err == nil || errors.As(err, &st) && st.op != op4SEQUENCE && st.op != 0 {
		s.mu.Lock()
		s.seq[slot] = seq
		s.mu.Unlock()
	}
	return err
}

func putfh4(fh []byte) op4 {
	return op4{code: op4PUTFH, size: xdr.SizeOpaque(len(fh)), enc: func(e *xdr.Encoder) { e.Opaque(fh) }}
}

func lookup4(name string) op4 {
	return op4{code: op4LOOKUP, size: xdr.SizeOpaque(len(name)), enc: func(e *xdr.Encoder) { e.String(name) }}
}

// skipChangeInfo skips a change_info4.
func skipChangeInfo(d *xdr.Decoder) { d.Skip(4 + 16) }

// skipNFSAce skips an nfsace4.
func skipNFSAce(d *xdr.Decoder) {
	d.Skip(12)
	d.Opaque(1024)
}

// skipDelegation skips an open_delegation4 (RFC 8881 §18.16.2). Neither
// reference server grants delegations to this client, which never
// conflicts with itself; one granted is left to the end of the client ID.
func skipDelegation(d *xdr.Decoder) {
	switch t := d.Uint32(); t {
	case 0: // OPEN_DELEGATE_NONE
	case 1: // READ: stateid, recall, permissions
		d.Skip(16 + 4)
		skipNFSAce(d)
	case 2: // WRITE: stateid, recall, space limit, permissions
		d.Skip(16 + 4)
		switch d.Uint32() {
		case 1: // NFS_LIMIT_SIZE
			d.Skip(8)
		case 2: // NFS_LIMIT_BLOCKS
			d.Skip(8)
		}
		skipNFSAce(d)
	case 3: // OPEN_DELEGATE_NONE_EXT
		if why := d.Uint32(); why == 7 || why == 8 { // WND4_CONTENTION, WND4_RESOURCE
			d.Bool()
		}
	default:
		d.SetErr(fmt.Errorf("delegation type %d", t))
	}
}

func (c *nfs41Client) create(ctx context.Context, w int, name string) (*file, error) {
	f := &file{}
	open := op4{code: op4OPEN, size: 64 + xdr.SizeOpaque(len(c.owner)) + xdr.SizeOpaque(len(name)), enc: func(e *xdr.Encoder) {
		e.Uint32(0) // seqid, ignored in 4.1
		e.Uint32(3) // OPEN4_SHARE_ACCESS_BOTH
		e.Uint32(0) // OPEN4_SHARE_DENY_NONE
		e.Uint64(c.clientid)
		e.Opaque(c.owner)
		e.Uint32(1) // OPEN4_CREATE
		e.Uint32(0) // UNCHECKED4
		e.Uint32(2) // fattr4 bitmap: mode (attribute 33)
		e.Uint32(0)
		e.Uint32(1 << 1)
		e.Uint32(4)
		e.Uint32(0o644)
		e.Uint32(0) // CLAIM_NULL
		e.String(name)
	}, dec: func(d *xdr.Decoder) {
		d.FixedOpaqueInto(f.sid[:])
		skipChangeInfo(d)
		d.Uint32() // rflags
		d.Skip(4 * d.ArrayLen(8, 4))
		skipDelegation(d)
	}}
	getfh := op4{code: op4GETFH, dec: func(d *xdr.Decoder) { f.fh = d.OpaqueCopy(maxHandleSize) }}
	if err := c.compound(ctx, w, putfh4(c.root), open, getfh); err != nil {
		return nil, fmt.Errorf("OPEN %s: %w", name, err)
	}
	return f, nil
}

func (c *nfs41Client) close(ctx context.Context, w int, f *file) error {
	err := c.compound(ctx, w, putfh4(f.fh), op4{code: op4CLOSE, size: 20, enc: func(e *xdr.Encoder) {
		e.Uint32(0)
		e.FixedOpaque(f.sid[:])
	}, dec: func(d *xdr.Decoder) { d.Skip(16) }})
	if err != nil {
		return fmt.Errorf("CLOSE: %w", err)
	}
	return nil
}

func (c *nfs41Client) write(ctx context.Context, w int, f *file, off uint64, data []byte, how stableHow) error {
	for len(data) > 0 {
		var count, committed uint32
		p := data
		err := c.compound(ctx, w, putfh4(f.fh), op4{code: op4WRITE, size: 28 + xdr.SizeOpaque(len(p)), enc: func(e *xdr.Encoder) {
			e.FixedOpaque(f.sid[:])
			e.Uint64(off)
			e.Uint32(uint32(how))
			e.Opaque(p)
		}, dec: func(d *xdr.Decoder) {
			count, committed = d.Uint32(), d.Uint32()
			d.Skip(8)
		}})
		if err != nil {
			return fmt.Errorf("WRITE at %d: %w", off, err)
		}
		if err := checkWrite(count, len(p), committed, how); err != nil {
			return fmt.Errorf("WRITE at %d: %w", off, err)
		}
		data, off = data[count:], off+uint64(count)
	}
	return nil
}

func (c *nfs41Client) commit(ctx context.Context, w int, f *file) error {
	err := c.compound(ctx, w, putfh4(f.fh), op4{code: op4COMMIT, size: 12, enc: func(e *xdr.Encoder) {
		e.Uint64(0)
		e.Uint32(0)
	}, dec: func(d *xdr.Decoder) { d.Skip(8) }})
	if err != nil {
		return fmt.Errorf("COMMIT: %w", err)
	}
	return nil
}

func (c *nfs41Client) read(ctx context.Context, w int, f *file, off uint64, n uint32) ([]byte, bool, error) {
	return c.read4(ctx, w, f.fh, f.sid, off, n)
}

// readAnon reads with the anonymous stateid (RFC 8881 §8.2.3).
func (c *nfs41Client) readAnon(ctx context.Context, w int, fh []byte, off uint64, n uint32) ([]byte, bool, error) {
	return c.read4(ctx, w, fh, stateid{}, off, n)
}

func (c *nfs41Client) read4(ctx context.Context, w int, fh []byte, sid stateid, off uint64, n uint32) ([]byte, bool, error) {
	var data []byte
	var eof bool
	err := c.compound(ctx, w, putfh4(fh), op4{code: op4READ, size: 28, enc: func(e *xdr.Encoder) {
		e.FixedOpaque(sid[:])
		e.Uint64(off)
		e.Uint32(n)
	}, dec: func(d *xdr.Decoder) {
		eof = d.Bool()
		data = d.Opaque(n)
	}})
	if err != nil {
		return nil, false, fmt.Errorf("READ at %d: %w", off, err)
	}
	return data, eof, nil
}

// getattrMask asks for what a client's stat needs: type, change, size,
// fsid, fileid (word 0), mode, numlinks, owner, owner_group, rawdev,
// space_used, time_access, time_metadata, time_modify (word 1).
var getattrMask = [2]uint32{1<<1 | 1<<3 | 1<<4 | 1<<8 | 1<<20,
	1<<(33-32) | 1<<(35-32) | 1<<(36-32) | 1<<(37-32) | 1<<(41-32) | 1<<(45-32) | 1<<(47-32) | 1<<(52-32) | 1<<(53-32)}

func (c *nfs41Client) getattr(ctx context.Context, w int, f *file) error {
	err := c.compound(ctx, w, putfh4(f.fh), op4{code: op4GETATTR, size: 12, enc: func(e *xdr.Encoder) {
		e.Uint32(2)
		e.Uint32(getattrMask[0])
		e.Uint32(getattrMask[1])
	}, dec: func(d *xdr.Decoder) {
		d.Skip(4 * d.ArrayLen(8, 4))
		d.Opaque(64 << 10)
	}})
	if err != nil {
		return fmt.Errorf("GETATTR: %w", err)
	}
	return nil
}

func (c *nfs41Client) remove(ctx context.Context, w int, name string) error {
	err := c.compound(ctx, w, putfh4(c.root), op4{code: op4REMOVE, size: xdr.SizeOpaque(len(name)),
		enc: func(e *xdr.Encoder) { e.String(name) }, dec: skipChangeInfo})
	if err != nil {
		return fmt.Errorf("REMOVE %s: %w", name, err)
	}
	return nil
}

// shutdown destroys the sessions and the client ID (RFC 8881 §18.37,
// §18.50) and closes the connections.
func (c *nfs41Client) shutdown(ctx context.Context) error {
	var errs []error
	var cs []*rpc.Client
	for _, s := range c.sessions {
		err := compound4(ctx, s.rc, []op4{{code: op4DESTROY_SESSION, size: 16, enc: func(e *xdr.Encoder) { e.FixedOpaque(s.id[:]) }}})
		if err != nil {
			errs = append(errs, fmt.Errorf("DESTROY_SESSION: %w", err))
		}
		cs = append(cs, s.rc)
	}
	err := compound4(ctx, cs[0], []op4{{code: op4DESTROY_CLIENTID, size: 8, enc: func(e *xdr.Encoder) { e.Uint64(c.clientid) }}})
	if err != nil {
		errs = append(errs, fmt.Errorf("DESTROY_CLIENTID: %w", err))
	}
	errs = append(errs, closeAll(cs))
	return errors.Join(errs...)
}

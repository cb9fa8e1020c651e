package nfstest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"github.com/dittofs/dittofs/rpc"
	"github.com/dittofs/dittofs/rpc/xdr"
)

// NFSv4 operation numbers the session watcher decodes or counts (RFC
// 8881 §18).
const (
	OpClose             = 4
	OpCommit            = 5
	OpGetattr           = 9
	OpLock              = 12
	OpOpen              = 18
	OpPutFH             = 22
	OpPutRootFH         = 24
	OpBindConnToSession = 41
	OpSequence          = 53
	OpWrite             = 38
	OpReclaimComplete   = 58
)

// CLAIM_PREVIOUS, the open_claim_type4 of a reclaimed open.
const claimPrevious = 1

// CloseConns closes every TCP connection of the NFS port at once, as a
// network failure would (the listener stays open), and returns how many
// it closed.
func (s *Server) CloseConns() int { return s.srv.CloseConns() }

// Sessions watches the NFSv4.1 COMPOUNDs of one server run: on which TCP
// connections each session's calls arrived (SEQUENCE and
// BIND_CONN_TO_SESSION name the session), and how many times each
// operation that follows SEQUENCE (past PUTFH) was answered with each
// status, with reclaims (OPEN with CLAIM_PREVIOUS, LOCK with reclaim set)
// counted apart. It sees every COMPOUND from the moment Watch returns.
type Sessions struct {
	next rpc.Handler

	mu       sync.Mutex
	conns    map[[16]byte]map[*rpc.Conn]int
	last     *rpc.Conn // the connection of the latest COMPOUND
	sinceNew int       // COMPOUNDs on last since it first appeared
	seen     map[*rpc.Conn]bool
	ops      map[opKey]int

	// The armed drop and the retransmission it waits for.
	dropOp    uint32
	dropFn    func()
	dropped   map[slotKey]lostReply
	replays   int // retries answered with the lost reply
	uncached  int // retries answered NFS4ERR_RETRY_UNCACHED_REP
	replayBad []string
}

// lostReply is the reply of a dropped call, and whether the client
// asked the server to cache it (sa_cachethis).
type lostReply struct {
	res       []byte
	cacheThis bool
}

// nfs4errRetryUncachedRep is the answer to a retry whose reply was not
// cached (RFC 8881 §2.10.6.1.3).
const nfs4errRetryUncachedRep = 10068

type slotKey struct {
	session     [16]byte
	slot, seqid uint32
}

type opKey struct {
	op      uint32
	reclaim bool
	status  uint32
}

// WatchSessions puts a Sessions in front of the server's NFSv4 program.
func (s *Server) WatchSessions() *Sessions {
	h, _, _, _ := s.Mark.ServeMux.Handler(ProgNFS, 4)
	w := &Sessions{next: h, conns: map[[16]byte]map[*rpc.Conn]int{}, seen: map[*rpc.Conn]bool{}, ops: map[opKey]int{}, dropped: map[slotKey]lostReply{}}
	s.Mark.ServeMux.Handle(ProgNFS, 4, w)
	return w
}

// NonIdempotent asks the NFSv4 program (COMPOUNDs are not cached by the
// RPC layer's duplicate cache: SEQUENCE's slots are).
func (w *Sessions) NonIdempotent(prog, vers, proc uint32) bool {
	ni, ok := w.next.(rpc.NonIdempotent)
	return ok && ni.NonIdempotent(prog, vers, proc)
}

// NonIdempotentCall asks the NFSv4 program whether the call's reply is
// kept by the duplicate cache (a 4.0 COMPOUND that changes the namespace),
// so that the kernel-client tests run with the server's own cache.
func (w *Sessions) NonIdempotentCall(c *rpc.Call) bool {
	ni, ok := w.next.(rpc.NonIdempotentCall)
	return ok && ni.NonIdempotentCall(c)
}

// ServeRPC notes c and passes it on.
func (w *Sessions) ServeRPC(ctx context.Context, rw *rpc.ReplyWriter, c *rpc.Call) {
	var info compoundInfo
	if c.Proc == 1 {
		info = decodeCompound(c.Args.Rest())
	}
	w.next.ServeRPC(ctx, rw, c)
	if c.Proc != 1 || c.Conn == nil {
		return
	}
	// The reply as the Marker reads it: record mark, xid, REPLY,
	// MSG_ACCEPTED, an AUTH_NONE verifier, SUCCESS, then COMPOUND4res.
	status := uint32(0xffffffff)
	var res []byte
	if b := rw.Encoder().Bytes(); len(b) >= 32 {
		status, res = binary.BigEndian.Uint32(b[28:]), b[28:]
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	key := slotKey{info.session, info.slot, info.seqid}
	if lost, ok := w.dropped[key]; ok && info.op != OpBindConnToSession {
		switch {
		case bytes.Equal(lost.res, res):
			w.replays++
		case !lost.cacheThis && status == nfs4errRetryUncachedRep:
			w.uncached++
		default:
			w.replayBad = append(w.replayBad, fmt.Sprintf("slot %d seqid %d op %d cachethis %v: first reply %x, the retransmission's %x", info.slot, info.seqid, info.op, lost.cacheThis, lost.res, res))
		}
		delete(w.dropped, key)
	}
	if w.dropFn != nil && info.op == w.dropOp && info.hasSession {
		// The reply is not sent yet: it is lost with the connection.
		w.dropped[key] = lostReply{bytes.Clone(res), info.cacheThis}
		w.dropFn()
		w.dropFn = nil
	}
	if info.hasSession {
		m := w.conns[info.session]
		if m == nil {
			m = map[*rpc.Conn]int{}
			w.conns[info.session] = m
		}
		m[c.Conn]++
	}
	if !w.seen[c.Conn] {
		w.seen[c.Conn] = true
		w.last, w.sinceNew = c.Conn, 0
	}
	if c.Conn == w.last {
		w.sinceNew++
	}
	if info.op != 0 {
		w.ops[opKey{info.op, info.reclaim, status}]++
	}
}

// DropAfter arms a drop: once the next COMPOUND in a session whose
// operation after SEQUENCE (and PUTFH) is op has run, f is called before
// its reply leaves (f closes the connections, so the reply is lost). The
// client sends the call again in the same slot with the same sequence
// id; Replays compares the reply to it with the lost one.
func (w *Sessions) DropAfter(op uint32, f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropOp, w.dropFn = op, f
}

// Replays counts the calls whose reply a drop lost that came again (the
// same session, slot and sequence id): same were answered with the lost
// reply, byte for byte; uncached, which the client had not asked to be
// cached (sa_cachethis false), NFS4ERR_RETRY_UNCACHED_REP (RFC 8881
// §2.10.6.1.3 allows both); differ describes each other answer.
func (w *Sessions) Replays() (same, uncached int, differ []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.replays, w.uncached, slices.Clone(w.replayBad)
}

// Conns returns, for each session (in hex), how many COMPOUNDs arrived on
// each of its connections, one number per connection.
func (w *Sessions) Conns() map[string][]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]int{}
	for id, m := range w.conns {
		k := hex.EncodeToString(id[:])
		for _, n := range m {
			out[k] = append(out[k], n)
		}
	}
	return out
}

// ConnsSeen returns how many TCP connections have carried COMPOUNDs, and
// how many COMPOUNDs the newest of them has carried.
func (w *Sessions) ConnsSeen() (conns, onNewest int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen), w.sinceNew
}

// Count returns how many COMPOUNDs whose operation after SEQUENCE (and
// PUTFH) was op, a reclaim or not, were answered with status (NFS4_OK is
// 0).
func (w *Sessions) Count(op uint32, reclaim bool, status uint32) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ops[opKey{op, reclaim, status}]
}

// compoundInfo is what decodeCompound found.
type compoundInfo struct {
	session    [16]byte
	hasSession bool
	slot       uint32
	seqid      uint32
	cacheThis  bool
	op         uint32 // the first operation past SEQUENCE, PUTFH and PUTROOTFH
	reclaim    bool
}

// decodeCompound reads COMPOUND4args (RFC 8881 §16.2) as far as the first
// operation after SEQUENCE, the filehandle and GETATTR (or GETATTR when
// nothing follows it): bad or short input gives nothing, or what was
// decoded before the operation that is cut short.
func decodeCompound(args []byte) compoundInfo {
	var info compoundInfo
	d := xdr.NewDecoder(args)
	d.String(1024) // tag
	if d.Uint32() != 1 {
		return info // minorversion
	}
	n := d.ArrayLen(1<<12, 4)
	for range n {
		op := d.Uint32()
		if d.Err() != nil {
			return compoundInfo{}
		}
		switch op {
		case OpSequence, OpBindConnToSession:
			d.FixedOpaqueInto(info.session[:])
			info.hasSession = d.Err() == nil
			if op == OpBindConnToSession {
				info.op = op
				return info
			}
			info.seqid, info.slot = d.Uint32(), d.Uint32()
			d.Skip(4) // sa_highest_slotid
			info.cacheThis = d.Bool()
		case OpPutFH:
			d.Opaque(128)
		case OpPutRootFH:
		case OpGetattr:
			// Linux puts GETATTR before CLOSE; a GETATTR alone is
			// counted as GETATTR.
			skipBitmap(d)
			info.op = op
			continue
		case OpOpen:
			info.op, info.reclaim = op, openClaim(d) == claimPrevious
			return info
		case OpLock:
			d.Uint32() // locktype
			info.op, info.reclaim = op, d.Bool()
			return info
		default:
			info.op = op
			return info
		}
	}
	return info
}

// openClaim decodes OPEN4args up to its claim type (RFC 8881 §18.16.1).
func openClaim(d *xdr.Decoder) uint32 {
	d.Skip(12)           // seqid, share_access, share_deny
	d.Skip(8)            // open_owner4.clientid
	d.Opaque(1024)       // open_owner4.owner
	if d.Uint32() == 1 { // OPEN4_CREATE: createhow4
		switch d.Uint32() {
		case 0, 1: // UNCHECKED4, GUARDED4: fattr4
			skipFattr(d)
		case 2: // EXCLUSIVE4: verifier
			d.Skip(8)
		case 3: // EXCLUSIVE4_1: verifier and fattr4
			d.Skip(8)
			skipFattr(d)
		}
	}
	c := d.Uint32()
	if d.Err() != nil {
		return 0xffffffff
	}
	return c
}

func skipFattr(d *xdr.Decoder) {
	skipBitmap(d)
	d.Opaque(1 << 16)
}

func skipBitmap(d *xdr.Decoder) {
	n := d.ArrayLen(64, 4) // bitmap4
	d.Skip(4 * n)
}

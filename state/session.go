package state

import (
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/dittofs/dittofs/rpc"
)

// Bounds of NFSv4.1 sessions (RFC 8881 §2.10). The fore channel
// attributes a client asks for in CREATE_SESSION are lowered to these;
// the reply cache of all sessions together is bounded by
// Options.MaxReplyCache, and a session is given fewer slots when the
// budget is short.
const (
	// maxSlots is the most fore channel slots a session gets.
	maxSlots = 64
	// maxCachedReply is the largest reply a slot caches
	// (ca_maxresponsesize_cached). Non-idempotent compounds — what clients
	// ask to have cached — have replies of a few hundred bytes.
	maxCachedReply = 8 << 10
	// maxSessionOps is ca_maxoperations of the fore channel.
	maxSessionOps = 64
	// maxSessionsPerClient bounds the sessions of one client ID.
	maxSessionsPerClient = 16
	// DefaultMaxReplyCache is the default Options.MaxReplyCache: 256 MiB,
	// about 500 sessions of 64 full slots.
	DefaultMaxReplyCache = 256 << 20
)

// ErrNoSpace is CREATE_SESSION past the reply cache budget or the
// sessions one client may have (NFS4ERR_NOSPC: RFC 8881 has no status
// for too many sessions).
var ErrNoSpace = errors.New("state: no room for another session") // NFS4ERR_NOSPC

// SessionID is a session's sessionid4.
type SessionID [16]byte

// Channel holds the attributes of a session's fore channel
// (channel_attrs4, RFC 8881 §18.36) that bound its requests; header
// padding and RDMA are not used.
type Channel struct {
	MaxRequestSize, MaxResponseSize, MaxResponseSizeCached uint32
	MaxOperations                                          uint32
	// MaxRequests is the number of slots.
	MaxRequests uint32
}

// Dir is the direction a connection is bound to a session in, with the
// values of channel_dir_from_server4 (RFC 8881 §18.34).
type Dir uint32

// The directions of Session.Bind.
const (
	DirFore Dir = 1
	DirBack Dir = 2
	DirBoth     = DirFore | DirBack
)

// Session is an NFSv4.1 session (RFC 8881 §2.10): its fore channel slot
// table with the reply cache (exactly-once semantics), the connections
// bound to it, and its back channel. It is safe for concurrent use.
type Session struct {
	id       SessionID
	clientid uint64
	slots    *slotTable
	fore     Channel
	// cbDown is set when the last probe of the back channel failed.
	cbDown atomic.Bool
	// backMu serializes callbacks: the back channel has one slot.
	backMu sync.Mutex

	mu sync.Mutex
	// conns are the connections bound to the session and their
	// directions.
	conns map[*rpc.Conn]Dir
	// backSeq is the sequence id of the back channel's one slot.
	backSeq uint32
	// cbProgram and cbCred are the back channel's program and the
	// credential of callbacks; cbErr says why no callback may be sent.
	cbProgram uint32
	cbCred    rpc.OpaqueAuth
	cbErr     error
}

// ID returns the session's id.
func (ss *Session) ID() SessionID { return ss.id }

// ClientID returns the clientid of the session's client.
func (ss *Session) ClientID() uint64 { return ss.clientid }

// Fore returns the negotiated attributes of the fore channel.
func (ss *Session) Fore() Channel { return ss.fore }

// Begin starts a request on slot slotid with sequence id seq (SEQUENCE,
// RFC 8881 §2.10.6). For a new request it returns nil and no error, and
// the slot is busy until End; for a retransmission with a cached reply
// it returns a copy of the reply, to be sent as it is. Otherwise it is
// ErrBadSlot, ErrSlotBusy, ErrRetryUncachedRep or ErrSeqMisordered.
func (ss *Session) Begin(slotid, seq uint32) (replay []byte, err error) {
	return ss.slots.begin(slotid, seq)
}

// End ends the request running on slot slotid: reply (the whole encoded
// COMPOUND result, or nil) is kept for retransmissions when cache is set
// and it fits ca_maxresponsesize_cached; it is copied.
func (ss *Session) End(slotid uint32, reply []byte, cache bool) {
	ss.slots.end(slotid, reply, cache)
}

// Bind binds conn to the session in direction dir (merged with what it
// had). A nil conn (UDP) is not bound.
func (ss *Session) Bind(conn *rpc.Conn, dir Dir) {
	if conn == nil {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.conns == nil {
		ss.conns = map[*rpc.Conn]Dir{}
	}
	ss.conns[conn] |= dir
}

// BoundTo reports whether conn is bound to the session.
func (ss *Session) BoundTo(conn *rpc.Conn) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_, ok := ss.conns[conn]
	return ok
}

// BackConn returns a live connection bound for the back channel, or nil
// (the callback path is down). Dead connections are forgotten.
func (ss *Session) BackConn() *rpc.Conn {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for conn, dir := range ss.conns {
		select {
		case <-conn.Done():
			delete(ss.conns, conn)
			continue
		default:
		}
		if dir&DirBack != 0 {
			return conn
		}
	}
	return nil
}

// SetCallback sets the back channel's callback program and the
// credential of callbacks (CREATE_SESSION, BACKCHANNEL_CTL); a non-nil
// err is why none may be sent (no security flavor the server can use).
func (ss *Session) SetCallback(program uint32, cred rpc.OpaqueAuth, err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.cbProgram, ss.cbCred, ss.cbErr = program, cred, err
}

// Callback returns what SetCallback set.
func (ss *Session) Callback() (program uint32, cred rpc.OpaqueAuth, err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.cbProgram, ss.cbCred, ss.cbErr
}

// BackSlot takes the back channel's one slot (ca_maxrequests 1, so the
// callbacks of a session are serialized) and returns the sequence id of
// the next callback. release gives the slot back; advance records that
// the client took seq (it answered CB_SEQUENCE with anything but
// NFS4ERR_SEQ_MISORDERED or NFS4ERR_BADSESSION).
func (ss *Session) BackSlot() (seq uint32, release func(advance bool)) {
	ss.backMu.Lock()
	ss.mu.Lock()
	seq = ss.backSeq + 1
	ss.mu.Unlock()
	return seq, func(advance bool) {
		if advance {
			ss.mu.Lock()
			ss.backSeq = seq
			ss.mu.Unlock()
		}
		ss.backMu.Unlock()
	}
}

// CallbackDown reports whether the last probe of the back channel
// failed (SEQ4_STATUS_CB_PATH_DOWN).
func (ss *Session) CallbackDown() bool { return ss.cbDown.Load() }

// SetCallbackDown records the outcome of a back channel probe.
func (ss *Session) SetCallbackDown(down bool) { ss.cbDown.Store(down) }

// sessionTable holds the sessions of a server.
type sessionTable struct {
	mu       sync.Mutex
	byID     map[SessionID]*Session
	byClient map[uint64][]*Session
	// cached is the reply cache budget in use (slots × cache size).
	cached, maxCached int64
}

func newSessionTable(maxCached int64) *sessionTable {
	return &sessionTable{byID: map[SessionID]*Session{}, byClient: map[uint64][]*Session{}, maxCached: maxCached}
}

// Session returns the session with id, or nil.
func (t *Table) Session(id SessionID) *Session {
	t.sessions.mu.Lock()
	defer t.sessions.mu.Unlock()
	return t.sessions.byID[id]
}

// CreateSession makes a session for clientid (CREATE_SESSION, after
// BeginCreateSession) whose fore channel has the attributes fore, with
// the request and response sizes already lowered to the server's. The
// rest are lowered to the table's bounds (RFC 8881 §18.36.3: the server
// may lower any of them): at most 64 slots and operations, replies of
// at most 8 KiB cached, and fewer slots when the reply cache budget
// (Options.MaxReplyCache) is short. It is ErrNoSpace when not even one
// slot fits or the client has 16 sessions already.
func (t *Table) CreateSession(clientid uint64, fore Channel) (*Session, error) {
	fore.MaxResponseSizeCached = min(fore.MaxResponseSizeCached, maxCachedReply, fore.MaxResponseSize)
	fore.MaxOperations = min(fore.MaxOperations, maxSessionOps)
	fore.MaxRequests = max(min(fore.MaxRequests, maxSlots), 1)
	st := t.sessions
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.byClient[clientid]) >= maxSessionsPerClient {
		return nil, ErrNoSpace
	}
	per := int64(max(fore.MaxResponseSizeCached, 1))
	slots := int64(fore.MaxRequests)
	if room := (st.maxCached - st.cached) / per; slots > room {
		slots = room
	}
	if slots < 1 {
		return nil, ErrNoSpace
	}
	fore.MaxRequests = uint32(slots)
	ss := &Session{clientid: clientid, slots: newSlotTable(int(slots), int(fore.MaxResponseSizeCached)), fore: fore}
	for {
		rand.Read(ss.id[:])
		if _, dup := st.byID[ss.id]; !dup {
			break
		}
	}
	st.byID[ss.id] = ss
	st.byClient[clientid] = append(st.byClient[clientid], ss)
	st.cached += slots * per
	return ss, nil
}

// DestroySession removes a session (DESTROY_SESSION); a session already
// gone is left alone.
func (t *Table) DestroySession(ss *Session) {
	st := t.sessions
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.byID[ss.id] != ss {
		return
	}
	delete(st.byID, ss.id)
	list := st.byClient[ss.clientid]
	for i, x := range list {
		if x == ss {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(st.byClient, ss.clientid)
	} else {
		st.byClient[ss.clientid] = list
	}
	st.cached -= int64(ss.slots.size()) * int64(max(ss.fore.MaxResponseSizeCached, 1))
}

// destroySessions removes every session of clientid (DESTROY_CLIENTID,
// the release of the client's state).
func (t *Table) destroySessions(clientid uint64) {
	t.sessions.mu.Lock()
	list := append([]*Session(nil), t.sessions.byClient[clientid]...)
	t.sessions.mu.Unlock()
	for _, ss := range list {
		t.DestroySession(ss)
	}
}

// sessionsOf returns the number of sessions of clientid.
func (t *Table) sessionsOf(clientid uint64) int {
	t.sessions.mu.Lock()
	defer t.sessions.mu.Unlock()
	return len(t.sessions.byClient[clientid])
}

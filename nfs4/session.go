package nfs4

import (
	"crypto/rand"
	"sync"
	"sync/atomic"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc"
)

// Bounds of NFSv4.1 sessions (RFC 8881 §2.10). The channel attributes a
// client asks for in CREATE_SESSION are lowered to these; the reply cache
// of all sessions together is bounded by MaxReplyCache, and a session is
// given fewer slots when the budget is short.
const (
	// MaxSlots is the most fore channel slots a session gets.
	MaxSlots = 64
	// MaxCachedReply is the largest reply a slot caches
	// (ca_maxresponsesize_cached). Non-idempotent compounds — what clients
	// ask to have cached — have replies of a few hundred bytes.
	MaxCachedReply = 8 << 10
	// MaxSessionOps is ca_maxoperations of the fore channel.
	MaxSessionOps = 64
	// DefaultMaxReplyCache bounds the reply cache memory of all sessions
	// (slots × MaxCachedReply summed): 256 MiB, about 500 sessions of 64
	// full slots.
	DefaultMaxReplyCache = 256 << 20
	// MaxSessionsPerClient bounds the sessions of one client ID.
	MaxSessionsPerClient = 16
)

// session is an NFSv4.1 session: its fore channel slot table, its
// channel attributes and the connections bound to it.
type session struct {
	id       wire.Sessionid4
	clientid uint64
	fore     *slotTable
	foreAttr wire.ChannelAttrs4
	backAttr wire.ChannelAttrs4
	// cbProgram and cbSec are the back channel's program and security
	// (ss.mu).
	cbProgram uint32
	cbSec     []wire.CallbackSecParms4
	// cbDown is set when the last probe of the back channel failed.
	cbDown atomic.Bool
	// backMu serializes callbacks: the back channel has one slot.
	backMu sync.Mutex

	mu sync.Mutex
	// conns are the connections bound to the session and their
	// directions (CDFS4_FORE, _BACK or _BOTH).
	conns map[*rpc.Conn]wire.ChannelDirFromServer4
	// backSeq is the sequence id of the back channel's one slot.
	backSeq uint32
	dead    bool
}

// bind binds conn to the session in direction dir (merged with what it
// had).
func (ss *session) bind(conn *rpc.Conn, dir wire.ChannelDirFromServer4) {
	if conn == nil {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.conns == nil {
		ss.conns = map[*rpc.Conn]wire.ChannelDirFromServer4{}
	}
	ss.conns[conn] |= dir
}

// backConn returns a live connection bound for the back channel, or nil
// (the callback path is down). Dead connections are forgotten.
func (ss *session) backConn() *rpc.Conn {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for conn, dir := range ss.conns {
		select {
		case <-conn.Done():
			delete(ss.conns, conn)
			continue
		default:
		}
		if dir&wire.CDFS4_BACK != 0 {
			return conn
		}
	}
	return nil
}

// sessionTable holds the sessions of a server.
type sessionTable struct {
	mu       sync.Mutex
	byID     map[wire.Sessionid4]*session
	byClient map[uint64][]*session
	// cached is the reply cache budget in use (slots × cache size).
	cached, maxCached int64
}

func newSessionTable(maxCached int64) *sessionTable {
	return &sessionTable{byID: map[wire.Sessionid4]*session{}, byClient: map[uint64][]*session{}, maxCached: maxCached}
}

// get returns the session with id, or nil.
func (t *sessionTable) get(id wire.Sessionid4) *session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byID[id]
}

// negotiate lowers a client's fore channel attributes to the server's
// bounds (RFC 8881 §18.36.3: the server may lower any of them).
func negotiate(a wire.ChannelAttrs4, maxReq, maxResp uint32) wire.ChannelAttrs4 {
	a.Headerpadsize = 0
	a.Maxrequestsize = wire.Count4(min(uint32(a.Maxrequestsize), maxReq))
	a.Maxresponsesize = wire.Count4(min(uint32(a.Maxresponsesize), maxResp))
	a.MaxresponsesizeCached = wire.Count4(min(uint32(a.MaxresponsesizeCached), MaxCachedReply, uint32(a.Maxresponsesize)))
	a.Maxoperations = wire.Count4(min(uint32(a.Maxoperations), MaxSessionOps))
	a.Maxrequests = wire.Count4(max(min(uint32(a.Maxrequests), MaxSlots), 1))
	a.RdmaIrd = nil
	return a
}

// create makes a session for clientid with negotiated fore attributes,
// within the reply cache budget (fewer slots when it is short;
// NFS4ERR_NOSPC when not even one fits) and the per-client bound
// (NFS4ERR_TOO_MANY_OPS is not it: RFC 8881 has no status for that, so
// NFS4ERR_NOSPC too).
func (t *sessionTable) create(clientid uint64, fore, back wire.ChannelAttrs4, cbProgram uint32) (*session, wire.Nfsstat4) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byClient[clientid]) >= MaxSessionsPerClient {
		return nil, wire.NFS4ERR_NOSPC
	}
	per := int64(max(fore.MaxresponsesizeCached, 1))
	slots := int64(fore.Maxrequests)
	if room := (t.maxCached - t.cached) / per; slots > room {
		slots = room
	}
	if slots < 1 {
		return nil, wire.NFS4ERR_NOSPC
	}
	fore.Maxrequests = wire.Count4(slots)
	ss := &session{clientid: clientid, fore: newSlotTable(int(slots), int(fore.MaxresponsesizeCached)),
		foreAttr: fore, backAttr: back, cbProgram: cbProgram}
	for {
		rand.Read(ss.id[:])
		if _, dup := t.byID[ss.id]; !dup {
			break
		}
	}
	t.byID[ss.id] = ss
	t.byClient[clientid] = append(t.byClient[clientid], ss)
	t.cached += slots * per
	return ss, wire.NFS4_OK
}

// destroy removes a session.
func (t *sessionTable) destroy(ss *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID[ss.id] != ss {
		return
	}
	delete(t.byID, ss.id)
	list := t.byClient[ss.clientid]
	for i, x := range list {
		if x == ss {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(t.byClient, ss.clientid)
	} else {
		t.byClient[ss.clientid] = list
	}
	t.cached -= int64(ss.fore.size()) * int64(max(ss.foreAttr.MaxresponsesizeCached, 1))
	ss.mu.Lock()
	ss.dead = true
	ss.mu.Unlock()
}

// destroyClient removes every session of clientid (DESTROY_CLIENTID,
// lease expiry, a client's restart).
func (t *sessionTable) destroyClient(clientid uint64) {
	t.mu.Lock()
	list := append([]*session(nil), t.byClient[clientid]...)
	t.mu.Unlock()
	for _, ss := range list {
		t.destroy(ss)
	}
}

// count returns the sessions of clientid.
func (t *sessionTable) count(clientid uint64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byClient[clientid])
}

// boundTo reports whether conn is bound to the session.
func (ss *session) boundTo(conn *rpc.Conn) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_, ok := ss.conns[conn]
	return ok
}

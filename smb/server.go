// Package smb is the SMB 2/3 file server of DittoFS: it serves the
// exports of an export.Table as SMB shares, over the same store.FS as
// nfs3 and nfs4, so a file written over SMB is at once visible over NFS.
//
// A Server speaks SMB 2.0.2, 2.1, 3.0, 3.0.2 and 3.1.1 (MS-SMB2) over
// Direct TCP, authenticates users with NTLMv2 inside SPNEGO against its
// Users, signs every message by default and encrypts when the client, the
// server or the share asks. docs/smb.md says what works, what is refused
// and with which status, and the limits and their defaults.
package smb

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dittofs/dittofs/export"
	"github.com/dittofs/dittofs/internal/ratelog"
	"github.com/dittofs/dittofs/smb/internal/ntlm"
	"github.com/dittofs/dittofs/smb/internal/spnego"
	"github.com/dittofs/dittofs/smb/internal/wire"
)

// Dialect is an SMB2 dialect revision (MS-SMB2 §2.2.3).
type Dialect uint16

// The dialects a Server speaks.
const (
	Dialect202 Dialect = 0x0202
	Dialect210 Dialect = 0x0210
	Dialect300 Dialect = 0x0300
	Dialect302 Dialect = 0x0302
	Dialect311 Dialect = 0x0311
)

// Defaults of the Server limits.
const (
	DefaultMaxConns           = 1024
	DefaultMaxSessionsPerConn = 16
	DefaultMaxOpensPerSession = 4096
	// DefaultMaxNotifyBytes bounds the memory of all CHANGE_NOTIFY
	// watches together (notify.go).
	DefaultMaxNotifyBytes = 256 << 20
	DefaultMaxCredits     = 8192
	DefaultMaxMessageSize = 1 << 20
	// MinMessageSize is the smallest MaxMessageSize accepted: 64 KiB,
	// the READ and WRITE size of SMB 2.0.2.
	MinMessageSize = 64 << 10
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("smb: server closed")

// User is an SMB user: the NT hash of the password (MD4 of its UTF-16LE
// form, what Windows and Samba store) and the identity the store sees,
// the same uid, gid and groups as the user's NFS identity.
type User struct {
	Name     string
	NTHash   [16]byte
	UID, GID uint32
	Groups   []uint32
}

// Users looks up users by name. Names are compared without regard to
// case, as Windows does.
type Users interface {
	LookupUser(name string) (User, bool)
}

// UserTable is a fixed Users: a list of users.
type UserTable []User

// LookupUser returns the user named name, ignoring case.
func (t UserTable) LookupUser(name string) (User, bool) {
	for _, u := range t {
		if strings.EqualFold(u.Name, name) {
			return u, true
		}
	}
	return User{}, false
}

// NTHash returns the NT hash of a password, for building a User.
func NTHash(password string) [16]byte { return ntlm.NTHash(password) }

// Server serves SMB 2/3 over the exports of Exports: the export named
// "/NAME" is the share \\server\NAME (compared without regard to case).
// Access to a share follows the export's rule for the client address
// (read-only, root and all squashing, anonymous identity); the NFS-only
// parts of a rule (security flavors, privileged source ports) do not
// apply to SMB, whose users authenticate with a password.
//
// The zero value with Exports and Users set is ready to use; every limit
// left zero takes its default. Fields must not change after Serve.
type Server struct {
	// Exports is the table of shares; nil serves none.
	Exports *export.Table
	// Users are the accounts that may log on; nil refuses everyone.
	Users Users
	// Logger receives connection and protocol errors; nil discards.
	Logger *slog.Logger
	// CommandDone, when not nil, is told of every request answered: the
	// command's name ("NEGOTIATE", "READ", …; "other" for a command
	// number MS-SMB2 does not define, so a client cannot grow the set),
	// the reply's status ("STATUS_SUCCESS", …), whether the request failed
	// (the status has error severity, but for MORE_PROCESSING_REQUIRED, a
	// step of a logon; warnings such as BUFFER_OVERFLOW or NO_MORE_FILES
	// are no failure) and the time from the request's decoding to its
	// reply's encoding (for an async request, its final response's). It
	// is called on the connection's goroutine, or the one that completes
	// an async request, with the connection's lock held: it must be quick
	// and safe for concurrent use.
	CommandDone func(command, status string, failed bool, d time.Duration)
	// Name is the server's NetBIOS name in NTLM (default "DITTOFS").
	Name string

	// MinDialect and MaxDialect bound the dialects negotiated (defaults
	// 2.0.2 and 3.1.1).
	MinDialect, MaxDialect Dialect
	// AllowUnsigned lets a session run unsigned when the client does
	// not require signing. By default every session is signed (or
	// encrypted): unsigned requests are refused with STATUS_ACCESS_DENIED.
	AllowUnsigned bool
	// EncryptData requires encryption (SMB 3.x) on every session; a
	// client that cannot encrypt is refused at SESSION_SETUP.
	EncryptData bool
	// EncryptShares names the shares (without the leading slash) that
	// require encryption; a tree connect from a session that cannot
	// encrypt is refused.
	EncryptShares []string
	// CaseInsensitiveShares names the shares (without the leading
	// slash; "*" for every share) where a name that matches no entry
	// exactly matches one that differs only in case, as Windows and
	// macOS clients expect (Samba's default for SMB2 clients). Names are
	// created as given (case preserved), and NFS, which looks names up
	// exactly, is not affected. A name that matches no entry exactly
	// costs a scan of its directory: keep shares with very large
	// directories case-sensitive (the default).
	CaseInsensitiveShares []string

	// MaxConns bounds the connections served at once (default 1024);
	// past it new connections are closed at once, with a log line.
	MaxConns int
	// MaxSessionsPerConn bounds the sessions of one connection (default
	// 16); past it SESSION_SETUP fails with STATUS_INSUFFICIENT_RESOURCES.
	MaxSessionsPerConn int
	// MaxOpensPerSession bounds the open files of one session (default
	// 4096); past it CREATE fails with STATUS_TOO_MANY_OPENED_FILES.
	MaxOpensPerSession int
	// MaxNotifyBytes bounds what the CHANGE_NOTIFY watches of all
	// connections may hold together (default 256 MiB): each watch counts
	// its queue (the OutputBufferLength of its first request) and the
	// store events it may buffer; past it a new watch fails with
	// STATUS_INSUFFICIENT_RESOURCES.
	MaxNotifyBytes int64
	// MaxCredits bounds a connection's credit window, the message ids
	// granted and not yet used plus those used above a skipped one
	// (default 8192, the window of Windows Server 2016 and of Samba's
	// "smb2 max credits"). A request outside the
	// window ends the connection (MS-SMB2 §3.3.5.2.3).
	MaxCredits int
	// MaxMessageSize is MaxReadSize, MaxWriteSize and MaxTransactSize
	// (default 1 MiB, at least 64 KiB); a frame larger than it plus
	// the headers ends the connection.
	MaxMessageSize int

	// OplockBreakTimeout is how long an oplock or lease break waits
	// for the client's acknowledgment before the server takes the
	// oplock or lease back (default DefaultOplockBreakTimeout, 35 s as
	// in Windows); a CREATE that broke it waits as long.
	OplockBreakTimeout time.Duration
	// DurableTimeout is how long a durable open (DHnQ) is kept after
	// its connection drops (default DefaultDurableTimeout, 60 s);
	// DH2Q opens ask for their own, at most 5 minutes.
	DurableTimeout time.Duration
	// MaxDurableOpens bounds the durable opens of the server (default
	// 4096); past it DHnQ and DH2Q are not granted.
	MaxDurableOpens int

	// onPanic, when set (by tests), is told of a panic recovered while
	// serving a connection.
	onPanic func(any)
	// maxAsyncReqs, when set (by tests), replaces defaultMaxAsync.
	maxAsyncReqs int
	// maxWatchOpens, when set (by tests), replaces defaultMaxWatches.
	maxWatchOpens int
	// testDispatch, when set (by tests), runs before a request's
	// handler and replaces it when it reports true.
	testDispatch func(r *request) (wire.Status, bool)

	once    sync.Once
	log     *slog.Logger
	logs    ratelog.Limiter // lines the network can trigger at will
	guid    [16]byte
	start   time.Time
	spnego  spnego.Server
	ntlmCfg ntlm.Config

	cache caching // oplocks and leases of every file (oplock.go)

	// Durable opens (durable.go): persistent FileIds, the opens kept
	// after their connection dropped, the number of durable opens.
	nextPersistent atomic.Uint64
	notifyBytes    atomic.Int64 // charged by CHANGE_NOTIFY watches (notify.go)
	dmu            sync.Mutex
	durables       map[uint64]*open
	ndurable       int

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	delShares deleteShares // FILE_SHARE_DELETE among the opens (delshare.go)
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

func (s *Server) init() {
	s.once.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if s.Name == "" {
			s.Name = "DITTOFS"
		}
		if s.MinDialect == 0 {
			s.MinDialect = Dialect202
		}
		if s.MaxDialect == 0 {
			s.MaxDialect = Dialect311
		}
		if s.MaxConns <= 0 {
			s.MaxConns = DefaultMaxConns
		}
		if s.MaxSessionsPerConn <= 0 {
			s.MaxSessionsPerConn = DefaultMaxSessionsPerConn
		}
		if s.MaxOpensPerSession <= 0 {
			s.MaxOpensPerSession = DefaultMaxOpensPerSession
		}
		if s.MaxNotifyBytes <= 0 {
			s.MaxNotifyBytes = DefaultMaxNotifyBytes
		}
		if s.MaxCredits <= 0 {
			s.MaxCredits = DefaultMaxCredits
		}
		if s.DurableTimeout <= 0 {
			s.DurableTimeout = DefaultDurableTimeout
		}
		if s.MaxDurableOpens <= 0 {
			s.MaxDurableOpens = DefaultMaxDurableOpens
		}
		if s.OplockBreakTimeout <= 0 {
			s.OplockBreakTimeout = DefaultOplockBreakTimeout
		}
		if s.MaxMessageSize <= 0 {
			s.MaxMessageSize = DefaultMaxMessageSize
		}
		s.MaxMessageSize = max(s.MaxMessageSize, MinMessageSize)
		rand.Read(s.guid[:])
		s.start = time.Now()
		s.ntlmCfg = ntlm.Config{
			NetBIOSComputer: strings.ToUpper(s.Name),
			Lookup: func(user, domain string) ([16]byte, bool) {
				if s.Users == nil {
					return [16]byte{}, false
				}
				u, ok := s.Users.LookupUser(user)
				return u.NTHash, ok
			},
		}
		s.spnego = spnego.Server{Mechs: []spnego.Mech{{
			OID: spnego.OIDNTLMSSP,
			New: func() spnego.Acceptor { return ntlm.NewAcceptor(&s.ntlmCfg) },
		}}}
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
		s.ctx, s.cancel = context.WithCancel(context.Background())
	})
}

// Serve accepts connections on l and serves each until it closes. It
// returns ErrServerClosed after Close, or the listener's error.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := s.newConn(nc)
		s.mu.Lock()
		if s.closed || len(s.conns) >= s.MaxConns {
			full := !s.closed
			s.mu.Unlock()
			if full {
				s.log.Warn("smb: connection refused: MaxConns reached", "remote", nc.RemoteAddr().String(), "max", s.MaxConns)
			}
			nc.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops every Serve, closes every connection and waits for them to
// end.
func (s *Server) Close() error {
	s.init()
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.dropDurables()
	return nil
}

// shareEncrypted reports whether share name requires encryption.
func (s *Server) shareEncrypted(name string) bool { return shareListed(s.EncryptShares, name, false) }

// shareCaseless reports whether share name looks names up regardless of
// case.
func (s *Server) shareCaseless(name string) bool {
	return shareListed(s.CaseInsensitiveShares, name, true)
}

// shareListed reports whether list names share name (with or without a
// leading slash, in any case), or holds "*" when star is allowed.
func shareListed(list []string, name string, star bool) bool {
	for _, n := range list {
		if star && n == "*" || strings.EqualFold(strings.TrimPrefix(n, "/"), name) {
			return true
		}
	}
	return false
}

// Package export is the table of what a DittoFS server serves: named
// exports, each a *store.FS and a directory in it, with per-client rules
// (addresses or networks, read-write or read-only, root and all squashing
// with the anonymous uid and gid, allowed security flavors, whether
// unprivileged source ports are accepted).
//
// It is also the one place the protocols are wired from. Each export
// carries the *locking.Manager of its store, and the Table carries the
// file-handle codec and its key, so that NFSv3, NLM, NFSv4 (and SMB) given
// the same Table hand out the same file handles and see each other's
// locks, opens and delegations, with nothing else to connect:
//
//	locks, _ := locking.Open(ctx, locking.Options{Persist: meta})
//	table, _ := export.NewTable(ctx, export.Options{HandleKey: key},
//		&export.Export{Name: "/data", FS: fsys, Locks: locks, Rules: rules})
//	(&nfs3.Server{Exports: table}).Register(mux)
//	(&nlm.Server{Exports: table}).Register(mux)
//	(&nfs4.Server{Exports: table}).Register(mux)
//
// NewTable refuses an export without a lock manager, and two exports of
// one store with different managers, so locks either conflict across
// every protocol or the server does not start.
//
// Tables are built in Go or parsed from the /etc/exports syntax of
// exports(5) with Parse.
package export

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"path"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/dittofs/dittofs/locking"
	"github.com/dittofs/dittofs/store"
)

// Nobody is the default anonymous uid and gid (exports(5) anonuid,
// anongid).
const Nobody = 65534

// Sec is a security flavor a rule allows (exports(5) sec=).
type Sec uint8

// The security flavors. AUTH_SYS is SecSys; the Kerberos flavors are
// RPCSEC_GSS with service none, integrity and privacy (RFC 2203).
const (
	SecNone Sec = iota + 1
	SecSys
	SecKrb5
	SecKrb5i
	SecKrb5p
)

var secNames = [...]string{SecNone: "none", SecSys: "sys", SecKrb5: "krb5", SecKrb5i: "krb5i", SecKrb5p: "krb5p"}

func (s Sec) String() string {
	if int(s) < len(secNames) && secNames[s] != "" {
		return secNames[s]
	}
	return fmt.Sprintf("sec(%d)", uint8(s))
}

// Flavor returns the RPC authentication flavor or RPCSEC_GSS
// pseudo-flavor of s (RFC 2623 §2.2: 390003-390005 for krb5, krb5i and
// krb5p), the numbers a MOUNT v3 MNT reply lists.
func (s Sec) Flavor() uint32 {
	switch s {
	case SecNone:
		return 0
	case SecSys:
		return 1
	case SecKrb5:
		return 390003
	case SecKrb5i:
		return 390004
	case SecKrb5p:
		return 390005
	}
	return 0
}

// Identity is a caller's identity as the protocol received it, before
// squashing.
type Identity struct {
	UID, GID uint32
	Groups   []uint32
}

// Anon is the identity squashed callers get.
type Anon struct {
	UID, GID uint32
}

// Rule is the access of the clients it matches.
type Rule struct {
	// Client is "*" (every client), an IP address, or a network in CIDR
	// notation ("10.0.0.0/8", "fd00::/8"). The empty string is "*".
	Client string
	// ReadOnly refuses every change.
	ReadOnly bool
	// NoRootSquash lets uid 0 through as root; by default (root_squash)
	// uid 0 becomes the anonymous uid and gid 0 the anonymous gid.
	NoRootSquash bool
	// AllSquash maps every caller to the anonymous identity.
	AllSquash bool
	// Anon is the anonymous identity; nil means Nobody/Nobody.
	Anon *Anon
	// Sec lists the allowed security flavors; nil means SecSys only.
	Sec []Sec
	// Insecure accepts calls from source ports of 1024 and above; by
	// default (secure) only privileged ports are accepted.
	Insecure bool

	prefix netip.Prefix // parsed Client; invalid for "*"
}

// Specificity ranks how closely r names a client: a longer prefix is more
// specific, "*" least.
func (r *Rule) specificity() int {
	if !r.prefix.IsValid() {
		return -1
	}
	return r.prefix.Bits()
}

func (r *Rule) compile() error {
	c := r.Client
	for _, s := range r.Sec {
		if s < SecNone || s > SecKrb5p {
			return fmt.Errorf("export: client %q: unknown security flavor %d", c, s)
		}
	}
	if c == "" || c == "*" {
		r.prefix = netip.Prefix{}
		return nil
	}
	if strings.Contains(c, "/") {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return fmt.Errorf("export: client %q: %w", c, err)
		}
		r.prefix = p.Masked()
		return nil
	}
	a, err := netip.ParseAddr(c)
	if err != nil {
		return fmt.Errorf("export: client %q: host names, wildcards and netgroups are not supported, only *, addresses and CIDR networks", c)
	}
	a = a.Unmap()
	r.prefix = netip.PrefixFrom(a, a.BitLen())
	return nil
}

// matches reports whether r applies to a. A rule that NewTable has not
// compiled matches only if it is for every client, so that a rule used
// without NewTable never widens access.
func (r *Rule) matches(a netip.Addr) bool {
	if !r.prefix.IsValid() {
		return r.Client == "" || r.Client == "*"
	}
	return r.prefix.Contains(a.Unmap())
}

// Flavors returns the allowed security flavors of r (SecSys when Sec is
// nil).
func (r *Rule) Flavors() []Sec {
	if len(r.Sec) == 0 {
		return []Sec{SecSys}
	}
	return r.Sec
}

func (r *Rule) allows(s Sec) bool {
	if len(r.Sec) == 0 {
		return s == SecSys
	}
	return slices.Contains(r.Sec, s)
}

func (r *Rule) anon() Anon {
	if r.Anon == nil {
		return Anon{UID: Nobody, GID: Nobody}
	}
	return *r.Anon
}

// Export is one exported directory.
type Export struct {
	// Name is the path clients mount, e.g. "/export"; it is cleaned and
	// must be absolute.
	Name string
	// FS is the file system served.
	FS *store.FS
	// Path is the directory of FS that is the export's root ("" or "/"
	// for FS's root).
	Path string
	// ID identifies the export in file handles and is the fsid clients
	// see; it must be stable across restarts and unique in the table. 0
	// derives it from Name.
	ID uint32
	// Rules are the client rules; a client matched by none is refused.
	// The most specific matching rule applies (a longer network prefix
	// before a shorter one, "*" last; the first written among equals).
	// They are read by NewTable; to change them while the export is
	// served use SetRules, and read them with CurrentRules.
	Rules []Rule
	// Locks is the lock manager of FS's files: byte-range locks, share
	// reservations and delegations of every protocol (NLM, NFSv4, SMB)
	// live in it, so they conflict with each other. It is required, and
	// every export of one FS must have the same one (NewTable refuses
	// otherwise); open it once per store with locking.Open.
	Locks *locking.Manager

	root store.Handle
	// live are the rules of the last SetRules, replacing Rules.
	live atomic.Pointer[[]Rule]
}

// Root returns the handle of the export's root directory (after NewTable).
func (e *Export) Root() store.Handle { return e.root }

// Rule returns the rule that applies to a client address, or nil.
func (e *Export) Rule(a netip.Addr) *Rule {
	var best *Rule
	rules := e.CurrentRules()
	for i := range rules {
		r := &rules[i]
		if r.matches(a) && (best == nil || r.specificity() > best.specificity()) {
			best = r
		}
	}
	return best
}

// Errors of Check.
var (
	// ErrClientDenied: no rule of the export matches the client.
	ErrClientDenied = errors.New("export: client not allowed")
	// ErrWeakSecurity: the rule does not allow the call's security flavor.
	ErrWeakSecurity = errors.New("export: security flavor not allowed")
	// ErrInsecurePort: the call came from an unprivileged port and the
	// rule is secure.
	ErrInsecurePort = errors.New("export: unprivileged source port")
)

// Access is the outcome of a successful Check.
type Access struct {
	Rule     *Rule
	ReadOnly bool
	// Cred is the credential to give the store, after squashing.
	Cred store.Cred
}

// Check decides whether a client at addr, authenticated with sec as id,
// may use the export, and with which store credential. AUTH_NONE callers
// are always squashed to the anonymous identity. Cred.Groups aliases
// id.Groups.
func (e *Export) Check(addr netip.AddrPort, sec Sec, id Identity) (Access, error) {
	r := e.Rule(addr.Addr())
	if r == nil {
		return Access{}, ErrClientDenied
	}
	if !r.allows(sec) {
		return Access{Rule: r}, ErrWeakSecurity
	}
	if !r.Insecure && addr.Port() >= 1024 {
		return Access{Rule: r}, ErrInsecurePort
	}
	return Access{Rule: r, ReadOnly: r.ReadOnly, Cred: r.Squash(sec, id)}, nil
}

// Squash applies the rule's squashing to id.
func (r *Rule) Squash(sec Sec, id Identity) store.Cred {
	an := r.anon()
	if r.AllSquash || sec == SecNone {
		return store.Cred{UID: an.UID, GID: an.GID}
	}
	c := store.Cred{UID: id.UID, GID: id.GID, Groups: id.Groups}
	if !r.NoRootSquash {
		if c.UID == 0 {
			c.UID = an.UID
		}
		if c.GID == 0 {
			c.GID = an.GID
		}
		if slices.Contains(c.Groups, 0) {
			g := slices.Clone(c.Groups)
			for i := range g {
				if g[i] == 0 {
					g[i] = an.GID
				}
			}
			c.Groups = g
		}
	}
	return c
}

// Table is a set of exports, looked up by name or ID, and the codec of
// their file handles. It does not change after NewTable and is safe for
// concurrent use.
type Table struct {
	exports []*Export
	byName  map[string]*Export
	byID    map[uint32]*Export
	key     []byte
	locks   []*locking.Manager // distinct, in export order
}

// Options are what the exports of a Table share.
type Options struct {
	// HandleKey keys the check bytes of file handles (up to 64 bytes are
	// used), so that clients cannot make valid handles themselves: give
	// it at least 16 secret bytes. It must stay the same across
	// restarts, or every handle clients hold becomes stale (NFS3ERR_BADHANDLE,
	// NFS4ERR_BADHANDLE). nil leaves handles unkeyed: still checked
	// against corruption, but forgeable.
	HandleKey []byte
}

// Errors of NewTable for a lock manager missing or not shared.
var (
	// ErrNoLocks: an export has no lock manager (Export.Locks).
	ErrNoLocks = errors.New("export: no lock manager (Export.Locks): NLM, NFSv4 and SMB locks would not conflict")
	// ErrSplitLocks: two exports of one store have different lock
	// managers, so locks taken through one would not conflict with
	// locks taken through the other.
	ErrSplitLocks = errors.New("export: exports of one store with different lock managers")
)

// NewTable checks the exports (names absolute and unique, IDs unique, a
// lock manager on each, one per store), resolves each export's Path in its
// FS (as uid 0) and returns the table. The exports must not be changed
// afterwards.
func NewTable(ctx context.Context, o Options, exports ...*Export) (*Table, error) {
	t := &Table{byName: map[string]*Export{}, byID: map[uint32]*Export{}, key: slices.Clone(o.HandleKey)}
	managers := map[*store.FS]*Export{}
	for _, e := range exports {
		if e.FS == nil {
			return nil, fmt.Errorf("export: %q has no FS", e.Name)
		}
		if e.Locks == nil {
			return nil, fmt.Errorf("%w (export %q)", ErrNoLocks, e.Name)
		}
		if o := managers[e.FS]; o != nil && o.Locks != e.Locks {
			return nil, fmt.Errorf("%w (%q and %q)", ErrSplitLocks, o.Name, e.Name)
		}
		managers[e.FS] = e
		if !slices.Contains(t.locks, e.Locks) {
			t.locks = append(t.locks, e.Locks)
		}
		if !strings.HasPrefix(e.Name, "/") {
			return nil, fmt.Errorf("export: name %q is not absolute", e.Name)
		}
		e.Name = path.Clean(e.Name)
		if _, dup := t.byName[e.Name]; dup {
			return nil, fmt.Errorf("export: %q exported twice", e.Name)
		}
		if e.ID == 0 {
			e.ID = NameID(e.Name)
		}
		if o, dup := t.byID[e.ID]; dup {
			return nil, fmt.Errorf("export: %q and %q have the same ID %d", o.Name, e.Name, e.ID)
		}
		for i := range e.Rules {
			if err := e.Rules[i].compile(); err != nil {
				return nil, err
			}
		}
		root, err := resolve(ctx, e.FS, e.Path)
		if err != nil {
			return nil, fmt.Errorf("export: %q: path %q: %w", e.Name, e.Path, err)
		}
		e.root = root
		t.exports = append(t.exports, e)
		t.byName[e.Name] = e
		t.byID[e.ID] = e
	}
	return t, nil
}

// NameID derives an export ID from a name (FNV-1a, never 0).
func NameID(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	if v := h.Sum32(); v != 0 {
		return v
	}
	return 1
}

func resolve(ctx context.Context, fsys *store.FS, p string) (store.Handle, error) {
	h := fsys.Root()
	root := &store.Cred{}
	for _, name := range strings.Split(p, "/") {
		if name == "" || name == "." {
			continue
		}
		nh, a, err := fsys.Lookup(ctx, root, h, name)
		if err != nil {
			return store.Handle{}, err
		}
		if a.Type != store.TypeDir {
			return store.Handle{}, store.ErrNotDir
		}
		h = nh
	}
	if _, err := fsys.GetAttr(ctx, root, h); err != nil {
		return store.Handle{}, err
	}
	return h, nil
}

// Lookup returns the export of exactly this name (cleaned), or nil.
func (t *Table) Lookup(name string) *Export {
	if t == nil {
		return nil
	}
	return t.byName[path.Clean(name)]
}

// Find returns the export whose name is the longest prefix of p (by whole
// path components) and the rest of p below it, or nil.
func (t *Table) Find(p string) (*Export, string) {
	if t == nil || !strings.HasPrefix(p, "/") {
		return nil, ""
	}
	p = path.Clean(p)
	for q := p; ; q = path.Dir(q) {
		if e := t.byName[q]; e != nil {
			return e, strings.TrimPrefix(strings.TrimPrefix(p, q), "/")
		}
		if q == "/" {
			return nil, ""
		}
	}
}

// ByID returns the export with this ID, or nil.
func (t *Table) ByID(id uint32) *Export {
	if t == nil {
		return nil
	}
	return t.byID[id]
}

// LockManagers returns the distinct lock managers of the exports, in
// export order: what a protocol walks to release or reclaim all of a
// client's state.
func (t *Table) LockManagers() []*locking.Manager {
	if t == nil {
		return nil
	}
	return slices.Clone(t.locks)
}

// All returns the exports in the order given to NewTable.
func (t *Table) All() []*Export {
	if t == nil {
		return nil
	}
	return slices.Clone(t.exports)
}

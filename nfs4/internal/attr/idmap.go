package attr

import (
	"os/user"
	"strconv"
	"strings"
)

// IDMapper maps the owner and owner_group strings of NFSv4 (RFC 3530
// §5.8, RFC 7530 §5.9: "user@dns_domain", or a decimal id) to and from
// the store's numeric ids. Implementations must be safe for concurrent
// use.
type IDMapper interface {
	User(uid uint32) string // "1000" or "alice@example.com"
	Group(gid uint32) string
	UID(name string) (uint32, bool) // false: unknown, NFS4ERR_BADOWNER
	GID(name string) (uint32, bool)
}

// Numeric is the mapper without names: it produces decimal strings
// ("1000") and accepts only decimal strings, which is what the Linux
// client sends and expects with nfs4_disable_idmapping (its default
// for AUTH_SYS) and what Linux nfsd does with nfs4_disable_idmapping.
// "1000@example.com" is not accepted: a domain says the client mapped a
// name, and a server that knows no names cannot check it. The zero value
// is ready; a nil Config.Mapper is Numeric.
type Numeric struct{}

func (Numeric) User(uid uint32) string         { return strconv.FormatUint(uint64(uid), 10) }
func (Numeric) Group(gid uint32) string        { return strconv.FormatUint(uint64(gid), 10) }
func (Numeric) UID(name string) (uint32, bool) { return parseDecimal(name) }
func (Numeric) GID(name string) (uint32, bool) { return parseDecimal(name) }

// parseDecimal parses a decimal uint32: digits only, no sign, no
// spaces, leading zeros allowed (as Linux nfsd's kstrtouint does).
func parseDecimal[T string | []byte](s T) (uint32, bool) {
	if len(s) == 0 || len(s) > 10 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}

// Names is one namespace of a Domain (users or groups): ids to names
// without the domain, and back.
type Names interface {
	Name(id uint32) (string, bool)
	ID(name string) (uint32, bool)
}

// Domain maps ids to "name@Domain" through Users and Groups. Decimal
// strings are always accepted, and ids without a name are sent as
// decimal strings, so a client that does not know a name still gets a
// usable owner. Incoming names are accepted as "name@domain" with the
// domain equal to Domain in any case (utf8str_mixed compares the
// domain case-insensitively), or as a bare "name". A nil Users or
// Groups knows no names. Domain is read-only once in use.
type Domain struct {
	Domain string
	Users  Names
	Groups Names
}

func (m *Domain) User(uid uint32) string  { return m.format(m.Users, uid) }
func (m *Domain) Group(gid uint32) string { return m.format(m.Groups, gid) }

func (m *Domain) UID(name string) (uint32, bool) { return m.parse(m.Users, name) }
func (m *Domain) GID(name string) (uint32, bool) { return m.parse(m.Groups, name) }

func (m *Domain) format(t Names, id uint32) string {
	if t != nil {
		if name, ok := t.Name(id); ok {
			if m.Domain == "" {
				return name
			}
			return name + "@" + m.Domain
		}
	}
	return strconv.FormatUint(uint64(id), 10)
}

func (m *Domain) parse(t Names, s string) (uint32, bool) {
	if id, ok := parseDecimal(s); ok {
		return id, true
	}
	name := s
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		if !strings.EqualFold(s[i+1:], m.Domain) {
			return 0, false
		}
		name = s[:i]
	}
	if t == nil || name == "" {
		return 0, false
	}
	return t.ID(name)
}

// Table is a static Names. Build it with NewTable.
type Table struct {
	byID   map[uint32]string
	byName map[string]uint32
}

// NewTable returns the Names of the id → name map m (copied). If two
// ids have the same name, the name maps back to the smaller id.
func NewTable(m map[uint32]string) *Table {
	t := &Table{byID: make(map[uint32]string, len(m)), byName: make(map[string]uint32, len(m))}
	for id, name := range m {
		t.byID[id] = name
		if old, ok := t.byName[name]; !ok || id < old {
			t.byName[name] = id
		}
	}
	return t
}

func (t *Table) Name(id uint32) (string, bool) { n, ok := t.byID[id]; return n, ok }
func (t *Table) ID(name string) (uint32, bool) { id, ok := t.byName[name]; return id, ok }

// NamesFunc adapts two lookup functions to Names.
type NamesFunc struct {
	NameOf func(id uint32) (string, bool)
	IDOf   func(name string) (uint32, bool)
}

func (f NamesFunc) Name(id uint32) (string, bool) { return f.NameOf(id) }
func (f NamesFunc) ID(name string) (uint32, bool) { return f.IDOf(name) }

// SystemUsers and SystemGroups return the Names of this machine's user
// and group databases (package os/user: /etc/passwd and /etc/group, or
// NSS with cgo). Each lookup reads the database; wrap them in a cache
// if that is too slow.
func SystemUsers() Names { return NamesFunc{NameOf: systemUserName, IDOf: systemUID} }

// SystemGroups: see SystemUsers.
func SystemGroups() Names { return NamesFunc{NameOf: systemGroupName, IDOf: systemGID} }

func systemUserName(id uint32) (string, bool) {
	u, err := user.LookupId(strconv.FormatUint(uint64(id), 10))
	if err != nil {
		return "", false
	}
	return u.Username, true
}

func systemUID(name string) (uint32, bool) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, false
	}
	return parseDecimal(u.Uid)
}

func systemGroupName(id uint32) (string, bool) {
	g, err := user.LookupGroupId(strconv.FormatUint(uint64(id), 10))
	if err != nil {
		return "", false
	}
	return g.Name, true
}

func systemGID(name string) (uint32, bool) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, false
	}
	return parseDecimal(g.Gid)
}

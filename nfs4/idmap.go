package nfs4

import "github.com/dittofs/dittofs/nfs4/internal/attr"

// IDMapper maps the owner and owner_group strings of NFSv4 (RFC 7530
// §5.9: "user@dns_domain", or a decimal id) to and from the store's
// numeric ids. Implementations must be safe for concurrent use; an
// embedder may bring its own (LDAP, a directory service), or use
// NumericMapper or DomainMapper.
type IDMapper interface {
	// User and Group return the string of a uid or gid: "1000" or
	// "alice@example.com".
	User(uid uint32) string
	Group(gid uint32) string
	// UID and GID return the id of a string; false is an unknown name
	// (NFS4ERR_BADOWNER).
	UID(name string) (uint32, bool)
	GID(name string) (uint32, bool)
}

// Names is one namespace of a DomainMapper (the users or the groups of a
// domain): ids to names without the domain, and back. Implementations
// must be safe for concurrent use.
type Names interface {
	// Name returns the name of id; false: id has no name.
	Name(id uint32) (string, bool)
	// ID returns the id of name; false: no such name.
	ID(name string) (uint32, bool)
}

// NumericMapper maps ids to decimal strings ("1000") and accepts only
// decimal strings: what the Linux client sends and expects with AUTH_SYS
// (nfs4_disable_idmapping, its default). "1000@example.com" is refused:
// a domain says the client mapped a name, which a server that knows no
// names cannot check.
func NumericMapper() IDMapper { return attr.Numeric{} }

// DomainMapper maps ids to "name@domain" through users and groups (nil
// knows no names); ids without a name, and incoming decimal strings, stay
// numeric, so a client that does not know a name still gets a usable
// owner. Incoming names are accepted as "name@domain", the domain in any
// case, or as a bare "name".
func DomainMapper(domain string, users, groups Names) IDMapper {
	return &attr.Domain{Domain: domain, Users: users, Groups: groups}
}

// NameTable returns the Names of an id → name map (copied). If two ids
// have the same name, the name maps back to the smaller id.
func NameTable(m map[uint32]string) Names { return attr.NewTable(m) }

// SystemUsers returns the Names of this machine's user database
// (package os/user: /etc/passwd, or NSS with cgo). Each lookup reads the
// database; wrap it in a cache if that is too slow.
func SystemUsers() Names { return attr.SystemUsers() }

// SystemGroups returns the Names of this machine's group database
// (/etc/group, or NSS with cgo), as SystemUsers.
func SystemGroups() Names { return attr.SystemGroups() }

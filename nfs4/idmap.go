package nfs4

import "github.com/dittofs/dittofs/nfs4/internal/attr"

// IDMapper maps the owner and owner_group strings of NFSv4 ("user@domain"
// or a decimal id) to and from the store's numeric ids. Implementations
// must be safe for concurrent use; an embedder may bring its own (LDAP,
// a directory service).
type IDMapper = attr.IDMapper

// Names maps ids to names and back (the users or the groups of a
// domain).
type Names = attr.Names

// NumericMapper maps ids to decimal strings ("1000") and accepts only
// decimal strings: what the Linux client sends and expects with AUTH_SYS
// (nfs4_disable_idmapping, its default).
func NumericMapper() IDMapper { return attr.Numeric{} }

// DomainMapper maps ids to "name@domain" through users and groups (nil
// knows no names); ids without a name, and incoming decimal strings, stay
// numeric, so a client that does not know a name still gets a usable
// owner.
func DomainMapper(domain string, users, groups Names) IDMapper {
	return &attr.Domain{Domain: domain, Users: users, Groups: groups}
}

// NameTable returns the Names of an id → name map (copied).
func NameTable(m map[uint32]string) Names { return attr.NewTable(m) }

// SystemUsers and SystemGroups are the Names of this machine's user and
// group databases (/etc/passwd and /etc/group, or NSS).
func SystemUsers() Names  { return attr.SystemUsers() }
func SystemGroups() Names { return attr.SystemGroups() }

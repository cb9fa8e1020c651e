// Package dtyp encodes and decodes the security data types of MS-DTYP
// that SMB2 carries: SIDs (§2.4.2), ACEs (§2.4.4), ACLs (§2.4.5) and the
// self-relative SECURITY_DESCRIPTOR (§2.4.6), as QUERY_INFO and SET_INFO
// of SMB2_0_INFO_SECURITY and the SecD create context send them.
//
// Decode is bounded by its input: every offset and count is checked
// against the buffer before anything is read or allocated, a SID has at
// most 15 sub-authorities and an ACL at most MaxACEs entries. Decoded
// values do not alias the buffer.
package dtyp

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// ErrInvalid means a security descriptor, ACL, ACE or SID does not decode
// (STATUS_INVALID_SECURITY_DESCR, STATUS_INVALID_ACL, STATUS_INVALID_SID).
var ErrInvalid = errors.New("dtyp: malformed security descriptor")

// MaxSubAuthorities is the largest SubAuthorityCount of a SID (§2.4.2.2).
const MaxSubAuthorities = 15

// MaxACEs bounds the entries of one decoded ACL (an ACL is at most 64 KiB,
// AclSize being 16 bits; a longer list is refused).
const MaxACEs = 4096

// SID is a security identifier (§2.4.2.2).
type SID struct {
	Revision  uint8 // 1
	Authority uint64
	Sub       []uint32
}

// NewSID returns S-1-authority-sub....
func NewSID(authority uint64, sub ...uint32) SID {
	return SID{Revision: 1, Authority: authority, Sub: sub}
}

// Well-known SIDs (§2.4.2.4).
var (
	Everyone     = NewSID(1, 0) // S-1-1-0
	CreatorOwner = NewSID(3, 0) // S-1-3-0
	CreatorGroup = NewSID(3, 1) // S-1-3-1
)

// Size is the SID's encoded length.
func (s *SID) Size() int { return 8 + 4*len(s.Sub) }

// Equal reports whether two SIDs are the same.
func (s *SID) Equal(t *SID) bool {
	if s.Revision != t.Revision || s.Authority != t.Authority || len(s.Sub) != len(t.Sub) {
		return false
	}
	for i := range s.Sub {
		if s.Sub[i] != t.Sub[i] {
			return false
		}
	}
	return true
}

// String formats the SID as S-1-A-S1-S2... (§2.4.2.1).
func (s *SID) String() string {
	var b strings.Builder
	b.WriteString("S-")
	b.WriteString(strconv.Itoa(int(s.Revision)))
	b.WriteByte('-')
	b.WriteString(strconv.FormatUint(s.Authority, 10))
	for _, v := range s.Sub {
		b.WriteByte('-')
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return b.String()
}

// Append appends the SID's binary form.
func (s *SID) Append(b []byte) []byte {
	b = append(b, s.Revision, uint8(len(s.Sub)))
	var a [8]byte
	binary.BigEndian.PutUint64(a[:], s.Authority)
	b = append(b, a[2:]...) // IdentifierAuthority: 6 bytes, big-endian
	for _, v := range s.Sub {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// decodeSID decodes the SID at the start of b, returning it and its size.
func decodeSID(b []byte) (SID, int, error) {
	if len(b) < 8 || b[0] != 1 || b[1] > MaxSubAuthorities {
		return SID{}, 0, ErrInvalid
	}
	n := int(b[1])
	size := 8 + 4*n
	if len(b) < size {
		return SID{}, 0, ErrInvalid
	}
	var a [8]byte
	copy(a[2:], b[2:8])
	s := SID{Revision: 1, Authority: binary.BigEndian.Uint64(a[:]), Sub: make([]uint32, n)}
	for i := range s.Sub {
		s.Sub[i] = binary.LittleEndian.Uint32(b[8+4*i:])
	}
	return s, size, nil
}

// ACE types (§2.4.4.1).
const (
	ACCESS_ALLOWED_ACE_TYPE = 0x00
	ACCESS_DENIED_ACE_TYPE  = 0x01
	SYSTEM_AUDIT_ACE_TYPE   = 0x02
)

// ACE flags (§2.4.4.1).
const (
	OBJECT_INHERIT_ACE         = 0x01
	CONTAINER_INHERIT_ACE      = 0x02
	NO_PROPAGATE_INHERIT_ACE   = 0x04
	INHERIT_ONLY_ACE           = 0x08
	INHERITED_ACE              = 0x10
	SUCCESSFUL_ACCESS_ACE_FLAG = 0x40
	FAILED_ACCESS_ACE_FLAG     = 0x80
)

// ACE is one access control entry. Allow, deny and audit ACEs (§2.4.4.2,
// §2.4.4.4, §2.4.4.10) have a Mask and a SID; for any other type Mask and
// SID are zero and Raw holds the body after the header, so that a caller
// can refuse what it does not understand.
type ACE struct {
	Type  uint8
	Flags uint8
	Mask  uint32
	SID   SID
	Raw   []byte
}

// Known reports whether the ACE is of a type with a Mask and a SID.
func (a *ACE) Known() bool { return a.Type <= SYSTEM_AUDIT_ACE_TYPE }

func (a *ACE) size() int {
	if a.Known() {
		return 8 + a.SID.Size()
	}
	return 4 + len(a.Raw)
}

// ACL is an access control list (§2.4.5).
type ACL struct {
	Revision uint8 // ACL_REVISION (2), or ACL_REVISION_DS (4) with object ACEs
	ACEs     []ACE
}

// ACL revisions (§2.4.5).
const (
	ACL_REVISION    = 2
	ACL_REVISION_DS = 4
)

// Size is the ACL's encoded length.
func (l *ACL) Size() int {
	n := 8
	for i := range l.ACEs {
		n += l.ACEs[i].size()
	}
	return n
}

// Append appends the ACL's binary form.
func (l *ACL) Append(b []byte) []byte {
	rev := l.Revision
	if rev == 0 {
		rev = ACL_REVISION
	}
	b = append(b, rev, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(l.Size()))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(l.ACEs)))
	b = append(b, 0, 0)
	for i := range l.ACEs {
		a := &l.ACEs[i]
		b = append(b, a.Type, a.Flags)
		b = binary.LittleEndian.AppendUint16(b, uint16(a.size()))
		if a.Known() {
			b = binary.LittleEndian.AppendUint32(b, a.Mask)
			b = a.SID.Append(b)
		} else {
			b = append(b, a.Raw...)
		}
	}
	return b
}

// decodeACL decodes the ACL at the start of b.
func decodeACL(b []byte) (*ACL, error) {
	if len(b) < 8 {
		return nil, ErrInvalid
	}
	rev := b[0]
	size := int(binary.LittleEndian.Uint16(b[2:]))
	count := int(binary.LittleEndian.Uint16(b[4:]))
	if rev != ACL_REVISION && rev != ACL_REVISION_DS || size < 8 || size > len(b) || count > (size-8)/4 || count > MaxACEs {
		return nil, ErrInvalid
	}
	l := &ACL{Revision: rev, ACEs: make([]ACE, 0, count)}
	p := b[8:size]
	for range count {
		if len(p) < 4 {
			return nil, ErrInvalid
		}
		n := int(binary.LittleEndian.Uint16(p[2:]))
		if n < 4 || n > len(p) || n%4 != 0 {
			return nil, ErrInvalid
		}
		a := ACE{Type: p[0], Flags: p[1]}
		if a.Known() {
			if n < 8 {
				return nil, ErrInvalid
			}
			a.Mask = binary.LittleEndian.Uint32(p[4:])
			s, ss, err := decodeSID(p[8:n])
			if err != nil {
				return nil, err
			}
			_ = ss // padding after the SID, up to AceSize, is allowed and ignored
			a.SID = s
		} else {
			a.Raw = append([]byte{}, p[4:n]...)
		}
		l.ACEs = append(l.ACEs, a)
		p = p[n:]
	}
	return l, nil
}

// Control flags of a security descriptor (§2.4.6).
const (
	SE_OWNER_DEFAULTED       = 0x0001
	SE_GROUP_DEFAULTED       = 0x0002
	SE_DACL_PRESENT          = 0x0004
	SE_DACL_DEFAULTED        = 0x0008
	SE_SACL_PRESENT          = 0x0010
	SE_SACL_DEFAULTED        = 0x0020
	SE_DACL_TRUSTED          = 0x0040
	SE_SERVER_SECURITY       = 0x0080
	SE_DACL_AUTO_INHERIT_REQ = 0x0100
	SE_SACL_AUTO_INHERIT_REQ = 0x0200
	SE_DACL_AUTO_INHERITED   = 0x0400
	SE_SACL_AUTO_INHERITED   = 0x0800
	SE_DACL_PROTECTED        = 0x1000
	SE_SACL_PROTECTED        = 0x2000
	SE_RM_CONTROL_VALID      = 0x4000
	SE_SELF_RELATIVE         = 0x8000
)

// SecurityDescriptor is a SECURITY_DESCRIPTOR (§2.4.6). A nil Owner or
// Group is absent; DACL and SACL are meaningful only with SE_DACL_PRESENT
// and SE_SACL_PRESENT in Control, and nil with the flag set is a NULL ACL
// (for a DACL: everyone has every right).
type SecurityDescriptor struct {
	Control uint16
	Owner   *SID
	Group   *SID
	SACL    *ACL
	DACL    *ACL
}

// sdHeader is the size of the self-relative header.
const sdHeader = 20

// Size is the length of the self-relative encoding.
func (sd *SecurityDescriptor) Size() int {
	n := sdHeader
	if sd.Owner != nil {
		n += sd.Owner.Size()
	}
	if sd.Group != nil {
		n += sd.Group.Size()
	}
	if sd.SACL != nil && sd.Control&SE_SACL_PRESENT != 0 {
		n += sd.SACL.Size()
	}
	if sd.DACL != nil && sd.Control&SE_DACL_PRESENT != 0 {
		n += sd.DACL.Size()
	}
	return n
}

// Append appends the self-relative encoding (SE_SELF_RELATIVE is set):
// the header, then owner, group, SACL and DACL, as Windows lays them out.
func (sd *SecurityDescriptor) Append(b []byte) []byte {
	start := len(b)
	b = append(b, 1, 0)
	b = binary.LittleEndian.AppendUint16(b, sd.Control|SE_SELF_RELATIVE)
	b = append(b, make([]byte, 16)...)
	put := func(field int) {
		binary.LittleEndian.PutUint32(b[start+field:], uint32(len(b)-start))
	}
	if sd.Owner != nil {
		put(4)
		b = sd.Owner.Append(b)
	}
	if sd.Group != nil {
		put(8)
		b = sd.Group.Append(b)
	}
	if sd.SACL != nil && sd.Control&SE_SACL_PRESENT != 0 {
		put(12)
		b = sd.SACL.Append(b)
	}
	if sd.DACL != nil && sd.Control&SE_DACL_PRESENT != 0 {
		put(16)
		b = sd.DACL.Append(b)
	}
	return b
}

// Decode decodes a self-relative security descriptor. Offsets of zero
// mean absent parts; every other offset must point inside b past the
// header, and each part must decode within b.
func Decode(b []byte) (*SecurityDescriptor, error) {
	if len(b) < sdHeader || b[0] != 1 {
		return nil, ErrInvalid
	}
	sd := &SecurityDescriptor{Control: binary.LittleEndian.Uint16(b[2:])}
	if sd.Control&SE_SELF_RELATIVE == 0 {
		return nil, ErrInvalid // an absolute descriptor holds pointers
	}
	part := func(field int) ([]byte, bool, error) {
		off := binary.LittleEndian.Uint32(b[field:])
		if off == 0 {
			return nil, false, nil
		}
		if off < sdHeader || int64(off) >= int64(len(b)) {
			return nil, false, ErrInvalid
		}
		return b[off:], true, nil
	}
	sid := func(field int) (*SID, error) {
		p, ok, err := part(field)
		if !ok || err != nil {
			return nil, err
		}
		s, _, err := decodeSID(p)
		if err != nil {
			return nil, err
		}
		return &s, nil
	}
	acl := func(field int, present uint16) (*ACL, error) {
		p, ok, err := part(field)
		if !ok || err != nil {
			return nil, err
		}
		if sd.Control&present == 0 {
			return nil, nil // an offset without the flag is ignored
		}
		return decodeACL(p)
	}
	var err error
	if sd.Owner, err = sid(4); err != nil {
		return nil, err
	}
	if sd.Group, err = sid(8); err != nil {
		return nil, err
	}
	if sd.SACL, err = acl(12, SE_SACL_PRESENT); err != nil {
		return nil, err
	}
	if sd.DACL, err = acl(16, SE_DACL_PRESENT); err != nil {
		return nil, err
	}
	return sd, nil
}

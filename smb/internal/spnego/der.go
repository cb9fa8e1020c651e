package spnego

import (
	"encoding/asn1"
	"fmt"
)

// The few DER (X.690) pieces SPNEGO needs, read by hand so that every
// length is checked against the bytes there are and the schema bounds the
// depth: nothing here recurses on input.

// Identifier octets used by SPNEGO (RFC 4178 4.2, RFC 2743 3.1).
const (
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagOID         = 0x06
	tagEnumerated  = 0x0a
	tagGeneralStr  = 0x1b
	tagSequence    = 0x30 // constructed
	tagApp0        = 0x60 // [APPLICATION 0], constructed: the GSS-API InitialContextToken
)

// contextTag is the identifier octet of the constructed [n].
func contextTag(n int) byte { return 0xa0 | byte(n) }

// element is one TLV; full is the whole encoding, content its contents.
type element struct {
	tag     byte
	content []byte
	full    []byte
}

// readElement reads one DER TLV from b. High-tag-number identifiers,
// indefinite lengths, non-minimal lengths and lengths past the end are
// refused.
func readElement(b []byte) (element, []byte, error) {
	if len(b) < 2 {
		return element{}, nil, errorf(CodeMalformed, "truncated element")
	}
	tag := b[0]
	if tag&0x1f == 0x1f {
		return element{}, nil, errorf(CodeMalformed, "high tag number")
	}
	n, hdr := int(b[1]), 2
	switch {
	case n == 0x80:
		return element{}, nil, errorf(CodeMalformed, "indefinite length")
	case n > 0x80:
		k := n & 0x7f
		if k > 3 || len(b) < 2+k {
			return element{}, nil, errorf(CodeMalformed, "length of length")
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		if n < 0x80 || b[2] == 0 {
			return element{}, nil, errorf(CodeMalformed, "non-minimal length")
		}
		hdr = 2 + k
	}
	if n > len(b)-hdr {
		return element{}, nil, errorf(CodeMalformed, fmt.Sprintf("element of %d bytes past the end (%d left)", n, len(b)-hdr))
	}
	return element{tag: tag, content: b[hdr : hdr+n : hdr+n], full: b[: hdr+n : hdr+n]}, b[hdr+n:], nil
}

// readOnly reads b as exactly one element with the given tag.
func readOnly(b []byte, tag byte, what string) (element, error) {
	e, rest, err := readElement(b)
	if err != nil {
		return element{}, err
	}
	if e.tag != tag {
		return element{}, errorf(CodeMalformed, fmt.Sprintf("%s: tag %#x, want %#x", what, e.tag, tag))
	}
	if len(rest) != 0 {
		return element{}, errorf(CodeMalformed, fmt.Sprintf("%d bytes after %s", len(rest), what))
	}
	return e, nil
}

func parseOID(e element) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(e.full, &oid)
	if err != nil || len(rest) != 0 {
		return nil, errorf(CodeMalformed, fmt.Sprintf("bad OID %x", e.full))
	}
	return oid, nil
}

func appendElement(b []byte, tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	b = append(b, tag)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	case n < 0x10000:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range content {
		b = append(b, c...)
	}
	return b
}

func marshalOID(oid asn1.ObjectIdentifier) ([]byte, error) {
	b, err := asn1.Marshal(oid)
	if err != nil {
		return nil, &Error{Code: CodeMalformed, Detail: fmt.Sprintf("OID %v", oid), Err: err}
	}
	return b, nil
}

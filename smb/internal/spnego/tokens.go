package spnego

import (
	"encoding/asn1"
	"fmt"
)

// Mechanism OIDs.
var (
	// OIDSPNEGO is SPNEGO itself (RFC 4178 3), the thisMech of the
	// GSS-API framing.
	OIDSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	// OIDNTLMSSP is NTLMSSP (MS-NLMP 1.9).
	OIDNTLMSSP = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	// OIDKerberos5 is Kerberos V5 (RFC 4121 1.1).
	OIDKerberos5 = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	// OIDMSKerberos5 is the OID older Windows sends for Kerberos V5 (MS-SPNG 1.9).
	OIDMSKerberos5 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
)

// hintName is MS-SPNG 3.2.5.2's fixed negHints.hintName.
const hintName = "not_defined_in_RFC4178@please_ignore"

// MaxMechTypes bounds the mechTypes of a client's NegTokenInit.
const MaxMechTypes = 32

// NegState is the negState of a NegTokenResp (RFC 4178 4.2.2).
type NegState int

const (
	NegStateAbsent   NegState = -1 // the optional field is not present
	AcceptCompleted  NegState = 0
	AcceptIncomplete NegState = 1
	Reject           NegState = 2
	RequestMIC       NegState = 3
)

// NegTokenInit is the initiator's first token (RFC 4178 4.2.1), or the
// server's NegTokenInit2 (MS-SPNG 2.2.1) whose negHints are skipped.
type NegTokenInit struct {
	MechTypes   []asn1.ObjectIdentifier
	MechToken   []byte
	MechListMIC []byte
}

// NegTokenResp is every later token (RFC 4178 4.2.2).
type NegTokenResp struct {
	NegState      NegState
	SupportedMech asn1.ObjectIdentifier
	ResponseToken []byte
	MechListMIC   []byte
}

// MechTypesDER is the DER encoding of a MechTypeList, the input of the
// mechListMIC (RFC 4178 5).
func MechTypesDER(mechs []asn1.ObjectIdentifier) ([]byte, error) {
	var body []byte
	for _, m := range mechs {
		b, err := marshalOID(m)
		if err != nil {
			return nil, err
		}
		body = append(body, b...)
	}
	return appendElement(nil, tagSequence, body), nil
}

// wrapGSS frames an inner token as an InitialContextToken (RFC 2743 3.1).
func wrapGSS(mech asn1.ObjectIdentifier, inner []byte) ([]byte, error) {
	oid, err := marshalOID(mech)
	if err != nil {
		return nil, err
	}
	return appendElement(nil, tagApp0, oid, inner), nil
}

// unwrapGSS returns the thisMech and innerContextToken of an
// InitialContextToken (RFC 2743 3.1).
func unwrapGSS(tok []byte) (asn1.ObjectIdentifier, []byte, error) {
	e, err := readOnly(tok, tagApp0, "InitialContextToken")
	if err != nil {
		return nil, nil, err
	}
	oe, inner, err := readElement(e.content)
	if err != nil {
		return nil, nil, err
	}
	if oe.tag != tagOID {
		return nil, nil, errorf(CodeMalformed, "InitialContextToken without thisMech")
	}
	oid, err := parseOID(oe)
	return oid, inner, err
}

// Marshal encodes t as an initiator's first token: NegTokenInit in the
// GSS-API framing.
func (t *NegTokenInit) Marshal() ([]byte, error) {
	mt, err := MechTypesDER(t.MechTypes)
	if err != nil {
		return nil, err
	}
	b := appendElement(nil, contextTag(0), mt)
	if t.MechToken != nil {
		b = appendElement(b, contextTag(2), appendElement(nil, tagOctetString, t.MechToken))
	}
	if t.MechListMIC != nil {
		b = appendElement(b, contextTag(3), appendElement(nil, tagOctetString, t.MechListMIC))
	}
	return wrapGSS(OIDSPNEGO, appendElement(nil, contextTag(0), appendElement(nil, tagSequence, b)))
}

// InitToken2 encodes the server's NegTokenInit2 (MS-SPNG 2.2.1, 3.2.5.2)
// in the GSS-API framing: mechTypes and negHints with MS-SPNG's hintName,
// as Windows and Samba send in the SMB2 NEGOTIATE response.
func InitToken2(mechs []asn1.ObjectIdentifier) ([]byte, error) {
	mt, err := MechTypesDER(mechs)
	if err != nil {
		return nil, err
	}
	hints := appendElement(nil, tagSequence,
		appendElement(nil, contextTag(0), appendElement(nil, tagGeneralStr, []byte(hintName))))
	seq := appendElement(nil, tagSequence, appendElement(nil, contextTag(0), mt), appendElement(nil, contextTag(3), hints))
	return wrapGSS(OIDSPNEGO, appendElement(nil, contextTag(0), seq))
}

// ParseNegTokenInit parses an initiator's first token: NegTokenInit in
// the GSS-API framing with thisMech SPNEGO. Unknown trailing fields (the
// "..." of RFC 4178) are skipped; a NegTokenInit2's negHints at [3] too.
func ParseNegTokenInit(tok []byte) (*NegTokenInit, error) {
	mech, inner, err := unwrapGSS(tok)
	if err != nil {
		return nil, err
	}
	if !mech.Equal(OIDSPNEGO) {
		return nil, errorf(CodeMalformed, fmt.Sprintf("thisMech %v is not SPNEGO", mech))
	}
	return parseNegTokenInitInner(inner)
}

func parseNegTokenInitInner(inner []byte) (*NegTokenInit, error) {
	choice, err := readOnly(inner, contextTag(0), "negTokenInit")
	if err != nil {
		return nil, err
	}
	seq, err := readOnly(choice.content, tagSequence, "NegTokenInit")
	if err != nil {
		return nil, err
	}
	t := &NegTokenInit{}
	haveMechTypes := false
	err = forFields(seq.content, func(n int, e element) error {
		switch n {
		case 0:
			haveMechTypes = true
			list, err := readOnly(e.content, tagSequence, "mechTypes")
			if err != nil {
				return err
			}
			for b := list.content; len(b) > 0; {
				var oe element
				if oe, b, err = readElement(b); err != nil {
					return err
				}
				if oe.tag != tagOID {
					return errorf(CodeMalformed, fmt.Sprintf("mechTypes element with tag %#x", oe.tag))
				}
				if len(t.MechTypes) == MaxMechTypes {
					return errorf(CodeTooLarge, "too many mechTypes")
				}
				oid, err := parseOID(oe)
				if err != nil {
					return err
				}
				t.MechTypes = append(t.MechTypes, oid)
			}
		case 1:
			if _, err := readOnly(e.content, tagBitString, "reqFlags"); err != nil {
				return err
			}
		case 2:
			t.MechToken, err = octetString(e, "mechToken")
			return err
		case 3:
			// mechListMIC, or a NegTokenInit2's negHints (a SEQUENCE).
			if in, _, err := readElement(e.content); err == nil && in.tag == tagSequence {
				return nil
			}
			t.MechListMIC, err = octetString(e, "mechListMIC")
			return err
		case 4:
			t.MechListMIC, err = octetString(e, "mechListMIC")
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !haveMechTypes {
		return nil, errorf(CodeMalformed, "NegTokenInit without mechTypes")
	}
	return t, nil
}

// forFields walks the [n] EXPLICIT fields of a SEQUENCE, which must come
// in increasing tag order; f sees each with its tag number.
func forFields(b []byte, f func(n int, e element) error) error {
	last := -1
	for len(b) > 0 {
		e, rest, err := readElement(b)
		if err != nil {
			return err
		}
		if e.tag&0xe0 != 0xa0 {
			return errorf(CodeMalformed, fmt.Sprintf("field tag %#x is not context-specific constructed", e.tag))
		}
		n := int(e.tag & 0x1f)
		if n <= last {
			return errorf(CodeMalformed, fmt.Sprintf("field [%d] after [%d]", n, last))
		}
		last = n
		if err := f(n, e); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

func octetString(e element, what string) ([]byte, error) {
	o, err := readOnly(e.content, tagOctetString, what)
	if err != nil {
		return nil, err
	}
	return o.content, nil
}

// Marshal encodes t as a NegotiationToken negTokenResp.
func (t *NegTokenResp) Marshal() ([]byte, error) {
	var b []byte
	if t.NegState != NegStateAbsent {
		b = appendElement(b, contextTag(0), appendElement(nil, tagEnumerated, []byte{byte(t.NegState)}))
	}
	if t.SupportedMech != nil {
		oid, err := marshalOID(t.SupportedMech)
		if err != nil {
			return nil, err
		}
		b = appendElement(b, contextTag(1), oid)
	}
	if t.ResponseToken != nil {
		b = appendElement(b, contextTag(2), appendElement(nil, tagOctetString, t.ResponseToken))
	}
	if t.MechListMIC != nil {
		b = appendElement(b, contextTag(3), appendElement(nil, tagOctetString, t.MechListMIC))
	}
	return appendElement(nil, contextTag(1), appendElement(nil, tagSequence, b)), nil
}

// ParseNegTokenResp parses a NegotiationToken negTokenResp.
func ParseNegTokenResp(tok []byte) (*NegTokenResp, error) {
	choice, err := readOnly(tok, contextTag(1), "negTokenResp")
	if err != nil {
		return nil, err
	}
	seq, err := readOnly(choice.content, tagSequence, "NegTokenResp")
	if err != nil {
		return nil, err
	}
	t := &NegTokenResp{NegState: NegStateAbsent}
	err = forFields(seq.content, func(n int, e element) error {
		switch n {
		case 0:
			en, err := readOnly(e.content, tagEnumerated, "negState")
			if err != nil {
				return err
			}
			if len(en.content) != 1 || en.content[0] > byte(RequestMIC) {
				return errorf(CodeMalformed, fmt.Sprintf("negState %x", en.content))
			}
			t.NegState = NegState(en.content[0])
		case 1:
			oe, err := readOnly(e.content, tagOID, "supportedMech")
			if err != nil {
				return err
			}
			t.SupportedMech, err = parseOID(oe)
			return err
		case 2:
			t.ResponseToken, err = octetString(e, "responseToken")
			return err
		case 3:
			t.MechListMIC, err = octetString(e, "mechListMIC")
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

package spnego

// Code classifies a SPNEGO failure. The SMB layer answers CodeMalformed
// and CodeTooLarge with STATUS_INVALID_PARAMETER and the others with
// STATUS_LOGON_FAILURE (CodeMechFailed: the mechanism's own error decides).
type Code int

const (
	CodeMalformed    Code = iota + 1 // a token that does not parse (RFC 4178 4.2, X.690 DER)
	CodeTooLarge                     // a token over Server.MaxTokenSize, or too many mechTypes
	CodeNoCommonMech                 // none of the client's mechTypes is offered
	CodeState                        // a token the exchange does not expect now
	CodeRejected                     // the client sent negState reject
	CodeMechFailed                   // the mechanism refused; Err has its error
	CodeMICMissing                   // the mechListMIC exchange is required and the client sent none
	CodeBadMIC                       // the client's mechListMIC does not verify
)

var codeNames = [...]string{
	CodeMalformed:    "malformed token",
	CodeTooLarge:     "token too large",
	CodeNoCommonMech: "no common mechanism",
	CodeState:        "unexpected token",
	CodeRejected:     "rejected by the client",
	CodeMechFailed:   "mechanism failed",
	CodeMICMissing:   "mechListMIC missing",
	CodeBadMIC:       "mechListMIC does not verify",
}

func (c Code) String() string {
	if c > 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "unknown error"
}

// Error is the error every function of this package returns. errors.Is
// matches it against the Err* values by Code, and against the wrapped
// mechanism error (e.g. ntlm.ErrWrongPassword).
type Error struct {
	Code   Code
	Detail string
	Err    error
}

func (e *Error) Error() string {
	s := "spnego: " + e.Code.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The values to test errors against with errors.Is.
var (
	ErrMalformed    = &Error{Code: CodeMalformed}
	ErrTooLarge     = &Error{Code: CodeTooLarge}
	ErrNoCommonMech = &Error{Code: CodeNoCommonMech}
	ErrState        = &Error{Code: CodeState}
	ErrRejected     = &Error{Code: CodeRejected}
	ErrMechFailed   = &Error{Code: CodeMechFailed}
	ErrMICMissing   = &Error{Code: CodeMICMissing}
	ErrBadMIC       = &Error{Code: CodeBadMIC}
)

func errorf(c Code, detail string) error { return &Error{Code: c, Detail: detail} }

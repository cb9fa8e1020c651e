package ntlm

// Code classifies an NTLMSSP failure. The SMB layer maps CodeMalformed and
// CodeTooLarge to STATUS_INVALID_PARAMETER and every other code to
// STATUS_LOGON_FAILURE, as Samba does; the detail is for the log only.
type Code int

const (
	CodeMalformed          Code = iota + 1 // a message that does not parse
	CodeTooLarge                           // a message or field over its bound
	CodeUnsupported                        // a feature refused by design (OEM strings, no extended session security for signing)
	CodeNTLMv1                             // an LM or NTLMv1 response: only NTLMv2 is accepted
	CodeState                              // a message out of order, or a second use of an Acceptor
	CodeUnknownUser                        // Lookup does not know the user
	CodeWrongPassword                      // the NTLMv2 proof does not match
	CodeTargetInfoMismatch                 // the client's echoed AV_PAIRs differ from the CHALLENGE's
	CodeChallengeExpired                   // the AUTHENTICATE came later than ChallengeLifetime
	CodeBadMIC                             // the AUTHENTICATE_MESSAGE MIC does not match
	CodeBadSignature                       // an NTLMSSP_MESSAGE_SIGNATURE does not verify
)

var codeNames = [...]string{
	CodeMalformed:          "malformed message",
	CodeTooLarge:           "field too large",
	CodeUnsupported:        "unsupported",
	CodeNTLMv1:             "LM/NTLMv1 response refused (NTLMv2 only)",
	CodeState:              "message out of order",
	CodeUnknownUser:        "unknown user",
	CodeWrongPassword:      "wrong password",
	CodeTargetInfoMismatch: "TargetInfo in the response differs from the challenge",
	CodeChallengeExpired:   "challenge expired",
	CodeBadMIC:             "MIC mismatch",
	CodeBadSignature:       "bad message signature",
}

func (c Code) String() string {
	if c > 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "unknown error"
}

// Error is the error every function of this package returns. errors.Is
// matches it against the Err* values by Code.
type Error struct {
	Code   Code
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "ntlm: " + e.Code.String()
	}
	return "ntlm: " + e.Code.String() + ": " + e.Detail
}

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The values to test errors against with errors.Is.
var (
	ErrMalformed          = &Error{Code: CodeMalformed}
	ErrTooLarge           = &Error{Code: CodeTooLarge}
	ErrUnsupported        = &Error{Code: CodeUnsupported}
	ErrNTLMv1             = &Error{Code: CodeNTLMv1}
	ErrState              = &Error{Code: CodeState}
	ErrUnknownUser        = &Error{Code: CodeUnknownUser}
	ErrWrongPassword      = &Error{Code: CodeWrongPassword}
	ErrTargetInfoMismatch = &Error{Code: CodeTargetInfoMismatch}
	ErrChallengeExpired   = &Error{Code: CodeChallengeExpired}
	ErrBadMIC             = &Error{Code: CodeBadMIC}
	ErrBadSignature       = &Error{Code: CodeBadSignature}
)

func errorf(c Code, detail string) error { return &Error{Code: c, Detail: detail} }

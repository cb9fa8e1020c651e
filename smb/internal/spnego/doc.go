// Package spnego is the acceptor side of SPNEGO (RFC 4178, with the
// Microsoft extensions of MS-SPNG) for SMB session setup.
//
// Server lists the mechanisms offered, each an OID and a constructor of an
// Acceptor (the mechanism's acceptor for one authentication). NTLMSSP
// (package ntlm) is the one implemented; Kerberos plugs in later as two
// more Mechs (OIDKerberos5 and OIDMSKerberos5) whose Acceptor comes from
// package gss, with no change here.
//
// Implemented:
//   - Server.InitialToken: the NegTokenInit2 (MS-SPNG 2.2.1, 3.2.5.2) in
//     the GSS-API framing (RFC 2743 3.1) for the SMB2 NEGOTIATE response:
//     mechTypes and negHints with the fixed hintName, as Windows and Samba
//     send.
//   - Context.Accept: the client's NegTokenInit (GSS-API framed) and
//     NegTokenResps. The mechanism is the first of the client's mechTypes
//     that the server offers; its optimistic mechToken is used only when
//     it is the client's first choice, otherwise the server answers
//     request-mic with supportedMech and no responseToken and the
//     mechanism starts with the client's next token (RFC 4178 5).
//     Replies are NegTokenResps: accept-incomplete with supportedMech on
//     the first, accept-completed at the end.
//   - mechListMIC (RFC 4178 5, MS-SPNG 3.3.5.1): when the established
//     context can sign and the mechanism requires it (NTLM with a MIC in
//     its AUTHENTICATE), the mechanism was a downgrade, or the client sent
//     one. The client's is verified over the DER of its mechTypes and the
//     server's returned with accept-completed; a client that sent none gets
//     the server's in accept-incomplete and must answer with its own
//     (Samba's behaviour). Anonymous NTLM skips it, as in Samba.
//   - Raw tokens: an NTLMSSP message without SPNEGO (smbclient can send
//     one) or a GSS-API token of an offered mechanism goes straight to that
//     mechanism, and its replies go back bare.
//
// Refused: a NegTokenResp first, a NegTokenInit later, tokens after the
// end or after a failure (CodeState); no common mechanism; a client's
// reject; any DER that is not strict DER (indefinite or non-minimal
// lengths, high tag numbers, lengths past the end, trailing bytes) and
// any structure off the RFC 4178 schema (CodeMalformed); tokens over
// MaxTokenSize or more than MaxMechTypes mechTypes (CodeTooLarge). The
// DER reader is written by hand over the fixed schema, so its depth is
// bounded whatever the nesting of the input; OIDs go through
// encoding/asn1. Errors are *Error, wrapping the mechanism's error; no
// input panics (FuzzNegTokenInit, FuzzNegTokenResp).
package spnego

// Package ntlm is the server side of NTLMSSP (MS-NLMP) for SMB session
// setup: an Acceptor parses the client's NEGOTIATE_MESSAGE, answers with a
// CHALLENGE_MESSAGE and verifies the AUTHENTICATE_MESSAGE, returning the
// user, domain, workstation, negotiated flags and the ExportedSessionKey
// from which SMB derives its signing and encryption keys.
//
// Implemented (section numbers of MS-NLMP):
//   - CHALLENGE_MESSAGE (2.2.1.2, 3.2.5.1.1): a random 8-byte server
//     challenge; flags chosen from the client's among UNICODE, NTLM, SIGN,
//     SEAL, ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, TARGET_INFO, VERSION,
//     128, 56, KEY_EXCH, REQUEST_TARGET with TARGET_TYPE_SERVER;
//     TargetName; TargetInfo with MsvAvNbDomainName, MsvAvNbComputerName,
//     MsvAvDnsDomainName, MsvAvDnsComputerName, MsvAvTimestamp, MsvAvEOL
//     (Samba's order); Version (Samba's 6.1.7600/15 unless configured).
//   - NTLMv2 verification (3.3.2): NTProofStr = HMAC_MD5(NTOWFv2,
//     ServerChallenge || temp) with NTOWFv2 from the caller's NT hash,
//     tried with the domain as sent, upper-cased and empty, as Samba's
//     ntlm_password_check does.
//   - Keys (3.3.2, 3.4.5): SessionBaseKey, KeyExchangeKey, the
//     EncryptedRandomSessionKey under KEY_EXCH; the MIC (3.2.5.1.2) when
//     MsvAvFlags announces it; SIGNKEY, SEALKEY and signing and sealing
//     with extended session security (3.4.3, 3.4.4.2) in a Sealer, which
//     SPNEGO uses for the mechListMIC.
//   - Anonymous logons (empty user, empty NtChallengeResponse, empty or
//     Z(1) LmChallengeResponse) are reported in Result.Anonymous, without
//     a session key or signing; the caller refuses them or maps them to
//     guest.
//   - Time: as in Samba, the server does not judge the client's clock. The
//     client must echo every AV_PAIR of the CHALLENGE unchanged, the
//     MsvAvTimestamp included (which also catches a TargetInfo edited in
//     flight), and the AUTHENTICATE must come within ChallengeLifetime
//     (default 30 minutes, Samba's hard timeout) of the CHALLENGE by the
//     server's own clock.
//
// Refused, each with its Code: LM and NTLMv1 responses (CodeNTLMv1: their
// hashes fall to offline cracking and relay, and every client of SMB 2
// and later speaks NTLMv2); OEM (non-Unicode) strings; signing without
// extended session security (the NTLMv1-era CRC32 scheme); LM_KEY,
// DATAGRAM and IDENTIFY, never granted. Channel bindings
// (MsvAvChannelBindings) are not checked: SMB has no TLS channel to bind.
//
// Every length and offset is checked before use (messages up to 64 KiB,
// names MaxNameBytes, the NTLMv2 response MaxNTResponse; offsets inside
// the message, after the fixed header, not overlapping); errors are
// *Error, and no input panics (FuzzNegotiate, FuzzAuthenticate).
//
// MD4, which the NT hash needs and the standard library lacks, is written
// here from RFC 1320. Package ntlmtest is a client for tests.
package ntlm

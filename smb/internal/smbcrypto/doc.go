// Package smbcrypto is the cryptography of the SMB 2/3 server: key
// derivation, message signing, message encryption and the preauth
// integrity hash, from MS-SMB2, on the Go standard library alone.
//
// What it implements:
//
//   - KDF: SP800-108 counter mode with HMAC-SHA256, r = 32, L = 128 or 256
//     (MS-SMB2 3.1.4.2). DeriveKeys gives a session's signing, encryption,
//     decryption and application keys for a dialect (3.3.5.5.3): 2.0.2 and
//     2.1 sign with the session key itself; 3.0 and 3.0.2 use the labels
//     "SMB2AESCMAC"/"SmbSign", "SMB2AESCCM"/"ServerIn "/"ServerOut",
//     "SMB2APP"/"SmbRpc"; 3.1.1 uses "SMBSigningKey", "SMBC2SCipherKey",
//     "SMBS2CCipherKey", "SMBAppKey" with the session's preauth integrity
//     hash as the context, and 256-bit cipher keys from the full session
//     key for AES-256-CCM/GCM. SigningKey gives a bound channel's key.
//   - Signing (3.1.4.1, 3.1.5.1): Signer signs and verifies one SMB2
//     message in place, with HMAC-SHA256 (truncated to 16 bytes; 2.0.2,
//     2.1), AES-128-CMAC (3.x; CMAC written here after RFC 4493 / SP800-38B)
//     or AES-128-GMAC (3.1.1 with SMB2_SIGNING_CAPABILITIES; the nonce is the
//     MessageId and the response/cancel bits). The signature field is zeroed
//     for the computation and the comparison is constant time.
//   - Encryption (3.1.4.3, 3.3.5.2.1.1, 2.2.41): Encryptor and Decryptor
//     wrap and unwrap a message in an SMB2 TRANSFORM_HEADER with
//     AES-128-CCM, AES-128-GCM, AES-256-CCM or AES-256-GCM (CCM written here
//     after SP800-38C / RFC 3610, 11-byte nonce, 16-byte tag; GCM is
//     crypto/cipher's). The additional data is the header from Nonce on (32
//     bytes). Nonces come from a per-session counter that never repeats;
//     Encrypt refuses once it would wrap (see Encryptor).
//     ParseTransformHeader and Decrypt check the header and the bounds of
//     OriginalMessageSize before anything is allocated.
//   - Preauth integrity (3.3.5.4, 3.3.5.5): PreauthHash is the SHA-512
//     chain over the NEGOTIATE and SESSION_SETUP messages that the
//     connection and each session carry.
//
// What the caller does: choose the dialect, cipher and signing algorithm in
// NEGOTIATE; feed PreauthHash; decide which messages are signed or
// encrypted and with which key (session or channel); disconnect on any
// error from Decrypt; check the SessionId of the decrypted headers. The
// tests check the implementation against RFC 4493 (CMAC), RFC 3610 and
// SP800-38C / NIST CAVS (CCM) and Microsoft's published SMB 3.0 and 3.1.1
// key, encryption and preauth vectors; see the tests for which vectors are
// external and which are computed here.
package smbcrypto

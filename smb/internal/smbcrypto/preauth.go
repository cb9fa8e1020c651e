package smbcrypto

import "crypto/sha512"

// PreauthHash is an SMB 3.1.1 preauthentication integrity hash value
// (MS-SMB2 3.3.1.7 Connection.PreauthIntegrityHashValue, 3.3.1.8
// Session.PreauthIntegrityHashValue), with SHA-512, the only hash
// algorithm MS-SMB2 2.2.3.1.1 defines. The zero value is the initial
// value: 64 zero bytes.
//
// The connection carries one and the session carries one:
//
//   - the connection's starts at zero; the server updates it with the
//     NEGOTIATE request and then with the NEGOTIATE response it sends
//     (MS-SMB2 3.3.5.4);
//   - a session's is a copy of the connection's (a plain assignment: the
//     type is an array) made when its first SESSION_SETUP request arrives,
//     and is then updated with every SESSION_SETUP request and every
//     response that is not the final STATUS_SUCCESS one (MS-SMB2 3.3.5.5,
//     3.3.5.5.3). DeriveKeys takes it after the last request.
//
// The bytes hashed are the whole SMB2 message (header and body) without
// the 4-byte Direct TCP framing, in clear (after decryption).
type PreauthHash [sha512.Size]byte

// Update chains msg into the hash: h = SHA-512(h || msg).
func (h *PreauthHash) Update(msg []byte) {
	d := sha512.New()
	d.Write(h[:])
	d.Write(msg)
	d.Sum(h[:0])
}

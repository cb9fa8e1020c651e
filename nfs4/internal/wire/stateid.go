package wire

// The special stateids are the ones whose "other" field is all zeros or
// all ones (RFC 5661 §8.2.3, RFC 3530 §8.1.3). The server never assigns
// them; one that is reserved but none of the four below is answered
// NFS4ERR_BAD_STATEID. The current and invalid stateids are NFSv4.1's: in
// NFSv4.0 they are merely reserved.

// IsReserved reports whether s's "other" field is all zeros or all ones.
func (s *Stateid4) IsReserved() bool {
	return s.otherIs(0) || s.otherIs(0xff)
}

// IsAnonymous reports whether s is the anonymous stateid (all zeros).
func (s *Stateid4) IsAnonymous() bool { return s.Seqid == 0 && s.otherIs(0) }

// IsReadBypass reports whether s is the READ bypass stateid (all ones).
func (s *Stateid4) IsReadBypass() bool { return s.Seqid == NFS4_UINT32_MAX && s.otherIs(0xff) }

// IsCurrent reports whether s is NFSv4.1's current stateid (seqid 1,
// other all zeros).
func (s *Stateid4) IsCurrent() bool { return s.Seqid == 1 && s.otherIs(0) }

// IsInvalid reports whether s is NFSv4.1's invalid stateid (seqid
// NFS4_UINT32_MAX, other all zeros).
func (s *Stateid4) IsInvalid() bool { return s.Seqid == NFS4_UINT32_MAX && s.otherIs(0) }

func (s *Stateid4) otherIs(b byte) bool {
	for _, c := range s.Other {
		if c != b {
			return false
		}
	}
	return true
}

package ntlm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The values of MS-NLMP 4.2.1 (Common Values) and 4.2.4 (NTLMv2).
const (
	specServerChallenge = "0123456789abcdef"
	specClientChallenge = "aaaaaaaaaaaaaaaa"
	specRandomKey       = "55555555555555555555555555555555"
	specChallengeFlags  = Flags(0xe28a8233)

	// 4.2.4.1.3 temp.
	specTemp = `01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		aa aa aa aa aa aa aa aa 00 00 00 00 02 00 0c 00
		44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00
		53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00
		00 00 00 00`

	// 4.2.4.3 CHALLENGE_MESSAGE.
	specChallenge = `4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00
		38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef
		00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00
		06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00
		65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00
		69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00
		65 00 72 00 00 00 00 00`

	// 4.2.4.3 AUTHENTICATE_MESSAGE.
	specAuthenticate = `4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00
		6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00
		48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00
		5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2
		05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00
		69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00
		4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97
		ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa
		aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b
		eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00
		02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
		01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00
		00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90
		94 ce 1c e9 0b c9 d0 3e`

	// 4.2.4.4 GSS_WrapEx: "Plaintext" in UTF-16LE, sealed, and its signature.
	specPlaintext = "50 00 6c 00 61 00 69 00 6e 00 74 00 65 00 78 00 74 00"
	specSealed    = "54 e5 01 65 bf 19 36 dc 99 60 20 c1 81 1b 0f 06 fb 5f"
	specSignature = "01 00 00 00 7f b3 8e c5 c5 5d 49 76 00 00 00 00"
)

var specAVPairs = []avPair{
	{MsvAvNbDomainName, utf16le("Domain")},
	{MsvAvNbComputerName, utf16le("Server")},
}

// TestSpecNTLMv2Keys reproduces MS-NLMP 4.2.4.1 and 4.2.4.2: NTOWFv2,
// temp, NTProofStr, the session base key, the LMv2 response and the
// encrypted session key.
func TestSpecNTLMv2Keys(t *testing.T) {
	key := NTOWFv2(NTHash("Password"), "User", "Domain")
	if want := unhex(t, "0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f"); !bytes.Equal(key[:], want) {
		t.Errorf("NTOWFv2 = %x, want %x (4.2.4.1.1)", key, want)
	}
	// NTOWFv2 upper-cases the user, not the domain (MS-NLMP 3.3.2).
	if NTOWFv2(NTHash("Password"), "user", "Domain") != key {
		t.Error("NTOWFv2 does not upper-case the user name")
	}
	if NTOWFv2(NTHash("Password"), "User", "DOMAIN") == key {
		t.Error("NTOWFv2 upper-cases the domain name")
	}

	var sc [8]byte
	copy(sc[:], unhex(t, specServerChallenge))
	temp := []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	temp = append(temp, unhex(t, specClientChallenge)...)
	temp = append(temp, 0, 0, 0, 0)
	temp = append(temp, encodeAVPairs(specAVPairs)...)
	temp = append(temp, 0, 0, 0, 0)
	if want := unhex(t, specTemp); !bytes.Equal(temp, want) {
		t.Errorf("temp = %x, want %x (4.2.4.1.3)", temp, want)
	}

	proof := ntProofStr(key, sc, temp)
	if want := unhex(t, "68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c"); !bytes.Equal(proof[:], want) {
		t.Errorf("NTProofStr = %x, want %x (4.2.4.2.2)", proof, want)
	}
	base := hmacMD5(key[:], proof[:])
	if want := unhex(t, "8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3"); !bytes.Equal(base[:], want) {
		t.Errorf("SessionBaseKey = %x, want %x (4.2.4.1.2)", base, want)
	}
	lmv2 := hmacMD5(key[:], sc[:], unhex(t, specClientChallenge))
	if got, want := append(lmv2[:], unhex(t, specClientChallenge)...), unhex(t, "86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa aa aa aa aa"); !bytes.Equal(got, want) {
		t.Errorf("LMv2 = %x, want %x (4.2.4.2.1)", got, want)
	}
	enc := rc4Apply(base, unhex(t, specRandomKey))
	if want := unhex(t, "c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e"); !bytes.Equal(enc, want) {
		t.Errorf("EncryptedRandomSessionKey = %x, want %x (4.2.4.2.3)", enc, want)
	}
}

// TestSpecChallengeMessage encodes the CHALLENGE_MESSAGE of MS-NLMP 4.2.4.3
// byte for byte from its parts.
func TestSpecChallengeMessage(t *testing.T) {
	var sc [8]byte
	copy(sc[:], unhex(t, specServerChallenge))
	got := encodeChallenge(specChallengeFlags, sc, utf16le("Server"), encodeAVPairs(specAVPairs), Version{6, 0, 6000, 15})
	if want := unhex(t, specChallenge); !bytes.Equal(got, want) {
		t.Errorf("CHALLENGE_MESSAGE\n got %x\nwant %x", got, want)
	}
}

// specAcceptor is an Acceptor in the state the 4.2.4.3 CHALLENGE_MESSAGE
// leaves it.
func specAcceptor(t *testing.T, lookup func(user, domain string) ([16]byte, bool)) *Acceptor {
	a := NewAcceptor(&Config{Lookup: lookup})
	a.state = stateChallenged
	copy(a.serverChallenge[:], unhex(t, specServerChallenge))
	a.flags = specChallengeFlags
	a.avPairs = specAVPairs
	a.challenge = unhex(t, specChallenge)
	a.issued = time.Now()
	return a
}

func specLookup(user, domain string) ([16]byte, bool) {
	if user == "User" {
		return NTHash("Password"), true
	}
	return [16]byte{}, false
}

// TestSpecAuthenticate verifies the AUTHENTICATE_MESSAGE of MS-NLMP 4.2.4.3
// (NTLMv2, KEY_EXCH, no MIC) and checks the ExportedSessionKey it yields,
// the keys of 4.2.4.4 and, with the server's client-to-server Sealer, the
// sealed message and signature of 4.2.4.4.
func TestSpecAuthenticate(t *testing.T) {
	a := specAcceptor(t, specLookup)
	r, err := a.Authenticate(unhex(t, specAuthenticate))
	if err != nil {
		t.Fatal(err)
	}
	if r.User != "User" || r.Domain != "Domain" || r.Workstation != "COMPUTER" || r.Anonymous || r.MIC {
		t.Errorf("result %+v", r)
	}
	if want := unhex(t, specRandomKey); !bytes.Equal(r.SessionKey[:], want) {
		t.Errorf("ExportedSessionKey = %x, want %x", r.SessionKey, want)
	}
	if want := Flags(0xe2888231); r.Flags != want {
		t.Errorf("flags %#x, want %#x", r.Flags, want)
	}

	// 4.2.4.4: keys of the client-to-server direction.
	if got, want := SealKey(r.SessionKey, r.Flags, ClientToServer), unhex(t, "59 f6 00 97 3c c4 96 0a 25 48 0a 7c 19 6e 4c 58"); !bytes.Equal(got[:], want) {
		t.Errorf("SEALKEY = %x, want %x", got, want)
	}
	if got, want := SignKey(r.SessionKey, ClientToServer), unhex(t, "47 88 dc 86 1b 47 82 f3 5d 43 fd 98 fe 1a 2d 39"); !bytes.Equal(got[:], want) {
		t.Errorf("SIGNKEY = %x, want %x", got, want)
	}
	pt, err := a.client.Unseal(unhex(t, specSealed), unhex(t, specSignature))
	if err != nil {
		t.Fatalf("Unseal of the 4.2.4.4 message: %v", err)
	}
	if want := unhex(t, specPlaintext); !bytes.Equal(pt, want) {
		t.Errorf("unsealed %x, want %x", pt, want)
	}

	// The client side of 4.2.4.4: sealing "Plaintext" gives the spec's bytes.
	s, _ := NewSealer(r.SessionKey, r.Flags, ClientToServer)
	sealed, sig := s.Seal(unhex(t, specPlaintext))
	if want := unhex(t, specSealed); !bytes.Equal(sealed, want) {
		t.Errorf("sealed %x, want %x", sealed, want)
	}
	if want := unhex(t, specSignature); !bytes.Equal(sig, want) {
		t.Errorf("signature %x, want %x", sig, want)
	}
	// The next signature carries sequence number 1.
	if sig := s.Sign([]byte("x")); sig[12] != 1 {
		t.Errorf("second signature has SeqNum %x", sig[12:])
	}
}

// TestSpecAuthenticateWrongPassword: the same message against another
// password fails (MS-NLMP 3.3.2: NTProofStr must match).
func TestSpecAuthenticateWrongPassword(t *testing.T) {
	a := specAcceptor(t, func(string, string) ([16]byte, bool) { return NTHash("password"), true })
	_, err := a.Authenticate(unhex(t, specAuthenticate))
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("err = %v, want ErrWrongPassword", err)
	}
}

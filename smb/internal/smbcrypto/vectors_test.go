package smbcrypto

// Known-answer tests against EXTERNAL vectors, each from a published
// source, never computed by this package:
//
//   - RFC 4493 section 4 (AES-CMAC subkeys and examples 1-4).
//   - RFC 3610 section 8, packet vectors #1, #2, #12, #13 (CCM, 13-byte
//     nonce, 8- and 10-byte tags).
//   - NIST SP800-38C appendix C, examples 1-4 (CCM, 7/8/12-byte nonces,
//     4/6/8/14-byte tags, and a 65536-byte associated data that takes the
//     0xFFFE length encoding).
//   - NIST CAVS ccmtestvectors.zip (VNT256, DVPT256 cases): AES-256-CCM
//     with 16- and 4-byte tags, as quoted by the .NET runtime's
//     AesCcmTests.
//   - Microsoft's Open Specifications blog test vectors, as reproduced in
//     the pike SMB test suite (emc-isilon/pike,
//     pike/test/test_smb3_encryption_vector.py):
//     "Encryption in SMB 3.0: a protocol perspective" (2012: 3.0 keys, an
//     AES-128-CCM client request and server response),
//     "SMB 3.1.1 Encryption in Windows 10" (2015: 3.1.1 keys from a session
//     key and preauth hash, an AES-128-GCM request and response), and
//     "SMB 3.1.1 Pre-authentication integrity in Windows 10" (2015: the
//     SHA-512 chain over five NEGOTIATE/SESSION_SETUP messages and the
//     signing key derived from it).
//   - Two SMB 2.x HMAC-SHA256 signed responses captured from Windows, as
//     used by TalAloni/SMBLibrary (SMBLibrary.Tests/SMB2SigningTests.cs).
//   - SMB 3.0 signing and cipher keys from one session key, from the tests
//     of another independent implementation, hierynomus/smbj
//     (SMBSessionBuilderSpec.groovy); the only external value we found for
//     the 3.0 signing key ("SMB2AESCMAC"/"SmbSign").
//
// No external vector was found for an SMB message signed with AES-CMAC or
// AES-GMAC; sign_test.go checks those against an independent computation
// written in the test from the MS-SMB2 3.1.4.1 text.

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"strings"
	"testing"
)

// unhex decodes hex with spaces and newlines, failing the test on bad
// input.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// RFC 4493 section 4.
func TestCMACRFC4493(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	msg := unhex(t, `6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
		30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	c := newCMAC(b)
	// Subkey generation: K1, K2 (L = 7df76b0c1ab899b33e42f047b91b546f).
	if want := unhex(t, "fbeed618357133667c85e08f7236a8de"); !bytes.Equal(c.k1[:], want) {
		t.Errorf("K1 = %x, want %x", c.k1, want)
	}
	if want := unhex(t, "f7ddac306ae266ccf90bc11ee46d513b"); !bytes.Equal(c.k2[:], want) {
		t.Errorf("K2 = %x, want %x", c.k2, want)
	}
	for _, tc := range []struct {
		n   int
		mac string
	}{
		{0, "bb1d6929e95937287fa37d129b756746"},  // example 1: empty
		{16, "070a16b46b4d4144f79bdd9dd04a287c"}, // example 2: one whole block (K1)
		{40, "dfa66747de9ae63030ca32611497c827"}, // example 3: partial last block (K2)
		{64, "51f0bebf7e3b9d92fc49741779363cfe"}, // example 4: four whole blocks
	} {
		if got := c.sum(msg[:tc.n]); hex.EncodeToString(got[:]) != tc.mac {
			t.Errorf("CMAC of %d bytes = %x, want %s", tc.n, got, tc.mac)
		}
	}
}

type ccmVector struct {
	name                          string
	key, nonce, ad, plain, sealed string
	tagSize                       int
	adRepeat00toFF                int // SP800-38C C.4: ad is 00..ff repeated this many times
}

var ccmVectors = []ccmVector{
	// RFC 3610 section 8. sealed is the packet after the cleartext header.
	{name: "RFC3610 #1", key: "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF", nonce: "00000003020100A0A1A2A3A4A5",
		ad: "0001020304050607", plain: "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E",
		sealed: "588C979A61C663D2F066D0C2C0F989806D5F6B61DAC38417E8D12CFDF926E0", tagSize: 8},
	{name: "RFC3610 #2", key: "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF", nonce: "00000004030201A0A1A2A3A4A5",
		ad: "0001020304050607", plain: "08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
		sealed: "72C91A36E135F8CF291CA894085C87E3CC15C439C9E43A3BA091D56E10400916", tagSize: 8},
	{name: "RFC3610 #12", key: "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF", nonce: "0000000E0D0C0BA0A1A2A3A4A5",
		ad: "000102030405060708090A0B", plain: "0C0D0E0F101112131415161718191A1B1C1D1E1F20",
		sealed: "C0FFA0D6F05BDB67F24D43A4338D2AA4BED7B20E43CD1AA31662E7AD65D6DB", tagSize: 10},
	{name: "RFC3610 #13", key: "D7828D13B2B0BDC325A76236DF93CC6B", nonce: "00412B4EA9CDBE3C9696766CFA",
		ad: "0BE1A88BACE018B1", plain: "08E8CF97D820EA258460E96AD9CF5289054D895CEAC47C",
		sealed: "4CB97F86A2A4689A877947AB8091EF5386A6FFBDD080F8E78CF7CB0CDDD7B3", tagSize: 8},
	// SP800-38C appendix C.
	{name: "SP800-38C C.1", key: "404142434445464748494a4b4c4d4e4f", nonce: "10111213141516",
		ad: "0001020304050607", plain: "20212223", sealed: "7162015b4dac255d", tagSize: 4},
	{name: "SP800-38C C.2", key: "404142434445464748494a4b4c4d4e4f", nonce: "1011121314151617",
		ad: "000102030405060708090a0b0c0d0e0f", plain: "202122232425262728292a2b2c2d2e2f",
		sealed: "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd", tagSize: 6},
	{name: "SP800-38C C.3", key: "404142434445464748494a4b4c4d4e4f", nonce: "101112131415161718191a1b",
		ad: "000102030405060708090a0b0c0d0e0f10111213", plain: "202122232425262728292a2b2c2d2e2f3031323334353637",
		sealed: "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951", tagSize: 8},
	{name: "SP800-38C C.4", key: "404142434445464748494a4b4c4d4e4f", nonce: "101112131415161718191a1b1c",
		adRepeat00toFF: 256, plain: "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		sealed: "69915dad1e84c6376a68c2967e4dab615ae0fd1faec44cc484828529463ccf72b4ac6bec93e8598e7f0dadbcea5b", tagSize: 14},
	// NIST CAVS 11.0 (ccmtestvectors.zip), AES-256.
	{name: "CAVS VNT256 #0", key: "553521a765ab0c3fd203654e9916330e189bdf951feee9b44b10da208fee7acf", nonce: "aaa23f101647d8",
		ad: "a355d4c611812e5f9258d7188b3df8851477094ffc2af2cf0c8670db903fbbe0", plain: "644eb34b9a126e437b5e015eea141ca1a88020f2d5d6cc2c",
		sealed: "27ed90668174ebf8241a3c74b35e1246b6617e4123578f15" + "3bdb67062a13ef4e986f5bb3d0bb4307", tagSize: 16},
	{name: "CAVS VNT256 #50", key: "d6ff67379a2ead2ca87aa4f29536258f9fb9fc2e91b0ed18e7b9f5df332dd1dc", nonce: "2f1d0717a822e20c7cd28f0a",
		ad: "d50741d34c8564d92f396b97be782923ff3c855ea9757bde419f632c83997630", plain: "98626ffc6c44f13c964e7fcb7d16e988990d6d063d012d33",
		sealed: "50e22db70ac2bab6d6af7059c90d00fbf0fb52eee5eb650e" + "08aca7dec636170f481dcb9fefb85c05", tagSize: 16},
	{name: "CAVS VNT256 #51", key: "d6ff67379a2ead2ca87aa4f29536258f9fb9fc2e91b0ed18e7b9f5df332dd1dc", nonce: "819ecbe71f851743871163cc",
		ad: "48e06c3b2940819e58eb24122a2988c997697347a6e34c21267d76049febdcf8", plain: "8d164f598ea141082b1069776fccd87baf6a2563cbdbc9d1",
		sealed: "70fd9d3c7d9e8af610edb3d329f371cf3052d820e79775a9" + "32d42f9954f9d35d989a09e4292949fc", tagSize: 16},
	{name: "CAVS VNT256 #60", key: "4a75ff2f66dae2935403cce27e829ad8be98185c73f8bc61d3ce950a83007e11", nonce: "46eb390b175e75da6193d7edb6",
		ad: "282f05f734f249c0535ee396282218b7c4913c39b59ad2a03ffaf5b0e9b0f780", plain: "205f2a664a8512e18321a91c13ec13b9e6b633228c57cc1e",
		sealed: "58f1584f761983bef4d0060746b5d5ee610ecfda31101a7f" + "5460e9b7856d60a5ad9803c0762f8176", tagSize: 16},
	{name: "CAVS DVPT256 #0 (empty)", key: "eda32f751456e33195f1f499cf2dc7c97ea127b6d488f211ccc5126fbb24afa6", nonce: "a544218dadd3c1",
		sealed: "469c90bb", tagSize: 4},
	{name: "CAVS DVPT256 #60", key: "af063639e66c284083c5cf72b70d8bc277f5978e80d9322d99f2fdc718cda569", nonce: "a544218dadd3c1",
		plain: "d3d5424e20fbec43ae495353ed830271515ab104f8860c98", sealed: "64a1341679972dc5869fcf69b19d5c5ea50aa0b5e985f5b7" + "22aa8d59", tagSize: 4},
	{name: "CAVS DVPT256 #120 (ad only)", key: "1b0e8df63c57f05d9ac457575ea764524b8610ae5164e6215f426f5a7ae6ede4", nonce: "a544218dadd3c1",
		ad: "d3d5424e20fbec43ae495353ed830271515ab104f8860c988d15b6d36c038eab", sealed: "92d00fbe", tagSize: 4},
}

// RFC 3610 section 8 and SP800-38C appendix C: CCM seals to the published
// bytes and opens them back; a flipped bit anywhere is refused.
func TestCCMVectors(t *testing.T) {
	for _, v := range ccmVectors {
		t.Run(v.name, func(t *testing.T) {
			b, err := aes.NewCipher(unhex(t, v.key))
			if err != nil {
				t.Fatal(err)
			}
			nonce := unhex(t, v.nonce)
			c, err := newCCM(b, len(nonce), v.tagSize)
			if err != nil {
				t.Fatal(err)
			}
			ad := unhex(t, v.ad)
			for range v.adRepeat00toFF {
				for i := range 256 {
					ad = append(ad, byte(i))
				}
			}
			plain, want := unhex(t, v.plain), unhex(t, v.sealed)
			if got := c.Seal(nil, nonce, plain, ad); !bytes.Equal(got, want) {
				t.Fatalf("Seal = %x\nwant   %x", got, want)
			}
			got, err := c.Open(nil, nonce, want, ad)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Open = %x, %v; want %x", got, err, plain)
			}
			for i := range len(want) * 8 {
				bad := bytes.Clone(want)
				bad[i/8] ^= 1 << (i % 8)
				if _, err := c.Open(nil, nonce, bad, ad); err == nil {
					t.Fatalf("Open accepted the sealed bytes with bit %d flipped", i)
				}
			}
			if len(ad) > 0 {
				bad := bytes.Clone(ad)
				bad[len(bad)-1] ^= 1
				if _, err := c.Open(nil, nonce, want, bad); err == nil {
					t.Fatal("Open accepted altered associated data")
				}
			}
		})
	}
}

// Microsoft's encryption vectors. "Encryption in SMB 3.0: a protocol
// perspective" (3.0, AES-128-CCM; MS-SMB2 3.3.5.5.3 with "ServerIn " and
// "ServerOut") and "SMB 3.1.1 Encryption in Windows 10" (3.1.1,
// AES-128-GCM, "SMBC2SCipherKey" and "SMBS2CCipherKey" with the preauth
// hash): the keys from the session key; a client WRITE request encrypted
// with the client's key (our DecryptionKey), which we decrypt; and the
// server's response encrypted with ours (EncryptionKey). Sealing each
// message under its header's nonce reproduces the published bytes, tag
// included. The blog gives the client's view: its encryption key is our
// decryption key and the other way round. The 3.0 request's Nonce field
// carries five non-zero bytes after the 11 CCM uses (Windows 8 sent
// them): the whole 16-byte field is authenticated as it is.
func TestMSVectorsEncryption(t *testing.T) {
	var preauth311 PreauthHash
	copy(preauth311[:], unhex(t, `B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDB
		A7DB256BA2EA30E977F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770`))
	for _, v := range []struct {
		dialect              Dialect
		cipher               Cipher
		sessionKey           string
		preauth              *PreauthHash
		sessionID            uint64
		decKey, encKey       string
		request, requestTF   string
		response, responseTF string
	}{{
		dialect: Dialect300, cipher: CipherAES128CCM, sessionKey: "B4546771B515F766A86735532DD6C4F0", sessionID: 0x8e40014000011,
		decKey: "261B72350558F2E9DCF613070383EDBF", encKey: "8FE2B57EC34D2DB5B1A9727F526BBDB5",
		request: `FE534D4240000100000000000900400008000000000000000400000000000000
			FFFE0000010000001100001400E4080000000000000000000000000000000000
			3100700017000000000000000000000015010000390000020100000039020000
			00000000000000007000000000000000536D623320656E6372797074696F6E20
			74657374696E67`,
		requestTF: `FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A
			744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5
			2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4
			4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5
			AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6
			C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB`,
		response: `FE534D4240000100000000000900210009000000000000000400000000000000
			FFFE0000010000001100001400E4080000000000000000000000000000000000
			11000000170000000000000000000000`,
		responseTF: `FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014
			00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079
			E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787
			1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1
			77309E5B`,
	}, {
		dialect: Dialect311, cipher: CipherAES128GCM, sessionKey: "419FDDF34C1E001909D362AE7FB6AF79", preauth: &preauth311, sessionID: 0x100000000025,
		decKey: "A2F5E80E5D59103034F32E52F698E5EC", encKey: "748C50868C90F302962A5C35F5F9A8BF",
		request: `FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000
			25000000001000000000000000000000000000000000000031007000170000000000000000000000
			0600000004000000010000000400000000000000000000007000000000000000536D623320656E63
			72797074696F6E2074657374696E67`,
		requestTF: `FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000
			0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02
			D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4
			4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9
			1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8`,
		response: `FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000
			25000000001000000000000000000000000000000000000011000000170000000000000000000000`,
		responseTF: `FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000
			00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8
			F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B
			82E03C9E18A050FF0EA1C967`,
	}} {
		t.Run(v.dialect.String(), func(t *testing.T) {
			k, err := DeriveKeys(v.dialect, unhex(t, v.sessionKey), v.preauth, v.cipher)
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, v.decKey); !bytes.Equal(k.DecryptionKey, want) {
				t.Errorf("DecryptionKey = %x, want %x", k.DecryptionKey, want)
			}
			if want := unhex(t, v.encKey); !bytes.Equal(k.EncryptionKey, want) {
				t.Errorf("EncryptionKey = %x, want %x", k.EncryptionKey, want)
			}
			for _, m := range []struct {
				name          string
				key           []byte
				plain, sealed []byte
			}{
				{"request", k.DecryptionKey, unhex(t, v.request), unhex(t, v.requestTF)},
				{"response", k.EncryptionKey, unhex(t, v.response), unhex(t, v.responseTF)},
			} {
				// The receiver of each message decrypts it with the key
				// the sender encrypted with.
				d, err := NewDecryptor(v.cipher, m.key, v.sessionID)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := d.Decrypt(nil, m.sealed); err != nil || !bytes.Equal(got, m.plain) {
					t.Fatalf("Decrypt(%s) = %x, %v\nwant %x", m.name, got, err, m.plain)
				}
				aead, _ := newAEAD(v.cipher, m.key)
				h := TransformHeader{Nonce: [16]byte(m.sealed[tfNonce:]), SessionID: v.sessionID}
				if out := seal(aead, nil, &h, m.plain); !bytes.Equal(out, m.sealed) {
					t.Fatalf("seal(%s) = %x\nwant %x", m.name, out, m.sealed)
				}
			}
		})
	}
}

// Microsoft's pre-authentication integrity vector ("SMB 3.1.1
// Pre-authentication integrity in Windows 10"): the SHA-512 chain after
// each of NEGOTIATE request, NEGOTIATE response, SESSION_SETUP request,
// SESSION_SETUP response (MORE_PROCESSING_REQUIRED) and the second
// SESSION_SETUP request (MS-SMB2 3.3.5.4, 3.3.5.5), and the 3.1.1 signing
// key derived from the last value.
func TestMSVectorPreauth(t *testing.T) {
	steps := []struct{ msg, hash string }{
		{`FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000
		00000000000000000000000000000000000000000000000024000500000000003F000000ECD86F32
		6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000
		010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3D05844E0E5A118225C15887F32FF0000
		0200060000000000020002000100`,
			`DD94EFC5321BB618A2E208BA8920D2F422992526947A409B5037DE1E0FE8C7362B8C47122594CDE0
		CE26AA9DFC8BCDBDE0621957672623351A7540F1E54A0426`},
		{`FE534D4240000100000000000000010001000000000000000100000000000000FFFE000000000000
		000000000000000000000000000000000000000000000000410001001103020039CBCAF329714942
		BDCE5D60F09AB3FB2F000000000080000000800000008000D8DAE5ADCBAED00109094AB095AED001
		80004001C00100006082013C06062B0601050502A08201303082012CA01A3018060A2B0601040182
		3702021E060A2B06010401823702020AA282010C048201084E45474F455854530100000000000000
		60000000700000007C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51
		FD370471B235E15A50DAE15BD5489C87000000000000000060000000010000000000000000000000
		5C33530DEAF90D4DB2EC4AE3786EC3084E45474F4558545303000000010000004000000098000000
		7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC3084000000058000000
		3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E6720507562
		6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E696E67205075
		626C6963204B6579010026000000000001002000010060A3C3B95C3C7CCD51EC536648D9B3AC74C4
		83CA5B65385A251117BEB30712E50000020004000000000001000200`,
			`324BFA92A4F3A190E466EBEA08D9C110DC88BFED758D9846ECC6F541CC1D02AE3C94A79F36011E99
		7E13F841B91B50957AD07B19C8E2539C0B23FDAE09D2C513`},
		{`FE534D4240000100000000000100800000000000000000000200000000000000FFFE000000000000
		00000000000000000000000000000000000000000000000019000001010000000000000058004A00
		0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A
		04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000
		000F`,
			`AC0B0F2B9986257700365E416D142A6EDC96DF03594A19E52A15F6BD0D041CD5D432F8ED42C55E33
		197A50C9EC00F1462B50C592211B1471A04B56088FDFD5F9`},
		{`FE534D4240000100160000C00100010001000000000000000200000000000000FFFE000000000000
		190000000010000000000000000000000000000000000000090000004800B300A181B03081ADA003
		0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038
		00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53
		005500540033003100310002000C0053005500540033003100310001000C00530055005400330031
		00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1
		A1F5ADCBAED00100000000`,
			`2729E3440DFDDD839E37193F6E8F20C20CEFB3469E453A70CD980EEC06B8835740A7376008563336
		4C8989895ECE81BF102DEEB14D4B7D48AFA76901A7A38387`},
		{`FE534D4240000100000000000100800000000000000000000300000000000000FFFE000000000000
		1900000000100000000000000000000000000000000000001900000101000000000000005800CF01
		0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000
		001800180090000000EE00EE00A80000000C000C00580000001A001A0064000000120012007E0000
		001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055
		005400330031003100610064006D0069006E006900730074007200610074006F0072004400520049
		0056004500520033003100310000000000000000000000000000000000000000000000000063078E
		B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F000000
		0002000C0053005500540033003100310001000C0053005500540033003100310004000C00530055
		00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED001060004
		00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B
		8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A00100000000000000000000000000000000000090016
		0063006900660073002F005300550054003300310031000000000000000000000000003B9BDFF38F
		5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000`,
			`0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97
		51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01`},
	}
	// The connection's chain covers the NEGOTIATE pair; the session's
	// starts as a copy of it and goes on.
	var conn PreauthHash
	var sess PreauthHash
	for i, s := range steps {
		h := &conn
		if i == 2 {
			sess = conn
		}
		if i >= 2 {
			h = &sess
		}
		h.Update(unhex(t, s.msg))
		if want := unhex(t, s.hash); !bytes.Equal(h[:], want) {
			t.Fatalf("after message %d: hash %x\nwant %x", i+1, h[:], want)
		}
	}
	if want := unhex(t, steps[1].hash); !bytes.Equal(conn[:], want) {
		t.Error("the session's updates changed the connection's hash")
	}
	key, err := SigningKey(Dialect311, unhex(t, "270E1BA896585EEB7AF3472D3B4C75A7"), &sess)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "73FE7A9A77BEF0BDE49C650D8CCB5F76"); !bytes.Equal(key, want) {
		t.Errorf("3.1.1 signing key = %x, want %x", key, want)
	}
}

// Two SMB 2.x responses signed by Windows with HMAC-SHA256 (MS-SMB2
// 3.1.4.1, dialect 2.x: the first 16 bytes of HMAC-SHA256 under
// Session.SessionKey over the message with the field zeroed).
func TestSMB2HMACCapturedMessages(t *testing.T) {
	for _, tc := range []struct{ key, msg string }{
		{"D38354CC374339F0524F789146789921", `fe534d4240000100280100c00b000700090000000000000004000000000000
			00fffe0000010000000100000000040000fbd284340324c62fbebb65dd1051f3ae0900000000000000ff`},
		{"04E707571F8E0353B77A94C3653B87B5", `fe534d4240000100280100c00b000700090000000000000004000000000000
			00fffe0000010000000500000000040000a164ffe53d6811981f386772e387e06f0900000000000000ff`},
	} {
		k, err := DeriveKeys(Dialect210, unhex(t, tc.key), nil, CipherNone)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSigner(DefaultSigningAlgorithm(Dialect210), k.SigningKey)
		if err != nil {
			t.Fatal(err)
		}
		msg := unhex(t, tc.msg)
		orig := bytes.Clone(msg)
		if err := s.Verify(msg); err != nil {
			t.Errorf("Verify of the captured message: %v", err)
		}
		if !bytes.Equal(msg, orig) {
			t.Error("Verify left the message changed")
		}
		msg[len(msg)-1] ^= 1
		if err := s.Verify(msg); err != ErrBadSignature {
			t.Errorf("Verify of an altered message = %v, want ErrBadSignature", err)
		}
		msg[len(msg)-1] ^= 1
		// Signing it again (the SIGNED flag is already set) gives the same bytes.
		clear(msg[hdrSignature : hdrSignature+16])
		if err := s.Sign(msg); err != nil || !bytes.Equal(msg, orig) {
			t.Errorf("Sign = %x, %v\nwant %x", msg, err, orig)
		}
	}
}

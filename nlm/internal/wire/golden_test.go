package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// words builds XDR bytes from 32-bit words and raw byte runs (padded).
func words(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		case uint64:
			b = binary.BigEndian.AppendUint64(b, v)
		case string:
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
			for len(b)%4 != 0 {
				b = append(b, 0)
			}
		}
	}
	return b
}

// TestGoldenEncodings compares encodings with bytes written by hand from
// the XDR of nlm4_lockargs, nlm4_testres and the NSM mon and stat_chge
// structures.
func TestGoldenEncodings(t *testing.T) {
	tests := []struct {
		name string
		v    interface {
			xdr.Marshaler
			xdr.Unmarshaler
		}
		want []byte
	}{
		{"nlm4_lockargs", &NLM4LockArgs{
			Cookie: Netobj{Data: []byte{1, 2, 3}}, Block: true, Exclusive: false,
			Alock:   NLM4Lock{CallerName: "client1", FH: Netobj{Data: []byte("fh-bytes")}, OH: Netobj{Data: []byte("1@c")}, Svid: 77, LOffset: 1 << 40, LLen: 0},
			Reclaim: true, State: 3,
		}, words("\x01\x02\x03", 1, 0, "client1", "fh-bytes", "1@c", 77, uint64(1<<40), uint64(0), 1, 3)},
		{"nlm4_testres denied", &NLM4TestRes{
			Cookie:   Netobj{Data: []byte("ck")},
			TestStat: NLM4TestRply{Stat: NLM4_DENIED, Holder: NLM4Holder{Exclusive: true, Svid: 5, OH: Netobj{Data: []byte("o")}, LOffset: 10, LLen: 20}},
		}, words("ck", 1, 1, 5, "o", uint64(10), uint64(20))},
		{"nlm4_testres granted", &NLM4TestRes{Cookie: Netobj{}, TestStat: NLM4TestRply{Stat: NLM4_GRANTED}}, words("", 0)},
		{"mon", &Mon{MonID: MonID{MonName: "peer", MyID: MyID{MyName: "localhost", MyProg: 100021, MyVers: 3, MyProc: 16}}, Priv: [16]byte{15: 9}},
			append(words("peer", "localhost", 100021, 3, 16), append(make([]byte, 15), 9)...)},
		{"stat_chge", &StatChge{MonName: "server1", State: 3}, words("server1", 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := xdr.Marshal(tt.v)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("encoding\n got %x\nwant %x", got, tt.want)
			}
			if tt.v.SizeXDR() != len(tt.want) {
				t.Fatalf("SizeXDR %d, want %d", tt.v.SizeXDR(), len(tt.want))
			}
			for n := range len(tt.want) {
				d := xdr.NewDecoder(tt.want[:n])
				tt.v.UnmarshalXDR(d)
				if d.Err() == nil {
					t.Fatalf("prefix of %d bytes decoded without error", n)
				}
			}
		})
	}
}

func TestHostileLengths(t *testing.T) {
	// A cookie of 2^32-1 bytes, and one just over MAXNETOBJ_SZ.
	for _, n := range []int{-1, MAXNETOBJ_SZ + 1} {
		b := words(n)
		b = append(b, make([]byte, 2048)...)
		var a NLM4LockArgs
		d := xdr.NewDecoder(b)
		allocs := testing.AllocsPerRun(10, func() { a.UnmarshalXDR(xdr.NewDecoder(b)) })
		a.UnmarshalXDR(d)
		if d.Err() == nil {
			t.Fatalf("netobj of %d bytes accepted", n)
		}
		if allocs > 1 {
			t.Fatalf("hostile length allocated %v times", allocs)
		}
	}
}

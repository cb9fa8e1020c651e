package srvsvc

import (
	"os"
	"testing"
)

// FuzzPipe writes arbitrary bytes to a bound pipe, whole and in two
// pieces: nothing may panic, and what is queued stays within
// MaxPending plus one reply.
func FuzzPipe(f *testing.F) {
	f.Add(bindPDU(ptBind, 1, 4280, 4280, ctxElem(0, srvsvcWire, ndrWire), ctxElem(1, srvsvcWire, ndr64Wire)))
	f.Add(request(2, 3, 0, opNetrShareEnum, enumStub(1, true)))
	f.Add(request(2, 1, 0, opNetrShareGetInfo, getInfoStub("export", 2)))
	f.Add(bindPDU(ptAlterContext, 1, 4280, 4280, ctxElem(3, srvsvcWire, btfnWire)))
	for _, name := range []string{"testdata/smbclient-bind.bin", "testdata/smbclient-netshareenum.bin"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, split := range []int{len(b), len(b) / 2} {
			p := bound(t, 4280, 4280)
			p.Write(b[:split])
			p.Write(b[split:])
			if p.Pending() > MaxPending+8*maxFrag {
				t.Fatalf("%d bytes pending", p.Pending())
			}
			for m, _ := p.Read(maxFrag); m != nil; m, _ = p.Read(maxFrag) {
				if len(m) < headerSize || int(parseHeader(m).fragLen) != len(m) || len(m) > maxFrag {
					t.Fatalf("bad reply %x", m)
				}
			}
		}
	})
}

// FuzzNDR decodes arbitrary stub data as the two calls' requests.
func FuzzNDR(f *testing.F) {
	f.Add(enumStub(1, true))
	f.Add(enumStub(502, false))
	f.Add(getInfoStub("export", 1005))
	f.Fuzz(func(t *testing.T, stub []byte) {
		p := newTestPipe()
		for _, op := range []uint16{opNetrShareEnum, opNetrShareGetInfo} {
			if out, st := p.invoke(op, stub); (st == 0) == (out == nil) {
				t.Fatalf("op %d: status %#x with %d bytes", op, st, len(out))
			}
		}
	})
}

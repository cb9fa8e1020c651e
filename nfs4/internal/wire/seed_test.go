package wire

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// opnums returns every operation number of the package, in order.
func opnums() []NfsOpnum4 {
	var ops []NfsOpnum4
	for n := NfsOpnum4(0); n <= OP_ILLEGAL; n++ {
		if !strings.HasPrefix(n.String(), "NfsOpnum4(") {
			ops = append(ops, n)
		}
	}
	return ops
}

func cbOpnums() []NfsCbOpnum4 {
	var ops []NfsCbOpnum4
	for n := NfsCbOpnum4(0); n <= OP_CB_ILLEGAL; n++ {
		if !strings.HasPrefix(n.String(), "NfsCbOpnum4(") {
			ops = append(ops, n)
		}
	}
	return ops
}

// fuzzSeeds returns, per fuzz target, named inputs that reach every arm:
// each operation's arguments and successful result with zero values
// (valid where a zero discriminant is not), and the golden messages.
func fuzzSeeds() map[string]map[string][]byte {
	seeds := map[string]map[string][]byte{
		"FuzzUnmarshalNfsArgop4":   {},
		"FuzzUnmarshalNfsResop4":   {},
		"FuzzUnmarshalNfsCbArgop4": {},
		"FuzzUnmarshalNfsCbResop4": {},
		"FuzzUnmarshalCOMPOUND4argsHead": {
			"putfh-getattr": putfhGetattrGolden,
			"sequence":      seqPutfhGetattr,
		},
		"FuzzUnmarshalCB_COMPOUND4argsHead": {"sequence-recall": cbGolden},
	}
	for _, op := range opnums() {
		a := NfsArgop4{Argop: op}
		a.CopyNotify.DestinationServer.Type = NL4_NAME
		a.WantDelegation.Claim.Claim = CLAIM_FH
		seeds["FuzzUnmarshalNfsArgop4"][op.String()] = xdr.Marshal(&a)
		r := NfsResop4{Resop: op}
		seeds["FuzzUnmarshalNfsResop4"][op.String()] = xdr.Marshal(&r)
	}
	for _, op := range cbOpnums() {
		a := NfsCbArgop4{Argop: op}
		a.Layoutrecall.Recall.Recalltype = LAYOUTRECALL4_FILE
		seeds["FuzzUnmarshalNfsCbArgop4"][op.String()] = xdr.Marshal(&a)
		r := NfsCbResop4{Resop: op}
		seeds["FuzzUnmarshalNfsCbResop4"][op.String()] = xdr.Marshal(&r)
	}
	args := seeds["FuzzUnmarshalNfsArgop4"]
	args["OP_OPEN-exclusive4_1"] = cat(w(uint32(OP_OPEN)), openGolden)
	args["OP_SEQUENCE-golden"] = cat(w(uint32(OP_SEQUENCE)), sequenceGolden)
	args["OP_EXCHANGE_ID-linux"] = cat(w(uint32(OP_EXCHANGE_ID)), exchangeIDGolden)
	args["OP_CREATE_SESSION-linux"] = cat(w(uint32(OP_CREATE_SESSION)), createSessionGolden)
	res := NfsResop4{Resop: OP_READDIR, Readdir: READDIR4res{Status: NFS4_OK, Resok4: readdirValue}}
	seeds["FuzzUnmarshalNfsResop4"]["OP_READDIR-two-entries"] = xdr.Marshal(&res)
	return seeds
}

// TestFuzzSeeds keeps the seed corpus of the generated fuzz targets in
// testdata/fuzz in step with fuzzSeeds, and checks every seed decodes. Set
// XDRGEN_UPDATE_SEEDS=1 to rewrite the files.
func TestFuzzSeeds(t *testing.T) {
	decoders := map[string]func() xdr.Unmarshaler{
		"FuzzUnmarshalNfsArgop4":            func() xdr.Unmarshaler { return new(NfsArgop4) },
		"FuzzUnmarshalNfsResop4":            func() xdr.Unmarshaler { return new(NfsResop4) },
		"FuzzUnmarshalNfsCbArgop4":          func() xdr.Unmarshaler { return new(NfsCbArgop4) },
		"FuzzUnmarshalNfsCbResop4":          func() xdr.Unmarshaler { return new(NfsCbResop4) },
		"FuzzUnmarshalCOMPOUND4argsHead":    func() xdr.Unmarshaler { return new(COMPOUND4argsHead) },
		"FuzzUnmarshalCB_COMPOUND4argsHead": func() xdr.Unmarshaler { return new(CB_COMPOUND4argsHead) },
	}
	update := os.Getenv("XDRGEN_UPDATE_SEEDS") != ""
	for target, inputs := range fuzzSeeds() {
		dir := filepath.Join("testdata", "fuzz", target)
		if update {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for name, b := range inputs {
			d := xdr.NewDecoder(b)
			decoders[target]().UnmarshalXDR(d)
			if d.Err() != nil {
				t.Errorf("%s/%s does not decode: %v", target, name, d.Err())
			}
			path := filepath.Join(dir, name)
			want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b)
			if update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			have, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with XDRGEN_UPDATE_SEEDS=1 to create)", err)
			}
			if !bytes.Equal(have, want) {
				t.Fatalf("%s is stale; run with XDRGEN_UPDATE_SEEDS=1", path)
			}
		}
		if !update {
			files, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(inputs) {
				t.Errorf("%s has %d files, want %d (stale seeds or crashers to keep as tests?)", dir, len(files), len(inputs))
			}
		}
	}
}

// TestEveryOpHasArms checks the unions against the operation lists: each
// operation with arguments and each result round-trips through them.
func TestEveryOpHasArms(t *testing.T) {
	if n := len(opnums()); n != 74 {
		t.Fatalf("%d operations, want 74 (3..75 and OP_ILLEGAL)", n)
	}
	if n := len(cbOpnums()); n != 14 {
		t.Fatalf("%d callback operations, want 14", n)
	}
	for target, inputs := range fuzzSeeds() {
		for name, b := range inputs {
			if len(b) < 4 {
				t.Errorf("%s/%s: %d bytes", target, name, len(b))
			}
		}
	}
}

// TestSeedPrefixes cuts every seed message short at every byte: each
// strict prefix fails with ErrShortBuffer, so no operation's decoder reads
// past its data or accepts half a message.
func TestSeedPrefixes(t *testing.T) {
	decoders := map[string]func() xdr.Unmarshaler{
		"FuzzUnmarshalNfsArgop4":            func() xdr.Unmarshaler { return new(NfsArgop4) },
		"FuzzUnmarshalNfsResop4":            func() xdr.Unmarshaler { return new(NfsResop4) },
		"FuzzUnmarshalNfsCbArgop4":          func() xdr.Unmarshaler { return new(NfsCbArgop4) },
		"FuzzUnmarshalNfsCbResop4":          func() xdr.Unmarshaler { return new(NfsCbResop4) },
		"FuzzUnmarshalCOMPOUND4argsHead":    nil, // heads are followed by ops
		"FuzzUnmarshalCB_COMPOUND4argsHead": nil,
	}
	for target, inputs := range fuzzSeeds() {
		fresh := decoders[target]
		if fresh == nil {
			continue
		}
		for name, b := range inputs {
			for n := range len(b) {
				if err := xdr.Unmarshal(b[:n], fresh()); !errors.Is(err, xdr.ErrShortBuffer) {
					t.Errorf("%s/%s cut to %d of %d bytes: %v", target, name, n, len(b), err)
					break
				}
			}
		}
	}
}

// TestUnionArms checks that every arm of the operation unions is the
// operation its case names: NfsArgop4.OpenConfirm is OPEN_CONFIRM4args
// for OP_OPEN_CONFIRM, NfsCbResop4.Sequence is CB_SEQUENCE4res for
// OP_CB_SEQUENCE, and that every operation number has an arm or is void.
func TestUnionArms(t *testing.T) {
	camel := func(s string) string {
		var b strings.Builder
		for _, w := range strings.Split(s, "_") {
			b.WriteString(w[:1] + strings.ToLower(w[1:]))
		}
		return b.String()
	}
	for _, tc := range []struct {
		union    any
		prefix   string // of the case constants
		typePfx  string // of the arm types
		typeSfx  string
		all      []string
		voidArms int
	}{
		{NfsArgop4{}, "OP_", "", "4args", opNames(), 8},
		{NfsResop4{}, "OP_", "", "4res", opNames(), 0},
		{NfsCbArgop4{}, "OP_CB_", "CB_", "4args", cbOpNames(), 1},
		{NfsCbResop4{}, "OP_CB_", "CB_", "4res", cbOpNames(), 0},
	} {
		ty := reflect.TypeOf(tc.union)
		seen := map[string]bool{}
		for i := 1; i < ty.NumField(); i++ {
			f := ty.Field(i)
			c, ok := strings.CutPrefix(f.Tag.Get("xdr"), "case="+tc.prefix)
			if !ok {
				t.Errorf("%s.%s: tag %q", ty.Name(), f.Name, f.Tag)
				continue
			}
			seen[c] = true
			if f.Name != camel(c) || f.Type.Name() != tc.typePfx+c+tc.typeSfx {
				t.Errorf("%s.%s %s is the arm of %s%s", ty.Name(), f.Name, f.Type.Name(), tc.prefix, c)
			}
		}
		if n := len(tc.all) - len(seen); n != tc.voidArms {
			t.Errorf("%s: %d operations without an arm, want %d", ty.Name(), n, tc.voidArms)
		}
	}
}

func opNames() []string {
	var s []string
	for _, op := range opnums() {
		s = append(s, strings.TrimPrefix(op.String(), "OP_"))
	}
	return s
}

func cbOpNames() []string {
	var s []string
	for _, op := range cbOpnums() {
		s = append(s, strings.TrimPrefix(op.String(), "OP_CB_"))
	}
	return s
}

package example

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dittofs/dittofs/rpc/xdr"
)

// TestFuzzSeeds keeps the hand-written golden encodings in the seed corpus
// of the generated fuzz targets (testdata/fuzz), so that fuzzing starts
// from values that reach every arm. Set XDRGEN_UPDATE_SEEDS=1 to rewrite them.
func TestFuzzSeeds(t *testing.T) {
	readdir := sampleReaddir(3)
	seeds := map[string][]byte{
		"FuzzUnmarshalFeatures":    featuresGolden,
		"FuzzUnmarshalREADDIR3res": xdr.Marshal(&readdir),
		"FuzzUnmarshalGETATTR3res": cat(w(0), fattr3Golden),
	}
	for target, b := range seeds {
		path := filepath.Join("testdata", "fuzz", target, "golden")
		want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b)
		if os.Getenv("XDRGEN_UPDATE_SEEDS") != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
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
}

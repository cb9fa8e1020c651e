package localfs

import (
	"encoding/hex"
	"testing"
)

func FuzzParseName(f *testing.F) {
	valid := "0a1b" + hex.EncodeToString(make([]byte, 30))
	f.Add("0a1b", valid)
	f.Add("0a1b", ".tmp-0123")
	f.Add("0a1b", "0A1B"+valid[4:])
	f.Add("ffff", valid)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, prefix, name string) {
		id, ok := parseName(prefix, name)
		if !ok {
			return
		}
		if id.String() != name || name[:len(prefix)] != prefix {
			t.Fatalf("parseName(%q, %q) accepted id %s", prefix, name, id)
		}
	})
}

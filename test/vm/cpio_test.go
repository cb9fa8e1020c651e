package vm

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
	"testing"
)

// cpioEntry is one entry read back by readCPIO.
type cpioEntry struct {
	Name string
	Mode uint32
	Data string
}

// readCPIO parses a newc archive, stopping at the trailer, for the tests.
func readCPIO(b []byte) ([]cpioEntry, error) {
	var out []cpioEntry
	off := 0
	pad := func(n int) int { return (n + 3) &^ 3 }
	for {
		if off+110 > len(b) {
			return nil, fmt.Errorf("short header at %d", off)
		}
		h := b[off : off+110]
		if string(h[:6]) != "070701" {
			return nil, fmt.Errorf("bad magic %q at %d", h[:6], off)
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				return -1
			}
			return int(v)
		}
		mode, size, namesize := field(1), field(6), field(11)
		if mode < 0 || size < 0 || namesize < 1 {
			return nil, fmt.Errorf("bad header fields at %d", off)
		}
		nameStart := off + 110
		if nameStart+namesize > len(b) {
			return nil, fmt.Errorf("short name at %d", off)
		}
		name := string(b[nameStart : nameStart+namesize-1])
		dataStart := pad(nameStart + namesize)
		if dataStart+size > len(b) {
			return nil, fmt.Errorf("short data for %s", name)
		}
		if name == "TRAILER!!!" {
			return out, nil
		}
		out = append(out, cpioEntry{name, uint32(mode), string(b[dataStart : dataStart+size])})
		off = pad(dataStart + size)
	}
}

func TestCPIOWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	cw := NewCPIOWriter(&buf)
	steps := []error{
		cw.Dir("bin", 0o755),
		cw.File("/bin/tool", 0o755, []byte("#!/bin/sh\necho hi\n")),
		cw.File("etc/empty", 0o644, nil),
		cw.Symlink("bin/sh", "/bin/busybox"),
		cw.Dir("tmp", 0o777|fs.ModeSticky),
		cw.File("odd", 0o600, []byte("x")),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive length %d is not a multiple of 4", buf.Len())
	}
	got, err := readCPIO(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []cpioEntry{
		{"bin", 0o040755, ""},
		{"bin/tool", 0o100755, "#!/bin/sh\necho hi\n"},
		{"etc/empty", 0o100644, ""},
		{"bin/sh", 0o120777, "/bin/busybox"},
		{"tmp", 0o041777, ""},
		{"odd", 0o100600, "x"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("read back\n%v\nwant\n%v", got, want)
	}
	// Same input, same bytes.
	var again bytes.Buffer
	cw2 := NewCPIOWriter(&again)
	_ = cw2.Dir("bin", 0o755)
	_ = cw2.File("/bin/tool", 0o755, []byte("#!/bin/sh\necho hi\n"))
	_ = cw2.File("etc/empty", 0o644, nil)
	_ = cw2.Symlink("bin/sh", "/bin/busybox")
	_ = cw2.Dir("tmp", 0o777|fs.ModeSticky)
	_ = cw2.File("odd", 0o600, []byte("x"))
	_ = cw2.Close()
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two archives of the same entries differ")
	}
}

func TestCPIOWriterConcatenation(t *testing.T) {
	var buf bytes.Buffer
	a := NewCPIOWriter(&buf)
	_ = a.File("f", 0o644, []byte("first"))
	_ = a.Close()
	first := buf.Len()
	b := NewCPIOWriter(&buf)
	_ = b.File("f", 0o644, []byte("second"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := readCPIO(buf.Bytes()[first:])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Data != "second" {
		t.Errorf("second archive reads %v", got)
	}
}

func TestCPIOWriterRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "/", "a/../b", "./a", "a//b", "TRAILER!!!", "a\x00b"} {
		cw := NewCPIOWriter(&bytes.Buffer{})
		if err := cw.File(name, 0o644, nil); err == nil {
			t.Errorf("File(%q) succeeded", name)
		}
	}
	cw := NewCPIOWriter(&bytes.Buffer{})
	_ = cw.Close()
	if err := cw.File("late", 0o644, nil); err == nil {
		t.Error("File after Close succeeded")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, fmt.Errorf("disk full")
	}
	f.n--
	return len(p), nil
}

func TestCPIOWriterStickyError(t *testing.T) {
	cw := NewCPIOWriter(&failWriter{n: 1})
	if err := cw.File("a", 0o644, []byte("data")); err == nil {
		t.Fatal("write to a failing writer succeeded")
	}
	if err := cw.Close(); err == nil {
		t.Error("Close after a failed write succeeded")
	}
}

func BenchmarkCPIOWriter(b *testing.B) {
	data := bytes.Repeat([]byte("k"), 1<<20)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)) * 4)
	for b.Loop() {
		cw := NewCPIOWriter(&bytes.Buffer{})
		for i := range 4 {
			_ = cw.File(fmt.Sprint("lib/modules/m", i, ".ko"), 0o644, data)
		}
		_ = cw.Close()
	}
}

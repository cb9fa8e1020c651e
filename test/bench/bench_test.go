package bench

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseResults(t *testing.T) {
	out := "noise\nRESULT seqwrite ops=256 bytes=268435456 secs=8.000000\n# comment\nRESULT create ops=2000 bytes=0 secs=2.5\n" +
		"RESULT directwrite ops=2000 bytes=8192000 secs=1.5 p50_us=640 p99_us=1310\n"
	rs, err := ParseResults(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{{Name: "seqwrite", Ops: 256, Bytes: 256 << 20, Secs: 8}, {Name: "create", Ops: 2000, Secs: 2.5},
		{Name: "directwrite", Ops: 2000, Bytes: 8192000, Secs: 1.5, P50us: 640, P99us: 1310}}
	if len(rs) != len(want) {
		t.Fatalf("got %v, want %v", rs, want)
	}
	for i := range want {
		if rs[i] != want[i] {
			t.Errorf("result %d: %+v, want %+v", i, rs[i], want[i])
		}
	}
	if got := rs[0].Rate(); got != 32 {
		t.Errorf("seqwrite rate %v MiB/s, want 32", got)
	}
	if got := rs[1].Rate(); got != 800 {
		t.Errorf("create rate %v ops/s, want 800", got)
	}
	if rs[0].Unit() != "MiB/s" || rs[1].Unit() != "ops/s" {
		t.Errorf("units %q %q", rs[0].Unit(), rs[1].Unit())
	}
	if (Result{Name: "stat", Ops: 5}).Rate() != 0 {
		t.Error("a zero-time result has a nonzero rate")
	}
}

func TestParseResultsRejects(t *testing.T) {
	for _, in := range []string{
		"RESULT x ops=1 bytes=2",
		"RESULT x ops=1 bytes=2 secs=3 extra=4",
		"RESULT x ops=a bytes=2 secs=3",
		"RESULT x ops=1 bytes=2 secs=NaN",
		"RESULT x ops=-1 bytes=2 secs=3",
		"RESULT x ops=1 bytes=2 wall=3",
		"RESULT x ops=1 bytes=2 secs3",
		"RESULT x ops=1 bytes=2 secs=3 p50_us=1 p99_us=2 extra=4",
		"RESULT x ops=1 bytes=2 secs=3 p50_us=1 p50_us=2",
		"RESULT x ops=1 bytes=2 p50_us=1 p99_us=2 secs=3 ops=1",
		"RESULT x ops=1 ops=2 secs=3",
		"RESULT x ops=1 bytes=2 secs=3 p50_us=-1 p99_us=2",
		"RESULT x ops=1 bytes=2 secs=3 p50_us=1 p99_us=NaN",
		strings.Repeat("RESULT x ops=1 bytes=2 secs=3\n", maxResults+1),
	} {
		if rs, err := ParseResults(in); err == nil {
			t.Errorf("ParseResults(%.60q) = %v, want an error", in, rs)
		}
	}
}

func FuzzParseResults(f *testing.F) {
	f.Add("RESULT seqwrite ops=256 bytes=268435456 secs=8.000000\n")
	f.Add("RESULT a ops=1 bytes=1 secs=1e308\nRESULT b ops=0 bytes=0 secs=0\n")
	f.Add("RESULT x ops=1 bytes=2 secs=-0\n")
	f.Add("RESULT\n")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseResults(s)
		if err != nil {
			return
		}
		if len(rs) > maxResults {
			t.Fatalf("%d results", len(rs))
		}
		for _, r := range rs {
			if r.Ops < 0 || r.Bytes < 0 || !(r.Secs >= 0) || !(r.P50us >= 0) || !(r.P99us >= 0) {
				t.Fatalf("accepted %+v", r)
			}
			_ = r.Rate()
		}
	})
}

// A /proc/PID/stat line whose command name holds ") (" and spaces.
const statLine = "1234 (a) (b c) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 125 0 0 20 0 9 0 100 1000000 200 18446744073709551615\n"

func TestParseStat(t *testing.T) {
	got, err := parseStat(statLine)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3750 * time.Millisecond; got != want {
		t.Fatalf("parseStat = %v, want %v (utime 250 + stime 125 ticks)", got, want)
	}
	for _, bad := range []string{"", "1234 (x S 1", "1234 (x) S 1 2 3", "1234 (x) S 1 1 1 0 -1 0 0 0 0 0 a b"} {
		if d, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) = %v, want an error", bad, d)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add(statLine)
	f.Add("1 (x) S 0 0 0 0 0 0 0 0 0 0 99999999999999999999 0")
	f.Add("1 ()) R")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseStat(s)
		if err == nil && d < 0 {
			t.Fatalf("negative CPU time %v", d)
		}
	})
}

func TestCPUTimeOfSelf(t *testing.T) {
	if _, err := CPUTime(0); err == nil {
		t.Error("CPUTime of pid 0 succeeded")
	}
	before, err := CPUTime(selfPID())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged at least one more tick; bounded.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		now, err := CPUTime(selfPID())
		if err != nil {
			t.Fatal(err)
		}
		if now < before {
			t.Fatalf("CPU time went back from %v to %v", before, now)
		}
		if now > before {
			return
		}
	}
	t.Fatal("no CPU time was charged in 10 s of spinning")
}

func TestMarker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cpu := []time.Duration{1 * time.Second, 3 * time.Second, 10 * time.Second, 10500 * time.Millisecond}
	i := 0
	m := &Marker{CPU: func() (time.Duration, error) {
		// Called from one connection's goroutine only.
		d := cpu[min(i, len(cpu)-1)]
		i++
		return d, nil
	}}
	go m.Serve(l)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for _, line := range []string{"begin a", "end a", "begin b", "end b"} {
		fmt.Fprintln(c, line)
		if got, err := r.ReadString('\n'); err != nil || got != "ok\n" {
			t.Fatalf("%s: %q, %v", line, got, err)
		}
	}
	spent, err := m.Spent()
	if err != nil {
		t.Fatal(err)
	}
	if spent["a"] != 2*time.Second || spent["b"] != 500*time.Millisecond {
		t.Fatalf("spent %v, want a=2s b=500ms", spent)
	}
	// A protocol error is recorded and ends the connection.
	fmt.Fprintln(c, "end never-begun")
	if _, err := r.ReadString('\n'); err == nil {
		t.Error("the marker answered an end without a begin")
	}
	c.Close()
	if _, err := m.Spent(); err == nil {
		t.Error("Spent reports no error after a bad marker line")
	}
}

func TestMarkerCPUError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	boom := errors.New("boom")
	m := &Marker{CPU: func() (time.Duration, error) { return 0, boom }}
	go m.Serve(l)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintln(c, "begin a")
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Error("answered although CPU failed")
	}
	if _, err := m.Spent(); !errors.Is(err, boom) {
		t.Errorf("Spent error %v, want %v", err, boom)
	}
}

func TestMedianAndMarkdown(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	in := []float64{2, 1}
	Median(in)
	if in[0] != 2 {
		t.Error("Median sorted its argument")
	}
	md := Markdown("A", "B", []Row{{Workload: "create", Unit: "ops/s", Ops: 2000, Ours: 900, Ref: 600, OursCPU: 0.5, RefCPU: 1},
		{Workload: "x", Unit: "ops/s"},
		{Workload: "directwrite", Unit: "ops/s", Ops: 10, Ours: 1, Ref: 2, OursP50: 0.64, OursP99: 1.31, RefP50: 0.5, RefP99: 0.9}})
	for _, want := range []string{"| workload | unit | A | B | ratio | A CPU s | B CPU s | CPU ratio | A p50 / p99 ms | B p50 / p99 ms |",
		"| create (2000) | ops/s | 900.0 | 600.0 | 1.50 | 0.50 | 1.00 | 0.50 | – | – |", "| x (0) | ops/s | 0.0 | 0.0 | 0.00 |",
		"| directwrite (10) | ops/s | 1.0 | 2.0 | 0.50 | 0.00 | 0.00 | 0.00 | 0.64 / 1.31 | 0.50 / 0.90 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

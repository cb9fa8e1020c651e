package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExternalModule builds a throw-away module outside this one, as an
// embedder's would be: a small metadata backend written from store's
// documentation (testdata/mydb) whose tests run storetest.Metadata and
// storetest.FS, with a replace directive to this repository. It works
// offline (GOPROXY=off, the module and build caches shared). The backend
// must pass; the same backend with a View that waits for a running Update
// must fail, and within a minute rather than hang.
func TestExternalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs an outside module: about 40 s, most of it the broken backend's three blocked subtests at DefaultTimeout each")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the repository root: %v", err)
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte("module example.com/mydb\n\ngo 1.26\n\nrequire github.com/dittofs/dittofs v0.0.0\n\nreplace github.com/dittofs/dittofs => "+root+"\n"))
	write("go.sum", gosum)
	for _, f := range []string{"mydb.go", "mydb_test.go"} {
		src, err := os.ReadFile(filepath.Join("testdata", "mydb", f+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		write(f, src)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOSUMDB=off")

	bin := filepath.Join(dir, "mydb.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir, build.Env = dir, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the outside module: %v\n%s", err, out)
	}

	runTests := func(broken string) (string, error, bool) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "-test.timeout=5m", "-test.v")
		cmd.Dir, cmd.Env = dir, append(env, "MYDB_BROKEN="+broken)
		out, err := cmd.CombinedOutput()
		return string(out), err, ctx.Err() != nil
	}
	start := time.Now()
	out0, err, hung := runTests("")
	if err != nil || hung {
		t.Fatalf("the outside backend failed storetest (hung: %v): %v\n%s", hung, err, out0)
	}
	if !strings.Contains(out0, "--- PASS: TestConformance/LostUpdate ") || !strings.Contains(out0, "--- PASS: TestFS/seed2 ") {
		t.Fatalf("the outside module's tests did not run the suites:\n%s", out0)
	}
	t.Logf("the outside backend passed storetest.Metadata and storetest.FS in %v", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	out, err, hung := runTests("viewwaits")
	switch {
	case hung:
		t.Fatalf("storetest hung on the broken outside backend (killed after a minute):\n%s", out)
	case err == nil:
		t.Fatalf("storetest passed an outside backend whose View waits for an Update:\n%s", out)
	case strings.Contains(out, "panic: test timed out"):
		t.Fatalf("storetest hung on the broken outside backend until -test.timeout:\n%s", out)
	case !strings.Contains(out, "--- FAIL: TestConformance/Isolation ") || !strings.Contains(out, "no progress for"):
		t.Fatalf("storetest failed the broken outside backend, but not in Isolation by its watchdog:\n%s", out)
	}
	t.Logf("the broken outside backend failed storetest in %v", time.Since(start).Round(time.Millisecond))
}

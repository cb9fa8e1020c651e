package smb

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// smbclient runs Samba's smbclient against the test server with args and
// the command string cmds, in dir; it fails the test on a non-zero exit.
func (ts *testServer) smbclient(t *testing.T, dir string, args []string, cmds string) string {
	t.Helper()
	out, err := ts.smbclientErr(dir, args, cmds)
	if err != nil {
		t.Fatalf("smbclient %s -c %q: %v\n%s", strings.Join(args, " "), cmds, err, out)
	}
	return out
}

func (ts *testServer) smbclientErr(dir string, args []string, cmds string) (string, error) {
	_, port, _ := net.SplitHostPort(ts.addr)
	all := append([]string{"//127.0.0.1/export", "-p", port, "-U", testUser + "%" + testPassword}, args...)
	all = append(all, "-c", cmds)
	cmd := exec.Command("smbclient", all...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSmbclient runs smbclient 4.x over 2.1 and 3.1.1, signed and
// encrypted: mkdir, put of a 16 MiB file, ls, get with the same SHA-256,
// rename, rm, rmdir.
func TestSmbclient(t *testing.T) {
	if _, err := exec.LookPath("smbclient"); err != nil {
		t.Skip("smbclient not installed (apt-get install smbclient)")
	}
	ts := startServer(t)
	dir := t.TempDir()
	data := make([]byte, 16<<20)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(dir, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	for _, proto := range []string{"SMB2", "SMB3"} {
		for _, prot := range []string{"sign", "encrypt"} {
			t.Run(proto+"-"+prot, func(t *testing.T) {
				args := []string{"-m", proto, "--client-protection=" + prot}
				if proto == "SMB2" {
					args = append(args, "--option=client min protocol=SMB2_10", "--option=client max protocol=SMB2_10")
				}
				if proto == "SMB2" && prot == "encrypt" {
					// SMB 2.1 has no encryption (MS-SMB2 §3.3.5.4
					// offers it from 3.0): the client must give up.
					if out, err := ts.smbclientErr(dir, args, "mkdir never"); err == nil {
						t.Fatalf("encrypted 2.1 session accepted:\n%s", out)
					}
					return
				}
				d := "d-" + proto + prot
				ts.smbclient(t, dir, args, "mkdir "+d+"; put big "+d+`\big`)
				out := ts.smbclient(t, dir, args, "ls "+d+`\*; allinfo `+d+`\big`)
				if !strings.Contains(out, "big") || !strings.Contains(out, "attributes: A") {
					t.Fatalf("ls/allinfo:\n%s", out)
				}
				os.Remove(filepath.Join(dir, "got"))
				ts.smbclient(t, dir, args, "get "+d+`\big got`)
				got, err := os.ReadFile(filepath.Join(dir, "got"))
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(got) != want {
					t.Fatalf("got %d bytes, checksum differs", len(got))
				}
				ts.smbclient(t, dir, args, "rename "+d+`\big `+d+`\big2; rm `+d+`\big2; rmdir `+d)
				out = ts.smbclient(t, dir, args, "ls")
				if strings.Contains(out, d) || bytes.Contains([]byte(out), []byte("big")) {
					t.Fatalf("still listed after rm/rmdir:\n%s", out)
				}
			})
		}
	}
}

// TestSmbclientDialects forces each dialect in turn with smbclient,
// signing required, and round-trips a small file.
func TestSmbclientDialects(t *testing.T) {
	if _, err := exec.LookPath("smbclient"); err != nil {
		t.Skip("smbclient not installed (apt-get install smbclient)")
	}
	ts := startServer(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "small"), []byte("hello over every dialect"), 0o644)
	for _, d := range []string{"SMB2_02", "SMB2_10", "SMB3_00", "SMB3_02", "SMB3_11"} {
		args := []string{"--client-protection=sign", "--option=client min protocol=" + d, "--option=client max protocol=" + d}
		ts.smbclient(t, dir, args, "put small s-"+d)
		os.Remove(filepath.Join(dir, "back"))
		ts.smbclient(t, dir, args, "get s-"+d+" back; rm s-"+d)
		if got, _ := os.ReadFile(filepath.Join(dir, "back")); string(got) != "hello over every dialect" {
			t.Fatalf("%s: got %q", d, got)
		}
	}
}

// TestSmbclientAlgorithms has smbclient (3.1.1) offer one cipher or one
// signing algorithm at a time: the server must agree on each (MS-SMB2
// §3.3.5.4) and the round trip must work under it.
func TestSmbclientAlgorithms(t *testing.T) {
	if _, err := exec.LookPath("smbclient"); err != nil {
		t.Skip("smbclient not installed (apt-get install smbclient)")
	}
	ts := startServer(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "small"), []byte("one algorithm at a time"), 0o644)
	var runs [][]string
	for _, c := range []string{"aes-128-ccm", "aes-128-gcm", "aes-256-ccm", "aes-256-gcm"} {
		runs = append(runs, []string{"-m", "SMB3", "--client-protection=encrypt", "--option=client smb3 encryption algorithms=" + c})
	}
	for _, a := range []string{"hmac-sha-256", "aes-128-cmac", "aes-128-gmac"} {
		runs = append(runs, []string{"-m", "SMB3", "--client-protection=sign", "--option=client smb3 signing algorithms=" + a})
	}
	for i, args := range runs {
		name := fmt.Sprintf("a%d", i)
		ts.smbclient(t, dir, args, "put small "+name)
		os.Remove(filepath.Join(dir, "back"))
		ts.smbclient(t, dir, args, "get "+name+" back; rm "+name)
		if got, _ := os.ReadFile(filepath.Join(dir, "back")); string(got) != "one algorithm at a time" {
			t.Fatalf("%v: got %q", args, got)
		}
	}
}

// TestSmbclientListShares runs `smbclient -L` over 2.0.2, 2.1 and 3.1.1
// (signed, and encrypted): it
// binds to srvsvc on IPC$ and calls NetrShareEnum level 1 (MS-SRVS
// §3.1.4.8), which must list the export reachable over SMB as a disk
// share and IPC$ as an IPC share.
func TestSmbclientListShares(t *testing.T) {
	if _, err := exec.LookPath("smbclient"); err != nil {
		t.Skip("smbclient not installed (apt-get install smbclient)")
	}
	ts := startServer(t)
	_, port, _ := net.SplitHostPort(ts.addr)
	for name, args := range map[string][]string{
		"SMB2": {"-m", "SMB2"}, "SMB3": {"-m", "SMB3"},
		"SMB3-encrypt": {"-m", "SMB3", "--client-protection=encrypt"},
		"2.0.2":        {"--option=client max protocol=SMB2_02"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("smbclient", append([]string{"-L", "//127.0.0.1", "-p", port, "-U", testUser + "%" + testPassword}, args...)...)
			cmd.Env = append(os.Environ(), "HOME="+dir)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("smbclient -L: %v\n%s", err, out)
			}
			t.Logf("%s", out)
			for _, re := range []string{`(?m)^\s+export\s+Disk\s*$`, `(?m)^\s+ro\s+Disk\s*$`, `(?m)^\s+IPC\$\s+IPC\s+IPC Service\s*$`} {
				if !regexp.MustCompile(re).Match(out) {
					t.Errorf("no line matching %s in:\n%s", re, out)
				}
			}
		})
	}
}

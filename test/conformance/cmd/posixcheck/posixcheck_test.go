package main

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

const sampleMountinfo = `22 1 0:21 / / rw,relatime - rootfs rootfs rw
25 22 0:5 / /dev rw - devtmpfs devtmpfs rw,size=383332k
31 22 0:26 / /mnt/nfs rw,relatime - nfs4 10.0.2.100:/export rw,vers=4.2,rsize=1048576,wsize=1048576,hard,proto=tcp,clientaddr=0.0.0.0,local_lock=none,addr=10.0.2.100
32 31 0:27 / /mnt/nfs/with\040space rw - nfs 10.0.2.100:/e rw,vers=3,nolock,proto=tcp,mountvers=3,local_lock=all
`

func TestParseMountinfo(t *testing.T) {
	mi, err := parseMountinfo(sampleMountinfo, "/mnt/nfs/posixcheck.1/x")
	if err != nil {
		t.Fatal(err)
	}
	if mi.point != "/mnt/nfs" || mi.fstype != "nfs4" || mi.vers != "4.2" || !mi.locksOnServer() {
		t.Errorf("got %+v", mi)
	}
	mi, err = parseMountinfo(sampleMountinfo, "/mnt/nfs/with space/d")
	if err != nil {
		t.Fatal(err)
	}
	if mi.vers != "3" || mi.locksOnServer() {
		t.Errorf("nested v3 nolock mount: %+v", mi)
	}
	if _, err := parseMountinfo(sampleMountinfo, "/dev/shm"); err == nil {
		t.Error("a devtmpfs path was taken for NFS")
	}
	if _, err := parseMountinfo("garbage\n", "/x"); err == nil {
		t.Error("garbage mountinfo parsed")
	}
	cifs := "30 1 0:40 / /mnt/nfs rw,relatime - cifs //10.0.2.100/export rw,vers=3.1.1,cache=strict,username=alice,nounix\n"
	if mi, err := parseMountinfo(cifs, "/mnt/nfs/x"); err != nil || !mi.smb || mi.vers != "3.1.1" || !mi.locksOnServer() {
		t.Errorf("cifs mount: %+v, %v", mi, err)
	}
	if _, err := parseMountinfo(strings.Replace(cifs, "vers=3.1.1,", "", 1), "/mnt/nfs/x"); err == nil {
		t.Error("a cifs mount without vers= was accepted")
	}
	if mi, err := parseMountinfo(sampleMountinfo, "/mnt/nfs/a"); err != nil || mi.smb {
		t.Errorf("an NFS mount taken for SMB: %+v, %v", mi, err)
	}
	// /mnt/nfsother is not under /mnt/nfs.
	if mi, err := parseMountinfo(sampleMountinfo, "/mnt/nfsother"); err == nil {
		t.Errorf("prefix match without a slash: %+v", mi)
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add(sampleMountinfo, "/mnt/nfs/a")
	f.Add("1 1 0:1 / /\\04 rw - nfs x vers=4\n", "/")
	f.Fuzz(func(t *testing.T, text, path string) {
		mi, err := parseMountinfo(text, path)
		if err == nil && mi.vers == "" {
			t.Errorf("NFS mount without a version: %+v", mi)
		}
	})
}

func TestCompareListing(t *testing.T) {
	want := []string{"a", "b", "c"}
	if err := compareListing([]string{"c", "a", "b"}, want, nil); err != nil {
		t.Error(err)
	}
	for _, got := range [][]string{{"a", "b"}, {"a", "b", "c", "c"}, {"a", "b", "c", "d"}} {
		if err := compareListing(got, want, nil); err == nil {
			t.Errorf("listing %v accepted", got)
		}
	}
	isNew := func(s string) bool { return strings.HasPrefix(s, "new") }
	if err := compareListing([]string{"a", "new1", "b", "c"}, want, isNew); err != nil {
		t.Errorf("an added entry was refused: %v", err)
	}
	if err := compareListing([]string{"a", "new1", "new1", "b", "c"}, want, isNew); err == nil {
		t.Error("a duplicated added entry was accepted")
	}
}

func TestIntegrityExpectedMatchesBlocks(t *testing.T) {
	// The expected sum is that of the blocks in order: a writer change that
	// broke this would make integrity.two_writers fail for every server.
	var all bytes.Buffer
	for b := range integrityBlocks {
		all.Write(integrityBlockData(7, b))
	}
	got := integrityExpected(7)
	if want := sha256.Sum256(all.Bytes()); got != want {
		t.Error("integrityExpected differs from the blocks' checksum")
	}
	if integrityExpected(7) == integrityExpected(8) {
		t.Error("seeds do not change the data")
	}
}

func TestCheckNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range allChecks() {
		if seen[c.name] {
			t.Errorf("check %s listed twice", c.name)
		}
		seen[c.name] = true
		if c.cite == "" || c.run == nil {
			t.Errorf("check %s has no citation or no function", c.name)
		}
		for _, r := range c.name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_') {
				t.Errorf("check name %q has %q", c.name, r)
			}
		}
	}
}

func TestListFlag(t *testing.T) {
	var out bytes.Buffer
	if rc := runMain(&out, ".", "", true); rc != 0 {
		t.Fatalf("exit %d", rc)
	}
	if n := strings.Count(out.String(), "\n"); n != len(allChecks()) {
		t.Errorf("-list printed %d lines for %d checks", n, len(allChecks()))
	}
}

func TestRefusesNonNFS(t *testing.T) {
	var out bytes.Buffer
	if rc := runMain(&out, t.TempDir(), "", false); rc != 2 {
		t.Errorf("exit %d on a non-NFS directory, want 2; output %q", rc, out.String())
	}
}

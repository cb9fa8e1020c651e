package libnfs

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	c := Client{Server: "127.0.0.1:2049", MountPort: 20048, Export: "/export"}
	got, err := c.URL("/dir/a file")
	if err != nil {
		t.Fatal(err)
	}
	if want := "nfs://127.0.0.1/export/dir/a file?mountport=20048&nfsport=2049&version=3"; got != want {
		t.Errorf("URL %q, want %q", got, want)
	}
	c4 := Client{Server: "127.0.0.1:4049", Export: "/", Version: 4}
	if got, _ := c4.URL("x"); got != "nfs://127.0.0.1/x?nfsport=4049&version=4" {
		t.Errorf("v4 URL %q", got)
	}
	for _, bad := range []Client{
		{Server: "192.0.2.1:2049", MountPort: 1, Export: "/e"},
		{Server: "127.0.0.1:2049", Export: "/e"}, // v3 without MountPort
		{Server: "127.0.0.1:2049", Export: "e", Version: 4},
		{Server: "127.0.0.1:2049", Export: "/e", Version: 2},
	} {
		if u, err := bad.URL("/"); err == nil {
			t.Errorf("%+v gave %q", bad, u)
		}
	}
	if _, err := c.URL("/a?b"); err == nil {
		t.Error("a path with '?' was accepted")
	}
}

func TestParseLs(t *testing.T) {
	out := "-rw-r--r--  1     0     0            5 a file\ndrwxrwxrwx  3  1000    50         4096 dir\n\n"
	ents, err := ParseLs(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 || ents[0].Name != "a file" || ents[0].Size != 5 || ents[1].UID != 1000 || ents[1].GID != 50 || ents[1].Nlink != 3 {
		t.Errorf("got %+v", ents)
	}
	for _, bad := range []string{"-rw-r--r-- 1 0 0 5\n", "-rw 1 0 0 5 x\n", "-rw-r--r-- x 0 0 5 y\n"} {
		if _, err := ParseLs(bad); err == nil {
			t.Errorf("ParseLs(%q) succeeded", bad)
		}
	}
}

func FuzzParseLs(f *testing.F) {
	f.Add("-rw-r--r--  1     0     0            5 a file\n")
	f.Add("drwx------ 2 0 0 0  \n")
	f.Fuzz(func(t *testing.T, s string) {
		ents, err := ParseLs(s)
		if err != nil {
			return
		}
		for _, e := range ents {
			if e.Name == "" || strings.Contains(e.Name, "\n") || len(e.Mode) != 10 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

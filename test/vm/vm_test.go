package vm

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestMountOptions(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		cb         int
		source     string
		opts       string
		wantErrSub string
	}{
		{
			name:   "v3",
			cfg:    Config{Server: "127.0.0.1:2049", MountPort: 20048, Vers: "3", Script: "true", Export: "/export"},
			source: "10.0.2.100:/export",
			opts:   "vers=3,addr=10.0.2.100,port=2049,proto=tcp,mountport=20048,mountproto=tcp,mountaddr=10.0.2.100,nolock",
		},
		{
			name:   "v4.1 nconnect",
			cfg:    Config{Server: "127.0.0.1:40001", Vers: "4.1", Script: "true", Options: []string{"nconnect=4", "actimeo=0"}},
			source: "10.0.2.100:/",
			opts:   "vers=4.1,addr=10.0.2.100,port=40001,proto=tcp,clientaddr=0.0.0.0,nconnect=4,actimeo=0",
		},
		{
			name:   "v4.0 callback",
			cfg:    Config{Server: "127.0.0.1:2049", Vers: "4.0", Script: "true", Callback: true},
			cb:     41234,
			source: "10.0.2.100:/",
			opts:   "vers=4.0,addr=10.0.2.100,port=2049,proto=tcp,clientaddr=127.0.0.1",
		},
		{name: "not loopback", cfg: Config{Server: "10.1.2.3:2049", Vers: "4.1", Script: "true"}, wantErrSub: "loopback"},
		{name: "hostname", cfg: Config{Server: "localhost:2049", Vers: "4.1", Script: "true"}, wantErrSub: "Server"},
		{name: "v6 loopback", cfg: Config{Server: "[::1]:2049", Vers: "4.1", Script: "true"}, wantErrSub: "IPv4"},
		{name: "v3 without mount port", cfg: Config{Server: "127.0.0.1:2049", Vers: "3", Script: "true"}, wantErrSub: "MountPort"},
		{name: "bad version", cfg: Config{Server: "127.0.0.1:2049", Vers: "4", Script: "true"}, wantErrSub: "Vers"},
		{name: "callback on 4.1", cfg: Config{Server: "127.0.0.1:2049", Vers: "4.1", Script: "true", Callback: true}, wantErrSub: "4.0 only"},
		{name: "no script", cfg: Config{Server: "127.0.0.1:2049", Vers: "4.2"}, wantErrSub: "Script"},
		{name: "harness option", cfg: Config{Server: "127.0.0.1:2049", Vers: "4.2", Script: "true", Options: []string{"port=1"}}, wantErrSub: "set by the harness"},
		{name: "lock refused", cfg: Config{Server: "127.0.0.1:2049", Vers: "3", MountPort: 1, Script: "true", Options: []string{"lock"}}, wantErrSub: "set by the harness"},
		{name: "option injection", cfg: Config{Server: "127.0.0.1:2049", Vers: "4.2", Script: "true", Options: []string{"ro,addr=1.2.3.4"}}, wantErrSub: "bad mount option"},
		{name: "bad name", cfg: Config{Server: "127.0.0.1:2049", Vers: "4.2", Script: "true", Name: "a b,c"}, wantErrSub: "Name"},
		{name: "relative file", cfg: Config{Server: "127.0.0.1:2049", Vers: "4.2", Script: "true", Files: []File{{Path: "bin/x"}}}, wantErrSub: "absolute"},
		{
			name:   "smb 3.1.1",
			cfg:    Config{Server: "127.0.0.1:4445", Vers: "3.1.1", Export: "/export", SMB: &SMBLogon{"alice", "pw d"}, Script: "true", Options: []string{"actimeo=0"}},
			source: "//10.0.2.100/export",
			opts:   "vers=3.1.1,ip=10.0.2.100,port=4445,username=alice,password=pw d,actimeo=0",
		},
		{
			name:   "smb 2.1",
			cfg:    Config{Server: "127.0.0.1:445", Vers: "2.1", Export: "data", SMB: &SMBLogon{"bob", "x"}, Script: "true"},
			source: "//10.0.2.100/data",
			opts:   "vers=2.1,ip=10.0.2.100,port=445,username=bob,password=x",
		},
		{name: "smb nfs version", cfg: Config{Server: "127.0.0.1:445", Vers: "4.1", Export: "/e", SMB: &SMBLogon{"a", "b"}, Script: "true"}, wantErrSub: "SMB Vers"},
		{name: "smb mount port", cfg: Config{Server: "127.0.0.1:445", Vers: "3.0", Export: "/e", MountPort: 1, SMB: &SMBLogon{"a", "b"}, Script: "true"}, wantErrSub: "NFS options"},
		{name: "smb lock", cfg: Config{Server: "127.0.0.1:445", Vers: "3.0", Export: "/e", Lock: true, SMB: &SMBLogon{"a", "b"}, Script: "true"}, wantErrSub: "NFS options"},
		{name: "smb comma in password", cfg: Config{Server: "127.0.0.1:445", Vers: "3.0", Export: "/e", SMB: &SMBLogon{"a", "b,ip=1.2.3.4"}, Script: "true"}, wantErrSub: "password"},
		{name: "smb no user", cfg: Config{Server: "127.0.0.1:445", Vers: "3.0", Export: "/e", SMB: &SMBLogon{}, Script: "true"}, wantErrSub: "user"},
		{name: "smb no share", cfg: Config{Server: "127.0.0.1:445", Vers: "3.0", SMB: &SMBLogon{"a", "b"}, Script: "true"}, wantErrSub: "share"},
		{name: "smb nested share", cfg: Config{Server: "127.0.0.1:445", Vers: "3.0", Export: "/a/b", SMB: &SMBLogon{"a", "b"}, Script: "true"}, wantErrSub: "share"},
		{name: "smb harness option", cfg: Config{Server: "127.0.0.1:445", Vers: "3.0", Export: "/e", SMB: &SMBLogon{"a", "b"}, Script: "true", Options: []string{"ip=1.2.3.4"}}, wantErrSub: "set by the harness"},
		{name: "smb not loopback", cfg: Config{Server: "10.0.0.1:445", Vers: "3.0", Export: "/e", SMB: &SMBLogon{"a", "b"}, Script: "true"}, wantErrSub: "loopback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, opts, err := MountOptions(tc.cfg, tc.cb)
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src != tc.source || opts != tc.opts {
				t.Errorf("got %s -o %s\nwant %s -o %s", src, opts, tc.source, tc.opts)
			}
		})
	}
}

func TestQemuArgs(t *testing.T) {
	a := assets{Kernel: "/c/k.pvh", PVH: true, Initramfs: "/c/i.gz", Helper: "/c/vmhelper-1"}
	args := qemuArgs(a, "vm-a", "/run/d", 768, []int{2049, 20048}, 40000, lockPorts{})
	i := slices.Index(args, "-netdev")
	if i < 0 {
		t.Fatal("no -netdev")
	}
	netdev := args[i+1]
	for _, want := range []string{
		"user,id=n0,restrict=on,",
		",guestfwd=tcp:10.0.2.100:2049-cmd:/c/vmhelper-1 relay 127.0.0.1:2049 vm-a",
		",guestfwd=tcp:10.0.2.100:20048-cmd:/c/vmhelper-1 relay 127.0.0.1:20048 vm-a",
		",hostfwd=tcp:127.0.0.1:40000-:40000",
		"ipv6=off",
	} {
		if !strings.Contains(netdev, want) {
			t.Errorf("netdev %q lacks %q", netdev, want)
		}
	}
	// Every forward ends at 127.0.0.1 on the host.
	for _, part := range strings.Split(netdev, ",") {
		if strings.HasPrefix(part, "guestfwd=") && !strings.Contains(part, "relay 127.0.0.1:") {
			t.Errorf("guestfwd %q does not relay to 127.0.0.1", part)
		}
		if strings.HasPrefix(part, "hostfwd=") && !strings.HasPrefix(part, "hostfwd=tcp:127.0.0.1:") {
			t.Errorf("hostfwd %q does not bind 127.0.0.1", part)
		}
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{"-accel tcg,thread=multi", "-smp 1", "-m 768", "-no-reboot", "-kernel /c/k.pvh",
		"-initrd /run/d/initrd", "-name vm-a", "rdinit=/init", "path=/run/d/status"} {
		if !strings.Contains(joined, want) {
			t.Errorf("args lack %q", want)
		}
	}
	if strings.Contains(joined, "kvm") {
		t.Error("args mention kvm")
	}
	if n := strings.Count(joined, "-serial"); n != 3 {
		t.Errorf("%d serial ports, want 3", n)
	}
}

func TestGuestConfigQuoting(t *testing.T) {
	cfg := guestConfig("vm'1", "nfs", "10.0.2.100:/a b", "vers=4.1,x='y'", 0, []string{"10.0.2.100:2049 100003 4"})
	// The rendered file must be valid shell that sets exactly these values.
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	cmd := exec.Command("sh", "-c", `. /dev/stdin; printf '%s|%s|%s|%s' "$VM_HOSTNAME" "$VM_MOUNT_SOURCE" "$VM_MOUNT_OPTIONS" "$VM_CALLBACK_PORT"`)
	cmd.Stdin = bytes.NewReader(cfg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "vm'1|10.0.2.100:/a b|vers=4.1,x='y'|"; string(out) != want {
		t.Errorf("sourced config gives %q, want %q", out, want)
	}
}

func TestParseStatus(t *testing.T) {
	log := "garbage\nEXIT=3 stage=done umount=ok\nEXIT=x stage=done\n\x00EXIT=0 stage=done umount=failed\n"
	st, raw, ok := parseStatus(log)
	if !ok || st.Exit != 3 || st.Fields["stage"] != "done" || raw != "EXIT=3 stage=done umount=ok" {
		t.Errorf("got %+v %q %v", st, raw, ok)
	}
	st, _, ok = parseStatus("EXIT=-1 stage=mount\nEXIT=0 stage=done umount=ok\n")
	if !ok || st.Exit != 0 || st.Fields["umount"] != "ok" {
		t.Errorf("the last line must win: %+v", st)
	}
	if _, _, ok := parseStatus("[ 1.0 ] Kernel panic\n"); ok {
		t.Error("found a status in a log without one")
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add("EXIT=0 stage=done umount=ok\n")
	f.Add("EXIT=-1 stage=insmod module=nfs\n")
	f.Add("EXIT=\nEXIT==\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, raw, ok := parseStatus(s)
		if ok && (!strings.HasPrefix(raw, "EXIT=") || st.Fields == nil) {
			t.Errorf("status %q from %q", raw, s)
		}
	})
}

func TestParseKernelDepends(t *testing.T) {
	out := "linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n  Recommends: firmware\n"
	if got := parseKernelDepends(out); got != "linux-image-6.1.0-57-amd64" {
		t.Errorf("got %q", got)
	}
	if got := parseKernelDepends("linux-image-amd64\n"); got != "" {
		t.Errorf("got %q from no dependency", got)
	}
}

func note(name string, typ uint32, desc []byte) []byte {
	var b bytes.Buffer
	n := append([]byte(name), 0)
	_ = binary.Write(&b, binary.LittleEndian, [3]uint32{uint32(len(n)), uint32(len(desc)), typ})
	b.Write(n)
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	b.Write(desc)
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

func TestNotesHave(t *testing.T) {
	notes := append(note("GNU", 3, []byte("build-id-bytes")), note("Xen", xenElfnotePhys32Entry, []byte{1, 2, 3, 4, 5, 6, 7, 8})...)
	if !notesHave(notes, binary.LittleEndian, "Xen", xenElfnotePhys32Entry) {
		t.Error("PVH note not found")
	}
	if notesHave(note("Xen", 1, nil), binary.LittleEndian, "Xen", xenElfnotePhys32Entry) {
		t.Error("found a PVH note of another type")
	}
	if notesHave(notes[:len(notes)-4], binary.LittleEndian, "Xen", xenElfnotePhys32Entry) {
		t.Error("found a note in a truncated record")
	}
}

func FuzzNotesHave(f *testing.F) {
	f.Add(note("Xen", xenElfnotePhys32Entry, []byte{1, 2, 3, 4}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = notesHave(b, binary.LittleEndian, "Xen", xenElfnotePhys32Entry)
		_, _ = hasPVHNote(b)
	})
}

func TestCacheKey(t *testing.T) {
	if cacheKey("a", "bc") == cacheKey("ab", "c") {
		t.Error("cache key is ambiguous across part boundaries")
	}
	if cacheKey("x") != cacheKey("x") {
		t.Error("cache key is not stable")
	}
}

func TestLockConfig(t *testing.T) {
	base := Config{Server: "127.0.0.1:2049", MountPort: 2049, Vers: "3", Script: "true"}
	lock := base
	lock.Lock, lock.PortmapPort, lock.LockdPort, lock.StatdPort = true, 4000, 4001, 4002
	_, opts, err := MountOptions(lock, 0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(opts, "nolock") {
		t.Errorf("Lock mount options %q have nolock", opts)
	}
	if _, opts, _ := MountOptions(base, 0); !strings.Contains(opts, ",nolock") {
		t.Errorf("mount options %q lack nolock", opts)
	}
	bad := []func(c *Config){
		func(c *Config) { c.Vers = "4.1" },
		func(c *Config) { c.StatdPort = 0 },
		func(c *Config) { c.StatdPort = c.LockdPort },
		func(c *Config) { c.Lock = false },
	}
	for i, f := range bad {
		c := lock
		f(&c)
		if _, _, err := MountOptions(c, 0); err == nil {
			t.Errorf("case %d: %+v accepted", i, c)
		}
	}
	args := strings.Join(qemuArgs(assets{Helper: "/h"}, "vm-a", "/d", 768, []int{2049}, 0, lockPortsOf(lock)), " ")
	for _, want := range []string{"guestfwd=tcp:10.0.2.100:111-cmd:/h relay 127.0.0.1:4000 vm-a",
		"hostfwd=tcp:127.0.0.1:4001-:4001", "hostfwd=udp:127.0.0.1:4001-:4001", "hostfwd=udp:127.0.0.1:4002-:4002"} {
		if !strings.Contains(args, want) {
			t.Errorf("QEMU arguments lack %q:\n%s", want, args)
		}
	}
	if got := string(lockConfig(lock)); got != "VM_LOCKD_PORT='4001'\nVM_STATD_PORT='4002'\n" {
		t.Errorf("lockConfig = %q", got)
	}
	if slices.Contains(rpcPings(base, 2049), "10.0.2.100:111 100000 2") || !slices.Contains(rpcPings(lock, 2049), "10.0.2.100:111 100000 2") {
		t.Error("the portmapper is pinged only with Lock")
	}
}

func TestParseLdd(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007f)\n\tlibtirpc.so.3 => /lib/x86_64-linux-gnu/libtirpc.so.3 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n"
	got, err := parseLdd([]byte(out))
	if err != nil || !slices.Equal(got, []string{"/lib/x86_64-linux-gnu/libtirpc.so.3", "/lib64/ld-linux-x86-64.so.2"}) {
		t.Errorf("parseLdd = %q, %v", got, err)
	}
	if _, err := parseLdd([]byte("\tlibx.so.1 => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x1)\n")); err == nil {
		t.Error("a missing library was accepted")
	}
	if _, err := parseLdd([]byte("\tnot a dynamic executable\n")); err == nil {
		t.Error("output without a loader was accepted")
	}
}

// TestSMBRun: a cifs run pings no RPC program, forwards only the SMB port
// and hides the password in what it logs.
func TestSMBRun(t *testing.T) {
	cfg := Config{Server: "127.0.0.1:4445", Vers: "3.1.1", Export: "/export", SMB: &SMBLogon{"alice", "secret"}, Script: "true"}
	if p := rpcPings(cfg, 4445); len(p) != 0 {
		t.Errorf("rpcPings = %q, want none for SMB", p)
	}
	_, opts, err := MountOptions(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := redactOptions(opts); strings.Contains(got, "secret") || !strings.Contains(got, "password=***") {
		t.Errorf("redactOptions(%q) = %q", opts, got)
	}
	if got := string(guestConfig("vm", "cifs", "//10.0.2.100/export", opts, 0, nil)); !strings.Contains(got, "VM_MOUNT_FSTYPE='cifs'\n") {
		t.Errorf("guestConfig lacks the fstype:\n%s", got)
	}
}

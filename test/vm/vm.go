// Package vm boots the Linux kernel NFS client in a small QEMU guest and runs a
// script against an NFS server listening on the host's 127.0.0.1.
//
// The host kernel here has no NFS client and cannot load modules, so tests
// that need the real Linux client (its caching, its COMPOUNDs, its recovery)
// boot Debian's kernel under QEMU TCG with a busybox initramfs. Everything
// the guest can reach is the host's loopback: QEMU's user-mode network runs
// with restrict=on, and each guest connection to 10.0.2.100:P is relayed to
// 127.0.0.1:P on the host (the guest address stands for the host's loopback).
//
//	res, err := vm.Run(ctx, vm.Config{
//		Server:    "127.0.0.1:2049",
//		MountPort: 20048, // NFSv3 only
//		Vers:      "3",
//		Script:    "echo hello >f && cat f",
//	})
//
// Run installs missing Debian packages (when root), downloads the kernel
// package once and caches the initramfs it builds, keyed by the versions of
// everything that went into it, so later runs boot at once (about 3 s from
// start to power-off). See docs/testing-real-clients.md.
package vm

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config describes one VM run. The zero value is not runnable: Server, Vers
// and Script are required (and MountPort for NFSv3).
type Config struct {
	// Server is the NFS server's address, "127.0.0.1:PORT". Only loopback
	// addresses are accepted: the guest can reach nothing else.
	Server string
	// MountPort is the MOUNT v3 port on the same address (NFSv3 only; the
	// guest has no rpcbind, so the port is given to the kernel directly).
	MountPort int
	// Export is the server path to mount; "/" when empty.
	Export string
	// Vers is the protocol version: "3", "4.0", "4.1" or "4.2"; with SMB
	// the SMB dialect the cifs client asks for: "2.0", "2.1", "3.0",
	// "3.0.2" or "3.1.1".
	Vers string
	// SMB, when set, mounts an SMB share with the Linux cifs client
	// instead of NFS: Server is then the SMB server's address, Export the
	// share ("/export" or "export" is \\10.0.2.100\export), and SMB the
	// user to log on as. MountPort, Callback and Lock do not apply.
	SMB *SMBLogon
	// Options are further mount options, each "name" or "name=value"
	// (for example "nconnect=4", "actimeo=0", "noac", "rsize=65536"). The
	// options the harness sets itself (addr, port, vers, proto, mountport,
	// mountaddr, mountproto, clientaddr) and NLM locking are refused.
	Options []string
	// Callback sets up an NFSv4.0 callback path: a port P forwarded from the
	// host's 127.0.0.1:P into the guest, the client's callback_tcpport set
	// to P and clientaddr=127.0.0.1, so the server's CB_RECALL reaches the
	// guest. Only for Vers "4.0"; v4.1 and later call back over the
	// client's own connection and need nothing.
	Callback bool
	// CallbackPort is the port Callback uses; a free port on 127.0.0.1
	// when zero.
	CallbackPort int
	// Lock turns NLM locking on (NFSv3 only): the mount goes without
	// nolock, the guest runs rpcbind and rpc.statd (copied from the host's
	// Debian rpcbind and nfs-common packages), its lockd listens on
	// LockdPort and its statd on StatdPort, and both ports are forwarded
	// from the host's 127.0.0.1 (TCP and UDP) into the guest, so that a
	// server can send GRANTED callbacks and SM_NOTIFY there. The guest
	// finds the server's NLM through the portmapper at PortmapPort.
	Lock bool
	// PortmapPort is the host loopback port of a portmapper that the guest
	// reaches as 10.0.2.100:111, where the kernel asks for the server's
	// NLM port (needed with Lock).
	PortmapPort int
	// LockdPort and StatdPort are the guest's lockd and rpc.statd ports,
	// forwarded from the same ports on the host's 127.0.0.1 (needed with
	// Lock; a server maps each guest's caller_name, its Name, to them).
	LockdPort int
	StatdPort int
	// ForwardPorts are further host loopback ports the guest may reach at
	// 10.0.2.100 (the NFS and MOUNT ports are always forwarded).
	ForwardPorts []int
	// Script is run by busybox sh in the guest with the mount as its
	// working directory; its stdout and stderr become Result.Output.
	Script string
	// Files are copied into the guest (for example a static test program).
	Files []File
	// Name is the guest's hostname and NFSv4 client identity
	// (nfs4_unique_id). Two VMs at once need different names; empty means
	// a random one.
	Name string
	// Timeout bounds the whole run, boot to power-off; 5 minutes when zero.
	// The VM is killed when it expires or ctx ends.
	Timeout time.Duration
	// MemoryMB is the guest memory; 768 when zero.
	MemoryMB int
	// Netns, when set, is a network namespace path (/proc/PID/ns/net) to
	// start QEMU in, so that "127.0.0.1" means that namespace's loopback
	// (the NFS-Ganesha reference runs in one; see package ganesha).
	Netns string
	// CacheDir holds the downloaded kernel and built initramfs;
	// $DITTOFS_VM_CACHE, else the user cache directory's dittofs-vm.
	CacheDir string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// SMBLogon is the user a cifs mount logs on as (NTLMv2, as the kernel
// client does by default).
type SMBLogon struct {
	User     string
	Password string
}

// File is one file copied into the guest.
type File struct {
	// Path is the absolute path in the guest, for example "/bin/posixcheck".
	Path string
	// Source is a host file to copy; Data is used when Source is empty.
	Source string
	Data   []byte
	// Mode is the permission bits; 0755 when zero.
	Mode fs.FileMode
}

// Result is what a run produced. Run fills it as far as it got, also when it
// returns an error.
type Result struct {
	// Output is the script's stdout and stderr (at most 64 MiB are kept).
	Output string
	// ExitCode is the script's exit status.
	ExitCode int
	// Status is the raw status line /init wrote ("EXIT=0 stage=done umount=ok").
	Status string
	// Console is the guest kernel and /init log (at most 1 MiB, the end).
	Console string
	// HostLog is QEMU's own stdout and stderr, with the relays' messages
	// (at most 64 KiB).
	HostLog string
	// Unmounted reports whether the guest unmounted the export cleanly after
	// the script.
	Unmounted bool
	// Elapsed is the wall time from QEMU start to its exit.
	Elapsed time.Duration
}

// Errors Run returns; Result.Console tells more.
var (
	// ErrMount means the guest could not mount the export.
	ErrMount = errors.New("vm: mount failed in the guest")
	// ErrNoStatus means the guest never reported (kernel panic, QEMU died,
	// or the run was killed on timeout).
	ErrNoStatus = errors.New("vm: the guest ended without a status line")
	// ErrGuestSetup means /init failed before mounting (module or network).
	ErrGuestSetup = errors.New("vm: guest setup failed")
)

// Guest-side addresses of QEMU's user network.
const (
	hostAlias = "10.0.2.100" // relayed to the host's 127.0.0.1
	mountDir  = "/mnt/nfs"
)

func (c Config) validate() (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(c.Server)
	if err != nil {
		return ap, fmt.Errorf("vm: Server %q: %w", c.Server, err)
	}
	if !ap.Addr().Is4() || !ap.Addr().IsLoopback() {
		return ap, fmt.Errorf("vm: Server %q is not an IPv4 loopback address", c.Server)
	}
	if c.SMB != nil {
		return ap, c.validateSMB()
	}
	switch c.Vers {
	case "3":
		if c.MountPort <= 0 || c.MountPort > 65535 {
			return ap, errors.New("vm: NFSv3 needs MountPort")
		}
	case "4.0", "4.1", "4.2":
	default:
		return ap, fmt.Errorf("vm: Vers %q: want 3, 4.0, 4.1 or 4.2", c.Vers)
	}
	if c.CallbackPort != 0 && (!c.Callback || c.CallbackPort < 0 || c.CallbackPort > 65535) {
		return ap, errors.New("vm: CallbackPort needs Callback and a port number")
	}
	for _, p := range c.ForwardPorts {
		if p <= 0 || p > 65535 {
			return ap, fmt.Errorf("vm: ForwardPorts: bad port %d", p)
		}
	}
	if c.Lock {
		if c.Vers != "3" {
			return ap, errors.New("vm: Lock is for NFSv3 only (NFSv4 locks are in the protocol)")
		}
		for _, p := range []int{c.PortmapPort, c.LockdPort, c.StatdPort} {
			if p <= 0 || p > 65535 {
				return ap, errors.New("vm: Lock needs PortmapPort, LockdPort and StatdPort")
			}
		}
		if c.LockdPort == c.StatdPort {
			return ap, errors.New("vm: LockdPort and StatdPort must differ")
		}
	} else if c.PortmapPort != 0 || c.LockdPort != 0 || c.StatdPort != 0 {
		return ap, errors.New("vm: PortmapPort, LockdPort and StatdPort need Lock")
	}
	if c.Callback && c.Vers != "4.0" {
		return ap, errors.New("vm: Callback is for NFSv4.0 only (v4.1+ call back on the client's connection)")
	}
	if !validName(c.Name) {
		return ap, fmt.Errorf("vm: Name %q: want up to 63 letters, digits and '-'", c.Name)
	}
	if c.Script == "" {
		return ap, errors.New("vm: Script is empty")
	}
	for _, f := range c.Files {
		if !strings.HasPrefix(f.Path, "/") || strings.Contains(f.Path, "..") {
			return ap, fmt.Errorf("vm: file path %q must be absolute", f.Path)
		}
	}
	return ap, nil
}

// validateSMB checks the parts of a cifs run that differ from NFS.
func (c Config) validateSMB() error {
	switch c.Vers {
	case "2.0", "2.1", "3.0", "3.0.2", "3.1.1":
	default:
		return fmt.Errorf("vm: SMB Vers %q: want 2.0, 2.1, 3.0, 3.0.2 or 3.1.1", c.Vers)
	}
	if c.MountPort != 0 || c.Callback || c.CallbackPort != 0 || c.Lock || c.PortmapPort != 0 || c.LockdPort != 0 || c.StatdPort != 0 {
		return errors.New("vm: MountPort, Callback and Lock are NFS options, not for SMB")
	}
	// The kernel splits the option string at commas (a doubled comma
	// escapes one; not worth supporting here).
	if c.SMB.User == "" || strings.ContainsAny(c.SMB.User, ",=") || strings.Contains(c.SMB.Password, ",") {
		return errors.New("vm: SMB needs a user without ',' or '=' and a password without ','")
	}
	share := strings.TrimPrefix(c.Export, "/")
	if share == "" || strings.ContainsAny(share, "/\\,") {
		return fmt.Errorf("vm: SMB share %q: want one path component", c.Export)
	}
	for _, p := range c.ForwardPorts {
		if p <= 0 || p > 65535 {
			return fmt.Errorf("vm: ForwardPorts: bad port %d", p)
		}
	}
	if !validName(c.Name) {
		return fmt.Errorf("vm: Name %q: want up to 63 letters, digits and '-'", c.Name)
	}
	if c.Script == "" {
		return errors.New("vm: Script is empty")
	}
	for _, f := range c.Files {
		if !strings.HasPrefix(f.Path, "/") || strings.Contains(f.Path, "..") {
			return fmt.Errorf("vm: file path %q must be absolute", f.Path)
		}
	}
	return nil
}

// validName accepts empty (a random name) or a hostname label.
func validName(s string) bool {
	if len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// harnessOptions are the mount options Run sets itself.
func harnessOptions() []string {
	return []string{"addr", "port", "vers", "nfsvers", "proto", "mountport", "mountaddr", "mountproto",
		"clientaddr", "lock", "nolock", "local_lock"}
}

// smbHarnessOptions are the cifs mount options Run sets itself.
func smbHarnessOptions() []string {
	return []string{"ip", "addr", "port", "vers", "username", "user", "password", "pass", "domain", "dom"}
}

// appendOptions appends cfg.Options to opts, refusing the ones in set.
func appendOptions(opts []string, cfg Config, set []string) ([]string, error) {
	for _, o := range cfg.Options {
		name, _, _ := strings.Cut(o, "=")
		if o == "" || strings.ContainsAny(o, ", \t\n'\"\\") {
			return nil, fmt.Errorf("vm: bad mount option %q", o)
		}
		if slices.Contains(set, name) {
			return nil, fmt.Errorf("vm: mount option %q is set by the harness", o)
		}
		opts = append(opts, o)
	}
	return opts, nil
}

// smbMountOptions is MountOptions for a cifs run: the UNC source and the
// cifs text options, with the server at 10.0.2.100 given as ip= (the
// kernel would otherwise ask the dns_resolver upcall, which the guest
// does not have).
func smbMountOptions(cfg Config, ap netip.AddrPort) (source, options string, err error) {
	opts := []string{"vers=" + cfg.Vers, "ip=" + hostAlias, "port=" + strconv.Itoa(int(ap.Port())),
		"username=" + cfg.SMB.User, "password=" + cfg.SMB.Password}
	if opts, err = appendOptions(opts, cfg, smbHarnessOptions()); err != nil {
		return "", "", err
	}
	return "//" + hostAlias + "/" + strings.TrimPrefix(cfg.Export, "/"), strings.Join(opts, ","), nil
}

// redactOptions hides a cifs password in a mount option string (for logs
// and errors).
func redactOptions(options string) string {
	parts := strings.Split(options, ",")
	for i, p := range parts {
		if strings.HasPrefix(p, "password=") {
			parts[i] = "password=***"
		}
	}
	return strings.Join(parts, ",")
}

// MountOptions returns the mount(2) source and the NFS text options Run
// passes to the guest kernel for cfg, with the guest reaching the server at
// 10.0.2.100 (the host's loopback) and the NFSv4.0 callback port cbPort
// (zero for none).
func MountOptions(cfg Config, cbPort int) (source, options string, err error) {
	ap, err := cfg.validate()
	if err != nil {
		return "", "", err
	}
	if cfg.SMB != nil {
		return smbMountOptions(cfg, ap)
	}
	opts := []string{"vers=" + cfg.Vers, "addr=" + hostAlias, "port=" + strconv.Itoa(int(ap.Port())), "proto=tcp"}
	if cfg.Vers == "3" {
		// With explicit port= and mountport= the kernel never asks rpcbind
		// for NFS and MOUNT. Without Lock, NLM is not set up in the guest,
		// hence nolock; with it, lockd asks the portmapper at
		// 10.0.2.100:111 for the server's NLM when it first locks.
		opts = append(opts, "mountport="+strconv.Itoa(cfg.MountPort), "mountproto=tcp", "mountaddr="+hostAlias)
		if !cfg.Lock {
			opts = append(opts, "nolock")
		}
	} else if cbPort != 0 {
		opts = append(opts, "clientaddr=127.0.0.1")
	} else {
		// "No callback path": the server must not try to call 10.0.2.15.
		opts = append(opts, "clientaddr=0.0.0.0")
	}
	if opts, err = appendOptions(opts, cfg, harnessOptions()); err != nil {
		return "", "", err
	}
	export := cfg.Export
	if export == "" {
		export = "/"
	}
	return hostAlias + ":" + export, strings.Join(opts, ","), nil
}

// lockPorts are the forwards of a Lock run: the guest's 10.0.2.100:111 to
// the host's portmap port, and the host's lockd and statd ports into the
// guest. The zero value forwards nothing.
type lockPorts struct {
	portmap, lockd, statd int
}

func lockPortsOf(cfg Config) lockPorts {
	if !cfg.Lock {
		return lockPorts{}
	}
	return lockPorts{cfg.PortmapPort, cfg.LockdPort, cfg.StatdPort}
}

// qemuArgs returns the QEMU command line (without the binary) for one run.
func qemuArgs(a assets, name, dir string, memMB int, fwdPorts []int, cbPort int, lp lockPorts) []string {
	var netdev strings.Builder
	netdev.WriteString("user,id=n0,restrict=on,net=10.0.2.0/24,host=10.0.2.2,ipv6=off")
	for _, p := range fwdPorts {
		// Commas inside an option value are doubled; the paths have none.
		fmt.Fprintf(&netdev, ",guestfwd=tcp:%s:%d-cmd:%s relay 127.0.0.1:%d %s", hostAlias, p, a.Helper, p, name)
	}
	if cbPort != 0 {
		// The guest address is left empty: slirp then uses its first DHCP
		// address, 10.0.2.15, which /init configures. (Naming it
		// explicitly did not forward in QEMU 7.2 here.)
		fmt.Fprintf(&netdev, ",hostfwd=tcp:127.0.0.1:%d-:%d", cbPort, cbPort)
	}
	if lp.portmap != 0 {
		fmt.Fprintf(&netdev, ",guestfwd=tcp:%s:111-cmd:%s relay 127.0.0.1:%d %s", hostAlias, a.Helper, lp.portmap, name)
		for _, p := range []int{lp.lockd, lp.statd} {
			fmt.Fprintf(&netdev, ",hostfwd=tcp:127.0.0.1:%d-:%d,hostfwd=udp:127.0.0.1:%d-:%d", p, p, p, p)
		}
	}
	// clocksource=hpet: the HPET follows QEMU's clock (host time). The TSC
	// is calibrated at boot, and on a loaded host under TCG it was seen
	// running many times too fast, which would skew leases and timeouts.
	cmdline := "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic mitigations=off edd=off clocksource=hpet " +
		"no_timer_check random.trust_cpu=on rdinit=/init"
	args := []string{
		"-name", name, "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
		"-machine", "pc", "-accel", "tcg,thread=multi", "-smp", "1", "-m", strconv.Itoa(memMB),
		"-no-reboot", "-bios", "/usr/share/qemu/qboot.rom",
		"-kernel", a.Kernel, "-initrd", filepath.Join(dir, "initrd"), "-append", cmdline,
		"-netdev", netdev.String(),
		"-device", "virtio-net-pci,netdev=n0,romfile=",
		"-chardev", "file,id=con,path=" + filepath.Join(dir, "console.log"), "-serial", "chardev:con",
		"-chardev", "file,id=out,path=" + filepath.Join(dir, "output"), "-serial", "chardev:out",
		"-chardev", "file,id=st,path=" + filepath.Join(dir, "status"), "-serial", "chardev:st",
	}
	return args
}

// rpcPings lists the RPC programs /init pings before mounting, as
// "address program version" triples: NFS, and MOUNT for NFSv3; none for
// SMB (a cifs mount with nothing listening fails at once, it does not hang).
func rpcPings(cfg Config, nfsPort int) []string {
	if cfg.SMB != nil {
		return nil
	}
	if cfg.Vers == "3" {
		p := []string{
			fmt.Sprintf("%s:%d 100003 3", hostAlias, nfsPort),
			fmt.Sprintf("%s:%d 100005 3", hostAlias, cfg.MountPort),
		}
		if cfg.Lock {
			p = append(p, fmt.Sprintf("%s:111 100000 2", hostAlias))
		}
		return p
	}
	return []string{fmt.Sprintf("%s:%d 100003 4", hostAlias, nfsPort)}
}

// lockConfig renders the /run/config lines of a Lock run (empty values
// otherwise): the lockd and statd ports /init pins.
func lockConfig(cfg Config) []byte {
	lp := lockPortsOf(cfg)
	if lp.lockd == 0 {
		return []byte("VM_LOCKD_PORT=''\nVM_STATD_PORT=''\n")
	}
	return fmt.Appendf(nil, "VM_LOCKD_PORT='%d'\nVM_STATD_PORT='%d'\n", lp.lockd, lp.statd)
}

// guestConfig renders /run/config, the shell assignments /init sources.
// fstype is the mount(2) file system type: "nfs" or "cifs".
func guestConfig(name, fstype, source, options string, cbPort int, pings []string) []byte {
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	kv("VM_HOSTNAME", name)
	kv("VM_MOUNT_FSTYPE", fstype)
	kv("VM_UNIQUE_ID", name)
	kv("VM_MOUNT_SOURCE", source)
	kv("VM_MOUNT_OPTIONS", options)
	kv("VM_MOUNT_DIR", mountDir)
	kv("VM_RPC_PING", strings.Join(pings, " "))
	if cbPort != 0 {
		kv("VM_CALLBACK_PORT", strconv.Itoa(cbPort))
	} else {
		kv("VM_CALLBACK_PORT", "")
	}
	return []byte(b.String())
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// status is a parsed status line: "EXIT=<rc> stage=<stage> [key=value...]".
type status struct {
	Exit   int
	Fields map[string]string
}

// parseStatus returns the last well-formed status line in the ttyS2 log.
func parseStatus(log string) (status, string, bool) {
	var st status
	var raw string
	found := false
	for line := range strings.Lines(log) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "EXIT=") {
			continue
		}
		s := status{Fields: map[string]string{}}
		ok := true
		for i, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			if i == 0 {
				n, err := strconv.Atoi(v)
				if err != nil {
					ok = false
					break
				}
				s.Exit = n
				continue
			}
			s.Fields[k] = v
		}
		if ok {
			st, raw, found = s, line, true
		}
	}
	return st, raw, found
}

// freeLoopbackPort asks the kernel for a free TCP port on 127.0.0.1.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func defaultCacheDir() (string, error) {
	if d := os.Getenv("DITTOFS_VM_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "dittofs-vm"), nil
}

package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// mountInfo is what posixcheck needs to know about the mount it runs on.
type mountInfo struct {
	point   string
	fstype  string   // "nfs", "nfs4", or "cifs" (smb set)
	vers    string   // "3", "4.0", "4.1", "4.2"; the SMB dialect with smb
	smb     bool     // the Linux cifs client
	options []string // per-mount and super-block options
}

func (m mountInfo) has(opt string) bool { return slices.Contains(m.options, opt) }

func (m mountInfo) value(name string) (string, bool) {
	for _, o := range m.options {
		if v, ok := strings.CutPrefix(o, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// locksOnServer reports whether fcntl and flock locks reach the server: not
// on a nolock (local_lock=all) mount, where the client grants them locally.
func (m mountInfo) locksOnServer() bool {
	if m.has("nolock") {
		return false
	}
	v, _ := m.value("local_lock")
	return v == "" || v == "none"
}

func findMount(path string) (mountInfo, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return mountInfo{}, err
	}
	return parseMountinfo(string(data), path)
}

// parseMountinfo finds the mount holding path (the longest mount point that
// is a prefix of it) in /proc/self/mountinfo text (proc(5)): "id parent
// major:minor root point options [optional...] - fstype source superoptions".
func parseMountinfo(text, path string) (mountInfo, error) {
	var best mountInfo
	found := false
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if sep < 6 || len(f) < sep+4 {
			continue
		}
		point := unescapeMount(f[4])
		if !within(path, point) || (found && len(point) <= len(best.point)) {
			continue
		}
		opts := strings.Split(f[5], ",")
		opts = append(opts, strings.Split(f[sep+3], ",")...)
		best = mountInfo{point: point, fstype: f[sep+1], options: opts}
		found = true
	}
	if !found {
		return best, fmt.Errorf("no mount holds %s", path)
	}
	if best.fstype == "cifs" || best.fstype == "smb3" {
		// The Linux cifs client: vers= is the SMB dialect.
		v, ok := best.value("vers")
		if !ok || v == "" {
			return best, errors.New("the mount shows no vers= option")
		}
		best.smb, best.vers = true, v
		return best, nil
	}
	if best.fstype != "nfs" && best.fstype != "nfs4" {
		return best, fmt.Errorf("%s is on %s, not NFS or SMB", path, best.fstype)
	}
	v, ok := best.value("vers")
	if !ok {
		return best, errors.New("the mount shows no vers= option")
	}
	switch v {
	case "4":
		v = "4.0"
	case "3", "4.0", "4.1", "4.2":
	default:
		return best, fmt.Errorf("unknown NFS version %q", v)
	}
	best.vers = v
	return best, nil
}

func within(path, point string) bool {
	if point == "/" {
		return true
	}
	return path == point || strings.HasPrefix(path, point+"/")
}

// unescapeMount undoes the octal escapes (\040 for space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

package smb

import (
	"hash/fnv"
	"strings"
)

// shortName is the 8.3 name of a file name for FileAlternateNameInformation
// (MS-FSCC §2.4.5), as Samba's smbd makes one (it has no stored short
// names): a name that is already a legal 8.3 name is its own short name;
// another is mangled into the first five legal characters of its base in
// upper case, '~', two characters of a hash of the whole name, and up to
// three legal characters of its extension ("LONGF~K3.TXT").
func shortName(name string) string {
	if is83(name) {
		return name
	}
	base, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		base, ext = name[:i], name[i+1:]
	}
	legal := func(s string, n int) string {
		var b strings.Builder
		for _, r := range strings.ToUpper(s) {
			if b.Len() == n {
				break
			}
			if r < 0x80 && legal83(byte(r)) {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	prefix := legal(base, 5)
	if prefix == "" {
		prefix = "_"
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	v := h.Sum32() % (36 * 36)
	out := prefix + "~" + string(digits[v/36]) + string(digits[v%36])
	if e := legal(ext, 3); e != "" {
		out += "." + e
	}
	return out
}

// legal83 reports whether b may appear in an 8.3 name.
func legal83(b byte) bool {
	switch {
	case b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'()-@^_`{}~", b) >= 0
}

// is83 reports whether name is a legal 8.3 name: a base of 1 to 8 and an
// optional extension of 1 to 3 legal characters.
func is83(name string) bool {
	base, ext, dot := strings.Cut(name, ".")
	if len(base) < 1 || len(base) > 8 || len(ext) > 3 || dot && len(ext) == 0 || strings.IndexByte(ext, '.') >= 0 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '.' && !legal83(name[i]) {
			return false
		}
	}
	return true
}

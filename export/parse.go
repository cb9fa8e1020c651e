package export

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxLine bounds one logical line of an exports file.
const MaxLine = 64 << 10

// Parse reads exports in the /etc/exports syntax of exports(5):
//
//	# comment
//	/export        10.0.0.0/8(rw,no_root_squash) *(ro)
//	"/with space"  -rw,insecure 192.168.1.5 fd00::/8(sec=krb5:krb5p)
//	/data          *(rw,all_squash,anonuid=1000,anongid=1000,fsid=7)
//
// Each line is an export name and its clients: "*", an address or a CIDR
// network, each with options in parentheses (a "(options)" with no client
// is "*"). A "-options" word sets the defaults of the line. A backslash at
// the end of a line continues it; "\ooo" octal escapes and double quotes
// may be used in names. Options: rw, ro, root_squash, no_root_squash,
// all_squash, no_all_squash, anonuid=N, anongid=N, sec=f1:f2 (none, sys,
// krb5, krb5i, krb5p), secure, insecure, fsid=N (a number), and path=DIR
// (DittoFS: the directory of the FS to export, default its root). sync,
// async, wdelay, no_wdelay, subtree_check, no_subtree_check, hide, nohide,
// crossmnt and no_acl are accepted and ignored. Host names, wildcards
// other than "*", and netgroups are errors. The defaults are those of
// exports(5): ro, root_squash, secure, sec=sys.
//
// The exports have no FS: set it (and change Path if needed) before
// NewTable.
func Parse(r io.Reader) ([]*Export, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	var out []*Export
	var logical strings.Builder
	lineNo, start := 0, 0
	flush := func() error {
		line := logical.String()
		logical.Reset()
		e, err := parseLine(line)
		if err != nil {
			return fmt.Errorf("exports line %d: %w", start, err)
		}
		if e != nil {
			out = append(out, e)
		}
		return nil
	}
	for sc.Scan() {
		lineNo++
		if logical.Len() == 0 {
			start = lineNo
		}
		l := sc.Text()
		if strings.HasSuffix(l, "\\") {
			logical.WriteString(l[:len(l)-1])
			logical.WriteByte(' ')
			if logical.Len() > MaxLine {
				return nil, fmt.Errorf("exports line %d: too long", start)
			}
			continue
		}
		logical.WriteString(l)
		if logical.Len() > MaxLine {
			return nil, fmt.Errorf("exports line %d: too long", start)
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("exports: %w", err)
	}
	if logical.Len() > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// words splits a line into words, honoring double quotes and stopping at
// an unquoted '#'.
func words(line string) ([]string, error) {
	var ws []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted = !quoted
			in = true
		case !quoted && c == '#':
			i = len(line)
		case !quoted && (c == ' ' || c == '\t' || c == '\r'):
			if in {
				ws = append(ws, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	if in {
		ws = append(ws, cur.String())
	}
	return ws, nil
}

// unescape decodes "\ooo" octal escapes.
func unescape(s string) (string, error) {
	if !strings.Contains(s, "\\") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

func defaultRule() Rule { return Rule{Client: "*", ReadOnly: true} }

func parseLine(line string) (*Export, error) {
	ws, err := words(line)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, nil
	}
	name, err := unescape(ws[0])
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("export name %q is not an absolute path", name)
	}
	e := &Export{Name: name, Path: ""}
	def := defaultRule()
	var extra exportOpts
	ws = ws[1:]
	if len(ws) > 0 && strings.HasPrefix(ws[0], "-") {
		if err := applyOpts(&def, &extra, ws[0][1:]); err != nil {
			return nil, err
		}
		ws = ws[1:]
	}
	if len(ws) == 0 {
		// exports(5): an export with no client is exported to everyone
		// with the defaults.
		e.Rules = append(e.Rules, def)
	}
	for _, w := range ws {
		r := def
		r.Sec = append([]Sec(nil), def.Sec...)
		client, opts, hasOpts := w, "", false
		if i := strings.IndexByte(w, '('); i >= 0 {
			if !strings.HasSuffix(w, ")") {
				return nil, fmt.Errorf("client %q: unbalanced parenthesis", w)
			}
			client, opts, hasOpts = w[:i], w[i+1:len(w)-1], true
		}
		if client == "" {
			client = "*"
		}
		r.Client = client
		if hasOpts {
			if err := applyOpts(&r, &extra, opts); err != nil {
				return nil, fmt.Errorf("client %q: %w", client, err)
			}
		}
		if err := r.compile(); err != nil {
			return nil, err
		}
		e.Rules = append(e.Rules, r)
	}
	e.ID = extra.fsid
	e.Path = extra.path
	if e.Path == "" {
		e.Path = "/"
	}
	return e, nil
}

type exportOpts struct {
	fsid uint32
	path string
}

func applyOpts(r *Rule, x *exportOpts, opts string) error {
	for _, o := range strings.Split(opts, ",") {
		k, v, hasV := strings.Cut(o, "=")
		switch k {
		case "":
			continue
		case "rw":
			r.ReadOnly = false
		case "ro":
			r.ReadOnly = true
		case "root_squash":
			r.NoRootSquash = false
		case "no_root_squash":
			r.NoRootSquash = true
		case "all_squash":
			r.AllSquash = true
		case "no_all_squash":
			r.AllSquash = false
		case "secure":
			r.Insecure = false
		case "insecure":
			r.Insecure = true
		case "anonuid", "anongid":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || !hasV {
				return fmt.Errorf("option %q: want a number", o)
			}
			a := r.anon()
			if k == "anonuid" {
				a.UID = uint32(n)
			} else {
				a.GID = uint32(n)
			}
			r.Anon = &a
		case "sec":
			if !hasV || v == "" {
				return fmt.Errorf("option %q: want flavors", o)
			}
			r.Sec = r.Sec[:0:0]
			for _, f := range strings.Split(v, ":") {
				s, ok := secByName(f)
				if !ok {
					return fmt.Errorf("option %q: unknown flavor %q", o, f)
				}
				r.Sec = append(r.Sec, s)
			}
		case "fsid":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 0 {
				return fmt.Errorf("option %q: only a non-zero number is supported", o)
			}
			x.fsid = uint32(n)
		case "path":
			if !strings.HasPrefix(v, "/") {
				return fmt.Errorf("option %q: want an absolute path", o)
			}
			x.path = v
		case "sync", "async", "wdelay", "no_wdelay", "subtree_check", "no_subtree_check",
			"hide", "nohide", "crossmnt", "no_acl":
		default:
			return fmt.Errorf("unknown option %q", o)
		}
	}
	return nil
}

func secByName(n string) (Sec, bool) {
	for i, s := range secNames {
		if s != "" && s == n {
			return Sec(i), true
		}
	}
	return 0, false
}

// String formats r in the exports(5) syntax that Parse reads, with every
// option spelled out: "10.0.0.0/8(rw,root_squash,sec=sys,secure)".
func (r *Rule) String() string {
	var b strings.Builder
	c := r.Client
	if c == "" {
		c = "*"
	}
	b.WriteString(c)
	if r.ReadOnly {
		b.WriteString("(ro")
	} else {
		b.WriteString("(rw")
	}
	if r.NoRootSquash {
		b.WriteString(",no_root_squash")
	} else {
		b.WriteString(",root_squash")
	}
	if r.AllSquash {
		b.WriteString(",all_squash")
	}
	if r.Anon != nil {
		fmt.Fprintf(&b, ",anonuid=%d,anongid=%d", r.Anon.UID, r.Anon.GID)
	}
	b.WriteString(",sec=")
	for i, s := range r.Flavors() {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(s.String())
	}
	if r.Insecure {
		b.WriteString(",insecure)")
	} else {
		b.WriteString(",secure)")
	}
	return b.String()
}

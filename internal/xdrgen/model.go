package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// kind is the XDR shape of a resolved Go type.
type kind int

const (
	kUint32      kind = iota // unsigned int, enum (named uint32)
	kInt32                   // int, enum (named int32)
	kUint64                  // unsigned hyper
	kInt64                   // hyper
	kBool                    // bool
	kString                  // string<max>
	kOpaque                  // opaque<max>
	kFixedOpaque             // opaque[n]
	kSlice                   // T<max>
	kArray                   // T[n]
	kList                    // optional-data chain decoded into a slice
	kPtr                     // *T, optional data (RFC 4506 §4.19)
	kMethods                 // a type with MarshalXDR/UnmarshalXDR/SizeXDR methods
)

// typ is a field type resolved to its XDR shape.
type typ struct {
	kind kind
	conv string // for scalars: the named Go type to convert to on decode ("" for none)
	src  string // Go source of the type (for make, new and var)
	elem *typ   // element of kSlice, kArray, kList, kPtr
	n    int    // length of kFixedOpaque and kArray
	max  string // Go expression bounding kString, kOpaque, kSlice, kList
	enum string // for scalars: named enum type whose declared constants bound the value
	decl *decl  // for kMethods: the local declaration (nil for another package's type)
}

// tagOpts are the options of an `xdr:"..."` struct tag or an //xdr: type
// directive.
type tagOpts struct {
	skip        bool
	sw          bool
	cases       []string
	def         bool
	voids       []string
	voidDefault bool
	max         string
	list        bool
	enum        bool
}

// parseTag parses the comma-separated options of a tag. A bare word that
// is not an option continues the value list of the preceding key, so
// "case=A,B" and "switch,void=X,Y" work.
func parseTag(s string) (tagOpts, error) {
	var o tagOpts
	s = strings.TrimSpace(s)
	if s == "" {
		return o, nil
	}
	var list *[]string
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		key, val, hasVal := strings.Cut(item, "=")
		if !hasVal {
			switch item {
			case "-", "skip":
				o.skip = true
				list = nil
				continue
			case "switch":
				o.sw = true
				list = nil
				continue
			case "default":
				if list == &o.voids {
					o.voidDefault = true
					continue
				}
				o.def = true
				list = nil
				continue
			case "list":
				o.list = true
				list = nil
				continue
			case "enum":
				o.enum = true
				list = nil
				continue
			}
			if list == nil || item == "" {
				return o, fmt.Errorf("unknown option %q", item)
			}
			*list = append(*list, item)
			continue
		}
		val = strings.TrimSpace(val)
		if val == "" {
			return o, fmt.Errorf("option %q has no value", key)
		}
		switch strings.TrimSpace(key) {
		case "case":
			o.cases = append(o.cases, val)
			list = &o.cases
		case "void":
			if val == "default" {
				o.voidDefault = true
			} else {
				o.voids = append(o.voids, val)
			}
			list = &o.voids
		case "max":
			o.max = val
			list = nil
		default:
			return o, fmt.Errorf("unknown option %q", key)
		}
	}
	return o, nil
}

// field is one struct field.
type field struct {
	name string
	t    *typ
	opts tagOpts
	pos  token.Position
}

// decl is one type declaration of the wire package.
type decl struct {
	name   string
	spec   *ast.TypeSpec
	file   *ast.File
	pos    token.Position
	opts   tagOpts // from //xdr: directives
	hand   bool    // methods are written by hand; generate nothing
	skip   bool    // //xdr:- : not a wire type
	isStr  bool    // struct (plain or union)
	union  bool    // struct with a switch field: fields[0] is the discriminant
	fields []field
	under  *typ    // typedef: the underlying type
	uses   []*decl // local declarations its fields or underlying type name

	resolved  bool
	resolving bool
	minSize   int
	fixed     int // exact encoded size, or -1 if it varies
	sizing    bool
	sized     bool
}

// pkg is the parsed wire package.
type pkg struct {
	dir     string
	name    string
	fset    *token.FileSet
	decls   map[string]*decl
	order   []*decl
	consts  map[string]*constInfo
	enums   map[string][]string // type name → its constants, in source order
	imports map[string]string   // local name → import path, for selectors used by generated code
	fileImp map[*ast.File]map[string]string
	needImp map[string]string // imports the generated code needs: name → path
	cur     *decl             // the declaration being resolved
	needZ   bool              // the generated code uses xdrZero
	valid   []string          // enum types needing a validity function, in first-use order
}

type constInfo struct {
	name string
	expr ast.Expr
	iota int
	val  constant.Value
	busy bool
}

// isGenerated reports whether a file name is one xdrgen writes.
func isGenerated(name string) bool { return strings.HasPrefix(name, "zz_") }

// load parses the non-test, non-generated Go files of dir.
func load(dir string) (*pkg, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &pkg{
		dir:     dir,
		fset:    token.NewFileSet(),
		decls:   map[string]*decl{},
		consts:  map[string]*constInfo{},
		enums:   map[string][]string{},
		fileImp: map[*ast.File]map[string]string{},
		needImp: map[string]string{},
	}
	var files []*ast.File
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || isGenerated(n) {
			continue
		}
		f, err := parser.ParseFile(p.fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if p.name == "" {
			p.name = f.Name.Name
		} else if p.name != f.Name.Name {
			return nil, fmt.Errorf("%s: package %s, want %s", n, f.Name.Name, p.name)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Go files", dir)
	}
	hand := map[string][]string{} // type name → hand-written xdr methods
	for _, f := range files {
		imp := map[string]string{}
		for _, s := range f.Imports {
			path, _ := strconv.Unquote(s.Path.Value)
			name := path[strings.LastIndex(path, "/")+1:]
			if s.Name != nil {
				name = s.Name.Name
			}
			imp[name] = path
		}
		p.fileImp[f] = imp
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) != 1 {
					continue
				}
				switch d.Name.Name {
				case "MarshalXDR", "UnmarshalXDR", "SizeXDR":
					rt := d.Recv.List[0].Type
					if s, ok := rt.(*ast.StarExpr); ok {
						rt = s.X
					}
					if id, ok := rt.(*ast.Ident); ok {
						hand[id.Name] = append(hand[id.Name], d.Name.Name)
					}
				}
			case *ast.GenDecl:
				switch d.Tok {
				case token.TYPE:
					for _, s := range d.Specs {
						ts := s.(*ast.TypeSpec)
						if err := p.addType(f, d, ts); err != nil {
							return nil, err
						}
					}
				case token.CONST:
					p.addConsts(d)
				}
			}
		}
	}
	for name, ms := range hand {
		dc := p.decls[name]
		if dc == nil {
			continue
		}
		if len(ms) != 3 {
			return nil, fmt.Errorf("%s: type %s has hand-written %s; write all of MarshalXDR, UnmarshalXDR and SizeXDR", dc.pos, name, strings.Join(ms, ", "))
		}
		dc.hand = true
	}
	return p, nil
}

func (p *pkg) addType(f *ast.File, gd *ast.GenDecl, ts *ast.TypeSpec) error {
	d := &decl{name: ts.Name.Name, spec: ts, file: f, pos: p.fset.Position(ts.Pos()), fixed: -1}
	if ts.Assign.IsValid() {
		return nil // an alias shares its target's methods
	}
	if ts.TypeParams != nil {
		return fmt.Errorf("%s: generic type %s is not a wire type; mark it //xdr:-", d.pos, d.name)
	}
	for _, cg := range []*ast.CommentGroup{gd.Doc, ts.Doc, ts.Comment} {
		if cg == nil {
			continue
		}
		for _, c := range cg.List {
			if s, ok := strings.CutPrefix(c.Text, "//xdr:"); ok {
				o, err := parseTag(s)
				if err != nil {
					return fmt.Errorf("%s: //xdr: directive: %v", d.pos, err)
				}
				d.opts = mergeOpts(d.opts, o)
			}
		}
	}
	d.skip = d.opts.skip
	p.decls[d.name] = d
	p.order = append(p.order, d)
	return nil
}

func mergeOpts(a, b tagOpts) tagOpts {
	a.skip = a.skip || b.skip
	a.enum = a.enum || b.enum
	if b.max != "" {
		a.max = b.max
	}
	if b.sw || b.list || b.def || len(b.cases) > 0 || len(b.voids) > 0 || b.voidDefault {
		a.sw, a.list, a.def = a.sw || b.sw, a.list || b.list, a.def || b.def
		a.cases = append(a.cases, b.cases...)
		a.voids = append(a.voids, b.voids...)
		a.voidDefault = a.voidDefault || b.voidDefault
	}
	return a
}

func (p *pkg) addConsts(gd *ast.GenDecl) {
	var lastType string
	var lastVals []ast.Expr
	for i, s := range gd.Specs {
		vs := s.(*ast.ValueSpec)
		typeName := ""
		switch {
		case vs.Type != nil:
			if id, ok := vs.Type.(*ast.Ident); ok {
				typeName = id.Name
			}
			lastType, lastVals = typeName, vs.Values
		case len(vs.Values) == 0:
			typeName = lastType // implicit repetition: the type and expressions carry over
		default:
			lastType, lastVals = "", vs.Values
		}
		vals := vs.Values
		if len(vals) == 0 {
			vals = lastVals
		}
		for j, n := range vs.Names {
			if n.Name == "_" {
				continue
			}
			ci := &constInfo{name: n.Name, iota: i}
			if j < len(vals) {
				ci.expr = vals[j]
			}
			p.consts[n.Name] = ci
			if typeName != "" {
				p.enums[typeName] = append(p.enums[typeName], n.Name)
			}
		}
	}
}

// evalInt evaluates a constant integer expression: literals, constants of
// the package, iota, parentheses, unary and binary operators.
func (p *pkg) evalInt(e ast.Expr) (int64, error) {
	v, err := p.eval(e, -1)
	if err != nil {
		return 0, err
	}
	v = constant.ToInt(v)
	if v.Kind() != constant.Int {
		return 0, fmt.Errorf("%s is not an integer constant", p.src(e))
	}
	n, ok := constant.Int64Val(v)
	if !ok {
		return 0, fmt.Errorf("%s overflows", p.src(e))
	}
	return n, nil
}

func (p *pkg) eval(e ast.Expr, iota int) (constant.Value, error) {
	switch e := e.(type) {
	case *ast.BasicLit:
		v := constant.MakeFromLiteral(e.Value, e.Kind, 0)
		if v.Kind() == constant.Unknown {
			return nil, fmt.Errorf("bad literal %s", e.Value)
		}
		return v, nil
	case *ast.ParenExpr:
		return p.eval(e.X, iota)
	case *ast.Ident:
		if e.Name == "iota" && iota >= 0 {
			return constant.MakeInt64(int64(iota)), nil
		}
		ci := p.consts[e.Name]
		if ci == nil || ci.expr == nil {
			return nil, fmt.Errorf("%s is not a constant of package %s", e.Name, p.name)
		}
		if ci.val != nil {
			return ci.val, nil
		}
		if ci.busy {
			return nil, fmt.Errorf("constant %s refers to itself", e.Name)
		}
		ci.busy = true
		v, err := p.eval(ci.expr, ci.iota)
		ci.busy = false
		if err != nil {
			return nil, err
		}
		ci.val = v
		return v, nil
	case *ast.UnaryExpr:
		x, err := p.eval(e.X, iota)
		if err != nil {
			return nil, err
		}
		return constant.UnaryOp(e.Op, x, 0), nil
	case *ast.BinaryExpr:
		x, err := p.eval(e.X, iota)
		if err != nil {
			return nil, err
		}
		y, err := p.eval(e.Y, iota)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case token.SHL, token.SHR:
			s, ok := constant.Uint64Val(constant.ToInt(y))
			if !ok {
				return nil, fmt.Errorf("bad shift %s", p.src(e))
			}
			return constant.Shift(x, e.Op, uint(s)), nil
		case token.QUO:
			if constant.Sign(y) == 0 {
				return nil, fmt.Errorf("division by zero in %s", p.src(e))
			}
			if x.Kind() == constant.Int && y.Kind() == constant.Int {
				return constant.BinaryOp(x, token.QUO_ASSIGN, y), nil
			}
		}
		return constant.BinaryOp(x, e.Op, y), nil
	case *ast.CallExpr:
		// A conversion such as uint32(64).
		if len(e.Args) == 1 {
			if _, ok := e.Fun.(*ast.Ident); ok {
				return p.eval(e.Args[0], iota)
			}
		}
	}
	return nil, fmt.Errorf("cannot evaluate %s", p.src(e))
}

// src prints an expression as Go source.
func (p *pkg) src(e ast.Expr) string {
	var b bytes.Buffer
	printer.Fprint(&b, token.NewFileSet(), e)
	return b.String()
}

// basic maps the predeclared types XDR supports to their kinds.
var basic = map[string]kind{
	"uint32": kUint32, "int32": kInt32, "uint64": kUint64, "int64": kInt64,
	"bool": kBool, "string": kString,
}

// resolve classifies every declaration and checks the tags.
func (p *pkg) resolve() error {
	for _, d := range p.order {
		if d.skip || d.hand {
			continue
		}
		if err := p.resolveDecl(d); err != nil {
			return err
		}
	}
	for _, d := range p.order {
		if d.skip || d.hand {
			continue
		}
		if err := p.checkCycle(d, nil); err != nil {
			return err
		}
	}
	for _, d := range p.order {
		if d.skip || d.hand {
			continue
		}
		p.sizeDecl(d)
	}
	return nil
}

func (p *pkg) resolveDecl(d *decl) error {
	if d.resolved {
		return nil
	}
	if d.resolving {
		return nil // a cycle; checkCycle reports it
	}
	d.resolving = true
	prev := p.cur
	p.cur = d
	defer func() { d.resolving, d.resolved, p.cur = false, true, prev }()
	f := d.file
	st, ok := d.spec.Type.(*ast.StructType)
	if !ok {
		if d.opts.sw || d.opts.def || len(d.opts.cases) > 0 || len(d.opts.voids) > 0 || d.opts.voidDefault {
			return fmt.Errorf("%s: %s: union options belong on struct fields", d.pos, d.name)
		}
		t, err := p.resolveType(f, d.spec.Type, d.opts, d.name)
		if err != nil {
			return fmt.Errorf("%s: %s: %v", d.pos, d.name, err)
		}
		d.under = t
		return nil
	}
	if d.opts.max != "" || d.opts.list || d.opts.enum {
		return fmt.Errorf("%s: %s: put max, list and enum on the fields of a struct", d.pos, d.name)
	}
	d.isStr = true
	for _, fl := range st.Fields.List {
		var o tagOpts
		if fl.Tag != nil {
			tag, _ := strconv.Unquote(fl.Tag.Value)
			var err error
			if o, err = parseTag(reflectTag(tag)); err != nil {
				return fmt.Errorf("%s: %v", p.fset.Position(fl.Pos()), err)
			}
		}
		if o.skip {
			continue
		}
		names := fl.Names
		if len(names) == 0 {
			return fmt.Errorf("%s: %s: embedded fields are not supported; name the field", p.fset.Position(fl.Pos()), d.name)
		}
		for _, n := range names {
			pos := p.fset.Position(n.Pos())
			if n.Name == "_" {
				return fmt.Errorf("%s: blank field; mark padding fields xdr:\"-\"", pos)
			}
			t, err := p.resolveType(f, fl.Type, o, "")
			if err != nil {
				return fmt.Errorf("%s: %s.%s: %v", pos, d.name, n.Name, err)
			}
			d.fields = append(d.fields, field{name: n.Name, t: t, opts: o, pos: pos})
		}
	}
	if err := p.checkUnion(d); err != nil {
		return err
	}
	for _, fl := range d.fields {
		for _, v := range slices.Concat(fl.opts.cases, fl.opts.voids) {
			if err := p.caseValue(f, v); err != nil {
				return fmt.Errorf("%s: %s.%s: case %s: %v", fl.pos, d.name, fl.name, v, err)
			}
		}
	}
	return nil
}

// reflectTag extracts the value of the xdr key of a struct tag.
func reflectTag(tag string) string {
	for tag != "" {
		i := 0
		for i < len(tag) && tag[i] == ' ' {
			i++
		}
		tag = tag[i:]
		i = 0
		for i < len(tag) && tag[i] > ' ' && tag[i] != ':' && tag[i] != '"' {
			i++
		}
		if i == 0 || i+1 >= len(tag) || tag[i] != ':' || tag[i+1] != '"' {
			return ""
		}
		name := tag[:i]
		tag = tag[i+1:]
		i = 1
		for i < len(tag) && tag[i] != '"' {
			if tag[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(tag) {
			return ""
		}
		val, err := strconv.Unquote(tag[:i+1])
		if err != nil {
			return ""
		}
		if name == "xdr" {
			return val
		}
		tag = tag[i+1:]
	}
	return ""
}

func (p *pkg) checkUnion(d *decl) error {
	sw := -1
	for i, f := range d.fields {
		if f.opts.sw {
			if sw >= 0 {
				return fmt.Errorf("%s: %s has two switch fields", f.pos, d.name)
			}
			sw = i
		}
	}
	if sw < 0 {
		for _, f := range d.fields {
			if f.opts.def || len(f.opts.cases) > 0 || len(f.opts.voids) > 0 || f.opts.voidDefault {
				return fmt.Errorf("%s: %s.%s has union options but %s has no xdr:\"switch\" field", f.pos, d.name, f.name, d.name)
			}
		}
		return nil
	}
	if sw != 0 {
		return fmt.Errorf("%s: the switch field of %s must be its first encoded field; put the fields before it in a struct of their own", d.fields[sw].pos, d.name)
	}
	d.union = true
	disc := d.fields[0]
	switch disc.t.kind {
	case kUint32, kInt32, kBool:
	default:
		return fmt.Errorf("%s: discriminant %s.%s must be an enum, uint32, int32 or bool", disc.pos, d.name, disc.name)
	}
	if len(disc.opts.cases) > 0 || disc.opts.def {
		return fmt.Errorf("%s: the switch field takes void=..., not case or default", disc.pos)
	}
	hasDef := disc.opts.voidDefault
	for _, f := range d.fields[1:] {
		if f.opts.sw || f.opts.voidDefault || len(f.opts.voids) > 0 {
			return fmt.Errorf("%s: %s.%s: put void=... on the switch field", f.pos, d.name, f.name)
		}
		if f.opts.def {
			if hasDef {
				return fmt.Errorf("%s: %s has two default arms", f.pos, d.name)
			}
			hasDef = true
			if len(f.opts.cases) > 0 {
				return fmt.Errorf("%s: %s.%s: an arm is either case=... or default", f.pos, d.name, f.name)
			}
			continue
		}
		if len(f.opts.cases) == 0 {
			return fmt.Errorf("%s: %s.%s: every field of a union after the switch needs case=... or default (or xdr:\"-\")", f.pos, d.name, f.name)
		}
	}
	return nil
}

// resolveType resolves a type expression. self is the name of the
// declaration whose underlying type this is ("" for a field).
func (p *pkg) resolveType(f *ast.File, e ast.Expr, o tagOpts, self string) (*typ, error) {
	t, err := p.resolveType1(f, e, o, self)
	if err != nil {
		return nil, err
	}
	if o.max != "" && t.kind != kString && t.kind != kOpaque && t.kind != kSlice && t.kind != kList {
		return nil, fmt.Errorf("max applies to strings, opaque<> and arrays")
	}
	if o.enum {
		if t.kind != kUint32 && t.kind != kInt32 {
			return nil, fmt.Errorf("enum applies to a named uint32 or int32 type")
		}
		if t.enum == "" {
			t.enum = t.conv
		}
	}
	if t.enum != "" {
		if len(p.enums[t.enum]) == 0 {
			return nil, fmt.Errorf("enum %s has no constants declared in the package", t.enum)
		}
		if !slices.Contains(p.valid, t.enum) {
			p.valid = append(p.valid, t.enum)
		}
	}
	return t, nil
}

func (p *pkg) maxExpr(f *ast.File, o tagOpts) (string, error) {
	if o.max == "" {
		return "xdr.Unlimited", nil
	}
	if n, err := strconv.ParseUint(o.max, 0, 32); err == nil {
		return strconv.FormatUint(n, 10), nil
	}
	if err := p.constRef(f, o.max); err != nil {
		return "", fmt.Errorf("max=%s: %v", o.max, err)
	}
	return "uint32(" + o.max + ")", nil
}

// constRef checks that s names a constant: one of the package, or pkg.Name
// of a package the file imports (which the generated file then imports).
func (p *pkg) constRef(f *ast.File, s string) error {
	if a, b, ok := strings.Cut(s, "."); ok {
		if !token.IsIdentifier(a) || !token.IsIdentifier(b) {
			return fmt.Errorf("neither a number nor a constant name")
		}
		path := p.fileImp[f][a]
		if path == "" {
			return fmt.Errorf("package %s is not imported", a)
		}
		p.needImpFor(a, path)
		return nil
	}
	if !token.IsIdentifier(s) {
		return fmt.Errorf("neither a number nor a constant name")
	}
	if _, ok := p.consts[s]; !ok {
		return fmt.Errorf("no such constant in package %s", p.name)
	}
	return nil
}

// caseValue checks a case or void value: a number, true or false, or a
// constant.
func (p *pkg) caseValue(f *ast.File, s string) error {
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return nil
	}
	if _, err := strconv.ParseUint(s, 0, 64); err == nil || s == "true" || s == "false" {
		return nil
	}
	return p.constRef(f, s)
}

func (p *pkg) resolveType1(f *ast.File, e ast.Expr, o tagOpts, self string) (*typ, error) {
	src := p.src(e)
	switch e := e.(type) {
	case *ast.Ident:
		if k, ok := basic[e.Name]; ok {
			t := &typ{kind: k, src: src, conv: self}
			if k == kString {
				m, err := p.maxExpr(f, o)
				if err != nil {
					return nil, err
				}
				t.max = m
			}
			if self != "" && o.enum {
				t.enum = self
			}
			if o.list {
				return nil, fmt.Errorf("list applies to []T")
			}
			return t, nil
		}
		d := p.decls[e.Name]
		if d == nil {
			return nil, fmt.Errorf("type %s is neither declared in package %s nor supported by XDR", e.Name, p.name)
		}
		if d.skip {
			return nil, fmt.Errorf("type %s is marked //xdr:- and cannot be a field", e.Name)
		}
		if p.cur != nil && p.cur != d {
			p.cur.uses = append(p.cur.uses, d)
		}
		if o.list {
			return nil, fmt.Errorf("list applies to []T")
		}
		if !d.hand {
			if err := p.resolveDecl(d); err != nil {
				return nil, err
			}
			// Named scalars are coded inline, converting to the named type.
			if d.under != nil && d.under.kind <= kBool {
				if o.max != "" {
					return nil, fmt.Errorf("max applies to strings, opaque<> and arrays")
				}
				t := *d.under
				t.conv = e.Name
				t.src = e.Name
				return &t, nil
			}
		}
		if o.max != "" {
			return nil, fmt.Errorf("max of named type %s belongs on its declaration (//xdr:max=...)", e.Name)
		}
		return &typ{kind: kMethods, src: src, decl: d}, nil
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			return nil, fmt.Errorf("unsupported type %s", src)
		}
		path := p.fileImp[f][x.Name]
		if path == "" {
			return nil, fmt.Errorf("unknown package %s", x.Name)
		}
		if o.max != "" || o.list || o.enum {
			return nil, fmt.Errorf("%s from another package takes no max, list or enum", src)
		}
		p.needImpFor(x.Name, path)
		return &typ{kind: kMethods, src: src}, nil
	case *ast.StarExpr:
		if o.list {
			return nil, fmt.Errorf("list applies to []T; for an optional *T drop it")
		}
		el, err := p.resolveType1(f, e.X, tagOpts{}, "")
		if err != nil {
			return nil, err
		}
		return &typ{kind: kPtr, src: src, elem: el}, nil
	case *ast.ArrayType:
		if id, ok := e.Elt.(*ast.Ident); ok && (id.Name == "byte" || id.Name == "uint8") {
			if o.list {
				return nil, fmt.Errorf("list applies to []T with T other than byte")
			}
			if e.Len == nil {
				m, err := p.maxExpr(f, o)
				if err != nil {
					return nil, err
				}
				return &typ{kind: kOpaque, src: src, max: m}, nil
			}
			n, err := p.evalInt(e.Len)
			if err != nil {
				return nil, err
			}
			return &typ{kind: kFixedOpaque, src: src, n: int(n)}, nil
		}
		el, err := p.resolveType1(f, e.Elt, tagOpts{}, "")
		if err != nil {
			return nil, err
		}
		if e.Len == nil {
			m, err := p.maxExpr(f, o)
			if err != nil {
				return nil, err
			}
			k := kSlice
			if o.list {
				k = kList
			}
			return &typ{kind: k, src: src, elem: el, max: m}, nil
		}
		if o.list {
			return nil, fmt.Errorf("list applies to []T, not [N]T")
		}
		n, err := p.evalInt(e.Len)
		if err != nil {
			return nil, err
		}
		return &typ{kind: kArray, src: src, elem: el, n: int(n)}, nil
	}
	return nil, fmt.Errorf("type %s has no XDR encoding", src)
}

func (p *pkg) needImpFor(name, path string) {
	p.needImp[name] = path
}

// refs lists the local declarations a type refers to.
func refs(t *typ, out []*decl) []*decl {
	for ; t != nil; t = t.elem {
		if t.kind == kMethods && t.decl != nil && !t.decl.hand {
			out = append(out, t.decl)
		}
	}
	return out
}

func (d *decl) refs() []*decl {
	var out []*decl
	if d.under != nil {
		out = refs(d.under, out)
	}
	for _, f := range d.fields {
		out = refs(f.t, out)
	}
	return out
}

// checkCycle rejects recursive types: their decoders would recurse once
// per level, so that a hostile chain could nest as deep as the record is
// long. XDR linked lists are declared as []T with xdr:"list" instead.
func (p *pkg) checkCycle(d *decl, path []*decl) error {
	if i := slices.Index(path, d); i >= 0 {
		var names []string
		for _, x := range path[i:] {
			names = append(names, x.name)
		}
		names = append(names, d.name)
		return fmt.Errorf("%s: recursive type %s; declare an XDR linked list as a []T field tagged xdr:\"list\"", d.pos, strings.Join(names, " → "))
	}
	path = append(path, d)
	for _, r := range d.refs() {
		if err := p.checkCycle(r, path); err != nil {
			return err
		}
	}
	return nil
}

// sizeDecl computes the minimum and, when constant, the exact encoded
// size of d.
func (p *pkg) sizeDecl(d *decl) {
	if d.sizing || d.sized || d.hand {
		return
	}
	d.sizing = true
	defer func() { d.sizing, d.sized = false, true }()
	if d.under != nil {
		d.minSize, d.fixed = p.minSize(d.under), p.fixedSize(d.under)
		return
	}
	if d.union {
		min := -1
		fixed := -2
		arm := func(m, f int) {
			if min < 0 || m < min {
				min = m
			}
			if fixed == -2 {
				fixed = f
			} else if fixed != f {
				fixed = -1
			}
		}
		disc := d.fields[0]
		if len(disc.opts.voids) > 0 || disc.opts.voidDefault {
			arm(0, 0)
		}
		covered := disc.opts.voidDefault
		for _, f := range d.fields[1:] {
			arm(p.minSize(f.t), p.fixedSize(f.t))
			covered = covered || f.opts.def
		}
		if !covered && fixed != 0 {
			// An undeclared discriminant encodes as the discriminant
			// alone, so the size is not constant.
			fixed = -1
		}
		if min < 0 {
			min, fixed = 0, 0
		}
		d.minSize = 4 + min
		d.fixed = -1
		if fixed >= 0 {
			d.fixed = 4 + fixed
		}
		return
	}
	fixed := 0
	for _, f := range d.fields {
		d.minSize += p.minSize(f.t)
		if fs := p.fixedSize(f.t); fs < 0 || fixed < 0 {
			fixed = -1
		} else {
			fixed += fs
		}
	}
	d.fixed = fixed
}

// minSize returns the fewest bytes t can take on the wire. A type from
// another package or a hand-written one counts as zero.
func (p *pkg) minSize(t *typ) int {
	switch t.kind {
	case kUint32, kInt32, kBool:
		return 4
	case kUint64, kInt64:
		return 8
	case kString, kOpaque, kSlice, kList, kPtr:
		return 4
	case kFixedOpaque:
		return t.n + pad(t.n)
	case kArray:
		return t.n * p.minSize(t.elem)
	case kMethods:
		if t.decl == nil || t.decl.hand {
			return 0
		}
		p.sizeDecl(t.decl)
		return t.decl.minSize
	}
	return 0
}

// fixedSize returns the exact encoded size of t, or -1 if it varies.
func (p *pkg) fixedSize(t *typ) int {
	switch t.kind {
	case kUint32, kInt32, kBool:
		return 4
	case kUint64, kInt64:
		return 8
	case kFixedOpaque:
		return t.n + pad(t.n)
	case kArray:
		if s := p.fixedSize(t.elem); s >= 0 {
			return t.n * s
		}
	case kMethods:
		if t.decl != nil && !t.decl.hand {
			p.sizeDecl(t.decl)
			return t.decl.fixed
		}
	}
	return -1
}

func pad(n int) int { return (4 - n&3) & 3 }

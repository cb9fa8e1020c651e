// Command xdrgen generates XDR (RFC 4506) encoders and decoders for the Go
// wire types of a DittoFS protocol package.
//
// Run it from a wire package with go generate:
//
//	//go:generate go run ../../../internal/xdrgen
//
// It reads the package's Go files (except tests and zz_*.go), and writes
// zz_xdr.go, with MarshalXDR, SizeXDR and UnmarshalXDR for every type, and
// zz_xdr_fuzz_test.go, with a fuzz target for every type that no other type
// of the package uses. docs/xdrgen.md describes the tag syntax.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// xdrImport is the import path of the runtime package generated code uses.
const xdrImport = "github.com/dittofs/dittofs/rpc/xdr"

func main() {
	dir := flag.String("dir", ".", "directory of the wire package")
	check := flag.Bool("check", false, "report whether the generated files are up to date instead of writing them")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: xdrgen [-dir DIR] [-check]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "xdrgen:", err)
		os.Exit(1)
	}
}

// errStale is returned by run in check mode when a file would change.
var errStale = errors.New("generated files are out of date; run go generate")

// run generates the files of the package in dir, or with check only
// compares them with what is there.
func run(dir string, check bool) error {
	files, err := build(dir)
	if err != nil {
		return err
	}
	for name, want := range files {
		path := filepath.Join(dir, name)
		have, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		switch {
		case want == nil && err == nil:
			if check {
				return fmt.Errorf("%s: %w", path, errStale)
			}
			if err := os.Remove(path); err != nil {
				return err
			}
		case want == nil:
		case bytes.Equal(have, want):
		case check:
			return fmt.Errorf("%s: %w", path, errStale)
		default:
			if err := os.WriteFile(path, want, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// build returns the generated files of the package in dir by name; a nil
// content means the file should not exist.
func build(dir string) (map[string][]byte, error) {
	p, err := load(dir)
	if err != nil {
		return nil, err
	}
	if err := p.resolve(); err != nil {
		return nil, err
	}
	code, fuzz, err := generate(p, xdrImport)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"zz_xdr.go": code, "zz_xdr_fuzz_test.go": fuzz}, nil
}

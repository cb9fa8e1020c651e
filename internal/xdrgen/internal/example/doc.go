// Package example holds XDR wire types that exercise every feature of
// xdrgen: NFSv3-shaped types written from RFC 1813 (a GETATTR reply with
// fattr3, post_op_attr, and a READDIR reply with its entry3 linked list),
// and a Features type for the shapes NFSv3 does not use. Its tests compare
// the generated code against encodings written by hand from RFC 4506 and
// RFC 1813.
package example

//go:generate go run ../..

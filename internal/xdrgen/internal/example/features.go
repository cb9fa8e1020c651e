package example

import "github.com/dittofs/dittofs/internal/xdrgen/internal/example/handle"

// MaxItems bounds Features.Items.
const MaxItems = 8

// Kind is an int32 enum with a negative value, used as a union
// discriminant.
type Kind int32

// Kind values.
const (
	KIND_NONE  Kind = -1
	KIND_SMALL Kind = 0
	KIND_BIG   Kind = 1
	KIND_HUGE  Kind = 2
	KIND_TEXT  Kind = 3
)

// Groups is a named slice with a bound on its declaration.
//
//xdr:max=16
type Groups []Gid3

// Blob is a named opaque<> with no bound but the record.
type Blob []byte

// Label is a named string<32>.
//
//xdr:max=32
type Label string

// Point is a small fixed-size struct.
type Point struct {
	X int32
	Y int64
}

// Shape is a union on an int32 enum with several cases per arm, a void
// case and a default arm.
type Shape struct {
	Kind  Kind   `xdr:"switch,void=KIND_NONE"`
	Small Point  `xdr:"case=KIND_SMALL"`
	Big   []byte `xdr:"case=KIND_BIG,KIND_HUGE,max=1024"`
	Other string `xdr:"default,max=64"`
}

// Code is a union on a plain uint32 with numeric cases and no default: an
// undeclared discriminant is xdr.ErrBadUnion.
type Code struct {
	Value uint32  `xdr:"switch,void=0"`
	One   uint64  `xdr:"case=1"`
	Many  []Point `xdr:"case=2,3,max=4"`
}

// Mirror is a defined type over a struct of the package.
type Mirror Point

// Features exercises every field shape xdrgen supports.
type Features struct {
	I32     int32
	I64     int64
	U64     uint64
	Flag    bool
	Checked NFSStat3 `xdr:"enum"`
	Fixed   [5]byte
	Opaque  []byte `xdr:"max=12"`
	Blob    Blob
	Str     string `xdr:"max=20"`
	Label   Label
	Points  []Point `xdr:"max=MaxItems"`
	Grid    [2][3]uint32
	Names   [2]Filename3
	Groups  Groups
	Opt     *Point
	OptList *Code
	Chain   []Label `xdr:"list,max=4"`
	Shape   Shape
	Codes   []Code `xdr:"max=3"`
	Mirror  Mirror
	Bits    Bitmap
	Handle  handle.Handle
	Handles []handle.Handle `xdr:"max=2"`
	Local   string          `xdr:"-"`
	Verf    Cookieverf3
}

// Table has an unbounded array: only the record bounds its count.
type Table struct {
	Rows []Point
}

// Tagged takes a bound and a case value from constants of another
// package.
type Tagged struct {
	Kind uint32 `xdr:"switch,void=0"`
	Raw  []byte `xdr:"case=handle.Size,max=handle.Size"`
}

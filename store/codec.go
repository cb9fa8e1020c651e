package store

import (
	"encoding/binary"
	"unicode/utf8"
)

// Key prefixes. The layout is described in doc.go; every multi-byte integer
// in a key is big-endian so that keys sort numerically.
const (
	pfxSuper    = 's' // 's'                          -> super
	pfxUsage    = 'u' // 'u' shard(1)                 -> usage
	pfxNode     = 'n' // 'n' id(8)                    -> inode
	pfxEntry    = 'd' // 'd' dir(8) name              -> entry
	pfxCookie   = 'c' // 'c' dir(8) cookie(8)         -> cookie entry
	pfxExtent   = 'e' // 'e' id(8) end(8)             -> extent
	pfxXattr    = 'x' // 'x' id(8) name               -> value
	pfxBlock    = 'b' // 'b' blockid(32)              -> block record
	pfxOrphan   = 'z' // 'z' id(8)                    -> empty: freed file with extents left
	pfxIntent   = 'w' // 'w' id(8) seq(8)             -> intent: offset, bytes of a small stable write
	pfxBlockKey = 'k' // 'k'                         -> the key blocks are named under (blockname.go)
	usageShard  = 16
)

var be = binary.BigEndian
var le = binary.LittleEndian

func corrupt(what string) error { return NewError(CodeIO, "decode", what, errCorrupt) }

type corruptErr string

func (e corruptErr) Error() string { return string(e) }

const errCorrupt corruptErr = "corrupted record"

// ---- keys ----------------------------------------------------------------

func appendKeyID(b []byte, pfx byte, id uint64) []byte {
	b = append(b, pfx)
	return be.AppendUint64(b, id)
}

// ---- intents --------------------------------------------------------------

// intentHdr is the size of an intent value before its data: the file
// offset.
const intentHdr = 8

// intentKeyLen is the length of an intent's key: prefix, file id,
// sequence number.
const intentKeyLen = 1 + 8 + 8

func appendIntent(b []byte, off uint64, p []byte) []byte {
	b = le.AppendUint64(b, off)
	return append(b, p...)
}

// decodeIntent returns the offset and data of an intent value; data
// aliases v.
func decodeIntent(v []byte) (off uint64, data []byte, err error) {
	if len(v) < intentHdr+1 {
		return 0, nil, corrupt("intent")
	}
	off = le.Uint64(v)
	if off+uint64(len(v)-intentHdr) < off {
		return 0, nil, corrupt("intent")
	}
	return off, v[intentHdr:], nil
}

// ---- superblock ------------------------------------------------------------

const superMagic = "DTFS"
const superVersion = 1
const superLen = 4 + 4 + 8 + 8

type super struct {
	NextID uint64 // first id not yet handed out
	Root   uint64
}

func (s *super) encode(b []byte) []byte {
	b = append(b, superMagic...)
	b = le.AppendUint32(b, superVersion)
	b = le.AppendUint64(b, s.NextID)
	return le.AppendUint64(b, s.Root)
}

func decodeSuper(b []byte) (super, error) {
	var s super
	if len(b) != superLen || string(b[:4]) != superMagic {
		return s, corrupt("superblock")
	}
	if v := le.Uint32(b[4:]); v != superVersion {
		return s, NewError(CodeIO, "decode", "superblock", corruptErr("unsupported version"))
	}
	s.NextID = le.Uint64(b[8:])
	s.Root = le.Uint64(b[16:])
	if s.Root == 0 || s.NextID <= s.Root {
		return s, corrupt("superblock")
	}
	return s, nil
}

// ---- usage counters ----------------------------------------------------------

type usage struct{ Files, Bytes int64 }

func (u usage) encode(b []byte) []byte {
	b = le.AppendUint64(b, uint64(u.Files))
	return le.AppendUint64(b, uint64(u.Bytes))
}

func decodeUsage(b []byte) (usage, error) {
	if len(b) != 16 {
		return usage{}, corrupt("usage")
	}
	return usage{int64(le.Uint64(b)), int64(le.Uint64(b[8:]))}, nil
}

// ---- inode -------------------------------------------------------------------

const inodeVersion = 1
const inodeFixed = 142 // bytes before the symlink target

const (
	inoHasVerf = 1 << iota
)

type inode struct {
	ID         uint64 // not stored; from the key
	Type       FileType
	Flags      uint8
	Mode       uint32
	Nlink      uint32
	UID, GID   uint32
	Size       uint64
	Used       uint64
	Atime      int64
	Mtime      int64
	Ctime      int64
	Btime      int64
	Change     uint64
	Rdev       Dev
	Gen        uint64
	Parent     uint64 // directories: the parent directory (root: itself)
	NextCookie uint64 // directories: next ReadDir cookie to hand out
	Entries    uint64 // directories: number of entries
	XattrBytes uint64 // sum of len(name)+len(value) of the xattrs
	Verf       Verifier
	Target     []byte // symlinks; aliases the decoded buffer unless copied
}

func (n *inode) encode(b []byte) []byte {
	b = append(b, inodeVersion, byte(n.Type), n.Flags, 0)
	b = le.AppendUint32(b, n.Mode)
	b = le.AppendUint32(b, n.Nlink)
	b = le.AppendUint32(b, n.UID)
	b = le.AppendUint32(b, n.GID)
	b = le.AppendUint64(b, n.Size)
	b = le.AppendUint64(b, n.Used)
	b = le.AppendUint64(b, uint64(n.Atime))
	b = le.AppendUint64(b, uint64(n.Mtime))
	b = le.AppendUint64(b, uint64(n.Ctime))
	b = le.AppendUint64(b, uint64(n.Btime))
	b = le.AppendUint64(b, n.Change)
	b = le.AppendUint32(b, n.Rdev.Major)
	b = le.AppendUint32(b, n.Rdev.Minor)
	b = le.AppendUint64(b, n.Gen)
	b = le.AppendUint64(b, n.Parent)
	b = le.AppendUint64(b, n.NextCookie)
	b = le.AppendUint64(b, n.Entries)
	b = le.AppendUint64(b, n.XattrBytes)
	b = append(b, n.Verf[:]...)
	b = le.AppendUint16(b, uint16(len(n.Target)))
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // reserved
	return append(b, n.Target...)
}

// decodeInode decodes b into n. n.Target aliases b.
func decodeInode(b []byte, n *inode) error {
	if len(b) < inodeFixed || b[0] != inodeVersion || b[3] != 0 {
		return corrupt("inode")
	}
	n.Type = FileType(b[1])
	n.Flags = b[2]
	if n.Type == 0 || n.Type >= typeLimit || n.Flags&^inoHasVerf != 0 {
		return corrupt("inode")
	}
	n.Mode = le.Uint32(b[4:])
	n.Nlink = le.Uint32(b[8:])
	n.UID = le.Uint32(b[12:])
	n.GID = le.Uint32(b[16:])
	n.Size = le.Uint64(b[20:])
	n.Used = le.Uint64(b[28:])
	n.Atime = int64(le.Uint64(b[36:]))
	n.Mtime = int64(le.Uint64(b[44:]))
	n.Ctime = int64(le.Uint64(b[52:]))
	n.Btime = int64(le.Uint64(b[60:]))
	n.Change = le.Uint64(b[68:])
	n.Rdev.Major = le.Uint32(b[76:])
	n.Rdev.Minor = le.Uint32(b[80:])
	n.Gen = le.Uint64(b[84:])
	n.Parent = le.Uint64(b[92:])
	n.NextCookie = le.Uint64(b[100:])
	n.Entries = le.Uint64(b[108:])
	n.XattrBytes = le.Uint64(b[116:])
	copy(n.Verf[:], b[124:132])
	tl := int(le.Uint16(b[132:]))
	if len(b) != inodeFixed+tl || n.Mode&^ModeMask != 0 || n.Size > 1<<63-1 {
		return corrupt("inode")
	}
	// bytes 134..141 are reserved and must be zero
	for _, c := range b[134:inodeFixed] {
		if c != 0 {
			return corrupt("inode")
		}
	}
	if (n.Type == TypeSymlink) != (tl > 0) {
		return corrupt("inode")
	}
	if n.Type == TypeDir && (n.Parent == 0 || n.NextCookie < firstCookie) {
		return corrupt("inode")
	}
	n.Target = b[inodeFixed:]
	return nil
}

func (n *inode) attr(a *Attr) {
	*a = Attr{
		Type: n.Type, Mode: n.Mode, Nlink: n.Nlink, UID: n.UID, GID: n.GID,
		Size: n.Size, Used: n.Used, Rdev: n.Rdev, ID: n.ID, Gen: n.Gen,
		Atime: n.Atime, Mtime: n.Mtime, Ctime: n.Ctime, Btime: n.Btime,
		Change: n.Change,
	}
	if n.Type == TypeDir {
		a.Size = dirSize(n.Entries)
	}
}

// dirSize is the size reported for a directory of n entries (as tmpfs does:
// 20 bytes per entry including "." and "..").
func dirSize(n uint64) uint64 { return (n + 2) * 20 }

// ---- directory entries -------------------------------------------------------

// firstCookie is the first cookie handed to an entry; 0 means "start" and 1
// and 2 are left to protocols for "." and "..".
const firstCookie = 3

type entry struct {
	Child  uint64
	Cookie uint64
	Type   FileType
}

func (e entry) encode(b []byte) []byte {
	b = le.AppendUint64(b, e.Child)
	b = le.AppendUint64(b, e.Cookie)
	return append(b, byte(e.Type))
}

func decodeEntry(b []byte) (entry, error) {
	var e entry
	if len(b) != 17 {
		return e, corrupt("entry")
	}
	e.Child = le.Uint64(b)
	e.Cookie = le.Uint64(b[8:])
	e.Type = FileType(b[16])
	if e.Child == 0 || e.Cookie < firstCookie || e.Type == 0 || e.Type >= typeLimit {
		return e, corrupt("entry")
	}
	return e, nil
}

// cookie index value: child(8) type(1) name
func encodeCookieVal(b []byte, child uint64, t FileType, name string) []byte {
	b = le.AppendUint64(b, child)
	b = append(b, byte(t))
	return append(b, name...)
}

func decodeCookieVal(b []byte) (child uint64, t FileType, name []byte, err error) {
	if len(b) < 10 || len(b) > 9+maxNameHard {
		return 0, 0, nil, corrupt("cookie entry")
	}
	child = le.Uint64(b)
	t = FileType(b[8])
	name = b[9:]
	if child == 0 || t == 0 || t >= typeLimit {
		return 0, 0, nil, corrupt("cookie entry")
	}
	return child, t, name, nil
}

// maxNameHard bounds names in decoded records whatever Options.MaxName is.
const maxNameHard = 4096

// ---- extents -------------------------------------------------------------------

const (
	extZero = 1 // allocated, reads as zeroes, no block
)

// extent maps file bytes [Start, End) to block bytes [Off, Off+End-Start).
type extent struct {
	Start, End uint64
	Off        uint64
	Flags      uint8
	Block      BlockID
}

func (x *extent) len() uint64 { return x.End - x.Start }

func (x *extent) encode(b []byte) []byte {
	b = le.AppendUint64(b, x.Start)
	b = le.AppendUint64(b, x.Off)
	b = append(b, x.Flags)
	return append(b, x.Block[:]...)
}

const extentLen = 8 + 8 + 1 + 32

// decodeExtent decodes an extent from its key and value.
func decodeExtent(k, v []byte, x *extent) error {
	if len(k) != 17 || len(v) != extentLen {
		return corrupt("extent")
	}
	x.End = be.Uint64(k[9:])
	x.Start = le.Uint64(v)
	x.Off = le.Uint64(v[8:])
	x.Flags = v[16]
	copy(x.Block[:], v[17:])
	if x.Start >= x.End || x.End > 1<<63 || x.Flags&^extZero != 0 || x.Off > 1<<63 {
		return corrupt("extent")
	}
	if x.Flags&extZero != 0 && (x.Block != BlockID{} || x.Off != 0) {
		return corrupt("extent")
	}
	return nil
}

// ---- block records -----------------------------------------------------------

type blockRec struct {
	Refs uint64
	Size uint64
}

func (r blockRec) encode(b []byte) []byte {
	b = le.AppendUint64(b, r.Refs)
	return le.AppendUint64(b, r.Size)
}

func decodeBlockRec(b []byte) (blockRec, error) {
	if len(b) != 16 {
		return blockRec{}, corrupt("block record")
	}
	r := blockRec{le.Uint64(b), le.Uint64(b[8:])}
	if r.Refs == 0 || r.Size == 0 || r.Size > 1<<40 {
		return r, corrupt("block record")
	}
	return r, nil
}

// ---- names -------------------------------------------------------------------

// checkName applies the name rules to a name that is to be created or
// removed: not empty, no '/' or NUL, not "." or "..", at most max bytes, and
// valid UTF-8 when asked.
func checkName(name string, max int, utf bool) error {
	if len(name) == 0 {
		return NewError(CodeInvalid, "", name, errEmptyName)
	}
	if len(name) > max {
		return NewError(CodeNameTooLong, "", "", nil)
	}
	if name == "." || name == ".." {
		return NewError(CodeInvalid, "", name, errDotName)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '/' || c == 0 {
			return NewError(CodeInvalid, "", name, errBadChar)
		}
	}
	if utf && !utf8.ValidString(name) {
		return NewError(CodeInvalid, "", name, errBadUTF8)
	}
	return nil
}

const (
	errEmptyName corruptErr = "empty name"
	errDotName   corruptErr = `"." and ".." cannot be used here`
	errBadChar   corruptErr = "name contains '/' or NUL"
	errBadUTF8   corruptErr = "name is not valid UTF-8"
)

func isNotFound(err error) bool { return CodeOf(err) == CodeNotFound }

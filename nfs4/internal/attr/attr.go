package attr

import (
	"math/bits"
	"strconv"
	"time"

	"github.com/dittofs/dittofs/nfs4/internal/wire"
	"github.com/dittofs/dittofs/rpc/xdr"
	"github.com/dittofs/dittofs/store"
)

// Object is everything the server knows about one object for GETATTR,
// READDIR and VERIFY.
type Object struct {
	Attr store.Attr
	// FH is the value of filehandle.
	FH []byte
	// Fsid is the file system's fsid: one per export, and the
	// pseudo-filesystem has its own.
	Fsid wire.Fsid4
	// MountedOnFileid is the fileid of the directory this object is
	// mounted on when it is an export root (its fileid seen from the
	// pseudo-filesystem); 0 means Attr.ID.
	MountedOnFileid uint64
	// Info is the file system's static figures (maxread, maxwrite,
	// maxfilesize, maxname, maxlink, time_delta, the name-handling
	// booleans). Zero figures are reported as the store's defaults; see
	// docs/nfs4-attributes.md.
	Info store.FsInfo
	// Stat returns the file system's space and file counts. It is called
	// at most once per Encode or Compare, and only when a space_* or
	// files_* attribute is asked; nil reports them as 0.
	Stat func() store.FsStat
	// ReadOnly says the export is read-only for this caller. No
	// attribute value depends on it (SETATTR's NFS4ERR_ROFS is the
	// caller's); it is carried for the caller's rules.
	ReadOnly bool
	// Pseudo marks a directory of the pseudo-filesystem: its Info is
	// taken as case-preserving, no_trunc and chown_restricted whatever
	// the booleans say.
	Pseudo bool
}

// Config is the attribute codec's per-server (per minor version)
// settings.
type Config struct {
	// Minor is the minor version, 0, 1 or 2 (higher is taken as 2): it
	// selects which attributes exist.
	Minor uint32
	// LeaseTime is the value of lease_time, in seconds.
	LeaseTime uint32
	// Mapper maps owner and owner_group; nil is Numeric.
	Mapper IDMapper
}

// maxMinor is the highest minor version whose attributes are known.
const maxMinor = 2

// words is the number of bitmap4 words that hold every attribute this
// package knows (the highest, open_arguments, is 86).
const words = 3

// mask is a bitmap4 of the attributes this package knows.
type mask [words]uint32

func (m *mask) set(n uint32) { m[n/32] |= 1 << (n % 32) }

func (m *mask) has(n uint32) bool { return n/32 < words && m[n/32]&(1<<(n%32)) != 0 }

// kind is the XDR shape of an attribute's value.
type kind uint8

const (
	kNone    kind = iota
	k32           // uint32 or an enum
	kBool         // bool
	k64           // uint64
	kTime         // nfstime4
	kSettime      // settime4
	kBitmap       // bitmap4
	kFH           // nfs_fh4
	kOwner        // utf8str_mixed mapped to a uid
	kGroup        // utf8str_mixed mapped to a gid
	kFsid         // fsid4
	kSpec         // specdata4
)

// Access of an attribute.
const (
	aRead  uint8 = 1 << iota // GETATTR returns it (and VERIFY compares it)
	aWrite                   // SETATTR, CREATE and OPEN set it
)

// spec is one row of the attribute table.
type spec struct {
	minor  uint8 // first minor version that has it
	access uint8
	kind   kind
}

// table lists the attributes this package supports; every other number
// is unsupported. The rows are RFC 3530 §5.5–5.6 (RFC 7530 §5.6–5.7),
// RFC 5661 §5.6–5.7 for suppattr_exclcreat, RFC 7862 §12.2 for
// change_attr_type and RFC 8276 §8.2 for xattr_support.
var table = [...]spec{
	wire.FATTR4_SUPPORTED_ATTRS:    {0, aRead, kBitmap},
	wire.FATTR4_TYPE:               {0, aRead, k32},
	wire.FATTR4_FH_EXPIRE_TYPE:     {0, aRead, k32},
	wire.FATTR4_CHANGE:             {0, aRead, k64},
	wire.FATTR4_SIZE:               {0, aRead | aWrite, k64},
	wire.FATTR4_LINK_SUPPORT:       {0, aRead, kBool},
	wire.FATTR4_SYMLINK_SUPPORT:    {0, aRead, kBool},
	wire.FATTR4_NAMED_ATTR:         {0, aRead, kBool},
	wire.FATTR4_FSID:               {0, aRead, kFsid},
	wire.FATTR4_UNIQUE_HANDLES:     {0, aRead, kBool},
	wire.FATTR4_LEASE_TIME:         {0, aRead, k32},
	wire.FATTR4_RDATTR_ERROR:       {0, aRead, k32},
	wire.FATTR4_ACLSUPPORT:         {0, aRead, k32},
	wire.FATTR4_CANSETTIME:         {0, aRead, kBool},
	wire.FATTR4_CASE_INSENSITIVE:   {0, aRead, kBool},
	wire.FATTR4_CASE_PRESERVING:    {0, aRead, kBool},
	wire.FATTR4_CHOWN_RESTRICTED:   {0, aRead, kBool},
	wire.FATTR4_FILEHANDLE:         {0, aRead, kFH},
	wire.FATTR4_FILEID:             {0, aRead, k64},
	wire.FATTR4_FILES_AVAIL:        {0, aRead, k64},
	wire.FATTR4_FILES_FREE:         {0, aRead, k64},
	wire.FATTR4_FILES_TOTAL:        {0, aRead, k64},
	wire.FATTR4_HOMOGENEOUS:        {0, aRead, kBool},
	wire.FATTR4_MAXFILESIZE:        {0, aRead, k64},
	wire.FATTR4_MAXLINK:            {0, aRead, k32},
	wire.FATTR4_MAXNAME:            {0, aRead, k32},
	wire.FATTR4_MAXREAD:            {0, aRead, k64},
	wire.FATTR4_MAXWRITE:           {0, aRead, k64},
	wire.FATTR4_MODE:               {0, aRead | aWrite, k32},
	wire.FATTR4_NO_TRUNC:           {0, aRead, kBool},
	wire.FATTR4_NUMLINKS:           {0, aRead, k32},
	wire.FATTR4_OWNER:              {0, aRead | aWrite, kOwner},
	wire.FATTR4_OWNER_GROUP:        {0, aRead | aWrite, kGroup},
	wire.FATTR4_RAWDEV:             {0, aRead, kSpec},
	wire.FATTR4_SPACE_AVAIL:        {0, aRead, k64},
	wire.FATTR4_SPACE_FREE:         {0, aRead, k64},
	wire.FATTR4_SPACE_TOTAL:        {0, aRead, k64},
	wire.FATTR4_SPACE_USED:         {0, aRead, k64},
	wire.FATTR4_TIME_ACCESS:        {0, aRead, kTime},
	wire.FATTR4_TIME_ACCESS_SET:    {0, aWrite, kSettime},
	wire.FATTR4_TIME_CREATE:        {0, aRead | aWrite, kTime},
	wire.FATTR4_TIME_DELTA:         {0, aRead, kTime},
	wire.FATTR4_TIME_METADATA:      {0, aRead, kTime},
	wire.FATTR4_TIME_MODIFY:        {0, aRead, kTime},
	wire.FATTR4_TIME_MODIFY_SET:    {0, aWrite, kSettime},
	wire.FATTR4_MOUNTED_ON_FILEID:  {0, aRead, k64},
	wire.FATTR4_SUPPATTR_EXCLCREAT: {1, aRead, kBitmap},
	wire.FATTR4_CHANGE_ATTR_TYPE:   {2, aRead, k32},
	wire.FATTR4_XATTR_SUPPORT:      {2, aRead, kBool},
	wire.FATTR4_OPEN_ARGUMENTS:     {}, // sizes the table to every known number
}

// The masks of each minor version: supported (readable or writable),
// readable, writable, and suppattr_exclcreat.
var supported, readable, writable, exclcreat = func() (s, r, w, x [maxMinor + 1]mask) {
	for n, a := range table {
		if a.access == 0 {
			continue
		}
		for m := int(a.minor); m <= maxMinor; m++ {
			s[m].set(uint32(n))
			if a.access&aRead != 0 {
				r[m].set(uint32(n))
			}
			if a.access&aWrite != 0 {
				w[m].set(uint32(n))
			}
		}
	}
	// The store keeps the exclusive-create verifier apart from the
	// attributes, so EXCLUSIVE4_1 can set all that SETATTR can.
	x = w
	return
}()

func minorOf(c *Config) uint32 { return min(c.Minor, maxMinor) }

// Supported returns supported_attrs of minor version minor: exactly the
// attributes Encode answers (less the set-only time_access_set and
// time_modify_set) or Decode accepts. The result is a new slice.
func Supported(minor uint32) wire.Bitmap4 {
	return bitmapOf(&supported[min(minor, maxMinor)])
}

// Writable returns the attributes Decode accepts for minor version
// minor (SETATTR, CREATE, OPEN's createattrs).
func Writable(minor uint32) wire.Bitmap4 {
	return bitmapOf(&writable[min(minor, maxMinor)])
}

// ExclCreat returns suppattr_exclcreat: the attributes that OPEN with
// EXCLUSIVE4_1 may set (RFC 5661 §5.8.1.14), or nil before minor
// version 1.
func ExclCreat(minor uint32) wire.Bitmap4 {
	if minor < 1 {
		return nil
	}
	return bitmapOf(&exclcreat[min(minor, maxMinor)])
}

func bitmapOf(m *mask) wire.Bitmap4 {
	return wire.Bitmap4(append([]uint32(nil), m[:]...)).Trim()
}

// putMask encodes m as a bitmap4 without trailing zero words.
func putMask(e *xdr.Encoder, m *mask) {
	n := words
	for n > 0 && m[n-1] == 0 {
		n--
	}
	e.Uint32(uint32(n))
	for _, w := range m[:n] {
		e.Uint32(w)
	}
}

// WriteOnly reports whether want asks for an attribute that can be set
// but not read (time_access_set, time_modify_set): GETATTR and READDIR
// then fail with NFS4ERR_INVAL ("W means write-only (SETATTR may set,
// GETATTR may not retrieve)", RFC 8881 §5.6; Linux knfsd
// NFSD_WRITEONLY_ATTRS_WORD1).
func WriteOnly(want wire.Bitmap4, c *Config) bool {
	m := minorOf(c)
	for i := 0; i < words && i < len(want); i++ {
		if want[i]&writable[m][i]&^readable[m][i] != 0 {
			return true
		}
	}
	return false
}

// Encode appends to e a fattr4 of o: the bitmap of the attributes
// returned, want ∩ Supported(c.Minor) less the set-only
// time_access_set and time_modify_set, then the attrlist4 of their
// values in bit order. Unknown and unsupported bits of want, of any
// length, are dropped: the reply's bitmap tells the client which were
// answered (RFC 3530 §14.2.7). rdattr_error, if asked, is NFS4_OK.
// Encode does not allocate with the Numeric mapper.
func Encode(e *xdr.Encoder, want wire.Bitmap4, o *Object, c *Config) {
	m := minorOf(c)
	var got mask
	for i := 0; i < words && i < len(want); i++ {
		got[i] = want[i] & readable[m][i]
	}
	putMask(e, &got)
	lenAt := e.Len()
	e.Uint32(0)
	start := e.Len()
	st := stats{o: o}
	for w := range got {
		for b := got[w]; b != 0; b &= b - 1 {
			encodeOne(e, uint32(w*32+bits.TrailingZeros32(b)), o, c, m, &st)
		}
	}
	e.PutUint32At(lenAt, uint32(e.Len()-start))
}

// EncodeError appends the fattr4 of a READDIR entry whose attributes
// could not be read: rdattr_error alone, with status st (RFC 3530
// §5.5, §14.2.24). If want does not have rdattr_error it appends
// nothing and returns false: the caller then fails READDIR with st.
func EncodeError(e *xdr.Encoder, want wire.Bitmap4, st wire.Nfsstat4) (ok bool) {
	if !want.IsSet(wire.FATTR4_RDATTR_ERROR) {
		return false
	}
	e.Uint32(1)
	e.Uint32(1 << wire.FATTR4_RDATTR_ERROR)
	e.Uint32(4)
	e.Uint32(uint32(st))
	return true
}

// stats calls Object.Stat once, when first needed.
type stats struct {
	o    *Object
	st   store.FsStat
	done bool
}

func (s *stats) get() *store.FsStat {
	if !s.done {
		s.done = true
		if s.o.Stat != nil {
			s.st = s.o.Stat()
		}
	}
	return &s.st
}

// info returns o's FsInfo with zero figures replaced by the store's
// defaults (store.Options), and the pseudo-filesystem's booleans.
func info(o *Object) store.FsInfo {
	in := o.Info
	if in.MaxName == 0 {
		in.MaxName = 255
	}
	if in.MaxLink == 0 {
		in.MaxLink = 65000
	}
	if in.MaxFileSize == 0 {
		in.MaxFileSize = 1 << 62
	}
	if in.TimeDelta <= 0 {
		in.TimeDelta = time.Nanosecond
	}
	if o.Pseudo {
		in.CasePreserving, in.NoTrunc, in.ChownRestricted = true, true, true
	}
	return in
}

// ftype maps a store type to nfs_ftype4.
func ftype(t store.FileType) wire.NfsFtype4 {
	switch t {
	case store.TypeDir:
		return wire.NF4DIR
	case store.TypeSymlink:
		return wire.NF4LNK
	case store.TypeBlock:
		return wire.NF4BLK
	case store.TypeChar:
		return wire.NF4CHR
	case store.TypeSocket:
		return wire.NF4SOCK
	case store.TypeFIFO:
		return wire.NF4FIFO
	default:
		return wire.NF4REG
	}
}

// putTime encodes ns nanoseconds since the epoch as nfstime4, whose
// nseconds is never negative: -1 ns is {-1, 999999999}.
func putTime(e *xdr.Encoder, ns int64) {
	s, r := ns/1e9, ns%1e9
	if r < 0 {
		s--
		r += 1e9
	}
	e.Int64(s)
	e.Uint32(uint32(r))
}

// putDecimal encodes v as a decimal string without allocating.
func putDecimal(e *xdr.Encoder, v uint32) {
	var buf [10]byte
	b := strconv.AppendUint(buf[:0], uint64(v), 10)
	e.Uint32(uint32(len(b)))
	e.FixedOpaque(b)
}

// numeric reports whether c maps ids numerically.
func numeric(c *Config) bool {
	switch c.Mapper.(type) {
	case nil, Numeric, *Numeric:
		return true
	}
	return false
}

// encodeOne encodes the value of attribute n, a supported attribute of
// minor version m.
func encodeOne(e *xdr.Encoder, n uint32, o *Object, c *Config, m uint32, st *stats) {
	a := &o.Attr
	switch n {
	case wire.FATTR4_SUPPORTED_ATTRS:
		putMask(e, &supported[m])
	case wire.FATTR4_TYPE:
		e.Uint32(uint32(ftype(a.Type)))
	case wire.FATTR4_FH_EXPIRE_TYPE:
		e.Uint32(wire.FH4_PERSISTENT)
	case wire.FATTR4_CHANGE:
		e.Uint64(a.Change)
	case wire.FATTR4_SIZE:
		e.Uint64(a.Size)
	case wire.FATTR4_LINK_SUPPORT, wire.FATTR4_SYMLINK_SUPPORT, wire.FATTR4_UNIQUE_HANDLES,
		wire.FATTR4_CANSETTIME, wire.FATTR4_HOMOGENEOUS, wire.FATTR4_XATTR_SUPPORT:
		e.Bool(true)
	case wire.FATTR4_NAMED_ATTR:
		e.Bool(false)
	case wire.FATTR4_FSID:
		e.Uint64(o.Fsid.Major)
		e.Uint64(o.Fsid.Minor)
	case wire.FATTR4_LEASE_TIME:
		e.Uint32(c.LeaseTime)
	case wire.FATTR4_RDATTR_ERROR:
		e.Uint32(uint32(wire.NFS4_OK))
	case wire.FATTR4_ACLSUPPORT:
		e.Uint32(0)
	case wire.FATTR4_CASE_INSENSITIVE:
		e.Bool(info(o).CaseInsensitive)
	case wire.FATTR4_CASE_PRESERVING:
		e.Bool(info(o).CasePreserving)
	case wire.FATTR4_CHOWN_RESTRICTED:
		e.Bool(info(o).ChownRestricted)
	case wire.FATTR4_FILEHANDLE:
		e.Opaque(o.FH)
	case wire.FATTR4_FILEID:
		e.Uint64(a.ID)
	case wire.FATTR4_FILES_AVAIL:
		e.Uint64(st.get().AvailFiles)
	case wire.FATTR4_FILES_FREE:
		e.Uint64(st.get().FreeFiles)
	case wire.FATTR4_FILES_TOTAL:
		e.Uint64(st.get().TotalFiles)
	case wire.FATTR4_MAXFILESIZE:
		e.Uint64(info(o).MaxFileSize)
	case wire.FATTR4_MAXLINK:
		e.Uint32(info(o).MaxLink)
	case wire.FATTR4_MAXNAME:
		e.Uint32(info(o).MaxName)
	case wire.FATTR4_MAXREAD:
		e.Uint64(uint64(o.Info.MaxRead))
	case wire.FATTR4_MAXWRITE:
		e.Uint64(uint64(o.Info.MaxWrite))
	case wire.FATTR4_MODE:
		e.Uint32(a.Mode & store.ModeMask)
	case wire.FATTR4_NO_TRUNC:
		e.Bool(info(o).NoTrunc)
	case wire.FATTR4_NUMLINKS:
		e.Uint32(a.Nlink)
	case wire.FATTR4_OWNER:
		if numeric(c) {
			putDecimal(e, a.UID)
		} else {
			e.String(c.Mapper.User(a.UID))
		}
	case wire.FATTR4_OWNER_GROUP:
		if numeric(c) {
			putDecimal(e, a.GID)
		} else {
			e.String(c.Mapper.Group(a.GID))
		}
	case wire.FATTR4_RAWDEV:
		e.Uint32(a.Rdev.Major)
		e.Uint32(a.Rdev.Minor)
	case wire.FATTR4_SPACE_AVAIL:
		e.Uint64(st.get().AvailBytes)
	case wire.FATTR4_SPACE_FREE:
		e.Uint64(st.get().FreeBytes)
	case wire.FATTR4_SPACE_TOTAL:
		e.Uint64(st.get().TotalBytes)
	case wire.FATTR4_SPACE_USED:
		e.Uint64(a.Used)
	case wire.FATTR4_TIME_ACCESS:
		putTime(e, a.Atime)
	case wire.FATTR4_TIME_CREATE:
		putTime(e, a.Btime)
	case wire.FATTR4_TIME_DELTA:
		putTime(e, int64(info(o).TimeDelta))
	case wire.FATTR4_TIME_METADATA:
		putTime(e, a.Ctime)
	case wire.FATTR4_TIME_MODIFY:
		putTime(e, a.Mtime)
	case wire.FATTR4_MOUNTED_ON_FILEID:
		if o.MountedOnFileid != 0 {
			e.Uint64(o.MountedOnFileid)
		} else {
			e.Uint64(a.ID)
		}
	case wire.FATTR4_SUPPATTR_EXCLCREAT:
		putMask(e, &exclcreat[m])
	case wire.FATTR4_CHANGE_ATTR_TYPE:
		// store.Attr.Change is incremented on every change and never
		// goes back (RFC 7862 §12.2.3).
		e.Uint32(uint32(wire.NFS4_CHANGE_TYPE_IS_MONOTONIC_INCR))
	}
}

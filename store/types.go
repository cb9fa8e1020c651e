package store

import "time"

// FileType is the kind of a node.
type FileType uint8

// The node types. The zero value is not a valid type.
const (
	TypeRegular FileType = iota + 1
	TypeDir
	TypeSymlink
	TypeBlock // block device
	TypeChar  // character device
	TypeSocket
	TypeFIFO
	typeLimit
)

var typeNames = [...]string{"invalid", "regular", "dir", "symlink", "block", "char", "socket", "fifo"}

func (t FileType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// Mode bits beyond the nine permission bits. Attr.Mode holds only these and
// the permission bits (mask 07777); the type is in Attr.Type.
const (
	ModeSetuid uint32 = 0o4000
	ModeSetgid uint32 = 0o2000
	ModeSticky uint32 = 0o1000
	ModePerm   uint32 = 0o777
	ModeMask   uint32 = 0o7777
)

// Cred is the caller's credential, passed explicitly to every operation.
// Squashing (root or all to an anonymous id) is decided by the protocol
// before the call; how the store treats UID 0 is Options.Root. Pass it by
// pointer; the store never keeps or modifies it.
type Cred struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups; GID need not be repeated
}

// InGroup reports whether gid is the caller's primary or a supplementary group.
func (c *Cred) InGroup(gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// RootPolicy says how the store treats a Cred whose UID is 0.
type RootPolicy uint8

const (
	// RootPrivileged gives UID 0 the POSIX capabilities of a superuser:
	// it passes read/write/search checks (execute of a regular file still
	// needs one x bit), may chown and chmod anything, set any times, make
	// device nodes, and ignores sticky directories.
	RootPrivileged RootPolicy = iota
	// RootOrdinary treats UID 0 like any other user. Use it when a
	// protocol cannot squash and must not let root through.
	RootOrdinary
)

// Handle is the store's identity of a node: an id that is never reused and a
// generation chosen at random when the node is made. Protocols embed both in
// their own file handle bytes and get the node back with FS.Resolve; a handle
// of a deleted node resolves to ErrStale.
type Handle struct {
	ID  uint64
	Gen uint64
}

// IsZero reports whether h is the zero handle (no node).
func (h Handle) IsZero() bool { return h.ID == 0 }

// Dev is a device number of a block or character device.
type Dev struct{ Major, Minor uint32 }

// Attr is the attributes of a node. Times are nanoseconds since the Unix
// epoch.
type Attr struct {
	Type   FileType
	Mode   uint32 // permission and setuid/setgid/sticky bits (ModeMask)
	Nlink  uint32
	UID    uint32
	GID    uint32
	Size   uint64 // bytes; a symlink's target length; see docs for dirs
	Used   uint64 // bytes of the file mapped to stored or allocated extents
	Rdev   Dev
	ID     uint64 // fileid; equals Handle().ID
	Gen    uint64
	Atime  int64
	Mtime  int64
	Ctime  int64
	Btime  int64  // birth (creation) time
	Change uint64 // incremented on every change of data or metadata (NFSv4 change)
}

// Handle returns the handle of the node the attributes describe.
func (a *Attr) Handle() Handle { return Handle{ID: a.ID, Gen: a.Gen} }

// AtimeT, MtimeT, CtimeT and BtimeT return the times as time.Time.
func (a *Attr) AtimeT() time.Time { return time.Unix(0, a.Atime) }
func (a *Attr) MtimeT() time.Time { return time.Unix(0, a.Mtime) }
func (a *Attr) CtimeT() time.Time { return time.Unix(0, a.Ctime) }
func (a *Attr) BtimeT() time.Time { return time.Unix(0, a.Btime) }

// SetMask selects the fields of a SetAttr to apply.
type SetMask uint32

const (
	SetMode     SetMask = 1 << iota // Mode (ModeMask bits)
	SetUID                          // UID
	SetGID                          // GID
	SetSize                         // Size: truncate or extend (regular files only)
	SetAtime                        // Atime to the given value
	SetAtimeNow                     // Atime to the server's clock
	SetMtime                        // Mtime to the given value
	SetMtimeNow                     // Mtime to the server's clock
	SetBtime                        // Btime to the given value (SMB)
	// SetCtimeGuard makes the operation fail with ErrNotSync unless the
	// node's ctime equals Guard (NFSv3 sattrguard3).
	SetCtimeGuard
)

// SetAttr is the change requested by SetAttr and the initial attributes of
// Create, Mkdir, Symlink and Mknod. Only the fields selected by Mask apply.
type SetAttr struct {
	Mask  SetMask
	Mode  uint32
	UID   uint32
	GID   uint32
	Size  uint64
	Atime int64
	Mtime int64
	Btime int64
	Guard int64 // ctime the node must have, with SetCtimeGuard
}

// CreateMode is how Create treats an existing name (NFSv3 createmode3,
// NFSv4 createmode4).
type CreateMode uint8

const (
	// CreateUnchecked returns an existing regular file of the name (applying
	// SetSize if asked) instead of failing.
	CreateUnchecked CreateMode = iota
	// CreateGuarded fails with ErrExist when the name exists.
	CreateGuarded
	// CreateExclusive stores the verifier with the new file; a retransmitted
	// create of the same name with the same verifier returns the file, any
	// other existing name fails with ErrExist.
	CreateExclusive
)

// Verifier is an 8-byte verifier (exclusive create, write, cookie).
type Verifier [8]byte

// Access bits for FS.Access.
const (
	AccessRead  uint32 = 4
	AccessWrite uint32 = 2
	AccessExec  uint32 = 1 // execute a file, search a directory
)

// Stability is how durable a write must be before WriteAt returns.
type Stability uint8

const (
	// Unstable writes may stay in memory until Commit, a later stable
	// write, eviction or Close. A restart loses them; the write verifier
	// changes so clients know to resend.
	Unstable Stability = iota
	// DataSync and FileSync writes are on stable storage, data and
	// metadata, before WriteAt returns (the store does not distinguish
	// the two).
	DataSync
	FileSync
)

// Whence selects what FS.Seek looks for.
type Whence uint8

const (
	SeekData Whence = iota // the next byte of data at or after the offset
	SeekHole               // the next hole at or after the offset (EOF is one)
)

// XattrFlag controls SetXattr.
type XattrFlag uint8

const (
	XattrCreate  XattrFlag = 1 << iota // fail with ErrExist if it exists
	XattrReplace                       // fail with ErrNoXattr if it is absent
)

// DirEntry is one entry of FS.ReadDir. Attr is filled only when ReadDir is
// asked for attributes.
type DirEntry struct {
	Name   string
	Cookie uint64
	Handle Handle
	Type   FileType
	Attr   Attr
}

// FsStat is the dynamic figures of a file system (NFS FSSTAT, statfs).
type FsStat struct {
	TotalBytes, FreeBytes, AvailBytes uint64
	TotalFiles, FreeFiles, AvailFiles uint64
	UsedBytes                         uint64 // bytes of stored blocks, after dedup
	Files                             uint64 // nodes in use
}

// FsInfo is the static figures of a file system (NFS FSINFO, PATHCONF).
type FsInfo struct {
	MaxRead, PrefRead   uint32
	MaxWrite, PrefWrite uint32
	PrefReadDir         uint32
	MaxFileSize         uint64
	MaxName             uint32
	MaxLink             uint32
	MaxSymlink          uint32
	MaxXattrSize        uint32
	TimeDelta           time.Duration // granularity of stored times
	BlockSize           uint32
	CaseInsensitive     bool
	CasePreserving      bool
	NoTrunc             bool // names longer than MaxName are refused, not cut
	ChownRestricted     bool
}

// Wcc is a node's attributes just before and just after an operation
// changed it, both read inside the operation's transaction, so that no
// other change comes between them: what NFSv3 wcc_data and an atomic
// NFSv4 change_info4 report. The operations that change a node return it:
// WriteAt and SetAttr for the node itself; Create, Mkdir, Symlink, Mknod,
// Remove, Rmdir, Link and Rename for the directory (or directories) whose
// entries changed. It is the zero Wcc when the operation fails.
type Wcc struct {
	Before, After Attr
}

// before records n as the directory before the change (w may be nil).
func (w *Wcc) before(n *inode) {
	if w != nil {
		n.attr(&w.Before)
	}
}

// after records n as the directory after the change (w may be nil).
func (w *Wcc) after(n *inode) {
	if w != nil {
		n.attr(&w.After)
	}
}

package fscc

import "github.com/dittofs/dittofs/smb/internal/wire"

// FILE_NOTIFY_INFORMATION actions (MS-FSCC §2.7.1).
const (
	FILE_ACTION_ADDED                  = 0x00000001
	FILE_ACTION_REMOVED                = 0x00000002
	FILE_ACTION_MODIFIED               = 0x00000003
	FILE_ACTION_RENAMED_OLD_NAME       = 0x00000004
	FILE_ACTION_RENAMED_NEW_NAME       = 0x00000005
	FILE_ACTION_ADDED_STREAM           = 0x00000006
	FILE_ACTION_REMOVED_STREAM         = 0x00000007
	FILE_ACTION_MODIFIED_STREAM        = 0x00000008
	FILE_ACTION_REMOVED_BY_DELETE      = 0x00000009
	FILE_ACTION_ID_NOT_TUNNELLED       = 0x0000000A
	FILE_ACTION_TUNNELLED_ID_COLLISION = 0x0000000B
)

// Notify is one change of a CHANGE_NOTIFY response: an action and the
// name, relative to the watched directory.
type Notify struct {
	Action uint32
	Name   string
}

// EncodeNotify appends FILE_NOTIFY_INFORMATION entries (MS-FSCC §2.7.1),
// each 4-byte aligned relative to the first, as long as they fit in max
// bytes, and returns how many it appended. When not all fit, a server
// answers STATUS_NOTIFY_ENUM_DIR with no data instead (MS-SMB2
// §3.3.4.4).
func EncodeNotify(e *wire.Encoder, changes []Notify, max int) int {
	l := list{e: e, start: e.Len(), last: -1}
	for i, c := range changes {
		n := wire.UTF16Len(c.Name)
		pad := 0
		if i > 0 {
			pad = -(e.Len() - l.start) & 3
		}
		if e.Len()-l.start+pad+12+n > max {
			return i
		}
		l.begin(4)
		e.Uint32(0)
		e.Uint32(c.Action)
		e.Uint32(uint32(n))
		e.UTF16(c.Name)
	}
	return len(changes)
}

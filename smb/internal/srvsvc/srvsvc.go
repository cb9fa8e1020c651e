package srvsvc

import "strings"

// Share types (MS-SRVS §2.2.2.4) and share flags (§2.2.4.29).
const (
	STYPE_DISKTREE              = 0x00000000
	STYPE_IPC                   = 0x00000003
	STYPE_SPECIAL               = 0x80000000
	SHI1005_FLAGS_ENCRYPT_DATA  = 0x00008000
	opNetrShareEnum             = 15
	opNetrShareGetInfo          = 16
	errorInvalidLevel           = 124  // ERROR_INVALID_LEVEL
	nerrNetNameNotFound         = 2310 // NERR_NetNameNotFound
	maxPreferredLength          = 0xFFFFFFFF
	unlimitedUses               = 0xFFFFFFFF
	shareInfoPermissionsDefault = 0 // shi2_permissions: ignored by servers in user-level security
)

// Share is one share as srvsvc describes it.
type Share struct {
	Name    string // shi*_netname
	Type    uint32 // STYPE_*
	Comment string // shi*_remark
	Path    string // shi2_path: the local path
	Flags   uint32 // shi501_flags / shi1005_flags
}

// invoke runs opnum on the reassembled stub; a non-zero status is a
// fault.
func (p *Pipe) invoke(opnum uint16, stub []byte) ([]byte, uint32) {
	switch opnum {
	case opNetrShareEnum:
		return p.shareEnum(stub)
	case opNetrShareGetInfo:
		return p.shareGetInfo(stub)
	}
	return nil, ncaOpRangeError
}

// levelOK reports whether level is one this server encodes.
func levelOK(level uint32, enum bool) bool {
	switch level {
	case 0, 1, 2, 501, 502:
		return true
	case 1005:
		return !enum // there is no SHARE_INFO_1005 container
	}
	return false
}

// putInfo writes the fixed part of a SHARE_INFO_<level> (MS-SRVS
// §2.2.4.22-2.2.4.29; 502 with no security descriptor): its pointers and integers.
func putInfo(w *ndrWriter, level uint32, s *Share) {
	if level == 1005 {
		w.u32(s.Flags)
		return
	}
	w.ptr(true) // netname
	if level == 0 {
		return
	}
	w.u32(s.Type)
	w.ptr(true) // remark
	switch level {
	case 2, 502:
		w.u32(shareInfoPermissionsDefault)
		w.u32(unlimitedUses)
		w.u32(0)     // current uses
		w.ptr(true)  // path
		w.ptr(false) // passwd
		if level == 502 {
			w.u32(0)     // shi502_reserved: the descriptor's length
			w.ptr(false) // shi502_security_descriptor: none
		}
	case 501:
		w.u32(s.Flags)
	}
}

// putDeferred writes the strings putInfo's pointers refer to, in order.
func putDeferred(w *ndrWriter, level uint32, s *Share) {
	if level == 1005 {
		return
	}
	w.str(s.Name)
	if level == 0 {
		return
	}
	w.str(s.Comment)
	if level == 2 || level == 502 {
		w.str(s.Path)
	}
}

// shareEnum is NetrShareEnum (MS-SRVS §3.1.4.8):
//
//	[in,string,unique] SRVSVC_HANDLE ServerName,
//	[in,out] LPSHARE_ENUM_STRUCT InfoStruct,
//	[in] DWORD PreferedMaximumLength,
//	[out] DWORD* TotalEntries,
//	[in,out,unique] DWORD* ResumeHandle
//
// Every share fits in one reply (as for MAX_PREFERRED_LENGTH): the
// listing of an export table is short. A resume handle starts the list at
// that index and comes back 0.
func (p *Pipe) shareEnum(stub []byte) ([]byte, uint32) {
	r := &ndrReader{b: stub}
	r.uniqueStr()
	level := r.u32()
	if sw := r.u32(); sw != level {
		return nil, faultBadStub
	}
	if r.u32() != 0 { // the container
		r.u32() // EntriesRead
		if r.u32() != 0 {
			return nil, faultBadStub // clients send no entries in
		}
	}
	r.u32() // PreferedMaximumLength
	var resume uint32
	hasResume := r.u32() != 0
	if hasResume {
		resume = r.u32()
	}
	if r.err != nil {
		return nil, faultBadStub
	}
	shares := p.shares()
	w := &ndrWriter{}
	w.u32(level)
	w.u32(level)
	werr := uint32(0)
	total := uint32(len(shares))
	if !levelOK(level, true) {
		w.ptr(false)
		werr, total = errorInvalidLevel, 0
	} else {
		if int64(resume) < int64(len(shares)) {
			shares = shares[resume:]
		} else {
			shares = nil
		}
		w.ptr(true) // the container
		w.u32(uint32(len(shares)))
		w.ptr(true)                // Buffer
		w.u32(uint32(len(shares))) // conformant array: max count
		for i := range shares {
			putInfo(w, level, &shares[i])
		}
		for i := range shares {
			putDeferred(w, level, &shares[i])
		}
	}
	w.u32(total)
	if hasResume {
		w.ptr(true)
		w.u32(0)
	} else {
		w.ptr(false)
	}
	w.u32(werr)
	return w.b, 0
}

// shareGetInfo is NetrShareGetInfo (MS-SRVS §3.1.4.10):
//
//	[in,string,unique] SRVSVC_HANDLE ServerName,
//	[in,string] WCHAR* NetName,
//	[in] DWORD Level,
//	[out, switch_is(Level)] LPSHARE_INFO InfoStruct
//
// Share names compare without regard to case.
func (p *Pipe) shareGetInfo(stub []byte) ([]byte, uint32) {
	r := &ndrReader{b: stub}
	r.uniqueStr()
	name := r.str()
	level := r.u32()
	if r.err != nil {
		return nil, faultBadStub
	}
	w := &ndrWriter{}
	w.u32(level)
	var found *Share
	shares := p.shares()
	for i := range shares {
		if strings.EqualFold(shares[i].Name, name) {
			found = &shares[i]
			break
		}
	}
	switch {
	case !levelOK(level, false):
		w.ptr(false)
		w.u32(errorInvalidLevel)
	case found == nil:
		w.ptr(false)
		w.u32(nerrNetNameNotFound)
	default:
		w.ptr(true)
		putInfo(w, level, found)
		putDeferred(w, level, found)
		w.u32(0)
	}
	return w.b, 0
}

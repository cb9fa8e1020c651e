package fscc

import (
	"errors"
	"time"
)

// Errors of the SET_INFO decoders.
var (
	// ErrInfoLength means a buffer is shorter than its information
	// class's structure; a server answers STATUS_INFO_LENGTH_MISMATCH
	// (MS-SMB2 §3.3.5.21.1, MS-FSA §2.1.5.15).
	ErrInfoLength = errors.New("fscc: buffer too short for the information class")
	// ErrEAList means a FILE_FULL_EA_INFORMATION list is malformed; a
	// server answers STATUS_EA_LIST_INCONSISTENT (MS-FSA §2.1.5.15.4).
	ErrEAList = errors.New("fscc: inconsistent EA list")
)

// filetimeEpoch is the Unix epoch as a FILETIME: 100-nanosecond intervals
// since 1601-01-01 UTC (MS-DTYP §2.3.3).
const filetimeEpoch = 116444736000000000

// Filetime converts t to a FILETIME (MS-DTYP §2.3.3). The zero time.Time
// gives 0, which SMB2 uses for "no time"; times before 1601 give 0 too.
func Filetime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	// Seconds since 1601 must fit the 100 ns counter: about 29,000 years.
	const maxSec = (1<<63 - 1 - filetimeEpoch) / 10000000
	if s < -filetimeEpoch/10000000 {
		return 0
	}
	if s > maxSec {
		return 1<<63 - 1
	}
	return uint64(s*10000000 + int64(t.Nanosecond())/100 + filetimeEpoch)
}

// Time converts a FILETIME to a time.Time in UTC, with 100 ns resolution.
// 0 gives the zero time.Time. Values above the signed 64-bit range (the
// special -1 and -2 of SET_INFO, §2.4.7) are the caller's to check first.
func Time(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	v := int64(ft) - filetimeEpoch
	return time.Unix(v/10000000, (v%10000000)*100).UTC()
}

// Special FileBasicInformation time values in SET_INFO (MS-FSCC §2.4.7).
const (
	// TimeNoChange (0) leaves the time as it is.
	TimeNoChange = 0
	// TimeStopUpdates (-1) stops the server updating the time for the
	// rest of the open's life.
	TimeStopUpdates = -1
	// TimeResumeUpdates (-2) undoes TimeStopUpdates.
	TimeResumeUpdates = -2
)

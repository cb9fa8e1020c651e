// Package clock is the one source of time of the packages that keep time
// (store, locking, state, nlm, rpc/portmap): each takes a Clock field,
// nil meaning the system clock. Its method set uses only standard types,
// so a test or an embedder outside the module can implement it (or use
// testing/synctest with the system clock).
package clock

import "time"

// Clock is a source of time and timers.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d, as
	// time.AfterFunc does.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a timer started by Clock.AfterFunc; *time.Timer is one.
type Timer = interface{ Stop() bool }

// System is the system clock.
type System struct{}

func (System) Now() time.Time                            { return time.Now() }
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Or returns c, or System when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return System{}
	}
	return c
}

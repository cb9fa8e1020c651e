// Package ratelog rate-limits log lines that the network can trigger at
// will: a malformed call, a failed authentication, a store failure on a
// hostile request. Each kind of line (its message) gets at most one line
// per interval; the lines in between are counted, and the next line of the
// kind that gets through carries that count as "suppressed".
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultInterval is the interval of a Limiter whose Interval is zero.
const DefaultInterval = time.Second

// maxKinds bounds the kinds a Limiter tracks; kinds are log messages,
// constants in the code, so this is never reached in practice. Past it,
// every new kind shares one entry.
const maxKinds = 256

// overflow is the kind that new kinds share past maxKinds.
const overflow = "\x00overflow"

// A Limiter lets at most one log line of each kind through per Interval
// and counts the others. Its zero value is ready to use (one line a second
// per kind); it is safe for concurrent use and must not be copied after
// first use.
type Limiter struct {
	// Interval is the least time between two lines of one kind
	// (DefaultInterval when zero).
	Interval time.Duration
	// Now, when not nil, replaces time.Now (for tests).
	Now func() time.Time

	suppressed atomic.Uint64
	mu         sync.Mutex
	kinds      map[string]*kind
}

type kind struct {
	last    time.Time
	pending int // lines suppressed since last
}

// Allow reports whether a line of kind k may be written now and, when it
// may, how many lines of k were suppressed since the last one.
func (l *Limiter) Allow(k string) (suppressed int, ok bool) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	t := now()
	iv := l.Interval
	if iv <= 0 {
		iv = DefaultInterval
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kinds == nil {
		l.kinds = make(map[string]*kind)
	}
	e := l.kinds[k]
	if e == nil {
		if len(l.kinds) >= maxKinds {
			k = overflow
			e = l.kinds[k]
		}
		if e == nil {
			l.kinds[k] = &kind{last: t}
			return 0, true
		}
	}
	if t.Sub(e.last) < iv {
		e.pending++
		l.suppressed.Add(1)
		return 0, false
	}
	n := e.pending
	e.last, e.pending = t, 0
	return n, true
}

// Log writes a line at level through lg unless a line with the same msg
// went through less than Interval ago; then it only counts it. A line
// that follows suppressed ones carries "suppressed" with their number.
// Lines below lg's level are neither written nor counted.
func (l *Limiter) Log(ctx context.Context, lg *slog.Logger, level slog.Level, msg string, args ...any) {
	if !lg.Enabled(ctx, level) {
		return
	}
	n, ok := l.Allow(msg)
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	lg.Log(ctx, level, msg, args...)
}

// Debug, Info, Warn and Error are Log at their level with a background
// context.
func (l *Limiter) Debug(lg *slog.Logger, msg string, args ...any) {
	l.Log(context.Background(), lg, slog.LevelDebug, msg, args...)
}

// Info logs at slog.LevelInfo; see Log.
func (l *Limiter) Info(lg *slog.Logger, msg string, args ...any) {
	l.Log(context.Background(), lg, slog.LevelInfo, msg, args...)
}

// Warn logs at slog.LevelWarn; see Log.
func (l *Limiter) Warn(lg *slog.Logger, msg string, args ...any) {
	l.Log(context.Background(), lg, slog.LevelWarn, msg, args...)
}

// Error logs at slog.LevelError; see Log.
func (l *Limiter) Error(lg *slog.Logger, msg string, args ...any) {
	l.Log(context.Background(), lg, slog.LevelError, msg, args...)
}

// Suppressed returns how many lines the Limiter has suppressed in all.
func (l *Limiter) Suppressed() uint64 { return l.suppressed.Load() }

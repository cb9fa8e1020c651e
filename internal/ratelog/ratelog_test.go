package ratelog

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLimiterPerKind(t *testing.T) {
	now := time.Unix(1000, 0)
	l := &Limiter{Interval: time.Second, Now: func() time.Time { return now }}
	var buf bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&buf, nil))
	for range 100 {
		l.Warn(lg, "kind a", "i", 1)
		l.Warn(lg, "kind b")
	}
	if got := strings.Count(buf.String(), "\n"); got != 2 {
		t.Fatalf("%d lines in the first interval, want one per kind:\n%s", got, buf.String())
	}
	if l.Suppressed() != 198 {
		t.Fatalf("Suppressed() = %d, want 198", l.Suppressed())
	}
	buf.Reset()
	now = now.Add(time.Second)
	l.Warn(lg, "kind a")
	if !strings.Contains(buf.String(), "suppressed=99") {
		t.Fatalf("line after the interval does not carry the count: %q", buf.String())
	}
	buf.Reset()
	l.Warn(lg, "kind a")
	if buf.Len() != 0 {
		t.Fatalf("second line within the interval written: %q", buf.String())
	}
}

func TestLimiterBelowLevelNotCounted(t *testing.T) {
	var l Limiter
	var buf bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for range 10 {
		l.Debug(lg, "quiet")
	}
	if buf.Len() != 0 || l.Suppressed() != 0 {
		t.Fatalf("debug lines: %q, suppressed %d", buf.String(), l.Suppressed())
	}
}

func TestLimiterBoundedKinds(t *testing.T) {
	var l Limiter
	for i := range 10 * maxKinds {
		l.Allow(fmt.Sprint(i))
	}
	if len(l.kinds) > maxKinds+1 {
		t.Fatalf("%d kinds tracked", len(l.kinds))
	}
}

func TestLimiterConcurrent(t *testing.T) {
	var l Limiter
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if _, ok := l.Allow("k"); ok {
					mu.Lock()
					passed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if uint64(passed)+l.Suppressed() != 8000 {
		t.Fatalf("passed %d + suppressed %d != 8000", passed, l.Suppressed())
	}
}

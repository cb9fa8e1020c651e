package rpc

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestReplyBudgetProgress: calls that take several payload buffers, more
// than the per-connection and total reply limits hold together, all
// complete (a call holding bytes never waits for more), and the gauge
// returns to zero.
func TestReplyBudgetProgress(t *testing.T) {
	const part = 300 << 10
	m := NewServeMux()
	m.Handle(testProg, testVers, Procs{0: func(_ context.Context, w *ReplyWriter, _ *Call) {
		for range 3 {
			p := w.Buffer(part)
			w.Encoder().Uint32(part)
			w.Data(p)
		}
	}})
	srv := &Server{Handler: m, MaxReplyBytesPerConn: 1 << 20, MaxReplyBytes: 2 << 20}
	tcp, _ := testServer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 4 {
		c := dial(t, "tcp", tcp)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- c.Call(ctx, testProg, testVers, 0, nil, nil)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := srv.Stats()
	if st.ReplyBytes != 0 {
		t.Errorf("ReplyBytes %d after every reply was sent", st.ReplyBytes)
	}
	if st.ReplyWaits == 0 {
		t.Error("no call waited for reply room; the test does not exercise the limit")
	}
	// One call's three buffers may pass the total, but only a call that
	// found room for its first one takes more.
	if limit := int64(2<<20 + 4*3*(part+replySlack)); st.ReplyBytesPeak > limit {
		t.Errorf("ReplyBytesPeak %d, want at most %d", st.ReplyBytesPeak, limit)
	}
}

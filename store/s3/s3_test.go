package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dittofs/dittofs/store"
	s3store "github.com/dittofs/dittofs/store/s3"
	"github.com/dittofs/dittofs/store/s3/s3test"
	"github.com/dittofs/dittofs/store/storetest"
)

func open(t testing.TB, o s3store.Options) *s3store.Blocks {
	t.Helper()
	b, err := s3store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// conformance runs storetest.Blocks with one prefix of the server's bucket
// per subtest, so that each starts empty.
func conformance(t *testing.T, srv *s3test.Server) {
	var mu sync.Mutex
	prefixes := map[store.Blocks]string{}
	n := 0
	// openAt opens a store on prefix ("": a new one) and remembers it.
	openAt := func(t *testing.T, prefix string) store.Blocks {
		mu.Lock()
		if prefix == "" {
			n++
			prefix = fmt.Sprintf("t%d/", n)
		}
		mu.Unlock()
		b := open(t, srv.Options(prefix))
		mu.Lock()
		prefixes[b] = prefix
		mu.Unlock()
		return b
	}
	storetest.Blocks(t, func(t *testing.T) store.Blocks { return openAt(t, "") }, storetest.BlocksOptions{
		Reopen: func(t *testing.T, old store.Blocks) store.Blocks {
			if err := old.(*s3store.Blocks).Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			mu.Lock()
			prefix := prefixes[old]
			mu.Unlock()
			return openAt(t, prefix)
		},
		Timeout: 30 * time.Second,
	})
}

func TestConformanceGofakes3(t *testing.T) { conformance(t, s3test.Fake(t, nil)) }

// TestConformanceVersitygw runs the suite against a real S3 server that
// checks SigV4 signatures.
func TestConformanceVersitygw(t *testing.T) { conformance(t, s3test.Versitygw(t)) }

func id(s string) store.BlockID {
	var b store.BlockID
	copy(b[:], s)
	return b
}

// TestWalkPages stores more blocks than one ListObjectsV2 page holds (1000)
// and deletes every one from inside Walk, as garbage collection does; keys
// under the prefix that are not blocks are left alone, and another
// prefix's blocks are not seen.
func TestWalkPages(t *testing.T) {
	srv := s3test.Fake(t, nil)
	b := open(t, srv.Options("gc/"))
	other := open(t, srv.Options("other/"))
	ctx := context.Background()
	const n = 1100
	for i := range n {
		if err := b.Put(ctx, id(fmt.Sprint(i)), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Put(ctx, id("x"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("gc/README"), Body: strings.NewReader("not a block")}); err != nil {
		t.Fatal(err)
	}
	seen := map[store.BlockID]bool{}
	err := b.Walk(ctx, func(bid store.BlockID) error {
		if seen[bid] {
			t.Errorf("Walk visited %s twice", bid)
		}
		seen[bid] = true
		return b.Delete(ctx, bid)
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if len(seen) != n {
		t.Fatalf("Walk visited %d blocks, want %d", len(seen), n)
	}
	keys := srv.Keys(t, "")
	if len(keys) != 2 || keys[0] != "gc/README" || !strings.HasPrefix(keys[1], "other/") {
		t.Fatalf("bucket after GC holds %q, want gc/README and other's block", keys)
	}
}

// faults is a handler in front of gofakes3 that answers the first fail
// requests with an S3 error.
type faults struct {
	next     http.Handler
	fail     atomic.Int32
	status   int
	code     string
	requests atomic.Int32
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if f.fail.Add(-1) >= 0 {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(f.status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, f.code)
		return
	}
	f.next.ServeHTTP(w, r)
}

// TestRetries: 503 SlowDown (throttling), 500 InternalError and 429 are
// retried with backoff until the request succeeds; a request that keeps
// failing gives up after MaxAttempts with the server's error.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{http.StatusServiceUnavailable, "SlowDown"},
		{http.StatusInternalServerError, "InternalError"},
		{http.StatusServiceUnavailable, "ServiceUnavailable"},
		{http.StatusTooManyRequests, "TooManyRequests"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			f := &faults{status: tc.status, code: tc.code}
			srv := s3test.Fake(t, func(h http.Handler) http.Handler { f.next = h; return f })
			o := srv.Options("r/")
			o.MaxAttempts = 5
			o.MaxBackoff = time.Millisecond
			b := open(t, o)
			ctx := context.Background()
			data := bytes.Repeat([]byte("retry"), 1000)

			f.fail.Store(3)
			f.requests.Store(0)
			if err := b.Put(ctx, id("a"), data); err != nil {
				t.Fatalf("Put after 3 %s: %v", tc.code, err)
			}
			if got := f.requests.Load(); got != 4 {
				t.Errorf("Put took %d requests, want 4 (3 failures and a success)", got)
			}
			f.fail.Store(3)
			p := make([]byte, len(data))
			if n, err := b.ReadAt(ctx, id("a"), p, 0); err != nil || !bytes.Equal(p[:n], data) {
				t.Fatalf("ReadAt after 3 %s: %d, %v", tc.code, n, err)
			}
			f.fail.Store(3)
			if err := b.Walk(ctx, func(store.BlockID) error { return nil }); err != nil {
				t.Fatalf("Walk after 3 %s: %v", tc.code, err)
			}
			f.fail.Store(3)
			if err := b.Delete(ctx, id("a")); err != nil {
				t.Fatalf("Delete after 3 %s: %v", tc.code, err)
			}

			f.fail.Store(100)
			f.requests.Store(0)
			err := b.Put(ctx, id("b"), data)
			if err == nil || !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("Put against a server that keeps failing: %v, want an error naming %s", err, tc.code)
			}
			if got := f.requests.Load(); got != 5 {
				t.Errorf("Put gave up after %d requests, want MaxAttempts = 5", got)
			}
		})
	}
}

// TestNoRetryOnClientError: a 403 is not retried.
func TestNoRetryOnClientError(t *testing.T) {
	f := &faults{status: http.StatusForbidden, code: "AccessDenied"}
	srv := s3test.Fake(t, func(h http.Handler) http.Handler { f.next = h; return f })
	b := open(t, srv.Options("r/"))
	f.fail.Store(100)
	f.requests.Store(0)
	err := b.Put(context.Background(), id("a"), []byte("x"))
	if store.CodeOf(err) != store.CodeAccess {
		t.Fatalf("Put answered 403: %v (code %v), want CodeAccess", err, store.CodeOf(err))
	}
	if got := f.requests.Load(); got != 1 {
		t.Fatalf("a 403 was sent %d times, want once", got)
	}
}

// TestCancel: a request the server does not answer returns the context's
// error when the context is canceled, and is not retried.
func TestCancel(t *testing.T) {
	arrived := make(chan struct{}, 10)
	var hang atomic.Bool
	end := make(chan struct{})
	srv := s3test.Fake(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hang.Load() {
				// Read the body so that the server notices the client
				// going away.
				io.Copy(io.Discard, r.Body)
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-end:
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	t.Cleanup(func() { close(end) }) // before the server's Close
	b := open(t, srv.Options("c/"))
	if err := b.Put(context.Background(), id("a"), []byte("data")); err != nil {
		t.Fatal(err)
	}
	hang.Store(true)
	for _, op := range []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"Put", func(ctx context.Context) error { return b.Put(ctx, id("b"), []byte("x")) }},
		{"ReadAt", func(ctx context.Context) error { _, err := b.ReadAt(ctx, id("a"), make([]byte, 4), 0); return err }},
		{"Delete", func(ctx context.Context) error { return b.Delete(ctx, id("a")) }},
		{"Walk", func(ctx context.Context) error { return b.Walk(ctx, func(store.BlockID) error { return nil }) }},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- op.fn(ctx) }()
		<-arrived
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("%s canceled while the server was silent: %v, want context.Canceled", op.name, err)
		}
	}
}

// TestVersitygwErrors: against a server that checks signatures, a missing
// block is ErrNotFound, and wrong credentials or a missing bucket make
// Open fail with an error that says so.
func TestVersitygwErrors(t *testing.T) {
	srv := s3test.Versitygw(t)
	ctx := context.Background()
	b := open(t, srv.Options("e/"))
	if _, err := b.ReadAt(ctx, id("missing"), make([]byte, 8), 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadAt of a missing block: %v, want ErrNotFound", err)
	}
	if _, err := b.ReadAt(ctx, id("missing"), nil, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("empty ReadAt of a missing block: %v, want ErrNotFound", err)
	}

	o := srv.Options("e/")
	o.SecretKey = "wrong" + o.SecretKey
	_, err := s3store.Open(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "access denied: check the credentials") || store.CodeOf(err) != store.CodeAccess {
		t.Errorf("Open with a wrong secret key: %v (code %v), want an access-denied error naming the credentials", err, store.CodeOf(err))
	}
	o = srv.Options("e/")
	o.AccessKey = "nobody"
	if _, err := s3store.Open(ctx, o); err == nil || store.CodeOf(err) != store.CodeAccess {
		t.Errorf("Open with an unknown access key: %v, want an access-denied error", err)
	}
	o = srv.Options("e/")
	o.Bucket = "no-such-bucket"
	if _, err := s3store.Open(ctx, o); err == nil || !strings.Contains(err.Error(), "no such bucket") {
		t.Errorf("Open of a missing bucket: %v, want 'no such bucket'", err)
	}
}

// TestOpenNeedsBucket: an empty bucket name is refused before any request.
func TestOpenNeedsBucket(t *testing.T) {
	if _, err := s3store.Open(context.Background(), s3store.Options{}); store.CodeOf(err) != store.CodeInvalid {
		t.Fatalf("Open without a bucket: %v, want CodeInvalid", err)
	}
}

func BenchmarkBlocksGofakes3(b *testing.B) {
	srv := s3test.Fake(b, nil)
	storetest.BenchmarkBlocks(b, func(b *testing.B) store.Blocks { return open(b, srv.Options(b.Name()+"/")) })
}

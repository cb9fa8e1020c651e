// Package s3test runs S3-compatible servers for tests, on loopback:
//
//   - Fake: gofakes3 with its in-memory backend, in-process, behind an
//     httptest server (fast; does not check signatures). A wrap function
//     can put a fault-injecting handler in front of it.
//   - Versitygw: the versitygw gateway (Apache-2.0) as a child process with
//     its posix backend in a temporary directory. It checks SigV4
//     signatures, so it is the real-server tier of the tests. The binary is
//     taken from $DITTOFS_VERSITYGW, else built once per machine with `go
//     install` into the user's cache directory (about two minutes the first
//     time, nothing after).
//
// Both return a Server whose Options() opens a store/s3 block store on a
// fresh bucket.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	s3store "github.com/dittofs/dittofs/store/s3"
)

// VersitygwVersion is the version of versitygw the tests build.
const VersitygwVersion = "v1.8.0"

// Server is a running S3-compatible server.
type Server struct {
	// Endpoint is the server's URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Bucket is a bucket made for the test.
	Bucket string
	// AccessKey and SecretKey are credentials the server accepts.
	AccessKey, SecretKey string
	// Region is the region the server signs with.
	Region string
}

// Options returns store/s3 options for the server's bucket under prefix,
// with short retry delays for tests.
func (s *Server) Options(prefix string) s3store.Options {
	return s3store.Options{
		Bucket:     s.Bucket,
		Prefix:     prefix,
		Endpoint:   s.Endpoint,
		Region:     s.Region,
		PathStyle:  true,
		AccessKey:  s.AccessKey,
		SecretKey:  s.SecretKey,
		MaxBackoff: 20 * time.Millisecond,
	}
}

// Client returns a raw SDK client of the server, to look at the bucket
// behind the store's back.
func (s *Server) Client() *awss3.Client {
	return awss3.New(awss3.Options{
		BaseEndpoint:               aws.String(s.Endpoint),
		Region:                     s.Region,
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// Keys lists every key of the bucket under prefix.
func (s *Server) Keys(t testing.TB, prefix string) []string {
	t.Helper()
	var keys []string
	pages := awss3.NewListObjectsV2Paginator(s.Client(), &awss3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("listing the bucket: %v", err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// Fake starts gofakes3 in-process on loopback with one bucket. wrap, when
// not nil, wraps its handler (to inject faults). The server stops at the
// end of the test.
func Fake(t testing.TB, wrap func(http.Handler) http.Handler) *Server {
	t.Helper()
	backend := s3mem.New()
	var h http.Handler = gofakes3.New(backend, gofakes3.WithTimeSkewLimit(0)).Server()
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	s := &Server{Endpoint: ts.URL, Bucket: "dittofs-test", AccessKey: "fake", SecretKey: "fake", Region: "us-east-1"}
	if err := backend.CreateBucket(s.Bucket); err != nil {
		t.Fatalf("gofakes3: creating the bucket: %v", err)
	}
	return s
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// VersitygwBinary returns the path of a versitygw binary, building it
// when needed (see the package documentation).
func VersitygwBinary() (string, error) {
	if p := os.Getenv("DITTOFS_VERSITYGW"); p != "" {
		return p, nil
	}
	buildOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "dittofs", "versitygw-"+VersitygwVersion)
		bin := filepath.Join(dir, "versitygw")
		if _, err := os.Stat(bin); err == nil {
			buildPath = bin
			return
		}
		cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@"+VersitygwVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go install versitygw@%s: %v\n%s", VersitygwVersion, err, out)
			return
		}
		buildPath = bin
	})
	return buildPath, buildErr
}

// Versitygw starts versitygw with its posix backend in a temporary
// directory, on a free loopback port, with random root credentials and one
// bucket. It fails the test when the binary cannot be had under CI (the
// CI environment variable set) and skips it elsewhere. The gateway is
// killed at the end of the test.
func Versitygw(t testing.TB) *Server {
	t.Helper()
	bin, err := VersitygwBinary()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("versitygw: %v", err)
		}
		t.Skipf("versitygw unavailable: %v", err)
	}
	root := t.TempDir()
	s := &Server{Bucket: "dittofs-test", AccessKey: randHex(10), SecretKey: randHex(20), Region: "us-east-1"}
	for attempt := 0; ; attempt++ {
		addr, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Endpoint = "http://" + addr
		cmd := exec.Command(bin, "--port", addr, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region, "--quiet", "posix", root)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting versitygw: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Kill()
			<-exited
		}
		if err := waitUp(addr, exited); err != nil {
			stop()
			if attempt < 3 {
				continue // the port was taken meanwhile
			}
			t.Fatalf("versitygw did not start: %v\n%s", err, out.String())
		}
		t.Cleanup(stop)
		break
	}
	if _, err := s.Client().CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		t.Fatalf("versitygw: creating the bucket: %v", err)
	}
	return s
}

// waitUp waits until addr accepts connections, the process exits, or 20
// seconds pass.
func waitUp(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("timed out")
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

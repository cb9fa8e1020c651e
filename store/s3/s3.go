// Package s3 is a store.Blocks backend on any S3-compatible object store
// (AWS S3, MinIO, Ceph RGW, versitygw, ...), through the AWS SDK for Go v2.
//
//	b, err := s3.Open(ctx, s3.Options{
//		Bucket:   "dittofs",
//		Prefix:   "export1/",
//		Endpoint: "http://127.0.0.1:7070", // empty: AWS
//		Region:   "us-east-1",
//		PathStyle: true,
//	})
//	if err != nil { ... }
//	defer b.Close()
//
// # Layout
//
// Block id 0a1b2c… is the object Prefix + "0a1b2c…" (64 lower-case hex
// digits). The ids store.FS makes are keyed hashes of the content, so the
// first hex digits are already uniformly spread: the keys fall evenly into
// S3's internal partitions without an extra hash prefix, and a listing of
// Prefix is one flat range. Keys under Prefix that are not 64 hex digits are
// logged and ignored by Walk, never deleted.
//
// # Requests
//
//   - Put is one PutObject. store.FS stores blocks of at most its block
//     size (store.Options.BlockSize, 1 MiB by default; packed runs fill at
//     most one block), far under the 5 GiB limit of a single PUT, so
//     multipart uploads would only add round trips. A PutObject is atomic
//     (a reader sees the old object or the new one) and durable when it
//     returns, so Sync has nothing to do.
//   - ReadAt is a ranged GetObject (Range: bytes=off-off+len-1). A range
//     that starts at or past the end of the object (416) is io.EOF; a
//     shorter body than asked is io.EOF too; a missing object (404) is
//     store.ErrNotFound.
//   - Delete is DeleteObject (absent objects are not an error in S3).
//   - Walk pages through ListObjectsV2 (1000 keys a page), so its memory is
//     one page whatever the number of blocks.
//
// Every request is retried by the SDK's standard retryer on 5xx, throttling
// (503 SlowDown, 429, ...) and connection errors, with jittered exponential
// backoff: Options.MaxAttempts attempts (default 10) and delays of at most
// Options.MaxBackoff (default 5 s). The retryer's client-side retry quota
// (a token bucket that turns a long outage into immediate failures) is
// disabled: a block store prefers to wait for S3 to come back. Every
// request honours its context.
//
// Credentials come from Options.AccessKey/SecretKey when set, else from the
// standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE
// and the shared files, web identity, ECS and EC2 roles). Open checks the
// bucket by listing one key, so wrong credentials or a missing bucket fail
// there with a clear error, not at the first write.
package s3

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/dittofs/dittofs/store"
)

// Options configures Open. Bucket is required; everything else has a
// default.
type Options struct {
	// Bucket is the bucket holding the blocks. It must exist.
	Bucket string
	// Prefix is put before every key, e.g. "dittofs/export1/". Several
	// stores may share a bucket under distinct prefixes; none may be a
	// prefix of another's (Walk would see the other's blocks).
	Prefix string
	// Endpoint is the service's URL (e.g. "http://127.0.0.1:7070"); empty
	// is AWS S3 (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).
	Endpoint string
	// Region is the signing region; empty takes AWS_REGION or the
	// profile's, and "us-east-1" when neither says.
	Region string
	// PathStyle addresses the bucket as ENDPOINT/BUCKET/KEY instead of
	// BUCKET.ENDPOINT/KEY, as most self-hosted servers need.
	PathStyle bool
	// AccessKey and SecretKey are static credentials (with SessionToken
	// when temporary). When AccessKey is empty the standard AWS chain is
	// used.
	AccessKey, SecretKey, SessionToken string
	// MaxAttempts is how many times a request is tried (default 10).
	MaxAttempts int
	// MaxBackoff bounds the delay between two attempts (default 5 s).
	MaxBackoff time.Duration
	// Checksums asks the SDK to add a CRC checksum to every PUT and to
	// check those of GET replies. Off by default: not every S3-compatible
	// server supports the flexible checksums of 2025's SDKs, and SigV4
	// already signs the payload's SHA-256 over plain HTTP.
	Checksums bool
	// HTTPClient replaces the SDK's HTTP client (tests, custom TLS).
	HTTPClient *http.Client
	// Logger receives warnings about keys Walk ignores. Nil discards them.
	Logger *slog.Logger
	// NoCheck skips the listing by which Open checks the bucket.
	NoCheck bool
}

// Blocks is a store.Blocks on an S3 bucket. It is safe for concurrent use.
type Blocks struct {
	client *awss3.Client
	bucket string
	prefix string
	log    *slog.Logger
	closed atomic.Bool
}

var (
	_ store.Blocks      = (*Blocks)(nil)
	_ store.Syncer      = (*Blocks)(nil)
	_ store.Persistence = (*Blocks)(nil)
	_ io.Closer         = (*Blocks)(nil)
)

// Open returns a block store on o.Bucket. Unless o.NoCheck, it checks the
// bucket and the credentials by listing one key.
func Open(ctx context.Context, o Options) (*Blocks, error) {
	if o.Bucket == "" {
		return nil, store.NewError(store.CodeInvalid, "open", "", errors.New("s3: no bucket given"))
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	b := &Blocks{bucket: o.Bucket, prefix: o.Prefix, log: o.Logger}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	var hc aws.HTTPClient = o.HTTPClient
	if o.HTTPClient == nil {
		// The SDK's client, so that AWS_CA_BUNDLE and the like apply.
		hc = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64 // store.FS moves many blocks at once
		})
	}
	loads := []func(*config.LoadOptions) error{
		config.WithHTTPClient(hc),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = o.MaxAttempts
				so.MaxBackoff = o.MaxBackoff
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if o.Region != "" {
		loads = append(loads, config.WithRegion(o.Region))
	}
	if o.AccessKey != "" {
		loads = append(loads, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, o.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, store.NewError(store.CodeInvalid, "open", o.Bucket, fmt.Errorf("s3: loading the AWS configuration: %w", err))
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	b.client = awss3.NewFromConfig(cfg, func(so *awss3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.PathStyle
		if !o.Checksums {
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	if !o.NoCheck {
		// A one-key listing rather than HeadBucket: a HEAD reply has no
		// body, so the server could not say which of the credentials or
		// the bucket is wrong, and Walk needs the list permission anyway.
		_, err := b.client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(o.Bucket), Prefix: aws.String(o.Prefix), MaxKeys: aws.Int32(1)})
		if err != nil {
			b.Close()
			return nil, b.fail("open", o.Bucket, fmt.Errorf("s3: bucket %q at %s: %w", o.Bucket, endpointName(o.Endpoint), explain(err)))
		}
	}
	return b, nil
}

func endpointName(e string) string {
	if e == "" {
		return "AWS"
	}
	return e
}

// explain adds what an S3 error most likely means to err.
func explain(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken",
			"XAdminUserNotFound": // versitygw's answer (404) to an unknown access key
			return fmt.Errorf("access denied: check the credentials (access key, secret key) and the bucket's policy: %w", err)
		case "NoSuchBucket":
			return fmt.Errorf("no such bucket: %w", err)
		}
	}
	switch status(err) {
	case http.StatusForbidden:
		return fmt.Errorf("access denied: check the credentials (access key, secret key) and the bucket's policy: %w", err)
	case http.StatusNotFound:
		return fmt.Errorf("no such bucket: %w", err)
	case http.StatusMovedPermanently:
		return fmt.Errorf("the bucket is in another region: set the region: %w", err)
	}
	return err
}

// Persistent returns true: objects outlive the process.
func (b *Blocks) Persistent() bool { return true }

// Sync returns nil: a PutObject or DeleteObject is durable when it returns.
func (b *Blocks) Sync(ctx context.Context) error {
	if err := b.check(ctx, "sync"); err != nil {
		return err
	}
	return nil
}

// Close releases idle connections. Later calls fail; Close is idempotent.
func (b *Blocks) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return nil
}

func (b *Blocks) check(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return store.NewError(store.CodeIO, op, "", errors.New("s3: block store is closed"))
	}
	return nil
}

// key returns the object key of block id.
func (b *Blocks) key(id store.BlockID) string {
	var h [64]byte
	hex.Encode(h[:], id[:])
	return b.prefix + string(h[:])
}

// parseKey returns the id a key under the prefix names.
func (b *Blocks) parseKey(key string) (store.BlockID, bool) {
	var id store.BlockID
	name, ok := strings.CutPrefix(key, b.prefix)
	if !ok || len(name) != 2*len(id) {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(name)); err != nil || hex.EncodeToString(id[:]) != name {
		return id, false
	}
	return id, true
}

// status is the HTTP status of a failed request, or 0.
func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// fail wraps err of op in a store error, keeping a context's error visible
// to errors.Is.
func (b *Blocks) fail(op, path string, err error) error {
	code := store.CodeIO
	switch status(err) {
	case http.StatusNotFound:
		code = store.CodeNotFound
	case http.StatusForbidden:
		code = store.CodeAccess
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			code = store.CodeNotFound
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "XAdminUserNotFound":
			code = store.CodeAccess
		}
	}
	return store.NewError(code, op, path, err)
}

// Put stores data as block id with one PutObject.
func (b *Blocks) Put(ctx context.Context, id store.BlockID, data []byte) error {
	if err := b.check(ctx, "put"); err != nil {
		return err
	}
	_, err := b.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        aws.String(b.bucket),
		Key:           aws.String(b.key(id)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return b.ctxErr(ctx, b.fail("put", id.String(), err))
	}
	return nil
}

// ctxErr returns ctx's error when it is done (the SDK wraps it in ways
// errors.Is may not see through), else err.
func (b *Blocks) ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// ReadAt reads len(p) bytes of block id at off with a ranged GetObject.
func (b *Blocks) ReadAt(ctx context.Context, id store.BlockID, p []byte, off int64) (int, error) {
	if err := b.check(ctx, "readat"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, store.NewError(store.CodeInvalid, "readat", id.String(), errors.New("negative offset"))
	}
	if len(p) == 0 {
		// A zero-length range cannot be asked for: say only whether the
		// block is there.
		_, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.key(id))})
		if err != nil {
			return 0, b.ctxErr(ctx, b.fail("readat", id.String(), err))
		}
		return 0, nil
	}
	out, err := b.client.GetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String(b.bucket),
		Key:    aws.String(b.key(id)),
		Range:  aws.String("bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+int64(len(p))-1, 10)),
	})
	if err != nil {
		if status(err) == http.StatusRequestedRangeNotSatisfiable {
			// The object exists and off is at or past its end (or it is
			// empty).
			return 0, io.EOF
		}
		return 0, b.ctxErr(ctx, b.fail("readat", id.String(), err))
	}
	defer out.Body.Close()
	body := io.Reader(out.Body)
	if out.ContentRange == nil || *out.ContentRange == "" {
		// A server that ignored the range sent the whole object.
		if _, err := io.CopyN(io.Discard, body, off); err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, b.ctxErr(ctx, b.fail("readat", id.String(), err))
		}
	}
	n, err := io.ReadFull(body, p)
	switch err {
	case nil:
		return n, nil
	case io.EOF, io.ErrUnexpectedEOF:
		if out.ContentLength != nil && int64(n) < *out.ContentLength {
			return n, b.ctxErr(ctx, b.fail("readat", id.String(), fmt.Errorf("s3: body ended after %d of %d bytes", n, *out.ContentLength)))
		}
		return n, io.EOF
	}
	return n, b.ctxErr(ctx, b.fail("readat", id.String(), err))
}

// Delete removes block id with DeleteObject.
func (b *Blocks) Delete(ctx context.Context, id store.BlockID) error {
	if err := b.check(ctx, "delete"); err != nil {
		return err
	}
	_, err := b.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.key(id))})
	if err != nil && status(err) != http.StatusNotFound {
		return b.ctxErr(ctx, b.fail("delete", id.String(), err))
	}
	return nil
}

// Walk lists the blocks page by page with ListObjectsV2 and calls fn for
// each. A page is listed before fn runs for its keys, so fn may Delete.
func (b *Blocks) Walk(ctx context.Context, fn func(store.BlockID) error) error {
	if err := b.check(ctx, "walk"); err != nil {
		return err
	}
	pages := awss3.NewListObjectsV2Paginator(b.client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(b.bucket),
		Prefix: aws.String(b.prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return b.ctxErr(ctx, b.fail("walk", b.prefix, err))
		}
		for _, obj := range page.Contents {
			id, ok := b.parseKey(aws.ToString(obj.Key))
			if !ok {
				b.log.Warn("ignoring an object that is not a block", "bucket", b.bucket, "key", aws.ToString(obj.Key))
				continue
			}
			if err := fn(id); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

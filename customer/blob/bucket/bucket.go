// Package bucket stores attachment bytes in a gocloud.dev bucket: S3, GCS,
// Azure Blob Storage, a directory (fileblob) or memory (memblob). It is its
// own package so that a program using blob.Local pulls in neither the
// gocloud.dev module nor the gRPC and OpenTelemetry packages it depends on.
//
// The program opens the bucket with the driver it needs (this package
// imports none) and keeps ownership of it:
//
//	b, err := blob.OpenBucket(ctx, "s3://kiroku-attachments?region=ap-northeast-1") // gocloud.dev/blob, with s3blob imported
//	…
//	defer b.Close()
//	store, err := bucket.New(b, nil) // a blob.Store; wrap it in blob.NewEncrypted for encryption at rest
//
// A Store follows every rule of blob.Store: keys are checked with
// blob.ValidKey before any I/O, a missing key fails with an error matching
// blob.ErrNotFound, and an upload that fails or is cancelled is aborted, so
// the bucket never holds a partial object. Objects are written with
// Content-Type application/octet-stream, never a type sniffed from their
// content. Memory per upload is Options.BufferSize × Options.MaxConcurrency
// (5 MiB by default).
package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"syscall"

	gcblob "gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/kirokuhq/kiroku/customer/blob"
)

// Options tunes a Store. The zero value (or nil) is the default.
type Options struct {
	// BufferSize is the size in bytes of the parts uploaded in one request.
	// Default 5 MiB: the smallest part S3 accepts, a multiple of the 256 KiB
	// that GCS requires. Drivers may round it up.
	BufferSize int
	// MaxConcurrency is the number of parts of one upload in flight at once.
	// Default 1. Memory per upload is about BufferSize × MaxConcurrency.
	MaxConcurrency int
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.BufferSize <= 0 {
		r.BufferSize = 5 << 20
	}
	if r.MaxConcurrency <= 0 {
		r.MaxConcurrency = 1
	}
	return r
}

// Store is a blob.Store over a *gocloud.dev/blob.Bucket opened by the
// caller (s3blob, gcsblob, azureblob, fileblob, memblob, …); this package
// imports no driver. The caller keeps ownership: Store never closes it.
//
// Objects are written with Content-Type application/octet-stream: the
// bucket is not a web server, and a stored object must never be served
// with a type sniffed from attacker-controlled bytes.
type Store struct {
	b    *gcblob.Bucket
	opts Options
}

var _ blob.Store = (*Store)(nil)

// New returns a Store over b. opts may be nil. A nil b is refused with an
// error matching blob.ErrInvalid.
func New(b *gcblob.Bucket, opts *Options) (*Store, error) {
	if b == nil {
		return nil, fmt.Errorf("bucket: nil bucket: %w", blob.ErrInvalid)
	}
	return &Store{b: b, opts: opts.withDefaults()}, nil
}

// Put implements blob.Store. A failed read from r, a cancelled ctx or a Limit
// exceeded aborts the upload: the driver discards what was sent.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := blob.ValidKey(key); err != nil {
		return 0, err
	}
	// Cancelling the writer's context is how gocloud aborts a write;
	// closing it normally would commit the partial object.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, key, &gcblob.WriterOptions{
		ContentType:    "application/octet-stream",
		BufferSize:     s.opts.BufferSize,
		MaxConcurrency: s.opts.MaxConcurrency,
	})
	if err != nil {
		return 0, fmt.Errorf("bucket: put %s: %w", key, s.mapErr(err))
	}
	cr := &blob.CountingReader{R: r}
	// io.CopyBuffer with a plain Writer wrapper: gocloud's ReadFrom would
	// otherwise pick r's WriteTo and bypass the counting reader.
	_, err = io.CopyBuffer(ctxWriter{ctx: ctx, w: w}, cr, make([]byte, 32<<10))
	if err != nil {
		cancel()
		_ = w.Close()
		return cr.N, fmt.Errorf("bucket: put %s: %w", key, s.mapErr(err))
	}
	if err := w.Close(); err != nil {
		return cr.N, fmt.Errorf("bucket: put %s: %w", key, s.mapErr(err))
	}
	return cr.N, nil
}

// ctxWriter hides every method of w but Write, and fails with the
// context's error once ctx is done, so that the copy loop of Put notices
// cancellation between chunks.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Get implements blob.Store. The reader reads through ctx: it must be consumed
// before ctx is cancelled.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, err
	}
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("bucket: get %s: %w", key, s.mapErr(err))
	}
	return r, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	if err := s.b.Delete(ctx, key); err != nil {
		return fmt.Errorf("bucket: delete %s: %w", key, s.mapErr(err))
	}
	return nil
}

// List implements blob.Store. Objects whose names are not valid keys (written
// to the bucket by something else) are skipped.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := blob.ValidPrefix(prefix); err != nil {
		return func(yield func(string, error) bool) { yield("", err) }
	}
	return func(yield func(string, error) bool) {
		it := s.b.List(&gcblob.ListOptions{Prefix: prefix})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield("", fmt.Errorf("bucket: list %s: %w", prefix, s.mapErr(err)))
				return
			}
			if obj.IsDir || blob.ValidKey(obj.Key) != nil {
				continue
			}
			if !yield(obj.Key, nil) {
				return
			}
		}
	}
}

// mapErr maps gocloud's NotFound code to ErrNotFound, keeping the driver's
// message for logs. fileblob reports a key below an object ("a/b" when "a"
// is an object) as "not a directory", and a key that is a directory ("a"
// when "a/b" is an object) as "directory not empty" or "is a directory",
// all with code Unknown: these are missing keys too.
func (s *Store) mapErr(err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("%w (%v)", blob.ErrNotFound, err)
	}
	return err
}

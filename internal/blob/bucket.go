package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"syscall"

	"gocloud.dev/gcerrors"

	gcblob "gocloud.dev/blob"
)

// BucketOptions tunes a Bucket. The zero value is the default.
type BucketOptions struct {
	// BufferSize is the size in bytes of the parts uploaded in one request.
	// Default 5 MiB: the smallest part S3 accepts, a multiple of the 256 KiB
	// that GCS requires. Drivers may round it up.
	BufferSize int
	// MaxConcurrency is the number of parts of one upload in flight at once.
	// Default 1. Memory per upload is about BufferSize × MaxConcurrency.
	MaxConcurrency int
}

func (o *BucketOptions) withDefaults() BucketOptions {
	var r BucketOptions
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

// Bucket is a Store over a *gocloud.dev/blob.Bucket opened by the caller
// (s3blob, gcsblob, azureblob, fileblob, memblob, …); this package imports
// no driver. The caller keeps ownership: Bucket never closes it.
//
// Objects are written with Content-Type application/octet-stream: the
// bucket is not a web server, and a stored object must never be served
// with a type sniffed from attacker-controlled bytes.
type Bucket struct {
	b    *gcblob.Bucket
	opts BucketOptions
}

var _ Store = (*Bucket)(nil)

// NewBucket returns a Store over b. opts may be nil.
func NewBucket(b *gcblob.Bucket, opts *BucketOptions) *Bucket {
	return &Bucket{b: b, opts: opts.withDefaults()}
}

// Put implements Store. A failed read from r, a cancelled ctx or a Limit
// exceeded aborts the upload: the driver discards what was sent.
func (s *Bucket) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidKey(key); err != nil {
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
		return 0, fmt.Errorf("blob: put %s: %w", key, s.mapErr(err))
	}
	cr := &CountingReader{R: ctxReader{ctx: ctx, r: r}}
	// io.CopyBuffer with a plain Writer wrapper: gocloud's ReadFrom would
	// otherwise pick r's WriteTo and bypass the counting reader.
	_, err = io.CopyBuffer(writerOnly{w}, cr, make([]byte, 32<<10))
	if err != nil {
		cancel()
		_ = w.Close()
		return cr.N, fmt.Errorf("blob: put %s: %w", key, s.mapErr(err))
	}
	if err := w.Close(); err != nil {
		return cr.N, fmt.Errorf("blob: put %s: %w", key, s.mapErr(err))
	}
	return cr.N, nil
}

type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// Get implements Store. The reader reads through ctx: it must be consumed
// before ctx is cancelled.
func (s *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, s.mapErr(err))
	}
	return r, nil
}

// Delete implements Store.
func (s *Bucket) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := s.b.Delete(ctx, key); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, s.mapErr(err))
	}
	return nil
}

// List implements Store. Objects whose names are not valid keys (written
// to the bucket by something else) are skipped.
func (s *Bucket) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := validPrefix(prefix); err != nil {
		return errIter(err)
	}
	return func(yield func(string, error) bool) {
		it := s.b.List(&gcblob.ListOptions{Prefix: prefix})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield("", fmt.Errorf("blob: list %s: %w", prefix, s.mapErr(err)))
				return
			}
			if obj.IsDir || ValidKey(obj.Key) != nil {
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
func (s *Bucket) mapErr(err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("%w (%v)", ErrNotFound, err)
	}
	return err
}

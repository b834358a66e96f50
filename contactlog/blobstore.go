package contactlog

import (
	"fmt"

	gcblob "gocloud.dev/blob"

	"github.com/kirokuhq/kiroku/internal/blob"
)

// BlobKeySize is the length in bytes of an encryption key for
// NewEncryptedBlobStore.
const BlobKeySize = blob.KeySize

// BucketOptions tunes NewBucketBlobStore. The zero value (or nil) means
// parts of 5 MiB (the smallest S3 accepts), one in flight per upload: about
// 5 MiB of memory per concurrent upload.
type BucketOptions = blob.BucketOptions

// NewLocalBlobStore returns a BlobStore keeping attachment files below dir
// on the local file system, creating dir (mode 0700) if it does not exist.
// A key "t/<tenant>/a/<record>/<attachment>" is the file of that path below
// dir; files are created 0600 and directories 0700 (empty directories are
// never removed). A file is written to a temporary file beside it, synced
// and renamed into place, so a crash leaves the old content or the new one,
// never a mix. Every access is confined to dir: a symbolic link inside it
// cannot lead outside.
//
// The store holds a handle on dir for as long as it lives; it also
// implements io.Closer, for a program that needs to release it.
func NewLocalBlobStore(dir string) (BlobStore, error) {
	l, err := blob.NewLocal(dir)
	if err != nil {
		return nil, fmt.Errorf("contactlog: local blob store: %w", err)
	}
	return l, nil
}

// NewBucketBlobStore returns a BlobStore over a gocloud.dev bucket that the
// caller opened (s3blob, gcsblob, azureblob, fileblob, …; Kiroku imports no
// cloud driver). The caller keeps the bucket and closes it. Objects are
// written with Content-Type application/octet-stream, never a type taken
// from their content. An upload that fails or is cancelled is aborted, so
// the bucket holds no partial object. opts may be nil. A nil bucket is
// refused with ErrInvalid.
func NewBucketBlobStore(b *gcblob.Bucket, opts *BucketOptions) (BlobStore, error) {
	if b == nil {
		return nil, fmt.Errorf("contactlog: bucket blob store: nil bucket: %w", ErrInvalid)
	}
	return blob.NewBucket(b, opts), nil
}

// NewEncryptedBlobStore returns a BlobStore that encrypts every file before
// handing it to inner and decrypts it when read (encryption at rest).
//
// key is a BlobKeySize-byte random secret from configuration (for example
// `openssl rand -hex 32`, decoded), kept like a database password: outside
// the database and outside the store it protects. Files are age files
// (https://age-encryption.org/v1) encrypted for a post-quantum hybrid
// identity (ML-KEM-768 + X25519) derived from key, each with its own random
// file key, streamed and authenticated in 64 KiB chunks: an altered or
// truncated file fails to read instead of yielding altered bytes. A file
// at rest is about 1.6 KiB plus 16 bytes per 64 KiB larger than its
// content. Blob keys (random identifiers) are not encrypted.
//
// Rotation: pass the new key as key and the old ones as previous; new files
// use key, files written with a previous key stay readable. A lost key
// makes its files unrecoverable.
//
// Turn encryption on before the first attachment is stored: files written
// to inner without it cannot be read through the returned store. An empty,
// short, long or all-zero key, and a nil inner store, are refused with
// ErrInvalid.
func NewEncryptedBlobStore(inner BlobStore, key []byte, previous ...[]byte) (BlobStore, error) {
	e, err := blob.NewEncrypted(inner, key, previous...)
	if err != nil {
		return nil, fmt.Errorf("contactlog: encrypted blob store: %w", err)
	}
	return e, nil
}

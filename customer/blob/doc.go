// Package blob stores the bytes of attachments (photos of handwritten memos,
// audio, PDFs) outside the database. contactlog takes a Store in its Config;
// any engine that keeps files does the same. The database keeps only a key, the size
// and the content type; this package keeps the bytes.
//
// # Store
//
// A Store maps keys to immutable byte sequences. It has four methods:
//
//   - Put streams r into the object at key and returns the number of bytes
//     read from r. It never holds the whole object in memory. The object
//     becomes visible only when Put returns nil; a Put that fails (a read
//     error from r, a cancelled context, a Limit exceeded) leaves no object
//     behind and does not disturb an existing object at key. Put on an
//     existing key replaces it atomically.
//   - Get opens the object for streaming reading; the caller closes it.
//   - Delete removes the object.
//   - List yields every key that begins with a prefix ("" lists all), for
//     orphan collection. Order is unspecified; a key written or deleted while
//     listing may or may not be yielded. Deleting the yielded keys while
//     listing is allowed.
//
// Get and Delete of a key that does not exist return an error matching
// ErrNotFound. Callers that delete
// idempotently (purge, orphan collection) ignore it with errors.Is.
//
// # Keys
//
// Keys are chosen by Kiroku, never by end users, and are the same on every
// Store so that objects can be moved between backends. ValidKey states the
// rules: one to 512 bytes of lower-case ASCII letters, digits, '-', '_' and
// '.', split into segments by '/'. No segment is empty, begins with '.' or
// ends with '.', and none is a Windows device name (con, nul, com1, …). So a
// key can never be absolute ("/etc/passwd", "c:/x"), contain ".." or a
// backslash, or name Local's temporary files, which begin with '.'. A
// typical key is "t/<tenant uuid>/a/<attachment uuid>". Every Store rejects
// an invalid key with an error matching ErrInvalid before any I/O.
//
// # Implementations
//
//   - Local keeps objects as files in a directory (os.Root confines every
//     access to it). Put writes to a temporary file in the destination
//     directory, fsyncs it, renames it over the key and fsyncs the directory,
//     so a crash leaves either the old or the new object, never a mix. Files
//     are created 0600 and directories 0700.
//   - The sub-package bucket adapts a *gocloud.dev/blob.Bucket that the
//     caller opened (S3, GCS, Azure Blob, …). It is separate so that this
//     package does not pull in gocloud.dev and its dependencies; the
//     program imports the cloud driver it needs (gocloud.dev/blob/s3blob, …).
//   - Encrypted wraps any Store and encrypts objects at rest with age
//     (https://age-encryption.org/v1), streaming in 64 KiB authenticated
//     chunks in both directions. See NewEncrypted for key handling.
//
// # Size limits
//
// Limit wraps an upload's reader so that Put fails with a *TooLargeError
// (matching ErrInvalid) as soon as more than the allowed number of bytes
// has been read, without reading the rest. DefaultMaxSize is 30 MiB.
//
// # Memory
//
// Put and Get copy through fixed buffers: Local uses 32 KiB per call,
// Encrypted adds about 128 KiB (one age chunk in each direction) and
// bucket.Store uses Options.BufferSize × MaxConcurrency per upload (5 MiB by
// default: the smallest part S3 accepts). Memory therefore grows with the
// number of concurrent transfers, never with object size.
package blob

// Package filestore keeps uploaded files in a blob.Store the way every
// engine does: the type decided by the content, images cleaned of their
// metadata and given a thumbnail, sizes capped per file and per upload,
// names checked, keys that tell their owner and age, and the collection of
// stored files no row refers to. contactlog's record attachments and
// customer's profile files are built on it.
//
// Keys have the shape prefix + owner + "/" + id, and the same with
// ThumbSuffix for a thumbnail; the id is a UUIDv7 stamped (NewIDAt) when
// the upload began, so CollectOrphans can tell a key's age without a row.
package filestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/media"
)

// MaxNameLen is the longest file name, in characters.
const MaxNameLen = 255

// MinOrphanAge is the shortest grace period CollectOrphans accepts: files
// younger than it may belong to an upload in progress.
const MinOrphanAge = time.Hour

// ThumbMIME is the type of every thumbnail: a JPEG whose longest side is
// 320 pixels (smaller images keep their size).
const ThumbMIME = "image/jpeg"

// ThumbSuffix ends the key of a thumbnail.
const ThumbSuffix = ".thumb"

// Key is the blob key of file id of owner below prefix, or of its
// thumbnail.
func Key(prefix string, owner, id uuid.UUID, thumb bool) string {
	k := prefix + owner.String() + "/" + id.String()
	if thumb {
		k += ThumbSuffix
	}
	return k
}

// parseKey returns the file ID of a key below prefix (see Key), or false
// for a key of another shape.
func parseKey(prefix, key string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return uuid.Nil, false
	}
	owner, name, ok := strings.Cut(rest, "/")
	if !ok {
		return uuid.Nil, false
	}
	name = strings.TrimSuffix(name, ThumbSuffix)
	o, err := uuid.Parse(owner)
	if err != nil || o.String() != owner {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(name)
	if err != nil || id.String() != name || id.Version() != 7 {
		return uuid.Nil, false
	}
	return id, true
}

// NewIDAt returns a new UUIDv7 whose timestamp is at (a service clock, not
// the wall clock uuid.NewV7 reads).
func NewIDAt(at time.Time) uuid.UUID {
	id := uuid.Must(uuid.NewV7())
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(at.UnixMilli()))
	copy(id[:6], ms[2:])
	return id
}

// idTime is the timestamp of a UUIDv7.
func idTime(id uuid.UUID) time.Time {
	return time.UnixMilli(int64(binary.BigEndian.Uint64(id[:8]) >> 16))
}

// CleanName trims a file name and normalizes it to NFC (macOS sends kana
// with separate voicing marks), and reports under field what is wrong
// with it: empty, "." or "..", longer than MaxNameLen characters, or
// holding '/', '\', a control or bidirectional-control character.
func CleanName(v *validation.Error, field, name string) string {
	if !utf8.ValidString(name) {
		v.Add(field, validation.CodeEncoding, "")
		return ""
	}
	name = norm.NFC.String(strings.TrimSpace(name))
	switch {
	case name == "":
		v.Add(field, validation.CodeRequired, "")
	case name == "." || name == "..":
		v.Add(field, validation.CodeNotAllowed, name)
	case utf8.RuneCountInString(name) > MaxNameLen:
		v.Add(field, validation.CodeTooLong, fmt.Sprint(MaxNameLen))
	}
	for _, r := range name {
		if r == '/' || r == '\\' || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) ||
			r == '\u2028' || r == '\u2029' {
			v.Add(field, validation.CodeNotAllowed, fmt.Sprintf("%U", r))
			break
		}
	}
	return name
}

// Limits are the caps of one upload.
type Limits struct {
	// File caps one file, in bytes.
	File int64
	// Upload caps the files of one upload together, in bytes.
	Upload int64
	// ImagePixels caps an image's width × height, checked before decoding.
	ImagePixels int
}

// Stored describes a file Store kept.
type Stored struct {
	Kind     media.Kind
	MIME     string // the type to serve it with: for images, the cleaned copy's
	Size     int64
	Width    int // upright, images only
	Height   int
	HasThumb bool // images have one, a JPEG (see media.Processed)
}

// Store reads body, file i of an upload with left bytes of the upload's
// budget remaining, and keeps it under key(false) (and its thumbnail under
// key(true)). Content problems go to v under "files[i].content" (required,
// not_allowed with the detected type, too_large with lim.File, out_of_range
// past lim.ImagePixels, format for a damaged image) or "files" (too_large
// with lim.Upload); the file is then not kept and Store returns nil. Once v
// holds a problem, files are only sniffed. Store also returns the keys
// written (on error too: the caller discards them) and the number of bytes
// read from body.
//
// Images (JPEG, PNG, GIF, WebP) are turned upright and re-encoded without
// metadata (GPS, camera, date) and are decoded a few at a time (as many as
// the process has CPUs). HEIC, HEIF and AVIF are refused: their location
// data cannot be removed. PDFs, audio and video are streamed as uploaded;
// everything else is refused.
func Store(ctx context.Context, store blob.Store, v *validation.Error, i int, body io.Reader, key func(thumb bool) string, lim Limits, left int64) (*Stored, []string, int64, error) {
	field := fmt.Sprintf("files[%d].content", i)
	head, all, err := media.Head(body)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read %s: %w", field, err)
	}
	if len(head) == 0 {
		v.Add(field, validation.CodeRequired, "")
		return nil, nil, 0, nil
	}
	kind, mimeType, ok := media.Sniff(head)
	switch {
	case !ok:
		v.Add(field, validation.CodeNotAllowed, detectedType(head))
		return nil, nil, int64(len(head)), nil
	case kind == media.KindImage && !cleanableImages[mimeType]:
		v.Add(field, validation.CodeNotAllowed, mimeType)
		return nil, nil, int64(len(head)), nil
	}
	if v.Err() != nil {
		return nil, nil, int64(len(head)), nil
	}

	limit := min(lim.File, left)
	in := &blob.CountingReader{R: blob.Limit(all, limit)}
	st := &Stored{Kind: kind, MIME: mimeType}
	tooLarge := func(err error) bool {
		var tl *blob.TooLargeError
		if !errors.As(err, &tl) {
			return false
		}
		if limit == lim.File {
			v.Add(field, validation.CodeTooLarge, fmt.Sprint(lim.File))
		} else {
			v.Add("files", validation.CodeTooLarge, fmt.Sprint(lim.Upload))
		}
		return true
	}

	if kind != media.KindImage {
		k := key(false)
		st.Size, err = store.Put(ctx, k, in)
		switch {
		case tooLarge(err):
			return nil, nil, in.N, nil
		case err != nil:
			return nil, nil, in.N, err
		}
		return st, []string{k}, in.N, nil
	}

	p, err := processImage(ctx, in, lim.ImagePixels)
	var px *media.TooManyPixelsError
	switch {
	case err == nil:
	case tooLarge(err):
		return nil, nil, in.N, nil
	case errors.Is(err, media.ErrUndecodable):
		v.Add(field, validation.CodeNotAllowed, mimeType)
		return nil, nil, in.N, nil
	case errors.As(err, &px):
		v.Add(field, validation.CodeOutOfRange, fmt.Sprintf("1..%d", lim.ImagePixels))
		return nil, nil, in.N, nil
	case errors.Is(err, kerr.ErrInvalid):
		v.Add(field, validation.CodeFormat, mimeType)
		return nil, nil, in.N, nil
	default:
		return nil, nil, in.N, err
	}
	st.MIME, st.Size, st.Width, st.Height, st.HasThumb = p.MIME, int64(len(p.Data)), p.Width, p.Height, true
	var keys []string
	for _, part := range []struct {
		data  []byte
		thumb bool
	}{{p.Data, false}, {p.Thumb, true}} {
		k := key(part.thumb)
		if _, err := store.Put(ctx, k, bytes.NewReader(part.data)); err != nil {
			return nil, keys, in.N, err
		}
		keys = append(keys, k)
	}
	return st, keys, in.N, nil
}

// cleanableImages are the image types stored: those media.ProcessImage
// decodes, so that their metadata can be removed. HEIC, HEIF and AVIF are
// refused (their GPS position would be kept); media.ErrUndecodable is
// still handled, should the two lists ever differ.
var cleanableImages = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// imageSlots bounds the images being decoded at once in the process: the
// work is CPU-bound, and each one may hold a few hundred megabytes (see
// internal/media's memory budget).
var imageSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

// processImage runs media.ProcessImage in one of the imageSlots.
func processImage(ctx context.Context, r io.Reader, maxPixels int) (*media.Processed, error) {
	select {
	case imageSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-imageSlots }()
	return media.ProcessImage(r, maxPixels)
}

// detectedType names what a refused file seems to be (for the error's
// Param), e.g. "application/zip" or "text/plain".
func detectedType(head []byte) string {
	t, _, err := mime.ParseMediaType(http.DetectContentType(head))
	if err != nil {
		return "application/octet-stream"
	}
	return t
}

// Delete deletes keys, ignoring those already gone.
func Delete(ctx context.Context, store blob.Store, keys []string) error {
	var errs []error
	for _, k := range keys {
		if err := store.Delete(ctx, k); err != nil && !errors.Is(err, kerr.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Discard deletes the blobs of a failed upload, even when ctx was
// cancelled. What cannot be deleted now is left to CollectOrphans.
func Discard(ctx context.Context, store blob.Store, keys []string) {
	_ = Delete(context.WithoutCancel(ctx), store, keys)
}

// Drop deletes the blobs of rows that a committed change on db removed.
// When db is a caller's transaction, the change may still roll back: the
// blobs are then left for CollectOrphans, which removes them once no row
// refers to them.
func Drop(ctx context.Context, db bun.IDB, store blob.Store, keys []string) error {
	switch db.(type) {
	case bun.Tx, *bun.Tx:
		return nil
	}
	return Delete(context.WithoutCancel(ctx), store, keys)
}

// CheckOrphanAge refuses a grace period shorter than MinOrphanAge
// (field "older_than").
func CheckOrphanAge(olderThan time.Duration) error {
	if olderThan < MinOrphanAge {
		var v validation.Error
		v.Add("older_than", validation.CodeOutOfRange, MinOrphanAge.String()+"..")
		return &v
	}
	return nil
}

// orphanBatch is how many keys CollectOrphans checks per query.
const orphanBatch = 500

// Live returns those of ids that still have a row.
type Live func(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error)

// CollectOrphans deletes the files below prefix (keys of the shape Key
// makes) stamped before cutoff whose ID live does not return, checking
// ids in batches, and returns how many it deleted.
func CollectOrphans(ctx context.Context, store blob.Store, prefix string, cutoff time.Time, live Live) (int, error) {
	deleted := 0
	type candidate struct {
		key string
		id  uuid.UUID
	}
	var batch []candidate
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ids := make([]uuid.UUID, len(batch))
		for i, c := range batch {
			ids[i] = c.id
		}
		kept, err := live(ctx, ids)
		if err != nil {
			return err
		}
		keep := make(map[uuid.UUID]bool, len(kept))
		for _, id := range kept {
			keep[id] = true
		}
		for _, c := range batch {
			if keep[c.id] {
				continue
			}
			switch err := store.Delete(ctx, c.key); {
			case err == nil:
				deleted++
			case !errors.Is(err, kerr.ErrNotFound):
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	for key, err := range store.List(ctx, prefix) {
		if err != nil {
			return deleted, err
		}
		id, ok := parseKey(prefix, key)
		if !ok || !idTime(id).Before(cutoff) {
			continue
		}
		batch = append(batch, candidate{key, id})
		if len(batch) == orphanBatch {
			if err := flush(); err != nil {
				return deleted, err
			}
		}
	}
	return deleted, flush()
}

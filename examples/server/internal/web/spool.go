package web

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/blob"
)

// The record form and the customer form keep the files a user chose across
// every round trip (a customer search, a template switch, a validation
// error, a refused save):
// each POST of the form spools its new files to the blob store under
//
//	t/<tenant>/p/<user>/<set>/<file>       the bytes
//	t/<tenant>/p/<user>/<set>/<file>.meta  {"name":…, "size":…}
//
// where <set> is a random token the form carries (field "upload_set") and
// <file> a UUIDv7 stamped with the server clock. The form lists them as
// attached, each with a remove button; saving moves them onto the record
// (or the customer) in the save's transaction and deletes the set. Sets are scoped by
// tenant and user (another user's token finds nothing), and files older
// than spoolTTL, of any user of the tenant, are deleted whenever someone
// of the tenant spools (a user who never uploads again, or has left, does
// not keep theirs). The
// prefix is outside the record engine's ("t/<tenant>/a/"), so its orphan
// collection never touches them; with an encryption key they are
// encrypted like attachments.

// spoolTTL is how long a chosen file waits for its form to be saved.
const spoolTTL = 24 * time.Hour

// spoolField is the form field carrying the set's token.
const spoolField = "upload_set"

const spoolMetaSuffix = ".meta"

// spooled is one file waiting on a form.
type spooled struct {
	ID   string `json:"-"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// spool is one form's set of chosen files.
type spool struct {
	store  blob.Store
	tenant string // "t/<tenant>/p/": every user's sets
	set    string // tenant + "<user>/<token>/"
	clock  func() time.Time
}

// validToken reports whether s is a set token: 32 lower-case hex digits.
func validToken(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// spoolOf returns the set the form names, or a new one whose token it
// then carries.
func (u *UI) spoolOf(r *Request, f *Form) spool {
	token := f.Get(spoolField)
	if !validToken(token) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		token = hex.EncodeToString(b[:])
		f.Values.Set(spoolField, token)
	}
	tenant := "t/" + r.Principal.Tenant.String() + "/p/"
	return spool{store: u.app.Blobs, tenant: tenant, set: tenant + r.Principal.User.String() + "/" + token + "/",
		clock: u.app.Clock}
}

// newFileID returns a UUIDv7 whose time is the server clock's.
func (s spool) newFileID() string {
	id := uuid.Must(uuid.NewV7())
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(s.clock().UnixMilli()))
	copy(id[:6], ms[2:])
	return id.String()
}

// fileTime is the time a file ID was stamped with.
func fileTime(id uuid.UUID) time.Time {
	return time.UnixMilli(int64(binary.BigEndian.Uint64(id[:8]) >> 16))
}

// add spools the request's "photos" and then "files" (parts without a
// file, as browsers send for an empty input, are skipped), after
// deleting the tenant's expired files.
func (s spool) add(ctx context.Context, r *Request) error {
	if r.MultipartForm == nil {
		return nil
	}
	var fhs []*multipart.FileHeader
	for _, field := range []string{"photos", "files"} {
		for _, fh := range r.MultipartForm.File[field] {
			if fh.Filename != "" || fh.Size > 0 {
				fhs = append(fhs, fh)
			}
		}
	}
	if len(fhs) == 0 {
		return nil
	}
	if err := s.sweep(ctx); err != nil {
		return err
	}
	for _, fh := range fhs {
		if err := s.put(ctx, fh); err != nil {
			return err
		}
	}
	return nil
}

func (s spool) put(ctx context.Context, fh *multipart.FileHeader) error {
	body, err := fh.Open()
	if err != nil {
		return err
	}
	defer body.Close()
	id := s.newFileID()
	n, err := s.store.Put(ctx, s.set+id, body)
	if err != nil {
		return err
	}
	meta, err := json.Marshal(spooled{Name: fh.Filename, Size: n})
	if err != nil {
		return err
	}
	_, err = s.store.Put(ctx, s.set+id+spoolMetaSuffix, strings.NewReader(string(meta)))
	return err
}

// list returns the set's files, oldest first.
func (s spool) list(ctx context.Context) ([]spooled, error) {
	var out []spooled
	for key, err := range s.store.List(ctx, s.set) {
		if err != nil {
			return nil, err
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(key, s.set), spoolMetaSuffix)
		if !ok || uuid.Validate(id) != nil {
			continue
		}
		m, err := s.meta(ctx, id)
		if errors.Is(err, blob.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m.ID = id
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b spooled) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s spool) meta(ctx context.Context, id string) (spooled, error) {
	var m spooled
	rc, err := s.store.Get(ctx, s.set+id+spoolMetaSuffix)
	if err != nil {
		return m, err
	}
	defer rc.Close()
	err = json.NewDecoder(io.LimitReader(rc, 4<<10)).Decode(&m)
	return m, err
}

// remove deletes file id of the set (a file already gone is no error).
func (s spool) remove(ctx context.Context, id string) error {
	if uuid.Validate(id) != nil {
		return nil
	}
	for _, key := range []string{s.set + id + spoolMetaSuffix, s.set + id} {
		if err := s.store.Delete(ctx, key); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return err
		}
	}
	return nil
}

// clear deletes the set's files.
func (s spool) clear(ctx context.Context, files []spooled) error {
	for _, f := range files {
		if err := s.remove(ctx, f.ID); err != nil {
			return err
		}
	}
	return nil
}

// sweep deletes the tenant's files (of every user and set) older than
// spoolTTL.
func (s spool) sweep(ctx context.Context) error {
	cutoff := s.clock().Add(-spoolTTL)
	var old []string
	for key, err := range s.store.List(ctx, s.tenant) {
		if err != nil {
			return err
		}
		// <user>/<set>/<file>[.meta]
		parts := strings.Split(strings.TrimPrefix(key, s.tenant), "/")
		if len(parts) != 3 {
			continue
		}
		id, err := uuid.Parse(strings.TrimSuffix(parts[2], spoolMetaSuffix))
		if err == nil && fileTime(id).Before(cutoff) {
			old = append(old, key)
		}
	}
	for _, key := range old {
		if err := s.store.Delete(ctx, key); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return err
		}
	}
	return nil
}

// open opens the set's files for an engine's Add, in order; closeAll
// closes them.
func (s spool) open(ctx context.Context, files []spooled) (bodies []io.Reader, closeAll func(), err error) {
	var open closers
	closeAll = open.close
	for _, f := range files {
		rc, err := s.store.Get(ctx, s.set+f.ID)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		open = append(open, rc)
		bodies = append(bodies, rc)
	}
	return bodies, closeAll, nil
}

// saveSpooled runs save and then, when something was saved and files are
// spooled, store with the spooled files opened (bodies in the files'
// order), in one transaction: when the engine refuses a file nothing is
// saved and the refusals come back as problems (the files stay spooled).
// On success the spool is emptied. The customer and the record forms save
// through it.
func saveSpooled[T any](u *UI, ctx context.Context, sp spool, save func(ctx context.Context, tx bun.Tx) (T, error),
	store func(ctx context.Context, tx bun.Tx, saved T, files []spooled, bodies []io.Reader) error) (T, []string, error) {
	var zero, saved T
	files, err := sp.list(ctx)
	if err != nil {
		return zero, nil, err
	}
	var problems []string
	err = u.app.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if saved, err = save(ctx, tx); err != nil || len(files) == 0 {
			return err
		}
		bodies, closeAll, err := sp.open(ctx, files)
		if err != nil {
			return err
		}
		defer closeAll()
		err = store(ctx, tx, saved, files, bodies)
		if problems, err = filesRefused(err, spooledNames(files)); err == nil && len(problems) > 0 {
			return errFilesRefused
		}
		return err
	})
	if errors.Is(err, errFilesRefused) {
		return zero, problems, nil
	}
	if err != nil {
		return zero, nil, err
	}
	if err := sp.clear(ctx, files); err != nil {
		u.log.Warn("spooled files not removed", "err", err)
	}
	return saved, nil, nil
}

// errFilesRefused rolls back a save whose files the engine refused.
var errFilesRefused = errors.New("web: files refused")

// spooledNames returns the files' names, in order.
func spooledNames(files []spooled) []string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return names
}

// closers are opened files to close together.
type closers []io.Closer

// close closes them all; as a method value of a variable it sees the files
// appended after it was taken.
func (cs *closers) close() {
	for _, c := range *cs {
		_ = c.Close()
	}
}

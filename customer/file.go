package customer

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/filestore"
	"github.com/kirokuhq/kiroku/internal/media"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// FileKind is the broad class of a profile file, decided by its content
// (never by its name or a type the client claims). Its values are stable
// and stored.
type FileKind string

// The kinds of profile file accepted, as for contact record attachments.
// Everything else (office documents, archives, executables, HTML, SVG,
// text, HEIC, HEIF and AVIF photos, …) is refused.
const (
	FileImage FileKind = "image" // JPEG, PNG, GIF, WebP; stored cleaned, with a thumbnail
	FilePDF   FileKind = "pdf"   // PDF, stored as uploaded
	FileAudio FileKind = "audio" // MP3, AAC, M4A, WAV, Ogg, AMR, WebM audio, stored as uploaded
	FileVideo FileKind = "video" // MP4, MOV, 3GP, WebM/Matroska, stored as uploaded
)

// Limits of profile files (the byte and pixel limits are in Config).
const (
	// MaxFileNameLen is the longest file name, in characters.
	MaxFileNameLen = filestore.MaxNameLen
	// MaxUploadFiles is the most files one Files.Add call takes.
	MaxUploadFiles = 100
	// MinOrphanAge is the shortest grace period Files.CollectOrphans
	// accepts: files younger than it may belong to an upload in progress.
	MinOrphanAge = filestore.MinOrphanAge
)

// ThumbMIME is the type of every thumbnail: a JPEG whose longest side is
// 320 pixels (smaller images keep their size).
const ThumbMIME = filestore.ThumbMIME

// FileMeta is what staff set on a profile file: when adding it and, with
// Files.Update, afterwards.
type FileMeta struct {
	// Name is the file name shown and offered for download, e.g.
	// "名刺.jpg". Required. Surrounding white space is trimmed and the name
	// is normalized to NFC, then it may hold at most MaxFileNameLen
	// characters and no '/', '\', control or bidirectional-control
	// character, and may not be "." or "..". It never decides the type.
	Name string `json:"name"`
	// Favorite (☆) makes an image the customer's profile picture, shown
	// on the customer's page. At most one file of a customer is the
	// favorite: setting it on one clears it on the others. Only images
	// may be the favorite (field "favorite": not_allowed otherwise).
	Favorite bool `json:"favorite,omitempty"`
}

// FileUpload is one file given to Files.Add.
type FileUpload struct {
	FileMeta
	// Body is the file's content from its first byte. It is read once,
	// after the previous file's, up to its end or until the file is
	// refused, and never held whole in memory unless it is an image.
	// Files.Add does not close it.
	Body io.Reader
}

// File is a stored profile file of a customer (プロフィール画像・資料).
type File struct {
	FileMeta
	// ID identifies the file (a UUIDv7: time-ordered).
	ID uuid.UUID `json:"id"`
	// Customer is the customer the file belongs to; it never changes.
	Customer uuid.UUID `json:"customer"`
	// Kind and MIME are decided by the content. MIME is the type to serve
	// the file with (with "X-Content-Type-Options: nosniff"): for images
	// the type of the cleaned copy, "image/jpeg" or "image/png".
	Kind FileKind `json:"kind"`
	MIME string   `json:"mime"`
	// Size is the size in bytes of what Files.Open yields.
	Size int64 `json:"size"`
	// Width and Height are an image's dimensions, upright; 0 for other
	// kinds.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// HasThumb reports a thumbnail (images have one; see ThumbMIME).
	HasThumb bool `json:"has_thumb,omitempty"`
	// CreatedAt and CreatedBy tell when and by whom the file was added;
	// UpdatedAt and UpdatedBy, the last rename or ☆ change.
	CreatedAt time.Time `json:"created_at"`
	CreatedBy uuid.UUID `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy uuid.UUID `json:"updated_by"`
	// Version counts changes; Files.Update and Files.Delete take the
	// version they were based on and fail with ErrConflict when it is
	// stale. Setting the favorite on another file changes this one's
	// version when it clears its ☆.
	Version int64 `json:"version"`
}

// fileRow is the stored form of a profile file; its bytes are in the blob
// store under the keys fileKey derives from its IDs.
type fileRow struct {
	bun.BaseModel `bun:"table:customer_files,alias:f"`

	ID        uuid.UUID  `bun:"id,pk"`
	Tenant    uuid.UUID  `bun:"tenant_id"`
	Customer  uuid.UUID  `bun:"customer_id"`
	Name      string     `bun:"name"`
	Kind      media.Kind `bun:"kind"`
	MIME      string     `bun:"mime"`
	Size      int64      `bun:"size"`
	Width     int        `bun:"width"`
	Height    int        `bun:"height"`
	HasThumb  bool       `bun:"has_thumb"`
	Favorite  bool       `bun:"favorite"`
	CreatedAt time.Time  `bun:"created_at"`
	CreatedBy uuid.UUID  `bun:"created_by"`
	UpdatedAt time.Time  `bun:"updated_at"`
	UpdatedBy uuid.UUID  `bun:"updated_by"`
	Version   int64      `bun:"version"`
}

func (r *fileRow) file() File {
	return File{
		FileMeta: FileMeta{Name: r.Name, Favorite: r.Favorite},
		ID:       r.ID, Customer: r.Customer, Kind: FileKind(r.Kind), MIME: r.MIME, Size: r.Size,
		Width: r.Width, Height: r.Height, HasThumb: r.HasThumb,
		CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy, UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy,
		Version: r.Version,
	}
}

// keys are the blob keys of the file: its content and, if it has one, its
// thumbnail.
func (r *fileRow) keys() []string {
	keys := []string{fileKey(r.Tenant, r.Customer, r.ID, false)}
	if r.HasThumb {
		keys = append(keys, fileKey(r.Tenant, r.Customer, r.ID, true))
	}
	return keys
}

// Blob keys: "t/<tenant>/cf/<customer>/<file>" holds the content and
// "….thumb" the thumbnail (filestore.Key; contact record attachments are
// under "t/<tenant>/a/").
func filePrefix(tenant uuid.UUID) string { return "t/" + tenant.String() + "/cf/" }

func fileKey(tenant, customer, id uuid.UUID, thumb bool) string {
	return filestore.Key(filePrefix(tenant), customer, id, thumb)
}

// Files is the handle on customers' profile files (プロフィール画像登録):
// photos and documents kept with the customer, one of them (☆) the
// profile picture. Obtain it from Service.Files; it is bound to the same
// database handle as the Service (so a Service bound by WithDB gives a
// handle in that transaction).
//
// Who may see a customer may list and open its files; who may edit the
// customer may add, rename, ☆ and delete them. A customer that is deleted
// or that the principal may not see behaves as if its files did not exist
// (ErrNotFound). Files are kept in Config.Blobs (wrap it with
// blob.NewEncrypted for encryption at rest).
type Files struct{ s *Service }

// Files returns the handle on customers' profile files.
func (s *Service) Files() *Files { return &Files{s: s} }

// blobs returns the configured blob store.
func (s *Service) blobs() (blob.Store, error) {
	if s.cfg.Blobs == nil {
		return nil, fmt.Errorf("no blob store configured (Config.Blobs): %w", ErrInvalid)
	}
	return s.cfg.Blobs, nil
}

// editable loads a customer that is not deleted and that pr may edit.
func (s *Service) editable(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*Customer, error) {
	c, err := s.get(ctx, db, pr, id, false)
	if err != nil {
		return nil, err
	}
	if err := s.check(ctx, pr, permission.ActionEdit, c, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// auditFile records an action on a profile file in the audit log.
func (s *Service) auditFile(ctx context.Context, db bun.IDB, pr permission.Principal, action string, id uuid.UUID, detail string) error {
	return permission.Audit(ctx, db, pr, s.now(), action, "customer_file", id, detail)
}

// Add stores files on a customer that is not deleted and that the
// principal may edit, in order, and returns them in that order.
//
// Each file's type is decided by its content (see FileKind). Images are
// turned upright by their EXIF orientation and re-encoded without any
// metadata — no GPS position, camera or date —, and get a thumbnail; other
// files are streamed to Config.Blobs as uploaded.
//
// Problems come back as a *ValidationError with every name problem at once
// ("files[i].name"); the content is then not read. Content problems
// ("files[i].content": required for an empty file, not_allowed with the
// detected MIME type as Param for a refused type, too_large with
// Config.MaxFileSize, out_of_range for an image over
// Config.MaxImagePixels, format for a damaged image; "files": too_large
// with Config.MaxUploadSize for the files together, too_many past
// MaxUploadFiles; "files[i].favorite": too_many when more than one file is
// the favorite, not_allowed for a file that is not an image) stop storing,
// but the types of the remaining files are still checked and reported.
//
// Nothing is left behind by a call that fails: files already stored are
// deleted again. The customer is checked before the first byte is read and
// again in the transaction that inserts the rows.
func (h *Files) Add(ctx context.Context, customer uuid.UUID, files ...FileUpload) ([]File, error) {
	out, err := h.s.addFiles(ctx, customer, files)
	if err != nil {
		return nil, fmt.Errorf("customer: add files to %s: %w", customer, err)
	}
	return out, nil
}

func (s *Service) addFiles(ctx context.Context, customer uuid.UUID, files []FileUpload) ([]File, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	store, err := s.blobs()
	if err != nil {
		return nil, err
	}
	var v validation.Error
	switch {
	case len(files) == 0:
		v.Add("files", validation.CodeRequired, "")
	case len(files) > MaxUploadFiles:
		v.Add("files", validation.CodeTooMany, fmt.Sprint(MaxUploadFiles))
	}
	names := make([]string, len(files))
	favorite := -1
	for i, f := range files {
		names[i] = filestore.CleanName(&v, fmt.Sprintf("files[%d].name", i), f.Name)
		if f.Body == nil {
			v.Add(fmt.Sprintf("files[%d].content", i), validation.CodeRequired, "")
		}
		if f.Favorite {
			if favorite >= 0 {
				v.Add(fmt.Sprintf("files[%d].favorite", i), validation.CodeTooMany, "1")
			}
			favorite = i
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// Refuse before reading a byte; checked again in the transaction.
	if _, err := s.editable(ctx, s.db, pr, customer); err != nil {
		return nil, err
	}

	var written []string
	rows := make([]fileRow, 0, len(files))
	left := s.cfg.MaxUploadSize
	lim := filestore.Limits{File: s.cfg.MaxFileSize, Upload: s.cfg.MaxUploadSize, ImagePixels: s.cfg.MaxImagePixels}
	for i, f := range files {
		now := s.now()
		id := filestore.NewIDAt(now)
		st, keys, n, err := filestore.Store(ctx, store, &v, i, f.Body, func(thumb bool) string {
			return fileKey(pr.Tenant, customer, id, thumb)
		}, lim, left)
		written = append(written, keys...)
		if err != nil {
			filestore.Discard(ctx, store, written)
			return nil, err
		}
		left -= n
		if st == nil {
			continue
		}
		if f.Favorite && st.Kind != media.KindImage {
			v.Add(fmt.Sprintf("files[%d].favorite", i), validation.CodeNotAllowed, st.MIME)
		}
		rows = append(rows, fileRow{
			ID: id, Tenant: pr.Tenant, Customer: customer, Name: names[i], Kind: st.Kind, MIME: st.MIME,
			Size: st.Size, Width: st.Width, Height: st.Height, HasThumb: st.HasThumb, Favorite: f.Favorite,
			CreatedAt: now, CreatedBy: pr.User, UpdatedAt: now, UpdatedBy: pr.User, Version: 1,
		})
	}
	if err := v.Err(); err != nil {
		filestore.Discard(ctx, store, written)
		return nil, err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.editable(ctx, tx, pr, customer); err != nil {
			return err
		}
		if favorite >= 0 {
			if err := s.clearFavorite(ctx, tx, pr, customer, uuid.Nil); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return storage.Err(err)
		}
		for _, r := range rows {
			if err := s.auditFile(ctx, tx, pr, string(permission.ActionCreate), r.ID, "customer "+customer.String()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		filestore.Discard(ctx, store, written)
		return nil, err
	}
	out := make([]File, len(rows))
	for i := range rows {
		out[i] = rows[i].file()
	}
	return out, nil
}

// clearFavorite takes the ☆ off the customer's files but keep.
func (s *Service) clearFavorite(ctx context.Context, tx bun.IDB, pr permission.Principal, customer, keep uuid.UUID) error {
	_, err := tx.NewUpdate().Model((*fileRow)(nil)).
		Set("favorite = ?", false).Set("version = version + 1").
		Set("updated_at = ?", s.now()).Set("updated_by = ?", pr.User).
		Where("tenant_id = ?", pr.Tenant).Where("customer_id = ?", customer).
		Where("favorite").Where("id <> ?", keep).Exec(ctx)
	return storage.Err(err)
}

// selectFiles scans into rows the files pr may see, of customers that are
// not deleted (the permission engine's predicate, in SQL), shaped by build.
func (s *Service) selectFiles(ctx context.Context, db bun.IDB, pr permission.Principal, rows *[]fileRow, build func(*bun.SelectQuery) *bun.SelectQuery) error {
	q := db.NewSelect().Model(rows).
		Join("JOIN customers AS c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id").
		Where("f.tenant_id = ?", pr.Tenant).Where("c.deleted_at IS NULL")
	if err := s.visible(ctx, pr, q); err != nil {
		return err
	}
	return storage.Err(build(q).Scan(ctx))
}

// file loads one file pr may see (ErrNotFound otherwise).
func (s *Service) file(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*fileRow, error) {
	var rows []fileRow
	if err := s.selectFiles(ctx, db, pr, &rows, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("f.id = ?", id)
	}); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return &rows[0], nil
}

// List lists the files of a customer the principal may see (ErrNotFound
// for a deleted or invisible customer), in the order they were added.
func (h *Files) List(ctx context.Context, customer uuid.UUID) ([]File, error) {
	s := h.s
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	var rows []fileRow
	if _, err = s.get(ctx, s.db, pr, customer, false); err == nil {
		err = s.selectFiles(ctx, s.db, pr, &rows, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("f.customer_id = ?", customer).Order("f.created_at", "f.id")
		})
	}
	if err != nil {
		return nil, fmt.Errorf("customer: files of %s: %w", customer, err)
	}
	out := make([]File, len(rows))
	for i := range rows {
		out[i] = rows[i].file()
	}
	return out, nil
}

// Get returns a file's metadata without opening its content, for the
// file's customer visible to the principal as for Open. Unlike opening the
// content, reading the metadata is not recorded in the audit log.
func (h *Files) Get(ctx context.Context, id uuid.UUID) (*File, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	r, err := h.s.file(ctx, h.s.db, pr, id)
	if err != nil {
		return nil, fmt.Errorf("customer: file %s: %w", id, err)
	}
	f := r.file()
	return &f, nil
}

// Open opens a file's content, or with thumb its thumbnail (ThumbMIME;
// ErrNotFound when it has none), for streaming; the caller closes the
// reader. The file's customer must be visible to the principal. Opening
// the content (not the thumbnail) is recorded in the audit log.
func (h *Files) Open(ctx context.Context, id uuid.UUID, thumb bool) (io.ReadCloser, *File, error) {
	rc, f, err := h.s.openFile(ctx, id, thumb)
	if err != nil {
		return nil, nil, fmt.Errorf("customer: open file %s: %w", id, err)
	}
	return rc, f, nil
}

func (s *Service) openFile(ctx context.Context, id uuid.UUID, thumb bool) (io.ReadCloser, *File, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	store, err := s.blobs()
	if err != nil {
		return nil, nil, err
	}
	r, err := s.file(ctx, s.db, pr, id)
	if err != nil {
		return nil, nil, err
	}
	if thumb && !r.HasThumb {
		return nil, nil, ErrNotFound
	}
	rc, err := store.Get(ctx, fileKey(r.Tenant, r.Customer, r.ID, thumb))
	if err != nil {
		return nil, nil, err
	}
	if !thumb {
		if err := s.auditFile(ctx, s.db, pr, string(permission.ActionView), id, ""); err != nil {
			_ = rc.Close()
			return nil, nil, err
		}
	}
	f := r.file()
	return rc, &f, nil
}

// Update renames a file and sets or clears its ☆, based on version
// (ErrConflict when stale); setting the ☆ clears it on the customer's
// other files. The principal must be allowed to edit the customer.
// Problems come back as a *ValidationError (fields "name", "favorite").
func (h *Files) Update(ctx context.Context, id uuid.UUID, version int64, m FileMeta) (*File, error) {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *File
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.file(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		if _, err := s.editable(ctx, tx, pr, cur.Customer); err != nil {
			return err
		}
		if cur.Version != version {
			return ErrConflict
		}
		var v validation.Error
		m.Name = filestore.CleanName(&v, "name", m.Name)
		if m.Favorite && cur.Kind != media.KindImage {
			v.Add("favorite", validation.CodeNotAllowed, cur.MIME)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if m.Favorite && !cur.Favorite {
			if err := s.clearFavorite(ctx, tx, pr, cur.Customer, id); err != nil {
				return err
			}
		}
		r := *cur
		r.Name, r.Favorite = m.Name, m.Favorite
		r.UpdatedAt, r.UpdatedBy, r.Version = s.now(), pr.User, version+1
		res, err := tx.NewUpdate().Model(&r).Column("name", "favorite", "updated_at", "updated_by", "version").
			Where("f.id = ?", id).Where("f.tenant_id = ?", pr.Tenant).Where("f.version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		f := r.file()
		out = &f
		return s.auditFile(ctx, tx, pr, string(permission.ActionEdit), id, "")
	})
	if err != nil {
		return nil, fmt.Errorf("customer: update file %s: %w", id, err)
	}
	return out, nil
}

// Delete erases a file for good — its row, its content and its thumbnail —
// based on version (ErrConflict when stale). The principal must be allowed
// to edit the customer. The stored bytes are deleted after the row's
// deletion commits; if the blob store fails then, the row is gone, the
// error is returned and Files.CollectOrphans removes the bytes later.
// Bound to a caller's transaction (WithDB), which may still roll back, the
// bytes are left to Files.CollectOrphans.
func (h *Files) Delete(ctx context.Context, id uuid.UUID, version int64) error {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	store, err := s.blobs()
	if err != nil {
		return err
	}
	var keys []string
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.file(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		if _, err := s.editable(ctx, tx, pr, cur.Customer); err != nil {
			return err
		}
		if cur.Version != version {
			return ErrConflict
		}
		res, err := tx.NewDelete().Model((*fileRow)(nil)).
			Where("id = ?", id).Where("tenant_id = ?", pr.Tenant).Where("version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		keys = cur.keys()
		return s.auditFile(ctx, tx, pr, string(permission.ActionDelete), id, "customer "+cur.Customer.String())
	})
	if err == nil {
		err = filestore.Drop(ctx, s.db, store, keys)
	}
	if err != nil {
		return fmt.Errorf("customer: delete file %s: %w", id, err)
	}
	return nil
}

// fileKeysOf returns the blob keys of a customer's files.
func fileKeysOf(ctx context.Context, db bun.IDB, tenant, customer uuid.UUID) ([]string, error) {
	var rows []fileRow
	if err := db.NewSelect().Model(&rows).Column("id", "tenant_id", "customer_id", "has_thumb").
		Where("tenant_id = ?", tenant).Where("customer_id = ?", customer).Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	var keys []string
	for i := range rows {
		keys = append(keys, rows[i].keys()...)
	}
	return keys, nil
}

// CollectOrphans deletes the profile files of the principal's tenant that
// no file row refers to and that are older than olderThan (at least
// MinOrphanAge), and returns how many blobs it deleted. Admins only.
//
// Orphans arise where a row goes away without the service deleting its
// bytes: a caller's transaction (WithDB) that rolled back after Files.Add
// or that deleted a file or purged a customer, a process that died
// mid-upload, or a blob store that failed when a file was to be deleted.
// A file's age is read from its key (its time-ordered ID, stamped when the
// upload began). Run it from a maintenance job, e.g. daily with 24 hours.
// The run is recorded in the audit log with the number deleted.
func (h *Files) CollectOrphans(ctx context.Context, olderThan time.Duration) (int, error) {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return 0, fmt.Errorf("customer: collect orphan files: %w", err)
	}
	n, err := h.s.collectOrphanFiles(ctx, pr, olderThan)
	if err != nil {
		return n, fmt.Errorf("customer: collect orphan files: %w", err)
	}
	return n, nil
}

func (s *Service) collectOrphanFiles(ctx context.Context, pr permission.Principal, olderThan time.Duration) (int, error) {
	store, err := s.blobs()
	if err != nil {
		return 0, err
	}
	if err := filestore.CheckOrphanAge(olderThan); err != nil {
		return 0, err
	}
	deleted, err := filestore.CollectOrphans(ctx, store, filePrefix(pr.Tenant), s.now().Add(-olderThan),
		func(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
			var live []uuid.UUID
			err := s.db.NewSelect().Model((*fileRow)(nil)).Column("id").
				Where("tenant_id = ?", pr.Tenant).Where("id IN (?)", bun.List(ids)).Scan(ctx, &live)
			return live, storage.Err(err)
		})
	if err != nil {
		return deleted, err
	}
	return deleted, s.auditFile(ctx, s.db, pr, "collect_orphans", uuid.Nil, fmt.Sprintf("deleted %d", deleted))
}

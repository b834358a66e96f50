package contactlog

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

// AttachmentKind is the broad class of an attachment, decided by its
// content (never by its name or a type the client claims). Its values are
// stable and stored.
type AttachmentKind string

// The kinds of file a record accepts as attachments. Everything else
// (office documents, archives, executables, HTML, SVG, text, …) is refused.
const (
	AttachmentImage AttachmentKind = "image" // JPEG, PNG, GIF, WebP; stored cleaned, with a thumbnail
	AttachmentPDF   AttachmentKind = "pdf"   // PDF, stored as uploaded
	AttachmentAudio AttachmentKind = "audio" // MP3, AAC, M4A, WAV, Ogg, AMR, WebM audio, stored as uploaded
	AttachmentVideo AttachmentKind = "video" // MP4, MOV, 3GP, WebM/Matroska, stored as uploaded
)

// Limits of attachments (the byte and pixel limits are in Config).
const (
	// MaxAttachmentNameLen is the longest attachment name, in characters.
	MaxAttachmentNameLen = filestore.MaxNameLen
	// MaxUploadFiles is the most files one Attachments.Add call takes.
	MaxUploadFiles = 100
	// MinOrphanAge is the shortest grace period Attachments.CollectOrphans
	// accepts: files younger than it may belong to an upload in progress.
	MinOrphanAge = filestore.MinOrphanAge
)

// ThumbMIME is the type of every thumbnail: a JPEG whose longest side is
// 320 pixels (smaller images keep their size).
const ThumbMIME = filestore.ThumbMIME

// AttachmentMeta is what staff set on an attachment: when adding it and,
// with Attachments.Update, afterwards.
type AttachmentMeta struct {
	// Name is the file name shown and offered for download, e.g.
	// "見積書.pdf". Required. Surrounding white space is trimmed and the name
	// is normalized to NFC (macOS sends kana with separate voicing marks),
	// then it may hold at most MaxAttachmentNameLen characters and no '/',
	// '\', control or bidirectional-control character, and may not be "."
	// or "..". The name is a label only: it never decides the type.
	Name string `json:"name"`
	// Important marks the file (重要 ☆).
	Important bool `json:"important,omitempty"`
	// Shared shows the file in the customer's portal (お客様と共有), where
	// it appears only while its record is shared with the customer too.
	// Setting or clearing it needs the right to share the record.
	Shared bool `json:"shared,omitempty"`
}

// Upload is one file given to Attachments.Add.
type Upload struct {
	AttachmentMeta
	// Body is the file's content from its first byte. It is read once,
	// after the previous file's, up to its end or until the file is
	// refused, and never held whole in memory unless it is an image
	// (images are decoded to be cleaned). Attachments.Add does not close it.
	Body io.Reader
}

// Attachment is a stored file of a record.
type Attachment struct {
	AttachmentMeta
	// ID identifies the attachment (a UUIDv7: time-ordered).
	ID uuid.UUID `json:"id"`
	// Record is the record the file belongs to; it never changes.
	Record uuid.UUID `json:"record"`
	// Kind and MIME are decided by the content. MIME is the type to serve
	// the file with (with "X-Content-Type-Options: nosniff"): for images
	// the type of the cleaned copy, "image/jpeg" or "image/png", which may
	// differ from the upload's (a GIF or WebP is stored re-encoded).
	Kind AttachmentKind `json:"kind"`
	MIME string         `json:"mime"`
	// Size is the size in bytes of what Attachments.Open yields.
	Size int64 `json:"size"`
	// Width and Height are an image's dimensions, upright; 0 for other
	// kinds.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// HasThumb reports a thumbnail (images have one; see ThumbMIME).
	HasThumb bool `json:"has_thumb,omitempty"`
	// CreatedAt and CreatedBy tell when and by whom the file was added;
	// UpdatedAt and UpdatedBy, the last rename or flag change.
	CreatedAt time.Time `json:"created_at"`
	CreatedBy uuid.UUID `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy uuid.UUID `json:"updated_by"`
	// Version counts changes; Attachments.Update and Attachments.Delete take
	// the version they were based on and fail with ErrConflict when it is
	// stale.
	Version int64 `json:"version"`
}

// attachmentRow is the stored form of an attachment; its bytes are in the
// blob store under the keys attachmentKey derives from its IDs.
type attachmentRow struct {
	bun.BaseModel `bun:"table:contact_attachments,alias:a"`

	ID        uuid.UUID  `bun:"id,pk"`
	Tenant    uuid.UUID  `bun:"tenant_id"`
	Record    uuid.UUID  `bun:"record_id"`
	Name      string     `bun:"name"`
	Kind      media.Kind `bun:"kind"`
	MIME      string     `bun:"mime"`
	Size      int64      `bun:"size"`
	Width     int        `bun:"width"`
	Height    int        `bun:"height"`
	HasThumb  bool       `bun:"has_thumb"`
	Important bool       `bun:"important"`
	Shared    bool       `bun:"shared"`
	CreatedAt time.Time  `bun:"created_at"`
	CreatedBy uuid.UUID  `bun:"created_by"`
	UpdatedAt time.Time  `bun:"updated_at"`
	UpdatedBy uuid.UUID  `bun:"updated_by"`
	Version   int64      `bun:"version"`
}

func (row *attachmentRow) attachment() Attachment {
	return Attachment{
		AttachmentMeta: AttachmentMeta{Name: row.Name, Important: row.Important, Shared: row.Shared},
		ID:             row.ID, Record: row.Record, Kind: AttachmentKind(row.Kind), MIME: row.MIME, Size: row.Size,
		Width: row.Width, Height: row.Height, HasThumb: row.HasThumb,
		CreatedAt: row.CreatedAt, CreatedBy: row.CreatedBy, UpdatedAt: row.UpdatedAt, UpdatedBy: row.UpdatedBy,
		Version: row.Version,
	}
}

// keys are the blob keys of the attachment: its content and, if it has
// one, its thumbnail.
func (row *attachmentRow) keys() []string {
	keys := []string{attachmentKey(row.Tenant, row.Record, row.ID, false)}
	if row.HasThumb {
		keys = append(keys, attachmentKey(row.Tenant, row.Record, row.ID, true))
	}
	return keys
}

// Blob keys: "t/<tenant>/a/<record>/<attachment>" holds the content and
// "….thumb" the thumbnail (filestore.Key). The attachment ID is a UUIDv7
// stamped with the service clock when the upload began, so a key tells its
// age even when no row refers to it (Attachments.CollectOrphans).

func attachmentPrefix(tenant uuid.UUID) string { return "t/" + tenant.String() + "/a/" }

func attachmentKey(tenant, record, id uuid.UUID, thumb bool) string {
	return filestore.Key(attachmentPrefix(tenant), record, id, thumb)
}

// blobs returns the configured blob store.
func (s *Service) blobs() (blob.Store, error) {
	if s.cfg.Blobs == nil {
		return nil, fmt.Errorf("no blob store configured (Config.Blobs): %w", ErrInvalid)
	}
	return s.cfg.Blobs, nil
}

// editableRecord loads a record that is not deleted and that pr may edit,
// and share when share is set.
func (s *Service) editableRecord(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID, share bool) (*Record, error) {
	rec, err := s.get(ctx, db, pr, id, false)
	if err != nil {
		return nil, err
	}
	actions := []permission.Action{permission.ActionEdit}
	if share {
		actions = append(actions, permission.ActionShare)
	}
	if err := s.checkRecord(ctx, db, pr, rec, actions...); err != nil {
		return nil, err
	}
	return rec, nil
}

// Attachments is the handle on records' files (photos, PDFs, …): adding,
// listing, opening, renaming and sharing, deleting, and collecting the
// stored bytes no row refers to. Obtain it from Service.Attachments; it
// is bound to the same database handle as the Service (so a Service bound
// by WithDB gives a handle in that transaction) and applies the same
// permission rules.
type Attachments struct{ s *Service }

// Attachments returns the handle on records' attachments.
func (s *Service) Attachments() *Attachments { return &Attachments{s: s} }

// Add stores files on a record that is not deleted and that the
// principal may edit (and share, when a file is Shared), in order, and
// returns them in that order.
//
// Each file's type is decided by its content (see AttachmentKind). Images
// (JPEG, PNG, GIF, WebP) are turned upright by their EXIF orientation and
// re-encoded without any metadata — no GPS position, camera or date —, and
// get a thumbnail; the upload itself is not kept. Other files are streamed
// to Config.Blobs as uploaded, never held whole in memory. Images are
// decoded a few at a time (as many as the process has CPUs), so a burst of
// photo uploads waits instead of exhausting memory.
//
// Problems come back as a *ValidationError with every name problem at once
// ("files[i].name"); the content is then not read. Content problems
// ("files[i].content": required for an empty file, not_allowed with the
// detected MIME type as Param for a refused type — HEIC, HEIF and AVIF
// photos included, as their location data cannot be removed —, too_large
// with Config.MaxAttachmentSize, out_of_range for an image over
// Config.MaxImagePixels, format for a damaged image; "files": too_large
// with Config.MaxUploadSize for the files together, too_many past
// MaxUploadFiles) stop storing, but the types of the remaining files are
// still checked and reported.
//
// Bodies are read one after the other, so the files of one multipart
// request are passed either spooled (http.Request.ParseMultipartForm with a
// small memory limit keeps larger parts on disk) or one call per part, as
// multipart.Reader yields them.
//
// Nothing is left behind by a call that fails: files already stored are
// deleted again. The record is checked before the first byte is read and
// again in the transaction that inserts the rows, which is opened only once
// every file is stored, so a slow upload never blocks other writers. Within
// a caller's transaction (WithDB) that later rolls back, the stored files
// remain without rows until Attachments.CollectOrphans removes them.
func (h *Attachments) Add(ctx context.Context, record uuid.UUID, files ...Upload) ([]Attachment, error) {
	s := h.s
	out, err := s.addAttachments(ctx, record, files)
	if err != nil {
		return nil, fmt.Errorf("contactlog: add attachments to %s: %w", record, err)
	}
	return out, nil
}

func (s *Service) addAttachments(ctx context.Context, record uuid.UUID, files []Upload) ([]Attachment, error) {
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
	metas := make([]AttachmentMeta, len(files))
	share := false
	for i, f := range files {
		metas[i] = f.AttachmentMeta
		metas[i].Name = filestore.CleanName(&v, fmt.Sprintf("files[%d].name", i), f.Name)
		if f.Body == nil {
			v.Add(fmt.Sprintf("files[%d].content", i), validation.CodeRequired, "")
		}
		share = share || f.Shared
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// Refuse before reading a byte; checked again in the transaction.
	if _, err := s.editableRecord(ctx, s.db, pr, record, share); err != nil {
		return nil, err
	}

	var written []string
	rows := make([]attachmentRow, 0, len(files))
	left := s.cfg.MaxUploadSize
	for i, f := range files {
		row, keys, n, err := s.storeUpload(ctx, store, pr, record, &v, i, metas[i], f.Body, left)
		written = append(written, keys...)
		if err != nil {
			s.discardBlobs(ctx, written)
			return nil, err
		}
		left -= n
		if row != nil {
			rows = append(rows, *row)
		}
	}
	if err := v.Err(); err != nil {
		s.discardBlobs(ctx, written)
		return nil, err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.editableRecord(ctx, tx, pr, record, share); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
		for _, row := range rows {
			if err := s.audit(ctx, tx, pr, string(permission.ActionCreate), "attachment", row.ID, "record "+record.String()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.discardBlobs(ctx, written)
		return nil, err
	}
	out := make([]Attachment, len(rows))
	for i := range rows {
		out[i] = rows[i].attachment()
	}
	return out, nil
}

// storeUpload stores file i of an upload with left bytes of the upload's
// budget remaining (filestore.Store). It returns the row to insert (nil
// when the file was refused or not stored: problems go to v), the blob keys
// written (also on error) and the number of bytes read from body.
func (s *Service) storeUpload(ctx context.Context, store blob.Store, pr permission.Principal, record uuid.UUID,
	v *validation.Error, i int, meta AttachmentMeta, body io.Reader, left int64,
) (*attachmentRow, []string, int64, error) {
	now := s.now()
	id := filestore.NewIDAt(now)
	lim := filestore.Limits{File: s.cfg.MaxAttachmentSize, Upload: s.cfg.MaxUploadSize, ImagePixels: s.cfg.MaxImagePixels}
	st, keys, n, err := filestore.Store(ctx, store, v, i, body, func(thumb bool) string {
		return attachmentKey(pr.Tenant, record, id, thumb)
	}, lim, left)
	if st == nil || err != nil {
		return nil, keys, n, err
	}
	return &attachmentRow{
		ID: id, Tenant: pr.Tenant, Record: record, Name: meta.Name, Kind: st.Kind, MIME: st.MIME,
		Size: st.Size, Width: st.Width, Height: st.Height, HasThumb: st.HasThumb,
		Important: meta.Important, Shared: meta.Shared,
		CreatedAt: now, CreatedBy: pr.User, UpdatedAt: now, UpdatedBy: pr.User, Version: 1,
	}, keys, n, nil
}

// discardBlobs deletes the blobs of a failed upload (filestore.Discard).
func (s *Service) discardBlobs(ctx context.Context, keys []string) {
	if store, err := s.blobs(); err == nil {
		filestore.Discard(ctx, store, keys)
	}
}

// dropBlobs deletes the blobs of rows that a committed change removed
// (filestore.Drop: bound to a caller's transaction, they are left for
// Attachments.CollectOrphans).
func (s *Service) dropBlobs(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	store, err := s.blobs()
	if err != nil {
		return err
	}
	return filestore.Drop(ctx, s.db, store, keys)
}

// attachmentBlobKeys returns the blob keys of a record's attachments.
func (s *Service) attachmentBlobKeys(ctx context.Context, db bun.IDB, tenant, record uuid.UUID) ([]string, error) {
	var rows []attachmentRow
	if err := db.NewSelect().Model(&rows).Column("id", "tenant_id", "record_id", "has_thumb").
		Where("tenant_id = ?", tenant).Where("record_id = ?", record).Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	var keys []string
	for i := range rows {
		keys = append(keys, rows[i].keys()...)
	}
	return keys, nil
}

// selectAttachments scans into rows the attachments pr may see, of records
// that are not deleted, shaped by build. Customer principals see only the
// shared attachments of the records shared with them.
func (s *Service) selectAttachments(ctx context.Context, db bun.IDB, pr permission.Principal, rows *[]attachmentRow, build func(*bun.SelectQuery) *bun.SelectQuery) error {
	pred, err := s.authz.Predicate(ctx, pr, recordTable)
	if err != nil {
		return err
	}
	q := db.NewSelect().Model(rows).Join("JOIN contact_records AS r ON r.tenant_id = a.tenant_id AND r.id = a.record_id").
		Where("a.tenant_id = ?", pr.Tenant).Where("r.deleted_at IS NULL")
	if !pr.IsStaff() {
		q = q.Where("a.shared")
	}
	return storage.Err(storage.ScanBound(ctx, db, s.cfg.StatementCache, build(pred.Apply(q)), rows))
}

// attachment loads one attachment pr may see (ErrNotFound otherwise).
func (s *Service) attachment(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*attachmentRow, error) {
	var rows []attachmentRow
	if err := s.selectAttachments(ctx, db, pr, &rows, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("a.id = ?", id)
	}); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return &rows[0], nil
}

// attachmentsOf returns the attachments pr may see of the records (those
// not deleted), by record ID, each list in the order they were added. One
// query, whatever the number of records.
func (s *Service) attachmentsOf(ctx context.Context, db bun.IDB, pr permission.Principal, records []uuid.UUID) (map[uuid.UUID][]Attachment, error) {
	out := make(map[uuid.UUID][]Attachment, len(records))
	if len(records) == 0 {
		return out, nil
	}
	var rows []attachmentRow
	if err := s.selectAttachments(ctx, db, pr, &rows, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("a.record_id IN (?)", bun.List(records)).Order("a.record_id", "a.created_at", "a.id")
	}); err != nil {
		return nil, err
	}
	for i := range rows {
		out[rows[i].Record] = append(out[rows[i].Record], rows[i].attachment())
	}
	return out, nil
}

// List lists the attachments of a record the principal may see
// (ErrNotFound for a deleted or invisible record), in the order they were
// added. A customer principal sees only those shared with it.
func (h *Attachments) List(ctx context.Context, record uuid.UUID) ([]Attachment, error) {
	s := h.s
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out map[uuid.UUID][]Attachment
	if _, err = s.get(ctx, s.db, pr, record, false); err == nil {
		out, err = s.attachmentsOf(ctx, s.db, pr, []uuid.UUID{record})
	}
	if err != nil {
		return nil, fmt.Errorf("contactlog: attachments of %s: %w", record, err)
	}
	return out[record], nil
}

// Get returns an attachment's metadata without opening its content, for
// an attachment visible to the principal as for Open (a customer principal
// gets only shared attachments of records shared with it). Unlike opening
// the content, reading the metadata is not recorded in the audit log.
func (h *Attachments) Get(ctx context.Context, id uuid.UUID) (*Attachment, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	row, err := h.s.attachment(ctx, h.s.db, pr, id)
	if err != nil {
		return nil, fmt.Errorf("contactlog: attachment %s: %w", id, err)
	}
	a := row.attachment()
	return &a, nil
}

// Open opens an attachment's content, or with thumb its
// thumbnail (ThumbMIME; ErrNotFound when it has none), for streaming; the
// caller closes the reader. The attachment must be visible to the principal
// as in List: a customer principal opens only shared attachments
// of records shared with it. Opening the content (not the thumbnail) is
// recorded in the audit log.
func (h *Attachments) Open(ctx context.Context, id uuid.UUID, thumb bool) (io.ReadCloser, *Attachment, error) {
	s := h.s
	rc, a, err := s.openAttachment(ctx, id, thumb)
	if err != nil {
		return nil, nil, fmt.Errorf("contactlog: open attachment %s: %w", id, err)
	}
	return rc, a, nil
}

func (s *Service) openAttachment(ctx context.Context, id uuid.UUID, thumb bool) (io.ReadCloser, *Attachment, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	store, err := s.blobs()
	if err != nil {
		return nil, nil, err
	}
	row, err := s.attachment(ctx, s.db, pr, id)
	if err != nil {
		return nil, nil, err
	}
	if thumb && !row.HasThumb {
		return nil, nil, ErrNotFound
	}
	rc, err := store.Get(ctx, attachmentKey(row.Tenant, row.Record, row.ID, thumb))
	if err != nil {
		return nil, nil, err
	}
	if !thumb {
		if err := s.audit(ctx, s.db, pr, string(permission.ActionView), "attachment", id, ""); err != nil {
			_ = rc.Close()
			return nil, nil, err
		}
	}
	a := row.attachment()
	return rc, &a, nil
}

// Update renames an attachment and sets its flags, based on
// version (ErrConflict when stale). The principal must be allowed to edit
// the record, and to share it when Shared changes. Name problems come back
// as a *ValidationError (field "name").
func (h *Attachments) Update(ctx context.Context, id uuid.UUID, version int64, m AttachmentMeta) (*Attachment, error) {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Attachment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.attachment(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		if _, err := s.editableRecord(ctx, tx, pr, cur.Record, m.Shared != cur.Shared); err != nil {
			return err
		}
		if cur.Version != version {
			return ErrConflict
		}
		var v validation.Error
		m.Name = filestore.CleanName(&v, "name", m.Name)
		if err := v.Err(); err != nil {
			return err
		}
		row := *cur
		row.Name, row.Important, row.Shared = m.Name, m.Important, m.Shared
		row.UpdatedAt, row.UpdatedBy, row.Version = s.now(), pr.User, version+1
		res, err := tx.NewUpdate().Model(&row).Column("name", "important", "shared", "updated_at", "updated_by", "version").
			Where("a.id = ?", id).Where("a.tenant_id = ?", pr.Tenant).Where("a.version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		a := row.attachment()
		out = &a
		return s.audit(ctx, tx, pr, string(permission.ActionEdit), "attachment", id, "")
	})
	if err != nil {
		return nil, fmt.Errorf("contactlog: update attachment %s: %w", id, err)
	}
	return out, nil
}

// Delete erases an attachment for good — its row, its content
// and its thumbnail — based on version (ErrConflict when stale). The
// principal must be allowed to edit the record. The files are deleted
// after the row's deletion commits; if the blob store fails then, the row
// is gone, the error is returned and Attachments.CollectOrphans removes the files
// later. Bound to a caller's transaction (WithDB), which may still roll
// back, the files are left to Attachments.CollectOrphans.
func (h *Attachments) Delete(ctx context.Context, id uuid.UUID, version int64) error {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	var keys []string
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.attachment(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		if _, err := s.editableRecord(ctx, tx, pr, cur.Record, false); err != nil {
			return err
		}
		if cur.Version != version {
			return ErrConflict
		}
		res, err := tx.NewDelete().Model((*attachmentRow)(nil)).
			Where("id = ?", id).Where("tenant_id = ?", pr.Tenant).Where("version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		keys = cur.keys()
		return s.audit(ctx, tx, pr, string(permission.ActionDelete), "attachment", id, "record "+cur.Record.String())
	})
	if err == nil {
		err = s.dropBlobs(ctx, keys)
	}
	if err != nil {
		return fmt.Errorf("contactlog: delete attachment %s: %w", id, err)
	}
	return nil
}

// CollectOrphans deletes the attachment files of the principal's tenant
// that no attachment row refers to and that are older than olderThan (at
// least MinOrphanAge), and returns how many it deleted. Admins only.
//
// Orphans arise where a file's row goes away without the service deleting
// the file: a customer purge (customer.Purge erases the customer's records
// and their attachment rows in the database only), a caller's transaction
// (WithDB) that rolled back after Attachments.Add or that purged a record or
// deleted an attachment, a process that died mid-upload, or a blob store
// that failed when a file was to be deleted. The age of a file is read from
// its key (the attachment's time-ordered ID, stamped when the upload
// began), so files of uploads still in progress are safe as long as
// olderThan exceeds the longest upload.
//
// Run it from a maintenance job, e.g. daily with 24 hours, for each tenant
// with an admin principal of that tenant (the embedding application may
// build one: permission.Principal{Tenant: t, User: <a service account's
// ID>, Roles: []permission.Role{permission.RoleAdmin}}). The run is
// recorded in the audit log with the number of files deleted. Safe to run
// while the service is in use and from several processes at once.
func (h *Attachments) CollectOrphans(ctx context.Context, olderThan time.Duration) (int, error) {
	s := h.s
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return 0, fmt.Errorf("contactlog: collect orphan blobs: %w", err)
	}
	return s.collectOrphanBlobs(ctx, pr, olderThan)
}

// collectOrphanBlobs is Attachments.CollectOrphans for pr's tenant, audited as
// pr, after the permission check (or for the system: System's scheduled
// collection).
func (s *Service) collectOrphanBlobs(ctx context.Context, pr permission.Principal, olderThan time.Duration) (_ int, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("contactlog: collect orphan blobs: %w", err)
		}
	}()
	store, err := s.blobs()
	if err != nil {
		return 0, err
	}
	if err := filestore.CheckOrphanAge(olderThan); err != nil {
		return 0, err
	}
	deleted, err := filestore.CollectOrphans(ctx, store, attachmentPrefix(pr.Tenant), s.now().Add(-olderThan),
		func(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
			var live []uuid.UUID
			err := s.db.NewSelect().Model((*attachmentRow)(nil)).Column("id").
				Where("tenant_id = ?", pr.Tenant).Where("id IN (?)", bun.List(ids)).Scan(ctx, &live)
			return live, storage.Err(err)
		})
	if err != nil {
		return deleted, err
	}
	return deleted, s.audit(ctx, s.db, pr, "collect_orphans", "attachment", uuid.Nil, fmt.Sprintf("deleted %d", deleted))
}

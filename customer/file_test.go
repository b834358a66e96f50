package customer_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// fileFixture is setup's fixture with a service keeping profile files in
// an encrypted store over plain, and a customer assigned to f.staff.
type fileFixture struct {
	*fixture
	plain *blob.Local // what is on disk
	svc   *customer.Service
	c     *customer.Customer
}

func setupFiles(t *testing.T, db *bun.DB, cfg customer.Config) *fileFixture {
	t.Helper()
	f := setup(t, db)
	plain, err := blob.NewLocal(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = plain.Close() })
	store, err := blob.NewEncrypted(plain, bytes.Repeat([]byte{7}, blob.KeySize))
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	cfg.Authorizer, cfg.Clock, cfg.Blobs = engine, f.clock.Now, store
	svc, err := customer.NewService(db, &cfg)
	require.NoError(t, err)
	c, err := svc.Create(f.staff, taro())
	require.NoError(t, err)
	return &fileFixture{fixture: f, plain: plain, svc: svc, c: c}
}

// keys lists every key in the store, sorted.
func (f *fileFixture) keys(t *testing.T) []string {
	t.Helper()
	var keys []string
	for k, err := range f.plain.List(context.Background(), "") {
		require.NoError(t, err)
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var (
	pdfBytes = []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	zipBytes = []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml")
	heicData = []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x08meta")
)

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = 200
	}
	m.SetNRGBA(0, 0, color.NRGBA{R: 255, A: 255})
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, m, nil))
	return b.Bytes()
}

func fileUpload(name string, r io.Reader) customer.FileUpload {
	return customer.FileUpload{FileMeta: customer.FileMeta{Name: name}, Body: r}
}

func readClose(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// bigPDF is a streamed "PDF" of n bytes, never held in memory.
func bigPDF(n int64) io.Reader {
	return io.MultiReader(bytes.NewReader(pdfBytes), io.LimitReader(zeroReader{}, n-int64(len(pdfBytes))))
}

func TestFilesLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setupFiles(t, db, customer.Config{})
		photo := customer.FileUpload{FileMeta: customer.FileMeta{Name: " 名刺.jpg ", Favorite: true}, Body: bytes.NewReader(jpegBytes(t, 640, 480))}
		added, err := f.svc.Files().Add(f.staff, f.c.ID, photo, fileUpload("見積書.pdf", bytes.NewReader(pdfBytes)))
		require.NoError(t, err)
		require.Len(t, added, 2)
		img, pdf := added[0], added[1]
		require.Equal(t, "名刺.jpg", img.Name)
		require.Equal(t, customer.FileImage, img.Kind)
		require.Equal(t, "image/jpeg", img.MIME)
		require.Equal(t, [2]int{640, 480}, [2]int{img.Width, img.Height})
		require.True(t, img.HasThumb)
		require.True(t, img.Favorite)
		require.Equal(t, customer.FilePDF, pdf.Kind)
		require.Equal(t, int64(len(pdfBytes)), pdf.Size)
		require.False(t, pdf.HasThumb)

		list, err := f.svc.Files().List(f.staff, f.c.ID)
		require.NoError(t, err)
		require.Equal(t, added, list)

		rc, got, err := f.svc.Files().Open(f.staff, pdf.ID, false)
		require.NoError(t, err)
		require.Equal(t, pdfBytes, readClose(t, rc))
		require.Equal(t, pdf, *got)
		// The metadata alone opens nothing and is not audited (below).
		meta, err := f.svc.Files().Get(f.staff, pdf.ID)
		require.NoError(t, err)
		require.Equal(t, pdf, *meta)
		rc, _, err = f.svc.Files().Open(f.staff, img.ID, true)
		require.NoError(t, err)
		thumb, _, err := image.DecodeConfig(bytes.NewReader(readClose(t, rc)))
		require.NoError(t, err)
		require.Equal(t, 320, thumb.Width)
		_, _, err = f.svc.Files().Open(f.staff, pdf.ID, true)
		require.ErrorIs(t, err, customer.ErrNotFound, "a PDF has no thumbnail")

		// Encrypted at rest: what is stored is not the plaintext.
		keys := f.keys(t)
		require.Len(t, keys, 3)
		for _, k := range keys {
			raw := readClose(t, must(f.plain.Get(context.Background(), k)))
			require.NotContains(t, string(raw), "%PDF")
			require.False(t, bytes.HasPrefix(raw, []byte{0xFF, 0xD8}), "not a JPEG in the clear")
		}

		// ☆ moves: the second photo takes it from the first.
		second, err := f.svc.Files().Add(f.staff, f.c.ID, fileUpload("外観.jpg", bytes.NewReader(jpegBytes(t, 40, 30))))
		require.NoError(t, err)
		star, err := f.svc.Files().Update(f.staff, second[0].ID, second[0].Version, customer.FileMeta{Name: "外観 2.jpg", Favorite: true})
		require.NoError(t, err)
		require.True(t, star.Favorite)
		require.Equal(t, int64(2), star.Version)
		list, err = f.svc.Files().List(f.staff, f.c.ID)
		require.NoError(t, err)
		require.False(t, list[0].Favorite)
		require.Equal(t, int64(2), list[0].Version, "clearing the ☆ is a change")
		require.True(t, list[2].Favorite)
		// Only images are the profile picture; names are checked.
		_, err = f.svc.Files().Update(f.staff, pdf.ID, pdf.Version, customer.FileMeta{Name: "a/b", Favorite: true})
		requireCodes(t, err, map[string]string{"name": "not_allowed", "favorite": "not_allowed"})
		_, err = f.svc.Files().Update(f.staff, img.ID, img.Version, customer.FileMeta{Name: "古い版"})
		require.ErrorIs(t, err, customer.ErrConflict)

		require.ErrorIs(t, f.svc.Files().Delete(f.staff, pdf.ID, pdf.Version+1), customer.ErrConflict)
		require.NoError(t, f.svc.Files().Delete(f.staff, pdf.ID, pdf.Version))
		require.Len(t, f.keys(t), 4, "the PDF's bytes are gone, two photos with thumbnails stay")
		_, _, err = f.svc.Files().Open(f.staff, pdf.ID, false)
		require.ErrorIs(t, err, customer.ErrNotFound)
		_, err = f.svc.Files().Get(f.staff, pdf.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)

		// Views, adds, changes and deletes are audited.
		entries, err := permission.AuditLog(f.admin, db, permission.AuditQuery{Object: pdf.ID})
		require.NoError(t, err)
		var actions []string
		for _, e := range entries {
			require.Equal(t, "customer_file", e.ObjectType)
			actions = append(actions, e.Action)
		}
		require.Equal(t, []string{"delete", "view", "create"}, actions)

		// A purge erases the files with the customer, bytes included.
		require.NoError(t, f.svc.Purge(f.admin, f.c.ID))
		require.Empty(t, f.keys(t))
	})
}

func TestFilesLimits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setupFiles(t, db, customer.Config{})
		const mb = 1 << 20
		// 30 MB per file: exactly 30 MiB is taken, one byte more is not.
		_, err := f.svc.Files().Add(f.staff, f.c.ID, fileUpload("big.pdf", bigPDF(30*mb+1)))
		requireCodes(t, err, map[string]string{"files[0].content": "too_large"})
		require.Empty(t, f.keys(t))
		added, err := f.svc.Files().Add(f.staff, f.c.ID, fileUpload("max.pdf", bigPDF(30*mb)))
		require.NoError(t, err)
		require.Equal(t, int64(30*mb), added[0].Size)
		require.NoError(t, f.svc.Files().Delete(f.staff, added[0].ID, added[0].Version))
		// 30 MB per upload: two files of 20 MB are refused together, and
		// the first one stored is removed again.
		_, err = f.svc.Files().Add(f.staff, f.c.ID, fileUpload("a.pdf", bigPDF(20*mb)), fileUpload("b.pdf", bigPDF(20*mb)))
		requireCodes(t, err, map[string]string{"files": "too_large"})
		require.Empty(t, f.keys(t))
		list, err := f.svc.Files().List(f.staff, f.c.ID)
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

func TestFilesRefuseBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setupFiles(t, db, customer.Config{})
		_, err := f.svc.Files().Add(f.staff, f.c.ID,
			fileUpload("word.docx", bytes.NewReader(zipBytes)),
			fileUpload("写真.heic", bytes.NewReader(heicData)),
			fileUpload("empty.pdf", bytes.NewReader(nil)),
			fileUpload("ok.pdf", bytes.NewReader(pdfBytes)))
		requireCodes(t, err, map[string]string{
			"files[0].content": "not_allowed", "files[1].content": "not_allowed", "files[2].content": "required",
		})
		// Name problems are reported before any content is read.
		_, err = f.svc.Files().Add(f.staff, f.c.ID, fileUpload("..", bytes.NewReader(pdfBytes)),
			customer.FileUpload{FileMeta: customer.FileMeta{Name: "a.jpg", Favorite: true}, Body: bytes.NewReader(nil)},
			customer.FileUpload{FileMeta: customer.FileMeta{Name: "b.jpg", Favorite: true}, Body: bytes.NewReader(nil)})
		requireCodes(t, err, map[string]string{"files[0].name": "not_allowed", "files[2].favorite": "too_many"})
		_, err = f.svc.Files().Add(f.staff, f.c.ID, customer.FileUpload{FileMeta: customer.FileMeta{Name: "資料.pdf", Favorite: true}, Body: bytes.NewReader(pdfBytes)})
		requireCodes(t, err, map[string]string{"files[0].favorite": "not_allowed"})
		_, err = f.svc.Files().Add(f.staff, f.c.ID)
		requireCodes(t, err, map[string]string{"files": "required"})
		require.Empty(t, f.keys(t))
	})
}

func TestFilesFollowCustomerPermissions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setupFiles(t, db, customer.Config{})
		ctx := context.Background()
		added, err := f.svc.Files().Add(f.staff, f.c.ID, fileUpload("資料.pdf", bytes.NewReader(pdfBytes)))
		require.NoError(t, err)
		file := added[0]

		// Another tenant: nothing exists.
		_, err = f.svc.Files().List(f.other, f.c.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
		_, _, err = f.svc.Files().Open(f.other, file.ID, false)
		require.ErrorIs(t, err, customer.ErrNotFound)
		_, err = f.svc.Files().Get(f.other, file.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
		_, err = f.svc.Files().Add(f.other, f.c.ID, fileUpload("x.pdf", bytes.NewReader(pdfBytes)))
		require.ErrorIs(t, err, customer.ErrNotFound)
		require.ErrorIs(t, f.svc.Files().Delete(f.other, file.ID, file.Version), customer.ErrNotFound)

		// Assigned visibility: a staff member who may not see the customer
		// gets not-found; a partner who sees it may not change its files.
		tn, err := f.dir.Tenant(ctx, f.tenant)
		require.NoError(t, err)
		tn.CustomerVisibility = permission.VisibilityAssigned
		_, err = f.dir.UpdateTenant(ctx, *tn)
		require.NoError(t, err)
		as := func(user uuid.UUID) context.Context {
			p, err := f.dir.Principal(ctx, f.tenant, user)
			require.NoError(t, err)
			return permission.WithPrincipal(ctx, p)
		}
		outsider, err := f.dir.SaveUser(ctx, permission.User{Tenant: f.tenant, Name: "別部署 社員", Active: true})
		require.NoError(t, err)
		_, err = f.svc.Files().List(as(outsider.ID), f.c.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
		_, _, err = f.svc.Files().Open(as(outsider.ID), file.ID, false)
		require.ErrorIs(t, err, customer.ErrNotFound)
		_, err = f.svc.Files().Update(as(outsider.ID), file.ID, file.Version, customer.FileMeta{Name: "x"})
		require.ErrorIs(t, err, customer.ErrNotFound)

		partner, err := f.dir.SaveUser(ctx, permission.User{Tenant: f.tenant, Name: "協力 業者", Roles: []permission.Role{permission.RolePartner}, Active: true})
		require.NoError(t, err)
		p := f.c.Profile
		p.Assignees = []uuid.UUID{user(f.staff), partner.ID}
		_, err = f.svc.Update(f.admin, f.c.ID, f.c.Version, p)
		require.NoError(t, err)
		list, err := f.svc.Files().List(as(partner.ID), f.c.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		_, err = f.svc.Files().Add(as(partner.ID), f.c.ID, fileUpload("y.pdf", bytes.NewReader(pdfBytes)))
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		require.ErrorIs(t, f.svc.Files().Delete(as(partner.ID), file.ID, file.Version), customer.ErrPermissionDenied)

		// A deleted customer's files are gone with it.
		require.NoError(t, f.svc.Delete(f.staff, f.c.ID))
		_, _, err = f.svc.Files().Open(f.staff, file.ID, false)
		require.ErrorIs(t, err, customer.ErrNotFound)
	})
}

func TestFilesCollectOrphans(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setupFiles(t, db, customer.Config{})
		ctx := context.Background()
		kept, err := f.svc.Files().Add(f.staff, f.c.ID, fileUpload("残す.pdf", bytes.NewReader(pdfBytes)))
		require.NoError(t, err)
		// An add in a caller's transaction that rolls back leaves bytes
		// without a row.
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = f.svc.WithDB(tx).Files().Add(f.staff, f.c.ID, fileUpload("消える.jpg", bytes.NewReader(jpegBytes(t, 20, 20))))
		require.NoError(t, err)
		require.NoError(t, tx.Rollback())
		require.Len(t, f.keys(t), 3)

		_, err = f.svc.Files().CollectOrphans(f.staff, 24*time.Hour)
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		_, err = f.svc.Files().CollectOrphans(f.admin, time.Minute)
		requireCodes(t, err, map[string]string{"older_than": "out_of_range"})
		n, err := f.svc.Files().CollectOrphans(f.admin, 24*time.Hour)
		require.NoError(t, err)
		require.Zero(t, n, "young files may belong to an upload in progress")
		f.clock.Advance(25 * time.Hour)
		n, err = f.svc.Files().CollectOrphans(f.admin, 24*time.Hour)
		require.NoError(t, err)
		require.Equal(t, 2, n, "the photo and its thumbnail")
		rc, _, err := f.svc.Files().Open(f.staff, kept[0].ID, false)
		require.NoError(t, err)
		require.Equal(t, pdfBytes, readClose(t, rc))
	})
}

package contactlog_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/media"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// blobService returns a service on f's database storing attachments in
// cfg.Blobs, with f's clock unless cfg has one.
func blobService(t *testing.T, f *fixture, cfg contactlog.Config) *contactlog.Service {
	t.Helper()
	engine, err := permission.NewEngine(f.db)
	require.NoError(t, err)
	cfg.Authorizer = engine
	if cfg.Clock == nil {
		cfg.Clock = f.clock.Now
	}
	svc, err := contactlog.NewService(f.db, withDeps(t, f.db, cfg))
	require.NoError(t, err)
	return svc
}

func localStore(t *testing.T) *blob.Local {
	t.Helper()
	store, err := blob.NewLocal(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// setupAttachments returns the fixture on db, a fresh local blob store, a
// service keeping attachments in it (f.svc has no blob store), and a record
// by staff for yamada to attach files to.
func setupAttachments(t *testing.T, db *bun.DB) (*fixture, *blob.Local, *contactlog.Service, *contactlog.Record) {
	t.Helper()
	f := setup(t, db)
	store := localStore(t)
	svc := blobService(t, f, contactlog.Config{Blobs: store})
	rec, err := f.svc.Create(f.staff, entry(f.yamada.ID))
	require.NoError(t, err)
	return f, store, svc, rec
}

// storedKeys lists every key in store, sorted.
func storedKeys(t *testing.T, store blob.Store) []string {
	t.Helper()
	var keys []string
	for k, err := range store.List(context.Background(), "") {
		require.NoError(t, err)
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readAll(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

// File fixtures: a few magic bytes are what media.Sniff decides by.
var (
	pdfFile  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	amrFile  = []byte("#!AMR\n\x3c\x48\xf5\x1f\x96\x66\x79\xe1\xe0\x01\xe7\x8a\xf0\x00\x00\x00\xc0\x00\x00\x00\x00")
	mp4File  = []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08free")
	heicFile = []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x08meta")
	zipFile  = []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml")
	htmlFile = []byte("<html><body><script>alert(1)</script></body></html>")
	exeFile  = []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
)

// halves returns a w×h image whose left half is red and right half blue.
func halves(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: 255, A: 255}
			if x >= w/2 {
				c = color.NRGBA{B: 255, A: 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func pngFile(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// phoneJPEG is a 64×32 JPEG, left half red, as a phone held upright writes
// it: EXIF Orientation 6 (display turned clockwise: 32×64, red on top), the
// camera make and a GPS position.
func phoneJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, halves(64, 32), &jpeg.Options{Quality: 95}))
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	entry := func(tag, typ uint16, count uint32, value []byte) {
		tiff = be.AppendUint16(tiff, tag)
		tiff = be.AppendUint16(tiff, typ)
		tiff = be.AppendUint32(tiff, count)
		tiff = append(tiff, value...)
	}
	// IFD0 at 8: 3 entries (42 bytes); the GPS IFD at 50: 2 entries (30
	// bytes); the latitude's rationals at 80.
	tiff = be.AppendUint16(tiff, 3)
	entry(0x010F, 2, 4, []byte("Cam\x00"))  // Make
	entry(0x0112, 3, 1, []byte{0, 6, 0, 0}) // Orientation
	entry(0x8825, 4, 1, be.AppendUint32(nil, 50))
	tiff = be.AppendUint32(tiff, 0)
	tiff = be.AppendUint16(tiff, 2)
	entry(0x0001, 2, 2, []byte("N\x00\x00\x00"))  // GPSLatitudeRef
	entry(0x0002, 5, 3, be.AppendUint32(nil, 80)) // GPSLatitude
	tiff = be.AppendUint32(tiff, 0)
	for _, v := range []uint32{35, 40, 52} {
		tiff = be.AppendUint32(be.AppendUint32(tiff, v), 1)
	}
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := append([]byte{0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}, app1...)
	jpg := b.Bytes()
	return slices.Concat(jpg[:2], seg, jpg[2:])
}

func upload(name string, data []byte) contactlog.Upload {
	return contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: name}, Body: bytes.NewReader(data)}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// bigPDF is a streamed "PDF" of n bytes, never held in memory.
func bigPDF(n int64) io.Reader {
	return io.MultiReader(bytes.NewReader(pdfFile), io.LimitReader(zeros{}, n-int64(len(pdfFile))))
}

// untouched fails the test if it is read.
type untouched struct{ t *testing.T }

func (u untouched) Read([]byte) (int, error) {
	u.t.Error("the content was read")
	return 0, io.EOF
}

// atEOF calls fn once, when r is exhausted, before reporting the end.
type atEOF struct {
	r    io.Reader
	fn   func()
	done bool
}

func (a *atEOF) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err == io.EOF && !a.done {
		a.done = true
		a.fn()
	}
	return n, err
}

// The kinds are stored as the media package names them: contactlog's
// constants must spell them the same.
func TestAttachmentKindsMatchMedia(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind  contactlog.AttachmentKind
		media media.Kind
	}{
		{contactlog.AttachmentImage, media.KindImage},
		{contactlog.AttachmentPDF, media.KindPDF},
		{contactlog.AttachmentAudio, media.KindAudio},
		{contactlog.AttachmentVideo, media.KindVideo},
	} {
		require.Equal(t, string(tc.media), string(tc.kind))
	}
}

func TestAttachmentsAddListOpen(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, rec := setupAttachments(t, db)

		photo := phoneJPEG(t)
		require.Contains(t, string(photo), "Exif")
		require.Contains(t, string(photo), "Cam")
		// Names lie about the type; the content decides. The PDF's name
		// comes in NFD, as macOS sends it.
		files := []contactlog.Upload{
			upload(" IMG_0001.pdf ", photo),
			upload("図面.png", pngFile(t, halves(8, 4))),
			upload("ハ\u309aンフレット.jpg", pdfFile),
			upload("録音.amr", amrFile),
			upload("動画.mp4", mp4File),
		}
		files[1].Important = true
		files[2].Shared = true
		got, err := svc.Attachments().Add(f.staff, rec.ID, files...)
		require.NoError(t, err)
		require.Len(t, got, 5)
		for i, want := range []struct {
			name string
			kind contactlog.AttachmentKind
			mime string
		}{
			{"IMG_0001.pdf", contactlog.AttachmentImage, "image/jpeg"},
			{"図面.png", contactlog.AttachmentImage, "image/png"},
			{"パンフレット.jpg", contactlog.AttachmentPDF, "application/pdf"},
			{"録音.amr", contactlog.AttachmentAudio, "audio/amr"},
			{"動画.mp4", contactlog.AttachmentVideo, "video/mp4"},
		} {
			a := got[i]
			require.Equal(t, want.name, a.Name, i)
			require.Equal(t, want.kind, a.Kind, i)
			require.Equal(t, want.mime, a.MIME, i)
			require.Equal(t, rec.ID, a.Record)
			require.Equal(t, f.staffID, a.CreatedBy)
			require.Equal(t, int64(1), a.Version)
			require.Equal(t, a.Kind == contactlog.AttachmentImage, a.HasThumb, i)
		}
		require.Equal(t, 32, got[0].Width, "upright")
		require.Equal(t, 64, got[0].Height)
		require.Equal(t, 8, got[1].Width)
		require.True(t, got[1].Important)
		require.True(t, got[2].Shared)
		require.Equal(t, int64(len(pdfFile)), got[2].Size)
		require.Zero(t, got[2].Width)

		// Listed in the order added, to everyone who sees the record.
		list, err := svc.Attachments().List(f.a, rec.ID)
		require.NoError(t, err)
		require.Len(t, list, 5)
		for i := range list {
			require.Equal(t, got[i].ID, list[i].ID)
			require.Equal(t, got[i].Size, list[i].Size)
			require.True(t, got[i].CreatedAt.Equal(list[i].CreatedAt))
		}

		// The stored photo is upright and carries no metadata.
		rc, a, err := svc.Attachments().Open(f.a, got[0].ID, false)
		require.NoError(t, err)
		require.Equal(t, got[0].ID, a.ID)
		// The metadata alone opens nothing and is not audited (below).
		meta, err := svc.Attachments().Get(f.a, got[0].ID)
		require.NoError(t, err)
		require.Equal(t, a, meta)
		data := readAll(t, rc)
		require.Equal(t, got[0].Size, int64(len(data)))
		require.NotContains(t, string(data), "Exif")
		require.NotContains(t, string(data), "Cam")
		img, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		require.Equal(t, image.Rect(0, 0, 32, 64), img.Bounds())
		r, _, b, _ := img.At(16, 8).RGBA()
		require.Greater(t, r, b, "red on top")
		rc, _, err = svc.Attachments().Open(f.a, got[0].ID, true)
		require.NoError(t, err)
		thumb := readAll(t, rc)
		require.NotContains(t, string(thumb), "Exif")
		_, err = jpeg.Decode(bytes.NewReader(thumb))
		require.NoError(t, err, "thumbnails are "+contactlog.ThumbMIME)

		// Other files are stored as uploaded, without a thumbnail.
		rc, _, err = svc.Attachments().Open(f.a, got[2].ID, false)
		require.NoError(t, err)
		require.Equal(t, pdfFile, readAll(t, rc))
		_, _, err = svc.Attachments().Open(f.a, got[2].ID, true)
		require.ErrorIs(t, err, contactlog.ErrNotFound)

		// Keys derive from tenant, record and attachment.
		prefix := "t/" + f.tenant.String() + "/a/" + rec.ID.String() + "/"
		var want []string
		for _, a := range got {
			want = append(want, prefix+a.ID.String())
			if a.HasThumb {
				want = append(want, prefix+a.ID.String()+".thumb")
			}
		}
		slices.Sort(want)
		require.Equal(t, want, storedKeys(t, store))

		// Other tenants see nothing.
		_, err = svc.Attachments().List(f.other, rec.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, _, err = svc.Attachments().Open(f.other, got[2].ID, false)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = svc.Attachments().Get(f.other, got[2].ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)

		// Additions and reads of content are in the audit log.
		log, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "attachment"})
		require.NoError(t, err)
		count := map[string]int{}
		for _, e := range log {
			count[e.Action]++
		}
		require.Equal(t, map[string]int{"create": 5, "view": 2}, count)
	})
}

func TestAttachmentRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, rec := setupAttachments(t, db)
		var v *contactlog.ValidationError

		// Every refused type at once, with what it seems to be; the valid
		// file before them is not kept.
		_, err := svc.Attachments().Add(f.staff, rec.ID,
			upload("ok.pdf", pdfFile),
			upload("見積.pdf", zipFile),
			upload("photo.jpg", htmlFile),
			upload("setup.pdf", exeFile),
			upload("IMG_0002.HEIC", heicFile),
			upload("empty.pdf", nil),
		)
		require.ErrorAs(t, err, &v)
		require.Equal(t, []validation.FieldError{
			{Field: "files[1].content", Code: validation.CodeNotAllowed, Param: "application/zip"},
			{Field: "files[2].content", Code: validation.CodeNotAllowed, Param: "text/html"},
			{Field: "files[3].content", Code: validation.CodeNotAllowed, Param: "application/octet-stream"},
			{Field: "files[4].content", Code: validation.CodeNotAllowed, Param: "image/heic"},
			{Field: "files[5].content", Code: validation.CodeRequired},
		}, v.Fields)

		// HEIC alone, as iPhones send it, with the photo's true size: its
		// location cannot be removed.
		_, err = svc.Attachments().Add(f.staff, rec.ID, upload("IMG_0003.jpg", append(slices.Clone(heicFile), make([]byte, 1<<20)...)))
		require.ErrorAs(t, err, &v)
		require.Equal(t, []validation.FieldError{{Field: "files[0].content", Code: validation.CodeNotAllowed, Param: "image/heic"}}, v.Fields)

		// Names are checked before any content is read.
		long := strings.Repeat("あ", contactlog.MaxAttachmentNameLen+1)
		var files []contactlog.Upload
		for _, name := range []string{"", "a/b.pdf", `a\b.pdf`, "a\x00b.pdf", "\u202efdp.exe", "..", long, "\xff.pdf", "ok.pdf"} {
			files = append(files, contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: name}, Body: untouched{t}})
		}
		files = append(files, contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "nil.pdf"}})
		_, err = svc.Attachments().Add(f.staff, rec.ID, files...)
		require.ErrorAs(t, err, &v)
		require.Equal(t, []validation.FieldError{
			{Field: "files[0].name", Code: validation.CodeRequired},
			{Field: "files[1].name", Code: validation.CodeNotAllowed, Param: "U+002F"},
			{Field: "files[2].name", Code: validation.CodeNotAllowed, Param: "U+005C"},
			{Field: "files[3].name", Code: validation.CodeNotAllowed, Param: "U+0000"},
			{Field: "files[4].name", Code: validation.CodeNotAllowed, Param: "U+202E"},
			{Field: "files[5].name", Code: validation.CodeNotAllowed, Param: ".."},
			{Field: "files[6].name", Code: validation.CodeTooLong, Param: "255"},
			{Field: "files[7].name", Code: validation.CodeEncoding},
			{Field: "files[9].content", Code: validation.CodeRequired},
		}, v.Fields)

		_, err = svc.Attachments().Add(f.staff, rec.ID)
		requireField(t, err, "files", validation.CodeRequired)
		many := make([]contactlog.Upload, contactlog.MaxUploadFiles+1)
		for i := range many {
			many[i] = contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "x.pdf"}, Body: untouched{t}}
		}
		_, err = svc.Attachments().Add(f.staff, rec.ID, many...)
		requireField(t, err, "files", validation.CodeTooMany)

		// A damaged image.
		_, err = svc.Attachments().Add(f.staff, rec.ID, upload("broken.jpg", append([]byte("\xff\xd8\xff\xe0"), make([]byte, 100)...)))
		requireField(t, err, "files[0].content", validation.CodeFormat)

		// 30 MiB per file and per upload by default, streamed.
		_, err = svc.Attachments().Add(f.staff, rec.ID, contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "big.pdf"}, Body: bigPDF(30<<20 + 1)})
		require.ErrorAs(t, err, &v)
		require.Equal(t, []validation.FieldError{{Field: "files[0].content", Code: validation.CodeTooLarge, Param: "31457280"}}, v.Fields)
		_, err = svc.Attachments().Add(f.staff, rec.ID,
			contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "a.pdf"}, Body: bigPDF(20 << 20)},
			contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "b.pdf"}, Body: bigPDF(20 << 20)},
		)
		require.ErrorAs(t, err, &v)
		require.Equal(t, []validation.FieldError{{Field: "files", Code: validation.CodeTooLarge, Param: "31457280"}}, v.Fields)
		require.Empty(t, storedKeys(t, store), "no refused upload leaves a file behind")
		list, err := svc.Attachments().List(f.staff, rec.ID)
		require.NoError(t, err)
		require.Empty(t, list)

		// Images are bounded by bytes and by pixels.
		small := blobService(t, f, contactlog.Config{Blobs: store, MaxAttachmentSize: 100, MaxImagePixels: 100})
		_, err = small.Attachments().Add(f.staff, rec.ID, upload("photo.jpg", phoneJPEG(t)))
		requireField(t, err, "files[0].content", validation.CodeTooLarge)
		_, err = small.Attachments().Add(f.staff, rec.ID, upload("tiny.png", pngFile(t, halves(1, 1))), upload("wide.png", pngFile(t, halves(101, 1))))
		require.ErrorAs(t, err, &v)
		require.Equal(t, []validation.FieldError{{Field: "files[1].content", Code: validation.CodeOutOfRange, Param: "1..100"}}, v.Fields)
		require.Empty(t, storedKeys(t, store))

		// Without a blob store, attachments are unavailable.
		_, err = f.svc.Attachments().Add(f.staff, rec.ID, upload("a.pdf", pdfFile))
		require.ErrorIs(t, err, contactlog.ErrInvalid)
	})
}

func TestAttachmentPermissions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, unsharedRec := setupAttachments(t, db)
		e := entry(f.yamada.ID)
		e.Shared = true
		rec, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)

		// a sees the record but may not edit it; the manager of the
		// author's group may.
		_, err = svc.Attachments().Add(f.a, rec.ID, upload("a.pdf", pdfFile))
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		_, err = svc.Attachments().Add(f.partner, rec.ID, upload("a.pdf", pdfFile))
		require.ErrorIs(t, err, contactlog.ErrNotFound, "partners do not see others' customers")
		shared := upload("公開.pdf", pdfFile)
		shared.Shared = true
		atts, err := svc.Attachments().Add(f.manager, rec.ID, shared, upload("社内.pdf", pdfFile))
		require.NoError(t, err)
		pub, internal := atts[0], atts[1]
		other := upload("公開.pdf", pdfFile)
		other.Shared = true
		otherAtts, err := svc.Attachments().Add(f.staff, unsharedRec.ID, other)
		require.NoError(t, err)
		require.Len(t, storedKeys(t, store), 3, "nothing stored for refused callers")

		list, err := svc.Attachments().List(f.a, rec.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		_, err = svc.Attachments().Update(f.a, internal.ID, 1, contactlog.AttachmentMeta{Name: "x.pdf"})
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		require.ErrorIs(t, svc.Attachments().Delete(f.a, internal.ID, 1), contactlog.ErrPermissionDenied)
		_, err = svc.Attachments().List(f.partner, rec.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, _, err = svc.Attachments().Open(f.partner, pub.ID, false)
		require.ErrorIs(t, err, contactlog.ErrNotFound)

		// The customer's portal sees the shared files of shared records,
		// and nothing else.
		cust := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID})
		list, err = svc.Attachments().List(cust, rec.ID)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{pub.ID}, []uuid.UUID{list[0].ID})
		require.Len(t, list, 1)
		rc, _, err := svc.Attachments().Open(cust, pub.ID, false)
		require.NoError(t, err)
		require.Equal(t, pdfFile, readAll(t, rc))
		_, _, err = svc.Attachments().Open(cust, internal.ID, false)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = svc.Attachments().List(cust, unsharedRec.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound, "a shared file of an unshared record")
		_, _, err = svc.Attachments().Open(cust, otherAtts[0].ID, false)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		stranger := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.partnerCo.ID})
		_, _, err = svc.Attachments().Open(stranger, pub.ID, false)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = svc.Attachments().Add(cust, rec.ID, upload("a.pdf", pdfFile))
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		_, err = svc.Attachments().Update(cust, pub.ID, 1, contactlog.AttachmentMeta{Name: "x.pdf", Shared: true})
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)

		// Unsharing the file hides it from the portal.
		_, err = svc.Attachments().Update(f.staff, pub.ID, 1, contactlog.AttachmentMeta{Name: pub.Name})
		require.NoError(t, err)
		list, err = svc.Attachments().List(cust, rec.ID)
		require.NoError(t, err)
		require.Empty(t, list)

		// A deleted record's files are out of reach until it is restored.
		require.NoError(t, f.svc.Delete(f.staff, rec.ID, rec.Version))
		_, err = svc.Attachments().List(f.staff, rec.ID)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, _, err = svc.Attachments().Open(f.staff, internal.ID, false)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = svc.Attachments().Add(f.staff, rec.ID, upload("a.pdf", pdfFile))
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		require.NoError(t, f.svc.Restore(f.staff, rec.ID, rec.Version+1))
		list, err = svc.Attachments().List(f.staff, rec.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
	})
}

func TestAttachmentUpdateDelete(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, rec := setupAttachments(t, db)
		atts, err := svc.Attachments().Add(f.staff, rec.ID, upload("IMG_0001.jpg", phoneJPEG(t)), upload("見積.pdf", pdfFile))
		require.NoError(t, err)
		photo, doc := atts[0], atts[1]

		up, err := svc.Attachments().Update(f.staff, photo.ID, 1, contactlog.AttachmentMeta{Name: " 打合せメモ.jpg ", Important: true, Shared: true})
		require.NoError(t, err)
		require.Equal(t, "打合せメモ.jpg", up.Name)
		require.True(t, up.Important)
		require.True(t, up.Shared)
		require.Equal(t, int64(2), up.Version)
		require.Equal(t, photo.Size, up.Size)
		_, err = svc.Attachments().Update(f.staff, photo.ID, 1, contactlog.AttachmentMeta{Name: "x.jpg"})
		require.ErrorIs(t, err, contactlog.ErrConflict)
		_, err = svc.Attachments().Update(f.staff, photo.ID, 2, contactlog.AttachmentMeta{Name: "../x.jpg"})
		requireField(t, err, "name", validation.CodeNotAllowed)
		list, err := svc.Attachments().List(f.staff, rec.ID)
		require.NoError(t, err)
		require.Equal(t, "打合せメモ.jpg", list[0].Name)
		require.Equal(t, int64(2), list[0].Version)
		require.Equal(t, f.staffID, list[0].UpdatedBy)

		require.Len(t, storedKeys(t, store), 3)
		require.ErrorIs(t, svc.Attachments().Delete(f.staff, photo.ID, 1), contactlog.ErrConflict)
		require.NoError(t, svc.Attachments().Delete(f.staff, photo.ID, 2))
		require.ErrorIs(t, svc.Attachments().Delete(f.staff, photo.ID, 2), contactlog.ErrNotFound)
		_, _, err = svc.Attachments().Open(f.staff, photo.ID, false)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		list, err = svc.Attachments().List(f.staff, rec.ID)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{doc.ID}, []uuid.UUID{list[0].ID})
		require.Len(t, list, 1)
		require.Equal(t, []string{"t/" + f.tenant.String() + "/a/" + rec.ID.String() + "/" + doc.ID.String()}, storedKeys(t, store),
			"the photo and its thumbnail are gone")

		log, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "attachment", Object: photo.ID})
		require.NoError(t, err)
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		require.Equal(t, []string{"delete", "edit", "create"}, actions)
	})
}

// failingStore fails every Put after the first ok ones.
type failingStore struct {
	blob.Store
	ok atomic.Int32
}

func (s *failingStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if s.ok.Add(-1) < 0 {
		return 0, errors.New("disk full")
	}
	return s.Store.Put(ctx, key, r)
}

// errAfter yields what r holds, then fails instead of ending.
type errAfter struct {
	r io.Reader
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestAttachmentFailuresLeaveNoBlobs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, rec := setupAttachments(t, db)
		requireEmpty := func(msg string) {
			t.Helper()
			require.Empty(t, storedKeys(t, store), msg)
			list, err := svc.Attachments().List(f.staff, rec.ID)
			require.NoError(t, err)
			require.Empty(t, list, msg)
		}

		// The store fails on the third file (the photo took two puts).
		fs := &failingStore{Store: store}
		fs.ok.Store(2)
		failing := blobService(t, f, contactlog.Config{Blobs: fs})
		_, err := failing.Attachments().Add(f.staff, rec.ID, upload("a.jpg", phoneJPEG(t)), upload("b.pdf", pdfFile))
		require.ErrorContains(t, err, "disk full")
		requireEmpty("store failure")

		// The client's connection breaks in the second file.
		_, err = svc.Attachments().Add(f.staff, rec.ID, upload("a.pdf", pdfFile),
			contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "b.pdf"}, Body: &errAfter{bytes.NewReader(pdfFile)}})
		require.ErrorContains(t, err, "connection reset")
		requireEmpty("read failure")

		// The request is cancelled as the last byte arrives: the files
		// already stored are deleted all the same.
		ctx, cancel := context.WithCancel(f.staff)
		_, err = svc.Attachments().Add(ctx, rec.ID, upload("a.pdf", pdfFile),
			contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "b.pdf"}, Body: &atEOF{r: bytes.NewReader(pdfFile), fn: cancel}})
		require.ErrorIs(t, err, context.Canceled)
		requireEmpty("cancelled")

		// The record is deleted while the files stream: the transaction
		// refuses the rows and the files go.
		other, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		_, err = svc.Attachments().Add(f.staff, other.ID, upload("a.pdf", pdfFile),
			contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "b.pdf"}, Body: &atEOF{r: bytes.NewReader(pdfFile), fn: func() {
				require.NoError(t, f.svc.Delete(f.staff, other.ID, other.Version))
			}}})
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		requireEmpty("record deleted meanwhile")
	})
}

func TestCollectOrphanBlobs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, rec := setupAttachments(t, db)
		// The collector runs a day later.
		later := blobService(t, f, contactlog.Config{Blobs: store, Clock: clocktest.New(f.clock.Now().Add(25*time.Hour), time.Millisecond).Now})
		kept, err := svc.Attachments().Add(f.staff, rec.ID, upload("kept.jpg", phoneJPEG(t)))
		require.NoError(t, err)
		keptKeys := storedKeys(t, store)
		require.Len(t, keptKeys, 2)

		// A caller's transaction adds files and then rolls back: the rows
		// go, the files stay behind until collected.
		boom := errors.New("boom")
		err = storage.InTx(f.staff, db, func(ctx context.Context, tx bun.IDB) error {
			atts, err := svc.WithDB(tx).Attachments().Add(ctx, rec.ID, upload("a.jpg", phoneJPEG(t)), upload("b.pdf", pdfFile))
			require.NoError(t, err)
			require.Len(t, atts, 2)
			return boom
		})
		require.ErrorIs(t, err, boom)
		list, err := svc.Attachments().List(f.staff, rec.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Len(t, storedKeys(t, store), 5)

		_, err = later.Attachments().CollectOrphans(f.staff, 24*time.Hour)
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
		_, err = later.Attachments().CollectOrphans(f.admin, time.Minute)
		requireField(t, err, "older_than", validation.CodeOutOfRange)
		n, err := svc.Attachments().CollectOrphans(f.admin, 24*time.Hour)
		require.NoError(t, err)
		require.Zero(t, n, "young files may belong to uploads in progress")
		n, err = later.Attachments().CollectOrphans(f.other, 24*time.Hour)
		require.NoError(t, err)
		require.Zero(t, n, "another tenant's files are not looked at")
		require.Len(t, storedKeys(t, store), 5)

		n, err = later.Attachments().CollectOrphans(f.admin, 24*time.Hour)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.Equal(t, keptKeys, storedKeys(t, store), "files with rows stay")
		rc, _, err := svc.Attachments().Open(f.staff, kept[0].ID, false)
		require.NoError(t, err)
		require.NoError(t, rc.Close())

		// Keys of another shape under the tenant's prefix are left alone.
		foreign := "t/" + f.tenant.String() + "/a/readme"
		_, err = store.Put(context.Background(), foreign, strings.NewReader("x"))
		require.NoError(t, err)
		n, err = later.Attachments().CollectOrphans(f.admin, 24*time.Hour)
		require.NoError(t, err)
		require.Zero(t, n)

		log, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "attachment"})
		require.NoError(t, err)
		require.Equal(t, "collect_orphans", log[0].Action)
		require.Equal(t, "deleted 0", log[0].Detail)
		require.Equal(t, "deleted 3", log[1].Detail)
	})
}

func TestPurgeDeletesAttachmentBlobs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, rec := setupAttachments(t, db)
		later := blobService(t, f, contactlog.Config{Blobs: store, Clock: clocktest.New(f.clock.Now().Add(25*time.Hour), time.Millisecond).Now})
		count := func() int64 {
			n, err := db.NewSelect().TableExpr("contact_attachments").Count(context.Background())
			require.NoError(t, err)
			return int64(n)
		}

		// A record purge deletes its files after the commit.
		_, err := svc.Attachments().Add(f.staff, rec.ID, upload("a.jpg", phoneJPEG(t)), upload("b.pdf", pdfFile))
		require.NoError(t, err)
		keep, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		_, err = svc.Attachments().Add(f.staff, keep.ID, upload("c.pdf", pdfFile))
		require.NoError(t, err)
		var keepKeys []string
		for _, k := range storedKeys(t, store) {
			if strings.Contains(k, keep.ID.String()) {
				keepKeys = append(keepKeys, k)
			}
		}
		require.Len(t, keepKeys, 1)
		require.NoError(t, svc.Purge(f.admin, rec.ID))
		require.Equal(t, keepKeys, storedKeys(t, store))
		require.Equal(t, int64(1), count())

		// Purged in a caller's transaction, which might still roll back,
		// the files stay until collected.
		err = storage.InTx(f.admin, db, func(ctx context.Context, tx bun.IDB) error {
			return svc.WithDB(tx).Purge(ctx, keep.ID)
		})
		require.NoError(t, err)
		require.Equal(t, keepKeys, storedKeys(t, store))
		require.Zero(t, count())

		// A customer purge erases the records and attachment rows in the
		// database; the collector removes the files.
		rec, err = f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		_, err = svc.Attachments().Add(f.staff, rec.ID, upload("d.jpg", phoneJPEG(t)))
		require.NoError(t, err)
		require.NoError(t, f.customer.Purge(f.admin, f.yamada.ID))
		require.Zero(t, count())
		require.Len(t, storedKeys(t, store), 3)
		n, err := later.Attachments().CollectOrphans(f.admin, 24*time.Hour)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.Empty(t, storedKeys(t, store))
	})
}

func TestAttachmentsOfIsOneQuery(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := blobService(t, f, contactlog.Config{Blobs: localStore(t)})
		var ids []uuid.UUID
		for i := range 4 {
			e := entry(f.yamada.ID)
			e.Shared = i%2 == 0
			if i == 3 {
				e.Scope = permission.Scope{Kind: permission.ScopeUsers}
			}
			rec, err := f.svc.Create(f.staff, e)
			require.NoError(t, err)
			ids = append(ids, rec.ID)
			u := upload("共有.pdf", pdfFile)
			u.Shared = true
			_, err = svc.Attachments().Add(f.staff, rec.ID, u, upload("社内.pdf", pdfFile))
			require.NoError(t, err)
		}
		var queries atomic.Int32
		//lint:ignore SA1019 the hook must reach svc, which is already built over db (WithQueryHook returns a copy)
		db.AddQueryHook(countHook{&queries})

		queries.Store(0)
		one, err := contactlog.AttachmentsOf(svc, f.staff, ids[:1])
		require.NoError(t, err)
		single := queries.Load()
		queries.Store(0)
		all, err := contactlog.AttachmentsOf(svc, f.staff, ids)
		require.NoError(t, err)
		require.Equal(t, single, queries.Load(), "as many queries for four records as for one")
		require.Len(t, one[ids[0]], 2)
		require.Len(t, all, 4)
		for _, id := range ids {
			require.Equal(t, []string{"共有.pdf", "社内.pdf"}, []string{all[id][0].Name, all[id][1].Name})
		}

		// Only what the principal may see.
		seen, err := contactlog.AttachmentsOf(svc, f.a, ids)
		require.NoError(t, err)
		require.Len(t, seen, 3, "record 3 is for its people only")
		require.NotContains(t, seen, ids[3])
		cust := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID})
		seen, err = contactlog.AttachmentsOf(svc, cust, ids)
		require.NoError(t, err)
		require.Len(t, seen, 2, "the shared records 0 and 2")
		for _, id := range []uuid.UUID{ids[0], ids[2]} {
			require.Len(t, seen[id], 1)
			require.Equal(t, "共有.pdf", seen[id][0].Name)
		}
		require.NoError(t, f.svc.Delete(f.staff, ids[0], 1))
		seen, err = contactlog.AttachmentsOf(svc, f.staff, ids)
		require.NoError(t, err)
		require.NotContains(t, seen, ids[0], "deleted records are left out")
	})
}

type countHook struct{ n *atomic.Int32 }

func (h countHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (h countHook) AfterQuery(context.Context, *bun.QueryEvent)                        { h.n.Add(1) }

func TestEncryptedBlobStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		dir := t.TempDir()
		local, err := blob.NewLocal(dir)
		require.NoError(t, err)
		t.Cleanup(func() { _ = local.Close() })
		oldKey := bytes.Repeat([]byte{7}, blob.KeySize)
		enc, err := blob.NewEncrypted(local, oldKey)
		require.NoError(t, err)
		svc := blobService(t, f, contactlog.Config{Blobs: enc})
		rec, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		secret := append(slices.Clone(pdfFile), []byte("契約金額 1,234,567円")...)
		photo := phoneJPEG(t)
		atts, err := svc.Attachments().Add(f.staff, rec.ID, upload("契約.pdf", secret), upload("memo.jpg", photo))
		require.NoError(t, err)
		require.Equal(t, int64(len(secret)), atts[0].Size, "the size of the content, not of the ciphertext")

		// At rest: age files, no plaintext.
		files := 0
		require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			require.NoError(t, err)
			if d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")), p)
			require.NotContains(t, string(b), "%PDF")
			require.NotContains(t, string(b), "契約金額")
			files++
			return nil
		}))
		require.Equal(t, 3, files)
		rc, _, err := svc.Attachments().Open(f.staff, atts[0].ID, false)
		require.NoError(t, err)
		require.Equal(t, secret, readAll(t, rc))

		// After a key rotation old files stay readable; without the old
		// key they are not.
		newKey := bytes.Repeat([]byte{9}, blob.KeySize)
		rotated, err := blob.NewEncrypted(local, newKey, oldKey)
		require.NoError(t, err)
		rc, _, err = blobService(t, f, contactlog.Config{Blobs: rotated}).Attachments().Open(f.staff, atts[1].ID, true)
		require.NoError(t, err)
		_, err = jpeg.Decode(bytes.NewReader(readAll(t, rc)))
		require.NoError(t, err)
		lost, err := blob.NewEncrypted(local, newKey)
		require.NoError(t, err)
		_, _, err = blobService(t, f, contactlog.Config{Blobs: lost}).Attachments().Open(f.staff, atts[0].ID, false)
		require.ErrorIs(t, err, blob.ErrWrongKey)

		_, err = blob.NewEncrypted(local, oldKey[:16])
		require.ErrorIs(t, err, contactlog.ErrInvalid)
		_, err = blob.NewEncrypted(local, make([]byte, blob.KeySize))
		require.ErrorIs(t, err, contactlog.ErrInvalid)
	})
}

// Get, Timeline, History and Search with WithDetails carry each record's
// files and comment count, as the principal may see them.
func TestRecordDetails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := blobService(t, f, contactlog.Config{Blobs: localStore(t)})
		e := entry(f.yamada.ID)
		e.Shared = true
		first, err := svc.Create(f.staff, e)
		require.NoError(t, err)
		r, err := svc.Create(f.staff, e)
		require.NoError(t, err)
		shared := upload("写真.pdf", pdfFile)
		shared.Shared = true
		_, err = svc.Attachments().Add(f.staff, r.ID, shared, upload("社内メモ.pdf", pdfFile))
		require.NoError(t, err)
		_, err = svc.Comments().Add(f.a, r.ID, "了解です")
		require.NoError(t, err)
		c, err := svc.Comments().Add(f.staff, r.ID, "取り消し")
		require.NoError(t, err)
		require.NoError(t, svc.Comments().Delete(f.staff, c.ID, c.Version))

		names := func(as []contactlog.Attachment) []string {
			var out []string
			for _, a := range as {
				out = append(out, a.Name)
			}
			return out
		}
		got, err := svc.Get(f.a, r.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"写真.pdf", "社内メモ.pdf"}, names(got.Attachments))
		require.Equal(t, 1, got.CommentCount, "deleted comments do not count")

		tl, err := svc.Timeline(f.a, contactlog.TimelineQuery{Customer: f.yamada.ID})
		require.NoError(t, err)
		require.Len(t, tl.Records, 2)
		require.Equal(t, r.ID, tl.Records[0].ID)
		require.Len(t, tl.Records[0].Attachments, 2)
		require.Equal(t, 1, tl.Records[0].CommentCount)
		require.Empty(t, tl.Records[1].Attachments)

		page, err := svc.Search(f.a, contactlog.Query{})
		require.NoError(t, err)
		require.Empty(t, page.Records[0].Attachments, "Search leaves details out unless asked")
		page, err = svc.Search(f.a, contactlog.Query{WithDetails: true})
		require.NoError(t, err)
		require.Equal(t, r.ID, page.Records[0].ID)
		require.Len(t, page.Records[0].Attachments, 2)
		require.Equal(t, 1, page.Records[0].CommentCount)

		// The customer sees the shared file only, and no comments.
		cust := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID})
		got, err = svc.Get(cust, r.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"写真.pdf"}, names(got.Attachments))
		require.Zero(t, got.CommentCount)

		h, err := svc.History(f.a, r.ID, 0)
		require.NoError(t, err)
		require.Len(t, h, 1)
		require.Equal(t, first.ID, h[0].ID)
	})
}

package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

var pdfBody = []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

// The customer page's profile files: upload (a refused file named, the
// page kept), thumbnails and downloads only for who may see the customer,
// ☆ as the profile picture, and a delete that asks first.
func TestCustomerProfileFiles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		bg := context.Background()
		tn, err := e.App.Dir.Tenant(bg, e.Tenant)
		require.NoError(t, err)
		tn.CustomerVisibility = permission.VisibilityAssigned
		_, err = e.App.Dir.UpdateTenant(bg, *tn)
		require.NoError(t, err)
		staff := e.User(t, "佐々木 健", "ササキ ケン", "ken@example.jp")
		e.User(t, "同僚 次郎", "ドウリョウ ジロウ", "jiro@example.jp")
		ctx := e.Ctx(t, e.Admin)
		c, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ",
			Assignees: []uuid.UUID{staff}})
		require.NoError(t, err)
		page := "/customers/" + c.ID.String()

		ken := login(t, e, "ken@example.jp")
		res, body := ken.Get(t, page)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, `id="files"`, `action="/customers/`+c.ID.String()+`/files"`,
			`accept="image/*,application/pdf"`, "ファイルの登録はありません"))
		require.NotContains(t, body, `class="cust-picture"`)

		// Nothing chosen: said so.
		res, body = postMultipart(t, ken, page+"/files", nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "次のファイルを登録できませんでした")
		require.Empty(t, spooledNames(body))

		// A refused file: named with the reason, nothing stored, the page
		// still there and every chosen file held in the upload box.
		res, body = postMultipart(t, ken, page+"/files", nil,
			part{"files", "写真.jpg", testJPEG(t)}, part{"files", "メモ.txt", []byte("just text\n")})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(html.UnescapeString(body), "次のファイルを登録できませんでした", "メモ.txt: ", "山田"))
		require.Equal(t, []string{"写真.jpg", "メモ.txt"}, spooledNames(body))
		files, err := e.App.Customers.Files().List(ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, files)
		set := spoolToken(t, body)
		box := between(t, body, `action="/customers/`+c.ID.String()+`/files"`, "</form>")
		require.Contains(t, box, `value="`+set+`"`, "the upload box carries the set")
		ids := regexp.MustCompile(`value="remove_file:([0-9a-f-]{36})"`).FindAllStringSubmatch(box, -1)
		require.Len(t, ids, 2)

		// Another try without taking the bad file back: refused again, the
		// new file held too.
		res, body = postMultipart(t, ken, page+"/files", url.Values{"upload_set": {set}}, part{"files", "契約書.pdf", pdfBody})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, html.UnescapeString(body), "メモ.txt: ")
		require.Equal(t, []string{"写真.jpg", "メモ.txt", "契約書.pdf"}, spooledNames(body))

		// Taking the bad file back keeps the others; adding stores them
		// without choosing them again, and empties the box.
		res, body = postMultipart(t, ken, page+"/files", url.Values{"upload_set": {set}, "op": {"remove_file:" + ids[1][1]}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, []string{"写真.jpg", "契約書.pdf"}, spooledNames(body))
		require.NotContains(t, body, "次のファイルを登録できませんでした")
		res, _ = postMultipart(t, ken, page+"/files", url.Values{"upload_set": {set}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, page+"#files", servertest.Location(res))
		files, err = e.App.Customers.Files().List(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, files, 2)
		photo, doc := files[0], files[1]
		require.Equal(t, []string{"写真.jpg", "契約書.pdf"}, []string{photo.Name, doc.Name})

		res, body = ken.Get(t, page)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Empty(t, spooledNames(body), "nothing held once added")
		require.Contains(t, body, fmt.Sprintf(`<img class="thumb" src="/customer-files/%s/thumb"`, photo.ID))
		require.Contains(t, body, fmt.Sprintf(`href="/customer-files/%s"`, doc.ID))
		require.NotContains(t, body, fmt.Sprintf(`src="/customer-files/%s/thumb"`, doc.ID), "a PDF has no thumbnail")

		res, _ = ken.Get(t, "/customer-files/"+photo.ID.String()+"/thumb")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "image/jpeg", res.Header.Get("Content-Type"))
		res, full := ken.Get(t, "/customer-files/"+doc.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "application/pdf", res.Header.Get("Content-Type"))
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		require.Equal(t, "sandbox", res.Header.Get("Content-Security-Policy"))
		require.Contains(t, res.Header.Get("Content-Disposition"), "attachment")
		require.Equal(t, string(pdfBody), full)

		// A colleague who may not see the customer finds nothing.
		jiro := login(t, e, "jiro@example.jp")
		for _, path := range []string{"/customer-files/" + photo.ID.String(), "/customer-files/" + photo.ID.String() + "/thumb"} {
			res, _ = jiro.Get(t, path)
			require.Equal(t, http.StatusNotFound, res.StatusCode, path)
		}
		res, _ = jiro.Post(t, "/customer-files/"+doc.ID.String()+"/delete",
			url.Values{"version": {fmt.Sprint(doc.Version)}, "customer": {c.ID.String()}, "confirm": {"1"}})
		require.Equal(t, http.StatusNotFound, res.StatusCode)

		// ☆ makes the photo the profile picture near the name.
		res, _ = ken.Post(t, "/customer-files/"+photo.ID.String(), url.Values{"name": {"名刺.jpg"}, "favorite": {"1"},
			"version": {fmt.Sprint(photo.Version)}, "customer": {c.ID.String()}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = ken.Get(t, page)
		require.Contains(t, body, fmt.Sprintf(`class="cust-picture" src="/customer-files/%s/thumb"`, photo.ID))
		require.Contains(t, body, "名刺.jpg")
		// A PDF cannot be the picture: the problem names the file.
		res, body = ken.Post(t, "/customer-files/"+doc.ID.String(), url.Values{"name": {doc.Name}, "favorite": {"1"},
			"version": {fmt.Sprint(doc.Version)}, "customer": {c.ID.String()}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, html.UnescapeString(body), "契約書.pdf: ")
		// A blank name is refused under the file name's label.
		res, body = ken.Post(t, "/customer-files/"+doc.ID.String(), url.Values{"name": {" "},
			"version": {fmt.Sprint(doc.Version)}, "customer": {c.ID.String()}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, html.UnescapeString(body), "ファイル名: ")
		// A name the engine refuses stays in its input.
		res, body = ken.Post(t, "/customer-files/"+doc.ID.String(), url.Values{"name": {"契約/書.pdf"},
			"version": {fmt.Sprint(doc.Version)}, "customer": {c.ID.String()}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="name" value="契約/書.pdf"`)
		require.Contains(t, body, `name="name" value="名刺.jpg"`, "the other file's name is unchanged")

		// Delete asks first; the confirmation deletes.
		del := url.Values{"version": {fmt.Sprint(doc.Version)}, "customer": {c.ID.String()}}
		res, body = ken.Post(t, "/customer-files/"+doc.ID.String()+"/delete", del)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="confirm" value="1"`)
		files, err = e.App.Customers.Files().List(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, files, 2, "not deleted before the confirmation")
		del.Set("confirm", "1")
		res, _ = ken.Post(t, "/customer-files/"+doc.ID.String()+"/delete", del)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, page+"#files", servertest.Location(res))
		res, _ = ken.Get(t, "/customer-files/"+doc.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

// Files chosen on the customer form survive a validation error and are
// stored with the customer when it is saved; a refused file saves nothing.
func TestCustomerFormKeepsFiles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := login(t, e, servertest.AdminEmail)
		ctx := e.Ctx(t, e.Admin)

		res, body := c.Get(t, "/customers/new")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, `enctype="multipart/form-data"`, `type="file" name="files"`))

		// The family name is missing: the form comes back with the file.
		res, body = postMultipart(t, c, "/customers/new", url.Values{"kind": {"individual"}, "status": {"prospect"},
			"given_name": {"太郎"}, "memo": {"紹介で来店"}}, part{"files", "名刺.jpg", testJPEG(t)})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "名刺.jpg", "紹介で来店", "太郎"))
		set := spoolToken(t, body)

		// A refused file on the corrected form: named, nothing saved, the
		// photo still kept.
		fields := url.Values{"kind": {"individual"}, "status": {"prospect"}, "family_name": {"山田"},
			"given_name": {"太郎"}, "family_kana": {"ヤマダ"}, "given_kana": {"タロウ"}, "memo": {"紹介で来店"}, "upload_set": {set}}
		res, body = postMultipart(t, c, "/customers/new", fields, part{"files", "notes.txt", []byte("text\n")})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		for _, s := range []string{"保存していません", "notes.txt: ", "名刺.jpg", "山田"} {
			require.Contains(t, html.UnescapeString(body), s)
		}
		found, err := e.App.Customers.Search(ctx, customer.Query{Text: "ヤマダ"})
		require.NoError(t, err)
		require.Empty(t, found.Customers)

		// Removing the refused file and saving stores the photo.
		ids := regexp.MustCompile(`value="remove_file:([0-9a-f-]{36})"`).FindAllStringSubmatch(body, -1)
		require.Len(t, ids, 2)
		res, body = postMultipart(t, c, "/customers/new", url.Values{"kind": {"individual"}, "status": {"prospect"},
			"family_name": {"山田"}, "upload_set": {set}, "op": {"remove_file:" + ids[1][1]}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "名刺.jpg")
		require.NotContains(t, body, "notes.txt")
		res, _ = postMultipart(t, c, "/customers/new", fields)
		id := createdID(t, res)
		files, err := e.App.Customers.Files().List(ctx, id)
		require.NoError(t, err)
		require.Len(t, files, 1)
		require.Equal(t, "名刺.jpg", files[0].Name)
		require.Equal(t, customer.FileImage, files[0].Kind)

		// The edit form adds files the same way.
		stored, err := e.App.Customers.Get(ctx, id)
		require.NoError(t, err)
		fields.Del("upload_set")
		fields.Set("version", fmt.Sprint(stored.Version))
		res, _ = postMultipart(t, c, "/customers/"+id.String()+"/edit", fields, part{"files", "契約書.pdf", pdfBody})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		files, err = e.App.Customers.Files().List(ctx, id)
		require.NoError(t, err)
		require.Len(t, files, 2)
		require.Equal(t, "契約書.pdf", files[1].Name)
	})
}

// A partner who sees a customer (assigned to it) may not edit it: the
// page lists the files to open but offers no upload, rename, ☆ or delete,
// and an upload posted anyway stores nothing.
func TestCustomerFilesReadOnlyForWhoMayNotEdit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		partner := e.User(t, "外部 三郎", "ガイブ サブロウ", "partner@example.jp", permission.RolePartner)
		ctx := e.Ctx(t, e.Admin)
		c, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ",
			Assignees: []uuid.UUID{partner}})
		require.NoError(t, err)
		added, err := e.App.Customers.Files().Add(ctx, c.ID, customer.FileUpload{FileMeta: customer.FileMeta{Name: "契約書.pdf"},
			Body: bytes.NewReader(pdfBody)})
		require.NoError(t, err)
		page := "/customers/" + c.ID.String()

		p := login(t, e, "partner@example.jp")
		res, body := p.Get(t, page)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, `id="files"`, fmt.Sprintf(`href="/customer-files/%s"`, added[0].ID), "契約書.pdf"))
		require.NotContains(t, body, `action="`+page+`/files"`, "no upload form")
		require.NotContains(t, body, `action="/customer-files/`, "no rename, ☆ or delete")

		res, _ = postMultipart(t, p, page+"/files", nil, part{"files", "写真.jpg", testJPEG(t)})
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		files, err := e.App.Customers.Files().List(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, files, 1)
	})
}

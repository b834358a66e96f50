package api_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// multipartBody builds an upload: text fields first, then the files in
// order (name, content).
func multipartBody(t *testing.T, fields map[string]string, files ...[2]string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("files", f[0])
		require.NoError(t, err)
		_, err = w.Write([]byte(f[1]))
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return b.Bytes(), mw.FormDataContentType()
}

func TestCustomerFileRoutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db)
		var c customer.Customer
		r := e.call(e.staff, http.MethodPost, "/v1/customers", customer.Profile{FamilyName: "佐藤", FamilyKana: "サトウ"})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		r.decode(t, &c)
		files := "/v1/customers/" + c.ID.String() + "/files"

		var photo bytes.Buffer
		require.NoError(t, jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 400, 200)), nil))
		body, ct := multipartBody(t, map[string]string{"favorite": "true"}, [2]string{"顔写真.jpg", photo.String()})
		r = e.call(e.staff, http.MethodPost, files, body, "Content-Type", ct)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var added api.CustomerFileList
		r.decode(t, &added)
		require.Len(t, added.Files, 1)
		img := added.Files[0]
		require.True(t, img.Favorite)
		require.Equal(t, customer.FileImage, img.Kind)

		pdf := "%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
		body, ct = multipartBody(t, nil, [2]string{"契約書.pdf", pdf})
		r = e.call(e.staff, http.MethodPost, files, body, "Content-Type", ct)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))

		// A bad type is a 422 naming the file's field.
		body, ct = multipartBody(t, nil, [2]string{"page.html", "<html><script>x</script></html>"})
		r = e.call(e.staff, http.MethodPost, files, body, "Content-Type", ct)
		require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
		require.Equal(t, []api.FieldError{{Field: "files[0].content", Code: "not_allowed", Param: "text/html"}}, r.problem(t).Errors)
		// No file at all names "files"; JSON is not an upload.
		body, ct = multipartBody(t, map[string]string{"favorite": "true"})
		r = e.call(e.staff, http.MethodPost, files, body, "Content-Type", ct)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "files", r.problem(t).Errors[0].Field)
		require.Equal(t, http.StatusUnsupportedMediaType, e.call(e.staff, http.MethodPost, files, map[string]string{}).status)
		// A file over 30 MiB is a 422 naming it; a body over the upload
		// limit, a 413 whose detail names "files" (the files before stay).
		big := string(make([]byte, 30<<20))
		body, ct = multipartBody(t, nil, [2]string{"big.pdf", "%PDF-1.4\n" + big})
		r = e.call(e.staff, http.MethodPost, files, body, "Content-Type", ct)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, []api.FieldError{{Field: "files[0].content", Code: "too_large", Param: "31457280"}}, r.problem(t).Errors)
		half := "%PDF-1.4\n" + big[:20<<20]
		body, ct = multipartBody(t, nil, [2]string{"a.pdf", half}, [2]string{"b.pdf", half})
		r = e.call(e.staff, http.MethodPost, files, body, "Content-Type", ct)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status)
		require.Contains(t, r.problem(t).Detail, "files")

		var list api.CustomerFileList
		r = e.call(e.staff, http.MethodGet, files, nil)
		require.Equal(t, http.StatusOK, r.status)
		r.decode(t, &list)
		require.Len(t, list.Files, 3)
		require.Equal(t, "a.pdf", list.Files[2].Name)
		doc := list.Files[1]
		fpath := "/v1/customer-files/" + doc.ID.String()

		r = e.call(e.staff, http.MethodGet, fpath+"/content", nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, pdf, string(r.body))
		require.Equal(t, "application/pdf", r.header.Get("Content-Type"))
		require.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
		require.Contains(t, r.header.Get("Content-Disposition"), "attachment")
		r = e.call(e.staff, http.MethodGet, "/v1/customer-files/"+img.ID.String()+"/content?thumb=true", nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "image/jpeg", r.header.Get("Content-Type"))

		// ☆ needs If-Match; a PDF cannot be the profile picture.
		require.Equal(t, http.StatusPreconditionRequired, e.call(e.staff, http.MethodPatch, fpath, map[string]any{"favorite": true}).status)
		r = e.call(e.staff, http.MethodPatch, fpath, map[string]any{"favorite": true}, "If-Match", `"1"`)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "favorite", r.problem(t).Errors[0].Field)
		r = e.call(e.staff, http.MethodPatch, fpath, map[string]any{"name": "契約書 2026.pdf"}, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, `"2"`, r.header.Get("ETag"))
		require.Equal(t, http.StatusPreconditionFailed, e.call(e.staff, http.MethodDelete, fpath, nil, "If-Match", `"1"`).status)
		require.Equal(t, http.StatusNoContent, e.call(e.staff, http.MethodDelete, fpath, nil, "If-Match", `"2"`).status)
		require.Equal(t, http.StatusNotFound, e.call(e.staff, http.MethodGet, fpath, nil).status)
		r = e.call(e.staff, http.MethodGet, "/v1/customer-files/"+img.ID.String(), nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, `"1"`, r.header.Get("ETag"))
	})
}

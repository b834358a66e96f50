package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestCustomerProfileFiles: a photo and a PDF uploaded through the customer
// page's form, the photo made the profile picture (☆) without script, the
// picture and the thumbnail drawn, the page fitting a phone; screenshots at
// 390 and 1280 px.
func TestCustomerProfileFiles(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	c, err := e.App.Customers.Create(e.Ctx(t, e.Admin), customer.Profile{FamilyName: "写真", GivenName: "花子",
		FamilyKana: "シャシン", GivenKana: "ハナコ"})
	require.NoError(t, err)
	pdf := filepath.Join(t.TempDir(), "契約書.pdf")
	require.NoError(t, os.WriteFile(pdf, []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"), 0o644))

	b := newBrowser(t, e.Server.URL)
	path := "/customers/" + c.ID.String()
	b.login(servertest.AdminEmail, servertest.Password, path)
	b.upload(`#files input[name=files]`, writeJPEG(t), pdf)
	b.submit("upload", `#files button[type=submit]:last-of-type`, 200)
	b.require(b.count("#files li.file") == 2, "both files listed")
	b.require(b.count("#files img.thumb") == 1, "the photo has a thumbnail, the PDF none")
	b.submit("☆ the photo", `#files li.file:first-child form:not(.row) button`, 200)
	b.require(b.count("img.cust-picture") == 1, "the ☆ photo is the profile picture")
	b.require(eval[bool](b, `[...document.querySelectorAll("img.cust-picture, #files img.thumb")].every(i => i.complete && i.naturalWidth > 0)`),
		"the picture and the thumbnail are drawn")
	b.fitsWidth(path)
	b.shot("customer-files-390")
	b.step("desktop width", func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800))
		return err
	})
	b.open(path)
	b.shot("customer-files-1280")
}

// TestCustomerUploadKeepsFiles: a multi-file upload with one file of a
// refused type comes back naming it with the reason and holding every
// chosen file; taking the bad one back and adding stores the rest without
// choosing it again. Screenshots at 390 and 1280 px.
func TestCustomerUploadKeepsFiles(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	c, err := e.App.Customers.Create(e.Ctx(t, e.Admin), customer.Profile{FamilyName: "預り", GivenName: "花子",
		FamilyKana: "アズカリ", GivenKana: "ハナコ"})
	require.NoError(t, err)
	txt := filepath.Join(t.TempDir(), "とても長い名前の打ち合わせメモ_2026年12月分_最終版.txt")
	require.NoError(t, os.WriteFile(txt, []byte("just text\n"), 0o644))

	b := newBrowser(t, e.Server.URL)
	path := "/customers/" + c.ID.String()
	add := `form[action$="/files"] > button[type=submit]`
	b.login(servertest.AdminEmail, servertest.Password, path)
	b.upload(`#files input[name=files]`, writeJPEG(t), txt)
	b.submit("upload with a refused file", add, 422)
	b.require(b.count("#files .form-error li") == 1, "the refused file named")
	b.require(strings.Contains(b.text("#files .form-error li"), filepath.Base(txt)), "the problem names the text file")
	b.require(b.count("#files li.spooled-file") == 2, "both chosen files held")
	b.require(b.count("#files li.file") == 0, "nothing stored")
	b.fitsWidth(path)
	b.shot("upload-refused-390")
	b.step("desktop width", func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800))
		return err
	})
	b.shot("upload-refused-1280")
	b.submit("take the text file back", `#files li.spooled-file:nth-child(2) button`, 200)
	b.require(b.count("#files li.spooled-file") == 1, "the photo still held")
	b.submit("add the held photo", add, 200)
	b.require(b.location() == path+"#files", "back on the page, at %s", b.location())
	b.require(b.count("#files li.file") == 1 && b.count("#files li.spooled-file") == 0, "the photo stored, nothing held")
	b.shot("upload-added-1280")
}

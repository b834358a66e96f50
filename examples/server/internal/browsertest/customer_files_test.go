package browsertest

import (
	"context"
	"os"
	"path/filepath"
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

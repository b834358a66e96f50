package browsertest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestPDFDialog unfolds the 「PDFでダウンロード」 option dialog on a record
// and on a customer's history of one template, at 390 and 1280 px: it fits
// a phone, and a password ticked but not typed comes back on the dialog's
// own page with the field's error (422), the other choices kept.
func TestPDFDialog(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	ctx := e.Ctx(t, e.Admin)
	c, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "印刷", GivenName: "花子", FamilyKana: "インサツ", GivenKana: "ハナコ"})
	require.NoError(t, err)
	r, err := e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyDaily, Customer: c.ID,
		ActualAt: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC), PublicMemo: "カタログをお渡ししました。",
		PrivateMemo: "次回は値引きの相談。", Values: map[string]any{"work_minutes": 60, "work_done": "訪問"}})
	require.NoError(t, err)
	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/")

	unfold := func() {
		b.t.Helper()
		b.step("unfold the dialog", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`details.pdf-dialog > summary`))); err != nil {
				return err
			}
			return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`form.pdf-options button[type=submit]`)))
		})
	}
	recordPath := "/records/" + r.ID.String()
	b.open(recordPath)
	unfold()
	b.require(b.count(`form.pdf-options [name=private_memo]`) == 1, "staff who may read it are offered the private memo")
	b.require(b.count(`form.pdf-options [name=from]`) == 0, "no period for one record")
	b.fitsWidth(recordPath)
	b.shot("record-pdf-dialog-390")
	b.wide("record-pdf-dialog")

	customerPath := "/customers/" + c.ID.String() + "?template=" + url.QueryEscape(template.KeyDaily)
	b.open(customerPath)
	unfold()
	b.require(b.count(`form.pdf-options [name=from]`) == 1 && b.count(`form.pdf-options [name=template]`) == 1,
		"a history has a period and keeps the chosen template")
	b.fitsWidth(customerPath)
	b.shot("customer-pdf-dialog-390")
	b.wide("customer-pdf-dialog")

	b.fill("title", "印刷様 ご対応記録")
	b.step("tick the password", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.pdf-options [name=password_on]`)))
	})
	b.submit("download without a password", `form.pdf-options button[type=submit]`, 422)
	b.require(b.text(`form.pdf-options .field-error`) != "", "the password's error is shown")
	b.require(eval[string](b, `document.querySelector("form.pdf-options [name=title]").value`) == "印刷様 ご対応記録", "the title is kept")
	b.fitsWidth("pdf-dialog-error")
	b.shot("pdf-dialog-error-390")
	b.wide("pdf-dialog-error")
}

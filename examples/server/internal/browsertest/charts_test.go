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

// TestCustomerTemplateCharts: choosing one template in a customer's history
// shows a chart per numeric field, drawn (the image loads under the page's
// CSP) and fitting a phone, with its table; screenshots at 390 and 1280 px.
func TestCustomerTemplateCharts(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	ctx := e.Ctx(t, e.Admin)
	c, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "グラフ", FamilyKana: "グラフ"})
	require.NoError(t, err)
	for i, m := range []int{60, 95, 120, 80, 150, 45} {
		values := map[string]any{"work_minutes": m, "work_done": "訪問", "visits": i % 4}
		_, err := e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyDaily, Customer: c.ID,
			ActualAt: time.Date(2026, 4, 1+3*i, 1, 0, 0, 0, time.UTC), Values: values})
		require.NoError(t, err)
	}
	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/")
	path := "/customers/" + c.ID.String() + "?template=" + url.QueryEscape(template.KeyDaily)
	b.open(path)
	b.require(b.count(".cust-charts img") == 2, "one chart per numeric field with values (作業時間, 訪問件数)")
	b.require(eval[bool](b, `[...document.querySelectorAll(".cust-charts img")].every(i => i.complete && i.naturalWidth > 0)`), "the charts are drawn")
	b.require(b.count(".chart-table tbody tr") == 12, "each chart has its table")
	b.fitsWidth(path)
	b.shot("customer-charts-390")
	b.step("desktop width", func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800))
		return err
	})
	b.open(path)
	b.shot("customer-charts-1280")
}

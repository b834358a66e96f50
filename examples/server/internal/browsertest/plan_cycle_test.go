package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/schedule"
)

// TestPlanMeetNextPlan is 助っ人クラウド's cycle on a phone: an
// appointment made from yesterday's slot with a customer found by
// reading, turned into a record (「記録を作成」), then the record's
// 「次回の予定」; the pages again at 1280 px, the customer page with its
// appointments and a request about the record.
func TestPlanMeetNextPlan(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	cu, err := e.App.Customers.Create(e.Ctx(t, e.Admin), customer.Profile{FamilyName: "酒井", GivenName: "一郎",
		FamilyKana: "サカイ", GivenKana: "イチロウ"})
	require.NoError(t, err)
	peer := e.User(t, "同僚 花子", "ドウリョウ ハナコ", "peer@example.jp")
	day := schedule.DateOf(time.Now().In(jpdate.Tokyo()).AddDate(0, 0, -1)).String()

	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/calendar?d="+day)
	b.follow("slot of yesterday", `#day-`+day+` a.slot`)
	b.fill("title", "定期訪問", "place", "酒井様宅", "start", "10:00", "end", "11:00", "direct", "go", "customer_q", "さかい")
	b.submit("find the customer", "#find-customer", 200)
	b.require(b.count(`input[name=customer_id][value="`+cu.ID.String()+`"]`) == 1, "酒井 is offered")
	b.step("choose 酒井", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name=customer_id][value="`+cu.ID.String()+`"]`)))
	})
	b.require(eval[string](b, `document.querySelector("[name=title]").value`) == "定期訪問", "the title survives the search")
	b.fill("staff_q", "どうりょう")
	b.submit("find the colleague", "#staff-find", 200)
	b.require(b.count(`input[name=staff][value="`+peer.String()+`"]:not(:checked)`) == 1, "同僚 is offered")
	b.require(b.count(`input[name=staff]:checked`) == 1, "the user stays chosen")
	b.require(b.count(`input[name=customer_id][value="`+cu.ID.String()+`"]:checked`) == 1, "酒井 stays chosen")
	b.step("add 同僚", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name=staff][value="`+peer.String()+`"]`)))
	})
	b.fitsWidth("appointment form")
	b.shot("appointment form with customer")
	b.submit("save the appointment", "#save", 200)
	b.require(b.location() == "/calendar?d="+day, "back on the week: %s", b.location())
	b.require(b.count(`#day-`+day+` a.entry-title`) == 1, "on the user's week once")
	b.follow("open the appointment", `#day-`+day+` a.entry-title`)
	b.require(b.text("h1") == "定期訪問", "the appointment's page: %q", b.text("h1"))
	b.fitsWidth("appointment page")
	b.shot("appointment page")

	b.follow("記録を作成", "#make-record")
	b.require(b.count("#from-appointment") == 1, "the form says where it comes from")
	b.require(b.count(`input[name=customer_id][value="`+cu.ID.String()+`"]:checked`) == 1, "the customer is carried")
	b.fill("public_memo", "定期点検を実施。次回は部品交換。")
	b.fitsWidth("record form from appointment")
	b.shot("record form from appointment")
	b.submit("save the record", "#save", 200)
	b.require(b.count("#made-from a") == 1, "the record names the appointment it came from")
	b.require(b.count("#next-appointment") == 1, "the record page offers 次回の予定")
	b.follow("次回の予定", "#next-appointment")
	b.fill("title", "部品交換")
	b.fitsWidth("next appointment form")
	b.shot("next appointment form")
	// The 公開範囲 block of the edit form: the record's scope proposed, a
	// group scope without a group refused beside it, the title kept.
	b.require(b.count(`input[name=scope_kind][value=company]:checked`) == 1, "the record's scope is proposed")
	for _, sel := range []string{`details:has(input[name=scope_kind]) summary`, `input[name=scope_kind][value=groups]`} {
		b.step("click "+sel, func(ctx context.Context) error { return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))) })
	}
	b.submit("save with a group scope and no group", "#save", 422)
	b.require(b.count(`details[open]:has(input[name=scope_kind][value=groups]:checked) .field-error`) == 1, "the problem beside the scope")
	b.require(eval[string](b, `document.querySelector("[name=title]").value`) == "部品交換", "the title is kept")
	b.fitsWidth("next appointment form, scope refused")
	b.shot("next appointment form scope refused")
	b.step("back to the whole company", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name=scope_kind][value=company]`)))
	})
	b.submit("save the next appointment", "#save", 200)
	b.require(b.count("#next-appointments li") == 1, "the record lists its next appointment")
	b.fitsWidth("record with its next appointment")
	b.shot("record with its next appointment")
	record := b.location()

	b.open("/customers/" + cu.ID.String())
	b.require(b.count("#upcoming li a") == 1 && b.count("#past li a") >= 1, "upcoming and past appointments")
	b.fitsWidth("customer page")
	b.shot("customer page appointments")

	b.open("/requests/new?record=" + record[len("/records/"):])
	b.fill("title", "部品の手配", "body", "交換部品の在庫確認をお願いします。")
	b.step("choose the colleague", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name=to]`)))
	})
	b.fitsWidth("request form")
	b.shot("request form")
	b.submit("send the request", "#send", 200)
	b.fitsWidth("request page")
	b.shot("request page")

	b.step("desktop", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
	})
	for _, p := range []string{record, "/customers/" + cu.ID.String(), "/requests?box=sent", record + "/next-appointment"} {
		b.open(p)
		b.fitsWidth(p + " at 1280")
		b.shot(p + " 1280")
	}
}

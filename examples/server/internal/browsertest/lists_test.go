package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestCustomerListFiltersAndDesktopNav filters the customer list on a
// phone (the filters fold away and stay in the URL), then looks at the
// same list and the top page on a desktop: the main navigation beside the
// page, the lists in two columns.
func TestCustomerListFiltersAndDesktopNav(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	ctx := e.Ctx(t, e.Admin)
	for i, p := range []customer.Profile{
		{FamilyName: "山本", GivenName: "一郎", FamilyKana: "ヤマモト", GivenKana: "イチロウ", Gender: customer.Male,
			Birthday: &date.Date{Year: 1972, Month: 3, Day: 15}},
		{FamilyName: "鈴木", GivenName: "花子", FamilyKana: "スズキ", GivenKana: "ハナコ", Gender: customer.Female,
			Birthday: &date.Date{Year: 1990, Month: 7, Day: 1}},
		{FamilyName: "佐藤", GivenName: "美咲", FamilyKana: "サトウ", GivenKana: "ミサキ", Gender: customer.Female,
			Birthday: &date.Date{Year: 1985, Month: 11, Day: 3}},
		{Kind: customer.Company, CompanyName: "株式会社青葉商事", CompanyKana: "アオバショウジ", FamilyName: "青木", FamilyKana: "アオキ"},
	} {
		c, err := e.App.Customers.Create(ctx, p)
		require.NoError(t, err)
		_, err = e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyInterview, Customer: c.ID,
			ActualAt: time.Now().Add(-time.Duration(i+1) * 26 * time.Hour), PublicMemo: "定期訪問。次回の提案内容を確認した。"})
		require.NoError(t, err)
	}

	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/customers")
	b.require(!eval[bool](b, `getComputedStyle(document.querySelector("nav.side")).display !== "none"`),
		"no side navigation on a phone")
	b.step("open the filters", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.cust-more > summary")))
	})
	b.step("choose 女性", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[name=gender]`), "female"))
	})
	b.fill("birth_year_from", "1980", "birth_year_to", "1989")
	b.shot("customer filters on a phone")
	b.submit("search", `form.cust-search button[type=submit]`, 200)
	b.require(b.location() == "/customers?q=&rank=&status=&sort=kana&kind=&gender=female&birth_year_from=1980&birth_year_to=1989&assignee=",
		"the filters are in the URL: %s", b.location())
	b.require(b.count("li.customer") == 1, "only 佐藤 美咲 (female, born 1985)")
	b.require(b.text("li.customer .birthday") == "1985/11/03（昭和60年11月3日）", "birthday column: %q", b.text("li.customer .birthday"))
	b.fitsWidth("/customers filtered")
	b.shot("customer list filtered on a phone")
	b.follow("面談記録作成", "li.customer a.cust-record")
	b.require(eval[bool](b, `document.querySelector("input[name=customer_id]:checked") !== null`), "the customer is chosen on the record form")

	b.step("desktop", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
	})
	b.open("/customers")
	b.require(eval[bool](b, `getComputedStyle(document.querySelector("nav.side")).display === "flex"`), "the side navigation shows on a desktop")
	b.require(eval[bool](b, `getComputedStyle(document.querySelector("details.menu")).display === "none"`), "the phone menu is gone")
	b.require(eval[bool](b, `(() => { const li = document.querySelectorAll("li.customer"); return li[0].getBoundingClientRect().top === li[1].getBoundingClientRect().top })()`),
		"customers in two columns")
	b.require(eval[int](b, `document.querySelector("main").getBoundingClientRect().width`) > 900, "the page uses the width")
	b.fitsWidth("/customers desktop")
	b.shot("customer list on a desktop")
	b.open("/")
	b.require(eval[bool](b, `(() => { const li = document.querySelectorAll("li.record"); return li[0].getBoundingClientRect().top === li[1].getBoundingClientRect().top })()`),
		"records in two columns")
	b.fitsWidth("/ desktop")
	b.shot("top page on a desktop")
	b.follow("顧客登録 from the side navigation", `nav.side a[href="/customers/new"]`)
	b.require(b.location() == "/customers/new", "at %s", b.location())
}

// TestInlineCustomerSearch types a reading into the record form's customer
// box: the candidates appear without leaving the page (the served script),
// one is chosen and the record saved for it.
func TestInlineCustomerSearch(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	ctx := e.Ctx(t, e.Admin)
	sakai, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "坂井", GivenName: "一郎", FamilyKana: "サカイ", GivenKana: "イチロウ"})
	require.NoError(t, err)
	_, err = e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ"})
	require.NoError(t, err)

	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/records/new")
	b.step("type さかい", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.SendKeys(`input[name=customer_q]`, "さかい"))
	})
	sel := `#customer label.cand input[value="` + sakai.ID.String() + `"]`
	b.step("candidates appear", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.WaitVisible(sel))
	})
	b.require(b.location() == "/records/new", "no round trip: %s", b.location())
	b.require(b.count(`#customer label.cand`) == 1, "only 坂井 matches")
	b.shot("inline customer candidates")
	b.step("choose 坂井", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(sel))
	})
	b.fill("public_memo", "インラインで選んだ顧客")
	b.submit("save", `#save`, 200)
	b.require(recordURL.MatchString(b.location()), "the record page: %s", b.location())
	b.require(strings.Contains(b.text("main"), "坂井 一郎"), "saved for 坂井")
	b.shot("record saved for the chosen customer")
}

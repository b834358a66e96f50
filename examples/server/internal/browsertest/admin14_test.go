package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestManagerMemberPage is a manager on a phone: a member's customers
// searched by reading, the next page, and one 担当変更 that says who went
// to whom; at 1280×800 too.
func TestManagerMemberPage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		mgr := e.User(t, "森 課長", "モリ カチョウ", "mori@example.jp", permission.RoleManager)
		s1 := e.User(t, "加藤 一郎", "カトウ イチロウ", "kato@example.jp")
		s2 := e.User(t, "木村 二郎", "キムラ ジロウ", "kimura@example.jp")
		g, err := e.App.Dir.CreateGroup(t.Context(), e.Tenant, "営業1課")
		require.NoError(t, err)
		require.NoError(t, e.App.Dir.SetGroupMembers(t.Context(), e.Tenant, g.ID, []permission.Member{
			{User: mgr, Manager: true}, {User: s1}, {User: s2}}))
		ctx := e.Ctx(t, s1)
		for i := range 22 {
			_, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山本", GivenName: fmt.Sprintf("客%02d", i),
				FamilyKana: "ヤマモト", GivenKana: "キャク"})
			require.NoError(t, err)
		}
		_, err = e.App.Customers.Create(ctx, customer.Profile{FamilyName: "石井", GivenName: "明", FamilyKana: "イシイ", GivenKana: "アキラ"})
		require.NoError(t, err)

		b := newBrowser(t, e.Server.URL)
		path := "/manager/members/" + s1.String()
		b.login("mori@example.jp", servertest.Password, path)
		b.require(strings.Contains(b.text("header.top"), "マネージャー権限"), "the header shows the role")
		b.require(b.count("table.manager-customers tr.customer") == 20, "a page of 20 customers")
		b.shot("member")
		b.wide("member")

		b.fill("q", "やまもと")
		b.submit("search", `form.search button[type=submit]`, 200)
		b.require(strings.Contains(b.text("main"), "「やまもと」に一致する担当顧客 22件"), "the count of the search")
		b.require(!strings.Contains(b.text("main"), "石井 明"), "only the matches")
		b.shot("search")
		b.follow("next page", `a[rel=next]`)
		b.require(b.count("table.manager-customers tr.customer") == 2, "the last two on the next page")
		b.require(strings.Contains(b.location(), "q="), "the search is kept")
		b.shot("search-page-2")
		b.fitsWidth("manager member page")

		b.step("choose 木村", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`tr.customer select[name=to]`), s2.String()))
		})
		b.submit("担当変更", `tr.customer form button[type=submit]`, 200)
		moved := b.text("#moved")
		b.require(strings.Contains(moved, "加藤 一郎 → 木村 二郎 に変更しました"), "who went to whom: %q", moved)
		b.shot("moved")
		b.wide("moved")
	})
}

// TestTemplateBuilderToRecordForm is an admin building a template from a
// copy of 面談記録 — a new required select field, moved up, previewed, a
// refused save kept — and then the template on the record form.
func TestTemplateBuilderToRecordForm(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		b := newBrowser(t, e.Server.URL)
		b.login(servertest.AdminEmail, servertest.Password, "/admin/templates")
		b.follow("copy 面談記録", `a[href="/admin/templates/build?from=builtin%3Ainterview"]`)
		b.shot("builder-copy")
		n := b.count(`[name=key]`)
		b.fill("name", "来店記録")
		b.submit("add a field", `#add-field`, 200)
		b.require(b.count(`[name=key]`) == n+1, "a new row")
		b.require(eval[string](b, `document.querySelector("[name=name]").value`) == "来店記録", "the name typed is kept")
		last := fmt.Sprintf("#field-%d", n)
		b.step("type the new field", func(ctx context.Context) error {
			return chromedp.Do(ctx,
				chromedp.SetValue(chromedp.CSS(last+` [name=label]`), "来店のきっかけ"),
				chromedp.SetValue(chromedp.CSS(last+` [name=type]`), "select"),
				chromedp.Click(chromedp.CSS(last+` [name=required]`)))
		})
		b.submit("preview", `button[value=preview]`, 200)
		b.require(b.count(`#preview`) == 1, "the preview")
		b.require(b.count(last+` textarea[name=options]`) == 1, "the options box of a select")
		b.shot("builder-preview")

		b.submit("save without options", `#save`, 422)
		b.require(strings.Contains(b.text(last), "選択肢"), "the refusal names the field's options")
		b.require(eval[string](b, `document.querySelector("`+last+` [name=label]").value`) == "来店のきっかけ", "the draft is kept")
		b.shot("builder-refused")

		b.step("options", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(last+` [name=options]`), "チラシ\nご紹介\n通りがかり"))
		})
		b.submit("move up", fmt.Sprintf(`button[value="up:%d"]`, n), 200)
		b.require(eval[string](b, fmt.Sprintf(`document.querySelector("#field-%d [name=label]").value`, n-1)) == "来店のきっかけ", "moved up")
		b.submit("save", `#save`, 200)
		b.require(strings.Contains(b.text("main"), "テンプレートを保存しました"), "saved")
		b.shot("builder-saved")
		b.wide("builder-saved")
		key := strings.TrimPrefix(b.location(), "/admin/templates/build?edit=")
		key = strings.ReplaceAll(key, "%3A", ":")

		b.open("/records/new")
		b.step("choose the new template", func(ctx context.Context) error {
			res, err := chromedp.RunResponse(ctx, chromedp.SetValue(chromedp.CSS(`[name=template]`), key))
			return status(res, err, 200)
		})
		b.unfold()
		b.require(strings.Contains(b.text("main"), "来店のきっかけ"), "the built field is on the record form")
		b.require(b.count(`select option[value="ご紹介"]`) == 1, "with its options")
		b.shot("record-form")
		b.wide("record-form")
	})
}

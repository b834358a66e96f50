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
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// wide shows the page at 1280×800 for one screenshot, then the phone again.
func (b *browser) wide(name string) {
	b.t.Helper()
	b.step("wide", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
	})
	b.shot(name + "-1280")
	b.step("phone", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	})
}

// unfold opens the form's folded sections.
func (b *browser) unfold() {
	b.t.Helper()
	eval[bool](b, `(document.querySelectorAll("details.more").forEach(d => d.open = true), true)`)
}

// TestSalesRecordFlow is a 商談 written on a phone: a photo chosen before
// the customer survives the template switch and the customer search;
// planned, actual and end time, two responders, masters, a group scope,
// report-to saved as a pattern with a message, two expense lines; the 進捗 becomes the customer's 現進捗;
// then 「次回の記録」 with its planned date.
func TestSalesRecordFlow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		peer := e.User(t, "同行 次郎", "ドウコウ ジロウ", "peer@example.jp")
		boss := e.User(t, "上司 花子", "ジョウシ ハナコ", "boss@example.jp")
		g, err := e.App.Dir.CreateGroup(t.Context(), e.Tenant, "営業1課")
		require.NoError(t, err)
		cu, err := e.App.Customers.Create(e.Ctx(t, e.Admin), customer.Profile{FamilyName: "酒井", GivenName: "一郎",
			FamilyKana: "サカイ", GivenKana: "イチロウ"})
		require.NoError(t, err)
		b := newBrowser(t, e.Server.URL)
		photo := writeJPEG(t)

		b.login(servertest.AdminEmail, servertest.Password, "/records/new")
		b.shot("form-empty")
		b.upload(`input[name=photos]`, photo)
		b.fill("public_memo", "新商品の提案。見積を来週提出。")
		b.step("switch template (the script re-renders)", func(ctx context.Context) error {
			res, err := chromedp.RunResponse(ctx, chromedp.SetValue(chromedp.CSS(`[name=template]`), "builtin:sales"))
			return status(res, err, 200)
		})
		b.require(b.count(`ul.spooled li`) == 1, "the photo survives the template switch")
		b.require(b.count(`[name="f.probability"]`) == 1, "the 商談 fields are shown")

		// The customer typed, then saved with Enter's button: asked, not a draft.
		b.fill("customer_q", "さかい")
		b.step("Enter in the customer box", func(ctx context.Context) error {
			res, err := chromedp.RunResponse(ctx, chromedp.SendKeys(`[name=customer_q]`, "\r"))
			return status(res, err, 422)
		})
		b.require(strings.Contains(b.text("#customer"), "酒井 一郎"), "the candidate is offered")
		b.require(b.count(`ul.spooled li`) == 1, "the photo survives the question")
		b.shot("customer-question")
		b.fitsWidth("/records (question)")
		b.step("choose customer", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=customer_id][value=%q]`, cu.ID))))
		})

		// People: the staff picker finds a colleague by reading.
		b.unfold()
		b.fill("staff_q", "どうこう")
		b.submit("staff search", `button[name=op][value=staff_find]`, 200)
		b.unfold()
		for _, sel := range []string{
			fmt.Sprintf(`input[name=responders][value=%q]`, peer),
			fmt.Sprintf(`input[name=participants][value=%q]`, peer),
		} {
			b.step("check "+sel, func(ctx context.Context) error { return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))) })
		}
		b.submit("参加社員を報告先に追加", `button[name=op][value=report_peers]`, 200)
		b.unfold()
		b.require(eval[bool](b, fmt.Sprintf(`document.querySelector('input[name=report_to][value=%q]').checked`, peer)),
			"the participant is now a report-to recipient")
		b.fill("staff_q", "じょうし")
		b.submit("staff search boss", `button[name=op][value=staff_find]`, 200)
		b.unfold()
		b.step("report to boss", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=report_to][value=%q]`, boss))))
		})
		// 報告先 kept as a pattern (報告パターン), a message for the boss.
		b.fill("pattern_name", "上長と同行者")
		b.submit("save report pattern", `button[name=op][value=save_pattern]`, 200)
		b.unfold()
		b.require(strings.Contains(b.text("#report-patterns"), "報告パターン「上長と同行者」を保存しました。"), "the pattern is saved")
		chosen := eval[string](b, `document.querySelector("select[name=report_pattern]").selectedOptions[0].textContent`)
		b.require(chosen == "上長と同行者（2人）", "the new pattern is chosen, not %q", chosen)
		b.fill("report_message", "見積の確認をお願いします。")
		b.shot("form-report-pattern")
		b.wide("form-report-pattern")

		// Masters: 分類2 follows 分類1 (the script presses the form's refresh
		// button, which works without it too: see the web tests).
		b.fill("planned_at", "2026-11-20T10:00", "actual_at", "2026-11-20T10:30", "end_at", "2026-11-20T11:30",
			"progress", "proposing", "channel", "visit", "result", "met", "summary", "proposal", "summary_text", "新商品")
		b.step("分類1 (the script re-renders)", func(ctx context.Context) error {
			res, err := chromedp.RunResponse(ctx, chromedp.SetValue(chromedp.CSS(`[name=category1]`), "product"))
			return status(res, err, 200)
		})
		b.unfold()
		b.require(b.count(`[name=category2] option[value=replacement]`) == 1, "分類2 offers the children of 分類1")
		b.fill("category2", "replacement", "department", "総務部", "contact_persons", "鈴木 課長", "f.probability", "A",
			"exp.route.0", "新宿→横浜", "exp.means.0", "電車", "exp.amount.0", "580")
		b.submit("add expense row", `button[name=op][value=add_expense]`, 200)
		b.unfold()
		b.fill("exp.route.1", "横浜駅→客先", "exp.means.1", "タクシー", "exp.amount.1", "1200")
		b.step("scope group", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name=scope_kind][value=groups]`)),
				chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=scope_groups][value=%q]`, g.ID))))
		})
		b.require(b.count(`ul.spooled li`) == 1, "the photo is still attached")
		b.shot("form-filled")
		b.fitsWidth("/records/new")
		b.wide("form-filled")
		b.submit("save", "#save", 200)
		m := recordURL.FindStringSubmatch(b.location())
		b.require(m != nil, "saving goes to the record's page, not %s", b.location())
		main := b.text("main")
		for _, want := range []string{"酒井 一郎", "提案中", "同行 次郎", "上司 花子", "営業1課", "新宿→横浜", "1780", "総務部",
			"2026/11/20(金) 11:30", "見積の確認をお願いします。"} {
			b.require(strings.Contains(main, want), "the record page shows %s", want)
		}
		b.require(b.count(`img.thumb`) == 1, "the photo is attached")
		b.shot("record-page")
		b.wide("record-page")

		b.open("/customers/" + cu.ID.String())
		b.require(strings.Contains(b.text("dd.progress"), "提案中"), "進捗 is the customer's 現進捗")
		b.shot("customer-progress")

		// 次回の記録 asks for the next planned date.
		b.open("/records/" + m[1])
		b.step("open next", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`details.next summary`)))
		})
		b.fill("planned_at", "2026-11-27T10:00")
		b.shot("next-record")
		b.submit("create next", `details.next button[type=submit]`, 200)
		b.require(strings.HasSuffix(b.location(), "/edit"), "the next record opens for editing")
		b.require(eval[string](b, `document.querySelector("[name=planned_at]").value`) == "2026-11-27T10:00",
			"the next record carries the planned date")
		b.shot("next-record-form")
	})
}

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/schedule"
)

// An alert added on the customer's アラート tab shows its occurrences there
// and on the alert list; an occurrence is marked done (済) and undone, gets
// a memo, and the list exports as CSV. Bad input is reported by field and
// kept.
func TestAlertPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := e.Ctx(t, e.Admin)
		cu, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山田", GivenName: "花子", FamilyKana: "ヤマダ", GivenKana: "ハナコ"})
		require.NoError(t, err)
		c := e.Login(t, servertest.AdminEmail)
		tab := "/customers/" + cu.ID.String() + "/alerts"

		_, body := c.Get(t, "/customers/"+cu.ID.String())
		require.Contains(t, body, `href="`+tab+`"`)
		res, body := c.Get(t, "/alerts/new?customer="+cu.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `value="`+cu.ID.String()+`" checked`)

		// Method ①: from the list, find the customer by name.
		res, body = c.Post(t, "/alerts/new", url.Values{"op": {"find"}, "customer_q": {"山田"}, "title": {"季節ごと定期ハガキ"}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `value="`+cu.ID.String()+`"`)
		require.Contains(t, body, `value="季節ごと定期ハガキ"`, "what was typed stays")

		res, body = c.Post(t, "/alerts/new", url.Values{"customer_id": {cu.ID.String()}, "title": {""}, "start": {"2026-02-30"},
			"count": {"x"}, "every": {"4"}, "unit": {"month"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `name="start"`, "</label>"), "field-error")
		require.Contains(t, between(t, body, `name="count"`, "</label>"), "field-error")
		require.Contains(t, body, `value="x"`)
		res, body = c.Post(t, "/alerts/new", url.Values{"customer_id": {cu.ID.String()}, "title": {""}, "start": {"2026-03-29"},
			"count": {"0"}, "every": {"4"}, "unit": {"month"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `name="title"`, "</label>"), "field-error")
		require.Contains(t, between(t, body, `name="count"`, "</label>"), "field-error")

		today := schedule.DateOf(time.Now().In(jpdate.Tokyo()))
		res, _ = c.Post(t, "/alerts/new", url.Values{"customer_id": {cu.ID.String()}, "title": {"季節ごと定期ハガキ"},
			"start": {today.String()}, "count": {"4"}, "every": {"4"}, "unit": {"month"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, tab, servertest.Location(res))

		res, body = c.Get(t, tab)
		require.Equal(t, http.StatusOK, res.StatusCode)
		for k := 1; k <= 4; k++ {
			require.Contains(t, body, "季節ごと定期ハガキ("+string(rune('0'+k))+"/4)")
		}
		require.Less(t, strings.Index(body, "(4/4)"), strings.Index(body, "(1/4)"), "newest first")

		// The list: this month, 未通知 by default; a quick range.
		res, body = c.Get(t, "/alerts")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "季節ごと定期ハガキ(1/4)")
		require.NotContains(t, body, "(2/4)", "four months later is not this month")
		_, body = c.Get(t, "/alerts?period=next_month&status=all")
		require.NotContains(t, body, "(1/4)")
		_, body = c.Get(t, "/alerts?from=2026-13-01")
		require.Contains(t, body, `role="alert"`)
		require.Contains(t, body, "期間（から）")

		page, err := e.App.Schedule.Occurrences(ctx, schedule.OccurrenceQuery{Customer: cu.ID, Limit: 1})
		require.NoError(t, err)
		first := page.Occurrences[0]
		res, _ = c.Post(t, "/alerts/occurrences/"+first.ID.String()+"/done", url.Values{"version": {"1"}, "done": {"1"}, "back": {tab}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, tab, servertest.Location(res))
		_, body = c.Get(t, tab)
		row := between(t, body, `id="occ-`+first.ID.String()+`"`, "</tr>")
		require.Contains(t, row, "済")
		require.Contains(t, row, "取り消す")
		res, _ = c.Post(t, "/alerts/occurrences/"+first.ID.String()+"/done", url.Values{"version": {"1"}, "done": {"0"}, "back": {tab}})
		require.Equal(t, http.StatusConflict, res.StatusCode, "a stale version")
		res, _ = c.Post(t, "/alerts/occurrences/"+first.ID.String()+"/memo", url.Values{"version": {"2"}, "memo": {"ハガキ投函"}, "back": {"//evil.example"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/alerts", servertest.Location(res), "only this site's pages")
		_, body = c.Get(t, "/alerts?status=all&done=yes")
		require.Contains(t, body, "ハガキ投函")

		// A refused memo comes back in its row, typed text and reason.
		long := strings.Repeat("長", schedule.MaxMemoLen) + "末尾"
		res, body = c.Post(t, "/alerts/occurrences/"+first.ID.String()+"/memo", url.Values{"version": {"3"}, "memo": {long}, "back": {tab}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		row = between(t, body, `id="occ-`+first.ID.String()+`"`, "</tr>")
		require.Contains(t, row, "field-error")
		require.Contains(t, row, "メモ")
		require.Contains(t, row, long+"</textarea>", "the typed memo is kept")
		require.Contains(t, row, `name="version" value="3"`)
		// A stale version: the memo saved meanwhile is shown beside the
		// typed one, and the row carries the current version, so saving
		// again replaces it.
		res, body = c.Post(t, "/alerts/occurrences/"+first.ID.String()+"/memo", url.Values{"version": {"2"}, "memo": {"投函済み、返信待ち"}, "back": {tab}})
		require.Equal(t, http.StatusConflict, res.StatusCode)
		row = between(t, body, `id="occ-`+first.ID.String()+`"`, "</tr>")
		require.Contains(t, row, "ほかの人が先に更新しました")
		require.Contains(t, row, `<p class="saved-memo">ハガキ投函</p>`)
		require.Contains(t, row, "投函済み、返信待ち</textarea>")
		require.Contains(t, row, `name="version" value="3"`)
		res, _ = c.Post(t, "/alerts/occurrences/"+first.ID.String()+"/memo", url.Values{"version": {"3"}, "memo": {"ハガキ投函"}, "back": {tab}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = c.Get(t, "/alerts?status=all&done=no")
		require.NotContains(t, body, "(1/4)")

		res, body = c.Get(t, "/alerts/export?status=all&period=this_month&encoding=utf8")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, res.Header.Get("Content-Type"), "text/csv")
		require.Contains(t, body, "季節ごと定期ハガキ(1/4),未通知,済,")
		require.Contains(t, body, "ハガキ投函")

		// Editing keeps the done occurrence and its memo; deleting erases all.
		al, err := e.App.Schedule.CustomerAlerts(ctx, cu.ID)
		require.NoError(t, err)
		edit := "/alerts/" + al[0].ID.String() + "/edit"
		res, body = c.Get(t, edit)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `value="季節ごと定期ハガキ"`)
		res, _ = c.Post(t, edit, url.Values{"version": {"1"}, "title": {"季節のハガキ"}, "start": {today.String()},
			"count": {"2"}, "every": {"1"}, "unit": {"week"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = c.Get(t, tab)
		require.Contains(t, body, "ハガキ投函")
		require.Contains(t, body, "季節のハガキ(2/2)")
		require.NotContains(t, body, "(3/4)")
		res, _ = c.Post(t, "/alerts/"+al[0].ID.String()+"/delete", url.Values{"version": {"2"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = c.Get(t, tab)
		require.NotContains(t, body, "季節のハガキ")
	})
}

// A notice posted on the management page shows on the top page of the
// people it is for during its period; a memo to oneself only to its
// author; hidden ones nowhere. Others may not edit it.
func TestNoticePages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		e.User(t, "佐藤 一郎", "サトウ イチロウ", "sato@example.jp")
		admin := e.Login(t, servertest.AdminEmail)
		sato := e.Login(t, "sato@example.jp")
		today := schedule.DateOf(time.Now().In(jpdate.Tokyo()))

		res, body := admin.Get(t, "/notices/new")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `value="`+today.String()+`"`)
		res, body = admin.Post(t, "/notices/new", url.Values{"title": {"年末年始の営業"}, "body": {"12/29〜1/3は休業します。"},
			"from": {today.String()}, "to": {today.AddDays(-1).String()}, "audience": {"tenant"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "12/29〜1/3は休業します。", "what was typed stays")
		require.Contains(t, body, "field-error")
		res, body = admin.Post(t, "/notices/new", url.Values{"title": {"x"}, "from": {today.String()}, "to": {today.String()}, "audience": {"group"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `name="group"`, "</fieldset>"), "field-error")

		res, _ = admin.Post(t, "/notices/new", url.Values{"title": {"年末年始の営業"}, "body": {"12/29〜1/3は休業します。"},
			"from": {today.String()}, "to": {today.AddDays(7).String()}, "audience": {"tenant"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/notices", servertest.Location(res))
		res, _ = admin.Post(t, "/notices/new", url.Values{"title": {"見積書を送る"}, "from": {today.String()}, "to": {today.String()}, "audience": {"me"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = admin.Post(t, "/notices/new", url.Values{"title": {"来月の研修"}, "from": {today.AddDays(1).String()}, "to": {today.AddDays(9).String()}, "audience": {"tenant"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)

		_, body = admin.Get(t, "/")
		top := between(t, body, `id="notices"`, "</section>")
		require.Contains(t, top, "年末年始の営業")
		require.Contains(t, top, "12/29〜1/3は休業します。")
		require.Contains(t, top, "見積書を送る")
		require.NotContains(t, top, "来月の研修", "not yet in its period")
		require.Less(t, strings.Index(top, "見積書を送る"), strings.Index(top, "年末年始の営業"), "newest first")
		_, body = sato.Get(t, "/")
		top = between(t, body, `id="notices"`, "</section>")
		require.Contains(t, top, "年末年始の営業")
		require.NotContains(t, top, "見積書を送る", "a memo to oneself")

		_, body = admin.Get(t, "/notices")
		require.Contains(t, body, "来月の研修")
		require.Contains(t, body, "掲載期間外")
		_, body = sato.Get(t, "/notices")
		require.NotContains(t, body, "年末年始の営業", "sato manages only his own")

		ns, err := e.App.Schedule.ManagedNotices(e.Ctx(t, e.Admin))
		require.NoError(t, err)
		var id string
		for _, n := range ns {
			if n.Title == "年末年始の営業" {
				id = n.ID.String()
			}
		}
		res, _ = sato.Get(t, "/notices/"+id+"/edit")
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, _ = admin.Post(t, "/notices/"+id+"/edit", url.Values{"version": {"1"}, "title": {"年末年始の営業"}, "from": {today.String()},
			"to": {today.AddDays(7).String()}, "audience": {"tenant"}, "hidden": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = sato.Get(t, "/")
		require.NotContains(t, body, "年末年始の営業", "hidden")
		res, _ = admin.Post(t, "/notices/"+id+"/delete", url.Values{"version": {"2"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = admin.Get(t, "/notices")
		require.NotContains(t, body, "年末年始の営業")
	})
}

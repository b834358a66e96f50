package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
	"github.com/kirokuhq/kiroku/schedule/api"
)

// The alert and notice routes on both databases, each response checked
// against the OpenAPI document: the manual's example alert, its
// occurrences listed, filtered, done and undone, a memo, the CSV export,
// editing and deleting; a notice posted, shown on the top list, managed by
// its author only. Someone who does not see the customer does not see its
// alert.
func TestAlertAndNoticeRoutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e, a, b, cust := setup(t, db)

		// The manual's example, started in the past: 2022-03-29 every 4
		// months, 4 times (the clock says 2026-12-05).
		in := schedule.AlertInput{Customer: cust.ID, Title: "季節ごと定期ハガキ", Start: schedule.Date{Year: 2026, Month: 3, Day: 29},
			Count: 4, Every: 4, Unit: schedule.Months}
		r := e.call(a.ID, http.MethodPost, "/v1/alerts", in)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.Equal(t, `"1"`, r.header.Get("ETag"))
		var al schedule.Alert
		r.decode(t, &al)
		require.Equal(t, "季節ごと定期ハガキ", al.Title)
		apath := "/v1/alerts/" + al.ID.String()

		p := e.call(a.ID, http.MethodPost, "/v1/alerts", schedule.AlertInput{Customer: cust.ID, Count: 0, Every: 1, Unit: "year"})
		require.Equal(t, http.StatusUnprocessableEntity, p.status)
		for _, field := range []string{`"title"`, `"start"`, `"count"`, `"unit"`} {
			require.Contains(t, string(p.body), field)
		}
		require.Equal(t, http.StatusNotFound, e.call(b.ID, http.MethodGet, apath, nil).status, "b does not see the customer")
		require.Equal(t, http.StatusOK, e.call(a.ID, http.MethodGet, apath, nil).status)
		var list api.AlertList
		e.call(a.ID, http.MethodGet, "/v1/customers/"+cust.ID.String()+"/alerts", nil).decode(t, &list)
		require.Len(t, list.Alerts, 1)

		var page schedule.OccurrencePage
		r = e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?customer="+cust.ID.String()+"&newest=true", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.decode(t, &page)
		require.Len(t, page.Occurrences, 4)
		var due []string
		for _, o := range page.Occurrences {
			due = append(due, o.Due.String())
		}
		require.Equal(t, []string{"2027-03-29", "2026-11-29", "2026-07-29", "2026-03-29"}, due)
		require.Equal(t, "山田", page.Occurrences[0].CustomerName)

		e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?period=this_month", nil).decode(t, &page)
		require.Len(t, page.Occurrences, 0, "December has none")
		e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?from=2026-11-01&to=2026-11-30", nil).decode(t, &page)
		require.Len(t, page.Occurrences, 1)
		nov := page.Occurrences[0]
		e.call(b.ID, http.MethodGet, "/v1/alert-occurrences", nil).decode(t, &page)
		require.Empty(t, page.Occurrences, "b sees nothing of a hidden customer")
		e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?limit=3", nil).decode(t, &page)
		require.Len(t, page.Occurrences, 3)
		require.NotEmpty(t, page.Next)
		e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?limit=3&after="+page.Next, nil).decode(t, &page)
		require.Len(t, page.Occurrences, 1)

		p = e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?from=x&done=maybe&customer=1&period=someday&status=sent", nil)
		require.Equal(t, http.StatusUnprocessableEntity, p.status)
		for _, field := range []string{`"from"`, `"done"`, `"customer"`} {
			require.Contains(t, string(p.body), field)
		}
		p = e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?period=someday&status=sent", nil)
		require.Equal(t, http.StatusUnprocessableEntity, p.status)
		require.Contains(t, string(p.body), `"period"`)
		require.Contains(t, string(p.body), `"status"`)

		// Done (完了 → 済), a memo, and undone; stale versions conflict.
		opath := "/v1/alert-occurrences/" + nov.ID.String()
		require.Equal(t, http.StatusNotFound, e.call(b.ID, http.MethodGet, opath, nil).status)
		require.Equal(t, http.StatusPreconditionRequired, e.call(a.ID, http.MethodPut, opath+"/done", api.DoneChange{Done: true}).status)
		r = e.call(a.ID, http.MethodPut, opath+"/done", api.DoneChange{Done: true}, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var o schedule.Occurrence
		r.decode(t, &o)
		require.True(t, o.Done)
		require.Equal(t, a.ID, o.DoneBy)
		require.Equal(t, http.StatusPreconditionFailed, e.call(a.ID, http.MethodPut, opath+"/memo", api.MemoChange{Memo: "x"}, "If-Match", `"1"`).status)
		r = e.call(a.ID, http.MethodPut, opath+"/memo", api.MemoChange{Memo: "ハガキ投函済み"}, "If-Match", `"2"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r = e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?done=true", nil)
		r.decode(t, &page)
		require.Len(t, page.Occurrences, 1)
		require.Equal(t, "ハガキ投函済み", page.Occurrences[0].Memo)
		r = e.call(a.ID, http.MethodGet, opath, nil)
		require.Equal(t, `"3"`, r.header.Get("ETag"))
		r = e.call(a.ID, http.MethodPut, opath+"/done", api.DoneChange{Done: false}, "If-Match", `"3"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.decode(t, &o)
		require.False(t, o.Done)
		require.Equal(t, "ハガキ投函済み", o.Memo, "the memo stays")

		// CSV: Shift_JIS on request, UTF-8 with BOM by default.
		r = e.call(a.ID, http.MethodGet, "/v1/alert-occurrences/export?customer="+cust.ID.String()+"&encoding=shift_jis", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, "text/csv; charset=shift_jis", r.header.Get("Content-Type"))
		r = e.call(a.ID, http.MethodGet, "/v1/alert-occurrences/export", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		text := strings.TrimPrefix(string(r.body), "\uFEFF")
		require.NotEqual(t, string(r.body), text, "the BOM leads")
		require.Contains(t, text, "2026/11/29,"+cust.ID.String()+",山田,季節ごと定期ハガキ(3/4),")
		require.Len(t, strings.Split(strings.TrimSpace(text), "\n"), 5, "the header and four occurrences")
		require.Equal(t, http.StatusUnprocessableEntity, e.call(a.ID, http.MethodGet, "/v1/alert-occurrences/export?encoding=ebcdic", nil).status)

		// Editing: a stale version conflicts; the customer cannot move.
		in.Title, in.Count = "季節のハガキ", 5
		require.Equal(t, http.StatusPreconditionFailed, e.call(a.ID, http.MethodPut, apath, in, "If-Match", `"7"`).status)
		r = e.call(a.ID, http.MethodPut, apath, in, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, `"2"`, r.header.Get("ETag"))
		e.call(a.ID, http.MethodGet, "/v1/alert-occurrences?customer="+cust.ID.String(), nil).decode(t, &page)
		require.Len(t, page.Occurrences, 5)
		require.Equal(t, "季節のハガキ(5/5)", page.Occurrences[4].Label())
		require.Equal(t, http.StatusNotFound, e.call(b.ID, http.MethodDelete, apath, nil, "If-Match", `"2"`).status)
		require.Equal(t, http.StatusNoContent, e.call(a.ID, http.MethodDelete, apath, nil, "If-Match", `"2"`).status)
		require.Equal(t, http.StatusNotFound, e.call(a.ID, http.MethodGet, opath, nil).status)

		// Notices: a posts one for everyone and a memo for themself.
		n := schedule.NoticeInput{Title: "年末年始の営業", Body: "12/29〜1/3は休業します。", From: schedule.Date{Year: 2026, Month: 12, Day: 1},
			To: schedule.Date{Year: 2027, Month: 1, Day: 3}, Audience: schedule.AudienceTenant}
		r = e.call(a.ID, http.MethodPost, "/v1/notices", n)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var posted schedule.Notice
		r.decode(t, &posted)
		memo := schedule.NoticeInput{Title: "備忘", From: n.From, To: n.To, Audience: schedule.AudienceMe}
		require.Equal(t, http.StatusCreated, e.call(a.ID, http.MethodPost, "/v1/notices", memo).status)
		p = e.call(a.ID, http.MethodPost, "/v1/notices", schedule.NoticeInput{Title: "x", From: n.To, To: n.From, Audience: "everyone"})
		require.Equal(t, http.StatusUnprocessableEntity, p.status)
		require.Contains(t, string(p.body), `"to"`)
		require.Contains(t, string(p.body), `"audience"`)

		var top api.NoticeList
		e.call(b.ID, http.MethodGet, "/v1/notices", nil).decode(t, &top)
		require.Len(t, top.Notices, 1, "b sees the notice, not a's memo")
		require.Equal(t, "年末年始の営業", top.Notices[0].Title)
		e.call(a.ID, http.MethodGet, "/v1/notices", nil).decode(t, &top)
		require.Len(t, top.Notices, 2)
		require.Equal(t, "備忘", top.Notices[0].Title, "newest first")
		e.call(b.ID, http.MethodGet, "/v1/notices/managed", nil).decode(t, &top)
		require.Empty(t, top.Notices)

		npath := "/v1/notices/" + posted.ID.String()
		n.Hidden = true
		require.Equal(t, http.StatusForbidden, e.call(b.ID, http.MethodPut, npath, n, "If-Match", `"1"`).status)
		r = e.call(a.ID, http.MethodPut, npath, n, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		e.call(b.ID, http.MethodGet, "/v1/notices", nil).decode(t, &top)
		require.Empty(t, top.Notices, "hidden")
		require.Equal(t, http.StatusPreconditionFailed, e.call(a.ID, http.MethodDelete, npath, nil, "If-Match", `"1"`).status)
		require.Equal(t, http.StatusNoContent, e.call(a.ID, http.MethodDelete, npath, nil, "If-Match", `"2"`).status)
		e.call(a.ID, http.MethodGet, "/v1/notices/managed", nil).decode(t, &top)
		require.Len(t, top.Notices, 1)
	})
}

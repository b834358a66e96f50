package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// An appointment created from a day's slot shows on the week and month
// views with its 直行直帰 mark; holidays are named; bad input is reported
// next to the field and kept.
func TestCalendarCreateFromSlot(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/calendar/new?date=2026-09-22")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `value="2026-09-22"`)

		res, body = c.Post(t, "/calendar/new", url.Values{"title": {"定期訪問"}, "date": {"2026-09-22"}, "start": {"25:00"},
			"end": {"11:00"}, "place": {"山田様宅"}, "direct": {"both"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `value="定期訪問"`, "what was typed stays")
		require.Contains(t, between(t, body, `name="start"`, "</label>"), "field-error")

		res, _ = c.Post(t, "/calendar/new", url.Values{"title": {"定期訪問"}, "date": {"2026-09-22"}, "start": {"10:00"},
			"end": {"11:00"}, "place": {"山田様宅"}, "direct": {"both"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/calendar?d=2026-09-22", servertest.Location(res))

		for _, view := range []string{"week", "month"} {
			res, body = c.Get(t, "/calendar?d=2026-09-22&view="+view)
			require.Equal(t, http.StatusOK, res.StatusCode)
			day := between(t, body, `id="day-2026-09-22"`, `id="day-2026-09-23"`)
			require.Contains(t, day, "国民の休日")
			require.Contains(t, day, "定期訪問")
			require.Contains(t, day, "10:00")
			require.Contains(t, day, "直行直帰")
			require.Contains(t, day, "山田様宅")
			require.Contains(t, between(t, body, `id="day-2026-09-21"`, `id="day-2026-09-22"`), "敬老の日")
		}
		res, body = c.Get(t, "/calendar?d=2026-09-29")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NotContains(t, body, "定期訪問", "the next week")
	})
}

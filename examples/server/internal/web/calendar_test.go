package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
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

// A month lists the first entries of each staff member's day and links
// 「他N件」 to that staff member's day, which lists them all, as the week
// does.
func TestCalendarMonthLinksTheRestToTheDay(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		for _, slot := range [][2]string{{"09:00", "09:30"}, {"10:00", "10:30"}, {"11:00", "11:30"}, {"13:00", "13:30"}, {"15:00", "15:30"}} {
			res, _ := c.Post(t, "/calendar/new", url.Values{"title": {"訪問" + slot[0]}, "date": {"2026-09-24"}, "start": {slot[0]},
				"end": {slot[1]}})
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
		}
		res, body := c.Get(t, "/calendar?d=2026-09-24&view=month")
		require.Equal(t, http.StatusOK, res.StatusCode)
		day := between(t, body, `id="day-2026-09-24"`, `id="day-2026-09-25"`)
		require.Equal(t, 3, strings.Count(day, `class="entry `), "the first three")
		require.Contains(t, day, "訪問11:00")
		require.NotContains(t, day, "訪問13:00")
		more := regexp.MustCompile(`<a href="([^"]*)">他2件</a>`).FindStringSubmatch(day)
		require.NotNil(t, more, "「他2件」 in %s", day)
		href := html.UnescapeString(more[1])
		require.Contains(t, href, "view=day")

		for page, days := range map[string]int{href: 1, "/calendar?d=2026-09-24": 7} {
			res, body = c.Get(t, page)
			require.Equal(t, http.StatusOK, res.StatusCode)
			cal := between(t, body, `<ol class="calendar`, "</ol>")
			require.Equal(t, days, strings.Count(cal, `<li class="day`), page)
			day = between(t, body, `id="day-2026-09-24"`, "</ol>")
			require.Equal(t, 5, strings.Count(day, `class="entry `), page)
			require.NotContains(t, day, "他2件", page)
		}
	})
}

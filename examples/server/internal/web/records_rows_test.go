package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestTopPageRowActions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := e.Ctx(t, e.Admin)
		cu, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山本", FamilyKana: "ヤマモト"})
		require.NoError(t, err)
		rec, err := e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyInterview, Customer: cu.ID,
			ActualAt: time.Now().Add(-time.Hour), PublicMemo: "見積もりを説明した"})
		require.NoError(t, err)

		c := e.Login(t, servertest.AdminEmail)
		_, body := c.Get(t, "/?q="+url.QueryEscape("見積"))
		row := between(t, body, `<a href="/records/`+rec.ID.String()+`">`, "</li>")
		require.Contains(t, row, `href="/customers/`+cu.ID.String()+`#history">`+msg.T("customers.history"))
		require.Contains(t, row, `href="/customers/`+cu.ID.String()+`">`+msg.T("customers.profile"))
		require.Contains(t, row, `<form method="post" action="/records/`+rec.ID.String()+`/delete" class="confirm-box">`,
			"delete asks first (two taps)")
		require.Contains(t, row, `<input type="hidden" name="back" value="limit=20&amp;q=%E8%A6%8B%E7%A9%8D">`)
		require.Contains(t, row, `aria-pressed="false"`)

		// ☆ from the row: set, back to the same search, then cleared.
		res, _ := c.Post(t, "/records/"+rec.ID.String()+"/important", url.Values{"version": {"1"}, "important": {"1"},
			"back": {"limit=20&q=" + url.QueryEscape("見積")}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/?limit=20&q="+url.QueryEscape("見積"), servertest.Location(res))
		got, err := e.App.Records.Get(ctx, rec.ID)
		require.NoError(t, err)
		require.True(t, got.Important)
		require.Equal(t, "見積もりを説明した", got.PublicMemo, "the rest of the record is kept")
		require.Equal(t, cu.ID, got.Customer)
		_, body = c.Get(t, "/?important=1")
		require.Contains(t, between(t, body, `<a href="/records/`+rec.ID.String()+`">`, "</li>"), `aria-pressed="true"`)

		// A stale row (version 1) does not overwrite.
		res, _ = c.Post(t, "/records/"+rec.ID.String()+"/important", url.Values{"version": {"1"}})
		require.Equal(t, http.StatusConflict, res.StatusCode)
		res, _ = c.Post(t, "/records/"+rec.ID.String()+"/important", url.Values{"version": {"2"}, "back": {"x=%zz"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/?", servertest.Location(res), "a malformed back is dropped")
		got, err = e.App.Records.Get(ctx, rec.ID)
		require.NoError(t, err)
		require.False(t, got.Important)

		// Delete from the row: the confirm box posts confirm=1; 元に戻す follows.
		res, _ = c.Post(t, "/records/"+rec.ID.String()+"/delete", url.Values{"version": {"3"}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.True(t, strings.HasPrefix(servertest.Location(res), "/?deleted="+rec.ID.String()))
	})
}

func TestDesktopNavigation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		_, body := c.Get(t, "/customers")
		side := between(t, body, `<nav class="side"`, "</nav>")
		for _, l := range []string{`href="/records/new">` + msg.T("nav.new_record"), `href="/customers/new">` + msg.T("nav.new_customer"),
			`href="/customers">` + msg.T("nav.customers"), `href="/admin">`} {
			require.Contains(t, side, l)
		}
		menu := between(t, body, `<details class="menu">`, "</details>")
		require.Contains(t, menu, `href="/customers">`+msg.T("nav.customers"), "the phone menu has the same links")
		_, body = c.Get(t, "/login")
		require.NotContains(t, body, `<nav class="side"`, "no navigation before login")
		res, css := c.Get(t, "/static/app.css")
		require.Equal(t, http.StatusOK, res.StatusCode)
		desktop := css[strings.Index(css, "@media (min-width: 64rem) {\n  body:has(> nav.side)"):]
		require.Contains(t, desktop, "header.top details.menu { display: none; }")
		require.Contains(t, desktop, "nav.side { display: flex;")
	})
}

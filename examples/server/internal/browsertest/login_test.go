package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		b := newBrowser(t, e.Server.URL)

		// A page behind the login sends the browser to the form.
		b.open("/customers")
		b.require(b.location() == "/login?next=%2Fcustomers", "without a session /customers redirects to the login, not %s", b.location())
		b.fitsWidth("/login")

		// A wrong password: 401, the message, the typed e-mail kept.
		b.fill("email", servertest.AdminEmail, "password", "wrong password")
		b.submit("wrong password", `form[action="/login"] button[type=submit]`, 401)
		b.shot("login-wrong-password")
		require.Equal(t, msg.T("auth.bad_credentials"), b.text(".form-error"))
		require.Equal(t, servertest.AdminEmail, eval[string](b, `document.querySelector("[name=email]").value`))
		require.Empty(t, b.sessionCookie(), "no session after a failed login")

		// The right one: back where the browser wanted to go, with an
		// HttpOnly session cookie the server knows.
		b.fill("password", servertest.Password)
		b.step("log in", func(ctx context.Context) error {
			_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
			return err
		})
		b.require(b.location() == "/customers", "after the login the browser is at %s", b.location())
		c := b.sessionCookie()
		require.NotNil(t, c)
		require.True(t, c.HTTPOnly, "the session cookie is HttpOnly")
		_, err := e.App.Auth.Session(t.Context(), c.Value)
		require.NoError(t, err, "the cookie names a live session")
		b.require(strings.Contains(b.text("header .who"), "管理者"), "the header names the logged-in administrator")
		b.shot("logged-in")

		// Logging out (from the menu) ends the session.
		b.step("open menu", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.menu summary")))
		})
		b.submit("log out", `form[action="/logout"] button`, 200)
		b.require(b.location() == "/login", "logging out shows the login form, not %s", b.location())
		_, err = e.App.Auth.Session(t.Context(), c.Value)
		require.Error(t, err, "logout ends the session")
	})
}

// sessionCookie is the browser's session cookie for the server, or nil.
func (b *browser) sessionCookie() *network.Cookie {
	b.t.Helper()
	var found *network.Cookie
	b.step("cookies", func(ctx context.Context) error {
		res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (*network.GetCookiesResult, error) {
			r, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base}})
			return &r, err
		})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			if c.Name == web.SessionCookie {
				found = c
			}
		}
		return nil
	})
	return found
}

package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestTokenPage: a user creates an API token from the menu's page without
// JavaScript, sees it once, and revokes it, on a phone and on a desktop.
func TestTokenPage(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/")
	b.open("/account/tokens")
	b.fill("name", "会計システム連携", "days", "90")
	b.submit("create token", "#create", 200)
	b.require(strings.HasPrefix(eval[string](b, `document.querySelector("#secret").value`), "kiroku_"), "the token is shown")
	b.fitsWidth("tokens created")
	b.shot("tokens-created-390")
	b.step("desktop", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
	})
	b.shot("tokens-created-1280")
	b.submit("revoke", "form[action$='/revoke'] button", 200)
	b.require(b.count("form[action$='/revoke']") == 0, "the revoked token has no revoke button")
	b.shot("tokens-revoked-1280")
}

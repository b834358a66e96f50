package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

var (
	secretRe = regexp.MustCompile(`id="secret"[^>]*|value="(kiroku_[^"]+)"`)
	revokeRe = regexp.MustCompile(`action="(/[^"]+/revoke)"`)
)

// TestTokenPages: a user creates an API token on their page and sees it
// once; it works as a bearer credential; an admin lists and revokes it on
// the user's page; staff cannot reach the admin page; bad input names the
// field.
func TestTokenPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staff := e.User(t, "担当 花子", "タントウ ハナコ", "hanako@example.jp", permission.RoleStaff)
		c := e.Login(t, "hanako@example.jp")
		admin := e.Login(t, servertest.AdminEmail)
		tokens := e.App.Tokens

		res, body := c.Get(t, "/account/tokens")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "トークンはありません")

		res, body = c.Post(t, "/account/tokens", url.Values{"name": {""}, "days": {"30"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="name" value="" required maxlength="100" aria-invalid="true"`)
		res, body = c.Post(t, "/account/tokens", url.Values{"name": {"会計連携"}, "days": {"-1"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `value="会計連携"`, "what the user typed stays")
		require.Contains(t, body, `name="days" value="-1"`)
		require.Regexp(t, `name="days"[^>]*aria-invalid="true"`, body)

		res, body = c.Post(t, "/account/tokens", url.Values{"name": {"会計連携"}, "days": {"30"}})
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		var secret string
		for _, m := range secretRe.FindAllStringSubmatch(body, -1) {
			if m[1] != "" {
				secret = html.UnescapeString(m[1])
			}
		}
		require.NotEmpty(t, secret, "the token is shown")
		tok, err := tokens.Verify(t.Context(), secret)
		require.NoError(t, err)
		require.Equal(t, staff, tok.User)
		require.NotNil(t, tok.ExpiresAt)

		_, body = c.Get(t, "/account/tokens")
		require.Contains(t, body, "会計連携")
		require.NotContains(t, body, secret, "shown once only")

		res, _ = c.Get(t, "/admin/users/"+staff.String()+"/tokens")
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		res, body = admin.Get(t, "/admin/users/"+staff.String()+"/tokens")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "会計連携")
		require.NotContains(t, body, `action="/account/tokens"`, "an admin creates no token for someone else")
		m := revokeRe.FindStringSubmatch(body)
		require.NotNil(t, m)
		res, _ = admin.Post(t, m[1], url.Values{})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, err = tokens.Verify(t.Context(), secret)
		require.ErrorIs(t, err, kerr.ErrUnauthenticated)

		_, body = c.Get(t, "/account/tokens")
		require.Contains(t, body, "失効")
		require.NotRegexp(t, revokeRe, body, "a revoked token has no revoke button")
	})
}

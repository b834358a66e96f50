package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// ログイン情報変更: the current password is required, errors name the field
// and keep the e-mail typed, a taken address is refused, and a password
// change ends the user's other sessions but not this one.
func TestAccountLoginInfo(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		me := e.User(t, "加藤 一郎", "カトウ イチロウ", "kato@example.jp")
		e.User(t, "木村 二郎", "キムラ ジロウ", "kimura@example.jp")
		c := e.Login(t, "kato@example.jp")
		phone := e.Login(t, "kato@example.jp")

		res, body := c.Get(t, "/account")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, msg.T("account.title"), `value="kato@example.jp"`, msg.T("role.staff")))

		// No current password: named, the address typed kept.
		res, body = c.Post(t, "/account", url.Values{"email": {"kato.new@example.jp"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, msg.T("common.form_errors"), `value="kato.new@example.jp"`,
			`name="current_password" autocomplete="current-password" required aria-invalid="true"`))
		// A wrong one.
		res, body = c.Post(t, "/account", url.Values{"email": {"kato.new@example.jp"}, "current_password": {"wrong"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, msg.T("account.bad_current"), `value="kato.new@example.jp"`))
		// A malformed address, a taken one.
		res, body = c.Post(t, "/account", url.Values{"email": {"not an address"}, "current_password": {servertest.Password}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, `value="not an address"`, `name="email" value="not an address" autocomplete="username" required aria-invalid="true"`))
		res, body = c.Post(t, "/account", url.Values{"email": {"Kimura@example.jp"}, "current_password": {servertest.Password}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, msg.T("admin.users.email_taken"), `value="kimura@example.jp"`))
		// New passwords that differ, a weak one: named, nothing saved, no
		// password written back into the page.
		res, body = c.Post(t, "/account", url.Values{"email": {"kato.new@example.jp"}, "current_password": {servertest.Password},
			"new_password": {"夕方の打合せ violet-harbor-73"}, "new_password_again": {"違う"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.T("account.mismatch"))
		require.NotContains(t, body, "violet-harbor")
		res, body = c.Post(t, "/account", url.Values{"email": {"kato.new@example.jp"}, "current_password": {servertest.Password},
			"new_password": {"password1234"}, "new_password_again": {"password1234"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, msg.T("auth.password_weak"), `value="kato.new@example.jp"`))
		usr, err := e.App.Dir.User(t.Context(), e.Tenant, me)
		require.NoError(t, err)
		require.Equal(t, "kato@example.jp", usr.Email, "a refused password saves no address either")
		// Nothing changed.
		res, body = c.Post(t, "/account", url.Values{"email": {"kato@example.jp"}, "current_password": {servertest.Password}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.T("account.unchanged"))

		// Both at once.
		const next = "夕方の打合せ violet-harbor-73"
		res, _ = c.Post(t, "/account", url.Values{"email": {"Kato.New@example.jp"}, "current_password": {servertest.Password},
			"new_password": {next}, "new_password_again": {next}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = c.Get(t, "/account")
		require.True(t, servertest.Contains(body, msg.T("account.saved"), `value="kato.new@example.jp"`), "this session stays")
		res, _ = phone.Get(t, "/account")
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "the other session ended")
		usr, err = e.App.Dir.User(t.Context(), e.Tenant, me)
		require.NoError(t, err)
		require.Equal(t, "kato.new@example.jp", usr.Email)
		res, _ = e.Client(t).Post(t, "/login", url.Values{"email": {"kato@example.jp"}, "password": {next}})
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "the old address is no login any more")
		res, _ = e.Client(t).Post(t, "/login", url.Values{"email": {"kato.new@example.jp"}, "password": {servertest.Password}})
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "the old password is refused")
		res, _ = e.Client(t).Post(t, "/login", url.Values{"email": {"kato.new@example.jp"}, "password": {next}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
	})
}

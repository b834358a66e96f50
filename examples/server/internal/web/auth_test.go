package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestLoginLogoutAndCSRF(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		anon := e.Client(t)
		res, _ := anon.Get(t, "/customers")
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/login?next=%2Fcustomers", servertest.Location(res))

		res, body := anon.Post(t, "/login", url.Values{"email": {servertest.AdminEmail}, "password": {"wrong"}})
		require.Equal(t, http.StatusUnauthorized, res.StatusCode)
		require.Contains(t, body, "メールアドレスまたはパスワードが違います。")
		require.Contains(t, body, `value="admin@example.com"`, "the typed login is kept")

		c := e.Login(t, servertest.AdminEmail)
		// A POST without the token is refused and changes nothing.
		res, body = c.Post(t, "/logout", url.Values{"_csrf": {"forged"}})
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		require.Contains(t, body, "有効期限")
		res, _ = c.Post(t, "/logout", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, err := e.App.Auth.Session(t.Context(), c.Session)
		require.Error(t, err, "logout ends the session in the database")
	})
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Client(t)
		for range 4 {
			res, _ := c.Post(t, "/login", url.Values{"email": {servertest.AdminEmail}, "password": {"nope"}})
			require.Equal(t, http.StatusUnauthorized, res.StatusCode)
		}
		_, body := c.Post(t, "/login", url.Values{"email": {servertest.AdminEmail}, "password": {"nope"}})
		require.Contains(t, body, "しばらくログインできません")
		require.Contains(t, body, "15分ほど", "the wait is the configured lock (auth.DefaultLockout)")
		_, body = c.Post(t, "/login", url.Values{"email": {servertest.AdminEmail}, "password": {servertest.Password}})
		require.Contains(t, body, "しばらくログインできません", "locked even with the right password")
	})
}

// The portal's password-reset requests are limited per address typed: the
// sixth within the window is refused with the wait and the address kept.
func TestPortalResetRequestThrottled(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Client(t)
		form := url.Values{"email": {"nobody@example.jp"}}
		for range auth.DefaultMaxFailures {
			res, _ := c.Post(t, "/portal/reset", form)
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
		}
		res, body := c.Post(t, "/portal/reset", form)
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		require.Contains(t, body, "再設定メールのご依頼が続いたため")
		require.Contains(t, body, "15分ほど")
		require.Contains(t, body, `value="nobody@example.jp"`)
		res, _ = c.Post(t, "/portal/reset", url.Values{"email": {"other@example.jp"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "another address is not limited")
	})
}

func TestPasswordLinkIsSingleUse(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		user := e.User(t, "田中 花子", "タナカ ハナコ", "hanako@example.jp")
		token := e.Token(t, user)
		c := e.Client(t)
		res, body := c.Get(t, "/password/"+token)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "hanako@example.jp")
		_, body = c.Post(t, "/password/"+token, url.Values{"password": {"password1"}})
		require.Contains(t, body, "10文字以上")
		_, body = c.Post(t, "/password/"+token, url.Values{"password": {"password1234"}})
		require.Contains(t, body, "推測されやすい")
		res, _ = c.Post(t, "/password/"+token, url.Values{"password": {"見積は来週 blue-lantern-42"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, body = c.Get(t, "/password/"+token)
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		require.True(t, strings.Contains(body, "使用済み"))
		_, _, err := e.App.Auth.Login(t.Context(), "HANAKO@example.jp ", "見積は来週 blue-lantern-42", "192.0.2.1")
		require.NoError(t, err)
	})
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		for _, tc := range []struct{ next, want string }{
			{"/customers?q=%E5%B1%B1", "/customers?q=%E5%B1%B1"},
			{"/records/1#files", "/records/1#files"},
			{"", "/"},
			{"/\t/evil.example", "/"},
			{"/\\evil.example", "/"},
			{"//evil.example", "/"},
			{"\\/evil.example", "/"},
			{"/%2F/evil.example", "/"},
			{"/%2f/evil.example", "/"},
			{"/%5Cevil.example", "/"},
			{"/%09/evil.example", "/"},
			{"https://evil.example", "/"},
			{"javascript:alert(1)", "/"},
			{"/\r\n/evil.example", "/"},
			{"/\n/evil.example", "/"},
			{"  //evil.example", "/"},
			{" /customers", "/"},
			{"/customers\\..\\", "/"},
			{"/\u3000/evil.example", "/"},
			{"///evil.example", "/"},
			{"/%zz", "/"},
			{"evil.example", "/"},
		} {
			c := e.Client(t)
			res, _ := c.Post(t, "/login", url.Values{"email": {servertest.AdminEmail},
				"password": {servertest.Password}, "next": {tc.next}})
			require.Equal(t, http.StatusSeeOther, res.StatusCode, "next %q", tc.next)
			require.Equal(t, tc.want, servertest.Location(res), "next %q", tc.next)
		}
	})
}

package browsertest

import (
	"testing"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestPagesOnAPhone opens every top-level page as an administrator at
// 390×844: each answers 200, needs no sideways scrolling and logs no console
// error (CSP violations included). The layout does not depend on the
// database, so SQLite is enough.
func TestPagesOnAPhone(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	e.User(t, "佐々木 美咲", "ササキ ミサキ", "misaki.sasaki@example.jp", permission.RoleManager)
	for range auth.DefaultMaxFailures { // a row on the lockout page
		_, _, _ = e.App.Auth.Login(t.Context(), "misaki.sasaki@example.jp", "wrong", "192.0.2.5")
	}
	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/")
	for _, path := range []string{
		"/", "/records/new", "/customers", "/customers/new", "/customers/import", "/lists", "/manager",
		"/admin", "/admin/users", "/admin/users/new", "/admin/units", "/admin/groups", "/admin/tenant",
		"/admin/masters", "/admin/templates", "/admin/plugins", "/admin/ranks", "/account/tokens", "/admin/lockouts",
	} {
		b.open(path)
		b.fitsWidth(path)
		b.shot("page" + path)
	}
}

package app_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestPrincipalsAcrossInstances runs two server instances on one database
// (each its own connection pool and principal cache): a directory change
// made through one is what the other's next request sees, not what it
// cached.
func TestPrincipalsAcrossInstances(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		one := servertest.New(t, db)
		two := servertest.New(t, dbtest.Reopen(t, db))
		require.Equal(t, one.Tenant, two.Tenant)
		id := one.User(t, "佐藤 一郎", "サトウ イチロウ", "sato@example.jp")
		c := two.Login(t, "sato@example.jp")
		res, body := c.Get(t, "/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "佐藤 一郎")
		res, _ = c.Get(t, "/admin/users")
		require.Equal(t, http.StatusForbidden, res.StatusCode)

		// Renamed and made an administrator through the first instance.
		u, err := one.App.Dir.User(ctx, one.Tenant, id)
		require.NoError(t, err)
		u.Name, u.Roles = "佐藤 次郎", []permission.Role{permission.RoleAdmin}
		_, err = one.App.Dir.SaveUser(ctx, *u)
		require.NoError(t, err)
		res, body = c.Get(t, "/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "佐藤 次郎")
		res, _ = c.Get(t, "/admin/users")
		require.Equal(t, http.StatusOK, res.StatusCode)

		// Deactivated through the first instance: the second refuses the
		// session at its next request.
		u.Active = false
		_, err = one.App.Dir.SaveUser(ctx, *u)
		require.NoError(t, err)
		res, _ = c.Get(t, "/")
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Contains(t, servertest.Location(res), "/login")
	})
}

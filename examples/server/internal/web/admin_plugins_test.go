package web_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/plugins/plugintest"
)

// The plugins page with the careservice vertical built into the plugin
// directory: where it comes from, its version, install and uninstall per
// tenant; ramenshop, not built, is said to be missing.
func TestAdminPluginsInstallUninstall(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, "../../../../plugins/careservice/cmd/kiroku-plugin-careservice")
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		dir := t.TempDir()
		require.NoError(t, os.Link(bin, filepath.Join(dir, "kiroku-plugin-careservice")))
		e := servertest.New(t, db, func(c *app.Config, _ *app.Options) { c.PluginDir = dir })
		admin := e.Login(t, servertest.AdminEmail)

		res, body := admin.Get(t, "/admin/plugins")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, `id="plugin-careservice"`, filepath.Join(dir, "kiroku-plugin-careservice"),
			msg.T("admin.plugins.state.running"), msg.T("admin.plugins.not_installed"), msg.T("admin.plugins.missing_title"),
			"./plugins/ramenshop/cmd/kiroku-plugin-ramenshop"))
		require.NotContains(t, body, "./plugins/careservice/cmd/", "a built plugin is not missing")
		require.NotContains(t, body, msg.T("admin.plugins.dir_missing"))

		res, _ = admin.Post(t, "/admin/plugins/install", url.Values{"name": {"careservice"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		installed, err := e.App.Plugins.Installed(e.Ctx(t, e.Admin))
		require.NoError(t, err)
		require.Equal(t, []string{"careservice"}, installed)
		_, body = admin.Get(t, "/admin/plugins")
		require.True(t, servertest.Contains(body, msg.T("admin.plugins.installed"), msg.T("admin.plugins.installed_badge"),
			msg.T("admin.plugins.uninstall")))
		fields, err := e.App.Customers.Fields(e.Ctx(t, e.Admin))
		require.NoError(t, err)
		require.True(t, slices.ContainsFunc(fields, func(f customer.FieldDef) bool { return strings.HasPrefix(f.Key, "careservice:") }),
			"its customer fields are the tenant's")

		res, _ = admin.Post(t, "/admin/plugins/uninstall", url.Values{"name": {"careservice"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		installed, err = e.App.Plugins.Installed(e.Ctx(t, e.Admin))
		require.NoError(t, err)
		require.Empty(t, installed)
		_, body = admin.Get(t, "/admin/plugins")
		require.Contains(t, body, msg.T("admin.plugins.uninstalled"))

		// A plugin the host does not have cannot be installed.
		res, _ = admin.Post(t, "/admin/plugins/install", url.Values{"name": {"ramenshop"}})
		require.NotEqual(t, http.StatusSeeOther, res.StatusCode)
	})
}

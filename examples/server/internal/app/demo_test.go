package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/gendata"
	"github.com/kirokuhq/kiroku/plugins/plugintest"
)

func count(t *testing.T, db *bun.DB, table string) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

func TestLoadDemo(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		// CI's race step runs with -short: this loads the whole demo (1 000
		// records) through the race detector; TestLoadGendataLimitsRecords
		// races the same concurrent chunk writers on a smaller set, and the
		// non-race step runs this test in full.
		t.Skip("-short: the demo's full load; TestLoadGendataLimitsRecords races its chunk writers")
	}
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := context.Background()
		size := gendata.Small().Tenants[0]
		staffBefore := count(t, db, "staff_users")

		var out bytes.Buffer
		start := time.Now()
		require.NoError(t, e.App.LoadDemo(ctx, e.Tenant, &out))
		t.Logf("demo load took %s", time.Since(start))

		require.Equal(t, size.Customers, count(t, db, "customers"))
		require.Equal(t, size.Records, count(t, db, "contact_records"))
		require.Equal(t, staffBefore+size.Staff, count(t, db, "staff_users"))
		require.Equal(t, size.Groups, count(t, db, "staff_groups"))

		m := regexp.MustCompile(`パスワード.*: (\S+)\n\s+管理者:\s+(\S+)\n\s+マネージャー:\s+(\S+)\n\s+スタッフ:\s+(\S+)`).
			FindStringSubmatch(out.String())
		require.NotNil(t, m, out.String())
		require.Contains(t, out.String(), "プラグインがビルドされていないため導入していません: careservice、ramenshop",
			"no plugin directory: the demo says the first-party plugins are not there")
		password := m[1]
		require.GreaterOrEqual(t, len(password), 16)

		// Each sample login works with the printed password; the bootstrap
		// administrator still works with its own.
		for _, login := range m[2:] {
			c := e.Client(t)
			res, _ := c.Post(t, "/login", url.Values{"email": {login}, "password": {password}})
			require.Equal(t, http.StatusSeeOther, res.StatusCode, login)
			c = e.Client(t)
			res, _ = c.Post(t, "/login", url.Values{"email": {login}, "password": {"wrong " + password}})
			require.NotEqual(t, http.StatusSeeOther, res.StatusCode, login)
		}
		e.Login(t, servertest.AdminEmail)

		// The staff sample sees records through the engine (the demo is
		// usable, not only present).
		_, staff, err := e.App.Auth.UserByLogin(ctx, m[4])
		require.NoError(t, err)
		page, err := e.App.Records.Search(e.Ctx(t, staff), contactlog.Query{Limit: 10,
			ActualFrom: time.Now().AddDate(0, 0, -30)})
		require.NoError(t, err)
		require.NotEmpty(t, page.Records, "recent contacts are visible to staff")

		// A second start does nothing.
		out.Reset()
		require.NoError(t, e.App.LoadDemo(ctx, e.Tenant, &out))
		require.Empty(t, out.String())
		require.Equal(t, size.Customers, count(t, db, "customers"))
		require.Equal(t, size.Records, count(t, db, "contact_records"))
		require.Equal(t, staffBefore+size.Staff, count(t, db, "staff_users"))
	})
}

func TestLoadGendataLimitsRecords(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := context.Background()
		cfg := gendata.Small()
		cfg.Tenants = []gendata.TenantSize{{Customers: 30, Records: 250, Staff: 5, Groups: 1}}
		_, err := e.App.LoadGendata(ctx, e.Tenant, cfg, 1, -1)
		require.Error(t, err, "no tenant 1")
		res, err := e.App.LoadGendata(ctx, e.Tenant, cfg, 0, 130)
		require.NoError(t, err)
		require.Equal(t, 130, res.Records)
		require.Equal(t, 30, count(t, db, "customers"))
		require.Equal(t, 130, count(t, db, "contact_records"))
	})
}

// The data set installs the first-party plugins that run (here
// careservice, built into the plugin directory) before writing customers,
// and names the ones that do not.
func TestLoadGendataInstallsFirstPartyPlugins(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, "../../../../plugins/careservice/cmd/kiroku-plugin-careservice")
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		dir := t.TempDir()
		require.NoError(t, os.Link(bin, filepath.Join(dir, "kiroku-plugin-careservice")))
		e := servertest.New(t, db, func(c *app.Config, _ *app.Options) { c.PluginDir = dir })
		cfg := gendata.Small()
		cfg.Tenants = []gendata.TenantSize{{Customers: 5, Records: 5, Staff: 3, Groups: 1}}
		res, err := e.App.LoadGendata(context.Background(), e.Tenant, cfg, 0, -1)
		require.NoError(t, err)
		require.Equal(t, []string{"careservice"}, res.Plugins)
		require.Equal(t, []string{"ramenshop"}, res.Unavailable)
		installed, err := e.App.Plugins.Installed(e.Ctx(t, e.Admin))
		require.NoError(t, err)
		require.Equal(t, []string{"careservice"}, installed)
	})
}

package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// The server's background work collects the attachment files and the
// customer profile files a killed upload left behind: the day's collection is scheduled per tenant and
// run once by the dispatcher.
func TestOrphanFilesCollected(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var dataDir string
		e := servertest.New(t, db, func(c *app.Config, o *app.Options) {
			dataDir = c.DataDir
			// A day after the upload was killed.
			o.Clock = func() time.Time { return time.Now().Add(25 * time.Hour) }
		})
		ctx := context.Background()
		// What a process killed mid-upload leaves: a file under the
		// tenant's attachment prefix (t/<tenant>/a/<record>/<attachment>)
		// that no attachment row names.
		orphan := filepath.Join(dataDir, "files", "t", e.Tenant.String(), "a",
			uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String())
		require.NoError(t, os.MkdirAll(filepath.Dir(orphan), 0o750))
		require.NoError(t, os.WriteFile(orphan, []byte("half an upload"), 0o600))
		// And one under the customers' (t/<tenant>/cf/<customer>/<file>).
		profile := filepath.Join(dataDir, "files", "t", e.Tenant.String(), "cf",
			uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String())
		require.NoError(t, os.MkdirAll(filepath.Dir(profile), 0o750))
		require.NoError(t, os.WriteFile(profile, []byte("half a photo"), 0o600))

		require.NoError(t, e.App.ScheduleOrphanCollection(ctx))
		require.NoError(t, e.App.ScheduleOrphanCollection(ctx), "a second process asks again")
		n, err := e.App.RunOutbox(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "one collection for the one tenant")
		require.NoFileExists(t, orphan)
		require.NoFileExists(t, profile)

		log, err := permission.AuditLog(e.Ctx(t, e.Admin), db, permission.AuditQuery{ObjectType: "attachment"})
		require.NoError(t, err)
		require.Len(t, log, 1)
		require.Equal(t, "collect_orphans", log[0].Action)
		require.Equal(t, "deleted 1", log[0].Detail)
		log, err = permission.AuditLog(e.Ctx(t, e.Admin), db, permission.AuditQuery{ObjectType: "customer_file"})
		require.NoError(t, err)
		require.Len(t, log, 1)
		require.Equal(t, "collect_orphans", log[0].Action)
		require.Equal(t, "deleted 1", log[0].Detail)
	})
}

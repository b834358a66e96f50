package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/server"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// A user's secret feed serves their calendar as iCalendar without a
// session; a revoked token is a 404.
func TestCalendarFeed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		u := e.User(t, "営業 一郎", "エイギョウ イチロウ", "ichiro@example.jp", permission.RoleStaff)
		ctx := e.Ctx(t, u)
		start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
		_, err := e.App.Schedule.CreateAppointment(ctx, schedule.AppointmentInput{Title: "定期訪問", Start: start, End: start.Add(time.Hour)})
		require.NoError(t, err)
		token, err := e.App.Schedule.CreateFeed(ctx)
		require.NoError(t, err)
		status, body := get(t, e.Server.URL+server.FeedPath+token+".ics", "")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, "SUMMARY:定期訪問")
		require.NoError(t, e.App.Schedule.RevokeFeed(ctx))
		status, _ = get(t, e.Server.URL+server.FeedPath+token+".ics", "")
		require.Equal(t, http.StatusNotFound, status)
	})
}

package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/gendata"
)

// demoTimes loads a small gendata tenant with the clock at now and returns
// its records' actual and planned times, each sorted.
func demoTimes(t *testing.T, db *bun.DB, now time.Time) (actual, planned []time.Time) {
	t.Helper()
	e := servertest.New(t, db, func(_ *app.Config, o *app.Options) { o.Clock = func() time.Time { return now } })
	cfg := gendata.Small()
	cfg.Tenants = []gendata.TenantSize{{Customers: 30, Records: 200, Staff: 5, Groups: 1}}
	_, err := e.App.LoadGendata(context.Background(), e.Tenant, cfg, 0, -1)
	require.NoError(t, err)
	var rows []struct {
		ActualAt  *time.Time `bun:"actual_at"`
		PlannedAt *time.Time `bun:"planned_at"`
	}
	require.NoError(t, db.NewSelect().TableExpr("contact_records").Column("actual_at", "planned_at").
		Where("tenant_id = ?", e.Tenant).OrderExpr("id").Scan(context.Background(), &rows))
	for _, r := range rows {
		if r.ActualAt != nil {
			actual = append(actual, r.ActualAt.UTC())
		}
		if r.PlannedAt != nil {
			planned = append(planned, r.PlannedAt.UTC())
		}
	}
	// Records are written in concurrent chunks: compare the times as sets.
	slices.SortFunc(actual, time.Time.Compare)
	slices.SortFunc(planned, time.Time.Compare)
	return actual, planned
}

// fresh returns a new empty database of db's dialect.
func fresh(t *testing.T, db *bun.DB) *bun.DB {
	t.Helper()
	if db.Dialect().Name() == dialect.PG {
		return dbtest.Postgres(t)
	}
	return dbtest.SQLite(t)
}

func TestDemoRecordTimesSpreadOverRecentWeeks(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		// CI's race step runs with -short: what this checks is the times
		// the generator gives, not concurrency (TestLoadGendataLimitsRecords
		// races the chunk writers); the non-race step runs it.
		t.Skip("-short: checks the demo's times, not concurrency; TestLoadGendataLimitsRecords races the chunk writers")
	}
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		now := time.Date(2031, time.June, 18, 14, 0, 0, 0, time.UTC)
		actual, planned := demoTimes(t, db, now)
		require.NotEmpty(t, actual)
		require.NotEmpty(t, planned)
		days := map[string]bool{}
		recent, newest := 0, time.Time{}
		for _, at := range actual {
			require.True(t, at.Before(now), "contacts happened before the load: %s", at)
			days[at.Format(time.DateOnly)] = true
			if at.After(now.AddDate(0, 0, -7*5)) {
				recent++
			}
			if at.After(newest) {
				newest = at
			}
		}
		t.Logf("%d actual times on %d days, %d in the last 5 weeks, newest %s", len(actual), len(days), recent, newest)
		require.GreaterOrEqual(t, len(days), 15, "spread over many days, not the load time")
		require.Greater(t, recent, len(actual)/10, "recent weeks have their share of contacts")
		require.True(t, newest.After(now.AddDate(0, 0, -7)), "the newest contact is of the last week")
		future := 0
		for _, p := range planned {
			require.True(t, p.Before(now.AddDate(0, 0, 70)), "planned %s", p)
			if p.After(now) {
				future++
			}
		}
		require.Positive(t, future, "some contacts are planned ahead (次回接触予定)")

		// Deterministic given the clock: the same clock gives the same times;
		// a clock three weeks later moves them by three weeks.
		again, _ := demoTimes(t, fresh(t, db), now)
		require.Equal(t, actual, again)
		later, _ := demoTimes(t, fresh(t, db), now.AddDate(0, 0, 21))
		require.Len(t, later, len(actual))
		for i := range actual {
			require.Equal(t, 21*24*time.Hour, later[i].Sub(actual[i]))
		}
	})
}

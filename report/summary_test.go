package report_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
)

// current re-reads records as the admin sees them now (purged ones drop
// out, deleted ones too).
func current(t *testing.T, f *fixture, ids []uuid.UUID) []*contactlog.Record {
	t.Helper()
	var rs []*contactlog.Record
	for _, id := range ids {
		r, err := f.svc.Get(f.users["admin"], id)
		if err != nil {
			require.ErrorIs(t, err, contactlog.ErrNotFound)
			continue
		}
		rs = append(rs, r)
	}
	return rs
}

func ids(rs []*contactlog.Record) []uuid.UUID {
	var out []uuid.UUID
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// TestSummaryFollowsWrites writes the record summary (every record is
// summed when it is created), then updates, moves between months, changes
// the scope and the lines of, deletes, restores and purges records, and
// checks the monthly sums and the sales against the oracle for every
// principal: the summarized ones (staff, managers, admins in a tenant
// where staff see every customer), the partner (whose classes the summary
// cannot answer: read live) and a staff member under assigned customer
// visibility (drafts from the summary, the rest live).
func TestSummaryFollowsWrites(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := salesSetup(t, db)
		admin := f.users["admin"]
		from := time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo)
		to := time.Date(2026, 6, 1, 0, 0, 0, 0, tokyo)
		dailyIDs, usageIDs := ids(f.daily), append(ids(f.usage), ids(f.bought)...)

		// A draft (no customer) in April, shown to the whole company.
		draft, err := f.svc.Create(f.users["staff"], contactlog.Entry{Template: template.KeyDaily, ActualAt: time.Date(2026, 4, 3, 1, 0, 0, 0, time.UTC),
			Values: map[string]any{"work_minutes": 77, "visits": 2, "work_done": "下書き"}, Scope: permission.Scope{Kind: permission.ScopeCompany}})
		require.NoError(t, err)
		dailyIDs = append(dailyIDs, draft.ID)

		company := func(rs []*contactlog.Record, want bool) []*contactlog.Record {
			var out []*contactlog.Record
			for _, r := range rs {
				if (r.Scope.Kind == permission.ScopeCompany || r.Scope.Kind == "") == want {
					out = append(out, r)
				}
			}
			return out
		}
		daily := current(t, f.fixture, dailyIDs)
		pub, scoped := company(daily, true), company(daily, false)
		require.GreaterOrEqual(t, len(pub), 5)
		require.GreaterOrEqual(t, len(scoped), 2)
		update := func(r *contactlog.Record, change func(e *contactlog.Entry)) {
			t.Helper()
			e := r.Entry
			e.Values = maps.Clone(e.Values)
			change(&e)
			_, err := f.svc.Update(admin, r.ID, r.Version, e)
			require.NoError(t, err)
		}
		// New values, and a move from one month to another.
		update(pub[0], func(e *contactlog.Entry) {
			e.Values["work_minutes"] = 1234
			e.ActualAt = time.Date(2026, 5, 31, 14, 59, 0, 0, time.UTC) // 5/31 23:59 JST
		})
		update(pub[1], func(e *contactlog.Entry) {
			e.Values["visits"] = 40
			e.ActualAt = time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo)
		})
		// Company → users, users → company.
		update(pub[2], func(e *contactlog.Entry) {
			e.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.ids["b"]}}
		})
		update(scoped[0], func(e *contactlog.Entry) { e.Scope = permission.Scope{Kind: permission.ScopeCompany} })
		// Deleted, deleted and restored, purged.
		require.NoError(t, f.svc.Delete(admin, pub[3].ID, pub[3].Version))
		require.NoError(t, f.svc.Delete(admin, pub[4].ID, pub[4].Version))
		require.NoError(t, f.svc.Restore(admin, pub[4].ID, pub[4].Version+1))
		require.NoError(t, f.svc.Purge(admin, scoped[1].ID))

		// Sales: new lines and a move, a scope change, a deletion.
		usage := company(current(t, f.fixture, usageIDs), true)
		require.GreaterOrEqual(t, len(usage), 3)
		update(usage[0], func(e *contactlog.Entry) {
			e.Values["items"] = []template.Line{{Item: f.gyoza.ID.String(), Name: "餃子", Quantity: 2.5, UnitPrice: 350, TaxRate: 8}}
			e.ActualAt = time.Date(2026, 3, 1, 0, 0, 0, 0, tokyo)
		})
		update(usage[1], func(e *contactlog.Entry) {
			e.Scope = permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{f.group}}
		})
		require.NoError(t, f.svc.Delete(admin, usage[2].ID, usage[2].Version))

		staff, err := permission.Require(f.users["staff"])
		require.NoError(t, err)
		staff.CustomerVisibility = permission.VisibilityAssigned
		users := maps.Clone(f.users)
		users["staff (assigned)"] = permission.WithPrincipal(context.Background(), staff)

		requireDaySums(t, db)
		for _, who := range slices.Sorted(maps.Keys(users)) {
			ctx := users[who]
			summarized := who != "partner"

			want := map[string]*stats{}
			for _, r := range visible(t, f.fixture, ctx, current(t, f.fixture, dailyIDs)) {
				k := monthKey(r.Time())
				if want[k] == nil {
					want[k] = &stats{}
				}
				want[k].add(r)
			}
			res, err := f.rep.Aggregate(ctx, report.Query{Template: template.KeyDaily, GroupBy: report.ByMonth, From: from, To: to,
				Aggregations: []string{"work_minutes", "visits", "average_minutes", "work_hours"}})
			require.NoError(t, err, who)
			require.Equal(t, summarized, res.Summarized, who)
			require.Len(t, res.Groups, 4)
			for _, g := range res.Groups {
				w := want[g.Key]
				if w == nil {
					w = &stats{}
				}
				require.Equal(t, w.n, g.Count, "%s %s", who, g.Key)
				require.Equal(t, report.Value{Valid: true, Exact: true, Int: w.minutes, Float: float64(w.minutes)}, g.Values[0], "%s %s", who, g.Key)
				require.Equal(t, report.Value{Valid: true, Exact: true, Int: w.visits, Float: float64(w.visits)}, g.Values[1], "%s %s", who, g.Key)
				require.Equal(t, w.n > 0, g.Values[2].Valid, "%s %s", who, g.Key)
				if w.n > 0 {
					require.InDelta(t, float64(w.minutes)/float64(w.n), g.Values[2].Float, 1e-9, "%s %s", who, g.Key)
				}
				require.InDelta(t, float64(w.minutes)/60, g.Values[3].Float, 1e-9, "%s %s", who, g.Key)
			}

			// Every unit in Tokyo and in UTC: the days cut by a period's bound
			// are read from the summary's hour rows, the others from its day
			// rows.
			for _, loc := range []*time.Location{tokyo, time.UTC} {
				pr, err := permission.Require(ctx)
				require.NoError(t, err)
				pr.Location = loc
				lctx := permission.WithPrincipal(context.Background(), pr)
				seen := visible(t, f.fixture, ctx, current(t, f.fixture, dailyIDs))
				for _, unit := range []report.GroupBy{report.ByDay, report.ByWeek, report.ByMonth, report.ByYear} {
					res, err := f.rep.Aggregate(lctx, report.Query{Template: template.KeyDaily, GroupBy: unit, From: from, To: to,
						Aggregations: []string{"work_minutes"}})
					require.NoError(t, err, who)
					require.Equal(t, summarized, res.Summarized, who)
					var n, minutes int64
					for _, g := range res.Groups {
						var w stats
						for _, r := range seen {
							if at := r.Time(); !at.Before(g.Start) && at.Before(g.End) && !at.Before(from) && at.Before(to) {
								w.add(r)
							}
						}
						require.Equal(t, w.n, g.Count, "%s %s %s %s", who, loc, unit, g.Key)
						require.Equal(t, w.minutes, g.Values[0].Int, "%s %s %s %s", who, loc, unit, g.Key)
						n += g.Count
						minutes += g.Values[0].Int
					}
					require.Equal(t, int64(len(want)) > 0, n > 0, "%s %s %s", who, loc, unit)
				}
			}

			if who == "partner" {
				continue // staff only below: sales are not the partner's
			}
			months := map[string]*amounts{}
			items := map[string][2]int64{} // item → lines, net
			for _, r := range visible(t, f.fixture, ctx, current(t, f.fixture, usageIDs)) {
				l := linesOf(t, r)
				k := monthKey(r.Time())
				if months[k] == nil {
					months[k] = &amounts{}
				}
				months[k].add(l)
				for _, it := range l.Items {
					key := it.Item
					if key == "" {
						key = it.Name
					}
					items[key] = [2]int64{items[key][0] + 1, items[key][1] + it.Subtotal}
				}
			}
			s, err := f.rep.Sales(ctx, report.SalesQuery{From: from, To: to})
			require.NoError(t, err, who)
			for _, p := range s.Periods {
				w := months[p.Key]
				if w == nil {
					w = &amounts{}
				}
				require.Equal(t, *w, rowAmounts(p), "%s %s", who, p.Key)
			}
			gotItems := map[string][2]int64{}
			for _, it := range s.Items {
				gotItems[it.Key] = [2]int64{it.Count, it.Net}
			}
			require.Equal(t, items, gotItems, who)
		}
	})
}

// sumKey is a summary row's key but its time.
type sumKey struct {
	Tenant                      uuid.UUID
	Template                    string
	Version                     int
	Draft, Confidential, Shared bool
	Kind, Field, Item           string
	Rate                        int
	Name                        string
}

// requireDaySums checks that the summary's day rows are its hour rows
// added up per UTC day.
func requireDaySums(t *testing.T, db *bun.DB) {
	t.Helper()
	type row struct {
		Tenant       uuid.UUID `bun:"tenant_id"`
		Template     string    `bun:"template_key"`
		At           time.Time `bun:"at"`
		Version      int       `bun:"template_version"`
		Draft        bool      `bun:"draft"`
		Confidential bool      `bun:"confidential"`
		Shared       bool      `bun:"shared"`
		Kind         string    `bun:"kind"`
		Field        string    `bun:"field"`
		Item         string    `bun:"item"`
		Rate         int       `bun:"rate"`
		Name         string    `bun:"name"`
		N, A, B, C   int64
	}
	type at struct {
		day time.Time
		key sumKey
	}
	read := func(table, col string) map[at][4]int64 {
		var rows []row
		require.NoError(t, db.NewSelect().Table(table).ColumnExpr("tenant_id, template_key, "+col+" AS at, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c").Scan(context.Background(), &rows))
		out := map[at][4]int64{}
		for _, r := range rows {
			k := at{r.At.UTC().Truncate(24 * time.Hour), sumKey{r.Tenant, r.Template, r.Version, r.Draft, r.Confidential, r.Shared, r.Kind, r.Field, r.Item, r.Rate, r.Name}}
			v := out[k]
			out[k] = [4]int64{v[0] + r.N, v[1] + r.A, v[2] + r.B, v[3] + r.C}
		}
		return out
	}
	hours := read("contact_record_sums", "hour")
	require.NotEmpty(t, hours)
	require.Equal(t, hours, read("contact_record_day_sums", "day"))
}

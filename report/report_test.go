package report_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
)

var tokyo = func() *time.Location {
	l, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return l
}()

// fixture is one tenant (Asia/Tokyo) with staff in a group, a manager, an
// admin, a partner, two customers, a second tenant, and seeded daily
// reports and usage records with varied visibility.
type fixture struct {
	svc    *contactlog.Service
	rep    *report.Service
	db     *bun.DB
	users  map[string]context.Context
	ids    map[string]uuid.UUID
	custs  []uuid.UUID
	daily  []*contactlog.Record
	usage  []*contactlog.Record
	other  context.Context
	clock  *clocktest.Clock
	tenant uuid.UUID
	group  uuid.UUID
}

func setup(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, contactlog.Migrate(ctx, db))
	clock := clocktest.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	templates, err := template.NewStoreRegistry(db, nil)
	require.NoError(t, err)
	svc, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Clock: clock.Now, Authorizer: engine})
	require.NoError(t, err)
	csvc, err := customer.NewService(db, &customer.Config{Clock: clock.Now, Authorizer: engine})
	require.NoError(t, err)
	rep, err := report.NewService(db, &report.Config{Records: svc, Clock: clock.Now, Authorizer: engine})
	require.NoError(t, err)

	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事", CustomerVisibility: permission.VisibilityAll})
	require.NoError(t, err)
	f := &fixture{svc: svc, rep: rep, db: db, clock: clock, tenant: tenant.ID,
		users: map[string]context.Context{}, ids: map[string]uuid.UUID{}}
	for _, u := range []struct {
		name string
		role permission.Role
	}{{"staff", permission.RoleStaff}, {"a", permission.RoleStaff}, {"b", permission.RoleStaff},
		{"manager", permission.RoleManager}, {"admin", permission.RoleAdmin}, {"partner", permission.RolePartner}} {
		got, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "社員 " + u.name, Email: u.name + "@example.jp",
			Roles: []permission.Role{u.role}, Active: true})
		require.NoError(t, err)
		f.ids[u.name] = got.ID
	}
	group, err := dir.CreateGroup(ctx, tenant.ID, "営業1課")
	require.NoError(t, err)
	f.group = group.ID
	require.NoError(t, dir.SetGroupMembers(ctx, tenant.ID, group.ID, []permission.Member{
		{User: f.ids["manager"], Manager: true}, {User: f.ids["staff"]}, {User: f.ids["a"]},
	}))
	for name, id := range f.ids {
		p, err := dir.Principal(ctx, tenant.ID, id)
		require.NoError(t, err)
		f.users[name] = permission.WithPrincipal(ctx, p)
	}
	other, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
	require.NoError(t, err)
	oa, err := dir.SaveUser(ctx, permission.User{Tenant: other.ID, Name: "他社 管理", Email: "x@other.example", Roles: []permission.Role{permission.RoleAdmin}, Active: true})
	require.NoError(t, err)
	op, err := dir.Principal(ctx, other.ID, oa.ID)
	require.NoError(t, err)
	f.other = permission.WithPrincipal(ctx, op)

	for _, name := range []string{"山田", "岡山"} {
		c, err := csvc.Create(f.users["admin"], customer.Profile{FamilyName: name, GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ"})
		require.NoError(t, err)
		f.custs = append(f.custs, c.ID)
	}
	f.seed(t)
	return f
}

// seed writes daily reports and usage records around the month boundaries
// of Asia/Tokyo, by different authors with different scopes.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	rng := rand.New(rand.NewPCG(18, 2026))
	authors := []string{"staff", "a", "b", "manager", "admin"}
	// Times chosen on both sides of JST month starts (UTC 15:00 the day before).
	times := []time.Time{
		time.Date(2026, 3, 31, 14, 59, 0, 0, time.UTC), // 3/31 23:59 JST: March
		time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC),  // 4/1 00:00 JST: April
		time.Date(2026, 4, 15, 3, 0, 0, 0, time.UTC),
		time.Date(2026, 4, 30, 15, 30, 0, 0, time.UTC), // 5/1 00:30 JST: May
		time.Date(2026, 5, 20, 1, 0, 0, 0, time.UTC),
		time.Date(2026, 2, 28, 14, 0, 0, 0, time.UTC), // 2/28 23:00 JST: February
	}
	scopes := func(author string) permission.Scope {
		switch rng.IntN(4) {
		case 0:
			return permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.ids[author]}}
		case 1:
			return permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{f.group}}
		case 2:
			return permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.ids["b"]}}
		}
		return permission.Scope{Kind: permission.ScopeCompany}
	}
	for i := range 36 {
		author := authors[rng.IntN(len(authors))]
		values := map[string]any{"work_minutes": rng.IntN(600), "work_done": "訪問と電話"}
		if rng.IntN(3) > 0 {
			values["visits"] = rng.IntN(9)
		}
		if rng.IntN(2) == 0 {
			values["points_used"] = float64(rng.IntN(100)) / 4
		}
		e := contactlog.Entry{
			Template: template.KeyDaily, Customer: f.custs[i%2], ActualAt: times[i%len(times)].Add(time.Duration(i) * time.Second),
			Values: values, Scope: scopes(author), Responders: []uuid.UUID{f.ids[authors[rng.IntN(len(authors))]]},
		}
		if i%5 == 0 {
			e.Responders = nil
		}
		r, err := f.svc.Create(f.users[author], e)
		require.NoError(t, err, "%d", i)
		f.daily = append(f.daily, r)
	}
	for i := range 12 {
		author := authors[rng.IntN(len(authors))]
		items := []any{
			map[string]any{"name": "醤油ラーメン", "quantity": 1 + rng.IntN(3), "unit_price": 780 + rng.IntN(5)*10, "tax_rate": 10},
			map[string]any{"name": "餃子(持ち帰り)", "quantity": 1 + rng.IntN(2), "unit_price": 333, "tax_rate": 8},
		}
		e := contactlog.Entry{
			Template: template.KeyUsage, Customer: f.custs[i%2], ActualAt: times[i%len(times)],
			Values: map[string]any{"items": items, "payment": []string{"現金", "電子マネー", ""}[i%3]},
			Scope:  scopes(author),
		}
		r, err := f.svc.Create(f.users[author], e)
		require.NoError(t, err)
		f.usage = append(f.usage, r)
	}
	// A deleted record never counts.
	r, err := f.svc.Create(f.users["admin"], contactlog.Entry{Template: template.KeyDaily, Customer: f.custs[0],
		ActualAt: times[2], Values: map[string]any{"work_minutes": 999, "work_done": "x"}})
	require.NoError(t, err)
	require.NoError(t, f.svc.Delete(f.users["admin"], r.ID, r.Version))
}

// visible is the oracle's view: the records Get lets the principal read
// (the permission engine's Check, not its SQL predicate).
func visible(t *testing.T, f *fixture, ctx context.Context, rs []*contactlog.Record) []*contactlog.Record {
	t.Helper()
	var out []*contactlog.Record
	for _, r := range rs {
		got, err := f.svc.Get(ctx, r.ID)
		if errors.Is(err, contactlog.ErrNotFound) {
			continue
		}
		require.NoError(t, err)
		out = append(out, got)
	}
	return out
}

// oracle computes a daily-report aggregation in plain Go.
type stats struct {
	n               int64
	minutes, visits int64
	visitN, pointsN int
	points          float64
}

func num(v any) (float64, bool) { return template.NumericValue(v) }

func (s *stats) add(r *contactlog.Record) {
	s.n++
	m, _ := num(r.Values["work_minutes"])
	s.minutes += int64(m)
	if v, ok := num(r.Values["visits"]); ok {
		s.visits += int64(v)
		s.visitN++
	}
	if p, ok := num(r.Values["points_used"]); ok {
		s.points += p
		s.pointsN++
	}
}

func monthKey(at time.Time) string {
	t := at.In(tokyo)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, tokyo).Format(time.DateOnly)
}

func checkDaily(t *testing.T, res *report.Result, want map[string]*stats) {
	t.Helper()
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c.Key] = i
	}
	got := map[string]bool{}
	for _, g := range res.Groups {
		w := want[g.Key]
		if w == nil {
			w = &stats{}
		}
		got[g.Key] = true
		require.Equal(t, w.n, g.Count, "group %q", g.Key)
		v := g.Values
		require.Equal(t, report.Value{Valid: true, Exact: true, Int: w.minutes, Float: float64(w.minutes)}, v[col["work_minutes"]], "group %q", g.Key)
		require.Equal(t, report.Value{Valid: true, Exact: true, Int: w.visits, Float: float64(w.visits)}, v[col["visits"]], "group %q", g.Key)
		require.InDelta(t, float64(w.minutes)/60, v[col["work_hours"]].Float, 1e-9)
		if w.n == 0 {
			require.False(t, v[col["average_minutes"]].Valid)
			require.Equal(t, 0.0, v[col["visits_per_report"]].Float)
		} else {
			require.InDelta(t, float64(w.minutes)/float64(w.n), v[col["average_minutes"]].Float, 1e-9)
			require.InDelta(t, float64(w.visits)/float64(w.n), v[col["visits_per_report"]].Float, 1e-9)
		}
		require.InDelta(t, w.points, v[col["points_used"]].Float, 1e-9)
		require.False(t, v[col["points_used"]].Exact, "a number field is not exact")
	}
	for k, w := range want {
		if w.n > 0 {
			require.True(t, got[k], "group %q missing", k)
		}
	}
}

func TestAggregateMatchesOracle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		from := time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo)
		to := time.Date(2026, 6, 1, 0, 0, 0, 0, tokyo)
		for _, who := range []string{"staff", "a", "b", "manager", "admin"} {
			ctx := f.users[who]
			vis := visible(t, f, ctx, f.daily)
			require.NotEmpty(t, vis, who)

			// By month in the tenant's zone.
			want := map[string]*stats{}
			for _, r := range vis {
				k := monthKey(r.Time())
				if want[k] == nil {
					want[k] = &stats{}
				}
				want[k].add(r)
			}
			res, err := f.rep.Aggregate(ctx, report.Query{Template: template.KeyDaily, GroupBy: report.ByMonth, From: from, To: to})
			require.NoError(t, err, who)
			require.Equal(t, []string{"2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"}, keys(res), who)
			require.Equal(t, []string{"2026年2月", "2026年3月", "2026年4月", "2026年5月"}, res.Labels())
			checkDaily(t, res, want)
			pushed := map[string]bool{}
			for _, c := range res.Columns {
				pushed[c.Key] = c.PushedDown
			}
			require.Equal(t, map[string]bool{"work_minutes": true, "work_hours": false, "average_minutes": true,
				"visits": true, "visits_per_report": false, "points_used": true}, pushed)

			// By author and by responder, with a record filter.
			cust := f.custs[0]
			byAuthor, byResp := map[string]*stats{}, map[string]*stats{}
			for _, r := range vis {
				if r.Customer != cust {
					continue
				}
				a := r.Author.String()
				if byAuthor[a] == nil {
					byAuthor[a] = &stats{}
				}
				byAuthor[a].add(r)
				resp := []string{""}
				if len(r.Responders) > 0 {
					resp = nil
					for _, u := range r.Responders {
						resp = append(resp, u.String())
					}
				}
				for _, k := range resp {
					if byResp[k] == nil {
						byResp[k] = &stats{}
					}
					byResp[k].add(r)
				}
			}
			res, err = f.rep.Aggregate(ctx, report.Query{Template: template.KeyDaily, GroupBy: report.ByAuthor, Filter: contactlog.Query{Customer: cust}})
			require.NoError(t, err)
			checkDaily(t, res, byAuthor)
			res, err = f.rep.Aggregate(ctx, report.Query{Template: template.KeyDaily, GroupBy: report.ByResponder, Filter: contactlog.Query{Customer: cust}})
			require.NoError(t, err)
			checkDaily(t, res, byResp)

			// Usage: exact yen totals (lines), by payment (select).
			sales := map[string]int64{}
			counts := map[string]int64{}
			for _, r := range visible(t, f, ctx, f.usage) {
				p, _ := r.Values["payment"].(string)
				total, ok := num(r.Values["items"])
				require.True(t, ok)
				sales[p] += int64(total)
				counts[p]++
			}
			res, err = f.rep.Aggregate(ctx, report.Query{Template: template.KeyUsage, GroupBy: report.ByField, Field: "payment",
				Aggregations: []string{"sales", "visits"}})
			require.NoError(t, err)
			gotSales, gotCounts := map[string]int64{}, map[string]int64{}
			for _, g := range res.Groups {
				require.True(t, g.Values[0].Exact)
				gotSales[g.Key], gotCounts[g.Key] = g.Values[0].Int, g.Values[1].Int
				require.Equal(t, g.Count, g.Values[1].Int)
			}
			require.Equal(t, sales, gotSales, who)
			require.Equal(t, counts, gotCounts, who)
		}
	})
}

func keys(r *report.Result) []string {
	var out []string
	for _, g := range r.Groups {
		out = append(out, g.Key)
	}
	return out
}

func TestAggregateEmptyPeriodsAndWeeks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := f.users["admin"]
		res, err := f.rep.Aggregate(ctx, report.Query{Template: template.KeyDaily, GroupBy: report.ByWeek,
			From: time.Date(2026, 3, 25, 0, 0, 0, 0, tokyo), To: time.Date(2026, 4, 8, 0, 0, 0, 0, tokyo)})
		require.NoError(t, err)
		// Weeks start on Monday: 3/23, 3/30, 4/6.
		require.Equal(t, []string{"2026-03-23", "2026-03-30", "2026-04-06"}, keys(res))
		var n int64
		for _, r := range f.daily {
			at := r.Time()
			if !at.Before(time.Date(2026, 3, 25, 0, 0, 0, 0, tokyo)) && at.Before(time.Date(2026, 4, 8, 0, 0, 0, 0, tokyo)) {
				n++
			}
		}
		require.Equal(t, n, res.Groups[0].Count+res.Groups[1].Count+res.Groups[2].Count)
		require.Zero(t, res.Groups[2].Count)
		empty := res.Groups[2].Values
		require.Equal(t, report.Value{Valid: true, Exact: true}, empty[0], "a sum over nothing is 0")
		require.False(t, empty[2].Valid, "an average over nothing has no value")

		// The other tenant sees none of it.
		res, err = f.rep.Aggregate(f.other, report.Query{Template: template.KeyDaily})
		require.NoError(t, err)
		require.Len(t, res.Groups, 1)
		require.Zero(t, res.Groups[0].Count)
	})
}

func TestAggregateValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := f.users["staff"]
		for _, tc := range []struct {
			q     report.Query
			field string
			code  string
		}{
			{report.Query{}, "template", validation.CodeRequired},
			{report.Query{Template: "tenant:nope"}, "template", validation.CodeUnknown},
			{report.Query{Template: template.KeyDaily, Aggregations: []string{"work_minutes", "nope"}}, "aggregations[1]", validation.CodeUnknown},
			{report.Query{Template: template.KeyDaily, GroupBy: report.ByMonth}, "from", validation.CodeRequired},
			{report.Query{Template: template.KeyDaily, GroupBy: "quarter"}, "group_by", validation.CodeUnknown},
			{report.Query{Template: template.KeyDaily, GroupBy: report.ByField, Field: "visits"}, "field", validation.CodeWrongType},
			{report.Query{Template: template.KeyDaily, GroupBy: report.ByDay,
				From: time.Date(2020, 1, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 1, 1, 0, 0, 0, 0, tokyo)}, "group_by", validation.CodeTooMany},
			{report.Query{Template: template.KeyDaily, From: time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 1, 1, 0, 0, 0, 0, tokyo)}, "to", validation.CodeOutOfRange},
			{report.Query{Template: template.KeyDaily, Filter: contactlog.Query{Progress: []string{"\x00"}}}, "filter.progress[0]", validation.CodeFormat},
		} {
			_, err := f.rep.Aggregate(ctx, tc.q)
			var ve *validation.Error
			require.True(t, errors.As(err, &ve), "%+v: %v", tc.q, err)
			require.True(t, ve.Has(tc.field, tc.code), "%+v: %v", tc.q, err)
		}
		_, err := f.rep.Aggregate(context.Background(), report.Query{Template: template.KeyDaily})
		require.ErrorIs(t, err, report.ErrUnauthenticated)
	})
}

func TestPeriodsAcrossDST(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	ps := report.Periods(report.ByDay, time.Date(2026, 3, 7, 12, 0, 0, 0, ny), time.Date(2026, 3, 10, 0, 0, 0, 0, ny), ny, 10)
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%s %v", p.Key, p.End.Sub(p.Start)))
	}
	require.Equal(t, []string{"2026-03-07 24h0m0s", "2026-03-08 23h0m0s", "2026-03-09 24h0m0s"}, got)
	require.Len(t, report.Periods(report.ByMonth, time.Date(2026, 1, 31, 0, 0, 0, 0, tokyo), time.Date(2027, 1, 1, 0, 0, 0, 0, tokyo), tokyo, 5), 5)
}

func TestAggregateLineTotals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		for _, who := range []string{"staff", "b", "admin"} {
			ctx := f.users[who]
			want := map[string]*report.LineTotals{}
			for _, r := range visible(t, f, ctx, f.usage) {
				k := monthKey(r.Time())
				if want[k] == nil {
					want[k] = &report.LineTotals{Rates: []report.RateTotal{}}
				}
				var ls template.Lines
				b, err := json.Marshal(r.Values["items"])
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &ls))
				w := want[k]
				w.Net, w.Tax, w.Gross = w.Net+ls.Subtotal, w.Tax+ls.Tax, w.Gross+ls.Total
				for _, tx := range ls.Taxes {
					i := slices.IndexFunc(w.Rates, func(rt report.RateTotal) bool { return rt.Rate == tx.Rate })
					if i < 0 {
						w.Rates = append(w.Rates, report.RateTotal{Rate: tx.Rate})
						i = len(w.Rates) - 1
					}
					w.Rates[i].Base += tx.Base
					w.Rates[i].Tax += tx.Tax
				}
				slices.SortFunc(w.Rates, func(a, b report.RateTotal) int { return a.Rate - b.Rate })
			}
			res, err := f.rep.Aggregate(ctx, report.Query{Template: template.KeyUsage, GroupBy: report.ByMonth, Lines: "items",
				From: time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 6, 1, 0, 0, 0, 0, tokyo)})
			require.NoError(t, err)
			for _, g := range res.Groups {
				w := want[g.Key]
				if w == nil {
					w = &report.LineTotals{Rates: []report.RateTotal{}}
				}
				require.Equal(t, w, g.Lines, "%s %s", who, g.Key)
				require.Equal(t, g.Lines.Net+g.Lines.Tax, g.Lines.Gross)
			}
		}
		_, err := f.rep.Aggregate(f.users["admin"], report.Query{Template: template.KeyDaily, Lines: "work_minutes"})
		var ve *validation.Error
		require.True(t, errors.As(err, &ve))
		require.True(t, ve.Has("lines", validation.CodeWrongType))
	})
}

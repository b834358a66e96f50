package report_test

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
)

// salesFixture adds a catalog and two purchases from it to the report
// fixture (whose usage records have free lines).
type salesFixture struct {
	*fixture
	cat                    *catalog.Service
	rep                    *report.Service
	shoyu, omori, gyoza    catalog.Item
	ramenCat, gyozaCat     catalog.Category
	bought                 []*contactlog.Record
	buyer                  uuid.UUID
	purchaseAt1, purchase2 time.Time
}

func salesSetup(t *testing.T, db *bun.DB) *salesFixture {
	t.Helper()
	f := &salesFixture{fixture: setup(t, db)}
	ctx := context.Background()
	require.NoError(t, catalog.Migrate(ctx, db))
	var err error
	f.cat, err = catalog.NewService(db, nil)
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	f.rep, err = report.NewService(db, &report.Config{Records: f.svc, Clock: f.clock.Now, Authorizer: engine, Catalog: f.cat})
	require.NoError(t, err)
	admin := f.users["admin"]
	csvc, err := customer.NewService(db, &customer.Config{Clock: f.clock.Now, Authorizer: engine})
	require.NoError(t, err)
	buyer, err := csvc.Create(admin, customer.Profile{FamilyName: "北", GivenName: "太郎", FamilyKana: "キタ", GivenKana: "タロウ"})
	require.NoError(t, err)
	f.buyer = buyer.ID
	f.ramenCat, err = f.cat.SaveCategory(admin, catalog.Category{Name: "ラーメン", TaxRate: 10, UsesVariants: true})
	require.NoError(t, err)
	f.gyozaCat, err = f.cat.SaveCategory(admin, catalog.Category{Name: "餃子(持ち帰り)", TaxRate: 8})
	require.NoError(t, err)
	f.shoyu, err = f.cat.SaveItem(admin, catalog.Item{Category: f.ramenCat.ID, Name: "醤油ラーメン", Variant: "普通", UnitPrice: 700})
	require.NoError(t, err)
	f.omori, err = f.cat.SaveItem(admin, catalog.Item{Category: f.ramenCat.ID, Name: "醤油ラーメン", Variant: "大盛", UnitPrice: 800})
	require.NoError(t, err)
	f.gyoza, err = f.cat.SaveItem(admin, catalog.Item{Category: f.gyozaCat.ID, Name: "餃子", UnitPrice: 350})
	require.NoError(t, err)
	line := func(it catalog.Item, q float64) template.Line {
		l, err := f.cat.Line(admin, it.ID, q)
		require.NoError(t, err)
		return l
	}
	// 4/10 JST: 醤油 普通 ×2 = 1400 (10%: 140), 餃子 ×1 = 350 (8%: 28) → 1918.
	// 5/2 JST: 醤油 大盛 ×1 = 800 (10%: 80), 餃子 ×3 = 1050 (8%: 84) → 2014.
	f.purchaseAt1 = time.Date(2026, 4, 10, 12, 0, 0, 0, tokyo)
	f.purchase2 = time.Date(2026, 5, 2, 0, 10, 0, 0, tokyo)
	for _, p := range []struct {
		at    time.Time
		lines []template.Line
	}{
		{f.purchaseAt1, []template.Line{line(f.shoyu, 2), line(f.gyoza, 1)}},
		{f.purchase2, []template.Line{line(f.omori, 1), line(f.gyoza, 3)}},
	} {
		r, err := f.svc.Create(admin, contactlog.Entry{Template: template.KeyUsage, Customer: f.buyer, ActualAt: p.at,
			Values: map[string]any{"items": p.lines}, Scope: permission.Scope{Kind: permission.ScopeCompany}})
		require.NoError(t, err)
		f.bought = append(f.bought, r)
	}
	// A later price change alters no past sale.
	f.shoyu.UnitPrice = 990
	_, err = f.cat.SaveItem(admin, f.shoyu)
	require.NoError(t, err)
	return f
}

// linesOf reads a usage record's stored lines.
func linesOf(t *testing.T, r *contactlog.Record) template.Lines {
	t.Helper()
	b, err := json.Marshal(r.Values["items"])
	require.NoError(t, err)
	var l template.Lines
	require.NoError(t, json.Unmarshal(b, &l))
	return l
}

type amounts struct{ count, net, tax, gross int64 }

func (a *amounts) add(l template.Lines) {
	a.count++
	a.net += l.Subtotal
	a.tax += l.Tax
	a.gross += l.Total
}

func rowAmounts(r report.SalesRow) amounts { return amounts{r.Count, r.Net, r.Tax, r.Gross} }

func TestSalesMatchesOracle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := salesSetup(t, db)
		from := time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo)
		to := time.Date(2026, 6, 1, 0, 0, 0, 0, tokyo)
		all := append(slices.Clone(f.usage), f.bought...)
		for _, who := range []string{"staff", "a", "b", "manager", "admin"} {
			ctx := f.users[who]
			vis := visible(t, f.fixture, ctx, all)
			months, days, custs := map[string]*amounts{}, map[string]*amounts{}, map[string]*amounts{}
			var total amounts
			// The rates per month as stored, and per item (its ID, or a
			// free line's name) the lines, quantity and net.
			rates := map[string]map[int]report.RateTotal{}
			items := map[string]report.SalesRow{}
			for _, r := range vis {
				l := linesOf(t, r)
				at := r.Time().In(tokyo)
				if !at.Before(from) && at.Before(to) {
					m := monthKey(at)
					if rates[m] == nil {
						rates[m] = map[int]report.RateTotal{}
					}
					for _, tx := range l.Taxes {
						rt := rates[m][tx.Rate]
						rates[m][tx.Rate] = report.RateTotal{Rate: tx.Rate, Base: rt.Base + tx.Base, Tax: rt.Tax + tx.Tax}
					}
					for _, li := range l.Items {
						k := cmp.Or(li.Item, li.Name)
						it := items[k]
						it.Count++
						it.Quantity += li.Quantity
						it.Net += li.Subtotal
						items[k] = it
					}
				}
				for _, m := range []struct {
					m map[string]*amounts
					k string
				}{{months, monthKey(at)}, {days, at.Format(time.DateOnly)}, {custs, r.Customer.String()}} {
					if m.m[m.k] == nil {
						m.m[m.k] = &amounts{}
					}
					m.m[m.k].add(l)
				}
				total.add(l)
			}
			s, err := f.rep.Sales(ctx, report.SalesQuery{From: from, To: to})
			require.NoError(t, err, who)
			require.Len(t, s.Periods, 4)
			require.Equal(t, []string{"2026年2月", "2026年3月", "2026年4月", "2026年5月"}, s.Labels())
			for _, p := range s.Periods {
				w := months[p.Key]
				if w == nil {
					w = &amounts{}
				}
				require.Equal(t, *w, rowAmounts(p), "%s %s", who, p.Key)
				wr := slices.SortedFunc(maps.Values(rates[p.Key]), func(a, b report.RateTotal) int { return a.Rate - b.Rate })
				require.Equal(t, append([]report.RateTotal{}, wr...), p.Rates, "%s %s", who, p.Key)
			}
			require.Equal(t, total, rowAmounts(s.Total), who)
			require.Len(t, s.Items, len(items), who)
			for _, it := range s.Items {
				w := items[it.Key]
				require.Equal(t, [3]float64{float64(w.Count), w.Quantity, float64(w.Net)}, [3]float64{float64(it.Count), it.Quantity, float64(it.Net)}, "%s %s", who, it.Key)
			}

			acc, err := f.rep.Accounts(ctx, report.AccountsQuery{From: from, To: to})
			require.NoError(t, err, who)
			require.Len(t, acc.Days, len(days), who)
			for i, d := range acc.Days {
				require.Equal(t, *days[d.Key], rowAmounts(d), "%s %s", who, d.Key)
				if i > 0 {
					require.Less(t, d.Key, acc.Days[i-1].Key, "newest first")
				}
			}
			require.Len(t, acc.Customers, len(custs))
			for _, c := range acc.Customers {
				require.Equal(t, *custs[c.Key], rowAmounts(c), "%s %s", who, c.Key)
			}
			require.Len(t, acc.Receipts, len(vis))
			require.False(t, acc.More)
			require.True(t, sort.SliceIsSorted(acc.Receipts, func(i, j int) bool { return acc.Receipts[i].Time.After(acc.Receipts[j].Time) }))
			var gross int64
			for _, rc := range acc.Receipts {
				gross += rc.Gross
			}
			require.Equal(t, total.gross, gross)
			require.Equal(t, total, rowAmounts(acc.Total))
			page, err := f.rep.Accounts(ctx, report.AccountsQuery{From: from, To: to, Limit: 2, Offset: 1})
			require.NoError(t, err)
			require.Equal(t, acc.Receipts[1:3], page.Receipts)
			require.True(t, page.More)

			// 利用総額: a customer's lifetime total over what the principal sees.
			var life amounts
			for _, r := range vis {
				if r.Customer == f.custs[0] {
					life.add(linesOf(t, r))
				}
			}
			u, err := f.rep.CustomerUsage(ctx, f.custs[0])
			require.NoError(t, err)
			require.Equal(t, life, rowAmounts(u.Total), who)
			u, err = f.rep.CustomerUsage(ctx, f.buyer)
			require.NoError(t, err)
			require.Equal(t, amounts{2, 3600, 332, 3932}, rowAmounts(u.Total), who)
			require.Equal(t, f.purchaseAt1, u.First.In(tokyo))
			require.Equal(t, f.purchase2, u.Last.In(tokyo))
		}
	})
}

func TestSalesByCategoryAndItem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := salesSetup(t, db)
		admin := f.users["admin"]
		// Only the two catalog purchases: April and May, by day.
		s, err := f.rep.Sales(admin, report.SalesQuery{Unit: report.ByDay, Customer: f.buyer,
			From: time.Date(2026, 4, 10, 0, 0, 0, 0, tokyo), To: time.Date(2026, 5, 3, 0, 0, 0, 0, tokyo)})
		require.NoError(t, err)
		require.Len(t, s.Periods, 23)
		require.Equal(t, report.SalesRow{Key: "2026-04-10", Start: time.Date(2026, 4, 10, 0, 0, 0, 0, tokyo), End: time.Date(2026, 4, 11, 0, 0, 0, 0, tokyo),
			Count: 1, Net: 1750, Tax: 168, Gross: 1918, Rates: []report.RateTotal{{Rate: 8, Base: 350, Tax: 28}, {Rate: 10, Base: 1400, Tax: 140}}}, s.Periods[0])
		require.Equal(t, amounts{1, 1850, 164, 2014}, rowAmounts(s.Periods[22]))
		require.Equal(t, amounts{2, 3600, 332, 3932}, rowAmounts(s.Total))
		require.Equal(t, []report.RateTotal{{Rate: 8, Base: 1400, Tax: 112}, {Rate: 10, Base: 2200, Tax: 220}}, s.Total.Rates)

		// Per item: lines, quantity, net at the price written (700, not 990).
		require.Equal(t, []report.SalesRow{
			{Key: f.shoyu.ID.String(), Label: "醤油ラーメン（普通）", Count: 1, Quantity: 2, Net: 1400, Tax: 140, Gross: 1540, Rates: []report.RateTotal{{Rate: 10, Base: 1400, Tax: 140}}},
			{Key: f.gyoza.ID.String(), Label: "餃子", Count: 2, Quantity: 4, Net: 1400, Tax: 112, Gross: 1512, Rates: []report.RateTotal{{Rate: 8, Base: 1400, Tax: 112}}},
			{Key: f.omori.ID.String(), Label: "醤油ラーメン（大盛）", Count: 1, Quantity: 1, Net: 800, Tax: 80, Gross: 880, Rates: []report.RateTotal{{Rate: 10, Base: 800, Tax: 80}}},
		}, s.Items)
		require.Equal(t, []report.SalesRow{
			{Key: f.ramenCat.ID.String(), Label: "ラーメン", Count: 2, Quantity: 3, Net: 2200, Tax: 220, Gross: 2420, Rates: []report.RateTotal{{Rate: 10, Base: 2200, Tax: 220}}},
			{Key: f.gyozaCat.ID.String(), Label: "餃子(持ち帰り)", Count: 2, Quantity: 4, Net: 1400, Tax: 112, Gross: 1512, Rates: []report.RateTotal{{Rate: 8, Base: 1400, Tax: 112}}},
		}, s.Categories)

		// Lines outside the catalog (the fixture's free lines) form the
		// category "" and items by name.
		s, err = f.rep.Sales(admin, report.SalesQuery{From: time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 6, 1, 0, 0, 0, 0, tokyo)})
		require.NoError(t, err)
		var free []string
		for _, it := range s.Items {
			if _, err := uuid.Parse(it.Key); err != nil {
				require.Equal(t, it.Key, it.Label)
				free = append(free, it.Key)
			}
		}
		require.ElementsMatch(t, []string{"醤油ラーメン", "餃子(持ち帰り)"}, free)
		require.True(t, slices.ContainsFunc(s.Categories, func(r report.SalesRow) bool { return r.Key == "" && r.Count > 0 }))

		// The item's buyers.
		buyers, err := f.rep.Buyers(admin, f.gyoza.ID.String())
		require.NoError(t, err)
		require.Equal(t, []report.SalesRow{{Key: f.buyer.String(), Count: 2, Net: 3600, Tax: 332, Gross: 3932,
			Rates: []report.RateTotal{{Rate: 8, Base: 1400, Tax: 112}, {Rate: 10, Base: 2200, Tax: 220}}}}, buyers)
		buyers, err = f.rep.Buyers(admin, f.shoyu.ID.String())
		require.NoError(t, err)
		require.Len(t, buyers, 1)
		require.Equal(t, int64(1), buyers[0].Count)

		// 利用総額 and the items the customer bought.
		u, err := f.rep.CustomerUsage(admin, f.custs[1])
		require.NoError(t, err)
		require.NotZero(t, u.Total.Count)
		for _, it := range u.Items {
			require.NotEqual(t, f.gyoza.ID.String(), it.Key, "customer 1 bought no catalog item")
		}
		u, err = f.rep.CustomerUsage(admin, uuid.New())
		require.NoError(t, err)
		require.Zero(t, u.Total.Count)
		require.Empty(t, u.Items)

		// Another tenant sees nothing; a bad unit is a field error.
		s, err = f.rep.Sales(f.other, report.SalesQuery{From: time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 6, 1, 0, 0, 0, 0, tokyo)})
		require.NoError(t, err)
		require.Zero(t, s.Total.Count)
		require.Empty(t, s.Items)
		_, err = f.rep.Sales(admin, report.SalesQuery{Unit: report.ByWeek, From: time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 6, 1, 0, 0, 0, 0, tokyo)})
		requireField(t, err, "unit", "unknown")
		_, err = f.rep.Sales(admin, report.SalesQuery{})
		requireField(t, err, "from", "required")
	})
}

func requireField(t *testing.T, err error, field, code string) {
	t.Helper()
	var ve *validation.Error
	require.ErrorAs(t, err, &ve)
	require.True(t, ve.Has(field, code), "%v", ve.Fields)
}

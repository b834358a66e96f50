// Benchmarks for the report budgets of DESIGN.md: a monthly sum of a
// numeric template field over a year for a staff principal, beside
// hand-written SQL in the same run, a customer's automatic charts, and the
// sales by month over a year (売上データ分析) beside hand-written SQL.
//
// The data set is a slice of the standard one (gendata tenant 0, the big
// tenant: its 200 staff, org tree and groups, its first KIROKU_BENCH_CUSTOMERS
// customers — default 20 000 — and, of its first KIROKU_BENCH_RECORDS records
// — default 300 000 — those about these customers and the drafts), loaded
// with COPY into the columns the reports read. Run with:
//
//	KIROKU_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	    go test ./report -run '^$' -bench . -benchtime 2s -timeout 30m -v
//
// KIROKU_BENCH_EXPLAIN=1 also logs EXPLAIN (ANALYZE, BUFFERS) of the
// engine's queries and of the hand-written one. KIROKU_BENCH_KEEP=1 keeps
// the loaded schema (its name is printed on standard error) and KIROKU_BENCH_SCHEMA=<kept
// schema> runs on it instead of loading again (migrating it first, so new
// migrations apply to it).
//
// What the plans showed (67 108 records, 2 cores under load ≈ 35–45):
// without an index that leads with the template, the monthly sum read every
// record of the year through contact_records_occurred and filtered 86% of
// them away, and the estimated cost (≈ 1 000 000, the visibility subplans
// per row) crossed PostgreSQL's JIT inlining and optimization thresholds:
// 2.1 s of the 2.7 s were JIT compilation, for the engine and the
// hand-written SQL alike. contact_records_template_occurred cuts the rows
// read and the cost below those thresholds; jit=off (in the DSN, as the
// README advises) removes the rest of the compilation.
//
// At the full size (100 000 customers, 1 000 000 records, 2026-12-06, JIT
// on, 2 cores under load 32–42, 20 runs each), p50 engine / hand-written:
// monthly sum over a year for a staff member 9.5 s / 12.4 s (0.77×);
// customer charts 20.4 ms; sales by month over a year 19.9 s / 23.0 s
// (0.87×). The engine is never slower than the hand-written SQL, but the
// year's 128 000 daily reports and 98 000 purchases are each read from
// the heap (fields is JSON) with the visibility subplans per row, 2–4 s of
// each query is JIT compilation, and the periods' CASE grouping is
// estimated at one group per row, so the sort spills to disk: the 1 s and
// 200 ms budgets are out of reach at this size without a summary table.
// The default slice (20 000 customers, 67 108 records) with jit=off in the
// DSN, same day and load: monthly sum 186 ms / 239 ms (0.78×), customer
// charts 12.2 ms, sales by month 531 ms / 398 ms (1.33×).
//
// With the record summary (contact_record_sums, 2026-12-06, default slice:
// 20 000 customers, 67 108 records, JIT on, 2 cores under load ≈ 45–50 —
// loading took 20 min with the summary triggers per row —, 5 runs each),
// p50 engine / hand-written over the summary / over the records: monthly
// sum 188 ms / 364 ms / 394 ms (0.52×, 0.48×), customer charts 34.7 ms
// (not summarized: a customer filter), sales by month 472 ms / 560 ms /
// 937 ms (0.84×, 0.50×). The records of scopes other than company are
// still read one by one with the visibility predicate; the full size was
// not measured with the summary.
//
// At the full size (100 000 customers, 1 000 000 records; loaded in 35
// min with the summary triggers per row, load ≈ 30), 2026-12-06, 2 cores
// under load 30–41, 5 runs each: before the relation-driven live part the
// monthly sum was 7.5 s beside 11.3 s by hand over the summary and 13.0 s
// over the records. With it (the live part reads the records of other
// scopes among those related to the staff member, permission.Engine.Related:
// ≈ 24 000 candidates of all time through index-only scans of the author,
// people and scope-target indexes, each checked against
// contact_records_scoped_id for template and period, ≈ 3 300 read), the
// record tables vacuumed: monthly sum 858 ms / 792 ms by hand over the
// summary and the relations / 7.39 s over the records (1.08×, 0.12×);
// customer charts 32.9 ms; sales by month 4.45 s / 4.22 s / 24.1 s (1.05×,
// 0.18×). The sales budget (200 ms) is not met: a year of the usage
// template holds ≈ 78 000 summary rows (per hour: 7 000 record rows, 7 000
// lines, 13 600 rate and 50 500 item rows) beside ≈ 23 000 records of
// other scopes, and each of the three queries reads its share of both;
// a coarser rollup (per day) of the item rows is the next step. Default
// slice, same day, load 25–32, before contact_records_scoped_id and the
// vacuum: monthly sum 110 ms / 98 ms / 316 ms (1.13×,
// 0.35×), sales 275 ms / 274 ms / 905 ms (1.00×, 0.30×).
//
// With the day rows (contact_record_day_sums: a year by Tokyo month reads
// the 13 UTC days holding a month start from the hour rows, the rest from
// the day rows; the item rows summed over the whole period) and the
// customer charts reading one query of IDs, times and values, full size,
// 2026-12-06, 2 cores under load 20–30, 5 runs each, p50 (p95) engine /
// hand-written over the summary (its day rows too) / over the records:
// monthly sum 470 ms (525) / 446 ms / 5 061 ms (1.06×, 0.09×); customer
// charts 11.8 ms (19.5); sales by month 1 079 ms (1 249) / 3 257 ms /
// 9 965 ms (0.33×, 0.11×). The summary query of the sales now takes 8–80
// ms; what remains is the live part: each of its three queries (periods,
// rates, items) starts from the staff member's ≈ 23 500 related records of
// all time and templates (15 600 of them scoped to the org units above
// theirs) and probes contact_records_scoped_id for each, ≈ 0.4–0.6 s apiece
// at this load, for ≈ 3 100 records of the year. Back to back on the same
// schema as the load fell (before: the parent commit; load 1.9–7.6, then
// 1.8–3), p50 before → after: monthly sum 181 → 151 ms (hand-written over
// the summary 129 / 187 ms, over the records 1 500 / 1 213 ms); customer
// charts 4.86 → 0.96 ms; sales by month 836 → 304 ms (p95 327; 0.36× the
// hand-written over the summary, 850 ms, 0.08× over the records, 3 920
// ms): still above 200 ms, for the live part above.
//
// With the live part in one statement (the live records a materialized
// common table that the periods, the rates and the items read: the
// relation lookup once, not three times), full size, 2026-12-06, on the
// schema just loaded (autovacuum off and contact_record_day_sums left
// unvacuumed by the loader — 1.6 M dead row versions beside 41 840 live;
// it vacuums the table now —, shared_buffers 128 MB), 2 cores under load
// 4–7, 5 runs each, the parent commit and this one back to back twice,
// p50 (p95) before → after: sales by month 587 (610) and 619 (729) → 441
// (531) and 480 (561) ms; same runs, hand-written over the summary 1 724
// and 818 → 1 606 and 1 611 ms (engine 0.34× and 0.76× → 0.27× and
// 0.30×), over the records 4 407 and 3 848 → 3 720 and 4 080 ms. The
// monthly sum (one part: its common table is inlined, the plan is the
// same) 1 306 and 666 → 540 and 278 ms, the load's noise (hand-written
// over the summary 476 and 235 → 243 and 284 ms). As the load fell to
// 1.0–2.7, three more pairs: sales by month 468 (479), 407 (416) and 460
// (469) → 249 (262), 248 (262) and 231 (240) ms, 0.53× (hand-written over
// the summary 736, 597 and 732 → 735, 663 and 721 ms, over the records
// 2 300–2 470 ms both); monthly sum 258, 265 and 264 → 278, 266 and 241
// ms, unchanged within the noise. EXPLAIN (ANALYZE,
// BUFFERS) of the statements of both, alternating three times at load
// 3.3: the summary's 159–172 ms (it reads 26 000 pages, the dead day
// rows), the parent commit's three live queries 167–202 ms each, this
// commit's one live statement 190–208 ms: it finds 1 931 records among
// the 23 516 related (probing contact_records_scoped_id for each) and
// reads 16 000 pages, which the 128 MB cache does not keep between runs.
// Then, with contact_record_day_sums vacuumed (VACUUM ANALYZE of that
// table alone), quiet (load 0.8–1.0), the parent commit and this one back
// to back twice, p50 (p95): sales by month 328 (355) and 356 (377) →
// 136 (140) and 140 (146) ms — the 200 ms budget met —, 0.32–0.34× the
// hand-written SQL over the summary (399–439 ms) and 0.06× over the
// records (2 180–2 370 ms); monthly sum 110 and 98 → 115 and 106 ms (1.23×
// and 0.99× the hand-written over the summary, 93 and 107 ms; ≤ 1 s);
// customer charts 0.70–1.18 ms.
package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/benchdb"
	"github.com/kirokuhq/kiroku/internal/gendata"
	"github.com/kirokuhq/kiroku/report"
)

func BenchmarkReports(b *testing.B) {
	ctx := context.Background()
	db, dir, authored, busiest, drop := benchReportData(b)
	defer drop()
	cat, err := catalog.NewService(db, nil)
	if err != nil {
		b.Fatal(err)
	}

	engine, err := permission.NewEngine(db)
	if err != nil {
		b.Fatal(err)
	}
	templates, err := template.NewStoreRegistry(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	directory, err := permission.NewDirectory(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: directory, Templates: templates, Authorizer: engine})
	if err != nil {
		b.Fatal(err)
	}
	reports, err := report.NewService(db, &report.Config{Records: records, Authorizer: engine, Catalog: cat})
	if err != nil {
		b.Fatal(err)
	}
	// The staff member with the median number of authored records.
	var staffIdx []int
	for s := range benchdb.Gen().AllStaff(0) {
		if s.Role == gendata.RoleStaff {
			staffIdx = append(staffIdx, s.Index)
		}
	}
	slices.SortFunc(staffIdx, func(a, c int) int { return authored[a] - authored[c] })
	sctx, sp := benchdb.Principal(b, db, dir.Tenant, dir.Staff[staffIdx[len(staffIdx)/2]])
	tokyo := sp.Location
	base := benchdb.Gen().Config().Base
	to := time.Date(base.Year(), base.Month(), 1, 0, 0, 0, 0, tokyo)
	from := to.AddDate(-1, 0, 0)
	q := report.Query{Template: template.KeyDaily, Aggregations: []string{"work_minutes"}, GroupBy: report.ByMonth, From: from, To: to}

	// Hand-written: the engine's visibility predicate (the rule set is not
	// what is measured), the grouping and the JSON extraction by hand.
	pred, err := engine.Predicate(ctx, sp, &permission.RecordTable{
		Alias: "r", ID: "id", Tenant: "tenant_id", Author: "author_id", Customer: "customer_id",
		ScopeKind: "scope_kind", Confidential: "confidential", Shared: "shared",
		PeopleTable: "contact_record_people", ScopeTable: "contact_record_scope",
	})
	if err != nil {
		b.Fatal(err)
	}
	hand := func(db bun.IDB) (map[string]int64, error) {
		var rows []struct {
			M string `bun:"m"`
			S int64  `bun:"s"`
		}
		err := db.NewSelect().TableExpr("contact_records AS r").
			ColumnExpr("to_char(date_trunc('month', r.occurred_at AT TIME ZONE 'Asia/Tokyo'), 'YYYY-MM-DD') AS m").
			ColumnExpr("SUM((r.fields->>'work_minutes')::bigint) AS s").
			Where(pred.SQL, pred.Args...).
			Where("r.deleted_at IS NULL AND r.template_key = ? AND r.occurred_at >= ? AND r.occurred_at < ?", template.KeyDaily, from, to).
			GroupExpr("1").Scan(ctx, &rows)
		out := map[string]int64{}
		for _, r := range rows {
			out[r.M] = r.S
		}
		return out, err
	}
	// Hand-written with the summary, as a hand-written implementation that
	// keeps contact_record_sums would read it: this staff member sees every
	// record of scope company (the tenant shows every customer to staff),
	// so those come from the summary without a visibility check; the
	// records of other scopes are read with the predicate, among those
	// related to this staff member (not a manager): authored by them,
	// naming them, scoped to them, their groups or the org units above
	// theirs — found through those indexes.
	related := "r.id IN (SELECT x.id FROM contact_records x WHERE x.tenant_id = ? AND x.author_id = ? AND x.deleted_at IS NULL" +
		" UNION ALL SELECT pp.record_id FROM contact_record_people pp WHERE pp.tenant_id = ? AND pp.user_id = ?" +
		" UNION ALL SELECT ps.record_id FROM contact_record_scope ps WHERE ps.tenant_id = ? AND ps.target_id IN (?)" +
		" UNION ALL SELECT ps.record_id FROM contact_record_scope ps JOIN org_unit_paths po ON po.tenant_id = ps.tenant_id AND po.ancestor_id = ps.target_id" +
		" WHERE ps.tenant_id = ? AND po.descendant_id IN (?))"
	relatedArgs := []any{sp.Tenant, sp.User, sp.Tenant, sp.User, sp.Tenant, bun.List(append([]uuid.UUID{sp.User}, sp.Groups...)), sp.Tenant, bun.List(sp.OrgUnits)}
	if sp.Has(permission.RoleManager) || len(sp.OrgUnits) == 0 {
		b.Fatal("the hand-written relations are those of a staff member in an org unit")
	}
	month := func(col string) string {
		return "to_char(date_trunc('month', " + col + " AT TIME ZONE 'Asia/Tokyo'), 'YYYY-MM-DD')"
	}
	// summed is the summary of tmpl over the year as s (its time as s.hour):
	// the day rows of the UTC days that hold no start of a Tokyo month (at
	// 15:00 UTC) and the hour rows of the days that do.
	var cut []time.Time
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		cut = append(cut, m.UTC().Truncate(24*time.Hour))
	}
	summed := func(db bun.IDB, tmpl string) *bun.SelectQuery {
		cols := "s.kind, s.field, s.item, s.rate, s.n, s.a, s.b, s.c"
		hours := db.NewSelect().TableExpr("contact_record_sums AS s").ColumnExpr(cols+", s.hour").
			Where("s.tenant_id = ? AND s.template_key = ?", dir.Tenant, tmpl).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				for _, d := range cut {
					lo, hi := d, d.Add(24*time.Hour)
					if lo.Before(from) {
						lo = from
					}
					if hi.After(to) {
						hi = to
					}
					q.WhereOr("s.hour >= ? AND s.hour < ?", lo, hi)
				}
				return q
			})
		days := db.NewSelect().TableExpr("contact_record_day_sums AS s").ColumnExpr(cols+", s.day").
			Where("s.tenant_id = ? AND s.template_key = ? AND s.day > ? AND s.day < ? AND s.day NOT IN (?)",
				dir.Tenant, tmpl, cut[0], cut[len(cut)-1], bun.List(cut))
		return db.NewSelect().TableExpr("(?) AS s", hours.UnionAll(days))
	}
	handSummary := func(db bun.IDB) (map[string]int64, error) {
		var rows []struct {
			M string `bun:"m"`
			S int64  `bun:"s"`
		}
		live := db.NewSelect().TableExpr("contact_records AS r").
			ColumnExpr(month("r.occurred_at")+" AS m").
			ColumnExpr("SUM((r.fields->>'work_minutes')::bigint) AS s").
			Where(pred.SQL, pred.Args...).
			Where("r.deleted_at IS NULL AND r.scope_kind <> 'company' AND r.template_key = ? AND r.occurred_at >= ? AND r.occurred_at < ?", template.KeyDaily, from, to).
			Where(related, relatedArgs...).
			GroupExpr("1")
		err := summed(db, template.KeyDaily).
			ColumnExpr(month("s.hour")+" AS m").ColumnExpr("SUM(s.a) AS s").
			Where("s.kind = 'f' AND s.field = 'work_minutes'").
			GroupExpr("1").UnionAll(live).Scan(ctx, &rows)
		out := map[string]int64{}
		for _, r := range rows {
			out[r.M] += r.S
		}
		return out, err
	}
	// Same answers.
	want, err := hand(db)
	if err != nil {
		b.Fatal(err)
	}
	if got, err := handSummary(db); err != nil || !maps.Equal(got, want) {
		b.Fatalf("hand-written over the summary: %v, %v; over the records: %v", got, err, want)
	}
	res, err := reports.Aggregate(sctx, q)
	if err != nil {
		b.Fatal(err)
	}
	if !res.Summarized {
		b.Fatal("the engine did not read the summary")
	}
	for _, g := range res.Groups {
		if g.Values[0].Int != want[g.Key] {
			b.Fatalf("month %s: engine %d, hand-written %d", g.Key, g.Values[0].Int, want[g.Key])
		}
	}

	if os.Getenv(benchdb.EnvExplain) != "" {
		// The same calls through a second bun.DB with a query hook on the
		// same pool, so the timed runs go without it.
		capture := &benchdb.Capture{}
		hooked := bun.NewDB(db.DB, pgdialect.New()).WithQueryHook(capture)
		hookedReports, err := report.NewService(hooked, &report.Config{Records: records.WithDB(hooked), Authorizer: engine})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := hookedReports.Aggregate(sctx, q); err != nil {
			b.Fatal(err)
		}
		if _, err := hand(hooked); err != nil {
			b.Fatal(err)
		}
		if _, err := handSummary(hooked); err != nil {
			b.Fatal(err)
		}
		for i, sqlText := range capture.Queries() {
			benchdb.Explain(b, db.DB, fmt.Sprintf("monthly_sum query %d (the last two are hand-written)", i+1), sqlText)
		}
		charts := &benchdb.Capture{}
		chartsDB := bun.NewDB(db.DB, pgdialect.New()).WithQueryHook(charts)
		hookedCharts, err := report.NewService(chartsDB, &report.Config{Records: records.WithDB(chartsDB), Authorizer: engine})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := hookedCharts.CustomerCharts(sctx, busiest, template.KeyDaily, 0); err != nil {
			b.Fatal(err)
		}
		for i, sqlText := range charts.Queries() {
			benchdb.Explain(b, db.DB, fmt.Sprintf("customer_charts query %d", i+1), sqlText)
		}
	}

	var stats = map[string]benchdb.Stat{}
	b.Run("monthly_sum/engine", func(b *testing.B) {
		stats["engine"] = benchdb.Latency(b, func() error { _, err := reports.Aggregate(sctx, q); return err })
	})
	b.Run("monthly_sum/hand", func(b *testing.B) {
		stats["hand"] = benchdb.Latency(b, func() error { _, err := hand(db); return err })
	})
	b.Run("monthly_sum/hand_summary", func(b *testing.B) {
		stats["hand_summary"] = benchdb.Latency(b, func() error { _, err := handSummary(db); return err })
	})
	b.Run("customer_charts", func(b *testing.B) {
		stats["charts"] = benchdb.Latency(b, func() error {
			_, err := reports.CustomerCharts(sctx, busiest, template.KeyDaily, 0)
			return err
		})
	})
	if e, h, hs := stats["engine"], stats["hand"], stats["hand_summary"]; h.P50 > 0 && hs.P50 > 0 {
		b.Logf("monthly sum over a year (staff): engine p50 %.2f ms (p95 %.2f), hand-written over the summary p50 %.2f ms (ratio %.2f), over the records p50 %.2f ms (ratio %.2f); customer charts p50 %.2f ms (p95 %.2f)",
			benchdb.MS(e.P50), benchdb.MS(e.P95), benchdb.MS(hs.P50), float64(e.P50)/float64(hs.P50), benchdb.MS(h.P50), float64(e.P50)/float64(h.P50),
			benchdb.MS(stats["charts"].P50), benchdb.MS(stats["charts"].P95))
	}

	// Sales by month over a year (売上データ分析) for the same staff member:
	// the engine (the summary's query, then one statement for the live
	// records' periods, rates and items) beside the same three aggregations
	// written by hand as three queries, with the same answers.
	sq := report.SalesQuery{From: from, To: to, Unit: report.ByMonth}
	// handSales reads the records; with summary, those of scope company
	// from the summary instead (as handSummary does).
	handSales := func(db bun.IDB, summary bool) (map[string][4]int64, error) {
		var periods []struct {
			M                  string `bun:"m"`
			N, Net, Tax, Gross int64
		}
		where := func(q *bun.SelectQuery) *bun.SelectQuery {
			q.Where(pred.SQL, pred.Args...).
				Where("r.deleted_at IS NULL AND r.template_key = ? AND r.occurred_at >= ? AND r.occurred_at < ?", template.KeyUsage, from, to)
			if summary {
				q.Where("r.scope_kind <> 'company'").Where(related, relatedArgs...)
			}
			return q
		}
		sums := func(kind string) *bun.SelectQuery {
			return summed(db, template.KeyUsage).Where("s.kind = ? AND s.field IN ('', 'items')", kind)
		}
		rmonth := month("r.occurred_at")
		periodQ := where(db.NewSelect().TableExpr("contact_records AS r").
			ColumnExpr(rmonth + " AS m").ColumnExpr("COUNT(*) AS n").
			ColumnExpr("SUM((r.fields->'items'->>'subtotal')::bigint) AS net").
			ColumnExpr("SUM((r.fields->'items'->>'tax')::bigint) AS tax").
			ColumnExpr("SUM((r.fields->'items'->>'total')::bigint) AS gross")).
			GroupExpr("1")
		if summary {
			periodQ.UnionAll(sums("").ColumnExpr(month("s.hour") + ", SUM(s.n), 0, 0, 0").GroupExpr("1")).
				UnionAll(sums("l").ColumnExpr(month("s.hour") + ", 0, SUM(s.a), SUM(s.b), SUM(s.c)").GroupExpr("1"))
		}
		if err := periodQ.Scan(ctx, &periods); err != nil {
			return nil, err
		}
		var rates []struct {
			M         string `bun:"m"`
			Rate, Tax int64
			Base      int64
		}
		rateQ := where(db.NewSelect().TableExpr("contact_records AS r").
			Join("CROSS JOIN LATERAL jsonb_array_elements(r.fields->'items'->'taxes') AS tx").
			ColumnExpr(rmonth + " AS m").ColumnExpr("(tx->>'rate')::int AS rate").
			ColumnExpr("SUM((tx->>'base')::bigint) AS base").ColumnExpr("SUM((tx->>'tax')::bigint) AS tax")).
			GroupExpr("1, 2")
		if summary {
			rateQ.UnionAll(sums("r").ColumnExpr(month("s.hour") + ", s.rate, SUM(s.a), SUM(s.b)").GroupExpr("1, 2"))
		}
		if err := rateQ.Scan(ctx, &rates); err != nil {
			return nil, err
		}
		var items []struct {
			K    string `bun:"k"`
			Rate int64
			Q    float64
			Net  int64
			N    int64
		}
		itemQ := where(db.NewSelect().TableExpr("contact_records AS r").
			Join("CROSS JOIN LATERAL jsonb_array_elements(r.fields->'items'->'items') AS li").
			ColumnExpr("li->>'item' AS k").ColumnExpr("(li->>'tax_rate')::int AS rate").
			ColumnExpr("SUM((li->>'quantity')::float8) AS q").ColumnExpr("SUM((li->>'subtotal')::bigint) AS net").
			ColumnExpr("COUNT(*) AS n")).
			GroupExpr("1, 2")
		if summary {
			itemQ.UnionAll(sums("i").ColumnExpr("s.item, s.rate, SUM(s.c) / 1000.0, SUM(s.a), SUM(s.n)").GroupExpr("1, 2"))
		}
		err := itemQ.Scan(ctx, &items)
		out := map[string][4]int64{}
		for _, p := range periods {
			t := out[p.M]
			out[p.M] = [4]int64{t[0] + p.N, t[1] + p.Net, t[2] + p.Tax, t[3] + p.Gross}
		}
		for _, it := range items {
			t := out["items"]
			t[0] += it.N
			t[1] += it.Net
			out["items"] = t
		}
		rateKeys := map[string]bool{}
		for _, r := range rates {
			rateKeys[fmt.Sprint(r.M, r.Rate)] = true
		}
		out["rates"] = [4]int64{int64(len(rateKeys))}
		return out, err
	}
	wantSales, err := handSales(db, false)
	if err != nil {
		b.Fatal(err)
	}
	if got, err := handSales(db, true); err != nil || !maps.Equal(got, wantSales) {
		b.Fatalf("sales hand-written over the summary: %v, %v; over the records: %v", got, err, wantSales)
	}
	gotSales, err := reports.Sales(sctx, sq)
	if err != nil {
		b.Fatal(err)
	}
	var itemLines, itemNet int64
	for _, it := range gotSales.Items {
		itemLines += it.Count
		itemNet += it.Net
	}
	if w := wantSales["items"]; itemLines != w[0] || itemNet != w[1] || itemLines == 0 {
		b.Fatalf("sales items: engine %d lines %d yen, hand-written %d lines %d yen", itemLines, itemNet, w[0], w[1])
	}
	for _, p := range gotSales.Periods {
		if w := wantSales[p.Key]; [4]int64{p.Count, p.Net, p.Tax, p.Gross} != w {
			b.Fatalf("sales month %s: engine %d %d %d %d, hand-written %v", p.Key, p.Count, p.Net, p.Tax, p.Gross, w)
		}
	}
	if os.Getenv(benchdb.EnvExplain) != "" {
		capture := &benchdb.Capture{}
		hooked := bun.NewDB(db.DB, pgdialect.New()).WithQueryHook(capture)
		hookedReports, err := report.NewService(hooked, &report.Config{Records: records.WithDB(hooked), Authorizer: engine, Catalog: cat})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := hookedReports.Sales(sctx, sq); err != nil {
			b.Fatal(err)
		}
		if _, err := handSales(hooked, false); err != nil {
			b.Fatal(err)
		}
		if _, err := handSales(hooked, true); err != nil {
			b.Fatal(err)
		}
		for i, sqlText := range capture.Queries() {
			benchdb.Explain(b, db.DB, fmt.Sprintf("sales query %d (the last two are hand-written: over the records, over the summary)", i+1), sqlText)
		}
	}
	b.Run("sales_by_month/engine", func(b *testing.B) {
		stats["sales"] = benchdb.Latency(b, func() error { _, err := reports.Sales(sctx, sq); return err })
	})
	b.Run("sales_by_month/hand", func(b *testing.B) {
		stats["sales_hand"] = benchdb.Latency(b, func() error { _, err := handSales(db, false); return err })
	})
	b.Run("sales_by_month/hand_summary", func(b *testing.B) {
		stats["sales_hand_summary"] = benchdb.Latency(b, func() error { _, err := handSales(db, true); return err })
	})
	if e, h, hs := stats["sales"], stats["sales_hand"], stats["sales_hand_summary"]; h.P50 > 0 && hs.P50 > 0 {
		b.Logf("sales by month over a year (staff): engine p50 %.2f ms (p95 %.2f), hand-written over the summary p50 %.2f ms (ratio %.2f), over the records p50 %.2f ms (ratio %.2f)",
			benchdb.MS(e.P50), benchdb.MS(e.P95), benchdb.MS(hs.P50), float64(e.P50)/float64(hs.P50), benchdb.MS(h.P50), float64(e.P50)/float64(h.P50))
	}
}

// benchReportData loads the data set into a fresh schema (or, with
// benchdb.EnvSchema, opens one kept by benchdb.EnvKeep and migrates it) and
// returns it with its directory, the records authored per staff index and
// the customer with the most daily reports.
func benchReportData(b *testing.B) (*bun.DB, *benchdb.Directory, map[int]int, uuid.UUID, func()) {
	b.Helper()
	ctx := context.Background()
	if db, closeDB := benchdb.Reuse(b); db != nil {
		for _, m := range []func(context.Context, *bun.DB) error{contactlog.Migrate, catalog.Migrate} {
			if err := m(ctx, db); err != nil {
				b.Fatal(err)
			}
		}
		dir := benchdb.FindDirectory(b, db, 0)
		var rows []struct {
			Author uuid.UUID `bun:"author_id"`
			N      int       `bun:"n"`
		}
		if err := db.NewSelect().TableExpr("contact_records").ColumnExpr("author_id, COUNT(*) AS n").
			Where("tenant_id = ?", dir.Tenant).Group("author_id").Scan(ctx, &rows); err != nil {
			b.Fatal(err)
		}
		authored := map[int]int{}
		for _, r := range rows {
			if i := slices.Index(dir.Staff, r.Author); i >= 0 {
				authored[i] = r.N
			}
		}
		var busiest uuid.UUID
		if err := db.NewSelect().TableExpr("contact_records").Column("customer_id").
			Where("tenant_id = ? AND template_key = ? AND customer_id IS NOT NULL", dir.Tenant, template.KeyDaily).
			Group("customer_id").OrderExpr("count(*) DESC").Limit(1).Scan(ctx, &busiest); err != nil {
			b.Fatal(err)
		}
		return db, dir, authored, busiest, closeDB
	}
	db, schema, drop := benchdb.Schema(b)
	if err := contactlog.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	nCust := benchdb.EnvInt("KIROKU_BENCH_CUSTOMERS", 20_000)
	nRec := benchdb.EnvInt("KIROKU_BENCH_RECORDS", 300_000)
	start := time.Now()
	dir := benchdb.LoadDirectory(b, db, 0, permission.VisibilityAll)
	csvc, err := customer.NewService(db, &customer.Config{Authorizer: permission.Unrestricted()})
	if err != nil {
		b.Fatal(err)
	}
	admin, _ := benchdb.Principal(b, db, dir.Tenant, dir.Staff[0])
	if _, err := csvc.Import(admin, bytes.NewReader(benchdb.WriteCustomerCSV(b, 0, 0, nCust)), customer.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	custIDs := benchCustomers(b, db, dir.Tenant, nCust)
	if err := catalog.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.NewService(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	menu := benchCatalog(b, admin, cat)
	loaded, authored, busiest := benchCopy(b, db, dir, custIDs, nRec, menu)
	// The record tables are vacuumed as autovacuum does after a bulk
	// insert: it sets the visibility map, without which no index-only scan
	// is one, and clears the summary's dead row versions (the triggers
	// update a day row once per record of its day: unvacuumed, a year's
	// ≈ 10 000 day rows of the sales template lay in ≈ 24 000 heap pages).
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE contact_records, contact_record_people, contact_record_scope, contact_record_sums, contact_record_day_sums"); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("schema %s: %d customers, %d records loaded in %v", schema, nCust, loaded, time.Since(start).Round(time.Second))
	return db, dir, authored, busiest, drop
}

// benchMenu is the bench catalog: ten items, ramen at 10% and take-out
// side dishes at 8%.
type benchMenu []template.Line

// benchCatalog registers the bench catalog and returns one line per item
// (quantity 1) as a purchase writes it.
func benchCatalog(b *testing.B, admin context.Context, cat *catalog.Service) benchMenu {
	b.Helper()
	var menu benchMenu
	for _, c := range []struct {
		name  string
		rate  int
		items []string
	}{
		{"ラーメン", 10, []string{"醤油ラーメン", "味噌ラーメン", "塩ラーメン", "つけ麺"}},
		{"ドリンク", 10, []string{"ウーロン茶", "生ビール"}},
		{"持ち帰り", 8, []string{"餃子", "チャーシュー", "味玉", "ライス"}},
	} {
		saved, err := cat.SaveCategory(admin, catalog.Category{Name: c.name, TaxRate: c.rate})
		if err != nil {
			b.Fatal(err)
		}
		for i, name := range c.items {
			it, err := cat.SaveItem(admin, catalog.Item{Category: saved.ID, Name: name, UnitPrice: int64(150 + 100*i)})
			if err != nil {
				b.Fatal(err)
			}
			l, err := cat.Line(admin, it.ID, 1)
			if err != nil {
				b.Fatal(err)
			}
			menu = append(menu, l)
		}
	}
	return menu
}

// purchase is the lines value of generated record index i: one to three
// lines of the menu, quantities one to three.
func (m benchMenu) purchase(i int) template.Lines {
	lines := make([]template.Line, 1+i%3)
	for j := range lines {
		lines[j] = m[(i/3+j*7)%len(m)]
		lines[j].Quantity = float64(1 + (i+j)%3)
	}
	return template.ComputeLines(lines, template.RoundFloor)
}

// benchCustomers returns the IDs of tenant 0's first n customers by gendata
// index (matched by e-mail).
func benchCustomers(b *testing.B, db *bun.DB, tenant uuid.UUID, n int) []uuid.UUID {
	b.Helper()
	var rows []struct {
		ID    uuid.UUID `bun:"id"`
		Email string    `bun:"email"`
	}
	if err := db.NewSelect().TableExpr("customers").Column("id", "email").Where("tenant_id = ?", tenant).
		Scan(context.Background(), &rows); err != nil {
		b.Fatal(err)
	}
	byEmail := map[string]uuid.UUID{}
	for _, r := range rows {
		byEmail[strings.ToLower(r.Email)] = r.ID
	}
	out := make([]uuid.UUID, 0, n)
	for c := range benchdb.Gen().CustomerRange(0, 0, n) {
		id, ok := byEmail[strings.ToLower(c.Email)]
		if !ok {
			b.Fatalf("customer %d not imported", c.Index)
		}
		out = append(out, id)
	}
	return out
}

// benchCopy writes the records about the loaded customers (and the drafts)
// among tenant 0's first n, with their responders and scope targets. It
// returns how many, the records authored per staff index and the customer
// with the most daily reports.
func benchCopy(b *testing.B, db *bun.DB, dir *benchdb.Directory, customers []uuid.UUID, n int, menu benchMenu) (int, map[int]int, uuid.UUID) {
	b.Helper()
	ctx := context.Background()
	authored := map[int]int{}
	daily := map[int]int{}
	var recs, people, scope [][]any
	for g := range benchdb.Gen().RecordRange(0, 0, n) {
		if !g.Draft && g.CustomerIndex >= len(customers) {
			continue
		}
		id := uuid.Must(uuid.NewV7())
		author := dir.Staff[g.AuthorIndex]
		authored[g.AuthorIndex]++
		var cust any
		if !g.Draft {
			cust = customers[g.CustomerIndex]
		}
		values := map[string]any{}
		tkey := "builtin:" + string(g.Template)
		switch g.Template {
		case gendata.TemplateInquiry:
			tkey = template.KeyUsage
			values = map[string]any{"items": menu.purchase(g.Index)}
		case gendata.TemplateDaily:
			values = map[string]any{"work_minutes": g.WorkMinutes, "work_done": g.PublicMemo}
			if !g.Draft {
				daily[g.CustomerIndex]++
			}
		case gendata.TemplateSales:
			if g.Amount > 0 {
				values = map[string]any{"expected_amount": g.Amount}
			}
		}
		fields, err := json.Marshal(values)
		if err != nil {
			b.Fatal(err)
		}
		occurred := g.ActualAt
		if occurred.IsZero() {
			occurred = g.PlannedAt
		}
		if occurred.IsZero() {
			occurred = g.CreatedAt
		}
		null := func(t time.Time) any {
			if t.IsZero() {
				return nil
			}
			return t.UTC()
		}
		sc := dir.Scope(g.Visibility)
		recs = append(recs, []any{id, dir.Tenant, tkey, 1, g.Template == gendata.TemplateSales, cust,
			null(g.PlannedAt), null(g.ActualAt), occurred.UTC(), string(fields), string(sc.Kind), g.Important, g.SharedWithCustomer,
			author, g.CreatedAt.UTC(), g.CreatedAt.UTC(), author, 1})
		people = append(people, []any{id, author, "responder", dir.Tenant, 0, occurred.UTC()})
		for _, t := range sc.Targets {
			scope = append(scope, []any{id, t, dir.Tenant})
		}
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		for _, c := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"contact_records", []string{"id", "tenant_id", "template_key", "template_version", "confidential", "customer_id",
				"planned_at", "actual_at", "occurred_at", "fields", "scope_kind", "important", "shared",
				"author_id", "created_at", "updated_at", "updated_by", "version"}, recs},
			{"contact_record_people", []string{"record_id", "user_id", "role", "tenant_id", "position", "occurred_at"}, people},
			{"contact_record_scope", []string{"record_id", "target_id", "tenant_id"}, scope},
		} {
			if _, err := pc.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return fmt.Errorf("copy %s: %w", c.table, err)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	most, busiest := -1, 0
	for c, k := range daily {
		if k > most {
			most, busiest = k, c
		}
	}
	return len(recs), authored, customers[busiest]
}

package contactlog_test

import (
	"context"
	_ "embed"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// tenantWalk matches a plan step that reads a whole tenant's rows of an
// index: only the tenant's key is constrained, with at most a range on the
// next column (actual_at>? is every record with an actual time).
var tenantWalk = regexp.MustCompile(`^SEARCH \S+ USING (?:COVERING )?INDEX (\S+) \(tenant_id=\?(?: AND \w+[<>]=?\?)*\)$`)

// period matches a plan step that reads a range bounded on both sides of
// the column after the tenant.
var period = regexp.MustCompile(`\(tenant_id=\? AND \w+>=?\? AND \w+<=?\?\)$`)

// SQLite plans hold without statistics and with them. The engines never
// run ANALYZE, and SQLite's planner, without sqlite_stat1, chooses by the
// shape of the query and the indexes alone — the same choice on an empty
// file as on one with 100 000 records. So the plans of the hot paths, taken
// here on a small file, are the plans at any size. Every query must find its
// rows through an index on more than the tenant (a customer's records, a
// record's attachments, a gram's docs by FTS5 rowid), except the walks that
// read the tenant in the order of the page (newest records, customers by
// reading), which stop after a page, and the reads of a period (from and
// to) of the tenant's records by time. Keyword search reads how many of the
// tenant's rows have the term's grams first (storage.GramIndex.Match): a
// few, as here, are listed by ID; the plan of the other shape (more than
// storage.MatchList) is checked in internal/storage.
//
// A file may have statistics all the same (an operator ran ANALYZE or
// PRAGMA optimize in the sqlite3 shell): the same queries are then planned
// again with the statistics of the bench's small-business file
// (testdata/sqlite_stat1.tsv: 10 000 customers, 20 000 records, ANALYZEd),
// and must still read no big table whole and walk no tenant but in page order.
func TestSQLitePlansHoldWithoutStatistics(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	f := setup(t, db)
	ctx := context.Background()
	e := entry(f.yamada.ID)
	e.PublicMemo = "見積書をお渡ししました。"
	_, err := f.svc.Create(f.staff, e)
	require.NoError(t, err)
	rec := dbtest.Record(db)

	walks := map[string]bool{"contact_records_created": true, "customers_kana": true}
	type planCase struct {
		name string
		op   func() error
		// uses are plan steps the operation must contain without statistics.
		uses []string
		// periods are indexes the operation may read a bounded range of
		// (from and to) beyond the tenant's key.
		periods []string
		queries []string
	}
	cases := []planCase{
		{name: "top page", op: func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{WithDetails: true})
			return err
		}, uses: []string{"SEARCH r USING INDEX contact_records_created (tenant_id=?)",
			"SEARCH a USING INDEX contact_attachments_record (tenant_id=? AND record_id=?)"}},
		{name: "keyword", op: func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{Text: "見積", WithDetails: true})
			return err
		}, uses: []string{"SCAN f VIRTUAL TABLE INDEX 0:M1", "SEARCH g USING INDEX contact_records_gram_doc (gram_doc=?)",
			"SEARCH r USING INDEX sqlite_autoindex_contact_records_1 (tenant_id=? AND id=?)",
			"SEARCH g USING COVERING INDEX customers_gram_doc (gram_doc=?)"}},
		{name: "keyword, three characters", op: func() error {
			_, err := f.svc.Search(f.manager, contactlog.Query{Text: "見積書 山田"})
			return err
		}, uses: []string{"SEARCH g USING INDEX contact_records_gram_doc (gram_doc=?)"}},
		{name: "mine and responder", op: func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{Mine: true, Responder: f.staffID})
			return err
		}},
		{name: "timeline", op: func() error {
			_, err := f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID})
			return err
		}, uses: []string{"SEARCH r USING INDEX contact_records_customer (tenant_id=? AND customer_id=?)"}},
		{name: "customer statuses", op: func() error {
			_, err := f.svc.CustomerStatuses(f.staff, []uuid.UUID{f.yamada.ID})
			return err
		}, uses: []string{"SEARCH r USING INDEX contact_records_customer (tenant_id=? AND customer_id=?)",
			"SEARCH r USING INDEX contact_records_customer_planned (tenant_id=? AND customer_id=? AND planned_at>?)"}},
		{name: "actual range by contact time", op: func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{Sort: contactlog.SortActual,
				ActualFrom: time.Now().AddDate(0, -1, 0), ActualTo: time.Now()})
			return err
		}, uses: []string{"SEARCH r USING INDEX contact_records_occurred (tenant_id=? AND occurred_at>? AND occurred_at<?)"},
			periods: []string{"contact_records_occurred"}},
		{name: "actual range", op: func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{ActualFrom: time.Now().AddDate(0, -1, 0), ActualTo: time.Now()})
			return err
		}, periods: []string{"contact_records_occurred"}},
		{name: "customer search", op: func() error {
			_, err := f.customer.Search(f.staff, customer.Query{Text: "やまだ"})
			return err
		}, uses: []string{"SEARCH g USING COVERING INDEX customers_gram_doc (gram_doc=?)"}},
	}
	for i := range cases {
		rec.Take()
		require.NoError(t, cases[i].op(), cases[i].name)
		cases[i].queries = rec.Take()
	}
	check := func(state string, on *bun.DB, walks map[string]bool, uses bool) {
		for _, c := range cases {
			var steps []string
			for _, q := range c.queries {
				for _, s := range dbtest.Plan(t, on, q) {
					steps = append(steps, s)
					if m := tenantWalk.FindStringSubmatch(s); m != nil && !(slices.Contains(c.periods, m[1]) && period.MatchString(s)) {
						require.True(t, walks[m[1]], "%s, %s: %s walks the tenant:\n%s", c.name, state, s, q)
					}
					require.False(t, strings.HasPrefix(s, "SCAN ") && !strings.Contains(s, "VIRTUAL TABLE") &&
						s != "SCAN CONSTANT ROW", "%s, %s: %s scans a table:\n%s", c.name, state, s, q)
				}
			}
			if uses {
				for _, u := range c.uses {
					require.Contains(t, steps, u, c.name)
				}
			}
		}
	}
	var stats int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'").Scan(&stats))
	require.Zero(t, stats, "the engines wrote statistics")
	check("without statistics", db, walks, true)

	// The statistics of the big file, on a new connection pool (SQLite
	// reads sqlite_stat1 when a connection loads the schema).
	_, err = db.ExecContext(ctx, "ANALYZE")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "DELETE FROM sqlite_stat1")
	require.NoError(t, err)
	for line := range strings.Lines(statistics) {
		cols := strings.Split(strings.TrimRight(line, "\n"), "\t")
		require.Len(t, cols, 3, "testdata/sqlite_stat1.tsv: %q", line)
		_, err = db.ExecContext(ctx, "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, NULLIF(?, ''), ?)", cols[0], cols[1], cols[2])
		require.NoError(t, err)
	}
	withStats := dbtest.Reopen(t, db)
	var loaded int
	require.NoError(t, withStats.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contact_records' AND stat LIKE '20000 %'").Scan(&loaded))
	require.NotZero(t, loaded, "statistics of the big file")
	// With them, one more walk: a customer's next planned contact
	// (CustomerStatuses) is read from the tenant's future plans by time
	// (contact_records_planned, stopping at the customer's first) rather
	// than from the customer's own (contact_records_customer_planned) —
	// one reason the engines run no ANALYZE.
	statsWalks := maps.Clone(walks)
	statsWalks["contact_records_planned"] = true
	check("with statistics", withStats, statsWalks, false)
}

// statistics is sqlite_stat1 (table, index, stat; tab-separated) of the
// bench's small-business file after ANALYZE: go run ./examples/server/bench
// -table -dataset smallbusiness -data DIR -records 20000, then ANALYZE on
// DIR/kiroku.db.
//
//go:embed testdata/sqlite_stat1.tsv
var statistics string

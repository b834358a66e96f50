package contactlog_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

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

// SQLite plans hold without statistics: the engines never run ANALYZE, and
// SQLite's planner, without sqlite_stat1, chooses by the shape of the query
// and the indexes alone — the same choice on an empty file as on one with
// 100 000 records. So the plans of the hot paths, taken here on a small
// file, are the plans at any size. Every query must find its rows through
// an index on more than the tenant (a customer's records, a record's
// attachments, a gram's docs by FTS5 rowid), except the walks that read
// the tenant in the order of the page (newest records, customers by
// reading), which stop after a page. Keyword search reads how many of the
// tenant's rows have the term's grams first (storage.GramIndex.Match): a
// few, as here, are listed by ID; the plan of the other shape (more than
// storage.MatchList) is checked in internal/storage.
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
	for _, c := range []struct {
		name string
		op   func() error
		// uses are plan steps the operation must contain.
		uses []string
	}{
		{"top page", func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{WithDetails: true})
			return err
		}, []string{"SEARCH r USING INDEX contact_records_created (tenant_id=?)",
			"SEARCH a USING INDEX contact_attachments_record (tenant_id=? AND record_id=?)"}},
		{"keyword", func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{Text: "見積", WithDetails: true})
			return err
		}, []string{"SCAN f VIRTUAL TABLE INDEX 0:M1", "SEARCH g USING INTEGER PRIMARY KEY (rowid=?)",
			"SEARCH r USING INDEX sqlite_autoindex_contact_records_1 (tenant_id=? AND id=?)",
			"SEARCH customer_grams USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"keyword, three characters", func() error {
			_, err := f.svc.Search(f.manager, contactlog.Query{Text: "見積書 山田"})
			return err
		}, []string{"SEARCH g USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"mine and responder", func() error {
			_, err := f.svc.Search(f.staff, contactlog.Query{Mine: true, Responder: f.staffID})
			return err
		}, nil},
		{"timeline", func() error {
			_, err := f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID})
			return err
		}, []string{"SEARCH r USING INDEX contact_records_customer (tenant_id=? AND customer_id=?)"}},
		{"customer statuses", func() error {
			_, err := f.svc.CustomerStatuses(f.staff, []uuid.UUID{f.yamada.ID})
			return err
		}, []string{"SEARCH r USING INDEX contact_records_customer_actual (tenant_id=? AND customer_id=? AND actual_at>?)",
			"SEARCH r USING INDEX contact_records_customer_planned (tenant_id=? AND customer_id=? AND planned_at>?)"}},
		{"customer search", func() error {
			_, err := f.customer.Search(f.staff, customer.Query{Text: "やまだ"})
			return err
		}, []string{"SEARCH customer_grams USING INTEGER PRIMARY KEY (rowid=?)"}},
	} {
		rec.Take()
		require.NoError(t, c.op(), c.name)
		var steps []string
		for _, q := range rec.Take() {
			for _, s := range plan(t, db, q) {
				steps = append(steps, s)
				if m := tenantWalk.FindStringSubmatch(s); m != nil {
					require.True(t, walks[m[1]], "%s: %s walks the tenant:\n%s", c.name, s, q)
				}
				require.False(t, strings.HasPrefix(s, "SCAN ") && !strings.Contains(s, "VIRTUAL TABLE") &&
					s != "SCAN CONSTANT ROW", "%s: %s scans a table:\n%s", c.name, s, q)
			}
		}
		for _, u := range c.uses {
			require.Contains(t, steps, u, c.name)
		}
	}
	var stats int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'").Scan(&stats))
	require.Zero(t, stats, "the plans above were taken without statistics")
}

// plan returns the steps of SQLite's EXPLAIN QUERY PLAN of query.
func plan(t *testing.T, db *bun.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		out = append(out, detail)
	}
	require.NoError(t, rows.Err())
	return out
}

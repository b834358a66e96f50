package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
)

func TestExpensesMatchOracle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		kinds := []contactlog.ExpenseKind{"", contactlog.ExpenseTravel, contactlog.ExpenseTransport, contactlog.ExpensePerDiem, contactlog.ExpenseLodging}
		authors := []string{"staff", "a", "b", "admin"}
		var recs []*contactlog.Record
		for i := range 16 {
			author := authors[i%len(authors)]
			scope := permission.Scope{Kind: permission.ScopeCompany}
			if i%3 == 0 {
				scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.ids[author]}}
			}
			var ex []contactlog.Expense
			for j := range i % 4 {
				ex = append(ex, contactlog.Expense{Kind: kinds[(i+j)%len(kinds)], Route: "本社→客先", Amount: int64(100*(i+1) + 10*j)})
			}
			// 3/31 23:00 JST and 4/1 00:30 JST sit on both sides of April 1.
			at := time.Date(2026, 3, 31, 23, 0, 0, 0, tokyo).Add(time.Duration(i%2) * 90 * time.Minute)
			r, err := f.svc.Create(f.users[author], contactlog.Entry{Template: template.KeyInterview, Customer: f.custs[i%2],
				ActualAt: at, Expenses: ex, Scope: scope})
			require.NoError(t, err)
			recs = append(recs, r)
		}
		from := time.Date(2026, 4, 1, 0, 0, 0, 0, tokyo)
		to := time.Date(2026, 5, 1, 0, 0, 0, 0, tokyo)
		for _, who := range []string{"staff", "b", "manager", "admin"} {
			ctx := f.users[who]
			want := map[uuid.UUID]map[contactlog.ExpenseKind]int64{}
			lines := map[uuid.UUID]int64{}
			for _, r := range visible(t, f, ctx, recs) {
				if r.Time().Before(from) || !r.Time().Before(to) {
					continue
				}
				for _, x := range r.Expenses {
					k := x.Kind
					if k == "" {
						k = contactlog.ExpenseTransport
					}
					if want[r.Author] == nil {
						want[r.Author] = map[contactlog.ExpenseKind]int64{}
					}
					want[r.Author][k] += x.Amount
					lines[r.Author]++
				}
			}
			res, err := f.rep.Expenses(ctx, report.ExpenseQuery{From: from, To: to})
			require.NoError(t, err, who)
			require.Len(t, res.Staff, len(want), who)
			var total int64
			for _, row := range res.Staff {
				got := map[contactlog.ExpenseKind]int64{}
				var sum int64
				for _, k := range row.Kinds {
					if k.Amount != 0 {
						got[k.Kind] = k.Amount
					}
					sum += k.Amount
				}
				require.Equal(t, want[row.Staff], got, "%s %s", who, row.Staff)
				require.Equal(t, lines[row.Staff], row.Lines)
				require.Equal(t, sum, row.Total)
				total += sum
			}
			require.Equal(t, total, res.Total.Total)
		}

		// One employee; CSV in Shift_JIS, audited; bad period.
		res, err := f.rep.Expenses(f.users["admin"], report.ExpenseQuery{From: from, To: to, Staff: f.ids["a"]})
		require.NoError(t, err)
		require.Len(t, res.Staff, 1)
		var buf bytes.Buffer
		n, err := f.rep.ExportExpensesCSV(f.users["admin"], &buf, report.ExpenseQuery{From: from, To: to}, customer.UTF8BOM,
			func(id uuid.UUID) string { return "社員" + id.String()[:4] })
		require.NoError(t, err)
		require.Positive(t, n)
		require.True(t, strings.HasPrefix(buf.String(), "\uFEFF社員,件数,旅費(円),交通費(円),日当(円),宿泊費(円),合計(円)\r\n"))
		require.Contains(t, buf.String(), "\r\n合計,")
		var audits int
		require.NoError(t, db.NewSelect().Table("audit_log").ColumnExpr("COUNT(*)").Where("object_type = ?", "expenses").Scan(f.users["admin"], &audits))
		require.Equal(t, 1, audits)
		_, err = f.rep.Expenses(f.users["admin"], report.ExpenseQuery{From: to, To: from})
		requireField(t, err, "to", "out_of_range")
	})
}

package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/csvio"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// ExpenseQuery selects an expense calculation (交通費計算).
type ExpenseQuery struct {
	// From and To bound the records' time, from inclusive, to exclusive.
	// Required.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Staff, if set, keeps one employee's expenses.
	Staff uuid.UUID `json:"staff,omitzero"`
}

// ExpenseRow is one employee's expenses (or the total), in yen.
type ExpenseRow struct {
	// Staff is the employee: the author of the records the expenses were
	// entered on (uuid.Nil for the total).
	Staff uuid.UUID `json:"staff,omitzero"`
	// Lines is the number of expense lines.
	Lines int64 `json:"lines"`
	// Kinds holds the amount of every kind, in contactlog.ExpenseKinds
	// order (an expense without a kind is 交通費).
	Kinds []KindAmount `json:"kinds"`
	Total int64        `json:"total"`
}

// KindAmount is the amount of one expense kind.
type KindAmount struct {
	Kind   contactlog.ExpenseKind `json:"kind"`
	Amount int64                  `json:"amount"`
}

// Expenses is the outcome of Service.Expenses.
type Expenses struct {
	// Staff by total, largest first.
	Staff []ExpenseRow `json:"staff"`
	Total ExpenseRow   `json:"total"`
}

func newExpenseRow(staff uuid.UUID) ExpenseRow {
	r := ExpenseRow{Staff: staff}
	for _, k := range contactlog.ExpenseKinds() {
		r.Kinds = append(r.Kinds, KindAmount{Kind: k})
	}
	return r
}

func (r *ExpenseRow) add(kind contactlog.ExpenseKind, lines, amount int64) {
	for i := range r.Kinds {
		if r.Kinds[i].Kind == kind {
			r.Kinds[i].Amount += amount
		}
	}
	r.Lines += lines
	r.Total += amount
}

// Expenses totals the expense lines (contactlog.Expense) of the records
// the principal may see, of every template, per employee and kind over a
// period (交通費計算). Staff only. Bad input is a *validation.Error naming
// the field ("from", "to").
func (s *Service) Expenses(ctx context.Context, q ExpenseQuery) (*Expenses, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		return nil, fmt.Errorf("report: expenses: %w", ErrPermissionDenied)
	}
	var ve validation.Error
	if q.From.IsZero() {
		ve.Add("from", validation.CodeRequired, "")
	}
	if q.To.IsZero() {
		ve.Add("to", validation.CodeRequired, "")
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		ve.Add("to", validation.CodeOutOfRange, "after from")
	}
	if err := ve.Err(); err != nil {
		return nil, fmt.Errorf("report: expenses: %w", err)
	}
	sel, err := s.records.Matching(ctx, contactlog.Query{})
	if err != nil {
		return nil, fmt.Errorf("report: expenses: %w", err)
	}
	sel.Where("r.occurred_at >= ? AND r.occurred_at < ?", q.From, q.To)
	if q.Staff != uuid.Nil {
		sel.Where("r.author_id = ?", q.Staff)
	}
	join, jargs, elem := storage.JSONArrayJoin(s.dialect, "r.expenses", "x")
	kind, kargs := storage.JSONValue(s.dialect, elem, storage.JSONText, "kind")
	amount, aargs := storage.JSONValue(s.dialect, elem, storage.JSONInteger, "amount")
	kindExpr := "COALESCE(NULLIF(" + kind + ", ''), ?)"
	kindArgs := append(append([]any{}, kargs...), string(contactlog.ExpenseTransport))
	var rows []struct {
		Staff  uuid.UUID `bun:"staff"`
		Kind   string    `bun:"kind"`
		Lines  int64     `bun:"lines"`
		Amount int64     `bun:"amount"`
	}
	err = sel.Join(join, jargs...).
		ColumnExpr("r.author_id AS staff").
		ColumnExpr(kindExpr+" AS kind", kindArgs...).
		ColumnExpr("COUNT(*) AS lines").
		ColumnExpr("COALESCE(SUM("+amount+"), 0) AS amount", aargs...).
		GroupExpr("r.author_id").GroupExpr(kindExpr, kindArgs...).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("report: expenses: %w", storage.Err(err))
	}
	out := &Expenses{Staff: []ExpenseRow{}, Total: newExpenseRow(uuid.Nil)}
	index := map[uuid.UUID]int{}
	for _, r := range rows {
		i, ok := index[r.Staff]
		if !ok {
			i = len(out.Staff)
			index[r.Staff] = i
			out.Staff = append(out.Staff, newExpenseRow(r.Staff))
		}
		out.Staff[i].add(contactlog.ExpenseKind(r.Kind), r.Lines, r.Amount)
		out.Total.add(contactlog.ExpenseKind(r.Kind), r.Lines, r.Amount)
	}
	sort.SliceStable(out.Staff, func(i, j int) bool {
		if out.Staff[i].Total != out.Staff[j].Total {
			return out.Staff[i].Total > out.Staff[j].Total
		}
		return out.Staff[i].Staff.String() < out.Staff[j].Staff.String()
	})
	return out, nil
}

// expenseKindLabels name the expense kinds in the CSV header.
var expenseKindLabels = map[contactlog.ExpenseKind]string{
	contactlog.ExpenseTravel: "旅費", contactlog.ExpenseTransport: "交通費",
	contactlog.ExpensePerDiem: "日当", contactlog.ExpenseLodging: "宿泊費",
}

// ExportExpensesCSV computes q and writes it as CSV in enc
// (customer.UTF8BOM or customer.ShiftJIS): 社員, 件数, one column per kind,
// 合計, one row per employee and a last row 合計. name gives an employee's
// name (nil: the ID). Exporting needs the export right on record lists,
// and every export is audited with the query and the number of rows.
func (s *Service) ExportExpensesCSV(ctx context.Context, w io.Writer, q ExpenseQuery, enc customer.Encoding, name func(uuid.UUID) string) (int, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.cfg.Authorizer.Check(ctx, pr, permission.ActionExport, &permission.RecordObject{Tenant: pr.Tenant}); err != nil {
		return 0, fmt.Errorf("report: export expenses: %w", err)
	}
	e, ok := csvio.ByName(string(enc))
	if !ok {
		var v validation.Error
		v.Add("encoding", validation.CodeUnknown, string(enc))
		return 0, fmt.Errorf("report: export expenses: %w", v.Err())
	}
	res, err := s.Expenses(ctx, q)
	if err != nil {
		return 0, err
	}
	if name == nil {
		name = uuid.UUID.String
	}
	cw := csvio.NewWriter(w, e, &csvio.WriterOptions{FormulaGuard: true})
	header := []string{"社員", "件数"}
	for _, k := range contactlog.ExpenseKinds() {
		header = append(header, expenseKindLabels[k]+"(円)")
	}
	header = append(header, "合計(円)")
	if _, err := cw.Write(header); err != nil {
		return 0, fmt.Errorf("report: export expenses: %w", err)
	}
	write := func(label string, r ExpenseRow) error {
		row := []string{label, strconv.FormatInt(r.Lines, 10)}
		for _, k := range r.Kinds {
			row = append(row, strconv.FormatInt(k.Amount, 10))
		}
		_, err := cw.Write(append(row, strconv.FormatInt(r.Total, 10)))
		return err
	}
	for _, r := range res.Staff {
		if err := write(name(r.Staff), r); err != nil {
			return 0, fmt.Errorf("report: export expenses: %w", err)
		}
	}
	if err := write("合計", res.Total); err != nil {
		return 0, fmt.Errorf("report: export expenses: %w", err)
	}
	if err := cw.Flush(); err != nil {
		return 0, fmt.Errorf("report: export expenses: %w", err)
	}
	logged, err := json.Marshal(q)
	if err != nil {
		return 0, fmt.Errorf("report: export expenses: %w", err)
	}
	n := len(res.Staff)
	detail := fmt.Sprintf("rows=%d expenses=%s", n, logged)
	if err := permission.Audit(ctx, s.db, pr, s.cfg.Clock().UTC(), string(permission.ActionExport), "expenses", uuid.Nil, detail); err != nil {
		return n, fmt.Errorf("report: export expenses: %w", err)
	}
	return n, nil
}

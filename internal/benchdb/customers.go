package benchdb

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/csvio"
	"github.com/kirokuhq/kiroku/internal/gendata"
)

// CustomerCSVHeader is the import file header: the engine's columns, in order.
var CustomerCSVHeader = []string{"姓", "名", "姓カナ", "名カナ", "電話番号", "携帯電話", "誕生日", "性別", "メールアドレス", "備考",
	"見込/既存", "会社/個人", "会社名", "会社名カナ", "部署", "郵便番号", "住所", "連絡方法", "決定権者", "ランク"}

// customerCSVRow is customer c as a row of the import file.
func customerCSVRow(c gendata.Customer) []string {
	var birthday, company, companyKana string
	if c.BirthYear != 0 {
		birthday = fmt.Sprintf("%04d/%02d/%02d", c.BirthYear, c.BirthMonth, c.BirthDay)
	}
	if c.Kind == gendata.KindCompany {
		company, companyKana = c.Name, c.NameKana
	}
	return []string{c.FamilyName, c.GivenName, c.FamilyKana, c.GivenKana, c.HomePhone, c.Mobile, birthday,
		c.Gender.Label(), c.Email, c.Memo, c.Status.Label(), c.Kind.Label(), company, companyKana, c.Department,
		c.PostalCode, c.Address(), c.PreferredContact.Label(), c.DecisionMaker, string(c.Rank)}
}

// WriteCustomerCSV writes customers [from, to) of gendata tenant t as a
// Shift_JIS import file with csvio.Writer.
func WriteCustomerCSV(tb testing.TB, t, from, to int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := csvio.NewWriter(&buf, csvio.ShiftJIS, &csvio.WriterOptions{FormulaGuard: true})
	if _, err := w.Write(CustomerCSVHeader); err != nil {
		tb.Fatal(err)
	}
	for c := range Gen().CustomerRange(t, from, to) {
		if _, err := w.Write(customerCSVRow(c)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// customerCSVs caches the import file of each gendata tenant.
var customerCSVs struct {
	sync.Mutex
	files map[int][]byte
}

// CustomerCSV returns every customer of gendata tenant t as a Shift_JIS import
// file, generated once per process.
func CustomerCSV(tb testing.TB, t int) []byte {
	tb.Helper()
	customerCSVs.Lock()
	defer customerCSVs.Unlock()
	if f, ok := customerCSVs.files[t]; ok {
		return f
	}
	if customerCSVs.files == nil {
		customerCSVs.files = map[int][]byte{}
	}
	f := WriteCustomerCSV(tb, t, 0, Gen().Tenant(t).Size.Customers)
	customerCSVs.files[t] = f
	return f
}

// AssignCustomers replaces the assignees of the customers of gendata
// tenant t (imported, all assigned to the importing admin) by the staff
// gendata assigns them (Customer.Assignees, staff indexes mapped to ids),
// writing what the engine writes when it creates a customer with those
// assignees: customer_assignees rows (assigned when the customer was
// created, by the importer) and one assignment log entry per assignee.
// Customers are matched by e-mail address, which gendata makes unique
// within a tenant. It returns the number of assignee rows written.
func AssignCustomers(b testing.TB, db *bun.DB, t int, tenant uuid.UUID, ids []uuid.UUID) int {
	b.Helper()
	ctx := context.Background()
	var emails, users, logIDs []string
	for c := range Gen().Customers(t) {
		for _, a := range c.Assignees {
			emails = append(emails, strings.ToLower(c.Email))
			users = append(users, ids[a].String())
			logIDs = append(logIDs, uuid.Must(uuid.NewV7()).String())
		}
	}
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, q := range []string{
		`DELETE FROM customer_assignees WHERE tenant_id = $1`,
		`DELETE FROM customer_assignment_log WHERE tenant_id = $1`,
		`CREATE TEMP TABLE bench_assign ON COMMIT DROP AS
		 SELECT c.id AS customer_id, x.user_id, c.tenant_id, c.created_at, c.created_by, x.log_id
		 FROM customers c JOIN unnest($2::text[], $3::uuid[], $4::uuid[]) AS x (email, user_id, log_id)
		   ON lower(c.email) = x.email
		 WHERE c.tenant_id = $1`,
	} {
		args := []any{tenant}
		if strings.Contains(q, "$2") {
			args = append(args, emails, users, logIDs)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("assign gendata staff: %v\n%s", err, q)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO customer_assignees (customer_id, user_id, tenant_id, assigned_at, assigned_by)
 SELECT customer_id, user_id, tenant_id, created_at, created_by FROM bench_assign`)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `INSERT INTO customer_assignment_log (id, tenant_id, customer_id, to_user, changed_at, changed_by)
 SELECT log_id, tenant_id, customer_id, user_id, created_at, created_by FROM bench_assign`); err != nil {
		b.Fatal(err)
	}
	var orphans int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers c WHERE c.tenant_id = $1
 AND NOT EXISTS (SELECT 1 FROM customer_assignees a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id)`, tenant).Scan(&orphans); err != nil {
		b.Fatal(err)
	}
	if orphans > 0 {
		b.Fatalf("tenant %d: %d customers matched no gendata customer by e-mail", t, orphans)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return int(n)
}

// CustomerIDs returns the IDs of gendata tenant t's customers from..to−1 as
// imported into tenant (WriteCustomerCSV), by gendata index; they are
// matched by e-mail address, which gendata makes unique within a tenant.
func CustomerIDs(tb testing.TB, db bun.IDB, t int, tenant uuid.UUID, from, to int) []uuid.UUID {
	tb.Helper()
	var rows []struct {
		ID    uuid.UUID `bun:"id"`
		Email string    `bun:"email"`
	}
	if err := db.NewSelect().TableExpr("customers").Column("id", "email").Where("tenant_id = ?", tenant).
		Scan(context.Background(), &rows); err != nil {
		tb.Fatal(err)
	}
	byEmail := make(map[string]uuid.UUID, len(rows))
	for _, r := range rows {
		byEmail[strings.ToLower(r.Email)] = r.ID
	}
	out := make([]uuid.UUID, 0, to-from)
	for c := range Gen().CustomerRange(t, from, to) {
		id, ok := byEmail[strings.ToLower(c.Email)]
		if !ok {
			tb.Fatalf("benchdb: tenant %d: customer %d (%s) was not imported", t, c.Index, c.Email)
		}
		out = append(out, id)
	}
	return out
}

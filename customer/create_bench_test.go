package customer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// BenchmarkCreateSQLite measures single customer creates on SQLite as
// programs open it (dbopen: WAL, synchronous=NORMAL), one call and one transaction
// each (DESIGN.md budget: ≥ 200/s), beside hand-written SQL doing the same
// writes in one transaction per customer on the same file in the same run:
// the row (with its FTS5 rowid), its FTS5 postings, the assignee and the
// assignment log entry, the audit entry. Both report "creates/s" and
// "stmts/op" (statements sent per create, BEGIN and COMMIT included).
//
//	go test ./customer -run '^$' -bench CreateSQLite -benchtime 3s
func BenchmarkCreateSQLite(b *testing.B) {
	// Opened as a program opens it: dbtest.SQLite adds a hook that checks
	// every statement's tenant joins, which would be timed with the engine
	// and not with the hand-written SQL.
	db, err := dbopen.OpenSQLite(filepath.Join(b.TempDir(), "kiroku.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := customer.Migrate(context.Background(), db); err != nil {
		b.Fatal(err)
	}
	svc := benchService(b, db)
	rec := dbtest.Record(db)
	report := func(b *testing.B, stmts int) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
	}
	b.Run("kiroku", func(b *testing.B) {
		_, staff := benchTenant(b, db, "create")
		rec.Take()
		i := 0
		for b.Loop() {
			i++
			if _, err := svc.Create(staff, customer.Profile{FamilyName: "山田", GivenName: fmt.Sprintf("太郎%d", i),
				FamilyKana: "ヤマダ", GivenKana: "タロウ", Memo: "見積書をお送りする予定。"}); err != nil {
				b.Fatal(err)
			}
		}
		report(b, len(rec.Take()))
	})
	b.Run("handsql", func(b *testing.B) {
		tenant, staff := benchTenant(b, db, "create-hand")
		p, _ := permission.FromContext(staff)
		ctx := context.Background()
		grams := "E5B1B1 E794B0 E5A4AA E9838E"
		stmts := 0
		for b.Loop() {
			id, user := uuid.Must(uuid.NewV7()), p.User
			now := time.Now().UTC().Format(time.RFC3339Nano)
			err := func() error {
				tx, err := db.DB.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer func() { _ = tx.Rollback() }()
				exec := func(q string, args ...any) error { stmts++; _, err := tx.ExecContext(ctx, q, args...); return err }
				var doc int64
				stmts++
				if err := tx.QueryRowContext(ctx, `INSERT INTO customers (id, tenant_id, kind, status, family_name, given_name, family_kana, given_kana,
					memo, custom_fields, name_key, sort_kana, search_text, created_at, created_by, updated_at, updated_by, version, gram_doc)
					VALUES (?, ?, 'individual', 'prospect', '山田', '太郎', 'ヤマダ', 'タロウ', '見積書をお送りする予定。', '{}',
					'山田太郎', 'やまだたろう', '山田 太郎 やまだ たろう 見積書をお送りする予定。', ?, ?, ?, ?, 1,
					(SELECT coalesce(max(gram_doc), 0) + 1 FROM customers)) RETURNING gram_doc`,
					id, tenant, now, user, now, user).Scan(&doc); err != nil {
					return err
				}
				if err := exec(`INSERT INTO customer_grams_fts (rowid, grams) VALUES (?, ?)`, doc, grams); err != nil {
					return err
				}
				if err := exec(`INSERT INTO customer_assignees (customer_id, user_id, tenant_id, assigned_at, assigned_by) VALUES (?, ?, ?, ?, ?)`,
					id, user, tenant, now, user); err != nil {
					return err
				}
				if err := exec(`INSERT INTO customer_assignment_log (id, tenant_id, customer_id, to_user, changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?)`,
					uuid.Must(uuid.NewV7()), tenant, id, user, now, user); err != nil {
					return err
				}
				if err := exec(`INSERT INTO audit_log (id, tenant_id, actor_id, actor_kind, action, object_type, object_id, at)
					VALUES (?, ?, ?, 'staff', 'create', 'customer', ?, ?)`, uuid.Must(uuid.NewV7()), tenant, user, id, now); err != nil {
					return err
				}
				return tx.Commit()
			}()
			if err != nil {
				b.Fatal(err)
			}
			stmts += 2 // BEGIN, COMMIT
		}
		report(b, stmts)
	})
}

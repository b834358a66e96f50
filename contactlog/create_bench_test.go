package contactlog_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// BenchmarkCreateSQLite measures single record creates on SQLite as
// programs open it (dbopen: WAL, synchronous=NORMAL), one call and one
// transaction each (budget: ≥ 200/s), beside hand-written SQL doing the
// same writes in one transaction per record on the same file in the same
// run: the customer's visibility, the record row (with its FTS5 rowid),
// its FTS5 postings, the responder, the audit entry. Both report
// "creates/s" and "stmts/op" (statements sent per create, BEGIN and COMMIT
// included).
//
//	go test ./contactlog -run '^$' -bench CreateSQLite -benchtime 3s
func BenchmarkCreateSQLite(b *testing.B) {
	db, err := dbopen.OpenSQLite(filepath.Join(b.TempDir(), "kiroku.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	if err := contactlog.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	dir, err := permission.NewDirectory(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	engine, err := permission.NewEngine(db)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := contactlog.NewService(db, withDeps(b, db, contactlog.Config{Authorizer: engine}))
	if err != nil {
		b.Fatal(err)
	}
	csvc, err := customer.NewService(db, &customer.Config{Authorizer: engine})
	if err != nil {
		b.Fatal(err)
	}
	t, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	if err != nil {
		b.Fatal(err)
	}
	u, err := dir.SaveUser(ctx, permission.User{Tenant: t.ID, Name: "担当 一郎", Roles: []permission.Role{permission.RoleStaff}, Active: true})
	if err != nil {
		b.Fatal(err)
	}
	p, err := dir.Principal(ctx, t.ID, u.ID)
	if err != nil {
		b.Fatal(err)
	}
	staff := permission.WithPrincipal(ctx, p)
	cust, err := csvc.Create(staff, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ"})
	if err != nil {
		b.Fatal(err)
	}
	rec := dbtest.Record(db)
	report := func(b *testing.B, stmts int) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
	}
	b.Run("kiroku", func(b *testing.B) {
		rec.Take()
		for b.Loop() {
			if _, err := svc.Create(staff, entry(cust.ID)); err != nil {
				b.Fatal(err)
			}
		}
		report(b, len(rec.Take()))
	})
	b.Run("handsql", func(b *testing.B) {
		grams := "E696B0E59586 E59586E59381 E59381E381AE E381AEE38194 E38194E6A188 E6A188E58685 E58685E38292 E38292E38197 " +
			"E38197E381BE E381BEE38197 E38197E3819F E3819FE38082 E6B1BAE8A381 E8A381E88085 E88085E381AF E381AFE5A5A5 E5A5A5E6A798 E6A798E38082"
		stmts := 0
		for b.Loop() {
			id := uuid.Must(uuid.NewV7())
			now := time.Now().UTC().Format(time.RFC3339Nano)
			err := func() error {
				tx, err := db.DB.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer func() { _ = tx.Rollback() }()
				exec := func(q string, args ...any) error { stmts++; _, err := tx.ExecContext(ctx, q, args...); return err }
				var visible bool
				stmts++
				if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM customers c WHERE c.id = ? AND c.tenant_id = ? AND c.deleted_at IS NULL)`,
					cust.ID, t.ID).Scan(&visible); err != nil || !visible {
					return fmt.Errorf("customer visible %v: %w", visible, err)
				}
				var doc int64
				stmts++
				if err := tx.QueryRowContext(ctx, `INSERT INTO contact_records (id, tenant_id, template_key, template_version, customer_id, actual_at, occurred_at,
					channel, progress, public_memo, private_memo, search_text, private_search_text, author_id, created_at, updated_at, updated_by, gram_doc)
					VALUES (?, ?, 'builtin:interview', 1, ?, ?, ?, 'visit', 'proposing', '新商品のご案内をしました。', '決裁者は奥様。',
					'新商品のご案内をしました。', '決裁者は奥様。', ?, ?, ?, ?, (SELECT coalesce(max(gram_doc), 0) + 1 FROM contact_records))
					RETURNING gram_doc`, id, t.ID, cust.ID, now, now, u.ID, now, now, u.ID).Scan(&doc); err != nil {
					return err
				}
				if err := exec(`INSERT INTO contact_record_grams_fts (rowid, grams) VALUES (?, ?)`, doc, grams); err != nil {
					return err
				}
				if err := exec(`INSERT INTO contact_record_people (record_id, user_id, role, tenant_id, position) VALUES (?, ?, 'responder', ?, 0)`,
					id, u.ID, t.ID); err != nil {
					return err
				}
				if err := exec(`INSERT INTO audit_log (id, tenant_id, actor_id, actor_kind, action, object_type, object_id, at)
					VALUES (?, ?, ?, 'staff', 'create', 'record', ?, ?)`, uuid.Must(uuid.NewV7()), t.ID, u.ID, id, now); err != nil {
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

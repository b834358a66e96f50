package customer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// Every call but Migrate works behind a transaction-mode pooler: through
// the simple protocol, and without a statement that leaves session state
// (dbtest.Pooler fails the test on one).
func TestBehindTransactionPooler(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // Migrate needs the session connection
		pooled := dbtest.Pooler(t, db)
		sent := dbtest.Record(pooled)
		engine, err := permission.NewEngine(pooled)
		require.NoError(t, err)
		svc, err := customer.NewService(pooled, &customer.Config{Clock: f.clock.Now, Authorizer: engine, ReadDB: pooled})
		require.NoError(t, err)

		require.NoError(t, svc.DefineField(f.admin, customer.FieldDef{Key: "care_level", Label: "要介護度", Type: customer.FieldText}))
		c, err := svc.Create(f.staff, taro())
		require.NoError(t, err)
		p := c.Profile
		p.Memo = "来月訪問。"
		c, err = svc.Update(f.staff, c.ID, c.Version, p)
		require.NoError(t, err)
		_, err = svc.Update(f.staff, c.ID, c.Version-1, p)
		require.ErrorIs(t, err, customer.ErrConflict)
		require.NoError(t, svc.SetAssignees(f.admin, c.ID, []uuid.UUID{user(f.staff), f.a}))
		l, err := svc.CreateList(f.staff, "訪問予定")
		require.NoError(t, err)
		require.NoError(t, svc.AddToList(f.staff, l.ID, c.ID))
		page, err := svc.Search(f.staff, customer.Query{Text: "やまだ", List: l.ID, WithTotal: true})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
		rep, err := svc.Import(f.staff, strings.NewReader("姓,名,姓カナ,名カナ\n佐藤,花子,さとう,はなこ\n"), customer.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Created)
		var out bytes.Buffer
		exp, err := svc.Export(f.staff, &out, customer.Query{}, customer.ExportOptions{Encoding: customer.ShiftJIS})
		require.NoError(t, err)
		require.Equal(t, 2, exp.Rows)
		n, err := svc.Reassign(f.admin, f.a, f.b)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.NoError(t, svc.Delete(f.staff, c.ID))
		require.NoError(t, svc.Restore(f.staff, c.ID))
		require.NoError(t, svc.Purge(f.admin, c.ID))

		require.NotEmpty(t, sent.Take(), "the calls went through the pooled handle")
	})
}

package contactlog_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// With Config.StatementCache, a page's details (people and scopes,
// attachments, comment counts) read what they read without it, and on
// PostgreSQL each of their statements is prepared once per connection
// whoever searches; the records' own statement is not.
func TestStatementCache(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		cached, err := contactlog.NewService(db, withDeps(t, db, contactlog.Config{Clock: f.clock.Now, Authorizer: engine,
			StatementCache: dbtest.StatementCache(t, db)}))
		require.NoError(t, err)
		for range 3 {
			r, err := f.svc.Create(f.staff, entry(f.yamada.ID))
			require.NoError(t, err)
			_, err = f.svc.Comments().Add(f.manager, r.ID, "確認しました。")
			require.NoError(t, err)
		}
		_, err = f.svc.Create(f.partner, partnerEntry(f.partnerCo.ID))
		require.NoError(t, err)

		ctx := context.Background()
		conn, err := db.Conn(ctx)
		require.NoError(t, err)
		defer func() { _ = conn.Close() }()
		onConn := cached.WithDB(conn)
		prepared := func(like string) int {
			var n int
			require.NoError(t, conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE ?", like).Scan(&n))
			return n
		}
		sizes := map[int]bool{}
		var after []int
		for range 2 {
			for _, who := range []context.Context{f.staff, f.manager, f.admin, f.partner} {
				want, err := f.svc.Search(who, contactlog.Query{WithDetails: true})
				require.NoError(t, err)
				require.NotEmpty(t, want.Records)
				got, err := onConn.Search(who, contactlog.Query{WithDetails: true})
				require.NoError(t, err)
				require.Equal(t, want.Records, got.Records)
				sizes[len(got.Records)] = true
			}
			if db.Dialect().Name() == dialect.PG {
				after = append(after, prepared("%"))
			}
		}
		if db.Dialect().Name() != dialect.PG {
			return
		}
		require.Len(t, sizes, 2, "the partner sees fewer records")
		require.Equal(t, after[0], after[1], "the second round prepares nothing")
		require.Equal(t, 2, prepared("(SELECT record_id, user_id AS id, role, position FROM contact_record_people%"),
			"people and scopes: one statement per number of records")
		require.Equal(t, 2, prepared("SELECT cm.record_id, COUNT(*)%"), "comment counts, likewise")
		require.Positive(t, prepared("SELECT \"a\".\"id\"%"), "attachments")
		require.Zero(t, prepared("SELECT \"r\".\"id\"%"), "the records' own statement")
	})
}

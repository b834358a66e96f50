package contactlog_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// Search, Timeline, History and CustomerStatuses read from ReadDB (a second
// pool, as a replica would be) and nothing from the primary; writes and
// the reads before them use the primary; a service bound to a transaction
// never reads from the replica.
func TestReadDBServesLagTolerantReads(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		replica := dbtest.Reopen(t, db)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		svc, err := contactlog.NewService(db, withDeps(t, db, contactlog.Config{Clock: f.clock.Now, Authorizer: engine, ReadDB: replica}))
		require.NoError(t, err)
		primary, reads := dbtest.Record(db), dbtest.Record(replica)

		first, err := svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		second, err := svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		_, err = svc.Update(f.staff, second.ID, second.Version, entry(f.yamada.ID))
		require.NoError(t, err)
		require.NotEmpty(t, primary.Take())
		require.Empty(t, reads.Take(), "writes and the reads before them use the primary")

		calls := []struct {
			name string
			call func() (int, error)
		}{
			{"Search", func() (int, error) {
				p, err := svc.Search(f.staff, contactlog.Query{WithDetails: true, WithTotal: true})
				return len(p.Records), err
			}},
			{"Timeline", func() (int, error) {
				tl, err := svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID})
				return len(tl.Records), err
			}},
			{"History", func() (int, error) {
				h, err := svc.History(f.staff, second.ID, 0)
				return len(h) + 1, err
			}},
			{"CustomerStatuses", func() (int, error) {
				st, err := svc.CustomerStatuses(f.staff, []uuid.UUID{f.yamada.ID})
				return len(st) + 1, err
			}},
		}
		for _, r := range calls {
			n, err := r.call()
			require.NoError(t, err, r.name)
			require.Equal(t, 2, n, r.name)
			require.Empty(t, primary.Take(), "%s reads the replica only", r.name)
			require.NotEmpty(t, reads.Take(), r.name)
		}

		_, err = svc.Get(f.staff, first.ID)
		require.NoError(t, err)
		require.NotEmpty(t, primary.Take(), "Get (which audits the view) reads the primary")
		require.Empty(t, reads.Take())

		require.NoError(t, db.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
			p, err := svc.WithDB(tx).Search(f.staff, contactlog.Query{})
			require.NoError(t, err)
			require.Len(t, p.Records, 2)
			return nil
		}))
		require.Empty(t, reads.Take(), "a service bound to a transaction reads through it")
	})
}

func TestConfigReadDBRefused(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	tx, err := db.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	_, err = contactlog.NewService(db, withDeps(t, db, contactlog.Config{Authorizer: permission.Unrestricted(), ReadDB: tx}))
	require.ErrorIs(t, err, contactlog.ErrInvalid)
	require.ErrorContains(t, err, "ReadDB")
}

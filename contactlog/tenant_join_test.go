package contactlog_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// The statements of the record and customer pages, for a staff member,
// a manager and a partner (the permission predicates' subqueries), join
// tables distributed by tenant only with the tenant equality. dbtest checks
// every statement of every test; this one proves the check is not vacuous.
func TestRecordPagesJoinByTenant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		before, _ := dbtest.TenantLinks(t, db)
		rec, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		for _, p := range []struct {
			ctx      context.Context
			customer uuid.UUID
		}{{f.staff, f.yamada.ID}, {f.manager, f.yamada.ID}, {f.partner, f.partnerCo.ID}} {
			_, err := f.svc.Search(p.ctx, contactlog.Query{Text: "商品"})
			require.NoError(t, err)
			_, err = f.svc.Timeline(p.ctx, contactlog.TimelineQuery{Customer: p.customer})
			require.NoError(t, err)
			_, err = f.customer.Search(p.ctx, customer.Query{Text: "山田"})
			require.NoError(t, err)
			_, err = f.svc.CustomerStatuses(p.ctx, []uuid.UUID{p.customer})
			require.NoError(t, err)
		}
		_, err = f.svc.Get(f.staff, rec.ID)
		require.NoError(t, err)
		links, problems := dbtest.TenantLinks(t, db)
		require.Empty(t, problems)
		require.Greater(t, links-before, 10)
	})
}

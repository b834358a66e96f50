package customer_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// TestQueryFragments runs the fragments other engines build their SQL from
// against real rows: names and readings match (address and memo do not),
// ranks, the visible-customers subquery within the tenant, the live check
// and the assignees.
func TestQueryFragments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		mk := func(p customer.Profile) uuid.UUID {
			c, err := f.svc.Create(f.staff, p)
			require.NoError(t, err)
			return c.ID
		}
		taro := mk(taro()) // address 西新宿２丁目, memo ゴルフ
		hanako := mk(customer.Profile{FamilyName: "田中", GivenName: "花子", FamilyKana: "タナカ", GivenKana: "ハナコ", Rank: "B"})
		company := mk(customer.Profile{Kind: customer.Company, CompanyName: "株式会社岡山商事", CompanyKana: "オカヤマショウジ",
			FamilyName: "中田", Rank: "B"})
		require.NoError(t, f.svc.SetAssignees(f.admin, hanako, []uuid.UUID{f.b, f.a}))

		c := customer.Ref{Alias: "c"}
		pred := func(ctx context.Context) permission.Predicate {
			p, ok := permission.FromContext(ctx)
			require.True(t, ok)
			pr, err := engine.Predicate(ctx, p, c.Resource(""))
			require.NoError(t, err)
			return pr
		}
		ids := func(q *bun.SelectQuery) []uuid.UUID {
			var out []uuid.UUID
			require.NoError(t, q.Scan(context.Background(), &out))
			slices.SortFunc(out, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
			return out
		}
		sorted := func(us ...uuid.UUID) []uuid.UUID {
			slices.SortFunc(us, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
			return us
		}
		for _, tc := range []struct {
			term string
			want []uuid.UUID
		}{
			{"たなか", []uuid.UUID{hanako}}, // reading, hiragana for katakana
			{"田中", []uuid.UUID{hanako}},  // name
			{"岡山", []uuid.UUID{company}}, // company name
			{"山", sorted(taro, company)}, // one character: no bigram
			{"丁目", nil},                  // address only
			{"ゴルフ", nil},                 // memo only
		} {
			q, err := c.WhereName(c.IDs(db, pred(f.staff)), f.tenant, textnorm.Key(tc.term))
			require.NoError(t, err)
			require.Equal(t, tc.want, ids(q), tc.term)
		}
		require.Equal(t, sorted(hanako, company), ids(c.WhereRank(c.IDs(db, pred(f.staff)), []string{"B"})))
		require.Empty(t, ids(c.IDs(db, pred(f.other))), "another tenant's admin sees none")

		live, err := c.Visible(db, pred(f.staff), taro).Exists(context.Background())
		require.NoError(t, err)
		require.True(t, live)
		require.NoError(t, f.svc.Delete(f.admin, taro))
		live, err = c.Visible(db, pred(f.staff), taro).Exists(context.Background())
		require.NoError(t, err)
		require.False(t, live, "in the trash")

		var users []uuid.UUID
		require.NoError(t, customer.AssigneeRef{Alias: "ca"}.Of(db, f.tenant, hanako).Scan(context.Background(), &users))
		require.Equal(t, sorted(f.a, f.b), users)
	})
}

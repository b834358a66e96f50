package customer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func names(cs []customer.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.DisplayName()
	}
	return out
}

func TestSearchJapanese(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		mk := func(p customer.Profile) *customer.Customer {
			c, err := f.svc.Create(f.staff, p)
			require.NoError(t, err)
			return c
		}
		p := taro()
		p.Birthday = birthday(t, "S47.3.15")
		mk(p)
		mk(customer.Profile{FamilyName: "田中", GivenName: "花子", FamilyKana: "タナカ", GivenKana: "ハナコ",
			Phone: "06-9876-5432", Email: "hanako@example.com", Address: "大阪府大阪市北区梅田1-1", Gender: customer.Female,
			Birthday: birthday(t, "H2.5.1"), Status: customer.Existing, Rank: "B", Memo: "岡山出身"})
		mk(customer.Profile{FamilyName: "髙橋", GivenName: "一郎", FamilyKana: "タカハシ", GivenKana: "イチロウ",
			Mobile: "080-1111-2222", Birthday: birthday(t, "1960-01-01"), Rank: "A"})
		mk(customer.Profile{Kind: customer.Company, CompanyName: "株式会社岡山商事", CompanyKana: "オカヤマショウジ",
			FamilyName: "中田", Department: "営業部", PostalCode: "700-0001"})

		cases := []struct {
			q    customer.Query
			want []string
		}{
			{customer.Query{Text: "田中"}, []string{"田中 花子"}},
			{customer.Query{Text: "たなか"}, []string{"田中 花子"}},               // hiragana finds katakana readings
			{customer.Query{Text: "ﾀﾅｶ"}, []string{"田中 花子"}},               // half-width kana
			{customer.Query{Text: "ヤマダタロウ"}, []string{"山田 太郎"}},            // full reading without a space
			{customer.Query{Text: "山田太郎"}, []string{"山田 太郎"}},              // full name without a space
			{customer.Query{Text: "岡山"}, []string{"株式会社岡山商事 中田", "田中 花子"}}, // company name and memo
			{customer.Query{Text: "09012345678"}, []string{"山田 太郎"}},       // digits find a hyphenated mobile
			{customer.Query{Text: "０９０－１２３４－５６７８"}, []string{"山田 太郎"}},     // and full-width input too
			{customer.Query{Text: "5432"}, []string{"田中 花子"}},
			{customer.Query{Text: "HANAKO@EXAMPLE"}, []string{"田中 花子"}},
			{customer.Query{Text: "7000001"}, []string{"株式会社岡山商事 中田"}},
			{customer.Query{Text: "梅田 大阪"}, []string{"田中 花子"}}, // every term must match
			{customer.Query{Text: "梅田 東京"}, nil},
			{customer.Query{Text: "髙"}, []string{"髙橋 一郎"}}, // one character
			{customer.Query{Text: "営業"}, []string{"株式会社岡山商事 中田"}},
			{customer.Query{Text: "100%"}, nil}, // LIKE wildcards are literal
			{customer.Query{BirthYearFrom: 1970, BirthYearTo: 1995}, []string{"田中 花子", "山田 太郎"}},
			{customer.Query{BirthYearTo: 1965}, []string{"髙橋 一郎"}},
			{customer.Query{Status: customer.Existing}, []string{"田中 花子"}},
			{customer.Query{Kind: customer.Company}, []string{"株式会社岡山商事 中田"}},
			{customer.Query{Gender: customer.Female}, []string{"田中 花子"}},
			{customer.Query{Ranks: []string{"A"}}, []string{"髙橋 一郎", "山田 太郎"}},
			// Sorted by reading: オカヤマ, タカハシ, タナカ, ヤマダ.
			{customer.Query{}, []string{"株式会社岡山商事 中田", "髙橋 一郎", "田中 花子", "山田 太郎"}},
			{customer.Query{Desc: true}, []string{"山田 太郎", "田中 花子", "髙橋 一郎", "株式会社岡山商事 中田"}},
			{customer.Query{Sort: customer.SortCreated}, []string{"山田 太郎", "田中 花子", "髙橋 一郎", "株式会社岡山商事 中田"}},
		}
		for _, tc := range cases {
			page, err := f.svc.Search(f.staff, tc.q)
			require.NoError(t, err, "%+v", tc.q)
			if tc.want == nil {
				require.Empty(t, page.Customers, "%+v", tc.q)
				continue
			}
			require.Equal(t, tc.want, names(page.Customers), "%+v", tc.q)
		}
		// Another tenant finds nothing.
		page, err := f.svc.Search(f.other, customer.Query{Text: "田中", WithTotal: true})
		require.NoError(t, err)
		require.Empty(t, page.Customers)
		require.Zero(t, page.Total)
	})
}

func TestSearchKeysetPagination(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		// Identical readings force the ID tie-breaker.
		for i := range 25 {
			_, err := f.svc.Create(f.staff, customer.Profile{FamilyName: "佐藤", GivenName: fmt.Sprint(i),
				FamilyKana: "サトウ", GivenKana: []string{"ア", "イ", "ウ"}[i%3]})
			require.NoError(t, err)
		}
		for _, q := range []customer.Query{
			{Limit: 7, WithTotal: true}, {Limit: 7, Desc: true}, {Limit: 4, Sort: customer.SortCreated},
			{Limit: 10, Sort: customer.SortUpdated, Desc: true}, {Limit: 3, Text: "さとう"},
		} {
			seen := map[uuid.UUID]bool{}
			var prev []customer.Customer
			for pages := 0; ; pages++ {
				require.Less(t, pages, 30)
				page, err := f.svc.Search(f.staff, q)
				require.NoError(t, err)
				if q.WithTotal {
					require.Equal(t, 25, page.Total)
				} else {
					require.Equal(t, -1, page.Total)
				}
				for _, c := range page.Customers {
					require.False(t, seen[c.ID], "repeated %s", c.ID)
					seen[c.ID] = true
				}
				prev = append(prev, page.Customers...)
				if page.Next == "" {
					break
				}
				q.After = page.Next
			}
			require.Len(t, seen, 25, "%+v", q)
			// The pages concatenated equal one big page.
			q.After, q.Limit = "", 100
			all, err := f.svc.Search(f.staff, q)
			require.NoError(t, err)
			require.Equal(t, names(all.Customers), names(prev))
		}
		// A cursor from another sort order is refused.
		page, err := f.svc.Search(f.staff, customer.Query{Limit: 2})
		require.NoError(t, err)
		_, err = f.svc.Search(f.staff, customer.Query{Limit: 2, Sort: customer.SortCreated, After: page.Next})
		require.ErrorIs(t, err, customer.ErrInvalid)
		_, err = f.svc.Search(f.staff, customer.Query{After: "garbage!"})
		require.ErrorIs(t, err, customer.ErrInvalid)
		_, err = f.svc.Search(f.staff, customer.Query{Limit: 100000})
		require.ErrorIs(t, err, customer.ErrInvalid)
	})
}

func TestListsAndAssignees(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		a, b := f.a, f.b
		var ids []uuid.UUID
		for i := range 5 {
			p := taro()
			p.GivenName = fmt.Sprint("太郎", i)
			p.Assignees = []uuid.UUID{a}
			if i == 4 {
				p.Assignees = []uuid.UUID{a, b}
			}
			c, err := f.svc.Create(f.staff, p)
			require.NoError(t, err)
			ids = append(ids, c.ID)
		}

		// My lists are private to their owner.
		l, err := f.svc.CreateList(f.staff, "  今月訪問  ")
		require.NoError(t, err)
		require.Equal(t, "今月訪問", l.Name)
		_, err = f.svc.CreateList(f.staff, "今月訪問")
		requireCodes(t, err, map[string]string{"name": "duplicate"})
		_, err = f.svc.CreateList(f.staff, "")
		requireCodes(t, err, map[string]string{"name": "required"})
		require.NoError(t, f.svc.AddToList(f.staff, l.ID, ids[0], ids[1], ids[1]))
		require.NoError(t, f.svc.AddToList(f.staff, l.ID, ids[1], ids[2]))
		require.ErrorIs(t, f.svc.AddToList(f.staff, l.ID, uuid.Must(uuid.NewV7())), customer.ErrNotFound)
		require.ErrorIs(t, f.svc.AddToList(f.manager, l.ID, ids[3]), customer.ErrNotFound)
		require.NoError(t, f.svc.RemoveFromList(f.staff, l.ID, ids[2]))
		lists, err := f.svc.Lists(f.staff)
		require.NoError(t, err)
		require.Len(t, lists, 1)
		require.Equal(t, 2, lists[0].Count)
		page, err := f.svc.Search(f.staff, customer.Query{List: l.ID, WithTotal: true})
		require.NoError(t, err)
		require.Equal(t, 2, page.Total)
		_, err = f.svc.Search(f.manager, customer.Query{List: l.ID})
		require.ErrorIs(t, err, customer.ErrNotFound)
		require.NoError(t, f.svc.RenameList(f.staff, l.ID, "来月"))
		others, err := f.svc.Lists(f.manager)
		require.NoError(t, err)
		require.Empty(t, others)

		// One customer's assignees: managers only, logged.
		require.ErrorIs(t, f.svc.SetAssignees(f.staff, ids[0], []uuid.UUID{b}), customer.ErrPermissionDenied)
		require.NoError(t, f.svc.SetAssignees(f.manager, ids[0], []uuid.UUID{b}))
		hist, err := f.svc.AssignmentHistory(f.staff, ids[0])
		require.NoError(t, err)
		require.Len(t, hist, 2)
		require.Equal(t, a, *hist[1].From)
		require.Equal(t, b, *hist[1].To)
		require.Equal(t, user(f.manager), hist[1].By)

		// Bulk: every customer of a goes to b.
		_, err = f.svc.Reassign(f.staff, a, b)
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		n, err := f.svc.Reassign(f.manager, a, b)
		require.NoError(t, err)
		require.Equal(t, 4, n)
		pa, err := f.svc.Search(f.staff, customer.Query{Assignee: a, WithTotal: true})
		require.NoError(t, err)
		require.Zero(t, pa.Total)
		pb, err := f.svc.Search(f.staff, customer.Query{Assignee: b, WithTotal: true})
		require.NoError(t, err)
		require.Equal(t, 5, pb.Total)
		for _, c := range pb.Customers {
			require.Equal(t, []uuid.UUID{b}, c.Assignees)
		}
		hist, err = f.svc.AssignmentHistory(f.staff, ids[4])
		require.NoError(t, err)
		last := hist[len(hist)-1]
		require.NotNil(t, last.Batch)
		// Nothing crosses tenants: a is no staff member of the other tenant.
		_, err = f.svc.Reassign(f.other, b, a)
		requireCodes(t, err, map[string]string{"to": "unknown"})
	})
}

func TestRanksAndCustomFields(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ranks, err := f.svc.Ranks(f.staff)
		require.NoError(t, err)
		require.Equal(t, customer.DefaultRanks, ranks)
		require.ErrorIs(t, f.svc.SetRanks(f.staff, ranks), customer.ErrPermissionDenied)
		require.NoError(t, f.svc.SetRanks(f.admin, []customer.Rank{{Code: "S", Label: "最重要"}, {Code: "A"}}))
		err = f.svc.SetRanks(f.admin, []customer.Rank{{Code: "S"}, {Code: "S"}})
		requireCodes(t, err, map[string]string{"ranks[1].code": "duplicate"})

		require.NoError(t, f.svc.DefineField(f.admin, customer.FieldDef{Key: "care_level", Label: "要介護度", Type: customer.FieldSelect,
			Options: []string{"要支援1", "要介護1"}, Required: true}))
		require.NoError(t, f.svc.DefineField(f.admin, customer.FieldDef{Key: "visits", Label: "訪問回数", Type: customer.FieldInteger}))
		require.NoError(t, f.svc.DefineField(f.admin, customer.FieldDef{Key: "since", Label: "契約日", Type: customer.FieldDate}))
		err = f.svc.DefineField(f.admin, customer.FieldDef{Key: "Bad Key", Label: "", Type: "blob"})
		requireCodes(t, err, map[string]string{"key": "format", "label": "required", "type": "unknown"})

		p := taro()
		p.Rank = "A"
		p.Custom = map[string]any{"visits": 2.5, "since": "2024/13/1"}
		_, err = f.svc.Create(f.staff, p)
		requireCodes(t, err, map[string]string{"custom.care_level": "required", "custom.visits": "wrong_type", "custom.since": "invalid_date"})
		p.Custom = map[string]any{"care_level": "要介護1", "visits": float64(3), "since": "R6.4.1"}
		c, err := f.svc.Create(f.staff, p)
		require.NoError(t, err)
		got, err := f.svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		require.Equal(t, "要介護1", got.Custom["care_level"])
		require.EqualValues(t, 3, got.Custom["visits"])
		require.Equal(t, "2024-04-01", got.Custom["since"])
		page, err := f.svc.Search(f.staff, customer.Query{Text: "要介護"})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1)

		// Removing a field erases its values.
		require.NoError(t, f.svc.RemoveField(f.admin, "visits"))
		require.ErrorIs(t, f.svc.RemoveField(f.admin, "visits"), customer.ErrNotFound)
		got, err = f.svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		require.NotContains(t, got.Custom, "visits")
		require.Contains(t, got.Custom, "care_level")
		fields, err := f.svc.Fields(f.other)
		require.NoError(t, err)
		require.Empty(t, fields)
	})
}

// TestSearchTotalCap counts up to Config.TotalCap: exactly below and at it,
// beyond it an estimate or a lower bound above the cap (never the exact
// number read to the end), exactly again with ExactTotal, and always over
// what the principal may see.
func TestSearchTotalCap(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		const limit = 3
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		svc, err := customer.NewService(db, &customer.Config{Clock: f.clock.Now, Authorizer: engine, TotalCap: limit})
		require.NoError(t, err)
		tn, err := f.dir.Tenant(ctx, f.tenant)
		require.NoError(t, err)
		tn.CustomerVisibility = permission.VisibilityAssigned
		_, err = f.dir.UpdateTenant(ctx, *tn)
		require.NoError(t, err)
		staff, err := f.dir.Principal(ctx, f.tenant, user(f.staff))
		require.NoError(t, err)
		assigned := permission.WithPrincipal(ctx, staff)
		// Three customers of the staff member (the cap), five of someone
		// else; two of the eight are companies.
		for i := range 8 {
			p := customer.Profile{FamilyName: "佐藤", GivenName: fmt.Sprint(i), FamilyKana: "サトウ", GivenKana: "イチ", Assignees: []uuid.UUID{f.b}}
			if i < limit {
				p.Assignees = []uuid.UUID{user(f.staff)}
			}
			if i >= 6 {
				p.Kind, p.CompanyName = customer.Company, fmt.Sprintf("佐藤商事%d", i)
			}
			_, err := f.svc.Create(f.admin, p)
			require.NoError(t, err)
		}
		// oracle is the number of matches ctx sees, read page by page.
		oracle := func(ctx context.Context, q customer.Query) int {
			q.Limit = 100
			page, err := svc.Search(ctx, q)
			require.NoError(t, err)
			require.Empty(t, page.Next)
			return len(page.Customers)
		}
		for _, c := range []struct {
			name string
			ctx  context.Context
			q    customer.Query
			over bool
		}{
			{"below the cap", f.admin, customer.Query{Kind: customer.Company}, false},
			{"at the cap", assigned, customer.Query{Text: "さとう"}, false},
			{"over the cap", f.admin, customer.Query{Text: "さとう"}, true},
			{"over the cap, every filter the same", f.admin, customer.Query{}, true},
		} {
			q := c.q
			q.Limit, q.WithTotal = 1, true
			page, err := svc.Search(c.ctx, q)
			require.NoError(t, err, c.name)
			n := oracle(c.ctx, c.q)
			if !c.over {
				require.Equal(t, customer.TotalExact, page.TotalKind, c.name)
				require.Equal(t, n, page.Total, c.name)
			} else {
				require.Greater(t, n, limit, c.name)
				require.Contains(t, []customer.TotalKind{customer.TotalEstimate, customer.TotalAtLeast}, page.TotalKind, c.name)
				require.Greater(t, page.Total, limit, c.name)
				if page.TotalKind == customer.TotalAtLeast {
					require.Equal(t, limit+1, page.Total, c.name)
				}
			}
			// ExactTotal counts every match, with or without WithTotal.
			q.WithTotal, q.ExactTotal = false, true
			page, err = svc.Search(c.ctx, q)
			require.NoError(t, err, c.name)
			require.Equal(t, customer.TotalExact, page.TotalKind, c.name)
			require.Equal(t, n, page.Total, c.name)
		}
		// Without a total asked, none is counted.
		page, err := svc.Search(f.admin, customer.Query{})
		require.NoError(t, err)
		require.Equal(t, -1, page.Total)
		require.Empty(t, page.TotalKind)
		// The default cap (1 000) counts all eight exactly.
		page, err = f.svc.Search(f.admin, customer.Query{WithTotal: true})
		require.NoError(t, err)
		require.Equal(t, customer.TotalExact, page.TotalKind)
		require.Equal(t, 8, page.Total)
		_, err = customer.NewService(db, &customer.Config{Authorizer: engine, TotalCap: -1})
		require.ErrorIs(t, err, customer.ErrInvalid)
		require.ErrorContains(t, err, "TotalCap")
	})
}

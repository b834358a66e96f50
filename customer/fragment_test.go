package customer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

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

// whereName returns the IDs of the customers the staff principal's
// Ref.WhereName finds for term (a key).
func whereName(t *testing.T, db *bun.DB, f *fixture, term string) []uuid.UUID {
	t.Helper()
	c := customer.Ref{Alias: "c"}
	q, err := c.WhereName(db.NewSelect().TableExpr(c.From()).Column(c.ID()).Where(c.Tenant()+" = ?", f.tenant),
		f.tenant, textnorm.Key(term))
	require.NoError(t, err)
	var ids []uuid.UUID
	require.NoError(t, q.Scan(context.Background(), &ids))
	return ids
}

// storedNameGrams returns, on PostgreSQL, the name grams stored in the
// customer's grams (those with the '~' prefix), sorted; nil on SQLite,
// which stores none.
func storedNameGrams(t *testing.T, db *bun.DB, id uuid.UUID) []string {
	t.Helper()
	if db.Dialect().Name() != dialect.PG {
		return nil
	}
	var grams []string
	require.NoError(t, db.NewRaw("SELECT g FROM customers AS c, unnest(c.grams) AS g WHERE c.id = ? AND g LIKE '~%' ORDER BY g", id).
		Scan(context.Background(), &grams))
	return grams
}

// wantNameGrams is what storedNameGrams returns for a customer with the
// given name key, reading and company name.
func wantNameGrams(db *bun.DB, nameKey, sortKana, company string) []string {
	if db.Dialect().Name() != dialect.PG {
		return nil
	}
	s := nameKey + " " + sortKana + " " + company
	var out []string
	for _, g := range append(textnorm.Bigrams(s), textnorm.ASCIITrigrams(s)...) {
		out = append(out, "~"+g)
	}
	slices.Sort(out)
	return out
}

// TestNameGrams writes customers by every path that stores grams (Import,
// its duplicates updated, Create, Update) and checks that Ref.WhereName
// finds them by name, reading and company name, ASCII words and digits of
// a company name included, not by words of their address or phone alone,
// and that a renamed customer's old name grams are gone; on PostgreSQL it
// reads the stored name grams themselves.
func TestNameGrams(t *testing.T) {
	t.Parallel()
	eachImport(t, func(t *testing.T, db *bun.DB, f *fixture) {
		file := "姓,名,姓カナ,名カナ,メールアドレス,電話番号,会社/個人,会社名,会社名カナ,住所\n" +
			"高橋,一郎,タカハシ,イチロウ,ichiro@example.jp,03-5555-7777,会社,ms-06工業 0120,エムエスコウギョウ,東京都港区芝1丁目4567\n"
		rep, err := f.svc.Import(f.staff, strings.NewReader(file), customer.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Created, rep.Errors)
		page, err := f.svc.Search(f.staff, customer.Query{Text: "高橋"})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1)
		ichiro := page.Customers[0]
		require.Equal(t, wantNameGrams(db, "高橋一郎", "えむえすこうぎょう たかはし いちろう", "ms-06工業 0120"), storedNameGrams(t, db, ichiro.ID))

		for _, term := range []string{"高橋", "一郎", "たかはし", "こうぎょう", "ms-06", "06工業", "0120", "s-0"} {
			require.Equal(t, []uuid.UUID{ichiro.ID}, whereName(t, db, f, term), term)
		}
		for _, term := range []string{"港区", "丁目", "4567", "5555", "example"} {
			require.Empty(t, whereName(t, db, f, term), "%s: not a name", term)
		}
		// The search of the whole text still finds the address, and no
		// term of it meets a name gram.
		require.Len(t, must(f.svc.Search(f.staff, customer.Query{Text: "港区"})).Customers, 1)
		require.Empty(t, must(f.svc.Search(f.staff, customer.Query{Text: "~高橋"})).Customers)

		// The import updates the duplicate's company name: the old one's
		// grams go.
		file = "姓,名,姓カナ,名カナ,メールアドレス,会社/個人,会社名,会社名カナ\n" +
			"高橋,一郎,タカハシ,イチロウ,ichiro@example.jp,会社,zz9製作所,ゼットセイサクショ\n"
		rep, err = f.svc.Import(f.staff, strings.NewReader(file), customer.ImportOptions{OnDuplicate: customer.UpdateDuplicates})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Updated, rep.Errors)
		require.Equal(t, []uuid.UUID{ichiro.ID}, whereName(t, db, f, "zz9"))
		require.Equal(t, []uuid.UUID{ichiro.ID}, whereName(t, db, f, "製作"))
		require.Empty(t, whereName(t, db, f, "ms-06"))
		require.Empty(t, whereName(t, db, f, "工業"))
		require.Equal(t, wantNameGrams(db, "高橋一郎", "ぜっとせいさくしょ たかはし いちろう", "zz9製作所"), storedNameGrams(t, db, ichiro.ID))

		// Create, then Update renames.
		hanako, err := f.svc.Create(f.staff, customer.Profile{FamilyName: "田中", GivenName: "花子", FamilyKana: "タナカ", GivenKana: "ハナコ",
			Address: "大阪府大阪市北区梅田"})
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{hanako.ID}, whereName(t, db, f, "田中"))
		require.Empty(t, whereName(t, db, f, "梅田"))
		p := hanako.Profile
		p.FamilyName, p.FamilyKana = "佐藤", "サトウ"
		_, err = f.svc.Update(f.staff, hanako.ID, hanako.Version, p)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{hanako.ID}, whereName(t, db, f, "佐藤"))
		require.Equal(t, []uuid.UUID{hanako.ID}, whereName(t, db, f, "さとう"))
		require.Empty(t, whereName(t, db, f, "田中"))
		require.Empty(t, whereName(t, db, f, "たなか"))
		require.Equal(t, wantNameGrams(db, "佐藤花子", "さとう はなこ", ""), storedNameGrams(t, db, hanako.ID))
	})
}

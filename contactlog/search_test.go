package contactlog_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// search returns the IDs of one page of q.
func search(t *testing.T, ctx context.Context, svc *contactlog.Service, q contactlog.Query) []uuid.UUID {
	t.Helper()
	page, err := svc.Search(ctx, q)
	require.NoError(t, err)
	return recordIDs(page.Records)
}

// searchAll follows q's pages to the end and returns every ID in order,
// failing on a repeated record.
func searchAll(t *testing.T, ctx context.Context, svc *contactlog.Service, q contactlog.Query) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	for range 1000 {
		page, err := svc.Search(ctx, q)
		require.NoError(t, err)
		for _, r := range page.Records {
			require.NotContains(t, out, r.ID, "a record repeats across pages")
			out = append(out, r.ID)
		}
		if page.Next == "" {
			return out
		}
		require.Len(t, page.Records, q.Limit, "only the last page is short")
		q.After = page.Next
	}
	t.Fatal("pagination does not end")
	return nil
}

// recordIDs returns the IDs of rs, nil when there are none.
func recordIDs(rs []contactlog.Record) []uuid.UUID {
	var out []uuid.UUID
	for i := range rs {
		out = append(out, rs[i].ID)
	}
	return out
}

func customerCtx(f *fixture, cust uuid.UUID) context.Context {
	return permission.WithPrincipal(context.Background(), permission.Principal{
		Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: cust,
	})
}

func TestSearchFilters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		now := f.clock.Now()
		day := 24 * time.Hour
		ranked, err := f.customer.Create(f.staff, customer.Profile{FamilyName: "鈴木", FamilyKana: "スズキ", Rank: "A"})
		require.NoError(t, err)

		e := entry(f.yamada.ID)
		e.ActualAt = now.Add(-10 * day)
		e.Important = true
		e.Responders = []uuid.UUID{f.aID}
		visit, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)

		e = contactlog.Entry{Template: template.KeyDaily, Customer: f.yamada.ID, PlannedAt: now.Add(5 * day), Progress: "won",
			Values: map[string]any{"work_minutes": 60, "work_done": "見積作成"}}
		planned, err := f.svc.Create(f.a, e)
		require.NoError(t, err)

		e = entry(ranked.ID)
		e.ActualAt = now.Add(-40 * day)
		e.Participants = []uuid.UUID{f.staffID}
		e.Responders = []uuid.UUID{f.bID}
		withRank, err := f.svc.Create(f.admin, e)
		require.NoError(t, err)

		draft, err := f.svc.Create(f.staff, contactlog.Entry{Template: template.KeyInterview, PublicMemo: "下書き"})
		require.NoError(t, err)

		gone, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.staff, gone.ID, gone.Version))

		// A record by b that staff neither wrote nor responds to.
		other, err := f.svc.Create(f.b, entry(f.yamada.ID))
		require.NoError(t, err)

		all := []uuid.UUID{other.ID, draft.ID, withRank.ID, planned.ID, visit.ID} // newest entry first
		require.Equal(t, all, search(t, f.staff, f.svc, contactlog.Query{}))

		for _, tc := range []struct {
			name string
			q    contactlog.Query
			want []uuid.UUID
		}{
			{"actual range", contactlog.Query{ActualFrom: now.Add(-11 * day), ActualTo: now.Add(-9 * day)}, []uuid.UUID{visit.ID}},
			{"actual to is exclusive", contactlog.Query{ActualTo: visit.ActualAt}, []uuid.UUID{withRank.ID}},
			{"actual from is inclusive", contactlog.Query{ActualFrom: visit.ActualAt, ActualTo: visit.ActualAt.Add(time.Microsecond)}, []uuid.UUID{visit.ID}},
			{"planned range", contactlog.Query{PlannedFrom: now}, []uuid.UUID{planned.ID}},
			{"created range", contactlog.Query{CreatedFrom: withRank.CreatedAt, CreatedTo: other.CreatedAt}, []uuid.UUID{draft.ID, withRank.ID}},
			{"mine: author, responder or participant", contactlog.Query{Mine: true}, []uuid.UUID{draft.ID, withRank.ID, visit.ID}},
			{"customer", contactlog.Query{Customer: f.yamada.ID}, []uuid.UUID{other.ID, planned.ID, visit.ID}},
			{"templates", contactlog.Query{Templates: []string{template.KeyDaily, "tenant:none"}}, []uuid.UUID{planned.ID}},
			{"responder", contactlog.Query{Responder: f.aID}, []uuid.UUID{planned.ID, visit.ID}},
			{"responder is not participant", contactlog.Query{Responder: f.staffID}, []uuid.UUID{draft.ID}},
			{"progress", contactlog.Query{Progress: []string{"won", "lost"}}, []uuid.UUID{planned.ID}},
			{"drafts", contactlog.Query{DraftsOnly: true}, []uuid.UUID{draft.ID}},
			{"important", contactlog.Query{ImportantOnly: true}, []uuid.UUID{visit.ID}},
			{"customer ranks", contactlog.Query{CustomerRanks: []string{"A"}}, []uuid.UUID{withRank.ID}},
			{"combined", contactlog.Query{Customer: f.yamada.ID, Mine: true, ImportantOnly: true}, []uuid.UUID{visit.ID}},
			{"trash", contactlog.Query{Deleted: true}, []uuid.UUID{gone.ID}},
		} {
			require.Equal(t, tc.want, search(t, f.staff, f.svc, tc.q), tc.name)
		}
		// The planned record's time (occurred_at) is its planned time, in
		// this range, but it has no actual time.
		require.Empty(t, search(t, f.staff, f.svc, contactlog.Query{ActualFrom: now.Add(4 * day), ActualTo: now.Add(6 * day)}),
			"actual range over a planned time")
		// Mine is the principal's own: a wrote the planned record and
		// responds to the visit.
		require.Equal(t, []uuid.UUID{planned.ID, visit.ID}, search(t, f.a, f.svc, contactlog.Query{Mine: true}))

		page, err := f.svc.Search(f.staff, contactlog.Query{Customer: f.yamada.ID, Limit: 2, WithTotal: true})
		require.NoError(t, err)
		require.Equal(t, 3, page.Total)
		require.Len(t, page.Records, 2)
		require.NotEmpty(t, page.Next)
		page, err = f.svc.Search(f.staff, contactlog.Query{Customer: f.yamada.ID})
		require.NoError(t, err)
		require.Equal(t, -1, page.Total, "no count unless asked")
		require.Empty(t, page.Next)
		// Records come complete: people and scope loaded.
		require.Equal(t, []uuid.UUID{f.aID}, page.Records[2].Responders)
		require.Equal(t, permission.ScopeCompany, page.Records[2].Scope.Kind)
	})
}

func TestSearchValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		now := f.clock.Now()
		_, err := f.svc.Search(f.staff, contactlog.Query{
			Sort: "kana", Limit: 201, After: "!!", ActualFrom: now, ActualTo: now.Add(-time.Hour),
			PlannedFrom: now, PlannedTo: now.Add(-time.Hour), CreatedFrom: now, CreatedTo: now.Add(-time.Second),
			Templates: make([]string, contactlog.MaxSearchValues+1),
		})
		require.ErrorIs(t, err, contactlog.ErrInvalid)
		for _, want := range [][2]string{
			{"sort", validation.CodeUnknown}, {"limit", validation.CodeOutOfRange}, {"after", validation.CodeFormat},
			{"actual_to", validation.CodeOutOfRange}, {"planned_to", validation.CodeOutOfRange}, {"created_to", validation.CodeOutOfRange},
			{"templates", validation.CodeTooMany},
		} {
			requireField(t, err, want[0], want[1])
		}
		// Eleven distinct terms are too many; "あい" repeated counts once.
		_, err = f.svc.Search(f.staff, contactlog.Query{Text: "あ い う え お か き く け こ さ"})
		requireField(t, err, "text", validation.CodeTooMany)
		_, err = f.svc.Search(f.staff, contactlog.Query{Text: "あい あい あい"})
		require.NoError(t, err)
		_, err = f.svc.Search(f.staff, contactlog.Query{Limit: -1})
		requireField(t, err, "limit", validation.CodeOutOfRange)
		// An empty range is no error, and finds nothing.
		require.Empty(t, search(t, f.staff, f.svc, contactlog.Query{CreatedFrom: now, CreatedTo: now}))

		// A cursor is bound to its sort and direction.
		for range 3 {
			_, err := f.svc.Create(f.staff, entry(f.yamada.ID))
			require.NoError(t, err)
		}
		page, err := f.svc.Search(f.staff, contactlog.Query{Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, page.Next)
		_, err = f.svc.Search(f.staff, contactlog.Query{Limit: 1, After: page.Next, Asc: true})
		requireField(t, err, "after", validation.CodeFormat)
		_, err = f.svc.Search(f.staff, contactlog.Query{Limit: 1, After: page.Next, Sort: contactlog.SortActual})
		requireField(t, err, "after", validation.CodeFormat)

		// Customers: no keywords (private memos are indexed), no trash.
		cust := customerCtx(f, f.yamada.ID)
		_, err = f.svc.Search(cust, contactlog.Query{Text: "商品", Deleted: true})
		requireField(t, err, "text", validation.CodeNotAllowed)
		requireField(t, err, "deleted", validation.CodeNotAllowed)
		_, err = f.svc.Search(context.Background(), contactlog.Query{})
		require.ErrorIs(t, err, contactlog.ErrUnauthenticated)
	})
}

func TestSearchKeyword(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		e := entry(f.yamada.ID) // 新商品のご案内をしました。/ 決裁者は奥様。
		e.Values = map[string]any{"place": "お客様宅"}
		e.Participants = []uuid.UUID{f.bID}
		guide, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		e = entry(f.yamada.ID)
		e.PublicMemo, e.PrivateMemo = "カタログをお送りした。ABC-123 型", ""
		e.ContactPersons = []string{"佐々木 一郎"}
		e.Department = "総務部"
		e.Participants = []uuid.UUID{f.bID}
		catalog, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		e = entry(f.partnerCo.ID)
		e.PublicMemo, e.PrivateMemo = "定期点検", ""
		shop, err := f.svc.Create(f.admin, e)
		require.NoError(t, err)
		draft, err := f.svc.Create(f.staff, contactlog.Entry{Template: template.KeyInterview, PublicMemo: "かたろぐの写真"})
		require.NoError(t, err)

		for _, tc := range []struct {
			text string
			want []uuid.UUID
		}{
			{"商品", []uuid.UUID{guide.ID}},                // two characters: the bigram alone
			{"新商品", []uuid.UUID{guide.ID}},               // three: bigrams and LIKE
			{"品の", []uuid.UUID{guide.ID}},                //
			{"品ご", nil},                                  // both bigrams occur, not adjacent
			{"奥", []uuid.UUID{guide.ID}},                 // one character, private memo
			{"客様宅", []uuid.UUID{guide.ID}},               // template text value
			{"かたろぐ", []uuid.UUID{draft.ID, catalog.ID}},  // hiragana finds katakana
			{"ｶﾀﾛｸﾞ", []uuid.UUID{draft.ID, catalog.ID}}, // half-width katakana
			{"abc-123", []uuid.UUID{catalog.ID}},         // ASCII, case-folded
			{"ＡＢＣ", []uuid.UUID{catalog.ID}},             // full-width ASCII
			{"佐々木", []uuid.UUID{catalog.ID}},             // contact person
			{"総務", []uuid.UUID{catalog.ID}},              // department
			{"山田", []uuid.UUID{catalog.ID, guide.ID}},    // the customer's name
			{"やまだ", []uuid.UUID{catalog.ID, guide.ID}},   // its reading
			{"山田 カタログ", []uuid.UUID{catalog.ID}},         // terms combine with AND
			{"商店", []uuid.UUID{shop.ID}},                 // a company name
			{"オカヤマショウテン", []uuid.UUID{shop.ID}},          // a company reading
			{"123", []uuid.UUID{catalog.ID}},             // ASCII digits: the trigram index (PostgreSQL)
			{"c-12", []uuid.UUID{catalog.ID}},            // ASCII across punctuation
			{"124", nil},                                 // ASCII, nowhere
			{"100%", nil},                                // LIKE wildcards are literal
			{"商品 存在しない", nil},                            //
		} {
			require.Equal(t, tc.want, search(t, f.staff, f.svc, contactlog.Query{Text: tc.text}), tc.text)
		}

		// A customer is matched by its name, company name and reading
		// only, ASCII ones too: not by its address, memo or phone.
		acme, err := f.customer.Create(f.staff, customer.Profile{Kind: customer.Company, CompanyName: "ACME商会", FamilyName: "木村",
			Address: "港区芝公園1丁目", Memo: "大口", Mobile: "090-1234-5678"})
		require.NoError(t, err)
		e = entry(acme.ID)
		e.PublicMemo, e.PrivateMemo = "訪問", ""
		visit, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		for _, tc := range []struct {
			text string
			want []uuid.UUID
		}{
			{"acme", []uuid.UUID{visit.ID}},  // the company name (its reading, none given)
			{"ａｃｍｅ商", []uuid.UUID{visit.ID}}, // full width, across ASCII and kanji
			{"木村", []uuid.UUID{visit.ID}},    // the contact's name
			{"丁目", nil},                      // the address is not a name
			{"大口", nil},                      // nor the memo
			{"5678", nil},                    // nor the phone
		} {
			require.Equal(t, tc.want, search(t, f.staff, f.svc, contactlog.Query{Text: tc.text}), tc.text)
		}

		// The customer's name is matched live: a rename needs no record
		// rewrite.
		c, err := f.customer.Get(f.staff, f.yamada.ID)
		require.NoError(t, err)
		p := c.Profile
		p.FamilyName, p.FamilyKana, p.Rank = "佐藤", "サトウ", "B"
		_, err = f.customer.Update(f.staff, c.ID, c.Version, p)
		require.NoError(t, err)
		require.Empty(t, search(t, f.staff, f.svc, contactlog.Query{Text: "山田"}))
		require.Equal(t, []uuid.UUID{catalog.ID, guide.ID}, search(t, f.staff, f.svc, contactlog.Query{Text: "佐藤"}))
		require.Equal(t, []uuid.UUID{catalog.ID}, search(t, f.staff, f.svc, contactlog.Query{Text: "佐藤 総務"}))

		// Keywords respect record visibility: the partner sees only the
		// records of their own customer.
		pr, err := f.svc.Create(f.partner, func() contactlog.Entry {
			e := partnerEntry(f.partnerCo.ID)
			e.PublicMemo = "カタログ持参"
			return e
		}())
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{pr.ID}, search(t, f.partner, f.svc, contactlog.Query{Text: "カタログ"}))
		require.Equal(t, []uuid.UUID{pr.ID, shop.ID}, search(t, f.partner, f.svc, contactlog.Query{Text: "岡山"}))

		// A customer hidden from the principal lends its name to no record.
		b := f.assigned(t)(f.bID)
		require.Len(t, search(t, b, f.svc, contactlog.Query{Customer: c.ID}), 2, "b sees the records they took part in…")
		require.Empty(t, search(t, b, f.svc, contactlog.Query{Text: "佐藤"}), "…but not the customer's name")
		require.Empty(t, search(t, b, f.svc, contactlog.Query{CustomerRanks: []string{"B"}}), "…nor its rank")
		require.Len(t, search(t, f.staff, f.svc, contactlog.Query{CustomerRanks: []string{"B"}}), 2, "which its assignee finds")
		require.Equal(t, []uuid.UUID{catalog.ID}, search(t, b, f.svc, contactlog.Query{Text: "総務"}))

		// Nor its reading: sorted by customer reading, its records come last
		// with the drafts, and no page cursor carries the reading.
		sorted := contactlog.Query{Sort: contactlog.SortCustomerKana, Asc: true, Limit: 1}
		var seen []uuid.UUID
		for {
			page, err := f.svc.Search(b, sorted)
			require.NoError(t, err)
			for _, r := range page.Records {
				seen = append(seen, r.Customer)
			}
			if page.Next == "" {
				break
			}
			raw, err := base64.RawURLEncoding.DecodeString(page.Next)
			require.NoError(t, err)
			require.NotContains(t, string(raw), "さとう")
			require.NotContains(t, string(raw), c.ID.String())
			sorted.After = page.Next
		}
		require.Len(t, seen, len(search(t, b, f.svc, contactlog.Query{})))
		require.Contains(t, seen, c.ID)
		last := false // in the group sorted last: drafts and hidden customers
		for _, cust := range seen {
			_, err := f.customer.Get(b, cust)
			unsorted := cust == uuid.Nil || errors.Is(err, customer.ErrNotFound)
			require.False(t, last && !unsorted, "a visible customer after the drafts and hidden customers")
			last = last || unsorted
		}
	})
}

func TestSearchSortAndPagination(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := setup(t, db)
		now := f.clock.Now()
		// Customers whose readings sort ア < カ < サ, the last two with the
		// same reading.
		mk := func(name, kana string) uuid.UUID {
			c, err := f.customer.Create(f.staff, customer.Profile{FamilyName: name, FamilyKana: kana})
			require.NoError(t, err)
			return c.ID
		}
		custs := []uuid.UUID{mk("青木", "アオキ"), mk("加藤", "カトウ"), mk("佐藤", "サトウ"), mk("佐藤", "サトウ")}
		kana := map[uuid.UUID]string{custs[0]: "あおき", custs[1]: "かとう", custs[2]: "さとう", custs[3]: "さとう"}

		type rec struct {
			id       uuid.UUID
			customer uuid.UUID
			created  time.Time
			time     time.Time
		}
		var recs []rec
		tie := now.Add(-time.Hour).Truncate(time.Second)
		for i := range 17 {
			e := entry(uuid.Nil)
			if i%5 != 4 { // every fifth a draft
				e.Customer = custs[i%len(custs)]
			}
			switch i % 3 {
			case 0:
				e.ActualAt = now.Add(-time.Duration(i%4) * time.Hour) // repeated actual times
			case 1:
				e.PlannedAt = now.Add(time.Duration(i) * time.Hour) // planned only
			}
			r, err := f.svc.Create(f.staff, e)
			require.NoError(t, err)
			recs = append(recs, rec{id: r.ID, customer: r.Customer, created: r.CreatedAt, time: r.Time()})
		}
		// Ties on the entry time: most records share one. (Every record
		// has an actual or a planned time, so the time of the contact does
		// not move.)
		for i := range recs {
			if i%4 != 0 {
				recs[i].created = tie
				_, err := db.NewUpdate().TableExpr("contact_records").Set("created_at = ?", tie).Where("id = ?", recs[i].id).Exec(ctx)
				require.NoError(t, err)
			}
		}
		cmpID := func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) }
		orders := map[contactlog.Sort]func(a, b rec) int{
			contactlog.SortCreated: func(a, b rec) int {
				if c := a.created.Compare(b.created); c != 0 {
					return c
				}
				return cmpID(a.id, b.id)
			},
			contactlog.SortActual: func(a, b rec) int {
				if c := a.time.Compare(b.time); c != 0 {
					return c
				}
				return cmpID(a.id, b.id)
			},
			contactlog.SortCustomerKana: func(a, b rec) int {
				if c := cmpBool(a.customer == uuid.Nil, b.customer == uuid.Nil); c != 0 {
					return c
				}
				if c := strings.Compare(kana[a.customer], kana[b.customer]); c != 0 {
					return c
				}
				if c := cmpID(a.customer, b.customer); c != 0 {
					return c
				}
				if c := a.time.Compare(b.time); c != 0 {
					return c
				}
				return cmpID(a.id, b.id)
			},
		}
		sorted := func(sort contactlog.Sort, asc bool) []uuid.UUID {
			want := slices.Clone(recs)
			slices.SortFunc(want, func(a, b rec) int {
				c := orders[sort](a, b)
				if !asc && (sort != contactlog.SortCustomerKana || (a.customer == uuid.Nil) == (b.customer == uuid.Nil)) {
					c = -c // drafts stay last either way
				}
				return c
			})
			ids := make([]uuid.UUID, len(want))
			for i := range want {
				ids[i] = want[i].id
			}
			return ids
		}
		for sort := range orders {
			for _, asc := range []bool{false, true} {
				wantIDs := sorted(sort, asc)
				for _, limit := range []int{1, 2, 3, 5, 20} {
					got := searchAll(t, f.staff, f.svc, contactlog.Query{Sort: sort, Asc: asc, Limit: limit})
					require.Equal(t, wantIDs, got, "sort %s asc %v limit %d", sort, asc, limit)
				}
			}
		}

		// Pages stay consistent under a filter as well.
		var want []uuid.UUID
		byTime := slices.Clone(recs)
		slices.SortFunc(byTime, orders[contactlog.SortActual])
		for _, r := range byTime {
			if r.customer == custs[2] {
				want = append(want, r.id)
			}
		}
		got := searchAll(t, f.staff, f.svc, contactlog.Query{Customer: custs[2], Limit: 1, Sort: contactlog.SortActual, Asc: true})
		require.Equal(t, want, got)

		// Sorted by reading: one customer's records, the drafts alone, a
		// keyword (every record's memo has it), and a customer in the
		// trash, whose records keep their place.
		got = searchAll(t, f.staff, f.svc, contactlog.Query{Customer: custs[2], Limit: 1, Sort: contactlog.SortCustomerKana, Asc: true})
		require.Equal(t, want, got)
		var drafts []uuid.UUID
		for _, r := range byTime {
			if r.customer == uuid.Nil {
				drafts = append(drafts, r.id)
			}
		}
		got = searchAll(t, f.staff, f.svc, contactlog.Query{DraftsOnly: true, Limit: 2, Sort: contactlog.SortCustomerKana, Asc: true})
		require.Equal(t, drafts, got)
		require.NoError(t, f.customer.Delete(f.admin, custs[1]))
		for _, asc := range []bool{false, true} {
			for _, text := range []string{"", "新商品"} {
				got := searchAll(t, f.staff, f.svc, contactlog.Query{Text: text, Sort: contactlog.SortCustomerKana, Asc: asc, Limit: 3})
				require.Equal(t, sorted(contactlog.SortCustomerKana, asc), got, "asc %v text %q", asc, text)
			}
		}
	})
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func TestSearchVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		mk := func(ctx context.Context, e contactlog.Entry) {
			_, err := f.svc.Create(ctx, e)
			require.NoError(t, err)
		}
		mk(f.staff, entry(f.yamada.ID))
		e := entry(f.yamada.ID)
		e.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.aID}}
		mk(f.staff, e)
		e.Scope = permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{f.group}}
		mk(f.b, e)
		e = entry(f.yamada.ID)
		e.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.bID}}
		mk(f.a, e) // a's group manager sees it, staff does not
		e = entry(f.yamada.ID)
		e.Shared = true
		mk(f.staff, e)
		mk(f.partner, partnerEntry(f.partnerCo.ID))
		e = entry(f.partnerCo.ID)
		e.Template = template.KeySales
		mk(f.admin, e) // confidential: not for the partner
		mk(f.admin, entry(f.partnerCo.ID))
		mk(f.staff, contactlog.Entry{Template: template.KeyInterview, PublicMemo: "下書き"})
		mk(f.other, contactlog.Entry{Template: template.KeyInterview, PublicMemo: "他社の下書き"})

		var all []uuid.UUID
		require.NoError(t, db.NewSelect().Table("contact_records").Column("id").Scan(context.Background(), &all))
		require.Len(t, all, 10)
		principals := map[string]context.Context{
			"staff": f.staff, "manager": f.manager, "admin": f.admin, "a": f.a, "b": f.b, "partner": f.partner,
			"other tenant": f.other, "customer yamada": customerCtx(f, f.yamada.ID), "customer partnerCo": customerCtx(f, f.partnerCo.ID),
		}
		sizes := map[string]int{}
		for name, ctx := range principals {
			// Search shows exactly what Get shows.
			got := searchAll(t, ctx, f.svc, contactlog.Query{Limit: 3})
			var want []uuid.UUID
			for _, id := range all {
				if _, err := f.svc.Get(ctx, id); err == nil {
					want = append(want, id)
				}
			}
			require.ElementsMatch(t, want, got, name)
			sizes[name] = len(got)
			page, err := f.svc.Search(ctx, contactlog.Query{WithTotal: true})
			require.NoError(t, err)
			require.Equal(t, len(want), page.Total, name)
		}
		require.Equal(t, map[string]int{
			"staff": 8, "manager": 9, "admin": 9, "a": 8, "b": 7, "partner": 2,
			"other tenant": 1, "customer yamada": 1, "customer partnerCo": 0,
		}, sizes)

		// With Config.TotalCap at 7, a total counts up to seven of what the
		// principal sees exactly (b sees seven) and says only "more" beyond
		// (staff, manager, admin and a see eight or nine); ExactTotal
		// counts them all.
		const limit = 7
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		capped, err := contactlog.NewService(db, withDeps(t, db, contactlog.Config{Clock: f.clock.Now, Authorizer: engine, TotalCap: limit}))
		require.NoError(t, err)
		over := 0
		for name, ctx := range principals {
			queries := []contactlog.Query{{}}
			if !strings.HasPrefix(name, "customer") {
				queries = append(queries, contactlog.Query{Text: "新商品"}, contactlog.Query{Text: "新商品", Mine: true})
			}
			for _, q := range queries {
				oracle := q
				oracle.Limit = 3
				n := len(searchAll(t, ctx, f.svc, oracle))
				q.Limit, q.WithTotal = 1, true
				page, err := capped.Search(ctx, q)
				require.NoError(t, err, name)
				if n <= limit {
					require.Equal(t, customer.TotalExact, page.TotalKind, "%s %+v", name, q)
					require.Equal(t, n, page.Total, "%s %+v", name, q)
				} else {
					over++
					require.Contains(t, []customer.TotalKind{customer.TotalEstimate, customer.TotalAtLeast}, page.TotalKind, "%s %+v", name, q)
					require.Greater(t, page.Total, limit, "%s %+v", name, q)
					if page.TotalKind == customer.TotalAtLeast {
						require.Equal(t, limit+1, page.Total, "%s %+v", name, q)
					}
				}
				q.WithTotal, q.ExactTotal = false, true
				page, err = capped.Search(ctx, q)
				require.NoError(t, err, name)
				require.Equal(t, customer.TotalExact, page.TotalKind, "%s %+v", name, q)
				require.Equal(t, n, page.Total, "%s %+v", name, q)
			}
		}
		require.GreaterOrEqual(t, over, 4, "some counts go over the cap")
		_, err = contactlog.NewService(db, withDeps(t, db, contactlog.Config{Authorizer: engine, TotalCap: -1}))
		require.ErrorIs(t, err, contactlog.ErrInvalid)
		require.ErrorContains(t, err, "TotalCap")

		// Customer principals get records without their private parts.
		page, err := f.svc.Search(customerCtx(f, f.yamada.ID), contactlog.Query{})
		require.NoError(t, err)
		require.Empty(t, page.Records[0].PrivateMemo)
		require.NotEmpty(t, page.Records[0].PublicMemo)
	})
}

func TestSearchTrash(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		e := entry(f.yamada.ID)
		e.ReportTo = []uuid.UUID{f.bID}
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		kept, err := f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.staff, r.ID, r.Version))

		// The trash shows a deleted record to those who could restore it:
		// the author, the people on it, the author's group manager, admins.
		trash := contactlog.Query{Deleted: true}
		for name, tc := range map[string]struct {
			ctx  context.Context
			sees bool
		}{
			"author": {f.staff, true}, "report-to": {f.b, true}, "manager": {f.manager, true}, "admin": {f.admin, true},
			"colleague": {f.a, false}, "partner": {f.partner, false}, "other tenant": {f.other, false},
		} {
			got := search(t, tc.ctx, f.svc, trash)
			if tc.sees {
				require.Equal(t, []uuid.UUID{r.ID}, got, name)
			} else {
				require.Empty(t, got, name)
			}
		}
		// a sees the record when it is not deleted but may not restore it.
		require.ErrorIs(t, f.svc.Restore(f.a, r.ID, r.Version+1), contactlog.ErrPermissionDenied)
		require.NotContains(t, search(t, f.staff, f.svc, contactlog.Query{}), r.ID)
		require.Contains(t, search(t, f.staff, f.svc, contactlog.Query{}), kept.ID)

		require.NoError(t, f.svc.Restore(f.b, r.ID, r.Version+1))
		require.Empty(t, search(t, f.staff, f.svc, trash))
		require.Contains(t, search(t, f.a, f.svc, contactlog.Query{}), r.ID)
	})
}

// When a term matches more customers than fit in a query, their records are
// still found (through a subquery).
func TestSearchKeywordManyCustomers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		var csv strings.Builder
		csv.WriteString("姓,名,姓カナ,名カナ\n")
		for i := range 600 {
			fmt.Fprintf(&csv, "綿貫,太郎%d,ワタヌキ,タロウ\n", i)
		}
		rep, err := f.customer.Import(f.staff, strings.NewReader(csv.String()), customer.ImportOptions{})
		require.NoError(t, err, "%+v", rep)
		require.Equal(t, 600, rep.Created, "%v", rep.Errors)
		page, err := f.customer.Search(f.staff, customer.Query{Text: "綿貫 太郎599"})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1)
		r, err := f.svc.Create(f.staff, entry(page.Customers[0].ID))
		require.NoError(t, err)
		_, err = f.svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		for _, text := range []string{"綿貫", "わたぬき", "綿貫 商品", "綿貫太郎599"} {
			require.Equal(t, []uuid.UUID{r.ID}, search(t, f.staff, f.svc, contactlog.Query{Text: text}), text)
		}
		require.Empty(t, search(t, f.staff, f.svc, contactlog.Query{Text: "綿貫 存在しない"}))
	})
}

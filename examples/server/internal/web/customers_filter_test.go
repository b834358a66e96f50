package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestCustomerListFilters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := e.Ctx(t, e.Admin)
		sato := e.User(t, "佐藤 営業", "サトウ エイギョウ", "sato@example.com", permission.RoleStaff)
		born := func(y int) *date.Date { return &date.Date{Year: y, Month: 3, Day: 15} }
		company, err := e.App.Customers.Create(ctx, customer.Profile{Kind: customer.Company, CompanyName: "株式会社青葉",
			CompanyKana: "アオバ", FamilyName: "青木", FamilyKana: "アオキ"})
		require.NoError(t, err)
		ichiro, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山本", GivenName: "一郎",
			FamilyKana: "ヤマモト", GivenKana: "イチロウ", Gender: customer.Male, Birthday: born(1972)})
		require.NoError(t, err)
		hanako, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "鈴木", GivenName: "花子",
			FamilyKana: "スズキ", GivenKana: "ハナコ", Gender: customer.Female, Birthday: born(1990),
			Assignees: []uuid.UUID{sato}})
		require.NoError(t, err)

		c := e.Login(t, servertest.AdminEmail)
		shows := func(t *testing.T, query string, want ...customer.Customer) string {
			t.Helper()
			res, body := c.Get(t, "/customers?"+query)
			require.Equal(t, http.StatusOK, res.StatusCode, body)
			for _, cu := range []*customer.Customer{company, ichiro, hanako} {
				link := `href="/customers/` + cu.ID.String() + `"`
				found := false
				for _, w := range want {
					found = found || w.ID == cu.ID
				}
				if found {
					require.Contains(t, body, link, "%s in %s", cu.DisplayName(), query)
				} else {
					require.NotContains(t, body, link, "%s not in %s", cu.DisplayName(), query)
				}
			}
			return body
		}
		shows(t, "kind=company", *company)
		shows(t, "kind=individual", *ichiro, *hanako)
		shows(t, "gender=female", *hanako)
		shows(t, "birth_year_from=1980", *hanako)
		shows(t, "birth_year_to=1980", *ichiro)
		shows(t, "birth_year_from=1970&birth_year_to=1995", *ichiro, *hanako)
		body := shows(t, "assignee="+sato.String(), *hanako)
		require.Contains(t, body, `<option value="`+sato.String()+`" selected>佐藤 営業</option>`, "the filter is kept")
		require.Contains(t, body, `<details class="more cust-more" open>`, "a set filter unfolds the filters")

		// Each row: 編集日時, 誕生日 in both calendars, 面談記録作成 for it.
		row := between(t, body, `href="/customers/`+hanako.ID.String()+`"`, "</li>")
		require.Contains(t, between(t, row, `class="birthday"`, "</dd>"), "1990/03/15（平成2年3月15日）")
		require.Regexp(t, `class="updated-at">\d{4}/\d{2}/\d{2}\(.\) \d{2}:\d{2}</dd>`, row)
		require.Contains(t, row, `href="/records/new?customer=`+hanako.ID.String()+`">`+msg.T("customers.create_record"))
		res, form := c.Get(t, "/records/new?customer="+hanako.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, form, `value="`+hanako.ID.String()+`" checked`, "the record form opens with the customer chosen")

		// The export links carry the filters, in either encoding.
		q := url.Values{"gender": {"male"}, "kind": {"individual"}}.Encode()
		_, body = c.Get(t, "/customers?"+q)
		require.Contains(t, body, `href="/customers/export?`+strings.ReplaceAll(q, "&", "&amp;")+`&amp;encoding=sjis"`)
		require.Contains(t, body, `href="/customers/export?`+strings.ReplaceAll(q, "&", "&amp;")+`&amp;encoding=utf8"`)
		res, out := c.Get(t, "/customers/export?"+q+"&encoding=utf8")
		require.Equal(t, http.StatusOK, res.StatusCode)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 2, "header and 山本")
		require.Contains(t, rows[1], "山本")

		// Bad filters are named, not fatal; an export with one is refused.
		res, body = c.Get(t, "/customers?birth_year_from=abc&birth_year_to=1800&gender=x")
		require.Equal(t, http.StatusOK, res.StatusCode)
		for _, f := range []string{"birth_year_from", "birth_year_to", "gender"} {
			require.Contains(t, body, msg.T("records.bad_filter", msg.T("customers.filter."+f)))
		}
		require.Contains(t, body, `value="abc"`, "what was typed stays")
		_, body = c.Get(t, "/customers?birth_year_from=1995&birth_year_to=1980")
		require.Contains(t, body, msg.T("records.bad_filter", msg.T("customers.filter.birth_year_to")))
		res, _ = c.Get(t, "/customers/export?gender=x")
		require.Equal(t, http.StatusBadRequest, res.StatusCode)
	})
}

func TestCustomerListPagesKeepFilters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := e.Ctx(t, e.Admin)
		for i := range 30 {
			g := customer.Male
			if i%5 == 0 {
				g = customer.Female
			}
			_, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "客" + string(rune('あ'+i)),
				FamilyKana: "キャク" + string(rune('ア'+i)), Gender: g})
			require.NoError(t, err)
		}
		c := e.Login(t, servertest.AdminEmail)
		_, body := c.Get(t, "/customers?gender=male")
		require.Contains(t, body, msg.T("common.count", 24))
		next := between(t, body, `<a class="button" href="/customers?`, `" rel="next"`)
		next = strings.ReplaceAll(strings.TrimPrefix(next, `<a class="button" href="`), "&amp;", "&")
		require.Contains(t, next, "gender=male")
		_, body = c.Get(t, next)
		require.Contains(t, body, msg.T("common.count", 24), "the next page keeps the filter")
		require.Equal(t, 4, strings.Count(body, `<li class="customer">`), "the other 4 men")
		require.NotContains(t, body, `rel="next"`)
		require.Contains(t, body, `href="/customers?gender=male">`+msg.T("common.first_page"))
	})
}

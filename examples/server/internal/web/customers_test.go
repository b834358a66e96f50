package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
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
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/jpdate"
)

// createdID returns the customer ID of a registration's redirect.
func createdID(t *testing.T, res *http.Response) uuid.UUID {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	id, err := uuid.Parse(strings.TrimPrefix(servertest.Location(res), "/customers/"))
	require.NoError(t, err, servertest.Location(res))
	return id
}

// between returns the part of body after the first from and before the
// next to (the markup of one form field).
func between(t *testing.T, body, from, to string) string {
	t.Helper()
	i := strings.Index(body, from)
	require.GreaterOrEqual(t, i, 0, "%q in body", from)
	rest := body[i:]
	j := strings.Index(rest, to)
	require.Greater(t, j, 0, "%q after %q", to, from)
	return rest[:j]
}

func TestCustomerRegisterEraBirthday(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/customers/new")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="birthday"`)

		res, _ = c.Post(t, "/customers/new", url.Values{"kind": {"individual"}, "status": {"existing"},
			"family_name": {"山田"}, "given_name": {"太郎"}, "family_kana": {"やまだ"}, "given_kana": {"たろう"},
			"birthday": {"昭和47年3月15日"}, "gender": {"male"}, "postal_code": {"1234567"}, "rank": {"A"}})
		id := createdID(t, res)

		stored, err := e.App.Customers.Get(e.Ctx(t, e.Admin), id)
		require.NoError(t, err)
		require.NotNil(t, stored.Birthday)
		require.Equal(t, "1972-03-15", stored.Birthday.String())

		res, body = c.Get(t, "/customers/"+id.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		birthday := between(t, body, `class="birthday"`, "</dd>")
		require.Contains(t, birthday, "1972/03/15")
		require.Contains(t, birthday, stored.Birthday.Era())
		require.Contains(t, birthday, "昭和47年3月15日")
		require.Contains(t, body, "ヤマダ タロウ", "the reading is stored in katakana")
		require.Contains(t, body, "123-4567")
		require.Contains(t, body, `href="/records/new?customer=`+id.String()+`"`)

		// Other era notations reach the same kind of date.
		res, _ = c.Post(t, "/customers/new", url.Values{"family_name": {"佐藤"}, "family_kana": {"サトウ"},
			"birthday": {"H1/1/8"}})
		id2 := createdID(t, res)
		_, body = c.Get(t, "/customers/"+id2.String())
		require.Contains(t, between(t, body, `class="birthday"`, "</dd>"), "1989/01/08")

		// Editing keeps the birthday and needs the version read.
		res, body = c.Get(t, "/customers/"+id.String()+"/edit")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `value="1972-03-15"`)
		form := url.Values{"kind": {"individual"}, "status": {"existing"}, "family_name": {"山田"},
			"given_name": {"太郎"}, "family_kana": {"ヤマダ"}, "given_kana": {"タロウ"}, "birthday": {"S47.3.15"},
			"memo": {"メモ更新"}, "version": {"1"}}
		res, _ = c.Post(t, "/customers/"+id.String()+"/edit", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = c.Post(t, "/customers/"+id.String()+"/edit", form)
		require.Equal(t, http.StatusConflict, res.StatusCode, "a stale version is refused")
		_, body = c.Get(t, "/customers/"+id.String())
		require.Contains(t, body, "メモ更新")

		res, _ = c.Post(t, "/customers/"+id.String()+"/delete", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = c.Get(t, "/customers/"+id.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

func TestCustomerRegisterProblemsNextToFields(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Post(t, "/customers/new", url.Values{"kind": {"individual"}, "status": {"prospect"},
			"family_name": {""}, "given_name": {"花子"}, "family_kana": {"tanaka"}, "given_kana": {"はなこ"},
			"memo": {"来週 再訪"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "入力内容を確認してください。")
		family := between(t, body, `name="family_name"`, `name="given_name"`)
		require.Contains(t, family, "入力してください。")
		require.Contains(t, family, `aria-invalid="true"`)
		kana := between(t, body, `name="family_kana"`, `name="given_kana"`)
		require.Contains(t, kana, "カタカナまたはひらがなで入力してください。")
		require.Contains(t, kana, `value="tanaka"`, "the typed value is kept")
		require.NotContains(t, between(t, body, `name="given_name"`, `name="family_kana"`), "field-error")
		require.Contains(t, body, `value="花子"`)
		require.Contains(t, body, "来週 再訪")

		// A birthday outside its era is reported together with the engine's problems.
		res, body = c.Post(t, "/customers/new", url.Values{"family_name": {""}, "family_kana": {"ヤマダ"},
			"birthday": {"平成1年1月7日"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `name="birthday"`, `name="postal_code"`), "その元号の期間外の日付です。")
		require.Contains(t, between(t, body, `name="family_name"`, `name="given_name"`), "入力してください。")
		require.Contains(t, body, `value="平成1年1月7日"`)

		page, err := e.App.Customers.Search(e.Ctx(t, e.Admin), customer.Query{WithTotal: true})
		require.NoError(t, err)
		require.Zero(t, page.Total, "nothing was stored")
	})
}

func TestCustomerListSearchAndStatus(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := e.Ctx(t, e.Admin)
		yamamoto, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山本", GivenName: "一郎",
			FamilyKana: "ヤマモト", GivenKana: "イチロウ", Rank: "B"})
		require.NoError(t, err)
		_, err = e.App.Customers.Create(ctx, customer.Profile{FamilyName: "鈴木", FamilyKana: "スズキ", Rank: "A"})
		require.NoError(t, err)

		now := time.Now()
		_, err = e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyInterview, Customer: yamamoto.ID,
			ActualAt: now.Add(-48 * time.Hour), Progress: "first_contact"})
		require.NoError(t, err)
		_, err = e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyInterview, Customer: yamamoto.ID,
			ActualAt: now.Add(-2 * time.Hour), Progress: "quoted"})
		require.NoError(t, err)
		planned := now.Add(10 * 24 * time.Hour)
		_, err = e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyInterview, Customer: yamamoto.ID,
			PlannedAt: planned})
		require.NoError(t, err)
		st, err := e.App.Records.CustomerStatuses(ctx, []uuid.UUID{yamamoto.ID})
		require.NoError(t, err)
		require.Equal(t, "quoted", st[yamamoto.ID].Progress)

		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/customers?q="+url.QueryEscape("やまも"))
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "/customers/"+yamamoto.ID.String())
		require.Contains(t, body, "山本 一郎")
		require.NotContains(t, body, "鈴木")
		row := between(t, body, "/customers/"+yamamoto.ID.String(), "</li>")
		require.Contains(t, between(t, row, `class="progress"`, "</dd>"), "見積提示", "the newest progress")
		require.Contains(t, between(t, row, `class="next-contact"`, "</dd>"),
			planned.In(jpdate.Tokyo()).Format("2006/01/02"))
		require.Contains(t, body, `href="/customers/new"`)

		_, body = c.Get(t, "/customers?rank=A")
		require.Contains(t, body, "鈴木")
		require.NotContains(t, body, "山本")
		_, body = c.Get(t, "/customers?sort=kana_desc")
		require.Less(t, strings.Index(body, "山本"), strings.Index(body, "鈴木"), "ヤマモト after スズキ, reversed")
		require.Contains(t, between(t, body, "鈴木", "</li>"), "進捗なし")
	})
}

func TestCustomerHiddenFromUnassignedStaff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		bg := context.Background()
		tn, err := e.App.Dir.Tenant(bg, e.Tenant)
		require.NoError(t, err)
		tn.CustomerVisibility = permission.VisibilityAssigned
		_, err = e.App.Dir.UpdateTenant(bg, *tn)
		require.NoError(t, err)
		staff := e.User(t, "佐々木 健", "ササキ ケン", "ken@example.jp")

		ctx := e.Ctx(t, e.Admin)
		hidden, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "秘密", FamilyKana: "ヒミツ"})
		require.NoError(t, err)
		mine, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "担当", FamilyKana: "タントウ",
			Assignees: []uuid.UUID{staff}})
		require.NoError(t, err)

		c := e.Login(t, "ken@example.jp")
		res, _ := c.Get(t, "/customers/"+hidden.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, _ = c.Get(t, "/customers/"+hidden.ID.String()+"/edit")
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, body := c.Get(t, "/customers/"+mine.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "佐々木 健", "the assignee is shown")
		_, body = c.Get(t, "/customers")
		require.Contains(t, body, "担当")
		require.NotContains(t, body, "秘密")
		res, _ = c.Get(t, "/customers/not-a-uuid")
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

func TestCustomerTimelineMonthMode(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := e.Ctx(t, e.Admin)
		cu, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "履歴", FamilyKana: "リレキ"})
		require.NoError(t, err)
		tokyo := jpdate.Tokyo()
		add := func(at time.Time, tmpl, memo string) *contactlog.Record {
			var values map[string]any
			if tmpl == template.KeyDaily {
				values = map[string]any{"work_minutes": 60, "work_done": "訪問"}
			}
			rec, err := e.App.Records.Create(ctx, contactlog.Entry{Template: tmpl, Customer: cu.ID, ActualAt: at,
				PublicMemo: memo, Values: values})
			require.NoError(t, err)
			return rec
		}
		march := add(time.Date(2024, 3, 10, 14, 0, 0, 0, tokyo), template.KeyInterview, "三月の面談")
		// Midnight of 1 April in Tokyo is still March in UTC: it belongs to April.
		april := add(time.Date(2024, 4, 1, 0, 30, 0, 0, tokyo), template.KeyInterview, "四月の面談")
		add(time.Date(2024, 4, 15, 9, 0, 0, 0, tokyo), template.KeyDaily, "四月の日報")

		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/customers/"+cu.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		for _, m := range []string{"三月の面談", "四月の面談", "四月の日報"} {
			require.Contains(t, body, m, "newest records")
		}
		require.Contains(t, body, "2024年4月（2件）")
		require.Contains(t, body, "2024年3月（1件）")

		_, body = c.Get(t, "/customers/"+cu.ID.String()+"?month=2024-04")
		require.Contains(t, body, "四月の面談")
		require.Contains(t, body, "/records/"+april.ID.String())
		require.Contains(t, body, "四月の日報")
		require.NotContains(t, body, "三月の面談")
		require.Contains(t, body, "2024年4月の記録（2件）")
		require.Contains(t, body, html.EscapeString("?month=2024-03"), "older month link")

		_, body = c.Get(t, "/customers/"+cu.ID.String()+"?month=2024-03")
		require.Contains(t, body, "/records/"+march.ID.String())
		require.NotContains(t, body, "四月の")
		require.Contains(t, body, "?month=2024-04", "newer month link")

		_, body = c.Get(t, "/customers/"+cu.ID.String()+"?month=2024-04&template="+url.QueryEscape(template.KeyDaily))
		require.Contains(t, body, "四月の日報")
		require.NotContains(t, body, "四月の面談")
		require.Contains(t, body, "日報（1件）")
		require.Contains(t, body, "面談記録（2件）")
		// One template chosen: its numeric fields as charts with their table.
		require.Contains(t, body, "数値項目のグラフ")
		require.Contains(t, body, `<svg xmlns="http://www.w3.org/2000/svg"`)
		require.Contains(t, body, `aria-label="作業時間"`)
		require.Contains(t, body, `<th scope="row">4/15</th><td>60</td>`)

		_, body = c.Get(t, "/customers/"+cu.ID.String())
		require.NotContains(t, body, "数値項目のグラフ", "no charts for all templates")
	})
}

func TestMyLists(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		cu, err := e.App.Customers.Create(e.Ctx(t, e.Admin), customer.Profile{FamilyName: "名簿", FamilyKana: "メイボ"})
		require.NoError(t, err)
		c := e.Login(t, servertest.AdminEmail)

		res, body := c.Post(t, "/lists", url.Values{"name": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "field-error")
		res, _ = c.Post(t, "/lists", url.Values{"name": {"今月訪問"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		listPath := servertest.Location(res)
		listID := strings.TrimPrefix(listPath, "/lists/")
		_, body = c.Get(t, "/lists")
		require.Contains(t, body, "今月訪問")

		_, body = c.Get(t, "/customers/"+cu.ID.String())
		require.Contains(t, body, `value="`+listID+`"`, "the profile offers the list")
		res, _ = c.Post(t, "/customers/"+cu.ID.String()+"/lists", url.Values{"list": {listID}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = c.Get(t, listPath)
		require.Contains(t, body, "/customers/"+cu.ID.String())
		require.Contains(t, body, "1人")

		res, _ = c.Post(t, listPath+"/rename", url.Values{"name": {"来月訪問"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = c.Post(t, listPath+"/remove", url.Values{"customer": {cu.ID.String()}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = c.Get(t, listPath)
		require.Contains(t, body, "来月訪問")
		require.NotContains(t, body, "/customers/"+cu.ID.String())

		// Another staff member cannot see or change the list.
		e.User(t, "別人", "ベツジン", "other@example.jp")
		o := e.Login(t, "other@example.jp")
		res, _ = o.Get(t, listPath)
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, _ = o.Post(t, listPath+"/delete", nil)
		require.Equal(t, http.StatusNotFound, res.StatusCode)

		res, _ = c.Post(t, listPath+"/delete", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = c.Get(t, "/lists")
		require.NotContains(t, body, "来月訪問")
	})
}

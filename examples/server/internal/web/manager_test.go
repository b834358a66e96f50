package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func assigned(t *testing.T, e *servertest.Env, user uuid.UUID) []string {
	t.Helper()
	page, err := e.App.Customers.Search(e.Ctx(t, e.Admin), customer.Query{Assignee: user, Limit: 100})
	require.NoError(t, err)
	var names []string
	for _, c := range page.Customers {
		names = append(names, c.FamilyName)
	}
	return names
}

func TestManagerPagesAndReassign(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := t.Context()
		mgr := e.User(t, "森 課長", "モリ カチョウ", "mori@example.jp", permission.RoleManager)
		s1 := e.User(t, "加藤 一郎", "カトウ イチロウ", "kato@example.jp")
		s2 := e.User(t, "木村 二郎", "キムラ ジロウ", "kimura@example.jp")
		other := e.User(t, "他部 長", "タブ チョウ", "tabu@example.jp", permission.RoleManager)
		outsider := e.User(t, "別所 花", "ベッショ ハナ", "bessho@example.jp")
		g, err := e.App.Dir.CreateGroup(ctx, e.Tenant, "営業1課")
		require.NoError(t, err)
		require.NoError(t, e.App.Dir.SetGroupMembers(ctx, e.Tenant, g.ID, []permission.Member{
			{User: mgr, Manager: true}, {User: s1}, {User: s2}}))
		g2, err := e.App.Dir.CreateGroup(ctx, e.Tenant, "営業2課")
		require.NoError(t, err)
		require.NoError(t, e.App.Dir.SetGroupMembers(ctx, e.Tenant, g2.ID, []permission.Member{
			{User: other, Manager: true}, {User: outsider}}))

		s1ctx := e.Ctx(t, s1)
		var ids []uuid.UUID
		for _, p := range []customer.Profile{
			{FamilyName: "石井", GivenName: "明", FamilyKana: "イシイ", GivenKana: "アキラ"},
			{FamilyName: "前田", GivenName: "優", FamilyKana: "マエダ", GivenKana: "ユウ"},
			{FamilyName: "小川", GivenName: "誠", FamilyKana: "オガワ", GivenKana: "マコト"},
		} {
			c, err := e.App.Customers.Create(s1ctx, p)
			require.NoError(t, err)
			ids = append(ids, c.ID)
		}
		_, err = e.App.Records.Create(s1ctx, contactlog.Entry{Template: "builtin:interview", Customer: ids[0], PublicMemo: "初回訪問"})
		require.NoError(t, err)

		// Plain staff have no manager pages.
		staff := e.Login(t, "kato@example.jp")
		_, body := staff.Get(t, "/")
		require.Contains(t, body, msg.T("role.staff"), "the header shows the role")
		res, _ := staff.Get(t, "/manager")
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		res, _ = staff.Post(t, "/manager/reassign", url.Values{"from": {s1.String()}, "to": {s2.String()}, "confirm": {"yes"}})
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		require.ElementsMatch(t, []string{"石井", "前田", "小川"}, assigned(t, e, s1))

		c := e.Login(t, "mori@example.jp")
		res, body = c.Get(t, "/manager")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, "営業1課", "加藤 一郎", "木村 二郎", "/manager/members/"+s1.String()))
		require.NotContains(t, body, "営業2課", "only the groups I manage")
		require.NotContains(t, body, "別所 花")

		res, body = c.Get(t, "/manager/members/"+s1.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, "石井 明", "前田 優", "小川 誠", `<li class="record">`, `href="/records/`,
			msg.T("manager.count", msg.T("common.count", 3)), msg.T("manager.customer_id"), ids[0].String()))
		require.Contains(t, body, msg.T("role.manager"), "the header shows the role")
		// 顧客検索 by reading narrows the member's customers.
		_, body = c.Get(t, "/manager/members/"+s1.String()+"?q=まえだ")
		require.True(t, servertest.Contains(body, "前田 優", msg.T("manager.found", "まえだ", msg.T("common.count", 1)), `value="まえだ"`))
		require.NotContains(t, body, ids[0].String()+"</code>")
		_, body = c.Get(t, "/manager/members/"+s1.String()+"?q=該当なし")
		require.Contains(t, body, msg.T("manager.none_found"))
		res, _ = c.Get(t, "/manager/members/"+outsider.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode, "not a member of my groups")
		res, _ = c.Get(t, "/manager/members/not-a-uuid")
		require.Equal(t, http.StatusNotFound, res.StatusCode)

		// One customer to another member.
		res, _ = c.Post(t, "/manager/reassign", url.Values{"from": {s1.String()}, "to": {s2.String()}, "customer": {ids[2].String()}, "q": {"おがわ"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		moved := servertest.Location(res)
		require.Equal(t, "/manager/members/"+s1.String()+"?"+url.Values{"moved": {ids[2].String()}, "to": {s2.String()}, "q": {"おがわ"}}.Encode(), moved,
			"back to the search the change was made from")
		require.ElementsMatch(t, []string{"小川"}, assigned(t, e, s2))
		_, body = c.Get(t, moved)
		require.Contains(t, body, msg.T("manager.reassigned_one", "小川 誠", "加藤 一郎", "木村 二郎"), "says who went to whom")
		require.NotContains(t, body, ids[2].String()+"</code>", "no longer the member's customer")
		// The message states only what holds: a customer still with the
		// member, or one moved elsewhere, says nothing.
		_, body = c.Get(t, "/manager/members/"+s1.String()+"?"+url.Values{"moved": {ids[0].String()}, "to": {s2.String()}}.Encode())
		require.NotContains(t, body, `id="moved"`)
		_, body = c.Get(t, "/manager/members/"+s2.String()+"?"+url.Values{"moved": {ids[2].String()}, "to": {s1.String()}}.Encode())
		require.NotContains(t, body, `id="moved"`)

		// No target chosen: the member page again with the problem.
		res, body = c.Post(t, "/manager/reassign", url.Values{"from": {s1.String()}, "to": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.T("manager.choose_target"))

		// All of a member's customers: confirmed first, nothing moved yet.
		res, body = c.Post(t, "/manager/reassign", url.Values{"from": {s1.String()}, "to": {s2.String()}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, msg.T("manager.confirm_text", "加藤 一郎", 2, "木村 二郎"))
		require.ElementsMatch(t, []string{"石井", "前田"}, assigned(t, e, s1))
		res, _ = c.Post(t, "/manager/reassign", url.Values{"from": {s1.String()}, "to": {s2.String()}, "confirm": {"yes"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Empty(t, assigned(t, e, s1))
		require.ElementsMatch(t, []string{"石井", "前田", "小川"}, assigned(t, e, s2))

		// Another group's manager: the engine refuses.
		oc := e.Login(t, "tabu@example.jp")
		res, body = oc.Post(t, "/manager/reassign", url.Values{"from": {s2.String()}, "to": {outsider.String()}, "confirm": {"yes"}})
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		require.Contains(t, body, msg.T("error.forbidden"))
		require.Len(t, assigned(t, e, s2), 3)
	})
}

// A member with more customers than a page: pages follow one another with
// the search kept, and every customer is listed once.
func TestManagerMemberPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		s1 := e.User(t, "加藤 一郎", "カトウ イチロウ", "kato@example.jp")
		g, err := e.App.Dir.CreateGroup(t.Context(), e.Tenant, "営業1課")
		require.NoError(t, err)
		require.NoError(t, e.App.Dir.SetGroupMembers(t.Context(), e.Tenant, g.ID, []permission.Member{{User: s1}}))
		s1ctx := e.Ctx(t, s1)
		for i := range 23 {
			_, err := e.App.Customers.Create(s1ctx, customer.Profile{FamilyName: "山本", GivenName: fmt.Sprintf("客%02d", i),
				FamilyKana: "ヤマモト", GivenKana: "キャク"})
			require.NoError(t, err)
		}
		_, err = e.App.Customers.Create(s1ctx, customer.Profile{FamilyName: "石井", GivenName: "明", FamilyKana: "イシイ", GivenKana: "アキラ"})
		require.NoError(t, err)
		c := e.Login(t, servertest.AdminEmail)
		seen := map[string]bool{}
		next := "/manager/members/" + s1.String() + "?q=" + url.QueryEscape("やまもと")
		pages := 0
		for next != "" {
			_, body := c.Get(t, next)
			pages++
			require.Contains(t, body, msg.T("manager.found", "やまもと", msg.T("common.count", 23)))
			require.NotContains(t, body, "石井 明")
			for i := range 23 {
				if strings.Contains(body, fmt.Sprintf("山本 客%02d", i)) {
					require.False(t, seen[fmt.Sprint(i)], "listed once")
					seen[fmt.Sprint(i)] = true
				}
			}
			next = ""
			if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body); m != nil {
				next = html.UnescapeString(m[1])
				require.Contains(t, next, "q=", "the search is kept")
			}
			if pages > 1 {
				require.Contains(t, body, msg.T("manager.first_customers"))
			}
		}
		require.Equal(t, 2, pages)
		require.Len(t, seen, 23)
	})
}

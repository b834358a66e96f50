package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

var inviteRe = regexp.MustCompile(`value="([^"]*/password/[^"]+)"`)

// userByEmail finds a directory user of the env's tenant.
func userByEmail(t *testing.T, e *servertest.Env, email string) permission.User {
	t.Helper()
	users, err := e.App.Dir.Users(t.Context(), e.Tenant)
	require.NoError(t, err)
	for _, u := range users {
		if u.Email == email {
			return u
		}
	}
	t.Fatalf("no user %s", email)
	return permission.User{}
}

func TestAdminCreatesUserWhoSetsPasswordAndLogsIn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		admin := e.Login(t, servertest.AdminEmail)
		units, err := e.App.Dir.OrgUnits(t.Context(), e.Tenant)
		require.NoError(t, err)

		res, body := admin.Post(t, "/admin/users/new", url.Values{"name": {"佐藤 一郎"}, "kana": {"サトウ イチロウ"},
			"email": {" Ichiro@Example.jp "}, "roles": {"staff", "manager"}, "units": {units[0].ID.String()}})
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		m := inviteRe.FindStringSubmatch(body)
		require.NotNil(t, m, "the invite link is shown")
		link := html.UnescapeString(m[1])
		require.Contains(t, body, "送信しました")

		mails := e.Mails()
		require.Len(t, mails, 1)
		require.Equal(t, "ichiro@example.jp", mails[0].To[0].Email)
		require.Contains(t, mails[0].Text, link, "the mail carries the same link")

		_, body = admin.Get(t, "/admin/users")
		require.Regexp(t, `佐藤 一郎</a>[^<]*(<span[^>]*>[^<]*</span>\s*)*<br><small>サトウ イチロウ · ichiro@example.jp · 本社</small>`, body)
		usr := userByEmail(t, e, "ichiro@example.jp")
		require.ElementsMatch(t, []permission.Role{permission.RoleStaff, permission.RoleManager}, usr.Roles)
		require.True(t, usr.Active)

		token := link[strings.LastIndex(link, "/")+1:]
		anon := e.Client(t)
		res, _ = anon.Post(t, "/password/"+token, url.Values{"password": {"朝の訪問 green-kettle-77"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = anon.Post(t, "/password/"+token, url.Values{"password": {"朝の訪問 green-kettle-77"}})
		require.Equal(t, http.StatusNotFound, res.StatusCode, "the link is single-use")

		c := e.Client(t)
		res, _ = c.Post(t, "/login", url.Values{"email": {"ichiro@example.jp"}, "password": {"朝の訪問 green-kettle-77"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = c.Get(t, "/admin")
		require.Equal(t, http.StatusForbidden, res.StatusCode, "a manager is no admin")
		p, err := e.App.Principal(t.Context(), e.Tenant, usr.ID)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{units[0].ID}, p.OrgUnits)

		// A second link for the same user (reset) replaces the first.
		res, body = admin.Post(t, "/admin/users/"+usr.ID.String()+"/invite", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NotNil(t, inviteRe.FindStringSubmatch(body))
		require.Len(t, e.Mails(), 2)
	})
}

func TestAdminPagesForbiddenToStaff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		e.User(t, "鈴木 次郎", "スズキ ジロウ", "jiro@example.jp", permission.RoleStaff, permission.RoleManager)
		c := e.Login(t, "jiro@example.jp")
		admin := e.Login(t, servertest.AdminEmail)
		id := e.Admin.String()
		for _, path := range []string{"/admin", "/admin/users", "/admin/users/new", "/admin/users/" + id,
			"/admin/units", "/admin/groups", "/admin/tenant", "/admin/masters", "/admin/templates", "/admin/plugins",
			"/admin/lockouts", "/admin/templates/build"} {
			res, _ := c.Get(t, path)
			require.Equal(t, http.StatusForbidden, res.StatusCode, path)
			res, body := admin.Get(t, path)
			require.Equal(t, http.StatusOK, res.StatusCode, path)
			require.NotContains(t, body, "[admin.", "every message is in the catalog (%s)", path)
		}
		for _, path := range []string{"/admin/users/new", "/admin/users/" + id, "/admin/users/" + id + "/invite",
			"/admin/units", "/admin/groups", "/admin/tenant", "/admin/masters", "/admin/templates",
			"/admin/plugins/install", "/admin/lockouts/" + id + "/unlock", "/admin/templates/build", "/admin/plugins/uninstall"} {
			res, _ := c.Post(t, path, url.Values{"name": {"x"}, "email": {"x@example.jp"}, "roles": {"admin"}})
			require.Equal(t, http.StatusForbidden, res.StatusCode, path)
		}
		require.Empty(t, e.Mails())
		users, err := e.App.Dir.Users(t.Context(), e.Tenant)
		require.NoError(t, err)
		require.Len(t, users, 2, "no user was created")
	})
}

func TestAdminDuplicateEmailAndDeactivation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		hanako := e.User(t, "田中 花子", "タナカ ハナコ", "hanako@example.jp")
		admin := e.Login(t, servertest.AdminEmail)

		res, body := admin.Post(t, "/admin/users/new", url.Values{"name": {"田中 花子2"}, "email": {"HANAKO@example.jp"},
			"roles": {"staff"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "このメールアドレスは他のユーザーが使用しています。")
		require.Contains(t, body, `value="田中 花子2"`, "typed values are kept")
		users, err := e.App.Dir.Users(t.Context(), e.Tenant)
		require.NoError(t, err)
		require.Len(t, users, 2, "a taken login leaves no half-made user")

		res, body = admin.Post(t, "/admin/users/new", url.Values{"name": {""}, "email": {"not-an-address"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "役割を1つ以上選んでください。")
		require.Contains(t, body, "形式が正しくありません。")

		// Deactivation ends the user's sessions.
		c := e.Login(t, "hanako@example.jp")
		res, _ = c.Get(t, "/admin") // a page that needs a session (staff: forbidden)
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		usr, err := e.App.Dir.User(t.Context(), e.Tenant, hanako)
		require.NoError(t, err)
		form := url.Values{"name": {"田中 花子"}, "kana": {"タナカ ハナコ"}, "email": {"hanako@example.jp"},
			"roles": {"staff"}, "version": {"1"}}
		form.Set("version", itoa(usr.Version))
		res, _ = admin.Post(t, "/admin/users/"+hanako.String(), form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = c.Get(t, "/admin")
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.True(t, strings.HasPrefix(servertest.Location(res), "/login"))
		res, _ = e.Client(t).Post(t, "/login", url.Values{"email": {"hanako@example.jp"}, "password": {servertest.Password}})
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "an inactive user cannot log in")

		// A stale version is a conflict.
		res, _ = admin.Post(t, "/admin/users/"+hanako.String(), form)
		require.Equal(t, http.StatusConflict, res.StatusCode)

		// The admin cannot lock themselves out.
		me, err := e.App.Dir.User(t.Context(), e.Tenant, e.Admin)
		require.NoError(t, err)
		res, body = admin.Post(t, "/admin/users/"+e.Admin.String(), url.Values{"name": {me.Name},
			"email": {servertest.AdminEmail}, "roles": {"staff"}, "active": {"1"}, "version": {itoa(me.Version)}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "自分自身を無効")

		// A user of another tenant is not found.
		other, err := e.App.Dir.CreateTenant(t.Context(), permission.Tenant{Name: "他社"})
		require.NoError(t, err)
		stranger, err := e.App.Dir.SaveUser(t.Context(), permission.User{Tenant: other.ID, Name: "他社 太郎", Active: true})
		require.NoError(t, err)
		res, _ = admin.Get(t, "/admin/users/"+stranger.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, _ = admin.Post(t, "/admin/users/"+stranger.ID.String(), url.Values{"name": {"乗っ取り"},
			"email": {"x@example.jp"}, "roles": {"admin"}, "active": {"1"}, "version": {"1"}})
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		got, err := e.App.Dir.User(t.Context(), other.ID, stranger.ID)
		require.NoError(t, err)
		require.Equal(t, "他社 太郎", got.Name)
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestAdminOrgUnits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		admin := e.Login(t, servertest.AdminEmail)
		units, err := e.App.Dir.OrgUnits(t.Context(), e.Tenant)
		require.NoError(t, err)
		company := units[0].ID.String()

		res, _ := admin.Post(t, "/admin/units", url.Values{"op": {"create"}, "parent": {company}, "kind": {"branch"},
			"name": {"大阪支店"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		branch := unitNamed(t, e, "大阪支店")
		res, _ = admin.Post(t, "/admin/units", url.Values{"op": {"create"}, "parent": {branch.ID.String()},
			"kind": {"department"}, "name": {"営業部"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		dept := unitNamed(t, e, "営業部")
		require.Equal(t, branch.ID, *dept.Parent)

		res, _ = admin.Post(t, "/admin/units", url.Values{"op": {"rename"}, "id": {branch.ID.String()}, "name": {"関西支店"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body := admin.Get(t, "/admin/units")
		require.Contains(t, body, "関西支店")
		require.NotContains(t, body, "大阪支店")

		res, body = admin.Post(t, "/admin/units", url.Values{"op": {"delete"}, "id": {branch.ID.String()}})
		require.Equal(t, http.StatusConflict, res.StatusCode)
		require.Contains(t, body, "配下に組織があるため削除できません")
		unitNamed(t, e, "関西支店")

		res, body = admin.Post(t, "/admin/units", url.Values{"op": {"move"}, "id": {branch.ID.String()},
			"parent": {dept.ID.String()}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a unit cannot move under its own subtree")
		require.Contains(t, body, "その組織の下へは移動できません")

		res, _ = admin.Post(t, "/admin/units", url.Values{"op": {"move"}, "id": {dept.ID.String()}, "parent": {company}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, units[0].ID, *unitNamed(t, e, "営業部").Parent)
		res, _ = admin.Post(t, "/admin/units", url.Values{"op": {"delete"}, "id": {branch.ID.String()}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		all, err := e.App.Dir.OrgUnits(t.Context(), e.Tenant)
		require.NoError(t, err)
		require.Len(t, all, 2)

		res, body = admin.Post(t, "/admin/units", url.Values{"op": {"create"}, "parent": {company}, "kind": {"branch"},
			"name": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "入力してください。")
	})
}

func unitNamed(t *testing.T, e *servertest.Env, name string) permission.OrgUnit {
	t.Helper()
	units, err := e.App.Dir.OrgUnits(t.Context(), e.Tenant)
	require.NoError(t, err)
	for _, u := range units {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("no unit %s", name)
	return permission.OrgUnit{}
}

func TestAdminGroupsMakeManagers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		boss := e.User(t, "山田 部長", "ヤマダ ブチョウ", "boss@example.jp", permission.RoleManager)
		member := e.User(t, "川口 一般", "カワグチ イッパン", "member@example.jp")
		admin := e.Login(t, servertest.AdminEmail)

		res, _ := admin.Post(t, "/admin/groups", url.Values{"name": {"営業1課"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		loc := servertest.Location(res)
		require.True(t, strings.HasPrefix(loc, "/admin/groups/"))
		group := uuid.MustParse(strings.TrimPrefix(loc, "/admin/groups/"))

		res, body := admin.Post(t, "/admin/groups", url.Values{"name": {"営業1課"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "既に登録されています。")

		res, _ = admin.Post(t, loc, url.Values{"member": {member.String()}, "manager": {boss.String()}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		p, err := e.App.Dir.Principal(t.Context(), e.Tenant, boss)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{group}, p.ManagedGroups)
		p, err = e.App.Dir.Principal(t.Context(), e.Tenant, member)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{group}, p.Groups)
		require.Empty(t, p.ManagedGroups)
		_, body = admin.Get(t, loc)
		require.Regexp(t, `name="manager" value="`+boss.String()+`" checked`, body)

		res, _ = admin.Post(t, loc, url.Values{"op": {"delete"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = admin.Get(t, loc)
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

func TestAdminTenantMastersTemplatesPlugins(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		admin := e.Login(t, servertest.AdminEmail)

		// Tenant settings, optimistic.
		tn, err := e.App.Dir.Tenant(t.Context(), e.Tenant)
		require.NoError(t, err)
		form := url.Values{"name": {"株式会社キロク"}, "time_zone": {"Asia/Seoul"}, "customer_visibility": {"assigned"},
			"version": {itoa(tn.Version)}}
		res, _ := admin.Post(t, "/admin/tenant", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		tn, err = e.App.Dir.Tenant(t.Context(), e.Tenant)
		require.NoError(t, err)
		require.Equal(t, "Asia/Seoul", tn.TimeZone)
		require.Equal(t, permission.VisibilityAssigned, tn.CustomerVisibility)
		res, _ = admin.Post(t, "/admin/tenant", form)
		require.Equal(t, http.StatusConflict, res.StatusCode, "stale version")
		form.Set("version", itoa(tn.Version))
		form.Set("time_zone", "Mars/Olympus")
		res, body := admin.Post(t, "/admin/tenant", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "選択できない値です。")

		// Masters: relabel, archive, add.
		ctx := e.Ctx(t, e.Admin)
		items, err := e.App.Records.Masters().List(ctx, contactlog.MasterChannel)
		require.NoError(t, err)
		require.NotEmpty(t, items)
		v := url.Values{"kind": {"channel"}}
		for i, it := range items {
			v.Add("code", it.Code)
			label := it.Label
			if i == 0 {
				label = "訪問（対面）"
			}
			v.Add("label", label)
			order := i + 1
			switch i {
			case 0:
				order = 2
			case 1:
				order = 1
			}
			v.Add("order", itoa(int64(order)))
		}
		v.Add("archived", items[1].Code)
		v.Set("new_label", "LINE通話") // the code is generated
		generated := "channel_" + itoa(int64(len(items)+1))
		res, _ = admin.Post(t, "/admin/masters", v)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		got, err := e.App.Records.Masters().List(ctx, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Len(t, got, len(items)+1)
		require.Equal(t, items[1].Code, got[0].Code, "reordered")
		require.True(t, got[0].Archived)
		require.Equal(t, items[0].Code, got[1].Code)
		require.Equal(t, "訪問（対面）", got[1].Label)
		require.Equal(t, contactlog.MasterItem{Code: generated, Label: "LINE通話"}, got[len(got)-1])
		_, body = admin.Get(t, "/admin/masters?kind=channel")
		require.Contains(t, body, "訪問（対面）")
		require.Contains(t, body, "LINE通話")

		v.Add("code", generated) // the item just added, as the page now lists it
		v.Add("label", "LINE通話")
		v.Add("order", itoa(int64(len(items)+1)))
		v.Set("new_label", strings.Repeat("長", 500))
		res, body = admin.Post(t, "/admin/masters", v)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="new_label" value="`+strings.Repeat("長", 500)+`" aria-invalid="true"`, "the label typed is kept and named")
		got, err = e.App.Records.Masters().List(ctx, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Len(t, got, len(items)+1, "nothing saved")
		res, _ = admin.Get(t, "/admin/masters?kind=nope")
		require.Equal(t, http.StatusNotFound, res.StatusCode)

		// Templates: list and define a tenant template.
		_, body = admin.Get(t, "/admin/templates")
		require.Contains(t, body, "builtin:daily")
		def := `{"key":"tenant:visit","name":"訪問記録","fields":[{"key":"minutes","label":"時間","type":"duration"}]}`
		res, _ = admin.Post(t, "/admin/templates", url.Values{"definition": {def}, "version": {"0"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		tpl, err := e.App.Templates.Template(t.Context(), e.Tenant, "tenant:visit", 0)
		require.NoError(t, err)
		require.Equal(t, 1, tpl.Version)
		_, body = admin.Get(t, "/admin/templates")
		require.Contains(t, body, "訪問記録")
		res, body = admin.Post(t, "/admin/templates", url.Values{"definition": {
			`{"key":"tenant:bad","name":"壊れ","fields":[{"key":"x","label":"X","type":"nosuch"}]}`}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "fields[0].type")
		res, body = admin.Post(t, "/admin/templates", url.Values{"definition": {`{"key":`}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "JSONとして読み取れません")

		// Plugins: none configured; the page says the first-party ones are
		// not built, how to build them and where they go.
		res, body = admin.Get(t, "/admin/plugins")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, msg.T("admin.plugins.none"), msg.T("admin.plugins.missing_title"),
			"kiroku-plugin-careservice ./plugins/careservice/cmd/kiroku-plugin-careservice",
			"kiroku-plugin-ramenshop ./plugins/ramenshop/cmd/kiroku-plugin-ramenshop",
			msg.T("admin.plugins.how_place", e.App.Config.PluginDir), msg.T("admin.plugins.dir_missing")))
	})
}

// An admin sees the locked staff logins and lifts a lock; the lift is in
// the audit log.
func TestAdminLiftsLoginLockout(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staff := e.User(t, "鈴木 次郎", "スズキ ジロウ", "jiro@example.jp")
		admin := e.Login(t, servertest.AdminEmail)
		_, body := admin.Get(t, "/admin/lockouts")
		require.Contains(t, body, "ロックされているログインはありません")
		for range auth.DefaultMaxFailures {
			_, _, err := e.App.Auth.Login(t.Context(), "jiro@example.jp", "wrong", "192.0.2.4")
			require.Error(t, err)
		}
		res, body := admin.Get(t, "/admin/lockouts")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "鈴木 次郎")
		require.Contains(t, body, "jiro@example.jp")
		require.Contains(t, body, "/admin/lockouts/"+staff.String()+"/unlock")

		res, _ = admin.Post(t, "/admin/lockouts/"+staff.String()+"/unlock", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = admin.Get(t, "/admin/lockouts")
		require.Contains(t, body, "ロックを解除しました")
		require.NotContains(t, body, "jiro@example.jp")
		res, _ = admin.Post(t, "/admin/lockouts/"+staff.String()+"/unlock", nil)
		require.Equal(t, http.StatusNotFound, res.StatusCode, "no lock left")
		e.Login(t, "jiro@example.jp")

		log, err := permission.AuditLog(e.Ctx(t, e.Admin), db, permission.AuditQuery{ObjectType: "user", Object: staff})
		require.NoError(t, err)
		require.Len(t, log, 1)
		require.Equal(t, "unlock_login", log[0].Action)
	})
}

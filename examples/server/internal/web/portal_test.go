package web_test

import (
	"context"
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
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/pdftest"
)

var inviteRE = regexp.MustCompile(`/portal/invitation/([A-Za-z0-9_-]{20,})`)

// The share loop through the pages: staff issue a QR invitation, the
// customer registers and sees only the shared record, five wrong passwords
// lock the account, the assignee unlocks it from the locked list, the
// customer logs in again. Customer and staff sessions stay apart.
func TestPortalShareLoop(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staffID := e.User(t, "担当 一郎", "タントウ イチロウ", "tanto@example.com", permission.RoleStaff)
		staffCtx := e.Ctx(t, staffID)
		cust, err := e.App.Customers.Create(staffCtx, customer.Profile{FamilyName: "山田", GivenName: "太郎",
			FamilyKana: "ヤマダ", GivenKana: "タロウ", Email: "taro@example.jp", Assignees: []uuid.UUID{staffID}})
		require.NoError(t, err)
		_, err = e.App.Records.Create(staffCtx, contactlog.Entry{Template: "builtin:interview", Customer: cust.ID,
			Channel: "visit", PublicMemo: "お見積りをお送りします", PrivateMemo: "社内メモ", Shared: true})
		require.NoError(t, err)
		_, err = e.App.Records.Create(staffCtx, contactlog.Entry{Template: "builtin:interview", Customer: cust.ID,
			Channel: "visit", PublicMemo: "非共有の記録"})
		require.NoError(t, err)

		staff := e.Login(t, "tanto@example.com")
		_, body := staff.Get(t, "/customers/"+cust.ID.String())
		require.Contains(t, body, "QRコード発行")
		require.Contains(t, body, "招待メールを送信する")
		res, body := staff.Post(t, "/customers/"+cust.ID.String()+"/portal/invite", nil)
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Contains(t, body, "data:image/png;base64,")
		require.Contains(t, body, "https://line.me/R/share?text=")
		m := inviteRE.FindStringSubmatch(body)
		require.NotNil(t, m)
		invite := "/portal/invitation/" + m[1]

		// The mail invitation: confirmation, then the flash and the send time.
		_, body = staff.Get(t, "/customers/"+cust.ID.String()+"/portal/mail")
		require.Contains(t, body, "送信時に発行される登録用URL")
		res, _ = staff.Post(t, "/customers/"+cust.ID.String()+"/portal/mail", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = staff.Get(t, servertest.Location(res))
		require.Contains(t, body, "この顧客に招待メールを送信しました")
		require.Contains(t, body, "招待メール・SMSの送信日時")
		require.Contains(t, body, "<li>メール ")
		require.NotContains(t, body, "SMSで招待を送る", "no SMS plugin")
		// Without an SMS plugin, an SMS invitation is refused clearly.
		res, _ = staff.Post(t, "/customers/"+cust.ID.String()+"/portal/sms", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = staff.Get(t, servertest.Location(res))
		require.Contains(t, body, "SMSで招待を送れません。SMS送信のプラグインが導入されていません")

		// The customer registers (without JavaScript: a plain form post).
		cc := e.Client(t)
		res, body = cc.Get(t, invite)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "お客様招待フォーム")
		require.Contains(t, body, `value="taro@example.jp"`)
		res, body = cc.Post(t, invite, url.Values{"email": {"taro@example.jp"}, "password": {"abcdefgh"}, "terms_version": {"0"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "英字と数字の両方を含めてください。")
		require.Contains(t, body, `value="taro@example.jp"`, "what was typed is kept")
		const pw = "Kiroku2026yamada!"
		res, _ = cc.Post(t, invite, url.Values{"email": {"taro@example.jp"}, "password": {pw}, "accept_terms": {"1"}, "terms_version": {"0"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, body = cc.Get(t, "/portal/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "お見積りをお送りします")
		require.NotContains(t, body, "非共有の記録")
		require.NotContains(t, body, "社内メモ")
		// A customer session is no staff session.
		res, _ = cc.Get(t, "/customers")
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.True(t, strings.HasPrefix(servertest.Location(res), "/login"))
		_, body = staff.Get(t, "/customers/"+cust.ID.String())
		require.Contains(t, body, "アカウント登録済み")
		_, body = staff.Get(t, "/customers")
		require.Contains(t, body, `<span class="badge portal-status">アカウント登録済み</span>`)

		// Five wrong passwords lock the account; both notices are queued.
		anon := e.Client(t)
		for range 5 {
			res, _ = anon.Post(t, "/portal/login", url.Values{"email": {"taro@example.jp"}, "password": {"wrong-pass-1"}})
			require.Equal(t, http.StatusUnauthorized, res.StatusCode)
		}
		res, _ = anon.Post(t, "/portal/login", url.Values{"email": {"taro@example.jp"}, "password": {pw}})
		require.Equal(t, http.StatusUnauthorized, res.StatusCode)
		_, err = e.App.RunOutbox(context.Background())
		require.NoError(t, err)
		var subjects []string
		for _, ml := range e.Mails() {
			subjects = append(subjects, ml.To[0].Email+" "+ml.Subject)
		}
		require.Contains(t, strings.Join(subjects, "\n"), "taro@example.jp [")
		require.Contains(t, strings.Join(subjects, "\n"), "ログインアカウント停止通知")
		require.Contains(t, strings.Join(subjects, "\n"), "tanto@example.com [")
		require.Contains(t, strings.Join(subjects, "\n"), "顧客アカウント停止通知")

		_, body = staff.Get(t, "/portal-locks")
		require.Contains(t, body, "山田 太郎")
		res, _ = staff.Post(t, "/customers/"+cust.ID.String()+"/portal/unlock", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = staff.Get(t, "/portal-locks")
		require.Contains(t, body, "ロックされているアカウントはありません。")
		res, _ = anon.Post(t, "/portal/login", url.Values{"email": {"taro@example.jp"}, "password": {pw}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		u, _ := url.Parse(anon.Base + "/portal/")
		var hasPortal bool
		for _, ck := range anon.HTTP.Jar.Cookies(u) {
			hasPortal = hasPortal || ck.Name == web.PortalCookie
		}
		require.True(t, hasPortal)
	})
}

// The customer downloads the PDF of a shared record from its page; an
// unshared record and another customer's record are not found, and no
// private-memo option is offered.
func TestPortalPDF(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staffID := e.User(t, "担当 一郎", "タントウ イチロウ", "tanto@example.com", permission.RoleStaff)
		staffCtx := e.Ctx(t, staffID)
		newCustomer := func(family, kana, email string) uuid.UUID {
			c, err := e.App.Customers.Create(staffCtx, customer.Profile{FamilyName: family, GivenName: "太郎",
				FamilyKana: kana, GivenKana: "タロウ", Email: email, Assignees: []uuid.UUID{staffID}})
			require.NoError(t, err)
			return c.ID
		}
		newRecord := func(cust uuid.UUID, shared bool) string {
			rec, err := e.App.Records.Create(staffCtx, contactlog.Entry{Template: "builtin:interview", Customer: cust,
				Channel: "visit", PublicMemo: "お見積りをお送りします", PrivateMemo: "社内メモ", Shared: shared})
			require.NoError(t, err)
			return "/portal/records/" + rec.ID.String()
		}
		yamada, suzuki := newCustomer("山田", "ヤマダ", "taro@example.jp"), newCustomer("鈴木", "スズキ", "suzuki@example.jp")
		shared, unshared, others := newRecord(yamada, true), newRecord(yamada, false), newRecord(suzuki, true)

		staff := e.Login(t, "tanto@example.com")
		_, body := staff.Post(t, "/customers/"+yamada.String()+"/portal/invite", nil)
		m := inviteRE.FindStringSubmatch(body)
		require.NotNil(t, m)
		cc := e.Client(t)
		res, _ := cc.Post(t, "/portal/invitation/"+m[1], url.Values{"email": {"taro@example.jp"}, "password": {"Kiroku2026yamada!"},
			"accept_terms": {"1"}, "terms_version": {"0"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)

		res, body = cc.Get(t, shared)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `href="`+shared+`/pdf" download>PDFでダウンロード</a>`)
		require.NotContains(t, body, "private_memo")
		require.NotContains(t, body, "社内メモ")

		res, body = cc.Get(t, shared+"/pdf?private_memo=1")
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Equal(t, "application/pdf", res.Header.Get("Content-Type"))
		require.True(t, strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;"))
		require.True(t, strings.HasPrefix(body, "%PDF-"))
		text := pdftest.Text(t, []byte(body), "")
		require.Contains(t, text, "お見積りをお送りします")
		require.NotContains(t, text, "社内メモ")

		for _, path := range []string{unshared, others} {
			res, _ = cc.Get(t, path+"/pdf")
			require.Equal(t, http.StatusNotFound, res.StatusCode, path)
		}
	})
}

// registerCustomer invites cust by QR code as staff and registers with pw
// as the customer; it returns the customer's client, logged in.
func registerCustomer(t *testing.T, e *servertest.Env, staff *servertest.Client, cust uuid.UUID, email, pw string) *servertest.Client {
	t.Helper()
	_, body := staff.Post(t, "/customers/"+cust.String()+"/portal/invite", nil)
	m := inviteRE.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	cc := e.Client(t)
	res, body := cc.Post(t, "/portal/invitation/"+m[1], url.Values{"email": {email}, "password": {pw},
		"accept_terms": {"1"}, "terms_version": {"0"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
	return cc
}

// The top page marks each record's customer 招待済み or 登録済み; ending a
// customer's access asks first (a page, without script) and says what it
// does; an unlock pressed twice says the account is not locked.
func TestPortalStaffMarksAndConfirmations(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staffID := e.User(t, "担当 一郎", "タントウ イチロウ", "tanto@example.com", permission.RoleStaff)
		staffCtx := e.Ctx(t, staffID)
		newCustomer := func(family, kana, email string) uuid.UUID {
			c, err := e.App.Customers.Create(staffCtx, customer.Profile{FamilyName: family, GivenName: "太郎",
				FamilyKana: kana, GivenKana: "タロウ", Email: email, Assignees: []uuid.UUID{staffID}})
			require.NoError(t, err)
			_, err = e.App.Records.Create(staffCtx, contactlog.Entry{Template: "builtin:interview", Customer: c.ID,
				Channel: "visit", PublicMemo: family + "様の記録"})
			require.NoError(t, err)
			return c.ID
		}
		yamada, suzuki := newCustomer("山田", "ヤマダ", "taro@example.jp"), newCustomer("鈴木", "スズキ", "")
		newCustomer("佐藤", "サトウ", "")
		staff := e.Login(t, "tanto@example.com")
		const pw = "Kiroku2026yamada!"
		registerCustomer(t, e, staff, yamada, "taro@example.jp", pw)
		res, _ := staff.Post(t, "/customers/"+suzuki.String()+"/portal/invite", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)

		// The top page: one mark per record row, after the customer's name.
		_, body := staff.Get(t, "/")
		mark := func(name, status string) string {
			return `<strong class="who">` + name + " 太郎</strong>\n" + `<span class="badge portal-status">` + status + `</span>`
		}
		require.Contains(t, body, mark("山田", "アカウント登録済み"))
		require.Contains(t, body, mark("鈴木", "招待済み"))
		require.Contains(t, body, "<strong class=\"who\">佐藤 太郎</strong>\n\n</a>", "never invited: no mark")
		_, body = staff.Get(t, "/customers")
		require.Contains(t, body, `<span class="badge portal-status">招待済み</span>`)
		require.Equal(t, 2, strings.Count(body, `class="badge portal-status"`), "佐藤 was never invited")

		// Unlock twice: the second press says it is not locked.
		anon := e.Client(t)
		for range 5 {
			res, _ = anon.Post(t, "/portal/login", url.Values{"email": {"taro@example.jp"}, "password": {"wrong-pass-1"}})
			require.Equal(t, http.StatusUnauthorized, res.StatusCode)
		}
		for i, want := range []string{"ロックを解除しました", "このお客様のアカウントはロックされていません（すでに解除済みです）。"} {
			res, _ = staff.Post(t, "/customers/"+yamada.String()+"/portal/unlock", nil)
			require.Equal(t, http.StatusSeeOther, res.StatusCode, i)
			require.Equal(t, "/portal-locks", servertest.Location(res))
			res, body = staff.Get(t, "/portal-locks")
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Contains(t, body, want)
		}
		res, _ = staff.Post(t, "/customers/"+yamada.String()+"/portal/unlock", url.Values{"back": {"customer"}})
		require.Equal(t, "/customers/"+yamada.String()+"#portal", servertest.Location(res))

		// Deactivating asks first, from a link on the customer page.
		page := "/customers/" + yamada.String() + "/portal/deactivate"
		_, body = staff.Get(t, "/customers/"+yamada.String())
		require.Contains(t, body, `<a class="button danger" href="`+page+`">お客様ページの利用を停止する</a>`)
		res, body = staff.Get(t, page)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "山田 太郎 様のお客様ページの利用を停止します。よろしいですか？")
		require.Contains(t, body, "ログインできなくなり")
		require.Contains(t, body, `name="confirm" value="1"`)
		// A post without the confirmation only asks again.
		res, body = staff.Post(t, page, nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "よろしいですか？")
		cc := e.Client(t)
		res, _ = cc.Post(t, "/portal/login", url.Values{"email": {"taro@example.jp"}, "password": {pw}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "still active")
		res, _ = staff.Post(t, page, url.Values{"confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = staff.Get(t, servertest.Location(res))
		require.Contains(t, body, "お客様ページの利用を停止しました。")
		res, _ = cc.Get(t, "/portal/")
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "the customer's session ended")
		_, body = staff.Get(t, "/")
		require.NotContains(t, body, mark("山田", "アカウント登録済み"), "a deactivated account has no mark")
	})
}

// Portal logins are limited per client address (Config.LoginAddressLimit)
// besides the account's own lock: once the address is locked, every
// attempt gets the same answer before any password is checked, so it
// neither tells whether an address has an account nor counts against one;
// staff logins from the same address are counted apart.
func TestPortalLoginAddressLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db, func(c *app.Config, _ *app.Options) { c.LoginAddressLimit = 3 })
		staffID := e.User(t, "担当 一郎", "タントウ イチロウ", "tanto@example.com", permission.RoleStaff)
		cust, err := e.App.Customers.Create(e.Ctx(t, staffID), customer.Profile{FamilyName: "山田", GivenName: "太郎",
			FamilyKana: "ヤマダ", GivenKana: "タロウ", Email: "taro@example.jp", Assignees: []uuid.UUID{staffID}})
		require.NoError(t, err)
		staff := e.Login(t, "tanto@example.com")
		const pw = "Kiroku2026yamada!"
		registerCustomer(t, e, staff, cust.ID, "taro@example.jp", pw)

		anon := e.Client(t)
		login := func(email, pw string) (int, string) {
			res, body := anon.Post(t, "/portal/login", url.Values{"email": {email}, "password": {pw}})
			return res.StatusCode, body
		}
		for _, email := range []string{"nobody@example.jp", "someone@example.jp"} {
			code, body := login(email, "wrong-pass-1")
			require.Equal(t, http.StatusUnauthorized, code)
			require.Contains(t, body, "メールアドレスまたはパスワードが正しくありません。")
		}
		code, body := login("third@example.jp", "wrong-pass-1")
		require.Equal(t, http.StatusTooManyRequests, code, "the third failure locks the address")
		require.Contains(t, body, "この接続元からのログインの失敗が続いたため")

		// Locked: the same answer for an unknown address and for the real
		// one with its right password, and no failures on the account.
		for range 6 {
			for _, try := range [][2]string{{"nobody@example.jp", "x"}, {"taro@example.jp", "wrong-pass-1"}, {"taro@example.jp", pw}} {
				code, body := login(try[0], try[1])
				require.Equal(t, http.StatusTooManyRequests, code, try[0])
				require.Contains(t, body, "この接続元からのログインの失敗が続いたため")
			}
		}
		a, err := e.App.Portal.Account(e.Ctx(t, staffID), cust.ID)
		require.NoError(t, err)
		require.Equal(t, "active", string(a.Status))
		require.Zero(t, a.Failures)

		// Staff logins from the same address still work.
		e.Login(t, "tanto@example.com")
	})
}

// A colleague who sees the customer but is neither an assignee nor their
// manager gets no ロック解除, 利用停止 or 再開 on the customer page (the
// rule Unlock, Deactivate and Restore check), only who may; the assignee
// gets them.
func TestPortalManageButtonsOnlyForWhoMay(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staffID := e.User(t, "担当 一郎", "タントウ イチロウ", "tanto@example.com", permission.RoleStaff)
		e.User(t, "同僚 花子", "ドウリョウ ハナコ", "doryo@example.com", permission.RoleStaff)
		c, err := e.App.Customers.Create(e.Ctx(t, staffID), customer.Profile{FamilyName: "山田", GivenName: "太郎",
			FamilyKana: "ヤマダ", GivenKana: "タロウ", Email: "taro@example.jp", Assignees: []uuid.UUID{staffID}})
		require.NoError(t, err)
		staff, colleague := e.Login(t, "tanto@example.com"), e.Login(t, "doryo@example.com")
		registerCustomer(t, e, staff, c.ID, "taro@example.jp", "Kiroku2026yamada!")
		anon := e.Client(t)
		for range 5 {
			res, _ := anon.Post(t, "/portal/login", url.Values{"email": {"taro@example.jp"}, "password": {"wrong-pass-1"}})
			require.Equal(t, http.StatusUnauthorized, res.StatusCode)
		}
		page := "/customers/" + c.ID.String()
		unlock := `action="` + page + `/portal/unlock"`
		deactivate := `href="` + page + `/portal/deactivate"`
		restore := `action="` + page + `/portal/restore"`
		const who = "ロック解除・利用停止・再開は、このお客様の担当者"

		res, body := colleague.Get(t, page)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "ロックされています")
		require.NotContains(t, body, unlock)
		require.NotContains(t, body, deactivate)
		require.Contains(t, body, who)
		res, _ = colleague.Post(t, page+"/portal/unlock", url.Values{"back": {"customer"}})
		require.Equal(t, http.StatusForbidden, res.StatusCode, "the rule the page follows")

		_, body = staff.Get(t, page)
		require.Contains(t, body, unlock)
		require.Contains(t, body, deactivate)
		require.NotContains(t, body, who)

		require.NoError(t, e.App.Portal.Deactivate(e.Ctx(t, staffID), c.ID))
		_, body = colleague.Get(t, page)
		require.Contains(t, body, "お客様ページの利用を停止中です。")
		require.NotContains(t, body, restore)
		require.Contains(t, body, who)
		_, body = staff.Get(t, page)
		require.Contains(t, body, restore)
	})
}

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
		require.Contains(t, body, "招待メールの送信日時")

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

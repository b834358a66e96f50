package browsertest

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

var invitePath = regexp.MustCompile(`/portal/invitation/[A-Za-z0-9_-]+`)

// TestPortalShareLoop is the proof on a phone: staff issue a QR
// invitation → the customer opens the URL, registers, sees the shared
// record and its shared photo and nothing else → five wrong passwords lock
// the account → both notices go out → staff unlock from アカウントロック一覧
// → the customer logs in again.
func TestPortalShareLoop(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	e := servertest.New(t, db)
	staffID := e.User(t, "担当 一郎", "タントウ イチロウ", "tanto@example.com", permission.RoleStaff)
	ctx := e.Ctx(t, staffID)
	cust, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ",
		GivenKana: "タロウ", Email: "taro@example.jp", Assignees: []uuid.UUID{staffID}})
	require.NoError(t, err)
	shared, err := e.App.Records.Create(ctx, contactlog.Entry{Template: "builtin:interview", Customer: cust.ID, Channel: "visit",
		PublicMemo: "外壁塗装のお見積りをお送りします。", PrivateMemo: "決裁者は奥様", Shared: true})
	require.NoError(t, err)
	photo := writeJPEG(t)
	for _, f := range []struct {
		name   string
		shared bool
	}{{"外壁.jpg", true}, {"社内用.jpg", false}} {
		fh, err := os.Open(photo)
		require.NoError(t, err)
		_, err = e.App.Records.Attachments().Add(ctx, shared.ID, contactlog.Upload{
			AttachmentMeta: contactlog.AttachmentMeta{Name: f.name, Shared: f.shared}, Body: fh})
		require.NoError(t, err)
		require.NoError(t, fh.Close())
	}
	_, err = e.App.Records.Create(ctx, contactlog.Entry{Template: "builtin:interview", Customer: cust.ID, Channel: "visit",
		PublicMemo: "社内検討の記録"})
	require.NoError(t, err)

	// Staff and the customer, each in a browser of their own (the second
	// is started first: starting one clears the test's screenshot folder).
	c := newBrowser(t, e.Server.URL)
	b := newBrowser(t, e.Server.URL)
	b.n = 100 // staff screenshots after the customer's in the folder

	// Staff: the customer page, the QR code.
	b.login("tanto@example.com", servertest.Password, "/customers/"+cust.ID.String())
	b.shot("staff-customer-page")
	b.submit("issue QR", `form[action$="/portal/invite"] button`, 200)
	b.require(b.count(`img.qr[src^="data:image/png;base64,"]`) == 1, "the QR code is shown")
	b.require(b.count(`a[href^="https://line.me/R/share?text="]`) == 1, "LINEで送る opens LINE's share screen")
	invite := invitePath.FindString(eval[string](b, `document.querySelector("input[readonly]").value`))
	b.require(invite != "", "the invitation URL is copyable text")
	b.shot("staff-qr")
	b.fitsWidth("/customers/{id}/portal/invite")

	// The customer opens the link (no staff cookie in that browser).
	c.open(invite)
	c.require(strings.Contains(c.text("main"), "お客様招待フォーム"), "the registration form")
	c.require(eval[string](c, `document.querySelector("[name=email]").value`) == "taro@example.jp", "the e-mail is prefilled")
	c.fill("password", "Kiroku2026yamada!")
	c.step("type for the meter", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.SendKeys(`#password`, "x")); err != nil {
			return err
		}
		return chromedp.Do(ctx, chromedp.WaitVisible(`#strength`))
	})
	c.fill("password", "Kiroku2026yamada!")
	c.step("accept terms", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(`[name=accept_terms]`))
	})
	c.shot("customer-register")
	c.fitsWidth("/portal/invitation/{token}")
	c.submit("register", `#register button[type=submit]`, 200)
	c.require(c.location() == "/portal/", "registering lands on the shared records, not %s", c.location())
	main := c.text("main")
	c.require(strings.Contains(main, "外壁塗装のお見積りをお送りします。"), "the shared record is listed")
	c.require(!strings.Contains(main, "社内検討の記録") && !strings.Contains(main, "決裁者は奥様"), "nothing else is")
	c.shot("customer-records")
	c.fitsWidth("/portal/")
	c.follow("open the record", `.portal-records a[href^="/portal/records/"]`)
	c.require(c.count(`.portal-files img.thumb`) == 1, "only the shared photo is shown")
	c.require(strings.Contains(c.text("main"), "外壁.jpg") && !strings.Contains(c.text("main"), "社内用.jpg"), "the private photo is not")
	c.shot("customer-record")
	c.follow("full photo", `.portal-files a[href^="/portal/files/"]`)
	c.step("log out", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.Server.URL+"/portal/")); err != nil {
			return err
		}
		_, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/portal/logout"] button`))
		return err
	})

	// Five wrong passwords lock the account.
	for range 5 {
		c.open("/portal/login")
		c.fill("email", "taro@example.jp", "password", "wrong-password-1")
		c.submit("wrong password", `form[action="/portal/login"] button`, 401)
	}
	c.open("/portal/login")
	c.fill("email", "taro@example.jp", "password", "Kiroku2026yamada!")
	c.submit("locked", `form[action="/portal/login"] button`, 401)
	c.shot("customer-locked")
	_, err = e.App.RunOutbox(context.Background())
	require.NoError(t, err)
	var got []string
	for _, m := range e.Mails() {
		got = append(got, m.To[0].Email+": "+m.Subject)
	}
	all := strings.Join(got, "\n")
	require.Contains(t, all, "taro@example.jp: [")
	require.Contains(t, all, "ログインアカウント停止通知")
	require.Contains(t, all, "tanto@example.com: [")
	require.Contains(t, all, "顧客アカウント停止通知")

	// Staff unlock from the menu's アカウントロック一覧.
	b.open("/portal-locks")
	b.require(strings.Contains(b.text("main"), "山田 太郎"), "the locked account is listed")
	b.shot("staff-locks")
	b.fitsWidth("/portal-locks")
	b.submit("unlock", `.portal-locks form button`, 200)
	b.require(strings.Contains(b.text("main"), "ロックされているアカウントはありません。"), "the list is empty after unlocking")

	c.open("/portal/login")
	c.fill("email", "taro@example.jp", "password", "Kiroku2026yamada!")
	c.submit("log in again", `form[action="/portal/login"] button`, 200)
	c.require(c.location() == "/portal/", "the customer is back, at %s", c.location())

	// The top page marks the customer; ending the access asks first.
	b.open("/")
	b.require(strings.Contains(b.text(".records"), "アカウント登録済み"), "the top page marks the registered customer")
	b.shot("staff-top-marks")
	b.open("/customers/" + cust.ID.String() + "/portal/deactivate")
	b.require(strings.Contains(b.text("main"), "よろしいですか？"), "the deactivation asks first")
	b.shot("staff-deactivate-confirm")
	b.fitsWidth("/customers/" + cust.ID.String() + "/portal/deactivate")

	// The wide screen: the customer page and the records list at 1280×800.
	for _, br := range []*browser{b, c} {
		br.step("desktop", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
		})
	}
	b.open("/customers/" + cust.ID.String())
	b.shot("staff-customer-desktop")
	c.open("/portal/")
	c.shot("customer-records-desktop")
}

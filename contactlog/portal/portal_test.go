package portal_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// fixture: one tenant with an admin, a manager of group 営業1課 (members:
// the manager, tanto), tanto and fuku (both assigned to yamada), other
// (staff outside the group), a partner; customer yamada with an e-mail
// address, customer sato without one; a real SMTP test server behind the
// portal's mails and a dispatcher over its handlers.
type fixture struct {
	db      *bun.DB
	clock   *clocktest.Clock
	svc     *portal.Service
	sys     *portal.System
	records *contactlog.Service
	srv     *mailtest.Server
	disp    *outbox.Dispatcher
	tenant  uuid.UUID

	admin, manager, tanto, fuku, other, partner context.Context
	tantoID, fukuID                             uuid.UUID
	yamada, sato                                *customer.Customer
}

const strongPassword = "Kiroku2026yamada!"

func setup(t *testing.T, db *bun.DB, cfg *portal.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, portal.Migrate(ctx, db))
	clock := clocktest.New(time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	srv := mailtest.Start(t, mailtest.Options{})
	m, err := mail.NewSMTP(&mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, Timeout: 10 * time.Second, Clock: clock.Now})
	require.NoError(t, err)
	c := portal.Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Authorizer, c.Directory, c.Clock, c.Mailer = engine, dir, clock.Now, m
	// Marks and the session lookup are bound as the server binds them.
	c.StatementCache = dbtest.StatementCache(t, db)
	c.MailFrom = mail.Address{Name: "記録商事", Email: "noreply@kiroku.example"}
	c.BaseURL = "https://crm.example.jp/portal"
	svc, err := portal.NewService(db, &c)
	require.NoError(t, err)
	sys, err := portal.NewSystem(db, &c)
	require.NoError(t, err)
	blobs, err := blob.NewLocal(t.TempDir())
	require.NoError(t, err)
	templates, err := template.NewStoreRegistry(db, nil)
	require.NoError(t, err)
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Authorizer: engine, Clock: clock.Now, Blobs: blobs})
	require.NoError(t, err)
	customers, err := customer.NewService(db, &customer.Config{Authorizer: engine, Clock: clock.Now})
	require.NoError(t, err)
	disp, err := outbox.NewDispatcher(db, sys.Handlers(), &outbox.Config{Clock: clock.Now, Backoff: func(int) time.Duration { return 0 }})
	require.NoError(t, err)

	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事", CustomerVisibility: permission.VisibilityAll})
	require.NoError(t, err)
	mk := func(name, email string, role permission.Role) uuid.UUID {
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: name, Email: email, Roles: []permission.Role{role}, Active: true})
		require.NoError(t, err)
		return u.ID
	}
	f := &fixture{db: db, clock: clock, svc: svc, sys: sys, records: records, srv: srv, disp: disp, tenant: tenant.ID}
	adminID := mk("管理 太郎", "admin@kiroku.example", permission.RoleAdmin)
	managerID := mk("課長 花子", "manager@kiroku.example", permission.RoleManager)
	f.tantoID = mk("担当 一郎", "tanto@kiroku.example", permission.RoleStaff)
	f.fukuID = mk("副担 二郎", "fuku@kiroku.example", permission.RoleStaff)
	otherID := mk("別課 三郎", "other@kiroku.example", permission.RoleStaff)
	partnerID := mk("代理店 四郎", "partner@kiroku.example", permission.RolePartner)
	g, err := dir.CreateGroup(ctx, tenant.ID, "営業1課")
	require.NoError(t, err)
	require.NoError(t, dir.SetGroupMembers(ctx, tenant.ID, g.ID, []permission.Member{{User: managerID, Manager: true}, {User: f.tantoID}}))
	as := func(u uuid.UUID) context.Context {
		p, err := dir.Principal(ctx, tenant.ID, u)
		require.NoError(t, err)
		return permission.WithPrincipal(ctx, p)
	}
	f.admin, f.manager, f.tanto, f.fuku, f.other, f.partner = as(adminID), as(managerID), as(f.tantoID), as(f.fukuID), as(otherID), as(partnerID)
	f.yamada, err = customers.Create(f.tanto, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ",
		Email: "taro@example.jp", Assignees: []uuid.UUID{f.tantoID, f.fukuID}})
	require.NoError(t, err)
	f.sato, err = customers.Create(f.other, customer.Profile{FamilyName: "佐藤", GivenName: "花", FamilyKana: "サトウ", GivenKana: "ハナ", Assignees: []uuid.UUID{otherID}})
	require.NoError(t, err)
	return f
}

// deliver runs the dispatcher until no message is due.
func (f *fixture) deliver(t *testing.T) {
	t.Helper()
	for range 50 {
		n, err := f.disp.RunOnce(context.Background())
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox never ran dry")
}

// mails returns the decoded mails accepted for an envelope recipient.
func (f *fixture) mails(t *testing.T, to string) []mailtest.Content {
	t.Helper()
	var out []mailtest.Content
	for _, m := range f.srv.Messages() {
		if slices.Contains(m.To, to) {
			out = append(out, m.Parse(t))
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https://crm\.example\.jp/portal/(invitation|reset)/([A-Za-z0-9_-]+)`)

// link returns the token of the link in a mail.
func link(t *testing.T, c mailtest.Content) string {
	t.Helper()
	m := linkRE.FindStringSubmatch(c.Text)
	require.NotNil(t, m, c.Text)
	return m[2]
}

func requireField(t *testing.T, err error, field, code string) {
	t.Helper()
	var v *validation.Error
	require.ErrorAs(t, err, &v)
	require.True(t, v.Has(field, code), "%v lacks %s: %s", err, field, code)
}

// register invites yamada by QR code and registers with strongPassword.
func (f *fixture) register(t *testing.T) *portal.Session {
	t.Helper()
	iss, err := f.svc.Invite(f.tanto, f.yamada.ID, portal.ChannelQR)
	require.NoError(t, err)
	inv, err := f.sys.Invitation(context.Background(), iss.Token)
	require.NoError(t, err)
	_, sess, err := f.sys.Register(context.Background(), iss.Token, portal.Registration{
		Email: inv.Email, Password: strongPassword, AcceptTerms: true, TermsVersion: inv.Terms.Version})
	require.NoError(t, err)
	return sess
}

func TestInviteAndRegister(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, nil)
		ctx := context.Background()

		// Staff who may edit the customer invite; the others may not.
		_, err := f.svc.Invite(f.partner, f.yamada.ID, portal.ChannelQR)
		require.ErrorIs(t, err, portal.ErrNotFound)
		_, err = f.svc.Invite(f.tanto, f.yamada.ID, "fax")
		requireField(t, err, "channel", validation.CodeUnknown)
		first, err := f.svc.Invite(f.tanto, f.yamada.ID, portal.ChannelURL)
		require.NoError(t, err)
		require.Equal(t, "https://crm.example.jp/portal/invitation/"+first.Token, first.URL)
		second, err := f.svc.Invite(f.other, f.yamada.ID, portal.ChannelQR) // visibility all: other staff may
		require.NoError(t, err)
		require.Equal(t, first.Invitation.ExpiresAt.Sub(first.Invitation.CreatedAt), portal.DefaultInvitationTTL)
		acc, err := f.svc.Account(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, portal.StatusInvited, acc.Status)
		st, err := f.svc.Statuses(f.tanto, []uuid.UUID{f.yamada.ID, f.sato.ID})
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID]portal.Status{f.yamada.ID: portal.StatusInvited}, st)
		marks, err := f.svc.Marks(f.tanto, []uuid.UUID{f.yamada.ID, f.sato.ID, uuid.New()})
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID]portal.Mark{f.yamada.ID: {Name: "山田 太郎", Status: portal.StatusInvited},
			f.sato.ID: {Name: f.sato.DisplayName()}}, marks)
		marks, err = f.svc.Marks(f.partner, []uuid.UUID{f.yamada.ID})
		require.NoError(t, err)
		require.Empty(t, marks, "the partner does not see yamada")

		// The form shows the customer and the terms; the link is not used.
		inv, err := f.sys.Invitation(ctx, first.Token)
		require.NoError(t, err)
		require.Equal(t, "山田 太郎", inv.CustomerName)
		require.Equal(t, "taro@example.jp", inv.Email)
		require.Equal(t, "記録商事", inv.TenantName)
		require.Equal(t, 0, inv.Terms.Version)
		_, err = f.sys.Invitation(ctx, "no-such-token")
		require.ErrorIs(t, err, portal.ErrBadToken)

		// Every problem at once, and the link stays usable.
		_, _, err = f.sys.Register(ctx, first.Token, portal.Registration{Email: "not-an-address", Password: "abcdefgh", TermsVersion: 3})
		requireField(t, err, "email", validation.CodeFormat)
		requireField(t, err, "password", portal.CodeLettersDigits)
		requireField(t, err, "accept_terms", validation.CodeRequired)
		requireField(t, err, "terms_version", portal.CodeStale)
		_, _, err = f.sys.Register(ctx, first.Token, portal.Registration{Email: "taro@example.jp", Password: "yamada1", AcceptTerms: true})
		requireField(t, err, "password", portal.CodeTooShort)
		_, _, err = f.sys.Register(ctx, first.Token, portal.Registration{Email: "taro@example.jp", Password: "password1", AcceptTerms: true})
		requireField(t, err, "password", portal.CodeWeak)

		// A new version of the terms makes the form's version stale.
		terms, err := f.svc.SetTerms(f.admin, "新しい利用規約")
		require.NoError(t, err)
		_, err = f.svc.SetTerms(f.tanto, "x")
		require.ErrorIs(t, err, portal.ErrPermissionDenied)
		_, _, err = f.sys.Register(ctx, first.Token, portal.Registration{Email: "taro@example.jp", Password: strongPassword, AcceptTerms: true})
		requireField(t, err, "terms_version", portal.CodeStale)

		tok, sess, err := f.sys.Register(ctx, first.Token, portal.Registration{
			Email: " Taro@Example.JP ", Password: strongPassword, AcceptTerms: true, TermsVersion: terms.Version})
		require.NoError(t, err)
		require.Equal(t, f.yamada.ID, sess.Customer)
		got, err := f.sys.Session(ctx, tok)
		require.NoError(t, err)
		require.Equal(t, permission.Customer, got.Principal.Kind)

		// Single use; registration revoked the other invitation.
		_, _, err = f.sys.Register(ctx, first.Token, portal.Registration{Email: "taro@example.jp", Password: strongPassword, AcceptTerms: true, TermsVersion: terms.Version})
		require.ErrorIs(t, err, portal.ErrBadToken)
		_, err = f.sys.Invitation(ctx, second.Token)
		require.ErrorIs(t, err, portal.ErrBadToken)
		invs, err := f.svc.Invitations(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Len(t, invs, 2)
		require.NotNil(t, invs[0].RevokedAt) // second (newest first)
		require.NotNil(t, invs[1].UsedAt)

		acc, err = f.svc.Account(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, portal.StatusActive, acc.Status)
		require.Equal(t, "taro@example.jp", acc.Email)
		require.Equal(t, terms.Version, acc.TermsVersion)
		require.NotNil(t, acc.RegisteredAt)

		// No invitation after registration.
		_, err = f.svc.Invite(f.tanto, f.yamada.ID, portal.ChannelQR)
		requireField(t, err, "customer", portal.CodeRegistered)

		// Audited: invitations by staff, registration by the customer.
		log, err := permission.AuditLog(f.admin, f.db, permission.AuditQuery{ObjectType: "portal_account"})
		require.NoError(t, err)
		var actions []string
		for _, e := range log {
			actions = append(actions, string(e.ActorKind)+":"+e.Action)
		}
		require.Subset(t, actions, []string{"staff:invite", "customer:register", "customer:login"}[:2])
	})
}

func TestInvitationExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, &portal.Config{InvitationTTL: 48 * time.Hour})
		iss, err := f.svc.Invite(f.tanto, f.yamada.ID, portal.ChannelQR)
		require.NoError(t, err)
		f.clock.Advance(47 * time.Hour)
		_, err = f.sys.Invitation(context.Background(), iss.Token)
		require.NoError(t, err)
		f.clock.Advance(time.Hour)
		_, err = f.sys.Invitation(context.Background(), iss.Token)
		require.ErrorIs(t, err, portal.ErrBadToken)
		_, _, err = f.sys.Register(context.Background(), iss.Token, portal.Registration{Email: "taro@example.jp", Password: strongPassword, AcceptTerms: true})
		require.ErrorIs(t, err, portal.ErrBadToken)
	})
}

func TestInvitationMailResendUntilRegistered(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, nil)
		ctx := context.Background()
		_, err := f.svc.SendInvitation(f.other, f.sato.ID)
		requireField(t, err, "email", validation.CodeRequired)

		preview, err := f.svc.InvitationMail(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Contains(t, preview.Text, "(送信時に発行される登録用URL)")
		require.Equal(t, "担当 一郎", preview.From.Name)

		for range 2 {
			_, err := f.svc.SendInvitation(f.tanto, f.yamada.ID)
			require.NoError(t, err)
			f.clock.Advance(time.Minute)
		}
		f.deliver(t)
		ms := f.mails(t, "taro@example.jp")
		require.Len(t, ms, 2)
		require.Contains(t, ms[0].Text, "山田 太郎 様")
		require.Equal(t, "担当 一郎", ms[0].From[0].Name)
		require.Equal(t, "tanto@kiroku.example", ms[0].ReplyTo[0].Address)
		a, b := link(t, ms[0]), link(t, ms[1])
		require.NotEqual(t, a, b)
		invs, err := f.svc.Invitations(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Len(t, invs, 2)
		for _, inv := range invs {
			require.Equal(t, portal.ChannelMail, inv.Channel)
			require.NotNil(t, inv.SentAt)
		}

		_, _, err = f.sys.Register(ctx, b, portal.Registration{Email: "taro@example.jp", Password: strongPassword, AcceptTerms: true})
		require.NoError(t, err)
		_, err = f.sys.Invitation(ctx, a)
		require.ErrorIs(t, err, portal.ErrBadToken)
		_, err = f.svc.SendInvitation(f.tanto, f.yamada.ID)
		requireField(t, err, "customer", portal.CodeRegistered)
	})
}

func TestLockoutAndUnlock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, nil)
		ctx := context.Background()
		sess := f.register(t)
		tok, _, err := f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.NoError(t, err)

		// Four failures, then the right password: the count starts again.
		for range portal.DefaultMaxFailures - 1 {
			_, _, err := f.sys.Login(ctx, "taro@example.jp", "wrong-password-1")
			require.ErrorIs(t, err, portal.ErrBadCredentials)
		}
		_, _, err = f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.NoError(t, err)
		// Exactly five consecutive failures lock it.
		for i := range portal.DefaultMaxFailures {
			acc, err := f.svc.Account(f.tanto, f.yamada.ID)
			require.NoError(t, err)
			require.Equal(t, portal.StatusActive, acc.Status, "after %d failures", i)
			_, _, err = f.sys.Login(ctx, "taro@example.jp", "wrong-password-1")
			require.ErrorIs(t, err, portal.ErrBadCredentials)
		}
		acc, err := f.svc.Account(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, portal.StatusLocked, acc.Status)
		require.Equal(t, portal.DefaultMaxFailures, acc.Failures)
		// Locked: the right password fails the same way, sessions end.
		_, _, err = f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.ErrorIs(t, err, portal.ErrBadCredentials)
		_, err = f.sys.Session(ctx, tok)
		require.ErrorIs(t, err, portal.ErrNoSession)
		// Not a timed lock.
		f.clock.Advance(72 * time.Hour)
		_, _, err = f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.ErrorIs(t, err, portal.ErrBadCredentials)

		// One notice to the customer and one to each assignee, once.
		f.deliver(t)
		for range 3 {
			_, _, err = f.sys.Login(ctx, "taro@example.jp", "wrong-password-1")
			require.ErrorIs(t, err, portal.ErrBadCredentials)
		}
		f.deliver(t)
		cm := f.mails(t, "taro@example.jp")
		require.Len(t, cm, 1)
		require.Contains(t, cm[0].Subject, "ログインアカウント停止通知")
		require.Contains(t, cm[0].Text, "メールアドレス: taro@example.jp")
		require.Contains(t, cm[0].Text, "最新失敗日時: 2026/12/05 10:00")
		for _, to := range []string{"tanto@kiroku.example", "fuku@kiroku.example"} {
			sm := f.mails(t, to)
			require.Len(t, sm, 1, to)
			require.Contains(t, sm[0].Subject, "顧客アカウント停止通知")
			require.Contains(t, sm[0].Text, "アカウントロック一覧")
		}
		require.Empty(t, f.mails(t, "manager@kiroku.example"))

		// The locked list and unlock rights: assignees, their group's
		// managers, admins — not other staff, partners or the customer.
		for _, who := range []context.Context{f.tanto, f.fuku, f.manager, f.admin} {
			l, err := f.svc.Locked(who)
			require.NoError(t, err)
			require.Len(t, l, 1)
			require.Equal(t, "山田 太郎", l[0].CustomerName)
			require.Equal(t, "taro@example.jp", l[0].Email)
		}
		for _, who := range []context.Context{f.other, f.partner} {
			l, err := f.svc.Locked(who)
			require.NoError(t, err)
			require.Empty(t, l)
		}
		require.ErrorIs(t, f.svc.Unlock(f.other, f.yamada.ID), portal.ErrPermissionDenied)
		require.ErrorIs(t, f.svc.Unlock(f.partner, f.yamada.ID), portal.ErrNotFound)
		// MayManage answers by the rule Unlock checks.
		for who, want := range map[context.Context]bool{f.other: false, f.tanto: true, f.manager: true} {
			ok, err := f.svc.MayManage(who, f.yamada.ID)
			require.NoError(t, err)
			require.Equal(t, want, ok)
		}
		_, err = f.svc.MayManage(f.partner, f.yamada.ID)
		require.ErrorIs(t, err, portal.ErrNotFound)
		_, err = f.svc.MayManage(permission.WithPrincipal(ctx, sess.Principal), f.yamada.ID)
		require.ErrorIs(t, err, portal.ErrPermissionDenied)
		require.ErrorIs(t, f.svc.Unlock(permission.WithPrincipal(ctx, sess.Principal), f.yamada.ID), portal.ErrPermissionDenied)
		_, err = f.svc.Locked(permission.WithPrincipal(ctx, sess.Principal))
		require.ErrorIs(t, err, portal.ErrPermissionDenied)

		require.NoError(t, f.svc.Unlock(f.manager, f.yamada.ID))
		requireField(t, f.svc.Unlock(f.manager, f.yamada.ID), "customer", validation.CodeNotAllowed)
		acc, err = f.svc.Account(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, portal.StatusActive, acc.Status)
		require.Zero(t, acc.Failures)
		f.deliver(t)
		cm = f.mails(t, "taro@example.jp")
		require.Len(t, cm, 2)
		require.Contains(t, cm[1].Subject, "停止解除")
		require.Contains(t, cm[1].Text, "https://crm.example.jp/portal/login")
		_, _, err = f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.NoError(t, err)
	})
}

func TestLockoutThreshold(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, &portal.Config{MaxFailures: 2})
		f.register(t)
		ctx := context.Background()
		_, _, err := f.sys.Login(ctx, "taro@example.jp", "wrong-password-1")
		require.ErrorIs(t, err, portal.ErrBadCredentials)
		acc, err := f.svc.Account(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, portal.StatusActive, acc.Status)
		_, _, err = f.sys.Login(ctx, "taro@example.jp", "wrong-password-1")
		require.ErrorIs(t, err, portal.ErrBadCredentials)
		acc, err = f.svc.Account(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, portal.StatusLocked, acc.Status)
	})
}

func TestAnswersNeverRevealAccounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, nil)
		ctx := context.Background()
		f.register(t)
		_, err := f.svc.Invite(f.other, f.sato.ID, portal.ChannelQR) // invited, never registered
		require.NoError(t, err)
		for _, c := range []struct{ email, pw string }{
			{"nobody@example.jp", strongPassword}, // no account
			{"taro@example.jp", "wrong-password-1"},
			{"", ""},
		} {
			_, _, err := f.sys.Login(ctx, c.email, c.pw)
			require.True(t, errors.Is(err, portal.ErrBadCredentials) && err.Error() == portal.ErrBadCredentials.Error(), "%q: %v", c.email, err)
		}
		require.NoError(t, f.svc.Deactivate(f.tanto, f.yamada.ID))
		_, _, err = f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.Equal(t, portal.ErrBadCredentials, err)
		// Reset requests answer the same, and mail only active accounts.
		require.NoError(t, f.sys.RequestReset(ctx, "nobody@example.jp"))
		require.NoError(t, f.sys.RequestReset(ctx, "taro@example.jp"))
		f.deliver(t)
		require.Empty(t, f.srv.Messages())
	})
}

func TestResetChangeDeactivate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, nil)
		ctx := context.Background()
		f.register(t)

		require.NoError(t, f.sys.RequestReset(ctx, "TARO@example.jp"))
		f.deliver(t)
		ms := f.mails(t, "taro@example.jp")
		require.Len(t, ms, 1)
		tok := link(t, ms[0])
		requireField(t, f.sys.Reset(ctx, tok, "short1"), "password", portal.CodeTooShort)
		const second = "Sakura-Hanami-2027"
		require.NoError(t, f.sys.Reset(ctx, tok, second))
		require.ErrorIs(t, f.sys.Reset(ctx, tok, second+"x"), portal.ErrBadToken)
		_, _, err := f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.ErrorIs(t, err, portal.ErrBadCredentials)
		stok, sess, err := f.sys.Login(ctx, "taro@example.jp", second)
		require.NoError(t, err)

		// A reset link expires.
		require.NoError(t, f.sys.RequestReset(ctx, "taro@example.jp"))
		f.deliver(t)
		ms = f.mails(t, "taro@example.jp")
		require.Len(t, ms, 2)
		f.clock.Advance(portal.DefaultResetTTL)
		require.ErrorIs(t, f.sys.Reset(ctx, link(t, ms[1]), "Another-Passw0rd-9"), portal.ErrBadToken)

		// Changes by the customer, confirmed by the password.
		me := permission.WithPrincipal(ctx, sess.Principal)
		requireField(t, f.svc.ChangePassword(me, "wrong", "Momiji-Kouyou-2028"), "current_password", portal.CodeWrongPassword)
		requireField(t, f.svc.ChangeEmail(me, second, "bad"), "email", validation.CodeFormat)
		require.ErrorIs(t, f.svc.ChangePassword(f.tanto, second, "Momiji-Kouyou-2028"), portal.ErrPermissionDenied)
		require.NoError(t, f.svc.ChangeEmail(me, second, "taro.yamada@example.jp"))
		_, _, err = f.sys.Login(ctx, "taro@example.jp", second)
		require.ErrorIs(t, err, portal.ErrBadCredentials)
		_, _, err = f.sys.Login(ctx, "taro.yamada@example.jp", second)
		require.NoError(t, err)
		require.NoError(t, f.svc.ChangePassword(me, second, "Momiji-Kouyou-2028"))
		_, err = f.sys.Session(ctx, stok)
		require.ErrorIs(t, err, portal.ErrNoSession) // a password change ends sessions
		stok, _, err = f.sys.Login(ctx, "taro.yamada@example.jp", "Momiji-Kouyou-2028")
		require.NoError(t, err)

		// Deactivate ends access; restore gives it back. Assignees,
		// managers, admins only.
		require.ErrorIs(t, f.svc.Deactivate(f.other, f.yamada.ID), portal.ErrPermissionDenied)
		require.NoError(t, f.svc.Deactivate(f.fuku, f.yamada.ID))
		_, err = f.sys.Session(ctx, stok)
		require.ErrorIs(t, err, portal.ErrNoSession)
		_, _, err = f.sys.Login(ctx, "taro.yamada@example.jp", "Momiji-Kouyou-2028")
		require.ErrorIs(t, err, portal.ErrBadCredentials)
		st, err := f.svc.Statuses(f.tanto, []uuid.UUID{f.yamada.ID})
		require.NoError(t, err)
		require.Empty(t, st)
		marks, err := f.svc.Marks(f.tanto, []uuid.UUID{f.yamada.ID})
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID]portal.Mark{f.yamada.ID: {Name: "山田 太郎"}}, marks, "a deactivated account has no mark")
		require.NoError(t, f.svc.Restore(f.admin, f.yamada.ID))
		_, _, err = f.sys.Login(ctx, "taro.yamada@example.jp", "Momiji-Kouyou-2028")
		require.NoError(t, err)
	})
}

// A customer principal from the portal reads through contactlog only the
// shared records of its own customer, without private memos, expenses,
// report-to or scope.
func TestCustomerReadsSharedRecordsOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, nil)
		ctx := context.Background()
		sess := f.register(t)
		mk := func(ctx context.Context, cust uuid.UUID, shared bool, memo string) *contactlog.Record {
			r, err := f.records.Create(ctx, contactlog.Entry{Template: "builtin:interview", Customer: cust, Channel: "visit",
				PublicMemo: memo, PrivateMemo: "社内のみ", Shared: shared, ReportTo: []uuid.UUID{f.fukuID}})
			require.NoError(t, err)
			return r
		}
		shared := mk(f.tanto, f.yamada.ID, true, "お見積りをお送りします")
		hidden := mk(f.tanto, f.yamada.ID, false, "社内検討中")
		otherShared := mk(f.other, f.sato.ID, true, "佐藤様向け")

		me := permission.WithPrincipal(ctx, sess.Principal)
		page, err := f.records.Search(me, contactlog.Query{})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		got := page.Records[0]
		require.Equal(t, shared.ID, got.ID)
		require.Equal(t, "お見積りをお送りします", got.PublicMemo)
		require.Empty(t, got.PrivateMemo)
		require.Empty(t, got.ReportTo)
		r, err := f.records.Get(me, shared.ID)
		require.NoError(t, err)
		require.Empty(t, r.PrivateMemo)
		for _, id := range []uuid.UUID{hidden.ID, otherShared.ID} {
			_, err := f.records.Get(me, id)
			require.ErrorIs(t, err, contactlog.ErrNotFound)
		}
		_, err = f.records.Comments().List(me, shared.ID)
		require.ErrorIs(t, err, contactlog.ErrPermissionDenied)
	})
}

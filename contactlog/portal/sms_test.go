package portal_test

import (
	"context"
	"regexp"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// smsChannel is an SMS channel that serves the tenants in serves (as a
// plugin serves those that installed it) and keeps what it delivers.
type smsChannel struct {
	mu     sync.Mutex
	serves map[uuid.UUID]bool
	sent   []notify.Message
}

var _ notify.Scoped = (*smsChannel)(nil)

func (c *smsChannel) Name() string { return "sms" }

func (c *smsChannel) Serves(_ context.Context, tenant uuid.UUID) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serves[tenant], nil
}

func (c *smsChannel) Deliver(_ context.Context, _ uuid.UUID, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, m)
	return nil
}

func (c *smsChannel) messages() []notify.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]notify.Message(nil), c.sent...)
}

var smsLinkRE = regexp.MustCompile(`https://crm\.example\.jp/portal/invitation/([A-Za-z0-9_-]+)`)

// An invitation by SMS goes through the outbox to the SMS channel: refused
// in a tenant without one and for a customer without a mobile number; the
// link is made at delivery and only its hash stored; it registers like
// any other.
func TestSMSInvitation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ch := &smsChannel{serves: map[uuid.UUID]bool{}}
		f := setup(t, db, &portal.Config{SMS: ch})
		ctx := context.Background()

		// The channel does not serve this tenant (plugin not installed).
		ok, err := f.svc.SMSAvailable(f.tanto)
		require.NoError(t, err)
		require.False(t, ok)
		_, err = f.svc.SendSMSInvitation(f.tanto, f.yamada.ID)
		requireField(t, err, "channel", portal.CodeNoSMS)
		requireField(t, err, "mobile", validation.CodeRequired) // both problems at once
		ch.mu.Lock()
		ch.serves[f.tenant] = true
		ch.mu.Unlock()
		ok, err = f.svc.SMSAvailable(f.tanto)
		require.NoError(t, err)
		require.True(t, ok)
		_, err = f.svc.InvitationSMS(f.tanto, f.yamada.ID)
		requireField(t, err, "mobile", validation.CodeRequired)
		var v *validation.Error
		require.ErrorAs(t, err, &v)
		require.False(t, v.Has("channel", ""))

		_, err = db.NewUpdate().TableExpr("customers").Set("mobile = ?", "090-1234-5678").
			Where("tenant_id = ?", f.tenant).Where("id = ?", f.yamada.ID).Exec(ctx)
		require.NoError(t, err)
		_, err = f.svc.SendSMSInvitation(f.partner, f.yamada.ID)
		require.ErrorIs(t, err, portal.ErrNotFound, "only staff who may edit the customer")

		preview, err := f.svc.InvitationSMS(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, "090-1234-5678", preview.Phone)
		require.Contains(t, preview.Body, "山田 太郎様")
		require.Contains(t, preview.Body, "担当 担当 一郎")
		require.Contains(t, preview.Body, "(送信時に発行される登録用URL)")

		inv, err := f.svc.SendSMSInvitation(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, portal.ChannelSMS, inv.Channel)
		require.Nil(t, inv.SentAt)
		require.Empty(t, ch.messages(), "sent by the dispatcher, not by the call")
		tokens, err := db.NewSelect().TableExpr("portal_tokens").Where("tenant_id = ?", f.tenant).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, tokens, "no link before delivery")

		f.deliver(t)
		sent := ch.messages()
		require.Len(t, sent, 1)
		require.Equal(t, f.yamada.ID, sent[0].Recipient)
		require.Equal(t, "090-1234-5678", sent[0].Phone)
		require.Equal(t, inv.ID.String(), sent[0].Key)
		require.Empty(t, f.srv.Messages(), "no mail")
		m := smsLinkRE.FindStringSubmatch(sent[0].Body)
		require.NotNil(t, m, sent[0].Body)
		raw := m[1]
		var stored [][]byte
		require.NoError(t, db.NewSelect().TableExpr("portal_tokens").Column("token_hash").Where("tenant_id = ?", f.tenant).Scan(ctx, &stored))
		require.Len(t, stored, 1)
		require.NotEqual(t, []byte(raw), stored[0], "only a hash is stored")
		var payloads []string
		require.NoError(t, db.NewSelect().TableExpr("outbox_messages").Column("payload").Where("tenant_id = ?", f.tenant).Scan(ctx, &payloads))
		require.NotEmpty(t, payloads)
		for _, p := range payloads {
			require.NotContains(t, p, raw, "the link is not in the outbox")
		}

		invs, err := f.svc.Invitations(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Len(t, invs, 1)
		require.NotNil(t, invs[0].SentAt, "the send time is recorded")

		form, err := f.sys.Invitation(ctx, raw)
		require.NoError(t, err)
		_, _, err = f.sys.Register(ctx, raw, portal.Registration{Email: form.Email, Password: strongPassword,
			AcceptTerms: true, TermsVersion: form.Terms.Version})
		require.NoError(t, err)
		_, err = f.svc.SendSMSInvitation(f.tanto, f.yamada.ID)
		requireField(t, err, "customer", portal.CodeRegistered)
	})
}

// Without an SMS channel configured, an SMS invitation is refused clearly.
func TestSMSInvitationWithoutChannel(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, nil)
		ok, err := f.svc.SMSAvailable(f.tanto)
		require.NoError(t, err)
		require.False(t, ok)
		_, err = f.svc.SendSMSInvitation(f.tanto, f.yamada.ID)
		requireField(t, err, "channel", portal.CodeNoSMS)
	})
}

// An SMS waiting in the outbox for a tenant the channel stopped serving
// (the plugin was uninstalled) is given up, without making a link.
func TestSMSInvitationChannelGone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ch := &smsChannel{serves: map[uuid.UUID]bool{}}
		f := setup(t, db, &portal.Config{SMS: ch})
		ctx := context.Background()
		ch.serves[f.tenant] = true
		_, err := db.NewUpdate().TableExpr("customers").Set("mobile = ?", "090-1234-5678").
			Where("tenant_id = ?", f.tenant).Where("id = ?", f.yamada.ID).Exec(ctx)
		require.NoError(t, err)
		_, err = f.svc.SendSMSInvitation(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		ch.mu.Lock()
		ch.serves[f.tenant] = false
		ch.mu.Unlock()
		f.deliver(t)
		require.Empty(t, ch.messages())
		tokens, err := db.NewSelect().TableExpr("portal_tokens").Where("tenant_id = ?", f.tenant).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, tokens)
		invs, err := f.svc.Invitations(f.tanto, f.yamada.ID)
		require.NoError(t, err)
		require.Nil(t, invs[0].SentAt)
	})
}

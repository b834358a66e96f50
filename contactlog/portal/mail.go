package portal

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Handlers returns the outbox handlers of the portal's mails, by topic:
// TopicInvitation (the invitation mail, or text message through
// Config.SMS; the link is made now and only its hash stored, and
// Invitation.SentAt set — an invitation no longer open is dropped; an SMS
// for a tenant Config.SMS no longer serves fails permanently), TopicLocked (the lock notices to the customer and to each
// assigned staff member), TopicUnlocked (the unlock notice to the
// customer) and TopicReset (the reset link, made now; dropped when the
// account can no longer log in). Pass them, merged with the other
// engines' handlers, to outbox.NewDispatcher. They mail through
// Config.Mailer: without one, deliveries fail and are retried. A
// recipient without an e-mail address is a permanent failure.
func (s *System) Handlers() map[string]outbox.Handler {
	return map[string]outbox.Handler{
		TopicInvitation: outbox.HandlerFunc(s.deliverInvitation),
		TopicLocked:     outbox.HandlerFunc(s.deliverLock),
		TopicUnlocked:   outbox.HandlerFunc(s.deliverLock),
		TopicReset:      outbox.HandlerFunc(s.deliverReset),
	}
}

var errNoMailer = errors.New("no Mailer configured (Config.Mailer); the mail is retried")

func (c core) send(ctx context.Context, msg mail.Message) error {
	if c.cfg.Mailer == nil {
		return errNoMailer
	}
	for _, to := range msg.To {
		if to.Email == "" {
			return outbox.Permanent(errors.New("recipient has no e-mail address"))
		}
	}
	msg.Text += "\n" + mailFooter
	return c.cfg.Mailer.Send(ctx, msg)
}

// sendDelivery ends the handling of outbox message m: when the handler's
// own work succeeded (err nil) and wants a mail (send), it sends msg; any
// error names m.
func (s *System) sendDelivery(ctx context.Context, m outbox.Message, msg mail.Message, send bool, err error) error {
	if err == nil && send {
		err = s.send(ctx, msg)
	}
	if err != nil {
		return fmt.Errorf("portal: deliver %s %s: %w", m.Topic, m.ID, err)
	}
	return nil
}

const mailFooter = "-- \nこのメールは自動送信されています。\n"

func (s *System) deliverInvitation(ctx context.Context, m outbox.Message) error {
	var p invitationPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("portal: invitation payload: %w", err))
	}
	var msg mail.Message
	var sms notify.Message
	var send, bySMS bool
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		var inv Invitation
		err := tx.NewSelect().Model(&inv).Where("pi.tenant_id = ?", m.Tenant).Where("pi.id = ?", p.Invitation).Scan(ctx)
		if errors.Is(storage.Err(err), ErrNotFound) {
			return nil
		}
		if err != nil {
			return storage.Err(err)
		}
		a, err := s.account(ctx, tx, m.Tenant, inv.Account, true)
		if err != nil {
			return err
		}
		now := s.now()
		if !inv.Open(now) || a.Status != StatusInvited || a.Deactivated() {
			return nil
		}
		ci, err := loadCustomer(ctx, tx, a.Tenant, a.Customer)
		bySMS = inv.Channel == ChannelSMS
		if errors.Is(err, ErrNotFound) || (err == nil && (bySMS && ci.Mobile == "" || !bySMS && ci.Email == "")) {
			return nil
		}
		if err != nil {
			return err
		}
		if bySMS {
			if ok, err := s.smsServes(ctx, a.Tenant); err != nil || !ok {
				return cmp.Or(err, outbox.Permanent(errors.New("the tenant has no SMS channel (Config.SMS)")))
			}
		}
		raw, err := mint(ctx, tx, a, purposeInvite, inv.ID, inv.ExpiresAt)
		if err != nil {
			return err
		}
		if bySMS {
			sms, err = s.invitationSMS(ctx, tx, a.Tenant, inv.CreatedBy, ci, inv.ID, s.invitationURL(raw))
		} else {
			msg, err = s.invitationMail(ctx, tx, a.Tenant, inv.CreatedBy, ci, s.invitationURL(raw))
		}
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Invitation)(nil)).Set("sent_at = ?", now).
			Where("pi.tenant_id = ?", inv.Tenant).Where("pi.id = ?", inv.ID).Exec(ctx); err != nil {
			return storage.Err(err)
		}
		send = true
		return nil
	})
	if bySMS && send && err == nil {
		if err := s.cfg.SMS.Deliver(ctx, m.Tenant, sms); err != nil {
			return fmt.Errorf("portal: deliver %s %s by sms: %w", m.Topic, m.ID, err)
		}
		return nil
	}
	return s.sendDelivery(ctx, m, msg, send && !bySMS, err)
}

// invitationSMS writes the text message inviting ci by the staff member
// from, linking to url: short, since every character is paid for. key is
// the invitation (the message's Key).
func (c core) invitationSMS(ctx context.Context, db bun.IDB, tenant, from uuid.UUID, ci *customerInfo, key uuid.UUID, url string) (notify.Message, error) {
	dir := c.dir.WithDB(db)
	t, err := dir.Tenant(ctx, tenant)
	if err != nil {
		return notify.Message{}, err
	}
	sender := "担当者"
	if staff, err := dir.User(ctx, tenant, from); err == nil {
		sender = oneLine(staff.Name)
	} else if !errors.Is(err, ErrNotFound) {
		return notify.Message{}, err
	}
	body := fmt.Sprintf("【%s】%s様 お客様ページへのご招待です（担当 %s）。下記URLからご登録ください。%d日間有効・1回限り。\n%s",
		oneLine(t.Name), oneLine(ci.Name), sender, int(c.cfg.InvitationTTL/(24*time.Hour)), url)
	return notify.Message{Recipient: ci.ID, Name: oneLine(ci.Name), Phone: ci.Mobile,
		Subject: fmt.Sprintf("【%s】お客様ページへのご招待", oneLine(t.Name)), Body: body, Key: key.String()}, nil
}

// invitationMail writes the invitation of ci by the staff member from,
// linking to url (the manual's システム招待メール).
func (c core) invitationMail(ctx context.Context, db bun.IDB, tenant, from uuid.UUID, ci *customerInfo, url string) (mail.Message, error) {
	dir := c.dir.WithDB(db)
	t, err := dir.Tenant(ctx, tenant)
	if err != nil {
		return mail.Message{}, err
	}
	staff, err := dir.User(ctx, tenant, from)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return mail.Message{}, err
	}
	sender := "担当者"
	msg := mail.Message{From: c.cfg.MailFrom, To: []mail.Address{{Name: oneLine(ci.Name), Email: ci.Email}}}
	if staff != nil {
		sender = oneLine(staff.Name)
		msg.From.Name = oneLine(staff.Name)
		if staff.Email != "" {
			msg.ReplyTo = mail.Address{Name: oneLine(staff.Name), Email: staff.Email}
		}
	}
	msg.Subject = fmt.Sprintf("【%s】お客様ページへのご招待", oneLine(t.Name))
	var b strings.Builder
	fmt.Fprintf(&b, "%s 様\n\nいつもお世話になっております。\n%sの%sでございます。\n\n", oneLine(ci.Name), oneLine(t.Name), sender)
	b.WriteString("お客様との面談内容や資料等をオンラインで管理・閲覧するお客様ページをご用意しました。\n\n")
	b.WriteString("下記のリンクを開き、パスワードを決めてご登録いただきますと、\nお客様ご自身でログインし、共有した記録や資料をいつでもご覧いただけます。\n\n")
	fmt.Fprintf(&b, "ご登録ページアドレス：\n%s\n\n", url)
	fmt.Fprintf(&b, "※このリンクは一度だけ使えます。有効期限は発行から%d日間です。\n", int(c.cfg.InvitationTTL/(24*time.Hour)))
	b.WriteString("※アカウントの作成や資料の閲覧は必須ではありません。\n※お心当たりがない方は、お手数ですが当社までお知らせください。\n\n")
	fmt.Fprintf(&b, "=====\n%s\n担当 %s\n=====\n", oneLine(t.Name), sender)
	msg.Text = b.String()
	return msg, nil
}

func (s *System) deliverLock(ctx context.Context, m outbox.Message) error {
	var p lockPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("portal: lock payload: %w", err))
	}
	msg, ok, err := s.lockMail(ctx, m, p)
	return s.sendDelivery(ctx, m, msg, ok, err)
}

// lockMail writes the lock or unlock notice m; ok false drops it (the
// account, customer or staff member is gone).
func (s *System) lockMail(ctx context.Context, m outbox.Message, p lockPayload) (mail.Message, bool, error) {
	a, err := s.account(ctx, s.db, m.Tenant, p.Account, false)
	if errors.Is(err, ErrNotFound) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	ci, err := loadCustomer(ctx, s.db, a.Tenant, a.Customer)
	if errors.Is(err, ErrNotFound) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	t, err := s.dir.Tenant(ctx, a.Tenant)
	if err != nil {
		return mail.Message{}, false, err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return mail.Message{}, false, err
	}
	facts := fmt.Sprintf("■ アカウント情報\nアカウントID: %s\n登録名: %s 様\nメールアドレス: %s\n最新失敗日時: %s\n",
		a.ID, oneLine(ci.Name), a.Email, p.FailedAt.In(loc).Format("2006/01/02 15:04"))
	site := oneLine(t.Name) + " お客様ページ"
	msg := mail.Message{From: s.cfg.MailFrom}
	var b strings.Builder
	switch {
	case m.Topic == TopicUnlocked:
		msg.To = []mail.Address{{Name: oneLine(ci.Name), Email: a.Email}}
		msg.Subject = fmt.Sprintf("[%s] ログインアカウント停止解除のお知らせ", site)
		fmt.Fprintf(&b, "%s 様\n\n%s をご利用いただきありがとうございます。\n担当者がアカウントのロックを解除しました。再びログインいただけます。\n\n%s\nログイン: %s\n",
			oneLine(ci.Name), site, facts, s.loginURL())
	case m.Recipient == recipientCustomer:
		msg.To = []mail.Address{{Name: oneLine(ci.Name), Email: a.Email}}
		msg.Subject = fmt.Sprintf("[%s] ログインアカウント停止通知", site)
		fmt.Fprintf(&b, "%s 様\n\n%s をご利用いただきありがとうございます。\nログイン認証の失敗回数が規定数に達しました。安全のためこのアカウントでのログインを停止しました。\n\n%s\n", oneLine(ci.Name), site, facts)
		b.WriteString("■ 対応の流れ\n担当者に「アカウントロック解除依頼」の旨をお知らせください。担当者が確認のうえ解除します。\n\n")
		b.WriteString("※万が一、ご自身でログイン失敗に記憶がない場合、他人がアカウント使用を試みた可能性があります。解除依頼の際に「不正使用の可能性」の旨をお知らせください。\n")
		b.WriteString("尚、ログイン認証は失敗しておりますので、システム内の情報が漏れることはありません。ご安心ください。\n")
	default:
		user, err := uuid.Parse(m.Recipient)
		if err != nil {
			return mail.Message{}, false, outbox.Permanent(fmt.Errorf("recipient: %w", err))
		}
		u, err := s.dir.User(ctx, a.Tenant, user)
		if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
			return mail.Message{}, false, nil
		}
		if err != nil {
			return mail.Message{}, false, err
		}
		msg.To = []mail.Address{{Name: oneLine(u.Name), Email: u.Email}}
		msg.Subject = fmt.Sprintf("[%s] 顧客アカウント停止通知", site)
		fmt.Fprintf(&b, "%s 様\n\n担当のお客様のログイン認証失敗回数が規定数に達したため、安全措置として該当アカウントでのログインを停止(アカウントロック)しました。\n\n%s\n", oneLine(u.Name), facts)
		b.WriteString("■ 対応の流れ\nお客様からお問い合わせがあるか、お客様にご確認いただき、\nシステムにログイン後、メニューから「アカウントロック一覧」を選び、\n対象のお客様の確認およびロック解除を行ってください。\n")
	}
	msg.Text = b.String()
	return msg, true, nil
}

func (s *System) deliverReset(ctx context.Context, m outbox.Message) error {
	var p resetPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("portal: reset payload: %w", err))
	}
	var msg mail.Message
	var send bool
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		a, err := s.account(ctx, tx, m.Tenant, p.Account, true)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil || !a.CanLogIn() {
			return err
		}
		ci, err := loadCustomer(ctx, tx, a.Tenant, a.Customer)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		t, err := s.dir.WithDB(tx).Tenant(ctx, a.Tenant)
		if err != nil {
			return err
		}
		raw, err := mint(ctx, tx, a, purposeReset, p.Request, s.now().Add(s.cfg.ResetTTL))
		if err != nil {
			return err
		}
		site := oneLine(t.Name) + " お客様ページ"
		msg = mail.Message{From: s.cfg.MailFrom, To: []mail.Address{{Name: oneLine(ci.Name), Email: a.Email}},
			Subject: fmt.Sprintf("[%s] パスワード再設定のご案内", site),
			Text: fmt.Sprintf("%s 様\n\nパスワード再設定のご依頼を受け付けました。\n下記のリンクから新しいパスワードを設定してください（%d分間、一度だけ有効です）。\n\n%s\n\n※お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。\n",
				oneLine(ci.Name), int(s.cfg.ResetTTL/time.Minute), s.resetURL(raw))}
		send = true
		return nil
	})
	return s.sendDelivery(ctx, m, msg, send, err)
}

// oneLine collapses white space, line breaks included, for headers.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

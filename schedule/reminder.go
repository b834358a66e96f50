package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Outbox topics of reminders. Each reminded occurrence enqueues one
// TopicReminder message (the mail) per assignee of its customer
// (Recipient: the user ID) and one TopicReminderChannel message per
// assignee and Config.Channels entry (Recipient: "<channel>:<user ID>"),
// all with the occurrence's ID as Key, so an occurrence is reminded once
// per assignee and way however many scanners run.
const (
	TopicReminder        = "schedule.reminder"
	TopicReminderChannel = "schedule.reminder_channel"
)

// ReminderPayload is the payload of both reminder topics.
type ReminderPayload struct {
	Occurrence uuid.UUID `json:"occurrence"`
}

// reminderBatch bounds the occurrences one scan query reads.
const reminderBatch = 200

// System is the schedule engine's trusted handle for wiring code: the
// reminder scan and the outbox handlers, which act for no principal and
// skip the permission engine. Never hand it to request handlers. It is
// safe for concurrent use.
type System struct {
	db  bun.IDB
	cfg Config
	dir *permission.Directory
}

// NewSystem returns the trusted handle on db. cfg is the Service's Config
// (Authorizer is not used).
func NewSystem(db bun.IDB, cfg *Config) (*System, error) {
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	if _, err := storage.Of(db); err != nil {
		return nil, err
	}
	return &System{db: db, cfg: c, dir: c.Directory}, nil
}

// EnqueueDueReminders reminds every occurrence whose reminder time is at
// or before now, which is not done, not yet reminded and whose customer is
// not deleted, in every tenant: in one transaction per occurrence it marks
// the occurrence reminded (通知済, NotifiedAt = now) and enqueues the
// reminder messages (see TopicReminder) for the customer's current
// assignees. It returns how many occurrences it reminded. Several
// processes may scan at once: each occurrence is claimed by one of them
// and its messages are deduplicated by the outbox.
func (s *System) EnqueueDueReminders(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	n := 0
	for {
		var due []occRow
		if err := s.db.NewSelect().Model(&due).Column("o.tenant_id", "o.id", "o.customer_id").
			Join(customerJoin("o")).
			Where("o.remind_at <= ?", now).Where("o.notified_at IS NULL").Where("o.done_at IS NULL").
			OrderExpr("o.remind_at, o.id").Limit(reminderBatch).Scan(ctx); err != nil {
			return n, fmt.Errorf("schedule: enqueue reminders: %w", storage.Err(err))
		}
		for i := range due {
			ok, err := s.remind(ctx, &due[i], now)
			if err != nil {
				return n, fmt.Errorf("schedule: enqueue reminders: occurrence %s: %w", due[i].ID, err)
			}
			if ok {
				n++
			}
		}
		if len(due) < reminderBatch {
			return n, nil
		}
	}
}

// remind claims one occurrence and enqueues its messages; false when
// another scanner (or a completion) got there first.
func (s *System) remind(ctx context.Context, o *occRow, now time.Time) (bool, error) {
	claimed := false
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewUpdate().Model((*occRow)(nil)).Set("notified_at = ?", now).
			Where("tenant_id = ?", o.Tenant).Where("id = ?", o.ID).
			Where("notified_at IS NULL").Where("done_at IS NULL").Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); errors.Is(err, ErrConflict) {
			return nil
		} else if err != nil {
			return err
		}
		claimed = true
		users, err := assignees(ctx, tx, o.Tenant, o.Customer)
		if err != nil {
			return err
		}
		payload, err := json.Marshal(ReminderPayload{Occurrence: o.ID})
		if err != nil {
			return err
		}
		var msgs []outbox.Message
		for _, u := range users {
			msgs = append(msgs, outbox.Message{Tenant: o.Tenant, Topic: TopicReminder, Recipient: u.String(), Key: o.ID.String(), Payload: payload})
			for _, ch := range s.cfg.Channels {
				msgs = append(msgs, outbox.Message{Tenant: o.Tenant, Topic: TopicReminderChannel, Recipient: ch.Name() + ":" + u.String(), Key: o.ID.String(), Payload: payload})
			}
		}
		return outbox.Enqueue(ctx, tx, msgs...)
	})
	return claimed, err
}

// assignees returns the staff in charge of a customer.
func assignees(ctx context.Context, db bun.IDB, tenant, cust uuid.UUID) ([]uuid.UUID, error) {
	var users []uuid.UUID
	err := customer.AssigneeRef{Alias: "ca"}.Of(db, tenant, cust).Scan(ctx, &users)
	return users, storage.Err(err)
}

// RunReminders calls EnqueueDueReminders with Config.Clock's time every
// interval until ctx ends, logging failures to Config.Logger (and trying
// again at the next tick); it returns ctx's error. Run it in each server
// process beside the outbox dispatcher.
func (s *System) RunReminders(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.EnqueueDueReminders(ctx, s.cfg.Clock()); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "schedule: reminder scan failed", "error", err)
		} else if n > 0 {
			s.cfg.Logger.InfoContext(ctx, "schedule: reminders enqueued", "occurrences", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Handlers returns the outbox handlers of the reminders and of the
// request notices (TopicRequest; nothing is sent for a request done
// meanwhile or to a recipient no longer active), by topic: pass
// them (merged with the other engines' handlers) to outbox.NewDispatcher.
// Each composes the reminder as things are at delivery: nothing is sent
// (and the message is done) when the occurrence was deleted or marked
// done meanwhile, the recipient is no longer active staff or no longer an
// assignee of the customer. A mail goes to the recipient's directory
// address through Config.Mailer (without one the delivery fails and is
// retried; a recipient without an address fails permanently); a channel
// message goes through the named Config.Channels entry (one no longer
// configured fails permanently).
func (s *System) Handlers() map[string]outbox.Handler {
	return map[string]outbox.Handler{
		TopicReminder:        outbox.HandlerFunc(s.deliverMail),
		TopicReminderChannel: outbox.HandlerFunc(s.deliverChannel),
		TopicRequest:         outbox.HandlerFunc(s.deliverMail),
		TopicRequestChannel:  outbox.HandlerFunc(s.deliverChannel),
	}
}

// errNoMailer fails deliveries until Config.Mailer is set.
var errNoMailer = errors.New("no Mailer configured (Config.Mailer); the mail is retried")

func (s *System) deliverMail(ctx context.Context, m outbox.Message) error {
	u, msg, err := s.compose(ctx, m.Topic, m.Tenant, m.Recipient, m.Payload)
	if err == nil && u != nil {
		switch {
		case u.Email == "":
			err = outbox.Permanent(fmt.Errorf("recipient %s has no e-mail address", u.ID))
		case s.cfg.Mailer == nil:
			err = errNoMailer
		default:
			msg.To = []mail.Address{{Name: oneLine(u.Name), Email: u.Email}}
			err = s.cfg.Mailer.Send(ctx, msg)
		}
	}
	if err != nil {
		return fmt.Errorf("schedule: deliver %s %s: %w", m.Topic, m.ID, err)
	}
	return nil
}

func (s *System) deliverChannel(ctx context.Context, m outbox.Message) error {
	name, user, _ := strings.Cut(m.Recipient, ":")
	var ch notify.Channel
	for _, c := range s.cfg.Channels {
		if c.Name() == name {
			ch = c
		}
	}
	err := outbox.Permanent(fmt.Errorf("channel %q is not configured (Config.Channels)", name))
	if ch != nil {
		var u *permission.User
		var msg mail.Message
		if u, msg, err = s.compose(ctx, m.Topic, m.Tenant, user, m.Payload); err == nil && u != nil {
			err = ch.Deliver(ctx, m.Tenant, notify.Message{
				Recipient: u.ID, Name: u.Name, Email: u.Email, Subject: msg.Subject, Body: msg.Text, Key: m.Key,
			})
		}
	}
	if err != nil {
		return fmt.Errorf("schedule: deliver %s %s: %w", m.Topic, m.ID, err)
	}
	return nil
}

// compose builds the message of topic for recipient (a user ID) as things
// are now, or returns a nil user when nothing is to be sent.
func (s *System) compose(ctx context.Context, topic string, tenant uuid.UUID, recipient string, payload []byte) (*permission.User, mail.Message, error) {
	user, err := uuid.Parse(recipient)
	if err != nil {
		return nil, mail.Message{}, outbox.Permanent(fmt.Errorf("recipient: %w", err))
	}
	if topic == TopicRequest || topic == TopicRequestChannel {
		return s.composeRequest(ctx, tenant, user, payload)
	}
	return s.composeReminder(ctx, tenant, user, payload)
}

// composeReminder builds the reminder for user as things are now, or
// returns a nil user when nothing is to be sent.
func (s *System) composeReminder(ctx context.Context, tenant, user uuid.UUID, payload []byte) (*permission.User, mail.Message, error) {
	var p ReminderPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, mail.Message{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
	}
	var v occView
	err := selectViews(s.db, tenant).Join(customerJoin("o")).Where("o.id = ?", p.Occurrence).Scan(ctx, &v)
	if errors.Is(storage.Err(err), ErrNotFound) {
		return nil, mail.Message{}, nil // deleted since
	}
	if err != nil {
		return nil, mail.Message{}, err
	}
	o, err := v.occurrence()
	if err != nil || o.Done {
		return nil, mail.Message{}, err
	}
	current, err := assignees(ctx, s.db, tenant, o.Customer)
	if err != nil || !slices.Contains(current, user) {
		return nil, mail.Message{}, err
	}
	u, err := s.dir.User(ctx, tenant, user)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return nil, mail.Message{}, nil
	}
	if err != nil {
		return nil, mail.Message{}, err
	}
	subject, text := renderReminder(u.Name, &o, s.alertURL(tenant, o.Customer))
	return u, mail.Message{From: s.cfg.MailFrom, Subject: subject, Text: text}, nil
}

func (s *System) alertURL(tenant, cust uuid.UUID) string {
	if s.cfg.AlertURL == nil {
		return ""
	}
	return s.cfg.AlertURL(tenant, cust)
}

// renderReminder writes a reminder's subject and plain text, e.g.
// 「【アラート】季節ごと定期ハガキ(1/4) 山田 太郎 様 (2022/03/29)」.
func renderReminder(recipient string, o *Occurrence, url string) (subject, text string) {
	day := o.Due.In(time.UTC).Format("2006/01/02")
	subject = fmt.Sprintf("【アラート】%s %s 様 (%s)", oneLine(o.Label()), oneLine(o.CustomerName), day)
	var b strings.Builder
	fmt.Fprintf(&b, "%s 様\n\n本日はアラートの通知日です。\n\n", oneLine(recipient))
	fmt.Fprintf(&b, "顧客: %s 様\n内容: %s\n通知日: %s\n", oneLine(o.CustomerName), oneLine(o.Label()), day)
	if o.Memo != "" {
		fmt.Fprintf(&b, "メモ: %s\n", o.Memo)
	}
	if url != "" {
		fmt.Fprintf(&b, "\nアラートを開く: %s\n", url)
	}
	b.WriteString("\n-- \nこのメールは自動送信されています。\n")
	return subject, b.String()
}

// oneLine collapses white space, line breaks included.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

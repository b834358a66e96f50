package contactlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// TopicMailRecord is the outbox topic of MailRecord: one message per
// recipient (Recipient: the user ID) and send (Key: an ID of its own per
// call, so that mailing the same record again is delivered again).
// Payload: MailRecordPayload.
const TopicMailRecord = "contactlog.mail_record"

// MailRecordPayload is the payload of a TopicMailRecord message.
type MailRecordPayload struct {
	Record uuid.UUID `json:"record"`
	// From is the staff member who sent the record; replies go to them.
	From uuid.UUID `json:"from"`
	// Note is the sender's message to the recipients (メモ).
	Note string `json:"note,omitempty"`
}

// MaxMailNoteLen caps the note of MailRecord, in runes.
const MaxMailNoteLen = 2000

// MailRecord mails a record to colleagues with a note (助っ人クラウド's
// メール送信): one mail per recipient, sent by the dispatcher (see
// Handlers) with the sender's e-mail address as Reply-To. Staff only; the
// sender must see the record (ErrNotFound otherwise).
//
// Every recipient must be active staff of the tenant who may see the
// record: the others are refused with a *ValidationError listing them all
// under "to" (unknown: not active staff of the tenant; not_allowed: may not
// see the record), and nothing is sent, so that a record never reaches
// someone it is hidden from. "to" is also required and capped at MaxPeople;
// "note" is trimmed and at most MaxMailNoteLen runes.
//
// The mail carries what the recipient sees of the record when it is
// delivered: customer, template, planned and actual times in the tenant's
// time zone, responders, master labels, summary text, both memos (the
// recipients are staff) and a link when Config.RecordURL is set. The send
// is recorded in the audit log with the recipients' IDs.
func (s *Service) MailRecord(ctx context.Context, id uuid.UUID, to []uuid.UUID, note string) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		r, err := s.get(ctx, tx, pr, id, false)
		if err != nil {
			return err
		}
		var v validation.Error
		to = cleanIDs(&v, "to", to)
		if len(to) == 0 && !v.Has("to", "") {
			v.Add("to", validation.CodeRequired, "")
		}
		note = checkLen(&v, "note", note, MaxMailNoteLen)
		if len(to) <= MaxPeople {
			if err := s.checkRecipients(ctx, tx, pr, r, to, &v); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		payload, err := json.Marshal(MailRecordPayload{Record: r.ID, From: pr.User, Note: note})
		if err != nil {
			return err
		}
		key := uuid.Must(uuid.NewV7()).String()
		msgs := make([]outbox.Message, len(to))
		ids := make([]string, len(to))
		for i, u := range to {
			msgs[i] = outbox.Message{Tenant: r.Tenant, Topic: TopicMailRecord, Recipient: u.String(), Key: key, Payload: payload}
			ids[i] = u.String()
		}
		if err := outbox.Enqueue(ctx, tx, msgs...); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "mail", "record", r.ID, "to="+strings.Join(ids, ","))
	})
	if err != nil {
		return fmt.Errorf("contactlog: mail record %s: %w", id, err)
	}
	return nil
}

// checkRecipients adds to v every recipient who is not active staff of the
// tenant (unknown) or who may not see r (not_allowed).
func (s *Service) checkRecipients(ctx context.Context, db bun.IDB, pr permission.Principal, r *Record, to []uuid.UUID, v *validation.Error) error {
	if len(to) == 0 {
		return nil
	}
	assignees, err := customerAssignees(ctx, db, pr.Tenant, r.Customer)
	if err != nil {
		return err
	}
	obj := r.object(assignees)
	dir := s.dir.WithDB(db)
	for _, u := range to {
		rp, err := dir.Principal(ctx, pr.Tenant, u)
		if errors.Is(err, ErrUnauthenticated) {
			v.Add("to", validation.CodeUnknown, u.String())
			continue
		}
		if err != nil {
			return err
		}
		err = s.authz.Check(ctx, rp, permission.ActionView, obj)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrPermissionDenied) {
			v.Add("to", validation.CodeNotAllowed, u.String())
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mailKind tells a report-to notification from a mailed record.
type mailKind int

const (
	mailReport mailKind = iota // 報告先: the recipient was added to ReportTo
	mailShare                  // MailRecord: a colleague sent it with a note
)

// errNoMailer fails deliveries until Config.Mailer is set; the dispatcher
// retries them.
var errNoMailer = errors.New("no Mailer configured (Config.Mailer); the mail is retried")

// deliverMail mails the message of a mail topic (TopicReportTo,
// TopicMailRecord, TopicNotification) to its recipient.
func (s *Service) deliverMail(ctx context.Context, m outbox.Message) error {
	u, msg, err := s.compose(ctx, m)
	if err == nil && u != nil {
		err = s.mailTo(ctx, u, msg)
	}
	if err != nil {
		return fmt.Errorf("contactlog: deliver %s %s: %w", m.Topic, m.ID, err)
	}
	return nil
}

// compose builds what the message m of a mail topic tells its recipient
// now: the recipient and the mail without its recipient and footer. A nil
// user means the message is to be dropped (see Handlers).
func (s *Service) compose(ctx context.Context, m outbox.Message) (*permission.User, mail.Message, error) {
	switch m.Topic {
	case TopicReportTo:
		var p ReportToPayload
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			return nil, mail.Message{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
		}
		return s.composeRecord(ctx, m, mailReport, p.Record, p.By, "")
	case TopicMailRecord:
		var p MailRecordPayload
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			return nil, mail.Message{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
		}
		return s.composeRecord(ctx, m, mailShare, p.Record, p.From, p.Note)
	case TopicNotification:
		return s.composeNotification(ctx, m)
	}
	return nil, mail.Message{}, outbox.Permanent(fmt.Errorf("topic %s is not a notification to staff", m.Topic))
}

// mailTo mails msg to u's directory e-mail address, with the footer.
func (s *Service) mailTo(ctx context.Context, u *permission.User, msg mail.Message) error {
	if u.Email == "" {
		return outbox.Permanent(fmt.Errorf("recipient %s has no e-mail address", u.ID))
	}
	if s.cfg.Mailer == nil {
		return errNoMailer
	}
	msg.To = []mail.Address{{Name: oneLine(u.Name), Email: u.Email}}
	msg.Text += "\n" + mailFooter
	return s.cfg.Mailer.Send(ctx, msg)
}

// recipient returns the staff member an outbox message is for (its
// Recipient is a user ID), or nil when the message is to be dropped: the
// user was removed from the directory.
func (s *Service) recipient(ctx context.Context, m outbox.Message) (*permission.User, error) {
	user, err := uuid.Parse(m.Recipient)
	if err != nil {
		return nil, outbox.Permanent(fmt.Errorf("recipient: %w", err))
	}
	u, err := s.dir.User(ctx, m.Tenant, user)
	if errors.Is(err, ErrNotFound) {
		return nil, nil // removed from the directory: nobody to tell
	}
	return u, err
}

// composeRecord builds the record mail for m's recipient as they see the
// record now, or a nil user when they no longer may or are no longer
// active staff.
func (s *Service) composeRecord(ctx context.Context, m outbox.Message, kind mailKind, record, from uuid.UUID, note string) (*permission.User, mail.Message, error) {
	u, err := s.recipient(ctx, m)
	if u == nil || err != nil {
		return nil, mail.Message{}, err
	}
	pr, err := s.dir.Principal(ctx, m.Tenant, u.ID)
	if errors.Is(err, ErrUnauthenticated) {
		return nil, mail.Message{}, nil // no longer active
	}
	if err != nil {
		return nil, mail.Message{}, err
	}
	r, err := s.get(ctx, s.db, pr, record, false)
	if errors.Is(err, ErrNotFound) {
		return nil, mail.Message{}, nil // deleted, or hidden from the recipient since
	}
	if err != nil {
		return nil, mail.Message{}, err
	}
	if kind == mailReport {
		// The report's message as the record carries it now.
		note = r.ReportMessage
	}
	msg, err := s.recordMail(ctx, s.db, pr, r, kind, from, note)
	if err != nil {
		return nil, mail.Message{}, err
	}
	return u, msg, nil
}

// recordMail builds the mail of r for pr (without its recipient and the
// footer, which mailTo adds): the names and labels it shows are looked up,
// then renderMail writes it.
func (s *Service) recordMail(ctx context.Context, db bun.IDB, pr permission.Principal, r *Record, kind mailKind, from uuid.UUID, note string) (mail.Message, error) {
	users, err := staffUsers(ctx, db, r.Tenant, append([]uuid.UUID{pr.User, from}, r.Responders...))
	if err != nil {
		return mail.Message{}, err
	}
	name := func(id uuid.UUID) string {
		if u, ok := users[id]; ok && u.Name != "" {
			return u.Name
		}
		return "(不明)"
	}
	cust, err := customerName(ctx, db, r.Tenant, r.Customer)
	if err != nil {
		return mail.Message{}, err
	}
	tplName := r.Template
	switch t, err := s.templates.Template(ctx, r.Tenant, r.Template, r.TemplateVersion); {
	case err == nil:
		tplName = t.Name
	case !errors.Is(err, ErrNotFound): // a removed plugin's template shows its key
		return mail.Message{}, err
	}
	ms, err := s.masterSet(ctx, db, r.Tenant)
	if err != nil {
		return mail.Message{}, err
	}
	loc := s.location(pr)
	v := mailView{
		Kind: kind, Recipient: name(pr.User), From: name(from), Note: note,
		Customer: cust, Template: tplName, At: r.Time().In(loc),
		SummaryText: r.SummaryText, PublicMemo: r.PublicMemo, PrivateMemo: r.PrivateMemo,
	}
	if !r.PlannedAt.IsZero() {
		v.Planned = jpDateTime(r.PlannedAt.In(loc))
	}
	if !r.ActualAt.IsZero() {
		v.Actual = jpDateTime(r.ActualAt.In(loc))
	}
	for _, id := range r.Responders {
		v.Responders = append(v.Responders, name(id))
	}
	codes := r.MasterCodes()
	for _, k := range MasterKinds() {
		if code := codes[k]; code != "" {
			v.Labels = append(v.Labels, [2]string{k.Label(), MasterLabel(ms[k], code)})
		}
	}
	if s.cfg.RecordURL != nil {
		v.URL = s.cfg.RecordURL(r.Tenant, r.ID)
	}
	subject, text := renderMail(&v)
	msg := mail.Message{From: s.cfg.MailFrom, Subject: subject, Text: text}
	if u, ok := users[from]; ok && kind == mailShare && u.Email != "" {
		msg.ReplyTo = mail.Address{Name: oneLine(u.Name), Email: u.Email}
	}
	return msg, nil
}

// staffUsers returns the tenant's directory users among ids, by ID.
func staffUsers(ctx context.Context, db bun.IDB, tenant uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]permission.User, error) {
	var us []permission.User
	if err := db.NewSelect().Model(&us).Where("u.tenant_id = ?", tenant).Where("u.id IN (?)", bun.List(ids)).
		Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	out := make(map[uuid.UUID]permission.User, len(us))
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// customerName is the display name of a customer ("" for drafts).
func customerName(ctx context.Context, db bun.IDB, tenant, id uuid.UUID) (string, error) {
	if id == uuid.Nil {
		return "", nil
	}
	var c customer.Customer
	ref := customer.Ref{Alias: "c"}
	err := db.NewSelect().TableExpr(ref.From()).ColumnExpr(ref.NameColumns("")).
		Where(ref.Tenant()+" = ?", tenant).Where(ref.ID()+" = ?", id).
		Scan(ctx, &c.Kind, &c.FamilyName, &c.GivenName, &c.CompanyName)
	if err != nil {
		return "", storage.Err(err)
	}
	return c.DisplayName(), nil
}

// mailView is what a record mail shows, looked up and formatted.
type mailView struct {
	Kind            mailKind
	Recipient, From string // staff names
	Note            string
	Customer        string // display name; "" for a draft
	Template        string
	At              time.Time // the record's time, in the tenant's zone
	Planned, Actual string    // formatted; "" when unset
	Responders      []string
	Labels          [][2]string // master kind name, item label
	SummaryText     string
	PublicMemo      string
	PrivateMemo     string
	URL             string
}

// renderMail writes the subject and plain-text body (without the footer)
// of a record mail, e.g.
// 「【報告】山田 太郎 様 面談記録 (2026/11/22)」.
func renderMail(v *mailView) (subject, text string) {
	prefix, lead := "【報告】", oneLine(v.From)+" さんから接点記録の報告が届きました。"
	if v.Kind == mailShare {
		prefix, lead = "【共有】", oneLine(v.From)+" さんから接点記録が送られました。"
	}
	who := "顧客未設定の下書き"
	if v.Customer != "" {
		who = oneLine(v.Customer) + " 様"
	}
	subject = fmt.Sprintf("%s%s %s (%s)", prefix, who, oneLine(v.Template), v.At.Format("2006/01/02"))

	var b strings.Builder
	fmt.Fprintf(&b, "%s 様\n\n%s\n", oneLine(v.Recipient), lead)
	section := func(title, body string) {
		if body != "" {
			fmt.Fprintf(&b, "\n■ %s\n%s\n", title, body)
		}
	}
	section("メッセージ", v.Note)
	b.WriteString("\n■ 記録\n")
	line := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
		}
	}
	line("顧客", who)
	line("種類", v.Template)
	line("予定日時", v.Planned)
	line("対応日時", v.Actual)
	line("対応者", strings.Join(v.Responders, "、"))
	for _, l := range v.Labels {
		line(l[0], l[1])
	}
	line("内容概略(補足)", v.SummaryText)
	section("公開メモ(お客様に公開)", v.PublicMemo)
	section("非公開メモ(社内のみ)", v.PrivateMemo)
	if v.URL != "" {
		fmt.Fprintf(&b, "\n記録を開く: %s\n", v.URL)
	}
	return subject, b.String()
}

// mailFooter ends every mail the engine sends.
const mailFooter = "-- \nこのメールは自動送信されています。\n"

var weekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// jpDateTime formats t as "2026/11/22(日) 18:00".
func jpDateTime(t time.Time) string {
	return fmt.Sprintf("%s(%s) %s", t.Format("2006/01/02"), weekdays[t.Weekday()], t.Format("15:04"))
}

// oneLine collapses white space, line breaks included, for headers and
// one-line fields.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

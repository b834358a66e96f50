package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Limits of requests.
const (
	MaxRequestBodyLen   = 5000 // runes, of a request's body and of a reply
	MaxRequestRecipient = 50   // recipients of one request
)

// Outbox topics of requests: one TopicRequest message (the mail) per
// recipient other than the author (Recipient: the user ID; Key: the
// request ID, so each recipient is told once) and one TopicRequestChannel
// message per recipient and Config.Channels entry (Recipient:
// "<channel>:<user ID>"). Payload: RequestPayload.
const (
	TopicRequest        = "schedule.request"
	TopicRequestChannel = "schedule.request_channel"
)

// RequestPayload is the payload of both request topics.
type RequestPayload struct {
	Request uuid.UUID `json:"request"`
}

// RequestStatus is where a request stands.
type RequestStatus string

// Request statuses.
const (
	RequestOpen       RequestStatus = "open"        // 未対応
	RequestInProgress RequestStatus = "in_progress" // 対応中
	RequestDone       RequestStatus = "done"        // 完了
)

// RequestInput is what staff enter for a request to colleagues (依頼) or
// a task for themselves (課題).
type RequestInput struct {
	// Title is required, at most MaxTitleLen runes; trimmed.
	Title string `json:"title"`
	// Body is plain text, at most MaxRequestBodyLen runes.
	Body string `json:"body,omitempty"`
	// Due is the due day (期限); zero for none.
	Due Date `json:"due,omitzero"`
	// To are the recipients: active staff of the tenant, at most
	// MaxRequestRecipient. Empty (or only the author): a task for oneself.
	To []uuid.UUID `json:"to,omitempty"`
	// Record is the contact record the request is about (one the author
	// sees); zero for none. Needs Config.Records.
	Record uuid.UUID `json:"record,omitzero"`
}

// Request is a stored request or task.
type Request struct {
	RequestInput
	ID     uuid.UUID     `json:"id"`
	Tenant uuid.UUID     `json:"tenant"`
	Status RequestStatus `json:"status"`
	Author uuid.UUID     `json:"author"`
	// Task is set when the author is the only recipient (課題).
	Task      bool      `json:"task,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy uuid.UUID `json:"updated_by"`
	// Version increases with every status change (optimistic locking).
	Version int64 `json:"version"`
	// Replies, oldest first; filled by Request only.
	Replies []Reply `json:"replies,omitempty"`
}

// Reply is an answer on a request (返信).
type Reply struct {
	ID        uuid.UUID `json:"id"`
	Author    uuid.UUID `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

type requestRow struct {
	bun.BaseModel `bun:"table:schedule_requests,alias:rq"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	ID            uuid.UUID `bun:"id,pk"`
	Title         string    `bun:"title"`
	Body          string    `bun:"body"`
	Due           string    `bun:"due_date"`
	Record        uuid.UUID `bun:"record_id,nullzero"`
	Status        string    `bun:"status"`
	Author        uuid.UUID `bun:"author_id"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
	UpdatedBy     uuid.UUID `bun:"updated_by"`
	Version       int64     `bun:"version"`
	// Recipients are the recipients' IDs joined by commas, read in the
	// statement that reads the request (selectRequests).
	Recipients string `bun:"recipients,scanonly"`
}

// selectRequests selects requests into model with their recipients
// (requestRow.Recipients, ordered by ID) in the same statement.
func selectRequests(db bun.IDB, model any) (*bun.SelectQuery, error) {
	d, err := storage.Of(db)
	if err != nil {
		return nil, err
	}
	return db.NewSelect().Model(model).ColumnExpr("rq.*").
		ColumnExpr("(SELECT " + storage.StringAgg(d, "rt.user_id", "rt.user_id") +
			" FROM schedule_request_recipients AS rt WHERE rt.tenant_id = rq.tenant_id AND rt.request_id = rq.id) AS recipients"), nil
}

// read is the request r holds with the recipients read with it
// (selectRequests).
func (r *requestRow) read() (Request, error) {
	var to []uuid.UUID
	if r.Recipients != "" {
		for p := range strings.SplitSeq(r.Recipients, ",") {
			id, err := uuid.Parse(p)
			if err != nil {
				return Request{}, fmt.Errorf("schedule: recipient %q: %w", p, err)
			}
			to = append(to, id)
		}
	}
	return r.request(to)
}

type requestRecipientRow struct {
	bun.BaseModel `bun:"table:schedule_request_recipients,alias:rr"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	Request       uuid.UUID `bun:"request_id,pk"`
	User          uuid.UUID `bun:"user_id,pk"`
}

type replyRow struct {
	bun.BaseModel `bun:"table:schedule_request_replies,alias:rp"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	ID            uuid.UUID `bun:"id,pk"`
	Request       uuid.UUID `bun:"request_id"`
	Author        uuid.UUID `bun:"author_id"`
	Body          string    `bun:"body"`
	CreatedAt     time.Time `bun:"created_at"`
}

func (r *requestRow) request(to []uuid.UUID) (Request, error) {
	var due Date
	if r.Due != "" {
		var err error
		if due, err = ParseDate(r.Due); err != nil {
			return Request{}, err
		}
	}
	return Request{
		RequestInput: RequestInput{Title: r.Title, Body: r.Body, Due: due, To: to, Record: r.Record},
		ID:           r.ID, Tenant: r.Tenant, Status: RequestStatus(r.Status), Author: r.Author,
		Task:      len(to) == 1 && to[0] == r.Author,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy, Version: r.Version,
	}, nil
}

// checkBody trims a multi-line text's trailing space and reports it when
// it is missing (if required), no text, or longer than limit runes.
func checkBody(v *validation.Error, field, s string, limit int, required bool) string {
	s = strings.TrimRight(s, " \t\r\n\u3000")
	switch {
	case strings.TrimSpace(s) == "" && required:
		v.Add(field, validation.CodeRequired, "")
	case !v.CheckText(field, s, true):
	case utf8.RuneCountInString(s) > limit:
		v.Add(field, validation.CodeTooLong, strconv.Itoa(limit))
	}
	return s
}

// CreateRequest sends a request to the recipients of in, or records a
// task for the principal (no recipients). Each recipient but the author
// is notified once through the outbox, in the same transaction.
func (s *Service) CreateRequest(ctx context.Context, in RequestInput) (*Request, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out Request
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		var v validation.Error
		in.Title = checkText(&v, "title", in.Title, MaxTitleLen, true)
		in.Body = checkBody(&v, "body", in.Body, MaxRequestBodyLen, false)
		if !in.Due.IsZero() && !in.Due.valid() {
			v.Add("due", validation.CodeBadDate, "")
		}
		in.To = cleanIDs(&v, "to", in.To, MaxRequestRecipient)
		if len(in.To) == 0 {
			in.To = []uuid.UUID{pr.User}
		}
		unknown, err := permission.UnknownStaff(ctx, tx, pr.Tenant, in.To)
		if err != nil {
			return err
		}
		for _, u := range unknown {
			v.Add("to", validation.CodeUnknown, u.String())
		}
		if in.Record != uuid.Nil {
			records, err := s.recordsOn(tx)
			if err != nil {
				return err
			}
			if _, err := records.Get(ctx, in.Record); isNotFound(err) {
				v.Add("record", validation.CodeUnknown, in.Record.String())
			} else if err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		r := requestRow{Tenant: pr.Tenant, ID: uuid.Must(uuid.NewV7()), Title: in.Title, Body: in.Body, Due: in.Due.String(),
			Record: in.Record, Status: string(RequestOpen), Author: pr.User, CreatedAt: now, UpdatedAt: now, UpdatedBy: pr.User, Version: 1}
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return err
		}
		rows := make([]requestRecipientRow, len(in.To))
		for i, u := range in.To {
			rows[i] = requestRecipientRow{Tenant: pr.Tenant, Request: r.ID, User: u}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
		payload, err := json.Marshal(RequestPayload{Request: r.ID})
		if err != nil {
			return err
		}
		var msgs []outbox.Message
		for _, u := range in.To {
			if u == pr.User {
				continue
			}
			msgs = append(msgs, outbox.Message{Tenant: pr.Tenant, Topic: TopicRequest, Recipient: u.String(), Key: r.ID.String(), Payload: payload})
			for _, ch := range s.cfg.Channels {
				msgs = append(msgs, outbox.Message{Tenant: pr.Tenant, Topic: TopicRequestChannel, Recipient: ch.Name() + ":" + u.String(), Key: r.ID.String(), Payload: payload})
			}
		}
		if err := outbox.Enqueue(ctx, tx, msgs...); err != nil {
			return err
		}
		if out, err = r.request(in.To); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "create", "request", r.ID, "")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: create request: %w", err)
	}
	return &out, nil
}

// involved restricts q (over requests aliased rq) to those pr wrote or
// received.
func involved(q *bun.SelectQuery, pr permission.Principal) *bun.SelectQuery {
	return q.Where("rq.tenant_id = ?", pr.Tenant).Where("(rq.author_id = ? OR EXISTS (SELECT 1 FROM schedule_request_recipients AS rr"+
		" WHERE rr.tenant_id = rq.tenant_id AND rr.request_id = rq.id AND rr.user_id = ?))", pr.User, pr.User)
}

// Request returns a request with its replies; only its author and its
// recipients see it (ErrNotFound for anyone else).
func (s *Service) Request(ctx context.Context, id uuid.UUID) (*Request, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.request(ctx, s.db, pr, id)
	if err != nil {
		return nil, fmt.Errorf("schedule: request %s: %w", id, err)
	}
	return out, nil
}

func (s *Service) request(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*Request, error) {
	var r requestRow
	sel, err := selectRequests(db, &r)
	if err != nil {
		return nil, err
	}
	if err := involved(sel, pr).Where("rq.id = ?", id).Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	out, err := r.read()
	if err != nil {
		return nil, err
	}
	var replies []replyRow
	if err := db.NewSelect().Model(&replies).Where("rp.tenant_id = ?", pr.Tenant).Where("rp.request_id = ?", id).
		OrderExpr("rp.created_at, rp.id").Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	for _, rp := range replies {
		out.Replies = append(out.Replies, Reply{ID: rp.ID, Author: rp.Author, Body: rp.Body, CreatedAt: rp.CreatedAt.UTC()})
	}
	return &out, nil
}

// SetRequestStatus moves a request at version to status (ErrConflict when
// it changed since); its author and its recipients may.
func (s *Service) SetRequestStatus(ctx context.Context, id uuid.UUID, version int64, status RequestStatus) (*Request, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Request
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		switch status {
		case RequestOpen, RequestInProgress, RequestDone:
		default:
			var v validation.Error
			v.Add("status", validation.CodeUnknown, string(status))
			return v.Err()
		}
		if _, err := s.request(ctx, tx, pr, id); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*requestRow)(nil)).Set("status = ?", string(status)).Set("updated_at = ?", s.now()).
			Set("updated_by = ?", pr.User).Set("version = version + 1").
			Where("tenant_id = ?", pr.Tenant).Where("id = ?", id).Where("version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		if out, err = s.request(ctx, tx, pr, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "status", "request", id, string(status))
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: request %s status: %w", id, err)
	}
	return out, nil
}

// ReplyToRequest adds a reply by the principal, its author or one of its
// recipients.
func (s *Service) ReplyToRequest(ctx context.Context, id uuid.UUID, body string) (*Reply, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out Reply
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.request(ctx, tx, pr, id); err != nil {
			return err
		}
		var v validation.Error
		body = checkBody(&v, "body", body, MaxRequestBodyLen, true)
		if err := v.Err(); err != nil {
			return err
		}
		r := replyRow{Tenant: pr.Tenant, ID: uuid.Must(uuid.NewV7()), Request: id, Author: pr.User, Body: body, CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return err
		}
		out = Reply{ID: r.ID, Author: r.Author, Body: r.Body, CreatedAt: r.CreatedAt}
		return s.audit(ctx, tx, pr, "reply", "request", id, r.ID.String())
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: reply to request %s: %w", id, err)
	}
	return &out, nil
}

// RequestBox selects a list of requests.
type RequestBox string

// Request boxes.
const (
	Received RequestBox = "received" // addressed to the principal, their tasks included
	Sent     RequestBox = "sent"     // written by the principal to others
)

// RequestQuery selects requests of the principal.
type RequestQuery struct {
	// Box is Received or Sent. Required.
	Box RequestBox
	// Open keeps the requests not done (the top page's list).
	Open bool
	// Limit is the most requests listed: 0, or more than MaxPageSize,
	// means MaxPageSize (the top page's box reads the few it shows).
	Limit int
}

// Requests lists the principal's requests of q.Box, at most q.Limit:
// those with a due day first, soonest first, then the newest.
func (s *Service) Requests(ctx context.Context, q RequestQuery) ([]Request, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var rows []requestRow
	sel, err := selectRequests(s.db, &rows)
	if err != nil {
		return nil, err
	}
	sel.Where("rq.tenant_id = ?", pr.Tenant)
	switch q.Box {
	case Received:
		sel.Where("EXISTS (SELECT 1 FROM schedule_request_recipients AS rr WHERE rr.tenant_id = rq.tenant_id AND rr.request_id = rq.id AND rr.user_id = ?)", pr.User)
	case Sent:
		sel.Where("rq.author_id = ?", pr.User).Where("EXISTS (SELECT 1 FROM schedule_request_recipients AS rr WHERE rr.tenant_id = rq.tenant_id AND rr.request_id = rq.id AND rr.user_id <> rq.author_id)")
	default:
		var v validation.Error
		v.Add("box", validation.CodeUnknown, string(q.Box))
		return nil, fmt.Errorf("schedule: requests: %w", v.Err())
	}
	if q.Open {
		sel.Where("rq.status <> ?", string(RequestDone))
	}
	limit := s.cfg.MaxPageSize
	if q.Limit > 0 && q.Limit < limit {
		limit = q.Limit
	}
	err = storage.ScanBound(ctx, s.db, s.cfg.StatementCache,
		sel.OrderExpr("CASE WHEN rq.due_date = '' THEN 1 ELSE 0 END, rq.due_date, rq.created_at DESC, rq.id DESC").Limit(int64(limit)), &rows)
	if err != nil {
		return nil, fmt.Errorf("schedule: requests: %w", storage.Err(err))
	}
	out := make([]Request, len(rows))
	for i := range rows {
		if out[i], err = rows[i].read(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// composeRequest builds the notice of a request for recipient as things
// are now, or returns a nil user when nothing is to be sent (the request
// is done, or the recipient no longer active).
func (s *System) composeRequest(ctx context.Context, tenant uuid.UUID, user uuid.UUID, payload []byte) (*permission.User, mail.Message, error) {
	var p RequestPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, mail.Message{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
	}
	var r requestRow
	err := s.db.NewSelect().Model(&r).Where("rq.tenant_id = ?", tenant).Where("rq.id = ?", p.Request).Scan(ctx)
	if errors.Is(storage.Err(err), ErrNotFound) {
		return nil, mail.Message{}, nil
	}
	if err != nil || r.Status == string(RequestDone) {
		return nil, mail.Message{}, storage.Err(err)
	}
	var to []uuid.UUID
	if err := s.db.NewSelect().Model((*requestRecipientRow)(nil)).Column("rr.user_id").Where("rr.tenant_id = ?", tenant).
		Where("rr.request_id = ?", r.ID).Scan(ctx, &to); err != nil {
		return nil, mail.Message{}, storage.Err(err)
	}
	if !slices.Contains(to, user) {
		return nil, mail.Message{}, nil
	}
	u, err := s.dir.User(ctx, tenant, user)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return nil, mail.Message{}, nil
	}
	if err != nil {
		return nil, mail.Message{}, err
	}
	author, err := s.dir.User(ctx, tenant, r.Author)
	if err != nil {
		return nil, mail.Message{}, err
	}
	subject := fmt.Sprintf("【依頼】%s (%s)", oneLine(r.Title), oneLine(author.Name))
	var b strings.Builder
	fmt.Fprintf(&b, "%s 様\n\n%s さんから依頼が届きました。\n\n件名: %s\n", oneLine(u.Name), oneLine(author.Name), oneLine(r.Title))
	if r.Due != "" {
		fmt.Fprintf(&b, "期限: %s\n", strings.ReplaceAll(r.Due, "-", "/"))
	}
	if r.Body != "" {
		fmt.Fprintf(&b, "\n%s\n", r.Body)
	}
	b.WriteString("\n-- \nこのメールは自動送信されています。\n")
	return u, mail.Message{From: s.cfg.MailFrom, Subject: subject, Text: b.String()}, nil
}

package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// MaxNoticeBodyLen caps a notice's body, in runes.
const MaxNoticeBodyLen = 5000

// Audience is who a notice is for (「自分への備忘、メンバーへのお知らせ」).
type Audience string

// Audiences.
const (
	AudienceTenant Audience = "tenant" // every staff member of the tenant
	AudienceGroup  Audience = "group"  // the members of NoticeInput.Group
	AudienceMe     Audience = "me"     // the author alone (a memo to oneself)
)

// NoticeInput is what staff enter for a notice (MASPO お知らせ).
type NoticeInput struct {
	// Title is required, at most MaxTitleLen runes; trimmed.
	Title string `json:"title"`
	// Body is plain text, at most MaxNoticeBodyLen runes; trimmed.
	Body string `json:"body,omitempty"`
	// From and To are the display period (掲載期間), both days included, in
	// the tenant's zone. Both required; To not before From.
	From Date `json:"from"`
	To   Date `json:"to"`
	// Hidden (非表示) keeps the notice off the top page whatever its period.
	Hidden bool `json:"hidden,omitempty"`
	// Audience is required.
	Audience Audience `json:"audience"`
	// Group is required with AudienceGroup (a group the author belongs to,
	// any group of the tenant for admins) and must be empty otherwise.
	Group uuid.UUID `json:"group,omitzero"`
}

// Notice is a stored notice.
type Notice struct {
	ID     uuid.UUID `json:"id"`
	Tenant uuid.UUID `json:"tenant"`
	NoticeInput
	Author    uuid.UUID `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy uuid.UUID `json:"updated_by"`
	// Version increases with every change; pass it back to UpdateNotice
	// and DeleteNotice (optimistic locking).
	Version int64 `json:"version"`
}

type noticeRow struct {
	bun.BaseModel `bun:"table:schedule_notices,alias:n"`

	Tenant    uuid.UUID `bun:"tenant_id,pk"`
	ID        uuid.UUID `bun:"id,pk"`
	Title     string    `bun:"title"`
	Body      string    `bun:"body"`
	From      string    `bun:"display_from"`
	To        string    `bun:"display_to"`
	Hidden    bool      `bun:"hidden"`
	Audience  string    `bun:"audience"`
	Group     uuid.UUID `bun:"group_id,nullzero"`
	Author    uuid.UUID `bun:"author_id"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
	UpdatedBy uuid.UUID `bun:"updated_by"`
	Version   int64     `bun:"version"`
}

func (r *noticeRow) notice() (Notice, error) {
	from, err := ParseDate(r.From)
	if err != nil {
		return Notice{}, err
	}
	to, err := ParseDate(r.To)
	if err != nil {
		return Notice{}, err
	}
	return Notice{
		ID: r.ID, Tenant: r.Tenant,
		NoticeInput: NoticeInput{Title: r.Title, Body: r.Body, From: from, To: to, Hidden: r.Hidden, Audience: Audience(r.Audience), Group: r.Group},
		Author:      r.Author, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy, Version: r.Version,
	}, nil
}

// checkNotice validates in for pr and returns it trimmed.
func (s *Service) checkNotice(ctx context.Context, db bun.IDB, pr permission.Principal, in NoticeInput) (NoticeInput, error) {
	var v validation.Error
	in.Title = checkText(&v, "title", in.Title, MaxTitleLen, true)
	in.Body = checkText(&v, "body", in.Body, MaxNoticeBodyLen, false)
	for _, f := range []struct {
		name string
		d    Date
	}{{"from", in.From}, {"to", in.To}} {
		switch {
		case f.d.IsZero():
			v.Add(f.name, validation.CodeRequired, "")
		case !f.d.valid():
			v.Add(f.name, validation.CodeBadDate, "")
		}
	}
	if in.From.valid() && in.To.valid() && in.To.Before(in.From) {
		v.Add("to", validation.CodeOutOfRange, in.From.String()+"..")
	}
	switch in.Audience {
	case AudienceTenant, AudienceMe:
		if in.Group != uuid.Nil {
			v.Add("group", validation.CodeNotAllowed, string(in.Audience))
		}
	case AudienceGroup:
		if in.Group == uuid.Nil {
			v.Add("group", validation.CodeRequired, "")
			break
		}
		ok := pr.Has(permission.RoleAdmin)
		for _, g := range pr.Groups {
			ok = ok || g == in.Group
		}
		if ok {
			exists, err := db.NewSelect().TableExpr("staff_groups AS g").Where("g.tenant_id = ?", pr.Tenant).Where("g.id = ?", in.Group).Exists(ctx)
			if err != nil {
				return in, storage.Err(err)
			}
			ok = exists
		}
		if !ok {
			v.Add("group", validation.CodeUnknown, in.Group.String())
		}
	case "":
		v.Add("audience", validation.CodeRequired, "")
	default:
		v.Add("audience", validation.CodeUnknown, string(in.Audience))
	}
	return in, v.Err()
}

// CreateNotice posts a notice by the staff principal. Fields are checked
// as NoticeInput documents, every problem reported at once in a
// *ValidationError.
func (s *Service) CreateNotice(ctx context.Context, in NoticeInput) (*Notice, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out Notice
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		in, err := s.checkNotice(ctx, tx, pr, in)
		if err != nil {
			return err
		}
		now := s.now()
		r := noticeRow{Tenant: pr.Tenant, ID: uuid.Must(uuid.NewV7()), Author: pr.User, CreatedAt: now, Version: 1}
		r.set(in, pr.User, now)
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return err
		}
		if out, err = r.notice(); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "create", "notice", r.ID, "")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: create notice: %w", err)
	}
	return &out, nil
}

func (r *noticeRow) set(in NoticeInput, user uuid.UUID, now time.Time) {
	r.Title, r.Body, r.From, r.To = in.Title, in.Body, in.From.String(), in.To.String()
	r.Hidden, r.Audience, r.Group = in.Hidden, string(in.Audience), in.Group
	r.UpdatedAt, r.UpdatedBy = now, user
}

// UpdateNotice replaces a notice's fields at version (ErrConflict when it
// changed since). Only its author and admins may (ErrPermissionDenied for
// others in its audience, ErrNotFound for the rest).
func (s *Service) UpdateNotice(ctx context.Context, id uuid.UUID, version int64, in NoticeInput) (*Notice, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out Notice
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		r, err := s.editableNotice(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		if in, err = s.checkNotice(ctx, tx, pr, in); err != nil {
			return err
		}
		r.set(in, pr.User, s.now())
		res, err := tx.NewUpdate().Model(r).ExcludeColumn("tenant_id", "id", "author_id", "created_at", "version").
			Set("version = version + 1").WherePK().Where("version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		r.Version = version + 1
		if out, err = r.notice(); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "update", "notice", id, "")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: update notice %s: %w", id, err)
	}
	return &out, nil
}

// DeleteNotice erases a notice at version (ErrConflict when it changed
// since); the same people as UpdateNotice may.
func (s *Service) DeleteNotice(ctx context.Context, id uuid.UUID, version int64) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.editableNotice(ctx, tx, pr, id); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*noticeRow)(nil)).Where("tenant_id = ?", pr.Tenant).Where("id = ?", id).
			Where("version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "delete", "notice", id, "")
	})
	if err != nil {
		return fmt.Errorf("schedule: delete notice %s: %w", id, err)
	}
	return nil
}

// editableNotice loads a notice pr may edit.
func (s *Service) editableNotice(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*noticeRow, error) {
	var r noticeRow
	q := db.NewSelect().Model(&r).Where("n.id = ?", id)
	if !pr.Has(permission.RoleAdmin) {
		audienceOf(q, pr)
	} else {
		q.Where("n.tenant_id = ?", pr.Tenant)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	if r.Author != pr.User && !pr.Has(permission.RoleAdmin) {
		return nil, ErrPermissionDenied
	}
	return &r, nil
}

// audienceOf restricts q (over notices aliased n) to those addressed to pr
// or written by pr.
func audienceOf(q *bun.SelectQuery, pr permission.Principal) {
	q.Where("n.tenant_id = ?", pr.Tenant)
	if len(pr.Groups) == 0 {
		q.Where("(n.audience = 'tenant' OR n.author_id = ?)", pr.User)
		return
	}
	q.Where("(n.audience = 'tenant' OR n.author_id = ? OR (n.audience = 'group' AND n.group_id IN (?)))", pr.User, bun.List(pr.Groups))
}

// TopNotices returns the notices the staff principal sees on the top
// page: addressed to them (the tenant, one of their groups, or their own
// memos), not hidden, and whose display period includes today in the
// tenant's zone; newest first.
func (s *Service) TopNotices(ctx context.Context) ([]Notice, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today(pr).String()
	q := s.db.NewSelect().Model((*noticeRow)(nil)).Where("n.hidden = ?", false).
		Where("n.display_from <= ?", today).Where("n.display_to >= ?", today)
	audienceOf(q, pr)
	return s.notices(ctx, "top notices", q)
}

// ManagedNotices returns the notices the staff principal may edit: their
// own, or, for admins, every notice of the tenant; hidden and out of period
// ones included; newest first.
func (s *Service) ManagedNotices(ctx context.Context) ([]Notice, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	q := s.db.NewSelect().Model((*noticeRow)(nil)).Where("n.tenant_id = ?", pr.Tenant)
	if !pr.Has(permission.RoleAdmin) {
		q.Where("n.author_id = ?", pr.User)
	}
	return s.notices(ctx, "managed notices", q)
}

func (s *Service) notices(ctx context.Context, what string, q *bun.SelectQuery) ([]Notice, error) {
	var rows []noticeRow
	if err := storage.ScanBound(ctx, s.db, s.cfg.StatementCache, q.OrderExpr("n.created_at DESC, n.id DESC"), &rows); err != nil {
		return nil, fmt.Errorf("schedule: %s: %w", what, storage.Err(err))
	}
	out := make([]Notice, len(rows))
	for i := range rows {
		n, err := rows[i].notice()
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

package contactlog

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

// Comment is a remark of a staff member on a record (BizMagic's コメント),
// always stored with its author. Comments are internal: customer
// principals neither read nor write them.
//
// Deleting a comment erases its text but keeps it in the list as a
// placeholder (DeletedAt set, Body empty), so that a thread that answers
// it still reads in order; show it as 「削除されました」.
type Comment struct {
	bun.BaseModel `bun:"table:contact_record_comments,alias:cm" json:"-"`

	ID     uuid.UUID `bun:"id,pk" json:"id"`
	Tenant uuid.UUID `bun:"tenant_id" json:"tenant"`
	Record uuid.UUID `bun:"record_id" json:"record"`
	// Author is the staff member who wrote the comment.
	Author uuid.UUID `bun:"author_id" json:"author"`
	// Body is the text, trimmed, 1 to MaxCommentLen runes; empty once
	// deleted.
	Body      string    `bun:"body" json:"body"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	// UpdatedAt is the time of the last edit (CreatedAt when never edited)
	// or of the deletion.
	UpdatedAt time.Time  `bun:"updated_at" json:"updated_at"`
	DeletedAt *time.Time `bun:"deleted_at" json:"deleted_at,omitempty"`
	DeletedBy *uuid.UUID `bun:"deleted_by" json:"deleted_by,omitempty"`
	// Version counts changes; Comments.Edit and Comments.Delete take the
	// version they were based on and fail with ErrConflict when it is
	// stale.
	Version int64 `bun:"version" json:"version"`
}

// Deleted reports whether the comment is a placeholder of a deleted one.
func (c *Comment) Deleted() bool { return c.DeletedAt != nil }

// Limits of comments.
const (
	// MaxCommentLen caps a comment's body, in runes.
	MaxCommentLen = 5000
	// MaxComments caps the comments of one record, deleted placeholders
	// included, so that Comments returns the whole thread.
	MaxComments = 1000
)

// Comments is the handle on the staff's comment threads under records:
// adding, listing, editing and deleting comments. Obtain it from
// Service.Comments; it is bound to the same database handle as the Service
// and applies the same permission rules.
type Comments struct{ s *Service }

// Comments returns the handle on records' comments.
func (s *Service) Comments() *Comments { return &Comments{s: s} }

// Add adds a comment by the principal to a record. Any staff member
// who sees the record may comment (the Authorizer's comment action);
// others get ErrNotFound, customer principals ErrPermissionDenied. The
// body is trimmed and must hold 1 to MaxCommentLen runes of valid text
// (*ValidationError, field "body"); a record holds at most MaxComments
// comments (field "comments"). Adding a comment notifies nobody: comments
// are read on the record. The comment is recorded in the audit log.
func (h *Comments) Add(ctx context.Context, recordID uuid.UUID, body string) (*Comment, error) {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Comment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if err := s.commentable(ctx, tx, pr, recordID); err != nil {
			return err
		}
		var v validation.Error
		body = commentBody(&v, body)
		n, err := tx.NewSelect().Model((*Comment)(nil)).
			Where("cm.tenant_id = ?", pr.Tenant).Where("cm.record_id = ?", recordID).Count(ctx)
		if err != nil {
			return storage.Err(err)
		}
		if n >= MaxComments {
			v.Add("comments", validation.CodeTooMany, fmt.Sprint(MaxComments))
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		c := &Comment{
			ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Record: recordID, Author: pr.User, Body: body,
			CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		out = c
		return s.audit(ctx, tx, pr, string(permission.ActionComment), "record", recordID, "comment="+c.ID.String())
	})
	if err != nil {
		return nil, fmt.Errorf("contactlog: add comment to %s: %w", recordID, err)
	}
	return out, nil
}

// List returns the comments of a record the principal sees, oldest
// first, deleted ones as placeholders; at most MaxComments. Staff only
// (customer principals get ErrPermissionDenied); a record the principal
// may not see, or a deleted one, is ErrNotFound.
func (h *Comments) List(ctx context.Context, recordID uuid.UUID) ([]Comment, error) {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.get(ctx, s.db, pr, recordID, false); err != nil {
		return nil, fmt.Errorf("contactlog: comments of %s: %w", recordID, err)
	}
	out := []Comment{}
	if err := s.db.NewSelect().Model(&out).Where("cm.tenant_id = ?", pr.Tenant).Where("cm.record_id = ?", recordID).
		Order("cm.created_at", "cm.id").Limit(MaxComments).Scan(ctx); err != nil {
		return nil, fmt.Errorf("contactlog: comments of %s: %w", recordID, storage.Err(err))
	}
	return out, nil
}

// Edit replaces the body of a comment, based on version
// (ErrConflict when stale). Only its author may edit it, and only while
// they may comment on the record (ErrNotFound once they no longer see it);
// the body is checked as by Comments.Add. The edit is recorded in the audit
// log.
func (h *Comments) Edit(ctx context.Context, id uuid.UUID, version int64, body string) (*Comment, error) {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Comment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		c, err := s.liveComment(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		if c.Author != pr.User {
			return ErrPermissionDenied
		}
		if c.Version != version {
			return ErrConflict
		}
		var v validation.Error
		body = commentBody(&v, body)
		if err := v.Err(); err != nil {
			return err
		}
		c.Body, c.UpdatedAt, c.Version = body, s.now(), version+1
		if err := s.saveComment(ctx, tx, c, version); err != nil {
			return err
		}
		out = c
		return s.audit(ctx, tx, pr, "comment_edit", "record", c.Record, "comment="+id.String())
	})
	if err != nil {
		return nil, fmt.Errorf("contactlog: edit comment %s: %w", id, err)
	}
	return out, nil
}

// Delete deletes a comment, based on version (ErrConflict when
// stale): its text is erased for good and a placeholder stays in List.
// Its author and admins may delete it, while they may comment on the
// record. Deleting a deleted comment is ErrNotFound. The deletion is
// recorded in the audit log.
func (h *Comments) Delete(ctx context.Context, id uuid.UUID, version int64) error {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		c, err := s.liveComment(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		if c.Author != pr.User && !pr.Has(permission.RoleAdmin) {
			return ErrPermissionDenied
		}
		if c.Version != version {
			return ErrConflict
		}
		now := s.now()
		c.Body, c.UpdatedAt, c.DeletedAt, c.DeletedBy, c.Version = "", now, &now, &pr.User, version+1
		if err := s.saveComment(ctx, tx, c, version); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "comment_delete", "record", c.Record, "comment="+id.String())
	})
	if err != nil {
		return fmt.Errorf("contactlog: delete comment %s: %w", id, err)
	}
	return nil
}

// commentable checks that pr sees the record id (ErrNotFound otherwise) and
// may comment on it.
func (s *Service) commentable(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) error {
	r, err := s.get(ctx, db, pr, id, false)
	if err != nil {
		return err
	}
	return s.checkRecord(ctx, db, pr, r, permission.ActionComment)
}

// liveComment loads a comment that is not deleted, on a record pr may
// comment on.
func (s *Service) liveComment(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*Comment, error) {
	var c Comment
	if err := db.NewSelect().Model(&c).Where("cm.tenant_id = ?", pr.Tenant).Where("cm.id = ?", id).
		Where("cm.deleted_at IS NULL").Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	if err := s.commentable(ctx, db, pr, c.Record); err != nil {
		return nil, err
	}
	return &c, nil
}

// saveComment writes c's changes if it is still at version.
func (s *Service) saveComment(ctx context.Context, db bun.IDB, c *Comment, version int64) error {
	res, err := db.NewUpdate().Model(c).Column("body", "updated_at", "deleted_at", "deleted_by", "version").
		Where("cm.id = ?", c.ID).Where("cm.tenant_id = ?", c.Tenant).Where("cm.version = ?", version).Exec(ctx)
	if err := storage.Affected(res, err, ErrConflict); err != nil {
		return err
	}
	return nil
}

// commentBody trims and checks a comment's body.
func commentBody(v *validation.Error, body string) string {
	body = checkLen(v, "body", body, MaxCommentLen)
	switch {
	case body == "":
		v.Add("body", validation.CodeRequired, "")
	}
	return body
}

// commentCounts returns, with one query, how many comments (deleted ones
// not counted) each of the records ids has; records without any are
// absent. Lists show it beside each record.
func (s *Service) commentCounts(ctx context.Context, db bun.IDB, tenant uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	out := make(map[uuid.UUID]int, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		Record uuid.UUID `bun:"record_id"`
		N      int       `bun:"n"`
	}
	if err := storage.ScanBound(ctx, db, s.cfg.StatementCache, db.NewSelect().TableExpr("contact_record_comments AS cm").ColumnExpr("cm.record_id, COUNT(*) AS n").
		Where("cm.tenant_id = ?", tenant).Where("cm.record_id IN (?)", bun.List(ids)).Where("cm.deleted_at IS NULL").
		GroupExpr("cm.record_id"), &rows); err != nil {
		return nil, storage.Err(err)
	}
	for _, r := range rows {
		out[r.Record] = r.N
	}
	return out, nil
}

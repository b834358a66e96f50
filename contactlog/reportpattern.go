package contactlog

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// ReportPattern is a staff member's saved set of report-to recipients
// (報告パターン, as BizMagic has them): chosen on a record, it fills
// Entry.ReportTo. Each pattern is its owner's alone; nobody else lists,
// changes or uses it.
type ReportPattern struct {
	bun.BaseModel `bun:"table:contact_report_patterns,alias:rpat" json:"-"`

	ID     uuid.UUID `bun:"id,pk" json:"id"`
	Tenant uuid.UUID `bun:"tenant_id" json:"-"`
	// Owner is the staff member the pattern belongs to.
	Owner uuid.UUID `bun:"user_id" json:"owner"`
	// Name is what the owner calls it ("上長と営業事務"): trimmed, 1 to
	// MaxReportPatternName runes, unique among the owner's patterns.
	Name string `bun:"name" json:"name"`
	// Recipients are active staff of the tenant, 1 to MaxPeople, in the
	// owner's order, once each. Staff who leave the company later stay
	// listed; a record refuses them when the pattern is used.
	Recipients []uuid.UUID `bun:"recipients,type:jsonb" json:"recipients"`
	CreatedAt  time.Time   `bun:"created_at" json:"created_at"`
	UpdatedAt  time.Time   `bun:"updated_at" json:"updated_at"`
}

// Limits of report-to patterns.
const (
	MaxReportPatternName = 50 // runes
	MaxReportPatterns    = 50 // per staff member
)

// ReportPatternInput is what a staff member sets of a pattern.
type ReportPatternInput struct {
	Name       string      `json:"name"`
	Recipients []uuid.UUID `json:"recipients"`
}

// ReportPatterns is the handle on staff members' report-to patterns
// (報告先パターン): named sets of recipients a staff member keeps for
// themself. Get it from Service.ReportPatterns; it is bound to the
// service's database (Service.WithDB binds it too).
type ReportPatterns struct{ s *Service }

// ReportPatterns returns the handle on the principal's report-to patterns.
func (s *Service) ReportPatterns() *ReportPatterns { return &ReportPatterns{s: s} }

// List lists the principal's own patterns by name.
func (h *ReportPatterns) List(ctx context.Context) ([]ReportPattern, error) {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.reportPatterns(ctx, s.db, pr)
	if err != nil {
		return nil, fmt.Errorf("contactlog: report patterns: %w", err)
	}
	return out, nil
}

func (s *Service) reportPatterns(ctx context.Context, db bun.IDB, pr permission.Principal) ([]ReportPattern, error) {
	out := []ReportPattern{}
	err := db.NewSelect().Model(&out).Where("rpat.tenant_id = ?", pr.Tenant).Where("rpat.user_id = ?", pr.User).
		OrderExpr("rpat.name, rpat.id").Scan(ctx)
	return out, storage.Err(err)
}

// Create saves a new pattern of the principal's. Problems
// with in come back as a *ValidationError (name required, too_long or
// duplicate; recipients required, too_many or unknown; too_many patterns).
func (h *ReportPatterns) Create(ctx context.Context, in ReportPatternInput) (*ReportPattern, error) {
	return h.s.saveReportPattern(ctx, uuid.Nil, in)
}

// Update replaces the name and recipients of one of the principal's
// patterns (ErrNotFound for anyone else's).
func (h *ReportPatterns) Update(ctx context.Context, id uuid.UUID, in ReportPatternInput) (*ReportPattern, error) {
	return h.s.saveReportPattern(ctx, id, in)
}

// saveReportPattern creates (id nil) or updates a pattern of pr's.
func (s *Service) saveReportPattern(ctx context.Context, id uuid.UUID, in ReportPatternInput) (*ReportPattern, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *ReportPattern
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		mine, err := s.reportPatterns(ctx, tx, pr)
		if err != nil {
			return err
		}
		p := &ReportPattern{ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Owner: pr.User, CreatedAt: s.now()}
		if id != uuid.Nil {
			i := slices.IndexFunc(mine, func(o ReportPattern) bool { return o.ID == id })
			if i < 0 {
				return ErrNotFound
			}
			p = &mine[i]
		}
		var v validation.Error
		p.Name = checkLen(&v, "name", in.Name, MaxReportPatternName)
		if p.Name == "" {
			v.Add("name", validation.CodeRequired, "")
		}
		for _, o := range mine {
			if o.ID != p.ID && o.Name == p.Name {
				v.Add("name", validation.CodeDuplicate, "")
			}
		}
		if id == uuid.Nil && len(mine) >= MaxReportPatterns {
			v.Add("name", validation.CodeTooMany, fmt.Sprint(MaxReportPatterns))
		}
		p.Recipients = cleanIDs(&v, "recipients", in.Recipients)
		if len(p.Recipients) == 0 && len(in.Recipients) == 0 {
			v.Add("recipients", validation.CodeRequired, "")
		}
		unknown, err := permission.UnknownStaff(ctx, tx, pr.Tenant, p.Recipients)
		if err != nil {
			return err
		}
		for _, u := range unknown {
			v.Add("recipients", validation.CodeUnknown, u.String())
		}
		if err := v.Err(); err != nil {
			return err
		}
		p.UpdatedAt = s.now()
		if id == uuid.Nil {
			_, err = tx.NewInsert().Model(p).Exec(ctx)
		} else {
			_, err = tx.NewUpdate().Model(p).Column("name", "recipients", "updated_at").
				Where("rpat.tenant_id = ?", pr.Tenant).Where("rpat.id = ?", p.ID).Exec(ctx)
		}
		out = p
		return storage.Err(err)
	})
	if err != nil {
		return nil, fmt.Errorf("contactlog: save report pattern: %w", err)
	}
	return out, nil
}

// Delete deletes one of the principal's patterns (ErrNotFound for anyone
// else's).
func (h *ReportPatterns) Delete(ctx context.Context, id uuid.UUID) error {
	s := h.s
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	res, err := s.db.NewDelete().Model((*ReportPattern)(nil)).Where("tenant_id = ?", pr.Tenant).
		Where("user_id = ?", pr.User).Where("id = ?", id).Exec(ctx)
	if err := storage.Affected(res, err, ErrNotFound); err != nil {
		return fmt.Errorf("contactlog: delete report pattern %s: %w", id, err)
	}
	return nil
}

package contactlog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/cursor"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// DefaultTimelineLimit is the number of newest records a timeline shows
// before it switches to months (直近20件).
const DefaultTimelineLimit = 20

// TimelineQuery selects one screen of a customer's history (顧客履歴).
type TimelineQuery struct {
	// Customer is the customer whose records are listed. Required; a
	// customer the principal may not see is ErrNotFound.
	Customer uuid.UUID
	// Template keeps the records of one template ("" for all).
	Template string
	// Month switches to month mode: the records whose Record.Time falls in
	// the calendar month containing Month, in the tenant's time zone. The
	// zero Month lists the newest records instead.
	Month time.Time
	// Limit is the page size: default DefaultTimelineLimit for the newest
	// records and Config.MaxPageSize (the whole month, usually) in month
	// mode; at most Config.MaxPageSize.
	Limit int
	// After is Timeline.Next of the previous page of the same listing.
	After string
}

// Timeline is one screen of a customer's history: records newest first by
// Record.Time (planned-only records at their planned time), and what the
// screen needs to navigate.
type Timeline struct {
	Records []Record `json:"records"`
	// Month is the first instant of the listed month in the tenant's time
	// zone; zero when the newest records are listed.
	Month time.Time `json:"month,omitzero"`
	// Next is the cursor of the rest of this listing; empty when it is
	// complete.
	Next string `json:"next,omitempty"`
	// Older is the month to show next, going back: in month mode the
	// newest earlier month with records; for the newest records the month
	// of the newest record not listed. Zero when there is nothing older.
	Older time.Time `json:"older,omitzero"`
	// Newer is, in month mode, the oldest later month with records; zero
	// otherwise.
	Newer time.Time `json:"newer,omitzero"`
	// Months are the months with records (under the template filter),
	// newest first.
	Months []MonthCount `json:"months"`
	// Templates count the customer's records per template, regardless of
	// the template filter, most used first: the filter's choices.
	Templates []TemplateCount `json:"templates"`
}

// MonthCount is the number of records in a month of a timeline.
type MonthCount struct {
	// Month is the first instant of the month in the tenant's time zone.
	Month time.Time `json:"month"`
	Count int       `json:"count"`
}

// TemplateCount is the number of a customer's records written with a
// template.
type TemplateCount struct {
	Template string `json:"template"`
	Count    int    `json:"count"`
}

// timelinePosition is where a timeline page ends.
type timelinePosition struct {
	Month    time.Time `json:"m,omitzero"`
	Template string    `json:"p,omitempty"`
	Time     time.Time `json:"t"`
	ID       uuid.UUID `json:"i"`
}

// Timeline returns one screen of a customer's history, restricted to the
// records the principal may see: the newest records (TimelineQuery.Month
// zero) or those of one month, with the months and templates to navigate
// by. A screen costs a fixed number of queries, whatever the history's
// size; the month list reads one (time, template) pair per visible record
// of the customer. It reads from Config.ReadDB when one is set.
func (s *Service) Timeline(ctx context.Context, q TimelineQuery) (*Timeline, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	tl, err := s.reader().timeline(ctx, pr, q)
	if err != nil {
		return nil, fmt.Errorf("contactlog: timeline %s: %w", q.Customer, err)
	}
	return tl, nil
}

// monthOf returns the first instant of t's month in loc.
func monthOf(t time.Time, loc *time.Location) time.Time {
	y, m, _ := t.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, loc)
}

func (s *Service) timeline(ctx context.Context, pr permission.Principal, q TimelineQuery) (*Timeline, error) {
	loc := s.location(pr)
	tl := &Timeline{}
	if !q.Month.IsZero() {
		tl.Month = monthOf(q.Month, loc)
	}
	var v validation.Error
	if q.Customer == uuid.Nil {
		v.Add("customer", validation.CodeRequired, "")
	}
	switch {
	case q.Limit == 0 && tl.Month.IsZero():
		q.Limit = DefaultTimelineLimit
	case q.Limit == 0:
		q.Limit = s.cfg.MaxPageSize
	case q.Limit < 0 || q.Limit > s.cfg.MaxPageSize:
		v.Add("limit", validation.CodeOutOfRange, fmt.Sprintf("1..%d", s.cfg.MaxPageSize))
	}
	var after timelinePosition
	if q.After != "" {
		if err := cursor.Decode(q.After, &after); err != nil || !after.Month.Equal(tl.Month) || after.Template != q.Template || after.ID == uuid.Nil {
			v.Add("after", validation.CodeFormat, "")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if ok, err := s.customerVisible(ctx, s.db, pr, q.Customer); err != nil || !ok {
		if err == nil {
			err = ErrNotFound
		}
		return nil, err
	}

	// Navigation: every visible record's month and template.
	pred, err := s.authz.Predicate(ctx, pr, recordTable)
	if err != nil {
		return nil, err
	}
	var marks []struct {
		OccurredAt time.Time `bun:"occurred_at"`
		Template   string    `bun:"template_key"`
	}
	if err := pred.Apply(s.db.NewSelect().Model((*recordRow)(nil)).ColumnExpr("r.occurred_at, r.template_key")).
		Where("r.customer_id = ?", q.Customer).Where("r.deleted_at IS NULL").
		OrderExpr("r.occurred_at DESC, r.id DESC").Scan(ctx, &marks); err != nil {
		return nil, storage.Err(err)
	}
	templates := map[string]int{}
	for _, m := range marks {
		templates[m.Template]++
		if q.Template != "" && m.Template != q.Template {
			continue
		}
		month := monthOf(m.OccurredAt, loc)
		if n := len(tl.Months); n == 0 || !tl.Months[n-1].Month.Equal(month) {
			tl.Months = append(tl.Months, MonthCount{Month: month})
		}
		tl.Months[len(tl.Months)-1].Count++
		switch {
		case tl.Month.IsZero():
		case month.Before(tl.Month) && tl.Older.IsZero():
			tl.Older = month
		case month.After(tl.Month):
			tl.Newer = month
		}
	}
	for t, n := range templates {
		tl.Templates = append(tl.Templates, TemplateCount{Template: t, Count: n})
	}
	slices.SortFunc(tl.Templates, func(a, b TemplateCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Template, b.Template)
	})

	// The records.
	rows, err := s.query(ctx, s.db, pr, func(sel *bun.SelectQuery) *bun.SelectQuery {
		sel = sel.Where("r.customer_id = ?", q.Customer).Where("r.deleted_at IS NULL")
		if q.Template != "" {
			sel = sel.Where("r.template_key = ?", q.Template)
		}
		if !tl.Month.IsZero() {
			sel = sel.Where("r.occurred_at >= ?", tl.Month).Where("r.occurred_at < ?", tl.Month.AddDate(0, 1, 0))
		}
		if q.After != "" {
			sel = sel.Where("(r.occurred_at, r.id) < (?, ?)", after.Time, after.ID)
		}
		return sel.OrderExpr("r.occurred_at DESC, r.id DESC").Limit(int64(q.Limit) + 1)
	})
	if err != nil {
		return nil, err
	}
	if len(rows) > q.Limit {
		if tl.Month.IsZero() {
			tl.Older = monthOf(rows[q.Limit].Time(), loc)
		}
		rows = rows[:q.Limit]
		last := &rows[len(rows)-1]
		if tl.Next, err = cursor.Encode(timelinePosition{Month: tl.Month, Template: q.Template, Time: last.Time(), ID: last.ID}); err != nil {
			return nil, err
		}
	}
	if err := s.details(ctx, s.db, pr, rows); err != nil {
		return nil, err
	}
	tl.Records = rows
	return tl, nil
}

// History returns the past entries of a record's template for its customer
// (過去の推移): the records the principal may see with the same customer
// and template whose Record.Time is before the record's, newest first, at
// most limit (default DefaultTimelineLimit, at most Config.MaxPageSize) —
// to see how the template's values changed. A draft has no history. It
// reads from Config.ReadDB when one is set.
func (s *Service) History(ctx context.Context, id uuid.UUID, limit int) ([]Record, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.reader().history(ctx, pr, id, limit)
	if err != nil {
		return nil, fmt.Errorf("contactlog: history %s: %w", id, err)
	}
	return out, nil
}

func (s *Service) history(ctx context.Context, pr permission.Principal, id uuid.UUID, limit int) ([]Record, error) {
	switch {
	case limit == 0:
		limit = DefaultTimelineLimit
	case limit < 0 || limit > s.cfg.MaxPageSize:
		var v validation.Error
		v.Add("limit", validation.CodeOutOfRange, fmt.Sprintf("1..%d", s.cfg.MaxPageSize))
		return nil, v.Err()
	}
	r, err := s.get(ctx, s.db, pr, id, false)
	if err != nil || r.IsDraft() {
		return nil, err
	}
	rs, err := s.query(ctx, s.db, pr, func(sel *bun.SelectQuery) *bun.SelectQuery {
		return sel.Where("r.customer_id = ?", r.Customer).Where("r.deleted_at IS NULL").Where("r.template_key = ?", r.Template).
			Where("(r.occurred_at, r.id) < (?, ?)", r.Time(), r.ID).
			OrderExpr("r.occurred_at DESC, r.id DESC").Limit(int64(limit))
	})
	if err == nil {
		err = s.details(ctx, s.db, pr, rs)
	}
	return rs, err
}

// CustomerStatus is where the contacts with a customer stand, as a
// customer list shows it (現進捗, 次回接触予定日).
type CustomerStatus struct {
	// Progress is the progress code of the newest record with an actual
	// time and a progress (現進捗); empty when there is none.
	Progress string `json:"progress,omitempty"`
	// ProgressAt is that record's actual time, ProgressRecord its ID.
	ProgressAt     time.Time `json:"progress_at,omitzero"`
	ProgressRecord uuid.UUID `json:"progress_record,omitzero"`
	// NextContactAt is the earliest planned time after now (次回接触予定日);
	// zero when nothing is planned. NextRecord is that record's ID.
	NextContactAt time.Time `json:"next_contact_at,omitzero"`
	NextRecord    uuid.UUID `json:"next_record,omitzero"`
}

// CustomerStatuses returns the status of each of a page of customers (at
// most Config.MaxPageSize IDs), computed over the records the principal
// may see and that are not deleted, with one query. Customers with neither
// a progress nor a planned contact, and IDs of no customer of the tenant,
// have no entry. It reads from Config.ReadDB when one is set.
func (s *Service) CustomerStatuses(ctx context.Context, customers []uuid.UUID) (map[uuid.UUID]CustomerStatus, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.reader().customerStatuses(ctx, pr, customers)
	if err != nil {
		return nil, fmt.Errorf("contactlog: customer statuses: %w", err)
	}
	return out, nil
}

func (s *Service) customerStatuses(ctx context.Context, pr permission.Principal, customers []uuid.UUID) (map[uuid.UUID]CustomerStatus, error) {
	var v validation.Error
	if slices.Contains(customers, uuid.Nil) {
		v.Add("customers", validation.CodeInvalidUUID, "")
	}
	if len(customers) > s.cfg.MaxPageSize {
		v.Add("customers", validation.CodeTooMany, fmt.Sprint(s.cfg.MaxPageSize))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	out := map[uuid.UUID]CustomerStatus{}
	if len(customers) == 0 {
		return out, nil
	}
	pred, err := s.authz.Predicate(ctx, pr, recordTable)
	if err != nil {
		return nil, err
	}
	// Per customer, the one record of each kind, found through
	// contact_records_customer from the newest entry on and through
	// contact_records_customer_planned from the earliest; the predicate is
	// checked on those rows only. A record's occurred_at is its actual time
	// when it has one (Record.Time), so "occurred_at = actual_at" selects
	// the records with an actual time, and among them the order by
	// occurred_at is the order by actual time. It names no indexed column
	// alone: with "actual_at IS NOT NULL" or "actual_at > …" SQLite, without
	// statistics, walked the tenant's records by actual time (the index
	// contact_records_actual, since dropped) instead.
	c := customer.Ref{Alias: "c"}
	ofCustomer := "r.tenant_id = " + c.Tenant() + " AND r.customer_id = " + c.ID()
	latest := pred.Apply(s.db.NewSelect().TableExpr("contact_records AS r").Column("r.id")).
		Where(ofCustomer).Where("r.deleted_at IS NULL").Where("r.occurred_at = r.actual_at").Where("r.progress <> ''").
		OrderExpr("r.occurred_at DESC, r.id DESC").Limit(1)
	next := pred.Apply(s.db.NewSelect().TableExpr("contact_records AS r").Column("r.id")).
		Where(ofCustomer).Where("r.deleted_at IS NULL").Where("r.planned_at > ?", s.now()).
		OrderExpr("r.planned_at, r.id").Limit(1)
	var rows []struct {
		Customer       uuid.UUID  `bun:"customer_id"`
		ProgressRecord *uuid.UUID `bun:"progress_record"`
		Progress       *string    `bun:"progress"`
		ProgressAt     *time.Time `bun:"progress_at"`
		NextRecord     *uuid.UUID `bun:"next_record"`
		NextContactAt  *time.Time `bun:"next_contact_at"`
	}
	err = s.db.NewSelect().TableExpr(c.From()).
		ColumnExpr(c.ID()+" AS customer_id, p.id AS progress_record, p.progress, p.actual_at AS progress_at, n.id AS next_record, n.planned_at AS next_contact_at").
		Join("LEFT JOIN contact_records AS p ON p.tenant_id = "+c.Tenant()+" AND p.id = (?)", latest).
		Join("LEFT JOIN contact_records AS n ON n.tenant_id = "+c.Tenant()+" AND n.id = (?)", next).
		Where(c.Tenant()+" = ?", pr.Tenant).Where(c.ID()+" IN (?)", bun.List(customers)).
		Scan(ctx, &rows)
	if err != nil {
		return nil, storage.Err(err)
	}
	for _, r := range rows {
		var st CustomerStatus
		if r.ProgressRecord != nil {
			st.ProgressRecord, st.Progress, st.ProgressAt = *r.ProgressRecord, *r.Progress, r.ProgressAt.UTC()
		}
		if r.NextRecord != nil {
			st.NextRecord, st.NextContactAt = *r.NextRecord, r.NextContactAt.UTC()
		}
		if st != (CustomerStatus{}) {
			out[r.Customer] = st
		}
	}
	return out, nil
}

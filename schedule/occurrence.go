package schedule

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/csvio"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// MaxMemoLen caps an occurrence's memo, in runes.
const MaxMemoLen = 2000

// Occurrence is one day of a recurring alert, shown as its Label
// (季節ごと定期ハガキ(1/4)).
type Occurrence struct {
	ID       uuid.UUID `json:"id"`
	Tenant   uuid.UUID `json:"tenant"`
	Alert    uuid.UUID `json:"alert"`
	Customer uuid.UUID `json:"customer"`
	// CustomerName is the customer's display name (Customer.DisplayName).
	CustomerName string `json:"customer_name"`
	// Title and Count are the alert's; Seq is this occurrence's number,
	// 1..Count.
	Title string `json:"title"`
	Seq   int    `json:"seq"`
	Count int    `json:"count"`
	// Due is the day the alert falls on.
	Due Date `json:"due"`
	// RemindAt is when the reminder to the customer's assignees becomes
	// due; zero when the occurrence was already past when it was generated
	// and is not reminded.
	RemindAt time.Time `json:"remind_at,omitzero"`
	// NotifiedAt is when the reminder was sent (通知済); zero while it is not
	// (未通知).
	NotifiedAt time.Time `json:"notified_at,omitzero"`
	// Done (完了 → 済) with who marked it and when; DoneBy and DoneAt are zero
	// while not done.
	Done   bool      `json:"done"`
	DoneAt time.Time `json:"done_at,omitzero"`
	DoneBy uuid.UUID `json:"done_by,omitzero"`
	// Memo is the staff's note on this occurrence.
	Memo string `json:"memo,omitempty"`
	// Version increases with every change; pass it back to SetDone and
	// SetMemo (optimistic locking).
	Version int64 `json:"version"`
}

// Label is how the occurrence is shown: title(seq/count).
func (o *Occurrence) Label() string { return fmt.Sprintf("%s(%d/%d)", o.Title, o.Seq, o.Count) }

type occRow struct {
	bun.BaseModel `bun:"table:schedule_alert_occurrences,alias:o"`

	Tenant     uuid.UUID `bun:"tenant_id,pk"`
	ID         uuid.UUID `bun:"id,pk"`
	Alert      uuid.UUID `bun:"alert_id"`
	Customer   uuid.UUID `bun:"customer_id"`
	Seq        int       `bun:"seq"`
	Due        string    `bun:"due_date"`
	RemindAt   time.Time `bun:"remind_at,nullzero"`
	DoneAt     time.Time `bun:"done_at,nullzero"`
	DoneBy     uuid.UUID `bun:"done_by,nullzero"`
	Memo       string    `bun:"memo"`
	NotifiedAt time.Time `bun:"notified_at,nullzero"`
	UpdatedAt  time.Time `bun:"updated_at"`
	Version    int64     `bun:"version"`
}

// occView is an occurrence row with its alert's and customer's columns.
type occView struct {
	occRow
	Title       string `bun:"alert_title"`
	Count       int    `bun:"alert_count"`
	Kind        string `bun:"customer_kind"`
	FamilyName  string `bun:"customer_family_name"`
	GivenName   string `bun:"customer_given_name"`
	CompanyName string `bun:"customer_company_name"`
}

func (v *occView) occurrence() (Occurrence, error) {
	due, err := ParseDate(v.Due)
	if err != nil {
		return Occurrence{}, err
	}
	c := customer.Customer{Profile: customer.Profile{Kind: customer.Kind(v.Kind), FamilyName: v.FamilyName, GivenName: v.GivenName, CompanyName: v.CompanyName}}
	return Occurrence{
		ID: v.ID, Tenant: v.Tenant, Alert: v.Alert, Customer: v.Customer, CustomerName: c.DisplayName(),
		Title: v.Title, Seq: v.Seq, Count: v.Count, Due: due, RemindAt: utc(v.RemindAt), NotifiedAt: utc(v.NotifiedAt),
		Done: !v.DoneAt.IsZero(), DoneAt: utc(v.DoneAt), DoneBy: v.DoneBy, Memo: v.Memo, Version: v.Version,
	}, nil
}

// utc returns t in UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// selectViews starts a query of tenant's occurrences with their alert's
// and customer's columns (occView); the caller joins the customers, aliased
// c.
func selectViews(db bun.IDB, tenant uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().Model((*occRow)(nil)).ColumnExpr("o.*").
		ColumnExpr("a.title AS alert_title, a.count AS alert_count").
		ColumnExpr(entryCustomer.NameColumns("customer_")).
		Join("JOIN schedule_alerts AS a ON a.tenant_id = o.tenant_id AND a.id = o.alert_id").
		Where("o.tenant_id = ?", tenant)
}

// selectOccurrences starts a query of the occurrences pr sees, with their
// alert's and customer's columns.
func (s *Service) selectOccurrences(ctx context.Context, db bun.IDB, pr permission.Principal) (*bun.SelectQuery, error) {
	q := selectViews(db, pr.Tenant)
	if err := s.joinVisibleCustomer(ctx, pr, q, "o"); err != nil {
		return nil, err
	}
	return q, nil
}

// Occurrence returns one occurrence; ErrNotFound when it does not exist or
// its customer is hidden from the principal.
func (s *Service) Occurrence(ctx context.Context, id uuid.UUID) (*Occurrence, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.occurrence(ctx, s.db, pr, id)
	if err != nil {
		return nil, fmt.Errorf("schedule: occurrence %s: %w", id, err)
	}
	return o, nil
}

func (s *Service) occurrence(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*Occurrence, error) {
	q, err := s.selectOccurrences(ctx, db, pr)
	if err != nil {
		return nil, err
	}
	var v occView
	if err := q.Where("o.id = ?", id).Scan(ctx, &v); err != nil {
		return nil, storage.Err(err)
	}
	o, err := v.occurrence()
	return &o, err
}

// SetDone marks an occurrence done (完了 → 済) by the principal now, or,
// with done false, not done again, at version (ErrConflict when it changed
// since). An occurrence done before its reminder time is not reminded.
// Setting the state it already has changes nothing but the version.
func (s *Service) SetDone(ctx context.Context, id uuid.UUID, version int64, done bool) (*Occurrence, error) {
	return s.updateOccurrence(ctx, "set done", id, version, func(pr permission.Principal, q *bun.UpdateQuery) error {
		if done {
			q.Set("done_at = COALESCE(done_at, ?)", s.now()).Set("done_by = COALESCE(done_by, ?)", pr.User)
		} else {
			q.Set("done_at = NULL").Set("done_by = NULL")
		}
		return nil
	})
}

// SetMemo replaces an occurrence's memo (trimmed, at most MaxMemoLen
// runes; "" clears it) at version (ErrConflict when it changed since).
func (s *Service) SetMemo(ctx context.Context, id uuid.UUID, version int64, memo string) (*Occurrence, error) {
	return s.updateOccurrence(ctx, "set memo", id, version, func(_ permission.Principal, q *bun.UpdateQuery) error {
		var v validation.Error
		memo = checkText(&v, "memo", memo, MaxMemoLen, false)
		if err := v.Err(); err != nil {
			return err
		}
		q.Set("memo = ?", memo)
		return nil
	})
}

// updateOccurrence changes an occurrence the staff principal sees at
// version with the SET clauses set adds, and returns it afterwards.
func (s *Service) updateOccurrence(ctx context.Context, what string, id uuid.UUID, version int64, set func(permission.Principal, *bun.UpdateQuery) error) (*Occurrence, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Occurrence
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.occurrence(ctx, tx, pr, id); err != nil {
			return err
		}
		q := tx.NewUpdate().Model((*occRow)(nil)).Set("version = version + 1").Set("updated_at = ?", s.now()).
			Where("tenant_id = ?", pr.Tenant).Where("id = ?", id).Where("version = ?", version)
		if err := set(pr, q); err != nil {
			return err
		}
		res, err := q.Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		if out, err = s.occurrence(ctx, tx, pr, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, strings.ReplaceAll(what, " ", "_"), "alert_occurrence", id, "")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: %s %s: %w", what, id, err)
	}
	return out, nil
}

// Status filters occurrences by their reminder (MASPO's ステータス).
type Status string

// Statuses. 通知済 means the reminder to the customer's assignees was sent
// (the reminder scan has enqueued it); whether staff marked the
// occurrence done is a separate filter (OccurrenceQuery.Done).
const (
	StatusAll      Status = ""         // すべて
	StatusPending  Status = "pending"  // 未通知: no reminder sent yet
	StatusNotified Status = "notified" // 通知済: reminder sent
)

// OccurrenceQuery selects occurrences. Zero fields do not filter.
type OccurrenceQuery struct {
	// From and To bound the due day, both included.
	From, To Date
	// Period, when set, replaces From and To by a quick range around now
	// in the tenant's zone.
	Period Period
	Status Status
	// Done, when set, keeps the done (true) or not done (false) ones.
	Done *bool
	// Customer keeps one customer's occurrences (the customer's アラート tab).
	Customer uuid.UUID
	// Assignee keeps the occurrences of customers this staff member is
	// assigned to.
	Assignee uuid.UUID
	// Newest orders by due day descending (the customer tab's order);
	// default ascending.
	Newest bool
	// Limit is the page size: 1–Config.MaxPageSize; 0 means 50.
	Limit int
	// After is the Next of the previous page.
	After string
}

// OccurrencePage is one page of occurrences.
type OccurrencePage struct {
	Occurrences []Occurrence `json:"occurrences"`
	// Next fetches the following page (OccurrenceQuery.After); "" on the
	// last page.
	Next string `json:"next,omitempty"`
}

// Occurrences lists the occurrences the principal sees (those of visible
// customers) matching q, by due day then ID, in pages. Bad filters are
// reported in a *ValidationError naming the field ("to": before From;
// "period", "status": unknown; "limit": out of range; "after": malformed).
func (s *Service) Occurrences(ctx context.Context, q OccurrenceQuery) (*OccurrencePage, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.occurrences(ctx, pr, q)
	if err != nil {
		return nil, fmt.Errorf("schedule: occurrences: %w", err)
	}
	return page, nil
}

func (s *Service) occurrences(ctx context.Context, pr permission.Principal, q OccurrenceQuery) (*OccurrencePage, error) {
	var v validation.Error
	if q.Period != "" {
		from, to, err := q.Period.Range(s.cfg.Clock(), s.location(pr))
		if err != nil {
			v.Add("period", validation.CodeUnknown, string(q.Period))
		}
		q.From, q.To = from, to
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		v.Add("to", validation.CodeOutOfRange, q.From.String()+"..")
	}
	switch q.Status {
	case StatusAll, StatusPending, StatusNotified:
	default:
		v.Add("status", validation.CodeUnknown, string(q.Status))
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	checkRange(&v, "limit", q.Limit, 1, s.cfg.MaxPageSize)
	var afterDue string
	var afterID uuid.UUID
	if q.After != "" {
		due, id, ok := strings.Cut(q.After, "/")
		d, derr := ParseDate(due)
		u, uerr := uuid.Parse(id)
		if !ok || derr != nil || uerr != nil {
			v.Add("after", validation.CodeFormat, "")
		}
		afterDue, afterID = d.String(), u
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sel, err := s.selectOccurrences(ctx, s.db, pr)
	if err != nil {
		return nil, err
	}
	if !q.From.IsZero() {
		sel.Where("o.due_date >= ?", q.From.String())
	}
	if !q.To.IsZero() {
		sel.Where("o.due_date <= ?", q.To.String())
	}
	switch q.Status {
	case StatusPending:
		sel.Where("o.notified_at IS NULL")
	case StatusNotified:
		sel.Where("o.notified_at IS NOT NULL")
	}
	if q.Done != nil {
		if *q.Done {
			sel.Where("o.done_at IS NOT NULL")
		} else {
			sel.Where("o.done_at IS NULL")
		}
	}
	if q.Customer != uuid.Nil {
		sel.Where("o.customer_id = ?", q.Customer)
	}
	if q.Assignee != uuid.Nil {
		expr, args := customer.AssigneeRef{Alias: "qa"}.Assigned("o", "customer_id", pr.Tenant, q.Assignee)
		sel.Where(expr, args...)
	}
	cmp, dir := ">", "ASC"
	if q.Newest {
		cmp, dir = "<", "DESC"
	}
	if q.After != "" {
		sel.Where("(o.due_date "+cmp+" ? OR (o.due_date = ? AND o.id "+cmp+" ?))", afterDue, afterDue, afterID)
	}
	var views []occView
	if err := sel.OrderExpr("o.due_date "+dir+", o.id "+dir).Limit(int64(q.Limit+1)).Scan(ctx, &views); err != nil {
		return nil, storage.Err(err)
	}
	page := &OccurrencePage{Occurrences: make([]Occurrence, 0, min(len(views), q.Limit))}
	for i := range views {
		if i == q.Limit {
			last := page.Occurrences[i-1]
			page.Next = last.Due.String() + "/" + last.ID.String()
			break
		}
		o, err := views[i].occurrence()
		if err != nil {
			return nil, err
		}
		page.Occurrences = append(page.Occurrences, o)
	}
	return page, nil
}

// ExportOccurrences writes every occurrence matching q (its Limit and
// After are ignored) as CSV in enc (customer.UTF8BOM by default, or
// customer.ShiftJIS, where characters it cannot hold become 〓): 日付,
// 顧客ID, 顧客名, 内容, 通知, 完了, 完了日時, メモ. Cells Excel would run as a
// formula are prefixed with '. Needs the export right on customers; the
// export is recorded in the audit log with its row count, which it
// returns.
func (s *Service) ExportOccurrences(ctx context.Context, w io.Writer, q OccurrenceQuery, enc customer.Encoding) (int, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.authz.Check(ctx, pr, permission.ActionExport, &permission.CustomerObject{Tenant: pr.Tenant}); err != nil {
		return 0, fmt.Errorf("schedule: export occurrences: %w", err)
	}
	e, ok := csvio.ByName(string(enc))
	if !ok {
		var v validation.Error
		v.Add("encoding", validation.CodeUnknown, string(enc))
		return 0, fmt.Errorf("schedule: export occurrences: %w", v.Err())
	}
	cw := csvio.NewWriter(w, e, &csvio.WriterOptions{FormulaGuard: true})
	if _, err := cw.Write([]string{"日付", "顧客ID", "顧客名", "内容", "通知", "完了", "完了日時", "メモ"}); err != nil {
		return 0, fmt.Errorf("schedule: export occurrences: %w", err)
	}
	loc := s.location(pr)
	rows := 0
	q.After, q.Limit = "", s.cfg.MaxPageSize
	for {
		page, err := s.occurrences(ctx, pr, q)
		if err != nil {
			return rows, fmt.Errorf("schedule: export occurrences: %w", err)
		}
		for i := range page.Occurrences {
			o := &page.Occurrences[i]
			notified, done, doneAt := "未通知", "", ""
			if !o.NotifiedAt.IsZero() {
				notified = "通知済"
			}
			if o.Done {
				done, doneAt = "済", o.DoneAt.In(loc).Format("2006/01/02 15:04")
			}
			rec := []string{o.Due.In(time.UTC).Format("2006/01/02"), o.Customer.String(), o.CustomerName, o.Label(), notified, done, doneAt, o.Memo}
			if _, err := cw.Write(rec); err != nil {
				return rows, fmt.Errorf("schedule: export occurrences: %w", err)
			}
			rows++
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	if err := cw.Flush(); err != nil {
		return rows, fmt.Errorf("schedule: export occurrences: %w", err)
	}
	if err := s.audit(ctx, s.db, pr, string(permission.ActionExport), "alert_occurrence", uuid.Nil, fmt.Sprintf("rows=%d", rows)); err != nil {
		return rows, fmt.Errorf("schedule: export occurrences: %w", err)
	}
	return rows, nil
}

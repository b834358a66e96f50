package schedule

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// AlertInput is what staff enter for a recurring alert (MASPO アラート).
type AlertInput struct {
	// Customer the alert is about. Required; fixed once created.
	Customer uuid.UUID `json:"customer"`
	// Title, e.g. 季節ごと定期ハガキ. Required, at most MaxTitleLen runes;
	// trimmed.
	Title string `json:"title"`
	// Start is the day of the first occurrence. Required.
	Start Date `json:"start"`
	// Count is the number of occurrences, the first included: 1–MaxCount.
	Count int `json:"count"`
	// Every is the step between occurrences in Units: 1–MaxEvery.
	Every int `json:"every"`
	// Unit is Days, Weeks or Months.
	Unit Unit `json:"unit"`
}

// Alert is a recurring alert's definition.
type Alert struct {
	ID     uuid.UUID `json:"id"`
	Tenant uuid.UUID `json:"tenant"`
	AlertInput
	Author    uuid.UUID `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy uuid.UUID `json:"updated_by"`
	// Version increases with every change; pass it back to Update and
	// Delete (optimistic locking).
	Version int64 `json:"version"`
}

type alertRow struct {
	bun.BaseModel `bun:"table:schedule_alerts,alias:a"`

	Tenant    uuid.UUID `bun:"tenant_id,pk"`
	ID        uuid.UUID `bun:"id,pk"`
	Customer  uuid.UUID `bun:"customer_id"`
	Title     string    `bun:"title"`
	Start     string    `bun:"start_date"`
	Count     int       `bun:"count"`
	Every     int       `bun:"every"`
	Unit      string    `bun:"unit"`
	Author    uuid.UUID `bun:"author_id"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
	UpdatedBy uuid.UUID `bun:"updated_by"`
	Version   int64     `bun:"version"`
}

func (r *alertRow) alert() (*Alert, error) {
	start, err := ParseDate(r.Start)
	if err != nil {
		return nil, err
	}
	return &Alert{
		ID: r.ID, Tenant: r.Tenant,
		AlertInput: AlertInput{Customer: r.Customer, Title: r.Title, Start: start, Count: r.Count, Every: r.Every, Unit: Unit(r.Unit)},
		Author:     r.Author, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy, Version: r.Version,
	}, nil
}

// checkText trims s and adds to v a required, format (no text: a control
// character other than a tab or line break, validation.ValidText) or
// too_long problem of field.
func checkText(v *validation.Error, field, s string, limit int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.Add(field, validation.CodeRequired, "")
	case !v.CheckText(field, s, true):
	case utf8.RuneCountInString(s) > limit:
		v.Add(field, validation.CodeTooLong, strconv.Itoa(limit))
	}
	return s
}

// checkRange adds an out_of_range problem of field when n is not lo–hi.
func checkRange(v *validation.Error, field string, n, lo, hi int) {
	if n < lo || n > hi {
		v.Add(field, validation.CodeOutOfRange, fmt.Sprintf("%d..%d", lo, hi))
	}
}

// validate checks every field of in (but the customer's visibility) and
// returns it trimmed.
func (in AlertInput) validate(v *validation.Error) AlertInput {
	if in.Customer == uuid.Nil {
		v.Add("customer", validation.CodeRequired, "")
	}
	in.Title = checkText(v, "title", in.Title, MaxTitleLen, true)
	switch {
	case in.Start.IsZero():
		v.Add("start", validation.CodeRequired, "")
	case !in.Start.valid():
		v.Add("start", validation.CodeBadDate, "")
	}
	checkRange(v, "count", in.Count, 1, MaxCount)
	checkRange(v, "every", in.Every, 1, MaxEvery)
	switch in.Unit {
	case Days, Weeks, Months:
	case "":
		v.Add("unit", validation.CodeRequired, "")
	default:
		v.Add("unit", validation.CodeUnknown, string(in.Unit))
	}
	return in
}

// CreateAlert registers a recurring alert and its occurrences. Staff only;
// the customer must be one the principal sees (otherwise "customer" is
// reported unknown). Occurrences due before today (in the tenant's zone)
// are created without a reminder: only today's and later ones are
// reminded. Fields are checked as AlertInput documents, every problem
// reported at once in a *ValidationError.
func (s *Service) CreateAlert(ctx context.Context, in AlertInput) (*Alert, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Alert
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		var v validation.Error
		in = in.validate(&v)
		if in.Customer != uuid.Nil {
			ok, err := s.customerVisible(ctx, tx, pr, in.Customer)
			if err != nil {
				return err
			}
			if !ok {
				v.Add("customer", validation.CodeUnknown, in.Customer.String())
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		r := alertRow{
			Tenant: pr.Tenant, ID: uuid.Must(uuid.NewV7()), Customer: in.Customer, Title: in.Title,
			Start: in.Start.String(), Count: in.Count, Every: in.Every, Unit: string(in.Unit),
			Author: pr.User, CreatedAt: now, UpdatedAt: now, UpdatedBy: pr.User, Version: 1,
		}
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return err
		}
		if err := s.generate(ctx, tx, pr, &r, nil); err != nil {
			return err
		}
		if out, err = r.alert(); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "create", "alert", r.ID, "")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: create alert: %w", err)
	}
	return out, nil
}

// UpdateAlert changes an alert's definition at version (ErrConflict when it
// changed since). The customer cannot change (reported not_allowed under
// "customer"). The occurrences are regenerated: those already done,
// already reminded or due before today (tenant zone) are kept with their
// memos, state and number; the others are replaced by the new
// definition's occurrences from today on, except for numbers a kept
// occurrence holds.
func (s *Service) UpdateAlert(ctx context.Context, id uuid.UUID, version int64, in AlertInput) (*Alert, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Alert
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.alertRow(ctx, tx, pr, id)
		if err != nil {
			return err
		}
		var v validation.Error
		in = in.validate(&v)
		if in.Customer != uuid.Nil && in.Customer != cur.Customer {
			v.Add("customer", validation.CodeNotAllowed, in.Customer.String())
		}
		if err := v.Err(); err != nil {
			return err
		}
		cur.Title, cur.Start, cur.Count, cur.Every, cur.Unit = in.Title, in.Start.String(), in.Count, in.Every, string(in.Unit)
		cur.UpdatedAt, cur.UpdatedBy = s.now(), pr.User
		res, err := tx.NewUpdate().Model(cur).Column("title", "start_date", "count", "every", "unit", "updated_at", "updated_by").
			Set("version = version + 1").WherePK().Where("version = ?", version).Returning("version").Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		cur.Version = version + 1
		today := s.today(pr).String()
		if _, err := tx.NewDelete().Model((*occRow)(nil)).Where("tenant_id = ?", pr.Tenant).Where("alert_id = ?", id).
			Where("done_at IS NULL").Where("notified_at IS NULL").Where("due_date >= ?", today).Exec(ctx); err != nil {
			return err
		}
		var kept []int
		if err := tx.NewSelect().Model((*occRow)(nil)).Column("o.seq").Where("o.tenant_id = ?", pr.Tenant).
			Where("o.alert_id = ?", id).Scan(ctx, &kept); err != nil {
			return err
		}
		if err := s.generate(ctx, tx, pr, cur, kept); err != nil {
			return err
		}
		if out, err = cur.alert(); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "update", "alert", id, "")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: update alert %s: %w", id, err)
	}
	return out, nil
}

// DeleteAlert erases an alert at version with all its occurrences and
// memos (ErrConflict when it changed since).
func (s *Service) DeleteAlert(ctx context.Context, id uuid.UUID, version int64) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.alertRow(ctx, tx, pr, id); err != nil {
			return err
		}
		// Occurrences first: SQLite cascades only with foreign keys on.
		if _, err := tx.NewDelete().Model((*occRow)(nil)).Where("tenant_id = ?", pr.Tenant).Where("alert_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*alertRow)(nil)).Where("tenant_id = ?", pr.Tenant).Where("id = ?", id).
			Where("version = ?", version).Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "delete", "alert", id, "")
	})
	if err != nil {
		return fmt.Errorf("schedule: delete alert %s: %w", id, err)
	}
	return nil
}

// Alert returns an alert's definition; ErrNotFound when it does not exist
// or its customer is hidden from the principal.
func (s *Service) Alert(ctx context.Context, id uuid.UUID) (*Alert, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.alertRow(ctx, s.db, pr, id)
	if err != nil {
		return nil, fmt.Errorf("schedule: alert %s: %w", id, err)
	}
	return r.alert()
}

// CustomerAlerts returns the definitions of a customer's alerts, newest
// first; ErrNotFound when the customer does not exist or is hidden from
// the principal.
func (s *Service) CustomerAlerts(ctx context.Context, cust uuid.UUID) ([]Alert, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := s.customerVisible(ctx, s.db, pr, cust)
	if err == nil && !ok {
		err = ErrNotFound
	}
	var rows []alertRow
	if err == nil {
		err = storage.Err(s.db.NewSelect().Model(&rows).Where("a.tenant_id = ?", pr.Tenant).Where("a.customer_id = ?", cust).
			OrderExpr("a.created_at DESC, a.id DESC").Scan(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("schedule: customer alerts %s: %w", cust, err)
	}
	out := make([]Alert, len(rows))
	for i := range rows {
		a, err := rows[i].alert()
		if err != nil {
			return nil, err
		}
		out[i] = *a
	}
	return out, nil
}

// alertRow loads an alert whose customer pr sees.
func (s *Service) alertRow(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (*alertRow, error) {
	var r alertRow
	q := db.NewSelect().Model(&r).Where("a.tenant_id = ?", pr.Tenant).Where("a.id = ?", id)
	if err := s.joinVisibleCustomer(ctx, pr, q, "a"); err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	return &r, nil
}

// generate inserts the occurrences of a from today (tenant zone) on, all
// of them when kept is nil (a new alert), skipping the numbers in kept.
// Occurrences due before today get no reminder.
func (s *Service) generate(ctx context.Context, db bun.IDB, pr permission.Principal, a *alertRow, kept []int) error {
	start, err := ParseDate(a.Start)
	if err != nil {
		return err
	}
	loc := s.location(pr)
	today := s.today(pr)
	skip := make(map[int]bool, len(kept))
	for _, k := range kept {
		skip[k] = true
	}
	var rows []occRow
	for k, d := range OccurrenceDates(start, a.Every, Unit(a.Unit), a.Count) {
		seq := k + 1
		if skip[seq] || (kept != nil && d.Before(today)) {
			continue
		}
		r := occRow{Tenant: a.Tenant, ID: uuid.Must(uuid.NewV7()), Alert: a.ID, Customer: a.Customer, Seq: seq,
			Due: d.String(), UpdatedAt: a.UpdatedAt, Version: 1}
		if !d.Before(today) {
			r.RemindAt = d.In(loc).Add(time.Duration(s.cfg.ReminderHour) * time.Hour).UTC()
		}
		rows = append(rows, r)
	}
	for start := 0; start < len(rows); start += 500 {
		batch := rows[start:min(start+500, len(rows))]
		if _, err := db.NewInsert().Model(&batch).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// entryCustomer is the customer of an alert, occurrence, appointment or
// record in the schedule's queries.
var entryCustomer = customer.Ref{Alias: "c"}

// customerJoin is the join of a table aliased alias (with tenant_id and
// customer_id) to its customer, which must not be deleted.
func customerJoin(alias string) string {
	return entryCustomer.Join("JOIN", alias, "customer_id") + " AND " + entryCustomer.Live()
}

// joinVisibleCustomer joins q's table aliased alias to its customer and
// keeps the rows whose customer pr sees.
func (s *Service) joinVisibleCustomer(ctx context.Context, pr permission.Principal, q *bun.SelectQuery, alias string) error {
	pred, err := s.authz.Predicate(ctx, pr, entryCustomer.Resource(""))
	if err != nil {
		return err
	}
	pred.Apply(q.Join(customerJoin(alias)))
	return nil
}

// customerVisible reports whether pr sees the customer id (not deleted).
func (s *Service) customerVisible(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (bool, error) {
	pred, err := s.authz.Predicate(ctx, pr, entryCustomer.Resource(""))
	if err != nil {
		return false, err
	}
	ok, err := entryCustomer.Visible(db, pred, id).Exists(ctx)
	return ok, storage.Err(err)
}

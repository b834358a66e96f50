package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// TopBoxes are the schedule's boxes of the top page.
type TopBoxes struct {
	// Notices are the notices of the day, as TopNotices returns them.
	Notices []Notice
	// Requests are the first open requests received, as Requests returns
	// them for Received and Open.
	Requests []Request
}

// topRow is a notice (Box "n") or a request (Box "rq") of Top's statement;
// the columns of the other kind are empty.
type topRow struct {
	Box        string    `bun:"box"`
	Tenant     uuid.UUID `bun:"tenant_id"`
	ID         uuid.UUID `bun:"id"`
	Title      string    `bun:"title"`
	Body       string    `bun:"body"`
	Author     uuid.UUID `bun:"author_id"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`
	UpdatedBy  uuid.UUID `bun:"updated_by"`
	Version    int64     `bun:"version"`
	From       string    `bun:"display_from"`
	To         string    `bun:"display_to"`
	Audience   string    `bun:"audience"`
	Group      uuid.UUID `bun:"group_id,nullzero"`
	Due        string    `bun:"due_date"`
	Record     uuid.UUID `bun:"record_id,nullzero"`
	Status     string    `bun:"status"`
	Recipients string    `bun:"recipients"`
}

// Top returns the staff principal's notices of the day (TopNotices) and
// their first requests open requests received (Requests with Received
// and Open, Limit requests) in one statement, for a page that shows both.
func (s *Service) Top(ctx context.Context, requests int) (*TopBoxes, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	notices := s.topNotices(s.db.NewSelect().TableExpr("schedule_notices AS n").
		ColumnExpr("'n' AS box, n.tenant_id, n.id, n.title, n.body, n.author_id, n.created_at, n.updated_at, n.updated_by, n.version").
		ColumnExpr("n.display_from, n.display_to, n.audience, n.group_id, '' AS due_date, NULL AS record_id, '' AS status, '' AS recipients"), pr)
	box, err := s.selectBox(pr, RequestQuery{Box: Received, Open: true, Limit: requests}, (*requestRow)(nil))
	if err != nil {
		return nil, err
	}
	// The requests' columns are named in the union's own branch, so that
	// PostgreSQL types its NULL as the notices' group_id.
	reqs := s.db.NewSelect().TableExpr("(?) AS rq", box).
		ColumnExpr("'rq' AS box, rq.tenant_id, rq.id, rq.title, rq.body, rq.author_id, rq.created_at, rq.updated_at, rq.updated_by, rq.version").
		ColumnExpr("'' AS display_from, '' AS display_to, '' AS audience, NULL AS group_id, rq.due_date, rq.record_id, rq.status, rq.recipients")
	// Ordered as requests are, the notices (without a due day) come newest
	// first, as TopNotices returns them.
	var rows []topRow
	err = s.db.NewSelect().TableExpr("(?) AS rq", notices.UnionAll(reqs)).ColumnExpr("rq.*").
		OrderExpr("rq.box, "+requestOrder).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("schedule: top: %w", storage.Err(err))
	}
	out := TopBoxes{Notices: []Notice{}, Requests: []Request{}}
	for _, r := range rows {
		if r.Box == "n" {
			n, err := (&noticeRow{Tenant: r.Tenant, ID: r.ID, Title: r.Title, Body: r.Body, From: r.From, To: r.To, Audience: r.Audience,
				Group: r.Group, Author: r.Author, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy, Version: r.Version}).notice()
			if err != nil {
				return nil, err
			}
			out.Notices = append(out.Notices, n)
			continue
		}
		q, err := (&requestRow{Tenant: r.Tenant, ID: r.ID, Title: r.Title, Body: r.Body, Due: r.Due, Record: r.Record, Status: r.Status,
			Author: r.Author, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy, Version: r.Version, Recipients: r.Recipients}).read()
		if err != nil {
			return nil, err
		}
		out.Requests = append(out.Requests, q)
	}
	return &out, nil
}

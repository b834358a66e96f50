package customer

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/cursor"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Sort orders search results.
type Sort string

// Sort orders. Ties are broken by ID, so pages never skip or repeat rows.
const (
	SortKana    Sort = "kana"    // by reading (company reading first for companies); the default
	SortCreated Sort = "created" // by creation time
	SortUpdated Sort = "updated" // by last update
)

// Query selects customers. Zero fields do not filter.
type Query struct {
	// Text is a free word. Each space-separated term must match one of:
	// name, reading, company, department, e-mail, address, decision maker,
	// free memo, text custom fields (hiragana ≡ katakana, full ≡ half width,
	// case-insensitive), or phone, mobile and postal code by digits
	// (090-1234-5678 finds 09012345678 and the reverse).
	Text string
	// BirthYearFrom and BirthYearTo bound the birth year, inclusive.
	// Customers without a birthday are excluded when either is set.
	BirthYearFrom, BirthYearTo int
	Status                     Status
	Kind                       Kind
	Gender                     Gender
	// Ranks keeps customers with one of these rank codes.
	Ranks []string
	// Assignee keeps customers that staff member is in charge of.
	Assignee uuid.UUID
	// List keeps the members of one of the principal's my lists.
	List uuid.UUID
	// Deleted lists the trash (soft-deleted customers) instead.
	Deleted bool

	Sort Sort
	Desc bool
	// Limit is the page size: default 20, at most Config.MaxPageSize.
	Limit int
	// After is Page.Next of the previous page.
	After string
	// WithTotal asks for Page.Total (one or two more queries): exact up
	// to Config.TotalCap matches, beyond it an estimate or a lower bound
	// (Page.TotalKind says which).
	WithTotal bool
	// ExactTotal asks for Page.Total counting every match however many
	// there are (it implies WithTotal). The count reads every match: use
	// it where the number must be right (a bulk change about to be
	// confirmed), not to show a page.
	ExactTotal bool
}

// Page is one page of search results.
type Page struct {
	Customers []Customer `json:"customers"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
	// Total counts the matches when Query.WithTotal or Query.ExactTotal was
	// set, as TotalKind says; else it is -1.
	Total int `json:"total"`
	// TotalKind says how Total was counted; empty when it was not asked
	// for.
	TotalKind TotalKind `json:"total_kind,omitempty"`
}

// TotalKind says how Page.Total was counted. Counting every match under
// the principal's visibility costs seconds at a million rows, so a search
// counts them one by one up to Config.TotalCap and estimates beyond it,
// unless Query.ExactTotal asks for the exact number.
type TotalKind string

// The kinds of Page.Total.
const (
	// TotalExact: Total is the number of matches.
	TotalExact TotalKind = "exact"
	// TotalEstimate: more than Config.TotalCap match, and Total is
	// PostgreSQL's estimate of how many (from its planner statistics;
	// above the cap, and possibly far from the number): show it as
	// "about Total".
	TotalEstimate TotalKind = "estimate"
	// TotalAtLeast: more than Config.TotalCap match, and Total is
	// Config.TotalCap+1, a lower bound: show it as "Total or more". A
	// search on SQLite (which keeps no statistics to estimate from) says
	// this, and one on PostgreSQL when the planner's estimate is not above
	// the cap.
	TotalAtLeast TotalKind = "at_least"
)

// position is where a page ends: the sort it was taken in and the sort key
// of its last row (see internal/cursor).
type position struct {
	Sort Sort      `json:"s"`
	Desc bool      `json:"d,omitempty"`
	Key  string    `json:"k,omitempty"`
	Time time.Time `json:"t,omitzero"`
	ID   uuid.UUID `json:"i"`
}

func (q *Query) check(maxPage int) (position, error) {
	var v validation.Error
	if q.Sort == "" {
		q.Sort = SortKana
	}
	switch q.Sort {
	case SortKana, SortCreated, SortUpdated:
	default:
		v.Add("sort", validation.CodeUnknown, string(q.Sort))
	}
	switch {
	case q.Limit == 0:
		q.Limit = 20
	case q.Limit < 0 || q.Limit > maxPage:
		v.Add("limit", validation.CodeOutOfRange, fmt.Sprintf("1..%d", maxPage))
	}
	if q.BirthYearFrom != 0 && q.BirthYearTo != 0 && q.BirthYearFrom > q.BirthYearTo {
		v.Add("birth_year_to", validation.CodeOutOfRange, "")
	}
	v.CheckText("text", q.Text, false)
	for i, r := range q.Ranks {
		v.CheckText(fmt.Sprintf("ranks[%d]", i), r, false)
	}
	var c position
	if q.After != "" {
		if err := cursor.Decode(q.After, &c); err != nil || c.Sort != q.Sort || c.Desc != q.Desc {
			v.Add("after", validation.CodeFormat, "")
		}
	}
	return c, v.Err()
}

// Search lists the customers matching q, one page at a time. It reads
// from Config.ReadDB when one is set.
func (s *Service) Search(ctx context.Context, q Query) (*Page, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	s = s.reader()
	after, err := q.check(s.cfg.MaxPageSize)
	if err != nil {
		return nil, fmt.Errorf("customer: search: %w", err)
	}
	if q.List != uuid.Nil {
		if _, err := s.list(ctx, pr, q.List); err != nil {
			return nil, fmt.Errorf("customer: search: %w", err)
		}
	}
	var rows []row
	sel := s.db.NewSelect().Model(&rows).ExcludeColumn("grams")
	if err := s.filter(ctx, sel, pr, &q); err != nil {
		return nil, fmt.Errorf("customer: search: %w", err)
	}
	col, dir, cmp := "c.sort_kana", "ASC", ">"
	switch q.Sort {
	case SortCreated:
		col = "c.created_at"
	case SortUpdated:
		col = "c.updated_at"
	}
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	if q.After != "" {
		var key any = after.Key
		if q.Sort != SortKana {
			key = after.Time
		}
		sel.Where(fmt.Sprintf("(%s, c.id) %s (?, ?)", col, cmp), key, after.ID)
	}
	sel.OrderExpr(fmt.Sprintf("%s %s, c.id %s", col, dir, dir)).Limit(int64(q.Limit) + 1)
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("customer: search: %w", storage.Err(err))
	}
	page := &Page{Total: -1}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		c := position{Sort: q.Sort, Desc: q.Desc, ID: last.ID}
		switch q.Sort {
		case SortKana:
			c.Key = last.SortKana
		case SortCreated:
			c.Time = last.CreatedAt
		case SortUpdated:
			c.Time = last.UpdatedAt
		}
		if page.Next, err = cursor.Encode(c); err != nil {
			return nil, fmt.Errorf("customer: search: %w", err)
		}
	}
	page.Customers = make([]Customer, len(rows))
	for i := range rows {
		page.Customers[i] = rows[i].Customer
	}
	if err := loadAssignees(ctx, s.db, pr.Tenant, page.Customers); err != nil {
		return nil, fmt.Errorf("customer: search: %w", err)
	}
	if q.WithTotal || q.ExactTotal {
		cq := s.db.NewSelect().Model((*row)(nil))
		if err := s.filter(ctx, cq, pr, &q); err != nil {
			return nil, fmt.Errorf("customer: search: %w", err)
		}
		n, err := storage.CountUpTo(ctx, s.db, cq, s.cfg.TotalCap, q.ExactTotal)
		if err != nil {
			return nil, fmt.Errorf("customer: search: count: %w", err)
		}
		page.Total, page.TotalKind = n.N, TotalKind(n.Kind)
	}
	return page, nil
}

// filter adds the principal's visibility and q's conditions (not its
// cursor) to sel.
func (s *Service) filter(ctx context.Context, sel *bun.SelectQuery, pr permission.Principal, q *Query) error {
	if err := s.visible(ctx, pr, sel); err != nil {
		return err
	}
	tenant := pr.Tenant
	if q.Deleted {
		sel.Where("c.deleted_at IS NOT NULL")
	} else {
		sel.Where("c.deleted_at IS NULL")
	}
	for _, term := range textnorm.Terms(q.Text) {
		like := storage.Contains(term)
		if digits, ok := phoneTerm(term); ok {
			sel.Where(`(c.search_text LIKE ? ESCAPE '\' OR c.search_text LIKE ? ESCAPE '\')`, like, storage.Contains(digits))
			continue
		}
		if grams := textnorm.Bigrams(term); len(grams) > 0 {
			expr, args := gramIndex.Filter(s.dialect, "c", tenant, grams[:min(len(grams), 4)])
			sel.Where(expr, args...)
			if len(grams) == 1 && utf8.RuneCountInString(term) == 2 {
				// The term is its own bigram: the index answers exactly, and
				// a LIKE beside it would only mislead the planner's row
				// estimate (the two conditions are perfectly correlated).
				continue
			}
		}
		sel.Where(`c.search_text LIKE ? ESCAPE '\'`, like)
	}
	if q.BirthYearFrom != 0 {
		sel.Where("c.birthday >= ?", fmt.Sprintf("%04d-01-01", q.BirthYearFrom))
	}
	if q.BirthYearTo != 0 {
		sel.Where("c.birthday <= ?", fmt.Sprintf("%04d-12-31", q.BirthYearTo))
	}
	if q.Status != "" {
		sel.Where("c.status = ?", q.Status)
	}
	if q.Kind != "" {
		sel.Where("c.kind = ?", q.Kind)
	}
	if q.Gender != "" {
		sel.Where("c.gender = ?", q.Gender)
	}
	if len(q.Ranks) > 0 {
		sel.Where("c.rank IN (?)", bun.List(q.Ranks))
	}
	if q.Assignee != uuid.Nil {
		sel.Where("EXISTS (SELECT 1 FROM customer_assignees a WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id AND a.tenant_id = ? AND a.user_id = ?)", tenant, q.Assignee)
	}
	if q.List != uuid.Nil {
		sel.Where("EXISTS (SELECT 1 FROM customer_list_items li WHERE li.tenant_id = c.tenant_id AND li.customer_id = c.id AND li.list_id = ?)", q.List)
	}
	return nil
}

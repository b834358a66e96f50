package contactlog

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/cursor"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Sort orders search results. Every order ends with the record ID, so
// pages never skip or repeat records, even when many share a time.
type Sort string

// Sort orders.
const (
	// SortCreated orders by entry time (登録日時); the default.
	SortCreated Sort = "created"
	// SortActual orders by the time of the contact: the actual time, else
	// the planned time (so planned-only records sit at their appointment),
	// else the entry time — Record.Time.
	SortActual Sort = "actual"
	// SortCustomerKana orders by the customer's reading (company reading
	// first for companies), a customer's records together by Record.Time;
	// drafts (no customer) and records of customers hidden from the
	// principal come last in either direction, by Record.Time.
	SortCustomerKana Sort = "customer_kana"
)

// Limits of a Query.
const (
	// MaxSearchTerms is the most space-separated terms Query.Text may have.
	MaxSearchTerms = 10
	// MaxSearchValues is the most values of each list filter (Templates,
	// Progress, CustomerRanks).
	MaxSearchValues = 100
)

// Query selects records. Zero fields do not filter. Every search is
// restricted to the records the principal may see.
type Query struct {
	// Text is a keyword search, for staff only. Each space-separated term
	// (at most MaxSearchTerms) must occur in the record's public memo,
	// its private memo (only where the principal may read it:
	// permission.ActionReadPrivateMemo), summary text, customer-side contact persons, department and participants or
	// template text values, or in its customer's name, company name or
	// reading; hiragana ≡ katakana, full ≡ half width, case-insensitive.
	// Terms of two characters or more (not all ASCII) are looked up in a
	// bigram index; on PostgreSQL, ASCII terms of three characters or more
	// in an index of ASCII trigrams.
	Text string
	// ActualFrom and ActualTo bound the actual time (対応日時), PlannedFrom
	// and PlannedTo the planned time (予定), CreatedFrom and CreatedTo the
	// entry time: from inclusive, to exclusive. Records without an actual
	// (planned) time never pass an actual (planned) bound.
	ActualFrom, ActualTo   time.Time
	PlannedFrom, PlannedTo time.Time
	CreatedFrom, CreatedTo time.Time
	// Mine keeps the records the principal wrote, responds to or took part
	// in (not those merely reported to them).
	Mine bool
	// Customer keeps the records of one customer.
	Customer uuid.UUID
	// Templates keeps the records written with one of these template keys.
	Templates []string
	// Responder keeps the records this staff member responded to (対応者).
	Responder uuid.UUID
	// Progress keeps the records with one of these progress codes (進捗).
	Progress []string
	// DraftsOnly keeps the drafts (records without a customer).
	DraftsOnly bool
	// ImportantOnly keeps the records marked important.
	ImportantOnly bool
	// CustomerRanks keeps the records whose customer has one of these
	// ranks, among the customers the principal may see (like Text, a
	// filter reveals nothing of a customer hidden from them).
	CustomerRanks []string
	// Deleted lists the trash instead: the soft-deleted records the
	// principal could delete, and so restore (their author, responders,
	// participants and report-to recipients, managers of the author's
	// groups, admins). Staff only.
	Deleted bool

	// Sort is the order (default SortCreated); Asc reverses the default
	// direction, newest (or Z) first.
	Sort Sort
	Asc  bool
	// Limit is the page size: default 20, at most Config.MaxPageSize.
	Limit int
	// After is Page.Next of the previous page, taken with the same Sort
	// and Asc.
	After string
	// WithTotal asks for Page.Total (one or two more queries): exact up
	// to Config.TotalCap matches, beyond it an estimate or a lower bound
	// (Page.TotalKind says which).
	WithTotal bool
	// ExactTotal asks for Page.Total counting every match however many
	// there are (it implies WithTotal). The count reads every match —
	// seconds over a million records —: use it where the number must be
	// right, not to show a page.
	ExactTotal bool
	// WithDetails fills Record.Attachments and Record.CommentCount (two
	// more queries for the page).
	WithDetails bool
}

// Page is one page of records.
type Page struct {
	Records []Record `json:"records"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
	// Total counts the matches when Query.WithTotal or Query.ExactTotal was
	// set, as TotalKind says; else it is -1.
	Total int `json:"total"`
	// TotalKind says how Total was counted (customer.TotalExact,
	// customer.TotalEstimate or customer.TotalAtLeast); empty when it was
	// not asked for.
	TotalKind customer.TotalKind `json:"total_kind,omitempty"`
}

// position is where a page ends: the order it was taken in and the sort
// key of its last record.
type position struct {
	Sort Sort      `json:"s"`
	Asc  bool      `json:"a,omitempty"`
	Time time.Time `json:"t,omitzero"`
	// Kana and Customer are the customer's sort key (SortCustomerKana);
	// Draft says the page ended among the records sorted last: drafts and
	// records of customers hidden from the principal.
	Kana     string    `json:"k,omitempty"`
	Customer uuid.UUID `json:"c,omitzero"`
	Draft    bool      `json:"d,omitempty"`
	ID       uuid.UUID `json:"i"`
}

// check validates q for pr, fills in defaults and decodes the cursor.
func (q *Query) check(pr permission.Principal, maxPage int) (position, []string, error) {
	var v validation.Error
	if q.Sort == "" {
		q.Sort = SortCreated
	}
	switch q.Sort {
	case SortCreated, SortActual, SortCustomerKana:
	default:
		v.Add("sort", validation.CodeUnknown, string(q.Sort))
	}
	switch {
	case q.Limit == 0:
		q.Limit = 20
	case q.Limit < 0 || q.Limit > maxPage:
		v.Add("limit", validation.CodeOutOfRange, fmt.Sprintf("1..%d", maxPage))
	}
	v.CheckText("text", q.Text, false)
	terms := textnorm.Terms(q.Text)
	if len(terms) > MaxSearchTerms {
		v.Add("text", validation.CodeTooMany, fmt.Sprint(MaxSearchTerms))
	}
	if !pr.IsStaff() {
		// The keyword index covers private memos; the trash is for staff.
		if len(terms) > 0 {
			v.Add("text", validation.CodeNotAllowed, "customer")
		}
		if q.Deleted {
			v.Add("deleted", validation.CodeNotAllowed, "customer")
		}
	}
	for _, r := range []struct {
		field    string
		from, to time.Time
	}{
		{"actual_to", q.ActualFrom, q.ActualTo},
		{"planned_to", q.PlannedFrom, q.PlannedTo},
		{"created_to", q.CreatedFrom, q.CreatedTo},
	} {
		if !r.from.IsZero() && !r.to.IsZero() && r.from.After(r.to) {
			v.Add(r.field, validation.CodeOutOfRange, "not before the start")
		}
	}
	for _, l := range []struct {
		field  string
		values []string
	}{{"templates", q.Templates}, {"progress", q.Progress}, {"customer_ranks", q.CustomerRanks}} {
		if len(l.values) > MaxSearchValues {
			v.Add(l.field, validation.CodeTooMany, fmt.Sprint(MaxSearchValues))
		}
		for i, x := range l.values {
			v.CheckText(fmt.Sprintf("%s[%d]", l.field, i), x, false)
		}
	}
	var p position
	if q.After != "" {
		if err := cursor.Decode(q.After, &p); err != nil || p.Sort != q.Sort || p.Asc != q.Asc || p.ID == uuid.Nil {
			v.Add("after", validation.CodeFormat, "")
		}
	}
	return p, terms, v.Err()
}

// direction is the SQL direction of q's order and the comparison that
// keeps the rows after a cursor.
func (q *Query) direction() (dir, cmp string) {
	if q.Asc {
		return "ASC", ">"
	}
	return "DESC", "<"
}

// Search lists the records matching q that the principal may see, one page
// at a time. Customer principals (the portal) list the records shared with
// them, without Text and Deleted. It reads from Config.ReadDB when one is
// set.
func (s *Service) Search(ctx context.Context, q Query) (*Page, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.reader().search(ctx, pr, &q)
	if err != nil {
		return nil, fmt.Errorf("contactlog: search: %w", err)
	}
	return page, nil
}

// conditions validates q and returns its cursor position, the action
// whose records it lists and the conditions of its keywords and customer
// ranks (filterConditions).
func (s *Service) conditions(ctx context.Context, pr permission.Principal, q *Query, page int) (position, permission.Action, []condition, error) {
	after, terms, action, err := s.checked(pr, q)
	if err != nil {
		return position{}, "", nil, err
	}
	conds, err := s.filterConditions(ctx, pr, q, terms, page, 0)
	return after, action, conds, err
}

// checked validates q (filling in its defaults) and returns its cursor
// position, its keyword terms and the action whose records it lists
// (view, or delete for the deleted ones).
func (s *Service) checked(pr permission.Principal, q *Query) (position, []string, permission.Action, error) {
	after, terms, err := q.check(pr, s.cfg.MaxPageSize)
	if err != nil {
		return position{}, nil, "", err
	}
	if q.Deleted {
		return after, terms, permission.ActionDelete, nil
	}
	return after, terms, permission.ActionView, nil
}

// filterConditions returns the conditions of q's keyword terms and
// customer ranks (the other filters are filter's), shaped for a query
// that stops after page rows (0: one that reads every match; -1: one that
// walks another index and checks each row).
func (s *Service) filterConditions(ctx context.Context, pr permission.Principal, q *Query, terms []string, page int, seen float64) ([]condition, error) {
	conds, err := s.keywords(ctx, pr, terms, page, seen)
	if err != nil {
		return nil, err
	}
	if len(q.CustomerRanks) > 0 {
		c, err := s.rankCondition(ctx, pr, q.CustomerRanks)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	return conds, nil
}

func (s *Service) search(ctx context.Context, pr permission.Principal, q *Query) (*Page, error) {
	after, terms, action, err := s.checked(pr, q)
	if err != nil {
		return nil, err
	}
	reach, err := s.fromRelations(ctx, pr, action, q, after, terms)
	if err != nil {
		return nil, err
	}
	stop := q.Limit + 1
	if q.Sort == SortCustomerKana && s.dialect == storage.Postgres || reach.page {
		// byCustomerKana walks each customer's records; a page of the
		// records reached checks each one, keywords by its text.
		stop = -1
	}
	conds, err := s.filterConditions(ctx, pr, q, terms, stop, reach.seen)
	if err != nil {
		return nil, err
	}
	var kanaPred permission.Predicate
	if q.Sort == SortCustomerKana {
		if kanaPred, err = s.authz.Predicate(ctx, pr, kanaCustomer.Resource("")); err != nil {
			return nil, err
		}
	}

	var rows []Record
	if q.Sort == SortCustomerKana {
		rows, err = s.byCustomerKana(ctx, pr, action, q, after, kanaPred, func(sel *bun.SelectQuery) *bun.SelectQuery { return s.filterWith(sel, pr, q, conds) })
	} else {
		rows, err = s.queryFor(ctx, s.db, pr, action, func(sel *bun.SelectQuery) *bun.SelectQuery {
			if reach.page {
				reach.apply(sel)
			}
			return s.byTime(sel, pr, q, after, conds)
		})
	}
	if err != nil {
		return nil, err
	}
	page := &Page{Total: -1}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := &rows[len(rows)-1]
		p := position{Sort: q.Sort, Asc: q.Asc, ID: last.ID, Time: last.Time()}
		switch q.Sort {
		case SortCreated:
			p.Time = last.CreatedAt
		case SortCustomerKana:
			visible := false
			if !last.IsDraft() {
				if p.Kana, visible, err = s.customerSortKana(ctx, kanaPred, last.Customer); err != nil {
					return nil, err
				}
			}
			if p.Draft = !visible; visible {
				p.Customer = last.Customer
			}
		}
		if page.Next, err = cursor.Encode(p); err != nil {
			return nil, err
		}
	}
	if q.WithDetails {
		if err := s.details(ctx, s.db, pr, rows); err != nil {
			return nil, err
		}
	}
	page.Records = rows
	if q.WithTotal || q.ExactTotal {
		pred, err := s.authz.Predicate(ctx, pr, recordTableFor(action))
		if err != nil {
			return nil, err
		}
		// The count may read every match: its keywords go through the
		// index, unless it reads the records reached (checked each, as
		// the page's are when it reads them too).
		count := pred.Apply(s.db.NewSelect().Model((*recordRow)(nil)))
		shape := 0
		if reach.count {
			shape = -1
			reach.apply(count)
		}
		all := conds
		if shape != stop {
			if all, err = s.filterConditions(ctx, pr, q, terms, shape, reach.seen); err != nil {
				return nil, err
			}
		}
		n, err := storage.CountUpTo(ctx, s.db, s.filterWith(count, pr, q, all), s.cfg.TotalCap, q.ExactTotal)
		if err != nil {
			return nil, fmt.Errorf("count: %w", err)
		}
		page.Total, page.TotalKind = n.N, customer.TotalKind(n.Kind)
	}
	return page, nil
}

// filterWith adds conds and q's other conditions but the cursor to sel
// (filter).
func (s *Service) filterWith(sel *bun.SelectQuery, pr permission.Principal, q *Query, conds []condition) *bun.SelectQuery {
	for _, k := range conds {
		sel.Where(k.sql, k.args...)
	}
	return s.filter(sel, pr, q)
}

// byTime makes sel, a select over the records r pr may see, the query of
// a page of q sorted by time (entry or contact): conds and q's other
// conditions, the keyset condition after the cursor, the order and the
// limit (a row more than the page, to tell whether another follows).
func (s *Service) byTime(sel *bun.SelectQuery, pr permission.Principal, q *Query, after position, conds []condition) *bun.SelectQuery {
	dir, cmp := q.direction()
	col := "r.created_at"
	if q.Sort == SortActual {
		col = "r.occurred_at"
	}
	sel = s.filterWith(sel, pr, q, conds)
	if q.After != "" {
		sel.Where(fmt.Sprintf("(%s, r.id) %s (?, ?)", col, cmp), after.Time, after.ID)
	}
	return sel.OrderExpr(fmt.Sprintf("%s %s, r.id %s", col, dir, dir)).Limit(int64(q.Limit) + 1)
}

// reached is the choice of fromRelations: the SELECT of the IDs of the
// records the principal reaches (permission.Reacher), and whether the
// page and the count read them.
type reached struct {
	ids         permission.Predicate
	page, count bool
	// seen is the planner's estimate of the share of the tenant's
	// records the principal reaches (0: not estimated).
	seen float64
	// within, when set, is the SELECT of the IDs of the records of a
	// time range (reachRange) among those reached: the range's index
	// entries, each checked against the records reached.
	within *bun.SelectQuery
}

// apply restricts sel, a select over contact_records r, to the records
// reached. With a range (within), the range's entries are read through
// its index (contact_records_occurred or contact_records_planned, the
// table unvisited) and each is checked against the records reached, read
// once into a hash ("IS TRUE" keeps the IN a filter: as a join, the
// planner puts the union's distinct IDs at 200 and looks each record
// reached up by its primary key, then reads it to test its time); only the
// records in both are read.
func (r reached) apply(sel *bun.SelectQuery) {
	if r.within != nil {
		sel.Where("r.id IN (?)", r.within)
	} else {
		sel.Where("r.id IN ("+r.ids.SQL+")", r.ids.Args...)
	}
}

// reachCost is how many records walked in an index's order cost as much
// as one record reached: looked up by its ID, then checked.
const reachCost = 3

// rangeEntries is how many index entries of a time range, read and
// checked against the records reached, cost as much as one record
// reached looked up: half of what 1 000 000 records gave (74 000 entries
// of a month read in 30–40 ms, 25 700 records reached looked up and read
// in 280 ms), to keep the range form where it clearly pays.
const rangeEntries = 10

// reachRange returns the condition on alias o of q's contact-time filter,
// or else of its planned-time filter, for reached.within: the range of
// occurred_at (the filter's other condition, occurred_at = actual_at,
// stays on r) or of planned_at; none without either.
func reachRange(q *Query) condition {
	col, from, to := timeRange(q)
	switch {
	case from.IsZero() && to.IsZero():
		return condition{}
	case from.IsZero():
		return condition{"o." + col + " < ?", []any{to}}
	case to.IsZero():
		return condition{"o." + col + " >= ?", []any{from}}
	}
	return condition{"o." + col + " >= ? AND o." + col + " < ?", []any{from, to}}
}

// fromRelations decides whether the page of q, and its count, read the
// records pr reaches from their relations (permission.Reacher: for a
// partner or a staff member in the "assigned" mode, their own records,
// those naming them or scoped to them, those of their customers) instead
// of walking the tenant's records. On PostgreSQL, for a search sorted by
// time with a condition no index walk covers (keywords, the actual- and
// planned-time filters, Mine, Responder, the created-time filter under
// SortActual) or a total, but without CustomerRanks (which reads the
// records of the principal's customers of those ranks already), it asks
// the planner (EXPLAIN, which runs nothing) how many records pass all of
// q's conditions (M, see matching) and how many pr reaches (R,
// permission.Reacher's ReachRows, which counts the company-scope drafts
// whose number the planner misjudges); the
// records reached cost reachCost × R, and when that is not less than M,
// reading the matches through the filters' indexes wins, unless no
// keyword term has an index (indexed: a term of one character), whose
// matches are found only by checking each record, walked or reached (M
// then estimates a one-character term by its share in the bigram
// column's statistics, see matching). Otherwise, or
// for a search whose keywords weigh a walk (weighsWalk), it asks how many
// records the tenant holds (N): R/N goes back with the decision
// (reached.seen), for keywords to weigh walking the newest records. Then,
// when q has any, it asks how many records pass the filters that walk
// indexes of their own (C: template, progress, customer, drafts,
// important and, under SortCreated, the created-time filter; else C = N).
// A page walked reads about limit+1 ÷ (M/C × R/N) records, at most C; a
// count reads M, or, capped, about cap+1 ÷ R/N of them; without an index
// of any term it checks C records, or, capped, about cap+1 ÷ (M/C × R/N).
// A page without
// keywords whose walk looks cheaper is read from the records reached
// still when the planner's plan of it does not walk but reads every match
// and sorts them (storage.PlanSorts, one EXPLAIN more): it reads M.
// With the contact-time or planned-time filter, the records reached are
// read within its range (reached.within) when the range holds fewer than
// rangeEntries × R records (n): their IDs and the range's entries, read
// from indexes, and the n × R/N records in both, looked up, cost
// reachCost × ((R + n) ÷ rangeEntries + n × R/N) when that is less than
// reachCost × R; and a walk in creation order reads, before the range's
// first match, the records created beyond its end (rangePassed).
func (s *Service) fromRelations(ctx context.Context, pr permission.Principal, action permission.Action, q *Query, after position, terms []string) (reached, error) {
	uncovered := q.Text != "" || !q.ActualFrom.IsZero() || !q.ActualTo.IsZero() || !q.PlannedFrom.IsZero() || !q.PlannedTo.IsZero() ||
		q.Mine || q.Responder != uuid.Nil || q.Sort == SortActual && (!q.CreatedFrom.IsZero() || !q.CreatedTo.IsZero())
	total := q.WithTotal || q.ExactTotal
	r, ok := s.authz.(permission.Reacher)
	if !ok || action != permission.ActionView || s.dialect != storage.Postgres || q.Sort == SortCustomerKana || len(q.CustomerRanks) > 0 || !uncovered && !total {
		return reached{}, nil
	}
	ids, ok, err := r.Reach(ctx, pr, recordTable)
	if err != nil || !ok {
		return reached{}, err
	}
	plan := func(sel *bun.SelectQuery) (float64, error) {
		n, err := storage.PlanRows(ctx, s.db, sel)
		return max(n, 1), err
	}
	records := func() *bun.SelectQuery {
		return s.db.NewSelect().TableExpr("contact_records AS r").Where("r.tenant_id = ?", pr.Tenant).Where("r.deleted_at IS NULL")
	}
	matching, err := s.matching(ctx, pr, q, terms, records, plan)
	if err != nil {
		return reached{}, err
	}
	reach, err := r.ReachRows(ctx, pr, recordTable)
	if err != nil {
		return reached{}, err
	}
	cost := s.reachCost * max(reach, 1)
	var tenant float64
	var within *bun.SelectQuery
	rng := reachRange(q)
	if rng.sql != "" {
		if tenant, err = plan(records()); err != nil {
			return reached{}, err
		}
		inRange := s.db.NewSelect().TableExpr("contact_records AS o").ColumnExpr("o.id").Where("o.tenant_id = ?", pr.Tenant).
			Where("o.deleted_at IS NULL").Where(rng.sql, rng.args...)
		n, err := plan(inRange)
		if err != nil {
			return reached{}, err
		}
		if n < rangeEntries*reach {
			within = inRange.Where("(o.id IN ("+ids.SQL+")) IS TRUE", ids.Args...)
			cost = min(cost, s.reachCost*((reach+n)/rangeEntries+n*min(reach/tenant, 1)))
		}
	}
	// Without an index of any term's grams, the matches are found by
	// checking each record walked: no index reads them alone.
	unindexed := len(terms) > 0 && !slices.ContainsFunc(terms, indexed)
	// Reading every match through the filters' indexes costs less.
	byIndex := cost >= matching && !unindexed
	if byIndex && !weighsWalk(terms) {
		return reached{}, nil
	}
	if tenant == 0 {
		if tenant, err = plan(records()); err != nil {
			return reached{}, err
		}
	}
	seen := min(reach/tenant, 1)
	if byIndex {
		return reached{seen: seen}, nil
	}
	inCovered, passed := tenant, 0.0
	covered := Query{Templates: q.Templates, Progress: q.Progress, Customer: q.Customer, DraftsOnly: q.DraftsOnly, ImportantOnly: q.ImportantOnly}
	if q.Sort != SortActual {
		covered.CreatedFrom, covered.CreatedTo = q.CreatedFrom, q.CreatedTo
	}
	if !reflect.ValueOf(covered).IsZero() {
		if inCovered, err = plan(s.filter(records(), pr, &covered)); err != nil {
			return reached{}, err
		}
	}
	if before := rangePassed(q); before.sql != "" {
		// A walk in creation order meets a time range's records only
		// after those created beyond it.
		if passed, err = plan(s.filter(records(), pr, &covered).Where(before.sql, before.args...)); err != nil {
			return reached{}, err
		}
	}
	share := min(matching/inCovered, 1)
	walked := min(inCovered, passed+float64(q.Limit+1)/(share*seen))
	counted := matching
	switch {
	case unindexed && q.ExactTotal:
		counted = inCovered
	case unindexed:
		counted = min(inCovered, float64(s.cfg.TotalCap+1)/(share*seen))
	case !q.ExactTotal:
		counted = min(matching, float64(s.cfg.TotalCap+1)/seen)
	}
	page := uncovered && cost < walked
	if uncovered && !page && len(terms) == 0 {
		// The walk modelled is the planner's choice only where it walks:
		// where it reads every match through a filter's index and sorts
		// them (the actual-time filter under SortCreated, a month of a
		// tenant's records), the page costs M, more than the records
		// reached (cost < M here).
		pred, err := s.authz.Predicate(ctx, pr, recordTableFor(action))
		if err != nil {
			return reached{}, err
		}
		if page, err = storage.PlanSorts(ctx, s.db, s.byTime(pred.Apply(listed(s.db.NewSelect().Model((*recordRow)(nil)))), pr, q, after, nil)); err != nil {
			return reached{}, err
		}
	}
	out := reached{ids: ids, page: page, count: total && cost < counted, seen: seen}
	if out.page || out.count {
		out.within = within
	}
	return out, nil
}

// timeRange returns q's contact-time range as a range of occurred_at
// (the filter's other condition, occurred_at = actual_at, aside), or else
// its planned-time range (planned_at); both ends zero without either.
func timeRange(q *Query) (col string, from, to time.Time) {
	if !q.ActualFrom.IsZero() || !q.ActualTo.IsZero() {
		return "occurred_at", q.ActualFrom, q.ActualTo
	}
	return "planned_at", q.PlannedFrom, q.PlannedTo
}

// rangePassed returns, for q sorted by creation with a contact-time or
// planned-time range, the condition on r of the records a walk in q's
// order reads before it reaches the range's end (newest first: those
// created at or after the range's end; oldest first: those created
// before its start), which it passes without a match where records are
// written about when their contact takes place; none otherwise.
func rangePassed(q *Query) condition {
	if q.Sort != SortCreated {
		return condition{}
	}
	_, from, to := timeRange(q)
	switch {
	case q.Asc && !from.IsZero():
		return condition{"r.created_at < ?", []any{from}}
	case !q.Asc && !to.IsZero():
		return condition{"r.created_at >= ?", []any{to}}
	}
	return condition{}
}

// matching is the planner's estimate of how many of the tenant's live
// records (records) pass q's conditions but CustomerRanks: the actual-time
// filter by the range of occurred_at alone, and a keyword term with
// several bigrams by the rarest of its first four, each estimated apart —
// the share of those having a bigram bounds the share having the term,
// where the planner, multiplying the bigrams' shares, would expect a
// common longer term (見積書) in a few records — and a term of one
// character other than ASCII by the share of the most common bigram
// holding it (storage.GramIndex.RuneShare; the planner gives its LIKE a
// fixed share whatever the character). The terms' shares multiply. Other
// terms are estimated by their one bigram, their ASCII trigrams or their
// LIKE.
func (s *Service) matching(ctx context.Context, pr permission.Principal, q *Query, terms []string, records func() *bun.SelectQuery,
	plan func(*bun.SelectQuery) (float64, error)) (float64, error) {
	est := *q
	est.ActualFrom, est.ActualTo, est.Text = time.Time{}, time.Time{}, ""
	filtered := func() *bun.SelectQuery {
		sel := s.filter(records(), pr, &est)
		if !q.ActualFrom.IsZero() {
			sel.Where("r.occurred_at >= ?", q.ActualFrom)
		}
		if !q.ActualTo.IsZero() {
			sel.Where("r.occurred_at < ?", q.ActualTo)
		}
		return sel
	}
	var gramTerms [][]string
	shares := 1.0
	sel, others := filtered(), false
	for _, term := range terms {
		bigrams, trigrams := textnorm.Bigrams(term), textnorm.ASCIITrigrams(term)
		if c, size := utf8.DecodeRuneInString(term); size == len(term) && c > unicode.MaxASCII {
			share, ok, err := gramIndex.RuneShare(ctx, s.db, c)
			if err != nil {
				return 0, err
			}
			if ok {
				shares *= share
				continue
			}
		}
		others = others || len(bigrams) < 2
		switch {
		case len(bigrams) > 1:
			gramTerms = append(gramTerms, bigrams[:min(len(bigrams), 4)])
		case len(bigrams) == 1:
			expr, args := gramIndex.Filter(storage.Postgres, "r", pr.Tenant, bigrams)
			sel.Where(expr, args...)
		case len(trigrams) > 0:
			sel.Where(asciiGramsExpr+" @> ?::text[]", storage.Grams(trigrams[:min(len(trigrams), 4)]))
		default:
			sel.Where(searchKeyExpr+` LIKE ? ESCAPE '\'`, storage.Contains(term))
		}
	}
	n, err := plan(sel)
	if err != nil || len(gramTerms) == 0 {
		return max(n*shares, 1), err
	}
	// The bigrams' shares among the records q's other conditions keep.
	base := n
	if others {
		if base, err = plan(filtered()); err != nil {
			return 0, err
		}
	}
	for _, grams := range gramTerms {
		rarest := base
		for _, g := range grams {
			expr, args := gramIndex.Filter(storage.Postgres, "r", pr.Tenant, []string{g})
			m, err := plan(filtered().Where(expr, args...))
			if err != nil {
				return 0, err
			}
			rarest = min(rarest, m)
		}
		n *= rarest / base
	}
	return max(n*shares, 1), nil
}

// byCustomerKana reads a page of q sorted by customer reading
// (SortCustomerKana), each step stopping when the page is full: first the
// records of the customers pr sees (visible, a predicate over kanaCustomer),
// walking those customers in reading order — the live ones through
// customers_kana, those in the trash, whose records stay listed, merged in
// from a sort of their own — and each one's records by time through
// contact_records_customer; then the rest, the drafts and the records of
// customers hidden from pr, by time. Sorting every match by its customer's
// reading instead reads all of them (seconds at 100 000 records).
// On PostgreSQL a LATERAL join reads each customer's records. SQLite has
// no LATERAL and does not carry a subquery's order into the join: it
// reads every record of the walked customers through
// contact_records_customer and sorts them, as it sorted every match before.
// With Query.Customer the walk is of that customer alone, with
// Query.DraftsOnly there is none. On PostgreSQL keywords are checked on
// each record walked (conditions with page -1): through the gram index, it
// would read a common term's whole posting list once per customer.
func (s *Service) byCustomerKana(ctx context.Context, pr permission.Principal, action permission.Action, q *Query, after position,
	visible permission.Predicate, filter func(*bun.SelectQuery) *bun.SelectQuery) ([]Record, error) {
	pred, err := s.authz.Predicate(ctx, pr, recordTableFor(action))
	if err != nil {
		return nil, err
	}
	dir, cmp := q.direction()
	limit := int64(q.Limit) + 1
	kc, kana := kanaCustomer.ID(), kanaCustomer.SortKana()
	var rows []Record
	if (q.After == "" || !after.Draft) && !q.DraftsOnly {
		walk := func(live string) *bun.SelectQuery {
			sel := visible.Apply(s.db.NewSelect().TableExpr(kanaCustomer.From()).
				ColumnExpr(kanaCustomer.Tenant() + ", " + kc + ", " + kana).Where(live))
			if q.Customer != uuid.Nil {
				sel.Where(kc+" = ?", q.Customer)
			}
			if q.After != "" {
				sel.Where(fmt.Sprintf("(%s, %s) %s= (?, ?)", kana, kc, cmp), after.Kana, after.Customer)
			}
			return sel.OrderExpr(fmt.Sprintf("%s %s, %s %s", kana, dir, kc, dir))
		}
		live, trashed := walk(kanaCustomer.Live()), walk(kanaCustomer.Trashed())
		// The records of customer kc that pr sees and q keeps.
		own := func(sel *bun.SelectQuery) *bun.SelectQuery {
			sel = filter(pred.Apply(sel)).Where("r.tenant_id = " + kanaCustomer.Tenant() + " AND r.customer_id = " + kc)
			if q.After != "" {
				sel.Where(fmt.Sprintf("(%s, %s, r.occurred_at, r.id) %s (?, ?, ?, ?)", kana, kc, cmp), after.Kana, after.Customer, after.Time, after.ID)
			}
			return sel
		}
		rows, err = s.scanFor(ctx, s.db, pr, func(sel *bun.SelectQuery) *bun.SelectQuery {
			if s.dialect == storage.Postgres {
				recs := own(s.db.NewSelect().TableExpr("contact_records AS r").ColumnExpr("r.*")).
					OrderExpr(fmt.Sprintf("r.occurred_at %s, r.id %s", dir, dir)).Limit(limit)
				sel.ModelTableExpr("((?) UNION ALL (?)) AS kc CROSS JOIN LATERAL (?) AS r", live, trashed, recs)
			} else {
				sel = own(sel.ModelTableExpr("(SELECT * FROM (?) UNION ALL SELECT * FROM (?)) AS kc CROSS JOIN contact_records AS r", live, trashed))
			}
			return sel.OrderExpr(fmt.Sprintf("%s %s, %s %s, r.occurred_at %s, r.id %s", kana, dir, kc, dir, dir, dir)).Limit(limit)
		})
		if err != nil || int64(len(rows)) == limit {
			return rows, err
		}
	}
	// The drafts and the records of customers hidden from pr, whose
	// readings are not theirs to see (nor to sort by).
	rest, err := s.queryFor(ctx, s.db, pr, action, func(sel *bun.SelectQuery) *bun.SelectQuery {
		hidden := visible.Apply(s.db.NewSelect().TableExpr(kanaCustomer.From()).ColumnExpr("1").
			Where(kanaCustomer.Tenant() + " = r.tenant_id AND " + kc + " = r.customer_id"))
		sel = filter(sel).Where("NOT EXISTS (?)", hidden)
		if q.After != "" && after.Draft {
			sel.Where(fmt.Sprintf("(r.occurred_at, r.id) %s (?, ?)", cmp), after.Time, after.ID)
		}
		return sel.OrderExpr(fmt.Sprintf("r.occurred_at %s, r.id %s", dir, dir)).Limit(limit - int64(len(rows)))
	})
	return append(rows, rest...), err
}

// kanaCustomer is the customer a record is sorted by (SortCustomerKana).
var kanaCustomer = customer.Ref{Alias: "kc"}

// customerSortKana returns the reading a customer sorts by, and whether the
// customer passes visible (a predicate over kanaCustomer).
func (s *Service) customerSortKana(ctx context.Context, visible permission.Predicate, id uuid.UUID) (string, bool, error) {
	var kanas []string
	err := visible.Apply(s.db.NewSelect().TableExpr(kanaCustomer.From()).Column(kanaCustomer.SortKana()).Where(kanaCustomer.ID()+" = ?", id)).
		Scan(ctx, &kanas)
	if err != nil || len(kanas) == 0 {
		return "", false, storage.Err(err)
	}
	return kanas[0], true, nil
}

// rankCondition keeps the records whose customer has one of ranks, among
// the customers pr may see: a record does not reveal the rank of a
// customer hidden from them.
func (s *Service) rankCondition(ctx context.Context, pr permission.Principal, ranks []string) (condition, error) {
	pred, err := s.authz.Predicate(ctx, pr, keywordCustomer.Resource(""))
	if err != nil {
		return condition{}, err
	}
	ranked := keywordCustomer.WhereRank(keywordCustomer.IDs(s.db, pred), ranks)
	return condition{"r.customer_id IN (?)", []any{ranked}}, nil
}

// keywordCustomer is the customer whose name a keyword or rank condition
// looks up.
var keywordCustomer = customer.Ref{Alias: "c"}

// maxNamedCustomers is the most customers whose names a keyword term may
// match for their IDs to be written into the records query; beyond it the
// query matches them through a subquery.
const maxNamedCustomers = 500

// condition is a WHERE fragment with its arguments.
type condition struct {
	sql  string
	args []any
}

// keywords returns one condition per term: the record's own text contains
// it, or the name, company name or reading of its customer does. The
// customers are looked up first, through the customer's own gram index
// (on PostgreSQL, of their names alone: Ref.WhereName), so renaming a
// customer rewrites no record, and restricted to those the
// principal may see (so a record does not reveal the name of a customer
// hidden from them). Writing their IDs into the query lets PostgreSQL know
// how many records they stand for — when few, it looks them up by index;
// when many, it walks the newest records — and check each row against a
// hashed list. The record's own text is looked up through the bigram index
// or checked on each record walked, as storage.GramIndex.Match decides for
// a query that stops after page rows (0: one that reads every match); with
// page -1 (a walk of another index) each record walked is checked by its
// text alone. seen is the estimated share of the tenant's records pr
// reaches, where pr sees few of them (0: not estimated).
func (s *Service) keywords(ctx context.Context, pr permission.Principal, terms []string, page int, seen float64) ([]condition, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	custPred, err := s.authz.Predicate(ctx, pr, keywordCustomer.Resource(""))
	if err != nil {
		return nil, err
	}
	memo, allMemos, err := s.privateMemoPredicate(ctx, pr)
	if err != nil {
		return nil, err
	}
	// Walking the newest records pays when the term's records are a share
	// of those pr sees. Where pr sees only the records related to them
	// (the "assigned" mode, partners), a walk passes over the others: it
	// meets a page of matches after about page ÷ seen as many records, so
	// the decision weighs that many, for a term the planner misjudges
	// (weighsWalk); without an estimate, or for a two-character term,
	// whose one bigram the planner weighs right, the index is offered and
	// the planner chooses. With several terms, each narrowing the others,
	// the index is used too.
	walkPage := page
	switch {
	case len(terms) > 1:
		walkPage = 0
	case !pr.Has(permission.RoleAdmin) && (pr.CustomerVisibility != permission.VisibilityAll || pr.Has(permission.RolePartner)):
		walkPage = 0
		if page > 0 && seen > 0 && weighsWalk(terms) {
			walkPage = int(math.Ceil(float64(page) / seen))
		}
	}
	out := make([]condition, 0, len(terms))
	for _, term := range terms {
		like := storage.Contains(term)
		// The record's own text, its private memo only where pr may read
		// it…
		own := condition{"(" + searchKeyExpr + ` LIKE ? ESCAPE '\' OR ` + privateKeyExpr + ` LIKE ? ESCAPE '\')`, []any{like, like}}
		if !allMemos {
			own = condition{"(" + searchKeyExpr + ` LIKE ? ESCAPE '\' OR ` + privateKeyExpr + ` LIKE ? ESCAPE '\' AND (` + memo.SQL + "))",
				append([]any{like, like}, memo.Args...)}
		}
		// …or its customer's name.
		cust, err := keywordCustomer.WhereName(keywordCustomer.IDs(s.db, custPred), pr.Tenant, term)
		if err != nil {
			return nil, err
		}
		bigrams, trigrams := textnorm.Bigrams(term), textnorm.ASCIITrigrams(term)
		switch {
		case page < 0:
			// Checked on each record walked: own's LIKEs decide.
		case len(bigrams) > 0:
			grams := bigrams[:min(len(bigrams), 4)]
			expr, args, err := gramIndex.Match(ctx, s.db, "r", pr.Tenant, grams, walkPage)
			if err != nil {
				return nil, err
			}
			if len(grams) == 1 && utf8.RuneCountInString(term) == 2 && allMemos {
				// The term is its own bigram, and the grams are those of
				// both keys: the index answers exactly.
				own = condition{expr, args}
			} else {
				own = condition{expr + " AND " + own.sql, append(args, own.args...)}
			}
		case len(trigrams) > 0 && s.dialect == storage.Postgres:
			// Digits and Latin words: the index of the ASCII trigrams
			// (contact_records_ascii_grams) narrows, the LIKE decides.
			own = condition{asciiGramsExpr + " @> ?::text[] AND " + own.sql, append([]any{storage.Grams(trigrams[:min(len(trigrams), 4)])}, own.args...)}
		}
		var ids []uuid.UUID
		if err := cust.Limit(maxNamedCustomers+1).Scan(ctx, &ids); err != nil {
			return nil, storage.Err(err)
		}
		switch {
		case len(ids) == 0:
			out = append(out, own)
		case len(ids) <= maxNamedCustomers:
			out = append(out, condition{"(" + own.sql + " OR r.customer_id IN (?))", append(own.args, bun.List(ids))})
		default:
			out = append(out, condition{"(" + own.sql + " OR r.customer_id IN (?))", append(own.args, cust.Limit(0))})
		}
	}
	return out, nil
}

// indexed says whether an index looks a keyword term's records up: one of
// its bigrams, or on PostgreSQL its ASCII trigrams. A term of one
// character or of two ASCII ones has none.
func indexed(term string) bool {
	return len(textnorm.Bigrams(term)) > 0 || len(textnorm.ASCIITrigrams(term)) > 0
}

// weighsWalk says whether keywords weighs walking the newest records for
// a principal who sees few of them: for a search of one term with several
// bigrams, whose share the planner, multiplying theirs, underestimates.
func weighsWalk(terms []string) bool {
	return len(terms) == 1 && len(textnorm.Bigrams(terms[0])) > 1
}

// asciiGramsExpr is the expression of the contact_records_ascii_grams
// index (PostgreSQL): the ASCII trigrams of a record's search key and
// private search key (the index's own expression is this one without the
// alias r).
const asciiGramsExpr = "contact_record_ascii_grams(" + searchKeyExpr + " || ' ' || " + privateKeyExpr + ")"

// filter adds q's conditions but the keywords and the cursor to sel, a
// select over contact_records r already restricted to what pr may see.
func (s *Service) filter(sel *bun.SelectQuery, pr permission.Principal, q *Query) *bun.SelectQuery {
	tenant := pr.Tenant
	if q.Deleted {
		sel.Where("r.deleted_at IS NOT NULL")
	} else {
		sel.Where("r.deleted_at IS NULL")
	}
	// A record's occurred_at is its actual time when it has one
	// (Record.Time), so the actual bounds are bounds of occurred_at among
	// the records where the two are equal: the period is read from
	// contact_records_occurred, there being no index on actual_at.
	if !q.ActualFrom.IsZero() || !q.ActualTo.IsZero() {
		sel.Where("r.occurred_at = r.actual_at")
	}
	if !q.ActualFrom.IsZero() {
		sel.Where("r.occurred_at >= ?", q.ActualFrom)
	}
	if !q.ActualTo.IsZero() {
		sel.Where("r.occurred_at < ?", q.ActualTo)
	}
	if !q.PlannedFrom.IsZero() {
		sel.Where("r.planned_at >= ?", q.PlannedFrom)
	}
	if !q.PlannedTo.IsZero() {
		sel.Where("r.planned_at < ?", q.PlannedTo)
	}
	if !q.CreatedFrom.IsZero() {
		sel.Where("r.created_at >= ?", q.CreatedFrom)
	}
	if !q.CreatedTo.IsZero() {
		sel.Where("r.created_at < ?", q.CreatedTo)
	}
	// The people conditions name the tenant so that PostgreSQL can collect
	// the user's rows through contact_record_people_user.
	if q.Mine {
		sel.Where("(r.author_id = ? OR EXISTS (SELECT 1 FROM contact_record_people mp WHERE mp.tenant_id = r.tenant_id AND mp.record_id = r.id AND mp.tenant_id = ? AND mp.user_id = ? AND mp.role IN (?)))",
			pr.User, tenant, pr.User, bun.List([]string{roleResponder, roleParticipant}))
	}
	if q.Customer != uuid.Nil {
		sel.Where("r.customer_id = ?", q.Customer)
	}
	if len(q.Templates) > 0 {
		sel.Where("r.template_key IN (?)", bun.List(q.Templates))
	}
	if q.Responder != uuid.Nil {
		sel.Where("EXISTS (SELECT 1 FROM contact_record_people rp2 WHERE rp2.tenant_id = r.tenant_id AND rp2.record_id = r.id AND rp2.tenant_id = ? AND rp2.user_id = ? AND rp2.role = ?)",
			tenant, q.Responder, roleResponder)
	}
	if len(q.Progress) > 0 {
		sel.Where("r.progress IN (?)", bun.List(q.Progress))
	}
	if q.DraftsOnly {
		sel.Where("r.customer_id IS NULL")
	}
	if q.ImportantOnly {
		sel.Where("r.important")
	}
	return sel
}

// Matching returns a query over contact_records AS r holding the records
// that match q's filters (every field of Query but the order, page and
// details ones: Sort, Asc, Limit, After, WithTotal, ExactTotal, WithDetails) among those
// the principal may see — the visibility predicate and the filters are in
// its WHERE clause, nothing is selected yet. It is the hook of the report
// engine (package report), which adds the columns, grouping and
// aggregates; the query reads from Config.ReadDB when one is set. Joins the
// caller adds must carry the tenant equality (x.tenant_id = r.tenant_id).
// q is validated as by Search.
func (s *Service) Matching(ctx context.Context, q Query) (*bun.SelectQuery, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	q.Sort, q.Asc, q.Limit, q.After, q.WithTotal, q.ExactTotal, q.WithDetails = "", false, 0, "", false, false, false
	r := s.reader()
	_, action, conds, err := r.conditions(ctx, pr, &q, 0)
	if err != nil {
		return nil, fmt.Errorf("contactlog: matching: %w", err)
	}
	pred, err := r.authz.Predicate(ctx, pr, recordTableFor(action))
	if err != nil {
		return nil, fmt.Errorf("contactlog: matching: %w", err)
	}
	sel := pred.Apply(r.db.NewSelect().TableExpr("contact_records AS r"))
	for _, k := range conds {
		sel.Where(k.sql, k.args...)
	}
	return r.filter(sel, pr, &q), nil
}

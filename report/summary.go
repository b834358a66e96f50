package report

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// The record summary (contact_record_sums, kept by contactlog's triggers)
// holds, per tenant, template, UTC hour, template version and visibility
// class (draft or not, confidential, shared), the count and the integer
// sums of the records of scope company: the records whose visibility
// depends on nothing but their class and the viewer's relations to them
// (author, people, customer). A query reads it where it can answer exactly
// (see summarize) and reads the other records live.

// Kinds of summary rows (contact_record_sum_parts in the migrations).
const (
	sumRecords = ""  // the records: N
	sumField   = "f" // an integer field: N values, A their sum
	sumLines   = "l" // a lines field: N values, A, B, C subtotal, tax, total
	sumRate    = "r" // one tax rate of a lines field: A base, B tax
	sumItem    = "i" // one item and rate of a lines field: N lines, A subtotal, C quantity ×1000
)

// sumRow is one row a query reads from the record summary, summed over its
// group, class and key.
type sumRow struct {
	group                       string
	pass                        bool
	kind, field, item, name     string
	draft, confidential, shared bool
	rate                        int
	n, a, b, c                  int64
}

// summary is the part of a query the record summary answers: the rows of
// the classes the principal sees whole, and the condition on r that keeps
// the records the live queries still read (the other scopes and classes).
type summary struct {
	rows     []sumRow
	live     string
	liveArgs []any
}

// summaryTable describes the summary rows to the Authorizer as records
// nobody relates to: no ID (so no people nor scope rows), no author, and
// for the non-drafts a customer nobody is assigned to (uuid.Nil).
var summaryTable = &permission.RecordTable{
	Alias: "r", ID: "id", Tenant: "tenant_id", Author: "author_id", Customer: "customer_id",
	ScopeKind: "scope_kind", Confidential: "confidential", Shared: "shared",
	PeopleTable: "contact_record_people", ScopeTable: "contact_record_scope",
}

// summable reports whether the record summary answers aggregation a
// exactly: count(), and sum, count or avg of a field every version holds
// as an integer, money, duration or lines field.
func summable(a aggregation, vs versions) bool {
	if !a.pushed {
		return true // evaluated over the streamed records, live
	}
	if a.field == "" {
		return a.fn == "count"
	}
	if a.fn != "sum" && a.fn != "count" && a.fn != "avg" {
		return false
	}
	for _, t := range vs {
		f, ok := t.Field(a.field)
		if !ok {
			return false
		}
		switch f.Type {
		case template.FieldInteger, template.FieldMoney, template.FieldDuration, template.FieldLines:
		default:
			return false
		}
	}
	return true
}

// onHour reports whether t is a whole UTC hour, a bound of the summary's
// buckets.
func onHour(t time.Time) bool { return t.Equal(t.Truncate(time.Hour)) }

// summarize reads the record summary for q if it answers q exactly, else
// returns nil (the query reads every record live). It answers the
// groupings by period and the one group, over any period whose bounds
// (and its periods' ends) are whole hours, without record filters, for
// the aggregations summable accepts; of the records of scope company, the
// classes the principal's visibility predicate shows without any relation
// to the record — true of every record of that class under
// permission.Engine's rules and Unrestricted — are summed, the others read
// live.
func (s *Service) summarize(ctx context.Context, pr permission.Principal, vs versions, q *Query,
	aggs []aggregation, group grouping, periods []Group) (*summary, error) {
	f := q.Filter
	f.Templates, f.Sort, f.Asc, f.Limit, f.After, f.WithTotal, f.ExactTotal, f.WithDetails = nil, "", false, 0, "", false, false, false
	if !reflect.ValueOf(f).IsZero() || q.Item != "" || (q.GroupBy != ByNone && !q.GroupBy.periodic()) {
		return nil, nil
	}
	for _, t := range []time.Time{q.From, q.To} {
		if !t.IsZero() && !onHour(t) {
			return nil, nil
		}
	}
	for _, p := range periods {
		if !onHour(p.End) {
			return nil, nil
		}
	}
	fields := map[string]bool{}
	for _, a := range aggs {
		if !summable(a, vs) {
			return nil, nil
		}
		if a.pushed && a.field != "" {
			fields[a.field] = true
		}
	}
	if q.Lines != "" {
		fields[q.Lines] = true
	}

	pred, err := s.cfg.Authorizer.Predicate(ctx, pr, summaryTable)
	if err != nil {
		return nil, err
	}
	idType := "uuid"
	if s.dialect == storage.SQLite {
		idType = "TEXT"
	}
	// The summary rows are summed per group, class and key first, and the
	// predicate is evaluated once per sum rather than once per hour.
	var b strings.Builder
	args := []any{}
	b.WriteString("SELECT r.g, CASE WHEN " + pred.SQL + " THEN 1 ELSE 0 END,")
	args = append(args, pred.Args...)
	b.WriteString(" r.draft, r.confidential, r.shared, r.kind, r.field, r.item, r.rate, r.name, r.n, r.a, r.b, r.c FROM (SELECT y.*,")
	b.WriteString(" CAST(NULL AS " + idType + ") AS id, CAST(NULL AS " + idType + ") AS author_id,")
	b.WriteString(" CASE WHEN y.draft THEN NULL ELSE CAST(? AS " + idType + ") END AS customer_id, 'company' AS scope_kind FROM (SELECT ")
	args = append(args, uuid.Nil.String())
	// The item rows are summed over the whole period: lineSales reads
	// them per item, not per group.
	b.WriteString("CASE WHEN r.kind = '" + sumItem + "' THEN NULL ELSE " + group.expr + " END AS g,")
	args = append(args, group.args...)
	b.WriteString(" r.tenant_id, r.draft, r.confidential, r.shared, r.kind, r.field, r.item, r.rate, MAX(r.name) AS name,")
	b.WriteString(" SUM(r.n) AS n, SUM(r.a) AS a, SUM(r.b) AS b, SUM(r.c) AS c FROM (")
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	bounds := []time.Time{q.From, q.To}
	for _, p := range periods {
		bounds = append(bounds, p.End)
	}
	hours, days := summarySpans(q.From, q.To, bounds)
	for i, part := range []struct {
		table, column string
		spans         []span
	}{{"contact_record_sums", "hour", hours}, {"contact_record_day_sums", "day", days}} {
		if part.spans == nil {
			continue
		}
		if i > 0 && hours != nil {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT s.tenant_id, s.draft, s.confidential, s.shared, s.kind, s.field, s.item, s.rate, s.name, s.n, s.a, s.b, s.c, s.")
		b.WriteString(part.column + " AS occurred_at FROM " + part.table + " AS s WHERE s.tenant_id = ? AND s.template_key = ?")
		args = append(args, pr.Tenant, q.Template)
		if cond, cargs := spanCond("s."+part.column, part.spans); cond != "" {
			b.WriteString(" AND " + cond)
			args = append(args, cargs...)
		}
		switch {
		case len(keys) == 0:
			b.WriteString(" AND s.kind = ''")
		case q.lineItems:
			b.WriteString(" AND (s.kind = '' OR s.field IN (?))")
			args = append(args, bun.List(keys))
		default:
			b.WriteString(" AND (s.kind = '' OR s.field IN (?) AND s.kind <> '" + sumItem + "')")
			args = append(args, bun.List(keys))
		}
	}
	b.WriteString(") AS r GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9) AS y) AS r")

	rows, err := s.db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, storage.Err(err)
	}
	defer rows.Close()
	out := &summary{}
	type class struct{ draft, confidential, shared bool }
	passed, failed := map[class]bool{}, map[class]bool{}
	for rows.Next() {
		var r sumRow
		var g *string
		if err := rows.Scan(&g, &r.pass, &r.draft, &r.confidential, &r.shared, &r.kind, &r.field, &r.item, &r.rate, &r.name, &r.n, &r.a, &r.b, &r.c); err != nil {
			return nil, storage.Err(err)
		}
		if g != nil {
			r.group = *g
		}
		c := class{r.draft, r.confidential, r.shared}
		if !r.pass {
			failed[c] = true
			continue
		}
		passed[c] = true
		out.rows = append(out.rows, r)
	}
	if err := rows.Err(); err != nil {
		return nil, storage.Err(err)
	}
	if len(failed) > 0 && len(passed) == 0 {
		return nil, nil // nothing to gain: every record is read live
	}
	// The live queries read the records of another scope and of the classes
	// the principal does not see whole. "scope_kind <> 'company'" alone
	// matches the partial index contact_records_template_scoped.
	out.live = "r.scope_kind <> 'company'"
	if len(failed) > 0 {
		var or []string
		for c := range failed {
			or = append(or, "((r.customer_id IS NULL) = ? AND r.confidential = ? AND r.shared = ?)")
			out.liveArgs = append(out.liveArgs, c.draft, c.confidential, c.shared)
		}
		out.live = "(" + out.live + " OR " + strings.Join(or, " OR ") + ")"
	}
	// Of those, p sees only the records related to p (Relater.Related:
	// every record p sees is, but for those of scope company p sees
	// unrelated — the classes summed above): the live queries start from
	// p's relations instead of testing every record of another scope.
	if rel, ok := s.cfg.Authorizer.(permission.Relater); ok {
		cond, err := rel.Related(ctx, pr, contactlog.RecordTable("r"))
		if err != nil {
			return nil, err
		}
		out.live += " AND " + cond.SQL
		out.liveArgs = append(out.liveArgs, cond.Args...)
	}
	return out, nil
}

// add adds the summary's rows to the groups of a query: counts, the
// aggregations (avg: sums and counts in avgs, divided by the caller), the
// lines totals and rates of field lines.
func (sum *summary) add(at func(string) (*Group, error), aggs []aggregation, lines string, avgs map[string][]avgPart) error {
	for _, r := range sum.rows {
		if r.kind == sumItem {
			continue
		}
		g, err := at(r.group)
		if err != nil {
			return err
		}
		switch r.kind {
		case sumRecords:
			g.Count += r.n
			for k, a := range aggs {
				if a.pushed && a.field == "" {
					g.Values[k].Int += r.n
				}
			}
		case sumField, sumLines:
			total := r.a
			if r.kind == sumLines {
				total = r.c
			}
			for k, a := range aggs {
				if !a.pushed || a.field != r.field {
					continue
				}
				switch a.fn {
				case "sum":
					g.Values[k].Int += total
				case "count":
					g.Values[k].Int += r.n
				case "avg":
					if avgs[g.Key] == nil {
						avgs[g.Key] = make([]avgPart, len(aggs))
					}
					avgs[g.Key][k].sum += total
					avgs[g.Key][k].n += r.n
				}
			}
			if r.kind == sumLines && r.field == lines {
				g.Lines.Net += r.a
				g.Lines.Tax += r.b
				g.Lines.Gross += r.c
			}
		case sumRate:
			if r.field == lines {
				g.Lines.Rates = addRate(g.Lines.Rates, RateTotal{Rate: r.rate, Base: r.a, Tax: r.b})
			}
		default:
			return fmt.Errorf("report: summary row of unknown kind %q", r.kind)
		}
	}
	return nil
}

// span is a period of time, from inclusive, to exclusive; a zero bound
// does not restrict.
type span struct{ from, to time.Time }

// summarySpans splits [from, to) (a zero bound does not restrict) between
// the two tables of the summary: the UTC days that lie whole within it and
// hold none of bounds but at their start are read from the day rows
// (days), the rest from the hour rows (hours), so that no day row straddles
// a bound. Either is nil if it covers nothing; adjacent spans are merged.
func summarySpans(from, to time.Time, bounds []time.Time) (hours, days []span) {
	const day = 24 * time.Hour
	var cuts []time.Time // the days holding a bound, in order
	for _, b := range bounds {
		if d := b.Truncate(day); !b.IsZero() && !b.Equal(d) && !slices.ContainsFunc(cuts, d.Equal) {
			cuts = append(cuts, d)
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	add := func(spans []span, s span) []span {
		if !s.from.IsZero() && !s.to.IsZero() && !s.from.Before(s.to) {
			return spans
		}
		if n := len(spans); n > 0 && spans[n-1].to.Equal(s.from) {
			spans[n-1].to = s.to
			return spans
		}
		return append(spans, s)
	}
	for _, c := range cuts {
		s := span{c, c.Add(day)}
		if !from.IsZero() && from.After(s.from) {
			s.from = from
		}
		if !to.IsZero() && to.Before(s.to) {
			s.to = to
		}
		hours = add(hours, s)
	}
	// The days from the first whole day to the last, less the cut ones.
	next := from
	if d := from.Truncate(day); !from.IsZero() && !from.Equal(d) {
		next = d.Add(day)
	}
	last := to.Truncate(day)
	for _, c := range cuts {
		if (from.IsZero() || !c.Before(next)) && (to.IsZero() || c.Before(last)) {
			days = add(days, span{next, c})
			next = c.Add(day)
		}
	}
	return hours, add(days, span{next, last})
}

// spanCond is the SQL condition that col lies within one of spans ("" if
// any time does).
func spanCond(col string, spans []span) (string, []any) {
	var or []string
	var args []any
	for _, s := range spans {
		var and []string
		if !s.from.IsZero() {
			and = append(and, col+" >= ?")
			args = append(args, s.from.UTC())
		}
		if !s.to.IsZero() {
			and = append(and, col+" < ?")
			args = append(args, s.to.UTC())
		}
		if len(and) == 0 {
			return "", nil
		}
		or = append(or, strings.Join(and, " AND "))
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// avgPart is the sum and count of an average computed from the summary
// and the live records together.
type avgPart struct{ sum, n int64 }

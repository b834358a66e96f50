package report

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// grouping is the SQL of a grouping: the group key expression (text, NULL
// for the group "") and a join it needs.
type grouping struct {
	// whole: one group of every record (no GROUP BY).
	whole    bool
	expr     string
	args     []any
	join     string
	joinArgs []any
}

// grouping validates q's grouping and returns the groups known in advance
// (every period of a periodic grouping, the one group of ByNone) and its SQL.
func (s *Service) grouping(t *template.Template, q *Query, loc *time.Location, ve *validation.Error) ([]Group, grouping) {
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		ve.Add("to", validation.CodeOutOfRange, "after from")
	}
	if q.GroupBy != ByField && q.Field != "" {
		ve.Add("field", validation.CodeNotAllowed, string(q.GroupBy))
	}
	switch q.GroupBy {
	case ByNone:
		return []Group{{Key: ""}}, grouping{whole: true, expr: "''"}
	case ByCustomer:
		return nil, grouping{expr: "CAST(r.customer_id AS TEXT)"}
	case ByAuthor:
		return nil, grouping{expr: "CAST(r.author_id AS TEXT)"}
	case ByResponder:
		return nil, grouping{
			expr:     "CAST(rp.user_id AS TEXT)",
			join:     "LEFT JOIN contact_record_people AS rp ON rp.tenant_id = r.tenant_id AND rp.record_id = r.id AND rp.role = ?",
			joinArgs: []any{"responder"},
		}
	case ByField:
		f, ok := t.Field(q.Field)
		switch {
		case q.Field == "":
			ve.Add("field", validation.CodeRequired, "")
		case !ok:
			ve.Add("field", validation.CodeUnknown, q.Field)
		case f.Type != template.FieldSelect:
			ve.Add("field", validation.CodeWrongType, string(f.Type))
		}
		expr, args := storage.JSONValue(s.dialect, "r.fields", storage.JSONText, q.Field)
		return nil, grouping{expr: expr, args: args}
	case ByDay, ByWeek, ByMonth, ByYear:
	default:
		ve.Add("group_by", validation.CodeUnknown, string(q.GroupBy))
		return nil, grouping{}
	}
	if q.From.IsZero() {
		ve.Add("from", validation.CodeRequired, "")
	}
	if q.To.IsZero() {
		ve.Add("to", validation.CodeRequired, "")
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return nil, grouping{}
	}
	periods := Periods(q.GroupBy, q.From, q.To, loc, s.cfg.MaxGroups+1)
	if len(periods) > s.cfg.MaxGroups {
		ve.Add("group_by", validation.CodeTooMany, strconv.Itoa(s.cfg.MaxGroups))
		return nil, grouping{}
	}
	// CASE WHEN r.occurred_at < end₁ THEN key₁ WHEN … END: the records are
	// within [From, To), so the first period ending after a record's time
	// is its period.
	var b strings.Builder
	args := make([]any, 0, 2*len(periods))
	b.WriteString("CASE")
	for _, p := range periods {
		b.WriteString(" WHEN r.occurred_at < ? THEN ?")
		args = append(args, p.End.UTC(), p.Key)
	}
	b.WriteString(" END")
	return periods, grouping{expr: b.String(), args: args}
}

// Periods returns the periods of unit (ByDay, ByWeek (Monday first),
// ByMonth, ByYear) in loc that overlap [from, to), in order, as empty
// groups: Key is the first day (2006-01-02), Start and End bound the period.
// It returns at most limit periods.
func Periods(unit GroupBy, from, to time.Time, loc *time.Location, limit int) []Group {
	f := from.In(loc)
	start := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	switch unit {
	case ByWeek:
		start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
	case ByMonth:
		start = time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, loc)
	case ByYear:
		start = time.Date(f.Year(), 1, 1, 0, 0, 0, 0, loc)
	}
	var out []Group
	for start.Before(to) && len(out) < limit {
		var end time.Time
		switch unit {
		case ByDay:
			end = start.AddDate(0, 0, 1)
		case ByWeek:
			end = start.AddDate(0, 0, 7)
		case ByMonth:
			end = start.AddDate(0, 1, 0)
		default:
			end = start.AddDate(1, 0, 0)
		}
		out = append(out, Group{Key: start.Format(time.DateOnly), Start: start, End: end})
		start = end
	}
	return out
}

// evalStreamed evaluates the aggregations that are not pushed down: the
// values of the fields they read are streamed ordered by group, and one
// group's values are held at a time.
func (s *Service) evalStreamed(ctx context.Context, t *template.Template, vs versions, aggs []aggregation, groups []Group,
	index map[string]int, base func() (*bun.SelectQuery, error), group grouping) error {
	var streamed []int
	var fields []template.Field
	for i, a := range aggs {
		if a.pushed {
			continue
		}
		streamed = append(streamed, i)
		for _, key := range a.c.Fields() {
			if slices.ContainsFunc(fields, func(f template.Field) bool { return f.Key == key }) {
				continue
			}
			f, ok := t.Field(key)
			if !ok {
				return fmt.Errorf("report: aggregation %q reads unknown field %q", a.c.Key, key)
			}
			fields = append(fields, f)
		}
	}
	if len(streamed) == 0 {
		return nil
	}
	eval := func(g *Group, n int, cols map[string][]float64) error {
		for _, k := range streamed {
			v, err := aggs[k].c.EvalN(n, cols)
			if err != nil {
				return err
			}
			g.Values[k] = floatValue(v)
		}
		return nil
	}
	sel, err := base()
	if err != nil {
		return err
	}
	sel.ColumnExpr(group.expr+" AS g", group.args...)
	for _, f := range fields {
		expr, args, _ := s.fieldValue(vs, f.Key)
		sel.ColumnExpr(expr, args...)
	}
	rows, err := sel.OrderExpr("g").Rows(ctx)
	if err != nil {
		return storage.Err(err)
	}
	defer rows.Close()

	seen := map[string]bool{}
	cur, n := "", 0
	cols := map[string][]float64{}
	flush := func() error {
		if n == 0 {
			return nil
		}
		i, ok := index[cur]
		if !ok {
			return fmt.Errorf("report: streamed group %q not counted", cur)
		}
		seen[cur] = true
		err := eval(&groups[i], n, cols)
		n = 0
		for k := range cols {
			cols[k] = cols[k][:0]
		}
		return err
	}
	var key sql.NullString
	vals := make([]sql.NullFloat64, len(fields))
	dest := []any{&key}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return storage.Err(err)
		}
		if key.String != cur || n == 0 {
			if err := flush(); err != nil {
				return err
			}
			cur = key.String
		}
		if n >= s.cfg.MaxGroupRows {
			var ve validation.Error
			ve.Add("group_by", validation.CodeTooMany, strconv.Itoa(s.cfg.MaxGroupRows))
			return ve.Err()
		}
		n++
		for i, f := range fields {
			x := math.NaN()
			if vals[i].Valid {
				x = vals[i].Float64
			}
			cols[f.Key] = append(cols[f.Key], x)
		}
	}
	if err := rows.Err(); err != nil {
		return storage.Err(err)
	}
	if err := flush(); err != nil {
		return err
	}
	// Groups without records.
	for i := range groups {
		if !seen[groups[i].Key] {
			if err := eval(&groups[i], 0, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

package report

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/storage"
)

// liveColumns are the columns of contact_records the aggregations over the
// live records read: the groupings' (time, customer, author; tenant and
// ID for the responders' join) and the fields, read per template version.
const liveColumns = "r.tenant_id, r.id, r.occurred_at, r.customer_id, r.author_id, r.template_version, r.fields"

// livePart is one aggregation of a query over the records it reads live
// (periods, tax rates, items), within the statement readLive runs: sel
// selects from "live AS r", every column added with col; read gets each of
// its rows' columns as text.
type livePart struct {
	sel  *bun.SelectQuery
	n    int
	read func(cols []sql.NullString) error
}

func (s *Service) newLivePart() *livePart {
	return &livePart{sel: s.db.NewSelect().TableExpr("live AS r")}
}

// col adds a column: every part's columns are text, so that the parts of
// the union agree whatever their types (PostgreSQL's text of a float8 or a
// numeric and SQLite's of a real read back exactly).
func (p *livePart) col(expr string, args ...any) *livePart {
	p.n++
	p.sel.ColumnExpr(fmt.Sprintf("CAST(%s AS TEXT) AS c%d", expr, p.n), args...)
	return p
}

// readLive runs parts over the records records selects as one statement:
// the records (their liveColumns) are the common table "live", read once
// and materialized when materialize says so, and the parts' rows follow
// one another (UNION ALL), each led by its part's index. With the record
// summary the live records are the few related to the principal
// (summary.live), and finding them through the relation lookups is what
// costs: one lookup instead of one per part. Without it they are every
// record of the query, which each part reads as its own subquery
// (PostgreSQL inlines the common table; SQLite materializes one that is
// read more than once).
func (s *Service) readLive(ctx context.Context, records *bun.SelectQuery, materialize bool, parts []*livePart) error {
	width := 0
	for _, p := range parts {
		width = max(width, p.n)
	}
	var union *bun.SelectQuery
	for i, p := range parts {
		for k := p.n + 1; k <= width; k++ {
			p.sel.ColumnExpr(fmt.Sprintf("CAST(NULL AS TEXT) AS c%d", k))
		}
		q := s.db.NewSelect().TableExpr("(?) AS p", p.sel).ColumnExpr("? AS part, p.*", i)
		if union == nil {
			union = q
		} else {
			union.UnionAll(q)
		}
	}
	cte := bun.NewWithQuery("live", records.ColumnExpr(liveColumns))
	if materialize {
		cte.Materialized()
	} else {
		cte.NotMaterialized()
	}
	rows, err := s.db.NewSelect().WithQuery(cte).TableExpr("(?) AS u", union).ColumnExpr("u.*").Rows(ctx)
	if err != nil {
		return storage.Err(err)
	}
	defer rows.Close()
	var part int
	cols := make([]sql.NullString, width)
	dest := []any{&part}
	for i := range cols {
		dest = append(dest, &cols[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return storage.Err(err)
		}
		if err := parts[part].read(cols[:parts[part].n]); err != nil {
			return err
		}
	}
	return storage.Err(rows.Err())
}

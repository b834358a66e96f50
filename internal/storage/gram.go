package storage

import (
	"context"
	"database/sql/driver"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Grams is a set of search bigrams stored with a row. On PostgreSQL it is the
// row's text[] column (GIN-indexed); on SQLite the column does not exist and
// the grams live in the index's side table instead.
type Grams []string

// Value encodes the grams as a PostgreSQL array literal.
func (g Grams) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range g {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// GramIndex is the bigram index over one table's search text.
//
// Schema contract: on PostgreSQL the table has a column Column of type
// text[] with a GIN index; on SQLite there is a side table SideTable with
// columns (tenant_id, gram, owner_id), primary key (tenant_id, gram,
// owner_id), whose owner_id references the table's id ON DELETE CASCADE.
type GramIndex struct {
	Column    string // e.g. "grams"
	SideTable string // e.g. "customer_grams"
}

// GramSet is the grams of one row.
type GramSet struct {
	Owner uuid.UUID
	Grams Grams
}

// Writes reports whether the grams column is written with the row itself
// (PostgreSQL). When false, exclude Column from inserts and updates and call
// Save after writing the rows.
func (ix GramIndex) Writes(d Dialect) bool { return d == Postgres }

// Save replaces the side-table grams of the given rows. It does nothing on
// PostgreSQL, where the grams travel in the row.
func (ix GramIndex) Save(ctx context.Context, db bun.IDB, tenant uuid.UUID, sets []GramSet) error {
	d, err := Of(db)
	if err != nil || d == Postgres || len(sets) == 0 {
		return err
	}
	owners := make([]uuid.UUID, len(sets))
	for i, s := range sets {
		owners[i] = s.Owner
	}
	if _, err := db.NewDelete().TableExpr(ix.SideTable).
		Where("tenant_id = ?", tenant).Where("owner_id IN (?)", bun.List(owners)).
		Exec(ctx); err != nil {
		return Err(err)
	}
	type row struct {
		TenantID uuid.UUID `bun:"tenant_id"`
		Gram     string    `bun:"gram"`
		OwnerID  uuid.UUID `bun:"owner_id"`
	}
	const batch = 2000
	rows := make([]row, 0, batch)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		_, err := db.NewInsert().Model(&rows).ModelTableExpr(ix.SideTable).Exec(ctx)
		rows = rows[:0]
		return Err(err)
	}
	for _, s := range sets {
		for _, g := range s.Grams {
			rows = append(rows, row{TenantID: tenant, Gram: g, OwnerID: s.Owner})
			if len(rows) == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// Filter returns a WHERE fragment (with its arguments) that keeps rows of
// the table aliased alias whose grams include every gram given. grams must
// not be empty. The caller still verifies the match (grams are a prefilter).
func (ix GramIndex) Filter(d Dialect, alias string, tenant uuid.UUID, grams []string) (string, []any) {
	if d == Postgres {
		return alias + "." + ix.Column + " @> ?::text[]", []any{Grams(grams)}
	}
	return alias + ".id IN (SELECT owner_id FROM " + ix.SideTable +
			" WHERE tenant_id = ? AND gram IN (?) GROUP BY owner_id HAVING COUNT(*) = ?)",
		[]any{tenant, bun.List(grams), len(grams)}
}
